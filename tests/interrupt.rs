//! Ctrl-C, sent as a real SIGINT to the real binary: the first one ends the command
//! after what is running (130, a line on stderr, the summary of what finished on
//! stdout); a second one ends the process at once.

use std::io::Read;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The exit status of a command ended by Ctrl-C (128 + SIGINT).
const INTERRUPTED: i32 = 130;

/// A running stickylab whose stdout and stderr are read as it writes them (a full pipe
/// would stop it writing, and so stop it answering the signal).
struct Running {
    child: Child,
    stdout: JoinHandle<String>,
    stderr: JoinHandle<String>,
}

fn start(args: &[&str]) -> Running {
    let mut child = Command::new(env!("CARGO_BIN_EXE_stickylab"))
        .args(args)
        .env("NO_COLOR", "1")
        .env("LANG", "C")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("stickylab starts");
    let mut out = child.stdout.take().expect("a piped stdout");
    let mut err = child.stderr.take().expect("a piped stderr");
    Running {
        child,
        stdout: thread::spawn(move || {
            let mut text = String::new();
            let _ = out.read_to_string(&mut text);
            text
        }),
        stderr: thread::spawn(move || {
            let mut text = String::new();
            let _ = err.read_to_string(&mut text);
            text
        }),
    }
}

impl Running {
    /// Sends SIGINT, as the terminal does on Ctrl-C.
    fn ctrl_c(&self) {
        let pid = libc::pid_t::try_from(self.child.id()).expect("a pid fits pid_t");
        // SAFETY: kill(2) with a pid this test started and has not yet reaped.
        let rc = unsafe { libc::kill(pid, libc::SIGINT) };
        assert_eq!(rc, 0, "kill(SIGINT)");
    }

    /// Waits for the end, at most `limit`; kills the process and fails past it.
    fn end_within(mut self, limit: Duration) -> (ExitStatus, String, String) {
        let start = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("waitpid") {
                break status;
            }
            if start.elapsed() > limit {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("still running {limit:?} after Ctrl-C");
            }
            thread::sleep(Duration::from_millis(20));
        };
        let stdout = self.stdout.join().expect("the stdout reader");
        let stderr = self.stderr.join().expect("the stderr reader");
        (status, stdout, stderr)
    }
}

/// `interrupted: 37 of 2000 runs finished` -> 37.
fn finished_runs(stderr: &str, planned: u64) -> u64 {
    let line = stderr
        .lines()
        .find(|l| l.starts_with("interrupted: "))
        .unwrap_or_else(|| panic!("no `interrupted:` line on stderr:\n{stderr}"));
    let suffix = format!(" of {planned} runs finished");
    let count = line
        .strip_prefix("interrupted: ")
        .and_then(|rest| rest.strip_suffix(&suffix))
        .unwrap_or_else(|| panic!("not `interrupted: N{suffix}`: {line}"));
    count.parse().expect("a count of runs")
}

#[test]
fn ctrl_c_during_repeat_stops_after_the_current_run_and_prints_the_json_summary() {
    let running = start(&[
        "run",
        "hello-world",
        "--repeat",
        "1000000",
        "--seed",
        "1",
        "--format",
        "json",
    ]);
    thread::sleep(Duration::from_millis(500));
    running.ctrl_c();
    let (status, stdout, stderr) = running.end_within(Duration::from_secs(5));
    assert_eq!(status.code(), Some(INTERRUPTED), "{stderr}");
    let finished = finished_runs(&stderr, 1_000_000);
    assert!(finished > 0, "no run finished in 500 ms:\n{stderr}");

    let lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("every line is JSON"))
        .collect();
    let (summary, runs) = lines.split_last().expect("at least the summary line");
    assert_eq!(summary["summary"], true, "the last line is the summary");
    assert_eq!(summary["runs"], finished);
    // Every finished run has its line; a run that Ctrl-C cut short has one too, marked.
    let cut: Vec<&Value> = runs.iter().filter(|r| r["interrupted"] == true).collect();
    assert!(cut.len() <= 1);
    assert_eq!(runs.len() as u64, finished + cut.len() as u64);
}

