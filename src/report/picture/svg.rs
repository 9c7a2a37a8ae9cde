//! The sequence diagram: one lane per actor, time going down, a box per send and per
//! recv on its actor's lane, and an arrow from each send to each recv that got bytes of
//! it. Two sends glued into one recv are two arrows into one box (粘包); one send read by
//! three recvs is three arrows out of one box (分包). A datagram is its own arrow.
//!
//! Time is drawn by rows, one per timeline row (so a fold of calls or of rounds is one
//! box, as in the table), with a visible break and the length of the gap wherever the run
//! was idle for a while: a 40 ms stall is a break labelled `+40.2ms`, not 40 mm of paper.
//!
//! Every arrow carries `data-send="SEQ"` and `data-recv="SEQ"`, the numbers of the JSON's
//! events, so the picture can be checked against the run it shows.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::Duration;

use crate::record::Op;
use crate::report::table::cells::{millis, span};
use crate::report::table::data::escaped_runs;
use crate::report::table::timeline::{Info, Row};
use crate::scenario::Scenario;
use crate::text::fmt_duration as human;
use crate::text::width::{char_width, str_width};
use crate::wire::Wire;

/// Colours of the sends, in turn: each send's box, its arrows and its bytes in the recvs
/// that got them share one.
pub(super) const PALETTE: [&str; 8] = [
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2",
];

const LEFT: u32 = 84;
const LANE: u32 = 300;
const TOP: u32 = 56;
const ROW: u32 = 34;
const BREAK: u32 = 22;
const BOX_W: u32 = 236;
const BOX_H: u32 = 24;
/// A gap between two rows longer than this is drawn as a break.
const IDLE: Duration = Duration::from_millis(5);
/// Characters of a send's bytes shown in a recv's box, at most.
const SHOWN_CHARS: usize = 16;

/// Where a send was drawn: its box's centre and its colour.
struct Drawn {
    x: u32,
    y: u32,
    color: &'static str,
}

