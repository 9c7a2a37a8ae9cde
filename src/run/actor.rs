//! One actor: a thread that runs its own steps in file order on its own sockets, records
//! every call as an event, and checks each step's expectation as it goes.

use std::collections::{HashMap, HashSet};
use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use socket2::{SockAddr, Socket};

use super::expect::{self, Observed};
use super::op_of::op_of;
use super::spin::Spin;
use super::world::{Link, ListenerEntry, WaitEnd, World};
use crate::frame::{self, Decoder};
use crate::net::{self, errno};
use crate::record::{Blocked, Event, ExpectationResult, Op};
use crate::scenario::ast::{
    Action, Codec, DEFAULT_MAX_FRAME, DgramKind, Item, RecvMode, SockOpt, Step, StreamKind,
    UNTIL_EOF_CHUNK,
};
use crate::scenario::value;
use crate::text::fmt_duration;

/// Flags of every send(): no SIGPIPE when the peer is gone, an EPIPE error instead
/// (send(2)).
#[cfg(target_os = "linux")]
const SEND_FLAGS: libc::c_int = libc::MSG_NOSIGNAL;
#[cfg(not(target_os = "linux"))]
const SEND_FLAGS: libc::c_int = 0;

/// How long an accept waits for the connecting actor to say who it is (it does so right
/// after its connect() returns, which may be a moment after accept() did).
const PEER_PATIENCE: Duration = Duration::from_secs(1);

/// What a user set on a socket that stickylab must remember itself: blocking calls get
/// the kernel's timeouts set to the step's deadline, so the user's own `rcvtimeo` and
/// `sndtimeo` are kept here and the smaller of the two is used.
#[derive(Debug, Clone, Copy, Default)]
struct UserOpts {
    nonblocking: bool,
    rcvtimeo: Option<Duration>,
    sndtimeo: Option<Duration>,
}

impl UserOpts {
    fn note(&mut self, opt: SockOpt) {
        match opt {
            SockOpt::NonBlocking(on) => self.nonblocking = on,
            SockOpt::RcvTimeo(d) => self.rcvtimeo = d.filter(|d| !d.is_zero()),
            SockOpt::SndTimeo(d) => self.sndtimeo = d.filter(|d| !d.is_zero()),
            _ => {}
        }
    }
}

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
}

/// Why a call did not return a result.
enum CallError {
    /// The step's deadline, or the user's own rcvtimeo/sndtimeo (`user`).
    Timeout {
        user: bool,
    },
    Os(io::Error),
}

impl From<io::Error> for CallError {
    fn from(e: io::Error) -> CallError {
        CallError::Os(e)
    }
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
    world: &'w World,
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
}

impl<'w> Actor<'w> {
    pub(crate) fn new(
        name: &str,
        body: &[Item],
        world: &'w World,
        timeout: Duration,
        rng: StdRng,
    ) -> Self {
        Actor {
            before_socket: sets_before_a_socket(body, name),
            name: name.to_string(),
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
        }
    }

    /// Runs this actor's steps among `items`, repeating blocks as they say.
    pub(crate) fn run_items(&mut self, items: &[Item]) -> Flow {
        for item in items {
            match item {
                Item::Step(step) if step.actor == self.name => {
                    // Once an actor was blocked the run is over: no further steps.
                    if self.world.is_aborted() || self.run_step(step) == Flow::Stop {
                        return Flow::Stop;
                    }
                }
                Item::Step(_) => {}
                Item::Repeat(block) => {
                    if !has_steps_of(&block.body, &self.name) {
                        continue;
                    }
                    for _ in 0..block.count {
                        if self.run_items(&block.body) == Flow::Stop {
                            return Flow::Stop;
                        }
                    }
                }
            }
        }
        Flow::Continue
    }

    /// The sockets still open, to be closed when the whole run is over.
    pub(crate) fn leftovers(self) -> Leftovers {
        let mut sockets: Vec<Socket> = self.conns.into_iter().map(|c| c.sock).collect();
        if let Some(d) = self.dgram {
            sockets.push(d.sock);
        }
        Leftovers {
            sockets,
            listener: self.listener.map(|l| l.sock),
        }
    }

    fn run_step(&mut self, step: &Step) -> Flow {
        let deadline = Instant::now() + self.timeout;
        let observed = self.perform(step, deadline);
        let expects_timeout = step.expect.as_ref().is_some_and(expect::allows_timeout);
        if let Observed::Timeout {
            user: false,
            ref blocked_in,
        } = observed
            && !expects_timeout
        {
            self.world.blocked(Blocked {
                actor: self.name.clone(),
                line: step.line,
                call: step.text.clone(),
                blocked_in: blocked_in.clone(),
                waited: self.timeout,
            });
            return Flow::Stop;
        }
        if let Some(expectation) = &step.expect {
            let (passed, seen) = expect::check(expectation, &observed);
            self.world.expectation(ExpectationResult {
                line: step.line,
                actor: Some(self.name.clone()),
                expected: expectation.text.clone(),
                observed: seen,
                passed,
            });
        }
        if matches!(observed, Observed::Aborted) {
            return Flow::Stop;
        }
        Flow::Continue
    }

    /// An event of this step, begun at `t0` and ending now.
    fn event(&self, step: &Step, op: Op, t0: Instant) -> Event {
        new_event(self.world.start(), &self.name, step, op, t0)
    }

    /// Records an event; `seq` was taken when the call began, or is taken now.
    fn record(&self, mut event: Event, seq: Option<u64>, link: Option<Link>) {
        event.seq = seq.unwrap_or_else(|| self.world.next_seq());
        self.world.record(event, link);
    }

