//! `run --wire` and `--pcap FILE`: the capture is opened before the run (or refused,
//! exit 2, before anything runs), stopped after it, and shown or written once the run's
//! report is out.

use std::fs::File;
use std::io::Write;
use std::path::PathBuf;

use super::Error;
use crate::cli::RunArgs;
use crate::netns::Net;
use crate::record::{Event, RunEnd, RunStart, Sink};
use crate::report::{Format, ReportOptions};
use crate::text::said;
use crate::wire::{Capture, StartError, Wire, wire_section, write_pcapng};

/// A capture asked for on the command line, running.
pub(super) struct Asked {
    capture: Capture,
    pcap: Option<(PathBuf, File)>,
    /// Only the table report gets the wire section.
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
    /// Stops the capture, prints the wire section after the report and writes the
    /// pcapng file. False when the file could not be written (said on stderr).
    pub(super) fn finish(self, events: &[Event], out: &mut dyn Write) -> bool {
        let wire = Wire::of(self.capture.stop(), events);
        if self.show {
            let _ = out.write_all(wire_section(&wire, &self.options).as_bytes());
            let _ = out.flush();
        }
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

/// Keeps a run's events when a capture needs them, and nothing otherwise.
pub(super) struct Keep(pub Option<Vec<Event>>);

impl Sink for Keep {
    fn begin(&mut self, _: &RunStart) {
        if let Some(events) = &mut self.0 {
            events.clear();
        }
    }

    fn event(&mut self, event: &Event) {
        if let Some(events) = &mut self.0 {
            events.push(event.clone());
        }
    }

    fn end(&mut self, _: &RunEnd) {}
}
