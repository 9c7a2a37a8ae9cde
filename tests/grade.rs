//! `stickylab grade` against real programs: the correct and buggy Python servers of
//! `tests/programs/`, graded through `--target` (a server the test started) and
//! `--spawn` (stickylab starts one per case). Each buggy server must fail the cases that
//! expose its bug, with the explanation, and pass the others; nothing may be left
//! running. Every process is bounded in time and killed at the end (`Guard`).

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

/// Long enough for a whole suite on a busy 2-core machine; only a hang gets this far.
const LIMIT: Duration = Duration::from_secs(120);

/// The step deadline the tests grade with: a buggy server's failed case waits this long.
const STEP: &str = "1s";

/// A child process, killed and reaped when the guard goes, whatever happened.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A Python server of `tests/programs` on a free port of its own choosing.
fn server(program: &str) -> (Guard, u16) {
    let mut child = Command::new("python3")
        .arg(format!("tests/programs/{program}"))
        .arg("0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 starts");
    let stdout = child.stdout.take().expect("a piped stdout");
    let guard = Guard(child);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx.recv_timeout(LIMIT).expect("the server says its port");
    let port = line
        .trim()
        .strip_prefix("port ")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("`port N`, got {line:?}"));
    (guard, port)
}

/// What one `stickylab` command did.
struct Ran {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

/// Runs `stickylab ARGS` to its end, at most [`LIMIT`].
fn stickylab(args: &[&str]) -> Ran {
    stickylab_columns(args, None)
}

/// [`stickylab`] with `COLUMNS` set (a pipe's width), or none.
fn stickylab_columns(args: &[&str], columns: Option<&str>) -> Ran {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_stickylab"));
    cmd.env_remove("COLUMNS");
    if let Some(columns) = columns {
        cmd.env("COLUMNS", columns);
    }
    let mut child = cmd
        .args(args)
        .env("LANG", "C")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("stickylab starts");
    let read = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    };
    let out = read(Box::new(child.stdout.take().expect("stdout")));
    let err = read(Box::new(child.stderr.take().expect("stderr")));
    let mut guard = Guard(child);
    let deadline = Instant::now() + LIMIT;
    let status = loop {
        if let Some(status) = guard.0.try_wait().expect("try_wait") {
            break status;
        }
        assert!(Instant::now() < deadline, "stickylab {args:?} did not end");
        std::thread::sleep(Duration::from_millis(20));
    };
    Ran {
        status,
        stdout: out.join().expect("stdout read"),
        stderr: err.join().expect("stderr read"),
    }
}

/// `grade SUITE PROGRAM_ARGS --format json --timeout 1s`: the exit status and the report.
fn grade(suite: &str, program: &[&str]) -> (ExitStatus, Value) {
    let mut args = vec!["grade", suite, "--format", "json", "--timeout", STEP];
    args.extend_from_slice(program);
    let ran = stickylab(&args);
    let report: Value = serde_json::from_str(ran.stdout.trim()).unwrap_or_else(|e| {
        panic!(
            "one JSON object ({e}); stdout {:?}, stderr {:?}",
            ran.stdout, ran.stderr
        )
    });
    (ran.status, report)
}

/// The row of `case` in a report.
fn case<'r>(report: &'r Value, name: &str) -> &'r Value {
    report["cases"]
        .as_array()
        .and_then(|cases| cases.iter().find(|c| c["case"] == name))
        .unwrap_or_else(|| panic!("no case {name} in {report}"))
}

/// Asserts that `name` passed.
fn passes(report: &Value, name: &str) {
    let row = case(report, name);
    assert_eq!(row["passed"], true, "{name} should pass: {row}");
}

/// Asserts that `name` failed and that its explanation says each of `words`.
fn fails_saying(report: &Value, name: &str, words: &[&str]) {
    let row = case(report, name);
    assert_eq!(row["passed"], false, "{name} should fail: {row}");
    let why = row["why"].as_str().unwrap_or_default();
    for word in words {
        assert!(why.contains(word), "{name}: {word:?} not in {why:?}");
    }
}

fn all_pass(status: ExitStatus, report: &Value) {
    assert!(status.success(), "exit 0 expected: {report}");
    assert_eq!(report["passed"], 10, "{report}");
    assert_eq!(report["failed"], 0, "{report}");
}

/// The pids whose command line holds `marker`.
fn processes_with(marker: &str) -> Vec<String> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return found;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if !name.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        if let Ok(cmdline) = std::fs::read(entry.path().join("cmdline"))
            && String::from_utf8_lossy(&cmdline).contains(marker)
        {
            found.push(name);
        }
    }
    found
}

