//! The commands behind the command line: find a scenario, parse it, run it, and hand
//! what it observed to the reporter that `--format` picked. `main` only maps what these
//! return to an exit status. What the terminal says (language, colour, width) is in
//! `terminal`, Ctrl-C in `interrupt`.

mod class;
mod compare;
mod grade;
mod interrupt;
mod net;
mod new;
mod proxy;
mod terminal;
mod wire;

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::catalog;
use crate::cli::{Cli, Command, ListArgs, RunArgs};
use crate::record::Sink;
use crate::record::aggregate::{Summary, Verdict};
use crate::report::{self, Checked, Format, Listed, ReportOptions, Reporter, Tee};
use crate::run::gate::{Gate, Schedule};
use crate::run::{RunOptions, Runner};
use crate::scenario::{self, Scenario};
use crate::text::{Said, said};

pub use interrupt::EXIT_INTERRUPTED;

/// How a command ended: 0 every expectation held, 1 one failed or a step was blocked,
/// [`EXIT_INTERRUPTED`] (130) Ctrl-C cut it short.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    Fail,
    Interrupted,
}

impl Outcome {
    fn of(passed: bool) -> Outcome {
        if passed { Outcome::Pass } else { Outcome::Fail }
    }
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

impl Error {
    /// An error in the language the user reads (`en`, `zh`).
    fn said(lang: &str, text: &Said) -> Error {
        Error(text.get(lang).to_string())
    }
}

/// Carries out one command line.
pub fn run(cli: Cli) -> Result<Outcome, Error> {
    match cli.command {
        Command::List(args) => list(&args),
        Command::Run(args) => run_command(&args),
        Command::Show { scenario, lang } => {
            let lang = terminal::language(lang.as_deref());
            let (_, _, source) = locate(&scenario, &lang)?;
            let mut out = std::io::stdout().lock();
            // A closed pipe (`| head`) is not an error worth a message.
            let _ = out.write_all(&source);
            let _ = out.flush();
            Ok(Outcome::Pass)
        }
        Command::Check {
            files,
            format,
            run_limit,
            lang,
        } => check(&files, format, run_limit, lang.as_deref()),
        Command::Compare(args) => compare::compare(&args),
        Command::New(args) => new::new(&args),
        Command::Proxy(args) => proxy::proxy(&args),
        Command::Grade(args) => grade::grade(&args),
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            let mut out = std::io::stdout().lock();
            clap_complete::generate(shell, &mut command, "stickylab", &mut out);
            let _ = out.flush();
            Ok(Outcome::Pass)
        }
        Command::Man { command } => man(command.as_deref()),
    }
}

/// `man`: the roff page of stickylab, or of one of its commands, on stdout.
fn man(name: Option<&str>) -> Result<Outcome, Error> {
    let mut command = <Cli as clap::CommandFactory>::command();
    // Gives every command its display name (`stickylab-compare`), the title of its page.
    command.build();
    let page = match name {
        None => command,
        Some(name) => match command.find_subcommand(name) {
            Some(sub) => sub.clone().version(env!("CARGO_PKG_VERSION")),
            None => {
                let names: Vec<&str> = command
                    .get_subcommands()
                    .map(clap::Command::get_name)
                    .collect();
                let names = names.join(", ");
                let text = said!(
                    "stickylab has no command `{name}` (its commands: {names})",
                    "stickylab 没有命令 `{name}`（它的命令有：{names}）"
                );
                return Err(Error::said(&terminal::language(None), &text));
            }
        },
    };
    let mut out = std::io::stdout().lock();
    // A closed pipe (`| head`) is not an error worth a message.
    let _ = clap_mangen::Man::new(page).render(&mut out);
    let _ = out.flush();
    Ok(Outcome::Pass)
}

