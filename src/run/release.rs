//! Events from the actors to the sink while the run goes on, in `seq` order.
//!
//! An event is numbered when its call completes and is recorded ([`World::record`]), so
//! events come in `seq` order. What the release adds on the way is each event's
//! connection name and, for a recv, the sends its bytes came from. Completion order
//! means a recv may come *before* those sends: on loopback the sender's send() puts the
//! bytes in the receiver's queue and wakes it, and the recv can return (and be
//! numbered) before the send() does. So the release notes every send the moment it
//! comes, and holds an event at the head of the line until what it needs is in:
//!
//! - a stream recv that got bytes `a..b`: until the sends recorded on its direction
//!   reach `b` (`from` then names them, with their numbers, higher or lower);
//! - an eof: until the `close`/`shutdown` that sent the FIN is recorded, or the
//!   receiver's own `shutdown read` (its `cause`);
//! - a `recvfrom`: until the `sendto` of its datagram is recorded;
//! - an event on a connection not yet named: until its acceptor is known.
//!
//! Each of these is sure to come: the call it waits for has already done its work in
//! the kernel and is only returning. Nothing here blocks an actor; the events behind a
//! held one wait in a [`Held`] queue, at most [`BUDGET`](super::spill::BUDGET) bytes of them in memory
//! and the rest in a temporary file (a 60 MiB `sendall` holds back the 60,000 recvs that
//! read it until it returns). Besides the held events, the release keeps per direction
//! of traffic the byte ranges of the sends not yet wholly received (no data), its FIN,
//! and the datagrams not yet matched (at most [`MAX_UNMATCHED_DATAGRAMS`]). When the run
//! ends, whatever is still held is handed over as it is ([`Release::finish`]).
//!
//! [`World::record`]: super::world::World::record

use std::collections::{HashMap, HashSet, VecDeque};

use super::provenance::provenance;
use super::spill::Held;
use super::verdict::verdict;
use super::world::{ConnMeta, ConnState, Link, RawEvent};
use crate::record::{Provenance, Sink};
use crate::scenario::Scenario;
use crate::scenario::ast::steps;

/// How many datagrams per direction are kept for matching before the oldest are let go:
/// far more than any receive queue holds (a UDP socket queues at most `rcvbuf` bytes,
/// a few hundred small datagrams by default, udp(7); a Unix datagram socket ten,
/// unix(7)), so a datagram let go could not have been received anyway.
pub(crate) const MAX_UNMATCHED_DATAGRAMS: usize = 4096;

/// The name of each direction of one connection: `(connector>acceptor,
/// acceptor>connector)`, or none for a connection that never was.
type Names = Option<(String, String)>;

/// A datagram sent and not yet received: its send's `seq`, where it starts in its
/// direction's stream, and its bytes.
struct Sent {
    seq: u64,
    start: u64,
    bytes: Vec<u8>,
}

/// One direction of a stream connection, as far as its events have come.
#[derive(Default)]
struct Direction {
    /// Sends not yet wholly received: `(start, end, seq)`, in stream order (one actor
    /// sends on a direction, one call after the other).
    sends: VecDeque<(u64, u64, u64)>,
    /// How far the recorded sends reach in the stream.
    sent: u64,
    /// The sends whose bytes the kernel held (Nagle, cork): not sent when the call
    /// returned (TCP_INFO), by seq, while their bytes are not all received.
    held: HashSet<u64>,
    /// The sender's `close` or `shutdown write|both`: its FIN.
    fin: Option<u64>,
    /// The receiver's own `shutdown read|both`.
    shut_read: Option<u64>,
}

