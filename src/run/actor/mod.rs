//! One actor: a thread that runs its own steps in file order on its own sockets, records
//! every call as an event, and checks each step's expectation as it goes.

//!
//! The actor's work is split by what it touches: [`steps`] walks the file and dispatches
//! each step, [`connect`] makes stream connections, [`stream`] moves their data,
//! [`dgram`] does datagrams, [`wait`] waits on kernel state, [`options`] sets socket
//! options, [`call`] makes one bounded socket call, and [`values`] makes the bytes a
//! step sends.

mod call;
mod connect;
mod dgram;
mod options;
mod steps;
mod stream;
mod values;
mod wait;

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use socket2::{SockAddr, Socket};

use super::expect::Observed;
use super::op_of::op_of;
use super::world::{CallCounts, Link, Rounds, WaitEnd, Who, World};
use crate::frame::Decoder;
use crate::net::tcp_info;
use crate::record::{Event, Op, Segments};
use crate::scenario::ast::{Codec, DEFAULT_MAX_FRAME, Item, SockOpt, Step, StreamKind};
use call::os_error;
use options::UserOpts;
use steps::sets_before_a_socket;

/// One end of a stream connection.
struct Conn {
    sock: Socket,
    opts: UserOpts,
    id: usize,
    is_connector: bool,
    /// The actor at the other end (the listener's owner, for a connector).
    peer: String,
    /// Stream offsets of this end: bytes the kernel took from us, bytes we received.
    sent: u64,
    received: u64,
    /// The frame decoder of `recv frame`, with its codec and max-frame.
    decoder: Option<(Codec, usize, Decoder)>,
    /// TCP_INFO's counters at the last reading (`None` before the first, and for a
    /// socket without them).
    segments: Option<Segments>,
    /// The socket has no TCP_INFO (a Unix stream): not asked again.
    no_segments: bool,
}

impl Conn {
    /// The segments since the last reading on this socket (TCP_INFO, tcp(7)).
    fn segments(&mut self) -> Option<Segments> {
        if self.no_segments {
            return None;
        }
        match tcp_info::segments(&self.sock) {
            Ok(Some(now)) => {
                let before = self.segments.replace(now).unwrap_or_default();
                Some(now.since(before))
            }
            Ok(None) | Err(_) => {
                self.no_segments = true;
                None
            }
        }
    }
}

struct Dgram {
    sock: Socket,
    opts: UserOpts,
    /// Bytes sent to each actor so far (the datagram stream offsets of `sendto`).
    sent: HashMap<String, u64>,
    received: HashMap<String, u64>,
}

struct Listener {
    sock: Arc<Socket>,
    opts: UserOpts,
    /// False for a `bind tcp` socket until a `listen` listens on it.
    listening: bool,
}

/// Whether the actor goes on after a step.
#[derive(PartialEq, Eq)]
pub(crate) enum Flow {
    Continue,
    Stop,
}

/// The sockets an actor leaves open, handed back so they live until the run ends.
pub(crate) struct Leftovers {
    pub sockets: Vec<Socket>,
    pub listener: Option<Arc<Socket>>,
}

pub(crate) struct Actor<'w> {
    name: String,
    /// The actor's index in the scenario, which its events carry (see [`Who`]).
    index: usize,
    world: &'w World,
    /// The scenario's steps: what the other actors say they will do (`listen on`).
    body: &'w [Item],
    timeout: Duration,
    rng: StdRng,
    listener: Option<Listener>,
    /// The address, kind and backlog of the last `listen`, for `listen again`.
    last_listen: Option<(SockAddr, StreamKind, u32)>,
    conns: Vec<Conn>,
    /// Index into `conns` of the current connection.
    current: Option<usize>,
    dgram: Option<Dgram>,
    /// Options for the next socket the actor creates, applied before bind/connect.
    pending: Vec<SockOpt>,
    /// Lines of this actor's `set` steps that stand right before a step that creates a
    /// socket (`listen`, `listen again`, `connect`, `bind`): they are for that socket.
    before_socket: HashSet<u32>,
    max_frame: usize,
    waits: HashMap<String, u64>,
    /// How many unix addresses this actor has made (to keep them unique).
    unix_names: u32,
    buf: Vec<u8>,
    /// The round of each `repeat` block the actor is inside, outermost first.
    rounds: Vec<u32>,
    /// The send() and recv() calls made so far, handed to the world at the end.
    counts: CallCounts,
    /// For the actor the calling thread plays: hands what has been recorded so far to
    /// the sink, so that a long run's events do not wait for this actor's end.
    collect: Option<RefCell<&'w mut (dyn FnMut() + 'w)>>,
}

