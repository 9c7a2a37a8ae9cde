//! How one socket call is made and what its failure means: the step's deadline becomes
//! the kernel's SO_RCVTIMEO/SO_SNDTIMEO, and an errno becomes the name an expectation uses.

use std::io;
use std::time::{Duration, Instant};

use socket2::Socket;

use super::options::UserOpts;
use crate::net::{self, errno};
use crate::record::Event;
use crate::run::expect::{INTERRUPTED, Observed};
use crate::run::world::{POLL_SLICE, World};

/// Flags of every send(): no SIGPIPE when the peer is gone, an EPIPE error instead
/// (send(2)).
pub(super) const SEND_FLAGS: libc::c_int = libc::MSG_NOSIGNAL;

/// Why a call did not return a result.
pub(super) enum CallError {
    /// The step's deadline, or the user's own rcvtimeo/sndtimeo (`user`).
    Timeout {
        user: bool,
    },
    Os(io::Error),
    /// The run was cancelled (Ctrl-C) while the call waited.
    Interrupted,
}

impl From<io::Error> for CallError {
    fn from(e: io::Error) -> CallError {
        CallError::Os(e)
    }
}

#[derive(Clone, Copy)]
pub(super) enum Direction {
    Read,
    Write,
}

/// Runs one blocking socket call bounded by the step's deadline (and the user's own
/// rcvtimeo/sndtimeo, whichever ends first) through the kernel's SO_RCVTIMEO /
/// SO_SNDTIMEO, so the call itself is exactly the one the scenario names. A nonblocking
/// socket is called as it is: EAGAIN is its answer, not a timeout.
///
/// The kernel timeout is set to at most [`POLL_SLICE`] at a time, and the call is made
/// again while time is left, so a cancelled run (Ctrl-C) is noticed within a slice. A
/// call that timed out did nothing, so making it again is the same call going on: recv,
/// recvfrom and accept took nothing, a send that timed out took no byte (one that took
/// some returns their count instead, send(2)), and a TCP connect() made again on a
/// socket still in SYN_SENT waits for the same handshake (EALREADY if it times out
/// again, connect(2)).
pub(super) fn timed<T>(
    world: &World,
    sock: &Socket,
    opts: &mut UserOpts,
    deadline: Instant,
    direction: Direction,
    mut call: impl FnMut() -> io::Result<T>,
) -> Result<T, CallError> {
    // Checked before any call, nonblocking ones included: the loops of `sendall`,
    // `recv exactly` and `recv until eof` end here when their time is up.
    if world.is_cancelled() {
        return Err(CallError::Interrupted);
    }
    let start = Instant::now();
    let remaining = deadline.saturating_duration_since(start);
    if remaining.is_zero() {
        return Err(CallError::Timeout { user: false });
    }
    if opts.nonblocking {
        return call().map_err(CallError::Os);
    }
    let user = match direction {
        Direction::Read => opts.rcvtimeo,
        Direction::Write => opts.sndtimeo,
    };
    let (limit, by_user) = match user {
        Some(u) if u < remaining => (u, true),
        _ => (remaining, false),
    };
    let end = start + limit;
    let mut left = limit;
    // In class mode the time the run is held does not count against the step's
    // deadline (the user's own rcvtimeo/sndtimeo is the kernel's, and counts).
    let held_before = world.held();
    loop {
        if world.is_cancelled() {
            return Err(CallError::Interrupted);
        }
        if left.is_zero() {
            return Err(CallError::Timeout { user: by_user });
        }
        // A long call is made in slices of POLL_SLICE: the same value every time until
        // the deadline is near, set once (a setsockopt(2) per recv() would be one system
        // call in four of a `recv until eof`).
        let slice = Some(left.min(POLL_SLICE));
        let k = match direction {
            Direction::Read => 0,
            Direction::Write => 1,
        };
        if opts.kernel[k] != slice {
            // Unknown until set: a failed setsockopt may have left either value.
            opts.kernel[k] = None;
            match direction {
                Direction::Read => net::set_call_timeouts(sock, slice, None)?,
                Direction::Write => net::set_call_timeouts(sock, None, slice)?,
            }
            opts.kernel[k] = slice;
        }
        match call() {
            Ok(v) => return Ok(v),
            // A blocking call that hit SO_RCVTIMEO/SO_SNDTIMEO fails with EAGAIN; a
            // connect that did with EINPROGRESS, or EALREADY when it was made again
            // (socket(7), connect(2)).
            Err(e)
                if e.kind() == io::ErrorKind::WouldBlock
                    || e.raw_os_error() == Some(libc::EINPROGRESS)
                    || e.raw_os_error() == Some(libc::EALREADY) => {}
            Err(e) => return Err(CallError::Os(e)),
        }
        let shift = if by_user {
            Duration::ZERO
        } else {
            world.held().saturating_sub(held_before)
        };
        left = (end + shift).saturating_duration_since(Instant::now());
    }
}

/// Records a socket call that timed out or failed, and what its step observed.
pub(super) fn call_failed(ev: &mut Event, e: CallError, call: &str) -> Observed {
    match e {
        CallError::Timeout { user } => {
            ev.timeout = true;
            Observed::Timeout {
                user,
                blocked_in: call.to_string(),
            }
        }
        CallError::Os(e) => os_error(ev, &e),
        CallError::Interrupted => interrupted(ev, call),
    }
}

pub(super) fn os_error(ev: &mut Event, e: &io::Error) -> Observed {
    let name = errno::name_of(e);
    ev.error = Some(name.clone());
    ev.error_detail = Some(errno::detail_of(e));
    Observed::Error(name)
}

/// A step that needs a socket the actor does not have (named ENOTCONN).
pub(super) fn usage(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::NotConnected, message.to_string())
}

/// A step that cannot be carried out as written for another reason (named EINVAL).
pub(super) fn misuse(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message.to_string())
}

/// Records a call cut short by Ctrl-C: no result, no error of its own.
pub(super) fn interrupted(ev: &mut Event, call: &str) -> Observed {
    ev.detail = Some(INTERRUPTED.to_string());
    Observed::Interrupted {
        blocked_in: call.to_string(),
    }
}
