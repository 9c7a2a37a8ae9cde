//! The bytes of every report, pinned by snapshots (`cargo insta review` after a change
//! that is meant). These are the tests that fail when an output changes: the fixtures
//! are hand-made records, so the bytes depend on the report code alone.

use std::time::Duration;

use super::fixtures;
use super::json::Json;
use super::summary;
use super::table::Table;
use super::{Report, ReportOptions};
use crate::record::aggregate::{ExpectationRate, StepOutcomes, Summary};

fn options(color: bool, width: Option<u16>) -> ReportOptions {
    ReportOptions {
        lang: "en".to_owned(),
        color,
        width,
    }
}

/// A thousand runs of hello-world, two of which saw the sends in two recvs.
fn thousand_runs() -> Summary {
    Summary {
        scenario: "hello-world".into(),
        file: "scenarios/hello-world.lab".into(),
        first_seed: 100,
        runs: 1000,
        passed_runs: 998,
        failed_seeds: vec![117, 533],
        steps: vec![StepOutcomes {
            actor: "server".into(),
            line: 15,
            call: "recv 1024              => \"helloworld\"".into(),
            outcomes: vec![("\"helloworld\"".into(), 998), ("\"hello\"".into(), 2)],
            other: 0,
        }],
        expectations: vec![
            ExpectationRate {
                line: 15,
                actor: Some("server".into()),
                expected: "\"helloworld\"".into(),
                passed: 998,
                total: 1000,
            },
            ExpectationRate {
                line: 22,
                actor: None,
                expected: "rtt p50 >= 30ms".into(),
                passed: 1000,
                total: 1000,
            },
        ],
        wall_total: Duration::from_millis(250),
        wall_min: Duration::from_micros(180),
        wall_max: Duration::from_micros(900),
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
            let out = Table.render(&scenario, &record, &options);
            insta::assert_snapshot!(format!("table-{}{suffix}", record.scenario), out);
        }
    }
}

#[test]
fn json_of_every_fixture() {
    for (scenario, record) in fixtures::all() {
        let out = Json.render(&scenario, &record, &options(false, None));
        insta::assert_snapshot!(format!("json-{}", record.scenario), out);
    }
}

#[test]
fn repeat_summary_in_both_formats() {
    for summary in [thousand_runs(), three_runs()] {
        let name = &summary.scenario;
        let table = summary::render_table(&summary, &options(false, None));
        insta::assert_snapshot!(format!("summary-table-{name}"), table);
        let json = summary::render_json(&summary) + "\n";
        insta::assert_snapshot!(format!("summary-json-{name}"), json);
    }
}

#[test]
fn catalog_summary() {
    let out = summary::render_catalog(&[thousand_runs(), three_runs()], &options(false, None));
    insta::assert_snapshot!("catalog-table", out);
}