impl<'w> Actor<'w> {
    pub(crate) fn new(
        name: &str,
        index: usize,
        body: &'w [Item],
        world: &'w World,
        timeout: Duration,
        rng: StdRng,
    ) -> Self {
        Actor {
            before_socket: sets_before_a_socket(body, name),
            body,
            name: name.to_string(),
            index,
            world,
            timeout,
            rng,
            listener: None,
            last_listen: None,
            conns: Vec::new(),
            current: None,
            dgram: None,
            pending: Vec::new(),
            max_frame: DEFAULT_MAX_FRAME,
            waits: HashMap::new(),
            unix_names: 0,
            buf: Vec::new(),
            rounds: Vec::new(),
            counts: CallCounts::default(),
            collect: None,
        }
    }

    /// This actor runs on the calling thread, which also reports the run: after each
    /// event it records, it calls `collect` to hand over what has come so far (its own
    /// events, and the others' that their turn allows), so a class sees its steps as
    /// they happen.
    pub(crate) fn collecting_with(mut self, collect: &'w mut (dyn FnMut() + 'w)) -> Self {
        self.collect = Some(RefCell::new(collect));
        self
    }

    /// The sockets still open, to be closed when the whole run is over; the actor's
    /// call counts go to the world (for the `expect:` checks).
    pub(crate) fn leftovers(self) -> Leftovers {
        self.world.add_counts(&self.name, self.counts);
        let mut sockets: Vec<Socket> = self.conns.into_iter().map(|c| c.sock).collect();
        if let Some(d) = self.dgram {
            sockets.push(d.sock);
        }
        Leftovers {
            sockets,
            listener: self.listener.map(|l| l.sock),
        }
    }

    /// An event of this step, begun at `t0` and ending now.
    fn event(&self, step: &Step, op: Op, t0: Instant) -> Event {
        new_event(self.world.start(), step, op, t0)
    }

    /// One recv()/recvfrom() call that returned `got` bytes (0 on error or timeout).
    fn count_recv(&mut self, got: u64) {
        self.counts.recvs += 1;
        self.counts.largest_recv = self.counts.largest_recv.max(got);
    }

    /// Records an event: the call it tells of ends now, and takes its `seq` (see
    /// [`World::record`]).
    fn record(&self, event: Event, link: Option<Link>) {
        let who = Who {
            actor: self.index,
            rounds: Rounds::of(&self.rounds),
        };
        self.world.record(event, link, Some(who));
        if let Some(collect) = &self.collect
            && let Ok(mut collect) = collect.try_borrow_mut()
        {
            collect();
        }
    }

    /// Records a step that only succeeds or fails (setup, sync), and what it observed.
    fn done(
        &self,
        step: &Step,
        t0: Instant,
        result: Result<Option<String>, io::Error>,
    ) -> Observed {
        self.done_on(step, t0, result, None)
    }

    /// [`Actor::done`] for a step that ends a direction of a connection (`close`,
    /// `shutdown`): `link` says which, so an eof can name its cause.
    fn done_on(
        &self,
        step: &Step,
        t0: Instant,
        result: Result<Option<String>, io::Error>,
        link: Option<Link>,
    ) -> Observed {
        let mut ev = self.event(step, op_of(&step.action), t0);
        let observed = match result {
            Ok(detail) => {
                ev.detail = detail;
                Observed::Done
            }
            Err(e) => os_error(&mut ev, &e),
        };
        let link = if ev.error.is_none() { link } else { None };
        self.record(ev, link);
        observed
    }

    /// Records the end of a wait on the shared registry.
    fn waited(
        &self,
        step: &Step,
        t0: Instant,
        result: Result<Option<String>, WaitEnd>,
        blocked_in: &str,
    ) -> Observed {
        let mut ev = self.event(step, op_of(&step.action), t0);
        let observed = match result {
            Ok(detail) => {
                ev.detail = detail;
                Observed::Done
            }
            Err(WaitEnd::Deadline) => {
                ev.timeout = true;
                Observed::Timeout {
                    user: false,
                    blocked_in: blocked_in.to_string(),
                }
            }
            Err(WaitEnd::Aborted) => {
                ev.detail = Some("stopped: another actor was blocked".to_string());
                Observed::Aborted
            }
            Err(WaitEnd::Interrupted) => call::interrupted(&mut ev, blocked_in),
        };
        self.record(ev, None);
        observed
    }
}

/// An event of `step`, begun at `t0`. Its duration ends when it is recorded
/// ([`World::record`]); its actor, call and rounds are written in by the collector
/// ([`Who`]).
fn new_event(start: Instant, step: &Step, op: Op, t0: Instant) -> Event {
    Event {
        t: t0.saturating_duration_since(start),
        line: step.line,
        op,
        verb: op_of(&step.action),
        ..Event::default()
    }
}
