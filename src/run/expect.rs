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
        bytes: Got,
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

/// The bytes a recv-like step got, as far as its expectation and its report need them:
/// all of them when the expectation compares them with a value, else their count and
/// the first and last few (what [`describe`] shows). A `recv until eof` of a gigabyte
/// with no expectation, or `=> 1G bytes`, keeps 72 bytes, not a gigabyte.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Got {
    len: usize,
    /// Every byte when `whole`; else the first [`SHOW`] (all of them up to that).
    head: Vec<u8>,
    /// The last [`SHOW`]` / 2` bytes, when not `whole`.
    tail: Vec<u8>,
    whole: bool,
}

impl Got {
    /// An empty `Got` that keeps every byte (`whole`) or only what is shown.
    pub(crate) fn keeping(whole: bool) -> Got {
        Got {
            whole,
            ..Got::default()
        }
    }

    /// All of these bytes.
    pub(crate) fn whole(bytes: Vec<u8>) -> Got {
        Got {
            len: bytes.len(),
            head: bytes,
            tail: Vec::new(),
            whole: true,
        }
    }

    pub(crate) fn push(&mut self, chunk: &[u8]) {
        self.len += chunk.len();
        if self.whole {
            self.head.extend_from_slice(chunk);
            return;
        }
        let room = SHOW.saturating_sub(self.head.len());
        self.head.extend_from_slice(&chunk[..room.min(chunk.len())]);
        let keep = SHOW / 2;
        if chunk.len() >= keep {
            self.tail.clear();
            self.tail.extend_from_slice(&chunk[chunk.len() - keep..]);
        } else {
            self.tail.extend_from_slice(chunk);
            let over = self.tail.len().saturating_sub(keep);
            self.tail.drain(..over);
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Every byte, when they were kept.
    pub(crate) fn bytes(&self) -> Option<&[u8]> {
        self.whole.then_some(self.head.as_slice())
    }

    /// As [`escape::quote_short`] writes all of them.
    fn quote_short(&self) -> String {
        if self.whole || self.len <= SHOW {
            return escape::quote_short(&self.head, SHOW);
        }
        let head = escape::escape_bytes(&self.head[..SHOW / 2]);
        let tail = escape::escape_bytes(&self.tail);
        format!("\"{head}…{tail}\" ({} bytes)", self.len)
    }
}

/// Whether an expectation compares the bytes a step got with a value: only then are
/// they all kept ([`Got`]).
pub(crate) fn needs_bytes(expectation: &Expectation) -> bool {
    expectation.alternatives.iter().any(|alt| {
        matches!(
            alt,
            Outcome::Data {
                what: Some(DataMatch::Exact(_)),
                ..
            }
        )
    })
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
                // Kept whole whenever an expectation has a value (`needs_bytes`).
                Some(DataMatch::Exact(v)) => bytes.bytes().is_some_and(|b| value::matches(v, b)),
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
                let mut t = bytes.quote_short();
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
    use super::{Got, Observed, check, describe};
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
            bytes: Got::whole(bytes.to_vec()),
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
            bytes: Got::default(),
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
            bytes: Got::whole(b"0123456789".to_vec()),
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
    fn bytes_kept_in_part_are_described_as_if_all_were_kept() {
        let mut all = Vec::new();
        let mut part = Got::keeping(false);
        for k in 0..500u32 {
            let chunk: Vec<u8> = (0..(k % 37)).map(|b| (b * 7 + k) as u8).collect();
            all.extend_from_slice(&chunk);
            part.push(&chunk);
            assert_eq!(part.len(), all.len());
            assert_eq!(
                describe(&Observed::Data {
                    bytes: part.clone(),
                    eof: k % 2 == 0,
                    peer: None,
                    truncated: false,
                }),
                describe(&Observed::Data {
                    bytes: Got::whole(all.clone()),
                    eof: k % 2 == 0,
                    peer: None,
                    truncated: false,
                }),
                "after {k} chunks"
            );
        }
        assert!(part.bytes().is_none(), "only the ends were kept");
    }

    #[test]
    fn long_data_is_shortened_in_the_middle() {
        let text = describe(&data(&[b'a'; 3000]));
        assert!(text.ends_with("\" (3000 bytes)"), "{text}");
        assert!(text.contains('…'));
    }
}
