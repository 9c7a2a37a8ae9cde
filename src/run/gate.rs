//! Class mode's gate: the steps of a run in groups that a teacher releases one at a
//! time (`run --step`, `run --slow 2s`).
//!
//! A group is a paragraph of the file: lines the author separated by a blank line (or a
//! comment line that is exactly `# pause`), and each round of a `repeat` block once per
//! round. The lines of one group run together, as they would without a gate: a pause
//! between `send "ab"` and `send "cd"` would let "ab" be acknowledged, and nagle-stall
//! would never stall. An actor waits at the gate before a step of a group not yet
//! released; a step already released may block in the kernel (a recv waiting for the
//! send of a later group), and the class sees it waiting.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::scenario::Scenario;
use crate::scenario::ast::Item;

/// Where a step line falls: its group outside any `repeat`, or its place in a block's
/// rounds (the group of round k is `base + k * per_round + offset`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Place {
    base: u64,
    per_round: u64,
    offset: u64,
}

/// One step line of the file, for showing what a group will run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub line: u32,
    pub actor: String,
    pub text: String,
    place: Place,
    /// Rounds of its outermost `repeat` (1 outside any).
    count: u64,
}

/// The groups of one scenario.
#[derive(Debug, Clone)]
pub struct Schedule {
    lines: Vec<Line>,
    places: HashMap<u32, Place>,
    total: u64,
}

impl Schedule {
    /// The groups of `scenario`, whose source is `source` (for its blank lines).
    pub fn new(scenario: &Scenario, source: &str) -> Schedule {
        let breaks: Vec<bool> = source
            .lines()
            .map(|l| {
                let t = l.trim();
                t.is_empty() || t == "# pause"
            })
            .collect();
        // A break between two lines (1-based, exclusive).
        let broken = |a: u32, b: u32| {
            (a + 1..b).any(|l| breaks.get(l as usize - 1).copied().unwrap_or(false))
        };
        let mut lines = Vec::new();
        let mut places = HashMap::new();
        let mut group: u64 = 0;
        let mut prev: Option<u32> = None;
        let mut fresh = false;
        for item in &scenario.body {
            match item {
                Item::Step(s) => {
                    if prev.is_some_and(|p| fresh || broken(p, s.line)) {
                        group += 1;
                    }
                    fresh = false;
                    let place = Place {
                        base: group,
                        per_round: 0,
                        offset: 0,
                    };
                    places.insert(s.line, place);
                    lines.push(Line {
                        line: s.line,
                        actor: s.actor.clone(),
                        text: s.text.clone(),
                        place,
                        count: 1,
                    });
                    prev = Some(s.line);
                }
                Item::Repeat(r) => {
                    let mut steps = Vec::new();
                    flatten(&r.body, &mut steps);
                    // A block that runs no time has no group.
                    if steps.is_empty() || r.count == 0 {
                        continue;
                    }
                    if prev.is_some() {
                        group += 1;
                    }
                    let mut offset = 0;
                    let mut last: Option<u32> = None;
                    let mut inside = Vec::new();
                    for (line, actor, text) in steps {
                        if last.is_some_and(|p| broken(p, line)) {
                            offset += 1;
                        }
                        inside.push((line, actor, text, offset));
                        last = Some(line);
                    }
                    let per_round = offset + 1;
                    for (line, actor, text, offset) in inside {
                        let place = Place {
                            base: group,
                            per_round,
                            offset,
                        };
                        places.insert(line, place);
                        lines.push(Line {
                            line,
                            actor,
                            text,
                            place,
                            count: r.count,
                        });
                    }
                    group += (r.count * per_round).saturating_sub(1);
                    prev = last;
                    fresh = true;
                }
            }
        }
        let total = if lines.is_empty() { 0 } else { group + 1 };
        Schedule {
            lines,
            places,
            total,
        }
    }

    /// How many groups the run has.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// The group of the step at `line` in `rounds` (the rounds of its `repeat` blocks,
    /// outermost first).
    pub fn group(&self, line: u32, rounds: &[u32]) -> u64 {
        self.places.get(&line).map_or(0, |p| {
            p.base + u64::from(rounds.first().copied().unwrap_or(0)) * p.per_round + p.offset
        })
    }

    /// The lines group `k` runs, and its round of a `repeat` (counted from 1), if any.
    pub fn lines_of(&self, k: u64) -> (Vec<&Line>, Option<u64>) {
        let mut round = None;
        let lines = self
            .lines
            .iter()
            .filter(|l| {
                let p = l.place;
                if p.per_round == 0 {
                    return p.base == k;
                }
                let span = l.count * p.per_round;
                if k < p.base || k >= p.base + span {
                    return false;
                }
                let within = k - p.base;
                if within % p.per_round == p.offset {
                    round = Some(within / p.per_round + 1);
                    true
                } else {
                    false
                }
            })
            .collect();
        (lines, round)
    }
}

