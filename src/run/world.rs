//! What the actors of one run share: the clock, the sequence counter, the registry of
//! listeners, datagram sockets and connections, marks, timers, and the recorder.

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use socket2::{SockAddr, Socket};

use super::gate::Gate;
use super::spin::Spin;
use crate::net::{DgramKind, StreamKind};
use crate::record::{Blocked, Event, ExpectationResult};

/// How an event's bytes belong to a direction of traffic; resolved to `conn` names and
/// provenance when the event is handed over in `seq` order (a recv may return before
/// its send is recorded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Link {
    /// Connection `conn`; `from_connector` says which direction.
    Stream { conn: usize, from_connector: bool },
    /// Datagrams from one actor to another; a sendto keeps the datagram it sent, so a
    /// recvfrom can be matched to it even when the kernel dropped others in between.
    Dgram {
        sender: String,
        receiver: String,
        sent: Option<Vec<u8>>,
    },
    /// A `close` or `shutdown` of connection `conn` by its connector (`connector`) or
    /// its acceptor: `write` ends the closer's outgoing direction (a FIN), `read` its
    /// incoming one. Not a direction of traffic of the event itself: its `conn` stays
    /// empty; the release keeps it as the cause of an eof.
    Shut {
        conn: usize,
        connector: bool,
        write: bool,
        read: bool,
    },
}

#[derive(Debug)]
pub(crate) struct RawEvent {
    pub event: Event,
    pub link: Option<Link>,
    /// The event's actor, call and rounds, until [`RawEvent::fill_in`] writes them
    /// into it on the collector's thread.
    pub who: Option<Who>,
}

/// Who made an event, as numbers the actor's thread allocates nothing for: the actor's
/// index in the scenario (its call is the text of the event's line), and the rounds.
/// The collector writes the names into the event ([`RawEvent::fill_in`]). A string made
/// on the actor's thread and freed on the collector's (once the sink has the event)
/// takes a lock of the allocator's, and a shared counted string has its count written
/// by both threads: per event of a `recv until eof` the two came to wait on each other.
#[derive(Debug, Clone)]
pub(crate) struct Who {
    pub actor: usize,
    pub rounds: Rounds,
}

/// The rounds of the `repeat` blocks around a step, without an allocation for the
/// usual few levels.
#[derive(Debug, Clone)]
pub(crate) enum Rounds {
    Few(u8, [u32; 4]),
    Many(Vec<u32>),
}

impl Rounds {
    pub(crate) fn of(rounds: &[u32]) -> Rounds {
        match u8::try_from(rounds.len()) {
            Ok(n) if n <= 4 => {
                let mut few = [0; 4];
                few[..rounds.len()].copy_from_slice(rounds);
                Rounds::Few(n, few)
            }
            _ => Rounds::Many(rounds.to_vec()),
        }
    }

    fn to_vec(&self) -> Vec<u32> {
        match self {
            Rounds::Few(n, few) => few[..usize::from(*n)].to_vec(),
            Rounds::Many(v) => v.clone(),
        }
    }
}

impl RawEvent {
    /// Writes the actor, call and rounds into the event (on the collector's thread):
    /// `actors` are the scenario's actors in order, `calls` the text of each step line.
    pub(crate) fn fill_in(&mut self, actors: &[String], calls: &HashMap<u32, String>) {
        if let Some(who) = self.who.take() {
            if let Some(actor) = actors.get(who.actor) {
                self.event.actor.clone_from(actor);
            }
            if let Some(call) = calls.get(&self.event.line) {
                self.event.call.clone_from(call);
            }
            self.event.rounds = who.rounds.to_vec();
        }
    }
}

