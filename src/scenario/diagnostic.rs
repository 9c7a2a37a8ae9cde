//! Errors in a scenario file as values: a position, a message, an optional hint; rendered
//! once, here, as `FILE:LINE:COL: message`, the line, and a caret under the token. The
//! message and the hint are [`Said`]: made in English and Chinese, shown in the language
//! of [`Diagnostic::render_in`] (the frame's `help:` too; the position and the caret are
//! the same in every language).

use std::collections::BinaryHeap;

use unicode_width::UnicodeWidthChar;

pub use crate::text::Said;

/// One problem in a scenario file (or on the command line, for `--param`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: String,
    /// 1-based; 0 when the problem is not in the file (an undeclared `--param`).
    pub line: u32,
    /// 1-based, in characters.
    pub col: u32,
    /// How many characters the caret underlines (at least 1).
    pub width: u32,
    pub message: Said,
    /// "did you mean `recv`?" and the like.
    pub help: Option<Said>,
}

impl Diagnostic {
    /// `FILE:LINE:COL: message`, the offending line, a caret line, and the help if any:
    ///
    /// ```text
    /// scenarios/x.lab:3:9: unknown verb `sedn`
    /// 3 | client: sedn "hello"
    ///   |         ^^^^
    /// help: did you mean `send`?
    /// ```
    ///
    /// A diagnostic on line 0 (not in the file) is only `FILE: message` and the help.
    /// The caret line keeps the tabs of the source line and counts East Asian wide
    /// characters as two columns (Unicode's East_Asian_Width, via `unicode-width`), so the
    /// carets stand under the token in a terminal. A line wider than [`MAX_EXCERPT`]
    /// columns is shown as an excerpt around the problem, with `…` where it is cut.
    pub fn render(&self, source: &str) -> String {
        self.render_in(source, "en")
    }

    /// [`render`](Self::render) in `lang` (`en`, `zh`): the message and the help in that
    /// language where they have been translated, and the help's label (`help:`,
    /// `提示：`); the file, line, column, excerpt and caret stay as they are.
    pub fn render_in(&self, source: &str, lang: &str) -> String {
        let message = clipped(self.message.get(lang));
        let mut out = if self.line == 0 {
            format!("{}: {message}", self.file)
        } else {
            let index = usize::try_from(self.line - 1).unwrap_or(usize::MAX);
            let text = source.lines().nth(index).unwrap_or("");
            let start = usize::try_from(self.col.saturating_sub(1)).unwrap_or(usize::MAX);
            let width = usize::try_from(self.width.max(1)).unwrap_or(1);
            let (shown, pad, carets) = excerpt(text, start, width);
            let number = self.line.to_string();
            let gutter = " ".repeat(number.len());
            format!(
                "{}:{}:{}: {message}\n{} | {}\n{} | {}{}",
                self.file,
                self.line,
                self.col,
                number,
                shown,
                gutter,
                pad,
                "^".repeat(carets)
            )
            .lines()
            .map(str::trim_end)
            .collect::<Vec<_>>()
            .join("\n")
        };
        if let Some(help) = &self.help {
            out.push('\n');
            out.push_str(if lang == "zh" { "提示：" } else { "help: " });
            out.push_str(&clipped(help.get(lang)));
        }
        out
    }

    /// The last entry of a list cut at [`MAX_SHOWN`]: "and N more problems".
    pub(crate) fn more(file: &str, hidden: usize) -> Diagnostic {
        let s = if hidden == 1 { "" } else { "s" };
        Diagnostic {
            file: file.to_string(),
            line: 0,
            col: 0,
            width: 1,
            message: Said::both(
                format!("and {hidden} more problem{s} (only the first {MAX_SHOWN} are shown)"),
                format!("另有 {hidden} 个问题（只显示前 {MAX_SHOWN} 个）"),
            ),
            help: None,
        }
    }
}

