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

/// The run of a built-in scenario as JSON, and its events by `seq`.
fn json_run(name: &str) -> serde_json::Value {
    let out = stickylab()
        .args(["run", name, "--format", "json"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    serde_json::from_slice(&out).expect("one JSON object")
}

/// The events of `run` whose `op` is `op` and whose `actor` is `actor`.
fn events<'a>(run: &'a serde_json::Value, actor: &str, op: &str) -> Vec<&'a serde_json::Value> {
    run["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["actor"] == actor && e["op"] == op)
        .collect()
}

/// nagle-coalesce: "a" leaves alone, Nagle holds "b" and "c" (TCP_INFO's notsent 1, 2),
/// and the server's one recv gets all three from 2 segments: sender-coalesced.
#[test]
fn nagle_coalesce_is_glued_by_the_sender_in_two_segments() {
    let run = json_run("nagle-coalesce");
    let sends = events(&run, "client", "send");
    let last: Vec<&serde_json::Value> = sends.iter().rev().take(3).rev().copied().collect();
    assert_eq!(last[0]["segments"]["data_out"], 1, "{}", last[0]);
    assert_eq!(last[0]["segments"]["notsent"], 0, "{}", last[0]);
    assert_eq!(last[1]["segments"]["notsent"], 1, "{}", last[1]);
    assert_eq!(last[2]["segments"]["notsent"], 2, "{}", last[2]);
    let recvs = events(&run, "server", "recv");
    let recv = recvs.last().expect("the server's last recv");
    assert_eq!(recv["data"], "abc");
    assert_eq!(recv["verdict"]["kind"], "sender-coalesced", "{recv}");
    assert_eq!(recv["segments"]["data_in"], 2, "{recv}");
    let evidence = recv["verdict"]["evidence"].as_str().expect("evidence");
    assert!(evidence.contains("3 sends came in 2 segment"), "{evidence}");
    let from: Vec<&serde_json::Value> = recv["from"]
        .as_array()
        .expect("from")
        .iter()
        .map(|f| &f["send"])
        .collect();
    let seqs: Vec<&serde_json::Value> = last.iter().map(|s| &s["seq"]).collect();
    assert_eq!(from, seqs);
}

/// receiver-accumulation: each send acknowledged before the next, so two segments; one
/// late recv takes both: receiver-accumulated, no send held.
#[test]
fn receiver_accumulation_is_glued_by_the_receiver_from_two_segments() {
    let run = json_run("receiver-accumulation");
    for send in events(&run, "client", "send") {
        assert_eq!(send["segments"]["data_out"], 1, "{send}");
        assert_eq!(send["segments"]["notsent"], 0, "{send}");
    }
    let recvs = events(&run, "server", "recv");
    let [recv] = recvs.as_slice() else {
        panic!("one recv: {recvs:?}");
    };
    assert_eq!(recv["data"], "helloworld");
    assert_eq!(recv["verdict"]["kind"], "receiver-accumulated", "{recv}");
    assert_eq!(recv["segments"]["data_in"], 2, "{recv}");
}

/// delayed-ack: the first `wait acked` is quick, the one after the server's reply waits
/// for the delayed-ACK timer (Linux's minimum is 40 ms).
#[test]
fn delayed_ack_shows_the_late_ack() {
    let run = json_run("delayed-ack");
    let waits = events(&run, "client", "wait acked");
    let [quick, late] = waits.as_slice() else {
        panic!("two waits: {waits:?}");
    };
    let us = |e: &serde_json::Value| e["dur_us"].as_u64().expect("dur_us");
    assert!(us(quick) < 25_000, "{quick}");
    assert!(us(late) >= 30_000, "{late}");
    assert!(us(late) < 1_000_000, "{late}");
    assert_eq!(run["timers"]["late"]["count"], 1);
}
