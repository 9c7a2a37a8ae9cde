//! `compare --format json`: one object on one line, `"compare": true`, with both sides'
//! summaries (steps with their chunk patterns, expectations, pooled timers) and the rows
//! that differ.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::time::Duration;

use serde::Serialize;

use super::{Comparison, Side, TimerValue};
use crate::record::TimerStats;

#[derive(Serialize)]
struct JsonCompare<'a> {
    compare: bool,
    repeat: u64,
    a: JsonSide<'a>,
    b: JsonSide<'a>,
    /// The rows that differ (the table marks them `≠`).
    differences: Vec<JsonDifference>,
}

#[derive(Serialize)]
struct JsonSide<'a> {
    label: &'a str,
    scenario: &'a str,
    file: &'a str,
    title: &'a str,
    params: BTreeMap<&'a str, &'a str>,
    first_seed: u64,
    runs: u64,
    passed_runs: u64,
    passed: bool,
    failed_seeds: &'a [u64],
    steps: Vec<JsonStep<'a>>,
    expectations: Vec<JsonRate<'a>>,
    timers: BTreeMap<&'a str, JsonTimer>,
    wall_total_us: u64,
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
    outcome: &'a str,
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

#[derive(Serialize)]
struct JsonTimer {
    count: u64,
    min_us: u64,
    p50_us: u64,
    p90_us: u64,
    p99_us: u64,
    max_us: u64,
    mean_us: u64,
}

/// One row that differs: which section, what (a step `server line 27`, a timer
/// statistic `rtt p50`, an expectation), and the two sides as the table shows them
/// (`null` for a side without that row).
#[derive(Serialize)]
struct JsonDifference {
    section: &'static str,
    what: String,
    a: Option<serde_json::Value>,
    b: Option<serde_json::Value>,
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

fn timer(s: &TimerStats) -> JsonTimer {
    JsonTimer {
        count: s.count,
        min_us: micros(s.min),
        p50_us: micros(s.p50),
        p90_us: micros(s.p90),
        p99_us: micros(s.p99),
        max_us: micros(s.max),
        mean_us: micros(s.mean),
    }
}

fn side(s: &Side) -> JsonSide<'_> {
    let summary = &s.summary;
    JsonSide {
        label: &s.label,
        scenario: &summary.scenario,
        file: &summary.file,
        title: &s.title,
        params: s
            .params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect(),
        first_seed: summary.first_seed,
        runs: summary.runs,
        passed_runs: summary.passed_runs,
        passed: summary.passed(),
        failed_seeds: &summary.failed_seeds,
        steps: summary
            .steps
            .iter()
            .map(|st| JsonStep {
                actor: &st.actor,
                line: st.line,
                call: &st.call,
                outcomes: st
                    .outcomes
                    .iter()
                    .map(|o| JsonOutcome {
                        outcome: &o.sizes,
                        data: &o.data,
                        count: o.count,
                    })
                    .collect(),
                other: st.other,
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
        timers: s
            .timers
            .iter()
            .map(|(name, stats)| (name.as_str(), timer(stats)))
            .collect(),
        wall_total_us: micros(summary.wall_total),
    }
}

fn differences(c: &Comparison) -> Vec<JsonDifference> {
    use serde_json::json;
    let mut out = Vec::new();
    if c.runs_differ {
        out.push(JsonDifference {
            section: "runs",
            what: "runs passed".into(),
            a: Some(json!({"passed": c.a.summary.passed_runs, "runs": c.a.summary.runs})),
            b: Some(json!({"passed": c.b.summary.passed_runs, "runs": c.b.summary.runs})),
        });
    }
    for row in c.steps.iter().filter(|r| r.differs) {
        let (sa, sb) = (c.step_a(row), c.step_b(row));
        let what = sa
            .or(sb)
            .map(|s| format!("{} {}", s.actor, crate::report::shared::call_text(&s.call)))
            .unwrap_or_default();
        let shares = |s: &crate::record::aggregate::StepOutcomes| {
            let mut m = serde_json::Map::new();
            for o in &s.outcomes {
                let n = m
                    .get(&o.sizes)
                    .and_then(serde_json::Value::as_u64)
                    .unwrap_or(0);
                m.insert(o.sizes.clone(), json!(n + o.count));
            }
            if s.other > 0 {
                m.insert("other".into(), json!(s.other));
            }
            json!({"line": s.line, "outcomes": m})
        };
        out.push(JsonDifference {
            section: "chunks",
            what,
            a: sa.map(shares),
            b: sb.map(shares),
        });
    }
    for row in c.timers.iter().filter(|r| r.differs) {
        let v = |t: Option<TimerValue>| {
            t.map(|t| match t {
                TimerValue::Count(n) => json!(n),
                TimerValue::Time(d) => json!(micros(d)),
            })
        };
        let unit = if row.stat == "count" { "" } else { "_us" };
        out.push(JsonDifference {
            section: "timers",
            what: format!("{} {}{unit}", row.timer, row.stat),
            a: v(row.a),
            b: v(row.b),
        });
    }
    for row in c.verdicts.iter().filter(|r| r.differs) {
        let (ea, eb) = (c.verdict_a(row), c.verdict_b(row));
        let what = ea
            .or(eb)
            .map(|e| match &e.actor {
                Some(a) => format!("{a} {}", e.expected),
                None => e.expected.clone(),
            })
            .unwrap_or_default();
        let v = |e: &crate::record::aggregate::ExpectationRate| json!({"line": e.line, "passed": e.passed, "total": e.total});
        out.push(JsonDifference {
            section: "expectations",
            what,
            a: ea.map(v),
            b: eb.map(v),
        });
    }
    out
}

/// The comparison as one JSON object on one line.
pub fn write_json(c: &Comparison, out: &mut dyn Write) -> io::Result<()> {
    let value = JsonCompare {
        compare: true,
        repeat: c.repeat,
        a: side(&c.a),
        b: side(&c.b),
        differences: differences(c),
    };
    let mut line = serde_json::to_vec(&value)?;
    line.push(b'\n');
    out.write_all(&line)
}
