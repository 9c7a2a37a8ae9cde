//! The record of a run, the data every later stage reads: every event the actors
//! produced ([`Event`], named by [`Op`]), what the expectations saw, and the timers.
//! The runner writes events into a [`Sink`]; reports are sinks, and [`Record`] is the
//! sink that keeps everything. Nothing here runs or prints anything.

pub mod aggregate;
mod op;
mod sink;
pub mod timers;

use std::collections::BTreeMap;
use std::time::Duration;

pub use crate::net::tcp_info::Segments;
pub use op::Op;
pub use sink::{RunEnd, RunStart, Sink};

/// Everything one run of a scenario observed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Record {
    pub scenario: String,
    pub file: String,
    pub seed: u64,
    /// Events sorted by `seq`.
    pub events: Vec<Event>,
    /// Step expectations in the order they were checked, then the `expect:` checks.
    pub expectations: Vec<ExpectationResult>,
    pub timers: BTreeMap<String, TimerStats>,
    /// Steps that hit their deadline without expecting `timeout`.
    pub blocked: Vec<Blocked>,
    /// Wall time of the whole run (first barrier to the last actor's end).
    pub wall: Duration,
    /// The run was cut short (Ctrl-C): what it holds is what happened until then.
    pub interrupted: bool,
}

impl Record {
    /// True when every expectation held and no step was blocked.
    pub fn passed(&self) -> bool {
        sink::passed(&self.expectations, &self.blocked)
    }

    /// How many expectations failed (a blocked step counts as one failure).
    pub fn failures(&self) -> usize {
        self.expectations.iter().filter(|e| !e.passed).count() + self.blocked.len()
    }
}

/// One call an actor made: a socket call, an option, a sync or timer step.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Event {
    /// Numbers the events of a run in the order their calls completed, every verb
    /// alike: `t + dur` never decreases from one `seq` to the next. An effect may
    /// therefore have a lower number than its cause: a recv that returned before the
    /// send() of its bytes did names that send (in `from`) with a higher `seq`.
    pub seq: u64,
    /// When the call began, since the start of the run.
    pub t: Duration,
    /// How long the call took: it ended at `t + dur`, when it was numbered.
    pub dur: Duration,
    pub actor: String,
    pub line: u32,
    /// What the call was (`send`, `recv`, `recvfrom`, `accept`, `set`, `wait readable`,
    /// ...). The recv() calls made by `recv exactly`, `recv until eof` and `recv frame`
    /// are events with op `recv` of their own; `recv frame` adds one `recv frame` event
    /// with the decoded body once a frame is complete.
    pub op: Op,
    /// The verb of the step that made the call: the same as `op`, except for the recv()
    /// calls a looping step makes (op `recv`, verb `recv frame` inside `recv frame`).
    pub verb: Op,
    /// The step's text as written (`recv 1024`), for the "call" column of reports.
    pub call: String,
    /// The byte count offered (send) or the buffer size (recv).
    pub requested: Option<u64>,
    /// The byte count the call returned; `None` on error or timeout.
    pub result: Option<u64>,
    /// errno name (`ECONNRESET`) or framing error name (`frame-too-large`).
    pub error: Option<String>,
    /// The iteration of each `repeat` block around the step, outermost first, counted
    /// from 0 (empty outside any `repeat`): what lets a report fold identical rounds.
    pub rounds: Vec<u32>,
    /// A human-readable detail of the error (strerror, or the framing error's message).
    pub error_detail: Option<String>,
    pub timeout: bool,
    /// recv returned 0: the peer closed its side.
    pub eof: bool,
    /// The bytes a recv/recvfrom/recv frame returned (not recorded for sends).
    pub data: Option<Vec<u8>>,
    /// `SENDER>RECEIVER` by actor (`client>server`); `#2`, `#3`, ... is appended when the
    /// same pair of actors has more than one connection in a run.
    pub conn: Option<String>,
    /// The byte range of that direction's stream the call covered.
    pub stream: Option<(u64, u64)>,
    /// For data received: which sends the bytes came from, in order. Their `seq` may be
    /// higher than this event's (see `seq`).
    pub from: Vec<Provenance>,
    /// For an eof (a stream recv that returned 0): the `seq` of the `close` or
    /// `shutdown` that caused it, the sender's (its FIN) or the receiver's own
    /// `shutdown read`; higher than this event's when the recv returned first.
    pub cause: Option<u64>,
    /// FIONREAD just before the recv() call.
    pub queued_before: Option<u64>,
    /// FIONREAD just after it.
    pub queued_after: Option<u64>,
    /// accept/recvfrom: the actor the peer address belongs to.
    pub peer: Option<String>,
    /// recvfrom: the datagram was longer than the buffer (MSG_TRUNC).
    pub truncated: bool,
    /// TCP send and recv: the segments the socket sent and received since the previous
    /// reading on it (TCP_INFO), with the bytes not yet sent and the segments not yet
    /// acknowledged now. Absent where not read (not TCP, or the calls of a `recv until
    /// eof` after its first).
    pub segments: Option<Segments>,
    /// A stream recv that glued sends or split one: why, with the evidence.
    pub verdict: Option<Verdict>,
    /// sendall / send frame: how many send() calls it took.
    pub calls: Option<u64>,
    /// set: the value in force afterwards as the kernel reports it (`rcvbuf 8192`);
    /// other ops: a short note (`listen 127.0.0.1:41235`).
    pub detail: Option<String>,
}

