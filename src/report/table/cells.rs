//! The tables of one run's report, row by row: the cells of sends, recvs, the other
//! steps, expectations and timers.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::Duration;

use super::columns::{
    DATA_WIDTH, EXPECT_COLS, OTHER_COLS, RECV_COLS, RECV_DATA, SEND_COLS, TIMER_COLS, build, fit,
    grid,
};
use super::data::{Atom, data_cell, data_runs, layout, width};
use crate::record::{Event, ExpectationResult, Op, Provenance, Record};
use crate::report::ReportOptions;
use crate::report::shared::call_text;
use crate::text::fmt_duration as human;

pub(super) fn sends_table(sends: &[&Event], options: &ReportOptions) -> comfy_table::Table {
    let rows = sends
        .iter()
        .map(|e| {
            let mut row = lead(e);
            row.extend([
                sent(e),
                e.stream
                    .map(|(a, b)| format!("{a}..{b}"))
                    .unwrap_or_default(),
            ]);
            row
        })
        .collect();
    grid(&SEND_COLS, rows, options)
}

/// The cells every event table begins with: `#`, `t ms`, `took`, actor, line, call.
fn lead(e: &Event) -> Vec<String> {
    vec![
        e.seq.to_string(),
        millis(e.t),
        human(e.dur),
        e.actor.clone(),
        e.line.to_string(),
        call_text(&e.call),
    ]
}

/// What a send did: the count the kernel took (`3 of 5` when it took less than
/// offered, `(4 calls)` when a sendall needed several), or the error.
fn sent(e: &Event) -> String {
    let mut text = match (e.result, e.requested) {
        (Some(n), Some(r)) if n < r => format!("{n} of {r}"),
        (Some(n), _) => n.to_string(),
        (None, _) => failure(e),
    };
    if let Some(calls) = e.calls.filter(|&c| c > 1) {
        let _ = write!(text, " ({calls} calls)");
    }
    text
}

/// Why a call returned no count: `timeout`, the errno name, or `-` if the record
/// does not say.
fn failure(e: &Event) -> String {
    if e.timeout {
        "timeout".to_owned()
    } else if let Some(error) = &e.error {
        error.clone()
    } else {
        "-".to_owned()
    }
}

pub(super) fn recvs_table(
    recvs: &[&Event],
    record: &Record,
    options: &ReportOptions,
) -> comfy_table::Table {
    let runs: Vec<Vec<Vec<Atom>>> = recvs
        .iter()
        .map(|e| data_runs(e.data.as_deref().unwrap_or_default(), &e.from))
        .collect();
    let rows: Vec<Vec<String>> = recvs
        .iter()
        .map(|e| {
            let mut row = lead(e);
            row.extend([
                opt(e.queued_before),
                got(e),
                String::new(), // the data, once the width of its column is known
                if e.eof {
                    eof_cause(e, record)
                } else {
                    from_sends(&e.from, record)
                },
                opt(e.queued_after),
            ]);
            row
        })
        .collect();
    let widest = runs
        .iter()
        .map(|runs| width(&layout(runs, None).0))
        .max()
        .unwrap_or(0);
    let wanted = widest.clamp(RECV_COLS[RECV_DATA].header.len(), DATA_WIDTH);
    let (shown, budget) = fit(&RECV_COLS, &rows, Some((RECV_DATA, wanted)), options);
    let rows = rows
        .into_iter()
        .zip(&runs)
        .zip(recvs)
        .map(|((mut row, runs), e)| {
            let len = e.data.as_ref().map_or(0, Vec::len);
            row[RECV_DATA] = data_cell(runs, len, budget);
            row
        })
        .collect();
    build(&RECV_COLS, &shown, Some(RECV_DATA), rows, options)
}

/// What an eof came from: the sender's last `close` or `shutdown` before it
/// (`client close, line 19`), where the report still has it.
fn eof_cause(e: &Event, record: &Record) -> String {
    let Some(sender) = e.conn.as_deref().and_then(|c| c.split('>').next()) else {
        return String::new();
    };
    record
        .events
        .iter()
        .rev()
        .filter(|c| c.seq < e.seq && c.actor == sender)
        .find(|c| matches!(c.op, Op::Close | Op::Shutdown))
        .map(|c| format!("{sender} {}, line {}", c.op, c.line))
        .unwrap_or_default()
}

fn opt(n: Option<u64>) -> String {
    n.map(|n| n.to_string()).unwrap_or_default()
}

/// What a recv returned: the count, `eof`, the errno name or `timeout`; a datagram cut
/// to the buffer is `4 truncated`.
fn got(e: &Event) -> String {
    if e.eof {
        return "eof".to_owned();
    }
    match e.result {
        // recv(0) returns 0 once data or a FIN is queued: from its return value alone a
        // program cannot tell that from eof (recv(2)). The row says which it was.
        Some(0) if e.requested == Some(0) && !e.op.is_send() => "0, not eof".to_owned(),
        Some(n) if e.truncated => format!("{n} truncated"),
        Some(n) => n.to_string(),
        None => failure(e),
    }
}

