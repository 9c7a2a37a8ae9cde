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
    root() || !needs_veth(name)
}

/// Whether the tests run as root (CI does: it must test capture and namespaces).
pub fn root() -> bool {
    // SAFETY: geteuid(2) cannot fail and touches no memory of ours.
    unsafe { libc::geteuid() == 0 }
}

/// Whether this is CI, where a test may not skip for want of a component.
pub fn ci() -> bool {
    std::env::var_os("CI").is_some() || std::env::var_os("STICKYLAB_CI").is_some()
}

/// A fresh directory anyone may enter.
pub fn scratch(what: &str) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    use std::sync::atomic::{AtomicUsize, Ordering};
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    let k = CALLS.fetch_add(1, Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("stickylab-{what}-{}-{k}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a directory");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).expect("mode");
    dir
}

/// `stickylab ARGS` as an unprivileged user: as root, a copy of the binary (in a
/// directory anyone may enter) run as nobody through setpriv(1), without any
/// capability; otherwise the binary itself.
pub fn unprivileged(args: &[&str]) -> std::process::Output {
    use std::os::unix::fs::PermissionsExt;
    let binary = env!("CARGO_BIN_EXE_stickylab");
    if !root() {
        return std::process::Command::new(binary)
            .args(args)
            .env("LANG", "C")
            .env("NO_COLOR", "1")
            .output()
            .expect("stickylab runs");
    }
    let dir = scratch("nobody");
    let copy = dir.join("stickylab");
    std::fs::copy(binary, &copy).expect("a copy of the binary");
    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o755)).expect("mode");
    let out = std::process::Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(&copy)
        .args(args)
        .env("LANG", "C")
        .env("NO_COLOR", "1")
        .current_dir(&dir)
        .output()
        .expect("setpriv(1) runs (util-linux)");
    let _ = std::fs::remove_dir_all(&dir);
    out
}
