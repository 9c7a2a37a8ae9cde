//! The significant tokens of one line as a cursor: `peek`, `bump`, `eat_*` (optional
//! tokens) and `fail` (a user-facing error listing every token the cursor would have
//! accepted here). Also the pieces every parser file shares: [`Span`], [`Error`] and the
//! "did you mean" hint.

use super::super::diagnostic::{Collector, Said};
use super::super::lexer::{Token, TokenKind};

/// Where a problem is: a line, a column (1-based, in characters) and a width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    pub(crate) line: u32,
    pub(crate) col: u32,
    pub(crate) width: u32,
}

impl Span {
    pub(crate) fn of(tok: &Token<'_>) -> Span {
        Span {
            line: tok.line,
            col: tok.col,
            width: tok.width().max(1),
        }
    }

    /// From the start of `self` to the end of `other`, when both are on one line.
    pub(crate) fn to(self, other: Span) -> Span {
        if other.line != self.line || other.col < self.col {
            return self;
        }
        Span {
            width: (other.col + other.width).saturating_sub(self.col).max(1),
            ..self
        }
    }

    /// A part of a token: `len` characters from `start` (both in characters).
    pub(crate) fn inner(self, start: usize, len: usize) -> Span {
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
pub(crate) struct Error {
    pub(crate) span: Span,
    pub(crate) message: Said,
    pub(crate) help: Option<Said>,
}

impl Error {
    pub(crate) fn new(span: Span, message: impl Into<Said>) -> Error {
        Error {
            span,
            message: message.into(),
            help: None,
        }
    }

    pub(crate) fn help(mut self, help: Option<impl Into<Said>>) -> Error {
        self.help = help.map(Into::into);
        self
    }

    pub(crate) fn with_help(self, help: impl Into<Said>) -> Error {
        self.help(Some(help.into()))
    }
}

pub(crate) type PResult<T> = Result<T, Error>;

/// Every problem of the file so far, bounded (see [`Collector`]).
pub(crate) struct Errors(pub(crate) Collector);

impl Errors {
    pub(crate) fn push(&mut self, e: Error) {
        let Span { line, col, width } = e.span;
        self.0.push((line, col, width), e.message, e.help);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether a problem at `span` would be shown: a hint that searches many names
    /// ("did you mean") is worth its time only then.
    pub(crate) fn wants(&self, span: Span) -> bool {
        self.0.would_keep(span.line, span.col)
    }
}

/// How many candidates a "did you mean" compares at most: a generated file may declare
/// a hundred thousand names, and a hint is worth little time.
pub(crate) const MAX_HINT_CANDIDATES: usize = 1000;

/// "did you mean `send`?" for the nearest candidate, if one is near enough (an edit
/// distance of 1 for names up to 3 characters, 2 for longer ones). Candidates whose
/// length alone puts them too far are skipped before the distance is computed, so a
/// megabyte-long word costs nothing.
pub(crate) fn did_you_mean<'c>(
    name: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Option<Said> {
    nearest(name, candidates).map(did_you_mean_this)
}

/// The candidate [`did_you_mean`] would suggest.
pub(crate) fn nearest<'c>(
    name: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Option<&'c str> {
    const LONGEST: usize = 64;
    if name.len() > 4 * LONGEST {
        return None;
    }
    let len = name.chars().count();
    let limit = if len <= 3 { 1 } else { 2 };
    let lower = name.to_lowercase();
    candidates
        .into_iter()
        .take(MAX_HINT_CANDIDATES)
        .filter(|&c| c != name && c.chars().count().abs_diff(len) <= limit)
        .map(|c| (strsim::damerau_levenshtein(&lower, &c.to_lowercase()), c))
        .filter(|&(d, _)| d <= limit)
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

/// "did you mean `send`?", in both languages.
pub(crate) fn did_you_mean_this(word: &str) -> Said {
    Said::both(
        format!("did you mean `{word}`?"),
        format!("你是想写 `{word}` 吗？"),
    )
}

/// How many names a help text lists before it says "and N more".
pub(crate) const MAX_LISTED: usize = 12;

/// `` `a`, `b` and `c` ``, or the first [`MAX_LISTED`] and "and N more".
pub(crate) fn list_names<S: AsRef<str>>(names: &[S]) -> String {
    if names.len() <= MAX_LISTED {
        return join_and(&quoted(names));
    }
    format!(
        "{} and {} more",
        quoted(&names[..MAX_LISTED]).join(", "),
        names.len() - MAX_LISTED
    )
}

/// [`list_names`] in Chinese: `` `a`、`b` 和 `c` ``, or the first [`MAX_LISTED`] and
/// "等另外 N 个".
pub(crate) fn list_names_zh<S: AsRef<str>>(names: &[S]) -> String {
    if names.len() <= MAX_LISTED {
        return join_zh(&quoted(names), " 和 ");
    }
    format!(
        "{} 等另外 {} 个",
        quoted(&names[..MAX_LISTED]).join("、"),
        names.len() - MAX_LISTED
    )
}

/// `a`、`b` 或 `c`: a Chinese list, `last` (`或`, `和`) before its last item, spaced
/// as [`glue`] spaces.
pub(crate) fn join_zh<S: AsRef<str>>(items: &[S], last: &str) -> String {
    let last = last.trim();
    let mut out = String::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            if i + 1 == items.len() {
                out = glue(&[&out, last, item.as_ref()]);
                continue;
            }
            out.push('、');
        }
        out.push_str(item.as_ref());
    }
    out
}

/// Chinese text and code joined the way Chinese is typeset: a space between a Chinese
/// character and a Latin letter, digit or code (`未知的动词 `sedn``), none between two
/// Chinese characters or next to full-width punctuation (`（`N bytes`）`).
pub(crate) fn glue(parts: &[&str]) -> String {
    fn han(c: char) -> bool {
        crate::text::width::written_without_spaces(c)
            && !matches!(c, '\u{3000}'..='\u{303f}' | '\u{ff00}'..='\u{ffef}')
    }
    let mut out = String::new();
    for part in parts.iter().filter(|p| !p.is_empty()) {
        if let (Some(a), Some(b)) = (out.chars().last(), part.chars().next())
            && ((han(a) && b.is_ascii_graphic()) || (a.is_ascii_graphic() && han(b)))
        {
            out.push(' ');
        }
        out.push_str(part);
    }
    out
}

/// `a`, `b` and `c`
pub(crate) fn join_and<S: AsRef<str>>(items: &[S]) -> String {
    join_with(items, " and ")
}

pub(crate) fn join_with<S: AsRef<str>>(items: &[S], last: &str) -> String {
    let mut out = String::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(if i + 1 == items.len() { last } else { ", " });
        }
        out.push_str(item.as_ref());
    }
    out
}