    /// Records a step that only succeeds or fails (setup, sync), and what it observed;
    /// `seq` as in [`Actor::record`].
    fn done(
        &self,
        step: &Step,
        t0: Instant,
        seq: Option<u64>,
        result: Result<Option<String>, io::Error>,
    ) -> Observed {
        let mut ev = self.event(step, op_of(&step.action), t0);
        let observed = match result {
            Ok(detail) => {
                ev.detail = detail;
                Observed::Done
            }
            Err(e) => os_error(&mut ev, &e),
        };
        self.record(ev, seq, None);
        observed
    }

    fn perform(&mut self, step: &Step, deadline: Instant) -> Observed {
        let t0 = Instant::now();
        match &step.action {
            Action::Listen { kind, backlog } => {
                // Numbered before the listener is registered, so a connect that sees it
                // always comes after it.
                let seq = self.world.next_seq();
                let r = self.listen(*kind, *backlog, None);
                self.done(step, t0, Some(seq), r)
            }
            Action::ListenAgain => {
                let seq = self.world.next_seq();
                let r = match self.last_listen.clone() {
                    Some((addr, kind, backlog)) => self.listen(kind, backlog, Some(addr)),
                    None => Err(misuse("`listen again` needs an earlier `listen`")),
                };
                self.done(step, t0, Some(seq), r)
            }
            Action::Connect { to } => self.connect(step, to.as_deref(), deadline),
            Action::Accept => self.accept(step, deadline),
            Action::Close => {
                let seq = self.world.next_seq();
                let r = match self.conn_index(step) {
                    Ok(i) => {
                        let conn = self.conns.remove(i);
                        drop(conn.sock);
                        self.current = self.conns.len().checked_sub(1);
                        Ok(None)
                    }
                    Err(e) => Err(e),
                };
                self.done(step, t0, Some(seq), r)
            }
            Action::CloseListener => {
                let seq = self.world.next_seq();
                let r = match self.listener.take() {
                    Some(l) => {
                        let name = self.name.clone();
                        self.world.update(|s| s.listeners.remove(&name));
                        drop(l);
                        Ok(None)
                    }
                    None => Err(usage("this actor has no listener to close")),
                };
                self.done(step, t0, Some(seq), r)
            }
            Action::Shutdown(how) => {
                let seq = self.world.next_seq();
                let r = self
                    .conn_index(step)
                    .and_then(|i| self.conns[i].sock.shutdown(*how))
                    .map(|()| None);
                self.done(step, t0, Some(seq), r)
            }
            Action::Bind(kind) => {
                let seq = self.world.next_seq();
                let r = self.bind_dgram(*kind).map(Some);
                self.done(step, t0, Some(seq), r)
            }
            Action::Send(value) => {
                let bytes = value::eval(value, &mut self.rng);
                self.send(step, Op::Send, &bytes, false, deadline)
            }
            Action::SendAll(value) => {
                let bytes = value::eval(value, &mut self.rng);
                self.send(step, Op::SendAll, &bytes, true, deadline)
            }
            Action::SendFrame { codec, value } => {
                let body = value::eval(value, &mut self.rng);
                match frame::encode(*codec, &body) {
                    Ok(wire) => self.send(step, Op::SendFrame, &wire, true, deadline),
                    Err(e) => {
                        let mut ev = self.event(step, Op::SendFrame, t0);
                        ev.requested = Some(body.len() as u64);
                        ev.error = Some(e.name().to_string());
                        ev.error_detail = Some(e.to_string());
                        self.record(ev, None, None);
                        Observed::Error(e.name().to_string())
                    }
                }
            }
            Action::Recv(mode) => self.recv(step, *mode, deadline),
            Action::RecvFrame { codec, chunk } => self.recv_frame(step, *codec, *chunk, deadline),
            Action::SendTo { to, value } => {
                let bytes = value::eval(value, &mut self.rng);
                self.send_to(step, to, &bytes, deadline)
            }
            Action::RecvFrom(n) => self.recv_from(step, *n, deadline),
            Action::Set(opt) => {
                let r = if self.before_socket.contains(&step.line) {
                    self.pending.push(*opt);
                    Ok(format!("{} (for the socket of the next step)", opt.name()))
                } else {
                    self.set(*opt)
                };
                self.done(step, t0, None, r.map(Some))
            }
            Action::Sleep(d) => {
                // A sleep ends early when the run is aborted, and may not outlast the
                // step's deadline any more than a socket call may.
                let end = t0.checked_add(*d).filter(|&end| end <= deadline);
                let slept = self.world.wait_for(end.unwrap_or(deadline), |_| None::<()>);
                let result = match (slept, end) {
                    (Err(WaitEnd::Aborted), _) => Err(WaitEnd::Aborted),
                    (_, Some(_)) => Ok(None),
                    (_, None) => Err(WaitEnd::Deadline),
                };
                self.waited(step, t0, result, "sleep (longer than the step's deadline)")
            }
            Action::Mark(name) => {
                let seq = self.world.next_seq();
                let n = self.world.update(|s| {
                    let n = s.marks.entry(name.clone()).or_default();
                    *n += 1;
                    *n
                });
                self.done(step, t0, Some(seq), Ok(Some(format!("{name} #{n}"))))
            }
            Action::Wait(name) => {
                let k = {
                    let k = self.waits.entry(name.clone()).or_default();
                    *k += 1;
                    *k
                };
                let r = self.world.wait_for(deadline, |s| {
                    (s.marks.get(name).copied().unwrap_or(0) >= k).then_some(())
                });
                self.waited(
                    step,
                    t0,
                    r.map(|()| Some(format!("{name} #{k}"))),
                    &format!("wait {name}"),
                )
            }
            Action::WaitReadable(n) => self.wait_readable(step, *n, deadline),
            Action::WaitDrained => self.wait_drained(step, deadline),
            Action::WaitAcked => self.wait_acked(step, deadline),
            Action::TimerStart(name) => {
                let now = Instant::now();
                self.world
                    .update(|s| s.timer_started.insert(name.clone(), now));
                self.done(step, t0, None, Ok(None))
            }
            Action::TimerStop(name) => {
                let now = Instant::now();
                let sample = self.world.update(|s| {
                    let started = s.timer_started.remove(name)?;
                    let d = now.saturating_duration_since(started);
                    s.timer_samples.entry(name.clone()).or_default().push(d);
                    Some(d)
                });
                let r = match sample {
                    Some(d) => Ok(Some(format!("{name} {}", fmt_duration(d)))),
                    None => Err(misuse(&format!("timer `{name}` was not started"))),
                };
                self.done(step, t0, None, r)
            }
        }
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
        };
        self.record(ev, None, None);
        observed
    }

    // ---- setup ---------------------------------------------------------------------

    /// A fresh unique abstract Unix address for this actor.
    fn unix_addr(&mut self, what: &str) -> io::Result<SockAddr> {
        self.unix_names += 1;
        // sun_path holds 108 bytes; the actor's name is there for people reading `ss -x`,
        // the run tag and the counter keep the address unique.
        let short: String = self.name.chars().take(32).collect();
        net::abstract_unix_addr(&format!(
            "{}-{short}-{what}{}",
            self.world.run_tag, self.unix_names
        ))
    }

    /// Applies the options set before this socket existed.
    /// Returns what the kernel reports for each (`rcvbuf 8192`), for the event's detail.
    fn apply_pending(&mut self, sock: &Socket, opts: &mut UserOpts) -> io::Result<String> {
        let mut applied = String::new();
        for opt in std::mem::take(&mut self.pending) {
            opts.note(opt);
            let detail = match opt {
                SockOpt::MaxFrame(n) => {
                    self.max_frame = n;
                    format!("max-frame {n}")
                }
                other => net::apply_option(sock, other)?,
            };
            applied.push_str("; ");
            applied.push_str(&detail);
        }
        Ok(applied)
    }

    fn listen(
        &mut self,
        kind: StreamKind,
        backlog: u32,
        again: Option<SockAddr>,
    ) -> io::Result<Option<String>> {
        let sock = net::stream_socket(kind)?;
        let mut opts = UserOpts::default();
        let applied = self.apply_pending(&sock, &mut opts)?;
        let addr = match again {
            Some(addr) => addr,
            None => match kind {
                StreamKind::Tcp => net::loopback_any_port(),
                StreamKind::Unix => self.unix_addr("listen")?,
            },
        };
        sock.bind(&addr)?;
        sock.listen(i32::try_from(backlog).unwrap_or(i32::MAX))?;
        let addr = sock.local_addr()?;
        let sock = Arc::new(sock);
        let entry = ListenerEntry {
            sock: Arc::clone(&sock),
            addr: addr.clone(),
            kind,
            nonblocking: opts.nonblocking,
            rcvtimeo: opts.rcvtimeo,
            sndtimeo: opts.sndtimeo,
        };
        let name = self.name.clone();
        self.world.update(|s| s.listeners.insert(name, entry));
        self.listener = Some(Listener { sock, opts });
        self.last_listen = Some((addr.clone(), kind, backlog));
        Ok(Some(format!(
            "listening on {}{applied}",
            net::addr_key(&addr)
        )))
    }

    fn connect(&mut self, step: &Step, to: Option<&str>, deadline: Instant) -> Observed {
        let t0 = Instant::now();
        let target = match to.or(step.on.as_deref()) {
            Some(t) => Ok(t.to_string()),
            None => self.only_listener(deadline),
        };
        let target = match target {
            Ok(t) => t,
            Err(end) => {
                return self.waited(step, t0, Err(end), "connect (waiting for a listener)");
            }
        };
        let entry = match self.listener_of(step, t0, deadline, &target) {
            Ok(entry) => entry,
            Err(observed) => return observed,
        };
        let mut seq = None;
        let result = self.connect_to(&entry, &target, deadline, &mut seq);
        let mut ev = self.event(step, Op::Connect, t0);
        ev.peer = Some(target.clone());
        let observed = match result {
            Ok(detail) => {
                ev.detail = Some(detail);
                Observed::Done
            }
            Err(e) => call_failed(&mut ev, e, "connect()"),
        };
        self.record(ev, seq, None);
        observed
    }

    /// `owner`'s listener, once it has one (within the deadline); what the step observed
    /// if it never came.
    fn listener_of(
        &self,
        step: &Step,
        t0: Instant,
        deadline: Instant,
        owner: &str,
    ) -> Result<ListenerEntry, Observed> {
        self.world
            .wait_for(deadline, |s| s.listeners.get(owner).cloned())
            .map_err(|end| {
                let verb = step.action.verb();
                self.waited(
                    step,
                    t0,
                    Err(end),
                    &format!("{verb} (waiting for {owner} to listen)"),
                )
            })
    }

    /// The actor whose listener a `connect` without `to` means: the only one that listens.
    fn only_listener(&self, deadline: Instant) -> Result<String, WaitEnd> {
        self.world.wait_for(deadline, |s| {
            let mut names = s.listeners.keys();
            match (names.next(), names.next()) {
                (Some(one), None) => Some(one.clone()),
                _ => None,
            }
        })
    }

    fn connect_to(
        &mut self,
        entry: &ListenerEntry,
        target: &str,
        deadline: Instant,
        seq: &mut Option<u64>,
    ) -> Result<String, CallError> {
        let sock = net::stream_socket(entry.kind)?;
        let mut opts = UserOpts::default();
        let applied = self.apply_pending(&sock, &mut opts)?;
        // A Unix client is unnamed unless bound; binding it to an abstract name lets the
        // acceptor tell who connected (`=> from client`).
        let pre_key = if entry.kind == StreamKind::Unix {
            let addr = self.unix_addr("conn")?;
            sock.bind(&addr)?;
            Some(net::addr_key(&addr))
        } else {
            None
        };
        let id = self.world.update(|s| {
            s.conns.push(super::world::ConnMeta {
                connector: self.name.clone(),
                listener_owner: target.to_string(),
                acceptor: None,
                state: super::world::ConnState::Connecting,
            });
            let id = s.conns.len() - 1;
            if let Some(key) = &pre_key {
                s.conn_by_addr.insert(key.clone(), id);
            }
            id
        });
        let connected = timed(&sock, opts, deadline, Direction::Write, || {
            sock.connect(&entry.addr)
        });
        // A nonblocking connect answers EINPROGRESS at once and completes in the
        // background (connect(2)): the socket is kept, as a program would keep it.
        let in_progress = match &connected {
            Err(CallError::Os(e)) => {
                opts.nonblocking && e.raw_os_error() == Some(libc::EINPROGRESS)
            }
            _ => false,
        };
        if !in_progress && let Err(e) = connected {
            // A connection that never was is not counted when connections are named.
            self.world
                .update(|s| s.conns[id].state = super::world::ConnState::Failed);
            return Err(e);
        }
        // Numbered now, before the acceptor can find this connection: the connect
        // always comes before the accept that answers it.
        *seq = Some(self.world.next_seq());
        let local = sock.local_addr()?;
        let key = net::addr_key(&local);
        self.world.update(|s| {
            s.conn_by_addr.insert(key.clone(), id);
            s.conns[id].state = super::world::ConnState::Connected;
        });
        self.conns.push(Conn {
            sock,
            opts,
            id,
            is_connector: true,
            peer: target.to_string(),
            sent: 0,
            received: 0,
            decoder: None,
        });
        self.current = Some(self.conns.len() - 1);
        if in_progress {
            return Err(CallError::Os(io::Error::from_raw_os_error(
                libc::EINPROGRESS,
            )));
        }
        Ok(format!("{key} -> {}{applied}", net::addr_key(&entry.addr)))
    }

    fn accept(&mut self, step: &Step, deadline: Instant) -> Observed {
        let t0 = Instant::now();
        let owner = step.on.clone().unwrap_or_else(|| self.name.clone());
        let entry = match self.listener_of(step, t0, deadline, &owner) {
            Ok(entry) => entry,
            Err(observed) => return observed,
        };
        let opts = UserOpts {
            nonblocking: entry.nonblocking,
            rcvtimeo: entry.rcvtimeo,
            sndtimeo: None,
        };
        let result = timed(&entry.sock, opts, deadline, Direction::Read, || {
            entry.sock.accept()
        });
        let mut ev = self.event(step, Op::Accept, t0);
        let observed = match result {
            Ok((sock, peer_addr)) => {
                let key = net::addr_key(&peer_addr);
                // The connector registers its address right after its connect() returns,
                // which may be a moment after our accept() did.
                let me = self.name.clone();
                // A connection whose connector gave up (its connect timed out while the
                // SYN was retried) never registers: it is accepted from an unknown peer
                // after a short wait rather than at the deadline.
                let patience = deadline.min(Instant::now() + PEER_PATIENCE);
                let found = self.world.wait_for(patience, |s| {
                    let id = *s.conn_by_addr.get(&key)?;
                    match s.conns[id].state {
                        super::world::ConnState::Connecting => None,
                        super::world::ConnState::Failed => Some(None),
                        super::world::ConnState::Connected => {
                            s.conns[id].acceptor = Some(me.clone());
                            Some(Some((id, s.conns[id].connector.clone())))
                        }
                    }
                });
                // Linux copies SO_RCVTIMEO and SO_SNDTIMEO from the listener to the
                // accepted socket, but not O_NONBLOCK (accept(2)).
                let mut conn_opts = UserOpts {
                    nonblocking: false,
                    rcvtimeo: entry.rcvtimeo,
                    sndtimeo: entry.sndtimeo,
                };
                let applied = match self.apply_pending(&sock, &mut conn_opts) {
                    Ok(applied) => applied,
                    Err(e) => {
                        let observed = os_error(&mut ev, &e);
                        self.record(ev, None, None);
                        return observed;
                    }
                };
                let (id, peer) = match found {
                    Ok(Some((id, connector))) => (id, Some(connector)),
                    Ok(None) | Err(_) => (usize::MAX, None),
                };
                ev.peer = peer.clone();
                ev.detail = Some(format!("from {key}{applied}"));
                self.conns.push(Conn {
                    sock,
                    opts: conn_opts,
                    id,
                    is_connector: false,
                    peer: peer.clone().unwrap_or_default(),
                    sent: 0,
                    received: 0,
                    decoder: None,
                });
                self.current = Some(self.conns.len() - 1);
                Observed::Accepted { peer }
            }
            Err(e) => call_failed(&mut ev, e, "accept()"),
        };
        self.record(ev, None, None);
        observed
    }

    fn bind_dgram(&mut self, kind: DgramKind) -> io::Result<String> {
        let sock = net::dgram_socket(kind)?;
        let mut opts = UserOpts::default();
        let applied = self.apply_pending(&sock, &mut opts)?;
        let addr = match kind {
            DgramKind::Udp => net::loopback_any_port(),
            DgramKind::UnixDgram => self.unix_addr("dgram")?,
        };
        sock.bind(&addr)?;
        let addr = sock.local_addr()?;
        let key = net::addr_key(&addr);
        let name = self.name.clone();
        self.world.update(|s| {
            s.dgrams.insert(name.clone(), (addr, kind));
            s.owners.insert(key.clone(), name);
        });
        self.dgram = Some(Dgram {
            sock,
            opts,
            sent: HashMap::new(),
            received: HashMap::new(),
        });
        Ok(format!("bound to {key}{applied}"))
    }

    fn set(&mut self, opt: SockOpt) -> io::Result<String> {
        if let SockOpt::MaxFrame(n) = opt {
            self.max_frame = n;
            return Ok(format!("max-frame {n}"));
        }
        if let Some(i) = self.current {
            let conn = &mut self.conns[i];
            conn.opts.note(opt);
            return net::apply_option(&conn.sock, opt);
        }
        if let Some(l) = &mut self.listener {
            l.opts.note(opt);
            let detail = net::apply_option(&l.sock, opt)?;
            let (name, opts) = (self.name.clone(), l.opts);
            self.world.update(|s| {
                if let Some(e) = s.listeners.get_mut(&name) {
                    e.nonblocking = opts.nonblocking;
                    e.rcvtimeo = opts.rcvtimeo;
                    e.sndtimeo = opts.sndtimeo;
                }
            });
            return Ok(detail);
        }
        if let Some(d) = &mut self.dgram {
            d.opts.note(opt);
            return net::apply_option(&d.sock, opt);
        }
        self.pending.push(opt);
        Ok(format!("{} (kept for the next socket)", opt.name()))
    }

    // ---- data ----------------------------------------------------------------------

    /// The connection a data step uses: `on PEER`, else the current one.
    fn conn_index(&self, step: &Step) -> io::Result<usize> {
        match &step.on {
            Some(peer) if step.action != Action::Accept => self
                .conns
                .iter()
                .rposition(|c| &c.peer == peer)
                .ok_or_else(|| usage(&format!("{} has no connection with {peer}", self.name))),
            _ => self.current.ok_or_else(|| {
                usage(&format!(
                    "{} has no connection: `connect` or `accept` first",
                    self.name
                ))
            }),
        }
    }

    fn link_of(conn: &Conn, outgoing: bool) -> Link {
        Link::Stream {
            conn: conn.id,
            from_connector: conn.is_connector == outgoing,
        }
    }

    fn send(
        &mut self,
        step: &Step,
        op: Op,
        bytes: &[u8],
        all: bool,
        deadline: Instant,
    ) -> Observed {
        let seq = self.world.next_seq();
        let t0 = Instant::now();
        let i = match self.conn_index(step) {
            Ok(i) => i,
            Err(e) => return self.done(step, t0, Some(seq), Err(e)),
        };
        let conn = &mut self.conns[i];
        let mut taken = 0usize;
        let mut calls = 0u64;
        let mut failure = None;
        loop {
            calls += 1;
            let r = timed(&conn.sock, conn.opts, deadline, Direction::Write, || {
                conn.sock.send_with_flags(&bytes[taken..], SEND_FLAGS)
            });
            match r {
                Ok(n) => taken += n,
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
            if !all || taken >= bytes.len() {
                break;
            }
        }
        let start = conn.sent;
        conn.sent += taken as u64;
        let link = Self::link_of(conn, true);
        let mut ev = self.event(step, op, t0);
        ev.requested = Some(bytes.len() as u64);
        ev.stream = Some((start, start + taken as u64));
        if all {
            ev.calls = Some(calls);
        }
        let observed = match failure {
            None => {
                ev.result = Some(taken as u64);
                Observed::Sent {
                    offered: bytes.len() as u64,
                    taken: taken as u64,
                }
            }
            Some(CallError::Timeout { user }) => {
                ev.timeout = true;
                // `result` is absent on a timeout (the JSON contract); what the kernel
                // took before it is still said, and counted in `stream`.
                if taken > 0 {
                    ev.detail = Some(format!("{taken} bytes taken before the timeout"));
                }
                Observed::Timeout {
                    user,
                    blocked_in: "send()".to_string(),
                }
            }
            Some(CallError::Os(e)) => {
                if taken > 0 {
                    ev.detail = Some(format!("{taken} bytes taken before the error"));
                }
                os_error(&mut ev, &e)
            }
        };
        self.world.count_sends(&self.name, calls);
        self.record(ev, Some(seq), Some(link));
        observed
    }

    /// One recv() call on connection `i`, recorded as its own event.
    fn recv_call(
        &mut self,
        step: &Step,
        i: usize,
        n: usize,
        deadline: Instant,
    ) -> Result<Vec<u8>, Observed> {
        let t0 = Instant::now();
        let conn = &mut self.conns[i];
        let before = net::queued_in(&conn.sock).ok();
        let buf = &mut self.buf;
        let r = timed(&conn.sock, conn.opts, deadline, Direction::Read, || {
            net::recv_once(&conn.sock, buf, n)
        });
        let after = net::queued_in(&conn.sock).ok();
        let link = Self::link_of(conn, false);
        let start = conn.received;
        let mut ev = self.event(step, Op::Recv, t0);
        ev.requested = Some(n as u64);
        ev.queued_before = before.map(|q| q as u64);
        ev.queued_after = after.map(|q| q as u64);
        self.world
            .count_recv(&self.name, r.as_ref().map_or(0, |&got| got as u64));
        let out = match r {
            Ok(got) => {
                let data = self.buf[..got].to_vec();
                self.conns[i].received += got as u64;
                ev.result = Some(got as u64);
                ev.eof = got == 0 && n > 0;
                ev.stream = Some((start, start + got as u64));
                ev.data = Some(data.clone());
                Ok(data)
            }
            Err(e) => Err(call_failed(&mut ev, e, "recv()")),
        };
        self.record(ev, None, Some(link));
        out
    }

    fn recv(&mut self, step: &Step, mode: RecvMode, deadline: Instant) -> Observed {
        let t0 = Instant::now();
        let i = match self.conn_index(step) {
            Ok(i) => i,
            Err(e) => return self.done(step, t0, None, Err(e)),
        };
        let mut all = Vec::new();
        loop {
            let want = match mode {
                RecvMode::Once(n) => n,
                RecvMode::Exactly(n) => n - all.len(),
                RecvMode::UntilEof => UNTIL_EOF_CHUNK,
            };
            let chunk = match self.recv_call(step, i, want, deadline) {
                Ok(chunk) => chunk,
                Err(observed) => return observed,
            };
            let eof = chunk.is_empty() && want > 0;
            all.extend_from_slice(&chunk);
            let done = match mode {
                RecvMode::Once(_) => true,
                RecvMode::Exactly(n) => eof || all.len() >= n,
                RecvMode::UntilEof => eof,
            };
            if done {
                return Observed::Data {
                    bytes: all,
                    eof,
                    peer: None,
                    truncated: false,
                };
            }
        }
    }

    fn recv_frame(
        &mut self,
        step: &Step,
        codec: Codec,
        chunk: usize,
        deadline: Instant,
    ) -> Observed {
        let t0 = Instant::now();
        let i = match self.conn_index(step) {
            Ok(i) => i,
            Err(e) => return self.done(step, t0, None, Err(e)),
        };
        let max_frame = self.max_frame;
        if !matches!(&self.conns[i].decoder, Some((c, m, _)) if *c == codec && *m == max_frame) {
            // A new codec or max-frame on this connection: bytes the old decoder read past
            // its last frame are the start of the next message, so they move over.
            let mut decoder = Decoder::new(codec, max_frame);
            if let Some((_, _, old)) = &mut self.conns[i].decoder {
                decoder.push(&old.take_unread());
            }
            self.conns[i].decoder = Some((codec, max_frame, decoder));
        }
        loop {
            let next = match &mut self.conns[i].decoder {
                Some((_, _, d)) => d.next_frame(),
                None => Ok(None),
            };
            match next {
                Ok(Some(body)) => {
                    let mut ev = self.event(step, Op::RecvFrame, t0);
                    ev.result = Some(body.len() as u64);
                    ev.data = Some(body.clone());
                    self.record(ev, None, None);
                    return Observed::Data {
                        bytes: body,
                        eof: false,
                        peer: None,
                        truncated: false,
                    };
                }
                Ok(None) => {}
                Err(e) => return self.frame_error(step, t0, &e),
            }
            let bytes = match self.recv_call(step, i, chunk, deadline) {
                Ok(b) => b,
                Err(observed) => return observed,
            };
            if bytes.is_empty() {
                let finished = match &self.conns[i].decoder {
                    Some((_, _, d)) => d.finish(),
                    None => Ok(()),
                };
                return match finished {
                    Ok(()) => {
                        let mut ev = self.event(step, Op::RecvFrame, t0);
                        ev.result = Some(0);
                        ev.eof = true;
                        self.record(ev, None, None);
                        Observed::Data {
                            bytes: Vec::new(),
                            eof: true,
                            peer: None,
                            truncated: false,
                        }
                    }
                    Err(e) => self.frame_error(step, t0, &e),
                };
            }
            if let Some((_, _, d)) = &mut self.conns[i].decoder {
                d.push(&bytes);
            }
        }
    }

    fn frame_error(&self, step: &Step, t0: Instant, e: &frame::FrameError) -> Observed {
        let mut ev = self.event(step, Op::RecvFrame, t0);
        ev.error = Some(e.name().to_string());
        ev.error_detail = Some(e.to_string());
        self.record(ev, None, None);
        Observed::Error(e.name().to_string())
    }

    fn send_to(&mut self, step: &Step, to: &str, bytes: &[u8], deadline: Instant) -> Observed {
        let t0 = Instant::now();
        let (addr, kind) = match self.world.wait_for(deadline, |s| s.dgrams.get(to).cloned()) {
            Ok(v) => v,
            Err(end) => {
                return self.waited(
                    step,
                    t0,
                    Err(end),
                    &format!("sendto (waiting for {to} to bind)"),
                );
            }
        };
        if self.dgram.is_none()
            && let Err(e) = self.bind_dgram(kind)
        {
            return self.done(step, t0, None, Err(e));
        }
        let seq = self.world.next_seq();
        let start_of_run = self.world.start();
        let Some(d) = self.dgram.as_mut() else {
            return self.done(step, t0, Some(seq), Err(usage("no datagram socket")));
        };
        let r = timed(&d.sock, d.opts, deadline, Direction::Write, || {
            d.sock.send_to_with_flags(bytes, &addr, SEND_FLAGS)
        });
        let offset = d.sent.entry(to.to_string()).or_default();
        let start = *offset;
        let mut ev = new_event(start_of_run, &self.name, step, Op::SendTo, t0);
        ev.requested = Some(bytes.len() as u64);
        ev.peer = Some(to.to_string());
        let observed = match r {
            Ok(n) => {
                *offset += n as u64;
                ev.result = Some(n as u64);
                ev.stream = Some((start, start + n as u64));
                Observed::Sent {
                    offered: bytes.len() as u64,
                    taken: n as u64,
                }
            }
            Err(e) => call_failed(&mut ev, e, "sendto()"),
        };
        self.world.count_sends(&self.name, 1);
        let link = Link::Dgram {
            sender: self.name.clone(),
            receiver: to.to_string(),
            sent: ev.result.is_some().then(|| bytes.to_vec()),
        };
        self.record(ev, Some(seq), Some(link));
        observed
    }

    fn recv_from(&mut self, step: &Step, n: usize, deadline: Instant) -> Observed {
        let t0 = Instant::now();
        let start_of_run = self.world.start();
        let Some(d) = self.dgram.as_mut() else {
            return self.done(
                step,
                t0,
                None,
                Err(usage("recvfrom needs a datagram socket: `bind udp` first")),
            );
        };
        let before = net::queued_in(&d.sock).ok();
        let buf = &mut self.buf;
        let r = timed(&d.sock, d.opts, deadline, Direction::Read, || {
            net::recv_from_once(&d.sock, buf, n)
        });
        let after = net::queued_in(&d.sock).ok();
        let mut ev = new_event(start_of_run, &self.name, step, Op::RecvFrom, t0);
        ev.requested = Some(n as u64);
        ev.queued_before = before.map(|q| q as u64);
        ev.queued_after = after.map(|q| q as u64);
        self.world
            .count_recv(&self.name, r.as_ref().map_or(0, |r| r.0 as u64));
        let mut link = None;
        let observed = match r {
            Ok((got, truncated, addr)) => {
                let key = net::addr_key(&addr);
                let peer = self.world.lock().owners.get(&key).cloned();
                let data = self.buf[..got].to_vec();
                ev.result = Some(got as u64);
                ev.truncated = truncated;
                ev.data = Some(data.clone());
                ev.peer = peer.clone();
                if let Some(p) = &peer {
                    let offset = d.received.entry(p.clone()).or_default();
                    ev.stream = Some((*offset, *offset + got as u64));
                    *offset += got as u64;
                    link = Some(Link::Dgram {
                        sender: p.clone(),
                        receiver: self.name.clone(),
                        sent: None,
                    });
                }
                Observed::Data {
                    bytes: data,
                    eof: false,
                    peer,
                    truncated,
                }
            }
            Err(e) => call_failed(&mut ev, e, "recvfrom()"),
        };
        self.record(ev, None, link);
        observed
    }

    // ---- kernel-state waits --------------------------------------------------------

    /// The socket a `wait readable`/`wait drained` looks at.
    fn watched(&self, step: &Step) -> io::Result<&Socket> {
        match self.conn_index(step) {
            Ok(i) => Ok(&self.conns[i].sock),
            Err(e) => self.dgram.as_ref().map(|d| &d.sock).ok_or(e),
        }
    }

    /// Until at least `n` bytes sit in the receive queue (FIONREAD). The kernel's own
    /// count, not a sleep, is what makes "the bytes are all queued" certain.
    fn wait_readable(&mut self, step: &Step, n: usize, deadline: Instant) -> Observed {
        let t0 = Instant::now();
        let sock = match self.watched(step) {
            Ok(s) => s,
            Err(e) => return self.done(step, t0, None, Err(e)),
        };
        let mut backoff = Backoff::default();
        let result = loop {
            match net::queued_in(sock) {
                Ok(q) if q >= n => break Ok(Some(format!("{q} bytes queued"))),
                Ok(q) => {
                    if self.world.is_aborted() {
                        break Err(WaitEnd::Aborted);
                    }
                    let now = Instant::now();
                    if now >= deadline {
                        break Err(WaitEnd::Deadline);
                    }
                    if q == 0 {
                        // Sleep in the kernel until the first byte (or a FIN) arrives.
                        match net::poll_readable(
                            sock,
                            (deadline - now).min(Duration::from_millis(20)),
                        ) {
                            Ok(true) if net::queued_in(sock).ok() == Some(0) => {
                                backoff.pause(deadline - now);
                            }
                            Ok(_) => {}
                            Err(e) => return self.done(step, t0, None, Err(e)),
                        }
                    } else {
                        backoff.pause(deadline - now);
                    }
                }
                Err(e) => return self.done(step, t0, None, Err(e)),
            }
        };
        self.waited(step, t0, result, &format!("wait readable {n} (FIONREAD)"))
    }

    /// Until every byte that has left is acknowledged: SIOCOUTQ (unacknowledged + unsent)
    /// equals SIOCOUTQNSD (unsent). Bytes the peer's closed window keeps in our queue may
    /// stay; once this holds, no ACK is on its way to free room in the send buffer.
    fn wait_acked(&mut self, step: &Step, deadline: Instant) -> Observed {
        self.wait_on_kernel(
            step,
            deadline,
            "wait acked (SIOCOUTQ, SIOCOUTQNSD)",
            |sock| {
                let (queued, unsent) = (net::queued_out(sock)?, net::unsent(sock)?);
                Ok((queued <= unsent).then(|| format!("{unsent} bytes unsent, none in flight")))
            },
        )
    }

    /// Until the send queue is empty: every byte sent and acknowledged (SIOCOUTQ = 0).
    fn wait_drained(&mut self, step: &Step, deadline: Instant) -> Observed {
        self.wait_on_kernel(step, deadline, "wait drained (SIOCOUTQ)", |sock| {
            Ok((net::queued_out(sock)? == 0).then(String::new))
        })
    }

    /// Looks at a kernel count of the watched socket until `ready` says it is there
    /// (with a detail for the event; empty for none), the deadline passes, or the run is
    /// aborted.
    fn wait_on_kernel(
        &mut self,
        step: &Step,
        deadline: Instant,
        blocked_in: &str,
        ready: impl Fn(&Socket) -> io::Result<Option<String>>,
    ) -> Observed {
        let t0 = Instant::now();
        let sock = match self.watched(step) {
            Ok(s) => s,
            Err(e) => return self.done(step, t0, None, Err(e)),
        };
        let mut backoff = Backoff::default();
        let result = loop {
            match ready(sock) {
                Ok(Some(detail)) => break Ok(Some(detail).filter(|d| !d.is_empty())),
                Ok(None) => {
                    if self.world.is_aborted() {
                        break Err(WaitEnd::Aborted);
                    }
                    let now = Instant::now();
                    if now >= deadline {
                        break Err(WaitEnd::Deadline);
                    }
                    backoff.pause(deadline - now);
                }
                Err(e) => return self.done(step, t0, None, Err(e)),
            }
        };
        self.waited(step, t0, result, blocked_in)
    }
}

