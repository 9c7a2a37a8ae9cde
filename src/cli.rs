//! The command line (clap derive types only).

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

pub use crate::report::Format;
use crate::text::{Said, said};

/// A laboratory for TCP's sticky packets (粘包): run scenarios on real loopback sockets
/// and see the chunk boundaries every recv saw.
#[derive(Debug, Parser)]
#[command(name = "stickylab", version, about, long_about = None)]
#[command(
    after_help = "Examples:\n  stickylab list\n  stickylab run hello-world\n  \
stickylab run my-experiment.lab --format json\n  stickylab run nagle-stall --param rounds=5\n  \
stickylab check scenarios/*.lab\n  \
stickylab compare nagle-stall nagle-stall-nodelay\n  \
stickylab new my-experiment.lab\n  \
stickylab proxy 127.0.0.1:9000 127.0.0.1:8000 --seed 7\n  \
stickylab completions bash > ~/.local/share/bash-completion/completions/stickylab\n  \
stickylab man > stickylab.1"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the built-in scenarios (name, title, tags)
    List(ListArgs),
    /// Run a scenario: a built-in NAME or a .lab FILE
    Run(RunArgs),
    /// Print the source of a scenario (a built-in NAME or a FILE)
    Show {
        /// A built-in scenario's name, or the path of a .lab file
        scenario: String,
        /// Language of the error messages (en, zh; zh_CN and the like are zh); default
        /// from $LANG, else en
        #[arg(long, value_parser = parse_lang, value_name = "LANG")]
        lang: Option<String>,
    },
    /// Parse and check scenario files (or built-in scenarios) without running them
    Check {
        /// The .lab files to check, or built-in scenarios by name
        #[arg(required = true, value_name = "FILE|NAME")]
        files: Vec<PathBuf>,
        /// Output format
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// The run limit the sleeps of each file must fit in (e.g. 30s, 1h); default 10m
        #[arg(long, value_parser = parse_deadline, value_name = "DURATION")]
        run_limit: Option<Duration>,
        /// Language of the diagnostics and hints (en, zh; zh_CN and the like are zh);
        /// default from $LANG, else en
        #[arg(long, value_parser = parse_lang, value_name = "LANG")]
        lang: Option<String>,
    },
    /// Run two scenarios many times each; their chunkings, timers and verdicts side by
    /// side, differences marked ≠
    #[command(long_about = COMPARE_ABOUT, after_help = COMPARE_EXAMPLES)]
    Compare(CompareArgs),
    /// Write a commented template scenario to FILE, to start an experiment from
    #[command(after_help = NEW_EXAMPLES)]
    New(NewArgs),
    /// A re-chunking TCP proxy: forward LISTEN to TARGET, both directions cut into
    /// pieces at seeded offsets (writes split and merged)
    #[command(long_about = PROXY_ABOUT, after_help = PROXY_EXAMPLES)]
    Proxy(ProxyArgs),
    /// Print a shell completion script for bash, zsh, fish, elvish or powershell
    #[command(after_help = COMPLETIONS_EXAMPLES)]
    Completions {
        /// The shell the script is for
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) on stdout
    #[command(
        after_help = "Examples:\n  stickylab man > stickylab.1\n  stickylab man | man -l -\n  \
stickylab man compare | man -l -"
    )]
    Man {
        /// A command's own page (stickylab-compare(1)); default: the main page
        #[arg(value_name = "COMMAND")]
        command: Option<String>,
    },
}

const COMPARE_ABOUT: &str = "Run two scenarios (or one with two parameter sets) many \
times each and show side by side, for every recv-like step, the chunks its recv() calls \
got (how often each pattern came), every timer (count, min, p50, p90, max over all \
runs) and how often each expectation held. Rows that differ are marked ≠ (and coloured \
on a terminal).

A and B are built-in names or .lab files; B defaults to A, to compare one scenario with \
two parameter sets: --param applies to both sides, --param-a and --param-b to one side \
(after --param). Steps are paired by actor and order: the first recv-like step of \
`server` in A with the first of `server` in B, and so on, so two files with shifted \
lines still line up. Chunkings differ when the sets of chunk patterns differ (not their \
shares), timers when one side's value is at least twice the other's and 1 ms apart, \
verdicts when the pass rates differ.";

