//! What a step observed, and whether that is what its `=> ...` expected.

use crate::net::errno;
use crate::scenario::ast::{DataMatch, Expectation, Outcome};
use crate::scenario::value;
use crate::text::escape;

/// How a step cut short by Ctrl-C is described.
pub(crate) const INTERRUPTED: &str = "interrupted (Ctrl-C)";

/// The outcome of one step, as an expectation sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Observed {
    /// A step with no result but success (setup, options, sync).
    Done,
    /// send/sendall/sendto/send frame: how many bytes the kernel took of how many.
    Sent { offered: u64, taken: u64 },
    /// recv/recvfrom/recv frame: the bytes, whether the last call returned 0 (eof), the
    /// sender (recvfrom) and MSG_TRUNC (recvfrom).
    Data {
        bytes: Vec<u8>,
        eof: bool,
        peer: Option<String>,
        truncated: bool,
    },
    /// accept: the actor that connected.
    Accepted { peer: Option<String> },
    /// An errno name or a framing error name.
    Error(String),
    /// No result before the deadline (`user` = the socket's own rcvtimeo/sndtimeo).
    Timeout { user: bool, blocked_in: String },
    /// The run was winding down because another actor was blocked.
    Aborted,
    /// The run was cancelled (Ctrl-C) while the step was in `blocked_in`.
    Interrupted { blocked_in: String },
}

/// True when one of the alternatives is `timeout`.
pub(crate) fn allows_timeout(expectation: &Expectation) -> bool {
    expectation
        .alternatives
        .iter()
        .any(|o| matches!(o, Outcome::Timeout))
}

/// Whether the observation satisfies the expectation, and the observation written in
/// the expectation language (for reports).
pub(crate) fn check(expectation: &Expectation, observed: &Observed) -> (bool, String) {
    let passed = expectation
        .alternatives
        .iter()
        .any(|alt| outcome_holds(alt, observed));
    (passed, describe(observed))
}

fn outcome_holds(outcome: &Outcome, observed: &Observed) -> bool {
    match (outcome, observed) {
        (
            Outcome::Ok,
            Observed::Error(_)
            | Observed::Timeout { .. }
            | Observed::Aborted
            | Observed::Interrupted { .. },
        ) => false,
        (Outcome::Ok, _) => true,
        (Outcome::Timeout, Observed::Timeout { .. }) => true,
        (Outcome::Error(name), Observed::Error(seen)) => errno::same(name, seen),
        // eof is a recv that returned 0: nothing came before it in this step.
        (Outcome::Eof, Observed::Data { eof, bytes, .. }) => *eof && bytes.is_empty(),
        (Outcome::Partial, Observed::Sent { offered, taken }) => taken < offered,
        (
            Outcome::Data {
                what,
                from,
                truncated,
            },
            observed,
        ) => data_holds(what.as_ref(), from.as_deref(), *truncated, observed),
        _ => false,
    }
}

fn data_holds(
    what: Option<&DataMatch>,
    from: Option<&str>,
    truncated: bool,
    observed: &Observed,
) -> bool {
    match observed {
        Observed::Sent { taken, .. } => match what {
            Some(DataMatch::Count(n)) => *taken == *n as u64,
            _ => false,
        },
        Observed::Accepted { peer } => {
            what.is_none() && !truncated && from.is_some_and(|f| peer.as_deref() == Some(f))
        }
        Observed::Data {
            bytes,
            peer,
            truncated: was_truncated,
            ..
        } => {
            let bytes_ok = match what {
                None => true,
                Some(DataMatch::Count(n)) => bytes.len() == *n,
                Some(DataMatch::Exact(v)) => value::matches(v, bytes),
            };
            let from_ok = from.is_none_or(|f| peer.as_deref() == Some(f));
            bytes_ok && from_ok && (!truncated || *was_truncated)
        }
        _ => false,
    }
}

/// How long a shown value may be before its middle is left out.
const SHOW: usize = 48;

