//! The store on real SQLite files in a temporary directory: list imports and their atomicity,
//! screenings and re-screening, append-only review decisions, ownership, and durability.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use chipwarden_lists::{ListCode, ParsedList};
use chipwarden_store::testing::{TestDb, each_backend};
use chipwarden_store::{
    Decision, HitKey, ImportStatus, OwnershipEdge, Party, Store, StoreError, StoredHit, Subject, Verdict,
};
use common::{entry, parsed};
use serde_json::json;

/// A directory of its own under the system's temporary directory, removed when dropped.
#[derive(Debug)]
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock after 1970").as_nanos();
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("chipwarden-store-test-{}-{nanos}-{n}", std::process::id()));
        // create_dir, not create_dir_all: it fails if the directory exists, so no two tests share one.
        fs::create_dir(&path).expect("create a temporary directory");
        TempDir(path)
    }

    fn store_path(&self) -> PathBuf {
        self.0.join("chipwarden.sqlite")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        // Best effort: a leftover directory in the temporary directory is harmless.
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// A store on a fresh database of one backend; the store closes before the database goes.
#[derive(Debug)]
struct Fixture<'a> {
    store: Store,
    db: &'a TestDb,
}

impl<'a> Fixture<'a> {
    fn on(db: &'a TestDb) -> Fixture<'a> {
        Fixture { store: db.open(), db }
    }

    fn count(&self, table: &str) -> i64 {
        self.db.count(table)
    }
}

fn hit(list: &str, id: &str, name: &str) -> StoredHit {
    StoredHit {
        list: ListCode::new(list),
        entry_id: id.to_owned(),
        matched_name: name.to_owned(),
        score: 0.93,
        explanation: json!({ "rule": "token-set", "tokens": [name] }),
        matcher_version: "test-1".to_owned(),
    }
}

fn party(id: &str, name: &str) -> Party {
    Party {
        id: id.to_owned(),
        name: name.to_owned(),
        country: Some("CN".to_owned()),
        address: None,
        date: None,
        identifiers: Vec::new(),
    }
}

fn key(subject: Subject, list: &str, id: &str, name: &str) -> HitKey {
    HitKey { subject, list: ListCode::new(list), entry_id: id.to_owned(), matched_name: name.to_owned() }
}

fn decision(key: HitKey, verdict: Verdict, at: &str) -> Decision {
    Decision {
        key,
        verdict,
        reviewer: "j.doe".to_owned(),
        at: at.to_owned(),
        reason: "different registration number and address".to_owned(),
    }
}

fn ids(changes: &[chipwarden_lists::Change]) -> Vec<&str> {
    changes.iter().map(|c| c.entry_id.as_str()).collect()
}

const T1: &str = "2025-02-01T10:00:00Z";
const T2: &str = "2025-02-02T10:00:00Z";
const T3: &str = "2025-02-03T10:00:00Z";

#[test]
fn import_reimport_and_change() {
    each_backend(|db| {
        let mut fx = Fixture::on(db);
        let first = parsed("h1", vec![entry("EL", "1", "Huawei Technologies"), entry("EL", "2", "ZTE")]);
        let one = fx.store.import_list("bis-el", &first, T1).expect("first import");
        assert_eq!(one.status, ImportStatus::Imported);
        assert_eq!(one.previous_version_id, None);
        assert_eq!(ids(&one.diff.added), vec!["1", "2"]);
        assert_eq!(one.version.entry_count, 2);
        assert_eq!(one.version.published.as_deref(), Some("2025-01-15"));

        let again = fx.store.import_list("bis-el", &first, T2).expect("identical import");
        assert_eq!(again.status, ImportStatus::Unchanged);
        assert_eq!(again.version, one.version, "the existing version, imported_at included");
        assert!(again.diff.is_empty());
        assert_eq!(fx.store.versions("bis-el").expect("versions").len(), 1);

        let second = parsed(
            "h2",
            vec![entry("EL", "2", "ZTE Corporation"), entry("EL", "3", "Semiconductor Manufacturing International")],
        );
        let two = fx.store.import_list("bis-el", &second, T3).expect("changed import");
        assert_eq!(two.status, ImportStatus::Imported);
        assert_eq!(two.previous_version_id, Some(one.version.id));
        assert_eq!(ids(&two.diff.added), vec!["3"]);
        assert_eq!(ids(&two.diff.removed), vec!["1"]);
        assert_eq!(ids(&two.diff.changed), vec!["2"]);
        assert_eq!(two.diff.changed[0].fields, vec!["names"]);

        assert_eq!(fx.store.current_versions().expect("current"), vec![two.version.clone()]);
        assert_eq!(fx.store.versions("bis-el").expect("history"), vec![one.version.clone(), two.version.clone()]);
        assert_eq!(fx.store.entries(one.version.id).expect("old entries"), first.entries);
        assert_eq!(fx.store.entries(two.version.id).expect("new entries"), second.entries);
        assert_eq!(fx.store.diff_versions(one.version.id, two.version.id).expect("diff"), two.diff);
        assert!(fx.store.diff_versions(two.version.id, two.version.id).expect("diff with itself").is_empty());
        assert!(fx.store.versions("csl").expect("never imported").is_empty());

        let err = fx.store.entries(999).expect_err("no such version");
        assert!(matches!(err, StoreError::UnknownVersion(999)), "{err}");
        assert_eq!(err.to_string(), "there is no list version 999");
    });
}

#[test]
fn going_back_to_an_earlier_content_makes_it_current_again() {
    each_backend(|db| {
        let mut fx = Fixture::on(db);
        let a = parsed("ha", vec![entry("SDN", "10", "Alpha Trading")]);
        let b = parsed("hb", vec![entry("SDN", "10", "Alpha Trading"), entry("SDN", "11", "Beta Shipping")]);
        fx.store.import_list("ofac-sdn", &a, T1).expect("a");
        fx.store.import_list("ofac-sdn", &b, T2).expect("b");
        let back = fx.store.import_list("ofac-sdn", &a, T3).expect("a again");
        assert_eq!(back.status, ImportStatus::Imported);
        assert_eq!(ids(&back.diff.removed), vec!["11"]);
        assert_eq!(fx.store.current_versions().expect("current")[0].id, back.version.id);
        assert_eq!(fx.store.versions("ofac-sdn").expect("history").len(), 3);
    });
}

#[test]
fn a_failed_import_writes_nothing_and_keeps_the_previous_version_current() {
    each_backend(|db| {
        let mut fx = Fixture::on(db);
        let good = parsed("h1", vec![entry("EL", "1", "Huawei"), entry("EL", "2", "ZTE")]);
        let current = fx.store.import_list("bis-el", &good, T1).expect("good import").version;

        // The duplicate comes after valid entries, so the failure happens with rows already written
        // inside the transaction.
        let broken =
            parsed("h2", vec![entry("EL", "1", "Huawei"), entry("EL", "3", "SMIC"), entry("EL", "1", "Huawei again")]);
        let err = fx.store.import_list("bis-el", &broken, T2).expect_err("duplicate entry id");
        assert!(matches!(err, StoreError::DuplicateEntry { .. }), "{err}");
        assert_eq!(
            err.to_string(),
            "cannot import list `bis-el`: entry `1` of list `EL` appears more than once; nothing was imported"
        );
        assert_eq!(fx.store.current_versions().expect("current"), vec![current.clone()]);
        assert_eq!(fx.store.entries(current.id).expect("entries"), good.entries);
        assert_eq!(fx.count("list_versions"), 1);
        assert_eq!(fx.count("list_entries"), 2);

        // A first import of another source that fails leaves no trace of that source either.
        let err = fx.store.import_list("dpl", &parsed("h3", vec![entry("DPL", "7", "X"), entry("DPL", "7", "X")]), T2);
        assert!(matches!(err, Err(StoreError::DuplicateEntry { .. })));
        assert!(fx.store.versions("dpl").expect("versions").is_empty());
        assert_eq!(fx.count("list_entries"), 2);

        // The same entry id under two list codes is two entries (the CSL mixes lists).
        let mixed = parsed("h4", vec![entry("EL", "7", "X"), entry("DPL", "7", "X")]);
        fx.store.import_list("csl", &mixed, T3).expect("same id, different lists");
    });
}

#[test]
fn imports_refuse_what_cannot_be_stored() {
    each_backend(|db| {
        let mut fx = Fixture::on(db);
        let check = |store: &mut Store, source: &str, list: ParsedList, at: &str, expected: &str| {
            let err = store.import_list(source, &list, at).expect_err(expected);
            assert!(matches!(err, StoreError::Invalid(_)), "{err}");
            assert_eq!(err.to_string(), expected);
        };
        let one = || vec![entry("EL", "1", "Huawei")];
        check(&mut fx.store, " ", parsed("h", one()), T1, "the list source name is empty");
        check(&mut fx.store, "bis-el", parsed("", one()), T1, "the content hash of list `bis-el` is empty");
        check(
            &mut fx.store,
            "bis-el",
            parsed("h", one()),
            "last Tuesday",
            "the import time of list `bis-el` `last Tuesday` is neither an RFC 3339 timestamp (e.g. `2025-01-31T09:30:00Z`) nor a date of the form YYYY-MM-DD",
        );
        check(
            &mut fx.store,
            "bis-el",
            parsed("h", vec![entry("EL", "1", "A"), entry("EL", "", "B")]),
            T1,
            "the entry id of entry 2 of list `bis-el` is empty",
        );
        assert_eq!(fx.count("list_versions"), 0);
    });
}

#[test]
fn current_entries_come_from_the_current_version_of_every_source() {
    each_backend(|db| {
        let mut fx = Fixture::on(db);
        let el1 = fx.store.import_list("bis-el", &parsed("e1", vec![entry("EL", "1", "Old")]), T1).expect("el 1");
        let el2 = fx
            .store
            .import_list("bis-el", &parsed("e2", vec![entry("EL", "1", "New"), entry("EL", "2", "Two")]), T2)
            .expect("el 2");
        let sdn = fx.store.import_list("ofac-sdn", &parsed("s1", vec![entry("SDN", "9", "Nine")]), T2).expect("sdn");

        let current = fx.store.current_entries().expect("current entries");
        let seen: Vec<(&str, i64, &str, &str)> = current
            .iter()
            .map(|e| (e.source.as_str(), e.version_id, e.entry.entry_id.as_str(), e.entry.primary_name()))
            .collect();
        let (v2, vs) = (el2.version.id, sdn.version.id);
        assert_eq!(seen, vec![("bis-el", v2, "1", "New"), ("bis-el", v2, "2", "Two"), ("ofac-sdn", vs, "9", "Nine")]);

        let err = fx.store.diff_versions(el1.version.id, sdn.version.id).expect_err("different sources");
        assert!(matches!(err, StoreError::DifferentSources { .. }), "{err}");
    });
}

#[test]
fn parties_are_upserted_by_id() {
    each_backend(|db| {
        let mut fx = Fixture::on(db);
        fx.store.upsert_party(&party("c-2", "Beta Ltd")).expect("add");
        fx.store.upsert_party(&party("c-1", "Alpha GmbH")).expect("add");
        let moved = Party {
            address: Some("1 Harbour Road, Hong Kong".to_owned()),
            country: Some("HK".to_owned()),
            date: Some("1998-03-01".to_owned()),
            identifiers: vec!["HK-12345678".to_owned()],
            ..party("c-1", "Alpha Holdings GmbH")
        };
        fx.store.upsert_party(&moved).expect("update");
        assert_eq!(fx.store.parties().expect("parties"), vec![moved, party("c-2", "Beta Ltd")]);

        let err = fx.store.upsert_party(&party("c-3", "")).expect_err("nameless");
        assert_eq!(err.to_string(), "the name of party `c-3` is empty");
    });
}

#[test]
fn screenings_record_their_hits_and_versions() {
    each_backend(|db| {
        let mut fx = Fixture::on(db);
        let el = fx
            .store
            .import_list("bis-el", &parsed("e1", vec![entry("EL", "1", "Huawei"), entry("EL", "2", "ZTE")]), T1)
            .expect("el");
        let sdn = fx.store.import_list("ofac-sdn", &parsed("s1", vec![entry("SDN", "9", "Nine")]), T1).expect("sdn");
        let versions = [el.version.id, sdn.version.id];
        fx.store.upsert_party(&party("c-1", "Huawei Device Co")).expect("party");

        let hits = [hit("EL", "1", "Huawei"), hit("SDN", "9", "Nine")];
        let first = fx.store.record_hits("c-1", &hits, &versions, T2).expect("record hits");
        let clean = fx.store.record_hits("c-1", &[], &[el.version.id], T3).expect("a clean screening");

        let recorded = fx.store.hits_for("c-1").expect("hits");
        assert_eq!(recorded.iter().map(|r| &r.hit).collect::<Vec<_>>(), hits.iter().collect::<Vec<_>>());
        assert!(recorded.iter().all(|r| r.screening_id == first && r.screened_at == T2 && r.party_id == "c-1"));
        let screenings = fx.store.screenings("c-1").expect("screenings");
        assert_eq!(
            screenings.iter().map(|s| (s.id, s.version_ids.clone())).collect::<Vec<_>>(),
            vec![(first, vec![el.version.id, sdn.version.id]), (clean, vec![el.version.id])]
        );

        // Each refusal names what is wrong and writes nothing.
        let before = (fx.count("screenings"), fx.count("hits"));
        let refusals: [(&str, &[StoredHit], &[i64], &str); 6] = [
            (
                "nobody",
                &hits,
                &versions,
                "there is no party `nobody`; add it before recording its screenings or decisions",
            ),
            ("c-1", &hits, &[el.version.id, 999], "there is no list version 999"),
            (
                "c-1",
                &hits,
                &[el.version.id],
                "the hit on entry `9` of list `SDN` names no entry of the list versions the screening ran against",
            ),
            (
                "c-1",
                &hits,
                &[],
                "the screening of party `c-1` names no list versions; a screening must say which lists it ran against",
            ),
            (
                "c-1",
                &[hit("EL", "1", "Huawei"), hit("EL", "2", "ZTE"), hit("EL", "1", "Huawei")],
                &versions,
                "hits 1 and 3 of party `c-1` are both on `Huawei` of entry `1` of list `EL`; a screening records each once",
            ),
            (
                "c-1",
                &[StoredHit { score: f64::NAN, ..hit("EL", "1", "Huawei") }],
                &versions,
                "the score of hit 1 of party `c-1` is not a finite number",
            ),
        ];
        for (party_id, hits, versions, expected) in refusals {
            let err = fx.store.record_hits(party_id, hits, versions, T3).expect_err(expected);
            assert_eq!(err.to_string(), expected);
        }
        assert_eq!((fx.count("screenings"), fx.count("hits")), before);

        let err = fx.store.hits_for("nobody").expect_err("unknown party");
        assert!(matches!(err, StoreError::UnknownParty(_)), "{err}");
    });
}

#[test]
fn rescreening_returns_only_new_and_undismissed_hits() {
    each_backend(|db| {
        let mut fx = Fixture::on(db);
        let names = ["A", "B", "C", "D", "E", "F"];
        let entries = names.iter().enumerate().map(|(i, n)| entry("SDN", &i.to_string(), n)).collect();
        let version = fx.store.import_list("ofac-sdn", &parsed("s1", entries), T1).expect("import").version.id;
        fx.store.upsert_party(&party("c-1", "Customer One")).expect("party");
        fx.store.upsert_party(&party("c-2", "Customer Two")).expect("party");
        let h = |i: usize| hit("SDN", &i.to_string(), names[i]);
        let on = |subject: Subject, i: usize| key(subject, "SDN", &i.to_string(), names[i]);
        let c1 = || Subject::Party("c-1".to_owned());

        // A was already found; B was dismissed; C was confirmed; D was dismissed, then confirmed;
        // F was dismissed, but for another party and for a free-text query, not for c-1.
        fx.store.record_hits("c-1", &[h(0)], &[version], T1).expect("earlier screening");
        let decisions = [
            decision(on(c1(), 1), Verdict::FalsePositive, T1),
            decision(on(c1(), 2), Verdict::ConfirmedMatch, T1),
            decision(on(c1(), 3), Verdict::FalsePositive, T1),
            decision(on(c1(), 3), Verdict::ConfirmedMatch, T2),
            decision(on(Subject::Party("c-2".to_owned()), 5), Verdict::FalsePositive, T1),
            decision(on(Subject::Query("Customer One".to_owned()), 5), Verdict::FalsePositive, T1),
        ];
        for d in &decisions {
            fx.store.record_decision(d).expect("decision");
        }

        let rescreen = [h(0), h(1), h(2), h(3), h(4), h(4), h(5)];
        let fresh = fx.store.new_hits("c-1", &rescreen).expect("new hits");
        assert_eq!(fresh, vec![h(2), h(3), h(4), h(5)]);

        // A later dismissal of D suppresses it again.
        fx.store.record_decision(&decision(on(c1(), 3), Verdict::FalsePositive, T3)).expect("decision");
        let fresh = fx.store.new_hits("c-1", &rescreen).expect("new hits");
        assert_eq!(fresh, vec![h(2), h(4), h(5)]);

        // The same name under another entry is another hit.
        let other_entry = hit("SDN", "5", "A");
        assert_eq!(fx.store.new_hits("c-1", std::slice::from_ref(&other_entry)).expect("new hits"), vec![other_entry]);
    });
}

#[test]
fn the_latest_decision_wins_and_the_history_stays() {
    each_backend(|db| {
        let mut fx = Fixture::on(db);
        fx.store.upsert_party(&party("c-1", "Customer One")).expect("party");
        let on_party = key(Subject::Party("c-1".to_owned()), "EL", "1", "Huawei");
        let on_query = key(Subject::Query("huawei device".to_owned()), "EL", "1", "Huawei");

        assert_eq!(fx.store.decision_for(&on_party).expect("no decision yet"), None);
        let first = fx.store.record_decision(&decision(on_party.clone(), Verdict::FalsePositive, T1)).expect("first");
        let query = fx.store.record_decision(&decision(on_query.clone(), Verdict::ConfirmedMatch, T1)).expect("query");
        // Recorded later with an earlier time: the order of recording decides, not the stated time.
        let second = fx
            .store
            .record_decision(&decision(on_party.clone(), Verdict::ConfirmedMatch, "2025-01-01"))
            .expect("second");
        assert!(first < query && query < second);

        let latest = fx.store.decision_for(&on_party).expect("latest").expect("a decision");
        assert_eq!((latest.seq, latest.decision.verdict), (second, Verdict::ConfirmedMatch));
        let latest = fx.store.decision_for(&on_query).expect("latest").expect("a decision");
        assert_eq!((latest.seq, latest.decision.verdict), (query, Verdict::ConfirmedMatch));

        let history = fx.store.decisions().expect("history");
        assert_eq!(history.iter().map(|d| d.seq).collect::<Vec<_>>(), vec![first, query, second]);
        assert_eq!(history[0].decision, decision(on_party.clone(), Verdict::FalsePositive, T1));

        let refusals = [
            (
                decision(key(Subject::Party("nobody".to_owned()), "EL", "1", "Huawei"), Verdict::FalsePositive, T1),
                "there is no party `nobody`; add it before recording its screenings or decisions",
            ),
            (
                Decision { reason: " ".to_owned(), ..decision(on_party.clone(), Verdict::FalsePositive, T1) },
                "the reason of the review decision on entry `1` of list `EL` is empty",
            ),
            (
                decision(key(Subject::Query(String::new()), "EL", "1", "Huawei"), Verdict::FalsePositive, T1),
                "the query text of a review decision is empty",
            ),
        ];
        for (bad, expected) in refusals {
            let err = fx.store.record_decision(&bad).expect_err(expected);
            assert_eq!(err.to_string(), expected);
        }
        assert_eq!(fx.store.decisions().expect("history").len(), 3);
    });
}

#[test]
fn the_schema_refuses_to_change_or_delete_decisions_and_snapshots() {
    each_backend(|db| {
        let mut fx = Fixture::on(db);
        fx.store.upsert_party(&party("c-1", "Customer One")).expect("party");
        let on = key(Subject::Party("c-1".to_owned()), "EL", "1", "Huawei");
        let recorded = decision(on.clone(), Verdict::ConfirmedMatch, T1);
        fx.store.record_decision(&recorded).expect("decision");
        fx.store.import_list("bis-el", &parsed("e1", vec![entry("EL", "1", "Huawei")]), T1).expect("import");

        for (sql, expected) in [
            ("UPDATE decisions SET decision = 'false_positive'", "review decisions are append-only"),
            ("DELETE FROM decisions", "review decisions are append-only"),
            ("UPDATE list_entries SET primary_name = 'Someone Else'", "list entries are snapshots"),
            ("UPDATE list_versions SET content_hash = 'forged'", "list versions are snapshots"),
        ] {
            let err = fx.db.raw_execute(sql).expect_err(sql);
            assert!(err.contains(expected), "{sql}: {err}");
        }
        let history = fx.store.decisions().expect("history");
        assert_eq!(history.len(), 1);
        assert_eq!(history[0].decision, recorded);
        assert_eq!(fx.store.current_entries().expect("entries")[0].entry.primary_name(), "Huawei");
    });
}

fn edge(owner: &str, owned: &str, share: f64) -> OwnershipEdge {
    OwnershipEdge {
        owner: owner.to_owned(),
        owned: owned.to_owned(),
        share,
        source: "company-registry".to_owned(),
        date: "2024-12-31".to_owned(),
    }
}

#[test]
fn ownership_rows_are_validated_and_imported_all_or_nothing() {
    each_backend(|db| {
        let mut fx = Fixture::on(db);
        let good = edge("Parent Co", "Subsidiary Ltd", 0.5);
        let check = |store: &mut Store, bad: OwnershipEdge, expected: &str| {
            let err = store.import_ownership(&[good.clone(), bad]).expect_err(expected);
            assert_eq!(err.to_string(), expected);
        };
        check(
            &mut fx.store,
            edge("A", "B", 50.0),
            "ownership row 2: share `50` is not a fraction from 0 to 1 (shares are fractions: 50% is written 0.5)",
        );
        check(&mut fx.store, edge("A", "B", -0.1), "ownership row 2: share `-0.1` is not a fraction from 0 to 1");
        check(&mut fx.store, edge("A", "B", f64::NAN), "ownership row 2: share `NaN` is not a fraction from 0 to 1");
        check(&mut fx.store, edge("", "B", 0.1), "ownership row 2: the owner is empty");
        check(&mut fx.store, edge("A", "A", 0.1), "ownership row 2: `A` cannot own itself");
        check(
            &mut fx.store,
            OwnershipEdge { date: "31.12.2024".to_owned(), ..edge("A", "B", 0.1) },
            "ownership row 2: the date `31.12.2024` is not a date of the form YYYY-MM-DD",
        );
        check(
            &mut fx.store,
            edge("Parent Co", "Subsidiary Ltd", 0.25),
            "ownership row 2: row 1 gives `Parent Co` a share of 0.5 in `Subsidiary Ltd` from the same source and date, this row 0.25",
        );
        assert!(fx.store.ownership_edges().expect("edges").is_empty());

        let edges = [good.clone(), edge("Parent Co", "Other Ltd", 1.0), edge("Fund", "Subsidiary Ltd", 0.0)];
        assert_eq!(fx.store.import_ownership(&edges).expect("import"), 3);
        assert_eq!(fx.store.import_ownership(&edges).expect("the same file again"), 0);
        assert_eq!(fx.store.ownership_edges().expect("edges"), edges.to_vec());

        // A later statement from the same source on another date is a new edge; a different share
        // for a stored one is refused, and the rows before it are not kept.
        let later = OwnershipEdge { date: "2025-06-30".to_owned(), ..edge("Parent Co", "Subsidiary Ltd", 0.6) };
        let err = fx.store.import_ownership(&[later, edge("Parent Co", "Subsidiary Ltd", 0.4)]).expect_err("conflict");
        assert!(matches!(err, StoreError::ConflictingOwnership { row: 2, .. }), "{err}");
        assert_eq!(
            err.to_string(),
            "ownership row 2: the store already says `Parent Co` owns 0.5 of `Subsidiary Ltd` according to `company-registry` on 2024-12-31, not 0.4; nothing was imported"
        );
        assert_eq!(fx.store.ownership_edges().expect("edges"), edges.to_vec());
    });
}

#[test]
fn everything_is_still_there_after_reopening() {
    each_backend(|db| {
        drop(db.open());
        let mut store = db.open();
        let list = parsed("e1", vec![entry("EL", "1", "Huawei"), entry("EL", "2", "ZTE")]);
        let version = store.import_list("bis-el", &list, T1).expect("import").version;
        let customer = party("c-1", "Customer One");
        store.upsert_party(&customer).expect("party");
        let screening = store.record_hits("c-1", &[hit("EL", "1", "Huawei")], &[version.id], T2).expect("hits");
        let recorded = decision(key(Subject::Party("c-1".to_owned()), "EL", "1", "Huawei"), Verdict::FalsePositive, T3);
        store.record_decision(&recorded).expect("decision");
        let edges = [edge("Parent Co", "Customer One", 0.75)];
        store.import_ownership(&edges).expect("ownership");
        drop(store);

        let store = db.open();
        assert_eq!(store.current_versions().expect("versions"), vec![version.clone()]);
        assert_eq!(store.entries(version.id).expect("entries"), list.entries);
        assert_eq!(store.parties().expect("parties"), vec![customer]);
        let hits = store.hits_for("c-1").expect("hits");
        assert_eq!((hits.len(), hits[0].screening_id), (1, screening));
        assert_eq!(hits[0].hit, hit("EL", "1", "Huawei"));
        assert_eq!(store.decisions().expect("decisions")[0].decision, recorded);
        assert_eq!(store.ownership_edges().expect("edges"), edges.to_vec());
        drop(store);

        // Reopening applies no migration twice.
        assert_eq!(db.count("schema_migrations"), 12, "each migration applied exactly once");
        if !db.is_postgres() {
            // The file stays in write-ahead-log mode.
            let raw = rusqlite::Connection::open(db.location()).expect("open directly");
            let mode: String = raw.query_row("PRAGMA journal_mode", [], |r| r.get(0)).expect("journal mode");
            assert_eq!(mode, "wal");
        }
    });
}

#[test]
fn opening_fails_with_the_path_and_the_reason() {
    let dir = TempDir::new();
    let missing = dir.0.join("no-such-directory").join("chipwarden.sqlite");
    let err = Store::open(&missing).expect_err("the directory does not exist");
    let message = err.to_string();
    assert!(message.starts_with(&format!("cannot open the store at `{}`: ", missing.display())), "{message}");
    // The cause is in the message, so it is not also the error's source: chains print it once.
    assert!(std::error::Error::source(&err).is_none());
    assert!(!Path::new(&missing).exists());

    let garbage = dir.0.join("notes.txt");
    fs::write(&garbage, "these are not the droids you are looking for, nor a database ".repeat(100)).expect("write");
    let err = Store::open(&garbage).expect_err("not a database");
    assert!(err.to_string().contains("not a database"), "{err}");

    let newer = dir.store_path();
    drop(Store::open(&newer).expect("new store"));
    let raw = rusqlite::Connection::open(&newer).expect("open directly");
    raw.execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'future', 'x')", [])
        .expect("pretend a newer build migrated it");
    drop(raw);
    let err = Store::open(&newer).expect_err("newer schema");
    assert!(
        err.to_string().ends_with(
            "the store was written by a newer ChipWarden (schema version 99; this build knows versions up to 12)"
        ),
        "{err}"
    );
}

