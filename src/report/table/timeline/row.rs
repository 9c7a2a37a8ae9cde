//! One row of the timeline and what it folds: the calls of one step (their sizes, the
//! first and last bytes, where they came from) and, for a `repeat`, the rounds of the
//! same line.

use std::collections::VecDeque;
use std::time::Duration;

use super::{KEEP, SHOWN_SENDS, SIZE_RUNS};
use crate::record::{Event, Provenance};

/// What a folded row stands for, besides its first event.
#[derive(Debug, Clone, Default)]
pub(in crate::report) struct Calls {
    /// How many calls (events) the row covers.
    pub n: u64,
    /// The sizes the calls returned, run-length encoded: `(size, count)`.
    pub sizes: Vec<(u64, u64)>,
    /// Size runs left out between `sizes` and `last_size`.
    pub skipped: u64,
    pub last_size: Option<(u64, u64)>,
    /// Every byte the calls moved.
    pub bytes: u64,
    /// Calls that filled their buffer, and the others (with their smallest and largest
    /// size), for a fold whose sizes are too many to list.
    pub full: u64,
    pub short: u64,
    pub short_range: Option<(u64, u64)>,
    /// The last call's `seq`, and when the last call ended.
    pub last_seq: u64,
    pub end: Duration,
    pub queued_before: Option<(u64, u64)>,
    pub queued_after: Option<(u64, u64)>,
    /// The first bytes (up to [`KEEP`]) and their provenance.
    pub head: Vec<u8>,
    pub head_from: Vec<Provenance>,
    /// The last bytes (at least [`KEEP`] when there are more), by call.
    pub tail: VecDeque<(Vec<u8>, Vec<Provenance>)>,
    pub tail_len: usize,
    /// Where the bytes came from, while that is a short list (the `from` column).
    pub from: Vec<Provenance>,
    /// The first and last send the bytes came from, and how many sends.
    pub first_send: Option<u64>,
    pub last_send: Option<u64>,
    pub sends: u64,
}

/// Rounds of a `repeat` folded into this row: how many, and their durations.
#[derive(Debug, Clone)]
pub(in crate::report) struct Rounds {
    pub n: u64,
    /// The first and last round folded, counted from 1.
    pub first: u32,
    pub last: u32,
    pub min: Duration,
    pub max: Duration,
    /// Every folded round got the same bytes as the first of them.
    pub same_data: bool,
}

/// One row of the timeline: an event, the calls of one step, or the same line of many
/// rounds.
#[derive(Debug, Clone)]
pub(in crate::report) struct Row {
    /// The first event, its data cut to [`KEEP`] bytes at each end.
    pub first: Event,
    pub calls: Calls,
    pub rounds: Option<Rounds>,
}

impl Row {
    pub(super) fn new(event: &Event) -> Row {
        let mut first = event.clone();
        let data = first.data.take();
        let mut calls = Calls::default();
        calls.add(event, data.as_deref().unwrap_or_default());
        Row {
            first,
            calls,
            rounds: None,
        }
    }

    /// The bytes the row shows (the first and last ones of long data), the sends they
    /// came from as the data column splits them, and how many bytes it stands for.
    /// Where bytes between the two ends were left out inside one send, the send's two
    /// ends are one run: the data column shortens it in the middle anyway. The
    /// provenance returned is for splitting the data into runs; the `from` column
    /// reads [`Calls::from`].
    pub fn data(&self) -> Option<(Vec<u8>, Vec<Provenance>, u64)> {
        if !self.first.op.is_recv() {
            return None;
        }
        let c = &self.calls;
        let mut data = c.head.clone();
        let mut from = c.head_from.clone();
        // The tail's bytes follow each other in the stream, and follow the head's
        // unless some were left out between them: an entry of the same send as the
        // last one continues its run (its offsets no longer matter, only its length).
        for (bytes, f) in &c.tail {
            data.extend_from_slice(bytes);
            for p in f {
                match from.last_mut() {
                    Some(last) if last.send == p.send => last.bytes.1 += p.bytes.1 - p.bytes.0,
                    _ => from.push(*p),
                }
            }
        }
        Some((data, from, c.bytes))
    }

