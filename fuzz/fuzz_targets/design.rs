//! Fuzz target: foundry design intake files never panic the parser.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = chipwarden_classify::parse_design("fuzz.json", text);
        let _ = chipwarden_classify::parse_design("fuzz.toml", text);
    }
});
