//! trade.gov Consolidated Screening List: the current and 2019 CSV schemas and the JSON form.

use std::collections::BTreeMap;

use chipwarden_lists::{EntityKind, Identifier, ListEntry, NameStrength, csl_json};

use crate::{address_texts, by_id, names, parsed, read};

#[test]
fn current_schema_maps_sources_to_list_codes() {
    let list = parsed("csl-csv", "csl_2025_sample.csv");
    assert_eq!(list.entries.len(), 13);
    let mut codes: Vec<&str> = list.entries.iter().map(|e| e.list.0.as_str()).collect();
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes, ["DPL", "DTC", "EL", "ISN", "MEU", "NONSDN", "SDN", "UVL"]);
}

#[test]
fn an_entity_list_record_keeps_its_legal_payload() {
    let list = parsed("csl-csv", "csl_2025_sample.csv");
    let el = by_id(&list, "99ed1b052fdb09695fae1ba87516d8a0882b0df04652e07aeb5ce7be");
    assert_eq!((el.list.0.as_str(), el.kind), ("EL", EntityKind::Unknown));
    assert_eq!(
        names(el, NameStrength::Primary),
        ["China Electronics Technology Group Corporation 13th Research Institute (CETC 13)"]
    );
    assert_eq!(
        names(el, NameStrength::Strong),
        [
            "Hebei Semiconductor Research Institute",
            "HSRI",
            "Hebei Institute of Semiconductors",
            "Hebei Semiconductor Institute",
            "Hebei Semiconductor",
            "CETC Research Institute 13",
        ]
    );
    assert_eq!(
        el.legal["license_requirement"],
        "For all items subject to the EAR. (See §§ 734.9(g),3 746.8(a)(3), and 744.21(b) of the EAR)"
    );
    assert_eq!(
        el.legal["license_policy"],
        "Policy of denial for all items subject to the EAR apart from food and medicine designated as EAR99, which will be reviewed on a case-by-case basis. See §§ 746.8(b) and 744.21(e)."
    );
    assert_eq!(el.legal["federal_register_notice"], "83 FR 37423; 87 FR 77505");
    assert_eq!(el.legal["start_date"], "2018-08-01");
    assert_eq!(el.legal["source"], "Entity List (EL) - Bureau of Industry and Security");
    assert_eq!(el.addresses.len(), 3);
    assert_eq!(address_texts(el)[1], "21 Changsheng Street, Shijiazhuang, Hebei, China");
    assert_eq!(el.countries, ["CN"]);
}

#[test]
fn an_sdn_record_has_its_documents_and_dates() {
    let list = parsed("csl-csv", "csl_2025_sample.csv");
    let person = by_id(&list, "52291");
    assert_eq!((person.list.0.as_str(), person.kind), ("SDN", EntityKind::Person));
    assert_eq!(person.dates, ["1978-12-05"]);
    assert_eq!(person.countries, ["KP", "CN"]);
    assert_eq!(
        person.identifiers[0],
        Identifier { scheme: "Passport".into(), value: "836238033".into(), country: Some("KP".into()) }
    );
    assert_eq!(person.programs, ["NPWMD"]);
    let meu = list.entries.iter().find(|e| e.list.0 == "MEU").expect("an MEU entry");
    assert_eq!(meu.legal["federal_register_notice"], "85 FR 83799");
}

#[test]
fn the_2019_schema_derives_ids_and_merges_split_listings() {
    let list = parsed("csl-csv", "csl_2019_sample.csv");
    // 115 rows; AL NASER WINGS AIRLINES (DPL) and Gunther Migeotte (EL, 2010-06-28) each span two.
    assert_eq!(list.entries.len(), 113);
    let airline = by_id(&list, "AL NASER WINGS AIRLINES|2019-06-05");
    assert_eq!(airline.addresses.len(), 3);
    assert_eq!(airline.countries, ["IQ", "AE"]);
    let sdn = by_id(&list, "20264");
    assert_eq!(
        sdn.identifiers,
        [Identifier { scheme: "Tax ID No.".into(), value: "80-0890696".into(), country: Some("US".into()) }]
    );
    let el = by_id(&list, "32 Group China Ltd.|2015-11-12");
    assert_eq!(
        (el.legal["license_policy"].as_str(), el.countries.as_slice()),
        ("Presumption of denial.", ["HK".to_owned()].as_slice())
    );
}

/// The Entity List record whose CSV address cell joins three addresses with "; and", of which
/// only the last ends in a country code.
const JOINED_ADDRESSES: &str = "99ed1b052fdb09695fae1ba87516d8a0882b0df04652e07aeb5ce7be";

/// Entries by id, without their line (which differs between the files) and, for the record
/// above, without addresses: the JSON sample was converted from the CSV mechanically, so its
/// address objects keep the CSV's "and " joiners and lack the codes the CSV parser infers.
fn comparable(entries: &[ListEntry]) -> BTreeMap<String, ListEntry> {
    entries
        .iter()
        .map(|e| {
            let addresses = if e.entry_id == JOINED_ADDRESSES { Vec::new() } else { e.addresses.clone() };
            let countries = if e.entry_id == JOINED_ADDRESSES { Vec::new() } else { e.countries.clone() };
            (e.entry_id.clone(), ListEntry { source_line: None, addresses, countries, ..e.clone() })
        })
        .collect()
}

#[test]
fn json_gives_the_same_entries_as_the_csv() {
    let csv = parsed("csl-csv", "csl_2025_sample.csv");
    let json = parsed("csl-json", "csl_2025_sample.json");
    assert_eq!(json.format, "csl-json");
    assert_eq!(comparable(&json.entries), comparable(&csv.entries));
    assert_eq!(
        by_id(&json, JOINED_ADDRESSES).addresses[1].text,
        "and 21 Changsheng Street, Shijiazhuang, Hebei, China"
    );
    // Lines point at the record's opening brace.
    assert_eq!(by_id(&json, "1b5979e8fd3920a1a0985bf5088dad930a6a5562d1513f9e4b015e42").source_line, Some(38));
}

#[test]
fn json_may_be_a_bare_array() {
    let document: serde_json::Value = serde_json::from_slice(&read("csl_2025_sample.json")).expect("json");
    let bare = serde_json::to_vec_pretty(&document["results"]).expect("serialise");
    let list = csl_json::parse("bare.json", &bare).expect("parses");
    assert_eq!(list.entries.len(), 13);
}
