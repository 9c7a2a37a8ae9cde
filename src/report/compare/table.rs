//! `compare` for people: the two sides' header, then three tables — recv chunkings,
//! timers, verdicts — with A and B side by side and `≠` in the first column of every row
//! that differs (coloured on a terminal), then how many rows differ.

use comfy_table::ContentArrangement;

use super::{Comparison, DIFFERS, Side, TimerValue};
use crate::record::aggregate::{ExpectationRate, StepOutcomes};
use crate::report::ReportOptions;
use crate::report::shared::{call_text, styled};
use crate::text::{fmt_duration, said};

const YELLOW_BOLD: &str = "\x1b[33m\x1b[1m";
const RESET: &str = "\x1b[0m";

/// The words of this report, English then Chinese.
const WORDS: &[(&str, &str)] = &[
    ("recv chunkings", "接收分块"),
    ("timers", "计时器"),
    ("verdicts", "判定"),
    ("actor", "角色"),
    ("line", "行"),
    ("call", "调用"),
    ("timer", "计时器"),
    ("expected", "预期"),
    ("runs passed", "通过的运行"),
    ("other outcomes", "其他结果"),
    ("no such step", "没有对应的步骤"),
    ("none", "无"),
];

fn word<'a>(lang: &str, en: &'a str) -> &'a str {
    if lang != "zh" {
        return en;
    }
    WORDS
        .iter()
        .find(|(e, _)| *e == en)
        .map_or(en, |(_, zh)| zh)
}

/// The whole report, ending in a newline.
pub fn render_table(c: &Comparison, options: &ReportOptions) -> String {
    let lang = options.lang.as_str();
    let mut out = head(c, lang);
    if !c.steps.is_empty() {
        section(
            &mut out,
            word(lang, "recv chunkings"),
            steps_table(c, options),
            options,
        );
    }
    if !c.timers.is_empty() {
        section(
            &mut out,
            word(lang, "timers"),
            timers_table(c, options),
            options,
        );
    }
    section(
        &mut out,
        word(lang, "verdicts"),
        verdicts_table(c, options),
        options,
    );
    let n = c.differences();
    let last = if n == 0 {
        said!(
            "no differences: the same chunk patterns, timers within 2× or 1 ms, the same pass rates",
            "没有差异：分块模式相同，计时器相差不到 2 倍或 1 ms，通过率相同"
        )
    } else {
        let rows = if n == 1 { "row differs" } else { "rows differ" };
        said!("{DIFFERS} {n} {rows}", "{DIFFERS} {n} 行有差异")
    };
    out.push_str(&paint(last.get(lang), options.color));
    out.push('\n');
    out
}

fn head(c: &Comparison, lang: &str) -> String {
    let mut out = String::new();
    for (name, side) in [("A", &c.a), ("B", &c.b)] {
        let (label, file) = (&side.label, &side.summary.file);
        let line = said!("{name}: {label} · {file}", "{name}：{label} · {file}");
        out.push_str(line.get(lang));
        out.push('\n');
        if !side.title.is_empty() {
            out.push_str(&format!("   {}\n", side.title));
        }
    }
    // The runs that finished: fewer than asked for after Ctrl-C, and B's one fewer
    // than A's when it came between the two.
    let (runs, b_runs) = (c.a.summary.runs, c.b.summary.runs);
    let first = c.a.summary.first_seed;
    let last = first.wrapping_add(runs.saturating_sub(1));
    let asked = c.repeat;
    let line = if runs != b_runs || runs != asked {
        said!(
            "{runs} runs of A and {b_runs} of B of the {asked} asked for, seeds from {first}",
            "A 运行了 {runs} 次，B 运行了 {b_runs} 次（要求各 {asked} 次），种子从 {first} 起"
        )
    } else if runs == 1 {
        said!("1 run each, seed {first}", "每边运行 1 次，种子 {first}")
    } else {
        said!(
            "{runs} runs each, seeds {first}–{last} (run k of each side uses seed+k)",
            "每边运行 {runs} 次，种子 {first}–{last}（每边第 k 次运行用 seed+k）"
        )
    };
    out.push_str(line.get(lang));
    out.push_str("\n\n");
    out
}

fn section(out: &mut String, name: &str, table: comfy_table::Table, options: &ReportOptions) {
    out.push_str(name);
    out.push('\n');
    out.push_str(&paint(&table.to_string(), options.color));
    out.push_str("\n\n");
}

/// The `≠` marks in colour, on a terminal.
fn paint(text: &str, color: bool) -> String {
    if color {
        text.replace(DIFFERS, &format!("{YELLOW_BOLD}{DIFFERS}{RESET}"))
    } else {
        text.to_owned()
    }
}

fn table(options: &ReportOptions, header: Vec<String>) -> comfy_table::Table {
    let mut table = styled(options);
    if let Some(width) = options.width {
        table.set_width(width);
        table.set_content_arrangement(ContentArrangement::Dynamic);
    }
    table.set_header(header);
    table
}

