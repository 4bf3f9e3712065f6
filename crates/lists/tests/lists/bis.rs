//! BIS Entity List in BIS's own 31-column CSV.

use chipwarden_lists::NameStrength;

use crate::{address_texts, by_id, names, parsed};

#[test]
fn rows_of_one_listing_become_one_entry() {
    let list = parsed("bis-el-csv", "bis_el_fixture.csv");
    // 18 rows: two addresses x three aliases of one listing, and so on.
    assert_eq!(list.entries.len(), 5);
    let farid = by_id(&list, "AF|Fazal Rahim Farid");
    assert_eq!((farid.list.0.as_str(), farid.source_line), ("EL", Some(2)));
    assert_eq!(names(farid, NameStrength::Strong), ["Fazel Rahim Farid", "Farid", "Engineer Idris"]);
    assert_eq!(
        address_texts(farid),
        [
            "Microrayan 3rd Apt. 45, block #21, Kabul, Afghanistan",
            "A2 Ground Floor, City Computer Plaza, Shar-e-Naw, Kabul, Afghanistan",
        ]
    );
    assert_eq!(farid.countries, ["AF"]);
    assert_eq!(farid.legal["license_requirement"], "For all items subject to the EAR. (See §744.11 of the EAR).");
    assert_eq!(farid.legal["license_policy"], "Presumption of denial.");
    assert_eq!(farid.legal["federal_register_notice"], "76 FR 71867");
    assert_eq!(farid.legal["effective_date"], "11/21/2011");
    assert_eq!(by_id(&list, "TR|Murat Peker").countries, ["TR"]);
}

#[test]
fn rows_that_disagree_keep_both_values() {
    let list = parsed("bis-el-csv", "bis_el_fixture.csv");
    let qazi = by_id(&list, "AF|Qazi Abdallah");
    assert_eq!(qazi.legal["federal_register_notice"], "76 FR 71867 | 76 FR 10001");
    assert_eq!(qazi.legal["title"], "Title 1 | Title 2");
}
