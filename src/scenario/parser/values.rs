//! Values and the scalars inside them: sizes (`64K`), whole numbers, durations, switches,
//! comparison operators, strings, `hex "..."`, `bytes N`, `random A..B`, and the
//! expressions `VALUE * N` and `VALUE + VALUE`.

use std::time::Duration;

use super::super::ast::{CmpOp, Value};
use super::super::lexer::TokenKind;
use super::super::limits::MAX_VALUE_PARTS;
use super::cursor::{
    A_DURATION, A_NAME, A_SIZE, Cursor, Error, Exp, PResult, PTok, Span, did_you_mean_this,
};
use crate::text::{Said, said};

fn size_help() -> Said {
    Said::both(
        "a size is a whole number, optionally with `K` or `M` (1024-based): `1024`, `64K`, `1M`",
        "大小是一个整数，可以带 `K` 或 `M`（以 1024 为单位）：`1024`、`64K`、`1M`",
    )
}

/// `64K` -> 65536. The error is a message and a help.
pub(crate) fn parse_size(text: &str) -> Result<usize, (Said, Said)> {
    let digits_end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, suffix) = text.split_at(digits_end);
    let multiplier: usize = match suffix {
        "" => 1,
        "K" => 1024,
        "M" => 1024 * 1024,
        _ => {
            let help = match suffix {
                "k" | "m" => did_you_mean_this(&format!("{digits}{}", suffix.to_uppercase())),
                _ => size_help(),
            };
            return Err((said!("`{text}` is not a size", "`{text}` 不是大小"), help));
        }
    };
    digits
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_mul(multiplier))
        .ok_or_else(|| {
            (
                said!("`{text}` is too large", "`{text}` 太大了"),
                size_help(),
            )
        })
}

pub(crate) fn expect_number(c: &mut Cursor<'_, '_>, what: Exp) -> PResult<(usize, Span)> {
    match c.peek() {
        Some(t) if t.kind == TokenKind::Number => {
            c.bump();
            parse_size(t.text)
                .map(|n| (n, t.span))
                .map_err(|(message, help)| {
                    if what == A_SIZE || message.en().ends_with("too large") {
                        Error::new(t.span, message).with_help(help)
                    } else {
                        let help = help.en().starts_with("did you mean").then_some(help);
                        let text = t.text;
                        Error::new(
                            t.span,
                            said!("`{text}` is not a whole number", "`{text}` 不是整数"),
                        )
                        .help(help)
                    }
                })
        }
        _ => Err(c.fail_expecting(what)),
    }
}

pub(crate) fn expect_size(c: &mut Cursor<'_, '_>) -> PResult<(usize, Span)> {
    expect_number(c, A_SIZE)
}

pub(crate) fn expect_duration(c: &mut Cursor<'_, '_>) -> PResult<(Duration, Span)> {
    match c.peek() {
        Some(t) if t.kind == TokenKind::Number => {
            c.bump();
            humantime::parse_duration(t.text)
                .map(|d| (d, t.span))
                .map_err(|_| {
                    let text = t.text;
                    Error::new(
                        t.span,
                        said!(
                            "`{text}` is not a duration: write a number and a unit, like `40ms`, `1s` or `250us`",
                            "`{text}` 不是时长：写一个数字加单位，比如 `40ms`、`1s` 或 `250us`"
                        ),
                    )
                })
        }
        _ => Err(c.fail_expecting(A_DURATION)),
    }
}

pub(crate) fn expect_name<'a>(c: &mut Cursor<'_, 'a>) -> PResult<PTok<'a>> {
    c.eat_any_word(A_NAME).ok_or_else(|| c.fail())
}

pub(crate) fn expect_op(c: &mut Cursor<'_, '_>) -> PResult<CmpOp> {
    [
        (TokenKind::Lt, "<", CmpOp::Lt),
        (TokenKind::Le, "<=", CmpOp::Le),
        (TokenKind::Gt, ">", CmpOp::Gt),
        (TokenKind::Ge, ">=", CmpOp::Ge),
        (TokenKind::EqEq, "==", CmpOp::Eq),
    ]
    .into_iter()
    .find_map(|(kind, lit, op)| c.eat(kind, lit).map(|_| op))
    .ok_or_else(|| c.fail())
}

pub(crate) fn expect_switch(c: &mut Cursor<'_, '_>) -> PResult<bool> {
    if c.eat_word("on").is_some() {
        Ok(true)
    } else if c.eat_word("off").is_some() {
        Ok(false)
    } else {
        Err(c.fail())
    }
}

