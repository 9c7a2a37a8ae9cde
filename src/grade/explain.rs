//! The first difference of a failed case, in words: "after the 2nd byte of the header
//! arrived alone, the server replied with a 0-byte frame: it treated one recv as one
//! message".
//!
//! A sentence has three parts, each found in the run's record:
//!
//! - **when** ([`Context`]): for a probe (a `recv` that must time out because no reply
//!   may come before a message is complete), the piece of the stream the client had
//!   just sent, placed in the message it belongs to (header or body, which byte); for a
//!   reply, which reply it was;
//! - **what the server did** ([`Seen`]): replied early, replied with a shorter or
//!   longer message, closed, reset, said nothing;
//! - **why**, a diagnosis: what a server that does this believes about TCP, chosen by
//!   the case and what was seen.
//!
//! The first difference is the failed expectation whose step ended first; only when no
//! expectation failed, a blocked step (a client waiting for a reply that never came).
//! The client's stream is rebuilt from the case's own values (the cases send no
//! `random` bytes), so a stream offset can be placed inside a message.

use std::time::Duration;

use rand::SeedableRng;
use rand::rngs::StdRng;

use super::Suite;
use crate::record::{Blocked, Event, ExpectationResult, Op, Record};
use crate::scenario::Scenario;
use crate::scenario::ast::{Action, DataMatch, Item, Outcome, RecvMode, Step};
use crate::scenario::value;
use crate::text::{Said, said};
use place::{MAX_REBUILT, describe_piece, describe_reply, layout, ordinal, rebuild_stream};

/// What the server did, as the client saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    /// A probe got bytes: the server answered before a message was complete.
    EarlyReply(Vec<u8>),
    /// The server closed its side where a reply (or nothing yet) was due.
    Closed,
    /// A call failed with this errno (`ECONNRESET`, `EPIPE`, `ECONNREFUSED`).
    Failed(String),
    /// A reply whose body is the start of the expected one.
    Short { got: usize, want: usize },
    /// A reply whose body starts with the expected one and goes on.
    Long { got: usize, want: usize },
    /// A reply with other bytes; `at` is the first byte that differs.
    Other { got: usize, want: usize, at: usize },
    /// No reply before the deadline.
    NoReply(Duration),
    /// The reply is not a message of the protocol (a framing error, with its detail).
    NotFrame(String),
    /// A reply came where the client expected the server to close.
    Extra(usize),
}

/// When it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Context {
    /// Right after the client sent this piece of its stream (described), alone.
    AfterPiece(Said),
    /// The k-th reply (1-based) the actor waited for.
    Reply(usize),
    /// Waiting for the server to close after the last reply.
    AtEnd,
    /// Nothing more precise.
    Unknown,
}

/// The first difference of a failed run of a case, in words.
pub fn first_difference(suite: Suite, scenario: &Scenario, record: &Record) -> Said {
    let Some(found) = first_failure(record) else {
        return Said::both(
            "the run failed without a failed expectation (see `stickylab run` on the case)",
            "运行失败，但没有哪条期望失败（用 `stickylab run` 运行这个案例看看）",
        );
    };
    let step = find_step(&scenario.body, &found.actor, found.line);
    let (seen, context) = match (&found.outcome, step) {
        (Some(event), Some(step)) => read_outcome(suite, scenario, record, step, event),
        (None, _) | (_, None) => (Seen::NoReply(found.waited), Context::Unknown),
    };
    let seen = match (&seen, found.waited) {
        // A blocked step with a partial event (a recv that timed out) said nothing.
        (Seen::NoReply(_), w) if !w.is_zero() => Seen::NoReply(w),
        _ => seen,
    };
    sentence(suite, scenario, &found.actor, &context, &seen, record)
}

/// The failure that came first: its actor and line, the event that ended its step (if
/// it has one), and how long it waited when it was a blocked step.
struct Found {
    actor: String,
    line: u32,
    outcome: Option<Event>,
    waited: Duration,
}

