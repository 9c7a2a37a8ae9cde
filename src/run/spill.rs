//! A queue of events in `seq` order that keeps at most [`BUDGET`] bytes in memory and
//! the rest in an unnamed temporary file: what the release holds while the event at its
//! head waits for the send its bytes came from (see [`super::release`]).
//!
//! A recv may return before the send() of its bytes does (on loopback the sender's own
//! system call puts them in the receiver's queue and wakes it), so a recv can be
//! numbered before its send, and the release cannot hand it over before that send is
//! recorded. Behind one `sendall bytes 60M` the receiver makes some 60,000 recv() calls
//! before the sendall returns: their events, with their data, wait here, and past the
//! budget they wait on disk, not in memory.

use std::collections::VecDeque;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::time::Duration;

use super::world::{Link, RawEvent};
use crate::record::{Event, Op, Provenance, Segments};

/// How many bytes of held events (about: their data and a fixed cost each) stay in
/// memory before the rest go to the file.
pub(crate) const BUDGET: usize = 8 << 20;

/// How much of the file is read back in one go.
const READ_CHUNK: usize = 1 << 20;

/// Events in `seq` order: the first ones in memory, the later ones, once the memory
/// budget is spent, in a file, read back in order as the first ones leave.
#[derive(Default)]
pub(crate) struct Held {
    mem: VecDeque<RawEvent>,
    mem_bytes: usize,
    spill: Option<Spill>,
    /// Events in the file (written or still in `Spill::out`), not yet read back.
    spilled: usize,
}

/// The file of a [`Held`] and where its reading and writing stand.
struct Spill {
    file: File,
    /// Encoded events not yet written to the file.
    out: Vec<u8>,
    /// How many bytes the file holds.
    written: u64,
    /// How many of them were read back into `input`.
    read: u64,
    /// Bytes read back from the file, from `at` on not yet decoded.
    input: Vec<u8>,
    at: usize,
}

impl Held {
    pub(crate) fn is_empty(&self) -> bool {
        self.mem.is_empty() && self.spilled == 0
    }

    /// How many events are held (in memory and in the file).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.mem.len() + self.spilled
    }

    /// How many bytes of events are held in memory (about).
    #[cfg(test)]
    pub(crate) fn mem_bytes(&self) -> usize {
        self.mem_bytes
    }

    /// How many bytes the file holds that were not read back yet.
    pub(crate) fn spilled_bytes(&self) -> u64 {
        self.spill
            .as_ref()
            .map_or(0, |s| s.written + s.out.len() as u64 - s.read)
    }

    pub(crate) fn push_back(&mut self, raw: RawEvent) {
        let size = cost(&raw);
        if self.spilled == 0 && self.mem_bytes + size <= BUDGET {
            self.mem_bytes += size;
            self.mem.push_back(raw);
            return;
        }
        if self.spill.is_none() {
            match Spill::new() {
                Ok(spill) => self.spill = Some(spill),
                // No file to spill to: memory it is, as it was before spilling.
                Err(_) => {
                    self.mem_bytes += size;
                    self.mem.push_back(raw);
                    return;
                }
            }
        }
        if let Some(spill) = &mut self.spill {
            encode(&raw, &mut spill.out);
            self.spilled += 1;
            if spill.out.len() >= READ_CHUNK && spill.flush().is_err() {
                // The file failed: what is not written stays in `out`, in memory.
            }
        }
    }

    /// The first event, read back from the file when memory has none left.
    pub(crate) fn front(&mut self) -> Option<&RawEvent> {
        if self.mem.is_empty() && self.spilled > 0 {
            self.refill();
        }
        self.mem.front()
    }

    pub(crate) fn pop_front(&mut self) -> Option<RawEvent> {
        if self.mem.is_empty() && self.spilled > 0 {
            self.refill();
        }
        let raw = self.mem.pop_front()?;
        self.mem_bytes = self.mem_bytes.saturating_sub(cost(&raw));
        Some(raw)
    }

    /// Reads events back from the file, in order, up to half the budget.
    fn refill(&mut self) {
        let Some(spill) = &mut self.spill else {
            return;
        };
        while self.spilled > 0 && self.mem_bytes < BUDGET / 2 {
            let record = match spill.next_record() {
                Ok(Some(record)) => record,
                // The file lost the rest: nothing more can come back from it.
                Ok(None) | Err(_) => {
                    self.spilled = 0;
                    break;
                }
            };
            self.spilled -= 1;
            if let Some(raw) = decode(record) {
                self.mem_bytes += cost(&raw);
                self.mem.push_back(raw);
            }
        }
        if self.spilled == 0 {
            spill.reset();
        }
    }
}