fn mark(differs: bool) -> String {
    if differs { DIFFERS } else { "" }.to_string()
}

fn headers(lang: &str, words: &[&str], c: &Comparison) -> Vec<String> {
    let mut h: Vec<String> = words.iter().map(|w| word(lang, w).to_string()).collect();
    h.push(format!("A: {}", c.a.label));
    h.push(format!("B: {}", c.b.label));
    h
}

/// `27`, or `27 / 28` when the two sides' lines differ, `27 / —` when B has none.
fn lines(a: Option<u32>, b: Option<u32>) -> String {
    match (a, b) {
        (Some(x), Some(y)) if x == y => x.to_string(),
        (Some(x), Some(y)) => format!("{x} / {y}"),
        (Some(x), None) => format!("{x} / —"),
        (None, Some(y)) => format!("— / {y}"),
        (None, None) => String::new(),
    }
}

/// The text of a step, or both texts when they differ.
fn calls(a: Option<String>, b: Option<String>) -> String {
    match (a, b) {
        (Some(x), Some(y)) if x != y => format!("{x} / {y}"),
        (Some(x), _) | (None, Some(x)) => x,
        (None, None) => String::new(),
    }
}

fn steps_table(c: &Comparison, options: &ReportOptions) -> comfy_table::Table {
    let lang = options.lang.as_str();
    let mut t = table(options, headers(lang, &["", "actor", "line", "call"], c));
    for row in &c.steps {
        let (sa, sb) = (c.step_a(row), c.step_b(row));
        let actor = sa.or(sb).map(|s| s.actor.clone()).unwrap_or_default();
        t.add_row(vec![
            mark(row.differs),
            actor,
            lines(sa.map(|s| s.line), sb.map(|s| s.line)),
            calls(
                sa.map(|s| call_text(&s.call)),
                sb.map(|s| call_text(&s.call)),
            ),
            chunkings(sa, lang),
            chunkings(sb, lang),
        ]);
    }
    t
}

/// `2+2: 19 (95.0%)`, one pattern a line, as the `--repeat` summary shows them.
fn chunkings(step: Option<&StepOutcomes>, lang: &str) -> String {
    let Some(step) = step else {
        return format!("— ({})", word(lang, "no such step"));
    };
    let total = step.total();
    let mut lines: Vec<String> = step
        .shown()
        .into_iter()
        .map(|(o, n)| format!("{o}: {n} ({})", percent(n, total)))
        .collect();
    if step.other > 0 {
        let other = word(lang, "other outcomes");
        lines.push(format!(
            "{other}: {} ({})",
            step.other,
            percent(step.other, total)
        ));
    }
    lines.join("\n")
}

fn timers_table(c: &Comparison, options: &ReportOptions) -> comfy_table::Table {
    let lang = options.lang.as_str();
    let mut t = table(options, headers(lang, &["", "timer"], c));
    for row in &c.timers {
        t.add_row(vec![
            mark(row.differs),
            format!("{} {}", row.timer, row.stat),
            timer_value(row.a, lang),
            timer_value(row.b, lang),
        ]);
    }
    t
}

fn timer_value(value: Option<TimerValue>, lang: &str) -> String {
    match value {
        Some(TimerValue::Count(n)) => n.to_string(),
        Some(TimerValue::Time(d)) => fmt_duration(d),
        None => format!("— ({})", word(lang, "none")),
    }
}

fn verdicts_table(c: &Comparison, options: &ReportOptions) -> comfy_table::Table {
    let lang = options.lang.as_str();
    let mut t = table(options, headers(lang, &["", "line", "expected"], c));
    let runs = |s: &Side| rate(s.summary.passed_runs, s.summary.runs);
    t.add_row(vec![
        mark(c.runs_differ),
        String::new(),
        word(lang, "runs passed").to_string(),
        runs(&c.a),
        runs(&c.b),
    ]);
    for row in &c.verdicts {
        let (ea, eb) = (c.verdict_a(row), c.verdict_b(row));
        let expected = ea.or(eb).map(expectation).unwrap_or_default();
        let held = |e: Option<&ExpectationRate>| match e {
            Some(e) => rate(e.passed, e.total),
            None => format!("— ({})", word(lang, "none")),
        };
        t.add_row(vec![
            mark(row.differs),
            lines(ea.map(|e| e.line), eb.map(|e| e.line)),
            expected,
            held(ea),
            held(eb),
        ]);
    }
    t
}

/// `server "abcd"`, or the text of an `expect:` line.
fn expectation(e: &ExpectationRate) -> String {
    match &e.actor {
        Some(actor) => format!("{actor} {}", e.expected),
        None => e.expected.clone(),
    }
}

fn rate(passed: u64, total: u64) -> String {
    format!("{passed}/{total} ({})", percent(passed, total))
}

fn percent(n: u64, total: u64) -> String {
    if total == 0 {
        return "-".to_string();
    }
    format!("{:.1}%", n as f64 * 100.0 / total as f64)
}
