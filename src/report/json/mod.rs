//! `--format json`: for machines. One JSON object per line, whatever the command: a run,
//! each run of `--repeat` and then its summary, each scenario of `list`, each file of
//! `check`. [`ReportOptions`](super::ReportOptions) do not apply: machines read it.

mod run;
mod summary;
mod wire;

use std::io::{self, Write};

use serde::Serialize;

use crate::record::aggregate::{Fold, Summary};
use crate::record::{Event, RunEnd, RunStart, Sink};
use crate::report::{Checked, Listed, RepeatReport, Reporter};
use crate::scenario::Scenario;
use run::RunDoc;

/// The JSON reporter.
pub struct JsonReporter {
    /// The largest `data` of an event written whole (`--max-data`).
    pub max_data: usize,
}

impl Reporter for JsonReporter {
    fn run<'a>(&'a self, _scenario: &'a Scenario, out: &'a mut dyn Write) -> Box<dyn Sink + 'a> {
        Box::new(JsonRun {
            doc: RunDoc::new(self.max_data),
            out,
        })
    }

    fn repeat<'a>(
        &'a self,
        scenario: &'a Scenario,
        first_seed: u64,
        _in_catalog: bool,
        out: &'a mut dyn Write,
    ) -> Box<dyn RepeatReport + 'a> {
        Box::new(JsonRepeat {
            doc: RunDoc::new(self.max_data),
            fold: Fold::new(Summary::new(&scenario.name, &scenario.file, first_seed)),
            out,
        })
    }

    fn summary(&self, summary: &Summary, out: &mut dyn Write) -> io::Result<()> {
        summary::write_summary(summary, out)
    }

    /// Nothing: each scenario's summary line has been written already.
    fn catalog(&self, _summaries: &[Summary], _out: &mut dyn Write) -> io::Result<()> {
        Ok(())
    }

    fn list(&self, entries: &[Listed], out: &mut dyn Write) -> io::Result<()> {
        for entry in entries {
            write_line(
                out,
                &JsonListed {
                    name: &entry.name,
                    title: &entry.title,
                    tags: &entry.tags,
                },
            )?;
        }
        Ok(())
    }

    fn checked(&self, checked: &Checked, out: &mut dyn Write) -> io::Result<()> {
        write_line(
            out,
            &JsonChecked {
                file: &checked.file,
                ok: true,
                actors: checked.actors,
                steps: checked.steps,
            },
        )
    }
}

/// One value as one line.
fn write_line(out: &mut dyn Write, value: &impl Serialize) -> io::Result<()> {
    let mut line = serde_json::to_vec(value)?;
    line.push(b'\n');
    out.write_all(&line)
}

/// One run: its line is written as the run goes.
struct JsonRun<'a> {
    doc: RunDoc,
    out: &'a mut dyn Write,
}

impl Sink for JsonRun<'_> {
    fn begin(&mut self, start: &RunStart) {
        self.doc.begin(start, self.out);
    }

    fn event(&mut self, event: &Event) {
        self.doc.event(event, self.out);
    }

    fn wire(&mut self, wire: &crate::wire::Wire) {
        self.doc.wire(wire, self.out);
    }

    fn end(&mut self, end: &RunEnd) {
        // A closed pipe (`| head`) is not worth more than stopping to write.
        let _ = self.doc.end(end, self.out);
    }
}

/// Many runs: a line per run as each ends, then the summary's line.
struct JsonRepeat<'a> {
    doc: RunDoc,
    fold: Fold,
    out: &'a mut dyn Write,
}

impl Sink for JsonRepeat<'_> {
    fn begin(&mut self, start: &RunStart) {
        self.doc.begin(start, self.out);
        self.fold.begin(start);
    }

    fn event(&mut self, event: &Event) {
        self.doc.event(event, self.out);
        self.fold.event(event);
    }

    fn end(&mut self, end: &RunEnd) {
        let _ = self.doc.end(end, self.out);
        self.fold.end(end);
    }
}

impl RepeatReport for JsonRepeat<'_> {
    fn finish(self: Box<Self>) -> Summary {
        let summary = self.fold.into_summary();
        let _ = summary::write_summary(&summary, self.out);
        summary
    }
}

#[derive(Serialize)]
struct JsonListed<'a> {
    name: &'a str,
    title: &'a str,
    tags: &'a [String],
}

#[derive(Serialize)]
struct JsonChecked<'a> {
    file: &'a str,
    ok: bool,
    actors: usize,
    steps: usize,
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::io::{self, Write};
    use std::rc::Rc;

    use super::JsonReporter;
    use crate::record::{RunEnd, RunStart};
    use crate::report::{Reporter, fixtures};

    /// A buffer the test can look into while a report holds the writer.
    #[derive(Clone, Default)]
    struct Shared(Rc<RefCell<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// The line streams: the head at `begin`, events as they come (handed to the
    /// writer every 64 KiB), the verdict after the events at `end`; one valid line.
    #[test]
    fn a_long_run_is_written_as_it_goes() {
        let (scenario, record) = fixtures::hello_world();
        let seen = Shared::default();
        let mut out = seen.clone();
        let reporter = JsonReporter {
            max_data: crate::report::DEFAULT_MAX_DATA,
        };
        let mut sink = reporter.run(&scenario, &mut out);
        sink.begin(&RunStart {
            scenario: record.scenario.clone(),
            file: record.file.clone(),
            seed: record.seed,
        });
        let recv = record.events.iter().find(|e| e.op.is_recv()).cloned();
        let mut recv = recv.expect("hello-world has a recv");
        recv.data = Some(vec![b'x'; 1000]);
        for seq in 1..=200 {
            recv.seq = seq;
            sink.event(&recv);
        }
        let early = seen.0.borrow().len();
        assert!(early >= 64 * 1024, "{early} bytes went out before the end");
        sink.end(&RunEnd {
            expectations: record.expectations.clone(),
            wall: record.wall,
            ..RunEnd::default()
        });
        let text = String::from_utf8(seen.0.borrow().clone()).unwrap();
        assert_eq!(text.lines().count(), 1);
        assert!(
            text.ends_with("\"wall_us\":212}\n"),
            "{}",
            &text[text.len() - 100..]
        );
        let run: serde_json::Value = serde_json::from_str(&text).expect("one JSON object");
        assert_eq!(run["events"].as_array().map(Vec::len), Some(200));
        assert_eq!(run["passed"], true);
    }

    /// A `data` over the data limit keeps its first and last halves, and says how many
    /// bytes it left out between them.
    #[test]
    fn long_data_is_elided_in_the_middle() {
        let (scenario, record) = fixtures::hello_world();
        let mut recv = record
            .events
            .iter()
            .find(|e| e.op.is_recv())
            .cloned()
            .unwrap();
        let mut bytes = vec![b'a'; 5];
        bytes.extend(vec![b'm'; 90]);
        bytes.extend(vec![b'z'; 5]);
        recv.data = Some(bytes);
        let mut out = Vec::new();
        {
            let reporter = JsonReporter { max_data: 10 };
            let mut sink = reporter.run(&scenario, &mut out);
            sink.begin(&RunStart {
                scenario: "s".into(),
                file: "s.lab".into(),
                seed: 1,
            });
            sink.event(&recv);
            sink.end(&RunEnd::default());
        }
        let run: serde_json::Value = serde_json::from_slice(&out).expect("one JSON object");
        assert_eq!(run["events"][0]["data"], "aaaaazzzzz");
        assert_eq!(run["events"][0]["data_elided"], 90);
    }
}