/// A duration, or `off` (`None`).
pub(crate) fn expect_duration_or_off(c: &mut Cursor<'_, '_>) -> PResult<Option<Duration>> {
    if c.eat_word("off").is_some() {
        Ok(None)
    } else {
        Ok(Some(expect_duration(c)?.0))
    }
}

/// `TERM + TERM + ...` where a term is `ATOM * N * ...`: `*` binds tighter than `+`.
///
/// Both loops are iterative and a chain of factors folds into one count (`"a" * 2 * 3` is
/// `"a" * 6`), so the model of a value is never deeper than concat, repeat, atom, however
/// long the line: the runner walks values recursively. The parts a value stands for
/// (each atom once per repetition) are counted and bounded by [`MAX_VALUE_PARTS`], which
/// bounds the work of making or matching it even when its bytes are few
/// (`"" * 1000000000000`).
pub(crate) fn parse_value(c: &mut Cursor<'_, '_>) -> PResult<(Value, Span)> {
    let (first, mut span, mut total) = parse_term(c)?;
    let mut parts = vec![first];
    while c.eat(TokenKind::Plus, "+").is_some() {
        let (term, s, n) = parse_term(c)?;
        total = total.saturating_add(n);
        parts.push(term);
        span = span.to(s);
        if total > MAX_VALUE_PARTS {
            return Err(too_many_parts(s, total));
        }
    }
    let value = if parts.len() == 1 {
        parts.pop().unwrap_or(Value::Concat(Vec::new()))
    } else {
        Value::Concat(parts)
    };
    Ok((value, span))
}

fn too_many_parts(span: Span, total: u64) -> Error {
    Error::new(
        span,
        said!(
            "this value repeats its parts {total} times in all; a value may have at most {MAX_VALUE_PARTS}",
            "这个值的各部分一共重复 {total} 次；一个值最多 {MAX_VALUE_PARTS} 个部分"
        ),
    )
    .with_help(Said::both(
        "for many bytes, `bytes N` or `random N` is one part, whatever N",
        "要很多字节，用 `bytes N` 或 `random N`：不管 N 多大，都只算一个部分",
    ))
}

/// `ATOM * N * M ...` as one repetition of the atom; the third result is the count of
/// parts (the product of the factors).
fn parse_term(c: &mut Cursor<'_, '_>) -> PResult<(Value, Span, u64)> {
    let (atom, mut span) = parse_atom(c)?;
    let mut count: Option<u64> = None;
    while c.eat(TokenKind::Star, "*").is_some() {
        let (n, s) = expect_number(c, Exp::Desc("a repeat count"))?;
        let n = u64::try_from(n).unwrap_or(u64::MAX);
        let product = count.unwrap_or(1).saturating_mul(n);
        span = span.to(s);
        if product > MAX_VALUE_PARTS {
            return Err(too_many_parts(span, product));
        }
        count = Some(product);
    }
    Ok(match count {
        // Each factor is at most MAX_VALUE_PARTS, which fits a usize.
        Some(n) => (
            Value::Times(Box::new(atom), usize::try_from(n).unwrap_or(usize::MAX)),
            span,
            n,
        ),
        None => (atom, span, 1),
    })
}

pub(crate) fn parse_atom(c: &mut Cursor<'_, '_>) -> PResult<(Value, Span)> {
    if let Some(tok) = c.peek()
        && let TokenKind::Str { .. } = tok.kind
    {
        c.bump();
        return Ok((Value::Literal(string_bytes(tok)?), tok.span));
    }
    c.expect(Exp::Desc("a string"));
    if let Some(hex) = c.eat_word("hex") {
        let Some(tok) = c.peek().filter(|t| matches!(t.kind, TokenKind::Str { .. })) else {
            return Err(
                c.fail_expecting(Exp::Desc("a string of hex digits (like \"de ad be ef\")"))
            );
        };
        c.bump();
        return Ok((Value::Literal(hex_bytes(tok)?), hex.span.to(tok.span)));
    }
    if let Some(bytes) = c.eat_word("bytes") {
        let (n, span) = expect_size(c)?;
        return Ok((Value::Pattern(n), bytes.span.to(span)));
    }
    if let Some(random) = c.eat_word("random") {
        let (min, min_span) = expect_size(c)?;
        if c.eat(TokenKind::DotDot, "..").is_none() {
            return Ok((Value::Random { min, max: min }, random.span.to(min_span)));
        }
        let (max, max_span) = expect_size(c)?;
        if min > max {
            return Err(Error::new(
                min_span.to(max_span),
                said!(
                    "`random {min}..{max}` is an empty range: the first bound is larger",
                    "`random {min}..{max}` 是空区间：第一个界比第二个大"
                ),
            )
            .with_help(did_you_mean_this(&format!("random {max}..{min}"))));
        }
        return Ok((Value::Random { min, max }, random.span.to(max_span)));
    }
    Err(c.fail())
}

