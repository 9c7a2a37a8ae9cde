//! The capture joined to the run: each segment's time on the run's clock, and the
//! evidence of the glued and split recvs from the segments that carried their bytes.
//!
//! The capture's stamps are the kernel's wall-clock times (SIOCGSTAMPNS, socket(7));
//! the events' times count from the run's start on a monotonic clock. The two are tied
//! by what must have happened during a call: connect(2) sends the SYN, and send(2) on
//! loopback hands a segment it does not hold to the receiving socket before it returns
//! (tcp(7), lo). On loopback that leaves an error of a few microseconds, far below
//! what the pictures draw.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use super::segments::{Segment, Wire};
use crate::record::{CapturedEvidence, Event, VerdictKind};
use crate::text::{Said, said};

/// Sets each segment's `t` on the run's clock. Each capture stamp minus the run's time
/// is one offset, and what the run recorded bounds it. From above: a segment cannot
/// arrive before the call that sent it began (a SYN its connect, `syns`; a data
/// segment its send). From below: it arrived before the call that needed it returned
/// (the SYN before its connect did, the SYN-ACK having come back; a data segment before
/// the first recv that returned its bytes). Arrival, not departure: the capture keeps
/// lo's received copy, which the kernel may process after send(2) has returned (in
/// ksoftirqd, under load). The offset is the tightest upper bound (see below). Each
/// data segment is then kept between its send's start and its first recv's end, and no
/// segment after the next one captured. Without any bound, times stay unknown.
pub(super) fn run_clock(wire: &mut Wire, syns: &[(usize, Duration, Duration)], events: &[Event]) {
    let nanos = |d: Duration| i128::try_from(d.as_nanos()).unwrap_or(i128::MAX);
    // The offset, stamp minus run time in ns, is at least each of `lows` and at most
    // each of `highs`.
    let (mut lows, mut highs): (Vec<i128>, Vec<i128>) = (Vec::new(), Vec::new());
    for &(i, start, end) in syns {
        if let Some(p) = wire
            .segments
            .get(i)
            .and_then(|s| wire.packets.get(s.packet))
        {
            lows.push(nanos(p.at) - nanos(end));
            highs.push(nanos(p.at) - nanos(start));
        }
    }
    let by_seq: HashMap<u64, &Event> = events.iter().map(|e| (e.seq, e)).collect();
    let mut seen = BTreeSet::new();
    for s in &wire.segments {
        if s.bytes.0 == s.bytes.1 || !seen.insert((s.conn.clone(), s.bytes)) {
            continue;
        }
        let Some(p) = wire.packets.get(s.packet) else {
            continue;
        };
        let at = nanos(p.at);
        for send in s.sends.iter().filter_map(|seq| by_seq.get(seq)) {
            highs.push(at - nanos(send.t));
        }
        for recv in s.recvs.iter().filter_map(|seq| by_seq.get(seq)) {
            lows.push(at - nanos(recv.t + recv.dur));
        }
    }
    // A stamp can be late, never early (a packet the kernel did not stamp gets the
    // time the capture read it), so the lowest upper bound is sure; and it is tight:
    // on lo a segment usually arrives within microseconds of its send's start, while
    // a recv often returns long after its bytes came. So the offset is that bound, and
    // the lower bounds count only without it.
    let offset = match (highs.iter().min(), lows.iter().max()) {
        (Some(&h), _) => h,
        (None, Some(&l)) => l,
        (None, None) => return,
    };
    for s in &mut wire.segments {
        let Some(p) = wire.packets.get(s.packet) else {
            continue;
        };
        let mut t = (nanos(p.at) - offset).max(0);
        // And what the run saw bounds each data segment again: its bytes left once
        // their send began, and arrived before a recv returned them.
        let began = s
            .sends
            .iter()
            .filter_map(|q| by_seq.get(q))
            .map(|e| nanos(e.t))
            .max();
        let returned = s
            .recvs
            .iter()
            .filter_map(|q| by_seq.get(q))
            .map(|e| nanos(e.t + e.dur))
            .min();
        if let Some(r) = returned {
            t = t.min(r);
        }
        if let Some(b) = began {
            t = t.max(b);
        }
        s.t = Some(Duration::from_nanos(u64::try_from(t).unwrap_or(u64::MAX)));
    }
    // The handshake went on while its connect ran: the first packets of a capture may
    // be stamped late (the kernel turns time stamps on for lo a moment after the
    // capture asks), and these are the first.
    for &(i, start, end) in syns {
        if let Some(s) = wire.segments.get_mut(i) {
            s.t = s.t.map(|t| t.clamp(start, end.max(start)));
        }
    }
    // The capture read the packets in the order they came: none is later than the
    // next (a segment moved earlier by its recv takes the ones before it along).
    let mut next: Option<Duration> = None;
    for s in wire.segments.iter_mut().rev() {
        if let (Some(t), Some(n)) = (s.t, next) {
            s.t = Some(t.min(n));
        }
        next = s.t.or(next);
    }
}

