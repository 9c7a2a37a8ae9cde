//! Colour for the table report: ANSI escapes, or nothing at all when colour is off
//! (not on a terminal, or `NO_COLOR` set; see no-color.org). comfy-table would count
//! escape codes as width, so the colours of marks and checks are put in after it has
//! laid a table out.

use super::data::MARK;

const GREEN: &str = "\x1b[32m";
const RED: &str = "\x1b[31m";
const BOLD: &str = "\x1b[1m";
const DIM: &str = "\x1b[2m";
const RESET: &str = "\x1b[0m";

/// ANSI colour, or nothing at all when colour is off.
#[derive(Clone, Copy)]
pub(super) struct Paint(pub(super) bool);

impl Paint {
    fn wrap(self, codes: &str, text: &str) -> String {
        if self.0 {
            format!("{codes}{text}{RESET}")
        } else {
            text.to_owned()
        }
    }

    pub(super) fn bold(self, text: &str) -> String {
        self.wrap(BOLD, text)
    }

    pub(super) fn dim(self, text: &str) -> String {
        self.wrap(DIM, text)
    }

    pub(super) fn red(self, text: &str) -> String {
        self.wrap(RED, text)
    }

    pub(super) fn green_bold(self, text: &str) -> String {
        self.wrap(&format!("{GREEN}{BOLD}"), text)
    }

    pub(super) fn red_bold(self, text: &str) -> String {
        self.wrap(&format!("{RED}{BOLD}"), text)
    }

    /// Colours a table comfy-table has laid out (it would count escape codes as
    /// width): dims every boundary mark; with `checks`, also paints the first `✓`/`✗` of
    /// each line, which is in the expectations' first column, green or red.
    pub(super) fn table(self, table: &str, checks: bool) -> String {
        if !self.0 {
            return table.to_owned();
        }
        let dim_mark = format!("{DIM}{MARK}{RESET}");
        let lines: Vec<String> = table
            .lines()
            .map(|line| {
                let line = line.replace(MARK, &dim_mark);
                let first = line.find(['✓', '✗']).filter(|_| checks);
                match first {
                    Some(at) if line[at..].starts_with('✓') => {
                        format!(
                            "{}{GREEN}✓{RESET}{}",
                            &line[..at],
                            &line[at + '✓'.len_utf8()..]
                        )
                    }
                    Some(at) => {
                        format!(
                            "{}{RED}✗{RESET}{}",
                            &line[..at],
                            &line[at + '✗'.len_utf8()..]
                        )
                    }
                    None => line,
                }
            })
            .collect();
        lines.join("\n")
    }
}
