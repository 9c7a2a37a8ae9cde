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

use std::collections::{BTreeMap, HashMap};
use std::net::Shutdown;
use std::time::Duration;

use super::ast::{
    Action, Check, CheckKind, CmpOp, Codec, Counted, DEFAULT_BACKLOG, DataMatch, DgramKind,
    Expectation, FRAME_CHUNK, Item, LangText, Outcome, Param, RecvMode, Repeat, Scenario, SockOpt,
    Stat, StatBound, Step, StreamKind, Value,
};
use super::diagnostic::Diagnostic;
use super::lexer::{self, Token, TokenKind};

/// Keys of meta lines (`KEY: text`); none of them can be an actor's name.
const META_KEYS: &[&str] = &["title", "about", "tags", "timeout", "param", "expect"];

const VERBS: &[&str] = &[
    "listen", "connect", "accept", "close", "shutdown", "bind", "send", "sendall", "recv",
    "sendto", "recvfrom", "set", "sleep", "mark", "wait", "timer",
];

const OPTIONS: &[&str] = &[
    "nodelay",
    "reuseaddr",
    "reuseport",
    "cork",
    "quickack",
    "nonblocking",
    "rcvbuf",
    "sndbuf",
    "mss",
    "rcvlowat",
    "linger",
    "rcvtimeo",
    "sndtimeo",
    "max-frame",
];

const CODECS: &[&str] = &["len32", "len32le", "json-header", "line", "fixed"];

/// CJK ideographs, kana, Hangul and full-width punctuation: the characters of scripts
/// written without spaces between words.
fn is_wide(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6)
}

/// The names `=> error NAME` accepts: the errnos the runner can name, EWOULDBLOCK (the
/// same as EAGAIN on Linux), and the framing errors.
fn error_names() -> impl Iterator<Item = &'static str> + Clone {
    crate::net::errno::NAMES
        .iter()
        .map(|&(name, _)| name)
        .chain(["EWOULDBLOCK"])
        .chain(crate::frame::FrameError::NAMES.iter().copied())
}

fn is_error_name(name: &str) -> bool {
    error_names().any(|n| n == name)
}

const STATS: &[(&str, Stat)] = &[
    ("count", Stat::Count),
    ("min", Stat::Min),
    ("p50", Stat::P50),
    ("p90", Stat::P90),
    ("p99", Stat::P99),
    ("max", Stat::Max),
    ("mean", Stat::Mean),
];

const DURATION_HINT: &str = "a number and a unit, like `40ms`, `1s` or `250us`";
const SIZE_HELP: &str =
    "a size is a whole number, optionally with `K` or `M` (1024-based): `1024`, `64K`, `1M`";

/// Where a problem is: a line, a column (1-based, in characters) and a width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    line: u32,
    col: u32,
    width: u32,
}

impl Span {
    fn of(tok: &Token<'_>) -> Span {
        Span {
            line: tok.line,
            col: tok.col,
            width: tok.width().max(1),
        }
    }

    /// From the start of `self` to the end of `other`, when both are on one line.
    fn to(self, other: Span) -> Span {
        if other.line != self.line || other.col < self.col {
            return self;
        }
        Span {
            width: (other.col + other.width).saturating_sub(self.col).max(1),
            ..self
        }
    }

    /// A part of a token: `len` characters from `start` (both in characters).
    fn inner(self, start: usize, len: usize) -> Span {
        let start = u32::try_from(start).unwrap_or(u32::MAX);
        let len = u32::try_from(len).unwrap_or(u32::MAX);
        Span {
            line: self.line,
            col: self.col.saturating_add(start),
            width: len.max(1),
        }
    }
}

/// A problem found while parsing, before it knows its file.
#[derive(Debug)]
struct Error {
    span: Span,
    message: String,
    help: Option<String>,
}

impl Error {
    fn new(span: Span, message: impl Into<String>) -> Error {
        Error {
            span,
            message: message.into(),
            help: None,
        }
    }

    fn help(mut self, help: Option<String>) -> Error {
        self.help = help;
        self
    }

    fn with_help(self, help: impl Into<String>) -> Error {
        self.help(Some(help.into()))
    }
}

type PResult<T> = Result<T, Error>;

/// "did you mean `send`?" for the nearest candidate, if one is near enough.
fn did_you_mean<'c>(name: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<String> {
    let lower = name.to_lowercase();
    let limit = if name.chars().count() <= 3 { 1 } else { 2 };
    candidates
        .into_iter()
        .filter(|&c| c != name)
        .map(|c| (strsim::damerau_levenshtein(&lower, &c.to_lowercase()), c))
        .filter(|&(d, _)| d <= limit)
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| format!("did you mean `{c}`?"))
}

/// `a`, `b` and `c`
fn join_and<S: AsRef<str>>(items: &[S]) -> String {
    join_with(items, " and ")
}

fn join_with<S: AsRef<str>>(items: &[S], last: &str) -> String {
    let mut out = String::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(if i + 1 == items.len() { last } else { ", " });
        }
        out.push_str(item.as_ref());
    }
    out
}

fn quoted(names: &[impl AsRef<str>]) -> Vec<String> {
    names.iter().map(|n| format!("`{}`", n.as_ref())).collect()
}

fn is_actor_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

fn is_param_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// `64K` -> 65536. The error is a message and a help.
fn parse_size(text: &str) -> Result<usize, (String, String)> {
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
                "k" | "m" => format!("did you mean `{digits}{}`?", suffix.to_uppercase()),
                _ => SIZE_HELP.to_string(),
            };
            return Err((format!("`{text}` is not a size"), help));
        }
    };
    digits
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_mul(multiplier))
        .ok_or_else(|| (format!("`{text}` is too large"), SIZE_HELP.to_string()))
}

/// A token as the parser sees it: after parameter substitution, with the span to blame.
#[derive(Debug, Clone, Copy)]
struct PTok<'a> {
    kind: TokenKind,
    text: &'a str,
    span: Span,
    /// Came from a parameter's value (its span is the `$name`'s).
    subst: bool,
}

impl PTok<'_> {
    fn is_word(&self, w: &str) -> bool {
        self.kind == TokenKind::Word && self.text == w
    }
}

/// One thing the cursor would have accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Exp {
    /// A literal token, shown in backquotes.
    Lit(&'static str),
    /// A description ("a size (like `1024` or `64K`)").
    Desc(&'static str),
}

impl Exp {
    fn show(self) -> String {
        match self {
            Exp::Lit(s) => format!("`{s}`"),
            Exp::Desc(s) => s.to_string(),
        }
    }
}

const A_SIZE: Exp = Exp::Desc("a size (like `1024` or `64K`)");
const A_NUMBER: Exp = Exp::Desc("a whole number");
const A_DURATION: Exp = Exp::Desc("a duration (like `40ms`, `1s` or `250us`)");
const AN_ACTOR: Exp = Exp::Desc("an actor name");
const A_NAME: Exp = Exp::Desc("a name");

/// The significant tokens of one line and what has been tried at the current one.
struct Cursor<'t, 'a> {
    toks: &'t [PTok<'a>],
    pos: usize,
    expected: Vec<Exp>,
    /// Where "end of line" is, for errors about a missing token.
    eol: Span,
}