/// A listener as other actors see it (`connect` needs its address, `accept on` the socket).
#[derive(Debug, Clone)]
pub(crate) struct ListenerEntry {
    pub sock: Arc<Socket>,
    pub addr: SockAddr,
    pub kind: StreamKind,
    pub nonblocking: bool,
    pub rcvtimeo: Option<Duration>,
    pub sndtimeo: Option<Duration>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConnState {
    /// connect() not yet returned (a Unix client is registered by its address already).
    Connecting,
    /// connect() returned and its event has its number.
    Connected,
    /// connect() failed: not a connection, not named.
    Failed,
}

/// Both ends of one stream connection, by actor.
#[derive(Debug, Clone)]
pub(crate) struct ConnMeta {
    pub connector: String,
    /// The listener's owner (the acceptor until an `accept` says otherwise).
    pub listener_owner: String,
    pub acceptor: Option<String>,
    pub state: ConnState,
    /// The acceptor is outside the lab (a program given with --peer, or an address no
    /// actor listens on): its direction has no sends of ours.
    pub outside: bool,
    /// The connector is outside the lab (`--peer ACTOR`, a program that connects).
    pub connector_outside: bool,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CallCounts {
    /// send()/sendto() calls, those inside `sendall` and `send frame` included.
    pub sends: u64,
    /// recv()/recvfrom() calls, loops included.
    pub recvs: u64,
    /// The most bytes one of those recv()/recvfrom() calls returned.
    pub largest_recv: u64,
}

#[derive(Debug, Default)]
pub(crate) struct Shared {
    pub listeners: HashMap<String, ListenerEntry>,
    pub dgrams: HashMap<String, (SockAddr, DgramKind)>,
    /// Address key -> actor, for datagram senders.
    pub owners: HashMap<String, String>,
    /// Connector's local address key -> connection index.
    pub conn_by_addr: HashMap<String, usize>,
    pub conns: Vec<ConnMeta>,
    pub marks: HashMap<String, u64>,
    pub timer_started: HashMap<String, Instant>,
    pub timer_samples: HashMap<String, Vec<Duration>>,
    /// Calls per actor, for `expect: ACTOR sends|recvs|largest recv`.
    pub counts: HashMap<String, CallCounts>,
}

/// Why a wait ended without its condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WaitEnd {
    Deadline,
    /// Another actor was blocked and the run is winding down.
    Aborted,
    /// The run was cancelled (Ctrl-C).
    Interrupted,
}

/// The longest an actor sleeps in one go while it waits: the cancel flag is set by a
/// signal handler that wakes nobody, so every wait looks at it at least this often.
pub(crate) const POLL_SLICE: Duration = Duration::from_millis(50);

/// How many events may wait for the collector before the actors that record them wait
/// too (the collector takes them every few milliseconds while the run goes on).
const MAX_PENDING: usize = 1 << 12;

pub(crate) struct World {
    /// Set once every actor thread exists, just before they are let go together.
    start: OnceLock<Instant>,
    /// Set when an actor was blocked past its deadline: the waits of the others end at
    /// once instead of each running into its own deadline.
    aborted: AtomicBool,
    shared: Mutex<Shared>,
    changed: Condvar,
    /// The events recorded and not yet taken by the collector, with the last `seq`
    /// given: an event is numbered under this lock, when it is recorded, so the list is
    /// always in `seq` order and no number is ever skipped.
    events: Mutex<Pending>,
    /// How many events the list holds, as of the last change (read without the lock).
    pending: AtomicUsize,
    /// Signalled when the collector took the events: an actor far ahead of it waits.
    drained: Condvar,
    /// Set once the calling thread only collects (its own actor has ended): from then
    /// on an actor far ahead waits for it, as it is sure to come.
    collecting: AtomicBool,
    expectations: Mutex<Vec<ExpectationResult>>,
    blocked: Mutex<Vec<Blocked>>,
    /// How long the whole run may take from the start of its clock.
    run_limit: Duration,
    /// Set from outside (Ctrl-C) to end the run early.
    cancel: Option<Arc<AtomicBool>>,
    /// Distinguishes this run's abstract Unix names from other runs in this process.
    pub run_tag: u64,
    /// Class mode: the steps wait for their group to be released.
    gate: Option<Arc<Gate>>,
    /// Actors played by programs outside the lab (`--peer`), by name: where they
    /// listen.
    peers: BTreeMap<String, std::net::SocketAddr>,
    /// Actors played by programs outside the lab that connect to it (`--peer ACTOR`).
    clients: Vec<String>,
    /// `--allow-remote`: addresses beyond loopback may be used.
    allow_remote: bool,
    /// `--net veth`: the address each actor's listeners and datagram sockets bind
    /// (its namespace's veth end); an actor not named binds 127.0.0.1.
    homes: HashMap<String, IpAddr>,
}

impl World {
    pub(crate) fn new(run_tag: u64, run_limit: Duration, cancel: Option<Arc<AtomicBool>>) -> World {
        World {
            start: OnceLock::new(),
            aborted: AtomicBool::new(false),
            shared: Mutex::new(Shared::default()),
            changed: Condvar::new(),
            events: Mutex::new(Pending::default()),
            pending: AtomicUsize::new(0),
            drained: Condvar::new(),
            collecting: AtomicBool::new(false),
            expectations: Mutex::new(Vec::new()),
            blocked: Mutex::new(Vec::new()),
            run_limit,
            cancel,
            run_tag,
            gate: None,
            peers: BTreeMap::new(),
            clients: Vec::new(),
            allow_remote: false,
            homes: HashMap::new(),
        }
    }