/// How many diagnostics a file's list holds at most; past it, one more entry says how
/// many were left out. A file with a mistake repeated on every line stays readable, and
/// neither memory nor the terminal grows with the number of mistakes.
pub const MAX_SHOWN: usize = 50;

/// The longest message or help a diagnostic prints, in characters: a message quotes
/// the user's token, which can be a megabyte-long word.
pub const MAX_MESSAGE: usize = 300;

fn clipped(text: &str) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(MAX_MESSAGE) {
        None => text.into(),
        Some((cut, _)) => format!("{}…", &text[..cut]).into(),
    }
}

/// The widest excerpt of a source line a diagnostic shows, in terminal columns.
pub const MAX_EXCERPT: usize = 100;

/// Gathers the diagnostics of one file: keeps the [`MAX_SHOWN`] first in file order
/// (command-line problems, on line 0, first) out of any number pushed, so memory stays
/// bounded however many mistakes a file repeats, and counts the rest.
pub(crate) struct Collector {
    file: String,
    /// A max-heap on position: the last kept diagnostic is the first to go.
    kept: BinaryHeap<Positioned>,
    pushed: usize,
}

struct Positioned {
    key: (u32, u32, usize),
    diagnostic: Diagnostic,
}

impl PartialEq for Positioned {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for Positioned {}

impl PartialOrd for Positioned {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Positioned {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key.cmp(&other.key)
    }
}

impl Collector {
    pub(crate) fn new(file: &str) -> Collector {
        Collector {
            file: file.to_string(),
            kept: BinaryHeap::new(),
            pushed: 0,
        }
    }

