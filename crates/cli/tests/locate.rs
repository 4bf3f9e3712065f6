//! End-to-end tests of `locate verify` and `locate map`: files in, verdicts and an SVG out.
//!
//! The landmarks are real cities; the round trips are what a chip in Kuala Lumpur would measure
//! (at least the distance at 2/3 c, plus queueing delay).

mod common;

use serde_json::Value;

fn run(dir: &std::path::Path, args: &[&str]) -> common::Run {
    let mut command = common::binary();
    command.arg("--data-dir").arg(dir.join("data")).args(args);
    common::run(command)
}

const LANDMARKS: &str = "id,lat,lon\nsin,1.352,103.820\nbkk,13.756,100.502\njkt,-6.200,106.816\nhkg,22.302,114.177\n";
const MEASUREMENTS: &str =
    "target,landmark,rtt_ms\nchip-1,sin,5.0\nchip-1,bkk,14.5\nchip-1,jkt,15.2\nchip-1,hkg,31.0\n";

fn setup(name: &str, measurements: &str) -> (std::path::PathBuf, String, String) {
    let dir = std::env::temp_dir().join(format!("chipwarden-locate-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let (l, m) = (dir.join("landmarks.csv"), dir.join("measurements.csv"));
    std::fs::write(&l, LANDMARKS).expect("write");
    std::fs::write(&m, measurements).expect("write");
    (dir, l.display().to_string(), m.display().to_string())
}

#[test]
fn a_chip_in_kuala_lumpur_is_possibly_in_malaysia_and_provably_not_in_china() {
    let (dir, l, m) = setup("kl", MEASUREMENTS);
    let r = run(&dir, &["locate", "verify", "--landmarks", &l, "--measurements", &m, "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: Value = serde_json::from_str(r.stdout.trim()).expect("one JSON object");
    assert_eq!(v["target"], "chip-1");
    assert_eq!(v["consistent"], true);
    let possible: Vec<&str> =
        v["possible_countries"].as_array().expect("list").iter().filter_map(Value::as_str).collect();
    assert!(possible.contains(&"MY"), "{possible:?}");
    assert!(!possible.contains(&"CN") && !possible.contains(&"HK"), "{possible:?}");
    assert_eq!(v["quarantined_landmarks"], serde_json::json!([]));
    let svg = run(&dir, &["locate", "map", "--landmarks", &l, "--measurements", &m]);
    assert_eq!(svg.code, 0, "{}", svg.stderr);
    assert!(svg.stdout.starts_with("<svg") || svg.stdout.starts_with("<?xml"), "{}", &svg.stdout[..100]);
    assert!(svg.stdout.contains("sin") && svg.stdout.trim_end().ends_with("</svg>"));
}

#[test]
fn a_landmark_that_lies_about_where_it_is_is_quarantined() {
    // "hkg" answers Singapore in 1 ms: 2,600 km in half a millisecond is faster than light in
    // fibre, so one of the two lies; with more evidence against it, hkg is set aside.
    let lies =
        format!("{MEASUREMENTS}sin,hkg,1.0\nbkk,hkg,1.2\njkt,hkg,1.1\nsin,bkk,25.0\nsin,jkt,20.0\nbkk,jkt,40.0\n");
    let (dir, l, m) = setup("liar", &lies);
    let r = run(&dir, &["locate", "verify", "--landmarks", &l, "--measurements", &m, "--json"]);
    let chip = r
        .stdout
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).expect("json"))
        .find(|v| v["target"] == "chip-1")
        .expect("chip-1");
    assert!(chip["quarantined_landmarks"].as_array().expect("list").iter().any(|x| x == "hkg"), "{chip}");
}

#[test]
fn bad_rows_are_named_and_nothing_is_judged() {
    let (dir, l, _) = setup("bad", MEASUREMENTS);
    for (text, expected) in [
        ("target,landmark,rtt_ms\nchip-1,xxx,5\n", "line 2, field `landmark`: unknown landmark `xxx`"),
        ("target,landmark,rtt_ms\nchip-1,sin,-3\n", "line 2, field `rtt_ms`"),
        ("target,landmark\nchip-1,sin\n", "rtt_ms"),
    ] {
        let m = dir.join("bad.csv");
        std::fs::write(&m, text).expect("write");
        let r = run(&dir, &["locate", "verify", "--landmarks", &l, "--measurements", &m.display().to_string()]);
        assert_eq!(r.code, 3, "{text}: {}", r.stdout);
        assert!(r.stderr.contains(expected), "{text}: {}", r.stderr);
        assert_eq!(r.stdout, "");
    }
}

#[test]
fn verdicts_about_registered_chips_go_into_the_ledger_and_a_move_shows_as_a_gap() {
    let (dir, l, m) = setup("ledger", &MEASUREMENTS.replace("chip-1", "SN-KL"));
    let key = |name: &str| dir.join(name).display().to_string();
    assert_eq!(run(&dir, &["keys", "generate", "--out", &key("maker.key"), "--party", "maker"]).code, 0);
    assert_eq!(run(&dir, &["keys", "generate", "--out", &key("verifier.key"), "--party", "verifier"]).code, 0);
    let events = dir.join("events.jsonl");
    std::fs::write(
        &events,
        r#"{"type":"registered","serial":"SN-KL","model":"H100 SXM","holder":"maker","time":"2026-01-05T00:00:00Z"}
{"type":"installed","serial":"SN-KL","site":"KUL-1","country":"MY","time":"2026-01-06T00:00:00Z"}
"#,
    )
    .expect("write");
    let r = run(&dir, &["ledger", "append", "--file", &events.display().to_string(), "--key", &key("maker.key")]);
    assert_eq!(r.code, 0, "{}", r.stderr);

    // Measured where it was installed: recorded, and no gap.
    let r =
        run(&dir, &["locate", "verify", "--landmarks", &l, "--measurements", &m, "--ledger-key", &key("verifier.key")]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("location_verified `SN-KL`"), "{}", r.stderr);
    let history = run(&dir, &["ledger", "history", "--serial", "SN-KL"]);
    assert!(history.stdout.contains("location_verified"), "{}", history.stdout);
    assert!(!run(&dir, &["ledger", "gaps"]).stdout.contains("SN-KL"));

    // Measured a few ms from Hong Kong and far from Singapore: Malaysia is excluded, the
    // ledger's gap query shows the chip is not where it was installed.
    let moved = dir.join("moved.csv");
    std::fs::write(&moved, "target,landmark,rtt_ms\nSN-KL,hkg,3.0\nSN-KL,sin,35.0\nSN-KL,bkk,20.0\nSN-KL,jkt,40.0\n")
        .expect("write");
    let r = run(
        &dir,
        &[
            "locate",
            "verify",
            "--landmarks",
            &l,
            "--measurements",
            &moved.display().to_string(),
            "--ledger-key",
            &key("verifier.key"),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let gaps = run(&dir, &["ledger", "gaps"]);
    assert!(gaps.stdout.contains("SN-KL"), "{}", gaps.stdout);
    // A target the ledger does not know is named and left out.
    let (_, _, other) = setup("ledger-other", MEASUREMENTS);
    let r = run(
        &dir,
        &["locate", "verify", "--landmarks", &l, "--measurements", &other, "--ledger-key", &key("verifier.key")],
    );
    assert!(r.stderr.contains("`chip-1` is not a chip registered"), "{}", r.stderr);
}
