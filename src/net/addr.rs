//! Addresses as the tutorials write them: `127.0.0.1:8000`, `localhost:8000`,
//! `[::1]:8000`, and the rule of which of them a run may use.
//!
//! A lab on a student's laptop talks to itself. An address beyond the machine's own
//! loopback (127.0.0.0/8, ::1) is refused unless the run is given `--allow-remote`, so a
//! typo cannot send a class's traffic to somebody's server; the addresses of network
//! namespaces the run creates itself count as its own.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use crate::text::{Said, said};

/// Why a `HOST:PORT` was not understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddrError {
    /// No `:PORT` after the host (an IPv6 literal goes in brackets: `[::1]:8000`).
    NoPort,
    /// The port is not a number from 0 to 65535.
    BadPort(String),
    /// The host is neither an IP literal nor `localhost`.
    BadHost(String),
}

impl fmt::Display for AddrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AddrError::NoPort => {
                f.write_str("expected HOST:PORT (e.g. 127.0.0.1:8000, localhost:8000, [::1]:8000)")
            }
            AddrError::BadPort(port) => write!(f, "`{port}` is not a port (0 to 65535)"),
            AddrError::BadHost(host) => write!(
                f,
                "`{host}` is not a host the lab understands: write an IP address \
                 (127.0.0.1, [::1]) or localhost; names are not looked up"
            ),
        }
    }
}

impl std::error::Error for AddrError {}

/// The IP of a host as the language writes it: an IPv4 literal, an IPv6 literal with
/// or without its brackets, or `localhost` (127.0.0.1, as the tutorials mean it; no
/// name is looked up, so a run never waits for DNS).
pub fn parse_host(host: &str) -> Result<IpAddr, AddrError> {
    if host.eq_ignore_ascii_case("localhost") {
        return Ok(IpAddr::V4(Ipv4Addr::LOCALHOST));
    }
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    bare.parse::<IpAddr>()
        .map_err(|_| AddrError::BadHost(host.to_string()))
}

/// A port: a number from 0 to 65535.
pub fn parse_port(port: &str) -> Result<u16, AddrError> {
    port.parse::<u16>()
        .map_err(|_| AddrError::BadPort(port.to_string()))
}

/// `HOST:PORT`, with HOST as [`parse_host`] takes it.
pub fn parse_host_port(text: &str) -> Result<SocketAddr, AddrError> {
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        let (host, after) = rest.split_once(']').ok_or(AddrError::NoPort)?;
        let port = after.strip_prefix(':').ok_or(AddrError::NoPort)?;
        (host, port)
    } else {
        let (host, port) = text.rsplit_once(':').ok_or(AddrError::NoPort)?;
        if host.contains(':') {
            // `::1:8000` could be read two ways.
            return Err(AddrError::NoPort);
        }
        (host, port)
    };
    Ok(SocketAddr::new(parse_host(host)?, parse_port(port)?))
}

/// Whether a run may use `ip` without `--allow-remote`: loopback (127.0.0.0/8, ::1, an
/// IPv4-mapped loopback). Not the unspecified address (`0.0.0.0`, `::`): a listener
/// bound there answers on every interface, the network's included.
pub fn is_own(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

/// The message of an address a run may not use: what it is and how to allow it.
pub fn not_own(addr: SocketAddr) -> Said {
    said!(
        "{addr} is not on this machine's loopback (127.0.0.0/8, ::1): the lab talks only to itself unless the run is given --allow-remote",
        "{addr} 不在本机回环地址上（127.0.0.0/8、::1）：实验室只和自己通信，除非加上 --allow-remote"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tutorials_forms_are_read() {
        for (text, want) in [
            ("127.0.0.1:8000", "127.0.0.1:8000"),
            ("localhost:9000", "127.0.0.1:9000"),
            ("LocalHost:1", "127.0.0.1:1"),
            ("[::1]:80", "[::1]:80"),
            ("192.0.2.1:80", "192.0.2.1:80"),
        ] {
            assert_eq!(
                parse_host_port(text).map(|a| a.to_string()),
                Ok(want.into())
            );
        }
    }

    #[test]
    fn what_is_wrong_is_named() {
        assert_eq!(parse_host_port("127.0.0.1"), Err(AddrError::NoPort));
        assert_eq!(parse_host_port("::1:80"), Err(AddrError::NoPort));
        assert_eq!(
            parse_host_port("127.0.0.1:70000"),
            Err(AddrError::BadPort("70000".into()))
        );
        assert_eq!(
            parse_host_port("example.com:80"),
            Err(AddrError::BadHost("example.com".into()))
        );
        assert!(
            AddrError::BadHost("x".into())
                .to_string()
                .contains("names are not looked up")
        );
    }

    #[test]
    fn only_loopback_is_the_runs_own() {
        for own in ["127.0.0.1", "127.9.9.9", "::1", "::ffff:127.0.0.1"] {
            assert!(is_own(own.parse().expect("an ip")), "{own}");
        }
        for remote in [
            "192.0.2.1",
            "10.0.0.1",
            "0.0.0.0",
            "::",
            "2001:db8::1",
            "::ffff:192.0.2.1",
        ] {
            assert!(!is_own(remote.parse().expect("an ip")), "{remote}");
        }
    }
}
