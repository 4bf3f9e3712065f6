//! The server over real loopback HTTP with a real SQLite store in a temporary directory: roles
//! for every endpoint of the route table, the JSON contracts, bad input, revocation, graceful
//! shutdown, and the OpenAPI description held to the route table.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chipwarden_server::{Access, AppState, Config, ROUTES, Role, token_hash};
use chipwarden_store::Store;
use serde_json::{Value, json};

struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock after 1970").as_nanos();
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("chipwarden-server-test-{}-{nanos}-{n}", std::process::id()));
        std::fs::create_dir(&path).expect("create a temporary directory");
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A server on 127.0.0.1:0 with the demo lists, a token per role (named and valued after the
/// role), and a handle to stop it.
struct Server {
    addr: SocketAddr,
    admin: String,
    agent: ureq::Agent,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    dir: TempDir,
}

fn role_token(role: Role) -> String {
    format!("test-token-{}", role.name())
}

impl Server {
    fn start() -> Server {
        Server::start_with(Duration::from_secs(30))
    }

    fn start_with(request_timeout: Duration) -> Server {
        let dir = TempDir::new();
        let admin = chipwarden_server::demo::prepare_lists(&dir.0).expect("demo lists");
        {
            let mut store = Store::open(dir.0.join("chipwarden.sqlite")).expect("store");
            for role in Role::ALL {
                store
                    .create_token(role.name(), role.name(), &token_hash(&role_token(role)), "2026-01-01T00:00:00Z")
                    .expect("token");
            }
        }
        let config = Config { request_timeout, ..Config::new(&dir.0) };
        let state = AppState::open(config).expect("state");
        let common::Running { addr, stop: stop_tx, thread } = common::start(state);
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .proxy(None)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        Server { addr, admin, agent, stop: Some(stop_tx), thread: Some(thread), dir }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn call(&self, method: &str, path: &str, token: Option<&str>, body: Option<&str>) -> (u16, Value) {
        let url = self.url(path);
        let result = match method {
            "GET" => {
                let mut req = self.agent.get(&url);
                if let Some(t) = token {
                    req = req.header("Authorization", &format!("Bearer {t}"));
                }
                req.call()
            }
            _ => {
                let mut req = self.agent.post(&url).content_type("application/json");
                if let Some(t) = token {
                    req = req.header("Authorization", &format!("Bearer {t}"));
                }
                req.send(body.unwrap_or("{}"))
            }
        };
        let mut response = result.unwrap_or_else(|e| panic!("{method} {path}: no HTTP response: {e}"));
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().expect("a body");
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, value)
    }

    fn post(&self, path: &str, token: &str, body: &str) -> (u16, Value) {
        self.call("POST", path, Some(token), Some(body))
    }

    fn get(&self, path: &str, token: &str) -> (u16, Value) {
        self.call("GET", path, Some(token), None)
    }

    fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            thread.join().expect("the server thread");
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The error shape, with the expected code; returns the field it names.
fn error(value: &Value, code: &str) -> Option<String> {
    let e = &value["error"];
    assert_eq!(e["code"], code, "{value}");
    assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()), "{value}");
    assert!(e.get("field").is_some(), "the shape always carries `field`: {value}");
    assert_eq!(value.as_object().map(|o| o.len()), Some(1), "{value}");
    e["field"].as_str().map(str::to_owned)
}

fn concrete(path: &str) -> String {
    path.replace("{source}", "csl").replace("{id}", "1").replace("{file}", "app.js").replace("{serial}", "SN1")
}

#[test]
fn every_endpoint_checks_its_token_and_role() {
    let server = Server::start();
    for route in ROUTES {
        let path = concrete(route.path);
        let method = route.method.name();
        match route.access {
            Access::Public => {
                let (status, body) = server.call(method, &path, None, None);
                assert_eq!(status, 200, "{method} {path}: {body}");
            }
            Access::Roles(allowed) => {
                let (status, body) = server.call(method, &path, None, Some("{}"));
                assert_eq!(status, 401, "{method} {path} without a token: {body}");
                error(&body, "unauthenticated");
                let (status, body) = server.call(method, &path, Some("not-a-token"), Some("{}"));
                assert_eq!(status, 401, "{method} {path} with an unknown token: {body}");
                let mut refused = 0;
                for role in Role::ALL {
                    let (status, body) = server.call(method, &path, Some(&role_token(role)), Some("{}"));
                    if allowed.contains(&role) {
                        assert!(
                            ![401, 403].contains(&status) && status < 500,
                            "{method} {path} as {role:?}: {status} {body}"
                        );
                    } else {
                        assert_eq!(status, 403, "{method} {path} as {role:?}: {body}");
                        error(&body, "forbidden");
                        refused += 1;
                    }
                }
                assert!(refused > 0, "{method} {path}: some role must be refused");
            }
        }
    }
}