#[derive(Default)]
pub(crate) struct Release {
    /// Events taken and not yet handed over, in `seq` order.
    held: Held,
    /// Connection names, by connection index, once known.
    names: Vec<Option<Names>>,
    /// How many connections each pair of actors has had, for the `#2` suffix.
    pairs: HashMap<(String, String), u32>,
    /// Each direction of a connection, by its index and whether it is the
    /// connector's. (A map, not a list by index: a connection accepted from a peer
    /// nobody named has the index `usize::MAX`.)
    dirs: HashMap<(usize, bool), Direction>,
    /// Datagrams per direction (`sender>receiver`) not yet received, oldest first.
    datagrams: HashMap<String, VecDeque<Sent>>,
    /// The first held event waits for another event (its send, its FIN, its name), as
    /// of the last [`Release::take_some`]: not for the sink.
    waiting: bool,
    /// The scenario's actors in order, and the text of each step by line: what an
    /// event's actor and call are written from ([`RawEvent::fill_in`]).
    actors: Vec<String>,
    calls: HashMap<u32, String>,
    /// The directions a program outside the lab sends on (a `--peer`, an address no
    /// actor listens on), by connection index and whether it is the connector's: a recv
    /// on one has no send of ours to wait for (it shows the program's stream offsets).
    external: HashSet<(usize, bool)>,
}

impl Release {
    #[cfg(test)]
    pub(crate) fn new() -> Release {
        Release::default()
    }

    /// The release of a run of `scenario`.
    pub(crate) fn for_scenario(scenario: &Scenario) -> Release {
        let calls = steps(&scenario.body)
            .map(|step| (step.line, step.text.clone()))
            .collect();
        Release {
            actors: scenario.actors.clone(),
            calls,
            ..Release::default()
        }
    }

    /// Takes the events in `events` (in `seq` order; it is left empty) and hands the
    /// sink every one whose turn has come and that has what it needs. `conns` is the
    /// registry's list of connections as it is now (locked only when a connection needs
    /// its name).
    pub(crate) fn take<C>(&mut self, events: &mut Vec<RawEvent>, conns: &C, sink: &mut dyn Sink)
    where
        C: Fn(&mut dyn FnMut(&[ConnMeta])),
    {
        self.take_some(events, conns, sink, usize::MAX);
    }

    /// [`Release::take`], handing the sink at most `most` events: the rest of those
    /// whose turn has come wait in the queue with the others. True when it handed over
    /// that many (more may be ready). So a collector whose sink is slower than the
    /// actors (a JSON line escapes every byte of every recv) still takes their events
    /// as they come, and the actors' calls do not wait for the report; what the sink
    /// has not had yet waits in the queue (in the file, past its memory budget).
    pub(crate) fn take_some<C>(
        &mut self,
        events: &mut Vec<RawEvent>,
        conns: &C,
        sink: &mut dyn Sink,
        most: usize,
    ) -> bool
    where
        C: Fn(&mut dyn FnMut(&[ConnMeta])),
    {
        let mut handed = 0;
        for mut raw in events.drain(..) {
            self.note(&mut raw);
            if handed < most && self.held.is_empty() && self.ready(&raw, conns) {
                self.hand_over(raw, sink);
                handed += 1;
            } else {
                self.held.push_back(raw);
            }
        }
        self.waiting = false;
        if self.held.is_empty() {
            return false;
        }
        // Out of `self` while it is looked at, so that `ready` may name connections.
        let mut held = std::mem::take(&mut self.held);
        while handed < most
            && let Some(raw) = held.front()
        {
            if !self.ready(raw, conns) {
                self.waiting = true;
                break;
            }
            if let Some(raw) = held.pop_front() {
                self.hand_over(raw, sink);
                handed += 1;
            }
        }
        self.held = held;
        handed >= most
    }

    /// How many bytes of held events wait in the file.
    pub(crate) fn spilled_bytes(&self) -> u64 {
        self.held.spilled_bytes()
    }

    /// Whether the first held event waits for another event rather than for the sink:
    /// then the events behind it must still be taken, however many, or the actors
    /// would wait for the sink, the sink for that event, and that event (a `sendall`
    /// whose receiver stopped reading) for the actors.
    pub(crate) fn waiting(&self) -> bool {
        self.waiting
    }

