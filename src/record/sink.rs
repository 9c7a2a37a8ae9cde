//! Where a run's record goes: a [`Sink`] receives the events of a run one by one, in
//! `seq` order, between a `begin` and an `end`, and keeps only what it needs. A report
//! is a sink that prints; [`Record`] is the sink that keeps everything (for tests, and
//! for `--repeat`, which folds whole records into a summary).

use std::collections::BTreeMap;
use std::time::Duration;

use super::{Blocked, Event, ExpectationResult, Record, TimerStats};

/// What is known of a run before its first event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunStart {
    pub scenario: String,
    pub file: String,
    pub seed: u64,
}

/// What is known of a run only once its last event is in: the verdicts and timings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunEnd {
    /// Step expectations in the order they were checked, then the `expect:` checks.
    pub expectations: Vec<ExpectationResult>,
    pub timers: BTreeMap<String, TimerStats>,
    /// Steps that hit their deadline without expecting `timeout`.
    pub blocked: Vec<Blocked>,
    /// Wall time of the whole run (first barrier to the last actor's end).
    pub wall: Duration,
    /// The run was cut short (Ctrl-C): what it holds is what happened until then.
    pub interrupted: bool,
}

impl RunEnd {
    /// True when every expectation held and no step was blocked: the verdict of a run,
    /// for sinks that keep no record.
    pub fn passed(&self) -> bool {
        passed(&self.expectations, &self.blocked)
    }
}

/// The one rule of a run's verdict, for [`RunEnd`] and [`Record`] alike.
pub(super) fn passed(expectations: &[ExpectationResult], blocked: &[Blocked]) -> bool {
    blocked.is_empty() && expectations.iter().all(|e| e.passed)
}

/// Receives one run: `begin`, then every event in `seq` order, then `end`.
pub trait Sink {
    fn begin(&mut self, start: &RunStart);
    /// One event; the sink copies what it keeps.
    fn event(&mut self, event: &Event);
    /// With a capture (`--wire`, `--pcap`): the run's segments, after the last event and
    /// before `end`. Only the reports that show them keep them.
    fn wire(&mut self, _wire: &crate::wire::Wire) {}
    fn end(&mut self, end: &RunEnd);
}

/// Keeping everything is one way of receiving a run.
impl Sink for Record {
    fn begin(&mut self, start: &RunStart) {
        self.scenario.clone_from(&start.scenario);
        self.file.clone_from(&start.file);
        self.seed = start.seed;
        self.events.clear();
    }

    fn event(&mut self, event: &Event) {
        self.events.push(event.clone());
    }

    fn end(&mut self, end: &RunEnd) {
        self.expectations.clone_from(&end.expectations);
        self.timers.clone_from(&end.timers);
        self.blocked.clone_from(&end.blocked);
        self.wall = end.wall;
        self.interrupted = end.interrupted;
    }
}

impl Record {
    /// Plays a kept record into another sink, as the run once did.
    #[cfg(test)]
    pub fn replay(&self, sink: &mut dyn Sink) {
        sink.begin(&RunStart {
            scenario: self.scenario.clone(),
            file: self.file.clone(),
            seed: self.seed,
        });
        for event in &self.events {
            sink.event(event);
        }
        sink.end(&RunEnd {
            expectations: self.expectations.clone(),
            timers: self.timers.clone(),
            blocked: self.blocked.clone(),
            wall: self.wall,
            interrupted: self.interrupted,
        });
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::Sink;
    use crate::record::{Blocked, Event, ExpectationResult, Op, Record};

    fn kept() -> Record {
        Record {
            scenario: "hello-world".into(),
            file: "hello-world.lab".into(),
            seed: 7,
            events: vec![
                Event {
                    seq: 1,
                    op: Op::Send,
                    verb: Op::Send,
                    ..Event::default()
                },
                Event {
                    seq: 2,
                    op: Op::Recv,
                    verb: Op::Recv,
                    ..Event::default()
                },
            ],
            expectations: vec![ExpectationResult {
                line: 9,
                actor: Some("server".into()),
                expected: "\"helloworld\"".into(),
                observed: "\"hello\"".into(),
                passed: false,
            }],
            blocked: vec![Blocked::outside_steps("client", "why".into())],
            wall: Duration::from_micros(150),
            ..Record::default()
        }
    }

    /// A sink that counts what it is given, in order.
    #[derive(Default)]
    struct Calls(Vec<String>);

    impl Sink for Calls {
        fn begin(&mut self, start: &super::RunStart) {
            self.0
                .push(format!("begin {} seed {}", start.scenario, start.seed));
        }
        fn event(&mut self, event: &Event) {
            self.0.push(format!("event {} {}", event.seq, event.op));
        }
        fn end(&mut self, end: &super::RunEnd) {
            let held = end.expectations.iter().filter(|e| e.passed).count();
            self.0.push(format!(
                "end held {held} of {}, {} blocked",
                end.expectations.len(),
                end.blocked.len()
            ));
        }
    }

    #[test]
    fn a_replayed_record_is_the_same_record() {
        let mut copy = Record::default();
        kept().replay(&mut copy);
        assert_eq!(copy, kept());
    }

    #[test]
    fn a_sink_sees_begin_events_in_order_then_end() {
        let mut calls = Calls::default();
        kept().replay(&mut calls);
        assert_eq!(
            calls.0,
            [
                "begin hello-world seed 7",
                "event 1 send",
                "event 2 recv",
                "end held 0 of 1, 1 blocked",
            ]
        );
    }
}
