//! `compare`: the summaries of two sides (two scenarios, or one with two parameter sets)
//! set side by side, and what differs between them. This file pairs the rows and decides
//! which differ; `table` and `json` print them.
//!
//! The rules, as the help text and the README state them:
//!
//! - recv-like steps are paired by actor and order: the k-th recv-like step (in line
//!   order) of an actor in A with the k-th of the same actor in B, so that two files
//!   whose lines are shifted still line up; a step without a partner stands alone;
//! - chunkings differ when the *sets* of chunk patterns differ (`2+2` on one side only),
//!   not when the same patterns come with other shares (that is the noise of a race);
//! - a timer's statistic differs when one side's value is at least twice the other's and
//!   the two are at least [`TIMER_GAP`] apart (loopback jitter is well under that); a
//!   count differs when it is not equal;
//! - expectations are paired by actor and text (the k-th one of the same text with the
//!   k-th), and differ when their pass rates differ or one side has none.

mod json;
mod table;

use std::collections::BTreeMap;
use std::time::Duration;

use crate::record::TimerStats;
use crate::record::aggregate::{ExpectationRate, StepOutcomes, Summary};

pub use json::write_json;
pub use table::render_table;

/// The least gap between two timer values that is marked as a difference.
pub const TIMER_GAP: Duration = Duration::from_millis(1);

/// The marker of a row that differs, in every format and language.
pub const DIFFERS: &str = "≠";

/// One side of a comparison: what ran and what its runs came to.
#[derive(Debug, Clone, PartialEq)]
pub struct Side {
    /// The scenario's name, with the parameters set on the command line for this side
    /// (`nagle-stall rounds=5`).
    pub label: String,
    /// The title in the report's language (empty if the scenario has none).
    pub title: String,
    /// The `--param`s of this side, as given.
    pub params: Vec<(String, String)>,
    pub summary: Summary,
    /// Every timer over all the samples of all runs.
    pub timers: BTreeMap<String, TimerStats>,
}

/// Two recv-like steps paired (or one alone), by index into each side's steps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepRow {
    pub a: Option<usize>,
    pub b: Option<usize>,
    pub differs: bool,
}

/// One statistic of one timer on both sides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimerRow {
    pub timer: String,
    /// `count`, `min`, `p50`, `p90`, `max`.
    pub stat: &'static str,
    pub a: Option<TimerValue>,
    pub b: Option<TimerValue>,
    pub differs: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimerValue {
    Count(u64),
    Time(Duration),
}

/// One expectation on both sides, by index into each side's expectations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerdictRow {
    pub a: Option<usize>,
    pub b: Option<usize>,
    pub differs: bool,
}

/// Two sides and their rows, paired.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub a: Side,
    pub b: Side,
    /// How many runs each side was asked for.
    pub repeat: u64,
    pub steps: Vec<StepRow>,
    pub timers: Vec<TimerRow>,
    pub verdicts: Vec<VerdictRow>,
    /// The share of runs that passed differs.
    pub runs_differ: bool,
}

/// The statistics of a timer shown, in this order.
const STATS: [&str; 5] = ["count", "min", "p50", "p90", "max"];

impl Comparison {
    pub fn new(a: Side, b: Side, repeat: u64) -> Comparison {
        let steps = pair_steps(&a.summary.steps, &b.summary.steps);
        let timers = timer_rows(&a.timers, &b.timers);
        let verdicts = pair_verdicts(&a.summary.expectations, &b.summary.expectations);
        let runs_differ = rates_differ(
            (a.summary.passed_runs, a.summary.runs),
            (b.summary.passed_runs, b.summary.runs),
        );
        Comparison {
            a,
            b,
            repeat,
            steps,
            timers,
            verdicts,
            runs_differ,
        }
    }

    /// How many rows differ, in all sections.
    pub fn differences(&self) -> usize {
        self.steps.iter().filter(|r| r.differs).count()
            + self.timers.iter().filter(|r| r.differs).count()
            + self.verdicts.iter().filter(|r| r.differs).count()
            + usize::from(self.runs_differ)
    }

    pub fn step_a(&self, row: &StepRow) -> Option<&StepOutcomes> {
        row.a.and_then(|i| self.a.summary.steps.get(i))
    }

    pub fn step_b(&self, row: &StepRow) -> Option<&StepOutcomes> {
        row.b.and_then(|i| self.b.summary.steps.get(i))
    }

    pub fn verdict_a(&self, row: &VerdictRow) -> Option<&ExpectationRate> {
        row.a.and_then(|i| self.a.summary.expectations.get(i))
    }

    pub fn verdict_b(&self, row: &VerdictRow) -> Option<&ExpectationRate> {
        row.b.and_then(|i| self.b.summary.expectations.get(i))
    }
}

