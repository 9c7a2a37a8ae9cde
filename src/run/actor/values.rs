//! The bytes a step sends, made from its value within bounds the runner keeps itself,
//! whatever the parser let through: a value nests at most [`MAX_VALUE_DEPTH`] deep, is
//! at most [`MAX_BYTES`] long, and a repetition of nothing (`"" * 1000000000000`) costs
//! nothing instead of a loop that produces no byte.

use std::borrow::Cow;
use std::io;

use rand::rngs::StdRng;

use crate::scenario::ast::{DataMatch, Expectation, Outcome, Value};
use crate::scenario::limits::MAX_BYTES;
use crate::scenario::value;

/// How deep a value may nest (`"a" * 2 * 2` is two deep). [`value::eval`] and
/// [`value::matches`] recurse once per level, a few hundred bytes of stack each: 256
/// levels stay far below any actor thread's stack (see `pool::ACTOR_STACK`).
pub(crate) const MAX_VALUE_DEPTH: usize = 256;

/// The bytes `value` stands for, or why the runner refuses to make them (named EINVAL,
/// like the other steps that cannot be carried out as written).
pub(super) fn bytes_of(value: &Value, rng: &mut StdRng) -> io::Result<Vec<u8>> {
    if depth(value) > MAX_VALUE_DEPTH {
        return Err(refused(format!(
            "this value nests more than {MAX_VALUE_DEPTH} deep"
        )));
    }
    let (_, longest) = value::len_range(value);
    if longest > MAX_BYTES {
        return Err(refused(format!(
            "this value can be {longest} bytes long; a step sends at most {} MiB",
            MAX_BYTES / (1024 * 1024)
        )));
    }
    Ok(value::eval(&without_empty_repeats(value), rng))
}

/// True when an expectation holds a value nested too deep to compare safely.
pub(super) fn too_deep(expectation: &Expectation) -> bool {
    expectation.alternatives.iter().any(|alt| match alt {
        Outcome::Data {
            what: Some(DataMatch::Exact(v)),
            ..
        } => depth(v) > MAX_VALUE_DEPTH,
        _ => false,
    })
}

/// How deep `value` nests, measured without recursion (the value is not yet known to be
/// shallow).
fn depth(value: &Value) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(value, 1usize)];
    while let Some((v, d)) = stack.pop() {
        deepest = deepest.max(d);
        match v {
            Value::Times(inner, _) => stack.push((inner, d + 1)),
            Value::Concat(parts) => stack.extend(parts.iter().map(|p| (p, d + 1))),
            Value::Literal(_) | Value::Pattern(_) | Value::Random { .. } => {}
        }
    }
    deepest
}

/// `value` with every repetition of something always empty replaced by nothing. Such a
/// part draws no random byte (a `random 0` draws none), so the result is the same bytes
/// from the same random stream, made without looping over the repeat count.
fn without_empty_repeats(value: &Value) -> Cow<'_, Value> {
    if !has_empty_repeat(value) {
        return Cow::Borrowed(value);
    }
    Cow::Owned(prune(value))
}

fn has_empty_repeat(value: &Value) -> bool {
    match value {
        Value::Times(inner, n) => {
            (*n > 1 && value::len_range(inner).1 == 0) || has_empty_repeat(inner)
        }
        Value::Concat(parts) => parts.iter().any(has_empty_repeat),
        Value::Literal(_) | Value::Pattern(_) | Value::Random { .. } => false,
    }
}

fn prune(value: &Value) -> Value {
    match value {
        Value::Times(inner, _) if value::len_range(inner).1 == 0 => Value::Literal(Vec::new()),
        Value::Times(inner, n) => Value::Times(Box::new(prune(inner)), *n),
        Value::Concat(parts) => Value::Concat(parts.iter().map(prune).collect()),
        other => other.clone(),
    }
}

fn refused(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message)
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::{MAX_VALUE_DEPTH, bytes_of};
    use crate::scenario::ast::Value;

    fn lit(s: &str) -> Value {
        Value::Literal(s.as_bytes().to_vec())
    }

    #[test]
    fn a_repetition_of_nothing_is_nothing_at_once() {
        let mut rng = StdRng::seed_from_u64(1);
        let nothing = Value::Times(Box::new(lit("")), usize::MAX);
        assert_eq!(bytes_of(&nothing, &mut rng).unwrap(), b"");
        let around = Value::Concat(vec![
            lit("a"),
            Value::Times(Box::new(Value::Times(Box::new(lit("")), 1000)), usize::MAX),
            lit("b"),
        ]);
        assert_eq!(bytes_of(&around, &mut rng).unwrap(), b"ab");
    }

    #[test]
    fn values_are_made_as_the_language_says() {
        let mut rng = StdRng::seed_from_u64(1);
        let v = Value::Concat(vec![Value::Times(Box::new(lit("x")), 3), lit("y")]);
        assert_eq!(bytes_of(&v, &mut rng).unwrap(), b"xxxy");
    }

    #[test]
    fn too_deep_and_too_long_values_are_refused() {
        let mut rng = StdRng::seed_from_u64(1);
        let mut deep = lit("a");
        for _ in 0..MAX_VALUE_DEPTH {
            deep = Value::Times(Box::new(deep), 1);
        }
        let err = bytes_of(&deep, &mut rng).unwrap_err();
        assert!(err.to_string().contains("nests more than"), "{err}");
        let long = Value::Times(Box::new(lit("ab")), usize::MAX / 4);
        let err = bytes_of(&long, &mut rng).unwrap_err();
        assert!(err.to_string().contains("bytes long"), "{err}");
    }
}
