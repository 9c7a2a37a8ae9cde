//! The kinds of socket a scenario can open.

/// A connected byte stream: TCP (tcp(7)) or a Unix stream socket (unix(7)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamKind {
    Tcp,
    Unix,
}

/// Datagrams that keep their boundaries: UDP (udp(7)) or Unix datagrams (unix(7)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DgramKind {
    Udp,
    UnixDgram,
}
