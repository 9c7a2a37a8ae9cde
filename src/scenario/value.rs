//! Byte values at run time: make the bytes a value stands for ([`eval`]), check received
//! bytes against an expected value ([`matches()`]), and bound their length
//! ([`len_range`]).

use rand::RngExt;
use rand::rngs::StdRng;

use super::ast::Value;

/// The bytes of `bytes N`'s pattern at index `i`: `a`..`z`, cycling.
fn pattern_byte(i: usize) -> u8 {
    b'a' + (i % 26) as u8
}

/// What `random` produces: printable ASCII without the space.
const RANDOM_BYTES: std::ops::RangeInclusive<u8> = 0x21..=0x7e;

/// What a `random` part of an expectation accepts: printable ASCII, space included.
fn is_printable(b: u8) -> bool {
    (0x20..=0x7e).contains(&b)
}

/// The bytes `value` stands for. `random` parts draw from `rng` (the run's seed), each
/// occurrence anew: `random 4 * 2` is eight random bytes, not four bytes twice.
pub fn eval(value: &Value, rng: &mut StdRng) -> Vec<u8> {
    let mut out = Vec::new();
    eval_into(value, rng, &mut out);
    out
}

fn eval_into(value: &Value, rng: &mut StdRng, out: &mut Vec<u8>) {
    match value {
        Value::Literal(bytes) => out.extend_from_slice(bytes),
        Value::Pattern(n) => out.extend((0..*n).map(pattern_byte)),
        Value::Random { min, max } => {
            let len = if min < max {
                rng.random_range(*min..=*max)
            } else {
                *min
            };
            out.extend((0..len).map(|_| rng.random_range(RANDOM_BYTES)));
        }
        // A part repeated zero times is not made at all: `bytes 1000000M * 0` is empty,
        // and must not cost a terabyte on its way there.
        Value::Times(_, 0) => {}
        // Nothing repeated is nothing, however often: `"" * 1000000000000` costs no loop.
        Value::Times(inner, _) if len_range(inner).1 == 0 => {}
        // Once is the part itself: no copy of it to repeat.
        Value::Times(inner, 1) => eval_into(inner, rng, out),
        Value::Times(inner, n) => {
            if has_random(inner) {
                for _ in 0..*n {
                    eval_into(inner, rng, out);
                }
            } else {
                let start = out.len();
                eval_into(inner, rng, out);
                let unit = out[start..].to_vec();
                for _ in 1..*n {
                    out.extend_from_slice(&unit);
                }
            }
        }
        Value::Concat(parts) => {
            for part in parts {
                eval_into(part, rng, out);
            }
        }
    }
}

fn has_random(value: &Value) -> bool {
    match value {
        Value::Literal(_) | Value::Pattern(_) => false,
        Value::Random { .. } => true,
        Value::Times(inner, _) => has_random(inner),
        Value::Concat(parts) => parts.iter().any(has_random),
    }
}

/// The longest single part of `value` (a string, `bytes N`, `random N`), however often
/// it is repeated: what making the value allocates at once, even for a part repeated
/// zero times.
pub fn largest_part(value: &Value) -> usize {
    match value {
        Value::Literal(bytes) => bytes.len(),
        Value::Pattern(n) => *n,
        Value::Random { min, max } => *max.max(min),
        Value::Times(inner, _) => largest_part(inner),
        Value::Concat(parts) => parts.iter().map(largest_part).max().unwrap_or(0),
    }
}

/// The shortest and longest byte length of `value` (saturating).
pub fn len_range(value: &Value) -> (usize, usize) {
    match value {
        Value::Literal(bytes) => (bytes.len(), bytes.len()),
        Value::Pattern(n) => (*n, *n),
        Value::Random { min, max } => (*min, *max.max(min)),
        Value::Times(inner, n) => {
            let (lo, hi) = len_range(inner);
            (lo.saturating_mul(*n), hi.saturating_mul(*n))
        }
        Value::Concat(parts) => parts.iter().map(len_range).fold((0, 0), |(a, b), (c, d)| {
            (a.saturating_add(c), b.saturating_add(d))
        }),
    }
}

/// Whether `bytes` is what `value` stands for. A `random` part matches any printable
/// bytes (0x20..=0x7e) of a length in its range; everything else must match exactly.
pub fn matches(value: &Value, bytes: &[u8]) -> bool {
    let (lo, hi) = len_range(value);
    if bytes.len() < lo || bytes.len() > hi {
        return false;
    }
    if !has_random(value) {
        return fixed_matches(value, bytes) == Some(&[][..]);
    }
    let mut segments = Vec::new();
    push_segments(value, &mut segments);
    match_segments(&segments, bytes)
}

/// Compares a value without `random` with the start of `bytes`; the rest on success.
fn fixed_matches<'b>(value: &Value, bytes: &'b [u8]) -> Option<&'b [u8]> {
    match value {
        Value::Literal(lit) => bytes.strip_prefix(lit.as_slice()),
        Value::Pattern(n) => {
            let head = bytes.get(..*n)?;
            head.iter()
                .enumerate()
                .all(|(i, &b)| b == pattern_byte(i))
                .then(|| &bytes[*n..])
        }
        Value::Random { .. } => None,
        Value::Times(inner, n) => (0..*n).try_fold(bytes, |rest, _| fixed_matches(inner, rest)),
        Value::Concat(parts) => parts
            .iter()
            .try_fold(bytes, |rest, part| fixed_matches(part, rest)),
    }
}

