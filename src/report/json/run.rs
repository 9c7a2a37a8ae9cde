//! One run as one JSON object on one line, in the schema of the language reference
//! ("What a run prints"). Other tools parse it, so the field names and their order are
//! fixed by the private mirror structs below, not by `Record`'s layout.
//!
//! The line streams (the language's v2: "events may be written as they happen"): the
//! head (`scenario`, `file`, `seed`, `"events":[`) is written when the run begins, each
//! event as it arrives, and the verdict (`passed`, `expectations`, `timers`, ...) after
//! the events, when the run ends. So a run of a million events holds none of them, and
//! a `data` over the run's data limit keeps only its first and last halves, with
//! `data_elided` counting the bytes left out between them.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::time::Duration;

use serde::Serialize;

use crate::record::{Blocked, Event, ExpectationResult, Provenance, RunEnd, RunStart, TimerStats};
use crate::text::escape_bytes;

/// How much of the line is gathered before it is handed to the writer.
const CHUNK: usize = 64 * 1024;

/// One run's JSON line as it is written.
#[derive(Debug)]
pub(super) struct RunDoc {
    /// The largest `data` written whole, in raw bytes.
    max_data: usize,
    /// What is not yet handed to the writer.
    buf: Vec<u8>,
    /// No event is written yet (no comma before the next one).
    first: bool,
    /// The first error of the line (encoding or writing); the rest is not written.
    error: Option<io::Error>,
    /// The events' list is closed (the `wire` list follows it).
    closed: bool,
}

impl RunDoc {
    pub(super) fn new(max_data: usize) -> RunDoc {
        RunDoc {
            max_data,
            buf: Vec::new(),
            first: true,
            error: None,
            closed: false,
        }
    }

    pub(super) fn begin(&mut self, start: &RunStart, out: &mut dyn Write) {
        self.buf.clear();
        self.first = true;
        self.error = None;
        self.closed = false;
        let head = Head {
            scenario: &start.scenario,
            file: &start.file,
            seed: start.seed,
        };
        self.encode(&head);
        // `{"scenario":...,"seed":N}` becomes `{"scenario":...,"seed":N,"events":[`.
        self.buf.pop();
        self.buf.extend_from_slice(b",\"events\":[");
        self.flush_if_full(out);
    }

    /// Writes one event; the `Event` itself is not kept.
    pub(super) fn event(&mut self, event: &Event, out: &mut dyn Write) {
        if !self.first {
            self.buf.push(b',');
        }
        self.first = false;
        self.encode(&JsonEvent::new(event, self.max_data));
        self.flush_if_full(out);
    }

    /// Closes the events' list and writes the captured segments after it, as `wire`.
    pub(super) fn wire(&mut self, wire: &crate::wire::Wire, out: &mut dyn Write) {
        if self.closed {
            return;
        }
        self.closed = true;
        self.buf.extend_from_slice(b"],\"wire\":");
        self.encode(&super::wire::segments(wire));
        self.flush_if_full(out);
    }

    /// Writes the rest of the line, newline included.
    pub(super) fn end(&mut self, end: &RunEnd, out: &mut dyn Write) -> io::Result<()> {
        let tail = Tail {
            passed: end.passed(),
            expectations: end.expectations.iter().map(JsonExpectation::from).collect(),
            timers: end
                .timers
                .iter()
                .map(|(name, stats)| (name.as_str(), JsonTimer::from(stats)))
                .collect(),
            blocked: end.blocked.iter().map(JsonBlocked::from).collect(),
            wall_us: micros(end.wall),
            interrupted: end.interrupted,
        };
        // `],` (or `,` after the `wire` list) then the tail's fields: `{"passed":...}`
        // without its opening brace.
        self.buf
            .extend_from_slice(if self.closed { b"," } else { b"]," });
        let at = self.buf.len();
        self.encode(&tail);
        self.buf.remove(at);
        self.buf.push(b'\n');
        let written = match self.error.take() {
            Some(e) => Err(e),
            None => out.write_all(&self.buf),
        };
        self.buf.clear();
        written
    }

    fn encode(&mut self, value: &impl Serialize) {
        if self.error.is_none()
            && let Err(e) = serde_json::to_writer(&mut self.buf, value)
        {
            self.error = Some(e.into());
        }
    }

