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

/// Whether a built-in scenario is tagged `veth` (it runs in network namespaces of its
/// own, which only root may make).
pub fn needs_veth(name: &str) -> bool {
    std::fs::read_to_string(format!("scenarios/{name}.lab"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.strip_prefix("tags:"))
        .any(|tags| tags.split(',').any(|t| t.trim() == "veth"))
}

/// Whether `run --all` runs the scenario here: a `veth` one only as root (an
/// unprivileged `--all` skips it with a note).
pub fn runs_here(name: &str) -> bool {
    // SAFETY: geteuid(2) has no preconditions and cannot fail.
    let root = unsafe { libc::geteuid() } == 0;
    root || !needs_veth(name)
}