/// A value flattened for matching: known bytes, or any printable bytes of some length.
#[derive(Debug)]
enum Segment {
    Fixed(Vec<u8>),
    Any { min: usize, max: usize },
}

impl Segment {
    fn len_range(&self) -> (usize, usize) {
        match self {
            Segment::Fixed(bytes) => (bytes.len(), bytes.len()),
            Segment::Any { min, max } => (*min, *max),
        }
    }
}

/// Flattens `value`, merging neighbours of the same kind (two `Any` in a row are one
/// `Any` whose length ranges over the sums).
fn push_segments(value: &Value, out: &mut Vec<Segment>) {
    let mut push = |segment: Segment| match (out.last_mut(), segment) {
        (Some(Segment::Fixed(last)), Segment::Fixed(bytes)) => last.extend_from_slice(&bytes),
        (Some(Segment::Any { min, max }), Segment::Any { min: a, max: b }) => {
            *min = min.saturating_add(a);
            *max = max.saturating_add(b);
        }
        (_, segment) => out.push(segment),
    };
    match value {
        Value::Random { min, max } => push(Segment::Any {
            min: *min,
            max: *max.max(min),
        }),
        Value::Times(inner, n) if has_random(inner) => {
            for _ in 0..*n {
                push_segments(inner, out);
            }
        }
        Value::Concat(parts) => {
            for part in parts {
                push_segments(part, out);
            }
        }
        fixed => {
            let mut bytes = Vec::new();
            eval_fixed(fixed, &mut bytes);
            push(Segment::Fixed(bytes));
        }
    }
}

/// `eval` for a value without `random` (no generator needed; a `random` adds nothing).
fn eval_fixed(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Literal(bytes) => out.extend_from_slice(bytes),
        Value::Pattern(n) => out.extend((0..*n).map(pattern_byte)),
        Value::Random { .. } => {}
        Value::Times(inner, n) => {
            for _ in 0..*n {
                eval_fixed(inner, out);
            }
        }
        Value::Concat(parts) => {
            for part in parts {
                eval_fixed(part, out);
            }
        }
    }
}

