//! The summary of many runs as JSON: one object on one line after the runs' lines.

use std::io::{self, Write};

use serde::Serialize;

use super::run::micros;
use crate::record::aggregate::Summary;

#[derive(Serialize)]
struct JsonSummary<'a> {
    summary: bool,
    scenario: &'a str,
    file: &'a str,
    first_seed: u64,
    runs: u64,
    passed_runs: u64,
    passed: bool,
    failed_seeds: &'a [u64],
    steps: Vec<JsonStep<'a>>,
    expectations: Vec<JsonRate<'a>>,
    wall_total_us: u64,
    wall_min_us: u64,
    wall_max_us: u64,
}

#[derive(Serialize)]
struct JsonStep<'a> {
    actor: &'a str,
    line: u32,
    call: &'a str,
    outcomes: Vec<JsonOutcome<'a>>,
    other: u64,
}

#[derive(Serialize)]
struct JsonOutcome<'a> {
    /// The chunk sizes of the step's recv() calls (`5+5`), as `Outcome::sizes`.
    outcome: &'a str,
    /// The bytes it got, in the language's escapes, shortened past 40 bytes.
    data: &'a str,
    count: u64,
}

#[derive(Serialize)]
struct JsonRate<'a> {
    line: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    actor: Option<&'a str>,
    expected: &'a str,
    passed: u64,
    total: u64,
}

/// The summary as one JSON object on one line, marked `"summary": true` so a reader of
/// `--repeat --format json` output can tell it from the runs before it.
pub(super) fn write_summary(summary: &Summary, out: &mut dyn Write) -> io::Result<()> {
    let value = JsonSummary {
        summary: true,
        scenario: &summary.scenario,
        file: &summary.file,
        first_seed: summary.first_seed,
        runs: summary.runs,
        passed_runs: summary.passed_runs,
        passed: summary.passed(),
        failed_seeds: &summary.failed_seeds,
        steps: summary
            .steps
            .iter()
            .map(|s| JsonStep {
                actor: &s.actor,
                line: s.line,
                call: &s.call,
                outcomes: s
                    .outcomes
                    .iter()
                    .map(|o| JsonOutcome {
                        outcome: &o.sizes,
                        data: &o.data,
                        count: o.count,
                    })
                    .collect(),
                other: s.other,
            })
            .collect(),
        expectations: summary
            .expectations
            .iter()
            .map(|e| JsonRate {
                line: e.line,
                actor: e.actor.as_deref(),
                expected: &e.expected,
                passed: e.passed,
                total: e.total,
            })
            .collect(),
        wall_total_us: micros(summary.wall_total),
        wall_min_us: if summary.runs == 0 {
            0
        } else {
            micros(summary.wall_min)
        },
        wall_max_us: micros(summary.wall_max),
    };
    let mut line = serde_json::to_vec(&value)?;
    line.push(b'\n');
    out.write_all(&line)
}

#[cfg(test)]
mod tests {
    use super::write_summary;
    use crate::report::fixtures::thousand_runs;

    #[test]
    fn the_json_is_one_line_marked_as_a_summary() {
        let mut out = Vec::new();
        write_summary(&thousand_runs(), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.matches('\n').count(), 1, "{text}");
        assert!(text.ends_with("}\n"), "{text}");
        let v: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(v["summary"], true);
        assert_eq!(v["steps"][0]["outcomes"][1]["outcome"], "5");
        assert_eq!(v["steps"][0]["outcomes"][1]["data"], "\"hello\"");
        assert_eq!(v["steps"][0]["outcomes"][1]["count"], 2);
        assert_eq!(v["passed"], false);
    }
}
