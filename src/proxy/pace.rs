//! Making the receiver see the pieces apart.
//!
//! Writing two pieces to a TCP socket one after the other does not make them two recvs:
//! if the second arrives before the receiving program calls recv(), the kernel hands it
//! both at once (that is the sticky packet itself). So after each piece the proxy waits:
//!
//! 1. until nothing of it is left unsent (SIOCOUTQNSD, see `net::unsent`): on loopback
//!    a segment sent is a segment in the receiver's receive queue;
//! 2. when the receiver's socket is on this machine (loopback, the usual lab), until the
//!    receiving program has read it: the kernel reports the socket's unread bytes
//!    (`idiag_rqueue`, sock_diag(7), see `net::diag`). Not the proxy's own SIOCOUTQ:
//!    the receiver's kernel may delay its ACK (tcp(7), TCP_QUICKACK), and an ACK says
//!    the bytes arrived, not that they were read;
//! 3. a receiver elsewhere: until the piece is acknowledged (SIOCOUTQ 0: it is in the
//!    receiver's queue), then the rest of the gap, for the program to read it.
//!
//! Every wait is bounded by the gap (`--gap`), so a program that stops reading slows the
//! proxy down but never stalls it.

use std::time::{Duration, Instant};

use socket2::Socket;

use crate::net::diag::PeerQueue;

/// How often the queues are looked at while waiting.
const LOOK_EVERY: Duration = Duration::from_micros(20);

/// How a piece's wait ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Seen {
    /// The receiving program read the whole piece (its socket had no unread byte).
    Read,
    /// The piece was acknowledged and the rest of the gap waited (a receiver whose
    /// socket the kernel does not show us).
    Delivered,
    /// The gap ran out first.
    GapOver,
}

/// The pacing of one outgoing socket.
pub(crate) struct Pacer {
    gap: Duration,
    /// The receiver's socket, when this machine's kernel shows it.
    peer: Option<PeerQueue>,
}

impl Pacer {
    pub(crate) fn new(out: &Socket, gap: Duration) -> Pacer {
        let mine = out.local_addr().ok().and_then(|a| a.as_socket());
        let theirs = out.peer_addr().ok().and_then(|a| a.as_socket());
        let peer = match (mine, theirs) {
            (Some(mine), Some(theirs)) if !gap.is_zero() => PeerQueue::new(theirs, mine),
            _ => None,
        };
        Pacer { gap, peer }
    }

    /// Waits after a piece written to `out`, at most the gap.
    pub(crate) fn after_piece(&self, out: &Socket) -> Seen {
        if self.gap.is_zero() {
            return Seen::GapOver;
        }
        let deadline = Instant::now() + self.gap;
        if !wait_until(deadline, || crate::net::unsent(out).ok() == Some(0)) {
            return Seen::GapOver;
        }
        if let Some(peer) = &self.peer {
            return match wait_until(deadline, || peer.unread().ok() == Some(0)) {
                true => Seen::Read,
                false => Seen::GapOver,
            };
        }
        let acked = wait_until(deadline, || crate::net::queued_out(out).ok() == Some(0));
        std::thread::sleep(deadline.saturating_duration_since(Instant::now()));
        match acked {
            true => Seen::Delivered,
            false => Seen::GapOver,
        }
    }
}

/// Looks at `done` every [`LOOK_EVERY`] until it holds (true) or `deadline` passes.
fn wait_until(deadline: Instant, mut done: impl FnMut() -> bool) -> bool {
    loop {
        if done() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(LOOK_EVERY);
    }
}
