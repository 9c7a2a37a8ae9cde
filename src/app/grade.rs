//! `stickylab grade SUITE (--target HOST:PORT | --spawn CMD)`: every case of a suite
//! against a program, one row per case as it finishes, then the total. The cases and
//! the explanations are in `crate::grade`; this is the command around them: which
//! cases, where the program is (started per case with `--spawn`), and the report.

use std::io::Write;
use std::net::SocketAddr;

use serde_json::json;

use super::{Error, Outcome, interrupt, terminal};
use crate::cli::{GradeArgs, GradeFormat};
use crate::grade::spawn::{self, Program};
use crate::grade::{self, Case, CaseResult, Grading, Suite};
use crate::run::Runner;
use crate::text::{Said, said};

/// A finished case and what the program said on stderr during it (with `--spawn`).
struct Row {
    result: CaseResult,
    stderr: Vec<String>,
}

pub(super) fn grade(args: &GradeArgs) -> Result<Outcome, Error> {
    let lang = terminal::language(args.lang.as_deref());
    let suite = args.suite;
    let cases = chosen_cases(suite, &args.cases, &lang)?;
    let spawn_words = match &args.spawn {
        Some(command) => Some(spawn::split(command).map_err(|e| Error::said(&lang, &e))?),
        None => None,
    };
    if let Some(target) = args.target
        && !args.allow_remote
        && !crate::net::addr::is_own(target.ip())
    {
        let why = crate::net::addr::not_own(target);
        let said = Said::both(
            format!("--target {target}: {}", why.en()),
            format!("--target {target}：{}", why.get("zh")),
        );
        return Err(Error::said(&lang, &said));
    }
    let seed = args.seed.unwrap_or_else(|| rand::random::<u32>().into());
    // Before the runner starts any actor thread (see `interrupt`).
    let cancel = interrupt::on_ctrl_c();
    let grading = Grading {
        seed,
        timeout: args.timeout,
        cancel: Some(std::sync::Arc::clone(&cancel)),
        allow_remote: args.allow_remote,
    };
    let program_shown = match (&args.spawn, args.target) {
        (Some(command), _) => format!("--spawn `{command}`"),
        (None, Some(target)) => format!("--target {target}"),
        (None, None) => String::new(),
    };
    let mut out = std::io::stdout().lock();
    if args.format == GradeFormat::Table {
        let name = suite.name();
        let title = said!(
            "grade {name} · {program_shown} · seed {seed}",
            "评测 {name} · {program_shown} · 种子 {seed}"
        );
        let _ = writeln!(out, "{}", title.get(&lang));
        let _ = out.flush();
    }
    let width = cases.iter().map(|c| c.name.len()).max().unwrap_or(0);
    let mut runner = Runner::new();
    let mut rows: Vec<Row> = Vec::new();
    for case in &cases {
        if interrupt::pressed(&cancel) {
            break;
        }
        let row = match (&spawn_words, args.target, &args.spawn) {
            (Some(words), _, Some(command)) => {
                let port = spawn::free_port().map_err(|e| {
                    let why = e.to_string();
                    Error::said(
                        &lang,
                        &said!(
                            "cannot find a free port for --spawn: {why}",
                            "找不到空闲端口给 --spawn 用：{why}"
                        ),
                    )
                })?;
                let started = Program::start(words, command, port, args.wait, &cancel);
                if interrupt::pressed(&cancel) {
                    break;
                }
                let (mut program, addr) = started.map_err(|not| {
                    let mut text = not.why.get(&lang).to_string();
                    for line in &not.stderr {
                        text.push_str("\n  | ");
                        text.push_str(line);
                    }
                    Error(text)
                })?;
                let result = run_one(&mut runner, suite, case, addr, &grading, &lang)?;
                program.stop();
                // A case cut short by Ctrl-C has no verdict.
                if interrupt::pressed(&cancel) {
                    break;
                }
                let stderr = if result.passed {
                    Vec::new()
                } else {
                    program.stderr_tail()
                };
                Row { result, stderr }
            }
            (_, Some(addr), _) => {
                let result = run_one(&mut runner, suite, case, addr, &grading, &lang)?;
                if interrupt::pressed(&cancel) {
                    break;
                }
                Row {
                    result,
                    stderr: Vec::new(),
                }
            }
            _ => {
                return Err(Error::said(
                    &lang,
                    &Said::both(
                        "give the program to grade: --target HOST:PORT or --spawn 'CMD {port}'",
                        "给出要评测的程序：--target HOST:PORT 或 --spawn 'CMD {port}'",
                    ),
                ));
            }
        };
        if args.format == GradeFormat::Table {
            print_row(&mut out, &row, width, &lang);
        }
        rows.push(row);
    }
    let interrupted = interrupt::pressed(&cancel);
    match args.format {
        GradeFormat::Table => print_total(&mut out, suite, &rows, cases.len(), &lang),
        GradeFormat::Json => print_json(&mut out, suite, args, seed, &rows, &lang),
    }
    let _ = out.flush();
    if interrupted {
        let (done, planned) = (rows.len(), cases.len());
        let text = said!(
            "interrupted: {done} of {planned} cases finished",
            "已中断：{planned} 个案例中完成了 {done} 个"
        );
        eprintln!("{}", text.get(&lang));
        return Ok(Outcome::Interrupted);
    }
    Ok(if rows.iter().all(|r| r.result.passed) {
        Outcome::Pass
    } else {
        Outcome::Fail
    })
}

