//! The pictures of a run: `--format html` (a page with a sequence diagram), `--format
//! svg` (the diagram alone, for slides) and `--format markdown` (the timeline and a
//! mermaid sequence diagram, for handouts). They show one run, drawn from the same
//! folded timeline as the table, so a run of any size gives a picture of a few rows.
//!
//! `--repeat`, `--all`, `list` and `check` have no picture: these print what the table
//! format prints.

mod html;
mod markdown;
mod segments;
mod svg;

use std::collections::VecDeque;
use std::io::{self, Write};

use crate::record::aggregate::Summary;
use crate::record::{Event, Record, RunEnd, RunStart, Sink};
use crate::report::json::JsonReporter;
use crate::report::table::{Kept, TableReporter};
use crate::report::{Checked, Listed, RepeatReport, ReportOptions, Reporter};
use crate::scenario::Scenario;
use crate::wire::Wire;

/// The expectations as plain cells, for the pictures' own tables: the headers in
/// `lang`, then a row per expectation (✓/✗, line, actor, expected, observed).
fn expectation_cells(record: &Record, lang: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let headers = ["", "line", "actor", "expected", "observed"]
        .iter()
        .map(|h| crate::report::words::say(lang, h).to_owned())
        .collect();
    let rows = record
        .expectations
        .iter()
        .map(|x| {
            vec![
                if x.passed { "✓" } else { "✗" }.to_owned(),
                x.line.to_string(),
                x.actor.clone().unwrap_or_default(),
                x.expected.clone(),
                x.observed.clone(),
            ]
        })
        .collect();
    (headers, rows)
}

/// Which picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Picture {
    Html,
    Svg,
    Markdown,
}

/// How many of a run's first and last events the page's embedded JSON holds (all with
/// `--full`), and how much of each event's data: a 60 MiB transfer stays a page of a
/// few hundred kilobytes.
const EMBED_FIRST: usize = 500;
const EMBED_LAST: usize = 500;
const EMBED_DATA: usize = 64;

pub struct PictureReporter {
    picture: Picture,
    options: ReportOptions,
    /// What the outputs without a picture print.
    table: TableReporter,
}

impl PictureReporter {
    pub fn new(picture: Picture, options: ReportOptions) -> PictureReporter {
        PictureReporter {
            picture,
            table: TableReporter::new(options.clone()),
            options,
        }
    }
}

impl Reporter for PictureReporter {
    fn run<'a>(&'a self, scenario: &'a Scenario, out: &'a mut dyn Write) -> Box<dyn Sink + 'a> {
        Box::new(PictureRun {
            reporter: self,
            scenario,
            kept: Kept::new(scenario, self.options.full),
            embedded: Embedded::new(self.options.full),
            start: None,
            wire: None,
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
        self.table.repeat(scenario, first_seed, in_catalog, out)
    }

    fn summary(&self, summary: &Summary, out: &mut dyn Write) -> io::Result<()> {
        self.table.summary(summary, out)
    }

    fn catalog(&self, summaries: &[Summary], out: &mut dyn Write) -> io::Result<()> {
        self.table.catalog(summaries, out)
    }

    fn list(&self, entries: &[Listed], out: &mut dyn Write) -> io::Result<()> {
        self.table.list(entries, out)
    }

    fn checked(&self, checked: &Checked, out: &mut dyn Write) -> io::Result<()> {
        self.table.checked(checked, out)
    }
}

/// The events the page embeds as JSON: the first and the last ones of a long run.
struct Embedded {
    full: bool,
    head: Vec<Event>,
    tail: VecDeque<Event>,
    left_out: u64,
}

impl Embedded {
    fn new(full: bool) -> Embedded {
        Embedded {
            full,
            head: Vec::new(),
            tail: VecDeque::new(),
            left_out: 0,
        }
    }

    fn keep(&mut self, event: &Event) {
        if self.full || self.head.len() < EMBED_FIRST {
            self.head.push(event.clone());
            return;
        }
        let mut e = event.clone();
        if let Some(data) = e.data.as_mut() {
            // The JSON elides the middle anyway; only what it keeps is kept here.
            if data.len() > 2 * EMBED_DATA {
                let tail = data.split_off(data.len() - EMBED_DATA);
                data.truncate(EMBED_DATA);
                data.extend_from_slice(&tail);
            }
        }
        self.tail.push_back(e);
        if self.tail.len() > EMBED_LAST {
            self.tail.pop_front();
            self.left_out += 1;
        }
    }
}

struct PictureRun<'a> {
    reporter: &'a PictureReporter,
    scenario: &'a Scenario,
    kept: Kept,
    embedded: Embedded,
    start: Option<RunStart>,
    /// The captured segments (`--wire`), drawn in the diagram.
    wire: Option<Wire>,
    out: &'a mut dyn Write,
}

impl Sink for PictureRun<'_> {
    fn begin(&mut self, start: &RunStart) {
        self.kept.begin(start);
        self.start = Some(start.clone());
    }

    fn event(&mut self, event: &Event) {
        self.kept.event(event);
        if self.reporter.picture == Picture::Html {
            self.embedded.keep(event);
        }
    }

    fn wire(&mut self, wire: &Wire) {
        self.wire = Some(wire.clone());
    }

    fn end(&mut self, end: &RunEnd) {
        self.kept.end(end);
        let options = &self.reporter.options;
        let kept = std::mem::replace(&mut self.kept, Kept::new(self.scenario, options.full));
        let run = kept.finish();
        let text = match self.reporter.picture {
            Picture::Svg => {
                let svg = svg::diagram(
                    self.scenario,
                    &run.rows,
                    &run.info,
                    &options.lang,
                    self.wire.as_ref(),
                );
                format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{svg}\n")
            }
            Picture::Markdown => {
                markdown::document(self.scenario, &run, options, self.wire.as_ref())
            }
            Picture::Html => {
                let json = self.json(end);
                html::page(
                    self.scenario,
                    &run,
                    &json,
                    self.embedded.left_out,
                    options,
                    self.wire.as_ref(),
                )
            }
        };
        // A closed pipe (`| head`) is not worth more than stopping to write.
        let _ = self.out.write_all(text.as_bytes());
    }
}

impl PictureRun<'_> {
    /// The run's JSON line, as `--format json` writes it, of the embedded events.
    fn json(&mut self, end: &RunEnd) -> String {
        let max_data = if self.reporter.options.full {
            self.reporter.options.max_data
        } else {
            EMBED_DATA
        };
        let json = JsonReporter { max_data };
        let mut buf = Vec::new();
        {
            let mut sink = json.run(self.scenario, &mut buf);
            if let Some(start) = &self.start {
                sink.begin(start);
            }
            let embedded = std::mem::replace(&mut self.embedded, Embedded::new(false));
            for e in embedded.head.iter().chain(&embedded.tail) {
                sink.event(e);
            }
            self.embedded.left_out = embedded.left_out;
            if let Some(wire) = &self.wire {
                sink.wire(wire);
            }
            sink.end(end);
        }
        String::from_utf8_lossy(&buf).into_owned()
    }
}