/// The diagram as an `<svg>` element (no XML prolog: it is also inlined in HTML).
///
/// With a capture (`wire`), its segments are drawn under the boxes ([`super::segments`]).
pub(super) fn diagram(
    scenario: &Scenario,
    rows: &[Row],
    info: &Info,
    lang: &str,
    wire: Option<&Wire>,
) -> String {
    let mut actors: Vec<&str> = scenario.actors.iter().map(String::as_str).collect();
    for r in rows {
        if !actors.contains(&r.first.actor.as_str()) {
            actors.push(&r.first.actor);
        }
    }
    let lane = |actor: &str| {
        let i = actors.iter().position(|a| *a == actor).unwrap_or(0);
        LEFT + LANE / 2 + LANE * u32::try_from(i).unwrap_or(0)
    };
    let width = LEFT + LANE * u32::try_from(actors.len()).unwrap_or(1) + 20;

    // The y of each row, with a break wherever the run was idle.
    let mut ys = Vec::with_capacity(rows.len());
    let mut breaks = Vec::new();
    let mut y = TOP + ROW;
    let mut last_end: Option<Duration> = None;
    for r in rows {
        if let Some(end) = last_end
            && r.rounds.is_none()
            && r.first.t > end + IDLE
        {
            breaks.push((y, r.first.t - end));
            y += BREAK;
        }
        ys.push(y);
        y += ROW;
        last_end = Some(last_end.map_or(r.calls.end, |e| e.max(r.calls.end)));
    }
    let height = y + 10;

    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="stickylab-diagram" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="ui-monospace, Menlo, Consolas, monospace" font-size="12">"#
    );
    out.push_str(
        r#"<defs><marker id="head" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="context-stroke"/></marker>"#,
    );
    if wire.is_some() {
        out.push_str(
            r#"<marker id="tick" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="4" markerHeight="4" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="context-stroke"/></marker>"#,
        );
    }
    out.push_str("</defs>");
    let _ = write!(
        out,
        r##"<text x="8" y="{}" fill="#666">{}</text>"##,
        TOP - 8,
        xml(if lang == "zh" { "时刻 ms" } else { "t ms" })
    );
    for actor in &actors {
        let x = lane(actor);
        let _ = write!(
            out,
            r##"<text x="{x}" y="{}" text-anchor="middle" font-weight="bold" font-size="14">{}</text><line x1="{x}" y1="{TOP}" x2="{x}" y2="{}" stroke="#bbb" stroke-dasharray="4 3"/>"##,
            TOP - 8,
            xml(actor),
            height - 6
        );
    }
    for (y, gap) in &breaks {
        let mid = y + BREAK / 2 - ROW / 2;
        let _ = write!(
            out,
            r##"<g class="break"><path d="M{LEFT},{a} l10,-4 l10,8 l10,-8 l10,8 l10,-4" fill="none" stroke="#999"/><text x="8" y="{b}" fill="#999">+{}</text></g>"##,
            xml(&human(*gap)),
            a = mid,
            b = mid + 4
        );
    }

    // Sends first, so that arrows can start from them.
    let mut sends: HashMap<u64, Drawn> = HashMap::new();
    let mut colors = 0usize;
    for (r, &y) in rows.iter().zip(&ys) {
        if r.first.op.is_send() && r.first.result.is_some() {
            let color = PALETTE[colors % PALETTE.len()];
            colors += 1;
            let x = lane(&r.first.actor);
            for seq in [r.first.seq, r.calls.last_seq] {
                sends.insert(seq, Drawn { x, y, color });
            }
        }
    }

    // The captured segments, under everything else.
    if let Some(wire) = wire {
        let known = |actor: &str| actors.contains(&actor).then(|| lane(actor));
        let color = |seq: u64| sends.get(&seq).map(|d| d.color);
        let at = super::segments::Rows {
            rows,
            ys: &ys,
            bottom: height - 14,
        };
        out.push_str(&super::segments::draw(wire, &at, &known, &color, lang));
    }

    let mut arrows = String::new();
    let mut boxes = String::new();
    for (r, &y) in rows.iter().zip(&ys) {
        let e = &r.first;
        let x = lane(&e.actor);
        let _ = write!(
            boxes,
            r##"<text x="8" y="{}" fill="#888">{}</text>"##,
            y + 4,
            millis(e.t)
        );
        let times = r
            .rounds
            .as_ref()
            .map(|k| format!(" ×{}", k.n))
            .unwrap_or_default();
        let took = match &r.rounds {
            Some(k) => span(k.min, k.max),
            None => human(r.calls.end.saturating_sub(e.t)),
        };
        let call = short(&crate::report::shared::call_text(&e.call), 26);
        if e.op.is_send() {
            let color = sends.get(&e.seq).map_or("#888", |d| d.color);
            let tip = format!(
                "#{} {} · {} · {}",
                e.seq,
                e.call,
                e.result.map_or_else(
                    || e.error.clone().unwrap_or_default(),
                    |n| format!("{n} bytes")
                ),
                took
            );
            let _ = write!(
                boxes,
                r#"<g class="send" data-seq="{}"><title>{}</title><rect x="{}" y="{}" width="{BOX_W}" height="{BOX_H}" rx="4" fill="{color}" fill-opacity="0.15" stroke="{color}"/><text x="{x}" y="{}" text-anchor="middle">{}{}</text></g>"#,
                e.seq,
                xml(&tip),
                x - BOX_W / 2,
                y - BOX_H / 2,
                y + 4,
                xml(&call),
                xml(&times)
            );
        } else if e.op.is_recv() {
            let (data, from, len) = r.data().unwrap_or_default();
            let runs = from.len().max(1);
            let mut text = format!(
                r##"<tspan fill="#555">{}: </tspan>"##,
                xml(&short(&call, 14))
            );
            for (i, (send, piece)) in escaped_runs(&data, &from).into_iter().enumerate() {
                if i > 0 {
                    text.push_str(r##"<tspan fill="#999">▏</tspan>"##);
                }
                let color = send.and_then(|s| sends.get(&s)).map_or("#333", |d| d.color);
                let _ = write!(
                    text,
                    r#"<tspan fill="{color}">{}</tspan>"#,
                    xml(&short(&piece, SHOWN_CHARS / runs))
                );
            }
            let label = if e.eof {
                let cause = info.eof_cause(e, lang);
                format!("eof ← {cause}")
            } else if let Some(error) = &e.error {
                error.clone()
            } else if e.timeout {
                "timeout".to_owned()
            } else {
                String::new()
            };
            let tip = format!(
                "#{} {} · {} · {} bytes · queued {} → {} · from {} · {}",
                e.seq,
                e.call,
                if r.calls.n > 1 {
                    r.sizes()
                } else {
                    e.result.unwrap_or(0).to_string()
                },
                len,
                opt(r.calls.queued_before),
                opt(r.calls.queued_after),
                info.sends_of(r, "en"),
                took
            );
            let stroke = if e.error.is_some() || e.timeout {
                "#d62728"
            } else {
                "#333"
            };
            let _ = write!(
                boxes,
                r##"<g class="recv" data-seq="{}"><title>{}</title><rect x="{}" y="{}" width="{BOX_W}" height="{BOX_H}" rx="4" fill="#fff" stroke="{stroke}"/><text x="{x}" y="{}" text-anchor="middle">{}{}{}</text></g>"##,
                e.seq,
                xml(&tip),
                x - BOX_W / 2,
                y - BOX_H / 2,
                y + 4,
                text,
                xml(&short(&label, 22)),
                xml(&times)
            );
            // One arrow per send the bytes came from (the first and last of many).
            let mut seen = Vec::new();
            for p in &r.calls.from {
                if seen.contains(&p.send) {
                    continue;
                }
                seen.push(p.send);
                let Some(d) = sends.get(&p.send) else {
                    continue;
                };
                let (x1, x2) = if d.x <= x {
                    (d.x + BOX_W / 2, x - BOX_W / 2)
                } else {
                    (d.x - BOX_W / 2, x + BOX_W / 2)
                };
                let _ = write!(
                    arrows,
                    r#"<line class="arrow" data-send="{}" data-recv="{}" x1="{x1}" y1="{}" x2="{x2}" y2="{y}" stroke="{}" stroke-width="1.5" marker-end="url(#head)"><title>#{} → #{}: bytes {}..{}</title></line>"#,
                    p.send, e.seq, d.y, d.color, p.send, e.seq, p.bytes.0, p.bytes.1
                );
            }
        } else {
            let failed = e.error.is_some() || e.timeout;
            let what = e
                .error
                .clone()
                .or_else(|| e.timeout.then(|| "timeout".to_owned()))
                .unwrap_or_default();
            let _ = write!(
                boxes,
                r##"<g class="step" data-seq="{}"><title>#{} {} · {}</title><text x="{x}" y="{}" text-anchor="middle" fill="{}">{}{}{}</text></g>"##,
                e.seq,
                e.seq,
                xml(&e.call),
                took,
                y + 4,
                if failed { "#d62728" } else { "#777" },
                xml(&call),
                if what.is_empty() {
                    String::new()
                } else {
                    format!(" → {}", xml(&what))
                },
                xml(&times)
            );
            if matches!(e.op, Op::Close | Op::Shutdown) {
                let _ = write!(
                    boxes,
                    r##"<line x1="{}" y1="{y}" x2="{}" y2="{y}" stroke="#999"/>"##,
                    x - 8,
                    x + 8
                );
            }
        }
    }
    out.push_str(&arrows);
    out.push_str(&boxes);
    out.push_str("</svg>");
    out
}