/// Pauses between two looks at a kernel count. On loopback the awaited bytes or ACK are
/// usually microseconds away, so the first looks come after a short spin (see [`Spin`]);
/// after that the naps grow to a millisecond, so a long wait costs little.
struct Backoff {
    spin: Spin,
    nap: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            spin: Spin::default(),
            nap: Duration::from_micros(20),
        }
    }
}

impl Backoff {
    fn pause(&mut self, remaining: Duration) {
        if !self.spin.again() {
            std::thread::sleep(self.nap.min(remaining));
            self.nap = (self.nap * 2).min(Duration::from_millis(1));
        }
    }
}

/// An event of `step`, begun at `t0` and ending now.
fn new_event(start: Instant, actor: &str, step: &Step, op: Op, t0: Instant) -> Event {
    Event {
        t: t0.saturating_duration_since(start),
        dur: t0.elapsed(),
        actor: actor.to_string(),
        line: step.line,
        op,
        verb: op_of(&step.action),
        call: step.text.clone(),
        ..Event::default()
    }
}

/// The lines of `actor`'s `set` steps whose next step of the same actor in file order
/// (after any other `set`) creates a socket. "Set before listen/connect applies before
/// bind/connect", also for an actor that already holds other sockets.
fn sets_before_a_socket(body: &[Item], actor: &str) -> HashSet<u32> {
    fn flatten<'a>(items: &'a [Item], actor: &str, out: &mut Vec<&'a Step>) {
        for item in items {
            match item {
                Item::Step(s) if s.actor == actor => out.push(s),
                Item::Step(_) => {}
                Item::Repeat(block) => flatten(&block.body, actor, out),
            }
        }
    }
    let mut steps = Vec::new();
    flatten(body, actor, &mut steps);
    let mut lines = HashSet::new();
    let mut sets = Vec::new();
    for step in steps {
        match step.action {
            Action::Set(_) => sets.push(step.line),
            Action::Listen { .. }
            | Action::ListenAgain
            | Action::Connect { .. }
            | Action::Bind(_) => {
                lines.extend(sets.drain(..));
            }
            _ => sets.clear(),
        }
    }
    lines
}

