//! The captured segments in the sequence diagram (`run --wire` or `--pcap` with
//! `--format html|svg`): a thin line from the sender's lane to the receiver's at the time
//! the segment was captured, under the send and recv boxes. A data segment takes the
//! colour of the first send it carried and is labelled with its length and flags; a bare
//! ACK is a grey dashed line labelled with what it acknowledged (`ACK 9`). So a glue by the
//! sender is one coloured line carrying two sends' bytes, a glue by the receiver two
//! lines before one recv box, and a late ACK a grey line 40 ms below the data.
//!
//! Time is drawn by rows, not to scale: a segment's height is interpolated between the
//! rows whose calls ended just before and just after it was captured.
//!
//! Every segment is a `<g class="segment">` with `data-segment` (its `n` in the JSON's
//! `wire` list), `data-direction`, `data-bytes` (`a..b` of the direction's stream),
//! `data-len`, `data-flags`, `data-sends` and `data-recvs` (the `seq` of the sends whose
//! bytes it carried and of the recvs that returned them), so a test can check the
//! picture against the run's JSON.

use std::fmt::Write as _;
use std::time::Duration;

use super::svg::xml;
use crate::report::table::timeline::Row;
use crate::wire::Wire;

/// Segments drawn at most: a bulk transfer's thousands would be a black smear; the
/// first ones are drawn and the rest counted.
pub(super) const MAX_DRAWN: usize = 400;
/// The least vertical distance between two segments drawn one after the other.
const SPREAD: f64 = 3.0;

/// Where the diagram's rows are: their y, and the run's time to y.
pub(super) struct Rows<'a> {
    pub rows: &'a [Row],
    pub ys: &'a [u32],
    /// The lowest y a segment may take.
    pub bottom: u32,
}

impl Rows<'_> {
    /// The y of time `t`: the rows are in the order their calls ended (the events'
    /// `seq`), so a segment goes between the row that ended last before it was
    /// captured and the next one, by time. A data segment is thus drawn above the recv
    /// that returned its bytes, and near the send that put it on the wire.
    fn y(&self, t: Duration) -> f64 {
        // The rows' ends, kept growing (a folded row ends with its last round).
        let mut latest = Duration::ZERO;
        let points: Vec<(Duration, f64)> = self
            .rows
            .iter()
            .zip(self.ys)
            .map(|(r, &y)| {
                latest = latest.max(r.calls.end);
                (latest, f64::from(y))
            })
            .collect();
        let bottom = f64::from(self.bottom);
        let Some(&(t0, y0)) = points.first() else {
            return bottom;
        };
        if t <= t0 {
            return y0 - 8.0;
        }
        for pair in points.windows(2) {
            let ((ta, ya), (tb, yb)) = (pair[0], pair[1]);
            if t <= tb {
                let span = (tb - ta).as_secs_f64();
                let f = if span > 0.0 {
                    (t - ta).as_secs_f64() / span
                } else {
                    1.0
                };
                return ya + f * (yb - ya);
            }
        }
        points.last().map_or(bottom, |p| (p.1 + 12.0).min(bottom))
    }
}

