//! The checked model of a scenario file: what the parser produces and the runner consumes.
//!
//! Nothing here refers to text positions beyond the line (and column) a construct came
//! from; diagnostics live in `diagnostic.rs`, the runner only needs lines to report.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use super::vocab::vocabulary;

/// A whole scenario file, parsed and checked, with its parameters already substituted.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// The file stem (`hello-world` for `scenarios/hello-world.lab`).
    pub name: String,
    /// The path as the user gave it, or `scenarios/NAME.lab` for a built-in one.
    pub file: String,
    /// `title:` and `title.LANG:` lines.
    pub title: LangText,
    /// `about:` lines, joined into paragraphs (separated by `\n\n`).
    pub about: LangText,
    /// `tags:` (comma-separated, trimmed, in file order).
    pub tags: Vec<String>,
    /// `timeout:` — the deadline of every step (default [`DEFAULT_TIMEOUT`]).
    pub timeout: Option<Duration>,
    /// `param:` declarations with the value in force for this run.
    pub params: Vec<Param>,
    /// Every actor, in order of first appearance.
    pub actors: Vec<String>,
    /// Steps and `repeat` blocks in file order.
    pub body: Vec<Item>,
    /// `expect:` lines, evaluated after the run.
    pub checks: Vec<Check>,
}

/// The deadline of a step when the file has no `timeout:` line.
pub use crate::frame::{Codec, DEFAULT_MAX_FRAME};
pub use crate::net::{DgramKind, SockOpt, StreamKind};

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// Text with an optional translation per language suffix (`title.zh`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LangText {
    /// The unsuffixed text (`title:`).
    pub default: Option<String>,
    /// Suffixed texts by language (`zh`, `en`, ...).
    pub by_lang: BTreeMap<String, String>,
}

impl LangText {
    /// The text in `lang` if there is one, else the unsuffixed text, else any text.
    pub fn get(&self, lang: &str) -> Option<&str> {
        self.by_lang
            .get(lang)
            .or(self.default.as_ref())
            .or_else(|| self.by_lang.values().next())
            .map(String::as_str)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    pub name: String,
    /// The declared default, as written.
    pub default: String,
    /// The value used in this run (the default or the `--param` override).
    pub value: String,
    pub line: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Step(Step),
    Repeat(Repeat),
}

/// Every step of `items` in file order, each once (`repeat` blocks not unrolled),
/// walked with a stack rather than by recursion (nesting depth is the user's).
pub fn steps(items: &[Item]) -> impl Iterator<Item = &Step> {
    let mut stack = vec![items.iter()];
    std::iter::from_fn(move || {
        while let Some(level) = stack.last_mut() {
            match level.next() {
                Some(Item::Step(step)) => return Some(step),
                Some(Item::Repeat(block)) => stack.push(block.body.iter()),
                None => {
                    stack.pop();
                }
            }
        }
        None
    })
}

/// `repeat N { ... }`: each actor repeats its own steps inside the block N times.
#[derive(Debug, Clone, PartialEq)]
pub struct Repeat {
    pub count: u64,
    pub line: u32,
    pub body: Vec<Item>,
}

/// One step line: `ACTOR: VERB ARGS... [on TARGET] [=> EXPECTATION]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub actor: String,
    pub line: u32,
    /// Column (1-based, in characters) of the verb.
    pub col: u32,
    /// The step's text after `ACTOR:` with the comment removed and params substituted,
    /// trimmed; used by reports ("call" column) and by blocked-step messages.
    pub text: String,
    pub action: Action,
    /// `on TARGET`: for `accept`, the actor whose listener to accept on; for verbs that
    /// use a connection, the peer actor whose connection to use (default: the current one).
    pub on: Option<String>,
    pub expect: Option<Expectation>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// `listen [tcp|unix] [on PORT|HOST:PORT] [backlog N]` (`at`: the address of
    /// `on`; without it, 127.0.0.1 and a port the kernel picks)
    Listen {
        kind: StreamKind,
        backlog: u32,
        at: Option<SocketAddr>,
    },
    /// `listen again`
    ListenAgain,
    /// `connect [to ACTOR|HOST:PORT]`
    Connect { to: Option<Target> },
    /// `accept [on ACTOR]` (the actor is in `Step::on`)
    Accept,
    /// `close`
    Close,
    /// `close listener`
    CloseListener,
    /// `shutdown write|read|both`
    Shutdown(std::net::Shutdown),
    /// `bind udp [on PORT|HOST:PORT]` / `bind unix-dgram`
    Bind {
        kind: DgramKind,
        at: Option<SocketAddr>,
    },
    /// `bind tcp [on PORT|HOST:PORT]`: a TCP socket bound and not listening (a
    /// connect to it is refused); a later `listen` of the actor listens on it
    BindTcp { at: Option<SocketAddr> },
    /// `send VALUE`
    Send(Value),
    /// `sendall VALUE`
    SendAll(Value),
    /// `recv N`, `recv exactly N`, `recv until eof`
    Recv(RecvMode),
    /// `sendto ACTOR|HOST:PORT VALUE`
    SendTo { to: Target, value: Value },
    /// `recvfrom N`
    RecvFrom(usize),
    /// `send frame CODEC VALUE`
    SendFrame { codec: Codec, value: Value },
    /// `recv frame CODEC [chunk N]` (chunk default 1024)
    RecvFrame { codec: Codec, chunk: usize },
    /// `set OPTION VALUE`
    Set(SockOpt),
    /// `sleep DURATION`
    Sleep(Duration),
    /// `mark NAME`
    Mark(String),
    /// `wait NAME`
    Wait(String),
    /// `wait readable N`
    WaitReadable(usize),
    /// `wait drained`
    WaitDrained,
    /// `wait acked`: until every byte that left is acknowledged (unsent bytes may stay).
    WaitAcked,
    /// `timer start NAME`
    TimerStart(String),
    /// `timer stop NAME`
    TimerStop(String),
}

