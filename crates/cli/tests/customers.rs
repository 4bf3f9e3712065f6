//! End-to-end tests of `customers` (KYC onboarding with screening) and of the account links
//! customer records imply, through a real SQLite store and the bundled list samples.

mod common;

use serde_json::Value;

fn run(dir: &std::path::Path, args: &[&str]) -> common::Run {
    let mut command = common::binary();
    command.arg("--data-dir").arg(dir.join("data")).args(args);
    common::run(command)
}

fn lists_data(file: &str) -> String {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../lists/test_data").join(file).display().to_string()
}

fn temp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("chipwarden-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    dir
}

/// Two accounts sharing an owner (named differently), a card and an admin range; a customer
/// that is a Military End-User listed entity; a customer owned by an OFAC-listed person; two bad
/// records.
const CUSTOMERS: &str = r#"{"account":"acct-a","legal_name":"Northwind Compute Pte Ltd","country":"SG","address":"1 Harbourfront Ave, Singapore","beneficial_owners":[{"name":"Tan Mei Ling","country":"SG","share":0.6}],"payment_means":["card-fp:9f2c11"],"admin_ips":["203.0.113.0/24"],"verification":"verified","verified_on":"2026-03-02"}
{"account":"acct-b","legal_name":"Harbour Light Analytics Ltd","country":"HK","beneficial_owners":[{"name":"TAN, Mei-Ling","country":"SG"}],"payment_means":["CARD-FP:9F2C11"],"admin_ips":["203.0.113.45"],"verification":"pending"}
{"account":"acct-c","legal_name":"Academy of Aerospace Solid Propulsion Technology","country":"CN","verification":"unverified"}
{"account":"acct-d","legal_name":"Olive Grove Trading LLC","country":"AE","beneficial_owners":[{"name":"Mohammad Mutlaq ABU JHESHEH"}],"verification":"unverified"}
{"account":"acct-e","legal_name":"Bad Country Co","country":"C1"}
{"account":"acct-f","country":"SG"}
"#;

