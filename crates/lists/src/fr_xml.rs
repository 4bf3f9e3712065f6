//! Entity List entries from a Federal Register rule in the FR's XML (a `RULE`, or a document
//! holding several): the Supplement No. 4 to Part 744 table (`GPOTABLE`) with Country, Entity,
//! License requirement, License review policy and Federal Register citation columns.
//!
//! Table rows: a row whose first cell is filled starts a country (`CHINA, PEOPLE'S REPUBLIC OF`);
//! a row with an entity cell and license cells starts an entry; a row with only an entity cell
//! continues the entry above (more addresses or aliases); rows of asterisks are elisions. In the
//! entity cell, the text before `a.k.a.` is the name, `<LI>` items opening with a dash are
//! aliases (strong, kind `a.k.a.`) and other items are addresses (`; and` separates several; a
//! "(See alternate address under …)" note goes to the remarks). When a cell has neither aliases
//! nor items, name and address share one sentence; the name is then taken up to the first comma
//! that does not precede a legal-form suffix (`Co., Ltd.`) — a heuristic, the only one here.
//!
//! Every entry is on list EL, kind unknown (entries are companies, institutes and people), its
//! addresses in the section's country. The id is derived from the FR document number, country and
//! name (`2023-03929|CN|AOOK Technology Ltd.`). `legal` holds the license requirement, license
//! review policy (`license_policy`), the citation (`federal_register_notice`), the FR document
//! number (`fr_document`) and the effective date. `published` is the effective date: the rule XML
//! states no publication date of its own.

use crate::assemble::{Entries, derived_id};
use crate::country::normalize;
use crate::model::{Address, EntityKind, ListCode, ListEntry, NameStrength, ParseError, ParsedList};
use crate::text::{clean, content_hash, error, month_name_date};
use crate::xml::{self, Element, Node};

pub const FORMAT: &str = "fr-xml";

/// Legal-form words that may follow a comma inside a company name.
const NAME_SUFFIXES: [&str; 22] = [
    "ltd",
    "limited",
    "inc",
    "llc",
    "l.l.c",
    "co",
    "corp",
    "corporation",
    "company",
    "s.a",
    "gmbh",
    "jsc",
    "pjsc",
    "ojsc",
    "cjsc",
    "llp",
    "plc",
    "b.v",
    "ag",
    "fze",
    "fzco",
    "s.a.s",
];

/// Abbreviations whose final period belongs to the name, not to the sentence.
const ABBREVIATIONS: [&str; 13] =
    ["Co", "Corp", "Inc", "Ltd", "Bhd", "Pte", "Pvt", "Jr", "Sr", "St", "Ltda", "Cia", "No"];

pub fn parse(file: &str, bytes: &[u8]) -> Result<ParsedList, ParseError> {
    let root = xml::parse(file, bytes)?;
    let mut rules = Vec::new();
    if root.name == "RULE" {
        rules.push(&root);
    } else {
        root.descendants_named("RULE", &mut rules);
    }
    if rules.is_empty() {
        return Err(error(file, root.line, &root.name, "no `RULE` element: not a Federal Register rule document"));
    }
    let mut entries = Entries::new(file, "ENT");
    let mut published: Option<String> = None;
    let mut tables = 0;
    for rule in rules {
        let rule_facts = RuleFacts { document: document_number(file, rule)?, effective: effective_date(file, rule)? };
        published = published.max(Some(rule_facts.effective.clone()));
        let mut gpo_tables = Vec::new();
        rule.descendants_named("GPOTABLE", &mut gpo_tables);
        for table in gpo_tables.into_iter().filter(|t| is_entity_list_table(t)) {
            tables += 1;
            read_table(file, table, &rule_facts, &mut entries)?;
        }
    }
    if tables == 0 {
        return Err(error(
            file,
            root.line,
            "GPOTABLE",
            "no Entity List table (columns Country, Entity, License requirement, License review policy, Federal Register citation)",
        ));
    }
    Ok(entries.finish(FORMAT, published, content_hash(&[bytes])))
}

#[derive(Debug)]
struct RuleFacts {
    document: String,
    effective: String,
}

/// `[FR Doc. 2023-03929 Filed 2-24-23; 8:45 am]` → `2023-03929`.
fn document_number(file: &str, rule: &Element) -> Result<String, ParseError> {
    let element =
        rule.child("FRDOC").ok_or_else(|| error(file, rule.line, "FRDOC", "the rule has no FR document number"))?;
    let text = element.text().unwrap_or_default();
    text.split_once("FR Doc.")
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .map(str::to_owned)
        .ok_or_else(|| error(file, element.line, "FRDOC", format!("no document number in `{text}`")))
}

/// `This rule is effective February 24, 2023.` → `2023-02-24`.
fn effective_date(file: &str, rule: &Element) -> Result<String, ParseError> {
    let mut found = Vec::new();
    rule.descendants_named("EFFDATE", &mut found);
    let element =
        found.first().ok_or_else(|| error(file, rule.line, "EFFDATE", "the rule states no effective date"))?;
    let text = element.text().unwrap_or_default();
    text.split("effective")
        .skip(1)
        .find_map(|after| month_name_date(after.trim_start_matches([' ', ':'])))
        .ok_or_else(|| error(file, element.line, "EFFDATE", format!("no effective date in `{text}`")))
}

