//! The commands around `run`: `new` (a template that checks and runs), `completions`,
//! `man`, and `compare` (two sides' chunkings, timers and verdicts, differences marked),
//! each through the real binary.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use assert_cmd::Command;
use serde_json::Value;

use common::stickylab;

fn output(cmd: &mut Command, code: i32) -> (String, String) {
    let out = cmd.assert().code(code);
    let o = out.get_output();
    (
        String::from_utf8(o.stdout.clone()).expect("UTF-8 stdout"),
        String::from_utf8(o.stderr.clone()).expect("UTF-8 stderr"),
    )
}

/// A fresh, empty directory of this test's own.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("stickylab-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    dir
}

#[test]
fn new_writes_a_template_that_checks_and_runs() {
    let dir = temp_dir("new");
    let (out, _) = output(stickylab().current_dir(&dir).args(["new", "mine.lab"]), 0);
    assert!(out.contains("stickylab run mine.lab"), "{out}");
    let source = std::fs::read_to_string(dir.join("mine.lab")).expect("the file was written");
    for part in [
        "title:",
        "title.zh:",
        "about:",
        "server:",
        "client:",
        "=>",
        "# ",
    ] {
        assert!(source.contains(part), "the template has {part}:\n{source}");
    }
    let (out, _) = output(stickylab().current_dir(&dir).args(["check", "mine.lab"]), 0);
    assert!(out.contains("mine.lab: ok"), "{out}");
    let (out, _) = output(stickylab().current_dir(&dir).args(["run", "mine.lab"]), 0);
    assert!(out.contains("\"helloworld\""), "{out}");
    assert!(out.trim_end().ends_with("PASS"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn new_refuses_to_overwrite_a_file_without_force() {
    let dir = temp_dir("new-force");
    let file = dir.join("mine.lab");
    std::fs::write(&file, "# my own work\n").expect("write");
    let (out, err) = output(stickylab().current_dir(&dir).args(["new", "mine.lab"]), 2);
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("mine.lab") && err.contains("--force"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&file).expect("read"),
        "# my own work\n"
    );
    let (_, err) = output(
        stickylab()
            .current_dir(&dir)
            .args(["new", "mine.lab", "--lang", "zh"]),
        2,
    );
    assert!(err.contains("已经存在") && err.contains("--force"), "{err}");
    output(
        stickylab()
            .current_dir(&dir)
            .args(["new", "mine.lab", "--force"]),
        0,
    );
    output(stickylab().current_dir(&dir).args(["check", "mine.lab"]), 0);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_bash_completion_names_the_subcommands_and_parses() {
    let (script, _) = output(stickylab().args(["completions", "bash"]), 0);
    for sub in [
        "list",
        "run",
        "show",
        "check",
        "compare",
        "new",
        "completions",
        "man",
    ] {
        assert!(
            script.contains(sub),
            "{sub} missing from the bash completion"
        );
    }
    assert!(
        script.contains("--param-a"),
        "compare's options complete too"
    );
    // `bash -n` parses without running; skipped where there is no bash.
    let dir = temp_dir("completion");
    let path = dir.join("stickylab.bash");
    std::fs::write(&path, &script).expect("write");
    if let Ok(status) = std::process::Command::new("bash")
        .arg("-n")
        .arg(&path)
        .status()
    {
        assert!(status.success(), "bash -n refused the completion script");
    }
    let _ = std::fs::remove_dir_all(&dir);
    for shell in ["zsh", "fish"] {
        let (script, _) = output(stickylab().args(["completions", shell]), 0);
        assert!(script.contains("compare"), "{shell}: {script}");
    }
    output(stickylab().args(["completions", "tcsh"]), 2);
}

/// The page starts with `.TH`, after the two lines every clap_mangen page opens with
/// (they define `\*(Aq`, the apostrophe, for groff and other troffs).
fn title_line(page: &str) -> &str {
    page.lines()
        .find(|l| !l.starts_with(".ie \\n(.g .ds Aq") && !l.starts_with(".el .ds Aq"))
        .unwrap_or_default()
}

#[test]
fn man_is_a_roff_page_that_lists_the_commands() {
    let (page, _) = output(stickylab().arg("man"), 0);
    assert!(
        title_line(&page).starts_with(".TH stickylab 1"),
        "{}",
        &page[..page.len().min(200)]
    );
    assert!(page.lines().take(3).any(|l| l.starts_with(".TH")));
    for sub in ["run", "compare", "new", "completions"] {
        assert!(page.contains(sub), "{sub} missing from the man page");
    }
    let (page, _) = output(stickylab().args(["man", "compare"]), 0);
    assert!(
        title_line(&page).starts_with(".TH stickylab-compare 1"),
        "{page}"
    );
    assert!(page.contains("param\\-a"), "{page}");
    output(stickylab().args(["man", "nope"]), 2);
}

#[test]
fn help_lists_the_new_commands_with_examples() {
    let (help, _) = output(stickylab().arg("--help"), 0);
    for line in [
        "compare",
        "new",
        "completions",
        "man",
        "stickylab compare nagle-stall nagle-stall-nodelay",
        "stickylab new my-experiment.lab",
    ] {
        assert!(help.contains(line), "{line} missing from --help:\n{help}");
    }
    let (help, _) = output(stickylab().args(["compare", "--help"]), 0);
    assert!(
        help.contains("--param-a rounds=2 --param-b rounds=10"),
        "{help}"
    );
}

/// A duration as the reports write it: `43.9ms`, `250µs`, `1.2s`.
fn duration(text: &str) -> Duration {
    let text = text.trim();
    let (number, scale) = if let Some(n) = text.strip_suffix("µs") {
        (n, 1e-6)
    } else if let Some(n) = text.strip_suffix("ms") {
        (n, 1e-3)
    } else if let Some(n) = text.strip_suffix("ns") {
        (n, 1e-9)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1.0)
    } else {
        panic!("not a duration: {text}")
    };
    let n: f64 = number
        .parse()
        .unwrap_or_else(|_| panic!("not a number: {text}"));
    Duration::from_secs_f64(n * scale)
}

/// The cells of the table row that has a cell `label` (cell 0 is before the border).
fn row<'a>(table: &'a str, label: &str) -> Vec<&'a str> {
    table
        .lines()
        .map(|l| l.split(['│', '┆']).map(str::trim).collect::<Vec<_>>())
        .find(|cells| cells.contains(&label))
        .unwrap_or_else(|| panic!("no row {label}:\n{table}"))
}