#[test]
fn customer_records_keep_their_history_and_store_a_version_only_on_change() {
    use chipwarden_store::CustomerRecord;
    each_backend(|db| {
        let record = |account: &str, name: &str, owner: &str| CustomerRecord {
            account: account.into(),
            legal_name: name.into(),
            country: Some("SG".into()),
            verification: "verified".into(),
            record: json!({ "account": account, "legal_name": name, "beneficial_owners": [{ "name": owner }] }),
        };
        let mut store = db.open();
        let first = store
            .record_customers(
                &[record("acme-1", "Acme AI Pte Ltd", "Li Wei"), record("acme-2", "Acme Two", "Li Wei")],
                "kyc-1.jsonl",
                "2026-01-01T00:00:00Z",
            )
            .expect("record");
        assert_eq!((first.new.len(), first.changed.len(), first.unchanged.len()), (2, 0, 0));
        let second = store
            .record_customers(
                &[record("acme-1", "Acme AI Pte Ltd", "Zhang San"), record("acme-2", "Acme Two", "Li Wei")],
                "kyc-2.jsonl",
                "2026-02-01T00:00:00Z",
            )
            .expect("record again");
        assert_eq!(
            (second.new, second.changed, second.unchanged),
            (vec![], vec!["acme-1".to_owned()], vec!["acme-2".to_owned()])
        );
        drop(store);
        let store = db.open();
        let current = store.customers().expect("customers");
        assert_eq!(current.len(), 2);
        assert_eq!(current[0].customer.record["beneficial_owners"][0]["name"], "Zhang San");
        assert_eq!(current[0].source, "kyc-2.jsonl");
        let history = store.customer_history("acme-1").expect("history");
        assert_eq!(history.len(), 2);
        assert_eq!(history[0].customer.record["beneficial_owners"][0]["name"], "Li Wei");
        assert!(history[0].version < history[1].version);
        // The schema refuses to rewrite or delete what the operator knew.
        let update = db.raw_execute("UPDATE customer_records SET legal_name = 'x'").expect_err("update refused");
        assert!(update.contains("never rewritten"), "{update}");
        let delete = db.raw_execute("DELETE FROM customer_records").expect_err("delete refused");
        assert!(delete.contains("never deleted"), "{delete}");
    });
}

