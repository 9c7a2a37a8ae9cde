//! The tables of one run's report, row by row: the cells of the timeline, the
//! expectations and the timers.

use std::collections::HashMap;
use std::time::Duration;

use super::columns::{
    Col, DATA_WIDTH, EXPECT_COLS, TIMELINE_COLS, TIMELINE_CONN, TIMER_COLS, build, fit, grid,
};
use super::data::{data_cell, data_runs, layout, width};
use super::timeline::{Info, Row, thousands};
use crate::record::{Event, ExpectationResult, Op, Record, VerdictKind};
use crate::report::ReportOptions;
use crate::report::shared::call_text;
use crate::text::fmt_duration as human;
use crate::text::said;

/// The timeline: a row per step (or per fold of calls or rounds), in the order the
/// steps completed. The data column gets what the others leave of the width.
pub(super) fn timeline_table(
    rows: &[Row],
    info: &Info,
    options: &ReportOptions,
) -> comfy_table::Table {
    let cols: Vec<&Col> = TIMELINE_COLS
        .iter()
        .filter(|c| c.header != "conn" || info.conns > 1)
        .collect();
    let data_at = cols.iter().position(|c| c.header == "data").unwrap_or(0);
    let conn_at = cols.iter().position(|c| c.header == "conn");
    // The data cells are laid out one row at a time: the atoms of two thousand rows at
    // once would be tens of megabytes.
    let atoms = |r: &Row| {
        r.data()
            .map(|(data, from, len)| (data_runs(&data, &from), len))
    };
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let mut row = row_cells(r, info, &options.lang);
            if conn_at.is_none() {
                row.remove(TIMELINE_CONN);
            }
            row
        })
        .collect();
    let widest = rows
        .iter()
        .filter_map(|r| atoms(r).map(|(runs, _)| width(&layout(&runs, None).0)))
        .max()
        .unwrap_or(0);
    let wanted = widest.clamp(cols[data_at].header.len(), DATA_WIDTH);
    let cols: Vec<Col> = cols.into_iter().copied().collect();
    let (shown, budget) = fit(&cols, &cells, Some((data_at, wanted)), options);
    let cells = cells
        .into_iter()
        .zip(rows)
        .map(|(mut row, r)| {
            if let Some((runs, len)) = atoms(r) {
                let len = usize::try_from(len).unwrap_or(usize::MAX);
                row[data_at] = data_cell(&runs, len, budget);
            }
            row
        })
        .collect();
    build(&cols, &shown, Some(data_at), cells, options)
}

/// The timeline as plain text cells, for formats that lay out their own tables (HTML,
/// Markdown): the headers in `lang` and one row of cells per row, data shortened to
/// `data_width` columns on one line.
pub(in crate::report) fn timeline_cells(
    rows: &[Row],
    info: &Info,
    lang: &str,
    data_width: usize,
) -> (Vec<String>, Vec<Vec<String>>) {
    let keep = |i: usize| i != TIMELINE_CONN || info.conns > 1;
    let data_at = TIMELINE_COLS
        .iter()
        .position(|c| c.header == "data")
        .unwrap_or(0);
    let headers = TIMELINE_COLS
        .iter()
        .enumerate()
        .filter(|&(i, _)| keep(i))
        .map(|(_, c)| crate::report::words::say(lang, c.header).replace('\n', " "))
        .collect();
    let cells = rows
        .iter()
        .map(|r| {
            let mut row = row_cells(r, info, lang);
            if let Some((data, from, len)) = r.data() {
                let len = usize::try_from(len).unwrap_or(usize::MAX);
                row[data_at] =
                    data_cell(&data_runs(&data, &from), len, data_width).replace('\n', " ");
            }
            row.into_iter()
                .enumerate()
                .filter(|&(i, _)| keep(i))
                .map(|(_, c)| c)
                .collect()
        })
        .collect();
    (headers, cells)
}

