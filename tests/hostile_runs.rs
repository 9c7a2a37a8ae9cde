//! Hostile and careless scenario files, run to the end by the real binary: each ends
//! with a located error (exit 2) or by its deadlines (exit 0 or 1), never a crash, never
//! more than 1 MB on stderr, never more than 200 MB of memory, never a hang.
//!
//! The files are made here rather than kept in the repository: some are megabytes of
//! one repeated line. Memory is the child's peak resident set, from wait4(2).

use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::cargo::cargo_bin;

/// What one run of the binary left behind.
struct Ended {
    code: Option<i32>,
    signal: Option<i32>,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    max_rss_kib: i64,
    wall: Duration,
}

/// Long enough for any of these files on a busy 2-core machine in a debug build; only
/// a hang (or a quadratic parser) gets this far.
const LIMIT: Duration = Duration::from_secs(60);
const MAX_STDERR: usize = 1024 * 1024;
const MAX_RSS_KIB: i64 = 200 * 1024;

/// Writes `source` to a file of its own and runs `stickylab ARGS FILE EXTRA`.
#[expect(
    clippy::zombie_processes,
    reason = "the child is reaped by wait4(2), for its resource usage"
)]
fn run(name: &str, source: &[u8], args: &[&str], extra: &[&str]) -> Ended {
    let dir = std::env::temp_dir().join(format!("stickylab-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let file = dir.join(format!("{name}.lab"));
    std::fs::write(&file, source).expect("write the scenario");
    let start = Instant::now();
    let mut child = Command::new(cargo_bin("stickylab"))
        .args(args)
        .arg(&file)
        .args(extra)
        .env("NO_COLOR", "1")
        .env("LANG", "C")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("stickylab starts");
    let pid = i32::try_from(child.id()).expect("a pid fits an i32");
    let out = child.stdout.take().expect("piped stdout");
    let err = child.stderr.take().expect("piped stderr");
    // Read both pipes while the child runs, keeping at most a little over the limit of
    // each, so a flood can neither block the child nor fill this process's memory.
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut kept = Vec::new();
            let mut buf = [0u8; 65536];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                if kept.len() <= 2 * MAX_STDERR {
                    kept.extend_from_slice(&buf[..n]);
                }
            }
            kept
        })
    };
    let out = drain(Box::new(out));
    let err = drain(Box::new(err));
    // Kills the child if it is still running at LIMIT; told to stand down once it ended
    // (before it is reaped, so the pid cannot belong to another process yet).
    let (ended, watch) = std::sync::mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        if watch.recv_timeout(LIMIT).is_err() {
            // SAFETY: kill(2) of our own child, which is not reaped yet.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    });
    // Wait without reaping (WNOWAIT), stop the watchdog, then reap with wait4(2) for
    // the child's own resource usage.
    // SAFETY: an all-zero siginfo_t is a valid value for waitid(2) to overwrite.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    // SAFETY: waitid(2) on our own child, with a pointer to a local.
    let rc = unsafe {
        libc::waitid(
            libc::P_PID,
            child.id(),
            &mut info,
            libc::WEXITED | libc::WNOWAIT,
        )
    };
    assert_eq!(rc, 0, "waitid on the child");
    let _ = ended.send(());
    let _ = watchdog.join();
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4(2) to overwrite.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: wait4(2) on our own child, with pointers to locals that outlive the call.
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(rc, pid, "wait4 on the child");
    let wall = start.elapsed();
    let status = std::process::ExitStatus::from_raw(status);
    let _ = std::fs::remove_file(&file);
    Ended {
        code: status.code(),
        signal: status.signal(),
        stdout: out.join().expect("stdout reader"),
        stderr: err.join().expect("stderr reader"),
        max_rss_kib: usage.ru_maxrss,
        wall,
    }
}

/// The common verdict: no crash, no flood, no bloat, no hang.
fn assert_bounded(name: &str, e: &Ended) {
    let stderr = String::from_utf8_lossy(&e.stderr[..e.stderr.len().min(2000)]);
    assert_eq!(
        e.signal, None,
        "{name}: killed by a signal; stderr: {stderr}"
    );
    assert!(e.wall < LIMIT, "{name}: took {:?}", e.wall);
    assert_ne!(e.code, Some(134), "{name}: aborted");
    assert!(
        e.stderr.len() <= MAX_STDERR,
        "{name}: {} bytes on stderr",
        e.stderr.len()
    );
    assert!(
        e.max_rss_kib <= MAX_RSS_KIB,
        "{name}: {} KiB resident",
        e.max_rss_kib
    );
}

