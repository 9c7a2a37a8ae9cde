//! From captured frames to the run's segments: which TCP connections are the run's (by
//! the ports its listen, connect and accept events name), each segment's direction by
//! actor, its payload as a range of that direction's stream, and the sends and recvs
//! whose bytes it carried.

use std::collections::HashMap;
use std::fmt::Write;
use std::time::Duration;

use etherparse::{SlicedPacket, TransportSlice};

use super::capture::{Captured, MAX_BYTES, Packet};
use crate::record::{Event, Op};
use crate::report::ReportOptions;
use crate::text::said;

/// One connection of the run, as its events name it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Conn {
    client_port: u16,
    server_port: u16,
    client: String,
    server: String,
    /// The `conn` of the client's direction (`client>server`, `client>server#2`).
    up: String,
    /// The `conn` of the server's direction.
    down: String,
    /// When the client's connect call began and ended, on the run's clock: its SYN
    /// left between the two.
    connect: (Duration, Duration),
}

/// One captured segment of one of the run's connections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// The index of the frame in the capture.
    pub packet: usize,
    /// `client>server`, by actor.
    pub direction: String,
    /// The `conn` of the events of this direction (`client>server#2` for a pair's second
    /// connection).
    pub conn: String,
    /// When it was captured, on the run's clock (the events' `t`), once the capture's
    /// clock is tied to the run's ([`super::join::run_clock`]).
    pub t: Option<Duration>,
    pub flags: String,
    /// The payload as a range of the direction's stream (offset 0 is the first byte
    /// after the SYN).
    pub bytes: (u64, u64),
    /// The acknowledged offset of the other direction's stream, with ACK.
    pub ack: Option<u64>,
    /// The `seq` of the sends whose bytes the payload carried.
    pub sends: Vec<u64>,
    /// The `seq` of the recvs that returned them.
    pub recvs: Vec<u64>,
}

/// The run's part of a capture.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Wire {
    /// The interface of the capture (`lo`, `sl-veth-a`).
    pub interface: String,
    /// The frames of the run's connections, in order, one copy each.
    pub packets: Vec<Packet>,
    pub segments: Vec<Segment>,
    /// Frames of `lo` that were not the run's.
    pub others: usize,
    /// Frames not kept because the capture was full.
    pub dropped: u64,
}

/// The port after the last `:` of `127.0.0.1:4242` or `[::1]:4242`, the address being
/// the first word of `text` (a detail may go on: `127.0.0.1:4242; mss 1000`).
fn port(text: &str) -> Option<u16> {
    let addr = text.split([' ', ';', ',']).find(|w| !w.is_empty())?;
    addr.rsplit_once(':')?.1.parse().ok()
}

/// The run's TCP connections, from its listen, connect and accept events; named in the
/// order of their connects, as the runner names them.
fn connections(events: &[Event]) -> Vec<Conn> {
    let mut listeners: HashMap<u16, String> = HashMap::new();
    let mut acceptors: HashMap<u16, String> = HashMap::new();
    for e in events {
        let Some(detail) = e.detail.as_deref() else {
            continue;
        };
        match e.op {
            Op::Listen => {
                if let Some(p) = detail.strip_prefix("listening on ").and_then(port) {
                    listeners.insert(p, e.actor.clone());
                }
            }
            Op::Accept => {
                if let Some(p) = detail.strip_prefix("from ").and_then(port) {
                    acceptors.insert(p, e.actor.clone());
                }
            }
            _ => {}
        }
    }
    let mut pairs: HashMap<(String, String), u32> = HashMap::new();
    let mut conns = Vec::new();
    for e in events
        .iter()
        .filter(|e| e.op == Op::Connect && e.error.is_none())
    {
        let Some((local, remote)) = e.detail.as_deref().and_then(|d| d.split_once(" -> ")) else {
            continue;
        };
        let (Some(client_port), Some(server_port)) = (port(local), port(remote)) else {
            continue;
        };
        let server = acceptors
            .get(&client_port)
            .or_else(|| listeners.get(&server_port))
            .cloned()
            .or_else(|| e.peer.clone())
            .unwrap_or_else(|| server_port.to_string());
        let n = pairs.entry((e.actor.clone(), server.clone())).or_default();
        *n += 1;
        let suffix = if *n > 1 {
            format!("#{n}")
        } else {
            String::new()
        };
        conns.push(Conn {
            client_port,
            server_port,
            up: format!("{}>{server}{suffix}", e.actor),
            down: format!("{server}>{}{suffix}", e.actor),
            client: e.actor.clone(),
            server,
            connect: (e.t, e.t + e.dur),
        });
    }
    conns
}

