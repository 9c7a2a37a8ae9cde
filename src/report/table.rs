//! The report for people (`--format table`, the default): what a class sees projected.
//!
//! ```text
//! Two sends, one recv                                      title in the chosen language
//! TCP is a byte stream. ...                                about, wrapped
//! scenario hello-world · scenarios/hello-world.lab · seed 1234
//!
//! sends        every send(): how many bytes the kernel took, where they sit in the stream
//! recvs        every recv(): what was queued, what came back, and which sends it came
//!              from, with a mark ▏ wherever one send's bytes end and the next one's begin
//! other steps  only the ones with an error or something to say (rcvbuf doubled)
//! expectations ✓/✗ with what was expected and what was observed, then blocked steps
//! timers
//! PASS | FAIL (k of n expectations failed)
//! ```
//!
//! Data is shown in the language's string escapes, so it can be pasted into a scenario.
//! Long data is shortened in the middle of each send's run of bytes, never across a
//! boundary mark and never inside an escape sequence.

use std::fmt::Write as _;
use std::time::Duration;

use comfy_table::{
    Attribute, Cell, CellAlignment, ColumnConstraint, ContentArrangement,
    presets::UTF8_FULL_CONDENSED,
};

use super::{Report, ReportOptions};
use crate::run::record::{Event, Provenance, Record, fmt_duration as human};
use crate::scenario::Scenario;
use crate::scenario::escape::escape_bytes;

/// The table report.
pub struct Table;

/// The mark between the bytes of two sends in the data column. U+258F LEFT ONE EIGHTH
/// BLOCK: thin, and not a table border. Data that holds this very character shows it as
/// `\u{258f}` instead, so the mark cannot be mistaken for data.
const MARK: char = '▏';
/// Where the middle of a long run of bytes was left out; escaped in data like [`MARK`].
const ELISION: char = '…';
/// The width of the data column when the terminal width is unknown.
const DATA_WIDTH: usize = 40;
/// The data column is never narrower than this, even on a narrow terminal.
const MIN_DATA_WIDTH: usize = 16;
/// Characters kept on each side of an elision, at the least.
const MIN_KEEP: usize = 2;
/// Fewer characters than this on each side, and the byte count goes on a line of its own.
const READABLE_KEEP: usize = 4;
/// The width `about` is wrapped to when the terminal width is unknown.
const TEXT_WIDTH: usize = 80;

const GREEN: &str = "\x1b[32m";
const RED: &str = "\x1b[31m";
const BOLD: &str = "\x1b[1m";
const DIM: &str = "\x1b[2m";
const RESET: &str = "\x1b[0m";

impl Report for Table {
    fn render(&self, scenario: &Scenario, record: &Record, options: &ReportOptions) -> String {
        let paint = Paint(options.color);
        let mut out = String::new();
        header(&mut out, scenario, record, options, paint);

        let sends: Vec<&Event> = record.events.iter().filter(|e| is_send(e)).collect();
        if !sends.is_empty() {
            section(&mut out, "sends", &sends_table(&sends, options), paint);
        }
        let recvs: Vec<&Event> = record.events.iter().filter(|e| is_recv(e)).collect();
        if !recvs.is_empty() {
            section(
                &mut out,
                "recvs",
                &recvs_table(&recvs, record, options),
                paint,
            );
        }
        let others: Vec<&Event> = record
            .events
            .iter()
            .filter(|e| !is_send(e) && !is_recv(e) && has_news(e))
            .collect();
        if !others.is_empty() {
            section(
                &mut out,
                "other steps",
                &others_table(&others, options),
                paint,
            );
        }
        if !record.expectations.is_empty() || !record.blocked.is_empty() {
            let _ = writeln!(out, "\n{}", paint.bold("expectations"));
            if !record.expectations.is_empty() {
                let table = expectations_table(record, options).to_string();
                let _ = writeln!(out, "{}", paint.table(&table, true));
            }
            for b in &record.blocked {
                // Line 0: the actor failed outside any step (it could not start, or an
                // internal error), and `blocked_in` says how.
                let _ = if b.line == 0 {
                    writeln!(out, "{} {}: {}", paint.red("✗"), b.actor, b.blocked_in)
                } else {
                    writeln!(
                        out,
                        "{} line {}: {} blocked in {} for {} ({})",
                        paint.red("✗"),
                        b.line,
                        b.actor,
                        b.blocked_in,
                        human(b.waited),
                        b.call
                    )
                };
            }
        }
        if !record.timers.is_empty() {
            section(&mut out, "timers", &timers_table(record, options), paint);
        }

        out.push('\n');
        if record.passed() {
            let _ = writeln!(out, "{}", paint.green_bold("PASS"));
        } else {
            let n = record.expectations.len() + record.blocked.len();
            let line = format!("FAIL ({} of {n} expectations failed)", record.failures());
            let _ = writeln!(out, "{}", paint.red_bold(&line));
        }
        out
    }
}

// ---------------------------------------------------------------------------------------
// Header

