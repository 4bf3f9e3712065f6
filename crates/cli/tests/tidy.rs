//! Repository conventions, checked under `cargo test` so they cannot drift.

use std::fs;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("workspace root")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == "target" || name.starts_with('.') || name == "node_modules" {
            continue;
        }
        if path.is_dir() {
            rust_files(&path, out);
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
}

fn all_rust_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    rust_files(&root().join("crates"), &mut files);
    rust_files(&root().join("fuzz"), &mut files);
    assert!(files.len() > 10, "found only {} Rust files", files.len());
    files
}

#[test]
fn every_rust_file_opens_with_a_module_doc_line() {
    for file in all_rust_files() {
        let text = fs::read_to_string(&file).expect("read");
        assert!(text.starts_with("//! "), "{} must open with a `//!` line saying what it is for", file.display());
    }
}

#[test]
fn no_test_is_ignored() {
    let marker = ["#[", "ignore"].concat();
    for file in all_rust_files() {
        let text = fs::read_to_string(&file).expect("read");
        assert!(!text.contains(&marker), "{} ignores a test; fix it or delete it", file.display());
    }
}

#[test]
fn every_crate_uses_the_workspace_lints() {
    let root_manifest = fs::read_to_string(root().join("Cargo.toml")).expect("root manifest");
    assert!(root_manifest.contains("[workspace.lints.rust]") && root_manifest.contains("[workspace.lints.clippy]"));
    for entry in fs::read_dir(root().join("crates")).expect("crates").flatten() {
        let manifest = entry.path().join("Cargo.toml");
        let text = fs::read_to_string(&manifest).expect("crate manifest");
        assert!(text.contains("[lints]\nworkspace = true"), "{} must inherit the workspace lints", manifest.display());
    }
}

#[test]
fn ci_runs_exactly_the_readme_test_command() {
    let readme = fs::read_to_string(root().join("README.md")).expect("README");
    let ci = fs::read_to_string(root().join(".ci/run")).expect(".ci/run");
    // The README's second fenced command is the test command; .ci/run must run it verbatim.
    let commands: Vec<&str> = readme.split("```").skip(1).step_by(2).filter_map(|block| block.lines().nth(1)).collect();
    let test_command = commands.get(1).expect("README opens with two commands");
    assert!(ci.lines().any(|l| l.trim() == test_command.trim()), ".ci/run must run `{test_command}`");
}

#[test]
fn bundled_data_files_name_their_sources() {
    let rules = root().join("data/rules");
    for entry in fs::read_dir(&rules).expect("rules").flatten() {
        let text = fs::read_to_string(entry.path()).expect("rule file");
        assert!(text.contains("sources = ["), "{} must list its sources", entry.path().display());
        assert!(text.matches("citation = ").count() >= 3, "{} must cite its paragraphs", entry.path().display());
    }
    for file in ["data/catalog/PROVENANCE.md", "crates/cli/tests/test_data/README.md"] {
        assert!(root().join(file).exists(), "{file} is missing");
    }
}
