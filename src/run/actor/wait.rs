//! Waits on kernel state: bytes queued to read (FIONREAD), the send queue drained or
//! acknowledged (SIOCOUTQ, SIOCOUTQNSD).

use std::io;
use std::time::{Duration, Instant};

use socket2::Socket;

use super::Actor;
use crate::net;
use crate::run::expect::Observed;
use crate::run::spin::Spin;
use crate::run::world::WaitEnd;
use crate::scenario::ast::Step;

impl Actor<'_> {
    // ---- kernel-state waits --------------------------------------------------------

    /// The socket a `wait readable`/`wait drained` looks at.
    pub(super) fn watched(&self, step: &Step) -> io::Result<&Socket> {
        match self.conn_index(step) {
            Ok(i) => Ok(&self.conns[i].sock),
            Err(e) => self.dgram.as_ref().map(|d| &d.sock).ok_or(e),
        }
    }

    /// Until at least `n` bytes sit in the receive queue (FIONREAD). The kernel's own
    /// count, not a sleep, is what makes "the bytes are all queued" certain. While the
    /// queue is empty, poll(2) sleeps in the kernel until the first byte (or a FIN).
    pub(super) fn wait_readable(&mut self, step: &Step, n: usize, deadline: Instant) -> Observed {
        self.wait_on_kernel(
            step,
            deadline,
            &format!("wait readable {n} (FIONREAD)"),
            |sock| {
                let q = net::queued_in(sock)?;
                Ok((q >= n).then(|| format!("{q} bytes queued")))
            },
            |sock| Ok(net::queued_in(sock)? == 0),
        )
    }

    /// Until every byte that has left is acknowledged: SIOCOUTQ (unacknowledged + unsent)
    /// equals SIOCOUTQNSD (unsent). Bytes the peer's closed window keeps in our queue may
    /// stay; once this holds, no ACK is on its way to free room in the send buffer.
    pub(super) fn wait_acked(&mut self, step: &Step, deadline: Instant) -> Observed {
        self.wait_on_kernel(
            step,
            deadline,
            "wait acked (SIOCOUTQ, SIOCOUTQNSD)",
            |sock| {
                let (queued, unsent) = (net::queued_out(sock)?, net::unsent(sock)?);
                Ok((queued <= unsent).then(|| format!("{unsent} bytes unsent, none in flight")))
            },
            |_| Ok(false),
        )
    }

    /// Until the send queue is empty: every byte sent and acknowledged (SIOCOUTQ = 0).
    pub(super) fn wait_drained(&mut self, step: &Step, deadline: Instant) -> Observed {
        self.wait_on_kernel(
            step,
            deadline,
            "wait drained (SIOCOUTQ)",
            |sock| Ok((net::queued_out(sock)? == 0).then(String::new)),
            |_| Ok(false),
        )
    }

    /// Looks at a kernel count of the watched socket until `ready` says it is there
    /// (with a detail for the event; empty for none), the deadline passes, or the run is
    /// aborted or cancelled. Between two looks it pauses ([`Backoff`]), or, while
    /// `idle` says nothing at all has come, sleeps in poll(2) until something does.
    pub(super) fn wait_on_kernel(
        &mut self,
        step: &Step,
        deadline: Instant,
        blocked_in: &str,
        ready: impl Fn(&Socket) -> io::Result<Option<String>>,
        idle: impl Fn(&Socket) -> io::Result<bool>,
    ) -> Observed {
        let t0 = Instant::now();
        let sock = match self.watched(step) {
            Ok(s) => s,
            Err(e) => return self.done(step, t0, Err(e)),
        };
        let mut backoff = Backoff::default();
        // In class mode the time the run is held does not count.
        let held_before = self.world.held();
        let result = loop {
            match ready(sock) {
                Ok(Some(detail)) => break Ok(Some(detail).filter(|d| !d.is_empty())),
                Ok(None) => {
                    if let Some(end) = self.world.interruption() {
                        break Err(end);
                    }
                    let now = Instant::now();
                    let deadline = deadline + self.world.held().saturating_sub(held_before);
                    if now >= deadline {
                        break Err(WaitEnd::Deadline);
                    }
                    match idle(sock) {
                        // poll(2) in slices, so the run's end or Ctrl-C is seen; a
                        // wake-up with still nothing queued (a FIN) must not spin.
                        Ok(true) => match net::poll_readable(
                            sock,
                            (deadline - now).min(Duration::from_millis(20)),
                        ) {
                            Ok(true) if idle(sock).ok() == Some(true) => {
                                backoff.pause(deadline - now);
                            }
                            Ok(_) => {}
                            Err(e) => return self.done(step, t0, Err(e)),
                        },
                        Ok(false) => backoff.pause(deadline - now),
                        Err(e) => return self.done(step, t0, Err(e)),
                    }
                }
                Err(e) => return self.done(step, t0, Err(e)),
            }
        };
        self.waited(step, t0, result, blocked_in)
    }
}

/// Pauses between two looks at a kernel count. On loopback the awaited bytes or ACK are
/// usually microseconds away, so the first looks come after a short spin (see [`Spin`]);
/// after that the naps grow to a millisecond, so a long wait costs little.
pub(super) struct Backoff {
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
    pub(super) fn pause(&mut self, remaining: Duration) {
        if !self.spin.again() {
            std::thread::sleep(self.nap.min(remaining));
            self.nap = (self.nap * 2).min(Duration::from_millis(1));
        }
    }
}
