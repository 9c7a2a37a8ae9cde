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
    /// Distinct outcomes of the step and how often each came, in the order first seen.
    pub outcomes: Vec<Outcome>,
    /// Outcomes past [`MAX_OUTCOMES`] distinct ones.
    pub other: u64,
}

/// How one execution of a recv-like step went: the chunks its recv() calls returned,
/// and the bytes it got.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// The byte count of each recv() call, joined by `+`, runs of more than three of
    /// one size folded (`10`; `5+5` for two sends read apart; `1000+1000+1004` for a
    /// frame that came in three reads; `1024×61440+613+eof`), and `eof`, `timeout`,
    /// `error NAME`, `N truncated` where a call ended so; `buffered` for a frame decoded
    /// from bytes an earlier step read, with no recv() call of its own.
    pub sizes: String,
    /// The bytes the step got (the decoded body, for `recv frame`), as the language
    /// writes them, shortened in the middle past 40 bytes.
    pub data: String,
    pub count: u64,
}

impl StepOutcomes {
    /// Each outcome as a person reads it, with its count: its sizes, and its data too
    /// where another outcome has the same sizes (random bytes, or a race that changes
    /// what, not how much).
    pub fn shown(&self) -> Vec<(String, u64)> {
        self.outcomes
            .iter()
            .map(|o| {
                let twin = self
                    .outcomes
                    .iter()
                    .any(|other| other.sizes == o.sizes && other.data != o.data);
                let text = if twin || o.data == BYTES_VARY {
                    format!("{} {}", o.sizes, o.data)
                } else {
                    o.sizes.clone()
                };
                (text, o.count)
            })
            .collect()
    }

    /// How many executions of the step were counted.
    pub fn total(&self) -> u64 {
        self.outcomes.iter().map(|o| o.count).sum::<u64>() + self.other
    }
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

