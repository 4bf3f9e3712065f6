//! `chipwarden landmark`: a landmark at known coordinates times a chip's agent over UDP, round
//! by round with a fresh nonce each, keeps the rounds whose answers the chip's device key signed,
//! and signs a measurement record (`measure`, or on request over TCP with `serve`).
//!
//! Each round is timed with the monotonic clock from just before the challenge leaves to just
//! after a datagram arrives; the answer is checked after the clock stops, and a round counts only
//! if its answer carries this round's nonce, this landmark, this chip and the device key's
//! signature. Anything else (a replay, a forgery, another chip, a late answer to an earlier
//! round) is reported and ignored while the round waits for its real answer: bad datagrams
//! cannot make a chip look closer, and cannot stop a genuine answer from counting.

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs as _, UdpSocket};
use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use chipwarden_ledger::{NoteSigner, PublicKey};
use chipwarden_locate::protocol::{Answer, Challenge, MeasurementRecord, ProtocolError, check_answer, sign_record};
use chipwarden_store::Store;
use ed25519_dalek::{SigningKey, VerifyingKey};
use jiff::Timestamp;
use serde::Deserialize;

use crate::Failure;
use crate::agent::{MAX_DATAGRAM, is_timeout, stop_on_signal};
use crate::args::{Cli, LandmarkCommand, LandmarkIdentity, LandmarkServeArgs, MeasureArgs};
use crate::commands::read;
use crate::exit;

/// At most this many rounds per measurement, and this long per round: a landmark is not a
/// traffic generator.
const MAX_ROUNDS: u32 = 100;
const MAX_TIMEOUT_MS: u64 = 60_000;

pub fn landmark(cli: &Cli, command: &LandmarkCommand) -> Result<u8, Failure> {
    match command {
        LandmarkCommand::Measure(args) => measure_command(cli, args),
        LandmarkCommand::Serve(args) => serve(cli, args),
    }
}