#[test]
fn classify_screen_and_contracts() {
    let server = Server::start();
    // A foundry red flag is a case: a 780 mm² 7 nm die for a customer headquartered in China.
    let design = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../cli/tests/test_data/design_large_die_cn.json"
    ))
    .expect("design file");
    let request = format!(r#"{{"design":{design},"at":"2025-06-01"}}"#);
    let (status, body) = server.post("/api/v1/foundry/check", &server.admin, &request);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["presumption_applies"], true, "{body}");
    let case_id = body["case_id"].as_i64().expect("a case");
    let (status, case) = server.get(&format!("/api/v1/cases/{case_id}"), &server.admin);
    assert_eq!(status, 200, "{case}");
    assert_eq!(
        (case["kind"].as_str(), case["subject"].as_str()),
        (Some("foundry"), Some("design:AX-9 accelerator die"))
    );
    let (_, again) = server.post("/api/v1/foundry/check", &server.admin, &request);
    assert_eq!(again["case_id"].as_i64(), Some(case_id), "the same finding is the same case");
    let (status, body) = server.post("/api/v1/classify", &server.admin, r#"{"model":"H100","at":"2025-06-01"}"#);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["eccn"], "3A090.a", "{body}");
    for field in ["tpp", "performance_density", "ruleset", "reasons"] {
        assert!(body.get(field).is_some(), "classify lacks `{field}`: {body}");
    }
    let (status, body) =
        server.post("/api/v1/license", &server.admin, r#"{"model":"H200","destination":"CN","at":"2026-02-01"}"#);
    assert_eq!(status, 200, "{body}");
    for field in ["license_required", "policy", "exceptions", "reasons"] {
        assert!(body.get(field).is_some(), "license lacks `{field}`: {body}");
    }

    let (status, body) = server.post("/api/v1/screen", &server.admin, r#"{"name":"Banco Nacional de Cuba"}"#);
    assert_eq!(status, 200, "{body}");
    let hits = body["hits"].as_array().expect("hits");
    let hit = hits.iter().find(|h| h["entry_id"] == "306").unwrap_or_else(|| panic!("SDN 306 among {body}"));
    assert_eq!(hit["query"], "Banco Nacional de Cuba");
    assert_eq!(hit["list"], "SDN");
    assert_eq!(hit["matched_name"], "BANCO NACIONAL DE CUBA");
    assert!(hit["score"].as_f64().is_some_and(|s| s > 0.9), "{hit}");

    // A batch is recorded: its parties are in the store, screened against the demo versions.
    let batch = json!({"parties": [
        {"id": "p1", "name": "Banco Nacional de Cuba", "country": "CU"},
        {"id": "p2", "name": "Harmless Bakery Ltd"},
        {"id": "p3", "name": "   "},
    ]});
    let (status, body) = server.post("/api/v1/screen/batch", &server.admin, &batch.to_string());
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["screened"], 2, "{body}");
    assert_eq!(body["rejected"][0]["field"], "parties[2].name", "{body}");
    assert!(body["hit_count"].as_u64().is_some_and(|n| n >= 1), "{body}");
    let store = Store::open(server.dir.0.join("chipwarden.sqlite")).expect("store");
    assert_eq!(store.screenings("p1").expect("screenings").len(), 1);
    assert!(!store.hits_for("p1").expect("hits").is_empty());

    let (status, body) = server.get("/api/v1/lists", &server.admin);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body.as_array().map(Vec::len), Some(2), "{body}");
    let (status, body) = server.get("/api/v1/lists/nowhere/versions", &server.admin);
    assert_eq!(status, 404, "{body}");
    error(&body, "not_found");
}