    /// Counts one execution of a step. Outcomes of the same sizes are told apart by
    /// their bytes while there are two of them (`"xy"` or `"yz"`: which frame came
    /// second); a third set of bytes for the same sizes (random data) folds them all
    /// into one outcome whose bytes vary.
    fn count_outcome(&mut self, step: usize, sizes: String, data: String) {
        let Some(step) = self.steps.get_mut(step) else {
            return;
        };
        if let Some(entry) = step
            .outcomes
            .iter_mut()
            .find(|o| o.sizes == sizes && o.data == data)
        {
            entry.count += 1;
            return;
        }
        let same: Vec<usize> = (0..step.outcomes.len())
            .filter(|&i| step.outcomes[i].sizes == sizes)
            .collect();
        if let Some((&first, rest)) = same.split_first()
            && (!rest.is_empty() || step.outcomes[first].data == BYTES_VARY)
        {
            let mut count = 1;
            for &i in rest.iter().rev() {
                count += step.outcomes.remove(i).count;
            }
            let entry = &mut step.outcomes[first];
            entry.count += count;
            entry.data = BYTES_VARY.to_string();
        } else if step.outcomes.len() < MAX_OUTCOMES {
            step.outcomes.push(Outcome {
                sizes,
                data,
                count: 1,
            });
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
/// outcome of each execution of a recv-like step (its chunk sizes, folded, and the head
/// and tail of its bytes) until the run's end, where they are counted, unless the run
/// was cut short: an interrupted run is left out whole.
#[derive(Debug, Clone, Default)]
pub struct Fold {
    summary: Summary,
    seed: u64,
    /// Each actor's recv-like step in progress: its events come one after the other.
    open: Vec<StepRun>,
    /// The run's finished step executions: (index into `summary.steps`, sizes, data).
    pending: Vec<(usize, String, String)>,
}

/// One execution of a recv-like step, as its events come.
#[derive(Debug, Clone)]
struct StepRun {
    step: usize,
    actor: String,
    line: u32,
    rounds: Vec<u32>,
    /// The recv() calls so far, a run of equal ones as one entry with its count.
    sizes: Vec<(String, u64)>,
    /// The first [`SHOW`] bytes, the last `SHOW / 2`, and how many in all.
    head: Vec<u8>,
    tail: Vec<u8>,
    len: usize,
}

impl StepRun {
    fn push_size(&mut self, part: String) {
        match self.sizes.last_mut() {
            Some((last, n)) if *last == part => *n += 1,
            _ => self.sizes.push((part, 1)),
        }
    }

    fn push_data(&mut self, bytes: &[u8]) {
        let room = SHOW.saturating_sub(self.head.len());
        self.head.extend_from_slice(&bytes[..room.min(bytes.len())]);
        self.tail
            .extend_from_slice(&bytes[bytes.len().saturating_sub(SHOW / 2)..]);
        let extra = self.tail.len().saturating_sub(SHOW / 2);
        self.tail.drain(..extra);
        self.len += bytes.len();
    }

    /// (sizes, data) as counted.
    fn outcome(&self) -> (String, String) {
        let sizes: Vec<String> = self
            .sizes
            .iter()
            .map(|(part, n)| {
                // Three alike stay readable as they are; more fold: 1024×61440.
                if *n > 3 {
                    format!("{part}×{n}")
                } else if *n > 1 {
                    vec![part.as_str(); usize::try_from(*n).unwrap_or(3)].join("+")
                } else {
                    part.clone()
                }
            })
            .collect();
        let data = if self.len <= SHOW {
            escape::quote(&self.head)
        } else {
            format!(
                "\"{}…{}\" ({} bytes)",
                escape::escape_bytes(&self.head[..SHOW / 2]),
                escape::escape_bytes(&self.tail),
                self.len
            )
        };
        // A frame decoded from bytes an earlier step read makes no recv() call.
        let sizes = if sizes.is_empty() {
            "buffered".to_string()
        } else {
            sizes.join("+")
        };
        (sizes, data)
    }
}

impl Fold {
    pub fn new(summary: Summary) -> Fold {
        Fold {
            summary,
            seed: 0,
            open: Vec::new(),
            pending: Vec::new(),
        }
    }

    /// Ends the step `actor` had in progress, if any.
    fn close(&mut self, actor: &str) {
        if let Some(i) = self.open.iter().position(|r| r.actor == actor) {
            let run = self.open.swap_remove(i);
            let (sizes, data) = run.outcome();
            self.pending.push((run.step, sizes, data));
        }
    }

    pub fn into_summary(self) -> Summary {
        self.summary
    }
}

impl Sink for Fold {
    fn begin(&mut self, start: &RunStart) {
        self.seed = start.seed;
        self.open.clear();
        self.pending.clear();
    }

    fn event(&mut self, event: &Event) {
        let same = |r: &StepRun| {
            r.actor == event.actor && r.line == event.line && r.rounds == event.rounds
        };
        if !self.open.iter().any(same) {
            self.close(&event.actor);
            if !event.verb.is_recv() {
                return;
            }
            let step = self.summary.step_of(event);
            self.open.push(StepRun {
                step,
                actor: event.actor.clone(),
                line: event.line,
                rounds: event.rounds.clone(),
                sizes: Vec::new(),
                head: Vec::new(),
                tail: Vec::new(),
                len: 0,
            });
        }
        let Some(run) = self.open.iter_mut().find(|r| same(r)) else {
            return;
        };
        // The recv() calls of a `recv frame` step make its sizes; its frame event
        // brings the body (or a framing error).
        let frame = event.op == Op::RecvFrame;
        if let Some(part) = call_end(event).filter(|_| !frame || event.error.is_some()) {
            run.push_size(part);
        }
        let data = event.data.as_deref().unwrap_or_default();
        if frame == (event.verb == Op::RecvFrame) {
            run.push_data(data);
        }
    }

    fn end(&mut self, end: &RunEnd) {
        let actors: Vec<String> = self.open.iter().map(|r| r.actor.clone()).collect();
        for actor in actors {
            self.close(&actor);
        }
        if end.interrupted {
            self.pending.clear();
            // Steps first seen in this run have no outcome counted: they go too.
            self.summary
                .steps
                .retain(|s| !s.outcomes.is_empty() || s.other > 0);
            return;
        }
        for (step, sizes, data) in std::mem::take(&mut self.pending) {
            self.summary.count_outcome(step, sizes, data);
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

/// The data of an outcome that stands for several sets of bytes of the same sizes.
pub const BYTES_VARY: &str = "(bytes vary)";

/// How long an outcome's data may be before its middle is left out.
const SHOW: usize = 40;

/// How one recv()-like call ended, as a part of its step's sizes: the byte count, or
/// `eof`, `timeout`, `error NAME`, `N truncated`.
fn call_end(event: &Event) -> Option<String> {
    if !event.op.is_recv() {
        return None;
    }
    Some(if let Some(err) = &event.error {
        format!("error {err}")
    } else if event.timeout {
        "timeout".to_string()
    } else if event.eof {
        "eof".to_string()
    } else {
        let n = event.result.unwrap_or(0);
        if event.truncated {
            format!("{n} truncated")
        } else {
            n.to_string()
        }
    })
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
            s.steps[0].shown(),
            vec![("10".to_string(), 2), ("5".to_string(), 1)]
        );
        assert_eq!(s.steps[0].outcomes[1].data, "\"hello\"");
        assert_eq!((s.expectations[0].passed, s.expectations[0].total), (2, 3));
        assert_eq!(s.held(), (2, 3));
        assert!(!s.passed());
    }

    #[test]
    fn distinct_outcomes_are_capped() {
        let mut s = Summary::new("x", "x.lab", 0);
        // Every run's recv a size of its own: as many distinct outcomes as runs.
        for i in 0..(MAX_OUTCOMES as u64 + 5) {
            let data = vec![b'x'; i as usize + 1];
            s.add(&record(i, &data, true));
        }
        assert_eq!(s.steps[0].outcomes.len(), MAX_OUTCOMES);
        assert_eq!(s.steps[0].other, 5);
    }

    /// Random bytes of one size: after two sets of bytes, a third folds them into one
    /// outcome whose bytes vary, counted whole.
    #[test]
    fn many_sets_of_bytes_of_one_size_fold() {
        let mut s = Summary::new("x", "x.lab", 0);
        for i in 0..10u8 {
            s.add(&record(u64::from(i), &[b'a' + i, b'!'], true));
        }
        assert_eq!(s.steps[0].shown(), vec![("2 (bytes vary)".to_string(), 10)]);
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
        assert_eq!(s.steps[0].shown(), vec![("10".to_string(), 1)]);
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

    /// The events of one run of a step's recv() calls, on one line and round.
    fn chunks(verb: Op, sizes: &[&[u8]], frame: Option<&[u8]>) -> Record {
        let mut events: Vec<Event> = sizes
            .iter()
            .enumerate()
            .map(|(k, data)| Event {
                seq: k as u64 + 1,
                actor: "server".into(),
                line: 9,
                op: Op::Recv,
                verb,
                data: Some(data.to_vec()),
                result: Some(data.len() as u64),
                eof: data.is_empty(),
                ..Event::default()
            })
            .collect();
        if let Some(body) = frame {
            events.push(Event {
                seq: events.len() as u64 + 1,
                actor: "server".into(),
                line: 9,
                op: Op::RecvFrame,
                verb,
                data: Some(body.to_vec()),
                result: Some(body.len() as u64),
                ..Event::default()
            });
        }
        Record {
            events,
            ..Record::default()
        }
    }

    /// A step's outcome is the sizes its recv() calls got, in order: a frame that came
    /// in three reads is `3+3+3`, whatever the reads' bytes; its data is the body.
    #[test]
    fn a_frame_is_counted_by_the_chunks_it_came_in() {
        let mut s = Summary::new("x", "x.lab", 1);
        s.add(&chunks(
            Op::RecvFrame,
            &[b"\0\0\0", b"\x05he", b"llo"],
            Some(b"hello"),
        ));
        s.add(&chunks(
            Op::RecvFrame,
            &[b"\0\0\0\x05hello"],
            Some(b"hello"),
        ));
        assert_eq!(
            s.steps[0].shown(),
            vec![("3+3+3".to_string(), 1), ("9".to_string(), 1)]
        );
        assert_eq!(s.steps[0].outcomes[0].data, "\"hello\"");
    }

    /// Long runs of one size fold; eof ends the pattern.
    #[test]
    fn a_long_read_folds_its_equal_chunks() {
        let mut s = Summary::new("x", "x.lab", 1);
        let big = [b'x'; 4];
        let mut parts: Vec<&[u8]> = vec![&big; 6];
        parts.push(b"yz");
        parts.push(b"");
        s.add(&chunks(Op::Recv, &parts, None));
        assert_eq!(s.steps[0].shown(), vec![("4×6+2+eof".to_string(), 1)]);
        assert_eq!(
            s.steps[0].outcomes[0].data,
            "\"xxxxxxxxxxxxxxxxxxxxxxxxyz\""
        );
    }

    /// Outcomes of the same sizes but other bytes show their data, to tell them apart.
    #[test]
    fn twins_by_size_show_their_data() {
        let mut s = Summary::new("x", "x.lab", 1);
        s.add(&chunks(Op::Recv, &[b"ab"], None));
        s.add(&chunks(Op::Recv, &[b"cd"], None));
        s.add(&chunks(Op::Recv, &[b"abc"], None));
        assert_eq!(
            s.steps[0].shown(),
            vec![
                ("2 \"ab\"".to_string(), 1),
                ("2 \"cd\"".to_string(), 1),
                ("3".to_string(), 1)
            ]
        );
    }
}