/// The segments of `wire` as SVG, and a line saying what they are (and how many were
/// left out). `lane` gives an actor's x; `color` a send's colour.
pub(super) fn draw(
    wire: &Wire,
    rows: &Rows<'_>,
    lane: &dyn Fn(&str) -> Option<u32>,
    color: &dyn Fn(u64) -> Option<&'static str>,
    lang: &str,
) -> String {
    let mut out = String::new();
    let mut last: Option<f64> = None;
    let mut drawn = 0usize;
    for (n, s) in wire.segments.iter().enumerate() {
        if drawn == MAX_DRAWN {
            break;
        }
        let (Some(t), Some((from, to))) = (s.t, s.direction.split_once('>')) else {
            continue;
        };
        let (Some(x1), Some(x2)) = (lane(from), lane(to)) else {
            continue;
        };
        let mut y = rows.y(t);
        if let Some(prev) = last {
            y = y.max(prev + SPREAD);
        }
        y = y.min(f64::from(rows.bottom));
        last = Some(y);
        drawn += 1;
        let len = s.bytes.1 - s.bytes.0;
        let seqs = |v: &[u64]| v.iter().map(u64::to_string).collect::<Vec<_>>().join(" ");
        let (sends, recvs) = (seqs(&s.sends), seqs(&s.recvs));
        let ms = t.as_secs_f64() * 1000.0;
        let mut tip = format!("segment {n} · {ms:.3} ms · {} · {}", s.direction, s.flags);
        if len > 0 {
            let _ = write!(tip, " · bytes {}..{} ({len})", s.bytes.0, s.bytes.1);
        }
        if let Some(ack) = s.ack {
            let _ = write!(tip, " · ack {ack}");
        }
        if !s.sends.is_empty() {
            let _ = write!(
                tip,
                " · sends #{}",
                s.sends
                    .iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(" #")
            );
        }
        let stroke = s
            .sends
            .first()
            .and_then(|&seq| color(seq))
            .unwrap_or("#555");
        let (stroke, style) = if len > 0 {
            (stroke, r#" stroke-width="1.2" stroke-opacity="0.8""#)
        } else {
            ("#aaa", r#" stroke-width="0.8" stroke-dasharray="3 2""#)
        };
        // The line leans a little downwards, the way time goes.
        let _ = write!(
            out,
            r#"<g class="segment" data-segment="{n}" data-direction="{}" data-bytes="{}..{}" data-len="{len}" data-flags="{}" data-sends="{sends}" data-recvs="{recvs}"><title>{}</title><line x1="{x1}" y1="{:.1}" x2="{x2}" y2="{:.1}" stroke="{stroke}"{style} marker-end="url(#tick)"/>"#,
            xml(&s.direction),
            s.bytes.0,
            s.bytes.1,
            xml(&s.flags),
            xml(&tip),
            y - 1.5,
            y + 1.5,
        );
        let label = label(len, &s.flags, s.ack);
        if !label.is_empty() {
            let _ = write!(
                out,
                r##"<text x="{}" y="{:.1}" text-anchor="middle" font-size="9" fill="{}">{}</text>"##,
                (x1 + x2) / 2,
                y - 2.5,
                if len > 0 { "#555" } else { "#999" },
                xml(&label)
            );
        }
        out.push_str("</g>");
    }
    let left = wire.segments.len().saturating_sub(drawn);
    let total = wire.segments.len();
    let note = match (lang, left) {
        ("zh", 0) => format!("细线：抓到的 {total} 个报文段（--wire）"),
        ("zh", _) => format!("细线：抓到的报文段（--wire），画出前 {drawn} 个，另有 {left} 个未画"),
        (_, 0) => format!("thin lines: the {total} captured segments (--wire)"),
        _ => format!(
            "thin lines: the first {drawn} captured segments (--wire); {left} more not drawn"
        ),
    };
    let _ = write!(
        out,
        r##"<text class="wire-note" x="8" y="16" fill="#888" font-size="11">{}</text>"##,
        xml(&note)
    );
    out
}

/// A segment's label: its length and the flags that matter (`5 B PSH`, `SYN`, `FIN`),
/// or for a bare ACK what it acknowledged (`ACK 9`: the other direction's stream up to
/// offset 9).
fn label(len: u64, flags: &str, ack: Option<u64>) -> String {
    let marks: Vec<&str> = flags
        .split(' ')
        .filter(|f| matches!(*f, "SYN" | "FIN" | "RST" | "PSH"))
        .collect();
    match (len, marks.is_empty()) {
        (0, true) => ack.map(|a| format!("ACK {a}")).unwrap_or_default(),
        (0, false) => marks.join(" "),
        (n, _) => {
            let mut text = format!("{n} B");
            for m in marks {
                text.push(' ');
                text.push_str(m);
            }
            text
        }
    }
}

#[cfg(test)]
mod tests {
    use super::label;

    #[test]
    fn a_label_says_the_length_and_the_flags_that_matter() {
        assert_eq!(label(5, "ACK PSH", Some(0)), "5 B PSH");
        assert_eq!(label(0, "SYN ACK", Some(0)), "SYN");
        assert_eq!(label(0, "ACK", Some(9)), "ACK 9");
        assert_eq!(label(0, "ACK FIN", Some(4)), "FIN");
    }
}
