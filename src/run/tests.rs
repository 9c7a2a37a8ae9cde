//! In-process runs of small scenarios: what the runner guarantees whatever a file says
//! (the run limit, Ctrl-C, deep nesting, loops that make no progress), and the tracing
//! of received bytes to their sends.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::{RunOptions, Runner, run};
use crate::record::{Event, Op, Record, RunEnd, RunStart, Sink};
use crate::scenario::ast::{
    Action, DataMatch, Expectation, Item, LangText, Outcome, RecvMode, Step, StreamKind, Value,
};
use crate::scenario::{self, Scenario};

fn step(actor: &str, line: u32, action: Action, expect: Option<Outcome>) -> Item {
    Item::Step(Step {
        actor: actor.into(),
        line,
        col: 1,
        text: format!("{action:?}"),
        action,
        on: None,
        expect: expect.map(|o| Expectation {
            alternatives: vec![o],
            text: String::new(),
        }),
    })
}

fn data(bytes: &[u8]) -> Option<Outcome> {
    Some(Outcome::Data {
        what: Some(DataMatch::Exact(Value::Literal(bytes.to_vec()))),
        from: None,
        truncated: false,
    })
}

fn hello_world() -> Scenario {
    Scenario {
        name: "hello-world".into(),
        file: "x.lab".into(),
        title: LangText::default(),
        about: LangText::default(),
        tags: vec![],
        timeout: Some(std::time::Duration::from_secs(2)),
        params: vec![],
        actors: vec!["server".into(), "client".into()],
        body: vec![
            step(
                "server",
                1,
                Action::Listen {
                    kind: StreamKind::Tcp,
                    backlog: 5,
                    at: None,
                },
                None,
            ),
            step("client", 2, Action::Connect { to: None }, None),
            step(
                "server",
                3,
                Action::Accept,
                Some(Outcome::Data {
                    what: None,
                    from: Some("client".into()),
                    truncated: false,
                }),
            ),
            step(
                "client",
                4,
                Action::Send(Value::Literal(b"hello".to_vec())),
                None,
            ),
            step(
                "client",
                5,
                Action::Send(Value::Literal(b"world".to_vec())),
                None,
            ),
            step("server", 6, Action::WaitReadable(10), None),
            step(
                "server",
                7,
                Action::Recv(RecvMode::Once(1024)),
                data(b"helloworld"),
            ),
            step("client", 8, Action::Close, None),
            step(
                "server",
                9,
                Action::Recv(RecvMode::Once(1024)),
                Some(Outcome::Eof),
            ),
        ],
        checks: vec![],
    }
}

#[test]
fn two_sends_come_back_glued_and_traced_to_both() {
    let record = run(
        &hello_world(),
        &RunOptions {
            seed: 1,
            timeout: None,
            run_limit: None,
            cancel: None,
            gate: None,
            ..RunOptions::default()
        },
    );
    assert!(record.passed(), "{record:#?}");
    let recv = record
        .events
        .iter()
        .find(|e| e.op == Op::Recv && e.result == Some(10))
        .unwrap();
    assert_eq!(recv.from.len(), 2);
    assert_eq!(recv.conn.as_deref(), Some("client>server"));
}

fn parse(source: &str) -> Scenario {
    match scenario::parse("t.lab", "t", source, &[]) {
        Ok(s) => s,
        Err(d) => panic!("{}", d[0].render(source)),
    }
}

fn options() -> RunOptions {
    RunOptions {
        seed: 1,
        ..RunOptions::default()
    }
}

#[test]
fn events_carry_the_round_of_every_repeat_around_them() {
    let s = parse("a: mark start\nrepeat 2 {\n  repeat 3 {\n    a: mark x\n  }\n  a: mark y\n}\n");
    let record = run(&s, &options());
    assert!(record.passed(), "{record:#?}");
    let rounds: Vec<(u32, Vec<u32>)> = record
        .events
        .iter()
        .map(|e| (e.line, e.rounds.clone()))
        .collect();
    assert_eq!(
        rounds,
        [
            (1, vec![]),
            (4, vec![0, 0]),
            (4, vec![0, 1]),
            (4, vec![0, 2]),
            (6, vec![0]),
            (4, vec![1, 0]),
            (4, vec![1, 1]),
            (4, vec![1, 2]),
            (6, vec![1]),
        ]
    );
}