/// A SQLite store file as an older build left it: the shipped migrations up to `version`
/// applied and recorded, none after.
fn store_at_version(dir: &TempDir, version: usize) -> rusqlite::Connection {
    let raw = rusqlite::Connection::open(dir.store_path()).expect("raw");
    raw.execute_batch(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
    )
    .expect("migrations table");
    let shipped = [
        ("initial", include_str!("../migrations/sqlite/0001_initial.sql")),
        ("party_qualifiers", include_str!("../migrations/sqlite/0002_party_qualifiers.sql")),
        ("usage", include_str!("../migrations/sqlite/0003_usage.sql")),
        ("customers", include_str!("../migrations/sqlite/0004_customers.sql")),
        ("usage_account_index", include_str!("../migrations/sqlite/0005_usage_account_index.sql")),
        ("ledger", include_str!("../migrations/sqlite/0006_ledger.sql")),
        ("ledger_serials", include_str!("../migrations/sqlite/0007_ledger_serials.sql")),
        ("api_tokens", include_str!("../migrations/sqlite/0008_api_tokens.sql")),
        ("usage_compact", include_str!("../migrations/sqlite/0009_usage_compact.sql")),
        ("cases", include_str!("../migrations/sqlite/0010_cases.sql")),
        ("locations", include_str!("../migrations/sqlite/0011_locations.sql")),
    ];
    for (i, (name, sql)) in shipped.iter().take(version).enumerate() {
        raw.execute_batch(sql).expect(name);
        raw.execute("INSERT INTO schema_migrations VALUES (?1, ?2, 'then')", (i as i64 + 1, name)).expect("record");
    }
    raw
}

