//! Fuzz target: rule-set files never panic the parser, and what parses classifies an item safely.
#![no_main]

use chipwarden_core::{Figure, Item, ItemKind, Precision};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(rules) = chipwarden_classify::RuleSet::parse("fuzz.toml", text) {
            let mut item = Item::empty("fuzz", ItemKind::Processor);
            item.dense_tops.insert(Precision::Fp8, Figure::new(1979.0, "fuzz"));
            item.die_area_mm2 = Some(Figure::new(814.0, "fuzz"));
            let _ = chipwarden_classify::classify(&item, &rules, rules.effective);
            let _ = chipwarden_classify::stress(&[item], &rules, rules.effective, 50.0);
        }
    }
});
