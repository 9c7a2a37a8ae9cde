//! Where a piece of a stream lies in the messages of a protocol, in words: the client's
//! stream rebuilt from a case's values, cut into messages (header and body) as the
//! suite frames them, and a range of it described ("the 2nd byte of the header", "the
//! last 2 bytes of the header and the first 3 bytes of the body of message 2"); an
//! early reply read as frames ("a 0-byte frame").

use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::frame;
use crate::grade::Suite;
use crate::scenario::Scenario;
use crate::scenario::ast::{Action, Item};
use crate::scenario::value;
use crate::text::{Said, said};

/// At most this many bytes of the client's stream are rebuilt to place an offset.
pub(super) const MAX_REBUILT: usize = 4 << 20;

/// The first `need` bytes the actor sends, rebuilt from the case's values (the cases
/// send no `random` bytes; a zero seed stands in for the run's).
pub(super) fn rebuild_stream(scenario: &Scenario, actor: &str, need: usize) -> Vec<u8> {
    let need = need.min(MAX_REBUILT);
    let mut out = Vec::new();
    let mut rng = StdRng::seed_from_u64(0);
    collect_sends(&scenario.body, actor, need, &mut rng, &mut out);
    out
}

fn collect_sends(items: &[Item], actor: &str, need: usize, rng: &mut StdRng, out: &mut Vec<u8>) {
    for item in items {
        if out.len() >= need {
            return;
        }
        match item {
            Item::Step(step) if step.actor == actor => match &step.action {
                Action::Send(v) | Action::SendAll(v) => out.extend(value::eval(v, rng)),
                Action::SendFrame { codec, value: v } => {
                    let body = value::eval(v, rng);
                    out.extend(frame::encode(*codec, &body).unwrap_or(body));
                }
                _ => {}
            },
            Item::Step(_) => {}
            Item::Repeat(block) => {
                for _ in 0..block.count {
                    if out.len() >= need {
                        return;
                    }
                    collect_sends(&block.body, actor, need, rng, out);
                }
            }
        }
    }
}

/// Where one message of the stream lies: `[start, body)` is its header (the length
/// prefix, and the JSON header), `[body, end)` its body; a line's `\n` is `end..end+1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Place {
    pub(super) start: usize,
    pub(super) body: usize,
    pub(super) end: usize,
    /// The message ends with a `\n` after `end` (line-echo).
    pub(super) newline: bool,
}

/// The messages of a stream, as the suite's protocol frames them (a last incomplete
/// one included, as far as its header says).
pub(super) fn layout(suite: Suite, stream: &[u8]) -> Vec<Place> {
    let mut out = Vec::new();
    let mut at = 0usize;
    while at < stream.len() && out.len() < 100_000 {
        let rest = &stream[at..];
        let place = match suite {
            Suite::Line => {
                let n = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
                Place {
                    start: at,
                    body: at,
                    end: at + n,
                    newline: true,
                }
            }
            Suite::Len32 => {
                let size = rest
                    .get(..4)
                    .map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize);
                Place {
                    start: at,
                    body: at + 4,
                    end: at + 4 + size,
                    newline: false,
                }
            }
            Suite::JsonHeader => {
                let head = rest
                    .get(..4)
                    .map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize);
                let size = rest
                    .get(4..4 + head)
                    .and_then(|h| serde_json::from_slice::<serde_json::Value>(h).ok())
                    .and_then(|v| v.get("total_size").and_then(serde_json::Value::as_u64))
                    .map_or(0, |n| n as usize);
                Place {
                    start: at,
                    body: at + 4 + head,
                    end: at + 4 + head + size,
                    newline: false,
                }
            }
        };
        at = place.end + usize::from(place.newline);
        out.push(place);
    }
    out
}