/// A refused option value, said in Chinese when the user reads Chinese (`--lang zh` or a
/// Chinese locale among `args`, else a Chinese `$LANG`): clap checks the command line
/// before any `--lang` is known, so it would say it in English. `None` for every other
/// usage error, which clap prints as it is (its own `--help` is English).
pub fn usage_error_in_chinese(error: &clap::Error, args: &[String]) -> Option<String> {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    let flag = args
        .iter()
        .enumerate()
        .find_map(|(i, a)| match a.strip_prefix("--lang") {
            Some("") => args.get(i + 1).map(String::as_str),
            Some(rest) => rest.strip_prefix('='),
            None => None,
        });
    let lang = match flag {
        Some(tag) => report::language_of(tag)?.to_string(),
        None => terminal::language(None),
    };
    if lang != "zh" || error.kind() != ErrorKind::ValueValidation {
        return None;
    }
    let why = std::error::Error::source(error)?.downcast_ref::<crate::cli::BadValue>()?;
    let context = |kind| match error.get(kind) {
        Some(ContextValue::String(s)) => Some(s.as_str()),
        _ => None,
    };
    let (arg, value) = (
        context(ContextKind::InvalidArg)?,
        context(ContextKind::InvalidValue)?,
    );
    let why = why.0.get("zh");
    Some(format!(
        "错误：`{arg}` 的值 '{value}' 无效：{why}\n\n更多信息请运行 '--help'。"
    ))
}

/// Finds a scenario: an existing path or a `.lab` name is a file, anything else a
/// built-in name. Returns (name, file as shown, source bytes); an error in `lang`.
fn locate(arg: &str, lang: &str) -> Result<(String, String, Vec<u8>), Error> {
    let path = Path::new(arg);
    if path.exists() || arg.ends_with(".lab") || arg.contains('/') {
        let source = std::fs::read(path).map_err(|e| {
            let why = e.to_string();
            let text = said!(
                "cannot read scenario file `{arg}`: {why}",
                "无法读取场景文件 `{arg}`：{why}"
            );
            Error::said(lang, &text)
        })?;
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
            let (hint, hint_zh) = match catalog::nearest(arg) {
                Some(near) => (
                    format!("; did you mean `{near}`?"),
                    format!("；你是想写 `{near}` 吗？"),
                ),
                None => (String::new(), String::new()),
            };
            let text = said!(
                "no built-in scenario named `{arg}`{hint} (`stickylab list` shows them all; \
                 a file path must exist or end in .lab)",
                "没有名为 `{arg}` 的内置场景{hint_zh}（`stickylab list` 列出全部内置场景；\
                 文件路径必须存在，或者以 .lab 结尾）"
            );
            Err(Error::said(lang, &text))
        }
    }
}

/// What a scenario is parsed with: `--param`s, the run limit its sleeps must fit in,
/// and the language its diagnostics are written in.
struct ParseWith<'a> {
    params: &'a [(String, String)],
    run_limit: Option<Duration>,
    lang: &'a str,
}

/// Parses a scenario, turning its diagnostics into one error text.
fn parse(name: &str, file: &str, source: &[u8], with: &ParseWith<'_>) -> Result<Scenario, Error> {
    let run_limit = with.run_limit.unwrap_or(scenario::DEFAULT_RUN_LIMIT);
    scenario::parse_for_run(file, name, source, with.params, run_limit).map_err(|diagnostics| {
        let source = String::from_utf8_lossy(source);
        let rendered: Vec<String> = diagnostics
            .iter()
            .map(|d| d.render_in(&source, with.lang))
            .collect();
        Error(rendered.join("\n"))
    })
}

fn load(arg: &str, with: &ParseWith<'_>) -> Result<Scenario, Error> {
    let (name, file, source) = locate(arg, with.lang)?;
    parse(&name, &file, &source, with)
}

fn list(args: &ListArgs) -> Result<Outcome, Error> {
    let options = terminal::report_options(args.lang.as_deref());
    let with = ParseWith {
        params: &[],
        run_limit: None,
        lang: &options.lang,
    };
    let mut entries = Vec::new();
    for builtin in catalog::all() {
        let scenario = parse(
            builtin.name,
            &builtin.file(),
            builtin.source.as_bytes(),
            &with,
        )?;
        if let Some(tag) = &args.tag
            && !scenario.tags.iter().any(|t| t == tag)
        {
            continue;
        }
        entries.push(Listed {
            title: scenario.title.get(&options.lang).unwrap_or("").to_string(),
            name: scenario.name,
            tags: scenario.tags,
        });
    }
    if entries.is_empty() {
        let tag = args.tag.as_deref().unwrap_or("");
        let text = said!(
            "no built-in scenario has the tag `{tag}`",
            "没有哪个内置场景带有标签 `{tag}`"
        );
        return Err(Error::said(&options.lang, &text));
    }
    let reporter = report::reporter(args.format, options);
    let _ = reporter.list(&entries, &mut std::io::stdout().lock());
    Ok(Outcome::Pass)
}

