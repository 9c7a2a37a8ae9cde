//! `stickylab grade`: the grading suites. A suite is a protocol (how messages are framed
//! on the stream) and a list of cases; each case is an ordinary scenario file under
//! `scenarios/grade/SUITE/` whose `server` actor is a correct reference server written
//! in the language, and whose clients carry the expectations. Grading runs each case
//! with the `server` actor replaced by the program under test (`RunOptions::peers`),
//! and turns the first thing that went wrong into a sentence ([`explain`]).
//!
//! The cases are compiled into the binary here, beside the catalog but not in it:
//! `stickylab list` shows lessons, and a grading case is not one.

pub mod explain;
pub mod spawn;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use crate::frame::Codec;
use crate::record::Record;
use crate::run::{Peer, RunOptions, Runner};
use crate::scenario::{self, Scenario};
use crate::text::Said;

/// The actor every case's reference server plays, and the program under test replaces.
pub const SERVER: &str = "server";

/// A grading suite: a protocol and its cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Suite {
    /// 4-byte big-endian length, then the body; the server echoes every frame unchanged
    #[value(name = "len32-echo")]
    Len32,
    /// Lines ending in \n; the server echoes every line
    #[value(name = "line-echo")]
    Line,
    /// 4-byte little-endian header length, a JSON header with total_size, the body; the
    /// server answers each message with one of the same form and the same body
    #[value(name = "json-header-echo")]
    JsonHeader,
}

/// One case of a suite: its name (the file stem) and its source.
#[derive(Debug, Clone, Copy)]
pub struct Case {
    pub name: &'static str,
    pub source: &'static str,
}

/// The cases of one suite, in the order they run: from the case every first test
/// covers to the ones that expose framing bugs, then concurrency.
macro_rules! cases {
    ($suite:literal) => {
        &[
            cases!(@one $suite, "one-per-send"),
            cases!(@one $suite, "glued"),
            cases!(@one $suite, "one-byte-per-send"),
            cases!(@one $suite, "split-header"),
            cases!(@one $suite, "empty-body"),
            cases!(@one $suite, "big-body"),
            cases!(@one $suite, "many-glued"),
            cases!(@one $suite, "slow-sender"),
            cases!(@one $suite, "half-close"),
            cases!(@one $suite, "several-clients"),
        ]
    };
    (@one $suite:literal, $name:literal) => {
        Case {
            name: $name,
            source: include_str!(concat!("../../scenarios/grade/", $suite, "/", $name, ".lab")),
        }
    };
}

const LEN32: &[Case] = cases!("len32-echo");
const LINE: &[Case] = cases!("line-echo");
const JSON: &[Case] = cases!("json-header-echo");

impl Suite {
    /// The suite's name on the command line and in the case files' directory.
    pub fn name(self) -> &'static str {
        match self {
            Suite::Len32 => "len32-echo",
            Suite::Line => "line-echo",
            Suite::JsonHeader => "json-header-echo",
        }
    }

    /// Its cases, in the order they run.
    pub fn cases(self) -> &'static [Case] {
        match self {
            Suite::Len32 => LEN32,
            Suite::Line => LINE,
            Suite::JsonHeader => JSON,
        }
    }

    /// How its messages are framed.
    pub fn codec(self) -> Codec {
        match self {
            Suite::Len32 => Codec::Len32,
            Suite::Line => Codec::Line,
            Suite::JsonHeader => Codec::JsonHeader,
        }
    }

    /// The protocol in one sentence.
    pub fn protocol(self) -> Said {
        match self {
            Suite::Len32 => Said::both(
                "a 4-byte big-endian length, then the body; the server echoes every frame unchanged",
                "4 字节大端序长度，然后是消息体；服务器原样回显每一帧",
            ),
            Suite::Line => Said::both(
                "lines ending in \\n; the server echoes every line",
                "以 \\n 结尾的行；服务器回显每一行",
            ),
            Suite::JsonHeader => Said::both(
                "a 4-byte little-endian header length, a JSON header with total_size, the body; \
                 the server answers every message with one of the same form and body",
                "4 字节小端序的报头长度、带 total_size 的 JSON 报头、消息体；\
                 服务器对每条消息回一条同样格式、同样消息体的消息",
            ),
        }
    }

    /// The file a case is shown as (the path it has in the source tree).
    pub fn file_of(self, case: &Case) -> String {
        format!("scenarios/grade/{}/{}.lab", self.name(), case.name)
    }
}