fn first_failure(record: &Record) -> Option<Found> {
    let mut best: Option<(Duration, Found)> = None;
    for (index, e) in record.expectations.iter().enumerate() {
        let (false, Some(actor)) = (e.passed, e.actor.as_deref()) else {
            continue;
        };
        // A step cut short because another actor was blocked says nothing of its own:
        // the blocked step is the difference.
        if e.observed.starts_with("not run") || e.observed.contains("another actor was blocked") {
            continue;
        }
        let nth = record.expectations[..index]
            .iter()
            .filter(|x| same_step(x, e))
            .count();
        let Some(outcome) = execution_end(record, actor, e.line, nth) else {
            continue;
        };
        if outcome
            .detail
            .as_deref()
            .is_some_and(|d| d.contains("another actor was blocked"))
        {
            continue;
        }
        let end = outcome.t + outcome.dur;
        if best.as_ref().is_none_or(|(t, _)| end < *t) {
            let found = Found {
                actor: actor.to_string(),
                line: e.line,
                outcome: Some(outcome.clone()),
                waited: Duration::ZERO,
            };
            best = Some((end, found));
        }
    }
    if let Some((_, found)) = best {
        return Some(found);
    }
    // No expectation failed: a step was blocked. A client waiting for a reply says the
    // most; a client waiting for another (`wait replied`) the least.
    let blocked = |b: &&Blocked| b.actor != super::SERVER;
    let waiting_for_bytes = |b: &&Blocked| b.blocked_in.starts_with("recv");
    let chosen = record
        .blocked
        .iter()
        .filter(blocked)
        .find(waiting_for_bytes)
        .or_else(|| record.blocked.iter().find(blocked))
        .or_else(|| record.blocked.first())?;
    let outcome = record
        .events
        .iter()
        .rev()
        .find(|ev| ev.actor == chosen.actor && ev.line == chosen.line)
        .cloned();
    Some(Found {
        actor: chosen.actor.clone(),
        line: chosen.line,
        outcome,
        waited: chosen.waited,
    })
}

fn same_step(a: &ExpectationResult, b: &ExpectationResult) -> bool {
    a.line == b.line && a.actor == b.actor
}

/// The last event of the `nth` run (0-based) of the step at `line` of `actor`: the
/// events of one run of a step share their `rounds`.
fn execution_end<'r>(record: &'r Record, actor: &str, line: u32, nth: usize) -> Option<&'r Event> {
    let mut runs = 0usize;
    let mut last: Option<&Event> = None;
    for ev in record
        .events
        .iter()
        .filter(|ev| ev.actor == actor && ev.line == line)
    {
        if let Some(prev) = last
            && prev.rounds != ev.rounds
        {
            if runs == nth {
                return Some(prev);
            }
            runs += 1;
        }
        last = Some(ev);
    }
    if runs == nth { last } else { None }
}

/// The step of `actor` at `line`, wherever it stands.
fn find_step<'s>(items: &'s [Item], actor: &str, line: u32) -> Option<&'s Step> {
    items.iter().find_map(|item| match item {
        Item::Step(step) => (step.actor == actor && step.line == line).then_some(step),
        Item::Repeat(block) => find_step(&block.body, actor, line),
    })
}

/// What the step's ending event shows, against what the step expected.
fn read_outcome(
    suite: Suite,
    scenario: &Scenario,
    record: &Record,
    step: &Step,
    event: &Event,
) -> (Seen, Context) {
    let expected = step.expect.as_ref().and_then(|e| e.alternatives.first());
    if let Some(errno) = &event.error {
        let sending = matches!(
            step.action,
            Action::Send(_) | Action::SendAll(_) | Action::SendFrame { .. }
        );
        let seen = if sending && (errno == "EPIPE" || errno == "ECONNRESET") {
            // The server had closed (or crashed) before this send.
            Seen::Closed
        } else if errno.contains("frame") || errno == "bad-header" {
            Seen::NotFrame(event.error_detail.clone().unwrap_or_else(|| errno.clone()))
        } else {
            Seen::Failed(errno.clone())
        };
        return (seen, context_of(suite, scenario, record, step, event));
    }
    let context = context_of(suite, scenario, record, step, event);
    if event.timeout {
        return (Seen::NoReply(Duration::ZERO), context);
    }
    if event.eof && !matches!(expected, Some(Outcome::Eof)) {
        return (Seen::Closed, context);
    }
    let got = event.data.clone().unwrap_or_default();
    let seen = match (&step.action, expected) {
        (Action::Recv(RecvMode::Once(_)), Some(Outcome::Timeout)) => Seen::EarlyReply(got),
        (_, Some(Outcome::Eof)) => Seen::Extra(got.len()),
        (
            _,
            Some(Outcome::Data {
                what: Some(DataMatch::Exact(want)),
                ..
            }),
        ) => {
            let want = value::eval(want, &mut StdRng::seed_from_u64(0));
            compare(&got, &want)
        }
        (
            _,
            Some(Outcome::Data {
                what: Some(DataMatch::Count(want)),
                ..
            }),
        ) => Seen::Other {
            got: got.len(),
            want: *want,
            at: got.len().min(*want),
        },
        _ => Seen::NoReply(Duration::ZERO),
    };
    (seen, context)
}

fn compare(got: &[u8], want: &[u8]) -> Seen {
    let (g, w) = (got.len(), want.len());
    if g < w && want.starts_with(got) {
        Seen::Short { got: g, want: w }
    } else if g > w && got.starts_with(want) {
        Seen::Long { got: g, want: w }
    } else {
        let at = got.iter().zip(want).take_while(|(a, b)| a == b).count();
        Seen::Other {
            got: g,
            want: w,
            at,
        }
    }
}

