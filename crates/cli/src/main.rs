//! The `chipwarden` binary: parses the command line, loads inputs, calls an engine, prints.
//!
//! Thin by design: every decision is made in an engine crate; this file only turns flags into
//! engine inputs and engine outputs into tables or JSON, and maps failures to exit codes.

// The binary's job is to print; the lint guards the library crates.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod agent;
mod args;
mod capacity;
mod commands;
mod customers;
mod landmark;
mod ledger;
mod listfiles;
mod locate;
mod meter;
mod migrate;
mod output;
mod screening;
mod serve;
mod tokens;

use std::process::ExitCode;

use clap::Parser;

/// Exit codes, documented in the README. Chosen so scripts can tell a bad input from a bug.
pub mod exit {
    pub const OK: u8 = 0;
    /// `screen` found at least one hit (like grep's "found"; 0 means no hit).
    pub const HITS: u8 = 1;
    /// The command line is malformed (clap's own code).
    pub const USAGE: u8 = 2;
    /// An input is invalid: unknown model, bad spec or design file, bad date, unknown country.
    pub const INPUT: u8 = 3;
    /// A file could not be read or written, or the store could not be opened.
    pub const IO: u8 = 4;
    /// An unexpected internal failure (a bug, or corrupt bundled data).
    pub const INTERNAL: u8 = 5;
}

/// A failure with the exit code it maps to.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

/// A store that cannot be read or written is an I/O failure.
impl From<chipwarden_store::StoreError> for Failure {
    fn from(e: chipwarden_store::StoreError) -> Failure {
        Failure::io(e)
    }
}

/// The service layer's errors, each with the exit code of its kind; the few that name a flag
/// say which.
impl From<chipwarden_service::ServiceError> for Failure {
    fn from(e: chipwarden_service::ServiceError) -> Failure {
        use chipwarden_service::ServiceError as E;
        match e {
            E::Store(e) => Failure::io(e),
            E::Io(message) => Failure::io(message),
            E::Internal(message) => Failure::internal(message),
            e @ E::Replay { .. } => Failure::internal(format!("{e} (run `chipwarden ledger audit`)")),
            E::OriginInvalid(e) => Failure::input(format!("--origin: {e}")),
            e @ E::OriginFixed { .. } => Failure::input(format!("--origin {e}")),
            e @ (E::Refused(_)
            | E::Estimate(_)
            | E::FleetLine { .. }
            | E::Fleet(_)
            | E::NoSuchCase(_)
            | E::Invalid(_)
            | E::Conflict(_)
            | E::Forbidden(_)) => Failure::input(e),
        }
    }
}

impl Failure {
    pub fn input(message: impl std::fmt::Display) -> Failure {
        Failure { code: exit::INPUT, message: message.to_string() }
    }
    pub fn io(message: impl std::fmt::Display) -> Failure {
        Failure { code: exit::IO, message: message.to_string() }
    }
    pub fn internal(message: impl std::fmt::Display) -> Failure {
        Failure { code: exit::INTERNAL, message: message.to_string() }
    }
}

/// Writes one line to standard output. A closed pipe (`chipwarden ... | head`) ends the program
/// quietly, as it does for every Unix tool, instead of a panic.
pub fn emit(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|()| out.write_all(b"\n")) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(i32::from(exit::OK));
        }
        eprintln!("error: cannot write to standard output: {e}");
        std::process::exit(i32::from(exit::IO));
    }
}

/// `println!` that ends quietly on a closed pipe.
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => { $crate::emit(format_args!($($arg)*)) };
}

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    match commands::run(&cli) {
        Ok(code) => ExitCode::from(code),
        Err(failure) => {
            eprintln!("error: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}
