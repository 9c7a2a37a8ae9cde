//! Properties of the scenario layer over generated input (proptest): the lexer loses no
//! byte and never panics, a value's bytes lie within its `len_range`, and a value the
//! limits accept stays within `MAX_BYTES`.
//!
//! Case counts are kept small so that `cargo test` stays fast in a debug build; a
//! failure prints the smallest input proptest could shrink it to.

use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;

use super::ast::{Action, Item, Scenario, Value};
use super::lexer::{TokenKind, lex};
use super::limits::{self, MAX_BYTES};
use super::value::{eval, len_range};

// ---------------------------------------------------------------------------------------
// The lexer

/// Text made of the pieces the lexer treats specially (quotes, escapes, comments,
/// arrows, line ends, numbers with units), glued to arbitrary characters, so that
/// generated input reaches the lexer's corners and not only its "unknown character" arm.
fn lexer_food() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        3 => prop::sample::select(vec![
            "\"", "\\", "#", "\n", "\r", "\r\n", "=>", "=", "<=", ">=", "==", "<", ">", "..",
            ":", "+", "*", "|", "$", "@", "{", "}", " ", "\t", "\u{feff}", "hex", "bytes",
            "random", "1K", "3.5M", "10ms", "0x", "-", ".", "_", "中文", "é",
        ])
        .prop_map(String::from),
        2 => "[a-z0-9._-]{1,6}",
        1 => any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat())
}

/// The tokens' texts concatenate back to the source, none is empty, and every token's
/// offset, line and column say where its text starts.
fn assert_lossless(source: &str) -> Result<(), TestCaseError> {
    let tokens = lex(source);
    let mut offset = 0;
    for token in &tokens {
        prop_assert!(!token.text.is_empty(), "an empty token at {offset}");
        prop_assert_eq!(token.offset, offset);
        prop_assert_eq!(&source[offset..offset + token.text.len()], token.text);
        let before = &source[..offset];
        let line = 1 + before.matches('\n').count();
        prop_assert_eq!(token.line as usize, line, "line of {:?}", token.text);
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let col = 1 + before[line_start..].chars().count();
        prop_assert_eq!(token.col as usize, col, "column of {:?}", token.text);
        // A line end is a token of its own: no other token carries one inside.
        if token.kind != TokenKind::Newline {
            prop_assert!(!token.text.contains('\n'), "{:?}", token);
        }
        offset += token.text.len();
    }
    let joined: String = tokens.iter().map(|t| t.text).collect();
    prop_assert_eq!(joined, source);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn the_lexer_is_lossless_on_any_string(source in any::<String>()) {
        assert_lossless(&source)?;
    }

    #[test]
    fn the_lexer_is_lossless_on_scenario_like_text(source in lexer_food()) {
        assert_lossless(&source)?;
    }
}

// ---------------------------------------------------------------------------------------
// Values

/// A value tree whose leaves and counts are drawn from `size` and `count`.
fn value_tree(
    size: impl Strategy<Value = usize> + Clone + 'static,
    count: impl Strategy<Value = usize> + Clone + 'static,
) -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..8).prop_map(Value::Literal),
        size.clone().prop_map(Value::Pattern),
        // min > max too: `random 5..2` is five bytes, as len_range says.
        (size.clone(), size).prop_map(|(min, max)| Value::Random { min, max }),
    ];
    leaf.prop_recursive(3, 16, 4, move |inner| {
        prop_oneof![
            (inner.clone(), count.clone()).prop_map(|(v, n)| Value::Times(Box::new(v), n)),
            prop::collection::vec(inner, 0..4).prop_map(Value::Concat),
        ]
    })
}

/// Sizes and counts small enough to evaluate every case.
fn small_value() -> impl Strategy<Value = Value> {
    value_tree(0usize..40, 0usize..5)
}

/// Sizes and counts around the limit, and far past it, among small ones.
fn edgy_value() -> impl Strategy<Value = Value> {
    let size = prop_oneof![
        6 => 0usize..40,
        1 => Just(MAX_BYTES),
        1 => Just(MAX_BYTES + 1),
        1 => (MAX_BYTES / 2 - 1)..=(MAX_BYTES / 2 + 1),
        1 => Just(usize::MAX),
    ];
    let count = prop_oneof![
        6 => 0usize..4,
        1 => 1usize..=2,
        1 => Just(1 << 20),
        1 => Just(usize::MAX),
    ];
    value_tree(size, count)
}

/// The largest value the properties evaluate: 1 MiB.
const EVAL_BUDGET: usize = 1 << 20;

