//! `--format` reaches every command: `list` and `check` as JSON lines too, one object
//! per scenario or file, for tools that read them.

mod common;

use serde_json::Value;

use common::{fixture, stickylab};

fn json_lines(args: &[&str]) -> Vec<Value> {
    let out = stickylab().args(args).assert().success();
    String::from_utf8(out.get_output().stdout.clone())
        .expect("UTF-8 output")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn list_as_json_has_one_object_per_scenario() {
    let lines = json_lines(&["list", "--format", "json", "--tag", "coalescing"]);
    let hello = lines
        .iter()
        .find(|v| v["name"] == "hello-world")
        .expect("hello-world is listed");
    assert_eq!(
        hello,
        &serde_json::json!({
            "name": "hello-world",
            "title": "Two sends, one recv",
            "tags": ["tcp", "coalescing"],
        })
    );
    let table = stickylab()
        .args(["list", "--tag", "coalescing"])
        .output()
        .expect("stickylab runs");
    let names = String::from_utf8_lossy(&table.stdout)
        .lines()
        .filter(|l| !l.starts_with(' '))
        .count();
    assert_eq!(lines.len(), names, "the same scenarios in both formats");
}

#[test]
fn check_as_json_has_one_object_per_good_file() {
    let lines = json_lines(&[
        "check",
        "--format",
        "json",
        &fixture("udp-truncates"),
        "scenarios/hello-world.lab",
    ]);
    assert_eq!(
        lines,
        [
            serde_json::json!({"file": "tests/fixtures/udp-truncates.lab", "ok": true, "actors": 2, "steps": 6}),
            serde_json::json!({"file": "scenarios/hello-world.lab", "ok": true, "actors": 2, "steps": 9}),
        ]
    );
}

#[test]
fn a_repeat_in_json_ends_with_its_summary_line() {
    let lines = json_lines(&[
        "run",
        "hello-world",
        "--repeat",
        "3",
        "--seed",
        "9",
        "--format",
        "json",
    ]);
    assert_eq!(lines.len(), 4, "three runs and the summary");
    for (k, run) in lines[..3].iter().enumerate() {
        assert_eq!(run["seed"], 9 + k as u64);
        assert!(
            run.get("interrupted").is_none(),
            "only a run cut short says so"
        );
    }
    assert_eq!(lines[3]["summary"], true);
    assert_eq!(lines[3]["runs"], 3);
}
