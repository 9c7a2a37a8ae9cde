//! Expectations: `=> A | B | ...`, and whether the step's verb can see what each
//! alternative claims (`eof` of a `send` is a mistake worth a message).

use super::super::ast::{Action, DataMatch, Outcome};
use super::super::lexer::TokenKind;
use super::super::limits::MAX_ALTERNATIVES;
use super::super::vocab::{OutcomeWord, error_names, is_error_name};
use super::Parser;
use super::cursor::{Cursor, Error, Exp, PResult, Span, did_you_mean, quoted};
use super::values::{expect_size, parse_value};

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
                    format!("an expectation may have at most {MAX_ALTERNATIVES} alternatives"),
                )
                .with_help("each alternative is checked against every result of the step"));
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
                    format!(
                        "write an errno name like `ECONNRESET` or `EAGAIN`, or a framing error: {}",
                        quoted(crate::frame::FrameError::NAMES).join(", ")
                    )
                });
                return Err(
                    Error::new(name.span, format!("unknown error name `{}`", name.text))
                        .with_help(help),
                );
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
                        e.help = Some(format!("did you mean `error {}`?", t.text));
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
            format!(
                "a value cannot be expected of `{verb}`: only `recv`, `recvfrom` and `recv frame` return data"
            ),
            send_like
                .then(|| "to check how many bytes the kernel took, write `=> N bytes`".to_string()),
        ),
        Part::Count => (
            recv_like || send_like,
            format!("`N bytes` cannot be expected of `{verb}`: only sends and recvs move bytes"),
            None,
        ),
        Part::Eof => (
            matches!(action, Action::Recv(_) | Action::RecvFrame { .. }),
            format!(
                "`eof` cannot be expected of `{verb}`: only `recv` and `recv frame` see the peer's eof"
            ),
            None,
        ),
        Part::Partial => (
            matches!(action, Action::Send(_) | Action::SendTo { .. }),
            format!(
                "`partial` cannot be expected of `{verb}`: only `send` and `sendto` can take fewer bytes than offered"
            ),
            matches!(action, Action::SendAll(_)).then(|| {
                "`sendall` loops until every byte is taken; use `send` to see a partial send"
                    .to_string()
            }),
        ),
        Part::From => (
            matches!(action, Action::Accept | Action::RecvFrom(_)),
            format!(
                "`from` cannot be expected of `{verb}`: only `accept` and `recvfrom` learn the peer's address"
            ),
            None,
        ),
        Part::Truncated => (
            matches!(action, Action::RecvFrom(_)),
            format!(
                "`truncated` cannot be expected of `{verb}`: only `recvfrom` can cut a datagram short"
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