/// Which prefixes of `bytes` the segments can cover, one segment at a time. The set of
/// reachable end positions is kept as a window of flags, narrowed by what the remaining
/// segments can still cover, so the work is about (segments x window): linear for the
/// usual values (a few random parts), quadratic at worst (thousands of random parts over
/// a long input), never exponential.
fn match_segments(segments: &[Segment], bytes: &[u8]) -> bool {
    let n = bytes.len();
    // run_end[p]: the first position at or after p whose byte is not printable.
    let mut run_end = vec![n; n + 1];
    for p in (0..n).rev() {
        run_end[p] = if is_printable(bytes[p]) {
            run_end[p + 1]
        } else {
            p
        };
    }
    // rest[i]: the lengths segments[i..] can cover.
    let mut rest = vec![(0usize, 0usize); segments.len() + 1];
    for i in (0..segments.len()).rev() {
        let (lo, hi) = segments[i].len_range();
        rest[i] = (
            rest[i + 1].0.saturating_add(lo),
            rest[i + 1].1.saturating_add(hi),
        );
    }
    let mut start = 0usize;
    let mut reach = vec![true];
    for (i, segment) in segments.iter().enumerate() {
        let (seg_min, seg_max) = segment.len_range();
        let Some(allowed_hi) = n.checked_sub(rest[i + 1].0) else {
            return false;
        };
        let allowed_lo = n.saturating_sub(rest[i + 1].1);
        let last = start + reach.len() - 1;
        let lo = start.saturating_add(seg_min).max(allowed_lo);
        let hi = last.saturating_add(seg_max).min(allowed_hi).min(n);
        if lo > hi {
            return false;
        }
        let mut next = vec![false; hi - lo + 1];
        let reached = reach
            .iter()
            .enumerate()
            .filter(|&(_, &r)| r)
            .map(|(j, _)| start + j);
        match segment {
            Segment::Fixed(fixed) => {
                for p in reached {
                    let q = p + fixed.len();
                    if (lo..=hi).contains(&q) && bytes[p..q] == fixed[..] {
                        next[q - lo] = true;
                    }
                }
            }
            Segment::Any { min, max } => {
                let mut diff = vec![0i64; next.len() + 1];
                for p in reached {
                    let a = p.saturating_add(*min).max(lo);
                    let b = p.saturating_add(*max).min(run_end[p]).min(hi);
                    if a <= b {
                        diff[a - lo] += 1;
                        diff[b - lo + 1] -= 1;
                    }
                }
                let mut open = 0;
                for (flag, d) in next.iter_mut().zip(&diff) {
                    open += d;
                    *flag = open > 0;
                }
            }
        }
        let Some(first) = next.iter().position(|&r| r) else {
            return false;
        };
        let last = next.iter().rposition(|&r| r).unwrap_or(first);
        start = lo + first;
        reach = next[first..=last].to_vec();
    }
    n >= start && reach.get(n - start) == Some(&true)
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::{eval, len_range, matches};
    use crate::scenario::ast::Value;

    fn lit(s: &str) -> Value {
        Value::Literal(s.as_bytes().to_vec())
    }

    fn times(v: Value, n: usize) -> Value {
        Value::Times(Box::new(v), n)
    }

    fn random(min: usize, max: usize) -> Value {
        Value::Random { min, max }
    }

    fn rng() -> StdRng {
        StdRng::seed_from_u64(1234)
    }

    #[test]
    fn eval_literals_patterns_repeats_and_concatenations() {
        let mut rng = rng();
        assert_eq!(
            eval(&Value::Pattern(28), &mut rng),
            b"abcdefghijklmnopqrstuvwxyzab"
        );
        assert_eq!(
            eval(&Value::Concat(vec![times(lit("x"), 3), lit("y")]), &mut rng),
            b"xxxy"
        );
        assert_eq!(eval(&times(lit("ab"), 0), &mut rng), b"");
        assert_eq!(
            eval(
                &Value::Concat(vec![Value::Pattern(3), Value::Pattern(2)]),
                &mut rng
            ),
            b"abcab"
        );
    }

    #[test]
    fn eval_random_is_printable_in_range_and_seeded() {
        let mut a = rng();
        for _ in 0..200 {
            let bytes = eval(&random(10, 20), &mut a);
            assert!((10..=20).contains(&bytes.len()));
            assert!(bytes.iter().all(|b| (0x21..=0x7e).contains(b)));
        }
        let v = Value::Concat(vec![random(3, 9), lit("-"), times(random(2, 2), 3)]);
        assert_eq!(eval(&v, &mut rng()), eval(&v, &mut rng()));
        assert_eq!(eval(&random(5, 5), &mut rng()).len(), 5);
    }

    #[test]
    fn matches_exact_values() {
        assert!(matches(
            &Value::Concat(vec![lit("hello"), lit("world")]),
            b"helloworld"
        ));
        assert!(!matches(&lit("hello"), b"hell"));
        assert!(matches(
            &Value::Pattern(30),
            &eval(&Value::Pattern(30), &mut rng())
        ));
        assert!(!matches(&Value::Pattern(3), b"abd"));
        assert!(matches(&times(lit("ab"), 3), b"ababab"));
        assert!(!matches(&times(lit("ab"), 3), b"abababab"));
        assert!(matches(&Value::Concat(vec![]), b""));
    }

    #[test]
    fn matches_random_parts_by_length_and_printability() {
        assert!(matches(&random(2, 4), b"x y"));
        assert!(!matches(&random(2, 4), b"x\ny"));
        assert!(!matches(&random(2, 4), b"abcde"));
        let framed = Value::Concat(vec![lit("<"), random(1, 5), lit(">"), random(0, 2)]);
        assert!(matches(&framed, b"<abc>"));
        assert!(matches(&framed, b"<a>b>"));
        assert!(matches(&framed, b"<a>>>"));
        assert!(!matches(&framed, b"<>"));
        assert!(!matches(&framed, b"<abc"));
        let rep = times(Value::Concat(vec![lit("x"), random(0, 1)]), 3);
        assert!(matches(&rep, b"xxx"));
        assert!(matches(&rep, b"xaxxb"));
        assert!(!matches(&rep, b"xaaxx"));
        for seed in 0..20 {
            let v = Value::Concat(vec![random(0, 7), lit("::"), times(random(1, 3), 4)]);
            let bytes = eval(&v, &mut StdRng::seed_from_u64(seed));
            assert!(matches(&v, &bytes), "{bytes:?}");
        }
    }

    #[test]
    fn matching_big_inputs_stays_fast() {
        let big = vec![b'a'; 1 << 20];
        let v = Value::Concat(vec![random(0, 1 << 20), lit("a"), random(0, 1 << 20)]);
        assert!(matches(&v, &big));
        // Many random parts: (segments x window) work, here 2000 x 1000.
        let many = times(Value::Concat(vec![lit("a"), random(0, 1)]), 1000);
        assert!(matches(&many, &vec![b'a'; 1500]));
        assert!(!matches(&many, &vec![b'b'; 1500]));
        let framed = Value::Concat(vec![Value::Literal(vec![0; 4]), random(1 << 20, 1 << 20)]);
        let mut bytes = vec![0; 4];
        bytes.extend(std::iter::repeat_n(b'z', 1 << 20));
        assert!(matches(&framed, &bytes));
    }

    #[test]
    fn len_ranges() {
        assert_eq!(len_range(&lit("abc")), (3, 3));
        assert_eq!(
            len_range(&Value::Concat(vec![
                times(random(1, 2), 3),
                Value::Pattern(4)
            ])),
            (7, 10)
        );
        assert_eq!(
            len_range(&times(Value::Pattern(usize::MAX), 2)),
            (usize::MAX, usize::MAX)
        );
    }
}
