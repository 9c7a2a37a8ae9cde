//! The table report of one run: what a class sees projected.
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

use super::Finished;
use super::cells::{expectations_table, timeline_table, timers_table};
use super::paint::Paint;
use super::timeline::{SHOWN_FIRST, SHOWN_LAST};
use super::wrap::wrap;

use crate::record::Record;
use crate::report::ReportOptions;
use crate::report::words::{failed, say};
use crate::scenario::Scenario;
use crate::text::fmt_duration as human;
use crate::text::said;
use crate::text::width::str_width;

/// The width `about` is wrapped to when the terminal width is unknown.
const TEXT_WIDTH: usize = 80;

/// The whole report of one run, ending with a newline. `left_out` events of a long run
/// were not kept (between its first and its last ones): the report says so.
pub(super) fn render(scenario: &Scenario, run: &Finished, options: &ReportOptions) -> String {
    let (record, info) = (&run.record, &run.info);
    let paint = Paint(options.color);
    let mut out = String::new();
    header(&mut out, scenario, record, options, paint);
    let left_out = info.left_out;
    if left_out > 0 {
        let (first, last) = (SHOWN_FIRST, SHOWN_LAST);
        let _ = if options.lang == "zh" {
            writeln!(
                out,
                "\n本次运行在前 {first} 行和后 {last} 行之间省略了 {left_out} 个事件；\n\
                 `--full` 或 `--format json` 列出全部事件。"
            )
        } else {
            writeln!(
                out,
                "\n{left_out} events of this run are left out between its first {first} rows and its last {last};\n\
                 `--full` or `--format json` lists every event."
            )
        };
    }
    if !run.rows.is_empty() {
        let name = say(&options.lang, "timeline");
        section(
            &mut out,
            name,
            &timeline_table(&run.rows, info, options),
            paint,
        );
    }
    if !record.expectations.is_empty() || !record.blocked.is_empty() {
        let name = say(&options.lang, "expectations");
        let _ = writeln!(out, "\n{}", paint.bold(name));
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
                let (line, actor, call, what) = (b.line, &b.actor, &b.call, &b.blocked_in);
                let waited = human(b.waited);
                let text = said!(
                    "line {line}: {actor} blocked in {what} for {waited} ({call})",
                    "第 {line} 行：{actor} 阻塞在 {what} 中 {waited}（{call}）"
                );
                writeln!(out, "{} {}", paint.red("✗"), text.get(&options.lang))
            };
        }
    }
    if !record.timers.is_empty() {
        let name = say(&options.lang, "timers");
        section(&mut out, name, &timers_table(record, options), paint);
    }

    out.push('\n');
    if record.interrupted {
        let _ = writeln!(
            out,
            "{}",
            paint.red(say(
                &options.lang,
                "INTERRUPTED (Ctrl-C): what is above is what happened until then"
            ))
        );
    }
    if record.passed() {
        let _ = writeln!(out, "{}", paint.green_bold(say(&options.lang, "PASS")));
    } else {
        let n = record.expectations.len() + record.blocked.len();
        let line = failed(&options.lang, record.failures(), n);
        let _ = writeln!(out, "{}", paint.red_bold(&line));
    }
    out
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
    // The seed (and the parameters) are what it takes to replay this very run. On a
    // narrow terminal the line breaks between its parts, never inside one.
    let (name, seed) = (&record.scenario, record.seed);
    let mut parts = vec![
        said!("scenario {name}", "场景 {name}")
            .get(&options.lang)
            .to_owned(),
        record.file.clone(),
        said!("seed {seed}", "种子 {seed}")
            .get(&options.lang)
            .to_owned(),
    ];
    parts.extend(
        scenario
            .params
            .iter()
            .map(|p| format!("{}={}", p.name, p.value)),
    );
    let width = options.width.map_or(usize::MAX, usize::from);
    let mut line = String::new();
    for part in parts {
        if line.is_empty() {
            line = part;
        } else if str_width(&line) + 3 + str_width(&part) <= width {
            let _ = write!(line, " · {part}");
        } else {
            let _ = writeln!(out, "{}", paint.dim(&line));
            line = format!("· {part}");
        }
    }
    let _ = writeln!(out, "{}", paint.dim(&line));
}

