//! The custody state machine: every impossible history refused with its reason, gaps shown,
//! queries, and all-or-nothing batches.

use chipwarden_core::country::CountryCode;
use chipwarden_ledger::{ChipStatus, Custody, CustodyEvent, EventDraft, GapKind, LedgerError, PartyKey, Rejection};

fn key() -> PartyKey {
    PartyKey::from_seed("registry", &[5; 32]).expect("key")
}

/// An event from a short draft: `type serial day` plus JSON fields, e.g.
/// `ev("shipped", "SN1", 2, r#""from":"NVIDIA","to":"Acme","destination":"MY""#)`.
fn ev(kind: &str, serial: &str, day: u32, fields: &str) -> CustodyEvent {
    let comma = if fields.is_empty() { "" } else { "," };
    let line = format!(r#"{{"type":"{kind}","serial":"{serial}","time":"2026-01-{day:02}T00:00:00Z"{comma}{fields}}}"#);
    EventDraft::from_json(&line).unwrap_or_else(|e| panic!("{line}: {e}")).into_event(key().submitter())
}

fn registered(serial: &str, day: u32) -> CustodyEvent {
    ev("registered", serial, day, r#""model":"H100 SXM","holder":"NVIDIA","country":"TW""#)
}

fn shipped(serial: &str, day: u32, from: &str, to: &str, destination: &str) -> CustodyEvent {
    ev("shipped", serial, day, &format!(r#""from":"{from}","to":"{to}","destination":"{destination}""#))
}

fn received(serial: &str, day: u32, holder: &str) -> CustodyEvent {
    ev("received", serial, day, &format!(r#""holder":"{holder}""#))
}

fn installed(serial: &str, day: u32, country: &str) -> CustodyEvent {
    ev("installed", serial, day, &format!(r#""site":"KUL-1","country":"{country}""#))
}

fn located(serial: &str, day: u32, measured_day: u32, countries: &str) -> CustodyEvent {
    ev(
        "location_verified",
        serial,
        day,
        &format!(
            r#""verifier":"V","region":"R","possible_countries":[{countries}],"measured_at":"2026-01-{measured_day:02}T00:00:00Z""#
        ),
    )
}

/// Applies `events`; every one but the last must be accepted, and the last must be refused with
/// a reason that `expected` accepts.
fn check_refused(events: &[CustodyEvent], expected: impl Fn(&Rejection) -> bool) {
    let mut custody = Custody::new();
    let (last, before) = events.split_last().expect("events");
    for event in before {
        custody.apply(event).unwrap_or_else(|e| panic!("refused too early: {e}"));
    }
    let snapshot = custody.clone();
    match custody.apply(last) {
        Err(LedgerError::Custody { serial, reason }) => {
            assert_eq!(serial, last.serial);
            assert!(expected(&reason), "wrong reason: {reason}");
        }
        other => panic!("expected a refusal of {:?}, got {other:?}", last.kind.name()),
    }
    assert_eq!(custody, snapshot, "a refused event changed the state");
}

#[test]
fn installed_before_received() {
    let history = [registered("SN1", 1), shipped("SN1", 2, "NVIDIA", "Acme", "MY"), installed("SN1", 3, "MY")];
    check_refused(&history, |r| matches!(r, Rejection::InTransit { kind: "installed", .. }));
    let mut custody = Custody::new();
    custody.apply_batch(&history[..2]).expect("history");
    let message = custody.apply(&history[2]).expect_err("refused").to_string();
    assert_eq!(
        message,
        "chip `SN1`: `installed` event while the chip is in transit to `Acme` in MY (shipped at 2026-01-02T00:00:00Z, not received)"
    );
}

#[test]
fn shipped_by_someone_who_does_not_hold_it() {
    check_refused(
        &[registered("SN1", 1), shipped("SN1", 2, "Smuggler Ltd", "Acme", "MY")],
        |r| matches!(r, Rejection::NotHolder { claimed, holder, .. } if claimed == "Smuggler Ltd" && holder == "NVIDIA"),
    );
    // After a receipt, the consignee holds it and the shipper no longer does.
    check_refused(
        &[
            registered("SN1", 1),
            shipped("SN1", 2, "NVIDIA", "Acme", "MY"),
            received("SN1", 3, "Acme"),
            shipped("SN1", 4, "NVIDIA", "Other", "SG"),
        ],
        |r| matches!(r, Rejection::NotHolder { holder, .. } if holder == "Acme"),
    );
}

#[test]
fn received_by_someone_other_than_the_consignee() {
    check_refused(
        &[registered("SN1", 1), shipped("SN1", 2, "NVIDIA", "Acme", "MY"), received("SN1", 3, "Front Co")],
        |r| matches!(r, Rejection::NotConsignee { holder, consignee } if holder == "Front Co" && consignee == "Acme"),
    );
}

#[test]
fn received_without_a_shipment() {
    check_refused(&[registered("SN1", 1), received("SN1", 2, "Acme")], |r| matches!(r, Rejection::NotShipped { .. }));
}

#[test]
fn nothing_after_destroyed() {
    let destroyed = || ev("destroyed", "SN1", 2, "");
    for after in [
        shipped("SN1", 3, "NVIDIA", "Acme", "MY"),
        installed("SN1", 3, "TW"),
        located("SN1", 3, 3, r#""TW""#),
        ev("destroyed", "SN1", 3, ""),
        ev("reported_lost", "SN1", 3, ""),
        ev("decommissioned", "SN1", 3, ""),
    ] {
        check_refused(&[registered("SN1", 1), destroyed(), after], |r| matches!(r, Rejection::AfterDestroyed { .. }));
    }
}

#[test]
fn duplicate_registration() {
    check_refused(&[registered("SN1", 1), registered("SN1", 2)], |r| matches!(r, Rejection::AlreadyRegistered { .. }));
    // Even after destruction, a serial is never registered again.
    check_refused(&[registered("SN1", 1), ev("destroyed", "SN1", 2, ""), registered("SN1", 3)], |r| {
        matches!(r, Rejection::AlreadyRegistered { .. })
    });
}

#[test]
fn events_for_an_unregistered_chip() {
    for event in [shipped("SN9", 1, "NVIDIA", "Acme", "MY"), received("SN9", 1, "Acme"), ev("destroyed", "SN9", 1, "")]
    {
        check_refused(&[registered("SN1", 1), event], |r| matches!(r, Rejection::Unregistered { .. }));
    }
}

#[test]
fn time_going_backwards() {
    check_refused(&[registered("SN1", 5), shipped("SN1", 4, "NVIDIA", "Acme", "MY")], |r| {
        matches!(r, Rejection::TimeWentBackwards { kind: "shipped", .. })
    });
    // Equal times are allowed (a batch stamped at one instant), and other chips keep their own clocks.
    let mut custody = Custody::new();
    custody
        .apply_batch(&[registered("SN1", 5), shipped("SN1", 5, "NVIDIA", "Acme", "MY"), registered("SN2", 1)])
        .expect("ok");
}

#[test]
fn installed_in_another_country_than_the_chip_is_in() {
    check_refused(&[registered("SN1", 1), installed("SN1", 2, "MY")], |r| {
        matches!(r, Rejection::WrongCountry { installed_in, located_in }
            if installed_in.as_str() == "MY" && located_in.as_str() == "TW")
    });
}

#[test]
fn other_impossible_moves() {
    // Shipped twice without a receipt.
    check_refused(
        &[registered("SN1", 1), shipped("SN1", 2, "NVIDIA", "Acme", "MY"), shipped("SN1", 3, "NVIDIA", "Acme", "MY")],
        |r| matches!(r, Rejection::InTransit { kind: "shipped", .. }),
    );
    // Transferred to the holder itself, or by someone else.
    check_refused(&[registered("SN1", 1), ev("transferred", "SN1", 2, r#""from":"NVIDIA","to":"NVIDIA""#)], |r| {
        matches!(r, Rejection::SameHolder { .. })
    });
    check_refused(&[registered("SN1", 1), ev("transferred", "SN1", 2, r#""from":"Acme","to":"Front Co""#)], |r| {
        matches!(r, Rejection::NotHolder { kind: "transferred", .. })
    });
    // Decommissioned twice; anything but a check or destruction after a loss.
    check_refused(
        &[registered("SN1", 1), ev("decommissioned", "SN1", 2, ""), ev("decommissioned", "SN1", 3, "")],
        |r| matches!(r, Rejection::NotAllowed { kind: "decommissioned", .. }),
    );
    check_refused(
        &[registered("SN1", 1), ev("reported_lost", "SN1", 2, ""), shipped("SN1", 3, "NVIDIA", "Acme", "MY")],
        |r| matches!(r, Rejection::NotAllowed { kind: "shipped", .. }),
    );
    check_refused(&[registered("SN1", 1), ev("reported_lost", "SN1", 2, ""), ev("reported_lost", "SN1", 3, "")], |r| {
        matches!(r, Rejection::NotAllowed { kind: "reported_lost", .. })
    });
}

fn country(code: &str) -> CountryCode {
    CountryCode::parse(code).expect("country")
}

#[test]
fn a_whole_life_and_the_queries() {
    let life = [
        registered("SN1", 1),
        shipped("SN1", 2, "NVIDIA", "Acme", "MY"),
        received("SN1", 3, "Acme"),
        installed("SN1", 4, "MY"),
        located("SN1", 5, 5, r#""MY","SG""#),
        ev("transferred", "SN1", 6, r#""from":"Acme","to":"Borneo AI""#),
        ev("decommissioned", "SN1", 7, ""),
        shipped("SN1", 8, "Borneo AI", "Recycler", "SG"),
        received("SN1", 9, "Recycler"),
        ev("destroyed", "SN1", 10, ""),
    ];
    let mut custody = Custody::new();
    for (i, event) in life.iter().enumerate() {
        custody.apply(event).unwrap_or_else(|e| panic!("event {i}: {e}"));
        let record = custody.chip("SN1").expect("chip");
        match i {
            1 => assert_eq!((record.holder.as_str(), record.current_country()), ("NVIDIA", None)),
            2 => assert_eq!((record.holder.as_str(), record.current_country()), ("Acme", Some(country("MY")))),
            3 => assert!(matches!(record.status, ChipStatus::Installed { .. })),
            5 => assert_eq!(record.holder, "Borneo AI"),
            _ => {}
        }
        if i == 5 {
            assert_eq!(custody.held_by("Borneo AI").count(), 1);
            assert_eq!(custody.held_by("Acme").count(), 0);
            assert_eq!(custody.in_country(country("MY")).count(), 1);
        }
    }
    let record = custody.chip("SN1").expect("chip");
    assert!(matches!(record.status, ChipStatus::Destroyed { .. }));
    assert_eq!(record.country, Some(country("SG")));
    assert_eq!(custody.history("SN1").expect("history"), &life[..]);
    assert_eq!(custody.held_by("Recycler").count(), 0, "destroyed chips are held by no one");
    assert!(custody.gaps().is_empty());
    assert_eq!(Custody::replay(&life).expect("replay"), custody);
}

#[test]
fn gaps_are_visible() {
    let events = [
        registered("TRANSIT", 1),
        shipped("TRANSIT", 2, "NVIDIA", "Acme", "MY"),
        registered("LOST", 1),
        ev("reported_lost", "LOST", 3, ""),
        registered("ELSEWHERE", 1),
        shipped("ELSEWHERE", 2, "NVIDIA", "Acme", "MY"),
        received("ELSEWHERE", 3, "Acme"),
        installed("ELSEWHERE", 4, "MY"),
        located("ELSEWHERE", 6, 5, r#""CN""#),
        registered("STALE", 1),
        located("STALE", 2, 2, r#""CN""#),
        shipped("STALE", 3, "NVIDIA", "Acme", "MY"),
        received("STALE", 4, "Acme"),
        registered("FINE", 1),
    ];
    let custody = Custody::replay(&events).expect("history");
    let gaps = custody.gaps();
    let by_serial = |serial: &str| gaps.iter().find(|g| g.serial == serial).map(|g| &g.kind);
    assert_eq!(gaps.len(), 3, "{gaps:?}");
    assert!(matches!(by_serial("TRANSIT"), Some(GapKind::InTransit { to, since, .. })
        if to == "Acme" && since.to_string() == "2026-01-02T00:00:00Z"));
    assert!(matches!(by_serial("LOST"), Some(GapKind::ReportedLost { last_country: Some(c), reported_by, .. })
        if c.as_str() == "TW" && reported_by == "registry"));
    assert!(matches!(by_serial("ELSEWHERE"), Some(GapKind::LocationMismatch { recorded_country, .. })
        if recorded_country.as_str() == "MY"));
    assert_eq!(by_serial("STALE"), None, "a check from before the chip moved says nothing now");
    assert_eq!(gaps.iter().find(|g| g.serial == "TRANSIT").map(|g| g.holder.as_str()), Some("NVIDIA"));
    // A lost chip may still be checked, or confirmed destroyed.
    let mut custody = custody;
    custody.apply(&located("LOST", 4, 4, r#""TW""#)).expect("check");
    custody.apply(&ev("destroyed", "LOST", 5, "")).expect("destroyed");
}

#[test]
fn a_batch_is_all_or_nothing() {
    let mut custody = Custody::replay(&[registered("SN1", 1)]).expect("history");
    let before = custody.clone();
    let batch = [
        shipped("SN1", 2, "NVIDIA", "Acme", "MY"),
        registered("SN2", 2),
        installed("SN1", 3, "MY"), // before received
        registered("SN3", 3),
    ];
    let (position, error) = custody.apply_batch(&batch).expect_err("refused");
    assert_eq!(position, 2);
    assert!(matches!(error, LedgerError::Custody { .. }));
    assert_eq!(custody, before, "the batch left traces");
    assert!(custody.chip("SN2").is_none());
    assert!(custody.check(&batch[0]).is_ok());
}

#[test]
fn signed_events_are_checked_before_they_count() {
    let mut custody = Custody::new();
    let good = key().sign_draft(
        EventDraft::from_json(
            r#"{"type":"registered","serial":"SN1","model":"M","holder":"NVIDIA","time":"2026-01-01T00:00:00Z"}"#,
        )
        .expect("draft"),
    );
    let mut bad = good.clone();
    bad.signature[0] ^= 1;
    assert!(matches!(custody.apply_signed(&bad), Err(LedgerError::BadSignature { .. })));
    assert!(custody.is_empty());
    custody.apply_signed(&good).expect("good");
    assert_eq!(custody.len(), 1);
}
