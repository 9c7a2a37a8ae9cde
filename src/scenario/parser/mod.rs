//! Tokens -> [`Scenario`]: one line at a time, with every problem kept as a [`Diagnostic`].
//!
//! The file is read in three passes:
//! 1. `param:` lines are collected and the `--param` overrides applied;
//! 2. every other line is parsed, `$name` replaced by the parameter's tokens first (each
//!    replacement token keeps the position of the `$name`, so errors point at it);
//! 3. names used before they can be known (actors, marks, timers, listeners) are checked
//!    against what the whole file declares.
//!
//! Naming (as in `just`): `expect_*` reads something required and fails with a message
//! for the user; `eat_*` reads something optional; `parse_*` builds a construct. The
//! cursor remembers every token it would have accepted at the current position, so a
//! syntax error lists them all ("expected `on`, `=>` or end of line, found `x`").
//!
//! Where each job lives:
//! - `mod.rs` (here): the passes, line dispatch, `repeat` blocks and their depth;
//! - `cursor.rs`: the token cursor, spans, errors and the "did you mean" hint;
//! - `values.rs`: sizes, numbers, durations, switches, and values (`"a" * 3 + bytes 4`);
//! - `meta.rs`: `title:`, `about:`, `tags:`, `param:`, `timeout:`; `checks.rs`: `expect:`;
//! - `steps.rs`: `ACTOR: VERB ...` lines; `options.rs`: `set OPTION VALUE` and codecs;
//! - `outcomes.rs`: `=> A | B` and whether the verb can see each claim;
//! - `resolve.rs`: pass 3, names checked against the whole file.
//!
//! The limits of `limits.rs` that one line shows (counts, depth, actors, alternatives)
//! are enforced here, as the line is read.

mod checks;
mod cursor;
pub(crate) use cursor::is_actor_name;
mod meta;
mod options;
mod outcomes;
mod resolve;
mod steps;
#[cfg(test)]
pub(crate) mod test_support;
mod values;

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use super::ast::{Check, Item, LangText, Repeat, Scenario};
use super::diagnostic::{Collector, Diagnostic};
use super::lexer::{self, Token, TokenKind};
use super::limits::{MAX_DEPTH, MAX_REPEAT};
use super::vocab::MetaKey;
use crate::text::{Said, said};
use cursor::{
    Cursor, Error, Errors, Exp, PResult, PTok, Span, did_you_mean_this, list_names, list_names_zh,
    nearest,
};
use meta::{apply_overrides, collect_params, meta_key, split_key};
use resolve::{Declared, Uses};
use values::expect_number;

/// An open `repeat` block.
struct Block {
    count: u64,
    line: u32,
    span: Span,
    items: Vec<Item>,
    /// Nested deeper than [`MAX_DEPTH`] (already reported): its items go to the
    /// enclosing block when it closes, so the model never nests deeper than the limit.
    too_deep: bool,
}

struct Parser<'a, 'p> {
    params: &'p HashMap<&'a str, Vec<Token<'a>>>,
    param_names: Vec<&'a str>,
    errors: Errors,
    title: LangText,
    title_lines: HashMap<Option<String>, u32>,
    /// Paragraphs per language (`None` = unsuffixed), and whether the next line starts one.
    about: BTreeMap<Option<String>, (Vec<String>, bool)>,
    tags: Vec<String>,
    timeout: Option<(Duration, u32)>,
    checks: Vec<Check>,
    body: Vec<Item>,
    blocks: Vec<Block>,
    uses: Uses,
    declared: Declared,
}

