//! `--lang zh` (or a Chinese `LANG`) from a user's side: the catalog, the table of
//! `run --all`, the diagnostics of a malformed file with their hints, and the errors of
//! the command line, each held to the exact text where the text does not depend on a run.

mod common;

use assert_cmd::Command;

use common::stickylab;

fn output_of(cmd: &mut Command, code: i32) -> (String, String) {
    let out = cmd.assert().code(code);
    let output = out.get_output();
    (
        String::from_utf8(output.stdout.clone()).expect("UTF-8 stdout"),
        String::from_utf8(output.stderr.clone()).expect("UTF-8 stderr"),
    )
}

#[test]
fn the_catalog_in_chinese() {
    let (list, _) = output_of(stickylab().args(["list", "--lang", "zh"]), 0);
    insta::assert_snapshot!("list-zh", list);
}

/// The run itself is real, so only what does not depend on it is compared exactly: the
/// header, the scenarios in catalog order, and the Chinese verdict's form.
#[test]
fn run_all_ends_with_a_chinese_table() {
    let (list, _) = output_of(stickylab().arg("list"), 0);
    let names: Vec<&str> = list
        .lines()
        .filter(|l| !l.starts_with(' '))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| common::runs_here(n))
        .collect();
    let cmd = stickylab()
        .args(["run", "--all", "--lang", "zh"])
        .timeout(std::time::Duration::from_secs(120))
        .assert();
    let out = String::from_utf8(cmd.get_output().stdout.clone()).expect("UTF-8");
    let lines: Vec<&str> = out.lines().collect();
    let header = lines
        .iter()
        .find(|l| l.contains("场景"))
        .expect("a header row");
    let cells: Vec<&str> = header
        .split(['│', '┆'])
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(
        cells,
        ["场景", "通过的运行", "满足的预期", "总耗时"],
        "{out}"
    );
    let rows: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.strip_prefix("│ ✓ ┆ ").or(l.strip_prefix("│ ✗ ┆ ")))
        .filter_map(|rest| rest.split_whitespace().next())
        .collect();
    assert_eq!(rows, names, "{out}");
    let last = lines.last().copied().unwrap_or_default();
    let scenarios = names.len();
    assert!(
        last == format!("通过（PASS：{scenarios} 个场景全部通过）")
            || (last.starts_with("失败（FAIL：") && last.ends_with("个失败）")),
        "{out}"
    );
    assert!(
        !out.contains("runs passed") && !out.contains("PASS (all"),
        "{out}"
    );
}

const LISTEN_UDP_ZH: &str = "tests/malformed/listen-udp.lab:2:16: 这里应为 `again`、`tcp`、`unix`、`on`、`backlog`、`=>` 或行尾，实际是 `udp`
2 | server: listen udp
  |                ^^^
提示：UDP 没有 listen，也没有连接：先 `bind udp`，再 `sendto ACTOR VALUE` 和 `recvfrom N`
";

/// The same file, line, column and caret as in English; the message and the hint in
/// Chinese, from `--lang zh` or from `LANG`.
#[test]
fn a_malformed_file_in_chinese() {
    let file = "tests/malformed/listen-udp.lab";
    let (_, by_flag) = output_of(stickylab().args(["check", "--lang", "zh", file]), 2);
    assert_eq!(by_flag, LISTEN_UDP_ZH);
    let (_, by_env) = output_of(
        stickylab().args(["check", file]).env("LANG", "zh_CN.UTF-8"),
        2,
    );
    assert_eq!(by_env, LISTEN_UDP_ZH);
    let (_, by_run) = output_of(stickylab().args(["run", file, "--lang", "zh"]), 2);
    assert_eq!(by_run, LISTEN_UDP_ZH);
    // English is what the corpus holds, byte for byte.
    let (_, english) = output_of(stickylab().args(["check", file]), 2);
    let expected = std::fs::read_to_string("tests/malformed/listen-udp.stderr").expect("stderr");
    assert_eq!(english, expected);
}

/// The traps a newcomer falls into, with their hints in Chinese.
#[test]
fn hints_in_chinese() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("chinese-hints");
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let cases = [
        (
            "server: listen\nclient: connect\nserver: accept\nclient: send 'hi'\n",
            "提示：字符串要用双引号：`\"hello\"`（不是 Python 的 'hello' 或 b'hello'）",
        ),
        (
            "server: listen\nclient: connect\nserver: accept\nrepeat 3 { client: send \"a\" }\n",
            "提示：repeat 块的步骤各占一行：先写 `repeat 3 {`，每行一个步骤，最后 `}` 单独一行",
        ),
        (
            "server: listen\nclient: connect\nserver: acept\n",
            "提示：你是想写 `accept` 吗？",
        ),
    ];
    for (i, (source, hint)) in cases.into_iter().enumerate() {
        let path = dir.join(format!("trap-{i}.lab"));
        std::fs::write(&path, source).expect("write");
        let (_, err) = output_of(stickylab().args(["check", "--lang", "zh"]).arg(&path), 2);
        assert!(err.lines().any(|l| l == hint), "{err}");
        assert!(!err.contains("help:"), "{err}");
    }
}

#[test]
fn errors_of_the_command_line_in_chinese() {
    let (_, err) = output_of(stickylab().args(["run", "hello-wrld", "--lang", "zh"]), 2);
    assert_eq!(
        err,
        "没有名为 `hello-wrld` 的内置场景；你是想写 `hello-world` 吗？（`stickylab list` 列出全部内置场景；文件路径必须存在，或者以 .lab 结尾）\n"
    );
    let (_, err) = output_of(
        stickylab()
            .args(["run", "hello-world", "--repeat", "0"])
            .env("LANG", "zh_CN.UTF-8"),
        2,
    );
    assert_eq!(
        err,
        "错误：`--repeat <N>` 的值 '0' 无效：场景至少运行一次：给 1 或更大的数，或者去掉 --repeat\n\n更多信息请运行 '--help'。\n"
    );
    let (_, err) = output_of(
        stickylab().args(["list", "--tag", "nope", "--lang", "zh"]),
        2,
    );
    assert_eq!(err, "没有哪个内置场景带有标签 `nope`\n");
    let (_, err) = output_of(stickylab().args(["show", "missing.lab", "--lang", "zh"]), 2);
    assert!(err.starts_with("无法读取场景文件 `missing.lab`："), "{err}");
    // An unknown --lang is refused in English, whatever LANG says.
    let (_, err) = output_of(
        stickylab()
            .args(["run", "hello-world", "--lang", "fr"])
            .env("LANG", "zh_CN.UTF-8"),
        2,
    );
    assert!(err.contains("stickylab speaks en and zh"), "{err}");
}

#[test]
fn check_says_ok_in_chinese() {
    let (out, _) = output_of(
        stickylab().args(["check", "hello-world", "--lang", "zh"]),
        0,
    );
    assert_eq!(out, "scenarios/hello-world.lab: ok（2 个角色，9 个步骤）\n");
}