impl Spill {
    /// An unnamed file in the temporary directory (O_TMPFILE, open(2)): it has no
    /// name to clean up, and it is gone when closed.
    fn new() -> io::Result<Spill> {
        use std::os::unix::fs::OpenOptionsExt;
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_TMPFILE)
            .open(std::env::temp_dir())?;
        Ok(Spill {
            file,
            out: Vec::new(),
            written: 0,
            read: 0,
            input: Vec::new(),
            at: 0,
        })
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.out.is_empty() {
            self.file.write_all_at(&self.out, self.written)?;
            self.written += self.out.len() as u64;
            self.out.clear();
        }
        Ok(())
    }

    /// The next record's fields, or None when there is none.
    fn next_record(&mut self) -> io::Result<Option<&[u8]>> {
        if !self.fill(4)? {
            return Ok(None);
        }
        let head = &self.input[self.at..self.at + 4];
        let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as usize;
        if !self.fill(4 + len)? {
            return Ok(None);
        }
        let start = self.at + 4;
        self.at = start + len;
        Ok(Some(&self.input[start..start + len]))
    }

    /// Makes `need` bytes past `at` ready in `input`, reading the file in chunks;
    /// false when the file holds fewer.
    fn fill(&mut self, need: usize) -> io::Result<bool> {
        let have = self.input.len() - self.at;
        if have >= need {
            return Ok(true);
        }
        self.flush()?;
        let left = usize::try_from(self.written - self.read).unwrap_or(usize::MAX);
        if have + left < need {
            return Ok(false);
        }
        self.input.drain(..self.at);
        self.at = 0;
        let n = (need - have).max(READ_CHUNK).min(left);
        self.input.resize(have + n, 0);
        self.file
            .read_exact_at(&mut self.input[have..], self.read)?;
        self.read += n as u64;
        Ok(true)
    }

    /// Everything written was read back: start the file over. Its pages are written
    /// over rather than truncated: writing over a page the file already has is several
    /// times cheaper than having the kernel find a new one.
    fn reset(&mut self) {
        if self.out.is_empty() && self.read >= self.written && self.at >= self.input.len() {
            self.read = 0;
            self.written = 0;
            self.input.clear();
            self.at = 0;
        }
    }
}

/// What a held event costs in memory, about: its data and a fixed part.
fn cost(raw: &RawEvent) -> usize {
    let sent = match &raw.link {
        Some(Link::Dgram { sent: Some(b), .. }) => b.len(),
        _ => 0,
    };
    std::mem::size_of::<RawEvent>()
        + 64
        + raw.event.data.as_ref().map_or(0, Vec::len)
        + raw.event.call.len()
        + raw.event.detail.as_ref().map_or(0, String::len)
        + sent
}

// ---- the file's format: a u32 length, then the fields in order ----------------------

