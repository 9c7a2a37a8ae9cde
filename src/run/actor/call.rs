//! How one socket call is made and what its failure means: the step's deadline becomes
//! the kernel's SO_RCVTIMEO/SO_SNDTIMEO, and an errno becomes the name an expectation uses.

use std::io;
use std::time::Instant;

use socket2::Socket;

use super::options::UserOpts;
use crate::net::{self, errno};
use crate::record::Event;
use crate::run::expect::Observed;

/// Flags of every send(): no SIGPIPE when the peer is gone, an EPIPE error instead
/// (send(2)).
#[cfg(target_os = "linux")]
pub(super) const SEND_FLAGS: libc::c_int = libc::MSG_NOSIGNAL;
#[cfg(not(target_os = "linux"))]
pub(super) const SEND_FLAGS: libc::c_int = 0;

/// Why a call did not return a result.
pub(super) enum CallError {
    /// The step's deadline, or the user's own rcvtimeo/sndtimeo (`user`).
    Timeout {
        user: bool,
    },
    Os(io::Error),
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
pub(super) fn timed<T>(
    sock: &Socket,
    opts: UserOpts,
    deadline: Instant,
    direction: Direction,
    call: impl FnOnce() -> io::Result<T>,
) -> Result<T, CallError> {
    if opts.nonblocking {
        return call().map_err(CallError::Os);
    }
    let remaining = deadline.saturating_duration_since(Instant::now());
    if remaining.is_zero() {
        return Err(CallError::Timeout { user: false });
    }
    let user = match direction {
        Direction::Read => opts.rcvtimeo,
        Direction::Write => opts.sndtimeo,
    };
    let (limit, by_user) = match user {
        Some(u) if u < remaining => (u, true),
        _ => (remaining, false),
    };
    match direction {
        Direction::Read => net::set_call_timeouts(sock, Some(limit), None)?,
        Direction::Write => net::set_call_timeouts(sock, None, Some(limit))?,
    }
    match call() {
        Ok(v) => Ok(v),
        // A blocking call that hit SO_RCVTIMEO/SO_SNDTIMEO fails with EAGAIN; a connect
        // that did with EINPROGRESS (socket(7), connect(2)).
        Err(e)
            if e.kind() == io::ErrorKind::WouldBlock
                || e.raw_os_error() == Some(libc::EINPROGRESS) =>
        {
            Err(CallError::Timeout { user: by_user })
        }
        Err(e) => Err(CallError::Os(e)),
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
