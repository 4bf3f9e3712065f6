//! Which format a list file is in, from its first bytes, and one entry point for single-file
//! formats.

use crate::model::{ParseError, ParsedList};
use crate::ofac_csv::OfacCsvParts;
use crate::{bis_el_csv, csl_csv, csl_json, dpl_tsv, fr_xml, ofac_csv, ofac_xml, un_xml};

/// Every format name `detect_format` returns and `parse_file` accepts.
pub const FORMATS: [&str; 8] = [
    ofac_csv::FORMAT,
    ofac_xml::FORMAT,
    csl_csv::FORMAT,
    csl_json::FORMAT,
    bis_el_csv::FORMAT,
    dpl_tsv::FORMAT,
    un_xml::FORMAT,
    fr_xml::FORMAT,
];

/// The format of a file, judged by its content (XML root element, JSON, the header row or OFAC's
/// headerless `ent_num,"name",...` rows); the file name decides only when the content cannot (an
/// empty `.json` file). `None` when neither tells.
pub fn detect_format(file_name: &str, bytes: &[u8]) -> Option<&'static str> {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]);
    let text = head.trim_start_matches('\u{feff}').trim_start();
    if text.starts_with('<') {
        return match root_element(text)? {
            "sdnList" => Some(ofac_xml::FORMAT),
            "CONSOLIDATED_LIST" => Some(un_xml::FORMAT),
            "RULE" | "RULES" | "FEDREG" => Some(fr_xml::FORMAT),
            _ => None,
        };
    }
    if text.starts_with(['{', '[']) {
        return Some(csl_json::FORMAT);
    }
    let first_line = text.lines().next().unwrap_or_default().to_ascii_lowercase();
    let header = first_line.replace('"', "");
    if header.contains('\t') && header.starts_with("name\t") && header.contains("effective_date") {
        return Some(dpl_tsv::FORMAT);
    }
    if header.starts_with("_id,source,") || header.starts_with("source,entity_number,") {
        return Some(csl_csv::FORMAT);
    }
    if header.starts_with("source list,entity number,") {
        return Some(bis_el_csv::FORMAT);
    }
    let (number, _) = first_line.split_once(',').unwrap_or_default();
    if !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()) {
        return Some(ofac_csv::FORMAT);
    }
    file_name.to_ascii_lowercase().ends_with(".json").then_some(csl_json::FORMAT)
}

/// The local name of the first element, past the declaration, comments and doctype.
fn root_element(text: &str) -> Option<&str> {
    let mut rest = text;
    loop {
        rest = rest.trim_start();
        if let Some(after) = rest.strip_prefix("<?") {
            rest = after.split_once("?>")?.1;
        } else if let Some(after) = rest.strip_prefix("<!--") {
            rest = after.split_once("-->")?.1;
        } else if let Some(after) = rest.strip_prefix("<!") {
            rest = after.split_once('>')?.1;
        } else {
            let name = rest.strip_prefix('<')?;
            let end = name.find(|c: char| c.is_whitespace() || c == '>' || c == '/').unwrap_or(name.len());
            return Some(name[..end].rsplit(':').next().unwrap_or_default());
        }
    }
}

/// Parses one file in the named format. OFAC CSV read this way is the primary file alone (no
/// addresses, aliases or comments); use `ofac_csv::parse` to join the parts.
pub fn parse_file(format: &str, file_name: &str, bytes: &[u8]) -> Result<ParsedList, ParseError> {
    match format {
        ofac_csv::FORMAT => ofac_csv::parse(&OfacCsvParts::primary_only(file_name, bytes)),
        ofac_xml::FORMAT => ofac_xml::parse(file_name, bytes),
        csl_csv::FORMAT => csl_csv::parse(file_name, bytes),
        csl_json::FORMAT => csl_json::parse(file_name, bytes),
        bis_el_csv::FORMAT => bis_el_csv::parse(file_name, bytes),
        dpl_tsv::FORMAT => dpl_tsv::parse(file_name, bytes),
        un_xml::FORMAT => un_xml::parse(file_name, bytes),
        fr_xml::FORMAT => fr_xml::parse(file_name, bytes),
        _ => Err(ParseError {
            file: file_name.to_owned(),
            line: None,
            field: Some("format".to_owned()),
            message: format!("unknown list format `{format}` (known: {})", FORMATS.join(", ")),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_xml_roots_past_declarations() {
        assert_eq!(root_element("<?xml version=\"1.0\"?>\n<!-- c --><x:sdnList a=\"b\">"), Some("sdnList"));
        assert_eq!(root_element("<RULE>"), Some("RULE"));
    }

    #[test]
    fn detects_by_content() {
        for (name, text, format) in [
            ("a.xml", "<?xml version=\"1.0\"?><sdnList>", Some("ofac-xml")),
            ("a.xml", "<CONSOLIDATED_LIST dateGenerated=\"x\">", Some("un-xml")),
            ("a.xml", "<RULE>", Some("fr-xml")),
            ("a.xml", "<html>", None),
            ("x", "{\"results\": []}", Some("csl-json")),
            ("x", "_id,source,entity_number,type", Some("csl-csv")),
            ("x", "source,entity_number,type", Some("csl-csv")),
            ("x", "Source List,Entity Number,SDN Type", Some("bis-el-csv")),
            ("x", "\"Name\"\t\"Street_Address\"\t\"City\"\t\"Effective_Date\"", Some("dpl-tsv")),
            ("x", "36,\"AEROCARIBBEAN AIRLINES\",-0- ", Some("ofac-csv")),
            ("x.json", "", Some("csl-json")),
            ("x.txt", "hello", None),
        ] {
            assert_eq!(detect_format(name, text.as_bytes()), format, "{text}");
        }
    }

    #[test]
    fn unknown_formats_are_an_error() {
        let err = parse_file("pdf", "a.pdf", b"").expect_err("unknown");
        assert_eq!(err.field.as_deref(), Some("format"));
        assert!(err.message.contains("ofac-csv"), "{err}");
    }
}
