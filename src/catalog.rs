//! The built-in scenarios: the files of `scenarios/`, embedded at build time.

include!(concat!(env!("OUT_DIR"), "/catalog.rs"));

/// The order of the catalog: the lessons in the order a class meets them. Scenarios
/// not named here come after, by name.
const ORDER: &[&str] = &[
    "hello-world",
    "connection-refused",
    "undersized-recv",
    "leftover-reply",
    "split-by-rcvbuf",
    "paced-split",
    "mss-split",
    "receiver-accumulation",
    "nagle-coalesce",
    "cork",
    "delayed-ack",
    "nagle-stall",
    "nagle-stall-nodelay",
    "quickack-fix",
    "time-wait-eaddrinuse",
    "time-wait-reuseaddr",
    "udp-boundaries",
    "udp-truncation",
    "udp-empty-datagram",
    "tcp-empty-send",
    "eof-on-close",
    "reset-on-close",
    "unread-data-reset",
    "send-partial",
    "sendall-completes",
    "length-prefix",
    "json-header",
    "line-delimiter",
    "fixed-length",
    "native-endian-header",
    "hostile-length",
    "sleep-is-not-a-fix",
    "backlog-full",
    "iterative-server",
    "threaded-server",
    "unix-stream-sticks",
    "unix-dgram-boundaries",
];

/// A built-in scenario's file as it is in the repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Builtin {
    pub name: &'static str,
    pub source: &'static str,
}

impl Builtin {
    /// The path shown in diagnostics and records.
    pub fn file(&self) -> String {
        format!("scenarios/{}.lab", self.name)
    }
}

/// Every built-in scenario, in catalog order.
pub fn all() -> Vec<Builtin> {
    let mut all: Vec<Builtin> = EMBEDDED
        .iter()
        .map(|&(name, source)| Builtin { name, source })
        .collect();
    all.sort_by_key(|b| {
        (
            ORDER
                .iter()
                .position(|&n| n == b.name)
                .unwrap_or(ORDER.len()),
            b.name,
        )
    });
    all
}

/// The built-in scenario of that name.
pub fn find(name: &str) -> Option<Builtin> {
    all().into_iter().find(|b| b.name == name)
}

/// The built-in names nearest to a misspelt one, for "did you mean".
pub fn nearest(name: &str) -> Option<&'static str> {
    EMBEDDED
        .iter()
        .map(|&(n, _)| (strsim::damerau_levenshtein(name, n), n))
        .filter(|&(d, n)| d <= 3 || n.contains(name))
        .min()
        .map(|(_, n)| n)
}