fn run_one(
    runner: &mut Runner,
    suite: Suite,
    case: &Case,
    addr: SocketAddr,
    grading: &Grading,
    lang: &str,
) -> Result<CaseResult, Error> {
    grade::run_case(runner, suite, case, addr, grading)
        .map_err(|e| Error::said(lang, &Said::from(e)))
}

/// The cases `--case` names, in suite order; all of them without `--case`.
fn chosen_cases(suite: Suite, names: &[String], lang: &str) -> Result<Vec<Case>, Error> {
    let all = suite.cases();
    for name in names {
        if !all.iter().any(|c| c.name == name) {
            let known: Vec<&str> = all.iter().map(|c| c.name).collect();
            let nearest = known
                .iter()
                .map(|k| (strsim::levenshtein(k, name), *k))
                .filter(|(d, _)| *d <= 2)
                .min();
            let (hint, hint_zh) = match nearest {
                Some((_, near)) => (
                    format!("; did you mean `{near}`?"),
                    format!("；你是想写 `{near}` 吗？"),
                ),
                None => (String::new(), String::new()),
            };
            let known = known.join(", ");
            let suite = suite.name();
            let text = said!(
                "the suite {suite} has no case `{name}`{hint} (its cases: {known})",
                "评测套件 {suite} 没有案例 `{name}`{hint_zh}（它的案例有：{known}）"
            );
            return Err(Error::said(lang, &text));
        }
    }
    Ok(all
        .iter()
        .filter(|c| names.is_empty() || names.iter().any(|n| n == c.name))
        .copied()
        .collect())
}

fn verdict(passed: bool, lang: &str) -> &'static str {
    match (passed, lang) {
        (true, "zh") => "通过",
        (false, "zh") => "失败",
        (true, _) => "PASS",
        (false, _) => "FAIL",
    }
}

fn print_row(out: &mut impl Write, row: &Row, width: usize, lang: &str) {
    let r = &row.result;
    let took = crate::text::fmt_duration(r.took);
    let _ = writeln!(
        out,
        "{}  {:<width$}  {took:>8}",
        verdict(r.passed, lang),
        r.name
    );
    if let Some(why) = &r.why {
        // Wrapped to the terminal (or `COLUMNS`), under the case's name; whole in a pipe,
        // where a line per explanation is easier to search.
        let lines = match terminal::report_options(Some(lang)).width {
            Some(columns) => crate::report::table::wrap::wrap(
                why.get(lang),
                usize::from(columns).saturating_sub(6),
            ),
            None => vec![why.get(lang).to_string()],
        };
        for line in lines {
            let _ = writeln!(out, "      {line}");
        }
    }
    if !row.stderr.is_empty() {
        let heading = Said::both(
            "the program's stderr ended with:",
            "程序的 stderr 最后几行：",
        );
        let _ = writeln!(out, "      {}", heading.get(lang));
        for line in &row.stderr {
            let _ = writeln!(out, "      | {line}");
        }
    }
    let _ = out.flush();
}

fn print_total(out: &mut impl Write, suite: Suite, rows: &[Row], planned: usize, lang: &str) {
    let passed = rows.iter().filter(|r| r.result.passed).count();
    let failed = rows.len() - passed;
    let total = if failed == 0 {
        said!(
            "{passed} of {planned} cases passed",
            "{planned} 个案例通过了 {passed} 个"
        )
    } else {
        said!(
            "{passed} of {planned} cases passed, {failed} failed",
            "{planned} 个案例通过了 {passed} 个，失败 {failed} 个"
        )
    };
    let _ = writeln!(out, "{}", total.get(lang));
    if let Some(first) = rows.iter().find(|r| !r.result.passed) {
        let (file, name) = (&first.result.file, suite.name());
        let hint = said!(
            "each case is a scenario: in a checkout of stickylab, `stickylab run {file} --peer \
             server=HOST:PORT` shows the timeline of one against your server (`stickylab grade \
             {name} --help` says what each suite expects)",
            "每个案例都是一个场景文件：在 stickylab 的源码目录里，`stickylab run {file} --peer \
             server=HOST:PORT` 可以看到它对你的服务器运行的时间线（`stickylab grade {name} --help` \
             说明每个套件的协议）"
        );
        let _ = writeln!(out, "{}", hint.get(lang));
    }
}

fn print_json(
    out: &mut impl Write,
    suite: Suite,
    args: &GradeArgs,
    seed: u64,
    rows: &[Row],
    lang: &str,
) {
    let cases: Vec<serde_json::Value> = rows
        .iter()
        .map(|row| {
            let r = &row.result;
            json!({
                "case": r.name,
                "file": r.file,
                "passed": r.passed,
                "why": r.why.as_ref().map(|w| w.get(lang).to_string()),
                "failures": r.failures,
                "took_us": u64::try_from(r.took.as_micros()).unwrap_or(u64::MAX),
                "stderr": row.stderr,
            })
        })
        .collect();
    let passed = rows.iter().filter(|r| r.result.passed).count();
    let report = json!({
        "suite": suite.name(),
        "protocol": suite.protocol().get(lang),
        "target": args.target.map(|t| t.to_string()),
        "spawn": args.spawn,
        "seed": seed,
        "cases": cases,
        "passed": passed,
        "failed": rows.len() - passed,
        "total": rows.len(),
    });
    let _ = writeln!(out, "{report}");
}