    /// A problem at `line:col` (1-based; line 0 for the command line).
    pub(crate) fn push(
        &mut self,
        (line, col, width): (u32, u32, u32),
        message: Said,
        help: Option<Said>,
    ) {
        let key = (line, col, self.pushed);
        self.pushed += 1;
        if self.kept.len() == MAX_SHOWN && self.kept.peek().is_some_and(|last| last.key < key) {
            return;
        }
        self.kept.push(Positioned {
            key,
            diagnostic: Diagnostic {
                file: self.file.clone(),
                line,
                col,
                width: width.max(1),
                message,
                help,
            },
        });
        if self.kept.len() > MAX_SHOWN {
            self.kept.pop();
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.pushed == 0
    }

    /// Whether a diagnostic at `line:col` pushed now would be kept.
    pub(crate) fn would_keep(&self, line: u32, col: u32) -> bool {
        self.kept.len() < MAX_SHOWN
            || self
                .kept
                .peek()
                .is_some_and(|last| (line, col) < (last.key.0, last.key.1))
    }

    /// The kept diagnostics in file order, then "and N more problems" if any were left out.
    pub(crate) fn into_vec(self) -> Vec<Diagnostic> {
        let hidden = self.pushed - self.kept.len();
        let mut out: Vec<Diagnostic> = self
            .kept
            .into_sorted_vec()
            .into_iter()
            .map(|p| p.diagnostic)
            .collect();
        if hidden > 0 {
            out.push(Diagnostic::more(&self.file, hidden));
        }
        out
    }
}

/// Terminal columns of a character: 2 for East Asian wide ones, 0 for combining marks,
/// 1 for the rest (a tab is kept as a tab on both lines, so it stays aligned; it counts 1
/// here).
fn columns(c: char) -> usize {
    if c == '\t' {
        1
    } else {
        UnicodeWidthChar::width(c).unwrap_or(1)
    }
}

/// The part of `text` to show, the caret line's padding, and how many carets, for a
/// problem at character `start` that is `width` characters long.
///
/// Only the characters that can be shown are looked at closely, so rendering 50
/// diagnostics of a megabyte-long line costs a count of its characters each, not a
/// table lookup per character.
fn excerpt(text: &str, start: usize, width: usize) -> (String, String, usize) {
    let mut used = 0;
    let short = text.chars().all(|c| {
        used += columns(c);
        used <= MAX_EXCERPT
    });
    // A long line: from MAX_EXCERPT characters before the problem to 2 * MAX_EXCERPT
    // after its start, and one more to know whether anything follows.
    let skip = if short {
        0
    } else {
        start.saturating_sub(MAX_EXCERPT)
    };
    let keep = if short {
        usize::MAX
    } else {
        (start - skip).saturating_add(2 * MAX_EXCERPT + 1)
    };
    let chars: Vec<char> = text.chars().skip(skip).take(keep).collect();
    let start = start - skip;
    let (from, to) = if short {
        (0, chars.len())
    } else {
        window(&chars, start.min(chars.len()), width)
    };
    let mut shown = String::new();
    let mut pad = String::new();
    if skip + from > 0 {
        shown.push('…');
        pad.push(' ');
    }
    shown.extend(&chars[from..to]);
    if to < chars.len() {
        shown.push('…');
    }
    // Past the end of the line, one column per missing character (capped: a column
    // number is the file's, not the terminal's).
    for i in from..start.min(chars.len() + MAX_EXCERPT) {
        match chars.get(i) {
            Some('\t') => pad.push('\t'),
            Some(&c) => pad.push_str(&" ".repeat(columns(c))),
            None => pad.push(' '),
        }
    }
    let end = start.saturating_add(width.min(MAX_EXCERPT));
    let carets = (start..end)
        .map(|i| match chars.get(i) {
            Some(&c) if i < to => columns(c),
            Some(_) => 0,
            None => 1,
        })
        .sum::<usize>()
        .clamp(1, MAX_EXCERPT);
    (shown, pad, carets)
}

/// The characters `from..to` of a long line to show: the problem and some context
/// before it, filled up to [`MAX_EXCERPT`] columns with what follows (or, at the end of
/// the line, with what precedes).
fn window(chars: &[char], start: usize, width: usize) -> (usize, usize) {
    // Room for the two `…`.
    let budget = MAX_EXCERPT - 2;
    let mut used = 0;
    let mut take = |c: char| {
        let w = columns(c);
        let fits = used + w <= budget;
        if fits {
            used += w;
        }
        fits
    };
    let (mut from, mut to) = (start, start);
    // The problem itself, as far as it fits.
    while to < chars.len() && to < start.saturating_add(width) && take(chars[to]) {
        to += 1;
    }
    // Up to a third of the room for what comes before it, then what follows, then
    // (at the end of the line) more of what comes before.
    let mut before = 0;
    while from > 0 && before < budget / 3 && take(chars[from - 1]) {
        before += columns(chars[from - 1]);
        from -= 1;
    }
    while to < chars.len() && take(chars[to]) {
        to += 1;
    }
    while from > 0 && take(chars[from - 1]) {
        from -= 1;
    }
    (from, to)
}

#[cfg(test)]
mod tests {
    use super::{Collector, Diagnostic, MAX_EXCERPT, MAX_SHOWN, Said};

    fn diag(line: u32, col: u32, width: u32, help: Option<&str>) -> Diagnostic {
        Diagnostic {
            file: "scenarios/x.lab".into(),
            line,
            col,
            width,
            message: Said::both("unknown verb `sedn`", "未知的动词 `sedn`"),
            help: help.map(Said::from),
        }
    }

    #[test]
    fn renders_the_line_and_a_caret_under_the_token() {
        let src = "server: listen\nclient: sedn \"hello\"\n";
        assert_eq!(
            diag(2, 9, 4, Some("did you mean `send`?")).render(src),
            "scenarios/x.lab:2:9: unknown verb `sedn`\n\
             2 | client: sedn \"hello\"\n  \
               |         ^^^^\n\
             help: did you mean `send`?"
        );
    }

    #[test]
    fn the_gutter_is_as_wide_as_the_line_number() {
        let src = format!("{}client: sedn\n", "\n".repeat(11));
        assert_eq!(
            diag(12, 9, 4, None).render(&src),
            "scenarios/x.lab:12:9: unknown verb `sedn`\n12 | client: sedn\n   |         ^^^^"
        );
    }

