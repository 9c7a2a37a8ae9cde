//! The `wire` list of a run's JSON line (with `--wire` or `--pcap`): one object per
//! captured segment of the run's connections, in capture order, one copy each. A
//! verdict's `segments` are indices into this list (its `n`).

use serde::Serialize;

use super::run::micros;
use crate::wire::{Segment, Wire};

#[derive(Serialize)]
pub(super) struct JsonSegment<'a> {
    /// Its index in the list.
    n: usize,
    /// When it was captured, on the run's clock (the events' `t_us`).
    #[serde(skip_serializing_if = "Option::is_none")]
    t_us: Option<u64>,
    /// `SENDER>RECEIVER` by actor.
    direction: &'a str,
    /// The events' `conn` of that direction (`client>server#2` for a second connection).
    conn: &'a str,
    /// `SYN`, `ACK PSH`, `ACK FIN`, ...
    flags: &'a str,
    /// The payload as a range of the direction's stream (`[a, a]` for none).
    bytes: [u64; 2],
    len: u64,
    /// The acknowledged offset of the other direction's stream.
    #[serde(skip_serializing_if = "Option::is_none")]
    ack: Option<u64>,
    /// The `seq` of the sends whose bytes it carried.
    sends: &'a [u64],
    /// The `seq` of the recvs that returned them.
    recvs: &'a [u64],
}

impl<'a> JsonSegment<'a> {
    fn new(n: usize, s: &'a Segment) -> JsonSegment<'a> {
        JsonSegment {
            n,
            t_us: s.t.map(micros),
            direction: &s.direction,
            conn: &s.conn,
            flags: &s.flags,
            bytes: [s.bytes.0, s.bytes.1],
            len: s.bytes.1 - s.bytes.0,
            ack: s.ack,
            sends: &s.sends,
            recvs: &s.recvs,
        }
    }
}

/// The run's segments as the JSON list.
pub(super) fn segments(wire: &Wire) -> Vec<JsonSegment<'_>> {
    wire.segments
        .iter()
        .enumerate()
        .map(|(n, s)| JsonSegment::new(n, s))
        .collect()
}