/// Indexes of `items` in line order, each with its rank among the items of the same key
/// (the k-th recv-like step of `server`).
fn ranked<T>(
    items: &[T],
    line: impl Fn(&T) -> u32,
    key: impl Fn(&T) -> String,
) -> Vec<(usize, String, usize)> {
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by_key(|&i| (line(&items[i]), i));
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    order
        .into_iter()
        .map(|i| {
            let k = key(&items[i]);
            let rank = seen.entry(k.clone()).or_insert(0);
            let out = (i, k, *rank);
            *rank += 1;
            out
        })
        .collect()
}

/// Pairs the items of A with those of B of the same key and rank: A's in line order,
/// then B's left alone.
fn pair<T>(
    a: &[T],
    b: &[T],
    line: impl Fn(&T) -> u32 + Copy,
    key: impl Fn(&T) -> String + Copy,
) -> Vec<(Option<usize>, Option<usize>)> {
    let ranked_b = ranked(b, line, key);
    let mut used = vec![false; b.len()];
    let mut rows = Vec::new();
    for (i, k, rank) in ranked(a, line, key) {
        let partner = ranked_b
            .iter()
            .find(|(_, kb, rb)| *kb == k && *rb == rank)
            .map(|(j, _, _)| *j);
        if let Some(j) = partner {
            used[j] = true;
        }
        rows.push((Some(i), partner));
    }
    for (j, _, _) in ranked_b {
        if !used[j] {
            rows.push((None, Some(j)));
        }
    }
    rows
}

fn pair_steps(a: &[StepOutcomes], b: &[StepOutcomes]) -> Vec<StepRow> {
    pair(a, b, |s| s.line, |s| s.actor.clone())
        .into_iter()
        .map(|(ia, ib)| {
            let differs = match (ia.and_then(|i| a.get(i)), ib.and_then(|j| b.get(j))) {
                (Some(sa), Some(sb)) => patterns(sa) != patterns(sb),
                _ => true,
            };
            StepRow {
                a: ia,
                b: ib,
                differs,
            }
        })
        .collect()
}

/// The chunk patterns a step saw, as a set (`other outcomes` counts as one).
fn patterns(step: &StepOutcomes) -> Vec<String> {
    let mut set: Vec<String> = step.outcomes.iter().map(|o| o.sizes.clone()).collect();
    if step.other > 0 {
        set.push(String::new());
    }
    set.sort();
    set.dedup();
    set
}

fn pair_verdicts(a: &[ExpectationRate], b: &[ExpectationRate]) -> Vec<VerdictRow> {
    let key =
        |e: &ExpectationRate| format!("{}\u{0}{}", e.actor.as_deref().unwrap_or(""), e.expected);
    pair(a, b, |e| e.line, key)
        .into_iter()
        .map(|(ia, ib)| {
            let differs = match (ia.and_then(|i| a.get(i)), ib.and_then(|j| b.get(j))) {
                (Some(ea), Some(eb)) => rates_differ((ea.passed, ea.total), (eb.passed, eb.total)),
                _ => true,
            };
            VerdictRow {
                a: ia,
                b: ib,
                differs,
            }
        })
        .collect()
}

/// Two shares `passed / total` differ (compared exactly, as fractions).
fn rates_differ((pa, ta): (u64, u64), (pb, tb): (u64, u64)) -> bool {
    u128::from(pa) * u128::from(tb) != u128::from(pb) * u128::from(ta)
}

fn timer_rows(a: &BTreeMap<String, TimerStats>, b: &BTreeMap<String, TimerStats>) -> Vec<TimerRow> {
    let mut names: Vec<&String> = a.keys().chain(b.keys()).collect();
    names.sort();
    names.dedup();
    let mut rows = Vec::new();
    for name in names {
        for stat in STATS {
            let va = a.get(name).map(|s| value(s, stat));
            let vb = b.get(name).map(|s| value(s, stat));
            let differs = match (va, vb) {
                (Some(x), Some(y)) => values_differ(x, y),
                _ => true,
            };
            rows.push(TimerRow {
                timer: name.clone(),
                stat,
                a: va,
                b: vb,
                differs,
            });
        }
    }
    rows
}

fn value(stats: &TimerStats, stat: &str) -> TimerValue {
    match stat {
        "count" => TimerValue::Count(stats.count),
        "min" => TimerValue::Time(stats.min),
        "p50" => TimerValue::Time(stats.p50),
        "p90" => TimerValue::Time(stats.p90),
        _ => TimerValue::Time(stats.max),
    }
}