const COMPARE_EXAMPLES: &str = "Examples:
  stickylab compare nagle-stall nagle-stall-nodelay
  stickylab compare nagle-stall quickack-fix --repeat 5 --param rounds=5
  stickylab compare nagle-stall --param-a rounds=2 --param-b rounds=10
  stickylab compare hello-world my-hello.lab --format json";

const NEW_EXAMPLES: &str = "Examples:
  stickylab new my-experiment.lab
  stickylab new my-experiment.lab --force    # overwrite it
  stickylab check my-experiment.lab && stickylab run my-experiment.lab";

const COMPLETIONS_EXAMPLES: &str = "Examples:
  stickylab completions bash > ~/.local/share/bash-completion/completions/stickylab
  stickylab completions zsh > ~/.zfunc/_stickylab
  stickylab completions fish > ~/.config/fish/completions/stickylab.fish";

const PROXY_ABOUT: &str = "Forward every connection made to LISTEN to TARGET and back, \
cutting each direction's byte stream into pieces whose sizes a seed draws from --sizes, \
whatever the sender's writes were: a write is split, and consecutive writes are merged (the \
proxy holds the bytes until a piece is complete). Put it in front of your server (or \
behind your client) to see whether it frames messages or trusts one recv() to be one \
message.

A partial piece is sent early only when the sender has been idle for --hold, so a \
request/reply protocol never stalls. The proxy's sockets use TCP_NODELAY, and after each \
piece it waits until the receiving program has read it (seen in the kernel's socket \
table when that program runs on this machine), at most --gap, so its next recv() gets \
the next piece alone. Both directions of every connection, many connections at once; \
at most one piece per direction is held in memory. An end (FIN) is passed on as \
shutdown(SHUT_WR), a reset as a reset.

The cuts depend only on the seed and the byte offsets: two runs with the same seed cut a \
sender that does not pause at the same places (early flushes only add cuts). --record \
writes one JSON line per piece (conn, dir c2s/s2c, offset, len, t_us since the \
connection was accepted, early); --replay cuts at a record's boundaries again, then \
follows the seed past them.";

const PROXY_EXAMPLES: &str = "Examples:
  stickylab proxy 127.0.0.1:9000 127.0.0.1:8000 --seed 7    # clients connect to 9000
  stickylab proxy 9000 localhost:8000 --sizes 1-8             # tiny pieces
  stickylab proxy 9000 127.0.0.1:8000 --seed 7 --record cuts.jsonl --once
  stickylab proxy 9000 127.0.0.1:8000 --replay cuts.jsonl     # the same cuts again";

/// The largest `compare --repeat`: both sides run this many times.
pub const MAX_COMPARE_REPEAT: u64 = 1000;

/// The output formats of `compare`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CompareFormat {
    /// Side-by-side tables for people
    Table,
    /// One JSON object: both summaries and the differences
    Json,
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The first scenario: a built-in name or a .lab file
    #[arg(value_name = "A")]
    pub a: String,
    /// The second scenario; default: A again (give --param-a/--param-b)
    #[arg(value_name = "B")]
    pub b: Option<String>,
    /// How many times each side runs (1 to 1000; run k uses seed+k on both sides)
    #[arg(long, value_name = "N", default_value_t = 20, value_parser = parse_compare_repeat)]
    pub repeat: u64,
    /// Set a parameter on both sides (repeatable)
    #[arg(long = "param", value_name = "NAME=VALUE", value_parser = parse_param)]
    pub params: Vec<(String, String)>,
    /// Set a parameter on side A only, after --param (repeatable)
    #[arg(long = "param-a", value_name = "NAME=VALUE", value_parser = parse_param)]
    pub params_a: Vec<(String, String)>,
    /// Set a parameter on side B only, after --param (repeatable)
    #[arg(long = "param-b", value_name = "NAME=VALUE", value_parser = parse_param)]
    pub params_b: Vec<(String, String)>,
    /// Output format
    #[arg(long, value_enum, default_value_t = CompareFormat::Table)]
    pub format: CompareFormat,
    /// Seed of the first run of each side; default: a fresh one
    #[arg(long)]
    pub seed: Option<u64>,
    /// Deadline of every step, overriding the scenarios' `timeout:` (e.g. 2s, 300ms)
    #[arg(long, value_parser = parse_deadline, value_name = "DURATION")]
    pub timeout: Option<Duration>,
    /// Limit of each run (e.g. 30s, 1h); default 10m
    #[arg(long, value_parser = parse_deadline, value_name = "DURATION")]
    pub run_limit: Option<Duration>,
    /// Language of the report (en, zh; zh_CN and the like are zh); default from $LANG,
    /// else en
    #[arg(long, value_parser = parse_lang, value_name = "LANG")]
    pub lang: Option<String>,
}