/// The observation in the expectation language: `"helloworld"`, `eof`, `error EAGAIN`,
/// `5 bytes`, `partial (8192 of 1048576 bytes)`, `"hi" from client truncated`.
pub(crate) fn describe(observed: &Observed) -> String {
    match observed {
        Observed::Done => "ok".to_string(),
        Observed::Sent { offered, taken } if taken < offered => {
            format!("partial ({taken} of {offered} bytes)")
        }
        Observed::Sent { taken, .. } => format!("{taken} bytes"),
        Observed::Data {
            bytes,
            eof,
            peer,
            truncated,
        } => {
            let mut text = if bytes.is_empty() && *eof {
                "eof".to_string()
            } else {
                let mut t = escape::quote_short(bytes, SHOW);
                if *eof {
                    t.push_str(" then eof");
                }
                t
            };
            if let Some(p) = peer {
                text.push_str(&format!(" from {p}"));
            }
            if *truncated {
                text.push_str(" truncated");
            }
            text
        }
        Observed::Accepted { peer: Some(p) } => format!("from {p}"),
        Observed::Accepted { peer: None } => "ok (from an unknown address)".to_string(),
        Observed::Error(name) => format!("error {name}"),
        Observed::Timeout { .. } => "timeout".to_string(),
        Observed::Aborted => "not run: another actor was blocked".to_string(),
        Observed::Interrupted { .. } => INTERRUPTED.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::{Observed, check, describe};
    use crate::scenario::ast::Value;
    use crate::scenario::ast::{DataMatch, Expectation, Outcome};

    fn expectation(alternatives: Vec<Outcome>) -> Expectation {
        Expectation {
            alternatives,
            text: String::new(),
        }
    }

    fn data(bytes: &[u8]) -> Observed {
        Observed::Data {
            bytes: bytes.to_vec(),
            eof: false,
            peer: None,
            truncated: false,
        }
    }

    #[test]
    fn exact_value_matches_only_those_bytes() {
        let e = expectation(vec![Outcome::Data {
            what: Some(DataMatch::Exact(Value::Literal(b"helloworld".to_vec()))),
            from: None,
            truncated: false,
        }]);
        assert_eq!(
            check(&e, &data(b"helloworld")),
            (true, "\"helloworld\"".to_string())
        );
        assert!(!check(&e, &data(b"hello")).0);
    }

    #[test]
    fn alternatives_accept_either_outcome() {
        let e = expectation(vec![Outcome::Eof, Outcome::Error("ECONNRESET".into())]);
        let eof = Observed::Data {
            bytes: vec![],
            eof: true,
            peer: None,
            truncated: false,
        };
        assert_eq!(check(&e, &eof), (true, "eof".to_string()));
        assert!(check(&e, &Observed::Error("ECONNRESET".into())).0);
        assert!(!check(&e, &data(b"x")).0);
    }

    #[test]
    fn partial_and_counts_of_sends() {
        let sent = Observed::Sent {
            offered: 100,
            taken: 40,
        };
        assert_eq!(
            check(&expectation(vec![Outcome::Partial]), &sent),
            (true, "partial (40 of 100 bytes)".to_string())
        );
        let all = Observed::Sent {
            offered: 5,
            taken: 5,
        };
        assert!(!check(&expectation(vec![Outcome::Partial]), &all).0);
        let five = Outcome::Data {
            what: Some(DataMatch::Count(5)),
            from: None,
            truncated: false,
        };
        assert!(check(&expectation(vec![five]), &all).0);
    }

    #[test]
    fn from_and_truncated_follow_a_value() {
        let seen = Observed::Data {
            bytes: b"0123456789".to_vec(),
            eof: false,
            peer: Some("client".into()),
            truncated: true,
        };
        let e = expectation(vec![Outcome::Data {
            what: Some(DataMatch::Count(10)),
            from: Some("client".into()),
            truncated: true,
        }]);
        assert_eq!(
            check(&e, &seen),
            (true, "\"0123456789\" from client truncated".to_string())
        );
        let wrong_peer = expectation(vec![Outcome::Data {
            what: None,
            from: Some("bob".into()),
            truncated: false,
        }]);
        assert!(!check(&wrong_peer, &seen).0);
    }

    #[test]
    fn ok_fails_on_errors_and_timeouts() {
        let e = expectation(vec![Outcome::Ok]);
        assert!(check(&e, &Observed::Done).0);
        assert!(!check(&e, &Observed::Error("EADDRINUSE".into())).0);
        assert!(
            !check(
                &e,
                &Observed::Timeout {
                    user: true,
                    blocked_in: "recv()".into()
                }
            )
            .0
        );
    }

    #[test]
    fn long_data_is_shortened_in_the_middle() {
        let text = describe(&data(&[b'a'; 3000]));
        assert!(text.ends_with("\" (3000 bytes)"), "{text}");
        assert!(text.contains('…'));
    }
}
