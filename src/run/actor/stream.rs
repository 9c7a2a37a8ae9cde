//! Data on stream connections: send, sendall, recv in its modes, and framed messages.

use std::time::Instant;

use super::Actor;
use super::call::{CallError, Direction, SEND_FLAGS, call_failed, interrupted, os_error, timed};
use crate::frame::{self, Decoder};
use crate::net;
use crate::record::Op;
use crate::run::expect::{Got, Observed, needs_bytes};
use crate::scenario::ast::{Codec, RecvMode, Step, UNTIL_EOF_CHUNK};

impl Actor<'_> {
    pub(super) fn send(
        &mut self,
        step: &Step,
        op: Op,
        bytes: &[u8],
        all: bool,
        deadline: Instant,
    ) -> Observed {
        let t0 = Instant::now();
        let i = match self.conn_index(step) {
            Ok(i) => i,
            Err(e) => return self.done(step, t0, Err(e)),
        };
        let conn = &mut self.conns[i];
        let mut taken = 0usize;
        let mut calls = 0u64;
        let mut failure = None;
        loop {
            calls += 1;
            let r = timed(
                self.world,
                &conn.sock,
                &mut conn.opts,
                deadline,
                Direction::Write,
                || conn.sock.send_with_flags(&bytes[taken..], SEND_FLAGS),
            );
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
        let segments = conn.segments();
        let link = Self::link_of(conn, true);
        let mut ev = self.event(step, op, t0);
        ev.segments = segments;
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
            Some(CallError::Interrupted) => {
                if taken > 0 {
                    ev.detail = Some(format!("{taken} bytes taken before Ctrl-C"));
                }
                interrupted(&mut ev, "send()")
            }
            Some(CallError::Os(e)) => {
                if taken > 0 {
                    ev.detail = Some(format!("{taken} bytes taken before the error"));
                }
                os_error(&mut ev, &e)
            }
        };
        self.counts.sends += calls;
        self.record(ev, Some(link));
        observed
    }

    /// One recv() call on connection `i`, recorded as its own event; the bytes it got
    /// are left in `self.buf[..got]`.
    /// `segments`: read TCP_INFO after the call (not in the middle of a `recv until eof`,
    /// where a system call more per recv would cost a tenth of the loop's speed).
    pub(super) fn recv_call(
        &mut self,
        step: &Step,
        i: usize,
        n: usize,
        deadline: Instant,
        segments: bool,
    ) -> Result<usize, Observed> {
        self.world.throttle();
        let t0 = Instant::now();
        let conn = &mut self.conns[i];
        let before = net::queued_in(&conn.sock).ok();
        let buf = &mut self.buf;
        let r = timed(
            self.world,
            &conn.sock,
            &mut conn.opts,
            deadline,
            Direction::Read,
            || net::recv_once(&conn.sock, buf, n),
        );
        let after = net::queued_in(&conn.sock).ok();
        let ended = matches!(r, Ok(0)) || r.is_err();
        let segments = if segments || ended {
            conn.segments()
        } else {
            None
        };
        let link = Self::link_of(conn, false);
        let start = conn.received;
        let mut ev = self.event(step, Op::Recv, t0);
        ev.requested = Some(n as u64);
        ev.queued_before = before.map(|q| q as u64);
        ev.queued_after = after.map(|q| q as u64);
        ev.segments = segments;
        self.count_recv(r.as_ref().map_or(0, |&got| got as u64));
        let out = match r {
            Ok(got) => {
                self.conns[i].received += got as u64;
                ev.result = Some(got as u64);
                ev.eof = got == 0 && n > 0;
                ev.stream = Some((start, start + got as u64));
                ev.data = Some(self.buf[..got].to_vec());
                Ok(got)
            }
            Err(e) => Err(call_failed(&mut ev, e, "recv()")),
        };
        self.record(ev, Some(link));
        out
    }

    pub(super) fn recv(&mut self, step: &Step, mode: RecvMode, deadline: Instant) -> Observed {
        let t0 = Instant::now();
        let i = match self.conn_index(step) {
            Ok(i) => i,
            Err(e) => return self.done(step, t0, Err(e)),
        };
        if mode == RecvMode::Exactly(0) {
            return self.nothing_to_read(step, i, t0);
        }
        // What the expectation needs of the bytes: all of them only to compare them
        // with a value.
        let mut all = Got::keeping(step.expect.as_ref().is_some_and(needs_bytes));
        let mut first = true;
        loop {
            let want = match mode {
                RecvMode::Once(n) => n,
                RecvMode::Exactly(n) => n - all.len(),
                RecvMode::UntilEof => UNTIL_EOF_CHUNK,
            };
            let segments = first || mode != RecvMode::UntilEof;
            first = false;
            let got = match self.recv_call(step, i, want, deadline, segments) {
                Ok(got) => got,
                Err(observed) => return observed,
            };
            let eof = got == 0 && want > 0;
            all.push(&self.buf[..got]);
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

    pub(super) fn recv_frame(
        &mut self,
        step: &Step,
        codec: Codec,
        chunk: usize,
        deadline: Instant,
    ) -> Observed {
        let t0 = Instant::now();
        let i = match self.conn_index(step) {
            Ok(i) => i,
            Err(e) => return self.done(step, t0, Err(e)),
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
                    self.record(ev, None);
                    return Observed::Data {
                        bytes: Got::whole(body),
                        eof: false,
                        peer: None,
                        truncated: false,
                    };
                }
                Ok(None) => {}
                Err(e) => return self.frame_error(step, t0, &e),
            }
            let got = match self.recv_call(step, i, chunk, deadline, true) {
                Ok(got) => got,
                Err(observed) => return observed,
            };
            if got == 0 {
                let finished = match &self.conns[i].decoder {
                    Some((_, _, d)) => d.finish(),
                    None => Ok(()),
                };
                return match finished {
                    Ok(()) => {
                        let mut ev = self.event(step, Op::RecvFrame, t0);
                        ev.result = Some(0);
                        ev.eof = true;
                        self.record(ev, None);
                        Observed::Data {
                            bytes: Got::default(),
                            eof: true,
                            peer: None,
                            truncated: false,
                        }
                    }
                    Err(e) => self.frame_error(step, t0, &e),
                };
            }
            if let Some((_, _, d)) = &mut self.conns[i].decoder {
                d.push(&self.buf[..got]);
            }
        }
    }

    pub(super) fn frame_error(&self, step: &Step, t0: Instant, e: &frame::FrameError) -> Observed {
        let mut ev = self.event(step, Op::RecvFrame, t0);
        ev.error = Some(e.name().to_string());
        ev.error_detail = Some(e.to_string());
        self.record(ev, None);
        Observed::Error(e.name().to_string())
    }

    /// `recv exactly 0` is done before it begins: no recv() call is made (one with a
    /// zero-length buffer would wait for data or a FIN, recv(2)). Its event says so.
    fn nothing_to_read(&mut self, step: &Step, i: usize, t0: Instant) -> Observed {
        let conn = &self.conns[i];
        let link = Self::link_of(conn, false);
        let at = conn.received;
        let mut ev = self.event(step, Op::Recv, t0);
        ev.requested = Some(0);
        ev.result = Some(0);
        ev.stream = Some((at, at));
        ev.data = Some(Vec::new());
        ev.detail = Some("nothing to read: no recv() call".to_string());
        self.record(ev, Some(link));
        Observed::Data {
            bytes: Got::default(),
            eof: false,
            peer: None,
            truncated: false,
        }
    }
}