#[test]
fn usage_records_of_a_version_8_store_move_to_the_compact_table_exactly() {
    // A store as version 8 left it: usage times as RFC 3339 text, the source on every row.
    let dir = TempDir::new();
    let raw = store_at_version(&dir, 8);
    for (id, start, end, source) in [
        ("r1", "2026-10-01T00:00:00Z", "2026-10-01T01:00:00Z", "a.csv"),
        ("r2", "2026-10-01T00:00:00.5Z", "2026-10-02T00:00:00.123456789Z", "a.csv"),
        ("r3", "1999-12-31T23:59:59.000001Z", "2000-01-01T00:00:00Z", "b.jsonl"),
    ] {
        raw.execute(
            "INSERT INTO usage_records (record_id, account, chip_model, chip_id, chips, start, \"end\", source, ingested_at)
             VALUES (?1, 'acct', 'H100', 'nvidia-h100-sxm5-80gb', 8, ?2, ?3, ?4, '2026-11-29T00:00:00Z')",
            (id, start, end, source),
        )
        .expect("row");
    }
    drop(raw);
    let store = Store::open(dir.store_path()).expect("migrate to the compact table");
    let usage = store.usage().expect("usage");
    let ns = |t: &str| i64::try_from(t.parse::<jiff::Timestamp>().expect("time").as_nanosecond()).expect("i64");
    let got: Vec<(&str, i64, i64)> = usage.iter().map(|u| (u.record_id.as_str(), u.start_ns, u.end_ns)).collect();
    assert_eq!(
        got,
        [
            ("r1", ns("2026-10-01T00:00:00Z"), ns("2026-10-01T01:00:00Z")),
            ("r2", ns("2026-10-01T00:00:00.5Z"), ns("2026-10-02T00:00:00.123456789Z")),
            ("r3", ns("1999-12-31T23:59:59.000001Z"), ns("2000-01-01T00:00:00Z")),
        ]
    );
    let raw = rusqlite::Connection::open(dir.store_path()).expect("raw");
    let ingests: i64 = raw.query_row("SELECT count(*) FROM usage_ingests", [], |r| r.get(0)).expect("count");
    assert_eq!(ingests, 2, "one row per source and time");
    let update = raw.execute("UPDATE usage_records SET chips = 1", []).expect_err("never rewritten");
    assert!(update.to_string().contains("never rewritten"), "{update}");
}

