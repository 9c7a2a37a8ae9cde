//! The timers of many runs pooled: every sample of every run, so the percentiles of
//! `compare` are those of all the rounds of all the runs (a run's [`RunEnd`] has only its
//! own statistics). A sample is rebuilt from the times of the `timer start` and `timer
//! stop` events (when each call began), which is how far apart the runner's own two
//! clock readings are, to within the microsecond the two calls take.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use super::{Event, Op, RunEnd, RunStart, Sink, TimerStats};

/// How many samples of one timer are kept across the runs; later ones are left out (a
/// scenario of 60,000 rounds run 1000 times would otherwise keep 60 million).
pub const MAX_SAMPLES: usize = 1_000_000;

/// A sink that pools the timer samples of the runs it receives (a run cut short by
/// Ctrl-C is left out).
#[derive(Debug, Default)]
pub struct TimerPool {
    samples: BTreeMap<String, Vec<Duration>>,
    /// The samples of the run in progress.
    run: BTreeMap<String, Vec<Duration>>,
    started: HashMap<String, Duration>,
}

impl TimerPool {
    /// The statistics of every timer over all the samples kept.
    pub fn stats(&self) -> BTreeMap<String, TimerStats> {
        self.samples
            .iter()
            .map(|(name, samples)| (name.clone(), TimerStats::from_samples(samples)))
            .collect()
    }
}

/// The timer a `timer start NAME` / `timer stop NAME` step names.
fn timer_name(call: &str) -> Option<&str> {
    call.split_whitespace().nth(2)
}

impl Sink for TimerPool {
    fn begin(&mut self, _start: &RunStart) {
        self.run.clear();
        self.started.clear();
    }

    fn event(&mut self, event: &Event) {
        let Some(name) = timer_name(&event.call) else {
            return;
        };
        match event.op {
            Op::TimerStart => {
                self.started.insert(name.to_string(), event.t);
            }
            Op::TimerStop if event.error.is_none() => {
                if let Some(started) = self.started.remove(name) {
                    let sample = event.t.saturating_sub(started);
                    self.run.entry(name.to_string()).or_default().push(sample);
                }
            }
            _ => {}
        }
    }

    fn end(&mut self, end: &RunEnd) {
        if end.interrupted {
            self.run.clear();
            return;
        }
        for (name, samples) in std::mem::take(&mut self.run) {
            let kept = self.samples.entry(name).or_default();
            let room = MAX_SAMPLES.saturating_sub(kept.len());
            kept.extend(samples.into_iter().take(room));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::TimerPool;
    use crate::record::{Event, Op, Record};

    fn timer(op: Op, name: &str, ms: u64) -> Event {
        let verb = if op == Op::TimerStart {
            "start"
        } else {
            "stop"
        };
        Event {
            actor: "client".into(),
            op,
            verb: op,
            call: format!("timer {verb} {name}"),
            t: Duration::from_millis(ms),
            ..Event::default()
        }
    }

    fn run(pairs: &[(u64, u64)], interrupted: bool) -> Record {
        let events = pairs
            .iter()
            .flat_map(|&(a, b)| {
                [
                    timer(Op::TimerStart, "rtt", a),
                    timer(Op::TimerStop, "rtt", b),
                ]
            })
            .collect();
        Record {
            events,
            interrupted,
            ..Record::default()
        }
    }

    #[test]
    fn samples_of_all_runs_are_pooled_and_an_interrupted_run_left_out() {
        let mut pool = TimerPool::default();
        run(&[(0, 10), (10, 30)], false).replay(&mut pool);
        run(&[(0, 40)], false).replay(&mut pool);
        run(&[(0, 1000)], true).replay(&mut pool);
        let stats = pool.stats();
        let rtt = stats.get("rtt").copied().unwrap_or_default();
        assert_eq!(rtt.count, 3);
        assert_eq!(rtt.p50, Duration::from_millis(20));
        assert_eq!(rtt.max, Duration::from_millis(40));
    }
}
