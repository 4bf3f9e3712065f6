//! Helpers shared by the CLI test binaries: run the real `chipwarden` and capture what it said.

use std::process::Command;

/// What one run of the binary returned.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `chipwarden` as `command` is set up (arguments, environment) and captures the result.
pub fn run(mut command: Command) -> Run {
    let out = command.output().expect("run chipwarden");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

pub fn binary() -> Command {
    Command::new(env!("CARGO_BIN_EXE_chipwarden"))
}
