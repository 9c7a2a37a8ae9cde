//! Hand-made records of the runs a class sees first, shared by the formats' tests.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::record::aggregate::{ExpectationRate, Outcome, StepOutcomes, Summary};
use crate::record::{Blocked, Event, ExpectationResult, Op, Provenance, Record, TimerStats};
use crate::scenario::ast::{LangText, Param, Scenario};

fn us(n: u64) -> Duration {
    Duration::from_micros(n)
}

/// An event with the fields every event has; the rest by struct update.
fn ev(seq: u64, t: u64, dur: u64, actor: &str, line: u32, op: &str, call: &str) -> Event {
    Event {
        seq,
        t: us(t),
        dur: us(dur),
        actor: actor.to_owned(),
        line,
        op: Op::from_name(op).expect("fixtures use op names"),
        verb: Op::from_name(op).expect("fixtures use op names"),
        call: call.to_owned(),
        ..Event::default()
    }
}

fn from(send: u64, a: u64, b: u64) -> Provenance {
    Provenance {
        send,
        bytes: (a, b),
    }
}

fn conn() -> Option<String> {
    Some("client>server".to_owned())
}

fn ok(line: u32, actor: &str, expected: &str, observed: &str) -> ExpectationResult {
    ExpectationResult {
        line,
        actor: Some(actor.to_owned()),
        expected: expected.to_owned(),
        observed: observed.to_owned(),
        passed: true,
    }
}

fn text(default: &str, zh: Option<&str>) -> LangText {
    LangText {
        default: Some(default.to_owned()),
        by_lang: zh
            .map(|zh| BTreeMap::from([("zh".to_owned(), zh.to_owned())]))
            .unwrap_or_default(),
    }
}

fn scenario(record: &Record, title: LangText, about: LangText) -> Scenario {
    Scenario {
        name: record.scenario.clone(),
        file: record.file.clone(),
        title,
        about,
        tags: Vec::new(),
        timeout: None,
        params: Vec::new(),
        actors: vec!["server".to_owned(), "client".to_owned()],
        body: Vec::new(),
        checks: Vec::new(),
    }
}

/// Bytes `from..to` of the language's `bytes N`: `a`..`z` over and over.
fn abc(from: usize, to: usize) -> Vec<u8> {
    (from..to).map(|i| b'a' + (i % 26) as u8).collect()
}

/// The first scenario of the course: two sends, glued together by one recv.
pub(crate) fn hello_world() -> (Scenario, Record) {
    let record = Record {
        scenario: "hello-world".to_owned(),
        file: "scenarios/hello-world.lab".to_owned(),
        seed: 1234,
        events: vec![
            Event {
                detail: Some("listen 127.0.0.1:41235".to_owned()),
                ..ev(1, 0, 35, "server", 8, "listen", "listen")
            },
            ev(2, 12, 60, "client", 9, "connect", "connect"),
            Event {
                peer: Some("client".to_owned()),
                ..ev(
                    3,
                    40,
                    45,
                    "server",
                    10,
                    "accept",
                    "accept                 => from client",
                )
            },
            Event {
                requested: Some(5),
                result: Some(5),
                conn: conn(),
                stream: Some((0, 5)),
                ..ev(4, 101, 18, "client", 11, "send", "send \"hello\"")
            },
            Event {
                requested: Some(5),
                result: Some(5),
                conn: conn(),
                stream: Some((5, 10)),
                ..ev(5, 122, 9, "client", 12, "send", "send \"world\"")
            },
            ev(6, 98, 61, "server", 13, "wait readable", "wait readable 10"),
            Event {
                requested: Some(1024),
                queued_before: Some(10),
                result: Some(10),
                data: Some(b"helloworld".to_vec()),
                conn: conn(),
                stream: Some((0, 10)),
                from: vec![from(4, 0, 5), from(5, 0, 5)],
                queued_after: Some(0),
                ..ev(
                    7,
                    160,
                    7,
                    "server",
                    14,
                    "recv",
                    "recv 1024              => \"helloworld\"",
                )
            },
            ev(8, 170, 20, "client", 15, "close", "close"),
            Event {
                requested: Some(1024),
                queued_before: Some(0),
                result: Some(0),
                eof: true,
                data: Some(Vec::new()),
                conn: conn(),
                stream: Some((10, 10)),
                queued_after: Some(0),
                ..ev(
                    9,
                    175,
                    30,
                    "server",
                    16,
                    "recv",
                    "recv 1024              => eof",
                )
            },
        ],
        expectations: vec![
            ok(10, "server", "from client", "from client"),
            ok(14, "server", "\"helloworld\"", "\"helloworld\""),
            ok(16, "server", "eof", "eof"),
        ],
        timers: BTreeMap::new(),
        blocked: Vec::new(),
        wall: us(212),
        interrupted: false,
    };
    let scenario = scenario(
        &record,
        text("Two sends, one recv", Some("两次发送，一次接收")),
        text(
            "TCP is a byte stream. The kernel keeps no record of where one send ended, \
             so a late recv returns everything queued, glued together.",
            Some(
                "TCP 是字节流。内核不记录一次发送在哪里结束，\
                 所以晚到的 recv 会把排队的所有数据粘在一起返回。",
            ),
        ),
    );
    (scenario, record)
}