#[derive(Debug, Args)]
pub struct ProxyArgs {
    /// Where to listen: HOST:PORT (an IP literal or localhost) or a PORT on 127.0.0.1;
    /// port 0 picks a free one (printed on stderr)
    #[arg(value_parser = parse_listen_addr)]
    pub listen: SocketAddr,
    /// The server to forward to: HOST:PORT (an IP literal or localhost), or a PORT on
    /// 127.0.0.1
    #[arg(value_parser = parse_listen_addr)]
    pub target: SocketAddr,
    /// Seed of the piece sizes (printed on stderr, so the cuts can be had again);
    /// default: a fresh one
    #[arg(long)]
    pub seed: Option<u64>,
    /// The range of piece sizes in bytes, MIN-MAX (at most 65536), or one size N
    #[arg(long, value_name = "MIN-MAX", default_value = "1-64", value_parser = parse_sizes)]
    pub sizes: (usize, usize),
    /// Send a partial piece when the sender has been idle this long (0: as soon as
    /// nothing more is there)
    #[arg(long, value_name = "DURATION", default_value = "5ms", value_parser = parse_pause)]
    pub hold: Duration,
    /// After a piece, wait at most this long for the receiver to read it before the next
    /// one (0: do not wait; pieces may then merge at the receiver)
    #[arg(long, value_name = "DURATION", default_value = "2ms", value_parser = parse_pause)]
    pub gap: Duration,
    /// Write one JSON line per piece to FILE
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// Cut at the boundaries a --record FILE holds (same connection numbers and
    /// directions), then as the seed says
    #[arg(long, value_name = "FILE")]
    pub replay: Option<PathBuf>,
    /// Accept one connection, and end when it ends
    #[arg(long)]
    pub once: bool,
    /// Language of the messages (en, zh; zh_CN and the like are zh); default from $LANG,
    /// else en
    #[arg(long, value_parser = parse_lang, value_name = "LANG")]
    pub lang: Option<String>,
}

