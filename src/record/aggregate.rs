//! Many runs of one scenario folded into one [`Summary`] as they finish: how often each
//! recv saw each outcome, and how often each expectation held. [`Fold`] is the sink that
//! does it as the runs go: it keeps the outcome texts of the run in progress and nothing
//! of the runs before, so memory does not grow with the number of runs.

use std::time::Duration;

#[cfg(test)]
use super::Record;
use super::{Event, Op, RunEnd, RunStart, Sink};
use crate::text::escape;

/// How many distinct outcomes of one step are counted one by one; the rest are counted
/// together as "other outcomes" (random data would otherwise make every run distinct).
pub const MAX_OUTCOMES: usize = 12;
/// How many seeds of failed runs are kept, to replay them.
pub const MAX_FAILED_SEEDS: usize = 10;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    pub scenario: String,
    pub file: String,
    /// The seed of the first run; run k used `first_seed + k`.
    pub first_seed: u64,
    pub runs: u64,
    pub passed_runs: u64,
    /// Seeds of the first failed runs.
    pub failed_seeds: Vec<u64>,
    /// Every recv/recvfrom/recv frame step, in the order first seen.
    pub steps: Vec<StepOutcomes>,
    /// Every expectation, in the order first seen.
    pub expectations: Vec<ExpectationRate>,
    /// Wall time of the runs: sum, fastest, slowest.
    pub wall_total: Duration,
    pub wall_min: Duration,
    pub wall_max: Duration,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct StepOutcomes {
    pub actor: String,
    pub line: u32,
    pub call: String,
    /// Distinct outcomes (`"helloworld"`, `eof`, `error ECONNRESET`) and their counts,
    /// in the order first seen.
    pub outcomes: Vec<(String, u64)>,
    /// Outcomes past [`MAX_OUTCOMES`] distinct ones.
    pub other: u64,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExpectationRate {
    pub line: u32,
    pub actor: Option<String>,
    pub expected: String,
    pub passed: u64,
    pub total: u64,
}

impl Summary {
    pub fn new(scenario: &str, file: &str, first_seed: u64) -> Summary {
        Summary {
            scenario: scenario.to_string(),
            file: file.to_string(),
            first_seed,
            wall_min: Duration::MAX,
            ..Summary::default()
        }
    }

    /// Folds one kept run in, as [`Fold`] does while a run goes.
    #[cfg(test)]
    pub fn add(&mut self, record: &Record) {
        let mut fold = Fold::new(std::mem::take(self));
        record.replay(&mut fold);
        *self = fold.into_summary();
    }

    /// Counts a run that ended: its verdict, its wall time, its expectations.
    fn count_run(&mut self, seed: u64, end: &RunEnd) {
        self.runs += 1;
        if end.passed() {
            self.passed_runs += 1;
        } else if self.failed_seeds.len() < MAX_FAILED_SEEDS {
            self.failed_seeds.push(seed);
        }
        self.wall_total += end.wall;
        self.wall_min = self.wall_min.min(end.wall);
        self.wall_max = self.wall_max.max(end.wall);
        let checks = end
            .expectations
            .iter()
            .map(|e| (e.line, e.actor.clone(), e.expected.clone(), e.passed));
        // A blocked step counts as an expectation that failed: "not blocked".
        let blocked = end.blocked.iter().map(|b| {
            let expected = format!("not blocked: {}", b.call);
            (b.line, Some(b.actor.clone()), expected, false)
        });
        for (line, actor, expected, passed) in checks.chain(blocked) {
            let rate = find_or_push(
                &mut self.expectations,
                |r| r.line == line && r.actor == actor && r.expected == expected,
                || ExpectationRate {
                    line,
                    actor: actor.clone(),
                    expected: expected.clone(),
                    passed: 0,
                    total: 0,
                },
            );
            rate.total += 1;
            rate.passed += u64::from(passed);
        }
    }

    /// The index of the step that made `event`, added (with no outcome yet) the first
    /// time it is seen, so that steps stay in the order first seen.
    fn step_of(&mut self, event: &Event) -> usize {
        let line = event.line;
        let i = self
            .steps
            .iter()
            .position(|s| s.line == line && s.actor == event.actor);
        i.unwrap_or_else(|| {
            self.steps.push(StepOutcomes {
                actor: event.actor.clone(),
                line,
                call: event.call.clone(),
                outcomes: Vec::new(),
                other: 0,
            });
            self.steps.len() - 1
        })
    }

    fn count_outcome(&mut self, step: usize, outcome: String) {
        let Some(step) = self.steps.get_mut(step) else {
            return;
        };
        if let Some(entry) = step.outcomes.iter_mut().find(|(o, _)| *o == outcome) {
            entry.1 += 1;
        } else if step.outcomes.len() < MAX_OUTCOMES {
            step.outcomes.push((outcome, 1));
        } else {
            step.other += 1;
        }
    }

    /// True when every run passed.
    pub fn passed(&self) -> bool {
        self.runs > 0 && self.passed_runs == self.runs
    }

    /// Expectations held over expectations checked, across all runs.
    pub fn held(&self) -> (u64, u64) {
        self.expectations
            .iter()
            .fold((0, 0), |(p, t), r| (p + r.passed, t + r.total))
    }
}

/// Folds runs into a [`Summary`] as a sink. Of the run in progress it keeps only the
/// outcome of each recv (a short text, not the data) until the run's end, where they
/// are counted, unless the run was cut short: an interrupted run is left out whole.
#[derive(Debug, Clone, Default)]
pub struct Fold {
    summary: Summary,
    seed: u64,
    /// The run's recv outcomes so far, by index into `summary.steps`.
    pending: Vec<(usize, String)>,
}

impl Fold {
    pub fn new(summary: Summary) -> Fold {
        Fold {
            summary,
            seed: 0,
            pending: Vec::new(),
        }
    }

    pub fn into_summary(self) -> Summary {
        self.summary
    }
}

impl Sink for Fold {
    fn begin(&mut self, start: &RunStart) {
        self.seed = start.seed;
        self.pending.clear();
    }

    fn event(&mut self, event: &Event) {
        if let Some(outcome) = recv_outcome(event) {
            let step = self.summary.step_of(event);
            self.pending.push((step, outcome));
        }
    }

    fn end(&mut self, end: &RunEnd) {
        if end.interrupted {
            self.pending.clear();
            // Steps first seen in this run have no outcome counted: they go too.
            self.summary
                .steps
                .retain(|s| !s.outcomes.is_empty() || s.other > 0);
            return;
        }
        for (step, outcome) in std::mem::take(&mut self.pending) {
            self.summary.count_outcome(step, outcome);
        }
        self.summary.count_run(self.seed, end);
    }
}

/// The verdict of one run and nothing else, for a run whose report keeps no record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Verdict {
    /// Every expectation held and no step was blocked.
    pub passed: bool,
    /// The run was cut short (Ctrl-C).
    pub interrupted: bool,
}

