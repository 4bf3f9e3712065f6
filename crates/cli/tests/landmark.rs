//! End-to-end tests of the location protocol's programs: real `chipwarden agent` processes
//! answering real `landmark measure` and `landmark serve` over UDP on loopback, records checked
//! by `locate verify --records`, and test doubles (a forged agent, a replaying responder, an
//! agent for another chip, a slow agent) that must not produce a record.
//!
//! Added delay: where `ip netns` and `tc netem` work (root, the sch_netem module), the agent runs
//! in a network namespace behind 20 ms of netem delay; elsewhere that test prints why it
//! skipped. A responder that sleeps 20 ms before answering always runs.

mod common;

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use chipwarden_ledger::NoteSigner;
use chipwarden_locate::protocol::{Challenge, answer, sign_record};
use ed25519_dalek::SigningKey;
use serde_json::Value;

/// Kuala Lumpur: the landmark sits beside the chip, so its cap holds Malaysia and nothing near
/// China.
const KUL: (&str, &str) = ("3.139", "101.687");

/// A scratch directory with a chip `SN1` registered (device key `dev.key`) in its ledger, a
/// landmark key `kul.key`, a second device key `forged.key`, and the landmarks and keys files.
struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let dir = std::env::temp_dir().join(format!("chipwarden-landmark-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        let dir = Dir(dir);
        for (file, party) in [("nvidia.key", "NVIDIA"), ("dev.key", "SN1"), ("forged.key", "SN1"), ("kul.key", "kul")] {
            dir.ok(&["keys", "generate", "--out", &dir.path(file), "--party", party]);
        }
        let events = format!(
            "{}\n{}\n",
            format_args!(
                r#"{{"type":"registered","serial":"SN1","model":"H100 SXM","holder":"NVIDIA","country":"MY","device_public_key":"{}","time":"2026-01-05T00:00:00Z"}}"#,
                hex(&dir.key("dev.key").verifying_key().to_bytes())
            ),
            r#"{"type":"registered","serial":"SN9","model":"H100 SXM","holder":"NVIDIA","time":"2026-01-05T00:00:00Z"}"#
        );
        let events = dir.write("events.jsonl", &events);
        dir.ok(&["ledger", "append", "--file", &events, "--key", &dir.path("nvidia.key")]);
        dir.write("landmarks.csv", &format!("id,lat,lon\nkul,{},{}\nsin,1.352,103.820\n", KUL.0, KUL.1));
        let vkey = std::fs::read_to_string(dir.0.join("kul.key.pub")).expect("vkey");
        dir.write("keys.csv", &format!("landmark,key\nkul,{}\n", vkey.trim()));
        dir
    }

    fn path(&self, name: &str) -> String {
        self.0.join(name).display().to_string()
    }

    fn write(&self, name: &str, text: &str) -> String {
        std::fs::write(self.0.join(name), text).expect("write");
        self.path(name)
    }

    fn command(&self) -> Command {
        let mut command = common::binary();
        command.arg("--data-dir").arg(self.0.join("data"));
        command
    }

    fn run(&self, args: &[&str]) -> common::Run {
        let mut command = self.command();
        command.args(args);
        common::run(command)
    }

    fn ok(&self, args: &[&str]) -> String {
        let r = self.run(args);
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
        r.stdout
    }

    fn key(&self, name: &str) -> SigningKey {
        let text = std::fs::read_to_string(self.0.join(name)).expect("key");
        SigningKey::from_bytes(&NoteSigner::from_skey(text.trim()).expect("skey").seed())
    }

    /// `landmark measure` from Kuala Lumpur against `agent`, with the device key from the ledger.
    fn measure(&self, agent: &str, serial: &str, extra: &[&str]) -> common::Run {
        let key = self.path("kul.key");
        let mut args = vec!["landmark", "measure", "--id", "kul", "--lat", KUL.0, "--lon", KUL.1, "--key", &key];
        args.extend(["--agent", agent, "--serial", serial, "--from-ledger"]);
        args.extend(extra);
        self.run(&args)
    }

    /// `locate verify --records` with the landmarks and keys files: the exit code, the first
    /// verdict (if any) and standard error.
    fn verify(&self, records: &str, extra: &[&str]) -> (i32, Option<Value>, String) {
        let (landmarks, keys) = (self.path("landmarks.csv"), self.path("keys.csv"));
        let mut args = vec![
            "--json",
            "locate",
            "verify",
            "--landmarks",
            &landmarks,
            "--records",
            records,
            "--landmark-keys",
            &keys,
        ];
        args.extend(extra);
        let r = self.run(&args);
        (r.code, r.stdout.lines().next().map(|l| serde_json::from_str(l).expect("json")), r.stderr)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn countries(verdict: &Value) -> Vec<String> {
    verdict["possible_countries"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|c| c.as_str().map(String::from))
        .collect()
}

/// A child process killed when the test ends, however it ends.
struct Running {
    child: Child,
    stdout: BufReader<std::process::ChildStdout>,
}

impl Running {
    fn start(mut command: Command) -> Running {
        let mut child = command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn");
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        Running { child, stdout }
    }

    /// The next JSON line the process printed.
    fn line(&mut self) -> Value {
        let mut line = String::new();
        self.stdout.read_line(&mut line).expect("read");
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("`{line}`: {e}"))
    }

    /// Waits for the process to end by itself; its exit code and standard error.
    fn wait(mut self) -> (i32, Value, String) {
        let last = self.line();
        let mut stderr = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            let _ = std::io::Read::read_to_string(&mut e, &mut stderr);
        }
        let status = self.child.wait().expect("wait");
        (status.code().unwrap_or(-1), last, stderr)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `chipwarden agent` for `serial` with the key `key`, on a free loopback port.
fn agent(dir: &Dir, key: &str, serial: &str, extra: &[&str]) -> (Running, String) {
    let mut command = dir.command();
    command.args(["--json", "agent", "--serial", serial, "--key", &dir.path(key), "--listen", "127.0.0.1:0"]);
    command.args(extra);
    let mut running = Running::start(command);
    let hello = running.line();
    let addr = hello["listening"].as_str().expect("listening").to_owned();
    (running, addr)
}

/// A UDP responder inside the test: for every datagram, the bytes `reply` makes of the challenge
/// in it (nothing when it gives none). Runs until the test process ends.
fn responder(reply: impl Fn(&Challenge) -> Vec<Vec<u8>> + Send + 'static) -> String {
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let addr = socket.local_addr().expect("addr").to_string();
    std::thread::spawn(move || {
        let mut buf = [0u8; 2048];
        while let Ok((n, from)) = socket.recv_from(&mut buf) {
            let Ok(challenge) = serde_json::from_slice::<Challenge>(&buf[..n]) else { continue };
            for datagram in reply(&challenge) {
                let _ = socket.send_to(&datagram, from);
            }
        }
    });
    addr
}

fn now() -> jiff::Timestamp {
    jiff::Timestamp::now()
}

#[test]
fn an_agent_measured_from_beside_it_is_placed_in_malaysia_and_stops_on_sigterm() {
    let dir = Dir::new("e2e");
    let (agent, addr) = agent(&dir, "dev.key", "SN1", &[]);
    let records = dir.path("records.jsonl");
    let r = dir.measure(&addr, "SN1", &["--rounds", "4", "--out", &records]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("4 of 4 round(s) valid"), "{}", r.stderr);
    let text = std::fs::read_to_string(&records).expect("records");
    let record: Value = serde_json::from_str(text.trim()).expect("one record");
    assert_eq!((record["landmark"].as_str(), record["serial"].as_str()), (Some("kul"), Some("SN1")));
    assert_eq!(record["rtts_ms"].as_array().map(Vec::len), Some(4));
    let min = record["min_rtt_ms"].as_f64().expect("min");
    assert!(min > 0.0 && min < 50.0, "loopback: {min} ms");

    // A second measurement, printed instead of appended.
    let printed = dir.measure(&addr, "SN1", &["--rounds", "2"]);
    assert_eq!(printed.code, 0, "{}", printed.stderr);
    let line: Value = serde_json::from_str(printed.stdout.trim()).expect("one JSON line");
    assert_eq!(line["serial"], "SN1");

    let (code, verdict, stderr) = dir.verify(&records, &[]);
    assert_eq!(code, 0, "{stderr}");
    let verdict = verdict.expect("a verdict");
    assert_eq!(verdict["target"], "SN1");
    assert_eq!(verdict["consistent"], true);
    let possible = countries(&verdict);
    assert!(possible.contains(&"MY".to_owned()), "{possible:?}");
    assert!(!possible.iter().any(|c| c == "CN" || c == "HK" || c == "SG"), "{possible:?}");

    // SIGTERM stops the agent cleanly, with its count.
    let pid = agent.child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().expect("kill").success());
    let (code, last, stderr) = agent.wait();
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(last["answered"], 6, "{last}");
}

#[test]
fn a_chip_the_ledger_cannot_vouch_for_is_not_measured() {
    let dir = Dir::new("unvouched");
    let (_agent, addr) = agent(&dir, "dev.key", "SN1", &[]);
    for (serial, expected) in [
        ("SN404", "chip `SN404` is not in the custody ledger"),
        ("SN9", "chip `SN9` was registered without a `device_public_key`"),
    ] {
        let r = dir.measure(&addr, serial, &[]);
        assert_eq!(r.code, 3, "{serial}: {}", r.stdout);
        assert!(r.stderr.contains(expected), "{serial}: {}", r.stderr);
        assert_eq!(r.stdout, "");
    }
}

#[test]
fn answers_that_are_not_the_chips_own_fresh_answer_are_rejected_with_the_reason() {
    let dir = Dir::new("bad-answers");
    let fast = ["--rounds", "2", "--timeout-ms", "300"];

    // An agent holding another key claims to be SN1.
    let (_forged, addr) = agent(&dir, "forged.key", "SN1", &[]);
    let r = dir.measure(&addr, "SN1", &fast);
    assert_eq!(r.code, 3, "{}", r.stdout);
    assert!(r.stderr.contains("signature does not verify with the chip's device key"), "{}", r.stderr);
    assert!(r.stderr.contains("no round produced a valid answer"), "{}", r.stderr);
    assert_eq!(r.stdout, "");

    // The real agent of SN1 ignores challenges for another chip.
    let (_real, addr) = agent(&dir, "dev.key", "SN1", &[]);
    let r = dir.measure(&addr, "SN9", &["--device-key", &hex(&dir.key("dev.key").verifying_key().to_bytes())]);
    assert_eq!(r.code, 2, "--from-ledger and --device-key are exclusive: {}", r.stderr);
    let key = dir.path("kul.key");
    let device = hex(&dir.key("dev.key").verifying_key().to_bytes());
    let r = dir.run(&[
        "landmark",
        "measure",
        "--id",
        "kul",
        "--lat",
        KUL.0,
        "--lon",
        KUL.1,
        "--key",
        &key,
        "--agent",
        &addr,
        "--serial",
        "SN2",
        "--device-key",
        &device,
        "--rounds",
        "1",
        "--timeout-ms",
        "300",
    ]);
    assert_eq!(r.code, 3, "{}", r.stdout);
    assert!(r.stderr.contains("no valid answer within 300 ms"), "{}", r.stderr);

    // A replayer holds a genuine answer (the device key signed it, for an earlier challenge) and
    // sends it back at once to every challenge.
    let device_key = dir.key("dev.key");
    let old = answer(&Challenge::new("kul", "SN1", &[42; 32]), &device_key, now());
    let old = serde_json::to_vec(&old).expect("json");
    let addr = responder(move |_| vec![old.clone()]);
    let r = dir.measure(&addr, "SN1", &fast);
    assert_eq!(r.code, 3, "{}", r.stdout);
    assert!(r.stderr.contains("a replayed or stray answer"), "{}", r.stderr);

    // The device key signs, but for another chip's serial (a key shared between chips).
    let signer = dir.key("dev.key");
    let addr = responder(move |c| {
        let other = Challenge { serial: "SN2".to_owned(), ..c.clone() };
        vec![serde_json::to_vec(&answer(&other, &signer, now())).expect("json")]
    });
    let r = dir.measure(&addr, "SN1", &fast);
    assert_eq!(r.code, 3, "{}", r.stdout);
    assert!(r.stderr.contains("the answer names serial `SN2`, the challenge `SN1`"), "{}", r.stderr);

    // Garbage and oversized datagrams are rejected; nothing is measured.
    let addr = responder(|_| vec![b"not json".to_vec(), vec![b' '; 1500]]);
    let r = dir.measure(&addr, "SN1", &["--rounds", "1", "--timeout-ms", "300"]);
    assert_eq!(r.code, 3, "{}", r.stdout);
    assert!(r.stderr.contains("not an answer") && r.stderr.contains("oversized"), "{}", r.stderr);

    // A replay sent ahead of the genuine answer does not stop the genuine one from counting.
    let signer = dir.key("dev.key");
    let stale = serde_json::to_vec(&answer(&Challenge::new("kul", "SN1", &[7; 32]), &signer, now())).expect("json");
    let addr = responder(move |c| vec![stale.clone(), serde_json::to_vec(&answer(c, &signer, now())).expect("json")]);
    let r = dir.measure(&addr, "SN1", &fast);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("2 of 2 round(s) valid") && r.stderr.contains("replayed"), "{}", r.stderr);
}

