//! Fuzz target: every list format parser returns entries or an error on any input, never panics.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    for format in chipwarden_lists::FORMATS {
        let _ = chipwarden_lists::parse_file(format, "fuzz", data);
    }
    let _ = chipwarden_lists::ofac_csv::parse(&chipwarden_lists::ofac_csv::OfacCsvParts::primary_only("sdn.csv", data));
});
