//! The full real files in the shared data directory, with the record counts SOURCES.md gives.
//! Skipped, with a note, where the directory is absent: the tests must pass without it.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use chipwarden_lists::{EntityKind, OfacCsvParts, ParsedList, Part, detect_format, ofac_csv, parse_file};

const SHARED: &str = "/work/shared/data/lists";

/// The shared directory, or `None` with a note on stderr.
fn shared(test: &str) -> Option<PathBuf> {
    let dir = Path::new(SHARED);
    if dir.is_dir() {
        return Some(dir.to_owned());
    }
    #[allow(clippy::print_stderr, reason = "the note is the point: say why the test checked nothing")]
    {
        eprintln!("{test}: skipped, {SHARED} is not present");
    }
    None
}

fn read(dir: &Path, name: &str) -> Vec<u8> {
    fs::read(dir.join(name)).unwrap_or_else(|e| panic!("read {name}: {e}"))
}

fn kinds(list: &ParsedList) -> BTreeMap<EntityKind, usize> {
    list.entries.iter().fold(BTreeMap::new(), |mut counts, e| {
        *counts.entry(e.kind).or_default() += 1;
        counts
    })
}

/// The primary, address, alias and comment files of `folder`, each used where present.
fn ofac_publication(dir: &Path, folder: &str, primary: &str, add: &str, alt: &str, comments: &str) -> ParsedList {
    let names = [primary, add, alt, comments];
    let bytes = names.map(|name| fs::read(dir.join(folder).join(name)).ok());
    let part = |i: usize| bytes[i].as_deref().map(|b| Part { file: names[i], bytes: b });
    let parts = OfacCsvParts {
        primary: part(0).expect("primary file"),
        addresses: part(1),
        aliases: part(2),
        comments: part(3),
    };
    ofac_csv::parse(&parts).unwrap_or_else(|e| panic!("{folder}: {e}"))
}

#[test]
fn ofac_sdn_2021_and_2019() {
    let Some(dir) = shared("ofac_sdn_2021_and_2019") else {
        return;
    };
    let list = ofac_publication(&dir, "ofac_sdn_2021", "sdn.csv", "add.csv", "alt.csv", "sdn_comments.csv");
    assert_eq!(list.entries.len(), 8_976);
    let expected = [
        (EntityKind::Person, 4_620),
        (EntityKind::Organization, 3_673),
        (EntityKind::Vessel, 406),
        (EntityKind::Aircraft, 277),
    ];
    assert_eq!(kinds(&list), expected.into_iter().collect());
    assert_eq!(
        list.entries.iter().map(|e| e.addresses.len()).sum::<usize>(),
        11_440,
        "13,837 rows less 2,397 all `-0-`"
    );

    let list = ofac_publication(&dir, "ofac_sdn_2019", "sdn.csv", "add.csv", "alt.csv", "sdn_comments.csv");
    assert_eq!(list.entries.len(), 7_379);
    let expected = [
        (EntityKind::Person, 3_845),
        (EntityKind::Organization, 2_994),
        (EntityKind::Vessel, 323),
        (EntityKind::Aircraft, 217),
    ];
    assert_eq!(kinds(&list), expected.into_iter().collect());
}

#[test]
fn ofac_non_sdn_consolidated() {
    let Some(dir) = shared("ofac_non_sdn_consolidated") else {
        return;
    };
    let list = ofac_publication(
        &dir,
        "ofac_nonsdn_consolidated",
        "cons_prim.csv",
        "cons_add.csv",
        "cons_alt.csv",
        "cons_comments.csv",
    );
    assert_eq!(list.entries.len(), 442);
    assert_eq!(kinds(&list)[&EntityKind::Person], 79);
    assert!(list.entries.iter().all(|e| e.list.0 == "NONSDN"));
}

#[test]
fn ofac_parts_of_different_publications_are_refused() {
    let Some(dir) = shared("ofac_parts_of_different_publications_are_refused") else {
        return;
    };
    // Watchman paired the 2019 sdn.csv with a 2024 add.csv; entries added since 2019 have no home.
    let sdn = read(&dir, "ofac_sdn_2019/sdn.csv");
    let add = read(&dir, "ofac_2024_static/add.csv");
    let parts = OfacCsvParts {
        addresses: Some(Part { file: "add.csv", bytes: &add }),
        ..OfacCsvParts::primary_only("sdn.csv", &sdn)
    };
    let err = ofac_csv::parse(&parts).expect_err("mismatched publications");
    assert_eq!((err.file.as_str(), err.field.as_deref()), ("add.csv", Some("ent_num")));
    assert!(err.message.contains("different publications"), "{err}");
}

/// A single file from the shared directory, detected and parsed.
fn single(dir: &Path, name: &str) -> ParsedList {
    let bytes = read(dir, name);
    let format = detect_format(name, &bytes).unwrap_or_else(|| panic!("{name}: format not detected"));
    parse_file(format, name, &bytes).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn un_consolidated_list() {
    let Some(dir) = shared("un_consolidated_list") else {
        return;
    };
    let list = single(&dir, "un/UN_consolidated_2026-02-27.xml");
    assert_eq!(list.published.as_deref(), Some("2026-02-27"));
    assert_eq!(kinds(&list), [(EntityKind::Person, 730), (EntityKind::Organization, 273)].into_iter().collect());
    let original_script =
        list.entries.iter().filter(|e| e.names.iter().any(|n| n.kind.as_deref() == Some("original script"))).count();
    // 378 entries have NAME_ORIGINAL_SCRIPT; for QDe.164 it repeats the primary name.
    assert_eq!(original_script, 377);
}

#[test]
fn denied_persons_lists() {
    let Some(dir) = shared("denied_persons_lists") else {
        return;
    };
    // 581 rows in 2022 and 546 in 2019, one per address: 461 and 417 denied parties, with 579
    // and 543 distinct addresses (a few rows are exact repeats).
    for (name, entries, addresses) in [("bis_dpl/dpl_2022.txt", 461, 579), ("bis_dpl/dpl_2019.txt", 417, 543)] {
        let list = single(&dir, name);
        assert_eq!(list.entries.len(), entries, "{name}");
        assert_eq!(list.entries.iter().map(|e| e.addresses.len()).sum::<usize>(), addresses, "{name}");
    }
}

#[test]
fn the_other_shared_files() {
    let Some(dir) = shared("the_other_shared_files") else {
        return;
    };
    for (name, entries) in [
        ("federal_register/FR_2023-03929_entity_list_additions.xml", 13),
        ("trade_csl/consolidated_2025_sample.csv", 13),
        ("trade_csl/csl_2019_sample.csv", 113),
        ("govwizely_fixtures/fixture_sdn.xml", 4),
        ("govwizely_fixtures/fixture_treasury_consolidated.xml", 16),
        ("govwizely_fixtures/fixture_el.csv", 5),
    ] {
        assert_eq!(single(&dir, name).entries.len(), entries, "{name}");
    }
}
