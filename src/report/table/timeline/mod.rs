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

mod info;
mod row;

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use crate::record::{Event, Op};
use crate::scenario::Scenario;
use crate::scenario::ast::Item;
pub(in crate::report) use info::Info;
pub(in crate::report) use row::{Row, thousands};

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