#[test]
fn usage_counts_once_and_bad_input_names_the_field() {
    let server = Server::start();
    let operator = role_token(Role::Operator);
    // Links between accounts: stored once, grouped, a self-link refused naming its field.
    let links = r#"{"links":[{"account_a":"acct-1","account_b":"acct-2","reason":"payment_instrument","evidence":"card:fp:1"}]}"#;
    let (status, body) = server.post("/api/v1/accounts/links", &server.admin, links);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["added"], 1);
    assert_eq!(body["groups"][0]["accounts"], json!(["acct-1", "acct-2"]), "{body}");
    let (_, body) = server.post("/api/v1/accounts/links", &server.admin, links);
    assert_eq!(body["added"], 0, "a link already stored counts once");
    let selfish = r#"{"links":[{"account_a":"acct-1","account_b":"acct-3","reason":"ip_or_asn"},{"account_a":"acct-3","account_b":"acct-3","reason":"ip_or_asn"}]}"#;
    let (status, body) = server.post("/api/v1/accounts/links", &server.admin, selfish);
    assert_eq!(status, 400, "{body}");
    assert_eq!(error(&body, "invalid_input").as_deref(), Some("links[1].account_b"));
    let (_, groups) = server.get("/api/v1/accounts/groups", &server.admin);
    assert_eq!(groups[0]["accounts"], json!(["acct-1", "acct-2"]), "nothing of the refused batch stored: {groups}");
    let (status, body) = server.post(
        "/api/v1/accounts/links",
        &server.admin,
        r#"{"links":[{"account_a":"a","account_b":"b","reason":"friends"}]}"#,
    );
    assert_eq!(status, 400, "{body}");
    assert!(error(&body, "invalid_json").is_some_and(|f| f.starts_with("links[0]")), "{body}");
    let records = concat!(
        r#"{"record_id":"r1","account":"acct-1","chip_model":"H100","chips":8,"start":"2026-01-01T00:00:00Z","end":"2026-01-02T00:00:00Z"}"#,
        "\n",
        r#"{"record_id":"r2","account":"acct-1","chip_model":"H100","chips":8,"start":"2026-01-02T00:00:00Z","end":"2026-01-03T00:00:00Z"}"#,
        "\n"
    );
    let (status, first) = server.post("/api/v1/usage", &operator, records);
    assert_eq!(status, 200, "{first}");
    assert_eq!((first["inserted"].as_u64(), first["already_counted"].as_u64()), (Some(2), Some(0)), "{first}");
    let report_path = "/api/v1/usage/report?window=30&as_of=2026-01-10T00:00:00Z";
    let (status, report_once) = server.get(report_path, &server.admin);
    assert_eq!(status, 200, "{report_once}");
    // The same records again, as a JSON array this time: nothing new.
    let array: Vec<Value> = records.lines().map(|l| serde_json::from_str(l).expect("record")).collect();
    let (status, second) = server.post("/api/v1/usage", &operator, &Value::Array(array).to_string());
    assert_eq!(status, 200, "{second}");
    assert_eq!((second["inserted"].as_u64(), second["already_counted"].as_u64()), (Some(0), Some(2)), "{second}");
    let (_, report_twice) = server.get(report_path, &server.admin);
    assert_eq!(report_once, report_twice);
    assert_eq!(report_once["accounts"].as_array().map(Vec::len), Some(1), "{report_once}");

    // Bad JSON, a wrong type, an unknown field, a bad value, a bad query: 400, the field named.
    let (status, body) = server.post("/api/v1/classify", &server.admin, r#"{"model": "H100""#);
    assert_eq!(status, 400);
    error(&body, "invalid_json");
    let (status, body) = server.post("/api/v1/classify", &server.admin, r#"{"model": 100}"#);
    assert_eq!(status, 400);
    assert_eq!(error(&body, "invalid_json").as_deref(), Some("model"));
    let (status, body) = server.post("/api/v1/classify", &server.admin, r#"{"model": "H100", "colour": "green"}"#);
    assert_eq!(status, 400);
    assert_eq!(error(&body, "invalid_json").as_deref(), Some("colour"));
    let (status, body) = server.post("/api/v1/screen/batch", &server.admin, r#"{"parties":[{"name":"a","nmae":"b"}]}"#);
    assert_eq!(status, 400);
    assert_eq!(error(&body, "invalid_json").as_deref(), Some("parties[0].nmae"));
    let (status, body) = server.post("/api/v1/classify", &server.admin, r#"{"model": "H100", "at": "yesterday"}"#);
    assert_eq!(status, 400);
    assert_eq!(error(&body, "invalid_input").as_deref(), Some("at"));
    let (status, body) = server.get("/api/v1/usage/report?window=many", &server.admin);
    assert_eq!(status, 400);
    assert_eq!(error(&body, "invalid_query").as_deref(), Some("window"));
    let (status, body) = server.get("/api/v1/usage/report?windw=3", &server.admin);
    assert_eq!(status, 400);
    assert_eq!(error(&body, "invalid_query").as_deref(), Some("windw"));
    let (status, body) = server.post("/api/v1/usage", &operator, r#"{"record_id":"r3","account":"a"}"#);
    assert_eq!(status, 400, "{body}");
    assert!(error(&body, "invalid_input").is_some(), "{body}");

    // Oversized: refused from the declared length (the body is never sent), and when it streams.
    let big = 2 * 1024 * 1024;
    let head = format!(
        "POST /api/v1/classify HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: {big}\r\n\r\n",
        server.admin
    );
    let (status, body) = raw(server.addr, head.as_bytes(), None);
    assert_eq!(status, 413, "{body}");
    error(&body, "payload_too_large");
    let padding = format!("{{\"model\":\"H100\",\"spec\":\"{}\"}}", "x".repeat(big));
    let head = format!(
        "POST /api/v1/classify HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n{:x}\r\n",
        server.admin,
        padding.len()
    );
    let (status, body) = raw(server.addr, head.as_bytes(), Some(format!("{padding}\r\n0\r\n\r\n").as_bytes()));
    assert_eq!(status, 413, "{body}");
    error(&body, "payload_too_large");

    // Unknown paths and methods get the shape too.
    let (status, body) = server.get("/api/v1/nothing", &server.admin);
    assert_eq!(status, 404);
    error(&body, "not_found");
    let (status, body) = server.get("/api/v1/classify", &server.admin);
    assert_eq!(status, 405, "{body}");
    error(&body, "method_not_allowed");
}

/// Sends `head`, then `rest` (if any, ignoring a connection the server closed early), and reads
/// the response: its status and JSON body.
fn raw(addr: SocketAddr, head: &[u8], rest: Option<&[u8]>) -> (u16, Value) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
    stream.write_all(head).expect("send the head");
    if let Some(rest) = rest {
        let _ = stream.write_all(rest);
    }
    read_response(&mut stream)
}

fn read_response(stream: &mut TcpStream) -> (u16, Value) {
    let mut bytes = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => bytes.extend_from_slice(&buf[..n]),
        }
        let text = String::from_utf8_lossy(&bytes);
        // Stop once the whole body (by Content-Length) is in.
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head
                .lines()
                .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_owned()))
                .and_then(|v| v.parse::<usize>().ok());
            if length.is_some_and(|n| body.len() >= n) {
                break;
            }
        }
    }
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let status = text.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    (status, serde_json::from_str(body).unwrap_or(Value::String(body.to_owned())))
}

#[test]
fn a_revoked_token_stops_working_at_once() {
    let server = Server::start();
    let mut store = Store::open(server.dir.0.join("chipwarden.sqlite")).expect("store");
    let token = chipwarden_server::new_token().expect("token");
    store.create_token("desk", "analyst", &token.hash, "2026-01-01T00:00:00Z").expect("create");
    let (status, body) = server.get("/api/v1/rules", &token.token);
    assert_eq!(status, 200, "{body}");
    store.revoke_token("desk", "2026-01-02T00:00:00Z").expect("revoke").expect("was live");
    let (status, body) = server.get("/api/v1/rules", &token.token);
    assert_eq!(status, 401, "{body}");
    error(&body, "unauthenticated");
}

