//! Runs end by their deadlines whatever the file says: the whole run's limit
//! (`--run-limit`) stops a run whose every step keeps its own deadline.

mod common;

use std::time::{Duration, Instant};

use common::{fixture, stickylab};

/// A thousand recvs that wait 100 ms each would take 100 s; `--run-limit 1s` ends the run after
/// one second, as a blocked step that names the limit and the flag that sets it.
#[test]
fn the_run_limit_ends_a_long_run_and_says_so() {
    let started = Instant::now();
    let out = stickylab()
        .args([
            "run",
            &fixture("waits-past-the-run-limit"),
            "--run-limit",
            "1s",
        ])
        .assert()
        .code(1)
        .get_output()
        .clone();
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(900), "took {took:?}");
    assert!(took < Duration::from_secs(5), "took {took:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("the run limit of 1.00s (raise it with --run-limit)"),
        "{stdout}"
    );
}

/// The limit counts from the start of the run: a run well inside it is unchanged.
#[test]
fn a_run_inside_its_limit_passes() {
    stickylab()
        .args(["run", "hello-world", "--run-limit", "10s"])
        .assert()
        .code(0);
}