fn header(
    out: &mut String,
    scenario: &Scenario,
    record: &Record,
    options: &ReportOptions,
    paint: Paint,
) {
    let title = scenario
        .title
        .get(&options.lang)
        .unwrap_or(&record.scenario);
    let _ = writeln!(out, "{}", paint.bold(title));
    if let Some(about) = scenario.about.get(&options.lang) {
        let width = options.width.map_or(TEXT_WIDTH, usize::from);
        for (i, paragraph) in about.split("\n\n").enumerate() {
            if i > 0 {
                out.push('\n');
            }
            for line in wrap(paragraph, width) {
                let _ = writeln!(out, "{line}");
            }
        }
    }
    // The seed (and the parameters) are what it takes to replay this very run.
    let mut line = format!(
        "scenario {} · {} · seed {}",
        record.scenario, record.file, record.seed
    );
    for p in &scenario.params {
        let _ = write!(line, " · {}={}", p.name, p.value);
    }
    let _ = writeln!(out, "{}", paint.dim(&line));
}

/// Greedy word wrap by display width. Breaks at spaces, and also between two wide (CJK)
/// characters, since Chinese text has no spaces; a word longer than the line is cut.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(20);
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut line_width = 0;
    for word in words(text) {
        let space = usize::from(word.space && line_width > 0);
        if line_width > 0 && line_width + space + str_width(&word.text) > width {
            lines.push(std::mem::take(&mut line));
            line_width = 0;
        } else if space == 1 {
            line.push(' ');
            line_width += 1;
        }
        for c in word.text.chars() {
            if line_width > 0 && line_width + char_width(c) > width {
                lines.push(std::mem::take(&mut line));
                line_width = 0;
            }
            line.push(c);
            line_width += char_width(c);
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// A unit of wrapping.
struct Word {
    text: String,
    /// The text had whitespace before it.
    space: bool,
}

/// The words of a text: runs of narrow characters between whitespace, and each wide
/// character on its own. Closing punctuation stays with what it closes (no line of
/// Chinese starts with `，`).
fn words(text: &str) -> Vec<Word> {
    let mut words: Vec<Word> = Vec::new();
    for chunk in text.split_whitespace() {
        let mut space = true;
        let mut word = String::new();
        for c in chunk.chars() {
            let closing = matches!(
                c,
                ',' | '.'
                    | ';'
                    | ':'
                    | '!'
                    | '?'
                    | ')'
                    | '，'
                    | '。'
                    | '、'
                    | '；'
                    | '：'
                    | '！'
                    | '？'
                    | '）'
                    | '」'
                    | '』'
                    | '》'
            );
            if closing
                && word.is_empty()
                && !space
                && let Some(last) = words.last_mut()
            {
                last.text.push(c);
                continue;
            }
            if char_width(c) == 2 && !closing {
                if !word.is_empty() {
                    words.push(Word {
                        text: std::mem::take(&mut word),
                        space,
                    });
                    space = false;
                }
                words.push(Word {
                    text: c.to_string(),
                    space,
                });
                space = false;
            } else {
                word.push(c);
            }
        }
        if !word.is_empty() {
            words.push(Word { text: word, space });
        }
    }
    words
}

// ---------------------------------------------------------------------------------------
// Sections

fn section(out: &mut String, name: &str, table: &comfy_table::Table, paint: Paint) {
    let _ = writeln!(out, "\n{}", paint.bold(name));
    let _ = writeln!(out, "{}", paint.table(&table.to_string(), false));
}

fn is_send(e: &Event) -> bool {
    matches!(e.op.as_str(), "send" | "sendall" | "sendto" | "send frame")
}

fn is_recv(e: &Event) -> bool {
    matches!(e.op.as_str(), "recv" | "recvfrom" | "recv frame")
}

/// An event that is neither a send nor a recv is shown only when it has something to
/// say: an error, a timeout, or a detail such as the value the kernel put in force.
fn has_news(e: &Event) -> bool {
    e.error.is_some() || e.timeout || e.detail.is_some()
}

/// A column: its header, whether it holds numbers (aligned right), and when it gives
/// way on a narrow terminal (0: never; the highest goes first).
struct Col {
    header: &'static str,
    right: bool,
    drop: u8,
}

const fn col(header: &'static str, right: bool, drop: u8) -> Col {
    Col {
        header,
        right,
        drop,
    }
}

const SEND_COLS: [Col; 7] = [
    col("#", true, 0),
    col("t ms", true, 2),
    col("actor", false, 0),
    col("line", true, 0),
    col("call", false, 0),
    col("bytes", true, 0),
    col("stream", false, 1),
];

const RECV_COLS: [Col; 10] = [
    col("#", true, 0),
    col("t ms", true, 3),
    col("actor", false, 0),
    col("line", true, 0),
    col("call", false, 0),
    col("queued\nbefore", true, 1),
    col("got", true, 0),
    col("data", false, 0),
    col("from\nsends", false, 0),
    col("queued\nafter", true, 2),
];
const RECV_DATA: usize = 7;

const OTHER_COLS: [Col; 6] = [
    col("#", true, 0),
    col("t ms", true, 1),
    col("actor", false, 0),
    col("line", true, 0),
    col("call", false, 0),
    col("result", false, 0),
];

const EXPECT_COLS: [Col; 5] = [
    col("", false, 0),
    col("line", true, 0),
    col("actor", false, 0),
    col("expected", false, 0),
    col("observed", false, 0),
];

const TIMER_COLS: [Col; 7] = [
    col("timer", false, 0),
    col("count", true, 0),
    col("min", true, 0),
    col("p50", true, 0),
    col("p90", true, 0),
    col("p99", true, 0),
    col("max", true, 0),
];

/// Which columns to show in `width`, and how wide the flexible column (`flex`: its
/// index and the width it would like) may be. Without a width every column is shown.
/// Columns give way, by their `drop` rank, until the others and the flexible one fit.
fn fit(
    cols: &[Col],
    rows: &[Vec<String>],
    flex: Option<(usize, usize)>,
    width: Option<u16>,
) -> (Vec<usize>, usize) {
    let mut shown: Vec<usize> = (0..cols.len()).collect();
    let Some(width) = width.map(usize::from) else {
        return (shown, DATA_WIDTH);
    };
    let natural: Vec<usize> = (0..cols.len())
        .map(|i| {
            let cells = rows.iter().flat_map(|row| row[i].lines());
            cols[i]
                .header
                .lines()
                .chain(cells)
                .map(str_width)
                .max()
                .unwrap_or(0)
                .max(1)
        })
        .collect();
    // Each column has one space of padding on either side and a border on its left;
    // the table has one more border on the right.
    let fixed = |shown: &[usize]| {
        shown
            .iter()
            .filter(|&&i| flex.is_none_or(|(f, _)| f != i))
            .map(|&i| natural[i] + 3)
            .sum::<usize>()
            + 1
            + 3 * usize::from(flex.is_some())
    };
    let wanted = flex.map_or(0, |(_, w)| w);
    while fixed(&shown) + wanted > width {
        let victim = shown
            .iter()
            .enumerate()
            .filter(|&(_, &i)| cols[i].drop > 0)
            .max_by_key(|&(_, &i)| cols[i].drop)
            .map(|(pos, _)| pos);
        match victim {
            Some(pos) => {
                shown.remove(pos);
            }
            None => break,
        }
    }
    let budget = width.saturating_sub(fixed(&shown)).max(MIN_DATA_WIDTH);
    (shown, budget)
}

/// The table of the shown columns, in the report's style. The `fixed` column (the data)
/// is laid out by this module and kept as it is; comfy-table may wrap the others.
fn build(
    cols: &[Col],
    shown: &[usize],
    fixed: Option<usize>,
    rows: Vec<Vec<String>>,
    options: &ReportOptions,
) -> comfy_table::Table {
    let mut table = styled(options);
    table.set_header(shown.iter().map(|&i| {
        let cell = Cell::new(cols[i].header);
        if options.color {
            cell.add_attribute(Attribute::Bold)
        } else {
            cell
        }
    }));
    for mut row in rows {
        table.add_row(
            shown
                .iter()
                .map(|&i| std::mem::take(&mut row[i]))
                .collect::<Vec<_>>(),
        );
    }
    for (j, &i) in shown.iter().enumerate() {
        if let Some(column) = table.column_mut(j) {
            if cols[i].right {
                column.set_cell_alignment(CellAlignment::Right);
            }
            if fixed == Some(i) {
                column.set_constraint(ColumnConstraint::ContentWidth);
            }
        }
    }
    if let Some(width) = options.width {
        // A safety net for what `fit` cannot shorten (a very long call): wrap it.
        table.set_width(width);
        table.set_content_arrangement(ContentArrangement::Dynamic);
    }
    table
}

/// A table whose columns are all plain text.
fn grid(cols: &[Col], rows: Vec<Vec<String>>, options: &ReportOptions) -> comfy_table::Table {
    let (shown, _) = fit(cols, &rows, None, options.width);
    build(cols, &shown, None, rows, options)
}

fn sends_table(sends: &[&Event], options: &ReportOptions) -> comfy_table::Table {
    let rows = sends
        .iter()
        .map(|e| {
            vec![
                e.seq.to_string(),
                millis(e.t),
                e.actor.clone(),
                e.line.to_string(),
                call_text(&e.call),
                sent(e),
                e.stream
                    .map(|(a, b)| format!("{a}..{b}"))
                    .unwrap_or_default(),
            ]
        })
        .collect();
    grid(&SEND_COLS, rows, options)
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

fn recvs_table(recvs: &[&Event], record: &Record, options: &ReportOptions) -> comfy_table::Table {
    let runs: Vec<Vec<Vec<Atom>>> = recvs
        .iter()
        .map(|e| data_runs(e.data.as_deref().unwrap_or_default(), &e.from))
        .collect();
    let rows: Vec<Vec<String>> = recvs
        .iter()
        .map(|e| {
            vec![
                e.seq.to_string(),
                millis(e.t),
                e.actor.clone(),
                e.line.to_string(),
                call_text(&e.call),
                opt(e.queued_before),
                got(e),
                String::new(), // the data, once the width of its column is known
                from_sends(&e.from, record),
                opt(e.queued_after),
            ]
        })
        .collect();
    let widest = runs
        .iter()
        .map(|runs| width(&layout(runs, None).0))
        .max()
        .unwrap_or(0);
    let wanted = widest.clamp(RECV_COLS[RECV_DATA].header.len(), DATA_WIDTH);
    let (shown, budget) = fit(&RECV_COLS, &rows, Some((RECV_DATA, wanted)), options.width);
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

fn others_table(others: &[&Event], options: &ReportOptions) -> comfy_table::Table {
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
            vec![
                e.seq.to_string(),
                millis(e.t),
                e.actor.clone(),
                e.line.to_string(),
                call_text(&e.call),
                result,
            ]
        })
        .collect();
    grid(&OTHER_COLS, rows, options)
}

fn expectations_table(record: &Record, options: &ReportOptions) -> comfy_table::Table {
    let rows = record
        .expectations
        .iter()
        .map(|x| {
            vec![
                if x.passed { "✓" } else { "✗" }.to_owned(),
                x.line.to_string(),
                x.actor.clone().unwrap_or_default(),
                x.expected.clone(),
                x.observed.clone(),
            ]
        })
        .collect();
    grid(&EXPECT_COLS, rows, options)
}

fn timers_table(record: &Record, options: &ReportOptions) -> comfy_table::Table {
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

/// The step as a narrow column wants it: without the expectation after `=>` (the
/// expectations show it, by line) and with the runs of spaces that align the file's
/// columns squeezed to one, outside strings.
/// An empty table in the reports' style.
pub(crate) fn styled(options: &ReportOptions) -> comfy_table::Table {
    let mut table = comfy_table::Table::new();
    // Never ask the terminal: the output depends on the options only.
    table.force_no_tty();
    if options.color {
        table.enforce_styling();
    }
    table.load_style(UTF8_FULL_CONDENSED.with_rounded_corners());
    table
}

pub(crate) fn call_text(call: &str) -> String {
    let mut out = String::with_capacity(call.len());
    let mut in_string = false;
    let mut escaped = false;
    let mut chars = call.chars().peekable();
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '=' if chars.peek() == Some(&'>') => break,
            c if c.is_whitespace() => {
                if !out.ends_with(' ') {
                    out.push(' ');
                }
            }
            c => out.push(c),
        }
    }
    out.trim().to_owned()
}

// ---------------------------------------------------------------------------------------
// Data with boundary marks

/// One piece of the data column that is never split: an escape sequence or a
/// character.
#[derive(Clone)]
struct Atom {
    text: String,
    width: usize,
}

/// The data as runs of atoms, one run per send it came from.
fn data_runs(data: &[u8], from: &[Provenance]) -> Vec<Vec<Atom>> {
    split_runs(data, from)
        .into_iter()
        .map(|run| atoms(&escape_bytes(run)))
        .collect()
}

/// The data column: lines of at most `budget` columns, a [`MARK`] between the bytes of
/// two sends, and, when that is too long, each send's run shortened in the middle with
/// the total byte count (`len`) at the end. Every mark stays; if the marks alone do not
/// fit on one line, the text is wrapped between atoms.
fn data_cell(runs: &[Vec<Atom>], len: usize, budget: usize) -> String {
    let (full, _) = layout(runs, None);
    if width(&full) <= budget {
        return wrap_atoms(&full, None, budget);
    }
    let suffix = format!(" ({len} bytes)");
    let longest = runs.iter().map(Vec::len).max().unwrap_or(0);
    // The most atoms on each side of each elision such that the shortened text fits in
    // `room`: first with the count on the same line, else with the count below it.
    let keep = |room: usize| {
        (MIN_KEEP..=longest.min(budget))
            .rev()
            .find(|&k| width(&layout(runs, Some(k)).0) <= room)
    };
    let one_line = keep(budget.saturating_sub(suffix.len()));
    let k = match one_line {
        Some(k) if k >= READABLE_KEEP => k,
        _ => keep(budget).or(one_line).unwrap_or(MIN_KEEP),
    };
    match layout(runs, Some(k)) {
        // `abcd…wxyz (3000 bytes)`, or the count on a line of its own.
        (atoms, true) => wrap_atoms(&atoms, Some(&suffix), budget),
        // Only marks and short runs: nothing to leave out, so it is wrapped instead.
        (atoms, false) => wrap_atoms(&atoms, None, budget),
    }
}

/// The data cut where the provenance says one send's bytes end; bytes the provenance
/// does not account for stay with the last run.
fn split_runs<'a>(data: &'a [u8], from: &[Provenance]) -> Vec<&'a [u8]> {
    let mut runs = Vec::new();
    let mut rest = data;
    for p in from {
        let len = usize::try_from(p.bytes.1.saturating_sub(p.bytes.0)).unwrap_or(usize::MAX);
        if len >= rest.len() {
            break;
        }
        if len == 0 {
            continue;
        }
        let (run, tail) = rest.split_at(len);
        runs.push(run);
        rest = tail;
    }
    runs.push(rest);
    runs
}

