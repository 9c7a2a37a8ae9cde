//! Text -> tokens, losslessly: whitespace, comments and newlines are tokens too, so the
//! texts of all tokens concatenate back to the input, byte for byte. The lexer never
//! fails; what it cannot make sense of becomes an `Unknown` token or an
//! unterminated `Str`, and the parser reports it.

/// What a token is. Strings keep their quotes and escapes; see
/// [`crate::text::escape::unescape`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenKind {
    /// Spaces, tabs, a stray `\r`, a byte-order mark.
    Whitespace,
    /// `\n` or `\r\n`.
    Newline,
    /// `#` to the end of the line (the newline is not part of it).
    Comment,
    /// A letter or `_`, then letters, digits, `_`, `-`, `.` (`client`, `title.zh`,
    /// `json-header`, `EADDRINUSE`).
    Word,
    /// A digit, then letters, digits, `_`, or a `.` followed by a digit (`1024`, `64K`,
    /// `40ms`, `1.5s`). `10..20` is three tokens.
    Number,
    /// `"..."` with its quotes; `terminated` is false when the line ended first.
    Str {
        terminated: bool,
    },
    /// `$name`
    Param,
    Colon,
    /// `=>`
    Arrow,
    /// `=`
    Eq,
    /// `==`
    EqEq,
    Lt,
    Le,
    Gt,
    Ge,
    Pipe,
    Plus,
    Star,
    LBrace,
    RBrace,
    /// `..`
    DotDot,
    Comma,
    /// Any other character.
    Unknown,
}

impl TokenKind {
    /// Whitespace and comments: tokens the parser skips.
    pub(crate) fn is_trivia(self) -> bool {
        matches!(self, TokenKind::Whitespace | TokenKind::Comment)
    }
}

/// One token: its kind, its text, and where it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Token<'a> {
    pub(crate) kind: TokenKind,
    pub(crate) text: &'a str,
    /// Byte offset in the source.
    pub(crate) offset: usize,
    /// 1-based line.
    pub(crate) line: u32,
    /// 1-based column, in characters.
    pub(crate) col: u32,
}

impl Token<'_> {
    /// The token's length in characters (what a caret underlines).
    pub(crate) fn width(&self) -> u32 {
        u32::try_from(self.text.chars().count()).unwrap_or(u32::MAX)
    }
}

fn is_word_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn is_word_continue(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.')
}

/// Splits `source` into tokens. Concatenating the texts gives back `source`.
pub(crate) fn lex(source: &str) -> Vec<Token<'_>> {
    let mut tokens = Vec::new();
    let mut line = 1u32;
    let mut col = 1u32;
    let mut rest = source;
    let mut offset = 0usize;
    while let Some(c) = rest.chars().next() {
        let (kind, len) = next_token(rest, c);
        let text = &rest[..len];
        tokens.push(Token {
            kind,
            text,
            offset,
            line,
            col,
        });
        if kind == TokenKind::Newline {
            line = line.saturating_add(1);
            col = 1;
        } else {
            let chars = u32::try_from(text.chars().count()).unwrap_or(u32::MAX);
            col = col.saturating_add(chars);
        }
        offset += len;
        rest = &rest[len..];
    }
    tokens
}

