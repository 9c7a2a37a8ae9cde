//! Step lines: `ACTOR: VERB ARGS... [on TARGET] [=> EXPECTATION]`, each verb with its
//! own words and options. The expectation after `=>` is read by `outcomes.rs`.

use std::net::{Ipv4Addr, Shutdown, SocketAddr};

use super::super::ast::{
    Action, DEFAULT_BACKLOG, DgramKind, Expectation, FRAME_CHUNK, Item, RecvMode, Step, StreamKind,
    Target,
};
use super::super::lexer::TokenKind;
use super::super::limits::MAX_ACTORS;
use super::super::vocab::{MetaKey, Verb};
use super::Parser;
use super::cursor::{
    A_NUMBER, AN_ACTOR, AN_ADDRESS, Cursor, Error, Exp, PResult, PTok, Span, did_you_mean,
    did_you_mean_this, is_actor_name, join_and, join_zh, quoted,
};
use super::meta::text_until_comment;
use super::options::{expect_codec, expect_option};
use super::outcomes::check_part;
use super::values::{expect_duration, expect_name, expect_number, expect_size, parse_value};
use crate::net::addr;
use crate::text::{Said, said};

impl<'a> Parser<'a, '_> {
    pub(crate) fn parse_step(
        &mut self,
        c: &mut Cursor<'_, 'a>,
        actor: PTok<'a>,
        toks: &[PTok<'a>],
        substituted: bool,
    ) -> PResult<()> {
        if !is_actor_name(actor.text) {
            let lower = actor.text.to_lowercase();
            let help = if is_actor_name(&lower) && MetaKey::from_name(&lower).is_none() {
                did_you_mean_this(&lower)
            } else {
                Said::both(
                    "an actor's name is lower-case letters, digits, `_` and `-`, starting with a letter",
                    "角色名由小写字母、数字、`_` 和 `-` 组成，以字母开头",
                )
            };
            let name = actor.text;
            return Err(Error::new(
                actor.span,
                said!("`{name}` is not an actor name", "`{name}` 不是角色名"),
            )
            .with_help(help));
        }
        if MetaKey::from_name(actor.text).is_some() {
            return Err(Error::new(actor.span, {
                let name = actor.text;
                said!(
                    "`{name}` is a meta key and cannot be an actor's name",
                    "`{name}` 是元信息的键，不能用作角色名"
                )
            }));
        }
        if !self.declared.actors.contains(actor.text) {
            if self.declared.actors.len() == MAX_ACTORS {
                self.errors.push(
                    Error::new(
                        actor.span,
                        {
                            let (name, number) = (actor.text, MAX_ACTORS + 1);
                            said!(
                                "`{name}` would be actor number {number}; a scenario may have at most {MAX_ACTORS}",
                                "`{name}` 会是第 {number} 个角色；一个场景最多 {MAX_ACTORS} 个角色"
                            )
                        },
                    )
                    .with_help(Said::both(
                        "each actor is a thread of its own; let one actor do several jobs",
                        "每个角色是一个独立的线程；让一个角色做几件事",
                    )),
                );
            }
            self.declared.actors.insert(actor.text);
        }
        if !substituted {
            return Ok(());
        }

        let Some(verb) = c.eat_any_word(Exp::Desc("a verb")) else {
            return Err(c.fail());
        };
        let action = self.parse_action(c, actor.text, verb)?;

        let on = match c.eat_word("on") {
            Some(_) => Some(self.expect_actor(c)?),
            None => None,
        };
        if action == Action::Accept {
            let own = on.is_none();
            let (owner, span) = on.clone().unwrap_or((actor.text.to_string(), verb.span));
            self.uses.listeners.push((owner, span, own));
        }
        let on = on.map(|(name, _)| name);
        let mut parts = Vec::new();
        let expect = match c.eat(TokenKind::Arrow, "=>") {
            Some(_) => Some(self.parse_expectation(c, &mut parts)?),
            None => None,
        };
        c.expect_end()?;

        for (part, span) in parts {
            if let Err(e) = check_part(&action, part, span) {
                self.errors.push(e);
            }
        }
        let after = |kind: TokenKind| {
            let start = toks
                .iter()
                .position(|t| t.kind == kind)
                .map_or(0, |i| i + 1);
            text_until_comment(toks[start..].iter().map(|t| (t.kind, t.text)))
        };
        let expect = expect.map(|alternatives| Expectation {
            alternatives,
            text: after(TokenKind::Arrow),
        });
        self.push_item(Item::Step(Step {
            actor: actor.text.to_string(),
            line: verb.span.line,
            col: verb.span.col,
            text: after(TokenKind::Colon),
            action,
            on,
            expect,
        }));
        Ok(())
    }

    fn parse_action(
        &mut self,
        c: &mut Cursor<'_, 'a>,
        actor: &str,
        verb: PTok<'a>,
    ) -> PResult<Action> {
        let Some(known) = Verb::from_name(verb.text) else {
            return Err(unknown_verb(actor, verb));
        };
        let action = match known {
            Verb::Listen => {
                if let Some(again) = c.eat_word("again") {
                    if !self.declared.listeners.contains(actor) {
                        self.errors.push(
                            Error::new(
                                verb.span.to(again.span),
                                said!(
                                    "`listen again` needs an earlier `listen` by `{actor}`",
                                    "`listen again` 之前需要 `{actor}` 先有一个 `listen`"
                                ),
                            )
                            .with_help(Said::both(
                                "`listen again` binds the address this actor listened on before",
                                "`listen again` 绑定这个角色之前监听过的地址",
                            )),
                        );
                    }
                    Action::ListenAgain
                } else {
                    let kind = if c.eat_word("tcp").is_some() {
                        StreamKind::Tcp
                    } else if c.eat_word("unix").is_some() {
                        StreamKind::Unix
                    } else {
                        StreamKind::Tcp
                    };
                    let at = self.parse_on_address(c, kind == StreamKind::Tcp)?;
                    let backlog = match c.eat_word("backlog") {
                        Some(_) => {
                            let (n, span) = expect_number(c, A_NUMBER)?;
                            u32::try_from(n).map_err(|_| {
                                Error::new(
                                    span,
                                    said!("a backlog of {n} is too large", "backlog {n} 太大了"),
                                )
                            })?
                        }
                        None => DEFAULT_BACKLOG,
                    };
                    self.declared.listeners.insert(actor);
                    Action::Listen { kind, backlog, at }
                }
            }
            Verb::Connect => match c.eat_word("to") {
                Some(_) => match self.expect_target(c)? {
                    (Target::Actor(to), span) => {
                        self.uses.listeners.push((to.clone(), span, false));
                        Action::Connect {
                            to: Some(Target::Actor(to)),
                        }
                    }
                    (addr, _) => Action::Connect { to: Some(addr) },
                },
                None => {
                    self.uses.bare_connects.push(verb.span);
                    Action::Connect { to: None }
                }
            },
            Verb::Accept => Action::Accept,
            Verb::Close => match c.eat_word("listener") {
                Some(_) => Action::CloseListener,
                None => Action::Close,
            },
            Verb::Shutdown => {
                let how = [
                    ("write", Shutdown::Write),
                    ("read", Shutdown::Read),
                    ("both", Shutdown::Both),
                ]
                .into_iter()
                .find_map(|(w, how)| c.eat_word(w).map(|_| how))
                .ok_or_else(|| c.fail())?;
                Action::Shutdown(how)
            }
            Verb::Bind => {
                if c.eat_word("tcp").is_some() {
                    let at = self.parse_on_address(c, true)?;
                    // A connect to it is refused: it is something to connect to.
                    self.declared.listeners.insert(actor);
                    Action::BindTcp { at }
                } else {
                    let kind = [
                        ("udp", DgramKind::Udp),
                        ("unix-dgram", DgramKind::UnixDgram),
                    ]
                    .into_iter()
                    .find_map(|(w, kind)| c.eat_word(w).map(|_| kind))
                    .ok_or_else(|| c.fail())?;
                    let at = self.parse_on_address(c, kind == DgramKind::Udp)?;
                    self.declared.binders.insert(actor);
                    Action::Bind { kind, at }
                }
            }
            Verb::Send => match c.eat_word("frame") {
                Some(_) => {
                    let codec = expect_codec(c)?;
                    let (value, _) = parse_value(c)?;
                    Action::SendFrame { codec, value }
                }
                None => Action::Send(parse_value(c)?.0),
            },
            Verb::SendAll => Action::SendAll(parse_value(c)?.0),
            Verb::Recv => {
                if c.eat_word("exactly").is_some() {
                    Action::Recv(RecvMode::Exactly(expect_size(c)?.0))
                } else if c.eat_word("until").is_some() {
                    if c.eat_word("eof").is_none() {
                        return Err(c.fail());
                    }
                    Action::Recv(RecvMode::UntilEof)
                } else if c.eat_word("frame").is_some() {
                    let codec = expect_codec(c)?;
                    let chunk = match c.eat_word("chunk") {
                        Some(_) => {
                            let (n, span) = expect_size(c)?;
                            if n == 0 {
                                return Err(Error::new(
                                    span,
                                    Said::both("`chunk` must be at least 1", "`chunk` 至少是 1"),
                                ));
                            }
                            n
                        }
                        None => FRAME_CHUNK,
                    };
                    Action::RecvFrame { codec, chunk }
                } else {
                    Action::Recv(RecvMode::Once(expect_size(c)?.0))
                }
            }
            Verb::SendTo => {
                let (to, span) = self.expect_target(c)?;
                if let Target::Actor(name) = &to {
                    self.uses.binders.push((name.clone(), span));
                }
                let (value, _) = parse_value(c)?;
                Action::SendTo { to, value }
            }
            Verb::RecvFrom => Action::RecvFrom(expect_size(c)?.0),
            Verb::Set => Action::Set(expect_option(c)?),
            Verb::Sleep => Action::Sleep(expect_duration(c)?.0),
            Verb::Mark => {
                let name = expect_name(c)?;
                if matches!(name.text, "readable" | "drained" | "acked") {
                    let word = name.text;
                    return Err(Error::new(
                        name.span,
                        said!(
                            "`{word}` cannot be a mark's name",
                            "`{word}` 不能用作标记（mark）的名字"
                        ),
                    )
                    .with_help(said!(
                        "`wait {word}` has its own meaning; pick another name",
                        "`wait {word}` 另有含义；换一个名字"
                    )));
                }
                self.declared.marks.insert(name.text);
                Action::Mark(name.text.to_string())
            }
            Verb::Wait => {
                if c.eat_word("readable").is_some() {
                    Action::WaitReadable(expect_size(c)?.0)
                } else if c.eat_word("drained").is_some() {
                    Action::WaitDrained
                } else if c.eat_word("acked").is_some() {
                    Action::WaitAcked
                } else {
                    let name = expect_name(c)?;
                    self.uses.waits.push((name.text.to_string(), name.span));
                    Action::Wait(name.text.to_string())
                }
            }
            Verb::Timer => {
                let start = if c.eat_word("start").is_some() {
                    true
                } else if c.eat_word("stop").is_some() {
                    false
                } else {
                    return Err(c.fail());
                };
                let name = expect_name(c)?;
                if start {
                    self.declared.timers.insert(name.text);
                    Action::TimerStart(name.text.to_string())
                } else {
                    self.uses.timers.push((name.text.to_string(), name.span));
                    Action::TimerStop(name.text.to_string())
                }
            }
        };
        Ok(action)
    }

    /// An actor's name, remembered to check that the actor has steps.
    /// `on PORT` or `on HOST:PORT` after `listen` or `bind`, if there; `inet` says
    /// whether the socket has a port (a Unix socket has none).
    fn parse_on_address(
        &mut self,
        c: &mut Cursor<'_, 'a>,
        inet: bool,
    ) -> PResult<Option<SocketAddr>> {
        let Some(on) = c.eat_word("on") else {
            return Ok(None);
        };
        if !inet {
            return Err(Error::new(
                on.span,
                Said::both(
                    "a Unix socket has no port: `on PORT` is for `listen tcp`, `bind tcp` and `bind udp`",
                    "Unix 套接字没有端口：`on PORT` 只用于 `listen tcp`、`bind tcp` 和 `bind udp`",
                ),
            ));
        }
        let (addr, _) = parse_address(c, true)?;
        Ok(Some(addr))
    }

    /// The target of `connect to` or `sendto`: an actor's name, or an address
    /// (`127.0.0.1:8000`, `localhost:8000`, `[::1]:8000`).
    fn expect_target(&mut self, c: &mut Cursor<'_, 'a>) -> PResult<(Target, Span)> {
        let looks_like_name = c.peek().is_some_and(|t| {
            t.kind == TokenKind::Word
                && !address_tokens(c)
                    .nth(1)
                    .is_some_and(|n| n.kind == TokenKind::Colon)
        });
        if looks_like_name {
            let (name, span) = self.expect_actor(c)?;
            return Ok((Target::Actor(name), span));
        }
        let (addr, span) = parse_address(c, false)?;
        Ok((Target::Addr(addr), span))
    }

    pub(crate) fn expect_actor(&mut self, c: &mut Cursor<'_, 'a>) -> PResult<(String, Span)> {
        let Some(tok) = c.eat_any_word(AN_ACTOR) else {
            return Err(c.fail());
        };
        self.uses.actors.push((tok.text.to_string(), tok.span));
        Ok((tok.text.to_string(), tok.span))
    }
}