fn opt(n: Option<(u64, u64)>) -> String {
    match n {
        Some((a, b)) if a == b => a.to_string(),
        Some((a, b)) => format!("{a}–{b}"),
        None => "-".to_owned(),
    }
}

/// `text` in at most `max` columns of the diagram's monospace font (a CJK character
/// takes two, as in a terminal), shortened in the middle.
fn short(text: &str, max: usize) -> String {
    if str_width(text) <= max {
        return text.to_owned();
    }
    let keep = max.saturating_sub(1) / 2;
    let take = |chars: &mut dyn Iterator<Item = char>| {
        let mut taken = Vec::new();
        let mut width = 0;
        for c in chars {
            width += char_width(c);
            if width > keep {
                break;
            }
            taken.push(c);
        }
        taken
    };
    let head: String = take(&mut text.chars()).into_iter().collect();
    let tail: String = take(&mut text.chars().rev()).into_iter().rev().collect();
    format!("{head}…{tail}")
}

/// Text for XML content and attributes.
pub(super) fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters are not allowed in XML 1.0; the data is escaped
            // already, so these can only come from elsewhere.
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{short, xml};

    #[test]
    fn text_is_escaped_for_xml() {
        assert_eq!(
            xml(r#"<a href="x">&'"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert_eq!(xml("a\u{1}b"), "a\u{fffd}b");
    }

    #[test]
    fn long_text_is_shortened_in_the_middle() {
        assert_eq!(short("hello", 8), "hello");
        assert_eq!(short("abcdefghijklmnop", 9), "abcd…mnop");
        // Two columns a CJK character: the same room holds half as many.
        assert_eq!(short("一二三四五六七八九十", 9), "一二…九十");
    }
}
