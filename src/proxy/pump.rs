//! One direction of one connection: read from one socket, cut, send on the other.
//!
//! Reading asks for at most the bytes that complete the current piece, and stops while a
//! piece is being sent and paced: the proxy never holds more than one piece per
//! direction, and a sender faster than the receiver is held back by TCP's own flow
//! control (its send buffer fills, then its send() blocks).

use std::io::{self, Read};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use socket2::Socket;

use super::cutter::{Cutter, Piece};
use super::pace::{Pacer, Seen};

/// How often a direction that waits looks at the Ctrl-C flag.
const TICK: Duration = Duration::from_millis(100);

/// One direction and what it needs.
pub(crate) struct Direction<'a> {
    pub(crate) from: &'a Socket,
    pub(crate) to: &'a Socket,
    pub(crate) cutter: Cutter,
    /// Flush a partial piece when the sender has been idle this long.
    pub(crate) hold: Duration,
    /// The longest wait after a piece (see `pace`).
    pub(crate) gap: Duration,
    pub(crate) cancel: &'a AtomicBool,
    /// When the connection was accepted: a piece's time is counted from it.
    pub(crate) began: Instant,
}

/// Which socket an error came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    /// Reading from the sender.
    From,
    /// Writing to the receiver.
    To,
}

/// How a direction ended.
#[derive(Debug)]
pub(crate) enum End {
    /// The sender closed its side (FIN): it was passed on with shutdown(SHUT_WR).
    Eof,
    /// A socket failed (a reset, most often).
    Failed(Side, io::Error),
    /// Ctrl-C, or the other direction failed and shut this one down.
    Stopped,
}

/// What a direction did.
#[derive(Debug)]
pub(crate) struct Stats {
    pub(crate) bytes: u64,
    pub(crate) pieces: u64,
    pub(crate) early: u64,
    /// Pieces the receiving program was seen to read before the next one was sent.
    pub(crate) seen_read: u64,
    pub(crate) end: End,
}

/// Runs one direction to its end, handing every piece sent and its time (µs since the
/// connection began) to `on_piece`.
///
/// An error on either socket ends the whole connection: both sockets are shut down, so
/// the other direction wakes up and ends too, and the socket that did not fail is set to
/// reset when it is closed (SO_LINGER 0, socket(7)), passing the reset on.
pub(crate) fn pump(mut d: Direction<'_>, on_piece: &mut dyn FnMut(&Piece, u64)) -> Stats {
    let mut stats = Stats {
        bytes: 0,
        pieces: 0,
        early: 0,
        seen_read: 0,
        end: End::Stopped,
    };
    // A send blocked by a full receiver wakes up now and then to look at Ctrl-C.
    let _ = d.to.set_write_timeout(Some(TICK));
    let pacer = Pacer::new(d.to, d.gap);
    let mut buf = vec![0u8; d.cutter.longest()];
    let mut filled = 0usize;
    let mut last_byte = Instant::now();
    let end = loop {
        if d.cancel.load(Ordering::Relaxed) {
            break End::Stopped;
        }
        let want = d.cutter.want();
        if filled == want {
            if let Err(e) = send_piece(&mut d, &pacer, &buf[..filled], false, &mut stats, on_piece)
            {
                break e;
            }
            filled = 0;
            continue;
        }
        let wait = if filled > 0 {
            d.hold.saturating_sub(last_byte.elapsed())
        } else {
            TICK
        };
        let readable = match crate::net::poll_readable(d.from, wait) {
            Ok(r) => r,
            Err(e) => break End::Failed(Side::From, e),
        };
        if !readable {
            if filled > 0 && last_byte.elapsed() >= d.hold {
                // The sender went quiet in the middle of a piece: do not stall a
                // request/reply protocol, send what there is.
                if let Err(e) =
                    send_piece(&mut d, &pacer, &buf[..filled], true, &mut stats, on_piece)
                {
                    break e;
                }
                filled = 0;
            }
            continue;
        }
        if buf.len() < want {
            buf.resize(want, 0);
        }
        match d.from.read(&mut buf[filled..want]) {
            Ok(0) => {
                if filled > 0
                    && let Err(e) =
                        send_piece(&mut d, &pacer, &buf[..filled], false, &mut stats, on_piece)
                {
                    break e;
                }
                // The sender's FIN, passed on: the receiver reads EOF after the last
                // piece, and may still answer (a half-close, shutdown(2)).
                let _ = d.to.shutdown(std::net::Shutdown::Write);
                break End::Eof;
            }
            Ok(n) => {
                filled += n;
                last_byte = Instant::now();
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => break End::Failed(Side::From, e),
        }
    };
    if let End::Failed(side, _) = &end {
        // SO_LINGER with a zero timeout: close() sends RST instead of FIN (socket(7)).
        let survivor = match side {
            Side::From => d.to,
            Side::To => d.from,
        };
        let _ = survivor.set_linger(Some(Duration::ZERO));
        let _ = d.from.shutdown(std::net::Shutdown::Both);
        let _ = d.to.shutdown(std::net::Shutdown::Both);
    }
    stats.end = end;
    stats
}

/// Sends one piece whole, then paces (see `pace`).
fn send_piece(
    d: &mut Direction<'_>,
    pacer: &Pacer,
    bytes: &[u8],
    early: bool,
    stats: &mut Stats,
    on_piece: &mut dyn FnMut(&Piece, u64),
) -> Result<(), End> {
    let mut sent = 0;
    while sent < bytes.len() {
        // MSG_NOSIGNAL: a receiver gone gives EPIPE, not SIGPIPE (send(2)).
        match d.to.send_with_flags(&bytes[sent..], libc::MSG_NOSIGNAL) {
            Ok(n) => sent += n,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) =>
            {
                if d.cancel.load(Ordering::Relaxed) {
                    return Err(End::Stopped);
                }
            }
            Err(e) => return Err(End::Failed(Side::To, e)),
        }
    }
    let piece = d.cutter.cut(bytes.len(), early);
    let t_us = u64::try_from(d.began.elapsed().as_micros()).unwrap_or(u64::MAX);
    on_piece(&piece, t_us);
    stats.bytes += piece.len as u64;
    stats.pieces += 1;
    stats.early += u64::from(piece.early);
    if pacer.after_piece(d.to) == Seen::Read {
        stats.seen_read += 1;
    }
    Ok(())
}
