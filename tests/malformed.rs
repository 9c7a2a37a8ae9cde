//! Every file in `tests/malformed/` is a scenario with mistakes; its `.stderr` holds the
//! exact text a user sees for it: every diagnostic rendered, joined by newlines.
//!
//! To look at what the parser says about a file while writing a new case:
//! `STICKYLAB_SHOW=tests/malformed/x.lab cargo test --test malformed show -- --ignored --nocapture`

use std::fs;
use std::path::{Path, PathBuf};

use stickylab::scenario;

fn corpus() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir("tests/malformed")
        .expect("tests/malformed exists")
        .map(|e| e.expect("readable directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "lab"))
        .collect();
    files.sort();
    files
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .and_then(|s| s.to_str())
        .expect("a UTF-8 file name")
        .to_string()
}

/// What `stickylab` prints for a file with errors.
fn rendered(path: &Path) -> String {
    let name = stem(path);
    let file = format!("tests/malformed/{name}.lab");
    let source = fs::read_to_string(path).expect("a UTF-8 scenario");
    match scenario::parse(&file, &name, &source, &[]) {
        Ok(_) => panic!("{file} parsed without an error"),
        Err(diagnostics) => diagnostics
            .iter()
            .map(|d| d.render(&source))
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

#[test]
fn the_corpus_is_big_enough() {
    assert!(
        corpus().len() >= 35,
        "only {} malformed files",
        corpus().len()
    );
}

#[test]
fn every_malformed_file_gives_exactly_its_stderr() {
    let mut failures = Vec::new();
    for path in corpus() {
        let actual = rendered(&path);
        let expected_path = path.with_extension("stderr");
        let expected = fs::read_to_string(&expected_path).unwrap_or_default();
        if actual != expected.trim_end_matches('\n') {
            failures.push(format!(
                "--- {}\n--- expected:\n{expected}\n--- actual:\n{actual}\n",
                path.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_message_starts_with_file_line_and_column() {
    for path in corpus() {
        let name = stem(&path);
        let prefix = format!("tests/malformed/{name}.lab:");
        let source = fs::read_to_string(&path).expect("a UTF-8 scenario");
        let Err(diagnostics) = scenario::parse(&prefix[..prefix.len() - 1], &name, &source, &[])
        else {
            panic!("{} parsed without an error", path.display());
        };
        for d in diagnostics {
            let first = d.render(&source);
            let first = first.lines().next().unwrap_or_default();
            let rest = first
                .strip_prefix(&prefix)
                .unwrap_or_else(|| panic!("{first:?} does not start with {prefix:?}"));
            let (line, rest) = rest.split_once(':').expect("FILE:LINE:");
            let (col, rest) = rest.split_once(':').expect("FILE:LINE:COL:");
            assert!(line.parse::<u32>().is_ok_and(|l| l > 0), "{first}");
            assert!(col.parse::<u32>().is_ok_and(|c| c > 0), "{first}");
            assert!(rest.starts_with(' '), "{first}");
        }
    }
}

#[test]
fn no_prefix_of_a_malformed_file_panics() {
    for path in corpus() {
        let source = fs::read_to_string(&path).expect("a UTF-8 scenario");
        for (i, _) in source.char_indices() {
            let _ = scenario::parse("x.lab", "x", &source[..i], &[]);
        }
    }
}

#[test]
#[ignore = "a helper for writing new cases"]
fn show() {
    if let Ok(path) = std::env::var("STICKYLAB_SHOW") {
        for path in path.split(',') {
            let source = fs::read_to_string(path).expect("a UTF-8 scenario");
            match scenario::parse(path, "x", &source, &[]) {
                Ok(s) => println!("=== {path}: ok\n{s:#?}\n"),
                Err(_) => println!("=== {path}\n{}\n", rendered(Path::new(path))),
            }
        }
    }
}

/// With `--lang zh` the same diagnostics speak Chinese: every message and hint of the
/// corpus has its Chinese, and the position, the excerpt and the caret are the English
/// ones, character for character.
#[test]
fn every_malformed_file_has_its_diagnostics_in_chinese_at_the_same_place() {
    for path in corpus() {
        let name = stem(&path);
        let file = format!("tests/malformed/{name}.lab");
        let source = fs::read_to_string(&path).expect("a UTF-8 scenario");
        let Err(diagnostics) = scenario::parse(&file, &name, &source, &[]) else {
            panic!("{file} parsed without an error");
        };
        for d in diagnostics {
            let en = d.render(&source);
            let zh = d.render_in(&source, "zh");
            assert!(d.message.zh().is_some(), "{file}: no Chinese for {en}");
            if let Some(help) = &d.help {
                assert!(help.zh().is_some(), "{file}: no Chinese for {help}");
                assert!(zh.contains("\n提示："), "{zh}");
            }
            let (en_lines, zh_lines): (Vec<&str>, Vec<&str>) =
                (en.lines().collect(), zh.lines().collect());
            let position = |line: &str| {
                let at = line.find(": ").unwrap_or(line.len());
                line[..at].to_string()
            };
            assert_eq!(position(en_lines[0]), position(zh_lines[0]), "{zh}");
            assert_ne!(en_lines[0], zh_lines[0], "{zh}");
            // The excerpt and the caret.
            assert_eq!(en_lines.get(1..3), zh_lines.get(1..3), "{zh}");
        }
    }
}

/// One file, exactly as a Chinese-speaking reader sees it.
#[test]
fn a_hint_in_chinese() {
    let source = fs::read_to_string("tests/malformed/listen-udp.lab").expect("the file");
    let Err(diagnostics) = scenario::parse("listen-udp.lab", "x", &source, &[]) else {
        panic!("listen-udp.lab parsed");
    };
    assert_eq!(
        diagnostics[0].render_in(&source, "zh"),
        "listen-udp.lab:2:16: 这里应为 `again`、`tcp`、`unix`、`on`、`backlog`、`=>` 或行尾，实际是 `udp`\n\
         2 | server: listen udp\n  \
           |                ^^^\n\
         提示：UDP 没有 listen，也没有连接：先 `bind udp`，再 `sendto ACTOR VALUE` 和 `recvfrom N`"
    );
}