#[test]
fn onboarding_stores_screens_and_links_customers() {
    let dir = temp("customers");
    let file = dir.join("customers.jsonl");
    std::fs::write(&file, CUSTOMERS).expect("write");
    let file = file.display().to_string();
    let csl = run(&dir, &["lists", "import", &lists_data("csl_2025_sample.csv")]);
    assert_eq!(csl.code, 0, "{}", csl.stderr);

    let first = run(&dir, &["customers", "import", "--file", &file, "--json"]);
    assert_eq!(first.code, 1, "hits make exit code 1: {}", first.stderr);
    // Bad records are named by file, line and field; the good ones still land.
    assert!(first.stderr.contains("line 5, field `country`"), "{}", first.stderr);
    assert!(first.stderr.contains("line 6, field `legal_name`"), "{}", first.stderr);
    let lines: Vec<Value> = first.stdout.lines().map(|l| serde_json::from_str(l).expect("json line")).collect();
    assert_eq!(lines.len(), 4, "{}", first.stdout);
    let by = |account: &str| lines.iter().find(|l| l["account"] == account).expect(account).clone();
    assert_eq!(by("acct-a")["record"], "new");
    assert_eq!(by("acct-a")["hits"].as_array().map(Vec::len), Some(0));
    let a = by("acct-a");
    let reasons: Vec<&str> =
        a["links"].as_array().expect("links").iter().filter_map(|l| l["reason"].as_str()).collect();
    assert_eq!(reasons, ["same_beneficial_owner", "payment_instrument", "ip_or_asn"]);
    let c_hits = by("acct-c")["hits"].as_array().expect("hits").clone();
    assert!(!c_hits.is_empty(), "the listed entity is a hit");
    assert_eq!(c_hits[0]["query"], "kyc:acct-c");
    let d_hits = by("acct-d")["hits"].as_array().expect("hits").clone();
    assert!(
        d_hits.iter().any(|h| h["query"] == "kyc:acct-d/owner:Mohammad Mutlaq ABU JHESHEH"),
        "the listed owner is a hit: {d_hits:?}"
    );

    // The same file again changes nothing; a changed record is a new version, the old one kept.
    let again = run(&dir, &["customers", "import", "--file", &file, "--json"]);
    assert!(again.stdout.lines().all(|l| l.contains(r#""record":"unchanged""#)), "{}", again.stdout);
    let changed = dir.join("changed.jsonl");
    std::fs::write(
        &changed,
        r#"{"account":"acct-a","legal_name":"Northwind Compute Pte Ltd","country":"SG","beneficial_owners":[{"name":"Tan Mei Ling","country":"SG","share":0.4}],"verification":"verified","verified_on":"2026-09-01"}"#,
    )
    .expect("write");
    let third = run(&dir, &["customers", "import", "--file", &changed.display().to_string(), "--json"]);
    assert_eq!(third.code, 0, "{}", third.stderr);
    assert!(third.stdout.contains(r#""record":"changed""#), "{}", third.stdout);
    let show = run(&dir, &["customers", "show", "acct-a", "--json"]);
    let v: Value = serde_json::from_str(&show.stdout).expect("json");
    assert_eq!(v["history"].as_array().map(Vec::len), Some(2));
    assert_eq!(v["record"]["beneficial_owners"][0]["share"], 0.4);
    // The new record dropped the card and the range: only the owner still links a and b.
    let reasons: Vec<&str> =
        v["links"].as_array().expect("links").iter().filter_map(|l| l["reason"].as_str()).collect();
    assert_eq!(reasons, ["same_beneficial_owner"]);
    let list = run(&dir, &["customers", "list", "--json"]);
    assert_eq!(list.stdout.lines().count(), 4);
    assert!(run(&dir, &["customers", "show", "acct-zz"]).stderr.contains("no customer record for account `acct-zz`"));

    let groups = run(&dir, &["accounts", "groups", "--json"]);
    let g: Value = serde_json::from_str(groups.stdout.lines().next().expect("a group")).expect("json");
    assert_eq!(g["accounts"], serde_json::json!(["acct-a", "acct-b"]));
    assert!(
        g["links"][0]["evidence"].as_str().is_some_and(|e| e.contains("Tan Mei Ling") && e.contains("TAN, Mei-Ling"))
    );
}

#[test]
fn customers_onboarded_before_any_list_are_screened_by_rescreen() {
    let dir = temp("customers-rescreen");
    let file = dir.join("customers.jsonl");
    std::fs::write(&file, CUSTOMERS).expect("write");
    let first = run(&dir, &["customers", "import", "--file", &file.display().to_string()]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(first.stderr.contains("NOT SCREENED: no list is imported"), "{}", first.stderr);
    assert!(
        first.stdout.contains("acct-c (Academy of Aerospace Solid Propulsion Technology): record new, not screened")
    );
    assert_eq!(run(&dir, &["lists", "import", &lists_data("csl_2025_sample.csv")]).code, 0);
    let rescreen = run(&dir, &["screen", "rescreen", "--json"]);
    assert_eq!(rescreen.code, 1, "{}", rescreen.stderr);
    assert!(rescreen.stdout.contains(r#""query":"kyc:acct-c""#), "{}", rescreen.stdout);
}

#[test]
fn links_from_customer_records_reveal_a_split_run() {
    let dir = temp("customers-split");
    let file = dir.join("customers.jsonl");
    std::fs::write(&file, CUSTOMERS).expect("write");
    assert_eq!(run(&dir, &["customers", "import", "--file", &file.display().to_string(), "--no-screen"]).code, 0);
    let usage = dir.join("usage.csv");
    // Each account stays under 1e25 FLOP on its low estimate; together they cross it.
    std::fs::write(
        &usage,
        "record_id,account,chip_model,chips,start,end\n\
         r1,acct-a,H100 SXM,4096,2026-09-01T00:00:00Z,2026-10-31T00:00:00Z\n\
         r2,acct-b,H100 SXM,4096,2026-09-01T00:05:00Z,2026-10-31T00:00:00Z\n",
    )
    .expect("write");
    assert_eq!(run(&dir, &["meter", "ingest", &usage.display().to_string(), "--format", "csv"]).code, 0);
    let r = run(&dir, &["meter", "report", "--as-of", "2026-11-29T00:00:00Z", "--json"]);
    let v: Value = serde_json::from_str(&r.stdout).expect("json");
    let group = &v["groups"][0];
    assert_eq!(group["accounts"], serde_json::json!(["acct-a", "acct-b"]));
    assert!(!group["split_run"].is_null(), "{}", r.stdout);
    assert!(
        group["links"]
            .as_array()
            .is_some_and(|l| l.iter().all(|l| l["evidence"].as_str().is_some_and(|e| e.starts_with("KYC:"))))
    );
}
