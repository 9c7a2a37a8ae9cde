//! The bytes of every report, pinned by snapshots (`cargo insta review` after a change
//! that is meant). These are the tests that fail when an output changes: the fixtures
//! are hand-made records, so the bytes depend on the report code alone.

use std::time::Duration;

use super::json::JsonReporter;
use super::table::TableReporter;
use super::{Format, ReportOptions, fixtures, reporter, run_bytes};
use crate::record::aggregate::Summary;
use crate::report::fixtures::thousand_runs;

fn options(color: bool, width: Option<u16>) -> ReportOptions {
    ReportOptions {
        lang: "en".to_owned(),
        color,
        width,
        max_data: crate::report::DEFAULT_MAX_DATA,
        full: false,
    }
}

/// Three runs of a scenario whose every run passed.
fn three_runs() -> Summary {
    Summary {
        scenario: "bulk".into(),
        file: "scenarios/bulk.lab".into(),
        first_seed: 7,
        runs: 3,
        passed_runs: 3,
        wall_total: Duration::from_micros(900),
        wall_min: Duration::from_micros(250),
        wall_max: Duration::from_micros(350),
        ..Summary::default()
    }
}

#[test]
fn table_of_every_fixture() {
    for (scenario, record) in fixtures::all() {
        for (suffix, options) in [
            ("", options(false, None)),
            ("-80", options(false, Some(80))),
            ("-colour-100", options(true, Some(100))),
        ] {
            let out = run_bytes(&TableReporter::new(options), &scenario, &record);
            insta::assert_snapshot!(format!("table-{}{suffix}", record.scenario), out);
        }
    }
}

#[test]
fn json_of_every_fixture() {
    for (scenario, record) in fixtures::all() {
        let out = run_bytes(
            &JsonReporter {
                max_data: crate::report::DEFAULT_MAX_DATA,
            },
            &scenario,
            &record,
        );
        insta::assert_snapshot!(format!("json-{}", record.scenario), out);
    }
}

/// The bytes of `catalog` for the summaries, in `format`.
fn catalog_bytes(format: Format, summaries: &[Summary]) -> String {
    let mut out = Vec::new();
    reporter(format, options(false, None))
        .catalog(summaries, &mut out)
        .unwrap();
    String::from_utf8(out).unwrap()
}

fn summary_bytes(format: Format, summary: &Summary) -> String {
    let mut out = Vec::new();
    reporter(format, options(false, None))
        .summary(summary, &mut out)
        .unwrap();
    String::from_utf8(out).unwrap()
}

/// Four runs through a repeat report, as the runner hands them over: hello-world three
/// times (the second one failed), then one cut short by Ctrl-C, which is not counted.
fn repeat_bytes(format: Format) -> String {
    let (scenario, passing) = fixtures::hello_world();
    let mut failing = passing.clone();
    failing.seed += 1;
    failing.expectations[1].passed = false;
    failing.expectations[1].observed = "\"hello\"".to_owned();
    let mut third = passing.clone();
    third.seed += 2;
    let mut cut = passing.clone();
    cut.seed += 3;
    cut.interrupted = true;
    cut.events.truncate(4);
    cut.expectations.truncate(1);
    let report = reporter(format, options(false, None));
    let mut out = Vec::new();
    let mut repeat = report.repeat(&scenario, passing.seed, false, &mut out);
    for run in [&passing, &failing, &third, &cut] {
        run.replay(&mut repeat);
    }
    let summary = repeat.finish();
    assert_eq!((summary.runs, summary.passed_runs), (3, 2));
    String::from_utf8(out).unwrap()
}

#[test]
fn a_repeat_shows_its_runs_then_the_summary() {
    insta::assert_snapshot!("repeat-table", repeat_bytes(Format::Table));
    insta::assert_snapshot!("repeat-json", repeat_bytes(Format::Json));
}

#[test]
fn repeat_summary_in_both_formats() {
    for summary in [thousand_runs(), three_runs()] {
        let name = &summary.scenario;
        let table = summary_bytes(Format::Table, &summary);
        insta::assert_snapshot!(format!("summary-table-{name}"), table);
        let json = summary_bytes(Format::Json, &summary);
        insta::assert_snapshot!(format!("summary-json-{name}"), json);
    }
}

#[test]
fn catalog_summary() {
    let out = catalog_bytes(Format::Table, &[thousand_runs(), three_runs()]);
    insta::assert_snapshot!("catalog-table", out);
    assert_eq!(catalog_bytes(Format::Json, &[thousand_runs()]), "");
}
