//! Errors in a scenario file as values: a position, a message, an optional hint; rendered
//! once, here, as `FILE:LINE:COL: message`, the line, and a caret under the token.

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
    pub message: String,
    /// "did you mean `recv`?" and the like.
    pub help: Option<String>,
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
    /// characters as two columns, so the carets stand under the token in a terminal.
    pub fn render(&self, source: &str) -> String {
        let mut out = if self.line == 0 {
            format!("{}: {}", self.file, self.message)
        } else {
            let index = usize::try_from(self.line - 1).unwrap_or(usize::MAX);
            let text = source.lines().nth(index).unwrap_or("");
            let number = self.line.to_string();
            let gutter = " ".repeat(number.len());
            let start = usize::try_from(self.col.saturating_sub(1)).unwrap_or(usize::MAX);
            let width = usize::try_from(self.width.max(1)).unwrap_or(1);
            let mut chars = text.chars();
            let mut pad = String::new();
            for _ in 0..start {
                match chars.next() {
                    Some('\t') => pad.push('\t'),
                    Some(c) => pad.push_str(if is_wide(c) { "  " } else { " " }),
                    None => pad.push(' '),
                }
            }
            let carets: usize = (0..width)
                .map(|_| chars.next().map_or(1, |c| if is_wide(c) { 2 } else { 1 }))
                .sum();
            format!(
                "{}:{}:{}: {}\n{} | {}\n{} | {}{}",
                self.file,
                self.line,
                self.col,
                self.message,
                number,
                text,
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
            out.push_str("\nhelp: ");
            out.push_str(help);
        }
        out
    }
}

/// East Asian wide and fullwidth characters take two terminal columns (an approximation
/// of Unicode's East_Asian_Width W/F ranges, enough for Chinese, Japanese and Korean).
fn is_wide(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x115F
        | 0x2E80..=0x303E
        | 0x3041..=0x33FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x1F300..=0x1F64F
        | 0x1F900..=0x1F9FF
        | 0x20000..=0x3FFFD)
}

#[cfg(test)]
mod tests {
    use super::Diagnostic;

    fn diag(line: u32, col: u32, width: u32, help: Option<&str>) -> Diagnostic {
        Diagnostic {
            file: "scenarios/x.lab".into(),
            line,
            col,
            width,
            message: "unknown verb `sedn`".into(),
            help: help.map(str::to_string),
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
}