    /// The `got` of a folded row: the sizes the calls returned, in order
    /// (`1024 ×61,440 + 613`); when they change too often to list, the full reads and
    /// the short ones (`1024 ×61,437 + 12 short (134–997)`).
    pub fn sizes(&self) -> String {
        let c = &self.calls;
        if c.skipped > 0
            && let (Some(size), Some((low, high))) = (self.first.requested, c.short_range)
        {
            let (full, short) = (thousands(c.full), thousands(c.short));
            return format!("{size} ×{full} + {short} short ({low}–{high})");
        }
        let mut parts: Vec<String> = c.sizes.iter().map(|&r| size_run(r)).collect();
        if c.skipped > 0 {
            parts.push("…".to_owned());
        }
        if let Some(r) = c.last_size {
            parts.push(size_run(r));
        }
        parts.join(" + ")
    }

    /// The row's shape, for comparing rounds: who, which line, which call, and what
    /// came back (sizes, eof, truncation, error), never the timing or the bytes; as a
    /// hash, since a million rounds are compared.
    pub(super) fn shape(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let e = &self.first;
        let c = &self.calls;
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (
            &e.actor,
            e.line,
            e.op,
            e.eof,
            e.truncated,
            e.timeout,
            &e.error,
        )
            .hash(&mut h);
        (
            &c.sizes,
            c.skipped,
            c.last_size,
            c.full,
            c.short,
            c.short_range,
        )
            .hash(&mut h);
        h.finish()
    }

    /// This row as the first of the rounds it will stand for.
    pub(super) fn into_rounds(mut self) -> Row {
        let d = self.duration();
        let round = self.first.rounds.first().map_or(0, |k| k + 1);
        self.rounds = Some(Rounds {
            n: 1,
            first: round,
            last: round,
            min: d,
            max: d,
            same_data: true,
        });
        self
    }

    /// Folds the same row of another round into this one.
    pub(super) fn add_round(&mut self, row: &Row) {
        let d = row.duration();
        let same = row.same_bytes(self);
        let round = row.first.rounds.first().map_or(0, |k| k + 1);
        if let Some(r) = self.rounds.as_mut() {
            r.n += 1;
            r.last = round;
            r.min = r.min.min(d);
            r.max = r.max.max(d);
            r.same_data &= same;
        }
        self.calls.last_seq = row.calls.last_seq;
    }

    /// Whether two rows hold the same bytes (without copying them).
    fn same_bytes(&self, other: &Row) -> bool {
        let bytes = |r: &Row| {
            let c = &r.calls;
            c.head
                .iter()
                .chain(c.tail.iter().flat_map(|(b, _)| b.iter()))
                .copied()
                .collect::<Vec<u8>>()
        };
        let (a, b) = (&self.calls, &other.calls);
        if a.head != b.head || a.tail_len != b.tail_len {
            return false;
        }
        if a.tail.len() == 1 && b.tail.len() == 1 || a.tail.is_empty() {
            return a.tail.iter().map(|t| &t.0).eq(b.tail.iter().map(|t| &t.0));
        }
        bytes(self) == bytes(other)
    }

    fn duration(&self) -> Duration {
        self.calls.end.saturating_sub(self.first.t)
    }

    /// The seq at which the row sits in the timeline: where its last call completed.
    pub(super) fn key(&self) -> u64 {
        self.calls.last_seq
    }
}

impl Calls {
    pub(super) fn add(&mut self, e: &Event, data: &[u8]) {
        self.n += 1;
        self.last_seq = e.seq;
        self.end = self.end.max(e.t + e.dur);
        let size = e.result.unwrap_or(0);
        self.bytes += size;
        if e.requested.is_some_and(|r| size >= r) {
            self.full += 1;
        } else {
            self.short += 1;
            widen(&mut self.short_range, Some(size));
        }
        match self.last_size.as_mut() {
            Some((s, k)) if *s == size => *k += 1,
            _ => {
                if let Some(run) = self.last_size.take() {
                    if self.sizes.len() < SIZE_RUNS {
                        self.sizes.push(run);
                    } else {
                        self.skipped += 1;
                    }
                }
                self.last_size = Some((size, 1));
            }
        }
        widen(&mut self.queued_before, e.queued_before);
        widen(&mut self.queued_after, e.queued_after);
        for p in &e.from {
            if self.last_send != Some(p.send) {
                self.sends += 1;
            }
            if self.from.len() <= SHOWN_SENDS {
                push_from(&mut self.from, *p);
            }
            self.first_send.get_or_insert(p.send);
            self.last_send = Some(p.send);
        }
        // The first KEEP bytes, then the last calls' bytes.
        let room = KEEP.saturating_sub(self.head.len());
        let (to_head, rest) = data.split_at(room.min(data.len()));
        let (head_from, rest_from) = split_from(&e.from, to_head.len() as u64);
        self.head.extend_from_slice(to_head);
        for p in head_from {
            push_from(&mut self.head_from, p);
        }
        if !rest.is_empty() {
            let (bytes, from) = if rest.len() > KEEP {
                let cut = rest.len() - KEEP;
                (rest[cut..].to_vec(), split_from(&rest_from, cut as u64).1)
            } else {
                (rest.to_vec(), rest_from)
            };
            self.tail_len += bytes.len();
            self.tail.push_back((bytes, from));
            while self
                .tail
                .front()
                .is_some_and(|(b, _)| self.tail_len - b.len() >= KEEP)
            {
                if let Some((b, _)) = self.tail.pop_front() {
                    self.tail_len -= b.len();
                }
            }
        }
    }
}

