//! The command line as a user meets it: the commands, the catalog listing, the messages of
//! a mistake (held as the exact text a user sees) and the exit statuses: 0 every
//! expectation held, 1 one failed or a step was blocked, 2 a usage or scenario error.

mod common;

use std::collections::BTreeSet;
use std::fs;

use assert_cmd::Command;
use predicates::prelude::predicate;
use serde_json::Value;

use common::{fixture, stickylab};

fn stdout_of(cmd: &mut Command, code: i32) -> String {
    let out = cmd.assert().code(code);
    String::from_utf8(out.get_output().stdout.clone()).expect("UTF-8 output")
}

/// The built-in scenarios whose `tags:` line names `tag`, read from the files themselves.
fn tagged(tag: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for entry in fs::read_dir("scenarios").expect("a scenarios directory") {
        let path = entry.expect("a directory entry").path();
        if path.extension().is_none_or(|e| e != "lab") {
            continue;
        }
        let source = fs::read_to_string(&path).expect("a UTF-8 scenario");
        let has_tag = source
            .lines()
            .filter_map(|l| l.trim_start().strip_prefix("tags:"))
            .flat_map(|tags| tags.split(','))
            .any(|t| t.split('#').next().unwrap_or("").trim() == tag);
        if has_tag {
            let stem = path.file_stem().and_then(|s| s.to_str()).unwrap();
            names.insert(stem.to_string());
        }
    }
    names
}

