//! Class mode through a pseudo-terminal (script(1)): `--step` releases one group of
//! lines per Enter, and nothing of a group happens before its key; `--slow` releases
//! them on a timer without a terminal.

mod common;

use std::io::{Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Everything the child printed so far, gathered by a reader thread.
struct Screen {
    rx: mpsc::Receiver<Vec<u8>>,
    text: String,
}

impl Screen {
    /// Waits (bounded) until the output contains `needle`; the output so far.
    fn until(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.text.contains(needle) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(bytes) => self
                    .text
                    .push_str(&String::from_utf8_lossy(&bytes).replace('\r', "")),
                Err(_) => panic!("no {needle:?} within 10 s in:\n{}", self.text),
            }
        }
        self.text.clone()
    }
}

/// `command` in a pseudo-terminal (script(1)): the child, its screen, its keyboard.
fn in_a_terminal(command: &str) -> (Child, Screen, ChildStdin) {
    let mut child = Command::new("script")
        .args(["-qfec", command, "/dev/null"])
        .env("LANG", "C")
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("script(1) runs (from util-linux)");
    let mut stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let keys = child.stdin.take().expect("stdin");
    let screen = Screen {
        rx,
        text: String::new(),
    };
    (child, screen, keys)
}

#[test]
fn step_releases_one_group_per_enter() {
    let binary = env!("CARGO_BIN_EXE_stickylab");
    assert!(
        !binary.contains('\''),
        "a quote in the binary's path: {binary}"
    );
    let fixture = common::fixture("class-groups");
    let command = format!("stty rows 50 cols 120; '{binary}' run {fixture} --step");
    let (mut child, mut screen, mut keys) = in_a_terminal(&command);

    let first = screen.until("▶ next, 1/3:");
    assert!(
        !first.contains("server: listen →"),
        "nothing ran before the first Enter:\n{first}"
    );
    keys.write_all(b"\n").expect("a key");
    let second = screen.until("▶ next, 2/3:");
    assert!(
        second.contains("server: accept"),
        "the first group ran:\n{second}"
    );
    assert!(
        !second.contains("send \"hello\" →"),
        "the sends wait for their key:\n{second}"
    );
    keys.write_all(b"\n").expect("a key");
    let third = screen.until("▶ next, 3/3:");
    assert!(third.contains("send \"world\" → 5"), "{third}");
    assert!(
        !third.contains("hello▏world"),
        "no recv result before the key that releases it:\n{third}"
    );
    // Asked of the kernel (sock_diag, as `ss` does): the server's receive queue holds
    // both sends, the client's send queue nothing unacknowledged.
    assert!(
        third.contains("server's receive queue 10, client's send queue 0"),
        "the panel shows the queues:\n{third}"
    );
    keys.write_all(b"\n").expect("a key");
    let end = screen.until("PASS");
    assert!(end.contains("→ 10 \"hello▏world\""), "{end}");
    let status = child.wait().expect("the run ends");
    assert!(status.success(), "{status:?}\n{end}");
}

#[test]
fn q_stops_the_run_incomplete() {
    let binary = env!("CARGO_BIN_EXE_stickylab");
    let fixture = common::fixture("class-groups");
    let command = format!("'{binary}' run {fixture} --step");
    let (mut child, mut screen, mut keys) = in_a_terminal(&command);
    screen.until("▶ next, 1/3:");
    keys.write_all(b"\n").expect("a key");
    screen.until("▶ next, 2/3:");
    keys.write_all(b"q").expect("a key");
    let end = screen.until("the run is incomplete");
    let status = child.wait().expect("the run ends");
    assert_eq!(status.code(), Some(1), "{end}");
}

/// Without a terminal `--step` is refused and names `--slow`; `--slow` runs each group
/// after the pause: three groups take at least two pauses.
#[test]
fn slow_releases_on_a_timer_without_a_terminal() {
    common::stickylab()
        .args(["run", &common::fixture("class-groups"), "--step"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--slow"));
    let t0 = Instant::now();
    let out = common::stickylab()
        .args(["run", &common::fixture("class-groups"), "--slow", "300ms"])
        .assert()
        .success()
        .get_output()
        .clone();
    assert!(
        t0.elapsed() >= Duration::from_millis(600),
        "{:?}",
        t0.elapsed()
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("▶ next, 3/3:"), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).ends_with("PASS\n"));
}
