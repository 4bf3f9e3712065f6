//! Entity List additions from a Federal Register rule (FR 2023-03929).

use chipwarden_lists::{EntityKind, NameStrength};

use crate::{address_texts, by_id, names, parsed};

#[test]
fn every_table_row_becomes_an_entry() {
    let list = parsed("fr-xml", "fr_2023-03929.xml");
    assert_eq!((list.published.as_deref(), list.entries.len()), (Some("2023-02-24"), 13));
    let ids: Vec<&str> = list.entries.iter().map(|e| e.entry_id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "2023-03929|CA|CPUNTO Inc.",
            "2023-03929|CA|Electronic Network Inc.",
            "2023-03929|CN|AOOK Technology Ltd.",
            "2023-03929|CN|Beijing Ti-Tech Science and Technology Development Co.",
            "2023-03929|CN|Beijing Yunze Technology Co., Ltd.",
            "2023-03929|CN|China HEAD Aerospace Technology Co.",
            "2023-03929|CN|Spacety Co., Ltd.",
            "2023-03929|FR|China HEAD Aerospace Technology Co.",
            "2023-03929|LU|Spacety Co., Ltd.",
            "2023-03929|NL|China HEAD Aerospace Technology Co.",
            "2023-03929|RU|Dexias Industrial Products and Trade Limited Company",
            "2023-03929|RU|Innovation and Technologies LLC",
            "2023-03929|RU|Promtekhkomplekt JSC",
        ]
    );
    assert!(list.entries.iter().all(|e| e.list.0 == "EL" && e.kind == EntityKind::Unknown));
}

#[test]
fn an_entry_has_aliases_address_and_legal_payload() {
    let list = parsed("fr-xml", "fr_2023-03929.xml");
    let aook = by_id(&list, "2023-03929|CN|AOOK Technology Ltd.");
    assert_eq!(aook.source_line, Some(249));
    assert_eq!(names(aook, NameStrength::Strong), ["AOOK", "AOOK Electronics"]);
    assert_eq!(address_texts(aook), ["Rm 803 Chevalier Building 45-51 Chatham Rd S Tsim Sha Tsui Hong Kong, China"]);
    assert_eq!(aook.countries, ["CN"]);
    assert_eq!(
        aook.legal["license_requirement"],
        "For all items subject to the EAR. (See §§ 734.9(g),3 744.21(b), and 746.8(a)(3) of the EAR)"
    );
    assert_eq!(
        aook.legal["license_policy"],
        "Policy of denial for all items subject to the EAR apart from food and medicine designated as EAR99, which will be reviewed on a case-by-case basis. See §§ 746.8(b) and 744.21(e)"
    );
    assert_eq!(aook.legal["federal_register_notice"], "88 FR [INSERT FR PAGE NUMBER AND 2/27/2023].");
    assert_eq!(aook.legal["fr_document"], "2023-03929");
    assert_eq!(aook.legal["effective_date"], "2023-02-24");
}

#[test]
fn continuation_rows_and_several_addresses() {
    let list = parsed("fr-xml", "fr_2023-03929.xml");
    // The address of Electronic Network Inc. is in the next table row.
    let network = by_id(&list, "2023-03929|CA|Electronic Network Inc.");
    assert_eq!(address_texts(network), ["145 Montee De Liesse Ste 10 St. Laurent, Quebec H4T 1T9 Canada"]);
    assert_eq!(names(network, NameStrength::Strong).last(), Some(&"Electronic's Network & Technology Corp."));
    let head = by_id(&list, "2023-03929|CN|China HEAD Aerospace Technology Co.");
    assert_eq!(head.addresses.len(), 3);
    assert_eq!(
        head.addresses[1].text,
        "Room 01, floor 13, building 5, no. A2 courtyard, west 3rd ring r. Beijing, 10004-8, China"
    );
    assert_eq!(head.remarks.as_deref(), Some("See alternate address under France and Netherlands"));
    let yunze = by_id(&list, "2023-03929|CN|Beijing Yunze Technology Co., Ltd.");
    assert_eq!(yunze.addresses.len(), 3);
    let luxembourg = by_id(&list, "2023-03929|LU|Spacety Co., Ltd.");
    assert_eq!(luxembourg.addresses[0].country.as_deref(), Some("LU"));
    assert_eq!(
        names(luxembourg, NameStrength::Strong),
        ["Changsha Tianyi Space Science and Technology Research Institute", "Spacety", "Spacety Luxembourg S.A."]
    );
}
