//! Events from the actors to the sink while the run goes on, in `seq` order.
//!
//! Actors record events in the order their calls end, which is not `seq` order (a send
//! is numbered when it begins). [`Release`] holds the events that came early and hands
//! event k to the sink once every event before it is in: a reorder buffer. On the way
//! each event gets its connection's name and, for a recv, the sends its bytes came
//! from. Only what later events still need is kept: per direction of traffic the byte
//! ranges of the sends not yet wholly received (no data), and the datagrams not yet
//! matched (at most [`MAX_UNMATCHED_DATAGRAMS`]).
//!
//! Every send a recv's bytes came from has a lower `seq` than the recv (the send was
//! numbered before its bytes left, the recv after they arrived), so it was released
//! before: provenance never has to wait for a later event.

use std::collections::{BTreeMap, HashMap, VecDeque};

use super::provenance::provenance;
use super::world::{ConnMeta, ConnState, Link, RawEvent};
use crate::record::{Provenance, Sink};

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

#[derive(Default)]
pub(crate) struct Release {
    /// The `seq` of the next event to hand over.
    next: u64,
    /// Events that came before their turn.
    early: BTreeMap<u64, RawEvent>,
    /// Connection names, by connection index, once known.
    names: Vec<Option<Names>>,
    /// How many connections each pair of actors has had, for the `#2` suffix.
    pairs: HashMap<(String, String), u32>,
    /// Stream sends per direction not yet wholly received: `(start, end, seq)`.
    sends: HashMap<String, VecDeque<(u64, u64, u64)>>,
    /// Datagrams per direction not yet received, oldest first.
    datagrams: HashMap<String, VecDeque<Sent>>,
}

impl Release {
    pub(crate) fn new() -> Release {
        Release {
            next: 1,
            ..Release::default()
        }
    }

    /// Takes events in any order and hands the sink every event whose turn has come.
    /// `conns` is the registry's list of connections as it is now (locked only when a
    /// connection needs its name).
    pub(crate) fn take<C>(&mut self, events: Vec<RawEvent>, conns: &C, sink: &mut dyn Sink)
    where
        C: Fn(&mut dyn FnMut(&[ConnMeta])),
    {
        for raw in events {
            self.early.insert(raw.event.seq, raw);
        }
        while let Some((&seq, raw)) = self.early.first_key_value() {
            if seq != self.next {
                // An event numbered before this one is still to come.
                return;
            }
            if let Some(id) = unnamed_conn(raw, &self.names) {
                let mut named = false;
                conns(&mut |list| named = self.name(id, list, false));
                if !named {
                    // Its name depends on who accepts it, not yet known.
                    return;
                }
            }
            if let Some((_, raw)) = self.early.pop_first() {
                self.next = seq + 1;
                self.hand_over(raw, sink);
            }
        }
    }