/// `#4 #5` when the recv took whole sends, `#4[7..9] #5` when only part of one.
fn from_sends(from: &[Provenance], record: &Record) -> String {
    let mut text = String::new();
    for p in from {
        if !text.is_empty() {
            text.push(' ');
        }
        let _ = write!(text, "#{}", p.send);
        let whole = record
            .events
            .iter()
            .find(|e| e.seq == p.send)
            .and_then(|send| send.result)
            .is_some_and(|n| p.bytes == (0, n));
        if !whole {
            let _ = write!(text, "[{}..{}]", p.bytes.0, p.bytes.1);
        }
    }
    text
}

pub(super) fn others_table(others: &[&Event], options: &ReportOptions) -> comfy_table::Table {
    let rows = others
        .iter()
        .map(|e| {
            let result = match (&e.error, &e.error_detail, &e.detail) {
                (Some(error), Some(why), _) => format!("{error} ({why})"),
                (Some(error), None, _) => error.clone(),
                (None, _, _) if e.timeout => "timeout".to_owned(),
                (None, _, Some(detail)) => detail.clone(),
                (None, _, None) => String::new(),
            };
            let mut row = lead(e);
            row.extend([result]);
            row
        })
        .collect();
    grid(&OTHER_COLS, rows, options)
}

/// How many expectation rows a table shows: every failure first (up to this many), then
/// as many of the ones that held, in file order; one more row counts the rest.
const SHOWN_EXPECTATIONS: usize = 1000;

pub(super) fn expectations_table(record: &Record, options: &ReportOptions) -> comfy_table::Table {
    // The rounds of a `repeat` check the same line again and again: identical results
    // (same line, expectation, observation and verdict) are one row, `×N`.
    let mut index: HashMap<(u32, Option<&str>, &str, &str, bool), usize> = HashMap::new();
    let mut groups: Vec<(&ExpectationResult, usize)> = Vec::new();
    for x in &record.expectations {
        let key = (
            x.line,
            x.actor.as_deref(),
            x.expected.as_str(),
            x.observed.as_str(),
            x.passed,
        );
        match index.get(&key).filter(|_| !options.full) {
            Some(&i) => groups[i].1 += 1,
            None => {
                index.insert(key, groups.len());
                groups.push((x, 1));
            }
        }
    }
    // In line order, so a line's rows stand together whatever the order they were
    // checked in (a stable sort: within a line, the order they came).
    groups.sort_by_key(|(x, _)| x.line);
    let failed = groups
        .iter()
        .filter(|(x, _)| !x.passed)
        .count()
        .min(SHOWN_EXPECTATIONS);
    let mut held_room = SHOWN_EXPECTATIONS - failed;
    let mut failed_room = failed;
    let (mut more_held, mut more_failed) = (0, 0);
    let mut rows: Vec<Vec<String>> = Vec::new();
    for &(x, n) in &groups {
        let room = if x.passed {
            &mut held_room
        } else {
            &mut failed_room
        };
        if *room == 0 && !options.full {
            *if x.passed {
                &mut more_held
            } else {
                &mut more_failed
            } += n;
            continue;
        }
        *room = room.saturating_sub(1);
        let observed = if n > 1 {
            format!("{} ×{n}", x.observed)
        } else {
            x.observed.clone()
        };
        rows.push(vec![
            if x.passed { "✓" } else { "✗" }.to_owned(),
            x.line.to_string(),
            x.actor.clone().unwrap_or_default(),
            x.expected.clone(),
            observed,
        ]);
    }
    if more_held + more_failed > 0 {
        rows.push(vec![
            "…".to_owned(),
            String::new(),
            String::new(),
            format!(
                "{} more: {more_held} held, {more_failed} failed",
                more_held + more_failed
            ),
            String::new(),
        ]);
    }
    grid(&EXPECT_COLS, rows, options)
}

pub(super) fn timers_table(record: &Record, options: &ReportOptions) -> comfy_table::Table {
    let rows = record
        .timers
        .iter()
        .map(|(name, s)| {
            vec![
                name.clone(),
                s.count.to_string(),
                human(s.min),
                human(s.p50),
                human(s.p90),
                human(s.p99),
                human(s.max),
            ]
        })
        .collect();
    grid(&TIMER_COLS, rows, options)
}

/// A moment of the run in milliseconds with three decimals (`0.160`), from whole
/// microseconds.
fn millis(d: Duration) -> String {
    let us = d.as_micros();
    format!("{}.{:03}", us / 1000, us % 1000)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::human;

    #[test]
    fn human_durations() {
        let us = Duration::from_micros;
        assert_eq!(human(us(0)), "0µs");
        assert_eq!(human(us(350)), "350µs");
        assert_eq!(human(us(4_123)), "4.12ms");
        assert_eq!(human(us(41_249)), "41.2ms");
        assert_eq!(human(us(350_000)), "350ms");
        assert_eq!(human(us(1_000_000)), "1.00s");
        assert_eq!(human(us(12_345_678)), "12.3s");
    }
}