/// The tokens from the cursor on that may be one address: those that touch each other
/// (no space between), of the kinds an address is lexed into. `127.0.0.1:8000` is a
/// number, a colon and a number; `[::1]:80` begins with an unknown character `[`. The
/// tokens of one `$param`'s value share its span: they touch too.
fn address_tokens<'c, 'a>(c: &'c Cursor<'_, 'a>) -> impl Iterator<Item = PTok<'a>> + 'c {
    let mut prev: Option<PTok<'a>> = None;
    c.rest().iter().copied().take_while(move |t| {
        let part = matches!(
            t.kind,
            TokenKind::Number | TokenKind::Word | TokenKind::Colon
        ) || (t.kind == TokenKind::Unknown && matches!(t.text, "[" | "]"));
        let touches = prev.is_none_or(|p| {
            p.span == t.span
                || (p.span.line == t.span.line
                    && p.span.col.saturating_add(p.span.width) == t.span.col)
        });
        prev = Some(*t);
        part && touches
    })
}

/// An address as the tutorials write it: `127.0.0.1:8000`, `localhost:8000`,
/// `[::1]:8000`, or (`port_alone`, after `on`) a bare port on 127.0.0.1: `8000`.
fn parse_address<'a>(c: &mut Cursor<'_, 'a>, port_alone: bool) -> PResult<(SocketAddr, Span)> {
    let toks: Vec<PTok<'a>> = address_tokens(c).collect();
    let Some(first) = toks.first() else {
        return Err(c.fail_expecting(AN_ADDRESS));
    };
    let span = toks.iter().fold(first.span, |s, t| s.to(t.span));
    let text: String = toks.iter().map(|t| t.text).collect();
    for _ in &toks {
        c.bump();
    }
    let parsed = if port_alone && text.bytes().all(|b| b.is_ascii_digit()) {
        addr::parse_port(&text).map(|port| SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
    } else {
        addr::parse_host_port(&text)
    };
    parsed.map(|a| (a, span)).map_err(|e| {
        let zh = match &e {
            addr::AddrError::NoPort => {
                "应为 HOST:PORT（例如 127.0.0.1:8000、localhost:8000、[::1]:8000）".to_string()
            }
            addr::AddrError::BadPort(p) => format!("`{p}` 不是端口（0 到 65535）"),
            addr::AddrError::BadHost(h) => format!(
                "`{h}` 不是实验室认识的主机：写 IP 地址（127.0.0.1、[::1]）或 localhost；不做域名解析"
            ),
        };
        let help = match &e {
            addr::AddrError::BadHost(h) if is_actor_name(h) => Some(said!(
                "to reach the actor `{h}`, name it without a port: `{h}`",
                "要连到角色 `{h}`，只写它的名字，不带端口：`{h}`"
            )),
            _ => None,
        };
        Error::new(span, Said::both(e.to_string(), zh)).help(help)
    })
}