    /// Hands over everything still held, in `seq` order, once every actor has ended:
    /// connections are named from the registry as the run left it, and an event whose
    /// cause never came (an actor that ended in a panic) goes without it.
    pub(crate) fn finish(
        &mut self,
        events: Vec<RawEvent>,
        conns: &[ConnMeta],
        sink: &mut dyn Sink,
    ) {
        for mut raw in events {
            self.note(&mut raw);
            self.held.push_back(raw);
        }
        while let Some(raw) = self.held.pop_front() {
            if let Some(id) = unnamed_conn(&raw, &self.names) {
                self.name(id, conns, true);
            }
            self.hand_over(raw, sink);
        }
    }

    /// How many events are held (for tests).
    #[cfg(test)]
    pub(crate) fn held(&self) -> usize {
        self.held.len()
    }

    /// Notes what later events need of an event as soon as it comes: the stream range
    /// of a send, the FIN of a close or shutdown, the bytes of a datagram.
    fn note(&mut self, raw: &mut RawEvent) {
        raw.fill_in(&self.actors, &self.calls);
        let ev = &raw.event;
        match &mut raw.link {
            Some(Link::Stream {
                conn,
                from_connector,
            }) if ev.op.is_send() => {
                if let Some((a, b)) = ev.stream
                    && b > a
                {
                    let held = ev
                        .segments
                        .is_some_and(|s| s.notsent > 0 || s.data_out == 0);
                    let dir = self.direction(*conn, *from_connector);
                    dir.sends.push_back((a, b, ev.seq));
                    if held {
                        dir.held.insert(ev.seq);
                    }
                    dir.sent = dir.sent.max(b);
                }
            }
            Some(Link::Shut {
                conn,
                connector,
                write,
                read,
            }) => {
                let (conn, connector, write, read) = (*conn, *connector, *write, *read);
                if write {
                    self.direction(conn, connector).fin.get_or_insert(ev.seq);
                }
                if read {
                    self.direction(conn, !connector)
                        .shut_read
                        .get_or_insert(ev.seq);
                }
            }
            Some(Link::Dgram {
                sender,
                receiver,
                sent,
            }) if ev.op.is_send() => {
                if let (Some((start, _)), Some(bytes)) = (ev.stream, sent.take()) {
                    let queue = self
                        .datagrams
                        .entry(format!("{sender}>{receiver}"))
                        .or_default();
                    queue.push_back(Sent {
                        seq: ev.seq,
                        start,
                        bytes,
                    });
                    if queue.len() > MAX_UNMATCHED_DATAGRAMS {
                        queue.pop_front();
                    }
                }
            }
            _ => {}
        }
    }

    fn direction(&mut self, conn: usize, from_connector: bool) -> &mut Direction {
        self.dirs.entry((conn, from_connector)).or_default()
    }

    /// Whether an event has what it needs to be handed over: its connection's name, and
    /// for a recv the sends (or the FIN, or the datagram) it came from.
    fn ready<C>(&mut self, raw: &RawEvent, conns: &C) -> bool
    where
        C: Fn(&mut dyn FnMut(&[ConnMeta])),
    {
        if let Some(id) = unnamed_conn(raw, &self.names) {
            let mut named = false;
            conns(&mut |list| named = self.name(id, list, false));
            if !named {
                // Its name depends on who accepts it, not yet known.
                return false;
            }
        }
        let ev = &raw.event;
        if !ev.op.is_recv() {
            return true;
        }
        match &raw.link {
            Some(Link::Stream {
                conn,
                from_connector,
            }) => {
                // Only a connection that was made and named has sends to wait for (one
                // accepted from an unknown peer has none).
                if !matches!(self.names.get(*conn), Some(Some(Some(_))))
                    || self.external.contains(&(*conn, *from_connector))
                {
                    return true;
                }
                let Some((a, b)) = ev.stream else {
                    return true;
                };
                let Some(dir) = self.dirs.get(&(*conn, *from_connector)) else {
                    return b <= a && !ev.eof;
                };
                if b > a {
                    dir.sent >= b
                } else if ev.eof {
                    dir.fin.is_some() || dir.shut_read.is_some()
                } else {
                    true
                }
            }
            Some(Link::Dgram {
                sender, receiver, ..
            }) if ev.stream.is_some() => {
                let got = ev.data.as_deref().unwrap_or_default();
                self.datagrams
                    .get(&format!("{sender}>{receiver}"))
                    .is_some_and(|queue| queue.iter().any(|d| matches(d, got, ev.truncated)))
            }
            _ => true,
        }
    }