#[test]
fn usage_records_of_a_version_11_store_keep_every_field_in_the_dictionary_coded_table() {
    // A store as version 11 left it: account and chip model as text on every record.
    let dir = TempDir::new();
    let raw = store_at_version(&dir, 11);
    raw.execute_batch(
        "INSERT INTO usage_ingests (id, source, at) VALUES (1, 'a.csv', 't1'), (2, 'b.jsonl', 't2');
         INSERT INTO usage_records (record_id, account, chip_model, chip_id, chips, start_ns, end_ns, utilization,
                                    tensor_active, run_id, ingest_id) VALUES
             ('r1', 'acct-b', 'H100', 'nvidia-h100-sxm5-80gb', 8, 100, 200, NULL, NULL, NULL, 1),
             ('r2', 'acct-a', 'V100 SXM2 16GB', 'nvidia-v100-sxm2-16gb', 0.5, 150, 400, 0.25, 0.75, 'run-7', 1),
             ('r3', 'acct-b', 'h100', 'nvidia-h100-sxm5-80gb', 1, -5, 7, NULL, 0.5, 'run-7', 2);",
    )
    .expect("version 11 rows");
    drop(raw);

    let mut store = Store::open(dir.store_path()).expect("migrate to the dictionary-coded table");
    let usage = store.usage().expect("usage");
    let row = |id: &str, account: &str, model: &str, chip_id: &str, chips: f64, (start_ns, end_ns): (i64, i64)| {
        chipwarden_store::StoredUsage {
            record_id: id.to_owned(),
            account: account.to_owned(),
            chip_model: model.to_owned(),
            chip_id: chip_id.to_owned(),
            chips,
            start_ns,
            end_ns,
            utilization: None,
            tensor_active: None,
            run_id: None,
        }
    };
    let mut r2 = row("r2", "acct-a", "V100 SXM2 16GB", "nvidia-v100-sxm2-16gb", 0.5, (150, 400));
    (r2.utilization, r2.tensor_active, r2.run_id) = (Some(0.25), Some(0.75), Some("run-7".to_owned()));
    let mut r3 = row("r3", "acct-b", "h100", "nvidia-h100-sxm5-80gb", 1.0, (-5, 7));
    (r3.tensor_active, r3.run_id) = (Some(0.5), Some("run-7".to_owned()));
    let expected = vec![row("r1", "acct-b", "H100", "nvidia-h100-sxm5-80gb", 8.0, (100, 200)), r2, r3];
    assert_eq!(usage, expected, "every record, every field, by record id");

    // Idempotent across the upgrade: a record stored before it counts once; a new one uses the
    // stored dictionaries.
    let again = store.ingest_usage(&expected[..1], "a.csv", "t3").expect("re-ingest");
    assert_eq!((again.inserted, again.already_counted), (0, 1));
    let new = row("r4", "acct-b", "H100", "nvidia-h100-sxm5-80gb", 2.0, (1, 2));
    let done = store.ingest_usage(std::slice::from_ref(&new), "c.csv", "t3").expect("new record");
    assert_eq!((done.inserted, done.already_counted), (1, 0));
    assert_eq!(store.usage().expect("usage").len(), 4);

    let raw = rusqlite::Connection::open(dir.store_path()).expect("raw");
    let count = |sql: &str| -> i64 { raw.query_row(sql, [], |r| r.get(0)).expect(sql) };
    assert_eq!(count("SELECT count(*) FROM usage_accounts"), 2, "each account once");
    assert_eq!(count("SELECT count(*) FROM usage_models"), 3, "each spelling and chip once");
    assert_eq!(count("SELECT count(*) FROM usage_ingests"), 4, "two before, two new");
    for (sql, why) in [
        ("UPDATE usage_records SET chips = 1", "never rewritten"),
        ("UPDATE usage_accounts SET account = 'x'", "never rewritten"),
        ("DELETE FROM usage_accounts", "never deleted"),
        ("DELETE FROM usage_models", "never deleted"),
        ("DELETE FROM usage_ingests", "never deleted"),
    ] {
        let err = raw.execute(sql, []).expect_err(sql);
        assert!(err.to_string().contains(why), "{sql}: {err}");
    }
}