/// The slide of the lesson: Nagle's 40 ms stall against TCP_NODELAY.
#[test]
fn compare_marks_the_nagle_stall_against_nodelay() {
    let (out, _) = output(
        stickylab().args([
            "compare",
            "nagle-stall",
            "nagle-stall-nodelay",
            "--repeat",
            "2",
            "--param",
            "rounds=3",
        ]),
        0,
    );
    assert!(out.contains("A: nagle-stall rounds=3"), "{out}");
    assert!(out.contains("B: nagle-stall-nodelay rounds=3"), "{out}");
    let p50 = row(&out, "rtt p50");
    assert_eq!(p50[1], "≠", "{out}");
    let (a, b) = (duration(p50[3]), duration(p50[4]));
    assert!(a >= Duration::from_millis(30), "A's p50 {a:?}\n{out}");
    assert!(b < Duration::from_millis(5), "B's p50 {b:?}\n{out}");
    let count = row(&out, "rtt count");
    assert_eq!((count[1], count[3], count[4]), ("", "6", "6"), "{out}");
    // The two `expect: rtt p50` lines differ in text: each is on one side only.
    assert_eq!(row(&out, "rtt p50 >= 30ms")[1], "≠", "{out}");
    assert!(out.contains("rows differ"), "{out}");
}

