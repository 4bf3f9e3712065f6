//! Fuzz target: the meter's usage parsers (CSV, JSON Lines, sacct, Alibaba), the links CSV and
//! the KYC customer records yield records or row rejects on any input, never panic.
#![no_main]

use std::sync::OnceLock;

fn catalog() -> &'static chipwarden_core::Catalog {
    static CATALOG: OnceLock<chipwarden_core::Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| chipwarden_core::Catalog::bundled().expect("bundled catalog"))
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let catalog = catalog();
    for r in chipwarden_meter::csv_records("fuzz.csv", data, catalog) {
        if let Ok(record) = r {
            assert!(record.chips > 0.0 && record.end > record.start, "{record:?}");
        }
    }
    for r in chipwarden_meter::jsonl_records("fuzz.jsonl", data, catalog) {
        let _ = r;
    }
    let sacct = chipwarden_meter::SacctOptions {
        default_model: Some("A100".to_owned()),
        time_zone: jiff::tz::TimeZone::UTC,
    };
    for r in chipwarden_meter::sacct_jobs("fuzz.txt", data, catalog, &sacct) {
        let _ = r;
    }
    let alibaba = chipwarden_meter::AlibabaOptions::new(Some("T4".to_owned()));
    for r in chipwarden_meter::alibaba_pods("fuzz.csv", data, catalog, &alibaba) {
        let _ = r;
    }
    let _ = chipwarden_meter::parse_links("fuzz.csv", data);
    let customers = chipwarden_meter::parse_customers("fuzz.jsonl", data);
    let valid: Vec<_> = customers.into_iter().filter_map(Result::ok).collect();
    let _ = chipwarden_meter::derived_links(&valid);
});
