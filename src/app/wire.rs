//! `run --wire` and `--pcap FILE`: the capture is opened before the run (or refused,
//! exit 2, before anything runs) and stopped after it; the run is kept meanwhile, joined
//! to its segments, and only then played into the report, with them.

use std::fs::File;
use std::io::Write;
use std::path::PathBuf;

use super::Error;
use crate::cli::RunArgs;
use crate::netns::Net;
use crate::record::{Event, RunEnd, RunStart, Sink};
use crate::report::{Format, ReportOptions, Reporter};
use crate::scenario::Scenario;
use crate::text::said;
use crate::wire::{Capture, StartError, Wire, captured_evidence, wire_section, write_pcapng};

/// A capture asked for on the command line, running.
pub(super) struct Asked {
    capture: Capture,
    pcap: Option<(PathBuf, File)>,
    /// Only the table report gets the wire section (the others carry the segments
    /// themselves).
    show: bool,
    options: ReportOptions,
}

/// Starts the capture if `--wire` or `--pcap` asked for one; refuses what cannot be done.
/// Under `--net veth` (`net`), on the veth pair.
pub(super) fn start(
    args: &RunArgs,
    options: &ReportOptions,
    net: Option<&Net>,
) -> Result<Option<Asked>, Error> {
    if !args.wire && args.pcap.is_none() {
        return Ok(None);
    }
    let lang = options.lang.as_str();
    if args.repeat > 1 {
        let text = said!(
            "--wire and --pcap capture one run: leave out --repeat",
            "--wire 和 --pcap 只抓一次运行的包：去掉 --repeat"
        );
        return Err(Error::said(lang, &text));
    }
    let capture = match Capture::start(net) {
        Ok(capture) => capture,
        Err(StartError::NoPrivilege) => {
            let text = said!(
                "--wire needs CAP_NET_RAW to capture packets (run as root, or give the binary the capability: setcap cap_net_raw+ep stickylab)",
                "--wire 需要 CAP_NET_RAW 权限才能抓包（用 root 运行，或者给程序加上这项能力：setcap cap_net_raw+ep stickylab）"
            );
            return Err(Error::said(lang, &text));
        }
        Err(StartError::Other(why)) => {
            let text = said!("--wire cannot capture: {why}", "--wire 无法抓包：{why}");
            return Err(Error::said(lang, &text));
        }
    };
    let pcap = match &args.pcap {
        None => None,
        Some(path) => match File::create(path) {
            Ok(file) => Some((path.clone(), file)),
            Err(e) => {
                drop(capture.stop());
                let (shown, why) = (path.display(), e.to_string());
                let text = said!(
                    "cannot write the capture to `{shown}`: {why}",
                    "无法把抓包写入 `{shown}`：{why}"
                );
                return Err(Error::said(lang, &text));
            }
        },
    };
    Ok(Some(Asked {
        capture,
        pcap,
        show: args.format == Format::Table,
        options: options.clone(),
    }))
}

impl Asked {
    /// Stops the capture, joins it to the kept run (segment times, verdict evidence),
    /// plays the run into `reporter`'s report with its segments, prints the wire section
    /// after a table report and writes the pcapng file. False when the file could not
    /// be written (said on stderr).
    pub(super) fn finish(
        self,
        mut kept: Keep,
        reporter: &dyn Reporter,
        scenario: &Scenario,
        out: &mut dyn Write,
    ) -> bool {
        let wire = Wire::of(self.capture.stop(), &kept.events);
        captured_evidence(&wire, &mut kept.events);
        if let (Some(start), Some(end)) = (&kept.start, &kept.end) {
            let mut report = reporter.run(scenario, out);
            report.begin(start);
            for e in &kept.events {
                report.event(e);
            }
            report.wire(&wire);
            report.end(end);
        }
        if self.show {
            let _ = out.write_all(wire_section(&wire, &self.options).as_bytes());
        }
        let _ = out.flush();
        let Some((path, file)) = self.pcap else {
            return true;
        };
        match write_pcapng(
            std::io::BufWriter::new(file),
            &wire.interface,
            &wire.packets,
        ) {
            Ok(()) => true,
            Err(why) => {
                let shown = path.display();
                let text = said!(
                    "cannot write the capture to `{shown}`: {why}",
                    "无法把抓包写入 `{shown}`：{why}"
                );
                eprintln!("{}", text.get(&self.options.lang));
                false
            }
        }
    }
}

/// The run kept whole while a capture goes on, for its report to be written once the
/// capture is joined to it.
#[derive(Default)]
pub(super) struct Keep {
    start: Option<RunStart>,
    events: Vec<Event>,
    end: Option<RunEnd>,
}

impl Sink for Keep {
    fn begin(&mut self, start: &RunStart) {
        self.start = Some(start.clone());
        self.events.clear();
    }

    fn event(&mut self, event: &Event) {
        self.events.push(event.clone());
    }

    fn end(&mut self, end: &RunEnd) {
        self.end = Some(end.clone());
    }
}
