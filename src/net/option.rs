//! The socket options a scenario can set, as values (`set nodelay on` is
//! `SockOpt::NoDelay(true)`); [`super::apply`] hands them to the kernel.

use std::time::Duration;

/// `set OPTION VALUE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SockOpt {
    NoDelay(bool),
    ReuseAddr(bool),
    ReusePort(bool),
    Cork(bool),
    QuickAck(bool),
    NonBlocking(bool),
    RcvBuf(usize),
    SndBuf(usize),
    Mss(usize),
    RcvLowat(usize),
    /// `linger DURATION` or `linger off`.
    Linger(Option<Duration>),
    /// `rcvtimeo DURATION` (`off` or `0s` clears it).
    RcvTimeo(Option<Duration>),
    SndTimeo(Option<Duration>),
    /// `max-frame SIZE`: a property of the actor's decoders, not of a socket.
    MaxFrame(usize),
    /// `pacing RATE` (bytes per second) or `pacing off`: SO_MAX_PACING_RATE.
    Pacing(Option<u64>),
}

impl SockOpt {
    /// The option's name in the language.
    pub fn name(&self) -> &'static str {
        match self {
            SockOpt::NoDelay(_) => "nodelay",
            SockOpt::ReuseAddr(_) => "reuseaddr",
            SockOpt::ReusePort(_) => "reuseport",
            SockOpt::Cork(_) => "cork",
            SockOpt::QuickAck(_) => "quickack",
            SockOpt::NonBlocking(_) => "nonblocking",
            SockOpt::RcvBuf(_) => "rcvbuf",
            SockOpt::SndBuf(_) => "sndbuf",
            SockOpt::Mss(_) => "mss",
            SockOpt::RcvLowat(_) => "rcvlowat",
            SockOpt::Linger(_) => "linger",
            SockOpt::RcvTimeo(_) => "rcvtimeo",
            SockOpt::SndTimeo(_) => "sndtimeo",
            SockOpt::MaxFrame(_) => "max-frame",
            SockOpt::Pacing(_) => "pacing",
        }
    }
}
