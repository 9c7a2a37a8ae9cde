//! `expect: ...` lines: checks on timers and call counts, evaluated after the run.

use super::super::ast::{Check, CheckKind, Counted, Stat, StatBound};
use super::super::lexer::TokenKind;
use super::Parser;
use super::cursor::{A_NUMBER, Cursor, Exp, PResult, PTok};
use super::meta::text_until_comment;
use super::values::{expect_duration, expect_number, expect_op, expect_size};
use crate::text::Said;

impl<'a> Parser<'a, '_> {
    /// `expect: NAME STAT OP BOUND` or `expect: ACTOR sends|recvs OP N`.
    pub(crate) fn parse_check(&mut self, c: &mut Cursor<'_, 'a>, toks: &[PTok<'a>]) -> PResult<()> {
        let Some(name) = c.eat_any_word(Exp::Desc("a timer or actor name")) else {
            return Err(c.fail().with_help(Said::both(
                "a check is `expect: TIMER STAT OP DURATION` or `expect: ACTOR sends|recvs OP N`",
                "检查写成 `expect: TIMER STAT OP DURATION` 或 `expect: ACTOR sends|recvs OP N`",
            )));
        };
        let counted = if c.eat_word("sends").is_some() {
            Some(Counted::Sends)
        } else if c.eat_word("recvs").is_some() {
            Some(Counted::Recvs)
        } else if c.eat_word("largest").is_some() {
            if c.eat_word("recv").is_none() {
                return Err(c.fail().with_help(Said::both(
                    "the size check is `expect: ACTOR largest recv OP SIZE`, e.g. `<= 8K`",
                    "大小的检查写成 `expect: ACTOR largest recv OP SIZE`，比如 `<= 8K`",
                )));
            }
            Some(Counted::LargestRecv)
        } else {
            None
        };
        let kind = if let Some(what) = counted {
            let op = expect_op(c)?;
            let n = if what == Counted::LargestRecv {
                expect_size(c)?.0
            } else {
                expect_number(c, A_NUMBER)?.0
            };
            c.expect_end()?;
            self.uses.actors.push((name.text.to_string(), name.span));
            (
                CheckKind::Count {
                    actor: name.text.to_string(),
                    what,
                    value: u64::try_from(n).unwrap_or(u64::MAX),
                },
                op,
            )
        } else {
            let stat = Stat::ALL
                .iter()
                .find_map(|&(stat, w)| c.eat_word(w).map(|_| stat))
                .ok_or_else(|| c.fail())?;
            let op = expect_op(c)?;
            let value = if stat == Stat::Count {
                let (n, _) = expect_number(c, A_NUMBER).map_err(|e| {
                    e.with_help(Said::both(
                        "`count` is how many start/stop pairs the timer saw: compare it with a number like `20`",
                        "`count` 是计时器经历的 start/stop 对数：拿它和一个数比较，比如 `20`",
                    ))
                })?;
                StatBound::Count(u64::try_from(n).unwrap_or(u64::MAX))
            } else {
                StatBound::Time(expect_duration(c)?.0)
            };
            c.expect_end()?;
            self.uses.timers.push((name.text.to_string(), name.span));
            (
                CheckKind::Timer {
                    name: name.text.to_string(),
                    stat,
                    value,
                },
                op,
            )
        };
        let colon = toks
            .iter()
            .position(|t| t.kind == TokenKind::Colon)
            .unwrap_or(0);
        self.checks.push(Check {
            line: name.span.line,
            text: text_until_comment(toks[colon + 1..].iter().map(|t| (t.kind, t.text))),
            kind: kind.0,
            op: kind.1,
        });
        Ok(())
    }
}
