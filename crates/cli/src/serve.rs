//! `chipwarden serve`: the HTTP API over the data directory (or, with `--demo`, over demo data
//! in a new temporary directory) until SIGINT or SIGTERM.

use std::path::PathBuf;

use crate::Failure;
use crate::args::{Cli, ServeArgs};
use crate::exit;

/// A new directory for the demo's data, named so that two demos never share one.
fn demo_dir() -> Result<PathBuf, Failure> {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let dir = std::env::temp_dir().join(format!("chipwarden-demo-{}-{nanos}", std::process::id()));
    std::fs::create_dir(&dir)
        .map_err(|e| Failure::io(format!("cannot create the demo directory `{}`: {e}", dir.display())))?;
    Ok(dir)
}

pub fn run(cli: &Cli, args: &ServeArgs) -> Result<u8, Failure> {
    if args.demo && cli.database_url.is_some() {
        return Err(Failure::input("--demo makes its own SQLite store in a new directory; leave out --database-url"));
    }
    let (data_dir, token) = if args.demo {
        let dir = demo_dir()?;
        let demo = chipwarden_server::demo::prepare(&dir).map_err(Failure::io)?;
        crate::outln!("demo data in `{}` (delete it when done)", dir.display());
        for (source, entries) in &demo.lists {
            crate::outln!("  list `{source}`: {entries} entries");
        }
        crate::outln!(
            "  {} customers onboarded ({} screening hit(s), each a case); {} usage records from the Alibaba trace ({} rows rejected)",
            demo.customers,
            demo.customer_hits,
            demo.usage_records,
            demo.usage_rejected
        );
        crate::outln!(
            "  {} custody events in the ledger; {} landmark measurement records ({} location case(s)); checkpoint at size {}",
            demo.custody_events,
            demo.measurements,
            demo.location_cases,
            demo.ledger_size
        );
        (dir, Some(demo.admin_token))
    } else {
        (cli.data_dir.clone(), None)
    };
    let config = chipwarden_server::Config {
        database_url: cli.database_url.clone(),
        ..chipwarden_server::Config::new(data_dir)
    };
    chipwarden_server::run(&args.addr, config, |addr| {
        crate::outln!("listening on http://{addr} (API under http://{addr}/api/v1, described at /api/v1/openapi.json)");
        match &token {
            Some(token) => {
                crate::outln!("open http://{addr}/ and sign in with the admin token (shown this once): {token}");
            }
            None => crate::outln!(
                "try: curl -s -H \"Authorization: Bearer $TOKEN\" -d '{{\"model\":\"H100\"}}' http://{addr}/api/v1/classify"
            ),
        }
    })
    .map_err(|e| match e {
        chipwarden_server::StartError::Bundled { .. } => Failure::internal(e),
        chipwarden_server::StartError::Config(_) | chipwarden_server::StartError::Landmarks(_) => Failure::input(e),
        other => Failure::io(other),
    })?;
    Ok(exit::OK)
}