/// Parses a case. The cases are part of the binary and tested to parse, so an error
/// here is a bug of stickylab, said as such.
pub fn parse_case(suite: Suite, case: &Case) -> Result<Scenario, String> {
    let file = suite.file_of(case);
    scenario::parse_for_run(
        &file,
        case.name,
        case.source.as_bytes(),
        &[],
        scenario::DEFAULT_RUN_LIMIT,
    )
    .map_err(|diagnostics| {
        let shown: Vec<String> = diagnostics
            .iter()
            .map(|d| d.render_in(case.source, "en"))
            .collect();
        format!(
            "the built-in case {file} does not parse (a bug of stickylab; please report it):\n{}",
            shown.join("\n")
        )
    })
}

/// How to run the cases.
#[derive(Debug, Clone)]
pub struct Grading {
    /// Seeds every `random` value of every case (named in the report).
    pub seed: u64,
    /// The deadline of every step, overriding the cases' own `timeout:`.
    pub timeout: Option<Duration>,
    /// Ctrl-C.
    pub cancel: Option<Arc<AtomicBool>>,
    /// `--allow-remote`: the program may be beyond loopback.
    pub allow_remote: bool,
}

/// What one case found.
#[derive(Debug, Clone)]
pub struct CaseResult {
    pub name: &'static str,
    pub file: String,
    pub passed: bool,
    /// For a failure: the first difference, in words.
    pub why: Option<Said>,
    /// The expectations that failed and the steps that were blocked.
    pub failures: usize,
    pub took: Duration,
}

/// Runs one case against the program listening at `target`.
pub fn run_case(
    runner: &mut Runner,
    suite: Suite,
    case: &Case,
    target: SocketAddr,
    grading: &Grading,
) -> Result<CaseResult, String> {
    let scenario = Arc::new(parse_case(suite, case)?);
    let peers = vec![Peer {
        actor: SERVER.to_string(),
        addr: target,
    }];
    // The cases are tested to pass this check; a failure is a bug of stickylab.
    crate::run::peer::check(&scenario, &peers, &[]).map_err(|e| {
        format!("the built-in case cannot run against a program (a bug of stickylab; please report it):\n{e}")
    })?;
    let options = RunOptions {
        seed: grading.seed,
        timeout: grading.timeout,
        cancel: grading.cancel.clone(),
        peers,
        allow_remote: grading.allow_remote,
        ..RunOptions::default()
    };
    let started = Instant::now();
    let mut record = Record::default();
    runner.run_into(&scenario, &options, &mut record);
    let passed = record.passed();
    let why = (!passed).then(|| explain::first_difference(suite, &scenario, &record));
    Ok(CaseResult {
        name: case.name,
        file: suite.file_of(case),
        passed,
        why,
        failures: record.failures(),
        took: started.elapsed(),
    })
}

#[cfg(test)]
mod tests {
    use super::{Suite, parse_case};
    use clap::ValueEnum;

    #[test]
    fn every_case_of_every_suite_parses_and_has_a_server_and_a_client() {
        for suite in Suite::value_variants() {
            assert_eq!(suite.cases().len(), 10, "{}", suite.name());
            for case in suite.cases() {
                let scenario = parse_case(*suite, case).unwrap_or_else(|e| panic!("{e}"));
                assert!(scenario.actors.iter().any(|a| a == super::SERVER));
                assert!(scenario.actors.len() >= 2, "{}", case.name);
                let peers = [crate::run::Peer {
                    actor: super::SERVER.to_string(),
                    addr: "127.0.0.1:9".parse().expect("an address"),
                }];
                if let Err(e) = crate::run::peer::check(&scenario, &peers, &[]) {
                    panic!("{e}");
                }
            }
        }
    }
}