    fn flush_if_full(&mut self, out: &mut dyn Write) {
        if self.buf.len() >= CHUNK && self.error.is_none() {
            if let Err(e) = out.write_all(&self.buf) {
                self.error = Some(e);
            }
            self.buf.clear();
        }
    }
}

/// Whole microseconds, the unit of every duration in the JSON.
pub(super) fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

fn is_false(b: &bool) -> bool {
    !*b
}

#[derive(Serialize)]
struct Head<'a> {
    scenario: &'a str,
    file: &'a str,
    seed: u64,
}

#[derive(Serialize)]
struct Tail<'a> {
    passed: bool,
    expectations: Vec<JsonExpectation<'a>>,
    timers: BTreeMap<&'a str, JsonTimer>,
    blocked: Vec<JsonBlocked<'a>>,
    wall_us: u64,
    /// Only when the run was cut short (Ctrl-C): a field added, as v2 allows.
    #[serde(skip_serializing_if = "is_false")]
    interrupted: bool,
}

#[derive(Serialize)]
struct JsonEvent<'a> {
    seq: u64,
    t_us: u64,
    dur_us: u64,
    actor: &'a str,
    line: u32,
    op: &'a str,
    call: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    requested: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    queued_before: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    result: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_detail: Option<&'a str>,
    #[serde(skip_serializing_if = "is_false")]
    timeout: bool,
    #[serde(skip_serializing_if = "is_false")]
    eof: bool,
    #[serde(skip_serializing_if = "is_false")]
    truncated: bool,
    /// The bytes in the language's string escapes (`escape_bytes`), not JSON's own:
    /// the text between the quotes can be pasted into a scenario file.
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<String>,
    /// How many bytes of a `data` over the run's data limit were left out between its
    /// first and its last halves.
    #[serde(skip_serializing_if = "Option::is_none")]
    data_elided: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    conn: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stream: Option<[u64; 2]>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    from: Vec<JsonProvenance>,
    #[serde(skip_serializing_if = "Option::is_none")]
    peer: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    calls: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    queued_after: Option<u64>,
    /// An eof's cause: the `seq` of the close or shutdown that sent the FIN.
    #[serde(skip_serializing_if = "Option::is_none")]
    cause: Option<u64>,
    /// TCP_INFO's segment counts since the previous reading on the socket.
    #[serde(skip_serializing_if = "Option::is_none")]
    segments: Option<JsonSegments>,
    /// Why a stream recv glued sends or split one, with its evidence.
    #[serde(skip_serializing_if = "Option::is_none")]
    verdict: Option<JsonVerdict<'a>>,
}

#[derive(Serialize)]
struct JsonVerdict<'a> {
    kind: &'static str,
    evidence: &'a str,
    /// With a capture: the indices in the run's `wire` list of the segments that
    /// carried the recv's bytes (the evidence is then theirs).
    #[serde(skip_serializing_if = "Option::is_none")]
    segments: Option<&'a [usize]>,
}

/// Segments sent and received since the socket's previous reading (data ones apart),
/// and the bytes not yet sent and the segments not yet acknowledged now.
#[derive(Serialize)]
struct JsonSegments {
    data_out: u32,
    data_in: u32,
    out: u32,
    #[serde(rename = "in")]
    in_: u32,
    notsent: u32,
    unacked: u32,
}

impl<'a> JsonEvent<'a> {
    fn new(e: &'a Event, max_data: usize) -> Self {
        let (data, data_elided) = match e.data.as_deref() {
            Some(bytes) => {
                let (text, elided) = elide(bytes, max_data);
                (Some(text), elided)
            }
            None => (None, None),
        };
        JsonEvent {
            seq: e.seq,
            t_us: micros(e.t),
            dur_us: micros(e.dur),
            actor: &e.actor,
            line: e.line,
            op: e.op.name(),
            call: &e.call,
            requested: e.requested,
            queued_before: e.queued_before,
            result: e.result,
            error: e.error.as_deref(),
            error_detail: e.error_detail.as_deref(),
            timeout: e.timeout,
            eof: e.eof,
            truncated: e.truncated,
            data,
            data_elided,
            conn: e.conn.as_deref(),
            stream: e.stream.map(|(a, b)| [a, b]),
            from: e.from.iter().map(JsonProvenance::from).collect(),
            peer: e.peer.as_deref(),
            calls: e.calls,
            detail: e.detail.as_deref(),
            queued_after: e.queued_after,
            cause: e.cause,
            segments: e.segments.map(|s| JsonSegments {
                data_out: s.data_out,
                data_in: s.data_in,
                out: s.out,
                in_: s.in_,
                notsent: s.notsent,
                unacked: s.unacked,
            }),
            verdict: e.verdict.as_ref().map(|v| JsonVerdict {
                kind: v.kind.name(),
                evidence: v.captured.as_ref().map_or(&v.evidence, |c| c.said.en()),
                segments: v.captured.as_ref().map(|c| c.segments.as_slice()),
            }),
        }
    }
}