/// The kind and byte length of the token at the start of `rest`, whose first char is `c`.
fn next_token(rest: &str, c: char) -> (TokenKind, usize) {
    let bytes = rest.as_bytes();
    let second = bytes.get(1).copied();
    match c {
        '\n' => (TokenKind::Newline, 1),
        '\r' if second == Some(b'\n') => (TokenKind::Newline, 2),
        ' ' | '\t' | '\r' | '\u{feff}' => {
            let len = rest
                .char_indices()
                .find(|&(i, ch)| {
                    !matches!(ch, ' ' | '\t' | '\r' | '\u{feff}')
                        || (ch == '\r' && rest[i..].starts_with("\r\n"))
                })
                .map_or(rest.len(), |(i, _)| i);
            (TokenKind::Whitespace, len)
        }
        '#' => (TokenKind::Comment, line_end(rest)),
        '"' => string_token(rest),
        '$' => {
            let len = rest[1..]
                .char_indices()
                .find(|&(_, ch)| !(ch.is_alphanumeric() || ch == '_' || ch == '-'))
                .map_or(rest.len(), |(i, _)| i + 1);
            (TokenKind::Param, len)
        }
        c if is_word_start(c) => {
            let len = rest
                .char_indices()
                .find(|&(_, ch)| !is_word_continue(ch))
                .map_or(rest.len(), |(i, _)| i);
            (TokenKind::Word, len)
        }
        c if c.is_ascii_digit() => {
            let mut len = 0;
            let mut chars = rest.char_indices().peekable();
            while let Some((i, ch)) = chars.next() {
                let next_is_digit = chars.peek().is_some_and(|&(_, n)| n.is_ascii_digit());
                if ch.is_alphanumeric() || ch == '_' || (ch == '.' && next_is_digit) {
                    len = i + ch.len_utf8();
                } else {
                    break;
                }
            }
            (TokenKind::Number, len)
        }
        ':' => (TokenKind::Colon, 1),
        '=' => match second {
            Some(b'>') => (TokenKind::Arrow, 2),
            Some(b'=') => (TokenKind::EqEq, 2),
            _ => (TokenKind::Eq, 1),
        },
        '<' if second == Some(b'=') => (TokenKind::Le, 2),
        '<' => (TokenKind::Lt, 1),
        '>' if second == Some(b'=') => (TokenKind::Ge, 2),
        '>' => (TokenKind::Gt, 1),
        '|' => (TokenKind::Pipe, 1),
        '+' => (TokenKind::Plus, 1),
        '*' => (TokenKind::Star, 1),
        '{' => (TokenKind::LBrace, 1),
        '}' => (TokenKind::RBrace, 1),
        '.' if second == Some(b'.') => (TokenKind::DotDot, 2),
        ',' => (TokenKind::Comma, 1),
        other => (TokenKind::Unknown, other.len_utf8()),
    }
}

/// Bytes up to (not including) the next `\n` or `\r\n`.
fn line_end(rest: &str) -> usize {
    let end = rest.find('\n').unwrap_or(rest.len());
    if end > 0 && rest.as_bytes()[end - 1] == b'\r' && end < rest.len() {
        end - 1
    } else {
        end
    }
}

/// A string runs to the closing quote; a backslash protects the next character. A string
/// that meets the end of the line first is unterminated and ends there (before `\r\n`).
///
/// The scan stops at the string's own end: looking for the end of the line first would
/// read the rest of the line once per string, quadratic in a line of many strings.
fn string_token(rest: &str) -> (TokenKind, usize) {
    let bytes = rest.as_bytes();
    let mut i = 1;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => return (TokenKind::Str { terminated: true }, i + 1),
            b'\\' if bytes.get(i + 1).is_some_and(|&b| b != b'\n') => i += 2,
            b'\n' => break,
            _ => i += 1,
        }
    }
    // Unterminated: the string ends at the newline, or at the `\r` of a `\r\n`.
    let end = if i > 1 && bytes.get(i) == Some(&b'\n') && bytes[i - 1] == b'\r' {
        i - 1
    } else {
        i.min(bytes.len())
    };
    (TokenKind::Str { terminated: false }, end)
}

#[cfg(test)]
mod tests {
    use super::{TokenKind as K, lex};

    fn kinds(src: &str) -> Vec<(K, &str)> {
        lex(src).into_iter().map(|t| (t.kind, t.text)).collect()
    }

    fn round_trip(src: &str) {
        let joined: String = lex(src).iter().map(|t| t.text).collect();
        assert_eq!(joined, src);
    }