pub(crate) fn quoted(names: &[impl AsRef<str>]) -> Vec<String> {
    names.iter().map(|n| format!("`{}`", n.as_ref())).collect()
}

pub(crate) fn is_actor_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

pub(crate) fn is_param_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// A token as the parser sees it: after parameter substitution, with the span to blame.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PTok<'a> {
    pub(crate) kind: TokenKind,
    pub(crate) text: &'a str,
    pub(crate) span: Span,
    /// Came from a parameter's value (its span is the `$name`'s).
    pub(crate) subst: bool,
}

impl PTok<'_> {
    pub(crate) fn is_word(&self, w: &str) -> bool {
        self.kind == TokenKind::Word && self.text == w
    }
}

/// One thing the cursor would have accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exp {
    /// A literal token, shown in backquotes.
    Lit(&'static str),
    /// A description ("a size (like `1024` or `64K`)").
    Desc(&'static str),
}

impl Exp {
    pub(crate) fn show(self) -> String {
        match self {
            Exp::Lit(s) => format!("`{s}`"),
            Exp::Desc(s) => s.to_string(),
        }
    }

    /// [`show`](Self::show) in Chinese: a literal as it is, a description from
    /// [`DESCRIPTIONS`] (in English if it has none there).
    pub(crate) fn show_zh(self) -> String {
        match self {
            Exp::Lit(s) => format!("`{s}`"),
            Exp::Desc(s) => DESCRIPTIONS
                .iter()
                .find(|(en, _)| *en == s)
                .map_or(s, |(_, zh)| zh)
                .to_string(),
        }
    }
}

/// The descriptions of [`Exp::Desc`], English and Chinese (a test holds every
/// `Exp::Desc` of the parser to having a line here).
pub(crate) const DESCRIPTIONS: &[(&str, &str)] = &[
    ("a byte count (`N bytes`)", "字节数（`N bytes`）"),
    (
        "a codec (like `len32` or `line`)",
        "编解码器（比如 `len32` 或 `line`）",
    ),
    (
        "a duration (like `40ms`, `1s` or `250us`)",
        "时长（比如 `40ms`、`1s` 或 `250us`）",
    ),
    ("a name", "名字"),
    ("a repeat count", "重复次数"),
    (
        "a size (like `1024` or `64K`)",
        "大小（比如 `1024` 或 `64K`）",
    ),
    ("a string", "字符串"),
    ("a timer or actor name", "计时器或角色的名字"),
    ("a verb", "动词"),
    ("a whole number", "整数"),
    ("an actor name", "角色名"),
    (
        "an address (like `127.0.0.1:8000` or `8000`)",
        "地址（比如 `127.0.0.1:8000` 或 `8000`）",
    ),
    (
        "an error name (like `ECONNRESET`)",
        "错误名（比如 `ECONNRESET`）",
    ),
    (
        "an option (like `nodelay` or `rcvbuf`)",
        "选项（比如 `nodelay` 或 `rcvbuf`）",
    ),
    ("end of line", "行尾"),
    (
        "a string of hex digits (like \"de ad be ef\")",
        "十六进制数字的字符串（比如 \"de ad be ef\"）",
    ),
    (
        "a step (`ACTOR: VERB ...`), a meta line (`KEY: text`), `repeat N {` or `}`",
        "步骤（`ACTOR: VERB ...`）、元信息行（`KEY: text`）、`repeat N {` 或 `}`",
    ),
];

pub(crate) const A_SIZE: Exp = Exp::Desc("a size (like `1024` or `64K`)");
pub(crate) const A_NUMBER: Exp = Exp::Desc("a whole number");
pub(crate) const A_DURATION: Exp = Exp::Desc("a duration (like `40ms`, `1s` or `250us`)");
pub(crate) const AN_ACTOR: Exp = Exp::Desc("an actor name");
pub(crate) const A_NAME: Exp = Exp::Desc("a name");
pub(crate) const AN_ADDRESS: Exp = Exp::Desc("an address (like `127.0.0.1:8000` or `8000`)");

/// The significant tokens of one line and what has been tried at the current one.
pub(crate) struct Cursor<'t, 'a> {
    toks: &'t [PTok<'a>],
    pos: usize,
    expected: Vec<Exp>,
    /// Where "end of line" is, for errors about a missing token.
    eol: Span,
}

