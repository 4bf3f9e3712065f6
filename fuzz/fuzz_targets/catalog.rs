//! Fuzz target: catalog files never panic the loader, and lookups on what loads never panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(catalog) = chipwarden_core::Catalog::parse("fuzz.toml", text) {
            let _ = catalog.lookup(text.lines().next().unwrap_or(""));
        }
    }
});