    /// The run may use addresses beyond loopback (`--allow-remote`).
    pub(crate) fn allowing_remote(mut self, allow: bool) -> World {
        self.allow_remote = allow;
        self
    }

    /// Whether the run may use `ip`: loopback, the addresses of the network namespaces
    /// the run made (`--net veth`), or anything with `--allow-remote`.
    pub(crate) fn may_use(&self, ip: IpAddr) -> bool {
        self.allow_remote || crate::net::addr::is_own(ip) || self.homes.values().any(|h| *h == ip)
    }

    /// The run with actors played by programs outside the lab.
    pub(crate) fn with_peers(mut self, peers: &[super::Peer], clients: &[String]) -> World {
        self.peers = peers.iter().map(|p| (p.actor.clone(), p.addr)).collect();
        self.clients = clients.to_vec();
        self
    }

    /// Whether a program outside the lab plays `actor` (`--peer`).
    pub(crate) fn is_outside(&self, actor: &str) -> bool {
        self.peers.contains_key(actor) || self.clients.iter().any(|c| c == actor)
    }

    /// The programs outside the lab that connect to the lab (`--peer ACTOR`).
    pub(crate) fn outside_clients(&self) -> &[String] {
        &self.clients
    }

    /// The actors played by programs that listen outside the lab, by name.
    pub(crate) fn peer_names(&self) -> impl Iterator<Item = &String> {
        self.peers.keys()
    }

    /// Where the outside program playing `actor` listens, if one does.
    pub(crate) fn peer(&self, actor: &str) -> Option<std::net::SocketAddr> {
        self.peers.get(actor).copied()
    }

    /// The run under `--net veth`: each actor's address in its namespace.
    pub(crate) fn with_homes(mut self, homes: HashMap<String, IpAddr>) -> World {
        self.homes = homes;
        self
    }

