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

/// A line of a table as its cells, trimmed; a word that changes from run to run (a
/// time, a duration, a sequence number, a port) as `*`.
fn cells(line: &str) -> Vec<String> {
    line.split(['│', '┆'])
        .map(str::trim)
        .map(|cell| {
            cell.split(' ')
                .map(|word| {
                    let bare = word
                        .trim_start_matches('#')
                        .trim_end_matches([',', 'µ', 'm', 's']);
                    let varies =
                        !bare.is_empty() && bare.chars().all(|c| c.is_ascii_digit() || c == '.');
                    if varies { "*" } else { word }
                })
                .collect::<Vec<_>>()
                .join(" ")
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
    assert!(
        printed.len() >= shown.lines().count(),
        "the run printed {} lines, fewer than the excerpt shows:\n{out}",
        printed.len()
    );
    // The rows of the timeline are in the order the steps completed, which may differ
    // from run to run (the accept before or after the client's sends): within a
    // table, the same rows in any order.
    let (mut want, mut got) = (Vec::new(), Vec::new());
    for (k, (line, actual)) in shown.lines().zip(&printed).enumerate() {
        if is_border(line) {
            assert!(
                is_border(actual),
                "line {k}: {actual:?} where the README has a border"
            );
            want.sort();
            got.sort();
            assert_eq!(got, want, "the rows above line {k} of the excerpt");
            (want, got) = (Vec::new(), Vec::new());
        } else {
            want.push(cells(line));
            got.push(cells(actual));
        }
    }
    want.sort();
    got.sort();
    assert_eq!(got, want, "the last lines of the excerpt");
    assert_eq!(end.trim(), "PASS");
    assert_eq!(printed.last().copied(), Some("PASS"));
}
