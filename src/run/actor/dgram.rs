//! Datagram sockets: bind, sendto, recvfrom.

use std::collections::HashMap;
use std::io;
use std::net::{Ipv6Addr, SocketAddr};
use std::time::Instant;

use socket2::SockAddr;

use super::call::{Direction, SEND_FLAGS, call_failed, timed, usage};
use super::options::UserOpts;
use super::{Actor, Dgram, new_event};
use crate::net;
use crate::record::Op;
use crate::run::expect::{Got, Observed};
use crate::run::world::Link;
use crate::scenario::ast::{Action, DgramKind, Item, Step, Target, steps};

impl Actor<'_> {
    /// `bind udp [on ADDRESS]`, `bind unix-dgram`: the actor's datagram socket, known to
    /// the others by its name and by its address.
    pub(super) fn bind_dgram(
        &mut self,
        kind: DgramKind,
        at: Option<SocketAddr>,
    ) -> io::Result<String> {
        let addr = match (kind, at) {
            (DgramKind::Udp, Some(at)) => {
                let at = SockAddr::from(at);
                self.check_address(&at)?;
                at
            }
            (DgramKind::Udp, None) => net::any_port(self.world.home_ip(&self.name)),
            (DgramKind::UnixDgram, _) => self.unix_addr("dgram")?,
        };
        self.bind_dgram_at(kind, addr)
    }

    fn bind_dgram_at(&mut self, kind: DgramKind, addr: SockAddr) -> io::Result<String> {
        let sock = net::dgram_socket_for(kind, &addr)?;
        let mut opts = UserOpts::default();
        let applied = self.apply_pending(&sock, &mut opts)?;
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

    /// `sendto ACTOR VALUE` (once the actor has bound), or `sendto HOST:PORT VALUE`:
    /// to an actor that says it binds there (`bind udp on`), once it has, else at once,
    /// as a program would (nothing bound there: the datagram is dropped, udp(7)).
    pub(super) fn send_to(
        &mut self,
        step: &Step,
        to: &Target,
        bytes: &[u8],
        deadline: Instant,
    ) -> Observed {
        let t0 = Instant::now();
        let (to, addr, kind) = match to {
            Target::Actor(name) => {
                match self
                    .world
                    .wait_for(deadline, |s| s.dgrams.get(name).cloned())
                {
                    Ok((addr, kind)) => (name.clone(), addr, kind),
                    Err(end) => {
                        return self.waited(
                            step,
                            t0,
                            Err(end),
                            &format!("sendto (waiting for {name} to bind)"),
                        );
                    }
                }
            }
            Target::Addr(at) => {
                let addr = SockAddr::from(*at);
                if let Err(e) = self.check_address(&addr) {
                    return self.done(step, t0, Err(e));
                }
                let key = net::addr_key(&addr);
                let name = match binds_at(self.body, *at) {
                    Some(owner) => {
                        let bound = self.world.wait_for(deadline, |s| {
                            s.owners.get(&key).filter(|o| **o == owner).cloned()
                        });
                        match bound {
                            Ok(owner) => owner,
                            Err(end) => {
                                return self.waited(
                                    step,
                                    t0,
                                    Err(end),
                                    &format!("sendto (waiting for {owner} to bind {key})"),
                                );
                            }
                        }
                    }
                    None => key,
                };
                (name, addr, DgramKind::Udp)
            }
        };
        let to = to.as_str();
        if self.dgram.is_none() {
            let own = match kind {
                // An IPv6 socket for an IPv6 address.
                DgramKind::Udp if addr.is_ipv6() => net::any_port(Ipv6Addr::LOCALHOST.into()),
                DgramKind::Udp => net::any_port(self.world.home_ip(&self.name)),
                DgramKind::UnixDgram => match self.unix_addr("dgram") {
                    Ok(own) => own,
                    Err(e) => return self.done(step, t0, Err(e)),
                },
            };
            if let Err(e) = self.bind_dgram_at(kind, own) {
                return self.done(step, t0, Err(e));
            }
        }
        let start_of_run = self.world.start();
        let Some(d) = self.dgram.as_mut() else {
            return self.done(step, t0, Err(usage("no datagram socket")));
        };
        let r = timed(
            self.world,
            &d.sock,
            &mut d.opts,
            deadline,
            Direction::Write,
            || d.sock.send_to_with_flags(bytes, &addr, SEND_FLAGS),
        );
        let offset = d.sent.entry(to.to_string()).or_default();
        let start = *offset;
        let mut ev = new_event(start_of_run, step, Op::SendTo, t0);
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
        self.counts.sends += 1;
        let link = Link::Dgram {
            sender: self.name.clone(),
            receiver: to.to_string(),
            sent: ev.result.is_some().then(|| bytes.to_vec()),
        };
        self.record(ev, Some(link));
        observed
    }

    pub(super) fn recv_from(&mut self, step: &Step, n: usize, deadline: Instant) -> Observed {
        let t0 = Instant::now();
        let start_of_run = self.world.start();
        let Some(d) = self.dgram.as_mut() else {
            return self.done(
                step,
                t0,
                Err(usage("recvfrom needs a datagram socket: `bind udp` first")),
            );
        };
        let before = net::queued_in(&d.sock).ok();
        let buf = &mut self.buf;
        let r = timed(
            self.world,
            &d.sock,
            &mut d.opts,
            deadline,
            Direction::Read,
            || net::recv_from_once(&d.sock, buf, n),
        );
        let after = net::queued_in(&d.sock).ok();
        let mut ev = new_event(start_of_run, step, Op::RecvFrom, t0);
        ev.requested = Some(n as u64);
        ev.queued_before = before.map(|q| q as u64);
        ev.queued_after = after.map(|q| q as u64);
        let got = r.as_ref().map_or(0, |r| r.0 as u64);
        self.counts.recvs += 1;
        self.counts.largest_recv = self.counts.largest_recv.max(got);
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
                    bytes: Got::whole(data),
                    eof: false,
                    peer,
                    truncated,
                }
            }
            Err(e) => call_failed(&mut ev, e, "recvfrom()"),
        };
        self.record(ev, link);
        observed
    }
}

/// The actor that says it binds a datagram socket at `addr` (`bind udp on`), if one
/// does (port 0 names no one).
fn binds_at(body: &[Item], addr: SocketAddr) -> Option<String> {
    steps(body)
        .find(|step| {
            matches!(step.action, Action::Bind { at: Some(at), .. } if at == addr && at.port() != 0)
        })
        .map(|step| step.actor.clone())
}
