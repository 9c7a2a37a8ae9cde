//! [`Record`] -> bytes: one file per output format behind one trait. A report does no
//! I/O of its own; `main` writes what it returns.

use crate::run::Record;
use crate::scenario::Scenario;

/// How a report should look.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportOptions {
    /// Which `title.LANG`/`about.LANG` to show (`en`, `zh`).
    pub lang: String,
    /// ANSI colour (only on a terminal, never with `NO_COLOR`).
    pub color: bool,
    /// Terminal width for tables, if known.
    pub width: Option<u16>,
}

/// One output format.
pub trait Report {
    /// The whole report of one run.
    fn render(&self, scenario: &Scenario, record: &Record, options: &ReportOptions) -> String;
}
pub mod json;
pub mod summary;
pub mod table;