/// The contents of a string token, between its quotes; an unterminated one is an error.
pub(crate) fn string_contents<'a>(tok: PTok<'a>) -> PResult<&'a str> {
    match tok.kind {
        TokenKind::Str { terminated: true } if tok.text.len() >= 2 => {
            Ok(&tok.text[1..tok.text.len() - 1])
        }
        _ => Err(Error::new(
            tok.span,
            Said::both("this string is never closed", "这个字符串没有结束"),
        )
        .with_help(Said::both(
            "add a `\"` where the string ends (a string cannot span lines)",
            "在字符串结束的地方加上 `\"`（字符串不能跨行）",
        ))),
    }
}

pub(crate) fn string_bytes(tok: PTok<'_>) -> PResult<Vec<u8>> {
    let contents = string_contents(tok)?;
    crate::text::escape::unescape(contents).map_err(|e| {
        let span = if tok.subst {
            tok.span
        } else {
            tok.span.inner(e.start + 1, e.len)
        };
        Error::new(span, e.message).help(e.help)
    })
}

/// `hex "de ad be ef"`: pairs of hex digits, whitespace anywhere.
pub(crate) fn hex_bytes(tok: PTok<'_>) -> PResult<Vec<u8>> {
    let contents = string_contents(tok)?;
    let mut digits = Vec::new();
    for (i, ch) in contents.chars().enumerate() {
        if ch.is_whitespace() {
            continue;
        }
        match ch.to_digit(16) {
            Some(d) => digits.push(d as u8),
            None => {
                let span = if tok.subst {
                    tok.span
                } else {
                    tok.span.inner(i + 1, 1)
                };
                return Err(Error::new(
                    span,
                    said!("`{ch}` is not a hex digit", "`{ch}` 不是十六进制数字"),
                )
                .with_help(Said::both(
                    "hex bytes are pairs of 0-9 and a-f, like `hex \"de ad be ef\"`",
                    "十六进制字节是成对的 0-9 和 a-f，比如 `hex \"de ad be ef\"`",
                )));
            }
        }
    }
    if digits.len() % 2 == 1 {
        return Err(Error::new(tok.span, {
            let n = digits.len();
            said!(
                "odd number of hex digits ({n}): every byte needs two",
                "十六进制数字的个数是奇数（{n}）：每个字节需要两个"
            )
        })
        .with_help(Said::both(
            "write a leading zero, like `0a` for the byte 10",
            "补一个前导零，比如字节 10 写成 `0a`",
        )));
    }
    Ok(digits.chunks(2).map(|p| p[0] << 4 | p[1]).collect())
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{lit, value};
    use crate::scenario::ast::Value;

    #[test]
    fn values() {
        assert_eq!(value("\"a\\tb\""), lit("a\tb"));
        assert_eq!(
            value("hex \"DEad beef\""),
            Value::Literal(vec![0xde, 0xad, 0xbe, 0xef])
        );
        assert_eq!(value("hex \"\""), Value::Literal(vec![]));
        assert_eq!(value("bytes 3000"), Value::Pattern(3000));
        assert_eq!(value("random 7"), Value::Random { min: 7, max: 7 });
        assert_eq!(
            value("random 1K..2K"),
            Value::Random {
                min: 1024,
                max: 2048
            }
        );
        assert_eq!(
            value("\"x\" * 3 + \"y\""),
            Value::Concat(vec![Value::Times(Box::new(lit("x")), 3), lit("y")])
        );
        assert_eq!(
            value("\"y\" + \"x\" * 2 * 3"),
            Value::Concat(vec![
                lit("y"),
                // A chain of factors folds into one count.
                Value::Times(Box::new(lit("x")), 6)
            ])
        );
        assert_eq!(
            value("hex \"00000005\" + \"hello\" + bytes 2"),
            Value::Concat(vec![
                Value::Literal(vec![0, 0, 0, 5]),
                lit("hello"),
                Value::Pattern(2)
            ])
        );
    }
}