#[test]
fn a_record_whose_account_number_is_not_in_the_dictionary_is_reported_as_corrupt() {
    let dir = TempDir::new();
    let mut store = Store::open(dir.store_path()).expect("store");
    let usage = chipwarden_store::StoredUsage {
        record_id: "r1".to_owned(),
        account: "acct".to_owned(),
        chip_model: "H100".to_owned(),
        chip_id: "nvidia-h100-sxm5-80gb".to_owned(),
        chips: 1.0,
        start_ns: 1,
        end_ns: 2,
        utilization: None,
        tensor_active: None,
        run_id: None,
    };
    store.ingest_usage(&[usage], "a.csv", "t").expect("ingest");
    drop(store);
    let raw = rusqlite::Connection::open(dir.store_path()).expect("raw");
    raw.execute(
        "INSERT INTO usage_records (record_id, account_id, model_id, chips, start_ns, end_ns, ingest_id)
         VALUES ('r2', 99, 1, 1, 1, 2, 1)",
        [],
    )
    .expect("a record pointing nowhere, written behind the store's back");
    drop(raw);
    let store = Store::open(dir.store_path()).expect("store");
    let err = store.usage().expect_err("corrupt");
    assert!(err.to_string().contains("account number 99"), "{err}");
}

#[test]
fn a_batch_with_a_record_the_store_must_not_hold_is_refused_whole() {
    each_backend(|db| {
        let mut store = db.open();
        let good = chipwarden_store::StoredUsage {
            record_id: "r1".to_owned(),
            account: "acct".to_owned(),
            chip_model: "H100".to_owned(),
            chip_id: "nvidia-h100-sxm5-80gb".to_owned(),
            chips: 8.0,
            start_ns: 1_000,
            end_ns: 2_000,
            utilization: Some(0.4),
            tensor_active: None,
            run_id: Some("run-1".to_owned()),
        };
        type Spoil = fn(&mut chipwarden_store::StoredUsage);
        let cases: [(Spoil, &str); 7] = [
            (|u| u.chips = 0.0, "usage record `r2`: chips 0 is not a number above zero"),
            (|u| u.chips = f64::NAN, "usage record `r2`: chips NaN is not a number above zero"),
            (|u| u.end_ns = u.start_ns, "usage record `r2`: the end is not after the start"),
            (|u| u.utilization = Some(1.5), "usage record `r2`: utilization 1.5 is not between 0 and 1"),
            (|u| u.tensor_active = Some(-0.1), "usage record `r2`: tensor_active -0.1 is not between 0 and 1"),
            (|u| u.account = String::new(), "usage record `r2`: the account is empty"),
            (|u| u.record_id = String::new(), "usage record ``: the record id is empty"),
        ];
        for (spoil, message) in cases {
            let mut bad = good.clone();
            bad.record_id = "r2".to_owned();
            spoil(&mut bad);
            let err = store.ingest_usage(&[good.clone(), bad], "a.csv", "t").expect_err(message);
            assert_eq!(err.to_string(), message);
        }
        // Nothing of the refused batches was stored; the good record goes in alone.
        assert!(store.usage().expect("usage").is_empty());
        let done = store.ingest_usage(std::slice::from_ref(&good), "a.csv", "t").expect("good record");
        assert_eq!(done.inserted, 1);
        assert_eq!(store.usage().expect("usage"), vec![good]);
    });
}