/// Splits escaped text into atoms: `\xHH`, a two-character escape, or one character.
/// [`MARK`] and [`ELISION`] in the data become `\u{...}` so that they stay ours.
fn atoms(escaped: &str) -> Vec<Atom> {
    let mut atoms = Vec::new();
    let mut chars = escaped.chars();
    while let Some(c) = chars.next() {
        let text = match c {
            '\\' => {
                let mut text = String::from('\\');
                if let Some(next) = chars.next() {
                    text.push(next);
                    if next == 'x' {
                        text.extend(chars.by_ref().take(2));
                    }
                }
                text
            }
            MARK | ELISION => format!("\\u{{{:x}}}", u32::from(c)),
            c => c.to_string(),
        };
        let width = str_width(&text);
        atoms.push(Atom { text, width });
    }
    atoms
}

/// The runs joined by marks; with `keep`, each run longer than `2 * keep + 1` atoms is
/// shortened to its first and last `keep` atoms around an elision. Also says whether
/// anything was left out.
fn layout(runs: &[Vec<Atom>], keep: Option<usize>) -> (Vec<Atom>, bool) {
    let mut out = Vec::new();
    let mut elided = false;
    for (i, run) in runs.iter().enumerate() {
        if i > 0 {
            out.push(Atom {
                text: MARK.to_string(),
                width: 1,
            });
        }
        match keep {
            Some(k) if run.len() > 2 * k + 1 => {
                elided = true;
                out.extend(run[..k].iter().cloned());
                out.push(Atom {
                    text: ELISION.to_string(),
                    width: 1,
                });
                out.extend(run[run.len() - k..].iter().cloned());
            }
            _ => out.extend(run.iter().cloned()),
        }
    }
    (out, elided)
}