/// Appends one event as a record: its length (u32, little-endian), then its fields.
pub(crate) fn encode(raw: &RawEvent, out: &mut Vec<u8>) {
    let at = out.len();
    out.extend_from_slice(&[0; 4]);
    let Event {
        seq,
        t,
        dur,
        actor,
        line,
        op,
        verb,
        call,
        requested,
        result,
        error,
        rounds,
        error_detail,
        timeout,
        eof,
        data,
        conn,
        stream,
        from,
        queued_before,
        queued_after,
        peer,
        truncated,
        calls,
        detail,
        cause,
        segments,
        // Given at the release, after the file: never in it.
        verdict: _,
    } = &raw.event;
    let mut w = Writer(out);
    w.u64(*seq);
    w.dur(*t);
    w.dur(*dur);
    w.str(actor);
    w.u64(u64::from(*line));
    w.op(*op);
    w.op(*verb);
    w.str(call);
    w.opt_u64(*requested);
    w.opt_u64(*result);
    w.opt_str(error.as_deref());
    w.u64(rounds.len() as u64);
    for r in rounds {
        w.u64(u64::from(*r));
    }
    w.opt_str(error_detail.as_deref());
    w.flags(&[*timeout, *eof, *truncated]);
    w.opt_bytes(data.as_deref());
    w.opt_str(conn.as_deref());
    match stream {
        Some((a, b)) => {
            w.u8(1);
            w.u64(*a);
            w.u64(*b);
        }
        None => w.u8(0),
    }
    w.u64(from.len() as u64);
    for p in from {
        w.u64(p.send);
        w.u64(p.bytes.0);
        w.u64(p.bytes.1);
    }
    w.opt_u64(*queued_before);
    w.opt_u64(*queued_after);
    w.opt_str(peer.as_deref());
    w.opt_u64(*calls);
    w.opt_str(detail.as_deref());
    w.opt_u64(*cause);
    match segments {
        Some(s) => {
            w.u8(1);
            for v in [s.out, s.in_, s.data_out, s.data_in, s.notsent, s.unacked] {
                w.u64(u64::from(v));
            }
        }
        None => w.u8(0),
    }
    match &raw.link {
        None => w.u8(0),
        Some(Link::Stream {
            conn,
            from_connector,
        }) => {
            w.u8(1);
            w.u64(*conn as u64);
            w.flags(&[*from_connector]);
        }
        Some(Link::Dgram {
            sender,
            receiver,
            sent,
        }) => {
            w.u8(2);
            w.str(sender);
            w.str(receiver);
            w.opt_bytes(sent.as_deref());
        }
        Some(Link::Shut {
            conn,
            connector,
            write,
            read,
        }) => {
            w.u8(3);
            w.u64(*conn as u64);
            w.flags(&[*connector, *write, *read]);
        }
    }
    let len = u32::try_from(out.len() - at - 4).unwrap_or(u32::MAX);
    out[at..at + 4].copy_from_slice(&len.to_le_bytes());
}

/// One record's fields (without its length) back into an event; None if they are
/// not a record [`encode`] wrote.
pub(crate) fn decode(bytes: &[u8]) -> Option<RawEvent> {
    let mut r = Reader(bytes);
    let seq = r.u64()?;
    let t = r.dur()?;
    let dur = r.dur()?;
    let actor = r.str()?;
    let line = u32::try_from(r.u64()?).ok()?;
    let op = r.op()?;
    let verb = r.op()?;
    let call = r.str()?;
    let requested = r.opt_u64()?;
    let result = r.opt_u64()?;
    let error = r.opt_str()?;
    let n = r.u64()?;
    let mut rounds = Vec::new();
    for _ in 0..n {
        rounds.push(u32::try_from(r.u64()?).ok()?);
    }
    let error_detail = r.opt_str()?;
    let [timeout, eof, truncated] = r.flags()?;
    let data = r.opt_bytes()?;
    let conn = r.opt_str()?;
    let stream = match r.u8()? {
        0 => None,
        _ => Some((r.u64()?, r.u64()?)),
    };
    let n = r.u64()?;
    let mut from = Vec::new();
    for _ in 0..n {
        from.push(Provenance {
            send: r.u64()?,
            bytes: (r.u64()?, r.u64()?),
        });
    }
    let queued_before = r.opt_u64()?;
    let queued_after = r.opt_u64()?;
    let peer = r.opt_str()?;
    let calls = r.opt_u64()?;
    let detail = r.opt_str()?;
    let cause = r.opt_u64()?;
    let segments = match r.u8()? {
        0 => None,
        _ => {
            let mut v = [0u32; 6];
            for x in &mut v {
                *x = u32::try_from(r.u64()?).ok()?;
            }
            let [out, in_, data_out, data_in, notsent, unacked] = v;
            Some(Segments {
                out,
                in_,
                data_out,
                data_in,
                notsent,
                unacked,
            })
        }
    };
    let link = match r.u8()? {
        0 => None,
        1 => {
            let conn = usize::try_from(r.u64()?).ok()?;
            let [from_connector] = r.flags()?;
            Some(Link::Stream {
                conn,
                from_connector,
            })
        }
        2 => Some(Link::Dgram {
            sender: r.str()?,
            receiver: r.str()?,
            sent: r.opt_bytes()?,
        }),
        _ => {
            let conn = usize::try_from(r.u64()?).ok()?;
            let [connector, write, read] = r.flags()?;
            Some(Link::Shut {
                conn,
                connector,
                write,
                read,
            })
        }
    };
    Some(RawEvent {
        event: Event {
            seq,
            t,
            dur,
            actor,
            line,
            op,
            verb,
            call,
            requested,
            result,
            error,
            rounds,
            error_detail,
            timeout,
            eof,
            data,
            conn,
            stream,
            from,
            queued_before,
            queued_after,
            peer,
            truncated,
            calls,
            detail,
            cause,
            segments,
            verdict: None,
        },
        link,
        who: None,
    })
}