/// Why a recv glued several sends together, or got part of one (the rules are in the
/// README's language reference).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub kind: VerdictKind,
    /// The evidence, in words: `send #5 was held (2 bytes not sent) and left with the
    /// next`, `2 segments came before this recv`.
    pub evidence: String,
    /// With a capture (`--wire`), what the captured segments show: it replaces
    /// `evidence` in the reports.
    pub captured: Option<CapturedEvidence>,
}

/// A verdict's evidence from the captured segments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapturedEvidence {
    /// The segments that carried the recv's bytes: indices of the run's `wire` list.
    pub segments: Vec<usize>,
    /// In words, English and Chinese: `#4 and #5 left in 1 segment (captured)`.
    pub said: crate::text::Said,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerdictKind {
    /// The sender's kernel held a send (Nagle, cork) and several left in one segment.
    SenderCoalesced,
    /// Several segments arrived, and one late recv returned them all.
    ReceiverAccumulated,
    /// The recv's buffer was smaller than what was queued (半包).
    SplitByRecvSize,
    /// Only part of the send had arrived when the recv ran (分包 on the wire, or a small
    /// receive window).
    SplitBySegments,
}

impl VerdictKind {
    pub fn name(self) -> &'static str {
        match self {
            VerdictKind::SenderCoalesced => "sender-coalesced",
            VerdictKind::ReceiverAccumulated => "receiver-accumulated",
            VerdictKind::SplitByRecvSize => "split-by-recv-size",
            VerdictKind::SplitBySegments => "split-by-segments",
        }
    }
}

/// A run of bytes of one send that a recv returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Provenance {
    /// The `seq` of the send event.
    pub send: u64,
    /// The byte range within that send.
    pub bytes: (u64, u64),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ExpectationResult {
    pub line: u32,
    /// The actor whose step it was; `None` for `expect:` checks.
    pub actor: Option<String>,
    /// As written in the file (`"helloworld"`, `error ECONNRESET`, `rtt p50 >= 30ms`).
    pub expected: String,
    /// What was seen, in the same notation (`"hello"`, `eof`, `rtt p50 = 41.2ms`).
    pub observed: String,
    pub passed: bool,
}

/// A step that hit its deadline.
#[derive(Debug, Clone, PartialEq)]
pub struct Blocked {
    pub actor: String,
    pub line: u32,
    /// The step's text (`recv 1024`).
    pub call: String,
    /// The system call or wait it was blocked in (`recv()`, `accept()`, `wait "ready"`).
    pub blocked_in: String,
    pub waited: Duration,
}

impl Blocked {
    /// An actor that failed outside any step (its thread could not start, or stickylab
    /// has a bug): line 0, no call, and `why` in place of the call it was blocked in.
    pub fn outside_steps(actor: &str, why: String) -> Blocked {
        Blocked {
            actor: actor.to_owned(),
            line: 0,
            call: String::new(),
            blocked_in: why,
            waited: Duration::ZERO,
        }
    }
}

/// Statistics of one timer's samples.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimerStats {
    pub count: u64,
    pub min: Duration,
    pub p50: Duration,
    pub p90: Duration,
    pub p99: Duration,
    pub max: Duration,
    pub mean: Duration,
}

impl TimerStats {
    /// Nearest-rank percentiles over the samples; all zero for no samples.
    pub fn from_samples(samples: &[Duration]) -> TimerStats {
        if samples.is_empty() {
            return TimerStats::default();
        }
        let mut sorted = samples.to_vec();
        sorted.sort_unstable();
        let n = sorted.len();
        let rank = |p: usize| sorted[((p * n).div_ceil(100)).clamp(1, n) - 1];
        let total: u128 = sorted.iter().map(Duration::as_nanos).sum();
        let mean = Duration::from_nanos(u64::try_from(total / n as u128).unwrap_or(u64::MAX));
        TimerStats {
            count: n as u64,
            min: sorted[0],
            p50: rank(50),
            p90: rank(90),
            p99: rank(99),
            max: sorted[n - 1],
            mean,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::TimerStats;
    use std::time::Duration;

    #[test]
    fn percentiles_use_nearest_rank() {
        let samples: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        let stats = TimerStats::from_samples(&samples);
        assert_eq!(stats.count, 100);
        assert_eq!(stats.min, Duration::from_millis(1));
        assert_eq!(stats.p50, Duration::from_millis(50));
        assert_eq!(stats.p90, Duration::from_millis(90));
        assert_eq!(stats.p99, Duration::from_millis(99));
        assert_eq!(stats.max, Duration::from_millis(100));
        assert_eq!(stats.mean, Duration::from_micros(50_500));
    }

    #[test]
    fn no_samples_give_zeroes() {
        assert_eq!(TimerStats::from_samples(&[]).count, 0);
    }
}