/// The cells of one row, in the order of [`TIMELINE_COLS`] (the data cell is left
/// empty: it is laid out once its column's width is known).
fn row_cells(r: &Row, info: &Info, lang: &str) -> Vec<String> {
    let e = &r.first;
    let c = &r.calls;
    let (seq, took) = match &r.rounds {
        Some(rounds) => (
            format!("×{}", thousands(rounds.n)),
            span(rounds.min, rounds.max),
        ),
        // A fold of calls sits where its last call ended: `13–15`.
        None if c.n > 1 => (
            format!("{}–{}", e.seq, c.last_seq),
            human(c.end.saturating_sub(e.t)),
        ),
        None => (e.seq.to_string(), human(c.end.saturating_sub(e.t))),
    };
    let got = if c.n > 1 {
        r.sizes()
    } else if e.op.is_recv() {
        got(e, lang)
    } else if e.op.is_send() {
        sent(e, lang)
    } else if e.error.is_some() || e.timeout {
        failure(e)
    } else {
        String::new()
    };
    let mut note = if let Some(rounds) = &r.rounds {
        // What one round's row said (its stream range, its timer) would be wrong
        // for the others: the note says which rounds the row stands for.
        let (first, last) = (
            thousands(u64::from(rounds.first)),
            thousands(u64::from(rounds.last)),
        );
        said!("rounds {first}–{last}", "第 {first}–{last} 轮")
            .get(lang)
            .to_owned()
    } else if e.op.is_recv() {
        if e.eof {
            info.eof_cause(e, lang)
        } else if e.error.is_some() {
            detail(e)
        } else if e.from.is_empty()
            && let Some(detail) = &e.detail
        {
            detail.clone()
        } else if e.from.is_empty()
            && c.n == 1
            && let (Some((a, b)), Some(sender)) = (
                e.stream.filter(|(a, b)| b > a),
                e.conn
                    .as_deref()
                    .and_then(|c| c.split_once('>'))
                    .map(|c| c.0),
            )
        {
            // Bytes no send of the lab's made (a program given with --peer sent them):
            // where they lie in the sender's stream.
            said!("{sender}'s stream {a}..{b}", "{sender} 的流 {a}..{b}")
                .get(lang)
                .to_owned()
        } else {
            info.sends_of(r, lang)
        }
    } else if e.op.is_send() && e.error.is_none() && !e.timeout {
        match (info.datagram(e.seq), e.stream) {
            (Some(k), _) => said!("datagram {k}", "数据报 {k}").get(lang).to_owned(),
            (None, Some((a, _))) => {
                let b = a + c.bytes;
                said!("stream {a}..{b}", "流 {a}..{b}").get(lang).to_owned()
            }
            (None, None) => String::new(),
        }
    } else {
        short_detail(e, lang)
    };
    // What TCP_INFO says the call's segments were (a plain row: one call).
    if let Some(seg) = e
        .segments
        .filter(|_| c.n == 1 && r.rounds.is_none() && !e.eof)
    {
        let said = if e.op.is_send() && seg.notsent > 0 {
            let held = seg.notsent;
            said!("held: {held} bytes not sent", "扣住：{held} 字节未发出")
        } else if e.op.is_send() {
            let n = seg.data_out;
            match n {
                1 => said!("in 1 segment", "1 个报文段"),
                _ => said!("in {n} segments", "{n} 个报文段"),
            }
        } else {
            let n = seg.data_in;
            match n {
                1 => said!("1 segment came", "到达 1 个报文段"),
                _ => said!("{n} segments came", "到达 {n} 个报文段"),
            }
        };
        if !note.is_empty() {
            note.push_str(if lang == "zh" { "，" } else { ", " });
        }
        note.push_str(said.get(lang));
    }
    if let Some(v) = e
        .verdict
        .as_ref()
        .filter(|_| c.n == 1 && r.rounds.is_none())
    {
        let label = match v.kind {
            VerdictKind::SenderCoalesced => said!("glued by the sender", "发送方合并（粘包）"),
            VerdictKind::ReceiverAccumulated => {
                said!("glued by the receiver", "接收方积累（粘包）")
            }
            VerdictKind::SplitByRecvSize => said!("split: recv buffer", "接收缓冲区太小（半包）"),
            VerdictKind::SplitBySegments => said!("split: not all arrived", "尚未全部到达（分包）"),
        };
        if !note.is_empty() {
            note.push_str(if lang == "zh" { "；" } else { "; " });
        }
        note.push_str(label.get(lang));
        // With a capture, what its segments showed.
        if let Some(captured) = &v.captured {
            note.push_str(if lang == "zh" { "：" } else { ": " });
            note.push_str(captured.said.get(lang));
        }
    }
    if r.rounds.as_ref().is_some_and(|r| !r.same_data) {
        note.push_str(if note.is_empty() { "" } else { " " });
        note.push_str(said!("(bytes vary)", "（字节内容不同）").get(lang));
    }
    vec![
        seq,
        millis(e.t),
        took,
        e.conn.clone().unwrap_or_default(),
        e.actor.clone(),
        e.line.to_string(),
        call_text(&e.call),
        range(c.queued_before),
        got,
        String::new(),
        note,
        range(c.queued_after),
    ]
}

