//! A small element tree over quick-xml, with the line of every element, shared by the XML formats.
//!
//! The list files are a few megabytes at most, so a tree is simpler to walk than events and lets
//! each parser ask for children by name. Building it checks well-formedness: a document cut off
//! inside an element is an error naming that element and the line it opened on.

use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

use crate::model::ParseError;
use crate::text::{LineIndex, clean, error, line_of_byte, utf8, windows_1252};

#[derive(Debug)]
pub(crate) enum Node {
    Element(Element),
    Text(String),
}

#[derive(Debug)]
pub(crate) struct Element {
    /// Local name (any namespace prefix dropped).
    pub name: String,
    pub line: u64,
    attributes: Vec<(String, String)>,
    pub children: Vec<Node>,
}

impl Element {
    pub(crate) fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// Child elements in document order.
    pub(crate) fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|node| match node {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    pub(crate) fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.elements().filter(move |e| e.name == name)
    }

    pub(crate) fn child(&self, name: &str) -> Option<&Element> {
        self.elements().find(|e| e.name == name)
    }

    /// Every element below this one named `name`, depth first.
    pub(crate) fn descendants_named<'a>(&'a self, name: &'a str, out: &mut Vec<&'a Element>) {
        for child in self.elements() {
            if child.name == name {
                out.push(child);
            }
            child.descendants_named(name, out);
        }
    }

    /// All text below this element, whitespace collapsed; `None` when empty.
    pub(crate) fn text(&self) -> Option<String> {
        let mut raw = String::new();
        self.collect_text(&mut raw);
        clean(&raw)
    }

    fn collect_text(&self, out: &mut String) {
        for node in &self.children {
            match node {
                Node::Text(t) => out.push_str(t),
                Node::Element(e) => e.collect_text(out),
            }
        }
    }

    /// The cleaned text of the first child named `name`.
    pub(crate) fn child_text(&self, name: &str) -> Option<String> {
        self.child(name).and_then(Element::text)
    }

    /// The cleaned texts of every child named `name` that has text.
    pub(crate) fn children_text(&self, name: &str) -> Vec<String> {
        self.children_named(name).filter_map(Element::text).collect()
    }

    fn push_text(&mut self, text: &str) {
        if let Some(Node::Text(last)) = self.children.last_mut() {
            last.push_str(text);
        } else {
            self.children.push(Node::Text(text.to_owned()));
        }
    }
}

/// Parses a whole document into its root element.
///
/// Encoding: UTF-8 unless the declaration names ISO-8859-1, Latin-1 or Windows-1252, which are read
/// as Windows-1252. Invalid UTF-8 in a UTF-8 document is an error naming its line.
pub(crate) fn parse(file: &str, bytes: &[u8]) -> Result<Element, ParseError> {
    let decoded;
    let text = if declares_single_byte_encoding(bytes) {
        decoded = windows_1252(bytes);
        decoded.as_str()
    } else {
        if bytes.starts_with(&[0xFE, 0xFF]) || bytes.starts_with(&[0xFF, 0xFE]) {
            return Err(error(file, 1, "encoding", "UTF-16 documents are not supported; convert to UTF-8"));
        }
        utf8(file, bytes)?
    };
    build(file, text)
}

fn declares_single_byte_encoding(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(200)];
    let Some(end) = head.windows(2).position(|w| w == b"?>") else {
        return false;
    };
    let declaration = String::from_utf8_lossy(&head[..end]).to_lowercase();
    if !declaration.trim_start().starts_with("<?xml") {
        return false;
    }
    ["iso-8859-1", "latin1", "latin-1", "windows-1252", "cp1252"].iter().any(|e| declaration.contains(e))
}