    /// Names connection `id` when its name can no longer change; true once it has one.
    ///
    /// A connection is named `connector>acceptor`, `#n` when it is the n-th of that
    /// pair in the order connections were made. The acceptor is known once an `accept`
    /// took the connection; until then (and for good at the end of the run, `last`) it
    /// is the listener's owner. The order is certain once every earlier connection of
    /// the same connector is accepted or failed: one actor connects one step at a time.
    fn name(&mut self, id: usize, conns: &[ConnMeta], last: bool) -> bool {
        let Some(conn) = conns.get(id) else {
            return true;
        };
        let settled = |c: &ConnMeta| c.state == ConnState::Failed || c.acceptor.is_some();
        if !last
            && conns[..=id]
                .iter()
                .any(|c| c.connector == conn.connector && !settled(c))
        {
            return false;
        }
        if self.names.len() < conns.len() {
            self.names.resize(conns.len(), None);
        }
        // Earlier connections are named first, so that each pair counts in their
        // order; a connector's connections wait behind its first unsettled one.
        let mut waiting: Vec<&str> = Vec::new();
        for (k, c) in conns.iter().enumerate().take(id + 1) {
            if self.names[k].is_some() {
                continue;
            }
            if !last && (!settled(c) || waiting.contains(&c.connector.as_str())) {
                waiting.push(&c.connector);
                continue;
            }
            if c.state == ConnState::Failed {
                self.names[k] = Some(None);
                continue;
            }
            let acceptor = c
                .acceptor
                .clone()
                .unwrap_or_else(|| c.listener_owner.clone());
            if c.outside {
                self.external.insert((k, false));
            }
            if c.connector_outside {
                self.external.insert((k, true));
            }
            let n = self
                .pairs
                .entry((c.connector.clone(), acceptor.clone()))
                .or_default();
            *n += 1;
            let suffix = if *n > 1 {
                format!("#{n}")
            } else {
                String::new()
            };
            self.names[k] = Some(Some((
                format!("{}>{acceptor}{suffix}", c.connector),
                format!("{acceptor}>{}{suffix}", c.connector),
            )));
        }
        true
    }

    /// Names the event's direction, traces a recv's bytes to their sends (or an eof to
    /// its cause), and hands the event to the sink.
    fn hand_over(&mut self, mut raw: RawEvent, sink: &mut dyn Sink) {
        let ev = &mut raw.event;
        ev.conn = match &raw.link {
            Some(Link::Stream {
                conn,
                from_connector,
            }) => match self.names.get(*conn) {
                Some(Some(Some((forward, back)))) => Some(if *from_connector {
                    forward.clone()
                } else {
                    back.clone()
                }),
                _ => None,
            },
            Some(Link::Dgram {
                sender, receiver, ..
            }) => Some(format!("{sender}>{receiver}")),
            None | Some(Link::Shut { .. }) => None,
        };
        if ev.op.is_recv()
            && let (Some(conn), Some((a, b))) = (&ev.conn, ev.stream)
        {
            match &raw.link {
                Some(Link::Stream {
                    conn: id,
                    from_connector,
                }) => {
                    let dir = self.direction(*id, *from_connector);
                    ev.from = provenance(dir.sends.make_contiguous(), a, b);
                    if ev.eof {
                        ev.cause = dir.fin.or(dir.shut_read);
                    }
                    ev.verdict = verdict(ev, &dir.sends, &dir.held);
                    // The next recv of this direction starts at `b`.
                    while let Some(&(_, end, seq)) = dir.sends.front()
                        && end <= b
                    {
                        dir.held.remove(&seq);
                        dir.sends.pop_front();
                    }
                }
                Some(Link::Dgram { .. }) => {
                    // Datagrams from one socket to another arrive in the order they
                    // were sent, but a full receive buffer drops some (udp(7)): the
                    // datagram is the first one not yet received with these bytes (its
                    // front, when the recvfrom truncated it).
                    let got = ev.data.as_deref().unwrap_or_default();
                    let queue = self.datagrams.entry(conn.clone()).or_default();
                    if let Some(k) = queue.iter().position(|d| matches(d, got, ev.truncated)) {
                        let d = &queue[k];
                        ev.stream = Some((d.start, d.start + (b - a)));
                        ev.from = vec![Provenance {
                            send: d.seq,
                            bytes: (0, b - a),
                        }];
                        queue.drain(..=k);
                    }
                }
                _ => {}
            }
        }
        sink.event(&raw.event);
    }
}