fn widen(range: &mut Option<(u64, u64)>, n: Option<u64>) {
    if let Some(n) = n {
        *range = Some(range.map_or((n, n), |(a, b)| (a.min(n), b.max(n))));
    }
}

/// `1024 ×61,440`; `613` for a run of one, `2 + 2` for a run of two.
fn size_run((size, count): (u64, u64)) -> String {
    match count {
        1 => size.to_string(),
        2 => format!("{size} + {size}"),
        _ => format!("{size} ×{}", thousands(count)),
    }
}

/// `61440` as `61,440`.
pub(in crate::report) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Appends `p`, joined to the last entry when it continues the same send.
fn push_from(from: &mut Vec<Provenance>, p: Provenance) {
    if let Some(last) = from.last_mut()
        && last.send == p.send
        && last.bytes.1 == p.bytes.0
    {
        last.bytes.1 = p.bytes.1;
        return;
    }
    from.push(p);
}

/// The provenance of the first `n` bytes of a recv, and of the rest.
fn split_from(from: &[Provenance], n: u64) -> (Vec<Provenance>, Vec<Provenance>) {
    let (mut first, mut rest) = (Vec::new(), Vec::new());
    let mut left = n;
    for p in from {
        let len = p.bytes.1 - p.bytes.0;
        if left >= len {
            first.push(*p);
            left -= len;
        } else if left == 0 {
            rest.push(*p);
        } else {
            let cut = p.bytes.0 + left;
            first.push(Provenance {
                send: p.send,
                bytes: (p.bytes.0, cut),
            });
            rest.push(Provenance {
                send: p.send,
                bytes: (cut, p.bytes.1),
            });
            left = 0;
        }
    }
    (first, rest)
}

#[cfg(test)]
mod tests {
    use super::{split_from, thousands};
    use crate::record::Provenance;

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(7), "7");
        assert_eq!(thousands(613), "613");
        assert_eq!(thousands(61_440), "61,440");
        assert_eq!(thousands(1_000_000), "1,000,000");
    }

    #[test]
    fn provenance_splits_inside_a_send() {
        let p = |send, a, b| Provenance {
            send,
            bytes: (a, b),
        };
        let (first, rest) = split_from(&[p(4, 0, 5), p(5, 0, 5)], 7);
        assert_eq!(first, vec![p(4, 0, 5), p(5, 0, 2)]);
        assert_eq!(rest, vec![p(5, 2, 5)]);
    }
}

#[cfg(test)]
mod many_sizes {
    use super::Row;
    use crate::record::{Event, Op};

    #[test]
    fn sizes_that_change_too_often_are_counted_as_full_and_short_reads() {
        let call = |seq: u64, n: u64| Event {
            seq,
            op: Op::Recv,
            requested: Some(1024),
            result: Some(n),
            ..Event::default()
        };
        let mut row = Row::new(&call(1, 1024));
        for (k, n) in [1024, 997, 1024, 1024, 134, 1024, 918, 1024, 495]
            .into_iter()
            .enumerate()
        {
            row.calls.add(&call(k as u64 + 2, n), &[]);
        }
        assert_eq!(row.sizes(), "1024 ×6 + 4 short (134–997)");
        let mut few = Row::new(&call(1, 1024));
        few.calls.add(&call(2, 1024), &[]);
        few.calls.add(&call(3, 613), &[]);
        assert_eq!(few.sizes(), "1024 + 1024 + 613");
    }
}
