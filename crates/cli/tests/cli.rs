//! End-to-end tests of the `chipwarden` binary: real process, real files, real bundled data.

use std::path::PathBuf;

use serde_json::Value;

mod common;

use common::Run;

trait Json {
    fn json(&self) -> Value;
}

impl Json for Run {
    fn json(&self) -> Value {
        assert_eq!(self.code, 0, "stderr: {}", self.stderr);
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.stdout))
    }
}

fn data(name: &str) -> String {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests", "test_data", name].iter().collect();
    path.display().to_string()
}

/// `classify --spec FILE --at DATE --json`, parsed.
fn classify_spec(file: &str, at: &str) -> Value {
    chipwarden(&["classify", "--spec", &data(file), "--at", at, "--json"]).json()
}

fn chipwarden(args: &[&str]) -> Run {
    let dir = std::env::temp_dir().join(format!("chipwarden-cli-test-{}", std::process::id()));
    let mut command = common::binary();
    command.args(args).env("CHIPWARDEN_DATA_DIR", &dir);
    common::run(command)
}

#[test]
fn classify_json_carries_the_contract_fields() {
    let v = chipwarden(&["classify", "--model", "H100", "--at", "2024-01-01", "--json"]).json();
    assert_eq!(v["eccn"], "3A090.a");
    assert_eq!(v["tpp"], 15832.0);
    assert!(v["performance_density"].as_f64().is_some_and(|pd| (pd - 19.45).abs() < 0.01));
    assert_eq!(v["ruleset"], "us-2023-11-17");
    assert!(v["reasons"].as_array().is_some_and(|r| r.len() > 3));
    assert!(v["thresholds"].as_array().is_some_and(|t| t.iter().all(|c| c.get("margin_pct").is_some())));
}

