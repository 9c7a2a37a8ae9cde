//! What the integration tests share: the binary with a plain environment and a hang
//! guard, and the paths of the fixtures.
#![allow(
    dead_code,
    reason = "each test binary compiles this module and uses only its part of it"
)]

use std::time::Duration;

use assert_cmd::Command;
use assert_cmd::cargo::cargo_bin_cmd;

/// Long enough for any command on a busy 2-core machine; only a hang gets this far.
pub const HANG_GUARD: Duration = Duration::from_secs(10);

/// The binary, with a plain English environment and a hang guard.
pub fn stickylab() -> Command {
    let mut cmd = cargo_bin_cmd!("stickylab");
    cmd.env("NO_COLOR", "1")
        .env("LANG", "C")
        .timeout(HANG_GUARD);
    cmd
}

/// The path of `tests/fixtures/NAME.lab`.
pub fn fixture(name: &str) -> String {
    format!("tests/fixtures/{name}.lab")
}
