//! Tables fit the terminal: in a pseudo-terminal of 60, 80 and 120 columns no line is
//! wider than the window, and the lesson (`hello▏world`, the data with its boundary
//! mark) is still on the screen.

mod common;

use assert_cmd::Command;
use unicode_width::UnicodeWidthStr;

/// `stickylab ARGS` with its stdout on a pseudo-terminal of `columns` columns, through
/// script(1) (util-linux), with the window's size set by stty(1) first; what it printed,
/// without colour codes and carriage returns.
fn in_a_window(columns: u16, args: &str) -> String {
    let binary = env!("CARGO_BIN_EXE_stickylab");
    assert!(
        !binary.contains('\''),
        "a quote in the binary's path: {binary}"
    );
    let command = format!("stty rows 50 cols {columns}; '{binary}' {args}");
    let out = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env("LANG", "C")
        .env("NO_COLOR", "1")
        .timeout(common::HANG_GUARD)
        .output()
        .expect("script(1) runs (from util-linux)");
    let text = String::from_utf8_lossy(&out.stdout).replace('\r', "");
    assert!(out.status.success(), "{:?}\n{text}", out.status);
    text
}

fn widest(text: &str) -> usize {
    text.lines().map(UnicodeWidthStr::width).max().unwrap_or(0)
}

#[test]
fn run_fits_the_window_and_keeps_the_lesson() {
    for columns in [60, 80, 120] {
        for scenario in ["hello-world", "nagle-stall --param rounds=3"] {
            let text = in_a_window(columns, &format!("run {scenario} --seed 1"));
            assert!(
                widest(&text) <= usize::from(columns),
                "{scenario} at {columns} columns:\n{text}"
            );
            if scenario == "hello-world" {
                assert!(text.contains("hello▏world"), "{columns} columns:\n{text}");
            }
        }
    }
}

/// The whole lesson of nagle-stall (20 rounds at its defaults) on one screen: the first
/// round in full, the others folded one row per line, and the stall in the `took` cells.
#[test]
fn nagle_stall_fits_one_screen_at_a_hundred_columns() {
    let text = in_a_window(100, "run nagle-stall --seed 1");
    assert!(widest(&text) <= 100, "{text}");
    assert!(
        text.lines().count() <= 60,
        "{} lines:\n{text}",
        text.lines().count()
    );
    // Every step of a later round is one row `×N` whose duration is a range.
    let folded: Vec<&str> = text.lines().filter(|l| l.contains(" ×")).collect();
    assert!(
        folded
            .iter()
            .any(|l| l.contains("recv exactly 4") && l.contains("ms ┆")),
        "{text}"
    );
    assert!(text.contains("timer start rtt"), "{text}");
}

#[test]
fn list_fits_eighty_columns() {
    let text = in_a_window(80, "list");
    assert!(widest(&text) <= 80, "{text}");
    assert!(
        text.lines().any(|l| l.starts_with("hello-world ")),
        "{text}"
    );
}

/// Not a terminal: `COLUMNS` sets the width, else the tables take what they need.
#[test]
fn a_pipe_takes_its_width_from_columns() {
    let narrow = common::stickylab()
        .args(["run", "hello-world", "--seed", "1"])
        .env("COLUMNS", "60")
        .output()
        .expect("stickylab runs");
    let text = String::from_utf8_lossy(&narrow.stdout);
    assert!(widest(&text) <= 60, "{text}");
    assert!(text.contains("hello▏world"), "{text}");
    let wide = common::stickylab()
        .args(["run", "hello-world", "--seed", "1"])
        .env_remove("COLUMNS")
        .output()
        .expect("stickylab runs");
    assert!(widest(&String::from_utf8_lossy(&wide.stdout)) > 60);
}