/// The bytes in the language's escapes; over `max` bytes, only the first and the last
/// `max / 2`, and how many were left out between them.
fn elide(bytes: &[u8], max: usize) -> (String, Option<u64>) {
    if bytes.len() <= max {
        return (escape_bytes(bytes), None);
    }
    let half = max / 2;
    let mut text = escape_bytes(&bytes[..half]);
    text.push_str(&escape_bytes(&bytes[bytes.len() - half..]));
    (text, Some((bytes.len() - 2 * half) as u64))
}

#[derive(Serialize)]
struct JsonProvenance {
    send: u64,
    bytes: [u64; 2],
}

impl From<&Provenance> for JsonProvenance {
    fn from(p: &Provenance) -> Self {
        JsonProvenance {
            send: p.send,
            bytes: [p.bytes.0, p.bytes.1],
        }
    }
}

#[derive(Serialize)]
struct JsonExpectation<'a> {
    line: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    actor: Option<&'a str>,
    expected: &'a str,
    observed: &'a str,
    passed: bool,
}

impl<'a> From<&'a ExpectationResult> for JsonExpectation<'a> {
    fn from(x: &'a ExpectationResult) -> Self {
        JsonExpectation {
            line: x.line,
            actor: x.actor.as_deref(),
            expected: &x.expected,
            observed: &x.observed,
            passed: x.passed,
        }
    }
}

#[derive(Serialize)]
struct JsonTimer {
    count: u64,
    min_us: u64,
    p50_us: u64,
    p90_us: u64,
    p99_us: u64,
    max_us: u64,
    mean_us: u64,
}

impl From<&TimerStats> for JsonTimer {
    fn from(s: &TimerStats) -> Self {
        JsonTimer {
            count: s.count,
            min_us: micros(s.min),
            p50_us: micros(s.p50),
            p90_us: micros(s.p90),
            p99_us: micros(s.p99),
            max_us: micros(s.max),
            mean_us: micros(s.mean),
        }
    }
}

#[derive(Serialize)]
struct JsonBlocked<'a> {
    actor: &'a str,
    line: u32,
    call: &'a str,
    blocked_in: &'a str,
    waited_us: u64,
}