impl<'t, 'a> Cursor<'t, 'a> {
    fn new(toks: &'t [PTok<'a>]) -> Self {
        let eol = toks.last().map_or(
            Span {
                line: 0,
                col: 1,
                width: 1,
            },
            |t| Span {
                line: t.span.line,
                col: t.span.col.saturating_add(t.span.width),
                width: 1,
            },
        );
        Cursor {
            toks,
            pos: 0,
            expected: Vec::new(),
            eol,
        }
    }

    fn peek(&self) -> Option<PTok<'a>> {
        self.toks.get(self.pos).copied()
    }

    fn peek_kind(&self) -> Option<TokenKind> {
        self.peek().map(|t| t.kind)
    }

    fn bump(&mut self) -> Option<PTok<'a>> {
        let tok = self.peek()?;
        self.pos += 1;
        self.expected.clear();
        Some(tok)
    }

    fn expect(&mut self, e: Exp) {
        if !self.expected.contains(&e) {
            self.expected.push(e);
        }
    }

    fn at_word(&self, w: &str) -> bool {
        self.peek().is_some_and(|t| t.is_word(w))
    }

    /// The word `w` if it comes next; else remembers that it would have been accepted.
    fn eat_word(&mut self, w: &'static str) -> Option<PTok<'a>> {
        if self.at_word(w) {
            self.bump()
        } else {
            self.expect(Exp::Lit(w));
            None
        }
    }

    fn eat(&mut self, kind: TokenKind, lit: &'static str) -> Option<PTok<'a>> {
        if self.peek_kind() == Some(kind) {
            self.bump()
        } else {
            self.expect(Exp::Lit(lit));
            None
        }
    }

    /// The next token if it is a word; else remembers `what`.
    fn eat_any_word(&mut self, what: Exp) -> Option<PTok<'a>> {
        if self.peek_kind() == Some(TokenKind::Word) {
            self.bump()
        } else {
            self.expect(what);
            None
        }
    }

    fn here(&self) -> Span {
        self.peek().map_or(self.eol, |t| t.span)
    }

    /// "expected A, B or C, found X", with a did-you-mean among the literal words.
    fn fail(&self) -> Error {
        let found = match self.peek() {
            None => "end of line".to_string(),
            Some(t) if matches!(t.kind, TokenKind::Str { .. }) => "a string".to_string(),
            Some(t) => format!("`{}`", t.text),
        };
        let shown: Vec<String> = self.expected.iter().map(|e| e.show()).collect();
        let message = if shown.is_empty() {
            format!("unexpected {found}")
        } else {
            format!("expected {}, found {found}", join_with(&shown, " or "))
        };
        let lits = self.expected.iter().filter_map(|e| match e {
            Exp::Lit(s) => Some(*s),
            Exp::Desc(_) => None,
        });
        let help = match self.peek() {
            Some(t) if t.kind == TokenKind::Word => did_you_mean(t.text, lits),
            Some(t) if t.kind == TokenKind::Eq && self.expected.contains(&Exp::Lit("==")) => {
                Some("did you mean `==`?".into())
            }
            Some(t) if t.kind == TokenKind::Arrow && self.expected.contains(&Exp::Lit(">=")) => {
                Some("did you mean `>=`?".into())
            }
            _ => None,
        };
        Error::new(self.here(), message).help(help)
    }

    fn fail_expecting(&mut self, what: Exp) -> Error {
        self.expect(what);
        self.fail()
    }

    /// Nothing may follow.
    fn expect_end(&mut self) -> PResult<()> {
        if self.peek().is_none() {
            Ok(())
        } else {
            Err(self.fail_expecting(Exp::Desc("end of line")))
        }
    }
}

/// What an expectation claims, to check that the step's verb can have it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Value,
    Count,
    Eof,
    Partial,
    From,
    Truncated,
}

/// An open `repeat` block.
struct Block {
    count: u64,
    line: u32,
    span: Span,
    items: Vec<Item>,
}

/// Names used somewhere and checked once the whole file is known.
#[derive(Default)]
struct Uses {
    actors: Vec<(String, Span)>,
    waits: Vec<(String, Span)>,
    timers: Vec<(String, Span)>,
    /// `connect` without `to`: the verb's span.
    bare_connects: Vec<Span>,
    /// Actors whose listener a step uses (`connect to`, `accept`), with the span to blame.
    /// `own` is an `accept` without `on`.
    listeners: Vec<(String, Span, bool)>,
    /// Actors a `sendto` sends to, which must bind a datagram socket.
    binders: Vec<(String, Span)>,
}

/// Declared names, in file order.
#[derive(Default)]
struct Declared {
    actors: Vec<String>,
    marks: Vec<String>,
    timers: Vec<String>,
    listeners: Vec<String>,
    binders: Vec<String>,
}

fn push_unique(list: &mut Vec<String>, name: &str) {
    if !list.iter().any(|n| n == name) {
        list.push(name.to_string());
    }
}

struct Parser<'a, 'p> {
    params: &'p HashMap<&'a str, Vec<Token<'a>>>,
    param_names: Vec<&'a str>,
    errors: Vec<Error>,
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

    let mut errors = Vec::new();
    let mut params = collect_params(&lines, &mut errors);
    let cmdline = apply_overrides(&mut params, overrides);
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

    if !parser.errors.is_empty() || !cmdline.is_empty() {
        let mut errors = parser.errors;
        errors.sort_by_key(|e| (e.span.line, e.span.col));
        let mut diagnostics: Vec<Diagnostic> = cmdline
            .into_iter()
            .map(|(message, help)| Diagnostic {
                file: file.to_string(),
                line: 0,
                col: 0,
                width: 1,
                message,
                help,
            })
            .collect();
        diagnostics.extend(errors.into_iter().map(|e| Diagnostic {
            file: file.to_string(),
            line: e.span.line,
            col: e.span.col,
            width: e.span.width.max(1),
            message: e.message,
            help: e.help,
        }));
        return Err(diagnostics);
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
        actors: parser.declared.actors,
        body: parser.body,
        checks: parser.checks,
    })
}

/// The significant (non-trivia) tokens of a line.
fn significant<'l, 'a>(line: &'l [Token<'a>]) -> Vec<&'l Token<'a>> {
    line.iter().filter(|t| !t.kind.is_trivia()).collect()
}

/// The text of `toks` up to a comment, trimmed.
fn text_until_comment<'a>(toks: impl IntoIterator<Item = (TokenKind, &'a str)>) -> String {
    let mut text = String::new();
    for (kind, t) in toks {
        if kind == TokenKind::Comment {
            break;
        }
        text.push_str(t);
    }
    text.trim().to_string()
}

