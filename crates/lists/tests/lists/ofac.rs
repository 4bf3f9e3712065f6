//! OFAC legacy CSV (SDN and non-SDN, parts joined) and OFAC XML on real excerpts.

use chipwarden_lists::{EntityKind, Identifier, NameStrength, ofac_csv, ofac_xml, parse_file};

use crate::{address_texts, by_id, names, parsed, read, sdn_2021};

#[test]
fn sdn_csv_parts_are_joined_by_entry_number() {
    let list = ofac_csv::parse(&sdn_2021().parts()).expect("parses");
    assert_eq!((list.format.as_str(), list.published.as_deref(), list.entries.len()), ("ofac-csv", None, 20));
    assert_eq!(list.content_hash, "dc120c742fd4b16764f1bc0bd2d9fc185267fc466fe1c912792b7eb362822c3c");
    assert!(list.entries.iter().all(|e| e.list.0 == "SDN"));

    let bank = by_id(&list, "306");
    assert_eq!((bank.kind, bank.source_line), (EntityKind::Organization, Some(3)));
    assert_eq!(names(bank, NameStrength::Primary), ["BANCO NACIONAL DE CUBA"]);
    assert_eq!(names(bank, NameStrength::Strong), ["NATIONAL BANK OF CUBA"]);
    // OFAC keeps weak aliases in the remarks of the legacy files.
    assert_eq!(names(bank, NameStrength::Weak), ["BNC"]);
    assert_eq!(
        address_texts(bank),
        [
            "Zweierstrasse 35, Zurich CH-8022, Switzerland",
            "Avenida de Concha Espina 8, Madrid E-28036, Spain",
            "Dai-Ichi Bldg. 6th Floor, 10-2 Nihombashi, 2-chome, Chuo-ku, Tokyo 103, Japan",
            "Federico Boyd Avenue & 51 Street, Panama City, Panama",
        ]
    );
    assert_eq!(bank.addresses[0].city.as_deref(), Some("Zurich CH-8022"));
    assert_eq!(bank.countries, ["CH", "ES", "JP", "PA"]);
    assert_eq!(bank.programs, ["CUBA"]);
    assert_eq!(bank.remarks.as_deref(), Some("a.k.a. 'BNC'."));
}

#[test]
fn remarks_give_dates_nationalities_and_documents() {
    let list = ofac_csv::parse(&sdn_2021().parts()).expect("parses");
    let person = by_id(&list, "6905");
    assert_eq!(person.kind, EntityKind::Person);
    assert_eq!(person.dates, ["12 Mar 1971"]);
    assert_eq!(person.countries, ["Palestinian"]);
    assert_eq!(
        person.identifiers,
        [Identifier { scheme: "Passport".into(), value: "484824".into(), country: Some("EG".into()) }]
    );
    assert_eq!(person.programs, ["SDGT"]);
    assert_eq!(names(person, NameStrength::Strong).len(), 6);
    assert_eq!(names(person, NameStrength::Weak), ["TARIQ"]);

    let several = by_id(&list, "24470");
    assert_eq!(several.programs, ["SDGT", "IRGC", "IFSR"]);
    assert_eq!(names(several, NameStrength::Weak), ["BAGHERI, Mahmud", "BAGHERI, Mahmoud"]);
}

#[test]
fn remarks_continue_in_the_comments_file() {
    let list = ofac_csv::parse(&sdn_2021().parts()).expect("parses");
    // sdn.csv cuts the remarks at 1,000 characters mid-word ("PROMO RAI") and sdn_comments.csv
    // continues them ("Z S.A.S.; ...").
    let remarks = by_id(&list, "12300").remarks.as_deref().expect("remarks");
    assert!(remarks.contains("Linked To: PROMO RAIZ S.A.S.; Linked To: RED MUNDIAL"), "{remarks}");
    assert!(remarks.ends_with("Linked To: R D I S.A."), "{remarks}");
    // Here the cut falls inside a weak alias: 'snowsjo' + 'hn'.
    let hacker = by_id(&list, "28263");
    assert_eq!(names(hacker, NameStrength::Weak), ["tianyinyin0404", "snowsjohn"]);
    assert!(hacker.identifiers.contains(&Identifier {
        scheme: "Identification Number".into(),
        value: "321284198607120616".into(),
        country: Some("CN".into())
    }));
}