fn width(atoms: &[Atom]) -> usize {
    atoms.iter().map(|a| a.width).sum()
}

/// Lines of at most `budget` columns, broken between atoms; the suffix goes on the last
/// line if it fits there, else on a line of its own.
fn wrap_atoms(atoms: &[Atom], suffix: Option<&str>, budget: usize) -> String {
    let mut lines = vec![String::new()];
    let mut line_width = 0;
    for atom in atoms {
        if line_width + atom.width > budget && line_width > 0 {
            lines.push(String::new());
            line_width = 0;
        }
        if let Some(line) = lines.last_mut() {
            line.push_str(&atom.text);
        }
        line_width += atom.width;
    }
    if let Some(suffix) = suffix {
        if line_width + suffix.len() > budget {
            lines.push(suffix.trim_start().to_owned());
        } else if let Some(line) = lines.last_mut() {
            line.push_str(suffix);
        }
    }
    lines.join("\n")
}

// ---------------------------------------------------------------------------------------
// Numbers, widths, colour

/// A moment of the run in milliseconds with three decimals (`0.160`), from whole
/// microseconds.
fn millis(d: Duration) -> String {
    let us = d.as_micros();
    format!("{}.{:03}", us / 1000, us % 1000)
}

/// Columns a character takes on a terminal: 2 for CJK and other wide characters, else 1.
/// Only characters `escape_bytes` shows as themselves reach this, so a few ranges do.
fn char_width(c: char) -> usize {
    match c {
        '\u{1100}'..='\u{115f}'
        | '\u{2e80}'..='\u{303e}'
        | '\u{3041}'..='\u{33ff}'
        | '\u{3400}'..='\u{4dbf}'
        | '\u{4e00}'..='\u{9fff}'
        | '\u{a000}'..='\u{a4cf}'
        | '\u{ac00}'..='\u{d7a3}'
        | '\u{f900}'..='\u{faff}'
        | '\u{fe30}'..='\u{fe4f}'
        | '\u{ff00}'..='\u{ff60}'
        | '\u{ffe0}'..='\u{ffe6}'
        | '\u{1f300}'..='\u{1f64f}'
        | '\u{1f900}'..='\u{1f9ff}'
        | '\u{20000}'..='\u{3fffd}' => 2,
        _ => 1,
    }
}