fn flatten(items: &[Item], out: &mut Vec<(u32, String, String)>) {
    for item in items {
        match item {
            Item::Step(s) => out.push((s.line, s.actor.clone(), s.text.clone())),
            Item::Repeat(r) => flatten(&r.body, out),
        }
    }
}

/// The gate between the teacher and the actors: how many groups are released, and what
/// each actor is doing.
#[derive(Debug)]
pub struct Gate {
    pub schedule: Schedule,
    released: AtomicU64,
    /// Per actor, the step it last began (line, text), or the group it waits for.
    state: Mutex<HashMap<String, ActorState>>,
    /// How long the run has been held (the teacher talking before a key, or the timer
    /// of `--slow`): the time held before, and since when it is held now.
    held: Mutex<(Duration, Option<Instant>)>,
}

/// What an actor is doing, as the gate sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActorState {
    /// Waiting at the gate for group `k` to be released.
    Waiting(u64),
    /// In the step at `line` in `rounds` (its call may be blocked in the kernel).
    In {
        line: u32,
        rounds: Vec<u32>,
        text: String,
    },
}

impl Gate {
    pub fn new(schedule: Schedule) -> Gate {
        Gate {
            schedule,
            released: AtomicU64::new(0),
            state: Mutex::new(HashMap::new()),
            held: Mutex::new((Duration::ZERO, None)),
        }
    }

    /// The run is held until the next release: a step's deadline does not run meanwhile
    /// (a recv released before the send that satisfies it waits for the class, not
    /// against its deadline).
    pub fn hold(&self) {
        if let Ok(mut held) = self.held.lock() {
            held.1.get_or_insert_with(Instant::now);
        }
    }

    /// All the time the run has been held so far.
    pub fn held(&self) -> Duration {
        self.held
            .lock()
            .map(|h| h.0 + h.1.map_or(Duration::ZERO, |since| since.elapsed()))
            .unwrap_or_default()
    }

    /// Lets the steps of groups before `k` run.
    pub fn release(&self, k: u64) {
        self.released.fetch_max(k, Ordering::SeqCst);
        if let Ok(mut held) = self.held.lock()
            && let Some(since) = held.1.take()
        {
            held.0 += since.elapsed();
        }
    }

    /// Lets every step run.
    pub fn release_all(&self) {
        self.release(u64::MAX);
    }

    pub fn released(&self) -> u64 {
        self.released.load(Ordering::SeqCst)
    }

    /// What every actor is doing.
    pub fn states(&self) -> HashMap<String, ActorState> {
        self.state.lock().map(|s| s.clone()).unwrap_or_default()
    }

    pub(crate) fn set(&self, actor: &str, state: ActorState) {
        if let Ok(mut s) = self.state.lock() {
            s.insert(actor.to_owned(), state);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Schedule;

    fn schedule(source: &str) -> Schedule {
        let scenario =
            crate::scenario::parse("t.lab", "t", source, &[]).unwrap_or_else(|e| panic!("{e:?}"));
        Schedule::new(&scenario, source)
    }

    #[test]
    fn paragraphs_and_rounds_are_groups() {
        let s = schedule(
            "server: listen\nclient: connect\nserver: accept\n\nclient: send \"ab\"\nclient: send \"cd\"\n# pause\nserver: recv 4\n\nrepeat 3 {\n  client: send \"x\"\n\n  server: recv 1\n}\nclient: close\n",
        );
        // listen/connect/accept, the two sends, the recv, then 3 rounds of 2 groups,
        // then the close.
        assert_eq!(s.total(), 1 + 1 + 1 + 6 + 1);
        assert_eq!(s.group(1, &[]), 0);
        assert_eq!(s.group(3, &[]), 0);
        assert_eq!(s.group(5, &[]), 1);
        assert_eq!(s.group(6, &[]), 1);
        assert_eq!(s.group(8, &[]), 2);
        assert_eq!(s.group(11, &[0]), 3);
        assert_eq!(s.group(13, &[0]), 4);
        assert_eq!(s.group(11, &[2]), 7);
        assert_eq!(s.group(13, &[2]), 8);
        assert_eq!(s.group(15, &[]), 9);
        let (lines, round) = s.lines_of(8);
        assert_eq!(lines.iter().map(|l| l.line).collect::<Vec<_>>(), [13]);
        assert_eq!(round, Some(3));
        let (lines, round) = s.lines_of(1);
        assert_eq!(lines.iter().map(|l| l.line).collect::<Vec<_>>(), [5, 6]);
        assert_eq!(round, None);
    }
}