#[test]
fn ctrl_c_during_repeat_prints_the_table_summary_of_what_finished() {
    let running = start(&["run", "hello-world", "--repeat", "1000000", "--seed", "1"]);
    thread::sleep(Duration::from_millis(500));
    running.ctrl_c();
    let (status, stdout, stderr) = running.end_within(Duration::from_secs(5));
    assert_eq!(status.code(), Some(INTERRUPTED), "{stderr}");
    let finished = finished_runs(&stderr, 1_000_000);
    assert!(
        stdout.starts_with(&format!(
            "hello-world (scenarios/hello-world.lab) · {finished} runs · seeds 1..{finished} · "
        )),
        "{stdout}"
    );
    assert!(
        stdout.ends_with(&format!("PASS ({finished} of {finished} runs)\n")),
        "{stdout}"
    );
}

#[test]
fn a_second_ctrl_c_ends_a_run_that_does_not_end() {
    // Nobody sends: the recv waits for 30 s, whatever the first Ctrl-C asked for.
    let running = start(&["run", "tests/fixtures/blocked-recv.lab", "--timeout", "30s"]);
    thread::sleep(Duration::from_millis(500));
    running.ctrl_c();
    thread::sleep(Duration::from_millis(200));
    running.ctrl_c();
    let (status, _, stderr) = running.end_within(Duration::from_secs(3));
    assert_eq!(status.code(), Some(INTERRUPTED), "{stderr}");
}

#[test]
fn ctrl_c_cuts_a_blocked_run_short_and_prints_the_summary() {
    let running = start(&[
        "run",
        "tests/fixtures/blocked-recv.lab",
        "--repeat",
        "1000",
        "--timeout",
        "30s",
    ]);
    thread::sleep(Duration::from_millis(500));
    running.ctrl_c();
    let (status, stdout, stderr) = running.end_within(Duration::from_secs(3));
    assert_eq!(status.code(), Some(INTERRUPTED), "{stderr}");
    assert_eq!(
        stderr, "interrupted: 0 of 1000 runs finished\n",
        "the run cut short does not count"
    );
    assert!(
        stdout.starts_with("blocked-recv (tests/fixtures/blocked-recv.lab) · 0 runs · "),
        "{stdout}"
    );
}

/// With `--lang zh` the line on stderr and the summary speak Chinese.
#[test]
fn ctrl_c_says_so_in_chinese() {
    let running = start(&[
        "run",
        "tests/fixtures/blocked-recv.lab",
        "--repeat",
        "1000",
        "--timeout",
        "30s",
        "--lang",
        "zh",
    ]);
    thread::sleep(Duration::from_millis(500));
    running.ctrl_c();
    let (status, stdout, stderr) = running.end_within(Duration::from_secs(3));
    assert_eq!(status.code(), Some(INTERRUPTED), "{stderr}");
    assert_eq!(stderr, "已中断：1000 次运行中完成了 0 次\n");
    assert!(
        stdout.starts_with("blocked-recv（tests/fixtures/blocked-recv.lab）· 0 次运行 · "),
        "{stdout}"
    );
}

/// `compare` cut short prints the comparison of the runs that finished.
#[test]
fn ctrl_c_during_compare_prints_the_comparison_of_what_finished() {
    let running = start(&[
        "compare",
        "nagle-stall",
        "nagle-stall-nodelay",
        "--param",
        "rounds=3",
        "--repeat",
        "1000",
        "--seed",
        "1",
    ]);
    thread::sleep(Duration::from_millis(800));
    running.ctrl_c();
    let (status, stdout, stderr) = running.end_within(Duration::from_secs(5));
    assert_eq!(status.code(), Some(INTERRUPTED), "{stderr}");
    let finished = finished_runs(&stderr, 2000);
    assert!(
        finished >= 2,
        "not one run of each side in 800 ms:\n{stderr}"
    );
    let (a, b) = (finished.div_ceil(2), finished / 2);
    assert!(
        stdout.contains(&format!(
            "{a} runs of A and {b} of B of the 1000 asked for, seeds from 1"
        )),
        "{stdout}"
    );
    assert!(stdout.contains("rtt p50"), "{stdout}");
}