#[test]
fn the_first_of_equal_record_ids_in_a_batch_is_the_one_counted_sorted_or_not() {
    each_backend(|db| {
        let row = |id: &'static str, account: &'static str| chipwarden_store::UsageRow {
            record_id: id,
            account,
            chip_model: "H100",
            chip_id: "nvidia-h100-sxm5-80gb",
            chips: 1.0,
            start_ns: 1,
            end_ns: 2,
            utilization: None,
            tensor_active: None,
            run_id: None,
        };
        for presorted in [false, true] {
            let mut store = db.open();
            let mut batch = chipwarden_store::UsageBatch::new();
            for (id, account) in [("r2", "first"), ("r1", "only"), ("r2", "second"), ("r0", "only")] {
                batch.push(&row(id, account));
            }
            if presorted {
                batch.sort_by_record_id();
            }
            let at = if presorted { "t2" } else { "t1" };
            let done = store.ingest_usage_batch(&batch, "a.csv", at).expect("ingest");
            let stored: Vec<(String, String)> =
                store.usage().expect("usage").into_iter().map(|u| (u.record_id, u.account)).collect();
            let want = [("r0", "only"), ("r1", "only"), ("r2", "first")];
            assert_eq!(stored, want.map(|(i, a)| (i.to_owned(), a.to_owned())), "presorted: {presorted}");
            // The second run finds everything already counted.
            assert_eq!((done.inserted, done.already_counted), if presorted { (0, 4) } else { (3, 1) });
        }
    });
}