fn context_of(
    suite: Suite,
    scenario: &Scenario,
    record: &Record,
    step: &Step,
    event: &Event,
) -> Context {
    let expected = step.expect.as_ref().and_then(|e| e.alternatives.first());
    match (&step.action, expected) {
        (Action::Recv(RecvMode::Once(_)), Some(Outcome::Timeout))
        | (Action::Send(_) | Action::SendAll(_) | Action::SendFrame { .. }, _) => {
            // The piece the client sent last, before this probe (or this failed send).
            let sent = record.events.iter().rev().find(|ev| {
                ev.actor == event.actor
                    && ev.seq < event.seq
                    && ev.error.is_none()
                    && matches!(ev.op, Op::Send | Op::SendAll | Op::SendFrame)
            });
            match sent.and_then(|ev| ev.stream) {
                Some((from, to)) => {
                    // The whole stream, so the last message's header is known too.
                    let stream = rebuild_stream(scenario, &event.actor, MAX_REBUILT);
                    let layout = layout(suite, &stream);
                    Context::AfterPiece(describe_piece(&layout, from as usize, to as usize))
                }
                None => Context::Unknown,
            }
        }
        (_, Some(Outcome::Eof)) => Context::AtEnd,
        (Action::RecvFrame { .. }, _) => {
            let before = record
                .events
                .iter()
                .filter(|ev| ev.actor == event.actor && ev.op == Op::RecvFrame)
                .filter(|ev| ev.seq < event.seq)
                .count();
            Context::Reply(before + 1)
        }
        _ => Context::Unknown,
    }
}

/// The whole sentence: when, what, why.
fn sentence(
    suite: Suite,
    scenario: &Scenario,
    actor: &str,
    context: &Context,
    seen: &Seen,
    record: &Record,
) -> Said {
    let who = if scenario
        .actors
        .iter()
        .filter(|a| *a != super::SERVER)
        .count()
        > 1
    {
        Some(actor.to_string())
    } else {
        None
    };
    let when = match context {
        Context::AfterPiece(piece) => {
            let (en, zh) = (piece.en(), piece.get("zh"));
            Some(said!("after {en} arrived alone", "在{zh}单独到达之后"))
        }
        Context::Reply(k) => {
            let nth = ordinal(*k);
            Some(match &who {
                Some(who) => said!("for {who}'s {nth} message", "对 {who} 的第 {k} 条消息"),
                None => said!("for the {nth} message", "对第 {k} 条消息"),
            })
        }
        Context::AtEnd => Some(Said::both("after the last reply", "在最后一条回复之后")),
        Context::Unknown => None,
    };
    let what = observed(suite, seen);
    let why = diagnosis(scenario.name.as_str(), seen, context, record, actor);
    let (en, zh) = match when {
        Some(when) => (
            format!("{}, the server {}: {}", when.en(), what.en(), why.en()),
            format!(
                "{}，服务器{}：{}",
                when.get("zh"),
                what.get("zh"),
                why.get("zh")
            ),
        ),
        None => (
            format!("the server {}: {}", what.en(), why.en()),
            format!("服务器{}：{}", what.get("zh"), why.get("zh")),
        ),
    };
    Said::both(en, zh)
}

/// What the server did, in words.
fn observed(suite: Suite, seen: &Seen) -> Said {
    match seen {
        Seen::EarlyReply(data) => {
            let reply = describe_reply(suite, data);
            let (en, zh) = (reply.en(), reply.get("zh"));
            said!("replied with {en}", "回复了{zh}")
        }
        Seen::Closed => Said::both("closed the connection", "关闭了连接"),
        Seen::Failed(errno) if errno == "ECONNREFUSED" => Said::both(
            "refused the connection (ECONNREFUSED)",
            "拒绝了连接（ECONNREFUSED）",
        ),
        Seen::Failed(errno) => said!("made the call fail with {errno}", "让调用失败了：{errno}"),
        Seen::Short { got: 0, want } => said!(
            "replied with an empty message where {want} bytes were sent",
            "回复了一条空消息，而发出的是 {want} 个字节"
        ),
        Seen::Short { got, want } => said!(
            "replied with only the first {got} of the {want} bytes",
            "只回复了 {want} 个字节中的前 {got} 个"
        ),
        Seen::Long { got, want } => said!(
            "replied with one {got}-byte message where the message was {want} bytes",
            "回复了一条 {got} 字节的消息，而这条消息只有 {want} 个字节"
        ),
        Seen::Other { got, want, at } => said!(
            "replied with {got} bytes where {want} were sent, different from byte {at} on",
            "回复了 {got} 个字节（发出的是 {want} 个），从第 {at} 个字节起就不一样"
        ),
        Seen::NoReply(waited) if !waited.is_zero() => {
            let waited = crate::text::fmt_duration(*waited);
            said!("sent no reply within {waited}", "在 {waited} 内没有回复")
        }
        Seen::NoReply(_) => Said::both("sent no reply in time", "没有及时回复"),
        Seen::NotFrame(detail) => said!(
            "replied with bytes that are not a message of the protocol ({detail})",
            "回复的字节不符合协议（{detail}）"
        ),
        Seen::Extra(n) => said!(
            "sent {n} more bytes instead of closing",
            "没有关闭连接，而是又发了 {n} 个字节"
        ),
    }
}

