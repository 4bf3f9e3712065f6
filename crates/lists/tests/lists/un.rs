//! UN Security Council Consolidated List XML.

use chipwarden_lists::{EntityKind, Identifier, NameStrength};

use crate::{by_id, names, parsed};

#[test]
fn an_individual_has_an_original_script_name() {
    let list = parsed("un-xml", "un_consolidated_subset.xml");
    assert_eq!((list.published.as_deref(), list.entries.len()), (Some("2026-02-27"), 10));
    let saddam = by_id(&list, "IQi.001");
    assert_eq!((saddam.list.0.as_str(), saddam.kind, saddam.source_line), ("UN", EntityKind::Person, Some(158)));
    assert_eq!(names(saddam, NameStrength::Primary), ["SADDAM HUSSEIN AL-TIKRITI"]);
    let original = &saddam.names[1];
    assert_eq!(
        (original.text.as_str(), original.strength, original.kind.as_deref()),
        ("صدام حسين التكريتي", NameStrength::Strong, Some("original script"))
    );
    assert_eq!(names(saddam, NameStrength::Weak), ["Abu Ali"]);
    assert_eq!(saddam.dates, ["1937-04-28"]);
    assert_eq!(saddam.countries, ["IQ"]);
    assert_eq!(saddam.programs, ["Iraq"]);
    assert_eq!(saddam.legal["listed_on"], "2003-06-27");
    assert_eq!(saddam.legal["place_of_birth"], "al-Awja, near Tikrit, Iraq");
    assert_eq!(saddam.legal["reference_number"], "IQi.001");
    assert_eq!(saddam.legal["un_list_type"], "Iraq");
}

#[test]
fn alias_quality_sets_strength() {
    let list = parsed("un-xml", "un_consolidated_subset.xml");
    let gaston = by_id(&list, "CDi.003");
    assert_eq!(names(gaston, NameStrength::Weak), ["Rumuli"]);
    assert_eq!(names(gaston, NameStrength::Strong), ["Byiringiro Victor Rumuli", "Victor Rumuri", "Michel Byiringiro"]);
    assert_eq!(gaston.dates, ["1948"]);
    // Entities mark some aliases `a.k.a.` or `f.k.a.` instead of Good or Low.
    let adf = by_id(&list, "CDe.001");
    assert_eq!(adf.kind, EntityKind::Organization);
    let kinds: Vec<_> = adf.names.iter().skip(1).map(|n| (n.text.as_str(), n.kind.as_deref())).collect();
    assert_eq!(kinds[0], ("Allied Democratic Forces", Some("a.k.a.")));
    assert_eq!(kinds[2], ("ADF/NALU", Some("f.k.a.")));
}

#[test]
fn documents_addresses_and_date_ranges() {
    let list = parsed("un-xml", "un_consolidated_subset.xml");
    let libyan = by_id(&list, "LYi.023");
    assert_eq!(
        libyan.identifiers[0],
        Identifier { scheme: "Passport".into(), value: "LY53FP76".into(), country: Some("LY".into()) }
    );
    assert_eq!(
        libyan.addresses.iter().map(|a| a.city.as_deref()).collect::<Vec<_>>(),
        [Some("Garabulli"), Some("Zawiya")]
    );
    assert_eq!(by_id(&list, "CDi.030").dates, ["1973 to 1974"]);
    let badege = by_id(&list, "CDi.001");
    assert_eq!(badege.addresses[0].text, "Rwanda (as of early 2016)");
    assert_eq!(badege.countries, ["CD", "RW"]);
    assert_eq!(by_id(&list, "KPe.001").countries, ["KP"]);
}