/// The data segments of each direction, each once (a retransmission of the same bytes
/// is left out), in stream order: `(start, end, index in wire.segments)`; and how many
/// segments carried bytes of each send. Built once, so that a run of 60,000 recvs does
/// not look through every segment for each.
struct Index {
    by_conn: HashMap<String, Vec<(u64, u64, usize)>>,
    per_send: HashMap<u64, usize>,
}

impl Index {
    fn new(wire: &Wire) -> Index {
        let mut seen = BTreeSet::new();
        let mut by_conn: HashMap<String, Vec<(u64, u64, usize)>> = HashMap::new();
        let mut per_send: HashMap<u64, usize> = HashMap::new();
        for (i, s) in wire.segments.iter().enumerate() {
            if s.bytes.0 < s.bytes.1 && seen.insert((s.conn.as_str(), s.bytes)) {
                by_conn
                    .entry(s.conn.clone())
                    .or_default()
                    .push((s.bytes.0, s.bytes.1, i));
                for &send in &s.sends {
                    *per_send.entry(send).or_default() += 1;
                }
            }
        }
        for list in by_conn.values_mut() {
            list.sort_unstable();
        }
        Index { by_conn, per_send }
    }

    /// The segments of `conn` that carried bytes of `range`, in stream order.
    fn carrying<'w>(
        &self,
        wire: &'w Wire,
        conn: &str,
        range: (u64, u64),
    ) -> Vec<(usize, &'w Segment)> {
        let Some(list) = self.by_conn.get(conn) else {
            return Vec::new();
        };
        // The first segment starting at or after the range, and those before it that
        // still reach into it.
        let mut from = list.partition_point(|&(a, _, _)| a < range.0);
        while from > 0 && list[from - 1].1 > range.0 {
            from -= 1;
        }
        list[from..]
            .iter()
            .take_while(|&&(a, _, _)| a < range.1)
            .filter(|&&(a, b, _)| a < range.1 && range.0 < b)
            .filter_map(|&(_, _, i)| Some((i, wire.segments.get(i)?)))
            .collect()
    }
}

/// `#4`, `#4 and #5`, `#4, #5 and #6`.
fn names(seqs: &[u64], and: &str) -> String {
    let names: Vec<String> = seqs.iter().map(|s| format!("#{s}")).collect();
    match names.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} {and} {last}", rest.join(", ")),
    }
}

/// `1 segment`, `2 segments`.
fn segments_en(n: usize) -> String {
    if n == 1 {
        "1 segment".to_owned()
    } else {
        format!("{n} segments")
    }
}

/// Rewrites the evidence of every recv verdict from the captured segments: which
/// sends left together in one segment (then the recv was glued by the sender,
/// whatever TCP_INFO suggested) or each in its own (glued by the receiver), and for a
/// split recv how many segments had brought the part it got.
pub fn captured_evidence(wire: &Wire, events: &mut [Event]) {
    let index = Index::new(wire);
    for e in events.iter_mut() {
        let (Some(v), Some(conn), Some(range)) = (&e.verdict, &e.conn, e.stream) else {
            continue;
        };
        let segs = index.carrying(wire, conn, range);
        if segs.is_empty() {
            continue;
        }
        let mut sends: Vec<u64> = e.from.iter().map(|p| p.send).collect();
        sends.dedup();
        let indices: Vec<usize> = segs.iter().map(|(i, _)| *i).collect();
        let (kind, said) = if sends.len() >= 2 {
            glued(&sends, &segs)
        } else {
            let part = e.from.first().map_or((0, 0), |p| p.bytes);
            let all = sends
                .first()
                .and_then(|send| index.per_send.get(send))
                .copied()
                .unwrap_or(0);
            (v.kind, split(v.kind, part, &sends, &segs, all))
        };
        if let Some(v) = &mut e.verdict {
            v.kind = kind;
            v.captured = Some(CapturedEvidence {
                segments: indices,
                said,
            });
        }
    }
}

/// A recv that got bytes of several sends: sender-coalesced if one captured segment
/// carried bytes of two or more of them, receiver-accumulated otherwise.
fn glued(sends: &[u64], segs: &[(usize, &Segment)]) -> (VerdictKind, Said) {
    let together: Vec<Vec<u64>> = segs
        .iter()
        .map(|(_, s)| {
            s.sends
                .iter()
                .copied()
                .filter(|x| sends.contains(x))
                .collect::<Vec<u64>>()
        })
        .filter(|x| x.len() >= 2)
        .collect();
    let (k, n) = (sends.len(), segs.len());
    let (n_en, all) = (segments_en(n), names(sends, "and"));
    let all_zh = names(sends, "和");
    if together.is_empty() {
        return (
            VerdictKind::ReceiverAccumulated,
            said!(
                "{all} left in {n_en}, one each (captured)",
                "{all_zh} 各自单独发出，共 {n} 个报文段（抓包所见）"
            ),
        );
    }
    let parts_en: Vec<String> = together
        .iter()
        .map(|x| format!("{} left in 1 segment", names(x, "and")))
        .collect();
    let parts_zh: Vec<String> = together
        .iter()
        .map(|x| format!("{} 合在 1 个报文段里发出", names(x, "和")))
        .collect();
    let (en, zh) = (parts_en.join("; "), parts_zh.join("；"));
    (
        VerdictKind::SenderCoalesced,
        said!(
            "{en}: {k} sends came in {n_en} (captured)",
            "{zh}：{k} 次发送只用了 {n} 个报文段（抓包所见）"
        ),
    )
}

