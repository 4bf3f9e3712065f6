//! The dashboard in a real browser: the server with the full demo data on 127.0.0.1:0, an admin
//! token, and `node tests/browser/dashboard.mjs`, which drives Debian's `chromium` through
//! playwright-core: sign in, screen "Banco Nacional de Cuba", open the hit's case, clear it with
//! a reason, find the decision on the audit page, then the chip registry (map, gap), usage (the
//! demo accounts and linked group against the threshold lines), classification (H100: 3A090.a)
//! and stress-test pages on the full demo data. Screenshots are kept in a temporary
//! directory and their paths printed.
//!
//! This test fails (never skips) when `node`, `chromium` or the script's `node_modules` are
//! missing: `.ci/run` installs chromium and Node.js and runs `npm ci --ignore-scripts` in
//! `tests/browser` before the tests. Nothing here touches the network beyond loopback.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use chipwarden_server::{AppState, Config};

fn fresh_dir(what: &str) -> PathBuf {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock after 1970").as_nanos();
    let path = std::env::temp_dir().join(format!("chipwarden-browser-{what}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&path).expect("create a temporary directory");
    path
}

fn chromium() -> PathBuf {
    let path = std::env::var_os("CHROMIUM").map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    assert!(
        path.exists(),
        "the browser test needs chromium at `{}` (apt-get install -y chromium; `.ci/run` installs it)",
        path.display()
    );
    path
}

// The script's output (the screenshots' paths) is the point of printing here.
#[allow(clippy::print_stdout, clippy::print_stderr)]
#[test]
fn the_dashboard_signs_in_screens_clears_a_case_shows_the_audit_entry_and_every_page() {
    let script_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    let chromium = chromium();
    assert!(
        script_dir.join("node_modules/playwright-core").is_dir(),
        "run `npm ci --ignore-scripts` in `{}` first (`.ci/run` does)",
        script_dir.display()
    );

    let data = fresh_dir("data");
    let demo = chipwarden_server::demo::prepare(&data).expect("demo data");
    let config = Config { alert_interval: std::time::Duration::from_secs(1), ..Config::new(&data) };
    let state = AppState::open(config).expect("state");
    let common::Running { addr, stop: stop_tx, thread: server } = common::start(state);

    let shots = fresh_dir("screenshots");
    let output = Command::new("node")
        .current_dir(&script_dir)
        .arg("dashboard.mjs")
        .arg(format!("http://{addr}/"))
        .arg(&demo.admin_token)
        .arg(&shots)
        .env("CHROMIUM", &chromium)
        .output()
        .unwrap_or_else(|e| panic!("the browser test needs `node` (Node.js; `.ci/run` installs it): {e}"));
    let _ = stop_tx.send(());
    server.join().expect("the server thread");
    let _ = std::fs::remove_dir_all(&data);

    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    eprintln!("{stderr}");
    assert!(output.status.success(), "the dashboard script failed ({}):\n{stdout}\n{stderr}", output.status);
    for page in [
        "1-overview",
        "2-screening",
        "3-case",
        "4-case-cleared",
        "5-audit",
        "6-registry",
        "7-usage",
        "8-classification",
        "9-stress",
    ] {
        assert!(shots.join(format!("{page}.png")).is_file(), "no screenshot of {page} in `{}`", shots.display());
    }
}