/// `check FILE` and `run FILE` both refuse the file with a located message naming what
/// is wrong.
fn refused(name: &str, source: &[u8], words: &[&str]) {
    for args in [&["check"][..], &["run"][..]] {
        let extra: &[&str] = if args == ["run"] {
            &["--timeout", "2s"]
        } else {
            &[]
        };
        let e = run(name, source, args, extra);
        assert_bounded(name, &e);
        let stderr = String::from_utf8_lossy(&e.stderr);
        assert_eq!(
            e.code,
            Some(2),
            "{name} {args:?}: exit 2 expected; stderr: {stderr}"
        );
        let located = format!("{name}.lab:");
        let at = stderr.find(&located).map(|i| &stderr[i + located.len()..]);
        let mut numbers = at.unwrap_or_default().split(':').take(2);
        assert!(
            numbers.all(|n| n.parse::<u32>().is_ok_and(|n| n > 0)),
            "{name} {args:?}: no FILE:LINE:COL in {stderr}"
        );
        for word in words {
            assert!(
                stderr.contains(word),
                "{name} {args:?}: {word:?} not in {stderr}"
            );
        }
    }
}

/// A connected pair, then `lines`.
fn connected(lines: &str) -> Vec<u8> {
    format!("server: listen\nclient: connect\nserver: accept\n{lines}\n").into_bytes()
}

#[test]
fn empty_send_repeated_a_quintillion_times_is_refused() {
    refused(
        "empty-send-quintillion",
        &connected("client: send \"\" * 1000000000000000000"),
        &["repeat"],
    );
}

#[test]
fn empty_random_repeated_a_quintillion_times_is_refused() {
    refused(
        "empty-random-quintillion",
        &connected("client: send random 0 * 1000000000000000000"),
        &["repeat"],
    );
}

#[test]
fn five_thousand_undeclared_params_on_one_line_stay_short() {
    let line = vec!["$x"; 5000].join(" + ");
    let e = run(
        "undeclared-params",
        &connected(&format!("client: send {line}")),
        &["check"],
        &[],
    );
    assert_bounded("undeclared-params", &e);
    assert_eq!(e.code, Some(2));
    let stderr = String::from_utf8_lossy(&e.stderr);
    assert!(
        stderr.contains("more"),
        "the count of the rest: {}",
        &stderr[stderr.len().saturating_sub(500)..]
    );
}

#[test]
fn three_hundred_thousand_strings_on_one_line_parse() {
    let line = vec!["\"a\""; 300_000].join(" + ");
    let source = connected(&format!("client: send {line}\nserver: recv exactly 300000"));
    let e = run("many-strings", &source, &["run"], &["--timeout", "5s"]);
    assert_bounded("many-strings", &e);
    assert!(
        matches!(e.code, Some(0 | 2)),
        "exit {:?}: {}",
        e.code,
        String::from_utf8_lossy(&e.stderr)
    );
}

#[test]
fn fifty_thousand_unclosed_repeats_are_refused() {
    let source = connected(&"repeat 2 {\n".repeat(50_000));
    let e = run("unclosed-repeats", &source, &["check"], &[]);
    assert_bounded("unclosed-repeats", &e);
    assert_eq!(e.code, Some(2));
}

#[test]
fn repeats_nested_six_thousand_deep_are_refused() {
    let body = format!(
        "{}client: send \"x\"\n{}",
        "repeat 1 {\n".repeat(6000),
        "}\n".repeat(6000)
    );
    refused("deep-repeats", &connected(&body), &["nest"]);
}

#[test]
fn twenty_thousand_factors_do_not_overflow_the_stack() {
    let value = format!("\"a\"{}", " * 1".repeat(20_000));
    let source = connected(&format!("client: send {value}\nserver: recv 1"));
    for args in [&["check"][..], &["run"][..]] {
        let e = run("many-factors", &source, args, &[]);
        assert_bounded("many-factors", &e);
        assert!(
            matches!(e.code, Some(0 | 2)),
            "{args:?} exit {:?}: {}",
            e.code,
            String::from_utf8_lossy(&e.stderr)
        );
    }
}

#[test]
fn seventeen_thousand_actors_are_refused() {
    let mut source = String::from("a0: bind udp\n");
    for i in 1..17_000 {
        source.push_str(&format!("a{i}: sleep 1ms\n"));
    }
    refused("many-actors", source.as_bytes(), &["actors"]);
}