#[test]
fn a_large_store_is_read_in_two_parts_split_at_the_median_record_id_in_one_snapshot() {
    each_backend(|db| {
        let mut store = db.open();
        let records: Vec<chipwarden_store::StoredUsage> = (0..1_001)
            .map(|i| chipwarden_store::StoredUsage {
                record_id: format!("r{i}"),
                account: format!("acct-{}", i % 7),
                chip_model: "H100".to_owned(),
                chip_id: "nvidia-h100-sxm5-80gb".to_owned(),
                chips: 1.0,
                start_ns: i,
                end_ns: i + 10,
                utilization: None,
                tensor_active: None,
                run_id: None,
            })
            .collect();
        store.ingest_usage(&records, "a.csv", "t").expect("ingest");
        let all: Vec<String> = store.usage().expect("usage").into_iter().map(|u| u.record_id).collect();
        // Each part: the names it was given and the record ids it read.
        let read = |split_above: u64| {
            store
                .scan_usage_parts(
                    split_above,
                    |names| Ok::<_, StoreError>((names.accounts.len(), Vec::new())),
                    |part, u| {
                        part.1.push(u.record_id.to_owned());
                        Ok(())
                    },
                )
                .expect("scan")
        };
        let parts = read(0);
        let ids: Vec<String> = parts.iter().flat_map(|p| p.1.clone()).collect();
        assert_eq!(ids, all, "every record once, in record id order");
        assert!(parts.iter().all(|p| p.0 == 7), "every part has all the names");
        if db.is_postgres() {
            assert_eq!(parts.len(), 1);
        } else {
            assert_eq!(parts.iter().map(|p| p.1.len()).collect::<Vec<_>>(), [500, 501], "split at the median");
        }
        // Below the size limit, one part.
        assert_eq!(read(u64::MAX).len(), 1);
    });
}
