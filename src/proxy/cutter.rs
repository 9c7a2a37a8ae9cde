//! Where a direction's byte stream is cut into pieces: a plan of piece lengths (drawn
//! from a seed, or replayed from a record) and the [`Cutter`] that follows it.
//!
//! The plan depends only on the seed, the connection number and the direction, never on
//! timing, so the planned boundaries of a stream are the same in every run with the same
//! seed. An early flush (the sender went idle in the middle of a piece) cuts the current
//! piece in two and leaves the planned end where it was: early flushes only *add* cuts.

use std::collections::VecDeque;

/// The largest piece the proxy ever holds: `--sizes` and replayed lengths are bounded by
/// it, and so is the memory of one direction.
pub(crate) const MAX_PIECE: usize = 64 * 1024;

/// Which way the bytes go: from the client to the server, or back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Dir {
    /// Client to server (what the proxy accepted, to the target).
    C2s,
    /// Server to client.
    S2c,
}

impl Dir {
    /// The name in records and messages: `c2s`, `s2c`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Dir::C2s => "c2s",
            Dir::S2c => "s2c",
        }
    }

    /// The direction named `c2s` or `s2c`.
    pub(crate) fn from_name(name: &str) -> Option<Dir> {
        match name {
            "c2s" => Some(Dir::C2s),
            "s2c" => Some(Dir::S2c),
            _ => None,
        }
    }
}

/// `--sizes MIN-MAX`: the range of planned piece lengths, 1 <= min <= max <= [`MAX_PIECE`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Sizes {
    min: usize,
    max: usize,
}

impl Sizes {
    /// The range, or `None` when it is empty, starts at 0, or ends past [`MAX_PIECE`].
    pub(crate) fn new(min: usize, max: usize) -> Option<Sizes> {
        (1 <= min && min <= max && max <= MAX_PIECE).then_some(Sizes { min, max })
    }

    pub(crate) fn min(self) -> usize {
        self.min
    }

    pub(crate) fn max(self) -> usize {
        self.max
    }
}

/// SplitMix64 (Steele, Lea, Flood 2014): a tiny generator written out here rather than
/// taken from `rand`, whose `StdRng` may change its algorithm between versions. A record
/// names only a seed, so the numbers a seed stands for must never change.
#[derive(Debug, Clone)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `min..=max`. The modulo's bias (at most 2^16 / 2^64) is far below
    /// anything a piece length could show.
    fn in_range(&mut self, min: usize, max: usize) -> usize {
        let span = (max - min) as u64 + 1;
        min + (self.next() % span) as usize
    }
}

/// The piece lengths of one direction of one connection, in order.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    /// Replayed lengths, used first.
    replay: VecDeque<usize>,
    rng: SplitMix64,
    sizes: Sizes,
}

impl Plan {
    /// Lengths drawn from `seed` for connection `conn` (1, 2, ...) in direction `dir`:
    /// each stream has a generator of its own, so connections and directions do not
    /// take numbers from each other whatever their timing.
    pub(crate) fn seeded(seed: u64, conn: u64, dir: Dir, sizes: Sizes) -> Plan {
        let dir_bit = match dir {
            Dir::C2s => 0,
            Dir::S2c => 1,
        };
        let mut mix = SplitMix64(seed ^ conn.wrapping_mul(0xD6E8_FEB8_6659_FD93));
        let stream_seed = mix.next() ^ dir_bit;
        Plan {
            replay: VecDeque::new(),
            rng: SplitMix64(SplitMix64(stream_seed).next()),
            sizes,
        }
    }

    /// The same, but the first lengths are `replayed` (each clamped to 1..=[`MAX_PIECE`]);
    /// past them the seed's lengths follow.
    pub(crate) fn replaying(mut self, replayed: impl IntoIterator<Item = usize>) -> Plan {
        self.replay = replayed
            .into_iter()
            .map(|n| n.clamp(1, MAX_PIECE))
            .collect();
        self
    }

    /// The longest piece this plan can ask for: the bound of the direction's buffer.
    pub(crate) fn longest(&self) -> usize {
        self.replay
            .iter()
            .copied()
            .max()
            .unwrap_or(0)
            .max(self.sizes.max)
    }

    fn next_len(&mut self) -> usize {
        match self.replay.pop_front() {
            Some(n) => n,
            None => self.rng.in_range(self.sizes.min, self.sizes.max),
        }
    }
}

/// One piece as it was sent on: where it starts in the direction's stream, how long it
/// is, and whether it was flushed early (the sender idle before the planned end).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Piece {
    pub(crate) offset: u64,
    pub(crate) len: usize,
    pub(crate) early: bool,
}

/// Follows a plan along a stream: how many bytes the current piece still wants, and the
/// pieces cut.
#[derive(Debug, Clone)]
pub(crate) struct Cutter {
    plan: Plan,
    /// Bytes of the stream already cut into pieces.
    offset: u64,
    /// The planned end of the current piece (a stream offset, > `offset`).
    end: u64,
}

impl Cutter {
    pub(crate) fn new(mut plan: Plan) -> Cutter {
        let end = plan.next_len() as u64;
        Cutter {
            plan,
            offset: 0,
            end,
        }
    }

    /// How many bytes complete the current piece.
    pub(crate) fn want(&self) -> usize {
        // `end - offset` is at most MAX_PIECE, so it fits.
        (self.end - self.offset) as usize
    }