#[derive(Debug, Args)]
pub struct NewArgs {
    /// The file to write (a .lab file; its directory must exist)
    pub file: PathBuf,
    /// Overwrite FILE if it exists
    #[arg(long)]
    pub force: bool,
    /// Language of the messages (en, zh; zh_CN and the like are zh); default from $LANG,
    /// else en
    #[arg(long, value_parser = parse_lang, value_name = "LANG")]
    pub lang: Option<String>,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only scenarios with this tag
    #[arg(long)]
    pub tag: Option<String>,
    /// Language of the titles (en, zh; zh_CN and the like are zh); default from $LANG,
    /// else en
    #[arg(long, value_parser = parse_lang, value_name = "LANG")]
    pub lang: Option<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// A built-in scenario's name (see `stickylab list`) or the path of a .lab file
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    pub scenario: Option<String>,
    /// Run every built-in scenario, in catalog order, and end with a summary
    #[arg(long)]
    pub all: bool,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Set a parameter the scenario declares with `param:` (repeatable; not with --all,
    /// where each scenario declares its own)
    #[arg(long = "param", value_name = "NAME=VALUE", value_parser = parse_param, conflicts_with = "all")]
    pub params: Vec<(String, String)>,
    /// Seed of the `random` values (printed in every report, so a run can be replayed);
    /// default: a fresh one
    #[arg(long)]
    pub seed: Option<u64>,
    /// Deadline of every step, overriding the scenario's `timeout:` (e.g. 2s, 300ms)
    #[arg(long, value_parser = parse_deadline, value_name = "DURATION")]
    pub timeout: Option<Duration>,
    /// Limit of a whole run, whatever its steps' deadlines (e.g. 30s, 1h); default 10m
    #[arg(long, value_parser = parse_deadline, value_name = "DURATION")]
    pub run_limit: Option<Duration>,
    /// Language of the title and about text (en, zh; zh_CN and the like are zh);
    /// default from $LANG, else en
    #[arg(long, value_parser = parse_lang, value_name = "LANG")]
    pub lang: Option<String>,
    /// Show everything in the tables: every event of a long run (not only its first and
    /// last 1000) and every expectation row (rounds that saw the same are not folded)
    #[arg(long)]
    pub full: bool,
    /// With --format json, the largest `data` an event holds whole (e.g. 64K, 1M, 0);
    /// longer data keeps its first and last halves, and `data_elided` counts the rest
    #[arg(long, value_name = "SIZE", default_value = "64K", value_parser = parse_size)]
    pub max_data: usize,
    /// Run N times and summarise the outcomes of every recv (run k uses seed+k)
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = parse_repeat)]
    pub repeat: u64,
    /// Class mode: pause before each group of lines until Enter (c runs the rest, q
    /// stops). A group is a paragraph of the file (lines between blank lines, or a line
    /// `# pause`) and each round of a repeat block: the lines of one group run together,
    /// because a pause between two lines changes the timing (between `send "ab"` and
    /// `send "cd"` it lets "ab" be acknowledged, and Nagle would never stall). A released
    /// step that blocks in the kernel shows as waiting. Needs a terminal; see --slow
    #[arg(long, conflicts_with_all = ["all", "slow"])]
    pub step: bool,
    /// Class mode on a timer: release each group of lines (see --step) after DURATION
    /// (e.g. 2s), for a projector without a keyboard at hand
    #[arg(long, value_parser = parse_deadline, value_name = "DURATION", conflicts_with = "all")]
    pub slow: Option<Duration>,
    /// Capture the run's TCP segments on the loopback interface and show them after the
    /// table report: direction, flags, stream offsets, and the sends each carried. Needs
    /// CAP_NET_RAW (root, or `setcap cap_net_raw+ep` on the binary)
    #[arg(long, conflicts_with = "all")]
    pub wire: bool,
    /// Write the run's captured packets to FILE as pcapng (for tcpdump -r or Wireshark);
    /// implies --wire
    #[arg(long, value_name = "FILE", conflicts_with = "all")]
    pub pcap: Option<PathBuf>,
    /// Let a program of yours play ACTOR: with =HOST:PORT, a program already listening
    /// there (the others connect to it); without, a program that connects to the lab
    /// (to an actor that listens on a port the file names, `listen on 8000`). That
    /// actor's lines are not run; what the others send and receive is recorded as usual
    /// (repeatable)
    #[arg(long = "peer", value_name = "ACTOR[=HOST:PORT]", value_parser = parse_peer, conflicts_with = "all")]
    pub peers: Vec<PeerArg>,
    /// Allow addresses beyond this machine's loopback (127.0.0.0/8, ::1) in the
    /// scenario and in --peer; without it they are refused before any socket opens
    #[arg(long)]
    pub allow_remote: bool,
    /// Where the actors run: `lo` (every actor on the loopback interface) or `veth` (two
    /// network namespaces joined by a veth pair, offloads off, so a send larger than the
    /// MSS leaves as real segments; the actors that listen in one, the others in the
    /// other). Default: veth for a scenario tagged `veth`, else lo. veth needs root (or
    /// CAP_SYS_ADMIN and CAP_NET_ADMIN); --wire and --pcap then capture on the veth pair
    #[arg(long, value_enum, value_name = "NET")]
    pub net: Option<NetKind>,
    /// The MTU of the veth pair (68 to 65535; default 1500, whose MSS carries 1448 bytes
    /// of data with TCP timestamps)
    #[arg(long, value_name = "BYTES", value_parser = parse_mtu)]
    pub mtu: Option<u32>,
}

