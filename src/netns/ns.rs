//! Network namespaces held by file descriptors: made with unshare(2) on a thread of their
//! own, kept as the descriptor of `/proc/thread-self/ns/net`, entered with setns(2).
//! Nothing is bind-mounted (no `/run/netns` entry): a namespace lives while a descriptor
//! of it is open, so it ends with the process, however the process ends
//! (network_namespaces(7)).

use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};

/// The network namespace of the calling thread, as a descriptor (proc(5):
/// `/proc/thread-self/ns/net`; std opens it close-on-exec).
pub(super) fn current() -> io::Result<OwnedFd> {
    File::open("/proc/thread-self/ns/net").map(OwnedFd::from)
}

/// Moves the calling thread (only it: namespaces belong to threads, and unshare(2) with
/// CLONE_NEWNET is allowed in a threaded process) into a new network namespace, and
/// returns its descriptor. Needs CAP_SYS_ADMIN: EPERM otherwise.
pub(super) fn unshare_new() -> io::Result<OwnedFd> {
    // SAFETY: unshare(2) takes no pointers; the result is checked.
    if unsafe { libc::unshare(libc::CLONE_NEWNET) } != 0 {
        return Err(io::Error::last_os_error());
    }
    current()
}

/// Moves the calling thread into the network namespace `fd` names (setns(2); needs
/// CAP_SYS_ADMIN). Sockets opened afterwards belong to it; sockets already open keep
/// theirs.
pub(super) fn enter(fd: &OwnedFd) -> io::Result<()> {
    // SAFETY: setns(2) takes a descriptor we own and a flag; no pointers.
    if unsafe { libc::setns(fd.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Whether an error says the caller lacks a privilege (EPERM, EACCES).
pub(super) fn is_denied(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::EPERM | libc::EACCES))
}