#[test]
fn classify_prints_a_table_by_default() {
    let run = chipwarden(&["classify", "--model", "L4", "--at", "2024-01-01"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("3A090.a") && run.stdout.contains("Thresholds") && run.stdout.contains("Reasons"),
        "{}",
        run.stdout
    );
}

#[test]
fn history_shows_the_h800_loophole_closing() {
    let v = chipwarden(&["classify", "--model", "H800", "--history", "--json"]).json();
    let rows = v.as_array().expect("array");
    let eccn_under = |id: &str| rows.iter().find(|r| r["ruleset"] == id).map(|r| r["eccn"].clone()).expect(id);
    assert_eq!(eccn_under("us-2022-10-07"), Value::Null);
    assert_eq!(eccn_under("us-2023-01-17"), Value::Null);
    assert_eq!(eccn_under("us-2023-11-17"), "3A090.a");
    assert_eq!(eccn_under("us-2026-01-15"), "3A090.a");
}

#[test]
fn classify_spec_files_json_and_toml() {
    let v = classify_spec("h20_like.json", "2024-06-01");
    assert_eq!(v["eccn"], Value::Null);
    assert_eq!(v["tpp"], 2368.0);
    let v = classify_spec("h100_like.toml", "2024-06-01");
    assert_eq!(v["eccn"], "3A090.a");
    let v = classify_spec("hbm3e_stack.toml", "2025-06-01");
    assert_eq!(v["eccn"], "3A090.c");
    let v = classify_spec("hbm3e_stack.toml", "2024-06-01");
    assert_eq!(v["eccn"], Value::Null);
}

#[test]
fn license_json_carries_the_contract_fields() {
    let v = chipwarden(&["license", "--model", "H100", "--destination", "CN", "--at", "2025-06-01", "--json"]).json();
    assert_eq!(v["license_required"], true);
    assert_eq!(v["policy"], "presumption_of_denial");
    assert_eq!(v["exceptions"], Value::Array(vec![]));
    assert!(v["reasons"].as_array().is_some_and(|r| !r.is_empty()));

    let v = chipwarden(&["license", "--model", "H100", "--destination", "DE", "--at", "2025-06-01", "--json"]).json();
    assert_eq!(v["license_required"], false);
    assert_eq!(v["policy"], Value::Null);

    let v = chipwarden(&[
        "license",
        "--spec",
        &data("h20_like.json"),
        "--destination",
        "CN",
        "--at",
        "2025-06-01",
        "--json",
    ])
    .json();
    assert_eq!(v["license_required"], false);

    let v = chipwarden(&[
        "license",
        "--model",
        "H20",
        "--destination",
        "DE",
        "--entity-listed",
        "--at",
        "2025-06-01",
        "--json",
    ])
    .json();
    assert_eq!(v["license_required"], true);
    assert_eq!(v["policy"], "presumption_of_denial");

    let v = chipwarden(&[
        "license",
        "--model",
        "MI210",
        "--destination",
        "MY",
        "--party-hq",
        "CN",
        "--at",
        "2024-06-01",
        "--json",
    ])
    .json();
    assert_eq!(v["license_required"], true);
    assert_eq!(v["exceptions"][0]["code"], "NAC");

    let v = chipwarden(&[
        "license",
        "--model",
        "H20",
        "--destination",
        "CN",
        "--end-use",
        "an exascale supercomputer",
        "--at",
        "2024-06-01",
        "--json",
    ])
    .json();
    assert_eq!(v["license_required"], true);
}

#[test]
fn foundry_check_flags_and_clears_designs() {
    let v = chipwarden(&[
        "foundry",
        "check",
        "--design",
        &data("design_large_die_cn.json"),
        "--at",
        "2025-06-01",
        "--json",
    ])
    .json();
    assert_eq!(v["presumption_applies"], true);
    let flags: Vec<&str> = v["red_flags"].as_array().expect("flags").iter().filter_map(|f| f["id"].as_str()).collect();
    for expected in ["large-die-undeclared-end-use", "transistor-count", "customer-d5", "hbm-unapproved-designer"] {
        assert!(flags.contains(&expected), "{expected} missing from {flags:?}");
    }
    let v = chipwarden(&[
        "foundry",
        "check",
        "--design",
        &data("design_small_planar.toml"),
        "--at",
        "2025-06-01",
        "--json",
    ])
    .json();
    assert_eq!(v["presumption_applies"], false);
    assert_eq!(v["red_flags"], Value::Array(vec![]));
    let v = chipwarden(&[
        "foundry",
        "check",
        "--design",
        &data("design_attested_small.toml"),
        "--at",
        "2025-06-01",
        "--json",
    ])
    .json();
    assert_eq!(v["presumption_applies"], false);
    assert!(v["overcome_by"].as_str().is_some_and(|s| s.contains("30 billion")));
    // Before the foundry rule there is no presumption at all.
    let v = chipwarden(&[
        "foundry",
        "check",
        "--design",
        &data("design_large_die_cn.json"),
        "--at",
        "2024-06-01",
        "--json",
    ])
    .json();
    assert_eq!(v["presumption_applies"], false);
}

fn stressed(args: &[&str]) -> Vec<(String, String)> {
    let v = chipwarden(args).json();
    v["near_misses"]
        .as_array()
        .expect("near_misses")
        .iter()
        .map(|m| (m["chip"].as_str().unwrap_or("").to_owned(), m["prong"].as_str().unwrap_or("").to_owned()))
        .collect()
}

#[test]
fn stress_surfaces_the_known_near_misses() {
    // The 2022 rule (as extended to Macau) was in force until 2023-11-16; the H800 shipped in March 2023.
    let in_2022 = stressed(&["rules", "stress", "--at", "2023-06-01", "--json"]);
    for chip in ["NVIDIA H800 SXM5 80GB", "NVIDIA A800 SXM4 80GB"] {
        assert!(in_2022.iter().any(|(c, p)| c == chip && p.starts_with("3A090.a")), "{chip} not in {in_2022:?}");
    }
    let in_2024 = stressed(&["rules", "stress", "--at", "2024-06-01", "--margin", "5", "--json"]);
    assert!(in_2024.iter().any(|(c, p)| c == "NVIDIA H20" && p == "3A090.b.1"), "{in_2024:?}");
    assert!(in_2024.iter().any(|(c, p)| c == "NVIDIA GeForce RTX 4090D" && p == "3A090.a.1"), "{in_2024:?}");
    // A proposed rule with the a.1 line at TPP 2000: the H20 (2368) is now above it and gone
    // from the list; the L20 (1912) is 4.4% below it.
    let proposed = stressed(&["rules", "stress", "--rules", &data("proposed_rules.toml"), "--margin", "5", "--json"]);
    assert!(proposed.iter().all(|(c, _)| c != "NVIDIA H20"), "{proposed:?}");
    assert!(proposed.iter().any(|(c, p)| c == "NVIDIA L20 PCIe" && p == "3A090.a.1"), "{proposed:?}");
}

#[test]
fn rules_list_and_catalog_commands() {
    let v = chipwarden(&["rules", "list", "--json"]).json();
    assert!(v.as_array().is_some_and(|a| a.len() >= 8));
    let v = chipwarden(&["catalog", "list", "--json"]).json();
    assert!(v.as_array().is_some_and(|a| a.len() >= 60));
    let run = chipwarden(&["catalog", "show", "H100"]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("Epoch AI") && run.stdout.contains("1,979"), "{}", run.stdout);
}

/// A bad input: exit code 3 and a message containing every `needle`.
#[track_caller]
fn rejects(args: &[&str], code: i32, needles: &[&str]) {
    let run = chipwarden(args);
    assert_eq!(run.code, code, "stdout: {} stderr: {}", run.stdout, run.stderr);
    assert!(run.stdout.is_empty(), "nothing on stdout for a failure: {}", run.stdout);
    for needle in needles {
        assert!(run.stderr.contains(needle), "`{needle}` not in: {}", run.stderr);
    }
}

#[test]
fn bad_specs_name_the_file_field_and_value() {
    let spec = |name: &str| data(name);
    rejects(
        &["classify", "--spec", &spec("bad_missing_name.json")],
        3,
        &["bad_missing_name.json", "field `name`", "missing"],
    );
    rejects(&["classify", "--spec", &spec("bad_negative_area.json")], 3, &["(line 4)", "field `die_area_mm2`", "-814"]);
    rejects(&["classify", "--spec", &spec("bad_non_numeric.toml")], 3, &["(line 6)", "field `dense_tops.fp8`", "lots"]);
    rejects(
        &["classify", "--spec", &spec("bad_unknown_precision.json")],
        3,
        &["field `dense_tops.fp6`", "unknown precision"],
    );
    rejects(
        &["classify", "--spec", &spec("bad_unknown_field.toml")],
        3,
        &["(line 3)", "field `die_area`", "unknown field"],
    );
    rejects(&["classify", "--spec", &spec("bad_syntax.json")], 3, &["bad_syntax.json", "not valid JSON", "line 4"]);
    rejects(&["license", "--spec", &spec("bad_negative_area.json"), "--destination", "CN"], 3, &["die_area_mm2"]);
}

#[test]
fn bad_models_dates_countries_and_files() {
    rejects(&["classify", "--model", "H1000"], 3, &["unknown model `H1000`", "did you mean", "H100"]);
    rejects(&["classify", "--model", "H100", "--at", "2021-06-01"], 3, &["2021-06-01", "2022-10-07"]);
    rejects(&["classify", "--model", "H100", "--at", "2024-02-30"], 3, &["--at", "2024-02-30"]);
    rejects(&["license", "--model", "H100", "--destination", "China"], 3, &["--destination", "`China`"]);
    rejects(&["classify", "--spec", "/nonexistent/spec.json"], 4, &["/nonexistent/spec.json"]);
    rejects(&["rules", "stress", "--margin=-5"], 3, &["--margin"]);
    rejects(&["foundry", "check", "--design", &data("h20_like.json")], 3, &["h20_like.json"]);
    // Usage errors are clap's, exit 2.
    let run = chipwarden(&["classify", "--model", "H100", "--spec", "x.json"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
}

#[test]
fn systems_containing_3a090_ics_are_4a090() {
    let v = classify_spec("hgx_h100_server.toml", "2024-06-01");
    assert_eq!(v["eccn"], "4A090.a");
    assert_eq!(v["kind"], "system");
    let v = classify_spec("hgx_h20_server.json", "2024-06-01");
    assert_eq!(v["eccn"], Value::Null);
    // The 2022 rule already had 4A090, for assemblies containing 3A090.a ICs.
    let v = classify_spec("hgx_h100_server.toml", "2023-01-01");
    assert_eq!(v["eccn"], "4A090");
    let v = chipwarden(&[
        "license",
        "--spec",
        &data("hgx_h100_server.toml"),
        "--destination",
        "CN",
        "--at",
        "2024-06-01",
        "--json",
    ])
    .json();
    assert_eq!(v["license_required"], true);
    assert_eq!(v["policy"], "presumption_of_denial");
    rejects(&["classify", "--spec", &data("bad_system_count.json")], 3, &["(line 4)", "contains[0].count", "`0`"]);
}

#[test]
fn license_answers_follow_the_review_fixes() {
    let license = |args: &[&str]| {
        let mut all = vec!["license", "--json"];
        all.extend_from_slice(args);
        chipwarden(&all).json()
    };
    // An undetermined classification (TPU v4: TPP 4400, die area unknown) is never a clean "no".
    let v = license(&["--model", "TPU v4", "--destination", "CN", "--at", "2026-03-01"]);
    assert_eq!(v["determination"], "undetermined");
    assert_eq!(v["license_required"], true);
    // End-use controls bite where the end use is: a supercomputer in Germany is a warning, not a license.
    let v = license(&["--model", "H100", "--destination", "DE", "--end-use", "supercomputer", "--at", "2024-06-01"]);
    assert_eq!(v["license_required"], false);
    assert!(
        v["warnings"]
            .as_array()
            .is_some_and(|w| { w.iter().any(|s| s.as_str().is_some_and(|s| s.contains("supercomputer"))) })
    );
    // Hong Kong is part of China for the 2026 case-by-case policy.
    let v = license(&["--model", "H200", "--destination", "HK", "--at", "2026-03-01"]);
    assert_eq!(v["policy"], "case_by_case");
    // Macau joined the 2022 controls on 2023-01-17.
    assert_eq!(license(&["--model", "A100", "--destination", "MO", "--at", "2023-01-16"])["license_required"], false);
    assert_eq!(license(&["--model", "A100", "--destination", "MO", "--at", "2023-06-01"])["license_required"], true);
    // The April 2025 is-informed letter on the H20 is surfaced from its date.
    let warned = |at: &str| {
        license(&["--model", "H20", "--destination", "CN", "--at", at])["warnings"]
            .as_array()
            .is_some_and(|w| w.iter().any(|s| s.as_str().is_some_and(|s| s.contains("h20-is-informed"))))
    };
    assert!(!warned("2025-04-08"));
    assert!(warned("2025-04-09") && warned("2026-03-01"));
    // A party headquartered in China and located in Macau gets the Macau policy, case-by-case.
    let v = license(&["--model", "H200", "--destination", "MO", "--party-hq", "CN", "--at", "2026-03-01"]);
    assert_eq!(v["policy"], "case_by_case");
    // The Entity List's presumption of denial overrides, and the audit step says so.
    let v = license(&["--model", "H200", "--destination", "CN", "--entity-listed", "--at", "2026-03-01"]);
    assert_eq!(v["policy"], "presumption_of_denial");
    assert!(
        v["steps"].as_array().is_some_and(|s| s
            .iter()
            .any(|step| { step["outcome"].as_str().is_some_and(|o| o.contains("overridden")) }))
    );
}

#[test]
fn foundry_warns_when_the_packaging_country_is_uncertain() {
    let text = std::fs::read_to_string(data("design_attested_small.toml")).expect("design");
    let path = std::env::temp_dir().join(format!("chipwarden-design-cy-{}.toml", std::process::id()));
    std::fs::write(&path, text.replace("packaging_country = \"TW\"", "packaging_country = \"CY\"")).expect("write");
    let v = chipwarden(&["foundry", "check", "--design", &path.display().to_string(), "--at", "2025-06-01", "--json"])
        .json();
    let _ = std::fs::remove_file(&path);
    assert!(
        v["warnings"]
            .as_array()
            .is_some_and(|w| w.iter().any(|s| s.as_str().is_some_and(|s| s.contains("CY") && s.contains("uncertain")))),
        "{v}"
    );
}

#[test]
fn capacity_of_a_fleet() {
    let dir = std::env::temp_dir().join(format!("chipwarden-capacity-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let inventory = dir.join("inventory.csv");
    std::fs::write(&inventory, "chip_model,count,country\nH100 SXM,1024,US\nH20,4096,CN\n").expect("write");
    let v = chipwarden(&["capacity", "--inventory", &inventory.display().to_string(), "--json"]).json();
    let h100 = &v["lines"][0];
    // 1024 x 989.4 dense BF16 TFLOPS x 86,400 s (NVIDIA H100 datasheet, sparse figures halved).
    assert!((h100["training_flop_per_day"].as_f64().unwrap_or(0.0) - 1024.0 * 989.4e12 * 86_400.0).abs() < 1e18);
    // 70B parameters at 2 bytes = 140 GB: 2 chips of 80 GB per replica, 512 replicas, each
    // decoding at 2 x 3,350 GB/s / 140 GB = 47.86 tokens/s: 24,503 tokens/s, memory bound.
    assert_eq!(h100["inference"]["chips_per_replica"], 2);
    assert_eq!(h100["inference"]["binding"], "memory_bandwidth");
    assert!((h100["inference"]["tokens_per_s"].as_f64().unwrap_or(0.0) - 24_502.86).abs() < 1.0);
    // The H20, with less compute but more memory bandwidth, serves more users per fleet.
    assert!(v["lines"][1]["inference"]["users"].as_u64() > h100["inference"]["users"].as_u64());
    std::fs::write(&inventory, "chip_model,count,country\nH1000,8,US\n").expect("write");
    rejects(
        &["capacity", "--inventory", &inventory.display().to_string()],
        3,
        &["line 2", "chip_model", "did you mean"],
    );
    let _ = std::fs::remove_dir_all(&dir);
}