/// A length-prefixed message read with a buffer smaller than the message: the next
/// recv starts in the middle of it and runs into the next message.
pub(crate) fn undersized_recv() -> (Scenario, Record) {
    let record = Record {
        scenario: "undersized-recv".to_owned(),
        file: "scenarios/undersized-recv.lab".to_owned(),
        seed: 42,
        events: vec![
            Event {
                detail: Some("listen 127.0.0.1:41236".to_owned()),
                ..ev(1, 0, 31, "server", 6, "listen", "listen")
            },
            ev(2, 10, 55, "client", 7, "connect", "connect"),
            Event {
                peer: Some("client".to_owned()),
                ..ev(3, 38, 40, "server", 8, "accept", "accept")
            },
            Event {
                requested: Some(9),
                result: Some(9),
                conn: conn(),
                stream: Some((0, 9)),
                ..ev(
                    4,
                    95,
                    16,
                    "client",
                    9,
                    "send",
                    "send hex \"00000005\" + \"hello\"",
                )
            },
            Event {
                requested: Some(9),
                result: Some(9),
                conn: conn(),
                stream: Some((9, 18)),
                ..ev(
                    5,
                    114,
                    8,
                    "client",
                    10,
                    "send",
                    "send hex \"00000005\" + \"world\"",
                )
            },
            ev(6, 90, 52, "server", 11, "wait readable", "wait readable 18"),
            Event {
                requested: Some(7),
                queued_before: Some(18),
                result: Some(7),
                data: Some(b"\0\0\0\x05hel".to_vec()),
                conn: conn(),
                stream: Some((0, 7)),
                from: vec![from(4, 0, 7)],
                queued_after: Some(11),
                ..ev(7, 150, 6, "server", 12, "recv", "recv 7     => 7 bytes")
            },
            Event {
                requested: Some(1024),
                queued_before: Some(11),
                result: Some(11),
                data: Some(b"lo\0\0\0\x05world".to_vec()),
                conn: conn(),
                stream: Some((7, 18)),
                from: vec![from(4, 7, 9), from(5, 0, 9)],
                queued_after: Some(0),
                ..ev(8, 161, 5, "server", 13, "recv", "recv 1024  => 11 bytes")
            },
        ],
        expectations: vec![
            ok(12, "server", "7 bytes", "7 bytes"),
            ok(13, "server", "11 bytes", "11 bytes"),
        ],
        wall: us(187),
        interrupted: false,
        ..Record::default()
    };
    let scenario = scenario(
        &record,
        text("A buffer smaller than the message", None),
        text(
            "recv(7) cannot return a 9-byte message. The rest waits in the kernel \
             and comes first in the next recv, followed by the next message.",
            None,
        ),
    );
    (scenario, record)
}