/// A signing key from a file written by `keys generate` (Go note signer-key text).
pub fn signing_key(path: &Path) -> Result<SigningKey, Failure> {
    let text = read(path)?;
    let signer =
        NoteSigner::from_skey(text.trim()).map_err(|e| Failure::input(format!("`{}`: {e}", path.display())))?;
    Ok(SigningKey::from_bytes(&signer.seed()))
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A landmark ready to measure: who it is, where it says it is, its key, how it measures.
struct Station {
    id: String,
    position: (f64, f64),
    key: SigningKey,
    rounds: u32,
    timeout: Duration,
}

fn station(identity: &LandmarkIdentity) -> Result<Station, Failure> {
    let id = identity.id.trim();
    if id.is_empty() || id.contains(char::is_whitespace) {
        return Err(Failure::input(format!("--id `{}` must be a non-empty id without spaces", identity.id)));
    }
    if !(identity.lat.is_finite() && identity.lat.abs() <= 90.0) {
        return Err(Failure::input(format!("--lat `{}` is not a latitude in [-90, 90]", identity.lat)));
    }
    if !(identity.lon.is_finite() && identity.lon.abs() <= 180.0) {
        return Err(Failure::input(format!("--lon `{}` is not a longitude in [-180, 180]", identity.lon)));
    }
    if !(1..=MAX_ROUNDS).contains(&identity.rounds) {
        return Err(Failure::input(format!("--rounds `{}` must be 1 to {MAX_ROUNDS}", identity.rounds)));
    }
    if !(1..=MAX_TIMEOUT_MS).contains(&identity.timeout_ms) {
        return Err(Failure::input(format!("--timeout-ms `{}` must be 1 to {MAX_TIMEOUT_MS}", identity.timeout_ms)));
    }
    Ok(Station {
        id: id.to_owned(),
        position: (identity.lat, identity.lon),
        key: signing_key(&identity.key)?,
        rounds: identity.rounds,
        timeout: Duration::from_millis(identity.timeout_ms),
    })
}

fn agent_addr(text: &str) -> Result<SocketAddr, String> {
    text.to_socket_addrs()
        .map_err(|e| format!("agent `{text}`: {e}"))?
        .next()
        .ok_or_else(|| format!("agent `{text}` resolves to no address"))
}

fn verifying_key(key: PublicKey) -> Result<VerifyingKey, Failure> {
    VerifyingKey::from_bytes(&key.0).map_err(|_| Failure::input(format!("`{key}` is not an Ed25519 public key")))
}

/// The chip's device key from the custody ledger.
fn ledger_device_key(store: &Store, serial: &str) -> Result<VerifyingKey, Failure> {
    let key = chipwarden_service::locate::device_key(store, serial)?.map_err(Failure::input)?;
    verifying_key(key)
}

/// What a measurement came to: the signed record (if any round counted) and every round that
/// did not, or answer that was refused, with the reason.
struct Outcome {
    record: Option<MeasurementRecord>,
    rounds: u32,
    notes: Vec<String>,
}

impl Outcome {
    fn summary(&self, serial: &str, landmark: &str) -> String {
        match &self.record {
            Some(r) => format!(
                "chip `{serial}` from landmark `{landmark}`: {} of {} round(s) valid, minimum {:.3} ms",
                r.rtts_ms.len(),
                self.rounds,
                r.min_rtt_ms
            ),
            None => format!(
                "chip `{serial}` from landmark `{landmark}`: no round produced a valid answer ({})",
                self.notes.join("; ")
            ),
        }
    }
}

/// Times `station.rounds` challenges to the agent at `agent` and signs the valid rounds.
fn measure(station: &Station, agent: SocketAddr, serial: &str, device: &VerifyingKey) -> Result<Outcome, Failure> {
    let local: SocketAddr = if agent.is_ipv4() { ([0, 0, 0, 0], 0).into() } else { ([0u16; 8], 0).into() };
    let socket = UdpSocket::bind(local).map_err(|e| Failure::io(format!("cannot open a UDP socket: {e}")))?;
    // A connected socket only receives datagrams from the agent's address.
    socket.connect(agent).map_err(|e| Failure::io(format!("cannot reach agent {agent}: {e}")))?;
    let measured_at = Timestamp::now();
    let mut sent: Vec<String> = Vec::new();
    let mut rtts: Vec<f64> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    let mut buf = [0u8; MAX_DATAGRAM + 1];
    for round in 1..=station.rounds {
        let mut nonce = [0u8; 32];
        getrandom::fill(&mut nonce).map_err(|e| Failure::internal(format!("cannot draw a nonce: {e}")))?;
        let challenge = Challenge::new(&station.id, serial, &nonce);
        let bytes = serde_json::to_vec(&challenge).map_err(Failure::internal)?;
        sent.push(challenge.nonce.clone());
        let start = Instant::now();
        if let Err(e) = socket.send(&bytes) {
            notes.push(format!("round {round}: cannot send the challenge: {e}"));
            continue;
        }
        let deadline = start + station.timeout;
        loop {
            let Some(left) = deadline.checked_duration_since(Instant::now()).filter(|d| !d.is_zero()) else {
                notes.push(format!("round {round}: no valid answer within {} ms", station.timeout.as_millis()));
                break;
            };
            socket.set_read_timeout(Some(left)).map_err(Failure::io)?;
            let n = match socket.recv(&mut buf) {
                Ok(n) => n,
                Err(e) if is_timeout(&e) => continue,
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                    notes.push(format!("round {round}: nothing answers at {agent} (connection refused)"));
                    break;
                }
                Err(e) => return Err(Failure::io(format!("cannot receive from agent {agent}: {e}"))),
            };
            // The clock stops here; the checks below are not part of the round trip.
            let elapsed = start.elapsed();
            match checked(buf.get(..n).unwrap_or_default(), &challenge, device, &sent) {
                Ok(()) => {
                    rtts.push(milliseconds(elapsed));
                    break;
                }
                Err(reason) => notes.push(format!("round {round}: answer rejected: {reason}")),
            }
        }
    }
    let record = if rtts.is_empty() {
        None
    } else {
        Some(
            sign_record(&station.id, station.position, serial, &rtts, measured_at, &station.key)
                .map_err(Failure::internal)?,
        )
    };
    Ok(Outcome { record, rounds: station.rounds, notes })
}

/// A round trip in ms, rounded up to the microsecond: shorter figures to read, never a shorter
/// round trip than was timed.
fn milliseconds(elapsed: Duration) -> f64 {
    let micros = u32::try_from(elapsed.as_nanos().div_ceil(1000)).unwrap_or(u32::MAX);
    f64::from(micros) / 1000.0
}

/// Whether a datagram is the valid answer to `challenge`; if not, why.
fn checked(bytes: &[u8], challenge: &Challenge, device: &VerifyingKey, sent: &[String]) -> Result<(), String> {
    if bytes.len() > MAX_DATAGRAM {
        return Err(format!("oversized (more than {MAX_DATAGRAM} bytes)"));
    }
    let answer: Answer = serde_json::from_slice(bytes).map_err(|e| format!("not an answer: {e}"))?;
    match check_answer(challenge, &answer, device) {
        Ok(()) => Ok(()),
        Err(ProtocolError::WrongNonce { .. }) if sent.contains(&answer.nonce) => {
            let round = sent.iter().position(|n| *n == answer.nonce).map_or(0, |i| i + 1);
            Err(format!("a late answer to round {round}, not this round's nonce"))
        }
        Err(e) => Err(e.to_string()),
    }
}

