//! The timeline: one row per step, in the order the steps completed, for every actor,
//! folded so that a run of any size reads on one screen.
//!
//! Events come in `seq` order and leave as rows:
//!
//! - **A step's calls fold.** `recv until eof`, `recv exactly`, `recv frame` and
//!   `sendall` make one call after another; the calls of one step (same actor, line
//!   and `repeat` round) are one row: how many bytes each call got (`1024 ×61,440 +
//!   613`, so a short read in the middle stays visible), the first and last bytes, the
//!   sends they came from, the queue's range. An eof, an error or a timeout ends the
//!   fold and keeps a row of its own.
//! - **Rounds of a `repeat` fold.** A round's *shape* is its rows' actor, line, call
//!   and sizes. The first round of each shape is shown in full; the later rounds of that
//!   shape are one row per line (`×18`, with the range of durations). A round of a new
//!   shape is shown in full, so the round that differs is the one a class sees. Rounds
//!   are compared once every actor of the block has moved past them.
//! - **Long runs are shown in part**: the first [`SHOWN_FIRST`] and the last
//!   [`SHOWN_LAST`] rows, and a count of the events left out between them.
//!
//! Memory is bounded whatever the run's length: a row keeps at most [`KEEP`] bytes of
//! data at each end, a fold keeps a few size runs, and only unfinished rounds wait.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::fmt::Write as _;
use std::time::Duration;

use crate::record::{Event, Op, Provenance};
use crate::scenario::Scenario;
use crate::scenario::ast::Item;
use crate::text::said;

