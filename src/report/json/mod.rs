//! `--format json`: for machines. One JSON object per line, whatever the command: a run,
//! each run of `--repeat` and then its summary, each scenario of `list`, each file of
//! `check`. [`ReportOptions`](super::ReportOptions) do not apply: machines read it.

mod run;
mod summary;

use std::io::{self, Write};

use serde::Serialize;

use crate::record::aggregate::{Fold, Summary};
use crate::record::{Event, RunEnd, RunStart, Sink};
use crate::report::{Checked, Listed, RepeatReport, Reporter};
use crate::scenario::Scenario;
use run::RunDoc;

/// The JSON reporter.
pub struct JsonReporter;

impl Reporter for JsonReporter {
    fn run<'a>(&'a self, _scenario: &'a Scenario, out: &'a mut dyn Write) -> Box<dyn Sink + 'a> {
        Box::new(JsonRun {
            doc: RunDoc::default(),
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
            doc: RunDoc::default(),
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

/// One run: its line is written when the run ends.
struct JsonRun<'a> {
    doc: RunDoc,
    out: &'a mut dyn Write,
}

impl Sink for JsonRun<'_> {
    fn begin(&mut self, start: &RunStart) {
        self.doc.begin(start);
    }

    fn event(&mut self, event: &Event) {
        self.doc.event(event);
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
        self.doc.begin(start);
        self.fold.begin(start);
    }

    fn event(&mut self, event: &Event) {
        self.doc.event(event);
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
        let _ = JsonReporter.summary(&summary, self.out);
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

    #[test]
    fn a_run_is_written_at_its_end_and_not_before() {
        let (scenario, record) = fixtures::hello_world();
        let seen = Shared::default();
        let mut out = seen.clone();
        let mut sink = JsonReporter.run(&scenario, &mut out);
        sink.begin(&RunStart {
            scenario: record.scenario.clone(),
            file: record.file.clone(),
            seed: record.seed,
        });
        for event in &record.events {
            sink.event(event);
        }
        // `"passed"` comes before `"events"` in the contract: nothing can go out yet.
        assert!(seen.0.borrow().is_empty());
        sink.end(&RunEnd {
            expectations: record.expectations.clone(),
            wall: record.wall,
            ..RunEnd::default()
        });
        let text = String::from_utf8(seen.0.borrow().clone()).unwrap();
        assert_eq!(text.lines().count(), 1, "{text}");
        assert!(
            text.starts_with(r#"{"scenario":"hello-world","file":"scenarios/hello-world.lab","seed":1234,"passed":true,"events":[{"seq":1,"#),
            "{text}"
        );
        assert!(text.ends_with("\"wall_us\":212}\n"), "{text}");
    }
}