#[test]
fn the_agent_refuses_oversized_malformed_and_foreign_challenges_without_answering() {
    let dir = Dir::new("agent-refuses");
    let (agent, addr) = agent(&dir, "dev.key", "SN1", &["--count", "1"]);
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
    socket.set_read_timeout(Some(Duration::from_millis(300))).expect("timeout");
    let addr: SocketAddr = addr.parse().expect("addr");
    let other = serde_json::to_vec(&Challenge::new("kul", "SN2", &[1; 32])).expect("json");
    for datagram in [vec![b'{'; 2000], b"{\"landmark\":".to_vec(), other] {
        socket.send_to(&datagram, addr).expect("send");
        let mut buf = [0u8; 2048];
        assert!(socket.recv_from(&mut buf).is_err(), "no reply to a refused datagram");
    }
    let good = Challenge::new("kul", "SN1", &[3; 32]);
    socket.send_to(&serde_json::to_vec(&good).expect("json"), addr).expect("send");
    let mut buf = [0u8; 2048];
    let (n, _) = socket.recv_from(&mut buf).expect("an answer");
    let reply: chipwarden_locate::protocol::Answer = serde_json::from_slice(&buf[..n]).expect("answer");
    assert_eq!(chipwarden_locate::protocol::check_answer(&good, &reply, &dir.key("dev.key").verifying_key()), Ok(()));
    let (code, last, stderr) = agent.wait();
    assert_eq!((code, last["answered"].as_u64(), last["refused"].as_u64()), (0, Some(1), Some(3)), "{stderr}");
    assert!(stderr.contains("oversized") && stderr.contains("not a challenge") && stderr.contains("`SN2`"), "{stderr}");
}