fn measure_command(cli: &Cli, args: &MeasureArgs) -> Result<u8, Failure> {
    let station = station(&args.landmark)?;
    let serial = args.serial.trim();
    if serial.is_empty() {
        return Err(Failure::input("--serial must not be empty"));
    }
    let agent = agent_addr(&args.agent).map_err(|e| Failure::input(format!("--agent: {e}")))?;
    let device = match &args.device.device_key {
        Some(hex) => {
            verifying_key(PublicKey::from_hex(hex).map_err(|e| Failure::input(format!("--device-key: {e}")))?)?
        }
        None => ledger_device_key(&crate::screening::open_store(cli)?, serial)?,
    };
    let outcome = measure(&station, agent, serial, &device)?;
    for note in &outcome.notes {
        eprintln!("warning: {note}");
    }
    let Some(record) = &outcome.record else {
        return Err(Failure::input(outcome.summary(serial, &station.id)));
    };
    let line = serde_json::to_string(record).map_err(Failure::internal)?;
    match &args.out {
        Some(path) => {
            append_line(path, &line)?;
            eprintln!("{} (appended to `{}`)", outcome.summary(serial, &station.id), path.display());
        }
        None => {
            crate::outln!("{line}");
            eprintln!("{}", outcome.summary(serial, &station.id));
        }
    }
    Ok(exit::OK)
}

fn append_line(path: &Path, line: &str) -> Result<(), Failure> {
    let failed = |e: std::io::Error| Failure::io(format!("cannot append to `{}`: {e}", path.display()));
    let mut file = std::fs::OpenOptions::new().create(true).append(true).open(path).map_err(failed)?;
    file.write_all(format!("{line}\n").as_bytes()).and_then(|()| file.sync_all()).map_err(failed)
}

// --- serve ---

/// The largest request line a coordinator may send.
const MAX_REQUEST: u64 = 4096;
/// How long a coordinator has to send its request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// A coordinator's request: measure this chip's agent.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Request {
    agent: String,
    serial: String,
}

fn serve(cli: &Cli, args: &LandmarkServeArgs) -> Result<u8, Failure> {
    let station = station(&args.landmark)?;
    let store = crate::screening::open_store(cli)?;
    let listener = TcpListener::bind(&args.listen)
        .map_err(|e| Failure::io(format!("cannot listen on TCP `{}`: {e}", args.listen)))?;
    let addr = listener.local_addr().map_err(Failure::io)?;
    listener.set_nonblocking(true).map_err(Failure::io)?;
    let stop = stop_on_signal()?;
    if cli.json {
        crate::outln!("{}", serde_json::json!({"listening": addr.to_string(), "landmark": station.id}));
    } else {
        crate::outln!("landmark `{}` taking requests on tcp://{addr}", station.id);
    }
    let mut served = 0u64;
    // One request at a time: two measurements at once would queue behind each other and add
    // delay to both.
    while !stop.load(Ordering::Relaxed) && args.count.is_none_or(|n| served < n) {
        let stream = match listener.accept() {
            Ok((stream, _)) => stream,
            Err(e) if is_timeout(&e) => {
                std::thread::sleep(Duration::from_millis(50));
                continue;
            }
            Err(e) => return Err(Failure::io(format!("cannot accept a connection: {e}"))),
        };
        served += 1;
        if let Err(e) = handle(&stream, &station, &store) {
            eprintln!("request {served}: {e}");
        }
    }
    Ok(exit::OK)
}

/// Reads one request line, measures, and answers one line: `{"record":{..},"notes":[..]}` or
/// `{"error":"..","notes":[..]}`.
fn handle(stream: &TcpStream, station: &Station, store: &Store) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(REQUEST_TIMEOUT))?;
    let mut line = String::new();
    BufReader::new(std::io::Read::take(stream, MAX_REQUEST)).read_line(&mut line)?;
    let reply = match respond(&line, station, store) {
        Ok(outcome) => match &outcome.record {
            Some(record) => serde_json::json!({"record": record, "notes": outcome.notes}),
            None => serde_json::json!({"error": outcome.summary("", &station.id), "notes": outcome.notes}),
        },
        Err(message) => serde_json::json!({"error": message, "notes": []}),
    };
    let mut out = stream;
    out.write_all(format!("{reply}\n").as_bytes())?;
    out.flush()
}

fn respond(line: &str, station: &Station, store: &Store) -> Result<Outcome, String> {
    if !line.ends_with('\n') {
        return Err(format!("the request must be one JSON line of at most {MAX_REQUEST} bytes"));
    }
    let request: Request = serde_json::from_str(line).map_err(|e| format!("not a request: {e}"))?;
    let serial = request.serial.trim();
    if serial.is_empty() {
        return Err("field `serial`: must not be empty".to_owned());
    }
    let agent = agent_addr(&request.agent).map_err(|e| format!("field `agent`: {e}"))?;
    let device = ledger_device_key(store, serial).map_err(|f| f.message)?;
    measure(station, agent, serial, &device).map_err(|f| f.message)
}