/// The segments' sizes, equal neighbours counted: `10 × 1448`, `3 × 1448 + 1176`.
fn sizes(segs: &[(usize, &Segment)]) -> String {
    let mut runs: Vec<(u64, usize)> = Vec::new();
    for (_, s) in segs {
        let n = s.bytes.1 - s.bytes.0;
        match runs.last_mut() {
            Some((size, count)) if *size == n => *count += 1,
            _ => runs.push((n, 1)),
        }
    }
    let parts: Vec<String> = runs
        .iter()
        .map(|&(size, count)| match count {
            1 => size.to_string(),
            _ => format!("{count} × {size}"),
        })
        .collect();
    parts.join(" + ")
}

/// A recv that got part of one send (`part`, a range of it): the segments that
/// brought those bytes, of the `all` that carried the send.
fn split(
    kind: VerdictKind,
    part: (u64, u64),
    sends: &[u64],
    segs: &[(usize, &Segment)],
    all: usize,
) -> Said {
    let send = names(sends, "and");
    let (a, b) = part;
    let n = segs.len();
    let n_en = segments_en(n);
    let sizes = sizes(segs);
    let of = match kind {
        VerdictKind::SplitByRecvSize => said!(
            "; the buffer was full before the rest was taken",
            "；缓冲区满了，其余的留在队列里"
        ),
        _ => said!(
            " of the {all} that carried {send}",
            "（{send} 一共用了 {all} 个报文段）"
        ),
    };
    let (of_en, of_zh) = (of.en().to_owned(), of.zh().unwrap_or_default().to_owned());
    said!(
        "bytes {a}..{b} of {send} came in {n_en} ({sizes} bytes; captured){of_en}",
        "{send} 的第 {a}..{b} 字节来自 {n} 个报文段（{sizes} 字节；抓包所见）{of_zh}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment(bytes: (u64, u64), sends: &[u64]) -> Segment {
        Segment {
            packet: 0,
            direction: "client>server".into(),
            conn: "client>server".into(),
            t: None,
            flags: "ACK PSH".into(),
            bytes,
            ack: None,
            sends: sends.to_vec(),
            recvs: Vec::new(),
        }
    }

    #[test]
    fn sends_named_in_one_segment_were_glued_by_the_sender() {
        let (a, b, c) = (
            segment((0, 1), &[4]),
            segment((1, 3), &[5, 6]),
            segment((0, 0), &[]),
        );
        let (kind, said) = glued(&[4, 5, 6], &[(0, &a), (1, &b)]);
        assert_eq!(kind, VerdictKind::SenderCoalesced);
        assert_eq!(
            said.en(),
            "#5 and #6 left in 1 segment: 3 sends came in 2 segments (captured)"
        );
        let (kind, said) = glued(&[4, 5], &[(0, &a), (2, &c)]);
        assert_eq!(kind, VerdictKind::ReceiverAccumulated);
        assert_eq!(
            said.en(),
            "#4 and #5 left in 2 segments, one each (captured)"
        );
    }

    #[test]
    fn a_retransmission_is_counted_once() {
        let wire = Wire {
            segments: vec![
                segment((0, 5), &[4]),
                segment((0, 5), &[4]),
                segment((5, 10), &[6]),
            ],
            ..Wire::default()
        };
        let index = Index::new(&wire);
        let got = |range| -> Vec<usize> {
            index
                .carrying(&wire, "client>server", range)
                .iter()
                .map(|(i, _)| *i)
                .collect()
        };
        assert_eq!(got((0, 10)), [0, 2]);
        assert_eq!(got((3, 7)), [0, 2]);
        assert_eq!(got((5, 6)), [2]);
        assert!(got((10, 12)).is_empty());
        assert_eq!(index.per_send.get(&4), Some(&1));
        assert!(index.carrying(&wire, "server>client", (0, 10)).is_empty());
    }

    #[test]
    fn equal_sizes_are_counted() {
        let segs = [
            segment((0, 1448), &[6]),
            segment((1448, 2896), &[6]),
            segment((2896, 4072), &[6]),
        ];
        let refs: Vec<(usize, &Segment)> = segs.iter().enumerate().collect();
        assert_eq!(sizes(&refs), "2 × 1448 + 1176");
        assert_eq!(sizes(&refs[2..]), "1176");
    }

    #[test]
    fn names_read_as_a_list() {
        assert_eq!(names(&[4], "and"), "#4");
        assert_eq!(names(&[4, 5, 6], "and"), "#4, #5 and #6");
    }
}