#[test]
fn records_that_are_old_from_the_future_tampered_or_misplaced_are_refused() {
    let dir = Dir::new("records");
    let landmark = dir.key("kul.key");
    let at = |hours_ago: i64| now() - jiff::SignedDuration::from_hours(hours_ago);
    let record = |lat: f64, measured_at| {
        let r = sign_record("kul", (lat, 101.687), "SN1", &[0.4, 0.3], measured_at, &landmark).expect("record");
        serde_json::to_string(&r).expect("json")
    };
    let fresh = record(3.139, at(1));
    let tampered = fresh.replace("\"min_rtt_ms\":0.3", "\"min_rtt_ms\":0.1").replace("[0.4,0.3]", "[0.4,0.1]");
    let unsigned = {
        let mut v: Value = serde_json::from_str(&fresh).expect("json");
        v["signature"] = Value::String(String::new());
        v.to_string()
    };
    let stranger = {
        let r = sign_record("sin", (1.352, 103.820), "SN1", &[9.0], at(1), &landmark).expect("record");
        serde_json::to_string(&r).expect("json")
    };
    let check = |name: &str, text: &str, extra: &[&str], expected: &str| {
        let file = dir.write(&format!("{name}.jsonl"), &format!("{text}\n"));
        let (code, verdict, stderr) = dir.verify(&file, extra);
        assert_eq!(code, 3, "{name}: {verdict:?}");
        assert!(stderr.contains(expected), "{name}: {stderr}");
        assert!(verdict.is_none(), "{name}");
    };
    check("expired", &record(3.139, at(48)), &[], "line 1: landmark `kul`, chip `SN1`: the measurement of");
    check("expired", &record(3.139, at(48)), &[], "older than the 86400 s allowed");
    check("short-age", &fresh, &["--max-age-hours", "0"], "older than the 0 s allowed");
    check("future", &record(3.139, at(-1)), &[], "after the time of checking");
    check("tampered", &tampered, &[], "signature does not verify with the landmark's key");
    check("unsigned", &unsigned, &[], "signature does not verify with the landmark's key");
    check(
        "misplaced",
        &record(22.302, at(1)),
        &[],
        "signed coordinates (22.302, 101.687) but the landmarks file puts it at (3.139, 101.687)",
    );
    check("no-key", &stranger, &[], "no key for landmark `sin`");
    check("not-json", "{\"landmark\":", &[], "line 1: not a measurement record");
    // The second line is named; the good first line does not save the file.
    check("second", &format!("{fresh}\n{tampered}"), &[], "line 2:");
    let (code, verdict, stderr) = dir.verify(&dir.write("fresh.jsonl", &fresh), &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(countries(&verdict.expect("verdict")).contains(&"MY".to_owned()));
}

#[test]
fn a_landmark_server_measures_on_request() {
    let dir = Dir::new("serve");
    let (_agent, agent_addr) = agent(&dir, "dev.key", "SN1", &[]);
    let mut command = dir.command();
    command.args(["--json", "landmark", "serve", "--id", "kul", "--lat", KUL.0, "--lon", KUL.1]);
    command.args(["--key", &dir.path("kul.key"), "--listen", "127.0.0.1:0", "--rounds", "3", "--count", "2"]);
    let mut server = Running::start(command);
    let hello = server.line();
    let addr = hello["listening"].as_str().expect("listening").to_owned();
    let ask = |request: &str| -> Value {
        let mut stream = std::net::TcpStream::connect(&addr).expect("connect");
        stream.write_all(format!("{request}\n").as_bytes()).expect("send");
        let mut line = String::new();
        BufReader::new(stream).read_line(&mut line).expect("reply");
        serde_json::from_str(&line).expect("json reply")
    };
    let reply = ask(&format!(r#"{{"agent":"{agent_addr}","serial":"SN1"}}"#));
    let record = &reply["record"];
    assert_eq!(record["rtts_ms"].as_array().map(Vec::len), Some(3), "{reply}");
    let file = dir.write("served.jsonl", &format!("{record}\n"));
    let (code, verdict, stderr) = dir.verify(&file, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(countries(&verdict.expect("verdict")).contains(&"MY".to_owned()));
    let refused = ask(&format!(r#"{{"agent":"{agent_addr}","serial":"SN404"}}"#));
    assert!(refused["error"].as_str().is_some_and(|e| e.contains("not in the custody ledger")), "{refused}");
    drop(server);
}

/// Asserts that a record measured through `agent_addr` has a minimum of at least 20 ms and still
/// places the chip possibly in Malaysia.
fn assert_delayed(dir: &Dir, agent_addr: &str) {
    let records = dir.path("delayed.jsonl");
    let r = dir.measure(agent_addr, "SN1", &["--rounds", "3", "--out", &records]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let record: Value = serde_json::from_str(std::fs::read_to_string(&records).expect("records").trim()).expect("json");
    let min = record["min_rtt_ms"].as_f64().expect("min");
    assert!(min >= 20.0, "20 ms were added, the minimum is {min} ms");
    let (code, verdict, stderr) = dir.verify(&records, &[]);
    assert_eq!(code, 0, "{stderr}");
    let possible = countries(&verdict.expect("verdict"));
    assert!(possible.contains(&"MY".to_owned()), "added delay never excludes the true country: {possible:?}");
}

#[test]
fn added_delay_in_the_responder_widens_the_region_and_keeps_the_true_country() {
    let dir = Dir::new("slow");
    let signer = dir.key("dev.key");
    let addr = responder(move |c| {
        std::thread::sleep(Duration::from_millis(20));
        vec![serde_json::to_vec(&answer(c, &signer, now())).expect("json")]
    });
    assert_delayed(&dir, &addr);
}

/// A network namespace with a veth pair to it, removed when the test ends.
struct Namespace(String);

impl Namespace {
    fn ip(args: &[&str]) -> Result<(), String> {
        let out = Command::new("ip").args(args).output().map_err(|e| format!("`ip` cannot run: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!("`ip {}`: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim()))
        }
    }

    /// A namespace whose end of a veth pair delays every packet it sends by 20 ms; the agent's
    /// address inside it.
    fn delayed(name: &str, subnet: &str) -> Result<(Namespace, String), String> {
        let (host, inner) = (format!("{subnet}.1"), format!("{subnet}.2"));
        Namespace::ip(&["netns", "add", name])?;
        let ns = Namespace(name.to_owned());
        let (outside, inside) = (format!("{name}a"), format!("{name}b"));
        Namespace::ip(&["link", "add", &outside, "type", "veth", "peer", "name", &inside])?;
        Namespace::ip(&["link", "set", &inside, "netns", name])?;
        Namespace::ip(&["addr", "add", &format!("{host}/30"), "dev", &outside])?;
        Namespace::ip(&["link", "set", &outside, "up"])?;
        Namespace::ip(&["-n", name, "addr", "add", &format!("{inner}/30"), "dev", &inside])?;
        Namespace::ip(&["-n", name, "link", "set", &inside, "up"])?;
        Namespace::ip(&["-n", name, "link", "set", "lo", "up"])?;
        let out = Command::new("ip")
            .args(["netns", "exec", name, "tc", "qdisc", "add", "dev", &inside, "root", "netem", "delay", "20ms"])
            .output()
            .map_err(|e| format!("`tc` cannot run: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "`tc qdisc add ... netem delay 20ms`: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok((ns, inner))
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        // Deleting the namespace deletes its end of the veth pair and, in the background, the
        // other end; deleting that end first leaves nothing behind if the test process ends.
        let _ = Namespace::ip(&["link", "del", &format!("{}a", self.0)]);
        let _ = Namespace::ip(&["netns", "del", &self.0]);
    }
}

#[test]
#[allow(clippy::print_stdout, reason = "a skip must say so where the person running the tests sees it")]
fn added_delay_from_netem_in_a_network_namespace_keeps_the_true_country() {
    let pid = std::process::id();
    let (name, subnet) =
        (format!("cw{}", pid % 100_000), format!("10.{}.{}", 200 + (pid >> 14) % 50, (pid >> 6) & 0xff));
    let (_ns, inner) = match Namespace::delayed(&name, &subnet) {
        Ok(ready) => ready,
        Err(why) => {
            println!(
                "SKIPPED: no network namespace with netem delay here ({why}); the responder test adds delay instead"
            );
            return;
        }
    };
    let dir = Dir::new("netem");
    let binary = env!("CARGO_BIN_EXE_chipwarden");
    let mut command = Command::new("ip");
    command.args(["netns", "exec", &name, binary, "--data-dir"]).arg(dir.0.join("data"));
    command.args(["--json", "agent", "--serial", "SN1", "--key", &dir.path("dev.key"), "--listen"]);
    command.arg(format!("{inner}:0"));
    let mut agent = Running::start(command);
    let addr = agent.line()["listening"].as_str().expect("listening").to_owned();
    assert_delayed(&dir, &addr);
    drop(agent);
}
