//! Fuzz target: name analysis and comparison never panic, and a name always matches itself.
#![no_main]

use std::sync::LazyLock;

static LEXICON: LazyLock<chipwarden_screen::Lexicon> =
    LazyLock::new(|| chipwarden_screen::Lexicon::bundled().expect("bundled lexicon"));

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let (a, b) = text.split_once('|').unwrap_or((text, text));
        for org in [false, true] {
            if let (Ok(x), Ok(y)) = (LEXICON.analyze(a, org), LEXICON.analyze(b, org)) {
                let s = chipwarden_screen::compare(&x, &y).score;
                assert!((0.0..=1.0).contains(&s));
                assert!((chipwarden_screen::compare(&x, &x).score - 1.0).abs() < 1e-9, "{a}");
            }
        }
    }
});