    #[test]
    fn tabs_and_wide_characters_keep_the_caret_aligned() {
        let src = "\t服务: sedn\r\n";
        assert_eq!(
            diag(1, 6, 4, None).render(src),
            "scenarios/x.lab:1:6: unknown verb `sedn`\n1 | \t服务: sedn\n  | \t      ^^^^"
        );
        assert_eq!(
            diag(1, 2, 2, None).render(src),
            "scenarios/x.lab:1:2: unknown verb `sedn`\n1 | \t服务: sedn\n  | \t^^^^"
        );
    }

    #[test]
    fn a_caret_past_the_end_of_the_line() {
        assert_eq!(
            diag(1, 13, 1, None).render("client: send"),
            "scenarios/x.lab:1:13: unknown verb `sedn`\n1 | client: send\n  |             ^"
        );
        assert_eq!(
            diag(3, 1, 1, None).render("only one line"),
            "scenarios/x.lab:3:1: unknown verb `sedn`\n3 |\n  | ^"
        );
    }

    #[test]
    fn line_zero_is_about_the_command_line() {
        assert_eq!(
            diag(0, 0, 1, Some("did you mean `nodelay`?")).render("x"),
            "scenarios/x.lab: unknown verb `sedn`\nhelp: did you mean `nodelay`?"
        );
    }

    #[test]
    fn a_long_line_is_cut_around_the_problem() {
        let src = format!("client: send {}sedn{}\n", "x".repeat(300), "y".repeat(300));
        let out = diag(1, 314, 4, None).render(&src);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], "scenarios/x.lab:1:314: unknown verb `sedn`");
        let shown = lines[1].strip_prefix("1 | ").unwrap_or_default();
        assert!(shown.starts_with('…') && shown.ends_with('…'), "{shown}");
        assert!(shown.chars().count() <= MAX_EXCERPT, "{shown}");
        let caret = lines[2].strip_prefix("  | ").unwrap_or_default();
        let at = caret.find('^').unwrap_or_default();
        let under: String = shown.chars().skip(at).take(4).collect();
        assert_eq!((under.as_str(), caret.trim_start()), ("sedn", "^^^^"));
    }

    #[test]
    fn an_excerpt_counts_wide_characters_as_two_columns() {
        let src = format!(
            "about: {}\u{1F600}x{}\n",
            "中".repeat(100),
            "文".repeat(100)
        );
        let out = diag(1, 108, 1, None).render(&src);
        let lines: Vec<&str> = out.lines().collect();
        let shown = lines[1].strip_prefix("1 | ").unwrap_or_default();
        let columns: usize = shown.chars().map(super::columns).sum();
        assert!(columns <= MAX_EXCERPT, "{columns} columns: {shown}");
        // The caret stands under the emoji: as many columns in as the text before it.
        let caret = lines[2].strip_prefix("  | ").unwrap_or_default();
        let before: usize = shown
            .chars()
            .take_while(|&c| c != '\u{1F600}')
            .map(super::columns)
            .sum();
        assert_eq!(caret, format!("{}^^", " ".repeat(before)));
    }

    #[test]
    fn the_collector_keeps_the_first_in_file_order_and_counts_the_rest() {
        let mut c = Collector::new("f.lab");
        for line in (1..=200u32).rev() {
            c.push((line, 1, 1), format!("problem on {line}").into(), None);
        }
        c.push((0, 0, 1), "a --param".into(), None);
        let out = c.into_vec();
        assert_eq!(out.len(), MAX_SHOWN + 1);
        assert_eq!(out[0].message, "a --param");
        assert_eq!(out[1].message, "problem on 1");
        assert_eq!(out[MAX_SHOWN - 1].message, "problem on 49");
        assert_eq!(
            out[MAX_SHOWN].render(""),
            "f.lab: and 151 more problems (only the first 50 are shown)"
        );
    }
}
