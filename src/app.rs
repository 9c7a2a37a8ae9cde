//! The commands behind the command line: find a scenario, parse it, run it, report it.
//! `main` only maps what these return to an exit status.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::catalog;
use crate::cli::{Cli, Command, Format, ListArgs, RunArgs};
use crate::record::Record;
use crate::record::aggregate::Summary;
use crate::report::json::Json;
use crate::report::table::Table;
use crate::report::{Report, ReportOptions, summary};
use crate::run::{self, RunOptions, Runner};
use crate::scenario::{self, Scenario};
use crate::text::str_width as width;

/// How a command ended: 0 every expectation held, 1 one failed or a step was blocked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    Fail,
}

/// A usage or scenario error: exit status 2, nothing of the scenario run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(pub String);

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

/// Carries out one command line.
pub fn run(cli: Cli) -> Result<Outcome, Error> {
    match cli.command {
        Command::List(args) => list(&args),
        Command::Run(args) => run_command(&args),
        Command::Show { scenario } => {
            let (_, _, source) = locate(&scenario)?;
            print(&String::from_utf8_lossy(&source));
            Ok(Outcome::Pass)
        }
        Command::Check { files } => check(&files),
    }
}

/// The language of titles: `--lang`, else `$LANG` (`zh_CN.UTF-8` -> `zh`), else English.
fn language(flag: Option<&str>) -> String {
    if let Some(lang) = flag {
        return lang.to_string();
    }
    let env = std::env::var("LANG").unwrap_or_default();
    match env.get(..2) {
        Some(code) if code.chars().all(|c| c.is_ascii_lowercase()) && code != "c." => {
            code.to_string()
        }
        _ => "en".to_string(),
    }
}

/// Colour only on a terminal, and never with NO_COLOR set (no-color.org).
fn use_colour() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// The width of the terminal on stdout (TIOCGWINSZ, tty_ioctl(4)); none when piped, so
/// what a pipe or a file gets does not depend on the window it was typed in.
#[cfg(unix)]
fn terminal_width() -> Option<u16> {
    if !std::io::stdout().is_terminal() {
        return None;
    }
    let mut size = libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ writes one winsize through the pointer.
    let rc = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut size) };
    (rc == 0 && size.ws_col > 0).then_some(size.ws_col)
}

#[cfg(not(unix))]
fn terminal_width() -> Option<u16> {
    None
}