/// A step's result in words: the error and why, `timeout`, or what it did (`listening
/// on 127.0.0.1:41235`).
fn detail(e: &Event) -> String {
    match (&e.error, &e.error_detail, &e.detail) {
        (Some(error), Some(why), _) => format!("{error} ({why})"),
        (Some(error), None, _) => error.clone(),
        (None, _, _) if e.timeout => "timeout".to_owned(),
        (None, _, Some(detail)) => detail.clone(),
        (None, _, None) => String::new(),
    }
}

/// `44.1ms`, or the range of durations `43.7–44.9ms` (the unit once when both share
/// it).
pub(in crate::report) fn span(min: Duration, max: Duration) -> String {
    // Past 10 ms, whole milliseconds are what a reader compares: `44–49ms`.
    let (a, b) = if min >= Duration::from_millis(10) {
        let ms = |d: Duration| (d.as_micros() + 500) / 1000;
        (format!("{}ms", ms(min)), format!("{}ms", ms(max)))
    } else {
        (human(min), human(max))
    };
    if a == b {
        return a;
    }
    let unit = |t: &str| {
        t.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.')
            .to_owned()
    };
    let low = if unit(&a) == unit(&b) {
        a.trim_end_matches(|c: char| !c.is_ascii_digit()).to_owned()
    } else {
        a
    };
    format!("{low}–{b}")
}

/// [`detail`], shorter where the table has less room than the JSON: a listen says
/// where it listens (`on port 41235`), a connect its own address (`from port 57088`,
/// as the accept that answers it says); a loopback address is its port.
fn short_detail(e: &Event, lang: &str) -> String {
    let text = detail(e);
    if e.error.is_some() || e.timeout {
        return text;
    }
    // On loopback the port is what tells two sockets apart.
    let port = |addr: &str| match addr.strip_prefix("127.0.0.1:") {
        Some(port) => said!("port {port}", "端口 {port}").get(lang).to_owned(),
        None => addr.to_owned(),
    };
    let (on, from) = match e.op {
        Op::Listen | Op::ListenAgain => (text.strip_prefix("listening on "), None),
        Op::Connect => (None, text.split_once(" -> ").map(|(local, _)| local)),
        Op::Accept => (None, text.strip_prefix("from ")),
        _ => (None, None),
    };
    match (on.map(port), from.map(port)) {
        (Some(at), _) => said!("on {at}", "监听 {at}").get(lang).to_owned(),
        (_, Some(at)) => said!("from {at}", "来自 {at}").get(lang).to_owned(),
        _ => text,
    }
}

/// `7`, or `0–4096` for the calls of a fold.
fn range(r: Option<(u64, u64)>) -> String {
    match r {
        Some((a, b)) if a == b => a.to_string(),
        Some((a, b)) => format!("{a}–{b}"),
        None => String::new(),
    }
}

/// What a send did: the count the kernel took (`3 of 5` when it took less than
/// offered, `(4 calls)` when a sendall needed several), or the error.
fn sent(e: &Event, lang: &str) -> String {
    let mut text = match (e.result, e.requested) {
        (Some(n), Some(r)) if n < r => said!("{n} of {r}", "{n}（共 {r}）").get(lang).to_owned(),
        (Some(n), _) => n.to_string(),
        (None, _) => failure(e),
    };
    if let Some(calls) = e.calls.filter(|&c| c > 1) {
        text.push_str(said!(" ({calls} calls)", "（{calls} 次调用）").get(lang));
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

/// What a recv returned: the count, `eof`, the errno name or `timeout`; a datagram cut
/// to the buffer is `4 truncated`.
fn got(e: &Event, lang: &str) -> String {
    if e.eof {
        return "eof".to_owned();
    }
    match e.result {
        // recv(0) returns 0 once data or a FIN is queued: from its return value alone a
        // program cannot tell that from eof (recv(2)). The row says which it was.
        // (`recv exactly 0` makes no call, and measures no queue.)
        Some(0) if e.requested == Some(0) && e.queued_before.is_some() && !e.op.is_send() => {
            said!("0, not eof", "0，不是 eof").get(lang).to_owned()
        }
        Some(n) if e.truncated => said!("{n} truncated", "{n}（截断）").get(lang).to_owned(),
        Some(n) => n.to_string(),
        None => failure(e),
    }
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
            {
                let more = more_held + more_failed;
                said!(
                    "{more} more: {more_held} held, {more_failed} failed",
                    "另有 {more} 项：{more_held} 项满足，{more_failed} 项未满足"
                )
                .get(&options.lang)
                .to_owned()
            },
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
pub(in crate::report) fn millis(d: Duration) -> String {
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