fn build(file: &str, text: &str) -> Result<Element, ParseError> {
    let lines = LineIndex::new(text);
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let at = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        let event = reader.read_event().map_err(|e| {
            let position = usize::try_from(reader.error_position()).unwrap_or(usize::MAX);
            let field = stack.last().map_or("document", |el| el.name.as_str());
            error(file, lines.line(position), field, format!("malformed XML: {e}"))
        })?;
        match event {
            Event::Start(start) => stack.push(open(file, &start, lines.line(at))?),
            Event::Empty(start) => {
                let element = open(file, &start, lines.line(at))?;
                close(file, element, &mut stack, &mut root)?;
            }
            Event::End(_) => {
                // INVARIANT: quick-xml checks end names, so an end tag always has an open element.
                if let Some(element) = stack.pop() {
                    close(file, element, &mut stack, &mut root)?;
                }
            }
            Event::Text(t) => add_text(file, &mut stack, &t.xml10_content(), lines.line(at))?,
            Event::CData(c) => add_text(file, &mut stack, &c.xml10_content(), lines.line(at))?,
            Event::GeneralRef(r) => {
                let resolved = resolve_reference(&r).ok_or_else(|| {
                    error(file, lines.line(at), "text", format!("unknown entity reference `&{};`", &*r))
                })?;
                add_text(file, &mut stack, resolved.encode_utf8(&mut [0; 4]), lines.line(at))?;
            }
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
        }
    }
    if let Some(open) = stack.last() {
        return Err(error(
            file,
            open.line,
            &open.name,
            format!(
                "the document ends (line {}) before element `{}` is closed: the file is truncated",
                line_of_byte(text.as_bytes(), text.len()),
                open.name
            ),
        ));
    }
    root.ok_or_else(|| error(file, 1, "document", "no root element"))
}

fn open(file: &str, start: &BytesStart<'_>, line: u64) -> Result<Element, ParseError> {
    let name = start.local_name().as_ref().to_owned();
    let mut attributes = Vec::new();
    for attribute in start.attributes() {
        let attribute =
            attribute.map_err(|e| error(file, line, &name, format!("malformed attribute in `<{name}>`: {e}")))?;
        let key = attribute.key.local_name().as_ref().to_owned();
        let value = attribute
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|e| error(file, line, &name, format!("malformed attribute `{key}`: {e}")))?;
        attributes.push((key, value.into_owned()));
    }
    Ok(Element { name, line, attributes, children: Vec::new() })
}

fn close(file: &str, element: Element, stack: &mut [Element], root: &mut Option<Element>) -> Result<(), ParseError> {
    if let Some(parent) = stack.last_mut() {
        parent.children.push(Node::Element(element));
        return Ok(());
    }
    if root.is_some() {
        return Err(error(file, element.line, &element.name, "a second root element after the document's end"));
    }
    *root = Some(element);
    Ok(())
}

fn add_text(file: &str, stack: &mut [Element], text: &str, line: u64) -> Result<(), ParseError> {
    match stack.last_mut() {
        Some(parent) => parent.push_text(text),
        None if text.trim().is_empty() => {}
        None => return Err(error(file, line, "document", "text outside the root element")),
    }
    Ok(())
}

fn resolve_reference(reference: &quick_xml::events::BytesRef<'_>) -> Option<char> {
    if reference.is_char_ref() {
        return reference.resolve_char_ref().ok().flatten();
    }
    match &**reference {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_a_tree_with_lines_and_entities() {
        let root =
            parse("t.xml", b"<?xml version=\"1.0\"?>\n<a x=\"1\">\n  <b>Tom &amp; Jerry&#33;</b>\n  <c/>\n</a>\n")
                .expect("parses");
        assert_eq!((root.name.as_str(), root.line, root.attribute("x")), ("a", 2, Some("1")));
        let b = root.child("b").expect("b");
        assert_eq!((b.line, b.text().as_deref()), (3, Some("Tom & Jerry!")));
        assert_eq!(root.child("c").map(|c| c.line), Some(4));
    }

    #[test]
    fn a_truncated_document_names_the_open_element() {
        let err = parse("t.xml", b"<a>\n <b>\n  <c>x</c>\n").expect_err("truncated");
        assert_eq!((err.line, err.field.as_deref()), (Some(2), Some("b")));
        assert!(err.message.contains("truncated"), "{err}");
    }

    #[test]
    fn mismatched_tags_and_unknown_entities_are_errors() {
        let err = parse("t.xml", b"<a>\n<b></c>\n</a>").expect_err("mismatch");
        assert_eq!(err.line, Some(2));
        let err = parse("t.xml", b"<a>\n&nbsp;</a>").expect_err("entity");
        assert!(err.message.contains("nbsp"), "{err}");
    }

    #[test]
    fn reads_latin1_when_declared_and_rejects_bad_utf8_otherwise() {
        let root = parse("t.xml", b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>Jos\xe9</a>").expect("latin-1");
        assert_eq!(root.text().as_deref(), Some("José"));
        let err =
            parse("t.xml", b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<a>\nJos\xe9</a>").expect_err("bad utf-8");
        assert_eq!((err.line, err.field.as_deref()), (Some(3), Some("encoding")));
    }
}
