//! Stream connections: listen, connect, accept, and which connection a step uses.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use socket2::SockAddr;

use super::call::{CallError, Direction, call_failed, misuse, os_error, timed, usage};
use super::options::UserOpts;
use super::{Actor, Conn, Listener};
use crate::net;
use crate::record::Op;
use crate::run::expect::Observed;
use crate::run::world::{ConnMeta, ConnState, Link, ListenerEntry, WaitEnd};
use crate::scenario::ast::{Action, Item, Step, StreamKind, Target, steps};

/// How long an accept waits for the connecting actor to say who it is (it does so right
/// after its connect() returns, which may be a moment after accept() did).
pub(super) const PEER_PATIENCE: Duration = Duration::from_secs(1);

impl Actor<'_> {
    // ---- setup ---------------------------------------------------------------------

    /// A fresh unique abstract Unix address for this actor.
    pub(super) fn unix_addr(&mut self, what: &str) -> io::Result<SockAddr> {
        self.unix_names += 1;
        // sun_path holds 108 bytes; the actor's name is there for people reading `ss -x`,
        // the run tag and the counter keep the address unique.
        let short: String = self.name.chars().take(32).collect();
        net::abstract_unix_addr(&format!(
            "{}-{short}-{what}{}",
            self.world.run_tag, self.unix_names
        ))
    }

    /// `listen`: a new socket bound to `at` (`listen on`, `listen again`) or to
    /// 127.0.0.1 and a port the kernel picks; or, after `bind tcp`, that socket.
    pub(super) fn listen(
        &mut self,
        kind: StreamKind,
        backlog: u32,
        at: Option<SockAddr>,
    ) -> io::Result<Option<String>> {
        let backlog = i32::try_from(backlog).unwrap_or(i32::MAX);
        if at.is_none()
            && kind == StreamKind::Tcp
            && let Some(bound) = self.listener.as_mut().filter(|l| !l.listening)
        {
            // `bind tcp` then `listen`: s.bind(...); s.listen(5), as the tutorials write.
            bound.sock.listen(backlog)?;
            bound.listening = true;
            let addr = bound.sock.local_addr()?;
            self.last_listen = Some((addr.clone(), kind, u32::try_from(backlog).unwrap_or(0)));
            return Ok(Some(format!("listening on {}", net::addr_key(&addr))));
        }
        let addr = match at {
            Some(addr) => {
                self.check_address(&addr)?;
                addr
            }
            None => match kind {
                StreamKind::Tcp => net::any_port(self.world.home_ip(&self.name)),
                StreamKind::Unix => self.unix_addr("listen")?,
            },
        };
        let sock = net::stream_socket_for(kind, &addr)?;
        let mut opts = UserOpts::default();
        let applied = self.apply_pending(&sock, &mut opts)?;
        sock.bind(&addr)?;
        sock.listen(backlog)?;
        let addr = self.register_listener(sock, opts, kind, true)?;
        self.last_listen = Some((addr.clone(), kind, u32::try_from(backlog).unwrap_or(0)));
        Ok(Some(format!(
            "listening on {}{applied}",
            net::addr_key(&addr)
        )))
    }

    /// `bind tcp [on ADDRESS]`: a TCP socket bound and not listening. Its port is taken
    /// and nothing listens there, so a connect to it is refused (ECONNREFUSED, tcp(7))
    /// even while other programs run: a closed port that stays closed. A later `listen`
    /// of the actor listens on it.
    pub(super) fn bind_tcp(&mut self, at: Option<SocketAddr>) -> io::Result<String> {
        let addr = match at {
            Some(at) => {
                let at = SockAddr::from(at);
                self.check_address(&at)?;
                at
            }
            None => net::any_port(self.world.home_ip(&self.name)),
        };
        let sock = net::stream_socket_for(StreamKind::Tcp, &addr)?;
        let mut opts = UserOpts::default();
        let applied = self.apply_pending(&sock, &mut opts)?;
        sock.bind(&addr)?;
        let addr = self.register_listener(sock, opts, StreamKind::Tcp, false)?;
        Ok(format!(
            "bound to {}, not listening{applied}",
            net::addr_key(&addr)
        ))
    }

    /// Makes `sock` the actor's listener, known to the others by the actor's name (a
    /// `bind tcp` socket too: a connect to it is refused). Returns its address.
    fn register_listener(
        &mut self,
        sock: socket2::Socket,
        opts: UserOpts,
        kind: StreamKind,
        listening: bool,
    ) -> io::Result<SockAddr> {
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
        self.listener = Some(Listener {
            sock,
            opts,
            listening,
        });
        Ok(addr)
    }

    /// An address of the scenario's own (`on`, `to`) the run may use: loopback, or
    /// anything with `--allow-remote`. The app checks them before the run; this is the
    /// last word before a socket is bound or a packet could leave.
    pub(super) fn check_address(&self, addr: &SockAddr) -> io::Result<()> {
        match addr.as_socket() {
            Some(at) if !self.world.may_use(at.ip()) => Err(misuse(net::addr::not_own(at).en())),
            _ => Ok(()),
        }
    }

    pub(super) fn connect(
        &mut self,
        step: &Step,
        to: Option<&Target>,
        deadline: Instant,
    ) -> Observed {
        let t0 = Instant::now();
        let (target, kind, addr) = match self.connect_target(step, to, t0, deadline) {
            Ok(found) => found,
            Err(observed) => return observed,
        };
        let result = self.connect_to(kind, &addr, &target, deadline);
        let mut ev = self.event(step, Op::Connect, t0);
        ev.peer = Some(target);
        let observed = match result {
            Ok(detail) => {
                ev.detail = Some(detail);
                Observed::Done
            }
            Err(e) => call_failed(&mut ev, e, "connect()"),
        };
        self.record(ev, None);
        observed
    }

    /// Whom a `connect` goes to (an actor's name, or the address itself), and where.
    ///
    /// - `connect to HOST:PORT`: an actor of the scenario that says it listens there
    ///   (`listen on PORT`) is waited for, as `connect to ACTOR` waits, so the file's
    ///   order does not matter, and is connected to where it really listens (under
    ///   --net veth, its namespace's address); any other address is connected to at
    ///   once, as a program would: nothing listening there is ECONNREFUSED.
    /// - `connect to ACTOR`, `connect on ACTOR`, or the only actor that listens: a
    ///   program outside the lab (`--peer`) at its address, else the actor's listener
    ///   once it has one.
    ///
    /// What the step observed when the wait for a listener ended first.
    fn connect_target(
        &self,
        step: &Step,
        to: Option<&Target>,
        t0: Instant,
        deadline: Instant,
    ) -> Result<(String, StreamKind, SockAddr), Observed> {
        let name = match to {
            Some(Target::Addr(addr)) => match listens_at(self.body, *addr) {
                Some(owner) => owner,
                None => return Ok((addr.to_string(), StreamKind::Tcp, SockAddr::from(*addr))),
            },
            Some(Target::Actor(actor)) => actor.clone(),
            None => match &step.on {
                Some(on) => on.clone(),
                None => self.only_listener(deadline).map_err(|end| {
                    self.waited(step, t0, Err(end), "connect (waiting for a listener)")
                })?,
            },
        };
        if let Some(addr) = self.world.peer(&name) {
            // A program outside the lab (`--peer`) listens there already.
            return Ok((name, StreamKind::Tcp, SockAddr::from(addr)));
        }
        let entry = self.listener_of(step, t0, deadline, &name)?;
        Ok((name, entry.kind, entry.addr))
    }

    /// The program outside the lab (`--peer ACTOR`) a connection accepted from an
    /// unknown address is from: the first whose connects (its `connect` lines, each
    /// once) are not all taken yet.
    fn outside_connector(&self) -> Option<String> {
        let clients = self.world.outside_clients();
        if clients.is_empty() {
            return None;
        }
        let taken = self.world.update(|s| {
            clients
                .iter()
                .map(|c| {
                    s.conns
                        .iter()
                        .filter(|m| m.connector_outside && &m.connector == c)
                        .count()
                })
                .collect::<Vec<_>>()
        });
        let mut fallback = None;
        for (client, taken) in clients.iter().zip(taken) {
            let connects = steps(self.body)
                .filter(|step| {
                    &step.actor == client && matches!(step.action, Action::Connect { .. })
                })
                .count();
            if taken < connects {
                return Some(client.clone());
            }
            fallback.get_or_insert(client);
        }
        fallback.cloned()
    }

    /// `owner`'s listener, once it has one (within the deadline); what the step observed
    /// if it never came.
    pub(super) fn listener_of(
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

    /// The actor whose listener a `connect` without `to` means: the only one that listens
    /// (a program outside the lab, `--peer`, listens from the start).
    pub(super) fn only_listener(&self, deadline: Instant) -> Result<String, WaitEnd> {
        self.world.wait_for(deadline, |s| {
            let mut names = s.listeners.keys().chain(self.world.peer_names());
            match (names.next(), names.next()) {
                (Some(one), None) => Some(one.clone()),
                _ => None,
            }
        })
    }

    /// Connects a new socket of `kind` to `addr`, where `target` listens.
    pub(super) fn connect_to(
        &mut self,
        kind: StreamKind,
        addr: &SockAddr,
        target: &str,
        deadline: Instant,
    ) -> Result<String, CallError> {
        self.check_address(addr)?;
        let sock = net::stream_socket_for(kind, addr)?;
        let mut opts = UserOpts::default();
        let applied = self.apply_pending(&sock, &mut opts)?;
        // A Unix client is unnamed unless bound; binding it to an abstract name lets the
        // acceptor tell who connected (`=> from client`).
        let pre_key = if kind == StreamKind::Unix {
            let addr = self.unix_addr("conn")?;
            sock.bind(&addr)?;
            Some(net::addr_key(&addr))
        } else {
            None
        };
        // Who accepts is outside the lab: a program given with --peer, or an address
        // no actor of the scenario listens on.
        let outside = self.world.peer(target).is_some() || target.parse::<SocketAddr>().is_ok();
        let id = self.world.update(|s| {
            s.conns.push(ConnMeta {
                connector: self.name.clone(),
                listener_owner: target.to_string(),
                // A program outside the lab accepts on its own: it is the acceptor.
                acceptor: outside.then(|| target.to_string()),
                outside,
                connector_outside: false,
                state: ConnState::Connecting,
            });
            let id = s.conns.len() - 1;
            if let Some(key) = &pre_key {
                s.conn_by_addr.insert(key.clone(), id);
            }
            id
        });
        let connected = timed(
            self.world,
            &sock,
            &mut opts,
            deadline,
            Direction::Write,
            || sock.connect(addr),
        );
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
            self.world.update(|s| s.conns[id].state = ConnState::Failed);
            return Err(e);
        }
        let local = sock.local_addr()?;
        let key = net::addr_key(&local);
        self.world.update(|s| {
            s.conn_by_addr.insert(key.clone(), id);
            s.conns[id].state = ConnState::Connected;
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
            segments: None,
            no_segments: false,
        });
        self.current = Some(self.conns.len() - 1);
        if in_progress {
            return Err(CallError::Os(io::Error::from_raw_os_error(
                libc::EINPROGRESS,
            )));
        }
        Ok(format!("{key} -> {}{applied}", net::addr_key(addr)))
    }

    pub(super) fn accept(&mut self, step: &Step, deadline: Instant) -> Observed {
        let t0 = Instant::now();
        let owner = step.on.clone().unwrap_or_else(|| self.name.clone());
        let entry = match self.listener_of(step, t0, deadline, &owner) {
            Ok(entry) => entry,
            Err(observed) => return observed,
        };
        // The listener may be another actor's: what its SO_RCVTIMEO is now is not
        // known here (`kernel` unknown), so the call sets it.
        let mut opts = UserOpts {
            nonblocking: entry.nonblocking,
            rcvtimeo: entry.rcvtimeo,
            sndtimeo: None,
            kernel: [None; 2],
        };
        let result = timed(
            self.world,
            &entry.sock,
            &mut opts,
            deadline,
            Direction::Read,
            || entry.sock.accept(),
        );
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
                // A program outside the lab that connects (`--peer ACTOR`) never
                // registers: with no actor of the lab connecting, the connection is its
                // at once; beside actors of the lab, once the patience is over.
                let outsider = self.outside_connector();
                let patience = match &outsider {
                    Some(_) if !lab_connects(self.body, self.world) => Instant::now(),
                    _ => deadline.min(Instant::now() + PEER_PATIENCE),
                };
                let found = self.world.wait_for(patience, |s| {
                    let id = *s.conn_by_addr.get(&key)?;
                    match s.conns[id].state {
                        ConnState::Connecting => None,
                        ConnState::Failed => Some(None),
                        ConnState::Connected => {
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
                    kernel: [None; 2],
                };
                let applied = match self.apply_pending(&sock, &mut conn_opts) {
                    Ok(applied) => applied,
                    Err(e) => {
                        let observed = os_error(&mut ev, &e);
                        self.record(ev, None);
                        return observed;
                    }
                };
                let (id, peer) = match (found, outsider) {
                    (Ok(Some((id, connector))), _) => (id, Some(connector)),
                    (Ok(None) | Err(_), Some(outsider)) => {
                        let id = self.world.update(|s| {
                            s.conns.push(ConnMeta {
                                connector: outsider.clone(),
                                listener_owner: me.clone(),
                                acceptor: Some(me.clone()),
                                state: ConnState::Connected,
                                outside: false,
                                connector_outside: true,
                            });
                            s.conns.len() - 1
                        });
                        (id, Some(outsider))
                    }
                    (Ok(None) | Err(_), None) => (usize::MAX, None),
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
                    segments: None,
                    no_segments: false,
                });
                self.current = Some(self.conns.len() - 1);
                Observed::Accepted { peer }
            }
            Err(e) => call_failed(&mut ev, e, "accept()"),
        };
        self.record(ev, None);
        observed
    }

    // ---- data ----------------------------------------------------------------------

    /// The connection a data step uses: `on PEER`, else the current one.
    pub(super) fn conn_index(&self, step: &Step) -> io::Result<usize> {
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

    pub(super) fn link_of(conn: &Conn, outgoing: bool) -> Link {
        Link::Stream {
            conn: conn.id,
            from_connector: conn.is_connector == outgoing,
        }
    }
}

/// The actor that says it listens at `addr` (`listen on`, `bind tcp on`), if one does.
/// An address of port 0 names no one: the kernel picks a port for it.
fn listens_at(body: &[Item], addr: SocketAddr) -> Option<String> {
    steps(body)
        .find(|step| match step.action {
            Action::Listen { at: Some(at), .. } | Action::BindTcp { at: Some(at) } => {
                at == addr && at.port() != 0
            }
            _ => false,
        })
        .map(|step| step.actor.clone())
}

/// Whether an actor of the lab (not a program outside it) connects anywhere.
fn lab_connects(body: &[Item], world: &crate::run::world::World) -> bool {
    steps(body)
        .any(|step| matches!(step.action, Action::Connect { .. }) && !world.is_outside(&step.actor))
}