/// Where the actors of `run` open their sockets (`--net`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum NetKind {
    /// Loopback, in the namespace stickylab runs in
    Lo,
    /// Two network namespaces joined by a veth pair
    Veth,
}

/// `--mtu`: an MTU a veth accepts.
fn parse_mtu(text: &str) -> Result<u32, BadValue> {
    let range = crate::netns::MTU_RANGE;
    let (min, max) = (range.start(), range.end());
    match text.parse::<u32>() {
        Ok(n) if range.contains(&n) => Ok(n),
        _ => Err(BadValue(said!(
            "`{text}` is not an MTU of a veth pair (give {min} to {max}, e.g. --mtu 1500)",
            "`{text}` 不是 veth 对的 MTU（给 {min} 到 {max}，比如 --mtu 1500）"
        ))),
    }
}

/// Why the value of an option was refused, in English (what clap prints) and Chinese
/// (what `main` prints instead when the user reads Chinese; see
/// [`crate::app::usage_error_in_chinese`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadValue(pub Said);

impl std::fmt::Display for BadValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0.en())
    }
}

impl std::error::Error for BadValue {}

fn parse_param(text: &str) -> Result<(String, String), BadValue> {
    match text.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() => {
            Ok((name.trim().to_string(), value.to_string()))
        }
        _ => Err(BadValue(said!(
            "expected NAME=VALUE, got `{text}`",
            "应为 NAME=VALUE，实际是 `{text}`"
        ))),
    }
}

/// One `--peer`: a program that listens (`ACTOR=HOST:PORT`) or one that connects
/// (`ACTOR`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeerArg {
    Listens(crate::run::Peer),
    Connects(String),
}

/// `--peer ACTOR=HOST:PORT` or `--peer ACTOR`.
fn parse_peer(text: &str) -> Result<PeerArg, BadValue> {
    let bad = || {
        BadValue(said!(
            "expected ACTOR=HOST:PORT (e.g. server=127.0.0.1:8000) or ACTOR, got `{text}`",
            "应为 ACTOR=HOST:PORT（例如 server=127.0.0.1:8000）或 ACTOR，实际是 `{text}`"
        ))
    };
    let Some((actor, addr)) = text.split_once('=') else {
        let actor = text.trim();
        return match crate::scenario::is_actor_name(actor) {
            true => Ok(PeerArg::Connects(actor.to_string())),
            false => Err(bad()),
        };
    };
    if actor.trim().is_empty() {
        return Err(bad());
    }
    match crate::net::addr::parse_host_port(addr.trim()) {
        Ok(addr) => Ok(PeerArg::Listens(crate::run::Peer {
            actor: actor.trim().to_string(),
            addr,
        })),
        Err(e) => Err(BadValue(said!("{e}", "{e}"))),
    }
}

/// `--lang`: a language the reports speak, from its code or a locale name.
fn parse_lang(text: &str) -> Result<String, BadValue> {
    crate::report::language_of(text)
        .map(str::to_owned)
        .ok_or_else(|| {
            let (en, zh) = (
                crate::report::LANGUAGES.join(" and "),
                crate::report::LANGUAGES.join(" 和 "),
            );
            BadValue(said!(
                "stickylab speaks {en}; `{text}` is none of them",
                "stickylab 会说 {zh}；`{text}` 不在其中"
            ))
        })
}

/// A byte count with an optional `K` or `M` (1024-based), as sizes are written in a
/// scenario: `65536`, `64K`, `1M`.
fn parse_size(text: &str) -> Result<usize, BadValue> {
    let (digits, unit) = match text.strip_suffix(['K', 'k']) {
        Some(d) => (d, 1024),
        None => match text.strip_suffix(['M', 'm']) {
            Some(d) => (d, 1024 * 1024),
            None => (text, 1),
        },
    };
    digits
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_mul(unit))
        .ok_or_else(|| {
            BadValue(said!(
                "`{text}` is not a size (e.g. 65536, 64K, 1M)",
                "`{text}` 不是大小（比如 65536、64K、1M）"
            ))
        })
}