/// The TCP header fields a segment needs.
struct Tcp {
    src: u16,
    dst: u16,
    seq: u32,
    ack: Option<u32>,
    flags: String,
    syn: bool,
    payload: u32,
}

fn tcp(frame: &[u8]) -> Option<Tcp> {
    let packet = SlicedPacket::from_ethernet(frame).ok()?;
    let Some(TransportSlice::Tcp(t)) = packet.transport else {
        return None;
    };
    let names = [
        (t.syn(), "SYN"),
        (t.ack(), "ACK"),
        (t.psh(), "PSH"),
        (t.fin(), "FIN"),
        (t.rst(), "RST"),
    ];
    let flags: Vec<&str> = names.iter().filter(|(on, _)| *on).map(|n| n.1).collect();
    Some(Tcp {
        src: t.source_port(),
        dst: t.destination_port(),
        seq: t.sequence_number(),
        ack: t.ack().then(|| t.acknowledgment_number()),
        flags: flags.join(" "),
        syn: t.syn(),
        payload: u32::try_from(t.payload().len()).unwrap_or(u32::MAX),
    })
}

/// The `seq` of the events of `actor` on `conn` whose stream range meets `bytes`.
fn covering(events: &[Event], conn: &str, actor: &str, ops: &[Op], bytes: (u64, u64)) -> Vec<u64> {
    if bytes.0 == bytes.1 {
        return Vec::new();
    }
    events
        .iter()
        .filter(|e| e.conn.as_deref() == Some(conn) && e.actor == actor && ops.contains(&e.op))
        .filter(|e| matches!(e.stream, Some((a, b)) if a < bytes.1 && bytes.0 < b))
        .map(|e| e.seq)
        .collect()
}

impl Wire {
    /// The run's part of `captured`: the frames of the connections its `events` name.
    pub fn of(captured: Captured, events: &[Event]) -> Wire {
        let conns = connections(events);
        let mut wire = Wire {
            interface: captured.interface.clone(),
            dropped: captured.dropped,
            ..Wire::default()
        };
        // The initial sequence number of each direction, by (source, destination) port.
        let mut isn: HashMap<(u16, u16), u32> = HashMap::new();
        // The SYNs (and SYN-ACKs) of the connections, by index in `wire.segments`,
        // with their connect's start and end on the run's clock.
        let mut syns: Vec<(usize, Duration, Duration)> = Vec::new();
        for packet in captured.packets {
            let found = tcp(&packet.data).and_then(|t| {
                let c = conns.iter().find(|c| {
                    (t.src, t.dst) == (c.client_port, c.server_port)
                        || (t.dst, t.src) == (c.client_port, c.server_port)
                })?;
                Some((t, c))
            });
            let Some((t, c)) = found else {
                wire.others += 1;
                continue;
            };
            if t.syn {
                isn.insert((t.src, t.dst), t.seq);
                syns.push((wire.segments.len(), c.connect.0, c.connect.1));
            }
            // Without its SYN (never on a run's own connection), the first seen counts.
            let base = *isn.entry((t.src, t.dst)).or_insert(t.seq.wrapping_sub(1));
            let start = u64::from(t.seq.wrapping_sub(base).wrapping_sub(1));
            let start = if t.syn { 0 } else { start };
            let bytes = (start, start + u64::from(t.payload));
            let ack = t.ack.and_then(|a| {
                let peer = isn.get(&(t.dst, t.src))?;
                Some(u64::from(a.wrapping_sub(*peer).wrapping_sub(1)))
            });
            let up = t.src == c.client_port;
            let (conn, sender, receiver) = if up {
                (&c.up, &c.client, &c.server)
            } else {
                (&c.down, &c.server, &c.client)
            };
            let sends = [Op::Send, Op::SendAll, Op::SendFrame];
            wire.segments.push(Segment {
                packet: wire.packets.len(),
                direction: format!("{sender}>{receiver}"),
                conn: conn.clone(),
                t: None,
                flags: t.flags,
                bytes,
                ack,
                sends: covering(events, conn, sender, &sends, bytes),
                recvs: covering(events, conn, receiver, &[Op::Recv], bytes),
            });
            wire.packets.push(packet);
        }
        super::join::run_clock(&mut wire, &syns, events);
        wire
    }
}

fn numbers(seqs: &[u64]) -> String {
    let names: Vec<String> = seqs.iter().map(|s| format!("#{s}")).collect();
    names.join(" ")
}

/// The headers of a table of segments (the terminal's wire section, the markdown's).
pub fn wire_headers(lang: &str) -> &'static [&'static str] {
    if lang == "zh" {
        &[
            "t 毫秒", "方向", "标志", "字节", "长度", "确认", "发送", "接收",
        ]
    } else {
        &[
            "t ms",
            "direction",
            "flags",
            "bytes",
            "len",
            "ack",
            "sends",
            "recvs",
        ]
    }
}