fn has_steps_of(items: &[Item], actor: &str) -> bool {
    items.iter().any(|item| match item {
        Item::Step(s) => s.actor == actor,
        Item::Repeat(r) => has_steps_of(&r.body, actor),
    })
}

#[derive(Clone, Copy)]
enum Direction {
    Read,
    Write,
}

/// Runs one blocking socket call bounded by the step's deadline (and the user's own
/// rcvtimeo/sndtimeo, whichever ends first) through the kernel's SO_RCVTIMEO /
/// SO_SNDTIMEO, so the call itself is exactly the one the scenario names. A nonblocking
/// socket is called as it is: EAGAIN is its answer, not a timeout.
fn timed<T>(
    sock: &Socket,
    opts: UserOpts,
    deadline: Instant,
    direction: Direction,
    call: impl FnOnce() -> io::Result<T>,
) -> Result<T, CallError> {
    if opts.nonblocking {
        return call().map_err(CallError::Os);
    }
    let remaining = deadline.saturating_duration_since(Instant::now());
    if remaining.is_zero() {
        return Err(CallError::Timeout { user: false });
    }
    let user = match direction {
        Direction::Read => opts.rcvtimeo,
        Direction::Write => opts.sndtimeo,
    };
    let (limit, by_user) = match user {
        Some(u) if u < remaining => (u, true),
        _ => (remaining, false),
    };
    match direction {
        Direction::Read => net::set_call_timeouts(sock, Some(limit), None)?,
        Direction::Write => net::set_call_timeouts(sock, None, Some(limit))?,
    }
    match call() {
        Ok(v) => Ok(v),
        // A blocking call that hit SO_RCVTIMEO/SO_SNDTIMEO fails with EAGAIN; a connect
        // that did with EINPROGRESS (socket(7), connect(2)).
        Err(e)
            if e.kind() == io::ErrorKind::WouldBlock
                || e.raw_os_error() == Some(libc::EINPROGRESS) =>
        {
            Err(CallError::Timeout { user: by_user })
        }
        Err(e) => Err(CallError::Os(e)),
    }
}

/// Records a socket call that timed out or failed, and what its step observed.
fn call_failed(ev: &mut Event, e: CallError, call: &str) -> Observed {
    match e {
        CallError::Timeout { user } => {
            ev.timeout = true;
            Observed::Timeout {
                user,
                blocked_in: call.to_string(),
            }
        }
        CallError::Os(e) => os_error(ev, &e),
    }
}

fn os_error(ev: &mut Event, e: &io::Error) -> Observed {
    let name = errno::name_of(e);
    ev.error = Some(name.clone());
    ev.error_detail = Some(errno::detail_of(e));
    Observed::Error(name)
}

/// A step that needs a socket the actor does not have (named ENOTCONN).
fn usage(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::NotConnected, message.to_string())
}

/// A step that cannot be carried out as written for another reason (named EINVAL).
fn misuse(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message.to_string())
}