pub(crate) fn str_width(s: &str) -> usize {
    s.chars().map(char_width).sum()
}

/// ANSI colour, or nothing at all when colour is off.
#[derive(Clone, Copy)]
struct Paint(bool);

impl Paint {
    fn wrap(self, codes: &str, text: &str) -> String {
        if self.0 {
            format!("{codes}{text}{RESET}")
        } else {
            text.to_owned()
        }
    }

    fn bold(self, text: &str) -> String {
        self.wrap(BOLD, text)
    }

    fn dim(self, text: &str) -> String {
        self.wrap(DIM, text)
    }

    fn red(self, text: &str) -> String {
        self.wrap(RED, text)
    }

    fn green_bold(self, text: &str) -> String {
        self.wrap(&format!("{GREEN}{BOLD}"), text)
    }

    fn red_bold(self, text: &str) -> String {
        self.wrap(&format!("{RED}{BOLD}"), text)
    }

    /// Colours a table comfy-table has laid out (it would count escape codes as
    /// width): dims every boundary mark; with `checks`, also paints the first `✓`/`✗` of
    /// each line, which is in the expectations' first column, green or red.
    fn table(self, table: &str, checks: bool) -> String {
        if !self.0 {
            return table.to_owned();
        }
        let dim_mark = format!("{DIM}{MARK}{RESET}");
        let lines: Vec<String> = table
            .lines()
            .map(|line| {
                let line = line.replace(MARK, &dim_mark);
                let first = line.find(['✓', '✗']).filter(|_| checks);
                match first {
                    Some(at) if line[at..].starts_with('✓') => {
                        format!(
                            "{}{GREEN}✓{RESET}{}",
                            &line[..at],
                            &line[at + '✓'.len_utf8()..]
                        )
                    }
                    Some(at) => {
                        format!(
                            "{}{RED}✗{RESET}{}",
                            &line[..at],
                            &line[at + '✗'.len_utf8()..]
                        )
                    }
                    None => line,
                }
            })
            .collect();
        lines.join("\n")
    }
}
#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{Table, call_text, data_cell, data_runs, human, str_width, wrap};
    use crate::report::fixtures;
    use crate::report::{Report, ReportOptions};
    use crate::run::record::Provenance;

    fn render((scenario, record): &(crate::scenario::Scenario, crate::run::Record)) -> String {
        Table.render(scenario, record, &ReportOptions::default())
    }

    fn with(lang: &str, color: bool, width: Option<u16>) -> ReportOptions {
        ReportOptions {
            lang: lang.to_owned(),
            color,
            width,
        }
    }

    #[test]
    fn hello_world_shows_two_sends_glued_in_one_recv() {
        assert_eq!(
            render(&fixtures::hello_world()),
            r#"Two sends, one recv
TCP is a byte stream. The kernel keeps no record of where one send ended, so a
late recv returns everything queued, glued together.
scenario hello-world · scenarios/hello-world.lab · seed 1234

sends
╭───┬───────┬────────┬──────┬──────────────┬───────┬────────╮
│ # ┆  t ms ┆ actor  ┆ line ┆ call         ┆ bytes ┆ stream │
╞═══╪═══════╪════════╪══════╪══════════════╪═══════╪════════╡
│ 4 ┆ 0.101 ┆ client ┆   11 ┆ send "hello" ┆     5 ┆ 0..5   │
│ 5 ┆ 0.122 ┆ client ┆   12 ┆ send "world" ┆     5 ┆ 5..10  │
╰───┴───────┴────────┴──────┴──────────────┴───────┴────────╯

recvs
╭───┬───────┬────────┬──────┬───────────┬────────┬─────┬─────────────┬───────┬────────╮
│ # ┆  t ms ┆ actor  ┆ line ┆ call      ┆ queued ┆ got ┆ data        ┆ from  ┆ queued │
│   ┆       ┆        ┆      ┆           ┆ before ┆     ┆             ┆ sends ┆  after │
╞═══╪═══════╪════════╪══════╪═══════════╪════════╪═════╪═════════════╪═══════╪════════╡
│ 7 ┆ 0.160 ┆ server ┆   14 ┆ recv 1024 ┆     10 ┆  10 ┆ hello▏world ┆ #4 #5 ┆      0 │
│ 9 ┆ 0.175 ┆ server ┆   16 ┆ recv 1024 ┆      0 ┆ eof ┆             ┆       ┆      0 │
╰───┴───────┴────────┴──────┴───────────┴────────┴─────┴─────────────┴───────┴────────╯

other steps
╭───┬───────┬────────┬──────┬────────┬────────────────────────╮
│ # ┆  t ms ┆ actor  ┆ line ┆ call   ┆ result                 │
╞═══╪═══════╪════════╪══════╪════════╪════════════════════════╡
│ 1 ┆ 0.000 ┆ server ┆    8 ┆ listen ┆ listen 127.0.0.1:41235 │
╰───┴───────┴────────┴──────┴────────┴────────────────────────╯

expectations
╭───┬──────┬────────┬──────────────┬──────────────╮
│   ┆ line ┆ actor  ┆ expected     ┆ observed     │
╞═══╪══════╪════════╪══════════════╪══════════════╡
│ ✓ ┆   10 ┆ server ┆ from client  ┆ from client  │
│ ✓ ┆   14 ┆ server ┆ "helloworld" ┆ "helloworld" │
│ ✓ ┆   16 ┆ server ┆ eof          ┆ eof          │
╰───┴──────┴────────┴──────────────┴──────────────╯

PASS
"#
        );
    }

    #[test]
    fn a_blocked_step_and_a_failed_expectation_fail_the_run() {
        let out = render(&fixtures::blocked_and_failed());
        assert!(
            out.starts_with(
                "Waiting for bytes that never come\n\
                 scenario blocked · lab/blocked.lab · seed 7 · nodelay=on\n"
            ),
            "{out}"
        );
        assert!(
            out.ends_with(
                r#"
expectations
╭───┬──────┬────────┬──────────────────┬──────────────────╮
│   ┆ line ┆ actor  ┆ expected         ┆ observed         │
╞═══╪══════╪════════╪══════════════════╪══════════════════╡
│ ✗ ┆    8 ┆ server ┆ "helloworld"     ┆ "hello"          │
│ ✓ ┆    9 ┆ server ┆ error EADDRINUSE ┆ error EADDRINUSE │
│ ✓ ┆   22 ┆        ┆ rtt p50 >= 30ms  ┆ rtt p50 = 41.2ms │
╰───┴──────┴────────┴──────────────────┴──────────────────╯
✗ line 10: server blocked in recv() for 1.00s (recv 1024)

timers
╭───────┬───────┬───────┬────────┬────────┬────────┬────────╮
│ timer ┆ count ┆   min ┆    p50 ┆    p90 ┆    p99 ┆    max │
╞═══════╪═══════╪═══════╪════════╪════════╪════════╪════════╡
│ rtt   ┆    20 ┆ 350µs ┆ 41.2ms ┆ 41.8ms ┆ 43.0ms ┆ 43.0ms │
╰───────┴───────┴───────┴────────┴────────┴────────┴────────╯

FAIL (2 of 4 expectations failed)
"#
            ),
            "{out}"
        );
        // The recv that timed out, and the steps that have something to say.
        assert!(out.contains("│ 8 ┆ 0.135 ┆ server ┆   10 ┆ recv 1024 ┆      0 ┆ timeout ┆       ┆       ┆        │"), "{out}");
        assert!(out.contains("┆ set rcvbuf 4096 ┆ rcvbuf 8192 "), "{out}");
        assert!(
            out.contains("┆ listen again    ┆ EADDRINUSE (Address already in use) │"),
            "{out}"
        );
    }

    #[test]
    fn an_actor_that_failed_outside_any_step_is_named_without_a_line() {
        let (scenario, mut record) = fixtures::blocked_and_failed();
        record.blocked[0] = crate::run::record::Blocked::outside_steps(
            "client",
            "starting a thread for this actor (out of memory)".to_owned(),
        );
        let out = render(&(scenario, record));
        assert!(
            out.contains("\n✗ client: starting a thread for this actor (out of memory)\n"),
            "{out}"
        );
        assert!(!out.contains("line 0"), "{out}");
    }

    #[test]
    fn an_undersized_recv_starts_in_the_middle_of_a_message() {
        let out = render(&fixtures::undersized_recv());
        assert!(
            out.contains(
                "┆ recv 7    ┆     18 ┆   7 ┆ \\0\\0\\0\\x05hel      ┆ #4[0..7]    ┆     11 │"
            ),
            "{out}"
        );
        assert!(
            out.contains(
                "┆ recv 1024 ┆     11 ┆  11 ┆ lo▏\\0\\0\\0\\x05world ┆ #4[7..9] #5 ┆      0 │"
            ),
            "{out}"
        );
    }

    #[test]
    fn a_datagram_cut_to_the_buffer_says_truncated() {
        let out = render(&fixtures::udp_truncated());
        assert!(
            out.contains("┆ recvfrom 4    ┆      9 ┆ 4 truncated ┆ ping ┆ #3[0..4] ┆      0 │"),
            "{out}"
        );
        assert!(
            out.contains("┆ recvfrom 1024 ┆      2 ┆           2 ┆ hi   ┆ #5       ┆      0 │"),
            "{out}"
        );
    }

    #[test]
    fn long_data_is_shortened_in_the_middle_of_each_send() {
        let out = render(&fixtures::bulk());
        assert!(
            out.contains("┆ abcdefghijklm…lmnopqrstuvwx (2000 bytes) ┆ #4[0..2000]       ┆"),
            "{out}"
        );
        assert!(
            out.contains("┆ yzabcdefghi…zabcdefghij▏end (1003 bytes) ┆ #4[2000..3000] #5 ┆"),
            "{out}"
        );
    }

    #[test]
    fn the_last_line_is_the_verdict() {
        for fixture in fixtures::all() {
            let out = render(&fixture);
            let last = out.lines().last().unwrap_or_default();
            let record = &fixture.1;
            if record.passed() {
                assert_eq!(last, "PASS");
            } else {
                assert_eq!(last, "FAIL (2 of 4 expectations failed)");
            }
            assert!(out.ends_with('\n'));
        }
    }

    #[test]
    fn no_ansi_escapes_without_colour() {
        for fixture in fixtures::all() {
            for width in [None, Some(60), Some(100)] {
                let out = Table.render(&fixture.0, &fixture.1, &with("zh", false, width));
                assert!(!out.contains('\x1b'), "{out}");
            }
        }
    }

    #[test]
    fn colour_marks_checks_boundaries_and_the_verdict() {
        let (scenario, record) = fixtures::hello_world();
        let out = Table.render(&scenario, &record, &with("en", true, None));
        assert!(out.contains("\x1b[32m✓\x1b[0m"), "{out}");
        assert!(out.contains("hello\x1b[2m▏\x1b[0mworld"), "{out}");
        assert!(out.ends_with("\x1b[32m\x1b[1mPASS\x1b[0m\n"), "{out}");
        let (scenario, record) = fixtures::blocked_and_failed();
        let out = Table.render(&scenario, &record, &with("en", true, None));
        assert!(
            out.contains("\x1b[31m✗\x1b[0m line 10: server blocked"),
            "{out}"
        );
    }

    #[test]
    fn every_line_fits_the_width() {
        for fixture in fixtures::all() {
            for width in [72u16, 80, 100, 120] {
                for lang in ["en", "zh"] {
                    let out = Table.render(&fixture.0, &fixture.1, &with(lang, false, Some(width)));
                    for line in out.lines() {
                        assert!(
                            str_width(line) <= usize::from(width),
                            "{} columns > {width}: {line}\n{out}",
                            str_width(line)
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn narrow_terminals_lose_the_time_and_queue_columns_first() {
        let (scenario, record) = fixtures::bulk();
        let out = Table.render(&scenario, &record, &with("en", false, Some(80)));
        assert!(
            out.contains("│ # ┆ actor  ┆ line ┆ call      ┆  got ┆ data "),
            "{out}"
        );
        assert!(
            out.contains("┆ abcdefgh…qrstuvwx ┆ #4[0..2000]       │"),
            "{out}"
        );
        assert!(
            out.contains("┆ (2000 bytes)      ┆                   │"),
            "{out}"
        );
    }

    #[test]
    fn title_and_about_in_the_chosen_language() {
        let (scenario, record) = fixtures::hello_world();
        let out = Table.render(&scenario, &record, &with("zh", false, Some(40)));
        assert!(
            out.starts_with(
                "两次发送，一次接收\n\
                 TCP 是字节流。内核不记录一次发送在哪里结\n\
                 束，所以晚到的 recv 会把排队的所有数据粘\n\
                 在一起返回。\n\
                 scenario hello-world · scenarios/hello-world.lab · seed 1234\n"
            ),
            "{out}"
        );
        // No title at all: the scenario's name.
        let (scenario, record) = fixtures::bulk();
        assert!(render(&(scenario, record)).starts_with("bulk\nscenario bulk · "));
    }

    #[test]
    fn wrapping_keeps_closing_punctuation_with_its_text() {
        let text = "内核不记录一次发送在哪里结束，所以晚到的 recv 会把排队的所有数据粘在一起返回。";
        for width in 20..40 {
            for line in wrap(text, width) {
                assert!(str_width(&line) <= width, "{line}");
                assert!(!line.starts_with(['，', '。']), "{line}");
            }
        }
    }

    /// Checks that the data column holds whole escapes only, and gives the marks.
    fn marks_of(cell: &str) -> usize {
        let mut chars = cell.chars().filter(|&c| c != '\n');
        while let Some(c) = chars.next() {
            if c == '\\' {
                match chars.next() {
                    Some('x') => {
                        let hex: String = chars.by_ref().take(2).collect();
                        assert!(
                            hex.len() == 2 && hex.chars().all(|h| h.is_ascii_hexdigit()),
                            "{cell}"
                        );
                    }
                    Some('n' | 'r' | 't' | '0' | '\\' | '"') => {}
                    Some('u') => assert_eq!(chars.next(), Some('{'), "{cell}"),
                    other => panic!("broken escape \\{other:?} in {cell}"),
                }
            }
        }
        cell.matches('▏').count()
    }

    fn sends(sizes: &[u64]) -> Vec<Provenance> {
        sizes
            .iter()
            .enumerate()
            .map(|(i, &n)| Provenance {
                send: i as u64 + 1,
                bytes: (0, n),
            })
            .collect()
    }

    #[test]
    fn shortening_keeps_every_mark_and_every_escape_whole() {
        let data: Vec<u8> = (0..3000u32).map(|i| (i % 7) as u8).collect();
        let from = sends(&[1000, 1, 999, 1000]);
        for budget in [16, 24, 40, 60] {
            let cell = data_cell(&data_runs(&data, &from), data.len(), budget);
            assert_eq!(marks_of(&cell), 3, "{cell}");
            assert!(
                cell.ends_with(" (3000 bytes)") || cell.ends_with("\n(3000 bytes)"),
                "{cell}"
            );
            for line in cell.lines() {
                assert!(str_width(line) <= budget, "{line} > {budget}");
            }
        }
        // Runs of 1000, 1, 999 and 1000 bytes: the marks alone take more than a line.
        assert_eq!(
            data_cell(&data_runs(&data, &from), data.len(), 40),
            "\\0\\x01…\\x04\\x05▏\\x06▏\\0\\x01…\\x03\\x04▏\n\\x05\\x06…\\x02\\x03 (3000 bytes)"
        );
        // One run that fits with its count on the line below.
        let data = b"abcdefghijklmnopqrstuvwxyz".repeat(10);
        assert_eq!(
            data_cell(&data_runs(&data, &[]), data.len(), 17),
            "abcdefgh…stuvwxyz\n(260 bytes)"
        );
        // And on the same line when there is room.
        assert_eq!(
            data_cell(&data_runs(&data, &[]), data.len(), 30),
            "abcdefgh…stuvwxyz (260 bytes)"
        );
    }

    #[test]
    fn many_small_sends_wrap_instead_of_losing_marks() {
        let data = b"ab".repeat(40);
        let cell = data_cell(&data_runs(&data, &sends(&[2; 40])), data.len(), 30);
        assert_eq!(marks_of(&cell), 39);
        assert_eq!(cell.replace(['▏', '\n'], ""), "ab".repeat(40));
        assert!(cell.lines().all(|l| str_width(l) <= 30), "{cell}");
    }

    #[test]
    fn the_mark_and_the_ellipsis_in_data_are_escaped() {
        let data = "a▏b…c".as_bytes();
        assert_eq!(
            data_cell(&data_runs(data, &[]), data.len(), 40),
            r"a\u{258f}b\u{2026}c"
        );
    }

    #[test]
    fn call_drops_the_expectation_and_the_alignment() {
        assert_eq!(
            call_text("recv 1024              => \"helloworld\""),
            "recv 1024"
        );
        assert_eq!(
            call_text("send \"a  =>  b\"   => 5 bytes"),
            "send \"a  =>  b\""
        );
        assert_eq!(call_text(r#"send "\"=>"   =>  ok"#), r#"send "\"=>""#);
        assert_eq!(call_text("wait   readable 10"), "wait readable 10");
    }

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

    #[test]
    fn print_one_to_look_at() {
        // `cargo test print_one -- --nocapture` shows what a class sees.
        let (scenario, record) = fixtures::blocked_and_failed();
        println!(
            "{}",
            Table.render(&scenario, &record, &with("en", true, Some(100)))
        );
    }
}
