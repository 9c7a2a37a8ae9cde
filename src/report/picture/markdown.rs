//! `--format markdown`: for a handout or an issue report. The timeline and the
//! expectations as Markdown tables, then a ```` ```mermaid ```` `sequenceDiagram` that
//! GitHub and GitLab draw: each send an arrow from its sender to its receiver, each recv a
//! note on its actor with what it got and from which sends.

use std::fmt::Write as _;

use crate::report::ReportOptions;
use crate::report::shared::call_text;
use crate::report::table::Finished;
use crate::report::table::cells::timeline_cells;
use crate::report::words::say;
use crate::scenario::Scenario;
use crate::wire::{Wire, segment_cells, wire_headers};

const DATA_WIDTH: usize = 60;

/// The document; with a capture (`wire`) it has a table of the segments too.
pub(super) fn document(
    scenario: &Scenario,
    run: &Finished,
    options: &ReportOptions,
    wire: Option<&Wire>,
) -> String {
    let lang = options.lang.as_str();
    let record = &run.record;
    let title = scenario.title.get(lang).unwrap_or(&record.scenario);
    let mut out = String::new();
    let _ = writeln!(out, "# {title}\n");
    if let Some(about) = scenario.about.get(lang) {
        let _ = writeln!(out, "{about}\n");
    }
    let _ = writeln!(
        out,
        "`scenario {} · {} · seed {}`\n",
        record.scenario, record.file, record.seed
    );

    let _ = writeln!(out, "## {}\n", say(lang, "timeline"));
    let (headers, rows) = timeline_cells(&run.rows, &run.info, lang, DATA_WIDTH);
    table(&mut out, &headers, &rows);

    if !record.expectations.is_empty() {
        let _ = writeln!(out, "\n## {}\n", say(lang, "expectations"));
        let (headers, rows) = super::expectation_cells(record, lang);
        table(&mut out, &headers, &rows);
    }
    for b in &record.blocked {
        let _ = writeln!(
            out,
            "\n✗ line {}: {} blocked in {} ({})",
            b.line, b.actor, b.blocked_in, b.call
        );
    }

    if let Some(wire) = wire {
        let _ = writeln!(out, "\n## {}\n", if lang == "zh" { "线路" } else { "wire" });
        let (headers, rows) = wire_cells(wire, lang);
        table(&mut out, &headers, &rows);
    }

    out.push_str("\n```mermaid\nsequenceDiagram\n");
    // Participants by an alias of their own: an actor may be called `end` or `alt`,
    // words of mermaid's own.
    let alias = |actor: &str| {
        let i = scenario.actors.iter().position(|a| a == actor).unwrap_or(0);
        format!("A{i}")
    };
    for actor in &scenario.actors {
        let _ = writeln!(
            out,
            "    participant {} as {}",
            alias(actor),
            mermaid(actor)
        );
    }
    for (r, cells) in run.rows.iter().zip(&rows) {
        let e = &r.first;
        let actor = alias(&e.actor);
        let times = r
            .rounds
            .as_ref()
            .map(|k| format!(" ×{}", k.n))
            .unwrap_or_default();
        let call = mermaid(&call_text(&e.call));
        // The cells hold `got`, `data` and `from / note` at these places from the end.
        let pick = |back: usize| {
            cells
                .len()
                .checked_sub(back)
                .map_or("", |i| cells[i].as_str())
        };
        let (got, data, note) = (pick(4), pick(3), pick(2));
        let to = e
            .conn
            .as_deref()
            .and_then(|c| c.split('>').nth(1))
            .map(|r| r.split('#').next().unwrap_or(r));
        match to {
            Some(to) if e.op.is_send() && e.result.is_some() => {
                let _ = writeln!(
                    out,
                    "    {actor}->>{}: seq {} {call} ({}){times}",
                    alias(to),
                    e.seq,
                    mermaid(got)
                );
            }
            _ if e.op.is_recv() => {
                let _ = writeln!(
                    out,
                    "    Note over {actor}: seq {} {call} → {} {} {}{times}",
                    e.seq,
                    mermaid(got),
                    mermaid(data),
                    mermaid(note)
                );
            }
            _ => {
                let _ = writeln!(
                    out,
                    "    Note over {actor}: seq {} {call} {}{times}",
                    e.seq,
                    mermaid(note)
                );
            }
        }
    }
    out.push_str("```\n");
    let verdict = if record.passed() {
        say(lang, "PASS").to_owned()
    } else {
        let n = record.expectations.len() + record.blocked.len();
        crate::report::words::failed(lang, record.failures(), n)
    };
    let _ = writeln!(out, "\n**{verdict}**");
    out
}

fn table(out: &mut String, headers: &[String], rows: &[Vec<String>]) {
    let line = |cells: &mut dyn Iterator<Item = String>| {
        let cells: Vec<String> = cells.collect();
        format!("| {} |\n", cells.join(" | "))
    };
    out.push_str(&line(&mut headers.iter().map(|h| cell(h))));
    out.push_str(&line(&mut headers.iter().map(|_| "---".to_owned())));
    for row in rows {
        out.push_str(&line(&mut row.iter().map(|c| cell(c))));
    }
}

/// A Markdown table cell, read as text: what Markdown would take as markup (emphasis,
/// code, HTML, a cell's end) escaped, no line breaks.
fn cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '|' | '*' | '_' | '`' | '[' | ']' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Text for a mermaid statement: `;` ends a statement and `#` starts an entity there,
/// so they are written as entity codes; no line breaks.
fn mermaid(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '#' => out.push_str("#35;"),
            ';' => out.push_str("#59;"),
            '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The captured segments as table cells: when (on the run's clock, like the timeline's
/// `t ms`), which way, flags, the bytes as a range of the direction's stream, their
/// count, the acknowledged offset, and the sends and recvs of those bytes.
fn wire_cells(wire: &Wire, lang: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let rows = wire
        .segments
        .iter()
        .map(|s| {
            let mut cells = segment_cells(s, s.t.unwrap_or_default().as_secs_f64() * 1000.0);
            if s.t.is_none() {
                // A segment the run's clock could not place has no time.
                cells[0].clear();
            }
            cells
        })
        .collect();
    let headers = wire_headers(lang).iter().map(|h| (*h).to_owned()).collect();
    (headers, rows)
}

#[cfg(test)]
mod tests {
    use super::{cell, mermaid};

    #[test]
    fn cells_and_mermaid_text_are_escaped() {
        assert_eq!(cell("a|b\nc"), "a\\|b c");
        assert_eq!(
            cell(r#"send "a<b>\x00*_""#),
            r#"send "a&lt;b&gt;\\x00\*\_""#
        );
        assert_eq!(mermaid("#3 a;b"), "#35;3 a#59;b");
    }
}
