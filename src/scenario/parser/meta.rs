//! Meta lines: `title:`, `about:`, `tags:` (free text), `param:` (pass 1, before any
//! other line is parsed) and `timeout:`. The `expect:` checks are in `checks.rs`.

use std::collections::HashMap;

use super::super::ast::Param;
use super::super::lexer::{Token, TokenKind};
use super::Parser;
use super::cursor::{
    Cursor, Error, Errors, PResult, Span, did_you_mean, is_param_name, list_names,
};
use super::values::expect_duration;
use crate::text::width::written_without_spaces;

/// The significant (non-trivia) tokens of a line.
pub(crate) fn significant<'l, 'a>(line: &'l [Token<'a>]) -> Vec<&'l Token<'a>> {
    line.iter().filter(|t| !t.kind.is_trivia()).collect()
}

/// The text of `toks` up to a comment, trimmed.
pub(crate) fn text_until_comment<'a>(
    toks: impl IntoIterator<Item = (TokenKind, &'a str)>,
) -> String {
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
pub(crate) fn meta_key<'a>(line: &[Token<'a>]) -> Option<(Token<'a>, usize)> {
    let mut sig = line.iter().enumerate().filter(|(_, t)| !t.kind.is_trivia());
    let (_, key) = sig.next()?;
    let (colon, c) = sig.next()?;
    (key.kind == TokenKind::Word && c.kind == TokenKind::Colon).then_some((*key, colon))
}

/// `title.zh` -> (`title`, Some(`zh`)).
pub(crate) fn split_key(key: &str) -> (&str, Option<&str>) {
    match key.split_once('.') {
        Some((base, lang)) => (base, Some(lang)),
        None => (key, None),
    }
}

/// Pass 1: `param: NAME = DEFAULT` lines.
pub(crate) fn collect_params(lines: &[&[Token<'_>]], errors: &mut Errors) -> Vec<Param> {
    let mut params: Vec<Param> = Vec::new();
    // Where each name was declared, for duplicates (a set: a file may declare many).
    let mut lines_of: HashMap<&str, u32> = HashMap::new();
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
        if let Some(first) = lines_of.get(name.text) {
            errors.push(Error::new(
                Span::of(name),
                format!(
                    "parameter `{}` is declared twice (first on line {})",
                    name.text, first
                ),
            ));
            continue;
        }
        lines_of.insert(name.text, key.line);
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
pub(crate) fn apply_overrides(
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
                list_names(&declared)
            )
        };
        errors.push((message, did_you_mean(name, declared.iter().copied())));
    }
    errors
}

impl<'a> Parser<'a, '_> {
    /// `title:`, `about:`, `tags:`: free text, taken as written (no `$param`).
    pub(crate) fn free_text(&mut self, key: Token<'a>, lang: Option<&str>, rest: &[Token<'a>]) {
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
                            let wide = |c: Option<char>| c.is_some_and(written_without_spaces);
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

    pub(crate) fn parse_timeout(&mut self, c: &mut Cursor<'_, 'a>) -> PResult<()> {
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
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::super::test_support::{errors_with, lit, parse_ok, parse_with, steps};
    use crate::scenario::ast::{Action, Value};

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
        let s = parse_ok("about:\nabout: only\na: mark x\n");
        assert_eq!(s.about.default.as_deref(), Some("only"));
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
}