    /// Hands over everything still held, in `seq` order, once every actor has ended:
    /// numbers that never got an event are skipped, and connections are named from
    /// the registry as the run left it.
    pub(crate) fn finish(
        &mut self,
        events: Vec<RawEvent>,
        conns: &[ConnMeta],
        sink: &mut dyn Sink,
    ) {
        for raw in events {
            self.early.insert(raw.event.seq, raw);
        }
        while let Some((_, raw)) = self.early.pop_first() {
            if let Some(id) = unnamed_conn(&raw, &self.names) {
                self.name(id, conns, true);
            }
            self.next = raw.event.seq + 1;
            self.hand_over(raw, sink);
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

    /// Names the event's direction, traces a recv's bytes to their sends, and hands the
    /// event to the sink.
    fn hand_over(&mut self, mut raw: RawEvent, sink: &mut dyn Sink) {
        let ev = &mut raw.event;
        ev.conn = match &raw.link {
            None => None,
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
        };
        if let (Some(conn), Some((a, b))) = (&ev.conn, ev.stream) {
            match (&mut raw.link, ev.op.is_send()) {
                (Some(Link::Stream { .. }), true) => {
                    // One actor sends on a direction, one call after the other: its
                    // sends come in stream order.
                    if b > a {
                        self.sends
                            .entry(conn.clone())
                            .or_default()
                            .push_back((a, b, ev.seq));
                    }
                }
                (Some(Link::Stream { .. }), false) => {
                    let sends = self.sends.entry(conn.clone()).or_default();
                    ev.from = provenance(sends.make_contiguous(), a, b);
                    // The next recv of this direction starts at `b`.
                    while sends.front().is_some_and(|&(_, end, _)| end <= b) {
                        sends.pop_front();
                    }
                }
                (Some(Link::Dgram { sent, .. }), true) => {
                    let queue = self.datagrams.entry(conn.clone()).or_default();
                    queue.push_back(Sent {
                        seq: ev.seq,
                        start: a,
                        bytes: sent.take().unwrap_or_default(),
                    });
                    if queue.len() > MAX_UNMATCHED_DATAGRAMS {
                        queue.pop_front();
                    }
                }
                (Some(Link::Dgram { .. }), false) => {
                    // Datagrams from one socket to another arrive in the order they
                    // were sent, but a full receive buffer drops some (udp(7)): the
                    // datagram is the first one not yet received with these bytes (its
                    // front, when the recvfrom truncated it).
                    let got = ev.data.as_deref().unwrap_or_default();
                    let queue = self.datagrams.entry(conn.clone()).or_default();
                    let found = queue.iter().position(|d| {
                        if ev.truncated {
                            d.bytes.starts_with(got)
                        } else {
                            d.bytes.as_slice() == got
                        }
                    });
                    if let Some(k) = found {
                        let d = &queue[k];
                        ev.stream = Some((d.start, d.start + (b - a)));
                        ev.from = vec![Provenance {
                            send: d.seq,
                            bytes: (0, b - a),
                        }];
                        queue.drain(..=k);
                    }
                }
                (None, _) => {}
            }
        }
        sink.event(&raw.event);
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
        }
    }

    fn stream(conn: usize, from_connector: bool) -> Option<Link> {
        Some(Link::Stream {
            conn,
            from_connector,
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
    fn events_are_handed_over_in_seq_order_as_soon_as_their_turn_comes() {
        let conns = vec![conn("client", "server", Some("server"))];
        let lookup = |f: &mut dyn FnMut(&[ConnMeta])| f(&conns);
        let mut release = Release::new();
        let mut record = kept();
        // The recv (3) ends before the second send (2) is recorded.
        release.take(
            vec![
                event(1, Op::Send, (0, 5), stream(0, true)),
                event(3, Op::Recv, (0, 10), stream(0, true)),
            ],
            &lookup,
            &mut record,
        );
        assert_eq!(record.events.len(), 1, "3 waits for 2");
        release.take(
            vec![event(2, Op::Send, (5, 10), stream(0, true))],
            &lookup,
            &mut record,
        );
        let seqs: Vec<u64> = record.events.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, [1, 2, 3]);
        let recv = &record.events[2];
        assert_eq!(recv.conn.as_deref(), Some("client>server"));
        let from: Vec<u64> = recv.from.iter().map(|p| p.send).collect();
        assert_eq!(from, [1, 2]);
        assert!(release.sends["client>server"].is_empty(), "all received");
    }

    #[test]
    fn a_connection_is_named_once_its_acceptor_is_known() {
        let mut conns = vec![conn("alice", "server", None)];
        let mut release = Release::new();
        let mut record = kept();
        {
            let lookup = |f: &mut dyn FnMut(&[ConnMeta])| f(&conns);
            release.take(
                vec![event(1, Op::Send, (0, 2), stream(0, true))],
                &lookup,
                &mut record,
            );
        }
        assert!(record.events.is_empty(), "held until someone accepts");
        conns[0].acceptor = Some("worker1".into());
        let lookup = |f: &mut dyn FnMut(&[ConnMeta])| f(&conns);
        release.take(Vec::new(), &lookup, &mut record);
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
