//! What the parser's tests share: sample files and helpers that parse a text and return
//! the model or the rendered errors.

use crate::scenario::ast::{Action, Item, Outcome, Scenario, Step, Value};

/// The spec's own example, a file using every verb, and a datagram file.
pub(crate) const SAMPLES: &[&str] = &[SPEC_EXAMPLE, EVERYTHING, DATAGRAMS];

pub(crate) const SPEC_EXAMPLE: &str = r#"# Two quick sends are read back by one recv.
title: Two sends, one recv
title.zh: 两次发送，一次接收
about: TCP is a byte stream. The kernel keeps no record of where one send ended,
about: so a late recv returns everything queued, glued together.
about.zh: TCP 是字节流……
tags: tcp, coalescing

server: listen
client: connect
server: accept                 => from client
client: send "hello"
client: send "world"
server: wait readable 10
server: recv 1024              => "helloworld"
client: close
server: recv 1024              => eof
"#;

pub(crate) const EVERYTHING: &str = "\
title: Everything
about: First paragraph,
about: still the first.
about:
about: Second paragraph.
about.en: English.
tags: a, b ,, c
timeout: 2s
param: nodelay = off
param: msg = \"hi\" # a comment
param: n = 3
expect: rtt p50 >= 30ms
expect: rtt count == 20
expect: server recvs > 1   # counted
expect: client sends == $n

\tserver: set reuseaddr on
server: listen tcp backlog 128
local: listen unix
client: set nodelay $nodelay
client: connect to server
server: accept on server => from client | error ECONNABORTED
client: send $msg => 2 bytes | partial
client: sendall bytes 64K
client: send frame len32 \"x\" * 3 + \"y\"
client: send frame fixed 4 hex \"de ad be ef\"
server: recv 10 => \"hi\" | timeout
server: recv exactly 1K
server: recv until eof
server: recv frame json-header chunk 16 => bytes 4
server: recv frame line
server: recv frame len32le => eof | error frame-too-large
repeat $n {
  client: mark sent
  repeat 2 {
    server: wait sent
  }
}
client: timer start rtt
client: timer stop rtt
client: sleep 1.5s
client: wait drained
client: shutdown write
client: shutdown read on server
client: shutdown both
server: close
server: close listener
server: listen again => error EADDRINUSE | ok
";

pub(crate) const DATAGRAMS: &str = "\
a: bind udp
b: bind unix-dgram
a: sendto b random 10..20 + \"\\u{e9}\\x00\" => 5 bytes
b: recvfrom 4 => random 4 from a truncated | truncated from a | 4 bytes
b: recvfrom 100 => from a
";

pub(crate) fn parse_ok(source: &str) -> Scenario {
    parse_with(source, &[])
}

pub(crate) fn parse_with(source: &str, overrides: &[(&str, &str)]) -> Scenario {
    let overrides: Vec<(String, String)> = overrides
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    match crate::scenario::parse("t.lab", "t", source, &overrides) {
        Ok(scenario) => scenario,
        Err(ds) => panic!("{}", errors_of(source, &ds)),
    }
}

pub(crate) fn errors_of(source: &str, ds: &[crate::scenario::Diagnostic]) -> String {
    ds.iter()
        .map(|d| d.render(source))
        .collect::<Vec<_>>()
        .join("\n")
}

pub(crate) fn errors(source: &str) -> String {
    errors_with(source, &[])
}

pub(crate) fn errors_with(source: &str, overrides: &[(&str, &str)]) -> String {
    let overrides: Vec<(String, String)> = overrides
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    match crate::scenario::parse("t.lab", "t", source, &overrides) {
        Ok(_) => panic!("no error in {source:?}"),
        Err(ds) => errors_of(source, &ds),
    }
}

/// Every step, blocks flattened, in file order.
pub(crate) fn steps(items: &[Item]) -> Vec<&Step> {
    items
        .iter()
        .flat_map(|item| match item {
            Item::Step(step) => vec![step],
            Item::Repeat(r) => steps(&r.body),
        })
        .collect()
}

/// The action of a one-step file (a server listens, so `connect` has its listener).
pub(crate) fn action(step: &str) -> Action {
    let src = format!("server: listen\nclient: {step}\n");
    steps(&parse_ok(&src).body)[1].action.clone()
}

pub(crate) fn value(v: &str) -> Value {
    match action(&format!("send {v}")) {
        Action::Send(value) => value,
        other => panic!("{other:?}"),
    }
}

pub(crate) fn outcomes(verb_and_expectation: &str) -> Vec<Outcome> {
    let src = format!("server: listen\nserver: {verb_and_expectation}\n");
    let scenario = parse_ok(&src);
    let step = steps(&scenario.body)[1].clone();
    step.expect.map(|e| e.alternatives).unwrap_or_default()
}

pub(crate) fn lit(s: &str) -> Value {
    Value::Literal(s.as_bytes().to_vec())
}