/// A big sendall read by two recvs, the second also taking a small send behind it.
pub(crate) fn bulk() -> (Scenario, Record) {
    let mut tail = abc(2000, 3000);
    tail.extend_from_slice(b"end");
    let record = Record {
        scenario: "bulk".to_owned(),
        file: "scenarios/bulk.lab".to_owned(),
        seed: 99,
        events: vec![
            Event {
                requested: Some(3000),
                result: Some(3000),
                conn: conn(),
                stream: Some((0, 3000)),
                calls: Some(1),
                ..ev(4, 120, 30, "client", 9, "sendall", "sendall bytes 3000")
            },
            Event {
                requested: Some(3),
                result: Some(3),
                conn: conn(),
                stream: Some((3000, 3003)),
                ..ev(5, 152, 8, "client", 10, "send", "send \"end\"")
            },
            Event {
                requested: Some(2000),
                queued_before: Some(3003),
                result: Some(2000),
                data: Some(abc(0, 2000)),
                conn: conn(),
                stream: Some((0, 2000)),
                from: vec![from(4, 0, 2000)],
                queued_after: Some(1003),
                ..ev(6, 170, 12, "server", 12, "recv", "recv 2000")
            },
            Event {
                requested: Some(4096),
                queued_before: Some(1003),
                result: Some(1003),
                data: Some(tail),
                conn: conn(),
                stream: Some((2000, 3003)),
                from: vec![from(4, 2000, 3000), from(5, 0, 3)],
                queued_after: Some(0),
                ..ev(7, 185, 9, "server", 13, "recv", "recv 4096")
            },
        ],
        wall: us(260),
        interrupted: false,
        ..Record::default()
    };
    let scenario = scenario(&record, LangText::default(), LangText::default());
    (scenario, record)
}

/// UDP keeps message boundaries, and cuts a datagram longer than the buffer.
pub(crate) fn udp_truncated() -> (Scenario, Record) {
    let record = Record {
        scenario: "udp-truncated".to_owned(),
        file: "scenarios/udp-truncated.lab".to_owned(),
        seed: 5,
        events: vec![
            Event {
                detail: Some("udp 127.0.0.1:50123".to_owned()),
                ..ev(1, 0, 20, "server", 4, "bind", "bind udp")
            },
            Event {
                detail: Some("udp 127.0.0.1:50124".to_owned()),
                ..ev(2, 3, 18, "client", 5, "bind", "bind udp")
            },
            Event {
                requested: Some(9),
                result: Some(9),
                conn: conn(),
                ..ev(
                    3,
                    40,
                    12,
                    "client",
                    6,
                    "sendto",
                    "sendto server \"ping pong\"",
                )
            },
            Event {
                requested: Some(4),
                queued_before: Some(9),
                result: Some(4),
                truncated: true,
                data: Some(b"ping".to_vec()),
                conn: conn(),
                from: vec![from(3, 0, 4)],
                peer: Some("client".to_owned()),
                queued_after: Some(0),
                ..ev(
                    4,
                    30,
                    25,
                    "server",
                    7,
                    "recvfrom",
                    "recvfrom 4     => \"ping\" truncated from client",
                )
            },
            Event {
                requested: Some(2),
                result: Some(2),
                conn: conn(),
                ..ev(5, 60, 9, "client", 8, "sendto", "sendto server \"hi\"")
            },
            Event {
                requested: Some(1024),
                queued_before: Some(2),
                result: Some(2),
                data: Some(b"hi".to_vec()),
                conn: conn(),
                from: vec![from(5, 0, 2)],
                peer: Some("client".to_owned()),
                queued_after: Some(0),
                ..ev(
                    6,
                    58,
                    14,
                    "server",
                    9,
                    "recvfrom",
                    "recvfrom 1024  => \"hi\"",
                )
            },
        ],
        expectations: vec![
            ok(
                7,
                "server",
                "\"ping\" truncated from client",
                "\"ping\" truncated from client",
            ),
            ok(9, "server", "\"hi\"", "\"hi\" from client"),
        ],
        wall: us(95),
        interrupted: false,
        ..Record::default()
    };
    let scenario = scenario(
        &record,
        text("UDP keeps boundaries, and cuts", None),
        text(
            "Each recvfrom returns one datagram. A buffer too small loses the rest \
             of the datagram for good (MSG_TRUNC).",
            None,
        ),
    );
    (scenario, record)
}