#[test]
fn ledger_appends_signed_entries_and_proves_them() {
    let server = Server::start();
    let operator = role_token(Role::Operator);
    let key = chipwarden_ledger::PartyKey::from_seed("NVIDIA", &[7; 32]).expect("key");
    let draft = chipwarden_ledger::EventDraft::from_json(
        r#"{"type":"registered","serial":"SN1","model":"H100","holder":"NVIDIA","time":"2026-01-01T00:00:00Z"}"#,
    )
    .expect("draft");
    let entry = String::from_utf8(key.sign_draft(draft).entry_bytes()).expect("UTF-8");
    let (status, body) = server.post("/api/v1/ledger/events", &operator, &entry);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body[0]["leaf_index"], 0, "{body}");
    assert_eq!(body[0]["serial"], "SN1");
    assert_eq!(body[0]["type"], "registered");
    // The same entry again is refused, and so is an unsigned event.
    let (status, body) = server.post("/api/v1/ledger/events", &operator, &entry);
    assert_eq!(status, 400, "{body}");
    let (status, body) = server.post(
        "/api/v1/ledger/events",
        &operator,
        r#"{"type":"registered","serial":"SN2","model":"H100","holder":"NVIDIA","time":"2026-01-01T00:00:00Z"}"#,
    );
    assert_eq!(status, 400, "{body}");
    let (status, proof) = server.get("/api/v1/ledger/proof?index=0", &operator);
    assert_eq!(status, 200, "{proof}");
    for field in ["leaf_index", "tree_size", "leaf_hash", "root_hash", "audit_path", "entry"] {
        assert!(proof.get(field).is_some(), "proof lacks `{field}`: {proof}");
    }
    assert_eq!(proof["entry"], entry.as_str());
    let (status, checkpoint) = server.get("/api/v1/ledger/checkpoint", &operator);
    assert_eq!(status, 200, "{checkpoint}");
    assert_eq!(checkpoint["tree_size"], 1);
    assert_eq!(checkpoint["root_hash"], proof["root_hash"]);
    let (status, body) = server.get("/api/v1/ledger/proof?index=5", &operator);
    assert_eq!(status, 400, "{body}");
    assert_eq!(error(&body, "invalid_input").as_deref(), Some("index"));
}

#[test]
fn a_request_in_flight_at_shutdown_completes() {
    let mut server = Server::start();
    let body = br#"{"model":"H100","at":"2025-06-01"}"#;
    let head = format!(
        "POST /api/v1/classify HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        server.admin,
        body.len()
    );
    let mut stream = TcpStream::connect(server.addr).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
    // The request is accepted and its handler is waiting for the rest of the body...
    stream.write_all(head.as_bytes()).expect("head");
    stream.write_all(&body[..10]).expect("part of the body");
    std::thread::sleep(Duration::from_millis(300));
    // ...when shutdown is signalled.
    let stop = server.stop.take().expect("not stopped yet");
    stop.send(()).expect("signal shutdown");
    std::thread::sleep(Duration::from_millis(300));
    stream.write_all(&body[10..]).expect("the rest of the body");
    let (status, response) = read_response(&mut stream);
    assert_eq!(status, 200, "{response}");
    assert_eq!(response["eccn"], "3A090.a");
    drop(stream);
    // The server then stops, and accepts nothing more.
    server.thread.take().expect("thread").join().expect("the server stops");
    assert!(TcpStream::connect(server.addr).is_err(), "still accepting after shutdown");
}

#[test]
fn a_request_that_takes_too_long_gets_the_timeout_error() {
    let server = Server::start_with(Duration::from_millis(300));
    // The body never finishes arriving.
    let head = format!(
        "POST /api/v1/classify HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Length: 100\r\n\r\n{{\"model\"",
        server.admin
    );
    let (status, body) = raw(server.addr, head.as_bytes(), None);
    assert_eq!(status, 503, "{body}");
    error(&body, "timeout");
}

#[test]
fn metrics_count_requests_by_route_and_status() {
    let server = Server::start();
    server.get("/api/v1/rules", &server.admin);
    server.get("/api/v1/rules", "bad-token");
    let (status, text) = server.call("GET", "/metrics", None, None);
    assert_eq!(status, 200);
    let text = text.as_str().expect("text");
    assert!(
        text.contains(r#"chipwarden_http_requests_total{method="GET",route="/api/v1/rules",status="200"} 1"#),
        "{text}"
    );
    assert!(
        text.contains(r#"chipwarden_http_requests_total{method="GET",route="/api/v1/rules",status="401"} 1"#),
        "{text}"
    );
    assert!(text.contains("chipwarden_http_request_duration_seconds_bucket"), "{text}");
    let (status, body) = server.call("GET", "/readyz", None, None);
    assert_eq!((status, &body["status"]), (200, &json!("ready")));
}

/// Every route of the table is in `openapi.json` with its method, and every documented
/// operation is in the table: the description cannot drift from what is served.
#[test]
fn the_openapi_description_matches_the_route_table() {
    let doc: Value = serde_json::from_str(chipwarden_server::api::ops::OPENAPI).expect("openapi.json is JSON");
    assert_eq!(doc["openapi"].as_str().map(|v| v.starts_with("3.1")), Some(true));
    let paths = doc["paths"].as_object().expect("paths");
    let mut documented = Vec::new();
    for (path, item) in paths {
        for method in item.as_object().expect("path item").keys() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                documented.push((method.to_uppercase(), path.clone()));
            }
        }
    }
    let served: Vec<(String, String)> =
        ROUTES.iter().map(|r| (r.method.name().to_owned(), r.path.to_owned())).collect();
    for route in &served {
        assert!(documented.contains(route), "{route:?} is served but not documented");
    }
    for op in &documented {
        assert!(served.contains(op), "{op:?} is documented but not served");
    }
    // Every endpoint behind a token says so, and names its roles.
    for route in ROUTES {
        let op = &paths[route.path][route.method.name().to_lowercase()];
        match route.access {
            Access::Public => assert_eq!(op["security"], json!([]), "{} {}", route.method.name(), route.path),
            Access::Roles(roles) => {
                let listed: Vec<&str> =
                    op["x-roles"].as_array().expect("x-roles").iter().filter_map(Value::as_str).collect();
                let expected: Vec<&str> = roles.iter().map(|r| r.name()).collect();
                assert_eq!(listed, expected, "{} {}", route.method.name(), route.path);
            }
        }
    }
}

