//! The README's first commands and the excerpt it shows of their output stay true: the
//! excerpt under "Start here" is what `run hello-world` prints, cell by cell, but for
//! the cells that differ from run to run (times, sequence numbers).

mod common;

use common::stickylab;

const README: &str = include_str!("../README.md");

/// The body of the first fenced block of `lang` after `heading`.
fn block_after<'a>(heading: &str, lang: &str) -> &'a str {
    let from = README.find(heading).expect("the heading is in the README");
    let rest = &README[from..];
    let open = format!("```{lang}\n");
    let start = rest.find(&open).expect("a fenced block after the heading") + open.len();
    let end = rest[start..].find("```").expect("the block is closed");
    &rest[start..start + end]
}

/// A line of a table as its cells, trimmed; a cell that changes from run to run (a
/// time, a duration, a sequence number or a list of them) as `*`.
fn cells(line: &str) -> Vec<String> {
    line.split(['│', '┆'])
        .map(str::trim)
        .map(|cell| {
            let varies = !cell.is_empty()
                && cell.split(' ').all(|word| {
                    let word = word.trim_start_matches('#');
                    let digits = word.trim_end_matches(['µ', 'm', 's']);
                    !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
                });
            if varies {
                "*".to_owned()
            } else {
                cell.to_owned()
            }
        })
        .collect()
}

/// A table's border lines differ in width with the cells; only their presence counts.
fn is_border(line: &str) -> bool {
    line.starts_with(['╭', '╞', '╰', '├'])
}

#[test]
fn the_two_commands_are_the_ones_a_newcomer_needs() {
    let commands: Vec<&str> = block_after("## Start here", "sh").lines().collect();
    assert_eq!(
        commands,
        ["cargo run --release -- run hello-world", "cargo test"]
    );
}

#[test]
fn the_excerpt_is_what_hello_world_prints() {
    let excerpt = block_after("## Start here", "text");
    let seed = excerpt
        .lines()
        .find_map(|l| l.strip_prefix("scenario hello-world · scenarios/hello-world.lab · seed "))
        .expect("the excerpt names its seed");
    let out = stickylab()
        .args(["run", "hello-world", "--seed", seed])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8(out).expect("UTF-8");
    let (shown, end) = excerpt
        .split_once("...\n")
        .expect("the excerpt is cut with ...");
    let printed: Vec<&str> = out.lines().collect();
    for (k, line) in shown.lines().enumerate() {
        let Some(actual) = printed.get(k) else {
            panic!(
                "the run printed {} lines; the excerpt shows {line:?}",
                printed.len()
            );
        };
        if is_border(line) {
            assert!(
                is_border(actual),
                "line {k}: {actual:?} where the README has a border"
            );
        } else {
            assert_eq!(cells(actual), cells(line), "line {k} of the excerpt");
        }
    }
    assert_eq!(end.trim(), "PASS");
    assert_eq!(printed.last().copied(), Some("PASS"));
}
