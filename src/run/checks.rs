//! The `expect:` checks of a scenario (timers and call counts), evaluated once the run
//! is over.

use std::collections::{BTreeMap, HashMap};

use super::world::CallCounts;
use crate::record::{ExpectationResult, TimerStats};
use crate::scenario::ast::{Check, CheckKind, Counted, Stat, StatBound};
use crate::text::fmt_duration;

/// Whether one check held, and what was seen.
pub(crate) fn evaluate(
    check: &Check,
    timers: &BTreeMap<String, TimerStats>,
    counts: &HashMap<String, CallCounts>,
) -> ExpectationResult {
    let (passed, observed) = match &check.kind {
        CheckKind::Timer { name, stat, value } => {
            let stats = timers.get(name).copied().unwrap_or_default();
            let shown = fmt_duration;
            let (passed, seen) = match (stat, value) {
                (Stat::Count, StatBound::Count(n)) => {
                    (check.op.holds(stats.count, *n), stats.count.to_string())
                }
                (Stat::Count, StatBound::Time(_)) => (false, stats.count.to_string()),
                (_, StatBound::Count(_)) => (false, "a duration".to_string()),
                (stat, StatBound::Time(bound)) => {
                    let v = match stat {
                        Stat::Min => stats.min,
                        Stat::P50 => stats.p50,
                        Stat::P90 => stats.p90,
                        Stat::P99 => stats.p99,
                        Stat::Max => stats.max,
                        Stat::Mean | Stat::Count => stats.mean,
                    };
                    (stats.count > 0 && check.op.holds(v, *bound), shown(v))
                }
            };
            let label = format!("{name} {}", stat.name());
            if stats.count == 0 {
                (passed, format!("{label}: no samples"))
            } else {
                (passed, format!("{label} = {seen}"))
            }
        }
        CheckKind::Count { actor, what, value } => {
            let c = counts.get(actor).copied().unwrap_or_default();
            let (n, word) = match what {
                Counted::Sends => (c.sends, "sends"),
                Counted::Recvs => (c.recvs, "recvs"),
                Counted::LargestRecv => (c.largest_recv, "largest recv"),
            };
            (check.op.holds(n, *value), format!("{actor} {word} = {n}"))
        }
    };
    ExpectationResult {
        line: check.line,
        actor: None,
        expected: check.text.clone(),
        observed,
        passed,
    }
}