struct Writer<'a>(&'a mut Vec<u8>);

impl Writer<'_> {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn dur(&mut self, d: Duration) {
        self.u64(d.as_secs());
        self.u64(u64::from(d.subsec_nanos()));
    }
    fn flags<const N: usize>(&mut self, flags: &[bool; N]) {
        let mut v = 0u8;
        for (k, &f) in flags.iter().enumerate() {
            v |= u8::from(f) << k;
        }
        self.u8(v);
    }
    fn op(&mut self, op: Op) {
        let k = Op::ALL.iter().position(|(o, _)| *o == op).unwrap_or(0);
        self.u8(u8::try_from(k).unwrap_or(0));
    }
    fn bytes(&mut self, b: &[u8]) {
        self.u64(b.len() as u64);
        self.0.extend_from_slice(b);
    }
    fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }
    fn opt_u64(&mut self, v: Option<u64>) {
        match v {
            Some(v) => {
                self.u8(1);
                self.u64(v);
            }
            None => self.u8(0),
        }
    }
    fn opt_bytes(&mut self, b: Option<&[u8]>) {
        match b {
            Some(b) => {
                self.u8(1);
                self.bytes(b);
            }
            None => self.u8(0),
        }
    }
    fn opt_str(&mut self, s: Option<&str>) {
        self.opt_bytes(s.map(str::as_bytes));
    }
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn u64(&mut self) -> Option<u64> {
        let b = self.take(8)?;
        Some(u64::from_le_bytes(b.try_into().ok()?))
    }
    fn dur(&mut self) -> Option<Duration> {
        let secs = self.u64()?;
        let nanos = u32::try_from(self.u64()?).ok()?;
        Some(Duration::new(secs, nanos))
    }
    fn flags<const N: usize>(&mut self) -> Option<[bool; N]> {
        let v = self.u8()?;
        let mut out = [false; N];
        for (k, f) in out.iter_mut().enumerate() {
            *f = v >> k & 1 == 1;
        }
        Some(out)
    }
    fn op(&mut self) -> Option<Op> {
        Op::ALL.get(usize::from(self.u8()?)).map(|(op, _)| *op)
    }
    fn bytes(&mut self) -> Option<Vec<u8>> {
        let n = usize::try_from(self.u64()?).ok()?;
        self.take(n).map(<[u8]>::to_vec)
    }
    fn str(&mut self) -> Option<String> {
        String::from_utf8(self.bytes()?).ok()
    }
    fn opt_u64(&mut self) -> Option<Option<u64>> {
        match self.u8()? {
            0 => Some(None),
            _ => self.u64().map(Some),
        }
    }
    fn opt_bytes(&mut self) -> Option<Option<Vec<u8>>> {
        match self.u8()? {
            0 => Some(None),
            _ => self.bytes().map(Some),
        }
    }
    fn opt_str(&mut self) -> Option<Option<String>> {
        match self.u8()? {
            0 => Some(None),
            _ => self.str().map(Some),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{BUDGET, Held, decode, encode};
    use crate::record::{Event, Op, Provenance, Segments};
    use crate::run::world::{Link, RawEvent};

    fn full(seq: u64, link: Option<Link>) -> RawEvent {
        RawEvent {
            event: Event {
                seq,
                t: Duration::new(3, 141_592_653),
                dur: Duration::from_nanos(2718),
                actor: "server".into(),
                line: 19,
                op: Op::Recv,
                verb: Op::RecvFrame,
                call: "recv frame json-header".into(),
                requested: Some(1024),
                result: Some(7),
                error: Some("ECONNRESET".into()),
                rounds: vec![0, 41],
                error_detail: Some("Connection reset by peer".into()),
                timeout: true,
                eof: false,
                data: Some(b"he\0llo\xff".to_vec()),
                conn: Some("client>server#2".into()),
                stream: Some((5, 12)),
                from: vec![Provenance {
                    send: 9,
                    bytes: (1, 8),
                }],
                queued_before: Some(12),
                queued_after: None,
                peer: Some("client".into()),
                truncated: true,
                calls: Some(3),
                detail: Some("d".into()),
                cause: Some(44),
                segments: Some(Segments {
                    out: 1,
                    in_: 2,
                    data_out: 3,
                    data_in: 4,
                    notsent: 5,
                    unacked: 6,
                }),
                verdict: None,
            },
            link,
            who: None,
        }
    }

    fn round_trip(raw: &RawEvent) -> RawEvent {
        let mut out = Vec::new();
        encode(raw, &mut out);
        let len = u32::from_le_bytes([out[0], out[1], out[2], out[3]]) as usize;
        assert_eq!(len + 4, out.len());
        decode(&out[4..]).expect("decodes")
    }

    #[test]
    fn every_field_and_link_comes_back_from_the_file_format() {
        let links = [
            None,
            Some(Link::Stream {
                conn: 3,
                from_connector: true,
            }),
            Some(Link::Dgram {
                sender: "a".into(),
                receiver: "b".into(),
                sent: Some(b"xyz".to_vec()),
            }),
            Some(Link::Shut {
                conn: 2,
                connector: false,
                write: true,
                read: false,
            }),
        ];
        for link in links {
            let raw = full(7, link);
            let back = round_trip(&raw);
            assert_eq!(back.event, raw.event);
            assert_eq!(back.link, raw.link);
        }
        let plain = RawEvent {
            event: Event::default(),
            link: None,
            who: None,
        };
        assert_eq!(round_trip(&plain).event, Event::default());
    }

    #[test]
    fn past_the_budget_events_wait_in_the_file_and_come_back_in_order() {
        let mut held = Held::default();
        let n = 3 * BUDGET / 1000;
        for seq in 1..=n as u64 {
            let mut raw = full(seq, None);
            raw.event.data = Some(vec![(seq % 251) as u8; 1000]);
            held.push_back(raw);
            assert!(held.mem_bytes() <= BUDGET, "memory stays within the budget");
        }
        assert_eq!(held.len(), n);
        assert!(held.spill.is_some(), "the rest went to the file");
        for seq in 1..=n as u64 {
            let raw = held.pop_front().expect("one more");
            assert_eq!(raw.event.seq, seq);
            assert_eq!(raw.event.data, Some(vec![(seq % 251) as u8; 1000]));
            // Pushes while the file is being read go behind it.
            if seq == 10 {
                let mut late = full(n as u64 + 1, None);
                late.event.data = Some(vec![1; 10]);
                held.push_back(late);
            }
        }
        assert_eq!(held.pop_front().map(|r| r.event.seq), Some(n as u64 + 1));
        assert!(held.is_empty());
        assert!(held.pop_front().is_none());
    }
}