/// `1st`, `2nd`, `3rd`, `4th`, `11th`, `21st`.
pub(super) fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// The stream bytes `[from, to)` in words: "the 2nd byte of the header", "the last 2
/// bytes of the header and the first 3 bytes of the body of message 2".
pub(super) fn describe_piece(layout: &[Place], from: usize, to: usize) -> Said {
    let Some((k, place)) = layout
        .iter()
        .enumerate()
        .find(|(_, p)| p.start <= from && from < p.end + usize::from(p.newline))
    else {
        return said!("the first {to} bytes", "前 {to} 个字节");
    };
    let (n, many) = (k + 1, layout.len() > 1);
    // A line has no header: its parts are the line and the `\n` that ends it.
    let (line, line_zh) = match many {
        true => (format!("line {n}"), format!("第 {n} 行")),
        false => ("the line".to_string(), "这一行".to_string()),
    };
    let parts: [(usize, usize, String, String); 2] = if place.newline {
        [
            (place.start, place.start, String::new(), String::new()),
            (place.body, place.end, line.clone(), line_zh.clone()),
        ]
    } else {
        [
            (place.start, place.body, "the header".into(), "报头".into()),
            (place.body, place.end, "the body".into(), "消息体".into()),
        ]
    };
    let mut en: Vec<String> = Vec::new();
    let mut zh: Vec<String> = Vec::new();
    for (lo, hi, part, part_zh) in parts {
        let (a, b) = (from.max(lo), to.min(hi));
        if a >= b {
            continue;
        }
        let (i, j, len) = (a - lo + 1, b - lo, hi - lo);
        let whole = part.strip_prefix("the ").unwrap_or(&part);
        let (e, z) = if b - a == len {
            (format!("the whole {whole}"), format!("整个{part_zh}"))
        } else if b - a == 1 {
            (
                format!("the {} byte of {part}", ordinal(i)),
                format!("{part_zh}的第 {i} 个字节"),
            )
        } else if a == lo {
            (
                format!("the first {} bytes of {part}", b - a),
                format!("{part_zh}的前 {} 个字节", b - a),
            )
        } else if b == hi {
            (
                format!("the last {} bytes of {part}", b - a),
                format!("{part_zh}的最后 {} 个字节", b - a),
            )
        } else {
            (
                format!("bytes {i} to {j} of {part}"),
                format!("{part_zh}的第 {i} 到 {j} 个字节"),
            )
        };
        en.push(e);
        zh.push(z);
    }
    if place.newline && from <= place.end && to > place.end {
        en.push(format!("the \\n that ends {line}"));
        zh.push(format!("结束{line_zh}的 \\n"));
    }
    let (mut en, mut zh) = (en.join(" and "), zh.join("和"));
    if many && !place.newline {
        (en, zh) = (format!("{en} of message {n}"), format!("第 {n} 条消息{zh}"));
    }
    Said::both(en, zh)
}

/// The bytes of an early reply, as the protocol reads them: "a 0-byte frame", "2
/// frames (5 and 0 bytes)", "3 bytes that are not a whole message".
pub(super) fn describe_reply(suite: Suite, data: &[u8]) -> Said {
    let places = layout(suite, data);
    let whole: Vec<usize> = places
        .iter()
        .filter(|p| p.end + usize::from(p.newline) <= data.len() && p.body <= p.end)
        .filter(|p| !p.newline || data.get(p.end) == Some(&b'\n'))
        .map(|p| p.end - p.body)
        .collect();
    let unit = match suite {
        Suite::Line => ("line", "行"),
        Suite::Len32 => ("frame", "帧"),
        Suite::JsonHeader => ("message", "消息"),
    };
    let (n, (unit, unit_zh)) = (data.len(), unit);
    match whole.as_slice() {
        [] => said!(
            "{n} bytes that are not a whole {unit}",
            "{n} 个字节，还不是一条完整的{unit_zh}"
        ),
        [size] => {
            let bytes = crate::text::escape::quote_short(data, 24);
            said!(
                "a {size}-byte {unit} ({bytes})",
                "一条 {size} 字节的{unit_zh}（{bytes}）"
            )
        }
        sizes => {
            let count = sizes.len();
            let list: Vec<String> = sizes.iter().map(usize::to_string).collect();
            let list = list.join(", ");
            said!(
                "{count} {unit}s ({list} bytes)",
                "{count} 条{unit_zh}（{list} 字节）"
            )
        }
    }
}
