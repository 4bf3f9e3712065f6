//! Facts OFAC writes into the free-text remarks of its legacy files: weak aliases, dates of birth,
//! nationalities and identity documents.
//!
//! The remarks are `;`-separated items such as `DOB 12 Mar 1971; nationality Iran; Passport 484824
//! (Egypt); a.k.a. 'TARIQ'.`. The legacy CSV has no other place for weak aliases: OFAC moves them
//! out of alt.csv into the remarks, in single quotes (the XML marks the same names
//! `<category>weak</category>`). Items not recognised here stay only in the remarks text, which is
//! kept whole.

use crate::model::{ListEntry, NameStrength};

/// Identifier schemes as OFAC words them, longest first where one is a prefix of another.
const SCHEMES: &[&str] = &[
    "Aircraft Manufacturer's Serial Number (MSN)",
    "Aircraft Construction Number (also called L/N or S/N or F/N)",
    "Aircraft Tail Number",
    "Birth Certificate Number",
    "Business Registration Document #",
    "Business Registration Number",
    "C.R. No.",
    "C.U.I.T.",
    "C.U.R.P.",
    "Cartilla de Servicio Militar Nacional",
    "Cedula No.",
    "Certificate of Incorporation Number",
    "Chamber of Commerce Number",
    "Citizen's Card Number",
    "Commercial Registry Number",
    "Company Number",
    "Credencial electoral",
    "D-U-N-S Number",
    "D.N.I.",
    "Digital Currency Address - ",
    "Diplomatic Passport",
    "Driver's License No.",
    "Electoral Registry No.",
    "Email Address",
    "Enterprise Number",
    "Folio Mercantil No.",
    "Government Gazette Number",
    "I.F.E.",
    "Identification Number",
    "ISIN",
    "Italian Fiscal Code",
    "Kenyan ID No.",
    "Legal Entity Number",
    "Matricula Mercantil No",
    "MMSI",
    "National Foreign ID Number",
    "National ID No.",
    "NIT #",
    "Numero de Identidad",
    "Passport",
    "Personal ID Card",
    "Public Registration Number",
    "R.F.C.",
    "Registered Charity No.",
    "Registration ID",
    "Registration Number",
    "Residency Number",
    "RFC",
    "RIF #",
    "RUC #",
    "SSN",
    "SWIFT/BIC",
    "Tax ID No.",
    "Trade License No.",
    "Travel Document Number",
    "Turkish Identification Number",
    "UK Company Number",
    "Unified Social Credit Code (USCC)",
    "US FEIN",
    "V.A.T. Number",
    "Vessel Registration Identification",
    "Website",
];

/// Alias markers, in the order OFAC uses them.
const ALIAS_KINDS: [&str; 4] = ["a.k.a.", "f.k.a.", "n.k.a.", "d.b.a."];

/// Adds what the remarks say about the entry; the remarks text itself is set by the caller.
pub(crate) fn apply(entry: &mut ListEntry, remarks: &str) {
    for item in items(remarks) {
        let item = item.strip_prefix("alt. ").unwrap_or(&item);
        if let Some((kind, name)) = quoted_alias(item) {
            entry.add_name(name, NameStrength::Weak, Some(kind));
        } else if let Some(date) = item.strip_prefix("DOB ") {
            entry.add_date(date);
        } else if let Some(country) = item.strip_prefix("nationality ").or_else(|| item.strip_prefix("citizen ")) {
            entry.add_country(country);
        } else if let Some((scheme, rest)) = scheme_of(item) {
            let (value, country) = value_and_country(rest);
            entry.add_identifier(&scheme, value, country);
        }
    }
}