fn print(text: &str) {
    let mut out = std::io::stdout().lock();
    // A closed pipe (`| head`) is not an error worth a panic.
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// Finds a scenario: an existing path or a `.lab` name is a file, anything else a
/// built-in name. Returns (name, file as shown, source bytes).
fn locate(arg: &str) -> Result<(String, String, Vec<u8>), Error> {
    let path = Path::new(arg);
    if path.exists() || arg.ends_with(".lab") || arg.contains('/') {
        let source = std::fs::read(path)
            .map_err(|e| Error(format!("cannot read scenario file `{arg}`: {e}")))?;
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or(arg)
            .to_string();
        return Ok((name, arg.to_string(), source));
    }
    match catalog::find(arg) {
        Some(b) => Ok((b.name.to_string(), b.file(), b.source.as_bytes().to_vec())),
        None => {
            let hint = match catalog::nearest(arg) {
                Some(near) => format!("; did you mean `{near}`?"),
                None => String::new(),
            };
            Err(Error(format!(
                "no built-in scenario named `{arg}`{hint} (`stickylab list` shows them all; \
                 a file path must exist or end in .lab)"
            )))
        }
    }
}

/// Parses a scenario, turning its diagnostics into one error text.
fn parse(
    name: &str,
    file: &str,
    source: &[u8],
    params: &[(String, String)],
) -> Result<Scenario, Error> {
    scenario::parse_bytes(file, name, source, params).map_err(|diagnostics| {
        let source = String::from_utf8_lossy(source);
        let rendered: Vec<String> = diagnostics.iter().map(|d| d.render(&source)).collect();
        Error(rendered.join("\n"))
    })
}

fn load(arg: &str, params: &[(String, String)]) -> Result<Scenario, Error> {
    let (name, file, source) = locate(arg)?;
    parse(&name, &file, &source, params)
}

fn list(args: &ListArgs) -> Result<Outcome, Error> {
    let lang = language(args.lang.as_deref());
    let mut rows = Vec::new();
    for builtin in catalog::all() {
        let scenario = parse(
            builtin.name,
            &builtin.file(),
            builtin.source.as_bytes(),
            &[],
        )?;
        if let Some(tag) = &args.tag
            && !scenario.tags.iter().any(|t| t == tag)
        {
            continue;
        }
        rows.push([
            scenario.name.clone(),
            scenario.title.get(&lang).unwrap_or("").to_string(),
            scenario.tags.join(", "),
        ]);
    }
    if rows.is_empty() {
        let tag = args.tag.as_deref().unwrap_or("");
        return Err(Error(format!("no built-in scenario has the tag `{tag}`")));
    }
    let name_w = rows.iter().map(|r| width(&r[0])).max().unwrap_or(0);
    let title_w = rows.iter().map(|r| width(&r[1])).max().unwrap_or(0);
    let mut table = String::new();
    for row in &rows {
        let pad = |text: &str, w: usize| format!("{text}{}", " ".repeat(w - width(text)));
        table.push_str(pad(&row[0], name_w).as_str());
        table.push_str("  ");
        table.push_str(pad(&row[1], title_w).as_str());
        table.push_str("  ");
        table.push_str(&row[2]);
        table.push('\n');
    }
    print(&table);
    Ok(Outcome::Pass)
}

fn check(files: &[std::path::PathBuf]) -> Result<Outcome, Error> {
    let mut errors = Vec::new();
    for path in files {
        let arg = path.display().to_string();
        let source = match std::fs::read(path) {
            Ok(s) => s,
            Err(e) => {
                errors.push(format!("cannot read scenario file `{arg}`: {e}"));
                continue;
            }
        };
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or(&arg)
            .to_string();
        match parse(&name, &arg, &source, &[]) {
            Ok(s) => print(&format!(
                "{arg}: ok ({}, {})\n",
                plural(s.actors.len(), "actor"),
                plural(count_steps(&s.body), "step")
            )),
            Err(e) => errors.push(e.0),
        }
    }
    if errors.is_empty() {
        Ok(Outcome::Pass)
    } else {
        Err(Error(errors.join("\n")))
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn count_steps(items: &[scenario::ast::Item]) -> usize {
    items
        .iter()
        .map(|i| match i {
            scenario::ast::Item::Step(_) => 1,
            scenario::ast::Item::Repeat(r) => count_steps(&r.body),
        })
        .sum()
}

fn run_command(args: &RunArgs) -> Result<Outcome, Error> {
    let lang = language(args.lang.as_deref());
    let options = ReportOptions {
        lang,
        color: use_colour(),
        width: terminal_width(),
    };
    let seed = args.seed.unwrap_or_else(|| rand::random::<u32>().into());
    // Every scenario is parsed before anything runs: a file with an error runs nothing.
    let scenarios: Vec<Scenario> = match &args.scenario {
        Some(arg) => vec![load(arg, &args.params)?],
        None => catalog::all()
            .iter()
            .map(|b| parse(b.name, &b.file(), b.source.as_bytes(), &args.params))
            .collect::<Result<_, _>>()?,
    };
    let run_options = |k: u64| RunOptions {
        seed: seed.wrapping_add(k),
        timeout: args.timeout,
        run_limit: args.run_limit,
        cancel: None,
    };
    if !args.all && args.repeat == 1 {
        let scenario = &scenarios[0];
        let record = run::run(scenario, &run_options(0));
        print(&render(args.format, scenario, &record, &options));
        return Ok(if record.passed() {
            Outcome::Pass
        } else {
            Outcome::Fail
        });
    }
    let mut summaries = Vec::new();
    let mut runner = Runner::new();
    for scenario in scenarios {
        let scenario = Arc::new(scenario);
        let progress = progress_bar(args.repeat, &scenario.name);
        let mut summary = Summary::new(&scenario.name, &scenario.file, seed);
        let mut first_failure = None;
        for k in 0..args.repeat {
            let record = runner.run(&scenario, &run_options(k));
            if args.format == Format::Json {
                print(&render(Format::Json, &scenario, &record, &options));
            }
            summary.add(&record);
            if !record.passed() && first_failure.is_none() && args.format == Format::Table {
                first_failure = Some(record);
            }
            progress.inc(1);
        }
        progress.finish_and_clear();
        if let Some(record) = first_failure {
            print(&format!(
                "First failed run of {} (seed {}):\n",
                scenario.name, record.seed
            ));
            print(&render(Format::Table, &scenario, &record, &options));
        }
        if !args.all || args.format == Format::Json {
            print(&render_summary(args.format, &summary, &options));
        }
        summaries.push(summary);
    }
    if args.all && args.format == Format::Table {
        print(&summary::render_catalog(&summaries, &options));
    }
    Ok(if summaries.iter().all(Summary::passed) {
        Outcome::Pass
    } else {
        Outcome::Fail
    })
}

/// A progress bar on a terminal's stderr; hidden when stderr is not a terminal.
fn progress_bar(runs: u64, name: &str) -> ProgressBar {
    if runs < 2 || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(runs), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{msg} {wide_bar} {pos}/{len} runs, {eta} left")
    {
        bar.set_style(style);
    }
    bar.set_message(name.to_string());
    bar
}

fn render_summary(format: Format, summary: &Summary, options: &ReportOptions) -> String {
    match format {
        Format::Table => summary::render_table(summary, options),
        Format::Json => summary::render_json(summary) + "\n",
    }
}

fn render(format: Format, scenario: &Scenario, record: &Record, options: &ReportOptions) -> String {
    match format {
        Format::Table => Table.render(scenario, record, options),
        Format::Json => {
            let mut line = Json.render(scenario, record, options);
            if !line.ends_with('\n') {
                line.push('\n');
            }
            line
        }
    }
}