/// The first column of `list` (a line that starts with a space continues the entry
/// above it: its tags, when the list would be too wide for one line an entry).
fn listed_names(listing: &str) -> BTreeSet<String> {
    listing
        .lines()
        .filter(|l| !l.starts_with(' '))
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

// ---------------------------------------------------------------------------------------
// help, list, show

#[test]
fn help_names_every_command() {
    let text = stdout_of(stickylab().arg("--help"), 0);
    for command in ["run", "list", "show", "check"] {
        assert!(
            text.lines()
                .any(|l| l.trim_start().starts_with(&format!("{command} "))),
            "no `{command}` in:\n{text}"
        );
    }
}

#[test]
fn list_shows_hello_world_with_its_title() {
    let text = stdout_of(stickylab().arg("list"), 0);
    let mut lines = text.lines().skip_while(|l| !l.starts_with("hello-world "));
    let line = lines
        .next()
        .unwrap_or_else(|| panic!("no hello-world in:\n{text}"));
    assert!(line.contains("  Two sends, one recv"), "{line}");
    // Too wide for 80 columns on one line: the tags stand under the title.
    let tags = lines.next().unwrap_or_default();
    assert_eq!(tags.trim(), "tcp, coalescing", "{text}");
    assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
}

#[test]
fn list_in_chinese_shows_the_chinese_titles() {
    let text = stdout_of(stickylab().args(["list", "--lang", "zh"]), 0);
    assert!(
        text.lines()
            .any(|l| l.starts_with("hello-world ") && l.contains("两次发送，一次接收")),
        "{text}"
    );
    assert!(!text.contains("Two sends, one recv"), "{text}");
}

#[test]
fn list_lang_comes_from_the_environment_too() {
    let text = stdout_of(stickylab().arg("list").env("LANG", "zh_CN.UTF-8"), 0);
    assert!(text.contains("两次发送，一次接收"), "{text}");
}

#[test]
fn list_by_tag_shows_only_the_scenarios_with_that_tag() {
    let coalescing = stdout_of(stickylab().args(["list", "--tag", "coalescing"]), 0);
    assert_eq!(listed_names(&coalescing), tagged("coalescing"));
    assert!(listed_names(&coalescing).contains("hello-world"));

    let udp = tagged("udp");
    if udp.is_empty() {
        stickylab()
            .args(["list", "--tag", "udp"])
            .assert()
            .code(2)
            .stdout("")
            .stderr("no built-in scenario has the tag `udp`\n");
    } else {
        let text = stdout_of(stickylab().args(["list", "--tag", "udp"]), 0);
        assert_eq!(listed_names(&text), udp, "{text}");
    }
}

#[test]
fn a_tag_no_scenario_has_is_an_error() {
    stickylab()
        .args(["list", "--tag", "no-such-tag"])
        .assert()
        .code(2)
        .stdout("")
        .stderr("no built-in scenario has the tag `no-such-tag`\n");
}

#[test]
fn show_prints_the_source_as_it_is() {
    let text = stdout_of(stickylab().args(["show", "hello-world"]), 0);
    assert!(text.starts_with("# Two quick sends"), "{text}");
    let file = fs::read_to_string("scenarios/hello-world.lab").expect("the file");
    assert_eq!(text, file);
}

#[test]
fn show_prints_a_file_too() {
    let path = fixture("param-payload");
    let text = stdout_of(stickylab().args(["show", &path]), 0);
    assert_eq!(text, fs::read_to_string(&path).expect("the fixture"));
}

// ---------------------------------------------------------------------------------------
// Finding a scenario

#[test]
fn an_unknown_name_exits_2_and_names_it() {
    stickylab()
        .args(["run", "no-such-thing"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(
            "no built-in scenario named `no-such-thing` (`stickylab list` shows them all; \
             a file path must exist or end in .lab)\n",
        );
}

#[test]
fn a_misspelt_name_gets_a_did_you_mean() {
    stickylab()
        .args(["run", "hello-wrld"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(
            "no built-in scenario named `hello-wrld`; did you mean `hello-world`? \
             (`stickylab list` shows them all; a file path must exist or end in .lab)\n",
        );
}

#[test]
fn a_missing_file_cannot_be_read() {
    stickylab()
        .args(["run", "tests/fixtures/missing.lab"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(
            "cannot read scenario file `tests/fixtures/missing.lab`: \
             No such file or directory (os error 2)\n",
        );
}

// ---------------------------------------------------------------------------------------
// Parameters

#[test]
fn an_undeclared_parameter_lists_the_declared_ones() {
    stickylab()
        .args(["run", &fixture("two-params"), "--param", "nodelay=on"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(
            "tests/fixtures/two-params.lab: unknown parameter `nodelay` in --param: \
             this scenario declares `payload` and `rounds`\n",
        );
}

#[test]
fn a_parameter_of_a_scenario_without_any_is_refused() {
    stickylab()
        .args(["run", "hello-world", "--param", "x=1"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(
            "scenarios/hello-world.lab: unknown parameter `x` in --param: \
             this scenario declares no parameters\n",
        );
}

/// Everything the server received, however many recv() calls it took.
fn received(run: &Value) -> String {
    run["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["op"] == "recv")
        .filter_map(|e| e["data"].as_str())
        .collect()
}

#[test]
fn declared_parameters_change_what_is_sent() {
    let default = stdout_of(
        stickylab().args(["run", &fixture("two-params"), "--format", "json"]),
        0,
    );
    let default: Value = serde_json::from_str(&default).expect("one JSON run");
    assert_eq!(received(&default), "abab");

    let changed = stdout_of(
        stickylab()
            .args(["run", &fixture("two-params"), "--format", "json"])
            .args(["--param", "rounds=3", "--param", "payload=\"xyz\""]),
        0,
    );
    let changed: Value = serde_json::from_str(&changed).expect("one JSON run");
    assert_eq!(received(&changed), "xyzxyzxyz");
}

#[test]
fn the_table_header_shows_the_parameters_in_force() {
    let text = stdout_of(
        stickylab().args([
            "run",
            &fixture("two-params"),
            "--seed",
            "3",
            "--param",
            "rounds=3",
        ]),
        0,
    );
    assert!(
        text.contains(
            "scenario two-params · tests/fixtures/two-params.lab · seed 3 · payload=\"ab\" · rounds=3\n"
        ),
        "{text}"
    );
}

// ---------------------------------------------------------------------------------------
// check

#[test]
fn check_a_good_file_says_ok() {
    stickylab()
        .args([
            "check",
            &fixture("udp-truncates"),
            "scenarios/hello-world.lab",
        ])
        .assert()
        .success()
        .stdout(
            "tests/fixtures/udp-truncates.lab: ok (2 actors, 6 steps)\n\
             scenarios/hello-world.lab: ok (2 actors, 9 steps)\n",
        );
}

#[test]
fn check_a_bad_file_points_at_file_line_and_column() {
    stickylab()
        .args(["check", &fixture("unparsable")])
        .assert()
        .code(2)
        .stdout("")
        .stderr(
            "tests/fixtures/unparsable.lab:2:9: unknown verb `conect`\n\
             2 | client: conect\n  \
             |         ^^^^^^\n\
             help: did you mean `connect`?\n",
        );
}

#[test]
fn a_file_with_an_error_runs_nothing() {
    stickylab()
        .args(["run", &fixture("unparsable")])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::starts_with(
            "tests/fixtures/unparsable.lab:2:9: unknown verb `conect`\n",
        ));
}

// ---------------------------------------------------------------------------------------
// Seeds, colour

#[test]
fn the_seed_is_printed_in_the_table_and_the_json() {
    let text = stdout_of(stickylab().args(["run", "hello-world", "--seed", "5"]), 0);
    assert!(
        text.contains("scenario hello-world · scenarios/hello-world.lab · seed 5\n"),
        "{text}"
    );
    let json = stdout_of(
        stickylab().args(["run", "hello-world", "--seed", "5", "--format", "json"]),
        0,
    );
    assert!(json.contains(r#""seed":5,"#), "{json}");
}

#[test]
fn output_to_a_pipe_has_no_colour() {
    // Without NO_COLOR: stdout is a pipe here, not a terminal.
    let out = stickylab()
        .env_remove("NO_COLOR")
        .args(["run", &fixture("failing-expectation")])
        .assert()
        .code(1);
    let text = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(text.contains("FAIL (1 of 3 expectations failed)"), "{text}");
    assert!(!text.contains('\x1b'), "an escape sequence in:\n{text}");
}

/// Runs `stickylab ARGS` with its stdout on a pseudo-terminal, as in a terminal window,
/// through script(1) (util-linux, Debian's essential bsdutils package), and returns what
/// it printed. `no_color`: the value of NO_COLOR, or `None` to leave it unset.
fn on_a_terminal(args: &str, no_color: Option<&str>) -> String {
    let binary = env!("CARGO_BIN_EXE_stickylab");
    assert!(
        !binary.contains('\''),
        "a quote in the binary's path: {binary}"
    );
    let mut cmd = Command::new("script");
    // -q: no "Script started" lines; -e: the command's exit status; -c: the command.
    cmd.args(["-qec", &format!("'{binary}' {args}"), "/dev/null"])
        .env("LANG", "C")
        .env_remove("NO_COLOR")
        .timeout(common::HANG_GUARD);
    if let Some(value) = no_color {
        cmd.env("NO_COLOR", value);
    }
    let out = cmd.output().expect("script(1) runs (from util-linux)");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{:?}\n{text}", out.status);
    text
}

#[test]
fn output_to_a_terminal_has_colour_unless_no_color_is_set() {
    let args = "run hello-world --seed 1";
    let coloured = on_a_terminal(args, None);
    assert!(coloured.contains("PASS"), "{coloured}");
    assert!(
        coloured.contains("\x1b["),
        "no escape sequence on a terminal without NO_COLOR:\n{coloured}"
    );
    // An empty NO_COLOR is no request (no-color.org).
    assert!(on_a_terminal(args, Some("")).contains("\x1b["));
    let plain = on_a_terminal(args, Some("1"));
    assert!(plain.contains("PASS"), "{plain}");
    assert!(
        !plain.contains('\x1b'),
        "an escape sequence with NO_COLOR=1:\n{plain}"
    );
}

/// `--lang` takes the languages stickylab speaks, by code or locale name; anything else
/// is an error that names them. An unknown `LANG` in the environment quietly means
/// English: it describes the machine, it asks for nothing.
#[test]
fn languages_by_code_or_locale_and_an_unknown_one_refused() {
    let zh = stdout_of(stickylab().args(["list", "--lang", "zh_CN"]), 0);
    assert!(zh.contains("两次发送，一次接收"), "{zh}");
    let zh_tw = stdout_of(stickylab().args(["list", "--lang", "zh_TW.UTF-8"]), 0);
    assert_eq!(zh_tw, zh);
    stickylab()
        .args(["run", "hello-world", "--lang", "fr"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("stickylab speaks en and zh"));
    let en = stdout_of(stickylab().args(["list"]).env("LANG", "fr_FR.UTF-8"), 0);
    assert!(en.contains("Two sends, one recv"), "{en}");
    let from_env = stdout_of(stickylab().args(["list"]).env("LANG", "zh_CN.UTF-8"), 0);
    assert_eq!(from_env, zh);
}

/// `check` takes built-in names as `run` and `show` do; `--repeat 0` says what to give.
#[test]
fn check_takes_built_in_names_and_repeat_zero_says_why_not() {
    let out = stdout_of(stickylab().args(["check", "hello-world"]), 0);
    assert_eq!(out, "scenarios/hello-world.lab: ok (2 actors, 9 steps)\n");
    stickylab()
        .args(["check", "hello-wrld"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("did you mean `hello-world`?"));
    stickylab()
        .args(["run", "hello-world", "--repeat", "0"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("a scenario runs at least once"));
}

/// With `--lang zh` the tables speak Chinese: section names, headers, the verdict.
#[test]
fn chinese_tables_have_chinese_headers_and_verdict() {
    let text = stdout_of(stickylab().args(["run", "hello-world", "--lang", "zh"]), 0);
    for word in ["时间线", "调用", "收到", "数据", "来源", "预期", "实际"] {
        assert!(text.contains(word), "no {word} in:\n{text}");
    }
    assert!(text.contains("hello▏world"), "{text}");
    assert_eq!(text.lines().last(), Some("通过（PASS）"), "{text}");
    let failing = stickylab()
        .args(["run", &fixture("failing-expectation"), "--lang", "zh"])
        .output()
        .expect("stickylab runs");
    let text = String::from_utf8_lossy(&failing.stdout);
    let last = text.lines().last().unwrap_or_default();
    assert!(last.starts_with("失败（FAIL："), "{text}");
}

/// By default the rounds of a `repeat` that saw the same thing are one row; `--full`
/// shows every row.
#[test]
fn full_unfolds_the_rounds() {
    let args = ["run", "nagle-stall", "--param", "rounds=3", "--seed", "1"];
    let folded = stdout_of(stickylab().args(args), 0);
    assert!(folded.contains("\"abcd\" ×3"), "{folded}");
    let full = stdout_of(stickylab().args(args).arg("--full"), 0);
    assert!(!full.contains("×3"), "{full}");
    assert_eq!(full.matches("┆ \"abcd\"").count(), 2 * 3, "{full}");
}

/// The `--repeat` summary speaks Chinese too.
#[test]
fn a_chinese_summary() {
    let text = stdout_of(
        stickylab().args(["run", "hello-world", "--repeat", "3", "--lang", "zh"]),
        0,
    );
    assert!(text.contains("每次 recv() 收到的块"), "{text}");
    assert_eq!(
        text.lines().last(),
        Some("通过（PASS：3 次运行全部通过）"),
        "{text}"
    );
}