impl Action {
    /// The verb as written in the language (`recv`, `send frame`, `wait readable`, ...),
    /// used as the `op` of an event.
    pub fn verb(&self) -> &'static str {
        match self {
            Action::Listen { .. } => "listen",
            Action::ListenAgain => "listen again",
            Action::Connect { .. } => "connect",
            Action::Accept => "accept",
            Action::Close => "close",
            Action::CloseListener => "close listener",
            Action::Shutdown(_) => "shutdown",
            Action::Bind { .. } | Action::BindTcp { .. } => "bind",
            Action::Send(_) => "send",
            Action::SendAll(_) => "sendall",
            Action::Recv(_) => "recv",
            Action::SendTo { .. } => "sendto",
            Action::RecvFrom(_) => "recvfrom",
            Action::SendFrame { .. } => "send frame",
            Action::RecvFrame { .. } => "recv frame",
            Action::Set(_) => "set",
            Action::Sleep(_) => "sleep",
            Action::Mark(_) => "mark",
            Action::Wait(_) => "wait",
            Action::WaitReadable(_) => "wait readable",
            Action::WaitDrained => "wait drained",
            Action::WaitAcked => "wait acked",
            Action::TimerStart(_) => "timer start",
            Action::TimerStop(_) => "timer stop",
        }
    }
}

/// Whom a `connect` or `sendto` addresses: an actor of the scenario, or an address as
/// the tutorials write it (`127.0.0.1:8000`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Actor(String),
    Addr(SocketAddr),
}

