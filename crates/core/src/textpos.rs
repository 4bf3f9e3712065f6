//! Best-effort line numbers for a field in a JSON or TOML document, for error messages.
//!
//! The parsers we use do not keep positions once a document is a value tree, and a user who wrote
//! a bad field wants to be sent to its line. We search the text for the key, inside its parent
//! section when the path has one; when the key cannot be found unambiguously we say nothing
//! rather than point at a wrong line.

/// The 1-based line where `path` (e.g. `["dense_tops", "fp16"]`) is written, if it can be found.
pub fn line_of(text: &str, path: &[&str]) -> Option<usize> {
    let mut start = 0usize;
    for (depth, key) in path.iter().enumerate() {
        let last = depth + 1 == path.len();
        let found = find_key(&text[start..], key)?;
        if last {
            return Some(text[..start + found].matches('\n').count() + 1);
        }
        start += found + key.len();
    }
    None
}

/// Offset of the first place `key` stands as a key: quoted and followed by `:`, or at the start of
/// a line followed by `=`, or as a TOML table header `[...key]`.
fn find_key(text: &str, key: &str) -> Option<usize> {
    let quoted = format!("\"{key}\"");
    let mut best: Option<usize> = None;
    let mut consider = |offset: usize| {
        if best.is_none_or(|b| offset < b) {
            best = Some(offset);
        }
    };
    for (offset, _) in text.match_indices(&quoted) {
        let rest = text[offset + quoted.len()..].trim_start();
        if rest.starts_with(':') || rest.starts_with('=') {
            consider(offset);
            break;
        }
    }
    let mut line_start = 0usize;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if let Some(rest) = trimmed.strip_prefix(key)
            && rest.trim_start().starts_with('=')
        {
            consider(line_start + indent);
            break;
        }
        if trimmed.starts_with('[') {
            let header = trimmed.trim_start_matches('[');
            let header = header.split(']').next().unwrap_or("");
            if header.split('.').next_back().map(str::trim) == Some(key) {
                consider(line_start + indent);
                break;
            }
        }
        line_start += line.len();
    }
    best
}

#[cfg(test)]
mod tests {
    use super::line_of;

    #[test]
    fn finds_json_and_toml_keys() {
        let json = "{\n  \"name\": \"x\",\n  \"dense_tops\": {\n    \"fp16\": \"abc\"\n  }\n}\n";
        assert_eq!(line_of(json, &["name"]), Some(2));
        assert_eq!(line_of(json, &["dense_tops", "fp16"]), Some(4));
        let toml = "name = \"x\"\ndie_area_mm2 = -3\n\n[dense_tops]\nfp16 = 1\n";
        assert_eq!(line_of(toml, &["die_area_mm2"]), Some(2));
        assert_eq!(line_of(toml, &["dense_tops", "fp16"]), Some(5));
        assert_eq!(line_of(toml, &["missing"]), None);
    }
}