/// Whether a recvfrom that got `got` (cut to its buffer when `truncated`) got datagram `d`.
fn matches(d: &Sent, got: &[u8], truncated: bool) -> bool {
    if truncated {
        d.bytes.starts_with(got)
    } else {
        d.bytes.as_slice() == got
    }
}

/// The connection of a stream event whose name is not known yet.
fn unnamed_conn(raw: &RawEvent, names: &[Option<Names>]) -> Option<usize> {
    match raw.link {
        Some(Link::Stream { conn, .. }) if names.get(conn).is_none_or(Option::is_none) => {
            Some(conn)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::Release;
    use crate::record::{Event, Op, Record, RunStart, Sink};
    use crate::run::world::{ConnMeta, ConnState, Link, RawEvent};

    fn conn(connector: &str, owner: &str, acceptor: Option<&str>) -> ConnMeta {
        ConnMeta {
            connector: connector.into(),
            listener_owner: owner.into(),
            acceptor: acceptor.map(Into::into),
            state: ConnState::Connected,
            outside: false,
            connector_outside: false,
        }
    }

    fn event(seq: u64, op: Op, stream: (u64, u64), link: Option<Link>) -> RawEvent {
        RawEvent {
            event: Event {
                seq,
                op,
                verb: op,
                stream: Some(stream),
                ..Event::default()
            },
            link,
            who: None,
        }
    }

    fn stream(conn: usize, from_connector: bool) -> Option<Link> {
        Some(Link::Stream {
            conn,
            from_connector,
        })
    }

    fn shut(conn: usize, connector: bool, write: bool, read: bool) -> Option<Link> {
        Some(Link::Shut {
            conn,
            connector,
            write,
            read,
        })
    }

    fn kept() -> Record {
        let mut record = Record::default();
        record.begin(&RunStart {
            scenario: "t".into(),
            file: "t.lab".into(),
            seed: 1,
        });
        record
    }

    #[test]
    fn a_recv_numbered_before_its_send_waits_for_it_and_names_it() {
        let conns = vec![conn("client", "server", Some("server"))];
        let lookup = |f: &mut dyn FnMut(&[ConnMeta])| f(&conns);
        let mut release = Release::new();
        let mut record = kept();
        // The recv (2) returned before the second send() (3) did: completion order.
        let mut batch = vec![
            event(1, Op::Send, (0, 5), stream(0, true)),
            event(2, Op::Recv, (0, 10), stream(0, true)),
        ];
        release.take(&mut batch, &lookup, &mut record);
        assert_eq!(
            record.events.len(),
            1,
            "2 waits for the send of its bytes 5..10"
        );
        assert_eq!(release.held(), 1);
        let mut batch = vec![
            event(3, Op::Send, (5, 10), stream(0, true)),
            event(4, Op::Mark, (0, 0), None),
        ];
        release.take(&mut batch, &lookup, &mut record);
        let seqs: Vec<u64> = record.events.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, [1, 2, 3, 4], "handed over in seq order");
        let recv = &record.events[1];
        assert_eq!(recv.conn.as_deref(), Some("client>server"));
        let from: Vec<(u64, (u64, u64))> = recv.from.iter().map(|p| (p.send, p.bytes)).collect();
        assert_eq!(from, [(1, (0, 5)), (3, (0, 5))], "names the later send too");
        assert_eq!(release.held(), 0);
        assert!(release.dirs[&(0, true)].sends.is_empty(), "all received");
    }

    #[test]
    fn an_eof_waits_for_the_close_that_sent_its_fin_and_names_it() {
        let conns = vec![conn("client", "server", Some("server"))];
        let lookup = |f: &mut dyn FnMut(&[ConnMeta])| f(&conns);
        let mut release = Release::new();
        let mut record = kept();
        let mut eof = event(1, Op::Recv, (0, 0), stream(0, true));
        eof.event.eof = true;
        release.take(&mut vec![eof], &lookup, &mut record);
        assert!(record.events.is_empty(), "the eof waits for its cause");
        // The server's own shutdown of its sending side is no cause of this eof.
        let mut batch = vec![
            event(2, Op::Shutdown, (0, 0), shut(0, false, true, false)),
            event(3, Op::Close, (0, 0), shut(0, true, true, true)),
        ];
        release.take(&mut batch, &lookup, &mut record);
        let seqs: Vec<u64> = record.events.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, [1, 2, 3]);
        assert_eq!(record.events[0].cause, Some(3), "the client's close");
        assert_eq!(
            record.events[2].conn, None,
            "a close has no direction of its own"
        );
    }

    #[test]
    fn an_eof_after_the_receivers_own_shutdown_read_names_it_at_once() {
        let conns = vec![conn("client", "server", Some("server"))];
        let lookup = |f: &mut dyn FnMut(&[ConnMeta])| f(&conns);
        let mut release = Release::new();
        let mut record = kept();
        let mut eof = event(2, Op::Recv, (0, 0), stream(0, true));
        eof.event.eof = true;
        let mut batch = vec![
            event(1, Op::Shutdown, (0, 0), shut(0, false, false, true)),
            eof,
        ];
        release.take(&mut batch, &lookup, &mut record);
        assert_eq!(record.events.len(), 2);
        assert_eq!(record.events[1].cause, Some(1));
    }

    #[test]
    fn a_recvfrom_numbered_before_its_sendto_waits_for_it() {
        let dgram = |sent: Option<&[u8]>| {
            Some(Link::Dgram {
                sender: "c".into(),
                receiver: "s".into(),
                sent: sent.map(<[u8]>::to_vec),
            })
        };
        let lookup = |f: &mut dyn FnMut(&[ConnMeta])| f(&[]);
        let mut release = Release::new();
        let mut record = kept();
        let mut recv = event(1, Op::RecvFrom, (0, 2), dgram(None));
        recv.event.data = Some(b"hi".to_vec());
        release.take(&mut vec![recv], &lookup, &mut record);
        assert!(record.events.is_empty());
        let send = event(2, Op::SendTo, (0, 2), dgram(Some(b"hi")));
        release.take(&mut vec![send], &lookup, &mut record);
        assert_eq!(record.events.len(), 2);
        assert_eq!(record.events[0].from[0].send, 2);
    }

    #[test]
    fn a_recv_from_a_peer_nobody_named_is_not_held() {
        let conns = vec![conn("client", "server", Some("server"))];
        let lookup = |f: &mut dyn FnMut(&[ConnMeta])| f(&conns);
        let mut release = Release::new();
        let mut record = kept();
        let mut batch = vec![event(1, Op::Recv, (0, 3), stream(usize::MAX, true))];
        release.take(&mut batch, &lookup, &mut record);
        assert_eq!(record.events.len(), 1);
        assert!(record.events[0].from.is_empty());
    }

    #[test]
    fn the_sends_and_close_of_a_connection_from_an_unknown_peer_are_let_through() {
        let conns = vec![conn("client", "server", Some("server"))];
        let lookup = |f: &mut dyn FnMut(&[ConnMeta])| f(&conns);
        let mut release = Release::new();
        let mut record = kept();
        let mut batch = vec![
            event(1, Op::Send, (0, 3), stream(usize::MAX, false)),
            event(2, Op::Close, (0, 0), shut(usize::MAX, false, true, true)),
        ];
        release.take(&mut batch, &lookup, &mut record);
        assert_eq!(record.events.len(), 2);
    }

    #[test]
    fn what_never_came_is_let_go_at_the_end() {
        let conns = vec![conn("client", "server", Some("server"))];
        let lookup = |f: &mut dyn FnMut(&[ConnMeta])| f(&conns);
        let mut release = Release::new();
        let mut record = kept();
        let mut batch = vec![
            event(1, Op::Recv, (0, 3), stream(0, true)),
            event(2, Op::Mark, (0, 0), None),
        ];
        release.take(&mut batch, &lookup, &mut record);
        assert!(record.events.is_empty());
        release.finish(Vec::new(), &conns, &mut record);
        let seqs: Vec<u64> = record.events.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, [1, 2]);
    }

    #[test]
    fn a_connection_is_named_once_its_acceptor_is_known() {
        let mut conns = vec![conn("alice", "server", None)];
        let mut release = Release::new();
        let mut record = kept();
        {
            let lookup = |f: &mut dyn FnMut(&[ConnMeta])| f(&conns);
            release.take(
                &mut vec![event(1, Op::Send, (0, 2), stream(0, true))],
                &lookup,
                &mut record,
            );
        }
        assert!(record.events.is_empty(), "held until someone accepts");
        conns[0].acceptor = Some("worker1".into());
        let lookup = |f: &mut dyn FnMut(&[ConnMeta])| f(&conns);
        release.take(&mut Vec::new(), &lookup, &mut record);
        assert_eq!(record.events[0].conn.as_deref(), Some("alice>worker1"));
    }

    #[test]
    fn the_same_pair_connecting_again_gets_a_number_and_gaps_are_skipped_at_the_end() {
        let conns = vec![
            conn("client", "server", Some("server")),
            ConnMeta {
                state: ConnState::Failed,
                ..conn("client", "server", None)
            },
            conn("client", "server", None),
        ];
        let mut release = Release::new();
        let mut record = kept();
        release.finish(
            vec![
                event(1, Op::Send, (0, 1), stream(0, true)),
                event(4, Op::Send, (0, 1), stream(2, true)),
                event(5, Op::Recv, (0, 1), stream(2, false)),
            ],
            &conns,
            &mut record,
        );
        let names: Vec<Option<&str>> = record.events.iter().map(|e| e.conn.as_deref()).collect();
        assert_eq!(
            names,
            [
                Some("client>server"),
                Some("client>server#2"),
                Some("server>client#2")
            ]
        );
    }

    #[test]
    fn a_datagram_is_matched_past_the_ones_the_kernel_dropped() {
        let dgram = |sent: Option<&[u8]>| {
            Some(Link::Dgram {
                sender: "c".into(),
                receiver: "s".into(),
                sent: sent.map(<[u8]>::to_vec),
            })
        };
        let mut release = Release::new();
        let mut record = kept();
        let mut recv = event(3, Op::RecvFrom, (0, 1), dgram(None));
        recv.event.data = Some(b"b".to_vec());
        release.finish(
            vec![
                event(1, Op::SendTo, (0, 1), dgram(Some(b"a"))),
                event(2, Op::SendTo, (1, 2), dgram(Some(b"b"))),
                recv,
            ],
            &[],
            &mut record,
        );
        let recv = &record.events[2];
        assert_eq!(recv.stream, Some((1, 2)));
        assert_eq!(recv.from[0].send, 2);
        assert!(release.datagrams["c>s"].is_empty());
    }
}