#[test]
fn correct_servers_pass_every_case_of_their_suite() {
    for (suite, program) in [
        ("len32-echo", "len32_echo.py"),
        ("json-header-echo", "json_header_echo.py"),
    ] {
        let (_server, port) = server(program);
        let target = format!("127.0.0.1:{port}");
        let (status, report) = grade(suite, &["--target", &target, "--seed", "7"]);
        all_pass(status, &report);
        assert_eq!(report["seed"], 7);
    }
    let (status, report) = grade(
        "line-echo",
        &["--spawn", "python3 tests/programs/line_echo.py {port}"],
    );
    all_pass(status, &report);
}

#[test]
fn a_server_that_treats_one_recv_as_one_message_fails_where_messages_are_glued_or_cut() {
    let (_server, port) = server("len32_one_recv.py");
    let target = format!("127.0.0.1:{port}");
    let (status, report) = grade("len32-echo", &["--target", &target]);
    assert_eq!(status.code(), Some(1), "{report}");
    passes(&report, "one-per-send");
    fails_saying(
        &report,
        "glued",
        &[
            "for the 1st message, the server replied with one",
            "it treated one recv as one message",
        ],
    );
    fails_saying(
        &report,
        "one-byte-per-send",
        &[
            "of the header arrived alone, the server replied with a",
            "it treated one recv as one message",
        ],
    );
    fails_saying(
        &report,
        "split-header",
        &["it treated one recv as one message"],
    );
    fails_saying(
        &report,
        "many-glued",
        &["it treated one recv as one message"],
    );
    // The same in Chinese, as a table.
    let ran = stickylab(&[
        "grade",
        "len32-echo",
        "--target",
        &target,
        "--case",
        "glued",
        "--lang",
        "zh",
        "--timeout",
        STEP,
    ]);
    assert_eq!(ran.status.code(), Some(1));
    assert!(ran.stdout.contains("失败  glued"), "{}", ran.stdout);
    assert!(
        ran.stdout.contains("它把一次 recv 当成了一条消息"),
        "{}",
        ran.stdout
    );
    // At a width of 40 columns the explanation wraps under the case, every line within.
    let args = [
        "grade",
        "len32-echo",
        "--target",
        &target,
        "--case",
        "glued",
        "--timeout",
        STEP,
    ];
    let ran = stickylab_columns(&args, Some("40"));
    let lines: Vec<&str> = ran
        .stdout
        .lines()
        .filter(|l| l.starts_with("      "))
        .collect();
    assert!(lines.len() > 2, "{}", ran.stdout);
    assert!(
        lines.iter().all(|l| l.chars().count() <= 40),
        "{}",
        ran.stdout
    );
    let joined: Vec<&str> = lines.iter().map(|l| l.trim()).collect();
    assert!(
        joined
            .join(" ")
            .contains("it treated one recv as one message"),
        "{}",
        ran.stdout
    );
}

#[test]
fn a_server_that_trusts_recv4_fails_on_cut_headers_and_long_bodies_but_not_on_glued_ones() {
    let (status, report) = grade(
        "len32-echo",
        &[
            "--spawn",
            "python3 tests/programs/len32_trusts_recv.py {port}",
        ],
    );
    assert_eq!(status.code(), Some(1), "{report}");
    passes(&report, "one-per-send");
    passes(&report, "glued");
    passes(&report, "many-glued");
    fails_saying(
        &report,
        "one-byte-per-send",
        &[
            // The 1st byte, unless the machine was too busy to run the server's
            // thread before the 2nd came.
            "byte of the header arrived alone, the server closed the connection",
            "whole header",
        ],
    );
    fails_saying(
        &report,
        "big-body",
        &["it trusted one recv(n) to return n bytes"],
    );
    // Its thread died in struct.unpack: the traceback is shown.
    let stderr = case(&report, "one-byte-per-send")["stderr"].to_string();
    assert!(stderr.contains("struct.error"), "{stderr}");
}

#[test]
fn a_line_server_that_answers_each_recv_fails_when_a_line_comes_in_pieces() {
    let (_server, port) = server("line_one_recv.py");
    let target = format!("127.0.0.1:{port}");
    let (status, report) = grade("line-echo", &["--target", &target]);
    assert_eq!(status.code(), Some(1), "{report}");
    passes(&report, "one-per-send");
    // The newlines inside one recv are echoed as they came: right by accident.
    passes(&report, "glued");
    fails_saying(
        &report,
        "one-byte-per-send",
        &["arrived alone, the server replied with a", "line"],
    );
    fails_saying(
        &report,
        "split-header",
        &["it treated one recv as one message"],
    );
}

#[test]
fn the_tutorials_server_fails_on_glued_messages_cut_headers_and_several_clients() {
    let (status, report) = grade(
        "json-header-echo",
        &[
            "--spawn",
            "python3 tests/programs/json_header_tutorial.py {port}",
        ],
    );
    assert_eq!(status.code(), Some(1), "{report}");
    passes(&report, "one-per-send");
    fails_saying(&report, "glued", &["it treated one recv as one message"]);
    fails_saying(
        &report,
        "one-byte-per-send",
        &["byte of the header arrived alone, the server closed"],
    );
    fails_saying(
        &report,
        "several-clients",
        &["sent no reply within", "it serves one client at a time"],
    );
}

