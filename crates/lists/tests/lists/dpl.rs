//! BIS Denied Persons List (tab-separated).

use chipwarden_lists::EntityKind;

use crate::{address_texts, by_id, parsed};

#[test]
fn denied_parties_with_several_addresses_are_one_entry() {
    let list = parsed("dpl-tsv", "dpl_2022_subset.txt");
    // 31 rows, of which 4 are AIR FREIGHT LTD and 2 each ABDULAH AL NASSER, ADVANCED TECH
    // SOLUTIONS, ...: 21 listings.
    assert_eq!(list.entries.len(), 21);
    let freight = by_id(&list, "AIR FREIGHT LTD|2022-05-13");
    assert_eq!((freight.list.0.as_str(), freight.kind), ("DPL", EntityKind::Unknown));
    assert_eq!(freight.addresses.len(), 4);
    assert_eq!(freight.countries, ["IQ", "AE", "JO"]);
    assert_eq!(freight.legal["effective_date"], "05/13/2022");
    assert_eq!(freight.legal["expiration_date"], "11/09/2022");
    assert_eq!(freight.legal["standard_order"], "Y");
    assert!(freight.legal["fr_citation"].starts_with("80 F.R. 30435 5/28/15, "), "{}", freight.legal["fr_citation"]);
    assert_eq!(freight.source_line, Some(20));
}

#[test]
fn names_are_trimmed_and_countries_normalised() {
    let list = parsed("dpl-tsv", "dpl_2022_subset.txt");
    let ash = by_id(&list, "I. ASH|2003-06-19");
    assert_eq!(ash.names[0].text, "I. ASH");
    assert_eq!(
        address_texts(ash),
        [
            "UPON THE DATE OF THE ORDER INCARCERATED AT USM NO: 26265-177, FCI SEAGOVILLE, 2113 NORTH HIGHWAY 175, SEAGOVILLE, TX, 75159, US"
        ]
    );
    // BIS writes `PRC` for China in a few rows.
    assert_eq!(by_id(&list, "JOHNSON HU|2016-02-03").countries, ["CN"]);
}
