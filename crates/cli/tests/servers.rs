//! Several `chipwarden serve` processes over one PostgreSQL database (issue 8): custody events
//! appended through three servers at once are sequenced into one gap-free tree that audits
//! clean, and the same usage records sent to two servers count once. Runs when
//! `CHIPWARDEN_TEST_POSTGRES_URL` is set (always under CI, which fails without it).

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::Duration;

use chipwarden_ledger::{EventDraft, PartyKey};
use chipwarden_store::testing::{TestDb, postgres_url};
use serde_json::{Value, json};

/// A `serve` process; killed when dropped.
struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("chipwarden-servers-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("data directory");
    dir
}

/// Starts `serve` on a free port over `url` with the data directory `dir` and waits for it to say
/// where it listens.
fn serve(dir: &Path, url: &str) -> Server {
    let mut command = common::binary();
    command
        .args(["--data-dir", &dir.display().to_string(), "--database-url", url, "serve", "--addr", "127.0.0.1:0"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = command.spawn().expect("start serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let base = loop {
        let line = lines.next().expect("serve said where it listens").expect("a line");
        if let Some(rest) = line.strip_prefix("listening on ") {
            break rest.split_whitespace().next().expect("an address").to_owned();
        }
    };
    // Keep reading its output so that it never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    Server { child, base }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(120)))
        .build()
        .new_agent()
}

fn post(base: &str, path: &str, token: &str, body: &str) -> (u16, Value) {
    let mut response = agent()
        .post(&format!("{base}/api/v1{path}"))
        .header("Authorization", &format!("Bearer {token}"))
        .content_type("application/json")
        .send(body)
        .expect("a response");
    let text = response.body_mut().read_to_string().expect("a body");
    (response.status().as_u16(), serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// A registration of chip `serial` by `maker`, signed: one line of `POST /ledger/events`.
fn registration(maker: &PartyKey, serial: &str) -> String {
    let draft = EventDraft::from_json(
        &json!({
            "type": "registered", "serial": serial, "model": "NVIDIA H100 SXM5 80GB", "manufacturer": maker.party(),
            "holder": maker.party(), "country": "TW", "time": "2026-01-01T00:00:00Z",
        })
        .to_string(),
    )
    .expect("draft");
    String::from_utf8(maker.sign_draft(draft).entry_bytes()).expect("UTF-8")
}

fn chipwarden(dir: &Path, url: &str, args: &[&str]) -> common::Run {
    let mut command = common::binary();
    command.args(["--data-dir", &dir.display().to_string(), "--database-url", url]).args(args);
    common::run(command)
}

#[test]
fn three_servers_append_into_one_tree_and_count_usage_once() {
    let Some(admin) = postgres_url() else { return };
    let db = TestDb::postgres(&admin);
    let url = db.location();

    // The servers share the database and the log's key (the first command makes it).
    let first = temp_dir("a");
    let made = chipwarden(&first, &url, &["--json", "tokens", "create", "--name", "ops", "--role", "operator"]);
    assert_eq!(made.code, 0, "{}", made.stderr);
    let token = serde_json::from_str::<Value>(&made.stdout).expect("JSON")["token"].as_str().expect("token").to_owned();
    let dirs: Vec<PathBuf> = std::iter::once(first.clone())
        .chain(["b", "c"].iter().map(|n| {
            let dir = temp_dir(n);
            std::fs::copy(first.join("ledger.key"), dir.join("ledger.key")).expect("share the log's key");
            dir
        }))
        .collect();
    let servers: Vec<Server> = dirs.iter().map(|d| serve(d, &url)).collect();

    // Each server gets batches from its own maker, all at once: 3 servers x 8 batches x 5 chips.
    const BATCHES: usize = 8;
    const CHIPS: usize = 5;
    std::thread::scope(|scope| {
        for (s, server) in servers.iter().enumerate() {
            let token = token.as_str();
            scope.spawn(move || {
                let maker =
                    PartyKey::from_seed(&format!("Maker{s}"), &[u8::try_from(s + 1).expect("small"); 32]).expect("key");
                for b in 0..BATCHES {
                    let body: Vec<String> =
                        (0..CHIPS).map(|c| registration(&maker, &format!("S{s}-B{b}-C{c}"))).collect();
                    let (status, answer) = post(&server.base, "/ledger/events", token, &body.join("\n"));
                    assert_eq!(status, 200, "server {s} batch {b}: {answer}");
                    let indices: Vec<u64> =
                        answer.as_array().expect("appended").iter().filter_map(|a| a["leaf_index"].as_u64()).collect();
                    assert_eq!(indices.len(), CHIPS);
                    assert!(indices.windows(2).all(|w| w[1] == w[0] + 1), "a batch is contiguous: {indices:?}");
                }
            });
        }
    });

    // The same 300 usage records sent to two servers at once count once.
    let records: Vec<String> = (0..300)
        .map(|i| {
            json!({ "record_id": format!("u{i}"), "account": "acct", "chip_model": "H100 SXM", "chips": 8,
                    "start": "2026-11-01T00:00:00Z", "end": "2026-11-01T01:00:00Z" })
            .to_string()
        })
        .collect();
    let body = records.join("\n");
    let inserted: u64 = std::thread::scope(|scope| {
        let handles: Vec<_> = servers[..2]
            .iter()
            .map(|server| {
                let (body, token) = (body.as_str(), token.as_str());
                scope.spawn(move || {
                    let (status, answer) = post(&server.base, "/usage", token, body);
                    assert_eq!(status, 200, "{answer}");
                    answer["inserted"].as_u64().expect("inserted")
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("ingest")).sum()
    });
    assert_eq!(inserted, 300, "each record counted by exactly one of the two servers");
    drop(servers);

    // One tree: the audit replays every entry, recomputes every hash and finds no gap or fork.
    let audit = chipwarden(&first, &url, &["--json", "ledger", "audit"]);
    assert_eq!(audit.code, 0, "{}\n{}", audit.stdout, audit.stderr);
    let chips = chipwarden(&first, &url, &["--json", "ledger", "chips"]);
    assert_eq!(chips.code, 0, "{}", chips.stderr);
    assert_eq!(chips.stdout.lines().count(), 3 * BATCHES * CHIPS, "every chip registered once");
    let checkpoint = chipwarden(&first, &url, &["ledger", "checkpoint"]);
    assert_eq!(checkpoint.code, 0, "{}", checkpoint.stderr);
    // The token's audit entry, then the 120 registrations.
    assert_eq!(checkpoint.stdout.lines().nth(1), Some("121"), "{}", checkpoint.stdout);
    for dir in dirs {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// A wrong password or an unreachable server stops `serve` at start with the reason and the URL
/// without its password (exit 4), before it listens.
#[test]
fn a_wrong_password_or_port_is_a_clear_error_at_start() {
    let Some(admin) = postgres_url() else { return };
    let dir = temp_dir("wrong");
    let (user_part, rest) = admin.split_once('@').expect("a URL with user@host");
    let user = user_part.rsplit_once("//").map_or(user_part, |(_, u)| u).split(':').next().unwrap_or("x");
    let wrong_password = format!("postgres://{user}:not-the-password@{rest}");
    let run = chipwarden(&dir, &wrong_password, &["serve", "--addr", "127.0.0.1:0"]);
    assert_eq!(run.code, 4, "{}", run.stderr);
    assert!(
        run.stderr.contains("cannot open the store at `postgres://") && run.stderr.contains(":***@"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("not-the-password"), "the password is never printed: {}", run.stderr);
    assert!(run.stderr.contains("password authentication failed") || run.stderr.contains("password"), "{}", run.stderr);
    // A port nobody listens on (bound and released here, so it is free).
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("a port").local_addr().expect("address").port();
    let nowhere = format!("postgres://{user}:x@127.0.0.1:{port}/chipwarden");
    let run = chipwarden(&dir, &nowhere, &["serve", "--addr", "127.0.0.1:0"]);
    assert_eq!(run.code, 4, "{}", run.stderr);
    assert!(run.stderr.contains("Connection refused") || run.stderr.contains("connect"), "{}", run.stderr);
    let _ = std::fs::remove_dir_all(dir);
}