impl<'a> From<&'a Blocked> for JsonBlocked<'a> {
    fn from(b: &'a Blocked) -> Self {
        JsonBlocked {
            actor: &b.actor,
            line: b.line,
            call: &b.call,
            blocked_in: &b.blocked_in,
            waited_us: micros(b.waited),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::record::Record;
    use crate::report::json::JsonReporter;
    use crate::report::{fixtures, run_bytes};
    use crate::scenario::Scenario;

    /// The line as the runner would have made it write, event by event.
    fn render((scenario, record): &(Scenario, Record)) -> String {
        run_bytes(
            &JsonReporter {
                max_data: crate::report::DEFAULT_MAX_DATA,
            },
            scenario,
            record,
        )
    }

    #[test]
    fn hello_world_is_one_line_in_the_documented_schema() {
        let out = render(&fixtures::hello_world());
        assert_eq!(out.matches('\n').count(), 1, "one object, one line: {out}");
        assert!(out.ends_with("}\n"));
        assert_eq!(
            out,
            concat!(
                r#"{"scenario":"hello-world","file":"scenarios/hello-world.lab","seed":1234,"events":["#,
                r#"{"seq":1,"t_us":0,"dur_us":35,"actor":"server","line":8,"op":"listen","call":"listen","detail":"listen 127.0.0.1:41235"},"#,
                r#"{"seq":2,"t_us":12,"dur_us":60,"actor":"client","line":9,"op":"connect","call":"connect"},"#,
                r#"{"seq":3,"t_us":40,"dur_us":45,"actor":"server","line":10,"op":"accept","call":"accept                 => from client","peer":"client"},"#,
                r#"{"seq":4,"t_us":101,"dur_us":18,"actor":"client","line":11,"op":"send","call":"send \"hello\"","requested":5,"result":5,"conn":"client>server","stream":[0,5]},"#,
                r#"{"seq":5,"t_us":122,"dur_us":9,"actor":"client","line":12,"op":"send","call":"send \"world\"","requested":5,"result":5,"conn":"client>server","stream":[5,10]},"#,
                r#"{"seq":6,"t_us":98,"dur_us":61,"actor":"server","line":13,"op":"wait readable","call":"wait readable 10"},"#,
                r#"{"seq":7,"t_us":160,"dur_us":7,"actor":"server","line":14,"op":"recv","call":"recv 1024              => \"helloworld\"","requested":1024,"queued_before":10,"result":10,"data":"helloworld","conn":"client>server","stream":[0,10],"from":[{"send":4,"bytes":[0,5]},{"send":5,"bytes":[0,5]}],"queued_after":0},"#,
                r#"{"seq":8,"t_us":170,"dur_us":20,"actor":"client","line":15,"op":"close","call":"close"},"#,
                r#"{"seq":9,"t_us":175,"dur_us":30,"actor":"server","line":16,"op":"recv","call":"recv 1024              => eof","requested":1024,"queued_before":0,"result":0,"eof":true,"data":"","conn":"client>server","stream":[10,10],"queued_after":0}"#,
                r#"],"passed":true,"expectations":["#,
                r#"{"line":10,"actor":"server","expected":"from client","observed":"from client","passed":true},"#,
                r#"{"line":14,"actor":"server","expected":"\"helloworld\"","observed":"\"helloworld\"","passed":true},"#,
                r#"{"line":16,"actor":"server","expected":"eof","observed":"eof","passed":true}"#,
                r#"],"timers":{},"blocked":[],"wall_us":212}"#,
                "\n"
            )
        );
    }

    #[test]
    fn data_uses_the_languages_escapes_inside_jsons() {
        let out = render(&fixtures::undersized_recv());
        // A recv of the length header and the first bytes of the body: the language's
        // `\0` and `\x05`, each backslash doubled by JSON.
        assert!(out.contains(r#""data":"\\0\\0\\0\\x05hel""#), "{out}");
    }

    #[test]
    fn errors_timeouts_truncation_timers_and_blocked_steps() {
        let out = render(&fixtures::udp_truncated());
        assert!(
            out.contains(r#""requested":4,"queued_before":9,"result":4,"truncated":true,"data":"ping","conn":"client>server","from":[{"send":3,"bytes":[0,4]}],"peer":"client","queued_after":0}"#),
            "{out}"
        );

        let out = render(&fixtures::blocked_and_failed());
        assert!(out.contains(r#""passed":false"#), "{out}");
        assert!(
            out.contains(r#""result":5,"data":"hello","conn":"client>server","stream":[0,5],"from":[{"send":5,"bytes":[0,5]}],"queued_after":0}"#),
            "{out}"
        );
        assert!(
            out.contains(r#""op":"recv","call":"recv 1024","requested":1024,"queued_before":0,"timeout":true,"conn":"client>server"}"#),
            "{out}"
        );
        assert!(
            out.contains(r#""op":"listen again","call":"listen again               => error EADDRINUSE","error":"EADDRINUSE","error_detail":"Address already in use"}"#),
            "{out}"
        );
        assert!(
            out.contains(r#"{"line":22,"expected":"rtt p50 >= 30ms","observed":"rtt p50 = 41.2ms","passed":true}"#),
            "the actor of an expect: check is omitted: {out}"
        );
        assert!(
            out.contains(r#""timers":{"rtt":{"count":20,"min_us":350,"p50_us":41200,"p90_us":41800,"p99_us":43007,"max_us":43007,"mean_us":39120}}"#),
            "{out}"
        );
        assert!(
            out.ends_with(concat!(
                r#""blocked":[{"actor":"server","line":10,"call":"recv 1024","blocked_in":"recv()","waited_us":1000000}],"wall_us":1004321}"#,
                "\n"
            )),
            "{out}"
        );
    }

    #[test]
    fn the_output_parses_back() {
        for fixture in fixtures::all() {
            let out = render(&fixture);
            let value: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
            assert_eq!(
                value["events"].as_array().map(Vec::len),
                Some(fixture.1.events.len())
            );
        }
    }
}
