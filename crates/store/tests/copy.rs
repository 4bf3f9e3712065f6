//! Copying a whole store into an empty one (`Store::copy_into`, behind `chipwarden migrate`):
//! a store filled in every area moves from SQLite to PostgreSQL (and back, and to its own kind)
//! with every id kept, the same counts and ledger root, the same answers read back through the
//! store, and new ids after the copy that collide with nothing; a target that holds data, or a
//! schema with a table the copy does not know, is refused and left as it was.

mod common;

use std::collections::BTreeSet;

use chipwarden_ledger::LeafHashes;
use chipwarden_lists::{ListCode, ListEntry};
use chipwarden_store::testing::{TestDb, postgres_url};
use chipwarden_store::{
    Case, CaseChange, CaseState, CaseUpdate, CustomerRecord, Decision, HitKey, ListVersion, NewCase, NewMeasurement,
    OwnershipEdge, Party, RecordedDecision, RecordedHit, Screening, Store, StoreError, StoredCheckpoint,
    StoredCustomer, StoredHit, StoredLink, StoredMeasurement, StoredToken, StoredUsage, Subject, Verdict,
};
use common::{entry, parsed};
use serde_json::json;

fn hit(list: &str, id: &str, name: &str, score: f64) -> StoredHit {
    StoredHit {
        list: ListCode::new(list),
        entry_id: id.to_owned(),
        matched_name: name.to_owned(),
        score,
        explanation: json!({ "rule": "token-set", "tokens": [name] }),
        matcher_version: "test-1".to_owned(),
    }
}

fn party(id: &str, name: &str) -> Party {
    Party {
        id: id.to_owned(),
        name: name.to_owned(),
        country: Some("CN".to_owned()),
        address: Some("1 Example Road".to_owned()),
        date: Some("1999-01-01".to_owned()),
        identifiers: vec!["registration 91-110".to_owned()],
    }
}

fn decision(subject: Subject, id: &str, name: &str, verdict: Verdict, at: &str) -> Decision {
    Decision {
        key: HitKey { subject, list: ListCode::new("EL"), entry_id: id.to_owned(), matched_name: name.to_owned() },
        verdict,
        reviewer: "j.doe".to_owned(),
        at: at.to_owned(),
        reason: "different registration number".to_owned(),
    }
}

fn usage(id: &str, account: &str, start_ns: i64, utilization: Option<f64>) -> StoredUsage {
    StoredUsage {
        record_id: id.to_owned(),
        account: account.to_owned(),
        chip_model: "H100".to_owned(),
        chip_id: format!("chip-{id}"),
        chips: 8.0,
        start_ns,
        end_ns: start_ns + 3_600_000_000_000,
        utilization,
        tensor_active: utilization.map(|u| u / 2.0),
        run_id: utilization.map(|_| "run-1".to_owned()),
    }
}

fn customer(account: &str, name: &str) -> CustomerRecord {
    CustomerRecord {
        account: account.to_owned(),
        legal_name: name.to_owned(),
        country: Some("NL".to_owned()),
        verification: "verified".to_owned(),
        record: json!({ "account": account, "legal_name": name }),
    }
}

fn link(a: &str, b: &str, reason: &str) -> StoredLink {
    StoredLink {
        account_a: a.to_owned(),
        account_b: b.to_owned(),
        reason: reason.to_owned(),
        evidence: "invoice".into(),
    }
}

fn case(key: &str, kind: &'static str) -> NewCase {
    NewCase {
        kind,
        key: key.to_owned(),
        subject: format!("party:{key}"),
        list: Some("EL".to_owned()),
        entry_id: Some("EL-1".to_owned()),
        matched_name: Some("HUAWEI".to_owned()),
        title: format!("case {key}"),
        evidence: json!({ "score": 0.97, "key": key }),
        fingerprint: "v1".to_owned(),
    }
}