    /// The address `actor` binds when a step names none: its namespace's veth address
    /// under `--net veth`, else 127.0.0.1.
    pub(crate) fn home_ip(&self, actor: &str) -> IpAddr {
        self.homes
            .get(actor)
            .copied()
            .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST))
    }

    /// An address a step names, as `actor` binds it: under `--net veth` a loopback
    /// address means the actor's own veth address (its port kept), so `listen on 8000`
    /// is reachable from the other namespace; elsewhere it stays as written.
    pub(crate) fn localized(&self, actor: &str, at: SocketAddr) -> SocketAddr {
        match self.homes.get(actor) {
            Some(home) if at.ip().is_loopback() => SocketAddr::new(*home, at.port()),
            _ => at,
        }
    }

    /// The run in class mode: its steps wait at `gate`.
    pub(crate) fn with_gate(mut self, gate: Option<Arc<Gate>>) -> World {
        self.gate = gate;
        self
    }

    /// The gate of class mode, if the run has one.
    pub(crate) fn gate(&self) -> Option<&Gate> {
        self.gate.as_deref()
    }

    /// How long class mode has held the run so far (zero outside class mode): a wait
    /// moves its deadline by the time held since it began.
    pub(crate) fn held(&self) -> Duration {
        self.gate.as_deref().map_or(Duration::ZERO, Gate::held)
    }

    /// Starts the run's clock (once; later calls keep the first start).
    pub(crate) fn start_clock(&self) {
        let _ = self.start.set(Instant::now());
    }

    /// When the run's clock started.
    pub(crate) fn start(&self) -> Instant {
        *self.start.get_or_init(Instant::now)
    }

    /// How long the whole run may take (`--run-limit`).
    pub(crate) fn run_limit(&self) -> Duration {
        self.run_limit
    }

    /// When the run limit is reached: no step's deadline may pass it.
    pub(crate) fn run_end(&self) -> Instant {
        let start = self.start();
        start
            .checked_add(self.run_limit)
            .unwrap_or_else(|| start + super::MAX_TIMEOUT)
    }

    pub(crate) fn is_aborted(&self) -> bool {
        self.aborted.load(Ordering::SeqCst)
    }

    /// True once the run was cancelled (Ctrl-C): every actor ends its step and stops.
    pub(crate) fn is_cancelled(&self) -> bool {
        self.cancel
            .as_ref()
            .is_some_and(|flag| flag.load(Ordering::Relaxed))
    }

    /// Why a wait should end now without its condition, if it should: the run was
    /// cancelled, or another actor was blocked.
    pub(crate) fn interruption(&self) -> Option<WaitEnd> {
        if self.is_cancelled() {
            Some(WaitEnd::Interrupted)
        } else if self.is_aborted() {
            Some(WaitEnd::Aborted)
        } else {
            None
        }
    }

    pub(crate) fn abort(&self) {
        self.aborted.store(true, Ordering::SeqCst);
        // Take the lock so no waiter misses the wake-up between its check and its wait.
        drop(self.lock());
        self.changed.notify_all();
    }

    /// The shared registry. A poisoned lock (a panicking actor) is still usable: the data
    /// are plain maps.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Changes the registry and wakes every actor waiting on it.
    pub(crate) fn update<T>(&self, f: impl FnOnce(&mut Shared) -> T) -> T {
        let out = f(&mut self.lock());
        self.changed.notify_all();
        out
    }

    /// Waits until `f` gives a value, the deadline passes, or the run is aborted or
    /// cancelled (seen within [`POLL_SLICE`]).
    pub(crate) fn wait_for<T>(
        &self,
        deadline: Instant,
        mut f: impl FnMut(&mut Shared) -> Option<T>,
    ) -> Result<T, WaitEnd> {
        // What is awaited is usually another actor's next step, microseconds away on the
        // other core: spin a moment (see [`Spin`]) before sleeping on the condition
        // variable (a futex wake-up costs tens of microseconds).
        let mut spin = Spin::default();
        // In class mode the time the run is held does not count.
        let held_before = self.held();
        let due = || deadline + self.held().saturating_sub(held_before);
        loop {
            if let Some(v) = f(&mut self.lock()) {
                return Ok(v);
            }
            if let Some(end) = self.interruption() {
                return Err(end);
            }
            if Instant::now() >= due() {
                return Err(WaitEnd::Deadline);
            }
            if !spin.again() {
                break;
            }
        }
        let mut guard = self.lock();
        loop {
            if let Some(v) = f(&mut guard) {
                return Ok(v);
            }
            if let Some(end) = self.interruption() {
                return Err(end);
            }
            let now = Instant::now();
            let deadline = due();
            if now >= deadline {
                return Err(WaitEnd::Deadline);
            }
            guard = self
                .changed
                .wait_timeout(guard, (deadline - now).min(POLL_SLICE))
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Waits, before a call begins, while the collector is far behind. An actor whose
    /// steps make no system call (`recv exactly 0`, a million times) records faster than
    /// the collector reports; past [`MAX_PENDING`] events it waits for the collector to
    /// take them, so memory does not grow with the run. (Only once the calling thread
    /// does nothing but collect: while it plays the first actor, that actor may be
    /// waiting for this one.) The wait comes before the call's clock starts, so it is
    /// not counted in any call's duration.
    pub(crate) fn throttle(&self) {
        if self.pending.load(Ordering::Relaxed) < MAX_PENDING
            || !self.collecting.load(Ordering::Acquire)
        {
            return;
        }
        let mut events = self.events.lock().unwrap_or_else(|e| e.into_inner());
        while events.list.len() >= MAX_PENDING
            && self.collecting.load(Ordering::Acquire)
            && !self.is_cancelled()
        {
            events = self
                .drained
                .wait_timeout(events, POLL_SLICE)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Hands an event to the collector: the call it tells of has just ended. The event
    /// is numbered here, under the lock of the list, and its duration ends here too: so
    /// `seq` is the order in which calls completed, the list is in `seq` order, and
    /// `t + dur` never decreases from one `seq` to the next. (The moment is when the
    /// event was recorded, right after the call returned and its result was noted:
    /// for a recv, after the FIONREAD that follows it.)
    pub(crate) fn record(&self, mut event: Event, link: Option<Link>, who: Option<Who>) {
        let start = self.start();
        let mut events = self.events.lock().unwrap_or_else(|e| e.into_inner());
        let end = Instant::now().saturating_duration_since(start);
        events.seq += 1;
        event.seq = events.seq;
        event.dur = end.saturating_sub(event.t);
        events.list.push(RawEvent { event, link, who });
        self.pending.store(events.list.len(), Ordering::Relaxed);
    }

    /// The calling thread's own actor has ended: from now on it only collects.
    pub(crate) fn collect_only(&self) {
        self.collecting.store(true, Ordering::Release);
    }

    /// Moves the events recorded since the last call, in `seq` order, to the end of
    /// `into` (whose allocation the two sides then trade, instead of a new one each
    /// time).
    pub(crate) fn take_events(&self, into: &mut Vec<RawEvent>) {
        let mut events = self.events.lock().unwrap_or_else(|e| e.into_inner());
        if into.is_empty() {
            std::mem::swap(into, &mut events.list);
        } else {
            into.append(&mut events.list);
        }
        let was_full = into.len() >= MAX_PENDING;
        self.pending.store(0, Ordering::Relaxed);
        drop(events);
        if was_full {
            self.drained.notify_all();
        }
    }

    pub(crate) fn expectation(&self, result: ExpectationResult) {
        self.expectations
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(result);
    }

    pub(crate) fn blocked(&self, blocked: Blocked) {
        self.blocked
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(blocked);
        self.abort();
    }

    /// Adds an actor's calls, counted by the actor as it went (a lock of the registry
    /// per recv() would cost more than the count).
    pub(crate) fn add_counts(&self, actor: &str, counts: CallCounts) {
        let mut shared = self.lock();
        let total = shared.counts.entry(actor.to_string()).or_default();
        total.sends += counts.sends;
        total.recvs += counts.recvs;
        total.largest_recv = total.largest_recv.max(counts.largest_recv);
    }

    /// Everything recorded, for the finishing of the record.
    pub(crate) fn into_parts(self) -> Parts {
        Parts {
            shared: self.shared.into_inner().unwrap_or_else(|e| e.into_inner()),
            events: self
                .events
                .into_inner()
                .unwrap_or_else(|e| e.into_inner())
                .list,
            expectations: self
                .expectations
                .into_inner()
                .unwrap_or_else(|e| e.into_inner()),
            blocked: self.blocked.into_inner().unwrap_or_else(|e| e.into_inner()),
        }
    }
}

impl World {
    /// What was recorded so far, when the world is still shared.
    pub(crate) fn snapshot(&self) -> Parts {
        let shared = std::mem::take(&mut *self.lock());
        Parts {
            shared,
            events: std::mem::take(&mut self.events.lock().unwrap_or_else(|e| e.into_inner()).list),
            expectations: std::mem::take(
                &mut *self.expectations.lock().unwrap_or_else(|e| e.into_inner()),
            ),
            blocked: std::mem::take(&mut *self.blocked.lock().unwrap_or_else(|e| e.into_inner())),
        }
    }
}

/// The events waiting for the collector, and the last number given.
#[derive(Default)]
struct Pending {
    seq: u64,
    list: Vec<RawEvent>,
}

pub(crate) struct Parts {
    pub shared: Shared,
    pub events: Vec<RawEvent>,
    pub expectations: Vec<ExpectationResult>,
    pub blocked: Vec<Blocked>,
}
