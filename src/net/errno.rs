//! errno numbers to the names students see in man pages (`ECONNRESET`), and back.

use std::io;

/// The errno names stickylab knows, with their numbers on this OS.
pub(crate) const NAMES: &[(&str, i32)] = &[
    ("EADDRINUSE", libc::EADDRINUSE),
    ("EADDRNOTAVAIL", libc::EADDRNOTAVAIL),
    ("ECONNRESET", libc::ECONNRESET),
    ("ECONNREFUSED", libc::ECONNREFUSED),
    ("ECONNABORTED", libc::ECONNABORTED),
    ("EAGAIN", libc::EAGAIN),
    ("EPIPE", libc::EPIPE),
    ("ETIMEDOUT", libc::ETIMEDOUT),
    ("EINPROGRESS", libc::EINPROGRESS),
    ("EALREADY", libc::EALREADY),
    ("ENOTCONN", libc::ENOTCONN),
    ("EISCONN", libc::EISCONN),
    ("EINVAL", libc::EINVAL),
    ("EMSGSIZE", libc::EMSGSIZE),
    ("ENOBUFS", libc::ENOBUFS),
    ("EBADF", libc::EBADF),
    ("ENOENT", libc::ENOENT),
    ("EACCES", libc::EACCES),
    ("EPERM", libc::EPERM),
    ("EHOSTUNREACH", libc::EHOSTUNREACH),
    ("ENETUNREACH", libc::ENETUNREACH),
    ("EINTR", libc::EINTR),
    ("ESHUTDOWN", libc::ESHUTDOWN),
    ("EOPNOTSUPP", libc::EOPNOTSUPP),
    ("ENOPROTOOPT", libc::ENOPROTOOPT),
    ("ENOTSOCK", libc::ENOTSOCK),
    ("EMFILE", libc::EMFILE),
    ("ENFILE", libc::ENFILE),
    ("ENOMEM", libc::ENOMEM),
    ("EAFNOSUPPORT", libc::EAFNOSUPPORT),
    ("EDESTADDRREQ", libc::EDESTADDRREQ),
];

/// The errno name of an I/O error (`ECONNRESET`); `EAGAIN` for EWOULDBLOCK (the same
/// number on Linux). An error without an errno is named by its kind.
pub(crate) fn name_of(err: &io::Error) -> String {
    match err.raw_os_error() {
        Some(code) => NAMES
            .iter()
            .find(|(_, n)| *n == code)
            .map(|(name, _)| (*name).to_string())
            .unwrap_or_else(|| format!("errno {code}")),
        // stickylab's own refusals (a `close` with no connection) carry a kind, not an
        // errno; they are named like the errno a socket call would give.
        None => match err.kind() {
            io::ErrorKind::NotConnected => "ENOTCONN".to_string(),
            io::ErrorKind::Unsupported => "EOPNOTSUPP".to_string(),
            _ => "EINVAL".to_string(),
        },
    }
}

/// True when an expected name and an observed one mean the same error.
pub(crate) fn same(expected: &str, observed: &str) -> bool {
    let norm = |s: &str| {
        if s == "EWOULDBLOCK" {
            "EAGAIN".to_string()
        } else {
            s.to_string()
        }
    };
    norm(expected) == norm(observed)
}

/// The description of an error without the "(os error N)" suffix.
pub(crate) fn detail_of(err: &io::Error) -> String {
    let text = err.to_string();
    match text.find(" (os error") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_errno_numbers() {
        assert_eq!(
            name_of(&io::Error::from_raw_os_error(libc::ECONNRESET)),
            "ECONNRESET"
        );
        assert_eq!(
            name_of(&io::Error::from_raw_os_error(libc::EWOULDBLOCK)),
            "EAGAIN"
        );
        assert!(same("EWOULDBLOCK", "EAGAIN"));
        assert!(!same("EPIPE", "ECONNRESET"));
        assert_eq!(
            detail_of(&io::Error::from_raw_os_error(libc::EPIPE)),
            "Broken pipe"
        );
    }
}
