//! Expectations: `=> A | B | ...`, and whether the step's verb can see what each
//! alternative claims (`eof` of a `send` is a mistake worth a message).

use super::super::ast::{Action, DataMatch, Outcome};
use super::super::lexer::TokenKind;
use super::super::limits::MAX_ALTERNATIVES;
use super::super::vocab::{OutcomeWord, error_names, is_error_name};
use super::Parser;
use super::cursor::{Cursor, Error, Exp, PResult, Span, did_you_mean, quoted};
use super::values::{expect_size, parse_value};
use crate::text::{Said, said};

/// What an expectation claims, to check that the step's verb can have it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Part {
    Value,
    Count,
    Eof,
    Partial,
    From,
    Truncated,
}

const FROM: &str = OutcomeWord::From.name();
const TRUNCATED: &str = OutcomeWord::Truncated.name();

impl<'a> Parser<'a, '_> {
    /// `=> A | B | ...`; `parts` collects what each alternative claims, with its span.
    pub(crate) fn parse_expectation(
        &mut self,
        c: &mut Cursor<'_, 'a>,
        parts: &mut Vec<(Part, Span)>,
    ) -> PResult<Vec<Outcome>> {
        let mut alternatives = vec![self.parse_outcome(c, parts)?];
        while let Some(pipe) = c.eat(TokenKind::Pipe, "|") {
            if alternatives.len() == MAX_ALTERNATIVES {
                return Err(Error::new(
                    pipe.span,
                    said!(
                        "an expectation may have at most {MAX_ALTERNATIVES} alternatives",
                        "一个预期最多有 {MAX_ALTERNATIVES} 个备选"
                    ),
                )
                .with_help(Said::both(
                    "each alternative is checked against every result of the step",
                    "每个备选都要和这个步骤的每个结果比较",
                )));
            }
            alternatives.push(self.parse_outcome(c, parts)?);
        }
        Ok(alternatives)
    }

    fn parse_outcome(
        &mut self,
        c: &mut Cursor<'_, 'a>,
        parts: &mut Vec<(Part, Span)>,
    ) -> PResult<Outcome> {
        for (word, outcome, part) in [
            (OutcomeWord::Eof, Outcome::Eof, Some(Part::Eof)),
            (OutcomeWord::Timeout, Outcome::Timeout, None),
            (OutcomeWord::Ok, Outcome::Ok, None),
            (OutcomeWord::Partial, Outcome::Partial, Some(Part::Partial)),
        ] {
            if let Some(tok) = c.eat_word(word.name()) {
                if let Some(part) = part {
                    parts.push((part, tok.span));
                }
                return Ok(outcome);
            }
        }
        if c.eat_word(OutcomeWord::Error.name()).is_some() {
            let Some(name) = c.eat_any_word(Exp::Desc("an error name (like `ECONNRESET`)")) else {
                return Err(c.fail());
            };
            if !is_error_name(name.text) {
                let help = did_you_mean(name.text, error_names()).unwrap_or_else(|| {
                    let framing = quoted(crate::frame::FrameError::NAMES).join(", ");
                    said!(
                        "write an errno name like `ECONNRESET` or `EAGAIN`, or a framing error: {framing}",
                        "写一个 errno 名，比如 `ECONNRESET` 或 `EAGAIN`，或者一个分帧错误：{framing}"
                    )
                });
                let written = name.text;
                return Err(Error::new(
                    name.span,
                    said!("unknown error name `{written}`", "未知的错误名 `{written}`"),
                )
                .with_help(help));
            }
            return Ok(Outcome::Error(name.text.to_string()));
        }
        let what = if c.peek_kind() == Some(TokenKind::Number) {
            let (n, span) = expect_size(c)?;
            let Some(bytes) = c.eat_word("bytes") else {
                return Err(c.fail());
            };
            parts.push((Part::Count, span.to(bytes.span)));
            Some(DataMatch::Count(n))
        } else if c.at_word(FROM) || c.at_word(TRUNCATED) {
            None
        } else {
            c.expect(Exp::Lit(FROM));
            c.expect(Exp::Lit(TRUNCATED));
            c.expect(Exp::Desc("a byte count (`N bytes`)"));
            let (value, span) = match parse_value(c) {
                Ok(v) => v,
                Err(mut e) => {
                    if let Some(t) = c.peek()
                        && is_error_name(t.text)
                    {
                        e.help = Some(Said::both(
                            format!("did you mean `error {}`?", t.text),
                            format!("你是想写 `error {}` 吗？", t.text),
                        ));
                    }
                    return Err(e);
                }
            };
            parts.push((Part::Value, span));
            Some(DataMatch::Exact(value))
        };
        let mut from = None;
        let mut truncated = false;
        loop {
            if from.is_none()
                && let Some(tok) = c.eat_word(FROM)
            {
                parts.push((Part::From, tok.span));
                from = Some(self.expect_actor(c)?.0);
                continue;
            }
            if !truncated && let Some(tok) = c.eat_word(TRUNCATED) {
                parts.push((Part::Truncated, tok.span));
                truncated = true;
                continue;
            }
            break;
        }
        Ok(Outcome::Data {
            what,
            from,
            truncated,
        })
    }
}