/// `unknown verb `sedn``, with the nearest verb, or the meta key the actor's name
/// resembles (`titel: Two sends` reads as a step of an actor `titel`), or all verbs.
fn unknown_verb(actor: &str, verb: PTok<'_>) -> Error {
    let meta = MetaKey::names()
        .find(|k| did_you_mean(actor, [*k]).is_some())
        .map(|k| {
            said!(
                "did you mean the meta line `{k}:`?",
                "你是想写元信息行 `{k}:` 吗？"
            )
        });
    let verbs: Vec<&str> = Verb::names().collect();
    let help = did_you_mean(verb.text, Verb::names())
        .or(meta)
        .unwrap_or_else(|| {
            let (en, zh) = (join_and(&quoted(&verbs)), join_zh(&quoted(&verbs), " 和 "));
            said!("the verbs are {en}", "动词有 {zh}")
        });
    let written = verb.text;
    Error::new(
        verb.span,
        said!("unknown verb `{written}`", "未知的动词 `{written}`"),
    )
    .with_help(help)
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{DATAGRAMS, lit, parse_ok, steps};
    use crate::scenario::ast::{Action, DataMatch, DgramKind, Outcome, Target, Value};

    #[test]
    fn datagrams() {
        let s = parse_ok(DATAGRAMS);
        let all = steps(&s.body);
        let bind = |kind| Action::Bind { kind, at: None };
        assert_eq!(all[0].action, bind(DgramKind::Udp));
        assert_eq!(all[1].action, bind(DgramKind::UnixDgram));
        assert_eq!(
            all[2].action,
            Action::SendTo {
                to: Target::Actor("b".into()),
                value: Value::Concat(vec![
                    Value::Random { min: 10, max: 20 },
                    Value::Literal(vec![0xc3, 0xa9, 0])
                ])
            }
        );
        assert_eq!(all[3].action, Action::RecvFrom(4));
        assert_eq!(
            all[3].expect.as_ref().map(|e| e.alternatives.clone()),
            Some(vec![
                Outcome::Data {
                    what: Some(DataMatch::Exact(Value::Random { min: 4, max: 4 })),
                    from: Some("a".into()),
                    truncated: true
                },
                Outcome::Data {
                    what: None,
                    from: Some("a".into()),
                    truncated: true
                },
                Outcome::Data {
                    what: Some(DataMatch::Count(4)),
                    from: None,
                    truncated: false
                },
            ])
        );
    }

    #[test]
    fn a_string_may_hold_a_hash_and_an_arrow() {
        let s = parse_ok("server: listen\nclient: send \"# => |\" # real comment\n");
        let step = steps(&s.body)[1];
        assert_eq!(step.action, Action::Send(lit("# => |")));
        assert_eq!(step.text, "send \"# => |\"");
        assert_eq!(step.expect, None);
    }
}
