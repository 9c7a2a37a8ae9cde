//! Record -> bytes: one folder per output format behind one trait, [`Reporter`].
//!
//! Every output of the command line goes through a reporter: the report of one run, the
//! report of `--repeat` (each run, then the summary), the summary of `--all`, `list` and
//! `check`. [`reporter`] is the one place that picks a reporter from `--format`, so a
//! new format is a new folder (or file) and one arm of its `match`.
//!
//! A run's report is a [`Sink`]: the runner hands it `begin`, every event, then `end`,
//! and the report writes to the `Write` it was given (stdout in the app, a `Vec<u8>` in
//! tests) as soon as its format allows, keeping only what it still has to show. A report
//! never runs anything and never chooses where its bytes go.

pub mod compare;
pub mod json;
mod picture;
pub(crate) mod shared;
pub mod table;
mod words;

#[cfg(test)]
pub(crate) mod fixtures;
#[cfg(test)]
mod snapshots;

use std::io::{self, Write};

use clap::ValueEnum;

use crate::record::aggregate::Summary;
use crate::record::{Event, RunEnd, RunStart, Sink};
use crate::scenario::Scenario;

/// The output formats, as `--format` names them (the help text is their doc comments).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Tables for people
    Table,
    /// One JSON object per run, one per line
    Json,
    /// A self-contained page: a sequence diagram of the sends and recvs, the tables and
    /// the run's JSON (one run; --repeat prints tables)
    Html,
    /// The sequence diagram alone, for slides
    Svg,
    /// The timeline as a Markdown table and a mermaid sequence diagram, for handouts
    Markdown,
}

/// The reporter of `format`: the one place that maps a format to its code.
pub fn reporter(format: Format, options: ReportOptions) -> Box<dyn Reporter> {
    match format {
        Format::Table => Box::new(table::TableReporter::new(options)),
        Format::Json => Box::new(json::JsonReporter {
            max_data: options.max_data,
        }),
        Format::Html => Box::new(picture::PictureReporter::new(
            picture::Picture::Html,
            options,
        )),
        Format::Svg => Box::new(picture::PictureReporter::new(
            picture::Picture::Svg,
            options,
        )),
        Format::Markdown => Box::new(picture::PictureReporter::new(
            picture::Picture::Markdown,
            options,
        )),
    }
}

/// The languages the reports speak: the titles and about texts of the catalog are
/// written in these.
pub const LANGUAGES: &[&str] = &["en", "zh"];

/// The language a locale or language tag names, if the reports speak it: `zh`,
/// `zh_CN`, `zh-CN` and `zh_TW.UTF-8` are `zh`; `en_US.UTF-8` is `en`.
pub fn language_of(tag: &str) -> Option<&'static str> {
    let code = tag.split(['_', '-', '.', '@']).next().unwrap_or_default();
    LANGUAGES
        .iter()
        .copied()
        .find(|lang| lang.eq_ignore_ascii_case(code))
}

/// How a report should look.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportOptions {
    /// Which `title.LANG`/`about.LANG` to show (`en`, `zh`).
    pub lang: String,
    /// ANSI colour (only on a terminal, never with `NO_COLOR`).
    pub color: bool,
    /// Terminal width for tables, if known.
    pub width: Option<u16>,
    /// The largest `data` a JSON event holds whole (`--max-data`), in raw bytes.
    pub max_data: usize,
    /// `--full`: every event of a long run and every expectation row, nothing folded.
    pub full: bool,
}

/// The default of `--max-data`: 64 KiB of raw bytes per event.
pub const DEFAULT_MAX_DATA: usize = 64 * 1024;

impl Default for ReportOptions {
    /// English, no colour, width unknown: what a pipe or a test gets.
    fn default() -> Self {
        ReportOptions {
            lang: "en".to_owned(),
            color: false,
            width: None,
            max_data: DEFAULT_MAX_DATA,
            full: false,
        }
    }
}

/// One output format: the report of every kind of output the command line makes.
///
/// Write errors (a closed pipe, `| head`) end nothing: a report writes what it can, and
/// the methods that return `io::Result` say what went wrong to a caller that cares.
pub trait Reporter {
    /// The report of one run, as a sink the runner writes into.
    fn run<'a>(&'a self, scenario: &'a Scenario, out: &'a mut dyn Write) -> Box<dyn Sink + 'a>;

    /// The report of many runs of one scenario (`--repeat`, and each scenario of
    /// `--all`, then `in_catalog`): a sink that receives every run in turn, shows what
    /// its format shows of each, and folds them into a summary. `first_seed` is the seed
    /// of the first run; run k uses `first_seed + k`.
    fn repeat<'a>(
        &'a self,
        scenario: &'a Scenario,
        first_seed: u64,
        in_catalog: bool,
        out: &'a mut dyn Write,
    ) -> Box<dyn RepeatReport + 'a>;

    /// The summary of one scenario's runs (the end of what [`Reporter::repeat`] writes).
    fn summary(&self, summary: &Summary, out: &mut dyn Write) -> io::Result<()>;

    /// The end of `run --all`: one line per scenario's summary, and the verdict.
    fn catalog(&self, summaries: &[Summary], out: &mut dyn Write) -> io::Result<()>;

    /// `list`: the built-in scenarios.
    fn list(&self, entries: &[Listed], out: &mut dyn Write) -> io::Result<()>;

    /// `check`: one file that parsed and passed every check.
    fn checked(&self, checked: &Checked, out: &mut dyn Write) -> io::Result<()>;
}

/// The report of many runs: a sink for one run after the other, then the summary.
pub trait RepeatReport: Sink {
    /// Writes what is left to write (the summary of the runs that ended; a run cut short
    /// by Ctrl-C is not counted) and hands the summary back.
    fn finish(self: Box<Self>) -> Summary;
}

/// A boxed repeat report is a sink too, so the runner can be handed `&mut report`.
impl Sink for Box<dyn RepeatReport + '_> {
    fn begin(&mut self, start: &RunStart) {
        (**self).begin(start);
    }

    fn event(&mut self, event: &Event) {
        (**self).event(event);
    }

    fn end(&mut self, end: &RunEnd) {
        (**self).end(end);
    }
}

/// Hands every call to two sinks: a run's report and something that watches the run.
pub struct Tee<'a>(pub &'a mut dyn Sink, pub &'a mut dyn Sink);

impl Sink for Tee<'_> {
    fn begin(&mut self, start: &RunStart) {
        self.0.begin(start);
        self.1.begin(start);
    }

    fn event(&mut self, event: &Event) {
        self.0.event(event);
        self.1.event(event);
    }

    fn wire(&mut self, wire: &crate::wire::Wire) {
        self.0.wire(wire);
        self.1.wire(wire);
    }

    fn end(&mut self, end: &RunEnd) {
        self.0.end(end);
        self.1.end(end);
    }
}

/// One line of `list`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub name: String,
    /// In the chosen language; empty if the scenario has none.
    pub title: String,
    pub tags: Vec<String>,
}

/// One file that `check` found good.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// The path as given on the command line.
    pub file: String,
    pub actors: usize,
    pub steps: usize,
}

/// The bytes a report writes for one kept record, as the runner would have fed it.
#[cfg(test)]
pub(crate) fn run_bytes(
    reporter: &dyn Reporter,
    scenario: &Scenario,
    record: &crate::record::Record,
) -> String {
    let mut out = Vec::new();
    {
        let mut sink = reporter.run(scenario, &mut out);
        record.replay(sink.as_mut());
    }
    String::from_utf8(out).unwrap_or_else(|e| panic!("a report is UTF-8: {e}"))
}