/// A segment's cells under [`wire_headers`], at `ms` milliseconds: which way, flags,
/// the bytes as a range of the direction's stream, their count, the acknowledged
/// offset, and the sends and recvs of those bytes.
pub fn segment_cells(s: &Segment, ms: f64) -> Vec<String> {
    let len = s.bytes.1 - s.bytes.0;
    let bytes = if len > 0 {
        format!("{}..{}", s.bytes.0, s.bytes.1)
    } else {
        String::new()
    };
    vec![
        format!("{ms:.3}"),
        s.direction.clone(),
        s.flags.clone(),
        bytes,
        len.to_string(),
        s.ack.map(|a| a.to_string()).unwrap_or_default(),
        numbers(&s.sends),
        numbers(&s.recvs),
    ]
}

/// The "wire" section of the table report: one row per segment.
pub fn wire_section(wire: &Wire, options: &ReportOptions) -> String {
    let lang = options.lang.as_str();
    let zh = lang == "zh";
    let mut out = String::new();
    let title = if zh { "线路" } else { "wire" };
    let _ = writeln!(out, "\n{title}");
    let mut table = crate::report::shared::styled(options);
    table.set_header(wire_headers(lang).iter().copied());
    let first = wire.packets.first().map(|p| p.at).unwrap_or_default();
    for s in &wire.segments {
        let at = wire.packets.get(s.packet).map(|p| p.at).unwrap_or(first);
        table.add_row(segment_cells(
            s,
            at.saturating_sub(first).as_secs_f64() * 1000.0,
        ));
    }
    if !wire.segments.is_empty() {
        let _ = writeln!(out, "{table}");
    }
    let (n, others, on) = (wire.segments.len(), wire.others, &wire.interface);
    let text = said!(
        "{n} segments of the run's connections on {on}, one copy each ({others} other frames left out)",
        "本次运行的连接在 {on} 上的 {n} 个报文段，每个只算一份（另有 {others} 个其他帧未列出）"
    );
    let _ = writeln!(out, "{}", text.get(lang));
    if wire.dropped > 0 {
        let (dropped, mib) = (wire.dropped, MAX_BYTES / (1024 * 1024));
        let text = said!(
            "the capture reached its limit of {mib} MiB: {dropped} later frames were not kept",
            "抓包达到 {mib} MiB 的上限：之后的 {dropped} 个帧没有保留"
        );
        let _ = writeln!(out, "{}", text.get(lang));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(seq: u64, actor: &str, op: Op, detail: &str) -> Event {
        Event {
            seq,
            actor: actor.into(),
            op,
            verb: op,
            detail: (!detail.is_empty()).then(|| detail.into()),
            ..Event::default()
        }
    }

    #[test]
    fn connections_come_from_listen_connect_and_accept() {
        let events = [
            event(1, "server", Op::Listen, "listening on 127.0.0.1:5000"),
            event(2, "client", Op::Connect, "127.0.0.1:6000 -> 127.0.0.1:5000"),
            event(
                3,
                "client",
                Op::Connect,
                "127.0.0.1:6001 -> 127.0.0.1:5000; mss 1000",
            ),
            event(4, "worker", Op::Accept, "from 127.0.0.1:6001"),
        ];
        let conns = connections(&events);
        assert_eq!(conns.len(), 2);
        assert_eq!((conns[0].client_port, conns[0].server_port), (6000, 5000));
        assert_eq!(conns[0].up, "client>server");
        assert_eq!(conns[1].server, "worker");
        assert_eq!(conns[1].down, "worker>client");
    }

    #[test]
    fn a_segment_names_the_sends_its_bytes_came_from() {
        let mut sends = [
            event(4, "client", Op::Send, ""),
            event(6, "client", Op::Send, ""),
            event(8, "server", Op::Recv, ""),
        ];
        sends[0].stream = Some((0, 5));
        sends[1].stream = Some((5, 10));
        sends[2].stream = Some((0, 10));
        for e in &mut sends {
            e.conn = Some("client>server".into());
        }
        let sent = [Op::Send];
        assert_eq!(
            covering(&sends, "client>server", "client", &sent, (0, 5)),
            [4]
        );
        assert_eq!(
            covering(&sends, "client>server", "client", &sent, (3, 10)),
            [4, 6]
        );
        assert!(covering(&sends, "client>server", "client", &sent, (5, 5)).is_empty());
        assert_eq!(
            covering(&sends, "client>server", "server", &[Op::Recv], (5, 10)),
            [8]
        );
    }
}