/// Repeat blocks nested 32 deep (the parser's limit) run to the end: the walk does not
/// recurse, whatever the depth.
#[test]
fn repeats_nested_32_deep_run_to_the_end() {
    let depth = 32;
    let mut source = String::new();
    for _ in 0..depth - 1 {
        source.push_str("repeat 1 {\n");
    }
    source.push_str("repeat 2 {\n  a: mark deep\n}\n");
    for _ in 0..depth - 1 {
        source.push_str("}\n");
    }
    source.push_str("b: wait deep\nb: wait deep\n");
    let record = run(&parse(&source), &options());
    assert!(record.passed(), "{record:#?}");
    let marks: Vec<&Vec<u32>> = record
        .events
        .iter()
        .filter(|e| e.op == Op::Mark)
        .map(|e| &e.rounds)
        .collect();
    assert_eq!(marks.len(), 2);
    assert_eq!(marks[1].len(), depth);
    assert_eq!(marks[1][depth - 1], 1);
}

fn blocked_in(record: &Record) -> Vec<String> {
    record
        .blocked
        .iter()
        .map(|b| b.blocked_in.clone())
        .collect()
}

/// `repeat 1000 { sleep 100ms }` passes every step's deadline; the run limit ends it.
#[test]
fn the_run_limit_ends_a_run_whose_steps_all_keep_their_deadlines() {
    let s = parse("repeat 1000 {\n  client: sleep 100ms\n  server: sleep 70ms\n}\n");
    let started = Instant::now();
    let record = run(
        &s,
        &RunOptions {
            run_limit: Some(Duration::from_millis(300)),
            timeout: Some(Duration::from_secs(60)),
            ..options()
        },
    );
    let took = started.elapsed();
    assert!(took < Duration::from_secs(2), "took {took:?}");
    assert!(!record.passed());
    let why = blocked_in(&record);
    assert!(
        why.iter().any(|w| w.contains("the run limit of 300ms")),
        "{why:?}"
    );
    assert!(why.iter().all(|w| w.contains("--run-limit")), "{why:?}");
    assert!(!record.interrupted);
}

/// Ctrl-C sets the cancel flag: a recv that would wait 30 s ends within a poll slice,
/// the run is reported, and says it was interrupted.
#[test]
fn a_cancelled_run_ends_promptly_and_says_so() {
    let source = include_str!("../../tests/fixtures/blocked-recv.lab");
    let s = parse(source);
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&cancel);
    let ctrl_c = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(200));
        flag.store(true, Ordering::Relaxed);
    });
    let started = Instant::now();
    let record = run(
        &s,
        &RunOptions {
            timeout: Some(Duration::from_secs(30)),
            cancel: Some(cancel),
            ..options()
        },
    );
    let took = started.elapsed();
    let _ = ctrl_c.join();
    // 200 ms, then at most one poll slice (50 ms); the rest is slack for a busy machine.
    assert!(took < Duration::from_secs(1), "took {took:?}");
    assert!(record.interrupted);
    assert!(!record.passed());
    let why = blocked_in(&record);
    assert_eq!(why, ["recv(), interrupted (Ctrl-C)"], "{record:#?}");
    let recv = record.events.iter().find(|e| e.op == Op::Recv);
    assert!(recv.is_some(), "the recv cut short is an event");
}

