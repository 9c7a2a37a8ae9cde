//! The report for people (`--format table`, the default): borderless lists for `list`
//! and `check`, tables for runs and summaries.
//!
//! A run's table is one timeline of its steps, folded as the events come (see
//! `timeline`), and sizes every column to what it holds, so it is printed at the end
//! of the run from the rows it kept.

pub(in crate::report) mod cells;
mod columns;
pub(in crate::report) mod data;
mod list;
mod paint;
mod run;
mod summary;
pub(in crate::report) mod timeline;
pub(crate) mod wrap;

use std::io::{self, Write};

use crate::record::aggregate::{Fold, Summary};
use crate::record::{Event, Record, RunEnd, RunStart, Sink};
use crate::report::{Checked, Listed, RepeatReport, ReportOptions, Reporter};
use crate::scenario::Scenario;
use timeline::{Info, Row, Timeline};

/// The table reporter: how wide, in which language, in colour or not.
pub struct TableReporter {
    options: ReportOptions,
}

impl TableReporter {
    pub fn new(options: ReportOptions) -> TableReporter {
        TableReporter { options }
    }
}

impl Reporter for TableReporter {
    fn run<'a>(&'a self, scenario: &'a Scenario, out: &'a mut dyn Write) -> Box<dyn Sink + 'a> {
        Box::new(TableRun {
            scenario,
            options: &self.options,
            kept: Kept::new(scenario, self.options.full),
            out,
        })
    }

    fn repeat<'a>(
        &'a self,
        scenario: &'a Scenario,
        first_seed: u64,
        in_catalog: bool,
        out: &'a mut dyn Write,
    ) -> Box<dyn RepeatReport + 'a> {
        Box::new(TableRepeat {
            reporter: self,
            scenario,
            fold: Fold::new(Summary::new(&scenario.name, &scenario.file, first_seed)),
            run: Kept::new(scenario, self.options.full),
            first_failure: None,
            in_catalog,
            out,
        })
    }

    fn summary(&self, summary: &Summary, out: &mut dyn Write) -> io::Result<()> {
        out.write_all(summary::render_table(summary, &self.options).as_bytes())
    }

    fn catalog(&self, summaries: &[Summary], out: &mut dyn Write) -> io::Result<()> {
        out.write_all(summary::render_catalog(summaries, &self.options).as_bytes())
    }

    fn list(&self, entries: &[Listed], out: &mut dyn Write) -> io::Result<()> {
        list::write_list(entries, self.options.width, out)
    }

    fn checked(&self, checked: &Checked, out: &mut dyn Write) -> io::Result<()> {
        list::write_checked(checked, &self.options.lang, out)
    }
}

/// What a table keeps of a run: its timeline, folded as the events come, and the rest
/// of its record (verdicts, timers) without the events.
pub(in crate::report) struct Kept {
    timeline: Timeline,
    record: Record,
}

impl Kept {
    pub(in crate::report) fn new(scenario: &Scenario, full: bool) -> Kept {
        Kept {
            timeline: Timeline::new(scenario, full),
            record: Record::default(),
        }
    }

    pub(in crate::report) fn finish(self) -> Finished {
        let (rows, info) = self.timeline.finish();
        Finished {
            record: self.record,
            rows,
            info,
        }
    }
}

impl Sink for Kept {
    fn begin(&mut self, start: &RunStart) {
        self.record.begin(start);
    }

    fn event(&mut self, event: &Event) {
        self.timeline.event(event);
    }

    fn end(&mut self, end: &RunEnd) {
        self.record.end(end);
    }
}

/// A run as a table shows it.
pub(in crate::report) struct Finished {
    pub(in crate::report) record: Record,
    pub(in crate::report) rows: Vec<Row>,
    pub(in crate::report) info: Info,
}

/// One run's table: the rows are kept until the end, where the columns can be sized
/// (the first and last ones only, in a long run).
struct TableRun<'a> {
    scenario: &'a Scenario,
    options: &'a ReportOptions,
    kept: Kept,
    out: &'a mut dyn Write,
}

impl Sink for TableRun<'_> {
    fn begin(&mut self, start: &RunStart) {
        self.kept.begin(start);
    }

    fn event(&mut self, event: &Event) {
        self.kept.event(event);
    }

    fn end(&mut self, end: &RunEnd) {
        self.kept.end(end);
        let kept = std::mem::replace(&mut self.kept, Kept::new(self.scenario, self.options.full));
        let text = run::render(self.scenario, &kept.finish(), self.options);
        // A closed pipe (`| head`) is not worth more than stopping to write.
        let _ = self.out.write_all(text.as_bytes());
    }
}

/// Many runs for people: nothing per run but the first failed one, shown in full after
/// the last run (a progress bar may be on the terminal until then), then the summary
/// (at the end of `--all`, the catalog shows the summaries instead).
struct TableRepeat<'a> {
    reporter: &'a TableReporter,
    scenario: &'a Scenario,
    fold: Fold,
    /// The run in progress, kept (in part, if long) in case it is the first to fail.
    run: Kept,
    /// The first failed run.
    first_failure: Option<Finished>,
    in_catalog: bool,
    out: &'a mut dyn Write,
}

impl Sink for TableRepeat<'_> {
    fn begin(&mut self, start: &RunStart) {
        self.fold.begin(start);
        if self.first_failure.is_none() {
            self.run.begin(start);
        }
    }

    fn event(&mut self, event: &Event) {
        self.fold.event(event);
        if self.first_failure.is_none() {
            self.run.event(event);
        }
    }

    fn end(&mut self, end: &RunEnd) {
        self.fold.end(end);
        if self.first_failure.is_none() {
            self.run.end(end);
            let fresh = Kept::new(self.scenario, self.reporter.options.full);
            let run = std::mem::replace(&mut self.run, fresh).finish();
            if !end.interrupted && !run.record.passed() {
                self.first_failure = Some(run);
            }
        }
    }
}

impl RepeatReport for TableRepeat<'_> {
    fn finish(self: Box<Self>) -> Summary {
        let mut text = String::new();
        if let Some(run) = &self.first_failure {
            text.push_str(&format!(
                "First failed run of {} (seed {}):\n",
                self.scenario.name, run.record.seed
            ));
            let options = &self.reporter.options;
            text.push_str(&run::render(self.scenario, run, options));
        }
        let _ = self.out.write_all(text.as_bytes());
        let summary = self.fold.into_summary();
        if !self.in_catalog {
            let _ = self.reporter.summary(&summary, self.out);
        }
        summary
    }
}