/// Bytes of data a row keeps at each end; the data column shows fewer.
const KEEP: usize = 128;
/// How many rows a table shows at the start and at the end of a long run.
pub(in crate::report) const SHOWN_FIRST: usize = 1000;
pub(in crate::report) const SHOWN_LAST: usize = 1000;
/// Distinct size runs a fold lists before it says `…`.
const SIZE_RUNS: usize = 3;
/// Distinct round shapes per `repeat` block that fold; rounds of further shapes are
/// shown in full.
const SHAPES: usize = 4;
/// Rows of a block's rounds that wait to be compared before the oldest round is compared
/// anyway (an actor that stopped early never moves past its round; a round of nested
/// blocks may be long): past this, rounds are shown rather than folded, and memory stays
/// bounded.
const PENDING_ROWS: usize = 4096;
/// How many sends the `from` column lists before it gives the first, the last and a
/// count.
pub(in crate::report) const SHOWN_SENDS: usize = 4;
/// How many sends' sizes and datagram numbers are remembered for the `from` column.
const REMEMBERED_SENDS: usize = 1 << 16;

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
    fn new(event: &Event) -> Row {
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
    fn shape(&self) -> u64 {
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
    fn into_rounds(mut self) -> Row {
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
    fn add_round(&mut self, row: &Row) {
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
    fn key(&self) -> u64 {
        self.calls.last_seq
    }
}

impl Calls {
    fn add(&mut self, e: &Event, data: &[u8]) {
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

/// A `repeat` block at the outermost level: its lines and its actors.
#[derive(Debug, Clone)]
struct Block {
    first_line: u32,
    last_line: u32,
    actors: Vec<String>,
}

fn blocks(scenario: &Scenario) -> Vec<Block> {
    fn walk(items: &[Item], lines: &mut (u32, u32), actors: &mut Vec<String>) {
        for item in items {
            match item {
                Item::Step(s) => {
                    lines.0 = lines.0.min(s.line);
                    lines.1 = lines.1.max(s.line);
                    if !actors.contains(&s.actor) {
                        actors.push(s.actor.clone());
                    }
                }
                Item::Repeat(r) => walk(&r.body, lines, actors),
            }
        }
    }
    scenario
        .body
        .iter()
        .filter_map(|item| match item {
            Item::Repeat(r) => {
                let mut lines = (u32::MAX, 0);
                let mut actors = Vec::new();
                walk(&r.body, &mut lines, &mut actors);
                Some(Block {
                    first_line: lines.0,
                    last_line: lines.1,
                    actors,
                })
            }
            Item::Step(_) => None,
        })
        .collect()
}

/// The rounds of one block that are folded, by shape.
#[derive(Debug, Default)]
struct BlockFold {
    /// Rounds not yet compared: their rows, by round.
    pending: BTreeMap<u32, Vec<Row>>,
    /// How many rows wait in `pending`.
    pending_rows: usize,
    /// The shapes seen: each with the rows its later rounds fold into (empty until a
    /// second round of that shape) and where in the timeline they go.
    shapes: Vec<Shape>,
}

/// One shape of round and the rounds of it folded so far.
#[derive(Debug)]
struct Shape {
    sig: Vec<u64>,
    rows: Vec<Row>,
    /// The rows go after this `seq` (the end of the first round of this shape).
    key: u64,
}

/// Rows in timeline order, the first and the last ones of a long run. The key is the
/// `seq` the row sits at and its place among the rows folded there.
#[derive(Debug, Default)]
struct Store {
    head: BTreeMap<(u64, u32), Row>,
    tail: BTreeMap<(u64, u32), Row>,
    left_out: u64,
}

impl Store {
    fn put(&mut self, key: (u64, u32), row: Row, full: bool) {
        if full || self.head.len() < SHOWN_FIRST {
            self.head.insert(key, row);
            return;
        }
        if self.head.last_key_value().is_some_and(|(&k, _)| key < k) {
            self.head.insert(key, row);
            if let Some((k, r)) = self.head.pop_last() {
                self.tail.insert(k, r);
            }
        } else {
            self.tail.insert(key, row);
        }
        if self.tail.len() > SHOWN_LAST
            && let Some((_, r)) = self.tail.pop_first()
        {
            self.left_out += r.calls.n * r.rounds.as_ref().map_or(1, |r| r.n);
        }
    }
}

/// Where an actor is: the line and round of its last event.
#[derive(Debug, Clone, Copy)]
struct Pos {
    line: u32,
    round: Option<u32>,
}

/// Builds the timeline from the events of one run.
#[derive(Debug)]
pub(in crate::report) struct Timeline {
    full: bool,
    blocks: Vec<Block>,
    folds: Vec<BlockFold>,
    /// The blocks with rounds to compare or folds to place.
    active: BTreeSet<usize>,
    /// Per actor, the row its latest calls are folding into.
    open: HashMap<String, Row>,
    pos: HashMap<String, Pos>,
    store: Store,
    /// Sizes of recent sends (for `#4` whole or `#4[0..7]`) and datagram numbers.
    sent: BTreeMap<u64, (u64, Option<u64>)>,
    datagrams: HashMap<String, u64>,
    /// Per actor, its closes and shutdowns: `(seq, op, line)`, the last few.
    closes: HashMap<String, VecDeque<(u64, Op, u32)>>,
    /// The closes and shutdowns by `seq`, for an eof that names its cause.
    causes: BTreeMap<u64, (String, Op, u32)>,
    /// The connections seen (their two directions' names, sorted, joined).
    conns: Vec<String>,
}

impl Timeline {
    pub fn new(scenario: &Scenario, full: bool) -> Timeline {
        let blocks = blocks(scenario);
        let folds = blocks.iter().map(|_| BlockFold::default()).collect();
        Timeline {
            full,
            blocks,
            folds,
            active: BTreeSet::new(),
            open: HashMap::new(),
            pos: HashMap::new(),
            store: Store::default(),
            sent: BTreeMap::new(),
            datagrams: HashMap::new(),
            closes: HashMap::new(),
            causes: BTreeMap::new(),
            conns: Vec::new(),
        }
    }

    pub fn event(&mut self, e: &Event) {
        self.remember(e);
        if let Some(row) = self.open.get_mut(&e.actor)
            && !self.full
            && continues(&row.first, e)
        {
            let data = e.data.as_deref().unwrap_or_default();
            row.calls.add(e, data);
            return;
        }
        if let Some(row) = self.open.remove(&e.actor) {
            self.close(row);
        }
        self.pos.insert(
            e.actor.clone(),
            Pos {
                line: e.line,
                round: e.rounds.first().copied(),
            },
        );
        self.open.insert(e.actor.clone(), Row::new(e));
        self.compare_rounds(false);
    }

    /// The rows in timeline order, and how many events were left out between the
    /// first and the last rows.
    pub fn finish(mut self) -> (Vec<Row>, Info) {
        let mut open: Vec<Row> = self.open.drain().map(|(_, r)| r).collect();
        open.sort_by_key(Row::key);
        for row in open {
            self.close(row);
        }
        self.compare_rounds(true);
        let store = std::mem::take(&mut self.store);
        let rows = store
            .head
            .into_values()
            .chain(store.tail.into_values())
            .collect();
        let info = Info {
            left_out: store.left_out,
            sent: self.sent,
            closes: self.closes,
            causes: self.causes,
            conns: self.conns.len(),
        };
        (rows, info)
    }

    fn remember(&mut self, e: &Event) {
        if e.op.is_send()
            && let Some(n) = e.result
        {
            let number = (e.op == Op::SendTo).then(|| {
                let k = self
                    .datagrams
                    .entry(e.conn.clone().unwrap_or_default())
                    .or_default();
                *k += 1;
                *k
            });
            self.sent.insert(e.seq, (n, number));
            if self.sent.len() > REMEMBERED_SENDS {
                self.sent.pop_first();
            }
        }
        // What can send a FIN: a close, or a shutdown of the writing side.
        let sends_fin = e.op == Op::Close
            || (e.op == Op::Shutdown && !e.call.trim_start().starts_with("shutdown read"));
        if sends_fin || e.op == Op::Shutdown {
            self.causes.insert(e.seq, (e.actor.clone(), e.op, e.line));
            if self.causes.len() > REMEMBERED_SENDS {
                self.causes.pop_first();
            }
        }
        if sends_fin {
            let list = self.closes.entry(e.actor.clone()).or_default();
            list.push_back((e.seq, e.op, e.line));
            if list.len() > 8 {
                list.pop_front();
            }
        }
        if let Some(conn) = &e.conn {
            // One connection has two directions, `a>b#2` and `b>a#2`.
            let (names, suffix) = conn.split_once('#').unwrap_or((conn, ""));
            let mut sides: Vec<&str> = names.split('>').collect();
            sides.sort_unstable();
            let key = format!("{}#{suffix}", sides.join(">"));
            if !self.conns.contains(&key) {
                self.conns.push(key);
            }
        }
    }

    /// A finished row goes to its round (inside a `repeat`) or to the timeline.
    fn close(&mut self, row: Row) {
        if !self.full
            && let Some(&round) = row.first.rounds.first()
            && let Some(b) = self.block_of(row.first.line)
        {
            let fold = &mut self.folds[b];
            fold.pending.entry(round).or_default().push(row);
            fold.pending_rows += 1;
            self.active.insert(b);
            return;
        }
        self.store.put((row.key(), 0), row, self.full);
    }

    /// The block around `line`: the blocks are in file order and do not overlap.
    fn block_of(&self, line: u32) -> Option<usize> {
        let i = self.blocks.partition_point(|b| b.last_line < line);
        self.blocks
            .get(i)
            .filter(|b| b.first_line <= line)
            .map(|_| i)
    }

    /// Compares every round that all the block's actors have left (all rounds at the
    /// end) with the shapes seen before, and folds or shows it; places a block's folds
    /// once every actor has left the block.
    fn compare_rounds(&mut self, all: bool) {
        let active: Vec<usize> = self.active.iter().copied().collect();
        for b in active {
            let (block, fold, pos) = (&self.blocks[b], &mut self.folds[b], &self.pos);
            let past = |p: &Pos| p.line > block.last_line;
            let mut ready = Vec::new();
            while let Some((&round, _)) = fold.pending.first_key_value() {
                let left = block.actors.iter().all(|a| {
                    pos.get(a).is_some_and(|p| {
                        past(p)
                            || (p.line >= block.first_line && p.round.is_some_and(|r| r > round))
                    })
                });
                let crowded = fold.pending_rows > PENDING_ROWS;
                if !(all || left || crowded) {
                    break;
                }
                let Some((_, rows)) = fold.pending.pop_first() else {
                    break;
                };
                fold.pending_rows -= rows.len();
                ready.push(rows);
            }
            let done = block.actors.iter().all(|a| pos.get(a).is_some_and(past));
            for rows in ready {
                self.fold_round(b, rows);
            }
            if self.folds[b].pending.is_empty() && (all || done) {
                self.place_folds(b);
                self.active.remove(&b);
            }
        }
    }

    /// The folded rounds of a block into the timeline, each shape's rows after the end of
    /// its first round (one round of a shape is plain rows, not a fold of one).
    fn place_folds(&mut self, b: usize) {
        for shape in std::mem::take(&mut self.folds[b].shapes) {
            for (i, mut row) in shape.rows.into_iter().enumerate() {
                if row.rounds.as_ref().is_some_and(|r| r.n == 1) {
                    row.rounds = None;
                }
                let place = u32::try_from(i + 1).unwrap_or(u32::MAX);
                self.store.put((shape.key, place), row, self.full);
            }
        }
    }

    fn fold_round(&mut self, b: usize, mut rows: Vec<Row>) {
        // In file order: the actors' calls may end in another order from round to round
        // (a reply's send numbered after the recv that got it), which is not another
        // shape.
        rows.sort_by_key(|r| (r.first.line, r.key()));
        let sig: Vec<u64> = rows.iter().map(Row::shape).collect();
        let key = rows.iter().map(Row::key).max().unwrap_or(0);
        let fold = &mut self.folds[b];
        match fold.shapes.iter().position(|s| s.sig == sig) {
            Some(i) => {
                let folded = &mut fold.shapes[i].rows;
                if folded.is_empty() {
                    *folded = rows.into_iter().map(Row::into_rounds).collect();
                } else {
                    for (into, row) in folded.iter_mut().zip(rows) {
                        into.add_round(&row);
                    }
                }
            }
            None if fold.shapes.is_empty() => {
                // The block's first round, in full; the rounds like it fold below it.
                fold.shapes.push(Shape {
                    sig,
                    rows: Vec::new(),
                    key,
                });
                for row in rows {
                    self.store.put((row.key(), 0), row, self.full);
                }
            }
            None if fold.shapes.len() < SHAPES => {
                // A round unlike the first: its rows and the rounds like it, folded
                // where it ended.
                let rows = rows.into_iter().map(Row::into_rounds).collect();
                fold.shapes.push(Shape { sig, rows, key });
            }
            None => {
                for row in rows {
                    self.store.put((row.key(), 0), row, self.full);
                }
            }
        }
    }
}

/// Whether `e` is another call of the step whose first call is `first`: the same actor,
/// line and round, the same kind of call, and neither an end (eof, error, timeout).
fn continues(first: &Event, e: &Event) -> bool {
    let ends = |e: &Event| e.eof || e.error.is_some() || e.timeout || e.truncated;
    first.actor == e.actor
        && first.line == e.line
        && first.rounds == e.rounds
        && first.op == e.op
        && (e.op.is_recv() || e.op.is_send())
        && e.op != Op::RecvFrom
        && e.op != Op::SendTo
        && !ends(first)
        && !ends(e)
}

/// What the cells need beyond the rows.
#[derive(Debug, Default)]
pub(in crate::report) struct Info {
    pub left_out: u64,
    /// Sizes of sends by seq, and datagram numbers.
    pub sent: BTreeMap<u64, (u64, Option<u64>)>,
    pub closes: HashMap<String, VecDeque<(u64, Op, u32)>>,
    /// The closes and shutdowns by `seq`: what an eof's `cause` names.
    pub causes: BTreeMap<u64, (String, Op, u32)>,
    pub conns: usize,
}

impl Info {
    /// `#4 #5`, `#4[7..9] #5`, or for many sends `#4 … #9000 (8,997 sends)`.
    pub fn sends_of(&self, row: &Row, lang: &str) -> String {
        let c = &row.calls;
        let from = &c.from;
        if c.sends > SHOWN_SENDS as u64
            && let (Some(a), Some(b)) = (c.first_send, c.last_send)
        {
            let n = thousands(c.sends);
            return said!("#{a} … #{b} ({n} sends)", "#{a} … #{b}（{n} 次发送）")
                .get(lang)
                .to_owned();
        }
        let mut text = String::new();
        for p in from {
            if !text.is_empty() {
                text.push(' ');
            }
            let _ = write!(text, "#{}", p.send);
            let sent = self.sent.get(&p.send);
            let whole = sent.is_some_and(|&(n, _)| p.bytes == (0, n));
            if !whole {
                let _ = write!(text, "[{}..{}]", p.bytes.0, p.bytes.1);
            }
            if let Some(&(_, Some(k))) = sent {
                text.push_str(said!(" (datagram {k})", "（数据报 {k}）").get(lang));
            }
        }
        text
    }

    /// What an eof came from: the sender's `close` or `shutdown` (`client close, line
    /// 19`): its last one before the eof, or its first one after (a close is numbered
    /// when it returns, which may be after the peer's recv saw the FIN).
    pub fn eof_cause(&self, e: &Event, lang: &str) -> String {
        if let Some((actor, op, line)) = e.cause.and_then(|c| self.causes.get(&c)) {
            return said!("{actor} {op}, line {line}", "{actor} {op}，第 {line} 行")
                .get(lang)
                .to_owned();
        }
        let Some(sender) = e.conn.as_deref().and_then(|c| c.split('>').next()) else {
            return String::new();
        };
        let sender = sender.split('#').next().unwrap_or(sender);
        let Some(list) = self.closes.get(sender) else {
            return String::new();
        };
        list.iter()
            .rev()
            .find(|c| c.0 < e.seq)
            .or_else(|| list.iter().find(|c| c.0 > e.seq))
            .map(|(_, op, line)| {
                said!("{sender} {op}, line {line}", "{sender} {op}，第 {line} 行")
                    .get(lang)
                    .to_owned()
            })
            .unwrap_or_default()
    }

    /// The datagram number of a send, if it was one.
    pub fn datagram(&self, seq: u64) -> Option<u64> {
        self.sent.get(&seq).and_then(|&(_, k)| k)
    }
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
mod folding {
    use std::time::Duration;

    use super::{Row, Timeline};
    use crate::record::{Event, Op, Provenance};
    use crate::scenario::Scenario;

    fn scenario(source: &str) -> Scenario {
        crate::scenario::parse("t.lab", "t", source, &[]).unwrap_or_else(|e| panic!("{e:?}"))
    }

    /// A recv of `n` bytes at `seq`, its bytes from send `send` at `offset`.
    fn recv(seq: u64, line: u32, rounds: &[u32], n: u64, send: u64, offset: u64) -> Event {
        Event {
            seq,
            t: Duration::from_micros(seq * 10),
            dur: Duration::from_micros(3),
            actor: "server".into(),
            line,
            op: Op::Recv,
            verb: Op::Recv,
            call: "recv until eof".into(),
            requested: Some(1024),
            result: Some(n),
            rounds: rounds.to_vec(),
            data: Some(vec![b'x'; usize::try_from(n).unwrap_or(0)]),
            conn: Some("client>server".into()),
            from: vec![Provenance {
                send,
                bytes: (offset, offset + n),
            }],
            queued_before: Some(n),
            queued_after: Some(0),
            ..Event::default()
        }
    }

    fn rows(scenario: &Scenario, events: &[Event]) -> Vec<Row> {
        let mut t = Timeline::new(scenario, false);
        for e in events {
            t.event(e);
        }
        t.finish().0
    }

    #[test]
    fn the_calls_of_one_step_are_one_row_and_a_short_read_stays_visible() {
        let s =
            scenario("server: listen\nclient: connect\nserver: accept\nserver: recv until eof\n");
        let mut events: Vec<Event> = (0..10)
            .map(|k| recv(k + 1, 4, &[], 1024, 1, k * 1024))
            .collect();
        events.push(recv(11, 4, &[], 500, 1, 10 * 1024));
        events.extend((0..5).map(|k| recv(12 + k, 4, &[], 1024, 1, 10 * 1024 + 500 + k * 1024)));
        let mut eof = recv(17, 4, &[], 0, 1, 0);
        eof.eof = true;
        eof.from.clear();
        events.push(eof);
        let rows = rows(&s, &events);
        assert_eq!(rows.len(), 2, "{rows:#?}");
        assert_eq!(rows[0].calls.n, 16);
        assert_eq!(rows[0].sizes(), "1024 ×10 + 500 + 1024 ×5");
        assert_eq!(rows[0].calls.bytes, 15 * 1024 + 500);
        // The data shown is the first and last bytes, not all of them.
        let (data, from, len) = rows[0].data().unwrap_or_default();
        assert!(data.len() <= 2 * super::KEEP, "{}", data.len());
        // All from one send: one run, no boundary mark in the data column.
        assert_eq!(from.len(), 1, "{from:?}");
        let run = from[0].bytes.1 - from[0].bytes.0;
        assert_eq!(run, data.len() as u64);
        assert_eq!(len, 15 * 1024 + 500);
        // The eof keeps a row of its own.
        assert!(rows[1].first.eof);
    }

    #[test]
    fn rounds_of_the_same_shape_fold_and_a_different_round_shows() {
        let s = scenario(
            "server: listen\nclient: connect\nserver: accept\nrepeat 20 {\n  server: recv 4\n  server: recv 4\n}\n",
        );
        let mut events = Vec::new();
        let mut seq = 0;
        for round in 0..20u32 {
            for line in [5, 6] {
                seq += 1;
                // Round 7 reads 2 bytes on line 6: a different shape.
                let n = if round == 7 && line == 6 { 2 } else { 4 };
                events.push(recv(seq, line, &[round], n, seq, 0));
            }
        }
        let rows = rows(&s, &events);
        let shown: Vec<(String, u64)> = rows
            .iter()
            .map(|r| (r.sizes(), r.rounds.as_ref().map_or(1, |r| r.n)))
            .collect();
        // Round 1 in full, the 18 other rounds like it as one row per line, and
        // round 8 (the odd one) as plain rows.
        assert_eq!(
            shown,
            [("4", 1), ("4", 1), ("4", 18), ("4", 18), ("4", 1), ("2", 1)]
                .map(|(s, n)| (s.to_owned(), n))
        );
        let folded = rows[2].rounds.as_ref().map(|r| (r.first, r.last));
        assert_eq!(folded, Some((2, 20)));
    }

    #[test]
    fn full_folds_nothing() {
        let s =
            scenario("server: listen\nclient: connect\nserver: accept\nserver: recv until eof\n");
        let events: Vec<Event> = (0..10)
            .map(|k| recv(k + 1, 4, &[], 1024, 1, k * 1024))
            .collect();
        let mut t = Timeline::new(&s, true);
        for e in &events {
            t.event(e);
        }
        assert_eq!(t.finish().0.len(), 10);
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