/// What a server that does this believes, by case and by what it did.
fn diagnosis(case: &str, seen: &Seen, context: &Context, record: &Record, actor: &str) -> Said {
    let early = matches!(context, Context::AfterPiece(_));
    match seen {
        Seen::EarlyReply(_) => Said::both(
            "it treated one recv as one message",
            "它把一次 recv 当成了一条消息",
        ),
        Seen::Closed if early => Said::both(
            "it expected a whole header (or message) from one recv, and gave up (or crashed) \
             when a recv returned less",
            "它以为一次 recv 就能收到完整的报头（或消息），recv 返回的字节少了，它就放弃了（或崩溃了）",
        ),
        Seen::Closed if case == "half-close" => Said::both(
            "it stopped at the client's eof before answering every message",
            "它一读到客户端的 eof 就停了，没有回复完每条消息",
        ),
        Seen::Closed => Said::both(
            "it closed before answering every message (did it crash? see its stderr)",
            "它没回复完每条消息就关闭了连接（崩溃了吗？看看它的 stderr）",
        ),
        Seen::Failed(errno) if errno == "ECONNREFUSED" => Said::both(
            "nothing listens at that address (is the program running, on that port?)",
            "那个地址上没有程序在监听（程序在运行吗？端口对吗？）",
        ),
        Seen::Failed(_) => Said::both(
            "it reset the connection: it may have crashed (see its stderr)",
            "它重置了连接：可能崩溃了（看看它的 stderr）",
        ),
        Seen::Short { .. } if case == "big-body" => Said::both(
            "it trusted one recv(n) to return n bytes",
            "它以为 recv(n) 一定返回 n 个字节",
        ),
        Seen::Short { .. } => Said::both(
            "it treated one recv as one message, and answered before the whole message had \
             arrived",
            "它把一次 recv 当成了一条消息，消息还没收完就回复了",
        ),
        Seen::Long { .. } => Said::both(
            "it treated one recv as one message, so messages that arrived together came back \
             as one",
            "它把一次 recv 当成了一条消息，所以一起到达的几条消息被当成一条回复了",
        ),
        Seen::Other { .. } => Said::both(
            "it mixed up the bytes of the messages (it read past the end of one into the \
             next, or lost some)",
            "它把消息的字节弄乱了（读过了一条消息的结尾读进了下一条，或者丢了一些）",
        ),
        Seen::NoReply(_) if case == "several-clients" => {
            let others: Vec<&str> = record
                .events
                .iter()
                .filter(|ev| ev.op == Op::RecvFrame && ev.actor != actor && ev.data.is_some())
                .map(|ev| ev.actor.as_str())
                .fold(Vec::new(), |mut seen, a| {
                    if !seen.contains(&a) {
                        seen.push(a);
                    }
                    seen
                });
            let others = others.join(", ");
            if others.is_empty() {
                Said::both("it serves one client at a time", "它一次只服务一个客户端")
            } else {
                said!(
                    "it serves one client at a time ({others} stayed connected)",
                    "它一次只服务一个客户端（{others} 一直连着）"
                )
            }
        }
        Seen::NoReply(_) if case == "half-close" => Said::both(
            "it stopped answering once the client had half-closed (shutdown SHUT_WR), or \
             never closed its side after the last reply",
            "客户端半关闭（shutdown SHUT_WR）之后它就不再回复了，或者最后一条回复之后它一直没有关闭自己这一端",
        ),
        Seen::NoReply(_) if matches!(context, Context::AtEnd) => Said::both(
            "it did not close the connection after the client's eof and its last reply",
            "客户端 eof 之后、最后一条回复之后，它没有关闭连接",
        ),
        Seen::NoReply(_) => Said::both(
            "it is still waiting for bytes that have already arrived (it read more than one \
             message's worth into one, or waits for one recv to return a whole message)",
            "它还在等已经到达的字节（它把不止一条消息的字节读进了一条，或者在等一次 recv 返回整条消息）",
        ),
        Seen::NotFrame(_) => Said::both(
            "its reply is not framed as the protocol says",
            "它的回复没有按协议分帧",
        ),
        Seen::Extra(_) => Said::both(
            "it sent more than one reply per message",
            "它对一条消息回复了不止一次",
        ),
    }
}

mod place;
#[cfg(test)]
mod tests;