/// A deterministic scenario against itself: the same chunkings, nothing marked.
#[test]
fn compare_of_a_deterministic_scenario_with_itself_marks_nothing() {
    let (out, _) = output(
        stickylab().args(["compare", "hello-world", "hello-world", "--repeat", "3"]),
        0,
    );
    let chunkings = out
        .split("recv chunkings")
        .nth(1)
        .and_then(|rest| rest.split("verdicts").next())
        .unwrap_or_else(|| panic!("a chunkings section:\n{out}"));
    assert!(chunkings.contains("10: 3 (100.0%)"), "{out}");
    assert!(chunkings.contains("eof: 3 (100.0%)"), "{out}");
    assert!(!out.contains('≠'), "{out}");
    assert!(out.trim_end().ends_with(
        "no differences: the same chunk patterns, timers within 2× or 1 ms, the same pass rates"
    ));
}

/// One scenario, two parameter sets: B defaults to A.
#[test]
fn compare_one_scenario_with_two_parameter_sets() {
    let (out, _) = output(
        stickylab().args([
            "compare",
            "nagle-stall-nodelay",
            "--param-a",
            "rounds=2",
            "--param-b",
            "rounds=3",
            "--repeat",
            "1",
        ]),
        0,
    );
    assert!(out.contains("A: nagle-stall-nodelay rounds=2"), "{out}");
    assert!(out.contains("B: nagle-stall-nodelay rounds=3"), "{out}");
    let count = row(&out, "rtt count");
    assert_eq!((count[1], count[3], count[4]), ("≠", "2", "3"), "{out}");
}

#[test]
fn compare_as_json_holds_both_summaries_and_the_differences() {
    let (out, _) = output(
        stickylab().args([
            "compare",
            "nagle-stall",
            "nagle-stall-nodelay",
            "--repeat",
            "1",
            "--param",
            "rounds=3",
            "--format",
            "json",
            "--seed",
            "7",
        ]),
        0,
    );
    assert_eq!(out.lines().count(), 1, "{out}");
    let v: Value = serde_json::from_str(&out).expect("one JSON object");
    assert_eq!(v["compare"], true);
    assert_eq!(v["a"]["scenario"], "nagle-stall");
    assert_eq!(v["b"]["scenario"], "nagle-stall-nodelay");
    assert_eq!(v["a"]["params"]["rounds"], "3");
    assert_eq!(v["a"]["first_seed"], 7);
    assert_eq!(v["a"]["runs"], 1);
    assert!(
        v["a"]["timers"]["rtt"]["p50_us"].as_u64() >= Some(30_000),
        "{v}"
    );
    assert!(
        v["b"]["timers"]["rtt"]["p50_us"].as_u64() < Some(5_000),
        "{v}"
    );
    let differences = v["differences"].as_array().expect("a list of differences");
    assert!(
        differences
            .iter()
            .any(|d| d["section"] == "timers" && d["what"] == "rtt p50_us"),
        "{v}"
    );
    assert!(v["a"]["steps"][0]["outcomes"].is_array(), "{v}");
}

#[test]
fn compare_speaks_chinese() {
    let (out, _) = output(
        stickylab().args(["compare", "hello-world", "--repeat", "1", "--lang", "zh"]),
        0,
    );
    for word in [
        "接收分块",
        "判定",
        "通过的运行",
        "每边运行 1 次",
        "没有差异",
    ] {
        assert!(out.contains(word), "{word}:\n{out}");
    }
}

#[test]
fn compare_refuses_bad_counts_and_unknown_scenarios() {
    for n in ["0", "1001", "many"] {
        let (out, _) = output(
            stickylab().args(["compare", "hello-world", "--repeat", n]),
            2,
        );
        assert!(out.is_empty());
    }
    let (out, err) = output(
        stickylab().args(["compare", "hello-world", "helo-world"]),
        2,
    );
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("did you mean `hello-world`?"), "{err}");
}