// ---------------------------------------------------------------------------------------
// Sections

fn section(out: &mut String, name: &str, table: &comfy_table::Table, paint: Paint) {
    let _ = writeln!(out, "\n{}", paint.bold(name));
    let _ = writeln!(out, "{}", paint.table(&table.to_string(), false));
}

#[cfg(test)]
mod tests {
    use crate::record::Record;
    use crate::report::table::TableReporter;
    use crate::report::{ReportOptions, fixtures, run_bytes};
    use crate::scenario::Scenario;
    use crate::text::width::str_width;

    /// The cells of the first table row that contains `needle`, trimmed.
    fn cells(out: &str, needle: &str) -> Vec<String> {
        let line = out
            .lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no row with {needle:?} in\n{out}"));
        line.trim_matches(|c| c == '│' || c == ' ')
            .split('┆')
            .map(|c| c.trim().to_owned())
            .collect()
    }

    /// The report as the runner would have made it write, event by event.
    fn table(scenario: &Scenario, record: &Record, options: ReportOptions) -> String {
        run_bytes(&TableReporter::new(options), scenario, record)
    }

    fn render((scenario, record): &(Scenario, Record)) -> String {
        table(scenario, record, ReportOptions::default())
    }

    fn with(lang: &str, color: bool, width: Option<u16>) -> ReportOptions {
        ReportOptions {
            lang: lang.to_owned(),
            color,
            width,
            max_data: crate::report::DEFAULT_MAX_DATA,
            full: false,
        }
    }

    #[test]
    fn hello_world_shows_every_step_and_two_sends_glued_in_one_recv() {
        assert_eq!(
            render(&fixtures::hello_world()),
            r#"Two sends, one recv
TCP is a byte stream. The kernel keeps no record of where one send ended, so a
late recv returns everything queued, glued together.
scenario hello-world · scenarios/hello-world.lab · seed 1234

timeline
╭───┬───────┬──────┬────────┬──────┬──────────────────┬────────┬─────┬─────────────┬────────────────────────┬────────╮
│ # ┆  t ms ┆ took ┆ actor  ┆ line ┆ call             ┆ queued ┆ got ┆ data        ┆ from / note            ┆ queued │
│   ┆       ┆      ┆        ┆      ┆                  ┆ before ┆     ┆             ┆                        ┆  after │
╞═══╪═══════╪══════╪════════╪══════╪══════════════════╪════════╪═════╪═════════════╪════════════════════════╪════════╡
│ 1 ┆ 0.000 ┆ 35µs ┆ server ┆    8 ┆ listen           ┆        ┆     ┆             ┆ listen 127.0.0.1:41235 ┆        │
│ 2 ┆ 0.012 ┆ 60µs ┆ client ┆    9 ┆ connect          ┆        ┆     ┆             ┆                        ┆        │
│ 3 ┆ 0.040 ┆ 45µs ┆ server ┆   10 ┆ accept           ┆        ┆     ┆             ┆                        ┆        │
│ 4 ┆ 0.101 ┆ 18µs ┆ client ┆   11 ┆ send "hello"     ┆        ┆   5 ┆             ┆ stream 0..5            ┆        │
│ 5 ┆ 0.122 ┆  9µs ┆ client ┆   12 ┆ send "world"     ┆        ┆   5 ┆             ┆ stream 5..10           ┆        │
│ 6 ┆ 0.098 ┆ 61µs ┆ server ┆   13 ┆ wait readable 10 ┆        ┆     ┆             ┆                        ┆        │
│ 7 ┆ 0.160 ┆  7µs ┆ server ┆   14 ┆ recv 1024        ┆     10 ┆  10 ┆ hello▏world ┆ #4 #5                  ┆      0 │
│ 8 ┆ 0.170 ┆ 20µs ┆ client ┆   15 ┆ close            ┆        ┆     ┆             ┆                        ┆        │
│ 9 ┆ 0.175 ┆ 30µs ┆ server ┆   16 ┆ recv 1024        ┆      0 ┆ eof ┆             ┆ client close, line 15  ┆      0 │
╰───┴───────┴──────┴────────┴──────┴──────────────────┴────────┴─────┴─────────────┴────────────────────────┴────────╯

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
        assert_eq!(
            cells(&out, "┆ recv 1024       ┆      0 ┆    timeout"),
            [
                "8",
                "0.135",
                "1.00s",
                "server",
                "10",
                "recv 1024",
                "0",
                "timeout",
                "",
                "",
                ""
            ]
        );
        assert_eq!(cells(&out, "set rcvbuf")[9], "rcvbuf 8192", "{out}");
        assert_eq!(
            cells(&out, "listen again")[7..],
            ["EADDRINUSE", "", "EADDRINUSE (Address already in use)", ""]
        );
    }

    #[test]
    fn an_actor_that_failed_outside_any_step_is_named_without_a_line() {
        let (scenario, mut record) = fixtures::blocked_and_failed();
        record.blocked[0] = crate::record::Blocked::outside_steps(
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
        assert_eq!(
            cells(&out, "┆ recv 7 ")[5..],
            ["recv 7", "18", "7", "\\0\\0\\0\\x05hel", "#4[0..7]", "11"]
        );
        assert_eq!(
            cells(&out, "┆ recv 1024 ")[5..],
            [
                "recv 1024",
                "11",
                "11",
                "lo▏\\0\\0\\0\\x05world",
                "#4[7..9] #5",
                "0"
            ]
        );
    }

    #[test]
    fn a_datagram_cut_to_the_buffer_says_truncated() {
        let out = render(&fixtures::udp_truncated());
        // Datagrams are numbered, not placed in a stream.
        assert_eq!(
            cells(&out, "recvfrom 4 ")[5..],
            [
                "recvfrom 4",
                "9",
                "4 truncated",
                "ping",
                "#3[0..4] (datagram 1)",
                "0"
            ]
        );
        assert_eq!(
            cells(&out, "recvfrom 1024")[5..],
            ["recvfrom 1024", "2", "2", "hi", "#5 (datagram 2)", "0"]
        );
        assert_eq!(cells(&out, "sendto server \"hi\"")[9], "datagram 2");
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
                let out = table(&fixture.0, &fixture.1, with("zh", false, width));
                assert!(!out.contains('\x1b'), "{out}");
            }
        }
    }