impl Sink for Verdict {
    fn begin(&mut self, _start: &RunStart) {}

    fn event(&mut self, _event: &Event) {}

    fn end(&mut self, end: &RunEnd) {
        self.passed = end.passed();
        self.interrupted = end.interrupted;
    }
}

/// The entry `is_it` picks, pushed by `make` if there is none (entries stay in the order
/// they were first seen).
fn find_or_push<T>(
    list: &mut Vec<T>,
    is_it: impl Fn(&T) -> bool,
    make: impl FnOnce() -> T,
) -> &mut T {
    let i = match list.iter().position(is_it) {
        Some(i) => i,
        None => {
            list.push(make());
            list.len() - 1
        }
    };
    &mut list[i]
}

/// How long an outcome's data may be before its middle is left out.
const SHOW: usize = 40;

/// The outcome of one recv()-like call, or None for other events (and for the recv()
/// calls inside `recv frame`, whose frame is the outcome).
fn recv_outcome(event: &Event) -> Option<String> {
    if !event.op.is_recv() || (event.verb == Op::RecvFrame && event.op == Op::Recv) {
        return None;
    }
    let text = if let Some(err) = &event.error {
        format!("error {err}")
    } else if event.timeout {
        "timeout".to_string()
    } else if event.eof {
        "eof".to_string()
    } else {
        let data = event.data.as_deref().unwrap_or_default();
        let mut t = escape::quote_short(data, SHOW);
        if event.truncated {
            t.push_str(" truncated");
        }
        t
    };
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::{Fold, MAX_OUTCOMES, Summary, Verdict};
    use crate::record::{Event, ExpectationResult, Op, Record, RunEnd, RunStart, Sink};

    fn record(seed: u64, data: &[u8], passed: bool) -> Record {
        Record {
            seed,
            events: vec![Event {
                actor: "server".into(),
                line: 7,
                op: Op::Recv,
                call: "recv 1024".into(),
                data: Some(data.to_vec()),
                result: Some(data.len() as u64),
                ..Event::default()
            }],
            expectations: vec![ExpectationResult {
                line: 7,
                actor: Some("server".into()),
                expected: "\"helloworld\"".into(),
                observed: String::new(),
                passed,
            }],
            ..Record::default()
        }
    }

    #[test]
    fn outcomes_are_counted_per_step() {
        let mut s = Summary::new("x", "x.lab", 10);
        s.add(&record(10, b"helloworld", true));
        s.add(&record(11, b"hello", false));
        s.add(&record(12, b"helloworld", true));
        assert_eq!(s.runs, 3);
        assert_eq!(s.passed_runs, 2);
        assert_eq!(s.failed_seeds, vec![11]);
        assert_eq!(
            s.steps[0].outcomes,
            vec![
                ("\"helloworld\"".to_string(), 2),
                ("\"hello\"".to_string(), 1)
            ]
        );
        assert_eq!((s.expectations[0].passed, s.expectations[0].total), (2, 3));
        assert_eq!(s.held(), (2, 3));
        assert!(!s.passed());
    }

    #[test]
    fn distinct_outcomes_are_capped() {
        let mut s = Summary::new("x", "x.lab", 0);
        for i in 0..(MAX_OUTCOMES as u64 + 5) {
            s.add(&record(i, i.to_string().as_bytes(), true));
        }
        assert_eq!(s.steps[0].outcomes.len(), MAX_OUTCOMES);
        assert_eq!(s.steps[0].other, 5);
    }

    #[test]
    fn a_fold_counts_the_runs_that_ended_and_leaves_out_an_interrupted_one() {
        let mut fold = Fold::new(Summary::new("x", "x.lab", 10));
        record(10, b"helloworld", true).replay(&mut fold);
        let mut cut = record(11, b"hello", false);
        cut.interrupted = true;
        cut.replay(&mut fold);
        let s = fold.into_summary();
        assert_eq!((s.runs, s.passed_runs), (1, 1));
        assert_eq!(s.steps[0].outcomes, vec![("\"helloworld\"".to_string(), 1)]);
    }

    #[test]
    fn a_verdict_is_the_records_verdict() {
        for passed in [true, false] {
            let mut verdict = Verdict::default();
            let record = record(1, b"x", passed);
            record.replay(&mut verdict);
            assert_eq!(verdict.passed, record.passed());
        }
        let mut verdict = Verdict::default();
        verdict.begin(&RunStart {
            scenario: String::new(),
            file: String::new(),
            seed: 0,
        });
        verdict.end(&RunEnd {
            interrupted: true,
            ..RunEnd::default()
        });
        assert!(verdict.passed && verdict.interrupted);
    }
}