    #[test]
    fn tokens_concatenate_back_to_the_input() {
        for src in [
            "",
            "server: listen\n",
            "client: send \"a\\\"b # not a comment\" # a comment\r\n",
            "  \t\u{feff}x\r\r\n\n",
            "about: 中文 ……\n title.zh: 两次\n",
            "client: send \"unterminated\nserver: recv 10 => eof",
            "x: send hex \"de ad\" + bytes 3K * 2 | random 10..20 => ok\n$p $ @ ~ `",
            "expect: rtt p50 >= 30ms\nexpect: a recvs == 3 <= < > =",
            "\\",
            "\"\\",
        ] {
            round_trip(src);
        }
        for sample in crate::scenario::parser::test_support::SAMPLES {
            round_trip(sample);
        }
    }

    #[test]
    fn a_step_line() {
        assert_eq!(
            kinds("server: recv 1024 => \"hi\" # c\n"),
            vec![
                (K::Word, "server"),
                (K::Colon, ":"),
                (K::Whitespace, " "),
                (K::Word, "recv"),
                (K::Whitespace, " "),
                (K::Number, "1024"),
                (K::Whitespace, " "),
                (K::Arrow, "=>"),
                (K::Whitespace, " "),
                (K::Str { terminated: true }, "\"hi\""),
                (K::Whitespace, " "),
                (K::Comment, "# c"),
                (K::Newline, "\n"),
            ]
        );
    }

    #[test]
    fn numbers_words_and_ranges() {
        assert_eq!(
            kinds("random 10..20 1.5s 64K title.zh json-header $x-y"),
            vec![
                (K::Word, "random"),
                (K::Whitespace, " "),
                (K::Number, "10"),
                (K::DotDot, ".."),
                (K::Number, "20"),
                (K::Whitespace, " "),
                (K::Number, "1.5s"),
                (K::Whitespace, " "),
                (K::Number, "64K"),
                (K::Whitespace, " "),
                (K::Word, "title.zh"),
                (K::Whitespace, " "),
                (K::Word, "json-header"),
                (K::Whitespace, " "),
                (K::Param, "$x-y"),
            ]
        );
        assert_eq!(
            kinds("<= < >= > == = => | + * { } , @"),
            [
                K::Le,
                K::Lt,
                K::Ge,
                K::Gt,
                K::EqEq,
                K::Eq,
                K::Arrow,
                K::Pipe,
                K::Plus,
                K::Star,
                K::LBrace,
                K::RBrace,
                K::Comma,
                K::Unknown
            ]
            .iter()
            .zip("<= < >= > == = => | + * { } , @".split(' '))
            .flat_map(|(&k, t)| [(k, t), (K::Whitespace, " ")])
            .take(27)
            .collect::<Vec<_>>()
        );
    }

    #[test]
    fn strings_end_at_the_quote_or_the_line() {
        assert_eq!(
            kinds("\"a\\\"b\"x"),
            vec![(K::Str { terminated: true }, "\"a\\\"b\""), (K::Word, "x")]
        );
        assert_eq!(
            kinds("\"abc # d\r\nx"),
            vec![
                (K::Str { terminated: false }, "\"abc # d"),
                (K::Newline, "\r\n"),
                (K::Word, "x")
            ]
        );
    }

    #[test]
    fn positions_are_lines_and_character_columns() {
        let toks = lex("about: 两次\n  c: send \"é\" x\r\ny");
        let pos: Vec<(&str, usize, u32, u32)> = toks
            .iter()
            .filter(|t| !t.kind.is_trivia() && t.kind != K::Newline)
            .map(|t| (t.text, t.offset, t.line, t.col))
            .collect();
        assert_eq!(
            pos,
            vec![
                ("about", 0, 1, 1),
                (":", 5, 1, 6),
                ("两次", 7, 1, 8),
                ("c", 16, 2, 3),
                (":", 17, 2, 4),
                ("send", 19, 2, 6),
                ("\"é\"", 24, 2, 11),
                ("x", 29, 2, 15),
                ("y", 32, 3, 1),
            ]
        );
    }
}
