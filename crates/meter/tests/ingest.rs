//! The usage parsers on small files of each format, good rows and bad rows alike.

use std::path::PathBuf;

use chipwarden_core::Catalog;
use chipwarden_meter::{
    AlibabaOptions, Reject, SacctOptions, UsageRecord, alibaba_pods, csv_records, jsonl_records, sacct_jobs,
};

fn data(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("test_data").join(name);
    std::fs::read(&path).expect("test data file")
}

/// Splits a parse into accepted records and rejects.
fn split(results: impl Iterator<Item = Result<UsageRecord, Reject>>) -> (Vec<UsageRecord>, Vec<Reject>) {
    let (mut ok, mut bad) = (Vec::new(), Vec::new());
    for r in results {
        match r {
            Ok(record) => ok.push(record),
            Err(reject) => bad.push(reject),
        }
    }
    (ok, bad)
}

/// Asserts a reject at `line` on `field` whose reason contains every one of `words`.
fn check_reject(rejects: &[Reject], line: u64, field: &str, words: &[&str]) {
    let reject =
        rejects.iter().find(|r| r.line == line).unwrap_or_else(|| panic!("no reject on line {line}: {rejects:?}"));
    assert_eq!(reject.field, field, "{reject}");
    for word in words {
        assert!(reject.reason.contains(word), "`{}` lacks `{word}`", reject.reason);
    }
}

#[test]
fn csv_good_and_bad_rows() {
    let catalog = Catalog::bundled().expect("catalog");
    let bytes = data("usage_sample.csv");
    let (ok, bad) = split(csv_records("usage_sample.csv", bytes.as_slice(), &catalog));
    let ids: Vec<&str> = ok.iter().map(|r| r.record_id.as_str()).collect();
    assert_eq!(ids, ["r-0001", "r-0002", "r-0009"]);
    let first = &ok[0];
    assert_eq!((first.chip_model.as_str(), first.chip_id.as_str()), ("H100", "nvidia-h100-sxm5-80gb"));
    assert_eq!((first.chips, first.tensor_active, first.run_id.as_deref()), (512.0, Some(0.41), Some("llm-7b-a")));
    assert_eq!(first.source_line, 2);
    assert_eq!(ok[1].chip_id, "nvidia-a100-sxm4-80gb");
    assert_eq!(ok[1].start.to_string(), "2024-05-02T06:00:00Z", "offsets are honoured");
    assert_eq!((ok[1].run_id.as_deref(), ok[1].tensor_active), (None, None));
    assert_eq!(ok[2].chips, 0.5, "fractional chips are kept");
    assert_eq!(bad.len(), 6);
    assert!(bad.iter().all(|r| r.file == "usage_sample.csv"));
    check_reject(&bad, 4, "chip_model", &["unknown model `H100 SMX5`", "did you mean", "H100"]);
    check_reject(&bad, 5, "end", &["is not after start"]);
    check_reject(&bad, 6, "start", &["`2024-05-05 00:00`", "RFC 3339"]);
    check_reject(&bad, 7, "chips", &["`eight` is not a number"]);
    check_reject(&bad, 8, "tensor_active", &["`1.7`", "between 0 and 1"]);
    check_reject(&bad, 9, "(row)", &["expected 8 fields, found 5"]);
    assert_eq!(
        bad[0].to_string(),
        "`usage_sample.csv` line 4, field `chip_model`: ".to_owned() + &bad[0].reason,
        "the message names file, line and field"
    );
}

#[test]
fn csv_missing_column_ends_the_file_with_one_reject() {
    let catalog = Catalog::bundled().expect("catalog");
    let text = "record_id,account,chip_model,start,end\nr1,a,H100,2024-01-01T00:00:00Z,2024-01-02T00:00:00Z\n";
    let (ok, bad) = split(csv_records("x.csv", text.as_bytes(), &catalog));
    assert!(ok.is_empty());
    assert_eq!(bad.len(), 1);
    check_reject(&bad, 1, "chips", &["missing"]);
}

#[test]
fn jsonl_good_and_bad_rows() {
    let catalog = Catalog::bundled().expect("catalog");
    let bytes = data("usage_sample.jsonl");
    let (ok, bad) = split(jsonl_records("usage_sample.jsonl", bytes.as_slice(), &catalog));
    let ids: Vec<&str> = ok.iter().map(|r| r.record_id.as_str()).collect();
    assert_eq!(ids, ["j-1", "j-3"], "numbers may come as strings");
    assert_eq!((ok[0].utilization, ok[0].source_line), (Some(0.35), 1));
    assert_eq!((ok[1].chips, ok[1].source_line), (16.0, 4), "the blank line still counts");
    assert_eq!(bad.len(), 4);
    check_reject(&bad, 2, "chip_model", &["unknown model `Ascend 910Z`", "did you mean"]);
    check_reject(&bad, 5, "chips", &["expected a string or a number"]);
    check_reject(&bad, 6, "chips", &["missing"]);
    check_reject(&bad, 7, "(line)", &["not a JSON object"]);
}