/// A cell: its own text and its `<LI>` items, each rendered to one line.
#[derive(Debug, Default)]
struct Cell {
    head: String,
    items: Vec<String>,
}

impl Cell {
    fn of(element: &Element) -> Cell {
        let mut raw = Cell::default();
        render(element, &mut raw.head, &mut raw.items);
        Cell { head: clean(&raw.head).unwrap_or_default(), items: raw.items.iter().filter_map(|i| clean(i)).collect() }
    }

    /// Empty, or only the asterisks the FR prints for elided rows.
    fn is_blank(&self) -> bool {
        let stars = |t: &str| t.chars().all(|c| c == '*' || c.is_whitespace());
        stars(&self.head) && self.items.iter().all(|i| stars(i))
    }

    fn full_text(&self) -> Option<String> {
        clean(
            &[self.head.as_str()]
                .into_iter()
                .chain(self.items.iter().map(String::as_str))
                .collect::<Vec<_>>()
                .join(" "),
        )
    }
}

fn render(element: &Element, head: &mut String, items: &mut Vec<String>) {
    for node in &element.children {
        match node {
            Node::Text(text) => head.push_str(text),
            Node::Element(child) if child.name == "LI" => {
                let mut item = String::new();
                render(child, &mut item, items);
                items.push(item);
            }
            // Footnote markers and ordinal suffixes attach to the word before them ("9th").
            Node::Element(child) if child.name == "SU" => {
                head.truncate(head.trim_end().len());
                head.push_str(&child.text().unwrap_or_default());
            }
            Node::Element(child) if child.name == "PRTPAGE" => {}
            Node::Element(child) => render(child, head, items),
        }
    }
}

fn cells(row: &Element) -> Vec<Cell> {
    row.children_named("ENT").map(Cell::of).collect()
}

fn is_entity_list_table(table: &Element) -> bool {
    let heading = |texts: Vec<String>| {
        texts.first().is_some_and(|t| t.eq_ignore_ascii_case("country"))
            && texts.get(1).is_some_and(|t| t.eq_ignore_ascii_case("entity"))
    };
    let boxhead = table.child("BOXHD").map(|b| b.children_text("CHED")).unwrap_or_default();
    heading(boxhead)
        || table.children_named("ROW").any(|row| heading(cells(row).iter().map(|c| c.head.clone()).collect()))
}

fn read_table(file: &str, table: &Element, rule: &RuleFacts, entries: &mut Entries<'_>) -> Result<(), ParseError> {
    let list = ListCode::new(ListCode::ENTITY_LIST);
    let mut country: Option<String> = None;
    let mut current: Option<String> = None;
    for row in table.children_named("ROW") {
        let cells = cells(row);
        let filled = |i: usize| cells.get(i).filter(|c| !c.is_blank());
        if let Some(first) = filled(0) {
            if first.head.eq_ignore_ascii_case("country") {
                continue;
            }
            country = Some(first.head.clone());
            current = None;
        }
        let Some(entity) = filled(1) else {
            continue;
        };
        let license = (2..5).any(|i| filled(i).is_some());
        if !license {
            let entry = current.as_ref().and_then(|id| entries.get_mut(&list, id)).ok_or_else(|| {
                error(file, row.line, "ENT", "a row continues an entry, but no entry precedes it in this country")
            })?;
            // Every text of a continuation row is an alias or an address.
            add_details(entry, [entity.head.clone()].into_iter().chain(entity.items.iter().cloned()).collect());
            continue;
        }
        let country_name =
            country.as_deref().ok_or_else(|| error(file, row.line, "ENT", "an entry comes before any country row"))?;
        let (name, details) = split_entity_cell(file, row.line, entity)?;
        let country_key = normalize(country_name).unwrap_or_default();
        let id = derived_id(&[&rule.document, &country_key, &name]);
        let mut entry = ListEntry::start(list.clone(), id.clone(), EntityKind::Unknown, &name, row.line);
        entry.add_country(country_name);
        for (index, key) in [(2, "license_requirement"), (3, "license_policy"), (4, "federal_register_notice")] {
            entry.add_legal(key, filled(index).and_then(Cell::full_text));
        }
        entry.add_legal("fr_document", Some(rule.document.clone()));
        entry.add_legal("effective_date", Some(rule.effective.clone()));
        add_details(&mut entry, details);
        entries.insert_unique(entry)?;
        current = Some(id);
    }
    Ok(())
}