impl<'t, 'a> Cursor<'t, 'a> {
    pub(crate) fn new(toks: &'t [PTok<'a>]) -> Self {
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

    /// The tokens not yet taken.
    pub(crate) fn rest(&self) -> &'t [PTok<'a>] {
        self.toks.get(self.pos..).unwrap_or_default()
    }

    pub(crate) fn peek(&self) -> Option<PTok<'a>> {
        self.toks.get(self.pos).copied()
    }

    pub(crate) fn peek_kind(&self) -> Option<TokenKind> {
        self.peek().map(|t| t.kind)
    }

    pub(crate) fn bump(&mut self) -> Option<PTok<'a>> {
        let tok = self.peek()?;
        self.pos += 1;
        self.expected.clear();
        Some(tok)
    }

    pub(crate) fn expect(&mut self, e: Exp) {
        if !self.expected.contains(&e) {
            self.expected.push(e);
        }
    }

    pub(crate) fn at_word(&self, w: &str) -> bool {
        self.peek().is_some_and(|t| t.is_word(w))
    }

    /// The word `w` if it comes next; else remembers that it would have been accepted.
    pub(crate) fn eat_word(&mut self, w: &'static str) -> Option<PTok<'a>> {
        if self.at_word(w) {
            self.bump()
        } else {
            self.expect(Exp::Lit(w));
            None
        }
    }

    pub(crate) fn eat(&mut self, kind: TokenKind, lit: &'static str) -> Option<PTok<'a>> {
        if self.peek_kind() == Some(kind) {
            self.bump()
        } else {
            self.expect(Exp::Lit(lit));
            None
        }
    }

    /// The next token if it is a word; else remembers `what`.
    pub(crate) fn eat_any_word(&mut self, what: Exp) -> Option<PTok<'a>> {
        if self.peek_kind() == Some(TokenKind::Word) {
            self.bump()
        } else {
            self.expect(what);
            None
        }
    }

    /// The span of the token taken last (or of the line's start).
    pub(crate) fn last_span(&self) -> Span {
        self.pos
            .checked_sub(1)
            .and_then(|i| self.toks.get(i))
            .map_or(self.here(), |t| t.span)
    }

    pub(crate) fn here(&self) -> Span {
        self.peek().map_or(self.eol, |t| t.span)
    }

    /// "expected A, B or C, found X", with a did-you-mean among the literal words.
    pub(crate) fn fail(&self) -> Error {
        let (found, found_zh) = match self.peek() {
            None => ("end of line".to_string(), "行尾".to_string()),
            Some(t) if matches!(t.kind, TokenKind::Str { .. }) => {
                ("a string".to_string(), "一个字符串".to_string())
            }
            Some(t) => (format!("`{}`", t.text), format!("`{}`", t.text)),
        };
        let shown: Vec<String> = self.expected.iter().map(|e| e.show()).collect();
        let message = if shown.is_empty() {
            Said::both(
                format!("unexpected {found}"),
                glue(&["这里不该有", &found_zh]),
            )
        } else {
            let shown_zh: Vec<String> = self.expected.iter().map(|e| e.show_zh()).collect();
            Said::both(
                format!("expected {}, found {found}", join_with(&shown, " or ")),
                glue(&["这里应为", &join_zh(&shown_zh, "或"), "，实际是", &found_zh]),
            )
        };
        let lits = self.expected.iter().filter_map(|e| match e {
            Exp::Lit(s) => Some(*s),
            Exp::Desc(_) => None,
        });
        let help = match self.peek() {
            // Python writes 'hello' and b'hello'; this language has one kind of quotes.
            Some(t)
                if t.text.starts_with('\'') && self.expected.contains(&Exp::Desc("a string")) =>
            {
                Some(Said::both(
                    "strings are written in double quotes: `\"hello\"` (Python's 'hello' or b'hello')",
                    "字符串要用双引号：`\"hello\"`（不是 Python 的 'hello' 或 b'hello'）",
                ))
            }
            Some(t) if t.text == "udp" && self.expected.contains(&Exp::Lit("again")) => {
                Some(Said::both(
                    "UDP has no listen and no connections: `bind udp`, then `sendto ACTOR VALUE` \
                     and `recvfrom N`",
                    "UDP 没有 listen，也没有连接：先 `bind udp`，再 `sendto ACTOR VALUE` 和 \
                     `recvfrom N`",
                ))
            }
            Some(_) if self.after_brace() && self.expected.contains(&Exp::Desc("end of line")) => {
                Some(Said::both(
                    "a repeat block's steps go on lines of their own: `repeat 3 {`, one step a \
                     line, then `}` on a line of its own",
                    "repeat 块的步骤各占一行：先写 `repeat 3 {`，每行一个步骤，最后 `}` 单独一行",
                ))
            }
            Some(t) if t.kind == TokenKind::Word => did_you_mean(t.text, lits),
            Some(t) if t.kind == TokenKind::Eq && self.expected.contains(&Exp::Lit("==")) => {
                Some(did_you_mean_this("=="))
            }
            Some(t) if t.kind == TokenKind::Arrow && self.expected.contains(&Exp::Lit(">=")) => {
                Some(did_you_mean_this(">="))
            }
            _ => None,
        };
        Error::new(self.here(), message).help(help)
    }

    pub(crate) fn fail_expecting(&mut self, what: Exp) -> Error {
        self.expect(what);
        self.fail()
    }

    /// Whether the token taken last is a `{`.
    fn after_brace(&self) -> bool {
        self.pos
            .checked_sub(1)
            .and_then(|i| self.toks.get(i))
            .is_some_and(|t| t.kind == TokenKind::LBrace)
    }

    /// Nothing may follow.
    pub(crate) fn expect_end(&mut self) -> PResult<()> {
        if self.peek().is_none() {
            Ok(())
        } else {
            Err(self.fail_expecting(Exp::Desc("end of line")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{DESCRIPTIONS, Exp, list_names_zh};

    /// The descriptions of `Exp::Desc` written in the parser's source.
    fn descriptions_in(source: &str) -> Vec<String> {
        // The code, not its tests.
        let source = source.split("#[cfg(test)]").next().unwrap_or_default();
        let mut found = Vec::new();
        for (at, _) in source.match_indices("Exp::Desc(") {
            let rest = source[at + "Exp::Desc(".len()..].trim_start();
            let Some(rest) = rest.strip_prefix('"') else {
                continue; // a pattern like `Exp::Desc(_)`
            };
            let mut text = String::new();
            let mut chars = rest.chars();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => text.extend(chars.next()),
                    '"' => break,
                    c => text.push(c),
                }
            }
            found.push(text);
        }
        found
    }

    #[test]
    fn every_description_the_parser_expects_has_its_chinese() {
        let sources = [
            include_str!("cursor.rs"),
            include_str!("mod.rs"),
            include_str!("meta.rs"),
            include_str!("checks.rs"),
            include_str!("steps.rs"),
            include_str!("options.rs"),
            include_str!("outcomes.rs"),
            include_str!("values.rs"),
        ];
        let found: Vec<String> = sources.iter().flat_map(|s| descriptions_in(s)).collect();
        assert!(found.len() > 10, "{found:?}");
        for desc in found {
            assert!(
                DESCRIPTIONS.iter().any(|(en, _)| *en == desc),
                "no Chinese for {desc:?} in DESCRIPTIONS"
            );
        }
        assert_eq!(Exp::Desc("end of line").show_zh(), "行尾");
        assert_eq!(Exp::Lit("=>").show_zh(), "`=>`");
    }

    #[test]
    fn chinese_lists_use_the_enumeration_comma() {
        assert_eq!(list_names_zh(&["a", "b", "c"]), "`a`、`b` 和 `c`");
        assert_eq!(super::join_zh(&["`off`", "时长"], "或"), "`off` 或时长");
        assert_eq!(
            super::glue(&["这里应为", "字节数（`N bytes`）", "，实际是", "`x`"]),
            "这里应为字节数（`N bytes`），实际是 `x`"
        );
        let many: Vec<String> = (0..15).map(|i| format!("p{i}")).collect();
        assert!(list_names_zh(&many).ends_with("`p11` 等另外 3 个"));
    }
}