fn measurement(serial: &str, landmark: &str, at: &str, rtt: f64) -> NewMeasurement {
    NewMeasurement {
        serial: serial.to_owned(),
        landmark: landmark.to_owned(),
        rtt_ms: rtt,
        measured_at: at.to_owned(),
        record: format!(r#"{{"serial":"{serial}","landmark":"{landmark}","at":"{at}","rtt":{rtt}}}"#),
    }
}

fn audit(change: &CaseChange) -> Result<Vec<u8>, String> {
    Ok(format!("audit case {} {} {}", change.case_id, change.action, change.detail).into_bytes())
}

fn custody(serial: &str, n: u32) -> Vec<u8> {
    format!(r#"{{"event":{{"kind":"ship","n":{n},"serial":"{serial}"}},"signature":"sig-{serial}-{n}"}}"#).into_bytes()
}

/// Fills `store` with data in every area: every table of the schema gets rows.
fn fill(store: &mut Store) {
    let at = "2025-03-01T10:00:00Z";
    let v1 = store
        .import_list("csl", &parsed("h1", vec![entry("EL", "EL-1", "HUAWEI"), entry("EL", "EL-2", "ZTE")]), at)
        .expect("import")
        .version
        .id;
    let v2 = store
        .import_list("csl", &parsed("h2", vec![entry("EL", "EL-1", "HUAWEI"), entry("EL", "EL-3", "SMIC")]), at)
        .expect("import again")
        .version
        .id;
    store.import_list("ofac-sdn", &parsed("h3", vec![entry("SDN", "306", "BANCO NACIONAL DE CUBA")]), at).expect("sdn");
    store.upsert_party(&party("P1", "Huawei Technologies")).expect("party");
    store.upsert_party(&Party { country: None, address: None, date: None, ..party("P2", "Acme") }).expect("party");
    store.record_hits("P1", &[hit("EL", "EL-1", "HUAWEI", 0.97)], &[v1], at).expect("hits");
    store.record_hits("P2", &[], &[v2], at).expect("no hits");
    store
        .record_batch(
            &[(party("P3", "SMIC Beijing"), vec![hit("EL", "EL-3", "SMIC", 0.88)]), (party("P4", "Zed"), vec![])],
            &[v2],
            "2025-03-02T10:00:00Z",
        )
        .expect("batch");
    store
        .record_decision(&decision(Subject::Party("P1".into()), "EL-1", "HUAWEI", Verdict::ConfirmedMatch, at))
        .expect("d");
    store
        .record_decision(&decision(Subject::Query("smic".into()), "EL-3", "SMIC", Verdict::FalsePositive, at))
        .expect("decision on a query");
    store
        .import_ownership(&[
            OwnershipEdge {
                owner: "P1".into(),
                owned: "P3".into(),
                share: 0.5,
                source: "registry".into(),
                date: "2025-01-01".into(),
            },
            OwnershipEdge {
                owner: "P4".into(),
                owned: "P3".into(),
                share: 0.25,
                source: "registry".into(),
                date: "2025-01-01".into(),
            },
        ])
        .expect("ownership");
    store
        .ingest_usage(
            &[
                usage("r-2", "acct-b", 1_700_000_000_000_000_001, Some(0.75)),
                usage("r-1", "acct-a", 1_700_000_000_000_000_000, None),
            ],
            "usage-1.csv",
            at,
        )
        .expect("usage");
    store
        .ingest_usage(&[usage("r-3", "acct-a", 1_700_000_100_000_000_000, Some(0.5))], "usage-2.csv", at)
        .expect("usage 2");
    // Added out of key order: the order they were added in must survive.
    store.add_links(&[link("acct-z", "acct-a", "same_owner"), link("acct-a", "acct-b", "payment")]).expect("links");
    store
        .record_customers(&[customer("acct-a", "Acme BV"), customer("acct-b", "Beta BV")], "kyc.csv", at)
        .expect("kyc");
    store.record_customers(&[customer("acct-a", "Acme Holding BV")], "kyc-2.csv", at).expect("a new version");
    let first = store.ledger_append(&[custody("SN1", 1), custody("SN2", 1), custody("SN1", 2)], at).expect("append");
    assert_eq!(first, 0);
    store.ledger_append(&[b"not json at all".to_vec(), custody("SN2", 2)], at).expect("append more");
    let size = store.ledger_size().expect("size");
    let root = chipwarden_ledger::root(&store.ledger_leaves().expect("leaves"), size).expect("root");
    store.ledger_record_checkpoint(size, &root, "checkpoint note\n\n— log sig\n", at).expect("checkpoint");
    store.create_token("admin", "admin", &"a".repeat(64), at).expect("token");
    store.create_token_audited("old", "analyst", &"b".repeat(64), at, b"audit token old").expect("token 2");
    store.revoke_token_audited("old", "2025-03-03T00:00:00Z", b"audit revoke old").expect("revoke").expect("live");
    store.create_agent_token_audited("agent-acme", "Acme Cloud", &"c".repeat(64), at, b"audit agent").expect("agent");
    let opened =
        store.record_cases(&[case("P1", "screening"), case("SN1", "location")], "rescreen", at, &audit).expect("cases");
    let update = CaseUpdate {
        author: "desk".to_owned(),
        assignee: Some("j.doe".to_owned()),
        state: Some((CaseState::Cleared, "not the same company".to_owned())),
        note: Some("checked the registry".to_owned()),
    };
    let confirm = decision(Subject::Party("P3".into()), "EL-3", "SMIC", Verdict::FalsePositive, at);
    store
        .update_case(opened[0].0, &update, Some(&confirm), "2025-03-04T00:00:00Z", &audit)
        .expect("update")
        .expect("case");
    store
        .record_measurements(
            &[
                measurement("SN1", "L-AMS", "2025-03-01T09:00:00Z", 4.5),
                measurement("SN1", "L-FRA", "2025-03-01T09:01:00Z", 9.25),
            ],
            "agent-acme",
            at,
        )
        .expect("measurements");
}

/// Everything a store answers through its public methods, to compare two stores.
#[derive(Debug, PartialEq)]
struct Snapshot {
    versions: Vec<ListVersion>,
    all_versions: Vec<Vec<ListVersion>>,
    entries: Vec<Vec<ListEntry>>,
    parties: Vec<Party>,
    screenings: Vec<Vec<Screening>>,
    hits: Vec<Vec<RecordedHit>>,
    decisions: Vec<RecordedDecision>,
    ownership: Vec<OwnershipEdge>,
    usage: Vec<StoredUsage>,
    links: Vec<StoredLink>,
    customers: Vec<StoredCustomer>,
    history: Vec<StoredCustomer>,
    ledger: Vec<(u64, Vec<u8>, Vec<u8>)>,
    subtrees: Vec<(u32, u64, Vec<u8>)>,
    checkpoints: Vec<StoredCheckpoint>,
    by_serial: Vec<(u64, Vec<u8>)>,
    tokens: Vec<StoredToken>,
    token_parties: Vec<Option<String>>,
    cases: Vec<Case>,
    case_notes: Vec<Option<Case>>,
    case_counts: Vec<(String, CaseState, u64)>,
    measurements: Vec<StoredMeasurement>,
    measured: Vec<String>,
}

fn snapshot(store: &Store) -> Snapshot {
    let versions = store.current_versions().expect("versions");
    let sources = ["csl", "ofac-sdn"];
    let all_versions: Vec<Vec<ListVersion>> = sources.iter().map(|s| store.versions(s).expect("versions")).collect();
    let entries = all_versions.iter().flatten().map(|v| store.entries(v.id).expect("entries")).collect();
    let parties = store.parties().expect("parties");
    let screenings = parties.iter().map(|p| store.screenings(&p.id).expect("screenings")).collect();
    let hits = parties.iter().map(|p| store.hits_for(&p.id).expect("hits")).collect();
    let mut ledger = Vec::new();
    store
        .for_each_ledger_entry(|i, bytes, leaf| {
            ledger.push((i, bytes.to_vec(), leaf.to_vec()));
            Ok::<_, StoreError>(())
        })
        .expect("ledger");
    let mut subtrees = Vec::new();
    store
        .for_each_ledger_subtree(|level, start, hash| {
            subtrees.push((level, start, hash.to_vec()));
            Ok::<_, StoreError>(())
        })
        .expect("subtrees");
    let tokens = store.tokens().expect("tokens");
    let token_parties = tokens.iter().map(|t| store.token_party(t.id).expect("party")).collect();
    let cases = store.cases(None).expect("cases");
    let case_notes = cases.iter().map(|c| store.case(c.id).expect("case")).collect();
    Snapshot {
        versions,
        all_versions,
        entries,
        screenings,
        hits,
        parties,
        decisions: store.decisions().expect("decisions"),
        ownership: store.ownership_edges().expect("ownership"),
        usage: store.usage().expect("usage"),
        links: store.links().expect("links"),
        customers: store.customers().expect("customers"),
        history: store.customer_history("acct-a").expect("history"),
        ledger,
        subtrees,
        checkpoints: store.ledger_checkpoints().expect("checkpoints"),
        by_serial: store.ledger_entries_for_serials(&["SN1", "SN2"]).expect("by serial"),
        tokens,
        token_parties,
        cases,
        case_notes,
        case_counts: store.case_counts().expect("case counts"),
        measurements: store.measurements_since("SN1", "2025-01-01T00:00:00Z").expect("measurements"),
        measured: store.measured_chips("2025-01-01T00:00:00Z").expect("chips"),
    }
}

/// The same writes on a store, after the copy: returns every id they were given.
fn write_more(store: &mut Store) -> Vec<i64> {
    let at = "2025-04-01T00:00:00Z";
    let mut ids = Vec::new();
    let outcome = store.import_list("csl", &parsed("h4", vec![entry("EL", "EL-4", "YMTC")]), at).expect("import");
    ids.push(outcome.version.id);
    ids.push(outcome.previous_version_id.expect("a previous version"));
    ids.push(store.record_hits("P2", &[hit("EL", "EL-4", "YMTC", 0.9)], &[outcome.version.id], at).expect("hits"));
    ids.push(
        store
            .record_decision(&decision(Subject::Party("P2".into()), "EL-4", "YMTC", Verdict::FalsePositive, at))
            .expect("d"),
    );
    ids.push(i64::try_from(store.ledger_append(&[custody("SN3", 1)], at).expect("append")).expect("index"));
    let size = store.ledger_size().expect("size");
    let root = chipwarden_ledger::root(&store.ledger_leaves().expect("leaves"), size).expect("root");
    ids.push(store.ledger_record_checkpoint(size, &root, "note 2", at).expect("checkpoint"));
    ids.push(store.create_token("admin-2", "admin", &"d".repeat(64), at).expect("token").id);
    ids.push(store.create_token("old", "analyst", &"e".repeat(64), at).expect("a revoked token's name again").id);
    let opened = store.record_cases(&[case("P9", "screening")], "api", at, &audit).expect("case");
    ids.push(opened[0].0);
    let note = CaseUpdate { author: "desk".into(), assignee: None, state: None, note: Some("another note".into()) };
    store.update_case(opened[0].0, &note, None, at, &audit).expect("note").expect("case");
    store.record_customers(&[customer("acct-c", "Gamma BV")], "kyc-3.csv", at).expect("kyc");
    ids.push(store.customers().expect("customers").iter().map(|c| c.version).max().expect("a version"));
    store
        .record_measurements(&[measurement("SN1", "L-LON", "2025-04-01T00:00:00Z", 7.0)], "agent-acme", at)
        .expect("m");
    ids.push(store.measurements_since("SN1", at).expect("measurements")[0].id);
    store.ingest_usage(&[usage("r-4", "acct-c", 1_700_000_200_000_000_000, None)], "usage-3.csv", at).expect("usage");
    store.add_links(&[link("acct-b", "acct-c", "ip")]).expect("link");
    store
        .import_ownership(&[OwnershipEdge {
            owner: "P2".into(),
            owned: "P3".into(),
            share: 0.1,
            source: "registry".into(),
            date: "2025-04-01".into(),
        }])
        .expect("edge");
    ids
}

/// The tables of a store's schema, but `schema_migrations` (and SQLite's own), read around the
/// store.
fn schema_tables(db: &TestDb) -> BTreeSet<String> {
    if db.is_postgres() {
        let mut client = postgres::Client::connect(&db.location(), postgres::NoTls).expect("connect directly");
        let rows = client
            .query(
                "SELECT table_name::text FROM information_schema.tables
                 WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> 'schema_migrations'",
                &[],
            )
            .expect("list tables");
        return rows.iter().map(|r| r.get(0)).collect();
    }
    let conn = rusqlite::Connection::open(db.location()).expect("open the store file directly");
    let mut stmt = conn
        .prepare(
            "SELECT name FROM sqlite_master
             WHERE type = 'table' AND name NOT LIKE 'sqlite%' AND name <> 'schema_migrations'",
        )
        .expect("list tables");
    let rows = stmt.query_map([], |r| r.get(0)).expect("list tables");
    rows.collect::<Result<_, _>>().expect("list tables")
}

/// Copies a filled store on `source` into the empty `target` and checks everything survived.
fn moves_everything(source: &TestDb, target: &TestDb) {
    let (from, to) = (source.dialect(), target.dialect());
    let mut original = source.open();
    fill(&mut original);
    let mut copy = target.open();
    let report = original.copy_into(&mut copy).unwrap_or_else(|e| panic!("{from} -> {to}: {e}"));
    assert!(report.matches(), "{from} -> {to}: {report:#?}");
    assert_eq!((report.source_dialect, report.target_dialect), (from, to));

    // Every table of the schema is in the report, holds rows (the fill reaches every area), and
    // holds as many in the target as the database itself counts.
    let reported: BTreeSet<String> = report.tables.iter().map(|t| t.table.clone()).collect();
    assert_eq!(reported, schema_tables(source), "the copy covers every table of the {from} schema");
    assert_eq!(reported, schema_tables(target), "the copy covers every table of the {to} schema");
    for t in &report.tables {
        assert!(t.source > 0, "{from} -> {to}: the fill leaves `{}` empty", t.table);
        assert_eq!(t.source, t.target, "{from} -> {to}: `{}`", t.table);
        assert_eq!(i64::try_from(t.target).expect("count"), target.count(&t.table), "`{}`", t.table);
        assert_eq!(source.count(&t.table), target.count(&t.table), "`{}`", t.table);
    }
    let size = original.ledger_size().expect("size");
    let root = chipwarden_ledger::root(&original.ledger_leaves().expect("leaves"), size).expect("root");
    assert_eq!(report.ledger.source_size, size);
    assert_eq!(report.ledger.target_size, size);
    assert_eq!(report.ledger.source_root, root);
    assert_eq!(report.ledger.target_root, root);
    let leaves = copy.ledger_leaves().expect("leaves");
    assert_eq!(chipwarden_ledger::root(&leaves, leaves.size()).expect("root"), root);

    // Read back through the store, both give the same answers, ids and order included.
    let before = snapshot(&original);
    assert_eq!(snapshot(&copy), before, "{from} -> {to}");
    assert_eq!(before.links[0].account_a, "acct-z", "links keep the order they were added in");

    // The same writes on both give the same new ids: nothing collides with a copied id, and
    // the copy goes on as the original would have.
    let ids = write_more(&mut original);
    assert_eq!(write_more(&mut copy), ids, "{from} -> {to}: new ids after the copy");
    assert_eq!(snapshot(&copy), snapshot(&original), "{from} -> {to}: after more writes");
}

#[test]
fn sqlite_to_postgres_moves_everything() {
    let Some(url) = postgres_url() else { return };
    moves_everything(&TestDb::sqlite(), &TestDb::postgres(&url));
}

#[test]
fn postgres_to_sqlite_moves_everything() {
    let Some(url) = postgres_url() else { return };
    moves_everything(&TestDb::postgres(&url), &TestDb::sqlite());
}

#[test]
fn a_store_copies_to_its_own_kind() {
    moves_everything(&TestDb::sqlite(), &TestDb::sqlite());
    if let Some(url) = postgres_url() {
        moves_everything(&TestDb::postgres(&url), &TestDb::postgres(&url));
    }
}

/// The databases to copy between: SQLite to SQLite, and with PostgreSQL every pair.
fn pairs() -> Vec<(TestDb, TestDb)> {
    let mut out = vec![(TestDb::sqlite(), TestDb::sqlite())];
    if let Some(url) = postgres_url() {
        out.push((TestDb::sqlite(), TestDb::postgres(&url)));
        out.push((TestDb::postgres(&url), TestDb::sqlite()));
    }
    out
}

#[test]
fn an_empty_store_copies_to_an_empty_one() {
    for (source, target) in pairs() {
        let report = source.open().copy_into(&mut target.open()).expect("copy nothing");
        assert!(report.matches(), "{report:#?}");
        assert!(report.tables.iter().all(|t| t.source == 0 && t.target == 0));
        assert_eq!(report.ledger.source_root, chipwarden_ledger::empty_root());
        assert_eq!(report.ledger.target_root, chipwarden_ledger::empty_root());
    }
}

#[test]
fn a_target_that_holds_data_is_refused_and_left_as_it_was() {
    for (source, target) in pairs() {
        let mut original = source.open();
        fill(&mut original);
        let mut copy = target.open();
        copy.create_token("someone", "analyst", &"f".repeat(64), "2025-01-01T00:00:00Z").expect("a token");
        let before = snapshot(&copy);
        let err = original.copy_into(&mut copy).expect_err("a target with a token is not empty");
        assert!(matches!(&err, StoreError::TargetNotEmpty { table } if table == "api_tokens"), "{err}");
        assert!(err.to_string().contains("api_tokens"), "{err}");
        assert_eq!(snapshot(&copy), before, "the target is left as it was");
        assert_eq!(target.count("parties"), 0);
        assert_eq!(target.count("ledger_entries"), 0);
        // The source is only read.
        assert_eq!(source.count("parties"), 4);
    }
}

#[test]
fn a_table_the_copy_does_not_know_refuses_it() {
    for (source, target) in pairs() {
        source.open();
        source.raw_execute("CREATE TABLE added_by_hand (x TEXT)").expect("add a table");
        let mut copy = target.open();
        let err = source.open().copy_into(&mut copy).expect_err("an unknown table");
        assert!(matches!(err, StoreError::SchemaDiffers(_)), "{err}");
        assert!(err.to_string().contains("added_by_hand"), "{err}");
        // And on the target's side.
        let other = TestDb::sqlite();
        other.open();
        other.raw_execute("CREATE TABLE added_by_hand (x TEXT)").expect("add a table");
        let err = copy.copy_into(&mut other.open()).expect_err("an unknown table in the target");
        assert!(err.to_string().contains("added_by_hand"), "{err}");
    }
}