/// Counts differ when unequal; times when one is at least twice the other and they are
/// at least [`TIMER_GAP`] apart.
fn values_differ(a: TimerValue, b: TimerValue) -> bool {
    match (a, b) {
        (TimerValue::Count(x), TimerValue::Count(y)) => x != y,
        (TimerValue::Time(x), TimerValue::Time(y)) => {
            let (small, large) = if x <= y { (x, y) } else { (y, x) };
            large.saturating_sub(small) >= TIMER_GAP && large >= small.saturating_mul(2)
        }
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::time::Duration;

    use super::{Comparison, Side, TimerValue, values_differ};
    use crate::record::TimerStats;
    use crate::record::aggregate::{ExpectationRate, Outcome, StepOutcomes, Summary};

    fn step(actor: &str, line: u32, sizes: &[(&str, u64)]) -> StepOutcomes {
        StepOutcomes {
            actor: actor.into(),
            line,
            call: "recv 1024".into(),
            outcomes: sizes
                .iter()
                .map(|&(s, count)| Outcome {
                    sizes: s.into(),
                    data: String::new(),
                    count,
                })
                .collect(),
            other: 0,
        }
    }

    fn side(steps: Vec<StepOutcomes>, p50_ms: u64, held: u64) -> Side {
        let mut timers = BTreeMap::new();
        let ms = Duration::from_millis(p50_ms);
        timers.insert(
            "rtt".to_string(),
            TimerStats {
                count: 20,
                min: ms,
                p50: ms,
                p90: ms,
                p99: ms,
                max: ms,
                mean: ms,
            },
        );
        Side {
            label: "x".into(),
            title: String::new(),
            params: Vec::new(),
            summary: Summary {
                runs: 20,
                passed_runs: held,
                steps,
                expectations: vec![ExpectationRate {
                    line: 9,
                    actor: Some("server".into()),
                    expected: "\"abcd\"".into(),
                    passed: held,
                    total: 20,
                }],
                ..Summary::default()
            },
            timers,
        }
    }

    /// Steps pair by actor and rank, whatever their lines; the same patterns in other
    /// shares do not differ, a pattern of one side only does.
    #[test]
    fn steps_pair_by_actor_and_order_and_differ_by_their_patterns() {
        let a = side(
            vec![
                step("client", 30, &[("2", 20)]),
                step("server", 27, &[("2+2", 15), ("4", 5)]),
            ],
            44,
            20,
        );
        let b = side(
            vec![
                step("server", 28, &[("4", 12), ("2+2", 8)]),
                step("client", 31, &[("2", 20)]),
                step("client", 40, &[("eof", 20)]),
            ],
            44,
            20,
        );
        let c = Comparison::new(a, b, 20);
        let rows: Vec<_> = c.steps.iter().map(|r| (r.a, r.b, r.differs)).collect();
        assert_eq!(
            rows,
            vec![
                (Some(1), Some(0), false),
                (Some(0), Some(1), false),
                (None, Some(2), true)
            ]
        );
        assert_eq!(c.differences(), 1);
    }

    #[test]
    fn timers_and_pass_rates_mark_their_differences() {
        let c = Comparison::new(side(vec![], 44, 20), side(vec![], 0, 19), 20);
        let p50 = c.timers.iter().find(|r| r.stat == "p50");
        assert!(p50.is_some_and(|r| r.differs));
        assert!(c.timers.iter().any(|r| r.stat == "count" && !r.differs));
        assert!(c.runs_differ);
        assert!(c.verdicts[0].differs);
        let same = Comparison::new(side(vec![], 44, 20), side(vec![], 45, 20), 20);
        assert_eq!(same.differences(), 0);
    }

    /// The table marks the rows that differ with `≠`, coloured only when colour is on.
    #[test]
    fn the_table_marks_differences_and_colours_them_on_a_terminal() {
        use crate::report::ReportOptions;
        let c = Comparison::new(side(vec![], 44, 20), side(vec![], 0, 20), 20);
        let plain = super::render_table(&c, &ReportOptions::default());
        let p50 = plain.lines().find(|l| l.contains("rtt p50"));
        assert!(p50.is_some_and(|l| l.contains('≠')), "{plain}");
        assert!(!plain.contains('\x1b'), "{plain}");
        assert!(plain.trim_end().ends_with("≠ 4 rows differ"), "{plain}");
        let options = ReportOptions {
            color: true,
            ..ReportOptions::default()
        };
        let coloured = super::render_table(&c, &options);
        assert!(coloured.contains("\x1b[33m\x1b[1m≠\x1b[0m"), "{coloured}");
    }

    #[test]
    fn small_or_close_times_do_not_differ() {
        let t = |us| TimerValue::Time(Duration::from_micros(us));
        assert!(!values_differ(t(40), t(400)), "under the 1 ms gap");
        assert!(!values_differ(t(44_000), t(60_000)), "less than twice");
        assert!(values_differ(t(44_000), t(50)));
        assert!(values_differ(TimerValue::Count(3), TimerValue::Count(4)));
    }
}
