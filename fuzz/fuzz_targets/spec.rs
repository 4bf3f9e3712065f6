//! Fuzz target: item and system spec files (JSON and TOML) never panic the parser.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = chipwarden_core::parse_any_spec("fuzz.json", text);
        let _ = chipwarden_core::parse_any_spec("fuzz.toml", text);
    }
});