#[test]
fn a_linger_the_kernel_cannot_hold_is_refused() {
    refused(
        "huge-linger",
        &connected("client: set linger 4294967296s"),
        &["linger"],
    );
}

#[test]
fn a_send_buffer_the_kernel_cannot_hold_is_refused() {
    refused(
        "huge-sndbuf",
        &connected("client: set sndbuf 4294967296"),
        &["sndbuf"],
    );
}

#[test]
fn an_empty_file_is_refused() {
    refused("empty", b"", &["step"]);
    refused("only-a-title", b"title: Nothing happens\n", &["step"]);
}

#[test]
fn invalid_utf8_is_located() {
    let mut source = connected("client: send \"hello\"");
    source.extend_from_slice(b"client: send \"w\xffrld\"\n");
    let e = run("bad-utf8", &source, &["check"], &[]);
    assert_bounded("bad-utf8", &e);
    assert_eq!(e.code, Some(2));
    let stderr = String::from_utf8_lossy(&e.stderr);
    assert!(stderr.contains("bad-utf8.lab:5:16"), "{stderr}");
}

#[test]
fn sleeps_longer_than_the_run_limit_are_refused() {
    refused(
        "sleeps-forever",
        b"client: bind udp\nrepeat 100000 {\n  client: sleep 4s\n}\n",
        &["run limit", "--run-limit"],
    );
    // The limit is the command line's to change.
    let source = b"client: bind udp\nrepeat 3 {\n  client: sleep 4m\n}\n";
    let e = run("sleeps-long", source, &["check"], &[]);
    assert_eq!(e.code, Some(2));
    let e = run("sleeps-long", source, &["check"], &["--run-limit", "13m"]);
    assert_eq!(e.code, Some(0), "{}", String::from_utf8_lossy(&e.stderr));
}

#[test]
fn empty_exact_recvs_end_at_once() {
    let source = connected("repeat 100000 {\n  server: recv exactly 0\n}");
    let e = run("empty-exact-recvs", &source, &["run"], &["--timeout", "2s"]);
    assert_bounded("empty-exact-recvs", &e);
    assert!(e.wall < Duration::from_secs(30), "took {:?}", e.wall);
    assert!(!e.stdout.is_empty());
}

#[test]
fn a_run_ends_at_its_run_limit() {
    let source = connected("repeat 100 {\n  server: recv 10 => timeout\n}");
    let e = run(
        "long-waits",
        &source,
        &["run"],
        &["--run-limit", "1s", "--timeout", "100ms"],
    );
    assert_bounded("long-waits", &e);
    assert_eq!(e.code, Some(1), "{}", String::from_utf8_lossy(&e.stdout));
    assert!(e.wall < Duration::from_secs(5), "took {:?}", e.wall);
    assert!(String::from_utf8_lossy(&e.stdout).contains("run limit"));
}

/// The worst file for memory that the size limit lets through: as many short strings as
/// fit (every string is a few tokens and a part of the value).
#[test]
fn the_largest_file_of_strings_stays_bounded() {
    let head = "server: listen\nclient: connect\nserver: accept\nclient: send ";
    let n = (2 * 1024 * 1024 - head.len() - 1) / 6;
    let source = format!("{head}{}\n", vec!["\"a\""; n].join(" + "));
    let e = run("largest-strings", source.as_bytes(), &["check"], &[]);
    assert_bounded("largest-strings", &e);
    assert_eq!(e.code, Some(0), "{}", String::from_utf8_lossy(&e.stderr));
}

/// A million steps that make no system call: the actor records faster than the report
/// reads, and waits for it rather than piling up events (the table folds the rounds as
/// they come: the first in full, the others one row).
#[test]
fn a_million_quick_steps_stay_bounded() {
    let source = connected("repeat 999990 {\n  server: recv exactly 0\n}");
    let e = run("million-steps", &source, &["run"], &[]);
    assert_bounded("million-steps", &e);
    assert_eq!(e.code, Some(0), "{}", String::from_utf8_lossy(&e.stderr));
    let out = String::from_utf8_lossy(&e.stdout);
    assert!(
        out.contains("┆ ×999,989 ┆") || out.contains("│ ×999,989 ┆"),
        "{out}"
    );
    assert!(out.contains("rounds 2–999,990"), "{out}");
}

/// `bytes 1000000M * 0` is empty, but its part alone is a terabyte: refused, and never
/// made (the run used to abort allocating it).
#[test]
fn a_huge_part_repeated_zero_times_is_refused() {
    refused(
        "huge-part-zero-times",
        &connected("client: send bytes 1000000M * 0"),
        &["part of this value"],
    );
}
