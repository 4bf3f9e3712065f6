//! `chipwarden agent`: runs beside a chip, holds its device key, and answers landmarks'
//! challenges over UDP, one datagram in and one out, until SIGINT or SIGTERM (or `--count`).
//!
//! UDP because a round trip must time the path and nothing else: no handshake, no
//! retransmission, no buffering. Unanswered datagrams get no reply at all (an error reply to a
//! forged source address would make the agent a reflector); why each was refused goes to
//! standard error.

use std::net::UdpSocket;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chipwarden_locate::protocol::{Challenge, answer};
use ed25519_dalek::SigningKey;
use jiff::Timestamp;

use crate::Failure;
use crate::args::{AgentArgs, Cli};
use crate::exit;

/// The largest datagram either side accepts. A challenge is about 150 bytes and an answer
/// about 300 plus the landmark id: anything larger is not the protocol.
pub const MAX_DATAGRAM: usize = 1024;

/// How often a blocked receive wakes up to look whether a signal asked the program to stop.
const POLL: Duration = Duration::from_millis(200);

pub fn agent(cli: &Cli, args: &AgentArgs) -> Result<u8, Failure> {
    if args.serial.trim().is_empty() {
        return Err(Failure::input("--serial must not be empty"));
    }
    let key = crate::landmark::signing_key(&args.key)?;
    let socket = UdpSocket::bind(&args.listen)
        .map_err(|e| Failure::io(format!("cannot listen on UDP `{}`: {e}", args.listen)))?;
    let addr = socket.local_addr().map_err(Failure::io)?;
    socket.set_read_timeout(Some(POLL)).map_err(Failure::io)?;
    let stop = stop_on_signal()?;
    let public = crate::landmark::hex(&key.verifying_key().to_bytes());
    if cli.json {
        crate::outln!(
            "{}",
            serde_json::json!({"listening": addr.to_string(), "serial": args.serial, "device_public_key": public})
        );
    } else {
        crate::outln!("agent for chip `{}` answering on udp://{addr} (device key {public})", args.serial);
    }
    let (answered, refused) = serve(&socket, &key, &args.serial, args.count, &stop)?;
    if cli.json {
        crate::outln!("{}", serde_json::json!({"answered": answered, "refused": refused}));
    } else {
        crate::outln!("agent stopped: {answered} challenge(s) answered, {refused} datagram(s) refused");
    }
    Ok(exit::OK)
}

fn serve(
    socket: &UdpSocket,
    key: &SigningKey,
    serial: &str,
    count: Option<u64>,
    stop: &AtomicBool,
) -> Result<(u64, u64), Failure> {
    // One byte more than the limit, so that an oversized datagram shows as such instead of
    // being silently cut to a valid-looking prefix.
    let mut buf = [0u8; MAX_DATAGRAM + 1];
    let (mut answered, mut refused) = (0u64, 0u64);
    while !stop.load(Ordering::Relaxed) && count.is_none_or(|n| answered < n) {
        let (n, from) = match socket.recv_from(&mut buf) {
            Ok(got) => got,
            Err(e) if is_timeout(&e) => continue,
            // ICMP port unreachable for an earlier answer whose sender had gone.
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => continue,
            Err(e) => return Err(Failure::io(format!("cannot receive on UDP: {e}"))),
        };
        let challenge = match challenge(buf.get(..n).unwrap_or_default(), serial) {
            Ok(c) => c,
            Err(reason) => {
                refused += 1;
                eprintln!("refused a datagram from {from}: {reason}");
                continue;
            }
        };
        let reply = serde_json::to_vec(&answer(&challenge, key, Timestamp::now())).map_err(Failure::internal)?;
        match socket.send_to(&reply, from) {
            Ok(_) => answered += 1,
            Err(e) => eprintln!("cannot answer {from}: {e}"),
        }
    }
    Ok((answered, refused))
}

/// The challenge in a datagram, if it is one for this agent's chip.
fn challenge(bytes: &[u8], serial: &str) -> Result<Challenge, String> {
    if bytes.len() > MAX_DATAGRAM {
        return Err(format!("oversized (more than {MAX_DATAGRAM} bytes)"));
    }
    let challenge: Challenge = serde_json::from_slice(bytes).map_err(|e| format!("not a challenge: {e}"))?;
    let nonce_ok =
        challenge.nonce.len() == 64 && challenge.nonce.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if !nonce_ok {
        return Err("the nonce is not 64 lowercase hex digits".to_owned());
    }
    if challenge.landmark.trim().is_empty() {
        return Err("the landmark id is empty".to_owned());
    }
    if challenge.serial != serial {
        return Err(format!("a challenge for chip `{}`, not this agent's `{serial}`", challenge.serial));
    }
    Ok(challenge)
}

pub fn is_timeout(e: &std::io::Error) -> bool {
    matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut | std::io::ErrorKind::Interrupted)
}

/// A flag raised by SIGINT or SIGTERM. The handlers are installed before this returns, so a
/// signal after the program said it is listening always stops it cleanly.
pub fn stop_on_signal() -> Result<Arc<AtomicBool>, Failure> {
    let stop = Arc::new(AtomicBool::new(false));
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Failure::internal(format!("cannot start the signal handler: {e}")))?;
        let (mut interrupt, mut terminate) = {
            let _context = runtime.enter();
            let handler = |kind| signal(kind).map_err(|e| Failure::internal(format!("cannot handle signals: {e}")));
            (handler(SignalKind::interrupt())?, handler(SignalKind::terminate())?)
        };
        let flag = Arc::clone(&stop);
        std::thread::spawn(move || {
            runtime.block_on(async {
                tokio::select! {
                    _ = interrupt.recv() => {}
                    _ = terminate.recv() => {}
                }
            });
            flag.store(true, Ordering::Relaxed);
        });
    }
    Ok(stop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_well_formed_challenges_for_this_chip_are_answered() {
        let good = serde_json::to_vec(&Challenge::new("L1", "SN1", &[7; 32])).expect("json");
        assert!(challenge(&good, "SN1").is_ok());
        assert!(challenge(&good, "SN2").expect_err("other chip").contains("`SN1`, not this agent's `SN2`"));
        assert!(challenge(&[b' '; MAX_DATAGRAM + 1], "SN1").expect_err("big").contains("oversized"));
        assert!(challenge(b"{\"landmark\":\"L1\"", "SN1").expect_err("cut").contains("not a challenge"));
        let short = br#"{"landmark":"L1","serial":"SN1","nonce":"abcd"}"#;
        assert!(challenge(short, "SN1").expect_err("nonce").contains("nonce"));
        let extra = br#"{"landmark":"L1","serial":"SN1","nonce":"00","x":1}"#;
        assert!(challenge(extra, "SN1").is_err());
    }
}
