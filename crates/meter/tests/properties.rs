//! Properties of the meter engine: parsers never panic, windows split usage without loss,
//! estimates keep their order.

use chipwarden_core::Catalog;
use chipwarden_meter::{Band, SacctOptions, UsageRecord, Window, csv_records, estimate, jsonl_records, sacct_jobs};
use proptest::prelude::*;

fn record(start: i64, seconds: i64, chips: f64, catalog: &Catalog) -> UsageRecord {
    let start = jiff::Timestamp::from_second(start).expect("start");
    UsageRecord {
        record_id: "p".into(),
        account: "a".into(),
        chip_model: "H100".into(),
        chip_id: catalog.lookup("H100").expect("chip").id.clone(),
        chips,
        start,
        end: start.checked_add(jiff::SignedDuration::from_secs(seconds)).expect("end"),
        utilization: None,
        tensor_active: None,
        run_id: None,
        source_line: 1,
    }
}

proptest! {
    #[test]
    fn parsers_never_panic_and_always_name_a_line(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let catalog = Catalog::bundled().expect("catalog");
        let mut text = b"record_id,account,chip_model,chips,start,end\n".to_vec();
        text.extend_from_slice(&bytes);
        for r in csv_records("f.csv", text.as_slice(), &catalog).take(1000).flatten() {
            prop_assert!(r.end > r.start && r.chips > 0.0);
        }
        for r in jsonl_records("f.jsonl", bytes.as_slice(), &catalog).take(1000) {
            if let Err(reject) = r { prop_assert!(reject.line >= 1); }
        }
        let options = SacctOptions { default_model: Some("H100".into()), time_zone: jiff::tz::TimeZone::UTC };
        for r in sacct_jobs("s.txt", bytes.as_slice(), &catalog, &options).take(1000) {
            if let Err(reject) = r { prop_assert!(reject.line >= 1); }
        }
    }

    #[test]
    fn adjacent_windows_split_a_record_without_loss(
        start in 1_600_000_000i64..1_700_000_000,
        seconds in 1i64..50_000_000,
        cut in 1_600_000_000i64..1_760_000_000,
    ) {
        let catalog = Catalog::bundled().expect("catalog");
        let r = record(start, seconds, 8.0, &catalog);
        let cut = jiff::Timestamp::from_second(cut).expect("cut");
        // Two 2,000-day windows meeting at `cut` cover every record here.
        let before = Window::ending(cut, 2000).expect("window");
        let after = Window::ending(cut.checked_add(jiff::SignedDuration::from_hours(48_000)).expect("end"), 2000).expect("window");
        let total = before.share(&r) + after.share(&r);
        prop_assert!((total - 1.0).abs() < 1e-9, "{total}");
    }

    #[test]
    fn estimates_are_ordered_and_scale_with_chips(seconds in 1i64..10_000_000, chips in 0.01f64..100_000.0, m in proptest::option::of(0.0f64..=1.0)) {
        let catalog = Catalog::bundled().expect("catalog");
        let chip = catalog.lookup("H100").expect("chip");
        let mut r = record(1_700_000_000, seconds, chips, &catalog);
        r.tensor_active = m;
        let e = estimate(&r, chip, Band::DEFAULT).expect("estimate");
        prop_assert!(e.flop_low <= e.flop_mid && e.flop_mid <= e.flop_high);
        r.chips *= 2.0;
        let doubled = estimate(&r, chip, Band::DEFAULT).expect("estimate");
        prop_assert!((doubled.flop_high - 2.0 * e.flop_high).abs() <= 1e-9 * doubled.flop_high);
    }
}