#[test]
fn spawn_stops_the_program_and_its_children_after_every_case() {
    let marker = format!("stickylab-grade-test-{}", std::process::id());
    let log = std::env::temp_dir().join(&marker);
    // A shell that starts the server in the background and then sleeps: two processes
    // beside the shell's own, in the group stickylab made.
    let command = format!(
        "sh -c 'python3 tests/programs/len32_echo.py {{port}} {} & \
         exec python3 -c \"import time; time.sleep(3000)\" {marker}'",
        log.display()
    );
    let ran = stickylab(&[
        "grade",
        "len32-echo",
        "--spawn",
        &command,
        "--case",
        "one-per-send",
        "--case",
        "glued",
        "--timeout",
        STEP,
    ]);
    assert!(ran.status.success(), "{}{}", ran.stdout, ran.stderr);
    assert!(ran.stdout.contains("2 of 2 cases passed"), "{}", ran.stdout);
    let left = processes_with(&marker);
    // The server ran (it logs every recv it made) ...
    let logged = std::fs::read_to_string(&log).unwrap_or_default();
    let _ = std::fs::remove_file(&log);
    assert!(!logged.is_empty(), "the spawned server never served");
    // ... and neither it nor its sibling is left.
    assert!(left.is_empty(), "processes left behind: {left:?}");
}

#[test]
fn a_program_that_never_listens_or_exits_is_an_error_naming_the_command() {
    let marker = format!("never-listens-{}", std::process::id());
    let command = format!("python3 -c 'import time; time.sleep(30)' {{port}} {marker}");
    let ran = stickylab(&["grade", "line-echo", "--spawn", &command, "--wait", "300ms"]);
    assert_eq!(ran.status.code(), Some(2), "{}", ran.stderr);
    assert!(
        ran.stderr.contains("did not listen on port") && ran.stderr.contains(&marker),
        "{}",
        ran.stderr
    );
    assert!(
        processes_with(&marker).is_empty(),
        "the program was left running"
    );

    let command = "python3 -c 'import sys; print(\"boom\", file=sys.stderr); sys.exit(3)' {port}";
    let ran = stickylab(&["grade", "line-echo", "--spawn", command]);
    assert_eq!(ran.status.code(), Some(2), "{}", ran.stderr);
    assert!(
        ran.stderr.contains("ended (exit status 3)") && ran.stderr.contains("boom"),
        "{}",
        ran.stderr
    );
}

#[test]
fn usage_errors_exit_2_and_say_what_to_fix() {
    let ran = stickylab(&["grade", "len32-echo", "--spawn", "python3 server.py"]);
    assert_eq!(ran.status.code(), Some(2));
    assert!(ran.stderr.contains("put {port} where"), "{}", ran.stderr);
    let ran = stickylab(&["grade", "len32-echo"]);
    assert_eq!(ran.status.code(), Some(2), "{}", ran.stderr);
    let ran = stickylab(&[
        "grade",
        "len32-echo",
        "--target",
        "127.0.0.1:9",
        "--case",
        "gluedd",
    ]);
    assert_eq!(ran.status.code(), Some(2));
    assert!(
        ran.stderr
            .contains("no case `gluedd`; did you mean `glued`?"),
        "{}",
        ran.stderr
    );
    let ran = stickylab(&["grade", "len32-echo", "--target", "192.0.2.1:80"]);
    assert_eq!(ran.status.code(), Some(2));
    assert!(ran.stderr.contains("--allow-remote"), "{}", ran.stderr);
}

#[test]
fn nothing_listening_is_a_failed_case_that_says_so() {
    // A port bound but not listening: connect is refused at once.
    let bound = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = bound.local_addr().expect("addr").port();
    drop(bound);
    let (status, report) = grade(
        "len32-echo",
        &["--target", &format!("127.0.0.1:{port}"), "--case", "glued"],
    );
    assert_eq!(status.code(), Some(1), "{report}");
    let why = case(&report, "glued")["why"].to_string();
    assert!(why.contains("ECONNREFUSED"), "{why}");
}

#[test]
fn every_case_passes_alone_against_the_labs_own_reference_server() {
    let mut files: Vec<_> = std::fs::read_dir("scenarios/grade")
        .expect("scenarios/grade")
        .flatten()
        .filter(|entry| entry.path().is_dir())
        .flat_map(|suite| std::fs::read_dir(suite.path()).expect("a suite").flatten())
        .map(|case| case.path())
        .filter(|path| path.extension().is_some_and(|e| e == "lab"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 30, "{files:?}");
    for file in files {
        let file = file.display().to_string();
        let ran = stickylab(&["run", &file, "--format", "json"]);
        let verdict = ran.stdout.lines().next().unwrap_or_default();
        assert!(
            ran.status.success(),
            "{file} failed alone: {verdict} {}",
            ran.stderr
        );
    }
}