#[test]
fn vessels_and_aircraft_keep_their_details() {
    let list = ofac_csv::parse(&sdn_2021().parts()).expect("parses");
    let vessel = by_id(&list, "15036");
    assert_eq!(vessel.kind, EntityKind::Vessel);
    assert_eq!(vessel.legal["vessel_type"], "Crude/Oil Products Tanker");
    assert_eq!(vessel.legal["gross_registered_tonnage"], "56,068");
    assert_eq!(vessel.legal["vessel_flag"], "Iran");
    assert_eq!(vessel.countries, ["IR"]);
    let ids: Vec<(&str, &str)> = vessel.identifiers.iter().map(|i| (i.scheme.as_str(), i.value.as_str())).collect();
    assert_eq!(
        ids,
        [("Call Sign", "T2EU4"), ("Vessel Registration Identification", "IMO 9187629"), ("MMSI", "572469210")]
    );
    assert_eq!(names(vessel, NameStrength::Strong), ["ABADAN", "SHONA"]);
    assert_eq!(
        vessel.names.iter().find(|n| n.text == "ALPHA").map(|n| (n.strength, n.kind.as_deref())),
        Some((NameStrength::Weak, Some("f.k.a.")))
    );
    assert_eq!(by_id(&list, "15431").kind, EntityKind::Aircraft);
    let renamed = by_id(&list, "8244");
    let kinds: Vec<_> = renamed.names.iter().skip(1).map(|n| n.kind.as_deref().unwrap_or_default()).collect();
    assert_eq!(kinds, ["a.k.a.", "a.k.a.", "n.k.a.", "n.k.a.", "a.k.a.", "a.k.a.", "n.k.a."]);
}

#[test]
fn the_primary_file_alone_parses_through_parse_file() {
    let list = parse_file("ofac-csv", "sdn.csv", &read("ofac_sdn_2021/sdn.csv")).expect("parses");
    assert_eq!(list.entries.len(), 20);
    assert!(list.entries.iter().all(|e| e.addresses.is_empty()));
    // Without the comments file the cut alias stays cut: the parts belong together.
    assert_eq!(names(by_id(&list, "28263"), NameStrength::Weak), ["tianyinyin0404"]);
}

#[test]
fn the_non_sdn_consolidated_list_uses_the_same_layout() {
    let names_ = ["cons_prim.csv", "cons_add.csv", "cons_alt.csv", "cons_comments.csv"];
    let files = crate::OfacFiles { names: names_, bytes: names_.map(|n| Some(read(&format!("ofac_nonsdn/{n}")))) };
    let list = ofac_csv::parse(&files.parts()).expect("parses");
    assert_eq!(list.entries.len(), 10);
    assert!(list.entries.iter().all(|e| e.list.0 == "NONSDN"));
    let haniya = by_id(&list, "9639");
    assert_eq!((haniya.kind, haniya.programs.as_slice()), (EntityKind::Person, ["NS-PLC".to_owned()].as_slice()));
    assert_eq!(names(haniya, NameStrength::Primary), ["HANIYA, Ismail Abdul Salah"]);
    assert_eq!(haniya.dates, ["1962"]);
    let bank = by_id(&list, "17016");
    assert_eq!(names(bank, NameStrength::Primary), ["GAZPROMBANK JOINT STOCK COMPANY"]);
    assert!(bank.remarks.as_deref().is_some_and(|r| r.len() > 1000), "remarks joined with their continuation");
}

#[test]
fn sdn_xml_maps_every_list_of_an_entry() {
    let list = parsed("ofac-xml", "ofac_sdn_fixture.xml");
    assert_eq!((list.published.as_deref(), list.entries.len()), (Some("2014-07-16"), 4));
    let bank = by_id(&list, "306");
    assert_eq!(names(bank, NameStrength::Weak), ["BNC"]);
    assert_eq!(names(bank, NameStrength::Strong), ["NATIONAL BANK OF CUBA"]);
    assert_eq!(bank.source_line, Some(7));
    assert_eq!(bank.addresses[0].text, "Zweierstrasse 35, Zurich, CH-8022, Switzerland");

    let person = by_id(&list, "6982");
    assert_eq!(names(person, NameStrength::Primary), ["JIM'ALE, Ahmed Nur Ali"]);
    assert_eq!(person.dates, ["20 May 1954", "circa 1954"]);
    assert_eq!(person.countries, ["AE", "SO", "DJ"]);
    assert_eq!(
        person.identifiers,
        [Identifier { scheme: "Passport".into(), value: "A0181988".into(), country: Some("SO".into()) }]
    );
    assert_eq!(person.remarks.as_deref(), Some("Additional Djiboutian passport issued in 2010."));

    let vessel = by_id(&list, "11043");
    assert_eq!((vessel.kind, vessel.legal["vessel_owner"].as_str()), (EntityKind::Vessel, "IRISL"));
    assert_eq!(by_id(&list, "521").legal["title"], "Executive Director, Havana International Bank");
}

#[test]
fn consolidated_xml_is_the_non_sdn_list() {
    let list = ofac_xml::parse("consolidated.xml", &read("ofac_consolidated_fixture.xml")).expect("parses");
    assert_eq!((list.published.as_deref(), list.entries.len()), (Some("2014-12-17"), 16));
    assert!(list.entries.iter().all(|e| e.list.0 == "NONSDN"));
    // The consolidated file writes `nspType`, not `sdnType`.
    assert_eq!(by_id(&list, "9639").kind, EntityKind::Person);
    assert_eq!(ofac_csv::list_code_for("sdn.xml").0, "SDN");
}