/// The name in an entity cell and the texts after it (alias and address items). The name is the
/// text before `a.k.a.`, or the whole text when aliases and addresses are separate items, or (with
/// neither) the name part of a "Name, address." sentence, whose address part is then the one text.
fn split_entity_cell(file: &str, line: u64, cell: &Cell) -> Result<(String, Vec<String>), ParseError> {
    let (name, details) = match cell.head.to_ascii_lowercase().find("a.k.a.") {
        Some(_) if !cell.items.iter().any(|i| is_alias(i)) => {
            return Err(error(
                file,
                line,
                "ENT",
                "the entity has `a.k.a.` but no list of aliases; cannot tell aliases from the address",
            ));
        }
        Some(at) => (cell.head[..at].to_owned(), cell.items.clone()),
        None if !cell.items.is_empty() => (cell.head.clone(), cell.items.clone()),
        None => {
            let (name, address) = split_name_and_address(&cell.head);
            (name, address.into_iter().collect())
        }
    };
    let name = clean(name.trim_end_matches([',', ';', ' ']))
        .ok_or_else(|| error(file, line, "ENT", "the entity cell has no name"))?;
    Ok((name, details))
}

/// Splits "Name Co., Ltd., 5 Road, City, Country." at the first comma not followed by a legal-form
/// suffix.
fn split_name_and_address(text: &str) -> (String, Option<String>) {
    let pieces: Vec<&str> = text.split(", ").collect();
    let is_suffix = |piece: &str| NAME_SUFFIXES.contains(&piece.trim_end_matches('.').to_lowercase().as_str());
    let name_len = 1 + pieces.iter().skip(1).take_while(|p| is_suffix(p)).count();
    let address = clean(&pieces[name_len..].join(", "));
    (pieces[..name_len].join(", "), address)
}

/// Adds alias and address texts to the entry; addresses lie in the entry's country.
fn add_details(entry: &mut ListEntry, texts: Vec<String>) {
    let country = entry.countries.first().cloned();
    for text in texts {
        if is_alias(&text) {
            if let Some(alias) = alias_text(&text) {
                entry.add_name(&alias, NameStrength::Strong, Some("a.k.a."));
            }
            continue;
        }
        let (found, note) = addresses(&text);
        for address in found {
            entry.add_address(Address { text: address, city: None, country: country.clone() });
        }
        if let Some(note) = note {
            entry.add_remark(&note);
        }
    }
}

fn is_alias(item: &str) -> bool {
    item.starts_with(['—', '–', '-'])
}

/// `—Beijing Ti-Tech; and` → `Beijing Ti-Tech`; a final period is dropped unless it ends an
/// abbreviation (`S.A.`, `Corp.`).
fn alias_text(item: &str) -> Option<String> {
    let text = item.trim_start_matches(['—', '–', '-', ' ']);
    let text = text.strip_suffix(" and").unwrap_or(text).trim_end_matches([';', ',', ' ']);
    let text = match text.strip_suffix('.') {
        Some(stem) => {
            let last_word = stem.rsplit(' ').next().unwrap_or(stem);
            if last_word.contains('.') || ABBREVIATIONS.contains(&last_word) { text } else { stem }
        }
        None => text,
    };
    clean(text)
}

/// Addresses separated by `; and`, the sentence's final period taken off, and any "(See alternate
/// address under …)" note apart.
fn addresses(text: &str) -> (Vec<String>, Option<String>) {
    let (body, note) = match text.find("(See ") {
        Some(at) => (&text[..at], text[at + 1..].split(')').next().and_then(clean)),
        None => (text, None),
    };
    let found = body
        .split(';')
        .filter_map(|piece| {
            let piece = piece.trim();
            clean(piece.strip_prefix("and ").unwrap_or(piece).trim_end_matches(['.', ' ']))
        })
        .collect();
    (found, note)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleans_aliases() {
        assert_eq!(alias_text("—AOOK; and").as_deref(), Some("AOOK"));
        assert_eq!(alias_text("—AOOK Electronics.").as_deref(), Some("AOOK Electronics"));
        assert_eq!(alias_text("—Spacety Luxembourg S.A.").as_deref(), Some("Spacety Luxembourg S.A."));
        assert_eq!(
            alias_text("—Electronic's Network & Technology Corp.").as_deref(),
            Some("Electronic's Network & Technology Corp.")
        );
    }

    #[test]
    fn splits_addresses_and_notes() {
        let (found, note) = addresses(
            "9 Dengzhuang South Rd Beijing, Beijing China; and Room 445, Haidian District, Beijing China. \
             (See alternate address under Luxembourg).",
        );
        assert_eq!(
            found,
            ["9 Dengzhuang South Rd Beijing, Beijing China", "Room 445, Haidian District, Beijing China"]
        );
        assert_eq!(note.as_deref(), Some("See alternate address under Luxembourg"));
    }

    #[test]
    fn splits_a_name_from_its_address_after_legal_form_suffixes() {
        let (name, address) =
            split_name_and_address("Beijing Yunze Technology Co., Ltd., West of Floor 1, Beijing 100000 China.");
        assert_eq!(name, "Beijing Yunze Technology Co., Ltd.");
        assert_eq!(address.as_deref(), Some("West of Floor 1, Beijing 100000 China."));
    }
}