/// `--repeat N`: how many runs, at least one.
fn parse_repeat(text: &str) -> Result<u64, BadValue> {
    match text.parse::<u64>() {
        Ok(0) => Err(BadValue(Said::both(
            "a scenario runs at least once: give 1 or more, or leave --repeat out",
            "场景至少运行一次：给 1 或更大的数，或者去掉 --repeat",
        ))),
        Ok(n) => Ok(n),
        Err(_) => Err(BadValue(said!(
            "`{text}` is not a count of runs (e.g. --repeat 200)",
            "`{text}` 不是运行次数（比如 --repeat 200）"
        ))),
    }
}

/// `compare --repeat N`: 1 to [`MAX_COMPARE_REPEAT`].
fn parse_compare_repeat(text: &str) -> Result<u64, BadValue> {
    let max = MAX_COMPARE_REPEAT;
    match parse_repeat(text)? {
        n if n > max => Err(BadValue(said!(
            "compare runs each side at most {max} times (`{text}` is more)",
            "compare 每一边最多运行 {max} 次（`{text}` 超过了）"
        ))),
        n => Ok(n),
    }
}

fn parse_deadline(text: &str) -> Result<Duration, BadValue> {
    match humantime::parse_duration(text) {
        Ok(d) if d.is_zero() => Err(BadValue(Said::both(
            "a deadline must be longer than zero (e.g. 300ms, 2s)",
            "时限必须大于零（比如 300ms、2s）",
        ))),
        Ok(d) => Ok(d),
        Err(e) => Err(BadValue(said!(
            "{e} (a duration looks like 300ms, 2s, 250us)",
            "{e}（时长写成 300ms、2s、250us 这样）"
        ))),
    }
}

/// An address for the proxy: `HOST:PORT` with an IP literal (`127.0.0.1:8000`,
/// `[::1]:8000`) or `localhost`, or a bare `PORT` on 127.0.0.1. No name is looked up.
fn parse_listen_addr(text: &str) -> Result<SocketAddr, BadValue> {
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Ok(addr);
    }
    let port = match text.strip_prefix("localhost:") {
        Some(port) => port,
        None => text,
    };
    port.parse::<u16>()
        .map(|port| SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
        .map_err(|_| {
            BadValue(said!(
                "`{text}` is not an address: write HOST:PORT with an IP address or localhost \
                 (127.0.0.1:8000, [::1]:8000, localhost:8000) or a port",
                "`{text}` 不是地址：写成 HOST:PORT，HOST 是 IP 地址或 localhost\
                 （127.0.0.1:8000、[::1]:8000、localhost:8000），或者只写端口"
            ))
        })
}

/// `--sizes MIN-MAX` or `--sizes N`: 1 <= MIN <= MAX <= 65536.
fn parse_sizes(text: &str) -> Result<(usize, usize), BadValue> {
    let (min, max) = text.split_once('-').unwrap_or((text, text));
    match (min.trim().parse::<usize>(), max.trim().parse::<usize>()) {
        (Ok(min), Ok(max)) if 1 <= min && min <= max && max <= 65536 => Ok((min, max)),
        _ => Err(BadValue(said!(
            "`{text}` is not a range of piece sizes: MIN-MAX with 1 <= MIN <= MAX <= 65536 \
             (e.g. 1-64), or one size",
            "`{text}` 不是分段大小的范围：写成 MIN-MAX，1 <= MIN <= MAX <= 65536\
             （比如 1-64），或者一个大小"
        ))),
    }
}

/// A pause that may be zero (`--hold 0`, `--gap 0`).
fn parse_pause(text: &str) -> Result<Duration, BadValue> {
    if text.trim() == "0" {
        return Ok(Duration::ZERO);
    }
    humantime::parse_duration(text).map_err(|e| {
        BadValue(said!(
            "{e} (a duration looks like 5ms, 250us, 0)",
            "{e}（时长写成 5ms、250us、0 这样）"
        ))
    })
}
