//! End-to-end tests of `meter` and `accounts`: usage files into a real SQLite store, reports out.

mod common;

use serde_json::Value;

fn run(dir: &std::path::Path, args: &[&str]) -> common::Run {
    let mut command = common::binary();
    command.arg("--data-dir").arg(dir.join("data")).args(args);
    common::run(command)
}

#[test]
fn ingest_is_idempotent_rejects_bad_rows_and_reports_split_runs() {
    let dir = std::env::temp_dir().join(format!("chipwarden-meter-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let usage = dir.join("usage.csv");
    // Two linked accounts each running 4,096 H100s for 60 days, five minutes apart: each stays
    // under 1e25 FLOP on its low estimate, together they cross it.
    std::fs::write(
        &usage,
        "record_id,account,chip_model,chips,start,end,utilization,run_id\n\
         r1,acct-a,H100 SXM,4096,2026-09-01T00:00:00Z,2026-10-31T00:00:00Z,,run-x\n\
         r2,acct-b,H100 SXM,4096,2026-09-01T00:05:00Z,2026-10-31T00:00:00Z,,run-y\n\
         r3,acct-c,A100,8,2026-10-01T00:00:00Z,2026-10-02T00:00:00Z,0.45,\n\
         r4,acct-c,H1000,8,2026-10-01T00:00:00Z,2026-10-02T00:00:00Z,,\n\
         r5,acct-c,A100,8,2026-10-02T00:00:00Z,2026-10-01T00:00:00Z,,\n",
    )
    .expect("write");
    let usage = usage.display().to_string();
    let rejects = dir.join("rejects.csv");
    let first = run(
        &dir,
        &["meter", "ingest", &usage, "--format", "csv", "--rejects", &rejects.display().to_string(), "--json"],
    );
    assert_eq!(first.code, 0, "{}", first.stderr);
    let v: Value = serde_json::from_str(&first.stdout).expect("json");
    assert_eq!((v["inserted"].as_u64(), v["rejected"].as_u64()), (Some(3), Some(2)));
    let report = std::fs::read_to_string(&rejects).expect("reject report");
    assert!(report.contains(",5,chip_model,") && report.contains("did you mean"), "{report}");
    assert!(report.contains(",6,end,"), "{report}");
    // A re-run counts nothing twice.
    let again: Value =
        serde_json::from_str(&run(&dir, &["meter", "ingest", &usage, "--format", "csv", "--json"]).stdout)
            .expect("json");
    assert_eq!((again["inserted"].as_u64(), again["already_counted"].as_u64()), (Some(0), Some(3)));

    let links = dir.join("links.csv");
    std::fs::write(
        &links,
        "account_a,account_b,reason,evidence\nacct-a,acct-b,same beneficial owner,registry extract\n",
    )
    .expect("write");
    assert_eq!(run(&dir, &["accounts", "link", "--file", &links.display().to_string()]).code, 0);
    let r = run(&dir, &["meter", "report", "--as-of", "2026-11-29T00:00:00Z", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).expect("json");
    let accounts = v["accounts"].as_array().expect("accounts");
    assert_eq!(accounts.len(), 3);
    for a in accounts {
        for field in ["account", "flop_low", "flop_mid", "flop_high", "thresholds_crossed"] {
            assert!(a.get(field).is_some(), "{field} missing from {a}");
        }
        assert!(a["flop_low"].as_f64() <= a["flop_mid"].as_f64() && a["flop_mid"].as_f64() <= a["flop_high"].as_f64());
    }
    let group = &v["groups"][0];
    assert_eq!(group["accounts"], serde_json::json!(["acct-a", "acct-b"]));
    assert!(group["split_run"].is_object(), "{group}");
    // 2 x 4,096 H100 x ~1,439.9 h x 989.4 TFLOPS x 0.3 = 1.26e25 FLOP, the group's low estimate.
    let low = group["flop_low"].as_f64().unwrap_or(0.0);
    assert!((low - 1.26e25).abs() < 0.01e25, "{low}");
    // Per run: each of the two runs is one account's half.
    let runs = v["runs"].as_array().expect("runs");
    let ids: Vec<&str> = runs.iter().filter_map(|r| r["run_id"].as_str()).collect();
    assert_eq!(ids, ["run-x", "run-y"]);
    assert_eq!(runs[0]["accounts"], serde_json::json!(["acct-a"]));
    let run_low = runs[0]["flop_low"].as_f64().unwrap_or(0.0);
    assert!((run_low - 0.63e25).abs() < 0.01e25, "{run_low}");
    let text = run(&dir, &["meter", "report", "--as-of", "2026-11-29T00:00:00Z"]);
    assert!(text.stdout.contains("run run-x (acct-a)"), "{}", text.stdout);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_killed_ingest_rerun_counts_every_record_once() {
    let dir = std::env::temp_dir().join(format!("chipwarden-meter-kill-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let usage = dir.join("big.csv");
    let n = 200_000u32;
    let mut text = String::from("record_id,account,chip_model,chips,start,end\n");
    for i in 0..n {
        text.push_str(&format!("r{i},acct-{},H100 SXM,8,2026-10-01T00:00:00Z,2026-10-01T01:00:00Z\n", i % 50));
    }
    std::fs::write(&usage, text).expect("write");
    let usage = usage.display().to_string();
    // Start an ingest and kill it (SIGKILL) part of the way through. On this machine the debug
    // binary commits its first batch of 50,000 in about half a second and the whole file in
    // about two, so the kill lands mid-ingest; on a much faster or slower machine it may land
    // before or after, and the assertions below hold all the same.
    let mut child = common::binary()
        .arg("--data-dir")
        .arg(dir.join("data"))
        .args(["meter", "ingest", &usage, "--format", "csv", "--json"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    std::thread::sleep(std::time::Duration::from_millis(700));
    let _ = child.kill();
    let _ = child.wait();
    // Run it again to completion, then once more: every record is counted exactly once.
    let second = run(&dir, &["meter", "ingest", &usage, "--format", "csv", "--json"]);
    assert_eq!(second.code, 0, "{}", second.stderr);
    let v: Value = serde_json::from_str(&second.stdout).expect("json");
    let (inserted, already) = (v["inserted"].as_u64().unwrap_or(0), v["already_counted"].as_u64().unwrap_or(0));
    assert_eq!(inserted + already, u64::from(n));
    let third: Value =
        serde_json::from_str(&run(&dir, &["meter", "ingest", &usage, "--format", "csv", "--json"]).stdout)
            .expect("json");
    assert_eq!((third["inserted"].as_u64(), third["already_counted"].as_u64()), (Some(0), Some(u64::from(n))));
    let _ = std::fs::remove_dir_all(&dir);
}