/// Whether `limits::check` accepts `client: send VALUE` (the one step that uses it).
fn limits_accept(value: &Value) -> bool {
    let source = "server: listen\nclient: connect\nserver: accept\nclient: send \"x\"\n";
    let mut scenario: Scenario = super::parse("props.lab", "props", source, &[])
        .unwrap_or_else(|_| panic!("the base parses"));
    let send = scenario.body.iter_mut().find_map(|item| match item {
        Item::Step(step) => match &mut step.action {
            Action::Send(v) => Some(v),
            _ => None,
        },
        Item::Repeat(_) => None,
    });
    *send.expect("the base has a send") = value.clone();
    limits::check("props.lab", &scenario).is_empty()
}

/// About how much work `eval` does for `value`: bytes made plus loop turns. A part
/// repeated zero times is not made, nor is a repeat of a part that is always empty;
/// a part repeated once is made once; any other repeat turns its loop `n` times. This
/// bounds time and memory, not only the result.
fn eval_work(value: &Value) -> usize {
    match value {
        Value::Literal(bytes) => bytes.len(),
        Value::Pattern(n) => *n,
        Value::Random { min, max } => *min.max(max),
        Value::Times(_, 0) => 0,
        Value::Times(inner, _) if len_range(inner).1 == 0 => 0,
        Value::Times(inner, 1) => eval_work(inner),
        Value::Times(inner, n) => {
            let once = eval_work(inner);
            once.saturating_mul(*n)
                .saturating_add(once)
                .saturating_add(*n)
        }
        Value::Concat(parts) => parts
            .iter()
            .map(eval_work)
            .fold(parts.len(), usize::saturating_add),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn a_value_evaluates_to_a_length_within_its_len_range(
        value in small_value(),
        seed in any::<u64>(),
    ) {
        let (lo, hi) = len_range(&value);
        prop_assert!(lo <= hi);
        let bytes = eval(&value, &mut StdRng::seed_from_u64(seed));
        prop_assert!((lo..=hi).contains(&bytes.len()), "{} not in {lo}..={hi}", bytes.len());
    }

    #[test]
    fn a_value_the_limits_accept_evaluates_to_at_most_max_bytes(value in edgy_value()) {
        if limits_accept(&value) {
            let (_, hi) = len_range(&value);
            prop_assert!(hi <= MAX_BYTES, "accepted, and up to {hi} bytes");
            // Evaluated for real when that is cheap (a debug build makes random bytes one
            // at a time); past it, the property above, `eval` within `len_range`, and
            // the boundary test below carry the argument; that accepted values are cheap
            // to make, however short, is the next property.
            if eval_work(&value) <= EVAL_BUDGET {
                let bytes = eval(&value, &mut StdRng::seed_from_u64(7));
                prop_assert!(bytes.len() <= hi, "{} bytes, more than {hi}", bytes.len());
            }
        }
    }

    #[test]
    fn a_value_the_limits_accept_is_cheap_to_evaluate(value in edgy_value()) {
        if limits_accept(&value) {
            let work = eval_work(&value);
            prop_assert!(work <= 4 * MAX_BYTES, "accepted, and {work} bytes and turns to make");
        }
    }
}

/// The edge itself, evaluated: exactly MAX_BYTES is accepted and made, one byte more is
/// refused, and so is a repeat whose total passes the limit.
#[test]
fn the_limit_is_max_bytes_exactly() {
    let half = Value::Pattern(MAX_BYTES / 2);
    let exactly = Value::Times(Box::new(half.clone()), 2);
    assert!(limits_accept(&exactly));
    assert_eq!(
        eval(&exactly, &mut StdRng::seed_from_u64(1)).len(),
        MAX_BYTES
    );
    assert!(!limits_accept(&Value::Pattern(MAX_BYTES + 1)));
    assert!(!limits_accept(&Value::Concat(vec![
        half.clone(),
        half,
        Value::Literal(vec![b'!']),
    ])));
    let random_half = Value::Random {
        min: MAX_BYTES / 2,
        max: MAX_BYTES / 2 + 1,
    };
    assert!(!limits_accept(&Value::Times(Box::new(random_half), 2)));
    assert!(!limits_accept(&Value::Times(
        Box::new(Value::Pattern(usize::MAX)),
        usize::MAX
    )));
}

/// The smallest cases the property above found, as scenarios a user can write: `check`
/// used to accept them, and `run` aborted with "memory allocation of 1048576000000
/// bytes failed" on the first, and spun on the second until killed.
#[test]
fn values_that_take_unbounded_work_to_make_are_refused() {
    for value in ["bytes 1000000M * 0", "\"\" * 100000000000000"] {
        let source =
            format!("server: listen\nclient: connect\nserver: accept\nclient: send {value}\n");
        assert!(
            super::parse("work.lab", "work", &source, &[]).is_err(),
            "the limits accept `send {value}`"
        );
    }
}