pub(crate) fn parse(
    file: &str,
    name: &str,
    source: &str,
    overrides: &[(String, String)],
) -> Result<Scenario, Vec<Diagnostic>> {
    let tokens = lexer::lex(source);
    let lines: Vec<&[Token<'_>]> = tokens
        .split(|t| t.kind == TokenKind::Newline)
        .filter(|l| !l.is_empty())
        .collect();

    let mut errors = Errors(Collector::new(file));
    let mut params = collect_params(&lines, &mut errors);
    for (message, help) in apply_overrides(&mut params, overrides) {
        errors.0.push((0, 0, 1), message, help);
    }
    let param_tokens: HashMap<&str, Vec<Token<'_>>> = params
        .iter()
        .map(|p| {
            let toks = lexer::lex(&p.value)
                .into_iter()
                .filter(|t| t.kind != TokenKind::Newline)
                .collect();
            (p.name.as_str(), toks)
        })
        .collect();

    let mut parser = Parser {
        params: &param_tokens,
        param_names: params.iter().map(|p| p.name.as_str()).collect(),
        errors,
        title: LangText::default(),
        title_lines: HashMap::new(),
        about: BTreeMap::new(),
        tags: Vec::new(),
        timeout: None,
        checks: Vec::new(),
        body: Vec::new(),
        blocks: Vec::new(),
        uses: Uses::default(),
        declared: Declared::default(),
    };
    for line in &lines {
        parser.line(line);
    }
    parser.finish();

    if !parser.errors.is_empty() {
        return Err(parser.errors.0.into_vec());
    }

    let mut about = LangText::default();
    for (lang, (paragraphs, _)) in parser.about {
        let text = paragraphs.join("\n\n");
        match lang {
            None => about.default = Some(text),
            Some(lang) => {
                about.by_lang.insert(lang, text);
            }
        }
    }
    Ok(Scenario {
        name: name.to_string(),
        file: file.to_string(),
        title: parser.title,
        about,
        tags: parser.tags,
        timeout: parser.timeout.map(|(d, _)| d),
        params: params.clone(),
        actors: parser.declared.actors.into_vec(),
        body: parser.body,
        checks: parser.checks,
    })
}

impl<'a> Parser<'a, '_> {
    fn line(&mut self, line: &[Token<'a>]) {
        if let Some((key, colon)) = meta_key(line) {
            let (base, lang) = split_key(key.text);
            if let Some(meta) = MetaKey::from_name(base) {
                if lang.is_some() && !matches!(meta, MetaKey::Title | MetaKey::About) {
                    self.errors.push(
                        Error::new(
                            Span::of(&key),
                            said!(
                                "`{base}` does not take a language suffix",
                                "`{base}` 不能带语言后缀"
                            ),
                        )
                        .with_help(Said::both(
                            "only `title` and `about` do, like `title.zh:`",
                            "只有 `title` 和 `about` 可以，比如 `title.zh:`",
                        )),
                    );
                    return;
                }
                match meta {
                    MetaKey::Param => return, // pass 1
                    MetaKey::Title | MetaKey::About | MetaKey::Tags => {
                        self.free_text(key, lang, &line[colon + 1..]);
                        return;
                    }
                    _ => {}
                }
            }
        }
        let (toks, substituted) = self.substitute(line);
        if let Err(e) = self.parse_line(&toks, substituted) {
            self.errors.push(e);
        }
    }

    /// Replaces each `$name` by the tokens of the parameter's value, all blamed on the
    /// `$name`. Reports undeclared names; the bool says whether all were declared.
    fn substitute(&mut self, line: &[Token<'a>]) -> (Vec<PTok<'a>>, bool) {
        let mut out = Vec::with_capacity(line.len());
        let mut ok = true;
        for tok in line {
            let span = Span::of(tok);
            if tok.kind != TokenKind::Param {
                out.push(PTok {
                    kind: tok.kind,
                    text: tok.text,
                    span,
                    subst: false,
                });
                continue;
            }
            let name = &tok.text[1..];
            if let Some(value) = self.params.get(name) {
                out.extend(value.iter().map(|t| PTok {
                    kind: t.kind,
                    text: t.text,
                    span,
                    subst: true,
                }));
                continue;
            }
            ok = false;
            let error = if name.is_empty() {
                Error::new(
                    span,
                    Said::both(
                        "`$` must be followed by a parameter's name, like `$nodelay`",
                        "`$` 后面要跟参数名，比如 `$nodelay`",
                    ),
                )
            } else {
                let written = tok.text;
                let undeclared = said!(
                    "undeclared parameter `{written}`",
                    "未声明的参数 `{written}`"
                );
                if self.param_names.is_empty() {
                    Error::new(span, undeclared).with_help(said!(
                        "this scenario declares no parameters; declare it with `param: {name} = DEFAULT`",
                        "这个场景没有声明参数；用 `param: {name} = DEFAULT` 声明它"
                    ))
                } else if !self.errors.wants(span) {
                    // Not shown: spare the search of every declared name.
                    Error::new(span, undeclared)
                } else {
                    // "did you mean `$nodelay`?": the name as it is used.
                    let help = nearest(name, self.param_names.iter().copied())
                        .map(|near| did_you_mean_this(&format!("${near}")))
                        .unwrap_or_else(|| {
                            let (en, zh) = (
                                list_names(&self.param_names),
                                list_names_zh(&self.param_names),
                            );
                            said!("this scenario declares {en}", "这个场景声明的参数有 {zh}")
                        });
                    Error::new(span, undeclared).with_help(help)
                }
            };
            self.errors.push(error);
        }
        (out, ok)
    }

    fn parse_line(&mut self, toks: &[PTok<'a>], substituted: bool) -> PResult<()> {
        let sig: Vec<PTok<'a>> = toks
            .iter()
            .filter(|t| !t.kind.is_trivia())
            .copied()
            .collect();
        let mut c = Cursor::new(&sig);
        let Some(first) = c.peek() else {
            return Ok(());
        };
        let second = sig.get(1).map(|t| t.kind);
        match first.kind {
            TokenKind::RBrace => {
                c.bump();
                if substituted {
                    c.expect_end()?;
                }
                self.close_block(first.span)
            }
            TokenKind::Word if first.text == "repeat" && second != Some(TokenKind::Colon) => {
                let opens = sig.last().is_some_and(|t| t.kind == TokenKind::LBrace);
                if opens {
                    let depth = self.blocks.len() + 1;
                    if depth == MAX_DEPTH + 1 {
                        self.errors.push(
                            Error::new(
                                first.span,
                                said!(
                                    "this `repeat` block is nested {depth} deep; blocks may nest at most {MAX_DEPTH} deep",
                                    "这个 `repeat` 块嵌套了 {depth} 层；块最多嵌套 {MAX_DEPTH} 层"
                                ),
                            )
                            .with_help(Said::both(
                                "multiply the counts of nested blocks into one `repeat`",
                                "把嵌套块的次数相乘，合成一个 `repeat`",
                            )),
                        );
                    }
                    self.blocks.push(Block {
                        count: 1,
                        line: first.span.line,
                        span: first.span,
                        items: Vec::new(),
                        too_deep: depth > MAX_DEPTH,
                    });
                }
                if !substituted {
                    return Ok(());
                }
                self.parse_repeat(&mut c, opens)
            }
            TokenKind::Word if second == Some(TokenKind::Colon) => {
                c.bump();
                c.bump();
                match MetaKey::from_name(first.text) {
                    Some(MetaKey::Timeout) if substituted => self.parse_timeout(&mut c),
                    Some(MetaKey::Expect) if substituted => self.parse_check(&mut c, toks),
                    Some(MetaKey::Timeout | MetaKey::Expect) => Ok(()),
                    _ => self.parse_step(&mut c, first, toks, substituted),
                }
            }
            TokenKind::Word => {
                c.bump();
                Err(c.fail_expecting(Exp::Lit(":")).with_help(Said::both(
                    "a step starts with its actor and a colon: `client: send \"hi\"`",
                    "步骤以角色名和冒号开头：`client: send \"hi\"`",
                )))
            }
            _ => Err(c.fail_expecting(Exp::Desc(
                "a step (`ACTOR: VERB ...`), a meta line (`KEY: text`), `repeat N {` or `}`",
            ))),
        }
    }

    fn push_item(&mut self, item: Item) {
        match self.blocks.last_mut() {
            Some(block) => block.items.push(item),
            None => self.body.push(item),
        }
    }

    fn close_block(&mut self, span: Span) -> PResult<()> {
        let Some(block) = self.blocks.pop() else {
            return Err(Error::new(
                span,
                Said::both(
                    "`}` without a `repeat` block to close",
                    "`}` 没有可以闭合的 `repeat` 块",
                ),
            )
            .with_help(Said::both(
                "a block starts with a line `repeat N {`",
                "块以一行 `repeat N {` 开始",
            )));
        };
        if block.too_deep {
            for item in block.items {
                self.push_item(item);
            }
        } else {
            self.push_item(Item::Repeat(Repeat {
                count: block.count,
                line: block.line,
                body: block.items,
            }));
        }
        Ok(())
    }

    /// `repeat N {` (the block is already open when the line ends with `{`).
    fn parse_repeat(&mut self, c: &mut Cursor<'_, 'a>, opened: bool) -> PResult<()> {
        c.bump();
        let hint = |e: Error| match e.help {
            Some(_) => e,
            None => e.with_help(Said::both(
                "a block starts with a line like `repeat 3 {`",
                "块以这样一行开始：`repeat 3 {`",
            )),
        };
        let (count, span) = expect_number(c, Exp::Desc("a repeat count")).map_err(hint)?;
        let count = u64::try_from(count).unwrap_or(u64::MAX);
        if count > MAX_REPEAT {
            return Err(Error::new(
                span,
                said!(
                    "`repeat {count}` is too many: a block may repeat at most {MAX_REPEAT} times",
                    "`repeat {count}` 次数太多：一个块最多重复 {MAX_REPEAT} 次"
                ),
            )
            .with_help(Said::both(
                "a run is kept in memory step by step; run the scenario with --repeat for more",
                "一次运行的每一步都保存在内存里；要更多次，用 --repeat 运行这个场景",
            )));
        }
        if c.eat(TokenKind::LBrace, "{").is_none() {
            return Err(hint(c.fail()));
        }
        c.expect_end()?;
        if opened && let Some(block) = self.blocks.last_mut() {
            block.count = count;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::net::Shutdown;
    use std::time::Duration;

    use rand::rngs::StdRng;
    use rand::{RngExt, SeedableRng};

    use super::test_support::{EVERYTHING, SAMPLES, SPEC_EXAMPLE, errors, lit, parse_ok, steps};
    use crate::scenario::ast::{
        Action, Check, CheckKind, CmpOp, Codec, Counted, DataMatch, Item, Outcome, RecvMode,
        SockOpt, Stat, StatBound, StreamKind, Target, Value,
    };

    #[test]
    fn the_spec_example() {
        let s = parse_ok(SPEC_EXAMPLE);
        assert_eq!(s.name, "t");
        assert_eq!(s.file, "t.lab");
        assert_eq!(s.title.get("en"), Some("Two sends, one recv"));
        assert_eq!(s.title.get("zh"), Some("两次发送，一次接收"));
        assert_eq!(
            s.about.default.as_deref(),
            Some(
                "TCP is a byte stream. The kernel keeps no record of where one send ended, \
                 so a late recv returns everything queued, glued together."
            )
        );
        assert_eq!(s.about.get("zh"), Some("TCP 是字节流……"));
        assert_eq!(s.tags, ["tcp", "coalescing"]);
        assert_eq!(s.actors, ["server", "client"]);
        assert_eq!(s.timeout, None);
        let steps = steps(&s.body);
        assert_eq!(steps.len(), 9);
        let accept = steps[2];
        assert_eq!(
            (accept.actor.as_str(), accept.line, accept.col),
            ("server", 11, 9)
        );
        assert_eq!(accept.text, "accept                 => from client");
        assert_eq!(accept.action, Action::Accept);
        let expect = accept.expect.as_ref().expect("an expectation");
        assert_eq!(expect.text, "from client");
        assert_eq!(
            expect.alternatives,
            [Outcome::Data {
                what: None,
                from: Some("client".into()),
                truncated: false
            }]
        );
        assert_eq!(steps[6].action, Action::Recv(RecvMode::Once(1024)));
        assert_eq!(
            steps[6].expect.as_ref().map(|e| e.alternatives.clone()),
            Some(vec![Outcome::Data {
                what: Some(DataMatch::Exact(lit("helloworld"))),
                from: None,
                truncated: false
            }])
        );
        assert_eq!(
            steps[8].expect.as_ref().map(|e| e.alternatives.clone()),
            Some(vec![Outcome::Eof])
        );
    }

    #[test]
    fn everything_parses_into_the_model() {
        let s = parse_ok(EVERYTHING);
        assert_eq!(s.title.default.as_deref(), Some("Everything"));
        assert_eq!(
            s.about.default.as_deref(),
            Some("First paragraph, still the first.\n\nSecond paragraph.")
        );
        assert_eq!(s.about.get("en"), Some("English."));
        assert_eq!(s.tags, ["a", "b", "c"]);
        assert_eq!(s.timeout, Some(Duration::from_secs(2)));
        assert_eq!(s.actors, ["server", "local", "client"]);
        let params: Vec<(&str, &str, &str, u32)> = s
            .params
            .iter()
            .map(|p| {
                (
                    p.name.as_str(),
                    p.default.as_str(),
                    p.value.as_str(),
                    p.line,
                )
            })
            .collect();
        assert_eq!(
            params,
            [
                ("nodelay", "off", "off", 9),
                ("msg", "\"hi\"", "\"hi\"", 10),
                ("n", "3", "3", 11)
            ]
        );
        assert_eq!(
            s.checks,
            [
                Check {
                    line: 12,
                    text: "rtt p50 >= 30ms".into(),
                    kind: CheckKind::Timer {
                        name: "rtt".into(),
                        stat: Stat::P50,
                        value: StatBound::Time(Duration::from_millis(30))
                    },
                    op: CmpOp::Ge
                },
                Check {
                    line: 13,
                    text: "rtt count == 20".into(),
                    kind: CheckKind::Timer {
                        name: "rtt".into(),
                        stat: Stat::Count,
                        value: StatBound::Count(20)
                    },
                    op: CmpOp::Eq
                },
                Check {
                    line: 14,
                    text: "server recvs > 1".into(),
                    kind: CheckKind::Count {
                        actor: "server".into(),
                        what: Counted::Recvs,
                        value: 1
                    },
                    op: CmpOp::Gt
                },
                Check {
                    line: 15,
                    text: "client sends == 3".into(),
                    kind: CheckKind::Count {
                        actor: "client".into(),
                        what: Counted::Sends,
                        value: 3
                    },
                    op: CmpOp::Eq
                },
            ]
        );
        let actions: Vec<Action> = steps(&s.body).iter().map(|s| s.action.clone()).collect();
        assert_eq!(
            actions,
            [
                Action::Set(SockOpt::ReuseAddr(true)),
                Action::Listen {
                    kind: StreamKind::Tcp,
                    backlog: 128,
                    at: None
                },
                Action::Listen {
                    kind: StreamKind::Unix,
                    backlog: 5,
                    at: None
                },
                Action::Set(SockOpt::NoDelay(false)),
                Action::Connect {
                    to: Some(Target::Actor("server".into()))
                },
                Action::Accept,
                Action::Send(lit("hi")),
                Action::SendAll(Value::Pattern(65536)),
                Action::SendFrame {
                    codec: Codec::Len32,
                    value: Value::Concat(vec![Value::Times(Box::new(lit("x")), 3), lit("y")])
                },
                Action::SendFrame {
                    codec: Codec::Fixed(4),
                    value: Value::Literal(vec![0xde, 0xad, 0xbe, 0xef])
                },
                Action::Recv(RecvMode::Once(10)),
                Action::Recv(RecvMode::Exactly(1024)),
                Action::Recv(RecvMode::UntilEof),
                Action::RecvFrame {
                    codec: Codec::JsonHeader,
                    chunk: 16
                },
                Action::RecvFrame {
                    codec: Codec::Line,
                    chunk: 1024
                },
                Action::RecvFrame {
                    codec: Codec::Len32Le,
                    chunk: 1024
                },
                Action::Mark("sent".into()),
                Action::Wait("sent".into()),
                Action::TimerStart("rtt".into()),
                Action::TimerStop("rtt".into()),
                Action::Sleep(Duration::from_millis(1500)),
                Action::WaitDrained,
                Action::Shutdown(Shutdown::Write),
                Action::Shutdown(Shutdown::Read),
                Action::Shutdown(Shutdown::Both),
                Action::Close,
                Action::CloseListener,
                Action::ListenAgain,
            ]
        );
        let all = steps(&s.body);
        let first = all[0];
        assert_eq!(
            (first.line, first.col, first.text.as_str()),
            (17, 10, "set reuseaddr on")
        );
        assert_eq!(all[3].text, "set nodelay off");
        assert_eq!(all[5].on.as_deref(), Some("server"));
        assert_eq!(all[6].text, "send \"hi\" => 2 bytes | partial");
        assert_eq!(all[23].on.as_deref(), Some("server"));
    }

    #[test]
    fn repeat_blocks_nest() {
        let s = parse_ok(EVERYTHING);
        let Some(Item::Repeat(outer)) = s.body.iter().find(|i| matches!(i, Item::Repeat(_))) else {
            panic!("no repeat block");
        };
        assert_eq!((outer.count, outer.line, outer.body.len()), (3, 33, 2));
        let Item::Repeat(inner) = &outer.body[1] else {
            panic!("no inner block");
        };
        assert_eq!((inner.count, inner.line), (2, 35));
        assert!(
            matches!(&inner.body[..], [Item::Step(s)] if s.action == Action::Wait("sent".into()))
        );
    }

    #[test]
    fn crlf_line_endings() {
        let s = parse_ok("title: T\r\nserver: listen\r\nclient: connect => ok\r\n");
        assert_eq!(s.title.default.as_deref(), Some("T"));
        assert_eq!(steps(&s.body)[1].text, "connect => ok");
    }

    #[test]
    fn errors_come_in_file_order_one_per_bad_line() {
        let text = errors("x: sedn\nclient: connect to nobody\nx: recv 1 => \"a\" \"b\"\n}\n");
        let firsts: Vec<&str> = text.lines().filter(|l| l.starts_with("t.lab:")).collect();
        assert_eq!(
            firsts,
            [
                "t.lab:1:4: unknown verb `sedn`",
                "t.lab:2:20: unknown actor `nobody`: no step line starts with `nobody:`",
                "t.lab:3:18: expected `*`, `+`, `from`, `truncated`, `|` or end of line, found a string",
                "t.lab:4:1: `}` without a `repeat` block to close",
            ][..]
        );
    }

    #[test]
    fn nothing_panics_on_prefixes_or_random_bytes() {
        for sample in SAMPLES {
            for (i, _) in sample.char_indices() {
                let _ = crate::scenario::parse("t.lab", "t", &sample[..i], &[]);
            }
        }
        let mut rng = StdRng::seed_from_u64(7);
        let alphabet: Vec<char> = "ab: =>|+*{}\"\\$#.0123456789KMx\n\t\r中é-_"
            .chars()
            .collect();
        for _ in 0..3000 {
            let len = rng.random_range(0..60);
            let s: String = (0..len)
                .map(|_| alphabet[rng.random_range(0..alphabet.len())])
                .collect();
            let _ = crate::scenario::parse("t.lab", "t", &s, &[("x".into(), "$y".into())]);
            let bytes: Vec<u8> = (0..len).map(|_| rng.random::<u8>()).collect();
            let s = String::from_utf8_lossy(&bytes);
            let _ = crate::scenario::parse("t.lab", "t", &s, &[]);
            if let Err(ds) = crate::scenario::parse("t.lab", "t", &s, &[]) {
                for d in ds {
                    let _ = d.render(&s);
                }
            }
        }
        // Every line of a sample with each token replaced by junk.
        for sample in SAMPLES {
            for junk in ["", "\"", "$", "}", "=>", "9999999999999999999999K", "on"] {
                for (i, line) in sample.lines().enumerate() {
                    for word in line.split(' ') {
                        let broken: String = sample
                            .lines()
                            .enumerate()
                            .map(|(j, l)| {
                                if i == j {
                                    l.replacen(word, junk, 1)
                                } else {
                                    l.to_string()
                                }
                            })
                            .collect::<Vec<_>>()
                            .join("\n");
                        if let Err(ds) = crate::scenario::parse("t.lab", "t", &broken, &[]) {
                            for d in ds {
                                assert!(d.line > 0 && d.col > 0 && d.width > 0, "{d:?}");
                                let _ = d.render(&broken);
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn limits_hold_exactly_at_their_numbers() {
        use crate::scenario::limits::{MAX_ACTORS, MAX_ALTERNATIVES, MAX_DEPTH};
        let nested = |depth: usize| {
            format!(
                "{}a: mark x\n{}",
                "repeat 1 {\n".repeat(depth),
                "}\n".repeat(depth)
            )
        };
        parse_ok(&nested(MAX_DEPTH));
        assert!(errors(&nested(MAX_DEPTH + 1)).contains("nest at most 32 deep"));
        let actors = |n: usize| {
            (0..n)
                .map(|i| format!("a{i}: mark x\n"))
                .collect::<String>()
        };
        parse_ok(&actors(MAX_ACTORS));
        assert!(
            errors(&actors(MAX_ACTORS + 1))
                .starts_with("t.lab:65:1: `a64` would be actor number 65")
        );
        let alternatives = |n: usize| {
            format!(
                "server: listen\nserver: recv 1 => {}\n",
                vec!["eof"; n].join(" | ")
            )
        };
        parse_ok(&alternatives(MAX_ALTERNATIVES));
        assert!(errors(&alternatives(MAX_ALTERNATIVES + 1)).contains("at most 16 alternatives"));
        parse_ok("repeat 1000000 {\n}\na: mark x\n");
        assert!(errors("repeat 1000001 {\n}\na: mark x\n").contains("at most 1000000 times"));
        parse_ok("a: send \"\" * 1000 * 1000\n");
        assert!(errors("a: send \"\" * 1000 * 1000 + \"\"\n").contains("at most 1000000"));
    }
}