/// Whether the verb of `action` can see what an expectation claims.
pub(crate) fn check_part(action: &Action, part: Part, span: Span) -> PResult<()> {
    let verb = action.verb();
    let recv_like = matches!(
        action,
        Action::Recv(_) | Action::RecvFrom(_) | Action::RecvFrame { .. }
    );
    let send_like = matches!(
        action,
        Action::Send(_) | Action::SendAll(_) | Action::SendTo { .. } | Action::SendFrame { .. }
    );
    let (allowed, message, help) = match part {
        Part::Value => (
            recv_like,
            said!(
                "a value cannot be expected of `{verb}`: only `recv`, `recvfrom` and `recv frame` return data",
                "`{verb}` 不能预期一个值：只有 `recv`、`recvfrom` 和 `recv frame` 返回数据"
            ),
            send_like.then(|| {
                Said::both(
                    "to check how many bytes the kernel took, write `=> N bytes`",
                    "要检查内核收下了多少字节，写 `=> N bytes`",
                )
            }),
        ),
        Part::Count => (
            recv_like || send_like,
            said!(
                "`N bytes` cannot be expected of `{verb}`: only sends and recvs move bytes",
                "`{verb}` 不能预期 `N bytes`：只有发送（send）和接收（recv）搬运字节"
            ),
            None,
        ),
        Part::Eof => (
            matches!(action, Action::Recv(_) | Action::RecvFrame { .. }),
            said!(
                "`eof` cannot be expected of `{verb}`: only `recv` and `recv frame` see the peer's eof",
                "`{verb}` 不能预期 `eof`：只有 `recv` 和 `recv frame` 能看到对端的 eof"
            ),
            None,
        ),
        Part::Partial => (
            matches!(action, Action::Send(_) | Action::SendTo { .. }),
            said!(
                "`partial` cannot be expected of `{verb}`: only `send` and `sendto` can take fewer bytes than offered",
                "`{verb}` 不能预期 `partial`：只有 `send` 和 `sendto` 会少收下一些字节"
            ),
            matches!(action, Action::SendAll(_)).then(|| {
                Said::both(
                    "`sendall` loops until every byte is taken; use `send` to see a partial send",
                    "`sendall` 会循环到每个字节都被收下；要看到部分发送，用 `send`",
                )
            }),
        ),
        Part::From => (
            matches!(action, Action::Accept | Action::RecvFrom(_)),
            said!(
                "`from` cannot be expected of `{verb}`: only `accept` and `recvfrom` learn the peer's address",
                "`{verb}` 不能预期 `from`：只有 `accept` 和 `recvfrom` 知道对端的地址"
            ),
            None,
        ),
        Part::Truncated => (
            matches!(action, Action::RecvFrom(_)),
            said!(
                "`truncated` cannot be expected of `{verb}`: only `recvfrom` can cut a datagram short",
                "`{verb}` 不能预期 `truncated`：只有 `recvfrom` 会截断数据报"
            ),
            None,
        ),
    };
    if allowed {
        Ok(())
    } else {
        Err(Error::new(span, message).help(help))
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{lit, outcomes, parse_ok, steps};
    use crate::scenario::ast::{DataMatch, Outcome, Value};

    #[test]
    fn expectations() {
        assert_eq!(outcomes("recv 1 => ok"), [Outcome::Ok]);
        assert_eq!(
            outcomes("recv 1 => eof | error ECONNRESET | timeout"),
            [
                Outcome::Eof,
                Outcome::Error("ECONNRESET".into()),
                Outcome::Timeout
            ]
        );
        assert_eq!(
            outcomes("recv 1 => 1 bytes | bytes 1"),
            [
                Outcome::Data {
                    what: Some(DataMatch::Count(1)),
                    from: None,
                    truncated: false
                },
                Outcome::Data {
                    what: Some(DataMatch::Exact(Value::Pattern(1))),
                    from: None,
                    truncated: false
                }
            ]
        );
        assert_eq!(outcomes("send \"abc\" => partial"), [Outcome::Partial]);
        assert_eq!(
            outcomes("recvfrom 9 => \"a\" truncated from server"),
            [Outcome::Data {
                what: Some(DataMatch::Exact(lit("a"))),
                from: Some("server".into()),
                truncated: true
            }]
        );
        assert_eq!(
            outcomes("recv frame line => error truncated-frame"),
            [Outcome::Error("truncated-frame".into())]
        );
        let s = parse_ok("server: listen\nserver: recv 4 =>  \"a\" |eof   # why\n");
        assert_eq!(
            steps(&s.body)[1].expect.as_ref().map(|e| e.text.as_str()),
            Some("\"a\" |eof")
        );
        assert_eq!(steps(&s.body)[1].text, "recv 4 =>  \"a\" |eof");
    }
}
