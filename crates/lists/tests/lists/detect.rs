//! Format detection on the real test files.

use chipwarden_lists::{FORMATS, detect_format};

use crate::read;

#[test]
fn every_test_file_is_detected() {
    for (file, format) in [
        ("ofac_sdn_2021/sdn.csv", "ofac-csv"),
        ("ofac_nonsdn/cons_prim.csv", "ofac-csv"),
        ("ofac_sdn_fixture.xml", "ofac-xml"),
        ("ofac_consolidated_fixture.xml", "ofac-xml"),
        ("csl_2025_sample.csv", "csl-csv"),
        ("csl_2019_sample.csv", "csl-csv"),
        ("csl_2025_sample.json", "csl-json"),
        ("bis_el_fixture.csv", "bis-el-csv"),
        ("dpl_2022_subset.txt", "dpl-tsv"),
        ("dpl_fixture_2007.txt", "dpl-tsv"),
        ("un_consolidated_subset.xml", "un-xml"),
        ("fr_2023-03929.xml", "fr-xml"),
    ] {
        assert_eq!(detect_format(file, &read(file)), Some(format), "{file}");
        assert!(FORMATS.contains(&format));
    }
}