#[test]
fn sacct_counts_each_job_once_and_skips_steps() {
    let catalog = Catalog::bundled().expect("catalog");
    let bytes = data("sacct_sample.txt");
    let options = SacctOptions { default_model: Some("A100 80GB".into()), time_zone: jiff::tz::TimeZone::UTC };
    let (ok, bad) = split(sacct_jobs("sacct_sample.txt", bytes.as_slice(), &catalog, &options));
    let jobs: Vec<(&str, &str, f64)> = ok.iter().map(|r| (r.record_id.as_str(), r.chip_id.as_str(), r.chips)).collect();
    assert_eq!(
        jobs,
        [
            ("4100", "nvidia-h100-sxm5-80gb", 8.0),
            ("4101", "nvidia-a100-sxm4-80gb", 2.0),
            ("4105_1", "nvidia-a100-sxm4-40gb", 1.0),
        ]
    );
    assert_eq!(ok[0].account, "acme-research");
    assert_eq!(ok[0].chip_hours(), 8.0 * 48.0);
    assert_eq!(ok[0].start.to_string(), "2024-05-01T10:00:00Z");
    assert_eq!(ok[1].chip_model, "A100 80GB", "untyped GPUs take the default model");
    assert_eq!(bad.len(), 3);
    check_reject(&bad, 7, "AllocTRES", &["allocates no GPU"]);
    check_reject(&bad, 8, "End", &["`Unknown`"]);
    check_reject(&bad, 9, "AllocTRES", &["unknown model `x9000`"]);
}

#[test]
fn sacct_untyped_gpus_without_a_default_are_rejected_not_guessed() {
    let catalog = Catalog::bundled().expect("catalog");
    let text = "JobID|Account|Start|End|AllocTRES\n7|a|2024-05-01T00:00:00|2024-05-01T01:00:00|cpu=1,gres/gpu=1\n";
    let options = SacctOptions { default_model: None, time_zone: jiff::tz::TimeZone::UTC };
    let (ok, bad) = split(sacct_jobs("s.txt", text.as_bytes(), &catalog, &options));
    assert!(ok.is_empty());
    check_reject(&bad, 2, "AllocTRES", &["no default model"]);
}

#[test]
fn alibaba_sample_of_the_real_trace() {
    let catalog = Catalog::bundled().expect("catalog");
    let bytes = data("alibaba_v2023_openb_pod_sample.csv");
    let options = AlibabaOptions::new(Some("T4".into()));
    let (ok, bad) = split(alibaba_pods("openb_pod_sample.csv", bytes.as_slice(), &catalog, &options));
    // Counted independently with Python's csv module over the same rows.
    assert_eq!((ok.len(), bad.len()), (131, 40));
    let gpu_hours: f64 = ok.iter().map(UsageRecord::chip_hours).sum();
    assert!((gpu_hours - 35_777.5).abs() < 0.1, "{gpu_hours}");
    let first = &ok[0];
    assert_eq!((first.record_id.as_str(), first.account.as_str()), ("openb-pod-0000", "alibaba-openb/qos:LS"));
    assert_eq!(first.start.to_string(), "2023-01-01T00:00:00Z");
    assert_eq!(ok[1].chips, 0.46, "gpu_milli 460 is 0.46 of a GPU");
    assert!(bad.iter().any(|r| r.field == "num_gpu" && r.reason.contains("no GPU")));
    assert!(bad.iter().any(|r| r.field == "scheduled_time" && r.reason.contains("never scheduled")));
    let eight = ok.iter().find(|r| r.chips == 8.0).expect("an 8-GPU pod");
    assert_eq!(eight.chip_id, "nvidia-tesla-t4");
}

#[test]
fn alibaba_without_a_model_rejects_rather_than_guesses() {
    let catalog = Catalog::bundled().expect("catalog");
    let bytes = data("alibaba_v2023_openb_pod_sample.csv");
    let (ok, bad) = split(alibaba_pods("p.csv", bytes.as_slice(), &catalog, &AlibabaOptions::new(None)));
    assert!(ok.is_empty());
    assert!(bad.iter().filter(|r| r.field == "gpu_spec").all(|r| r.reason.contains("no default model")));
    assert_eq!(bad.iter().filter(|r| r.field == "gpu_spec").count(), 131);
}

#[test]
fn alibaba_gpu_spec_is_resolved_and_ambiguity_rejected() {
    let catalog = Catalog::bundled().expect("catalog");
    let text = "name,num_gpu,gpu_milli,gpu_spec,qos,creation_time,deletion_time,scheduled_time\n\
                p1,1,1000,V100,BE,0,3600,0\n\
                p2,1,1000,P100|V100,BE,0,3600,0\n\
                p3,1,1000,V100M16,BE,0,3600,0\n\
                p4,1,1000,V100,BE,0,10,20\n\
                p5,1,1000,V100,BE,0,,0\n";
    let (ok, bad) = split(alibaba_pods("p.csv", text.as_bytes(), &catalog, &AlibabaOptions::new(None)));
    assert_eq!(ok.len(), 1);
    assert_eq!(ok[0].chip_id, "nvidia-v100-sxm2-16gb");
    check_reject(&bad, 3, "gpu_spec", &["several GPU models"]);
    check_reject(&bad, 4, "gpu_spec", &["unknown model `V100M16`"]);
    check_reject(&bad, 5, "deletion_time", &["not after start"]);
    check_reject(&bad, 6, "deletion_time", &["no deletion time"]);
}