/// A screened name opens a case per hit (a repeat opens none); assigning, noting and clearing
/// it are logged as audit entries signed by the log's key, clearing records the review decision
/// that suppresses the hit afterwards, and the audit trail lists every step with its leaf index.
#[test]
fn screening_hits_become_cases_and_every_decision_is_in_the_log() {
    let server = Server::start();
    let analyst = role_token(Role::Analyst);
    let (status, first) = server.post("/api/v1/screen", &analyst, r#"{"name":"Banco Nacional de Cuba"}"#);
    assert_eq!(status, 200, "{first}");
    let hits = first["hits"].as_array().expect("hits");
    assert!(!hits.is_empty(), "{first}");
    let case_ids = first["case_ids"].as_array().expect("case ids").clone();
    assert_eq!(case_ids.len(), hits.len());
    let (_, again) = server.post("/api/v1/screen", &analyst, r#"{"name":"Banco Nacional de Cuba"}"#);
    assert_eq!(again["case_ids"], json!(case_ids), "a repeat opens no new case");
    let (_, open) = server.get("/api/v1/cases?state=open", &analyst);
    assert_eq!(open.as_array().map(Vec::len), Some(case_ids.len()), "{open}");

    let id = case_ids[0].as_i64().expect("id");
    let (status, case) = server.get(&format!("/api/v1/cases/{id}"), &analyst);
    assert_eq!(status, 200, "{case}");
    assert_eq!(case["state"], "open");
    assert_eq!(case["evidence"]["entry_id"], hits[0]["entry_id"]);
    assert!(case["evidence"]["alignment"].is_array(), "the explanation is kept: {case}");

    let (status, assigned) =
        server.post(&format!("/api/v1/cases/{id}/assign"), &analyst, r#"{"assignee":"a.analyst"}"#);
    assert_eq!(status, 200, "{assigned}");
    assert_eq!(assigned["state"], "under_review");
    let (status, _) = server.post(&format!("/api/v1/cases/{id}/notes"), &analyst, r#"{"text":"checked the address"}"#);
    assert_eq!(status, 200);
    let (status, body) =
        server.post(&format!("/api/v1/cases/{id}/decide"), &analyst, r#"{"state":"cleared","reason":" "}"#);
    assert_eq!(status, 400, "{body}");
    assert_eq!(error(&body, "invalid_input").as_deref(), Some("reason"));
    let (status, body) =
        server.post(&format!("/api/v1/cases/{id}/decide"), &analyst, r#"{"state":"open","reason":"x"}"#);
    assert_eq!(status, 400, "{body}");
    assert_eq!(error(&body, "invalid_input").as_deref(), Some("state"));
    let (status, cleared) = server.post(
        &format!("/api/v1/cases/{id}/decide"),
        &analyst,
        r#"{"state":"cleared","reason":"a different bank"}"#,
    );
    assert_eq!(status, 200, "{cleared}");
    assert_eq!(cleared["state"], "cleared");
    let notes = cleared["notes"].as_array().expect("notes");
    assert!(notes.iter().any(|n| n["text"].as_str().is_some_and(|t| t.contains("a different bank"))), "{cleared}");
    let (status, body) =
        server.post(&format!("/api/v1/cases/{id}/decide"), &analyst, r#"{"state":"cleared","reason":"again"}"#);
    assert_eq!(status, 409, "{body}");
    let (status, body) = server.get("/api/v1/cases/99999", &analyst);
    assert_eq!(status, 404, "{body}");

    // The cleared hit is suppressed from now on; its case stays what it was.
    let (_, later) = server.post("/api/v1/screen", &analyst, r#"{"name":"Banco Nacional de Cuba"}"#);
    assert_eq!(later["suppressed"], 1, "{later}");
    assert!(!later["case_ids"].as_array().expect("ids").contains(&json!(id)));

    let (status, audit) = server.get("/api/v1/audit?limit=100", &analyst);
    assert_eq!(status, 200, "{audit}");
    let entries = audit["entries"].as_array().expect("entries");
    let actions: Vec<&str> = entries.iter().filter_map(|e| e["action"].as_str()).collect();
    for action in ["case.opened", "case.assigned", "case.under_review", "case.noted", "case.cleared"] {
        assert!(actions.contains(&action), "{action} missing from {actions:?}");
    }
    let last = &entries[0];
    assert_eq!(last["action"], "case.cleared");
    assert_eq!(last["actor"], "analyst", "the token's name acts");
    assert_eq!(last["subject"], format!("case:{id}"));
    assert_eq!(last["leaf_index"].as_u64(), audit["ledger_size"].as_u64().map(|n| n - 1));
    let (status, checkpoint) = server.get("/api/v1/ledger/checkpoint", &analyst);
    assert_eq!(status, 200, "{checkpoint}");
    assert_eq!(checkpoint["tree_size"], audit["ledger_size"]);
    let (status, body) = server.get("/api/v1/audit?limit=0", &analyst);
    assert_eq!(status, 400, "{body}");
    let (status, overview) = server.get("/api/v1/overview", &analyst);
    assert_eq!(status, 200, "{overview}");
    assert!(overview["cases"].as_array().is_some_and(|c| !c.is_empty()), "{overview}");
    assert!(overview["lists"].as_array().is_some_and(|l| l.len() == 2), "{overview}");
}

/// The dashboard is served from the binary with a policy that admits nothing from elsewhere.
#[test]
fn the_dashboard_is_embedded_and_self_contained() {
    let server = Server::start();
    for (path, kind) in [("/", "text/html"), ("/assets/app.js", "text/javascript"), ("/assets/style.css", "text/css")] {
        let mut response = server.agent.get(&server.url(path)).call().expect("response");
        assert_eq!(response.status().as_u16(), 200, "{path}");
        let headers = response.headers();
        let content_type = headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
        assert!(content_type.starts_with(kind), "{path}: {content_type}");
        let policy = headers.get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or("");
        assert!(policy.contains("default-src 'none'") && policy.contains("script-src 'self'"), "{policy}");
        let text = response.body_mut().read_to_string().expect("body");
        // The SVG namespace is a name, never fetched: the charts are drawn in it.
        let text = text.replace("\"http://www.w3.org/2000/svg\"", "");
        assert!(!text.contains("http://") && !text.contains("https://"), "{path} refers to another site");
    }
    let (status, body) = server.call("GET", "/assets/nothing.js", None, None);
    assert_eq!(status, 404, "{body}");
}

/// The full demo (`serve --demo`): the registry reads the demo ledger (chips by country, the
/// shipment never received), the map shades their countries, usage of the trace is under the
/// demo accounts and their linked group, the KYC owner on the SDN list has a case, and the
/// thresholds and catalog the dashboard's forms use are served.
#[test]
fn the_demo_holds_a_registry_usage_customers_and_a_case() {
    let dir = TempDir::new();
    let demo = chipwarden_server::demo::prepare(&dir.0).expect("demo data");
    assert_eq!((demo.customers, demo.customer_hits, demo.usage_records, demo.custody_events), (4, 1, 131, 15));
    let state = AppState::open(Config::new(&dir.0)).expect("state");
    let running = common::start(state);
    let token = demo.admin_token.as_str();
    let get = |path: &str| -> (u16, String) {
        let agent = ureq::Agent::config_builder().http_status_as_error(false).build().new_agent();
        let mut response = agent
            .get(&format!("http://{}{path}", running.addr))
            .header("Authorization", &format!("Bearer {token}"))
            .call()
            .expect("response");
        (response.status().as_u16(), response.body_mut().read_to_string().expect("body"))
    };

    let (status, body) = get("/api/v1/registry");
    assert_eq!(status, 200, "{body}");
    let registry: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(registry["chips"].as_array().map(Vec::len), Some(5), "{registry}");
    let countries: Vec<(String, u64)> = registry["countries"]
        .as_array()
        .expect("countries")
        .iter()
        .map(|c| (c["name"].as_str().unwrap_or_default().to_owned(), c["chips"].as_u64().unwrap_or(0)))
        .collect();
    assert_eq!(countries, [("US".to_owned(), 2), ("MY".to_owned(), 1), ("TW".to_owned(), 1)]);
    let gaps: Vec<(&str, &str)> = registry["gaps"]
        .as_array()
        .expect("gaps")
        .iter()
        .map(|g| (g["serial"].as_str().unwrap_or_default(), g["gap"].as_str().unwrap_or_default()))
        .collect();
    assert_eq!(gaps, [("DEMO-H100-0002", "location_mismatch"), ("DEMO-H20-0004", "in_transit")], "{registry}");

    let (status, svg) = get("/api/v1/registry/map.svg");
    assert_eq!(status, 200);
    assert!(svg.contains(r#"data-country="MY" data-chips="1""#) && svg.contains(r#"data-country="US" data-chips="2""#));

    let (status, body) = get("/api/v1/usage/report?window=365");
    assert_eq!(status, 200, "{body}");
    let report: Value = serde_json::from_str(&body).expect("JSON");
    let accounts: Vec<&str> =
        report["accounts"].as_array().expect("accounts").iter().filter_map(|a| a["account"].as_str()).collect();
    assert_eq!(accounts, ["aurora", "harbor-lane", "kestrel"]);
    assert_eq!(report["groups"][0]["accounts"], json!(["harbor-lane", "kestrel"]), "{report}");

    let (status, body) = get("/api/v1/cases?state=open");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("kyc:tidewater/owner:Li Jiadong") && body.contains("LI, Jiadong"), "{body}");

    let (status, body) = get("/api/v1/usage/thresholds?at=2024-06-01");
    assert_eq!(status, 200, "{body}");
    let thresholds: Value = serde_json::from_str(&body).expect("JSON");
    let in_force: Vec<(&str, bool)> = thresholds["thresholds"]
        .as_array()
        .expect("thresholds")
        .iter()
        .map(|t| (t["id"].as_str().unwrap_or_default(), t["in_force"].as_bool().unwrap_or(false)))
        .collect();
    assert_eq!(in_force, [("eo14110-bio", true), ("eu-ai-act-art51", false), ("eo14110-general", true)]);
    let (status, body) = get("/api/v1/usage/thresholds?at=June");
    assert_eq!(status, 400, "{body}");

    let (status, body) = get("/api/v1/catalog");
    assert_eq!(status, 200);
    assert!(body.contains("\"name\":\"NVIDIA H100 SXM5 80GB\""), "the catalog lists the H100");

    let _ = running.stop.send(());
    running.thread.join().expect("the server thread");
}

/// Location verification through the server, on the demo's ledger and landmarks (real
/// WonderProxy sites and round trips): the demo's own records place DEMO-H100-0002, on record in
/// the US, in South-East Asia, which opened a location case and draws a disagreeing region on the
/// map; an agent submits records only for the chips its party holds (403 naming the chip and its
/// holder otherwise); a forged record is refused naming it; a consistent verdict is appended to
/// the ledger; records are stored once; `locate/verify` judges what it is given.
#[test]
fn agents_report_their_own_chips_and_a_chip_off_its_country_opens_a_case() {
    let dir = TempDir::new();
    let demo = chipwarden_server::demo::prepare(&dir.0).expect("demo data");
    assert_eq!((demo.location_cases, demo.measurements > 30), (1, true), "{demo:?}");
    // The landmarks' keys as this test makes them (the demo's were drawn and forgotten).
    let landmarks = chipwarden_server::demo::DemoLandmarks::new(&[7; 32]).expect("demo landmarks");
    landmarks.write(&dir.0).expect("landmark files");
    let agent_token = "test-token-aurora-agent";
    {
        let mut store = Store::open(dir.0.join("chipwarden.sqlite")).expect("store");
        let auditor = chipwarden_service::audit::Auditor::open(&dir.0, "test-admin").expect("the log's key");
        chipwarden_service::tokens::create_agent(
            &mut store,
            &auditor,
            "aurora-agent",
            "Aurora Compute Inc.",
            &token_hash(agent_token),
        )
        .expect("agent token");
    }
    let state = AppState::open(Config::new(&dir.0)).expect("state");
    let running = common::start(state);
    let call = |method: &str, path: &str, token: &str, body: &str| -> (u16, String) {
        let agent = ureq::Agent::config_builder().http_status_as_error(false).build().new_agent();
        let url = format!("http://{}{path}", running.addr);
        let auth = format!("Bearer {token}");
        let mut response = match method {
            "GET" => agent.get(&url).header("Authorization", &auth).call(),
            _ => agent.post(&url).header("Authorization", &auth).content_type("application/json").send(body),
        }
        .expect("response");
        (response.status().as_u16(), response.body_mut().read_to_string().expect("body"))
    };
    let admin = demo.admin_token.as_str();
    let json_of = |text: &str| -> Value { serde_json::from_str(text).expect("JSON") };

    // The demo's finding: a case, and the region on the map.
    let (status, body) = call("GET", "/api/v1/cases?state=open", admin, "");
    assert_eq!(status, 200, "{body}");
    let cases = json_of(&body);
    let location: Vec<&Value> = cases.as_array().expect("cases").iter().filter(|c| c["kind"] == "location").collect();
    assert_eq!(location.len(), 1, "{cases}");
    assert_eq!(location[0]["subject"], "chip:DEMO-H100-0002");
    assert!(location[0]["title"].as_str().is_some_and(|t| t.contains("outside US") && t.contains("MY")), "{cases}");
    let (status, svg) = call("GET", "/api/v1/registry/map.svg", admin, "");
    assert_eq!(status, 200, "{svg}");
    assert!(svg.contains(r#"data-region-chip="DEMO-H100-0002" data-agrees="false""#), "the diverted chip's region");
    assert!(svg.contains(r#"data-region-chip="DEMO-H100-0001" data-agrees="true""#));
    let (_, body) = call("GET", "/api/v1/registry", admin, "");
    assert!(body.contains("\"gap\":\"location_mismatch\""), "the ledger records the mismatch too: {body}");

    let now = jiff::Timestamp::now();
    let records = |serial: &str, site: &str| -> Value {
        json!({ "records": landmarks.records(serial, site, now).expect("records") })
    };
    // Not the agent's chip: DEMO-H100-0003 is held by Kestrel.
    let (status, body) =
        call("POST", "/api/v1/locate/measurements", agent_token, &records("DEMO-H100-0003", "Malaysia").to_string());
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("DEMO-H100-0003") && body.contains("Kestrel Analytics Pte. Ltd."), "{body}");
    // A record altered after it was signed.
    let mut forged = records("DEMO-H100-0001", "Washington");
    forged["records"][0]["min_rtt_ms"] = json!(1.0);
    forged["records"][0]["rtts_ms"] = json!([1.0]);
    let (status, body) = call("POST", "/api/v1/locate/measurements", agent_token, &forged.to_string());
    assert_eq!(status, 400, "{body}");
    assert_eq!(json_of(&body)["error"]["field"], "records[0]", "{body}");
    assert!(body.contains("signature"), "{body}");
    // The agent's own chip, measured where the ledger says it is.
    let good = records("DEMO-H100-0001", "Washington").to_string();
    let (status, body) = call("POST", "/api/v1/locate/measurements", agent_token, &good);
    assert_eq!(status, 200, "{body}");
    let done = json_of(&body);
    assert_eq!(done["stored"], 19, "{done}");
    assert_eq!(done["chips"][0]["outcome"], "consistent", "{done}");
    assert_eq!(done["chips"][0]["declared_country"], "US");
    assert!(done["chips"][0]["ledger_index"].as_u64().is_some(), "recorded as location_verified: {done}");
    assert!(done["chips"][0]["case_id"].is_null());
    let (status, body) = call("POST", "/api/v1/locate/measurements", agent_token, &good);
    assert_eq!(status, 200, "{body}");
    assert_eq!((json_of(&body)["stored"].as_u64(), json_of(&body)["already_stored"].as_u64()), (Some(0), Some(19)));
    let (status, svg) = call("GET", "/api/v1/locate/DEMO-H100-0001/map.svg", admin, "");
    assert_eq!(status, 200);
    assert!(svg.starts_with("<svg"), "{svg}");
    let (status, _) = call("GET", "/api/v1/locate/DEMO-NONE/map.svg", admin, "");
    assert_eq!(status, 404);

    // Verify what is given: the Malaysian site's round trips exclude the US.
    let verify = json!({
        "landmarks": landmarks.landmarks,
        "measurements": landmarks.records("X", "Malaysia", now).expect("records").iter()
            .map(|r| json!({ "target": "X", "landmark": r.landmark, "rtt_ms": r.min_rtt_ms }))
            .collect::<Vec<_>>(),
    });
    let (status, body) = call("POST", "/api/v1/locate/verify", admin, &verify.to_string());
    assert_eq!(status, 200, "{body}");
    let possible = &json_of(&body)["verdicts"][0]["possible_countries"];
    assert!(possible.as_array().is_some_and(|p| p.contains(&json!("MY")) && !p.contains(&json!("US"))), "{possible}");
    let (status, body) =
        call("POST", "/api/v1/locate/verify", admin, r#"{"landmarks":[],"measurements":[],"speed":1}"#);
    assert_eq!(status, 400, "{body}");
    assert_eq!(json_of(&body)["error"]["field"], "speed", "{body}");

    let _ = running.stop.send(());
    running.thread.join().expect("the server thread");
}

/// Usage that crosses thresholds in force opens cases when it is ingested, without anyone asking
/// for a report (the server's alert task looks every `alert_interval`): two linked accounts (the
/// demo's harbor-lane and kestrel, one beneficial owner and card) each under 1e25 whose
/// overlapping runs together cross it: a split run.
#[test]
fn ingested_usage_that_crosses_a_threshold_opens_cases_without_a_report() {
    let dir = TempDir::new();
    let demo = chipwarden_server::demo::prepare(&dir.0).expect("demo data");
    let config = Config { alert_interval: Duration::from_millis(100), ..Config::new(&dir.0) };
    let running = common::start(AppState::open(config).expect("state"));
    let call = |method: &str, path: &str, body: &str| -> (u16, Value) {
        let agent = ureq::Agent::config_builder().http_status_as_error(false).build().new_agent();
        let url = format!("http://{}{path}", running.addr);
        let auth = format!("Bearer {}", demo.admin_token);
        let mut response = match method {
            "GET" => agent.get(&url).header("Authorization", &auth).call(),
            _ => agent.post(&url).header("Authorization", &auth).content_type("application/json").send(body),
        }
        .expect("response");
        let text = response.body_mut().read_to_string().expect("body");
        (response.status().as_u16(), serde_json::from_str(&text).unwrap_or(Value::String(text)))
    };
    let titles = || -> Vec<String> {
        let (status, cases) = call("GET", "/api/v1/cases?state=open", "");
        assert_eq!(status, 200, "{cases}");
        cases.as_array().expect("cases").iter().filter_map(|c| c["title"].as_str().map(str::to_owned)).collect()
    };
    let day = jiff::SignedDuration::from_hours(24);
    let now = jiff::Timestamp::now();
    let start = now.checked_sub(day * 20).expect("time").to_string();
    let end = now.checked_sub(day).expect("time").to_string();
    let record = |id: &str, account: &str, chips: u32| json!({ "record_id": id, "account": account, "chip_model": "H100 SXM", "chips": chips, "start": start, "end": end });
    // 19 days of 7,000 H100 at 989.4 TFLOP/s dense BF16 at the high band's 0.5 utilization:
    // 5.7e24 FLOP each, 1.14e25 together.
    let body = [record("split-a", "harbor-lane", 7000), record("split-b", "kestrel", 7000)]
        .iter()
        .map(Value::to_string)
        .collect::<Vec<_>>()
        .join("\n");
    let (status, answer) = call("POST", "/api/v1/usage", &body);
    assert_eq!((status, answer["inserted"].as_u64()), (200, Some(2)), "{answer}");
    let split = "split run across harbor-lane+kestrel".to_owned();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let mut seen = titles();
    while !seen.contains(&split) && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
        seen = titles();
    }
    assert!(seen.contains(&split), "{seen:?}");
    assert!(
        seen.contains(&"group harbor-lane+kestrel crossed eu-ai-act-art51 on the high estimate".to_owned()),
        "{seen:?}"
    );
    // Each account alone crosses only 1e23 of the revoked executive order: history, no case.
    assert!(!seen.iter().any(|t| t.starts_with("account ")), "{seen:?}");
    // The audit trail says who raised them.
    let (_, audit) = call("GET", "/api/v1/audit", "");
    assert!(audit.to_string().contains("meter-alerts"), "{audit}");
    // The same records again: nothing new, no new case.
    let before = seen.len();
    let (_, again) = call("POST", "/api/v1/usage", &body);
    assert_eq!(again["inserted"].as_u64(), Some(0), "{again}");
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(titles().len(), before);

    let _ = running.stop.send(());
    running.thread.join().expect("the server thread");
}