/// `send "" * N` for a huge N sends nothing, at once: the runner does not loop over
/// the count of a repetition of nothing (whatever the parser lets through).
#[test]
fn a_repetition_of_nothing_is_sent_at_once() {
    let mut s = parse(
        "server: listen\nclient: connect\nserver: accept\nclient: send \"\" * 2 => 0 bytes\n",
    );
    for item in &mut s.body {
        if let Item::Step(Step {
            action: Action::Send(Value::Times(_, n)),
            ..
        }) = item
        {
            *n = usize::MAX;
        }
    }
    let started = Instant::now();
    let record = run(&s, &options());
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(record.passed(), "{record:#?}");
}

/// `recv exactly 0` makes no recv() call (one would wait for data or a FIN).
#[test]
fn recv_exactly_zero_makes_no_call() {
    let s = parse(
        "timeout: 2s\nexpect: server recvs == 0\nserver: listen\nclient: connect\nserver: accept\nserver: recv exactly 0 => 0 bytes\n",
    );
    let started = Instant::now();
    let record = run(&s, &options());
    assert!(started.elapsed() < Duration::from_secs(1));
    assert!(record.passed(), "{record:#?}");
    let recv = record.events.iter().find(|e| e.op == Op::Recv);
    assert_eq!(recv.and_then(|e| e.result), Some(0));
}

/// A sink that notes when each call came.
#[derive(Default)]
struct Stopwatch {
    events: Vec<(u64, Instant)>,
    ended: Option<Instant>,
}

impl Sink for Stopwatch {
    fn begin(&mut self, _: &RunStart) {}
    fn event(&mut self, event: &Event) {
        self.events.push((event.seq, Instant::now()));
    }
    fn end(&mut self, _: &RunEnd) {
        self.ended = Some(Instant::now());
    }
}

/// Events reach the sink while the run goes on, in seq order, not all at its end.
#[test]
fn events_flow_to_the_sink_as_the_run_goes() {
    let s = Arc::new(parse("a: mark early\na: sleep 400ms\na: mark late\n"));
    let mut sink = Stopwatch::default();
    Runner::new().run_into(&s, &options(), &mut sink);
    let seqs: Vec<u64> = sink.events.iter().map(|&(seq, _)| seq).collect();
    assert_eq!(seqs, [1, 2, 3]);
    let (Some(ended), Some(&(_, early))) = (sink.ended, sink.events.first()) else {
        panic!("no end or no event");
    };
    assert!(
        ended.duration_since(early) > Duration::from_millis(200),
        "the first mark came {:?} before the end",
        ended.duration_since(early)
    );
}

/// A zero-length frame body is complete before any byte is read: no recv() call.
#[test]
fn an_empty_fixed_frame_makes_no_call() {
    let s = parse(
        "timeout: 2s\nexpect: server recvs == 0\nserver: listen\nclient: connect\nserver: accept\nserver: recv frame fixed 0 => 0 bytes\n",
    );
    let started = Instant::now();
    let record = run(&s, &options());
    assert!(started.elapsed() < Duration::from_secs(1));
    assert!(record.passed(), "{record:#?}");
}

/// An eof names the close that sent its FIN (`cause`), whichever of the two was
/// numbered first; and every event ends no earlier than the one numbered before it.
#[test]
fn an_eof_names_its_close_and_events_are_numbered_as_they_end() {
    for seed in 0..50 {
        let record = run(&hello_world(), &RunOptions { seed, ..options() });
        assert!(record.passed(), "{record:#?}");
        let close = record
            .events
            .iter()
            .find(|e| e.op == Op::Close)
            .expect("the client closes");
        let eof = record.events.iter().find(|e| e.eof).expect("an eof");
        assert_eq!(eof.cause, Some(close.seq), "seed {seed}");
        let seqs: Vec<u64> = record.events.iter().map(|e| e.seq).collect();
        let expected: Vec<u64> = (1..=record.events.len() as u64).collect();
        assert_eq!(seqs, expected, "numbered 1, 2, 3, ... with no gap");
        for pair in record.events.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            assert!(
                a.t + a.dur <= b.t + b.dur,
                "#{} ended after #{}: {a:?} {b:?}",
                a.seq,
                b.seq
            );
        }
    }
}
