//! Meta lines: `title:`, `about:`, `tags:` (free text), `param:` (pass 1, before any
//! other line is parsed) and `timeout:`. The `expect:` checks are in `checks.rs`.

use std::collections::HashMap;

use super::super::ast::Param;
use super::super::lexer::{Token, TokenKind};
use super::Parser;
use super::cursor::{
    Cursor, Error, Errors, PResult, Span, did_you_mean, glue, is_param_name, list_names,
    list_names_zh,
};
use super::values::expect_duration;
use crate::text::width::written_without_spaces;
use crate::text::{Said, said};

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
                Error::new(
                    eol,
                    Said::both(
                        "expected a parameter name, found end of line",
                        "这里应为参数名，实际是行尾",
                    ),
                )
                .with_help(Said::both(
                    "declare a parameter as `param: NAME = DEFAULT`, like `param: nodelay = off`",
                    "参数这样声明：`param: NAME = DEFAULT`，比如 `param: nodelay = off`",
                )),
            );
            continue;
        };
        if name.kind != TokenKind::Word || !is_param_name(name.text) {
            errors.push(
                Error::new(
                    Span::of(name),
                    Said::both(
                        format!("`{}` is not a parameter name", name.text),
                        format!("`{}` 不是参数名", name.text),
                    ),
                )
                .with_help(Said::both(
                    "a parameter name is letters, digits, `_` and `-`, like `nodelay`",
                    "参数名由字母、数字、`_` 和 `-` 组成，比如 `nodelay`",
                )),
            );
            continue;
        }
        let Some(eq) = rest.iter().position(|t| t.kind == TokenKind::Eq) else {
            let after = sig.get(1).map_or(eol, |t| Span::of(t));
            let (found, found_zh) = sig
                .get(1)
                .map_or(("end of line".to_string(), "行尾".to_string()), |t| {
                    (format!("`{}`", t.text), format!("`{}`", t.text))
                });
            let name = name.text;
            errors.push(
                Error::new(
                    after,
                    Said::both(
                        format!("expected `=`, found {found}"),
                        glue(&["这里应为 `=`，实际是", &found_zh]),
                    ),
                )
                .with_help(said!(
                    "declare a parameter as `param: {name} = DEFAULT`",
                    "参数这样声明：`param: {name} = DEFAULT`"
                )),
            );
            continue;
        };
        if sig.get(1).is_none_or(|t| t.kind != TokenKind::Eq) {
            let t = sig.get(1).map_or(eol, |t| Span::of(t));
            errors.push(Error::new(
                t,
                Said::both(
                    "expected `=` after the parameter's name",
                    "参数名后面应为 `=`",
                ),
            ));
            continue;
        }
        let default = text_until_comment(rest[eq + 1..].iter().map(|t| (t.kind, t.text)));
        if default.is_empty() {
            let name = name.text;
            errors.push(
                Error::new(
                    eol,
                    said!(
                        "parameter `{name}` needs a default value after `=`",
                        "参数 `{name}` 的 `=` 后面需要一个默认值"
                    ),
                )
                .with_help(said!(
                    "like `param: {name} = off`",
                    "比如 `param: {name} = off`"
                )),
            );
            continue;
        }
        if let Some(first) = lines_of.get(name.text) {
            let text = name.text;
            errors.push(Error::new(
                Span::of(name),
                said!(
                    "parameter `{text}` is declared twice (first on line {first})",
                    "参数 `{text}` 声明了两次（第一次在第 {first} 行）"
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
) -> Vec<(Said, Option<Said>)> {
    let mut errors = Vec::new();
    for (name, value) in overrides {
        if let Some(p) = params.iter_mut().find(|p| &p.name == name) {
            p.value = value.trim().to_string();
            continue;
        }
        let declared: Vec<&str> = params.iter().map(|p| p.name.as_str()).collect();
        let message = if declared.is_empty() {
            said!(
                "unknown parameter `{name}` in --param: this scenario declares no parameters",
                "--param 里的参数 `{name}` 未知：这个场景没有声明参数"
            )
        } else {
            let (names, names_zh) = (list_names(&declared), list_names_zh(&declared));
            said!(
                "unknown parameter `{name}` in --param: this scenario declares {names}",
                "--param 里的参数 `{name}` 未知：这个场景声明的参数有 {names_zh}"
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
                    Said::both(
                        format!("`{}` has a malformed language suffix", key.text),
                        format!("`{}` 的语言后缀格式不对", key.text),
                    ),
                )
                .with_help(Said::both(
                    "write the language after one dot, like `title.zh:` or `about.en:`",
                    "在一个点后面写语言，比如 `title.zh:` 或 `about.en:`",
                )),
            );
            return;
        }
        let lang = lang.map(str::to_string);
        match split_key(key.text).0 {
            "title" => {
                if text.is_empty() {
                    self.errors.push(Error::new(
                        Span::of(&key),
                        Said::both("this title is empty", "这个标题是空的"),
                    ));
                } else if let Some(first) = self.title_lines.get(&lang) {
                    self.errors.push(Error::new(
                        Span::of(&key),
                        Said::both(
                            format!("`{}` is given twice (first on line {first})", key.text),
                            format!("`{}` 写了两次（第一次在第 {first} 行）", key.text),
                        ),
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
            return Err(Error::new(
                span,
                Said::both("the timeout must be longer than zero", "timeout 必须大于零"),
            ));
        }
        if let Some((_, first)) = self.timeout {
            return Err(Error::new(
                span,
                said!(
                    "`timeout` is given twice (first on line {first})",
                    "`timeout` 写了两次（第一次在第 {first} 行）"
                ),
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