/// `KEY:` at the start of a line: the key and the index of the colon in `line`.
fn meta_key<'a>(line: &[Token<'a>]) -> Option<(Token<'a>, usize)> {
    let mut sig = line.iter().enumerate().filter(|(_, t)| !t.kind.is_trivia());
    let (_, key) = sig.next()?;
    let (colon, c) = sig.next()?;
    (key.kind == TokenKind::Word && c.kind == TokenKind::Colon).then_some((*key, colon))
}

/// `title.zh` -> (`title`, Some(`zh`)).
fn split_key(key: &str) -> (&str, Option<&str>) {
    match key.split_once('.') {
        Some((base, lang)) => (base, Some(lang)),
        None => (key, None),
    }
}

/// Pass 1: `param: NAME = DEFAULT` lines.
fn collect_params(lines: &[&[Token<'_>]], errors: &mut Vec<Error>) -> Vec<Param> {
    let mut params: Vec<Param> = Vec::new();
    for line in lines {
        let Some((key, colon)) = meta_key(line) else {
            continue;
        };
        if key.text != "param" {
            continue;
        }
        let rest = &line[colon + 1..];
        let sig = significant(rest);
        let eol = Span {
            line: key.line,
            col: line
                .iter()
                .rev()
                .find(|t| !t.kind.is_trivia())
                .map_or(key.col, |t| t.col + t.width()),
            width: 1,
        };
        let Some(name) = sig.first().filter(|t| t.kind != TokenKind::Comment) else {
            errors.push(
                Error::new(eol, "expected a parameter name, found end of line").with_help(
                    "declare a parameter as `param: NAME = DEFAULT`, like `param: nodelay = off`",
                ),
            );
            continue;
        };
        if name.kind != TokenKind::Word || !is_param_name(name.text) {
            errors.push(
                Error::new(
                    Span::of(name),
                    format!("`{}` is not a parameter name", name.text),
                )
                .with_help("a parameter name is letters, digits, `_` and `-`, like `nodelay`"),
            );
            continue;
        }
        let Some(eq) = rest.iter().position(|t| t.kind == TokenKind::Eq) else {
            let after = sig.get(1).map_or(eol, |t| Span::of(t));
            let found = sig
                .get(1)
                .map_or("end of line".to_string(), |t| format!("`{}`", t.text));
            errors.push(
                Error::new(after, format!("expected `=`, found {found}")).with_help(format!(
                    "declare a parameter as `param: {} = DEFAULT`",
                    name.text
                )),
            );
            continue;
        };
        if sig.get(1).is_none_or(|t| t.kind != TokenKind::Eq) {
            let t = sig.get(1).map_or(eol, |t| Span::of(t));
            errors.push(Error::new(t, "expected `=` after the parameter's name"));
            continue;
        }
        let default = text_until_comment(rest[eq + 1..].iter().map(|t| (t.kind, t.text)));
        if default.is_empty() {
            errors.push(
                Error::new(
                    eol,
                    format!("parameter `{}` needs a default value after `=`", name.text),
                )
                .with_help(format!("like `param: {} = off`", name.text)),
            );
            continue;
        }
        if let Some(first) = params.iter().find(|p| p.name == name.text) {
            errors.push(Error::new(
                Span::of(name),
                format!(
                    "parameter `{}` is declared twice (first on line {})",
                    name.text, first.line
                ),
            ));
            continue;
        }
        params.push(Param {
            name: name.text.to_string(),
            value: default.clone(),
            default,
            line: key.line,
        });
    }
    params
}

/// `--param NAME=VALUE`: the value in force; an undeclared name is a (message, help).
fn apply_overrides(
    params: &mut [Param],
    overrides: &[(String, String)],
) -> Vec<(String, Option<String>)> {
    let mut errors = Vec::new();
    for (name, value) in overrides {
        if let Some(p) = params.iter_mut().find(|p| &p.name == name) {
            p.value = value.trim().to_string();
            continue;
        }
        let declared: Vec<&str> = params.iter().map(|p| p.name.as_str()).collect();
        let message = if declared.is_empty() {
            format!("unknown parameter `{name}` in --param: this scenario declares no parameters")
        } else {
            format!(
                "unknown parameter `{name}` in --param: this scenario declares {}",
                join_and(&quoted(&declared))
            )
        };
        errors.push((message, did_you_mean(name, declared.iter().copied())));
    }
    errors
}

impl<'a> Parser<'a, '_> {
    fn line(&mut self, line: &[Token<'a>]) {
        if let Some((key, colon)) = meta_key(line) {
            let (base, lang) = split_key(key.text);
            if META_KEYS.contains(&base) {
                if lang.is_some() && !matches!(base, "title" | "about") {
                    self.errors.push(
                        Error::new(
                            Span::of(&key),
                            format!("`{base}` does not take a language suffix"),
                        )
                        .with_help("only `title` and `about` do, like `title.zh:`"),
                    );
                    return;
                }
                match base {
                    "param" => return, // pass 1
                    "title" | "about" | "tags" => {
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

    /// `title:`, `about:`, `tags:`: free text, taken as written (no `$param`).
    fn free_text(&mut self, key: Token<'a>, lang: Option<&str>, rest: &[Token<'a>]) {
        let text = text_until_comment(rest.iter().map(|t| (t.kind, t.text)));
        if let Some(lang) = lang
            && (lang.is_empty() || !lang.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        {
            self.errors.push(
                Error::new(
                    Span::of(&key),
                    format!("`{}` has a malformed language suffix", key.text),
                )
                .with_help("write the language after one dot, like `title.zh:` or `about.en:`"),
            );
            return;
        }
        let lang = lang.map(str::to_string);
        match split_key(key.text).0 {
            "title" => {
                if text.is_empty() {
                    self.errors
                        .push(Error::new(Span::of(&key), "this title is empty"));
                } else if let Some(first) = self.title_lines.get(&lang) {
                    self.errors.push(Error::new(
                        Span::of(&key),
                        format!("`{}` is given twice (first on line {first})", key.text),
                    ));
                } else {
                    self.title_lines.insert(lang.clone(), key.line);
                    match lang {
                        None => self.title.default = Some(text),
                        Some(lang) => {
                            self.title.by_lang.insert(lang, text);
                        }
                    }
                }
            }
            "about" => {
                let (paragraphs, new_paragraph) = self.about.entry(lang).or_default();
                if text.is_empty() {
                    *new_paragraph = true;
                } else {
                    match paragraphs.last_mut() {
                        Some(last) if !*new_paragraph => {
                            // Chinese and Japanese put no space between words: lines
                            // that meet at such a character join without one.
                            let wide = |c: Option<char>| c.is_some_and(is_wide);
                            if !(wide(last.chars().last()) || wide(text.chars().next())) {
                                last.push(' ');
                            }
                            last.push_str(&text);
                        }
                        _ => paragraphs.push(text),
                    }
                    *new_paragraph = false;
                }
            }
            _ => {
                self.tags.extend(
                    text.split(',')
                        .map(str::trim)
                        .filter(|t| !t.is_empty())
                        .map(str::to_string),
                );
            }
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
                    "`$` must be followed by a parameter's name, like `$nodelay`",
                )
            } else if self.param_names.is_empty() {
                Error::new(span, format!("undeclared parameter `{}`", tok.text)).with_help(
                    format!(
                        "this scenario declares no parameters; declare it with `param: {name} = DEFAULT`"
                    ),
                )
            } else {
                let help = did_you_mean(name, self.param_names.iter().copied())
                    .map(|h| h.replacen('`', "`$", 1))
                    .unwrap_or_else(|| {
                        format!(
                            "this scenario declares {}",
                            join_and(&quoted(&self.param_names))
                        )
                    });
                Error::new(span, format!("undeclared parameter `{}`", tok.text)).with_help(help)
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
                    self.blocks.push(Block {
                        count: 1,
                        line: first.span.line,
                        span: first.span,
                        items: Vec::new(),
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
                match first.text {
                    "timeout" if substituted => self.parse_timeout(&mut c),
                    "expect" if substituted => self.parse_check(&mut c, toks),
                    "timeout" | "expect" => Ok(()),
                    _ => self.parse_step(&mut c, first, toks, substituted),
                }
            }
            TokenKind::Word => {
                c.bump();
                Err(c
                    .fail_expecting(Exp::Lit(":"))
                    .with_help("a step starts with its actor and a colon: `client: send \"hi\"`"))
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
            return Err(Error::new(span, "`}` without a `repeat` block to close")
                .with_help("a block starts with a line `repeat N {`"));
        };
        self.push_item(Item::Repeat(Repeat {
            count: block.count,
            line: block.line,
            body: block.items,
        }));
        Ok(())
    }

    /// `repeat N {` (the block is already open when the line ends with `{`).
    fn parse_repeat(&mut self, c: &mut Cursor<'_, 'a>, opened: bool) -> PResult<()> {
        c.bump();
        let hint = |e: Error| match e.help {
            Some(_) => e,
            None => e.with_help("a block starts with a line like `repeat 3 {`"),
        };
        let (count, _) = expect_number(c, Exp::Desc("a repeat count")).map_err(hint)?;
        if c.eat(TokenKind::LBrace, "{").is_none() {
            return Err(hint(c.fail()));
        }
        c.expect_end()?;
        if opened && let Some(block) = self.blocks.last_mut() {
            block.count = u64::try_from(count).unwrap_or(u64::MAX);
        }
        Ok(())
    }

    fn parse_timeout(&mut self, c: &mut Cursor<'_, 'a>) -> PResult<()> {
        let (d, span) = expect_duration(c)?;
        c.expect_end()?;
        if d.is_zero() {
            return Err(Error::new(span, "the timeout must be longer than zero"));
        }
        if let Some((_, first)) = self.timeout {
            return Err(Error::new(
                span,
                format!("`timeout` is given twice (first on line {first})"),
            ));
        }
        self.timeout = Some((d, span.line));
        Ok(())
    }

    /// `expect: NAME STAT OP BOUND` or `expect: ACTOR sends|recvs OP N`.
    fn parse_check(&mut self, c: &mut Cursor<'_, 'a>, toks: &[PTok<'a>]) -> PResult<()> {
        let Some(name) = c.eat_any_word(Exp::Desc("a timer or actor name")) else {
            return Err(c.fail().with_help(
                "a check is `expect: TIMER STAT OP DURATION` or `expect: ACTOR sends|recvs OP N`",
            ));
        };
        let counted = if c.eat_word("sends").is_some() {
            Some(Counted::Sends)
        } else if c.eat_word("recvs").is_some() {
            Some(Counted::Recvs)
        } else if c.eat_word("largest").is_some() {
            if c.eat_word("recv").is_none() {
                return Err(c.fail().with_help(
                    "the size check is `expect: ACTOR largest recv OP SIZE`, e.g. `<= 8K`",
                ));
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
            let stat = STATS
                .iter()
                .find_map(|&(w, stat)| c.eat_word(w).map(|_| stat))
                .ok_or_else(|| c.fail())?;
            let op = expect_op(c)?;
            let value = if stat == Stat::Count {
                let (n, _) = expect_number(c, A_NUMBER).map_err(|e| {
                    e.with_help(
                        "`count` is how many start/stop pairs the timer saw: compare it with a number like `20`",
                    )
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

    fn parse_step(
        &mut self,
        c: &mut Cursor<'_, 'a>,
        actor: PTok<'a>,
        toks: &[PTok<'a>],
        substituted: bool,
    ) -> PResult<()> {
        if !is_actor_name(actor.text) {
            let lower = actor.text.to_lowercase();
            let help = if is_actor_name(&lower) && !META_KEYS.contains(&lower.as_str()) {
                format!("did you mean `{lower}`?")
            } else {
                "an actor's name is lower-case letters, digits, `_` and `-`, starting with a letter"
                    .to_string()
            };
            return Err(
                Error::new(actor.span, format!("`{}` is not an actor name", actor.text))
                    .with_help(help),
            );
        }
        if META_KEYS.contains(&actor.text) {
            return Err(Error::new(
                actor.span,
                format!(
                    "`{}` is a meta key and cannot be an actor's name",
                    actor.text
                ),
            ));
        }
        push_unique(&mut self.declared.actors, actor.text);
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
        let action = match verb.text {
            "listen" => {
                if let Some(again) = c.eat_word("again") {
                    if !self.declared.listeners.iter().any(|l| l == actor) {
                        self.errors.push(
                            Error::new(
                                verb.span.to(again.span),
                                format!("`listen again` needs an earlier `listen` by `{actor}`"),
                            )
                            .with_help(
                                "`listen again` binds the address this actor listened on before",
                            ),
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
                    let backlog = match c.eat_word("backlog") {
                        Some(_) => {
                            let (n, span) = expect_number(c, A_NUMBER)?;
                            u32::try_from(n).map_err(|_| {
                                Error::new(span, format!("a backlog of {n} is too large"))
                            })?
                        }
                        None => DEFAULT_BACKLOG,
                    };
                    push_unique(&mut self.declared.listeners, actor);
                    Action::Listen { kind, backlog }
                }
            }
            "connect" => match c.eat_word("to") {
                Some(_) => {
                    let (to, span) = self.expect_actor(c)?;
                    self.uses.listeners.push((to.clone(), span, false));
                    Action::Connect { to: Some(to) }
                }
                None => {
                    self.uses.bare_connects.push(verb.span);
                    Action::Connect { to: None }
                }
            },
            "accept" => Action::Accept,
            "close" => match c.eat_word("listener") {
                Some(_) => Action::CloseListener,
                None => Action::Close,
            },
            "shutdown" => {
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
            "bind" => {
                let kind = [
                    ("udp", DgramKind::Udp),
                    ("unix-dgram", DgramKind::UnixDgram),
                ]
                .into_iter()
                .find_map(|(w, kind)| c.eat_word(w).map(|_| kind))
                .ok_or_else(|| c.fail())?;
                push_unique(&mut self.declared.binders, actor);
                Action::Bind(kind)
            }
            "send" => match c.eat_word("frame") {
                Some(_) => {
                    let codec = expect_codec(c)?;
                    let (value, _) = parse_value(c)?;
                    Action::SendFrame { codec, value }
                }
                None => Action::Send(parse_value(c)?.0),
            },
            "sendall" => Action::SendAll(parse_value(c)?.0),
            "recv" => {
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
                                return Err(Error::new(span, "`chunk` must be at least 1"));
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
            "sendto" => {
                let (to, span) = self.expect_actor(c)?;
                self.uses.binders.push((to.clone(), span));
                let (value, _) = parse_value(c)?;
                Action::SendTo { to, value }
            }
            "recvfrom" => Action::RecvFrom(expect_size(c)?.0),
            "set" => Action::Set(expect_option(c)?),
            "sleep" => Action::Sleep(expect_duration(c)?.0),
            "mark" => {
                let name = expect_name(c)?;
                if matches!(name.text, "readable" | "drained" | "acked") {
                    return Err(Error::new(
                        name.span,
                        format!("`{}` cannot be a mark's name", name.text),
                    )
                    .with_help(format!(
                        "`wait {}` has its own meaning; pick another name",
                        name.text
                    )));
                }
                push_unique(&mut self.declared.marks, name.text);
                Action::Mark(name.text.to_string())
            }
            "wait" => {
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
            "timer" => {
                let start = if c.eat_word("start").is_some() {
                    true
                } else if c.eat_word("stop").is_some() {
                    false
                } else {
                    return Err(c.fail());
                };
                let name = expect_name(c)?;
                if start {
                    push_unique(&mut self.declared.timers, name.text);
                    Action::TimerStart(name.text.to_string())
                } else {
                    self.uses.timers.push((name.text.to_string(), name.span));
                    Action::TimerStop(name.text.to_string())
                }
            }
            other => {
                // `titel: Two sends` reads as a step of an actor `titel`.
                let meta = META_KEYS
                    .iter()
                    .find(|k| did_you_mean(actor, [**k]).is_some())
                    .map(|k| format!("did you mean the meta line `{k}:`?"));
                let help = did_you_mean(other, VERBS.iter().copied())
                    .or(meta)
                    .unwrap_or_else(|| format!("the verbs are {}", join_and(&quoted(VERBS))));
                return Err(
                    Error::new(verb.span, format!("unknown verb `{other}`")).with_help(help)
                );
            }
        };
        Ok(action)
    }

    /// An actor's name, remembered to check that the actor has steps.
    fn expect_actor(&mut self, c: &mut Cursor<'_, 'a>) -> PResult<(String, Span)> {
        let Some(tok) = c.eat_any_word(AN_ACTOR) else {
            return Err(c.fail());
        };
        self.uses.actors.push((tok.text.to_string(), tok.span));
        Ok((tok.text.to_string(), tok.span))
    }

    /// `=> A | B | ...`; `parts` collects what each alternative claims, with its span.
    fn parse_expectation(
        &mut self,
        c: &mut Cursor<'_, 'a>,
        parts: &mut Vec<(Part, Span)>,
    ) -> PResult<Vec<Outcome>> {
        let mut alternatives = vec![self.parse_outcome(c, parts)?];
        while c.eat(TokenKind::Pipe, "|").is_some() {
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
            ("eof", Outcome::Eof, Some(Part::Eof)),
            ("timeout", Outcome::Timeout, None),
            ("ok", Outcome::Ok, None),
            ("partial", Outcome::Partial, Some(Part::Partial)),
        ] {
            if let Some(tok) = c.eat_word(word) {
                if let Some(part) = part {
                    parts.push((part, tok.span));
                }
                return Ok(outcome);
            }
        }
        if c.eat_word("error").is_some() {
            let Some(name) = c.eat_any_word(Exp::Desc("an error name (like `ECONNRESET`)")) else {
                return Err(c.fail());
            };
            if !is_error_name(name.text) {
                let help = did_you_mean(name.text, error_names()).unwrap_or_else(|| {
                    "write an errno name like `ECONNRESET` or `EAGAIN`, or a framing error: \
                     `frame-too-large`, `bad-header`, `truncated-frame`, `wrong-size`"
                        .to_string()
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
        } else if c.at_word("from") || c.at_word("truncated") {
            None
        } else {
            c.expect(Exp::Lit("from"));
            c.expect(Exp::Lit("truncated"));
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
                && let Some(tok) = c.eat_word("from")
            {
                parts.push((Part::From, tok.span));
                from = Some(self.expect_actor(c)?.0);
                continue;
            }
            if !truncated && let Some(tok) = c.eat_word("truncated") {
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

    /// Pass 3: names that must be declared somewhere in the file.
    fn finish(&mut self) {
        while let Some(block) = self.blocks.pop() {
            self.errors.push(
                Error::new(block.span, "this `repeat` block is never closed")
                    .with_help("add a line with `}` after its last step"),
            );
        }
        let uses = std::mem::take(&mut self.uses);
        let declared = &self.declared;
        for (name, span) in uses.actors {
            if !declared.actors.contains(&name) {
                let help = did_you_mean(&name, declared.actors.iter().map(String::as_str));
                self.errors.push(
                    Error::new(
                        span,
                        format!("unknown actor `{name}`: no step line starts with `{name}:`"),
                    )
                    .help(help),
                );
            }
        }
        for (name, span) in uses.waits {
            if !declared.marks.contains(&name) {
                let help =
                    did_you_mean(&name, declared.marks.iter().map(String::as_str)).or_else(|| {
                        Some(format!(
                            "some actor must `mark {name}` for this wait to end"
                        ))
                    });
                self.errors.push(
                    Error::new(
                        span,
                        format!("nothing marks `{name}`: no step has `mark {name}`"),
                    )
                    .help(help),
                );
            }
        }
        for (name, span) in uses.timers {
            if !declared.timers.contains(&name) {
                let help = did_you_mean(&name, declared.timers.iter().map(String::as_str));
                self.errors.push(
                    Error::new(
                        span,
                        format!(
                            "timer `{name}` is never started: no step has `timer start {name}`"
                        ),
                    )
                    .help(help),
                );
            }
        }
        // Only actors that exist: an unknown one has its own error above.
        for (name, span, own) in uses.listeners {
            if declared.actors.contains(&name) && !declared.listeners.contains(&name) {
                let message = if own {
                    format!("`{name}` has no listener to accept on: no step has `{name}: listen`")
                } else {
                    format!("`{name}` never listens: no step has `{name}: listen`")
                };
                self.errors.push(Error::new(span, message));
            }
        }
        for (name, span) in uses.binders {
            if declared.actors.contains(&name) && !declared.binders.contains(&name) {
                self.errors.push(
                    Error::new(
                        span,
                        format!("`{name}` never binds a datagram socket to send to"),
                    )
                    .with_help(format!(
                        "add `{name}: bind udp` or `{name}: bind unix-dgram`"
                    )),
                );
            }
        }
        for span in uses.bare_connects {
            match declared.listeners.as_slice() {
                [_] => {}
                [] => self.errors.push(
                    Error::new(
                        span,
                        "`connect` has nothing to connect to: no actor has a `listen` step",
                    )
                    .with_help("add a step like `server: listen`"),
                ),
                several => self.errors.push(
                    Error::new(
                        span,
                        format!(
                            "`connect` without `to` is ambiguous: {} {} listen",
                            join_and(&quoted(several)),
                            if several.len() == 2 { "both" } else { "all" }
                        ),
                    )
                    .with_help(format!("say which one, like `connect to {}`", several[0])),
                ),
            }
        }
    }
}

/// Whether the verb of `action` can see what an expectation claims.
fn check_part(action: &Action, part: Part, span: Span) -> PResult<()> {
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

fn expect_number(c: &mut Cursor<'_, '_>, what: Exp) -> PResult<(usize, Span)> {
    match c.peek() {
        Some(t) if t.kind == TokenKind::Number => {
            c.bump();
            parse_size(t.text)
                .map(|n| (n, t.span))
                .map_err(|(message, help)| {
                    if what == A_SIZE || message.ends_with("too large") {
                        Error::new(t.span, message).with_help(help)
                    } else {
                        let help = help.starts_with("did you mean").then_some(help);
                        Error::new(t.span, format!("`{}` is not a whole number", t.text)).help(help)
                    }
                })
        }
        _ => Err(c.fail_expecting(what)),
    }
}

fn expect_size(c: &mut Cursor<'_, '_>) -> PResult<(usize, Span)> {
    expect_number(c, A_SIZE)
}

fn expect_duration(c: &mut Cursor<'_, '_>) -> PResult<(Duration, Span)> {
    match c.peek() {
        Some(t) if t.kind == TokenKind::Number => {
            c.bump();
            humantime::parse_duration(t.text)
                .map(|d| (d, t.span))
                .map_err(|_| {
                    Error::new(
                        t.span,
                        format!("`{}` is not a duration: write {DURATION_HINT}", t.text),
                    )
                })
        }
        _ => Err(c.fail_expecting(A_DURATION)),
    }
}

fn expect_name<'a>(c: &mut Cursor<'_, 'a>) -> PResult<PTok<'a>> {
    c.eat_any_word(A_NAME).ok_or_else(|| c.fail())
}

fn expect_op(c: &mut Cursor<'_, '_>) -> PResult<CmpOp> {
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

fn expect_switch(c: &mut Cursor<'_, '_>) -> PResult<bool> {
    if c.eat_word("on").is_some() {
        Ok(true)
    } else if c.eat_word("off").is_some() {
        Ok(false)
    } else {
        Err(c.fail())
    }
}

/// A duration, or `off` (`None`).
fn expect_duration_or_off(c: &mut Cursor<'_, '_>) -> PResult<Option<Duration>> {
    if c.eat_word("off").is_some() {
        Ok(None)
    } else {
        Ok(Some(expect_duration(c)?.0))
    }
}

fn expect_option(c: &mut Cursor<'_, '_>) -> PResult<SockOpt> {
    let Some(opt) = c.eat_any_word(Exp::Desc("an option (like `nodelay` or `rcvbuf`)")) else {
        return Err(c.fail());
    };
    let timeo = |d: Option<Duration>| d.filter(|d| !d.is_zero());
    Ok(match opt.text {
        "nodelay" => SockOpt::NoDelay(expect_switch(c)?),
        "reuseaddr" => SockOpt::ReuseAddr(expect_switch(c)?),
        "reuseport" => SockOpt::ReusePort(expect_switch(c)?),
        "cork" => SockOpt::Cork(expect_switch(c)?),
        "quickack" => SockOpt::QuickAck(expect_switch(c)?),
        "nonblocking" => SockOpt::NonBlocking(expect_switch(c)?),
        "rcvbuf" => SockOpt::RcvBuf(expect_size(c)?.0),
        "sndbuf" => SockOpt::SndBuf(expect_size(c)?.0),
        "mss" => SockOpt::Mss(expect_size(c)?.0),
        "rcvlowat" => SockOpt::RcvLowat(expect_size(c)?.0),
        "linger" => SockOpt::Linger(expect_duration_or_off(c)?),
        "rcvtimeo" => SockOpt::RcvTimeo(timeo(expect_duration_or_off(c)?)),
        "sndtimeo" => SockOpt::SndTimeo(timeo(expect_duration_or_off(c)?)),
        "max-frame" => SockOpt::MaxFrame(expect_size(c)?.0),
        other => {
            let help = did_you_mean(other, OPTIONS.iter().copied())
                .unwrap_or_else(|| format!("the options are {}", join_and(&quoted(OPTIONS))));
            return Err(Error::new(opt.span, format!("unknown option `{other}`")).with_help(help));
        }
    })
}

fn expect_codec(c: &mut Cursor<'_, '_>) -> PResult<Codec> {
    let Some(tok) = c.eat_any_word(Exp::Desc("a codec (like `len32` or `line`)")) else {
        return Err(c.fail());
    };
    Ok(match tok.text {
        "len32" => Codec::Len32,
        "len32le" => Codec::Len32Le,
        "json-header" => Codec::JsonHeader,
        "line" => Codec::Line,
        "fixed" => Codec::Fixed(expect_size(c)?.0),
        other => {
            let help = did_you_mean(other, CODECS.iter().copied()).unwrap_or_else(|| {
                "the codecs are `len32`, `len32le`, `json-header`, `line` and `fixed N`".to_string()
            });
            return Err(Error::new(tok.span, format!("unknown codec `{other}`")).with_help(help));
        }
    })
}

/// `TERM + TERM + ...` where a term is `ATOM * N * ...`: `*` binds tighter than `+`.
fn parse_value(c: &mut Cursor<'_, '_>) -> PResult<(Value, Span)> {
    let (first, mut span) = parse_term(c)?;
    let mut parts = vec![first];
    while c.eat(TokenKind::Plus, "+").is_some() {
        let (term, s) = parse_term(c)?;
        parts.push(term);
        span = span.to(s);
    }
    let value = if parts.len() == 1 {
        parts.pop().unwrap_or(Value::Concat(Vec::new()))
    } else {
        Value::Concat(parts)
    };
    Ok((value, span))
}

fn parse_term(c: &mut Cursor<'_, '_>) -> PResult<(Value, Span)> {
    let (mut value, mut span) = parse_atom(c)?;
    while c.eat(TokenKind::Star, "*").is_some() {
        let (n, s) = expect_number(c, Exp::Desc("a repeat count"))?;
        value = Value::Times(Box::new(value), n);
        span = span.to(s);
    }
    Ok((value, span))
}

fn parse_atom(c: &mut Cursor<'_, '_>) -> PResult<(Value, Span)> {
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
                format!("`random {min}..{max}` is an empty range: the first bound is larger"),
            )
            .with_help(format!("did you mean `random {max}..{min}`?")));
        }
        return Ok((Value::Random { min, max }, random.span.to(max_span)));
    }
    Err(c.fail())
}

/// The contents of a string token, between its quotes; an unterminated one is an error.
fn string_contents<'a>(tok: PTok<'a>) -> PResult<&'a str> {
    match tok.kind {
        TokenKind::Str { terminated: true } if tok.text.len() >= 2 => {
            Ok(&tok.text[1..tok.text.len() - 1])
        }
        _ => Err(Error::new(tok.span, "this string is never closed")
            .with_help("add a `\"` where the string ends (a string cannot span lines)")),
    }
}

fn string_bytes(tok: PTok<'_>) -> PResult<Vec<u8>> {
    let contents = string_contents(tok)?;
    lexer::unescape(contents).map_err(|e| {
        let span = if tok.subst {
            tok.span
        } else {
            tok.span.inner(e.start + 1, e.len)
        };
        Error::new(span, e.message).help(e.help)
    })
}

/// `hex "de ad be ef"`: pairs of hex digits, whitespace anywhere.
fn hex_bytes(tok: PTok<'_>) -> PResult<Vec<u8>> {
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
                return Err(Error::new(span, format!("`{ch}` is not a hex digit"))
                    .with_help("hex bytes are pairs of 0-9 and a-f, like `hex \"de ad be ef\"`"));
            }
        }
    }
    if digits.len() % 2 == 1 {
        return Err(Error::new(
            tok.span,
            format!(
                "odd number of hex digits ({}): every byte needs two",
                digits.len()
            ),
        )
        .with_help("write a leading zero, like `0a` for the byte 10"));
    }
    Ok(digits.chunks(2).map(|p| p[0] << 4 | p[1]).collect())
}

#[cfg(test)]
pub(crate) mod tests {
    use std::net::Shutdown;
    use std::time::Duration;

    use rand::rngs::StdRng;
    use rand::{RngExt, SeedableRng};

    use crate::scenario::ast::{
        Action, Check, CheckKind, CmpOp, Codec, Counted, DataMatch, DgramKind, Item, Outcome,
        RecvMode, Scenario, SockOpt, Stat, StatBound, Step, StreamKind, Value,
    };

    /// The spec's own example, a file using every verb, and a datagram file.
    pub(crate) const SAMPLES: &[&str] = &[SPEC_EXAMPLE, EVERYTHING, DATAGRAMS];

    const SPEC_EXAMPLE: &str = r#"# Two quick sends are read back by one recv.
title: Two sends, one recv
title.zh: 两次发送，一次接收
about: TCP is a byte stream. The kernel keeps no record of where one send ended,
about: so a late recv returns everything queued, glued together.
about.zh: TCP 是字节流……
tags: tcp, coalescing

server: listen
client: connect
server: accept                 => from client
client: send "hello"
client: send "world"
server: wait readable 10
server: recv 1024              => "helloworld"
client: close
server: recv 1024              => eof
"#;

    const EVERYTHING: &str = "\
title: Everything
about: First paragraph,
about: still the first.
about:
about: Second paragraph.
about.en: English.
tags: a, b ,, c
timeout: 2s
param: nodelay = off
param: msg = \"hi\" # a comment
param: n = 3
expect: rtt p50 >= 30ms
expect: rtt count == 20
expect: server recvs > 1   # counted
expect: client sends == $n

\tserver: set reuseaddr on
server: listen tcp backlog 128
local: listen unix
client: set nodelay $nodelay
client: connect to server
server: accept on server => from client | error ECONNABORTED
client: send $msg => 2 bytes | partial
client: sendall bytes 64K
client: send frame len32 \"x\" * 3 + \"y\"
client: send frame fixed 4 hex \"de ad be ef\"
server: recv 10 => \"hi\" | timeout
server: recv exactly 1K
server: recv until eof
server: recv frame json-header chunk 16 => bytes 4
server: recv frame line
server: recv frame len32le => eof | error frame-too-large
repeat $n {
  client: mark sent
  repeat 2 {
    server: wait sent
  }
}
client: timer start rtt
client: timer stop rtt
client: sleep 1.5s
client: wait drained
client: shutdown write
client: shutdown read on server
client: shutdown both
server: close
server: close listener
server: listen again => error EADDRINUSE | ok
";

    const DATAGRAMS: &str = "\
a: bind udp
b: bind unix-dgram
a: sendto b random 10..20 + \"\\u{e9}\\x00\" => 5 bytes
b: recvfrom 4 => random 4 from a truncated | truncated from a | 4 bytes
b: recvfrom 100 => from a
";

    fn parse_ok(source: &str) -> Scenario {
        parse_with(source, &[])
    }

    fn parse_with(source: &str, overrides: &[(&str, &str)]) -> Scenario {
        let overrides: Vec<(String, String)> = overrides
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        match super::parse("t.lab", "t", source, &overrides) {
            Ok(scenario) => scenario,
            Err(ds) => panic!("{}", errors_of(source, &ds)),
        }
    }

    fn errors_of(source: &str, ds: &[crate::scenario::Diagnostic]) -> String {
        ds.iter()
            .map(|d| d.render(source))
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn errors(source: &str) -> String {
        errors_with(source, &[])
    }

    fn errors_with(source: &str, overrides: &[(&str, &str)]) -> String {
        let overrides: Vec<(String, String)> = overrides
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        match super::parse("t.lab", "t", source, &overrides) {
            Ok(_) => panic!("no error in {source:?}"),
            Err(ds) => errors_of(source, &ds),
        }
    }

    /// Every step, blocks flattened, in file order.
    fn steps(items: &[Item]) -> Vec<&Step> {
        items
            .iter()
            .flat_map(|item| match item {
                Item::Step(step) => vec![step],
                Item::Repeat(r) => steps(&r.body),
            })
            .collect()
    }

    /// The action of a one-step file (a server listens, so `connect` has its listener).
    fn action(step: &str) -> Action {
        let src = format!("server: listen\nclient: {step}\n");
        steps(&parse_ok(&src).body)[1].action.clone()
    }

    fn value(v: &str) -> Value {
        match action(&format!("send {v}")) {
            Action::Send(value) => value,
            other => panic!("{other:?}"),
        }
    }

    fn outcomes(verb_and_expectation: &str) -> Vec<Outcome> {
        let src = format!("server: listen\nserver: {verb_and_expectation}\n");
        let scenario = parse_ok(&src);
        let step = steps(&scenario.body)[1].clone();
        step.expect.map(|e| e.alternatives).unwrap_or_default()
    }

    fn lit(s: &str) -> Value {
        Value::Literal(s.as_bytes().to_vec())
    }

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
                    backlog: 128
                },
                Action::Listen {
                    kind: StreamKind::Unix,
                    backlog: 5
                },
                Action::Set(SockOpt::NoDelay(false)),
                Action::Connect {
                    to: Some("server".into())
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
    fn datagrams() {
        let s = parse_ok(DATAGRAMS);
        let all = steps(&s.body);
        assert_eq!(all[0].action, Action::Bind(DgramKind::Udp));
        assert_eq!(all[1].action, Action::Bind(DgramKind::UnixDgram));
        assert_eq!(
            all[2].action,
            Action::SendTo {
                to: "b".into(),
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
    fn every_option() {
        let cases = [
            ("nodelay on", SockOpt::NoDelay(true)),
            ("reuseaddr off", SockOpt::ReuseAddr(false)),
            ("reuseport on", SockOpt::ReusePort(true)),
            ("cork on", SockOpt::Cork(true)),
            ("quickack off", SockOpt::QuickAck(false)),
            ("nonblocking on", SockOpt::NonBlocking(true)),
            ("rcvbuf 4K", SockOpt::RcvBuf(4096)),
            ("sndbuf 1M", SockOpt::SndBuf(1 << 20)),
            ("mss 536", SockOpt::Mss(536)),
            ("rcvlowat 10", SockOpt::RcvLowat(10)),
            ("linger 0s", SockOpt::Linger(Some(Duration::ZERO))),
            ("linger off", SockOpt::Linger(None)),
            (
                "rcvtimeo 250ms",
                SockOpt::RcvTimeo(Some(Duration::from_millis(250))),
            ),
            ("rcvtimeo 0s", SockOpt::RcvTimeo(None)),
            ("sndtimeo off", SockOpt::SndTimeo(None)),
            (
                "sndtimeo 250us",
                SockOpt::SndTimeo(Some(Duration::from_micros(250))),
            ),
            ("max-frame 64K", SockOpt::MaxFrame(65536)),
        ];
        for (text, opt) in cases {
            assert_eq!(action(&format!("set {text}")), Action::Set(opt), "{text}");
        }
    }

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
                Value::Times(Box::new(Value::Times(Box::new(lit("x")), 2)), 3)
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

    #[test]
    fn a_string_may_hold_a_hash_and_an_arrow() {
        let s = parse_ok("server: listen\nclient: send \"# => |\" # real comment\n");
        let step = steps(&s.body)[1];
        assert_eq!(step.action, Action::Send(lit("# => |")));
        assert_eq!(step.text, "send \"# => |\"");
        assert_eq!(step.expect, None);
    }

    #[test]
    fn chinese_about_lines_join_without_a_space() {
        let s = parse_ok(
            "about.zh: 粘包不是错误，\nabout.zh: 而是没有边界。\nabout: TCP is\nabout: a stream.\na: mark x\n",
        );
        assert_eq!(s.about.get("zh"), Some("粘包不是错误，而是没有边界。"));
        assert_eq!(s.about.get("en"), Some("TCP is a stream."));
    }

    #[test]
    fn meta_lines_may_come_anywhere_and_about_paragraphs_join() {
        let s =
            parse_ok("about: one\nserver: listen\nabout: two\nabout:\nabout:\nabout: three # c\n");
        assert_eq!(s.about.default.as_deref(), Some("one two\n\nthree"));
        assert_eq!(s.title, Default::default());
        let s = parse_ok("about:\nabout: only\n");
        assert_eq!(s.about.default.as_deref(), Some("only"));
    }

    #[test]
    fn crlf_line_endings() {
        let s = parse_ok("title: T\r\nserver: listen\r\nclient: connect => ok\r\n");
        assert_eq!(s.title.default.as_deref(), Some("T"));
        assert_eq!(steps(&s.body)[1].text, "connect => ok");
    }

    #[test]
    fn params_are_substituted_before_parsing() {
        let src = "param: delay = 10ms\nparam: what = \"a\" * 2\nserver: listen\n\
                   client: sleep $delay\nclient: send $what + \"b\"\n";
        let s = parse_ok(src);
        let all = steps(&s.body);
        assert_eq!(all[1].action, Action::Sleep(Duration::from_millis(10)));
        assert_eq!(all[1].text, "sleep 10ms");
        assert_eq!(
            all[2].action,
            Action::Send(Value::Concat(vec![
                Value::Times(Box::new(lit("a")), 2),
                lit("b")
            ]))
        );
        let s = parse_with(src, &[("delay", "1s"), ("what", "bytes 3")]);
        let all = steps(&s.body);
        assert_eq!(all[1].action, Action::Sleep(Duration::from_secs(1)));
        assert_eq!(all[1].text, "sleep 1s");
        assert_eq!(
            all[2].action,
            Action::Send(Value::Concat(vec![Value::Pattern(3), lit("b")]))
        );
        assert_eq!(s.params[0].default, "10ms");
        assert_eq!(s.params[0].value, "1s");
        // Not inside strings, and not in free text.
        let s = parse_ok("param: x = 1\ntitle: costs $5\nserver: listen\nclient: send \"$x\"\n");
        assert_eq!(s.title.default.as_deref(), Some("costs $5"));
        assert_eq!(steps(&s.body)[1].action, Action::Send(lit("$x")));
    }

    #[test]
    fn an_error_in_a_substituted_value_points_at_the_param() {
        let src = "param: delay = 10ms\nserver: listen\nclient: sleep $delay\n";
        assert_eq!(
            errors_with(src, &[("delay", "10")]),
            "t.lab:3:15: `10` is not a duration: write a number and a unit, like `40ms`, `1s` or `250us`\n\
             3 | client: sleep $delay\n  \
               |               ^^^^^^"
        );
    }

    #[test]
    fn an_undeclared_override_is_reported_on_line_zero() {
        let src = "param: nodelay = off\nparam: size = 10\nserver: listen\n";
        assert_eq!(
            errors_with(src, &[("nodelya", "on")]),
            "t.lab: unknown parameter `nodelya` in --param: this scenario declares `nodelay` and `size`\n\
             help: did you mean `nodelay`?"
        );
        assert_eq!(
            errors_with("server: listen\n", &[("x", "1")]),
            "t.lab: unknown parameter `x` in --param: this scenario declares no parameters"
        );
        // Command-line problems come first, then the file's, in order.
        let text = errors_with("server: lisen\n", &[("x", "1")]);
        assert!(text.starts_with("t.lab: unknown parameter `x`"), "{text}");
        assert!(text.contains("\nt.lab:1:9: unknown verb `lisen`"), "{text}");
    }

    #[test]
    fn connect_may_come_before_listen_and_actors_are_in_order_of_first_step() {
        let s = parse_ok("client: connect\nserver: listen\nserver: accept\n");
        assert_eq!(s.actors, ["client", "server"]);
    }

    #[test]
    fn names_are_checked_against_the_whole_file() {
        parse_ok(
            "server: wait ready\nclient: mark ready\nclient: connect to server\nserver: listen\n",
        );
        assert_eq!(
            errors("a: listen\na: close listener\na: listen again\nb: connect\nb: timer stop t\n"),
            "t.lab:5:15: timer `t` is never started: no step has `timer start t`\n\
             5 | b: timer stop t\n  \
               |               ^"
        );
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
                let _ = super::parse("t.lab", "t", &sample[..i], &[]);
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
            let _ = super::parse("t.lab", "t", &s, &[("x".into(), "$y".into())]);
            let bytes: Vec<u8> = (0..len).map(|_| rng.random::<u8>()).collect();
            let s = String::from_utf8_lossy(&bytes);
            let _ = super::parse("t.lab", "t", &s, &[]);
            if let Err(ds) = super::parse("t.lab", "t", &s, &[]) {
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
                        if let Err(ds) = super::parse("t.lab", "t", &broken, &[]) {
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
}