    /// The longest piece the plan can ask for.
    pub(crate) fn longest(&self) -> usize {
        self.plan.longest().max(self.want())
    }

    /// Cuts the next `len` bytes (1..=`want()`) as a piece. A piece that reaches the
    /// planned end is a planned piece; a shorter one is an early flush (`len` of the
    /// final bytes at the end of a stream counts as neither: pass `early = false`).
    pub(crate) fn cut(&mut self, len: usize, early: bool) -> Piece {
        let len = len.clamp(1, self.want());
        let piece = Piece {
            offset: self.offset,
            len,
            early,
        };
        self.offset += len as u64;
        if self.offset == self.end {
            self.end += self.plan.next_len() as u64;
        }
        piece
    }
}

#[cfg(test)]
mod tests {
    use super::{Cutter, Dir, MAX_PIECE, Plan, Sizes};

    fn sizes(min: usize, max: usize) -> Sizes {
        Sizes::new(min, max).expect("a valid range")
    }

    /// Cuts `total` bytes as full pieces and returns their (offset, len).
    fn full_pieces(mut cutter: Cutter, total: u64) -> Vec<(u64, usize)> {
        let mut out = Vec::new();
        let mut done = 0;
        while done < total {
            let len = (cutter.want() as u64).min(total - done) as usize;
            let p = cutter.cut(len, false);
            done += p.len as u64;
            out.push((p.offset, p.len));
        }
        out
    }

    #[test]
    fn a_range_starts_at_one_and_stays_under_the_largest_piece() {
        assert!(Sizes::new(0, 5).is_none());
        assert!(Sizes::new(6, 5).is_none());
        assert!(Sizes::new(1, MAX_PIECE + 1).is_none());
        assert_eq!(sizes(3, 3).max(), 3);
    }

    #[test]
    fn the_same_seed_plans_the_same_pieces_and_another_seed_others() {
        let a = full_pieces(
            Cutter::new(Plan::seeded(7, 1, Dir::C2s, sizes(1, 64))),
            5000,
        );
        let b = full_pieces(
            Cutter::new(Plan::seeded(7, 1, Dir::C2s, sizes(1, 64))),
            5000,
        );
        let c = full_pieces(
            Cutter::new(Plan::seeded(8, 1, Dir::C2s, sizes(1, 64))),
            5000,
        );
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn connections_and_directions_have_streams_of_their_own() {
        let plan =
            |conn, dir| full_pieces(Cutter::new(Plan::seeded(7, conn, dir, sizes(1, 64))), 2000);
        assert_ne!(plan(1, Dir::C2s), plan(1, Dir::S2c));
        assert_ne!(plan(1, Dir::C2s), plan(2, Dir::C2s));
    }

    #[test]
    fn the_numbers_of_a_seed_never_change() {
        // Pinned: a record made today must replay the same from the seed tomorrow.
        let lens: Vec<usize> =
            full_pieces(Cutter::new(Plan::seeded(7, 1, Dir::C2s, sizes(1, 64))), 200)
                .into_iter()
                .map(|(_, len)| len)
                .take(5)
                .collect();
        assert_eq!(lens, PINNED_SEED_7);
    }

    const PINNED_SEED_7: [usize; 5] = [6, 29, 5, 30, 18];

    #[test]
    fn pieces_tile_the_stream_within_the_range() {
        let pieces = full_pieces(
            Cutter::new(Plan::seeded(3, 1, Dir::S2c, sizes(5, 9))),
            10_000,
        );
        let mut next = 0;
        for &(offset, len) in &pieces[..pieces.len() - 1] {
            assert_eq!(offset, next);
            assert!((5..=9).contains(&len), "{len}");
            next += len as u64;
        }
    }

    #[test]
    fn an_early_flush_adds_a_cut_and_keeps_the_planned_ends() {
        let plan = Plan::seeded(11, 1, Dir::C2s, sizes(10, 20));
        let planned = full_pieces(Cutter::new(plan.clone()), 100);
        let mut cutter = Cutter::new(plan);
        let first = cutter.want();
        let early = cutter.cut(3, true);
        assert_eq!((early.offset, early.len, early.early), (0, 3, true));
        assert_eq!(cutter.want(), first - 3);
        let rest = cutter.cut(cutter.want(), false);
        assert_eq!(rest.offset + rest.len as u64, planned[0].1 as u64);
        assert_eq!(cutter.want(), planned[1].1);
    }

    #[test]
    fn a_replay_comes_first_then_the_seed() {
        let seeded = Plan::seeded(5, 2, Dir::S2c, sizes(1, 8));
        let after = full_pieces(Cutter::new(seeded.clone()), 40);
        let replayed = full_pieces(Cutter::new(seeded.replaying([100, 1, 0])), 102 + 40);
        assert_eq!(replayed[..3], [(0, 100), (100, 1), (101, 1)]);
        let tail: Vec<usize> = replayed[3..].iter().map(|&(_, len)| len).collect();
        let want: Vec<usize> = after.iter().map(|&(_, len)| len).collect();
        assert_eq!(tail[..tail.len() - 1], want[..tail.len() - 1]);
    }

    #[test]
    fn a_replayed_length_is_bounded_by_the_largest_piece() {
        let plan = Plan::seeded(5, 1, Dir::C2s, sizes(1, 8)).replaying([10 * MAX_PIECE]);
        assert_eq!(plan.longest(), MAX_PIECE);
    }
}
