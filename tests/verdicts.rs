//! What makes a run pass or fail, from the real binary.

mod common;

use common::{fixture, stickylab};
use predicates::prelude::predicate;

/// A call that fails on a line that expects nothing fails the run, as an implicit
/// `=> ok`; written as `=> error EPIPE`, the same failure is the lesson and passes.
#[test]
fn an_error_nobody_expected_fails_the_run() {
    stickylab()
        .args(["run", &fixture("unexpected-error")])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("unexpected EPIPE"))
        .stdout(predicate::str::contains(
            "FAIL (1 of 1 expectations failed)",
        ));
    let out = stickylab()
        .args(["run", &fixture("unexpected-error"), "--format", "json"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let run: serde_json::Value = serde_json::from_slice(&out).expect("one JSON object");
    assert_eq!(run["passed"], false);
    assert_eq!(run["expectations"][0]["line"], 8);
    assert_eq!(run["expectations"][0]["expected"], "ok");
    assert_eq!(run["expectations"][0]["observed"], "unexpected EPIPE");

    let dir = std::env::temp_dir().join(format!("stickylab-verdicts-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let expected = dir.join("expected-error.lab");
    let source = std::fs::read_to_string(fixture("unexpected-error")).expect("the fixture");
    let source = source.replace(
        "server: send \"late\"",
        "server: send \"late\" => error EPIPE",
    );
    std::fs::write(&expected, source).expect("write the copy");
    stickylab()
        .args(["run", &expected.to_string_lossy()])
        .assert()
        .code(0);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `recv 0` is a real recv() of a zero-length buffer: it returns 0 once the bytes are
/// queued (not after the deadline), and its row says that 0 is not eof.
#[test]
fn a_recv_of_zero_bytes_says_it_is_not_eof() {
    let started = std::time::Instant::now();
    let out = stickylab()
        .args(["run", &fixture("recv-zero")])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    let text = String::from_utf8_lossy(&out);
    let row = text
        .lines()
        .find(|l| l.contains("recv 0 "))
        .unwrap_or_else(|| panic!("no recv 0 row in:\n{text}"));
    assert!(row.contains("0, not eof"), "{row}");
}