impl Target {
    /// The actor, if the target is one.
    pub fn actor(&self) -> Option<&str> {
        match self {
            Target::Actor(name) => Some(name),
            Target::Addr(_) => None,
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Actor(name) => f.write_str(name),
            Target::Addr(addr) => write!(f, "{addr}"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecvMode {
    /// `recv N`: exactly one recv() call with a buffer of N bytes.
    Once(usize),
    /// `recv exactly N`: recv() of the bytes still missing, until N have come (or eof).
    Exactly(usize),
    /// `recv until eof`: recv() calls of [`UNTIL_EOF_CHUNK`] bytes until one returns 0.
    UntilEof,
}

/// The buffer size of each recv() call of `recv until eof`.
pub const UNTIL_EOF_CHUNK: usize = 1024;
/// The default `chunk` of `recv frame`.
pub const FRAME_CHUNK: usize = 1024;
/// The default listen backlog (as in the tutorials' `listen(5)`).
pub const DEFAULT_BACKLOG: u32 = 5;

/// A byte value: what to send, or what a recv is expected to return.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A string literal or `hex "..."`.
    Literal(Vec<u8>),
    /// `bytes N`: N printable bytes cycling `a`..`z`.
    Pattern(usize),
    /// `random N` (min == max) or `random A..B` (inclusive): printable bytes from the
    /// run's seed. In an expectation it matches any printable bytes of such a length.
    Random { min: usize, max: usize },
    /// `VALUE * N`
    Times(Box<Value>, usize),
    /// `VALUE + VALUE + ...`
    Concat(Vec<Value>),
}

/// `=> ...`: one or more alternatives separated by `|`.
#[derive(Debug, Clone, PartialEq)]
pub struct Expectation {
    pub alternatives: Vec<Outcome>,
    /// The expectation as written (after `=>`, trimmed), for reports.
    pub text: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Data, optionally with `from ACTOR` and/or `truncated`; `what` is `None` for a bare
    /// `from ACTOR` or a bare `truncated`.
    Data {
        what: Option<DataMatch>,
        from: Option<String>,
        truncated: bool,
    },
    /// `eof`
    Eof,
    /// `error NAME` (an errno name such as `ECONNRESET`, or a framing error name).
    Error(String),
    /// `timeout`
    Timeout,
    /// `ok`
    Ok,
    /// `partial`
    Partial,
}

#[derive(Debug, Clone, PartialEq)]
pub enum DataMatch {
    /// Exactly these bytes.
    Exact(Value),
    /// `N bytes`: exactly N bytes, any content.
    Count(usize),
}

/// `expect: ...` (evaluated after the run).
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub line: u32,
    /// The text after `expect:`, trimmed.
    pub text: String,
    pub kind: CheckKind,
    pub op: CmpOp,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CheckKind {
    /// `expect: NAME STAT OP DURATION` (a timer's statistic); for the statistic
    /// `count`, the bound is a whole number (`expect: rtt count == 20`).
    Timer {
        name: String,
        stat: Stat,
        value: StatBound,
    },
    /// `expect: ACTOR sends|recvs OP N`, `expect: ACTOR largest recv OP SIZE`.
    Count {
        actor: String,
        what: Counted,
        value: u64,
    },
}

vocabulary! {
    /// A timer's statistic in `expect: NAME STAT OP BOUND`; `Stat::name` is also how
    /// reports label it.
    pub enum Stat {
        Count = "count",
        Min = "min",
        P50 = "p50",
        P90 = "p90",
        P99 = "p99",
        Max = "max",
        Mean = "mean",
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatBound {
    Count(u64),
    Time(Duration),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    /// Every send()/sendto() call, including those inside `sendall` and `send frame`.
    Sends,
    /// Every recv()/recvfrom() call, loops included.
    Recvs,
    /// The most bytes one recv()/recvfrom() call of the actor returned.
    LargestRecv,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
}

impl CmpOp {
    pub fn holds<T: PartialOrd>(self, left: T, right: T) -> bool {
        match self {
            CmpOp::Lt => left < right,
            CmpOp::Le => left <= right,
            CmpOp::Gt => left > right,
            CmpOp::Ge => left >= right,
            CmpOp::Eq => left == right,
        }
    }
}