/// A recv that expected more than was sent, then one that blocked until the deadline;
/// an option the kernel doubled; a second listen on a busy port; a timer check.
pub(crate) fn blocked_and_failed() -> (Scenario, Record) {
    let record = Record {
        scenario: "blocked".to_owned(),
        file: "lab/blocked.lab".to_owned(),
        seed: 7,
        events: vec![
            Event {
                detail: Some("rcvbuf 8192".to_owned()),
                ..ev(1, 0, 4, "server", 3, "set", "set rcvbuf 4096")
            },
            Event {
                detail: Some("listen 127.0.0.1:41237".to_owned()),
                ..ev(2, 6, 30, "server", 4, "listen", "listen")
            },
            ev(3, 10, 60, "client", 5, "connect", "connect"),
            Event {
                peer: Some("client".to_owned()),
                ..ev(4, 42, 40, "server", 6, "accept", "accept")
            },
            Event {
                requested: Some(5),
                result: Some(5),
                conn: conn(),
                stream: Some((0, 5)),
                ..ev(5, 80, 15, "client", 7, "send", "send \"hello\"")
            },
            Event {
                requested: Some(1024),
                queued_before: Some(0),
                result: Some(5),
                data: Some(b"hello".to_vec()),
                conn: conn(),
                stream: Some((0, 5)),
                from: vec![from(5, 0, 5)],
                queued_after: Some(0),
                ..ev(
                    6,
                    85,
                    30,
                    "server",
                    8,
                    "recv",
                    "recv 1024                  => \"helloworld\"",
                )
            },
            Event {
                error: Some("EADDRINUSE".to_owned()),
                error_detail: Some("Address already in use".to_owned()),
                ..ev(
                    7,
                    120,
                    11,
                    "server",
                    9,
                    "listen again",
                    "listen again               => error EADDRINUSE",
                )
            },
            Event {
                requested: Some(1024),
                queued_before: Some(0),
                timeout: true,
                conn: conn(),
                ..ev(8, 135, 1_000_000, "server", 10, "recv", "recv 1024")
            },
        ],
        expectations: vec![
            ExpectationResult {
                passed: false,
                ..ok(8, "server", "\"helloworld\"", "\"hello\"")
            },
            ok(9, "server", "error EADDRINUSE", "error EADDRINUSE"),
            ExpectationResult {
                actor: None,
                ..ok(22, "", "rtt p50 >= 30ms", "rtt p50 = 41.2ms")
            },
        ],
        timers: BTreeMap::from([(
            "rtt".to_owned(),
            TimerStats {
                count: 20,
                min: us(350),
                p50: us(41_200),
                p90: us(41_800),
                p99: us(43_007),
                max: us(43_007),
                mean: us(39_120),
            },
        )]),
        blocked: vec![Blocked {
            actor: "server".to_owned(),
            line: 10,
            call: "recv 1024".to_owned(),
            blocked_in: "recv()".to_owned(),
            waited: Duration::from_secs(1),
        }],
        wall: us(1_004_321),
        interrupted: false,
    };
    let mut scenario = scenario(
        &record,
        text("Waiting for bytes that never come", None),
        LangText::default(),
    );
    scenario.params = vec![Param {
        name: "nodelay".to_owned(),
        default: "off".to_owned(),
        value: "on".to_owned(),
        line: 2,
    }];
    (scenario, record)
}

pub(crate) fn all() -> Vec<(Scenario, Record)> {
    vec![
        hello_world(),
        undersized_recv(),
        bulk(),
        udp_truncated(),
        blocked_and_failed(),
    ]
}

/// A thousand runs of hello-world, two of which saw the sends in two recvs.
pub(crate) fn thousand_runs() -> Summary {
    Summary {
        scenario: "hello-world".into(),
        file: "scenarios/hello-world.lab".into(),
        first_seed: 100,
        runs: 1000,
        passed_runs: 998,
        failed_seeds: vec![117, 533],
        steps: vec![StepOutcomes {
            actor: "server".into(),
            line: 15,
            call: "recv 1024              => \"helloworld\"".into(),
            outcomes: vec![
                Outcome {
                    sizes: "10".into(),
                    data: "\"helloworld\"".into(),
                    count: 998,
                },
                Outcome {
                    sizes: "5".into(),
                    data: "\"hello\"".into(),
                    count: 2,
                },
            ],
            other: 0,
        }],
        expectations: vec![
            ExpectationRate {
                line: 15,
                actor: Some("server".into()),
                expected: "\"helloworld\"".into(),
                passed: 998,
                total: 1000,
            },
            ExpectationRate {
                line: 22,
                actor: None,
                expected: "rtt p50 >= 30ms".into(),
                passed: 1000,
                total: 1000,
            },
        ],
        wall_total: Duration::from_millis(250),
        wall_min: Duration::from_micros(180),
        wall_max: Duration::from_micros(900),
    }
}