    #[test]
    fn colour_marks_checks_boundaries_and_the_verdict() {
        let (scenario, record) = fixtures::hello_world();
        let out = table(&scenario, &record, with("en", true, None));
        assert!(out.contains("\x1b[32m✓\x1b[0m"), "{out}");
        assert!(out.contains("hello\x1b[2m▏\x1b[0mworld"), "{out}");
        assert!(out.ends_with("\x1b[32m\x1b[1mPASS\x1b[0m\n"), "{out}");
        let (scenario, record) = fixtures::blocked_and_failed();
        let out = table(&scenario, &record, with("en", true, None));
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
                    let out = table(&fixture.0, &fixture.1, with(lang, false, Some(width)));
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
        let out = table(&scenario, &record, with("en", false, Some(80)));
        assert!(
            out.contains(
                "│ # ┆ actor  ┆ call               ┆  got ┆ data            ┆ from / note       │"
            ),
            "{out}"
        );
        assert_eq!(
            cells(&out, "recv 2000")[2..],
            ["recv 2000", "2000", "abcdefg…rstuvwx", "#4[0..2000]"]
        );
        // The byte count is on the next line of the same row.
        let next = out
            .lines()
            .skip_while(|l| !l.contains("recv 2000"))
            .nth(1)
            .unwrap_or_default();
        assert!(next.contains("┆ (2000 bytes)"), "{out}");
    }

    #[test]
    fn the_timeline_speaks_the_chosen_language() {
        let (scenario, record) = fixtures::hello_world();
        let out = table(&scenario, &record, with("zh", false, None));
        assert_eq!(cells(&out, "send \"hello\"")[9], "流 0..5", "{out}");
        assert_eq!(
            cells(&out, "┆ client close")[9],
            "client close，第 15 行",
            "{out}"
        );
        assert!(out.contains("\n时间线\n"), "{out}");
    }