/// The `;`-separated items, the final period dropped. A `;` inside a quoted alias does not split.
fn items(remarks: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut inside_alias = false;
    for piece in remarks.split(';') {
        match out.last_mut() {
            Some(last) if inside_alias => {
                last.push(';');
                last.push_str(piece);
            }
            _ => out.push(piece.to_owned()),
        }
        inside_alias = out.last().is_some_and(|item| opens_alias(item));
    }
    let mut out: Vec<String> = out.iter().map(|item| item.trim().to_owned()).collect();
    if let Some(last) = out.last_mut()
        && last.ends_with('.')
    {
        last.pop();
    }
    out.retain(|item| !item.is_empty());
    out
}

/// An alias item whose closing quote has not come yet.
fn opens_alias(item: &str) -> bool {
    let item = item.trim();
    let item = item.strip_prefix("alt. ").unwrap_or(item);
    let Some(kind) = ALIAS_KINDS.into_iter().find(|k| item.starts_with(k)) else {
        return false;
    };
    let quoted = item[kind.len()..].trim_start();
    quoted.starts_with('\'') && (quoted.len() == 1 || !quoted.trim_end_matches('.').ends_with('\''))
}

fn quoted_alias(item: &str) -> Option<(&'static str, &str)> {
    let kind = ALIAS_KINDS.into_iter().find(|k| item.starts_with(k))?;
    let rest = item[kind.len()..].trim_start();
    let name = rest.strip_prefix('\'')?;
    let end = name.rfind('\'')?;
    Some((kind, &name[..end]))
}

fn scheme_of(item: &str) -> Option<(String, &str)> {
    SCHEMES.iter().find_map(|scheme| {
        let rest = item.strip_prefix(scheme)?;
        if scheme.ends_with(" - ") {
            // "Digital Currency Address - XBT 1abc": the currency belongs to the scheme.
            let (currency, value) = rest.split_once(' ')?;
            return Some((format!("{scheme}{currency}"), value));
        }
        rest.starts_with(' ').then(|| ((*scheme).to_owned(), rest.trim_start()))
    })
}

/// `484824 (Egypt) issued 18 Jan 1984` → (`484824`, Some(`Egypt`)).
fn value_and_country(rest: &str) -> (&str, Option<&str>) {
    match rest.split_once(" (") {
        Some((value, after)) => (value.trim(), after.split_once(')').map(|(country, _)| country.trim())),
        None => (rest.trim(), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{EntityKind, Identifier, ListCode};

    fn applied(remarks: &str) -> ListEntry {
        let mut entry = ListEntry::start(ListCode::new("SDN"), "1".into(), EntityKind::Person, "X", 1);
        apply(&mut entry, remarks);
        entry
    }

    #[test]
    fn reads_dates_nationality_documents_and_weak_aliases() {
        let e = applied(
            "DOB 12 Mar 1971; alt. DOB 1970; POB Riyadh, Saudi Arabia; nationality Palestinian; citizen Iran; \
             Passport 484824 (Egypt) issued 18 Jan 1984; a.k.a. 'TARIQ'; f.k.a. 'O'NEILL; SONS'.",
        );
        assert_eq!(e.dates, ["12 Mar 1971", "1970"]);
        assert_eq!(e.countries, ["Palestinian", "IR"]);
        assert_eq!(
            e.identifiers,
            [Identifier { scheme: "Passport".into(), value: "484824".into(), country: Some("EG".into()) }]
        );
        let weak: Vec<_> =
            e.names.iter().filter(|n| n.strength == NameStrength::Weak).map(|n| n.text.as_str()).collect();
        assert_eq!(weak, ["TARIQ", "O'NEILL; SONS"]);
    }

    #[test]
    fn currency_addresses_keep_the_currency_in_the_scheme() {
        let e = applied("Digital Currency Address - XBT 1DbShx4r8i2; Vessel Registration Identification IMO 9187629");
        let ids: Vec<_> = e.identifiers.iter().map(|i| (i.scheme.as_str(), i.value.as_str())).collect();
        assert_eq!(
            ids,
            [("Digital Currency Address - XBT", "1DbShx4r8i2"), ("Vessel Registration Identification", "IMO 9187629")]
        );
    }
}