fn check(
    files: &[std::path::PathBuf],
    format: Format,
    run_limit: Option<Duration>,
    lang: Option<&str>,
) -> Result<Outcome, Error> {
    let options = terminal::report_options(lang);
    let with = ParseWith {
        params: &[],
        run_limit,
        lang: &options.lang.clone(),
    };
    let reporter = report::reporter(format, options);
    let mut errors = Vec::new();
    for path in files {
        // A file, or a built-in scenario by name (as `run` and `show` take them).
        let (name, arg, source) = match locate(&path.display().to_string(), with.lang) {
            Ok(found) => found,
            Err(e) => {
                errors.push(e.0);
                continue;
            }
        };
        match parse(&name, &arg, &source, &with) {
            Ok(s) => {
                let checked = Checked {
                    actors: s.actors.len(),
                    steps: count_steps(&s.body),
                    file: arg,
                };
                let _ = reporter.checked(&checked, &mut std::io::stdout().lock());
            }
            Err(e) => errors.push(e.0),
        }
    }
    if errors.is_empty() {
        Ok(Outcome::Pass)
    } else {
        Err(Error(errors.join("\n")))
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
    let options = ReportOptions {
        max_data: args.max_data,
        full: args.full,
        ..terminal::report_options(args.lang.as_deref())
    };
    let lang = options.lang.clone();
    let shown = options.clone();
    let reporter = report::reporter(args.format, options);
    let seed = args.seed.unwrap_or_else(|| rand::random::<u32>().into());
    let with = ParseWith {
        params: &args.params,
        run_limit: args.run_limit,
        lang: &lang,
    };
    // Every scenario is parsed before anything runs: a file with an error runs nothing.
    let mut scenarios: Vec<Scenario> = match &args.scenario {
        Some(arg) => vec![load(arg, &with)?],
        None => catalog::all()
            .iter()
            .map(|b| parse(b.name, &b.file(), b.source.as_bytes(), &with))
            .collect::<Result<_, _>>()?,
    };
    let (peers, clients) = split_peers(&args.peers);
    for scenario in &scenarios {
        check_peers(args, (&peers, &clients), scenario, &lang)?;
    }
    let class = class_mode(args, &scenarios, &lang)?;
    // The namespaces of --net veth (or of the scenarios tagged veth) before the capture,
    // which runs in one of them.
    let nets = net::prepare(args, &mut scenarios, &lang)?;
    if !args.peers.is_empty() && scenarios.iter().any(|s| nets.of(s).is_some()) {
        let text = said!(
            "--peer: your program runs outside the network namespaces of --net veth (and of a scenario tagged veth), where the lab's actors cannot reach it; add --net lo",
            "--peer：你的程序在 --net veth（或带 veth 标签的场景）的网络命名空间之外，实验室的角色连不到它；加上 --net lo"
        );
        return Err(Error::said(&lang, &text));
    }
    // The capture starts before the run, or nothing runs.
    let wire = wire::start(args, &shown, nets.net())?;
    // Before the runner starts any actor thread (see `interrupt`).
    let cancel = interrupt::on_ctrl_c();
    let runs = Runs {
        reporter: reporter.as_ref(),
        runner: Runner::new(),
        args,
        seed,
        cancel,
        lang: &lang,
        class,
        wire,
        nets,
        peers,
        clients,
    };
    // Without --all there is one scenario; with --repeat 1 it runs once.
    if !args.all
        && args.repeat == 1
        && let [_] = scenarios.as_slice()
        && let Some(scenario) = scenarios.pop()
    {
        return Ok(runs.once(scenario));
    }
    Ok(runs.many(scenarios))
}

/// Refuses, before anything runs, an address beyond loopback (in `--peer` or in the
/// scenario) without `--allow-remote`, and the lines a program given with `--peer`
/// cannot play (see [`crate::run::peer`]).
fn check_peers(
    args: &RunArgs,
    (peers, clients): (&[crate::run::Peer], &[String]),
    scenario: &Scenario,
    lang: &str,
) -> Result<(), Error> {
    if !args.allow_remote
        && let Some(peer) = peers
            .iter()
            .find(|p| !crate::net::addr::is_own(p.addr.ip()))
    {
        let (actor, addr) = (&peer.actor, peer.addr);
        let why = crate::net::addr::not_own(addr);
        let said = Said::both(
            format!("--peer {actor}={addr}: {}", why.en()),
            format!("--peer {actor}={addr}：{}", why.get("zh")),
        );
        return Err(Error::said(lang, &said));
    }
    if !args.allow_remote {
        crate::run::peer::check_addresses(scenario)
            .map_err(|e| Error(e.render(lang).trim_end().to_string()))?;
    }
    crate::run::peer::check(scenario, peers, clients)
        .map_err(|e| Error(e.render(lang).trim_end().to_string()))?;
    // Tell the user where to point their program.
    for (client, at) in crate::run::peer::where_clients_connect(scenario, clients) {
        let said = said!(
            "{client} is your program: connect it to {at} (the run waits for it as long as the accept's deadline)",
            "{client} 是你的程序：让它连接 {at}（运行等它的时间就是 accept 的期限）"
        );
        eprintln!("{}", said.get(lang));
    }
    Ok(())
}

/// The `--peer`s that listen and those that connect.
fn split_peers(args: &[crate::cli::PeerArg]) -> (Vec<crate::run::Peer>, Vec<String>) {
    let mut peers = Vec::new();
    let mut clients = Vec::new();
    for arg in args {
        match arg {
            crate::cli::PeerArg::Listens(peer) => peers.push(peer.clone()),
            crate::cli::PeerArg::Connects(name) => clients.push(name.clone()),
        }
    }
    (peers, clients)
}

/// The limit of a run in class mode when `--run-limit` is not given: a lesson is long.
const CLASS_RUN_LIMIT: Duration = Duration::from_secs(4 * 3600);

/// The gate and pace of class mode (`--step`, `--slow`), if asked for and possible.
fn class_mode(
    args: &RunArgs,
    scenarios: &[Scenario],
    lang: &str,
) -> Result<Option<(Arc<Gate>, class::Pace)>, Error> {
    let pace = match (args.step, args.slow) {
        (true, _) => class::Pace::Keys,
        (false, Some(pause)) => class::Pace::Timer(pause),
        (false, None) => return Ok(None),
    };
    if args.repeat > 1 {
        let text = said!(
            "--step and --slow show one run: leave out --repeat",
            "--step 和 --slow 只演示一次运行：去掉 --repeat"
        );
        return Err(Error::said(lang, &text));
    }
    let keyboard = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    if pace == class::Pace::Keys && !keyboard {
        let text = said!(
            "--step needs a terminal (it waits for Enter); use --slow 2s to release each group of lines on a timer",
            "--step 需要终端（它等待回车）；用 --slow 2s 按时间逐组运行"
        );
        return Err(Error::said(lang, &text));
    }
    let (Some(arg), [scenario]) = (args.scenario.as_deref(), scenarios) else {
        return Ok(None);
    };
    let (_, _, source) = locate(arg, lang)?;
    let schedule = Schedule::new(scenario, &String::from_utf8_lossy(&source));
    Ok(Some((Arc::new(Gate::new(schedule)), pace)))
}

/// What the runs of one `run` command share.
struct Runs<'a> {
    reporter: &'a dyn Reporter,
    runner: Runner,
    args: &'a RunArgs,
    /// The seed of the first run; run k uses `seed + k`.
    seed: u64,
    /// Set by the first Ctrl-C.
    cancel: Arc<AtomicBool>,
    /// The language of what is said on stderr.
    lang: &'a str,
    /// Class mode: the gate of the run and how it is released.
    class: Option<(Arc<Gate>, class::Pace)>,
    /// `--wire`, `--pcap`: the capture of the one run.
    wire: Option<wire::Asked>,
    /// `--net veth`: the namespaces, and which scenarios run in them.
    nets: net::Nets,
    /// `--peer`: the programs that listen, and those that connect.
    peers: Vec<crate::run::Peer>,
    clients: Vec<String>,
}