    #[test]
    fn title_and_about_in_the_chosen_language() {
        let (scenario, record) = fixtures::hello_world();
        let out = table(&scenario, &record, with("zh", false, Some(40)));
        assert!(
            out.starts_with(
                "两次发送，一次接收\n\
                 TCP 是字节流。内核不记录一次发送在哪里结\n\
                 束，所以晚到的 recv 会把排队的所有数据粘\n\
                 在一起返回。\n\
                 场景 hello-world\n\
                 · scenarios/hello-world.lab · 种子 1234\n"
            ),
            "{out}"
        );
        // No title at all: the scenario's name.
        let (scenario, record) = fixtures::bulk();
        assert!(render(&(scenario, record)).starts_with("bulk\nscenario bulk · "));
    }

    #[test]
    fn a_run_cut_short_says_so_above_the_verdict() {
        let (scenario, mut record) = fixtures::hello_world();
        record.interrupted = true;
        let out = render(&(scenario, record));
        assert!(
            out.ends_with(
                "\nINTERRUPTED (Ctrl-C): what is above is what happened until then\nPASS\n"
            ),
            "{out}"
        );
    }

    /// A run of thousands of steps shows its first and last events and says how many
    /// it left out; expectations likewise (those that do not fold), failures first.
    #[test]
    fn a_long_run_is_shown_in_part() {
        let (scenario, mut record) = fixtures::hello_world();
        let recv = record.events.iter().find(|e| e.op.is_recv()).cloned();
        let recv = recv.expect("hello-world has a recv");
        let expectation = record.expectations[0].clone();
        let first_seq = record.events.iter().map(|e| e.seq).max().unwrap_or(0) + 1;
        for k in 0..2500 {
            let mut e = recv.clone();
            e.seq = first_seq + k;
            // A step of its own each time: no two rows fold into one.
            e.line = 100 + u32::try_from(k).unwrap_or(0);
            record.events.push(e);
            let mut x = expectation.clone();
            x.passed = k % 1000 != 7;
            // Each round sees something else: no two rows fold into one.
            x.observed = format!("\"{k}\"");
            record.expectations.push(x);
        }
        let text = table(&scenario, &record, ReportOptions::default());
        let events = record.events.len();
        assert!(
            text.contains(&format!(
                "{} events of this run are left out between its first 1000 rows and its last 1000;",
                events - 2000
            )),
            "{}",
            &text[..600]
        );
        assert!(
            text.contains(&format!("│ {first_seq} ")) || text.contains(&format!(" {first_seq} ┆"))
        );
        let held = record.expectations.iter().filter(|x| x.passed).count();
        let failed = record.expectations.len() - held;
        assert_eq!(failed, 3);
        // 1000 rows: the 3 failures and 997 that held; the rest counted in one row.
        let rest = record.expectations.len() - 1000;
        assert!(
            text.contains(&format!("{rest} more: {rest} held, 0 failed")),
            "{}",
            &text[text.len().saturating_sub(600)..]
        );
        assert_eq!(text.matches("│ ✗ ").count(), 3);
    }

    /// The rounds of a `repeat` that saw the same thing are one row, with their count;
    /// a round that saw something else keeps a row of its own.
    #[test]
    fn identical_expectation_rows_fold() {
        let (scenario, mut record) = fixtures::hello_world();
        let first = record.expectations[1].clone();
        for _ in 0..39 {
            record.expectations.push(first.clone());
        }
        let mut odd = first.clone();
        odd.observed = "\"hello\"".into();
        odd.passed = false;
        record.expectations.push(odd);
        let text = table(&scenario, &record, ReportOptions::default());
        assert!(text.contains("\"helloworld\" ×40"), "{text}");
        assert_eq!(text.matches("│ ✗ ").count(), 1, "{text}");
        assert!(
            text.contains("FAIL (1 of 43 expectations failed)"),
            "{text}"
        );
        // In line order: the odd round stands under its line's other rows.
        let odd = text.find("┆ \"hello\" ").expect("the odd round's row");
        let eof = text.rfind("┆ eof ").expect("line 16's row");
        assert!(odd < eof, "{text}");
    }
}
