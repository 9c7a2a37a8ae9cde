//! A run kept in part: the first and the last events, and how many were left out
//! between them. What a report for people needs of a run of a million steps, in memory
//! that does not grow with the run.

use std::collections::VecDeque;

use super::{Event, Record, RunEnd, RunStart, Sink};

/// Keeps the first `head` and the last `tail` events of a run, and counts the others.
#[derive(Debug)]
pub struct Excerpt {
    head: usize,
    tail: usize,
    record: Record,
    last: VecDeque<Event>,
    left_out: u64,
}

impl Excerpt {
    pub fn new(head: usize, tail: usize) -> Excerpt {
        Excerpt {
            head,
            tail,
            record: Record::default(),
            last: VecDeque::new(),
            left_out: 0,
        }
    }

    /// The record of the kept events, in `seq` order, and how many events were left
    /// out between the first ones and the last ones.
    pub fn finish(mut self) -> (Record, u64) {
        self.record.events.extend(self.last);
        (self.record, self.left_out)
    }
}

impl Sink for Excerpt {
    fn begin(&mut self, start: &RunStart) {
        self.record.begin(start);
        self.last.clear();
        self.left_out = 0;
    }

    fn event(&mut self, event: &Event) {
        if self.record.events.len() < self.head {
            self.record.event(event);
            return;
        }
        self.last.push_back(event.clone());
        if self.last.len() > self.tail {
            self.last.pop_front();
            self.left_out += 1;
        }
    }

    fn end(&mut self, end: &RunEnd) {
        self.record.end(end);
    }
}

#[cfg(test)]
mod tests {
    use super::Excerpt;
    use crate::record::{Event, RunEnd, RunStart, Sink};

    fn feed(excerpt: &mut Excerpt, n: u64) {
        excerpt.begin(&RunStart {
            scenario: "s".into(),
            file: "s.lab".into(),
            seed: 1,
        });
        for seq in 1..=n {
            excerpt.event(&Event {
                seq,
                ..Event::default()
            });
        }
        excerpt.end(&RunEnd::default());
    }

    fn seqs(excerpt: Excerpt) -> (Vec<u64>, u64) {
        let (record, left_out) = excerpt.finish();
        (record.events.iter().map(|e| e.seq).collect(), left_out)
    }

    #[test]
    fn a_short_run_is_kept_whole() {
        let mut e = Excerpt::new(3, 2);
        feed(&mut e, 5);
        assert_eq!(seqs(e), (vec![1, 2, 3, 4, 5], 0));
    }

    #[test]
    fn a_long_run_keeps_its_first_and_last_events() {
        let mut e = Excerpt::new(3, 2);
        feed(&mut e, 1000);
        assert_eq!(seqs(e), (vec![1, 2, 3, 999, 1000], 995));
    }
}