impl Runs<'_> {
    fn options(&self, k: u64, scenario: &Scenario) -> RunOptions {
        RunOptions {
            net: self.nets.of(scenario),
            seed: self.seed.wrapping_add(k),
            timeout: self.args.timeout,
            run_limit: match &self.class {
                Some(_) => self.args.run_limit.or(Some(CLASS_RUN_LIMIT)),
                None => self.args.run_limit,
            },
            cancel: Some(Arc::clone(&self.cancel)),
            gate: self.class.as_ref().map(|(gate, _)| Arc::clone(gate)),
            peers: self.peers.clone(),
            clients: self.clients.clone(),
            allow_remote: self.args.allow_remote,
        }
    }

    /// One run, its report written as the run goes.
    fn once(mut self, scenario: Scenario) -> Outcome {
        let scenario = Arc::new(scenario);
        let options = self.options(0, &scenario);
        let mut out = std::io::stdout().lock();
        let mut verdict = Verdict::default();
        let class = self.class.as_ref().map(|(gate, pace)| {
            class::Class::start(Arc::clone(gate), *pace, Arc::clone(&self.cancel), self.lang)
        });
        // With a capture the report waits for it: the run is kept, then joined to
        // its segments and played into the report (app/wire.rs).
        let mut keep = wire::Keep::default();
        {
            let mut live = match &self.wire {
                None => Some(self.reporter.run(&scenario, &mut out)),
                Some(_) => None,
            };
            let report: &mut dyn Sink = match live.as_mut() {
                Some(report) => report.as_mut(),
                None => &mut keep,
            };
            let mut both = Tee(report, &mut verdict);
            match &class {
                Some(class) => {
                    // The watch first: at the end it lets the last panel out before
                    // the report.
                    let mut watch = class.watch();
                    let mut all = Tee(&mut watch, &mut both);
                    self.runner.run_into(&scenario, &options, &mut all);
                }
                None => self.runner.run_into(&scenario, &options, &mut both),
            }
        }
        let _ = out.flush();
        let mut written = true;
        if let Some(wire) = self.wire.take() {
            written = wire.finish(keep, self.reporter, &scenario, &mut out);
        }
        if let Some(class) = class
            && class.finish()
        {
            let text = said!(
                "stopped with q: the run is incomplete",
                "按 q 停止：本次运行不完整"
            );
            eprintln!("{}", text.get(self.lang));
            return Outcome::Fail;
        }
        if interrupt::pressed(&self.cancel) {
            let finished = u64::from(!verdict.interrupted);
            eprintln!("{}", interrupted_line(self.lang, finished, 1));
            return Outcome::Interrupted;
        }
        Outcome::of(verdict.passed && written)
    }

    /// `--repeat` of one scenario, or `--all`: each scenario's runs into its repeat
    /// report, then (with `--all`) the catalog of their summaries.
    fn many(mut self, scenarios: Vec<Scenario>) -> Outcome {
        let repeat = self.args.repeat;
        let planned = repeat.saturating_mul(scenarios.len() as u64);
        let mut out = std::io::stdout().lock();
        let mut summaries: Vec<Summary> = Vec::new();
        for scenario in scenarios {
            if interrupt::pressed(&self.cancel) {
                break;
            }
            let scenario = Arc::new(scenario);
            let progress = progress_bar(repeat, &scenario.name, self.lang);
            let mut report = self
                .reporter
                .repeat(&scenario, self.seed, self.args.all, &mut out);
            for k in 0..repeat {
                // Between runs: Ctrl-C starts no further run (the runner ends the current
                // one).
                if interrupt::pressed(&self.cancel) {
                    break;
                }
                let options = self.options(k, &scenario);
                self.runner.run_into(&scenario, &options, &mut report);
                progress.inc(1);
            }
            progress.finish_and_clear();
            summaries.push(report.finish());
        }
        let interrupted = interrupt::pressed(&self.cancel);
        if interrupted {
            let finished = summaries.iter().map(|s| s.runs).sum();
            eprintln!("{}", interrupted_line(self.lang, finished, planned));
        }
        if self.args.all {
            let _ = self.reporter.catalog(&summaries, &mut out);
        }
        let _ = out.flush();
        if interrupted {
            Outcome::Interrupted
        } else {
            Outcome::of(summaries.iter().all(Summary::passed))
        }
    }
}

/// `interrupted: 37 of 2000 runs finished`.
fn interrupted_line(lang: &str, finished: u64, planned: u64) -> String {
    let runs = if planned == 1 { "run" } else { "runs" };
    let text = said!(
        "interrupted: {finished} of {planned} {runs} finished",
        "已中断：{planned} 次运行中完成了 {finished} 次"
    );
    text.get(lang).to_string()
}

/// A progress bar on a terminal's stderr; hidden when stderr is not a terminal.
fn progress_bar(runs: u64, name: &str, lang: &str) -> ProgressBar {
    if runs < 2 || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(runs), ProgressDrawTarget::stderr());
    let template = Said::both(
        "{msg} {wide_bar} {pos}/{len} runs, {eta} left",
        "{msg} {wide_bar} {pos}/{len} 次运行，还剩 {eta}",
    );
    if let Ok(style) = ProgressStyle::with_template(template.get(lang)) {
        bar.set_style(style);
    }
    bar.set_message(name.to_string());
    bar
}
