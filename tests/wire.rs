//! `run --wire` and `--pcap FILE`: the run's segments, captured on lo. Unprivileged (as
//! `nobody` through setpriv(1) when the tests run as root, directly otherwise) the flag
//! is refused before anything runs; as root the capture is read back with tcpdump(8).
//! The root tests say SKIPPED and pass when not root, or (outside CI) when tcpdump is
//! missing; under CI (`CI` or `STICKYLAB_CI` set) a missing tcpdump is a failure.

mod common;

use common::{ci, root, scratch, unprivileged};

use std::collections::BTreeSet;
use std::process::Command;

#[test]
fn wire_without_cap_net_raw_is_refused_before_the_run() {
    for (lang, words) in [("en", "needs CAP_NET_RAW"), ("zh", "需要 CAP_NET_RAW")] {
        for flag in [&["--wire"][..], &["--pcap", "x.pcapng"][..]] {
            let mut args = vec!["run", "hello-world", "--lang", lang];
            args.extend_from_slice(flag);
            let out = unprivileged(&args);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
            assert!(stderr.contains(words), "{args:?}: {stderr}");
            assert!(stderr.contains("setcap cap_net_raw+ep"), "{stderr}");
            assert!(
                out.stdout.is_empty(),
                "no report: {}",
                String::from_utf8_lossy(&out.stdout)
            );
        }
    }
}

#[test]
fn without_the_flag_there_is_no_wire_section_root_or_not() {
    let out = unprivileged(&["run", "hello-world"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("timeline"), "{text}");
    assert!(!text.lines().any(|l| l == "wire"), "{text}");
    let out = common::stickylab()
        .args(["run", "hello-world"])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(!text.lines().any(|l| l == "wire"), "{text}");
}

/// True when the root tests can run here; says why not otherwise.
fn can_capture() -> bool {
    if !root() {
        eprintln!("SKIPPED: capturing needs root (CAP_NET_RAW)");
        return false;
    }
    if Command::new("tcpdump").arg("--version").output().is_err() {
        assert!(
            !ci(),
            "CI must read the capture with tcpdump: install it (apt-get install tcpdump)"
        );
        eprintln!("SKIPPED: no tcpdump on this machine (apt-get install tcpdump)");
        return false;
    }
    true
}

/// One line of `tcpdump -nn -r`: ports, flags, the seq range if any, payload length.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Line {
    src: u16,
    dst: u16,
    flags: String,
    seq: Option<String>,
    length: u64,
    /// The line without its time stamp.
    text: String,
}

fn port(addr: &str) -> u16 {
    let addr = addr.trim().trim_end_matches(':');
    addr.rsplit_once('.')
        .and_then(|(_, p)| p.parse().ok())
        .unwrap_or_else(|| panic!("a port in {addr}"))
}

fn parse(line: &str) -> Line {
    let (_, text) = line.split_once(' ').expect("a time stamp");
    let rest = text
        .strip_prefix("IP ")
        .or_else(|| text.strip_prefix("IP6 "))
        .unwrap_or_else(|| panic!("an IP packet: {line}"));
    let (src, rest) = rest.split_once(" > ").expect("src > dst");
    let (dst, rest) = rest.split_once(": ").expect("dst:");
    let flags = rest
        .split_once("Flags [")
        .and_then(|(_, f)| f.split_once(']'))
        .map(|(f, _)| f.to_string())
        .expect("TCP flags");
    let seq = rest
        .split(", ")
        .find_map(|part| part.strip_prefix("seq "))
        .map(str::to_string);
    let length = rest
        .rsplit_once("length ")
        .and_then(|(_, n)| n.trim().parse().ok())
        .expect("a length");
    Line {
        src: port(src),
        dst: port(dst),
        flags,
        seq,
        length,
        text: text.to_string(),
    }
}

/// The `#` of the timeline row whose call contains `call`.
fn number_of(table: &str, call: &str) -> String {
    let row = table
        .lines()
        .find(|l| l.contains(call))
        .unwrap_or_else(|| panic!("a row for {call}: {table}"));
    let first = row
        .split(['│', '┆'])
        .map(str::trim)
        .find(|c| !c.is_empty())
        .expect("a # cell");
    format!("#{first}")
}

#[test]
fn pcap_holds_the_runs_one_connection_once_and_the_table_names_the_sends() {
    if !can_capture() {
        return;
    }
    let dir = scratch("pcap");
    let file = dir.join("x.pcapng");
    let out = common::stickylab()
        .args(["run", "hello-world", "--pcap"])
        .arg(&file)
        .output()
        .expect("runs");
    let table = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{table}{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let read = Command::new("tcpdump")
        .args(["-nn", "-r"])
        .arg(&file)
        .output()
        .expect("tcpdump runs");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(read.status.success(), "{read:?}");
    let text = String::from_utf8_lossy(&read.stdout);
    let lines: Vec<Line> = text.lines().map(parse).collect();

    // Only the run's one connection: one pair of ports, both ways.
    let pairs: BTreeSet<(u16, u16)> = lines
        .iter()
        .map(|l| (l.src.min(l.dst), l.src.max(l.dst)))
        .collect();
    assert_eq!(pairs.len(), 1, "{text}");
    // The SYN is the client's: that tells the direction of the data.
    let syn = lines.iter().find(|l| l.flags == "S").expect("a SYN");
    let (client, server) = (syn.src, syn.dst);
    // Nothing twice (lo's outgoing copies are dropped).
    let distinct: BTreeSet<&str> = lines.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(distinct.len(), lines.len(), "{text}");
    let count = |f: &dyn Fn(&Line) -> bool| lines.iter().filter(|l| f(l)).count();
    assert_eq!(count(&|l| l.flags == "S"), 1, "{text}");
    assert_eq!(count(&|l| l.flags == "S." && l.src == server), 1, "{text}");
    assert_eq!(
        count(&|l| l.flags.contains('F') && l.src == client),
        1,
        "{text}"
    );
    // The data: the 10 bytes of "hello" and "world", each byte in one segment only.
    let data: Vec<&Line> = lines
        .iter()
        .filter(|l| l.src == client && l.length > 0)
        .collect();
    assert_eq!(data.iter().map(|l| l.length).sum::<u64>(), 10, "{text}");
    let ranges: BTreeSet<&str> = data.iter().filter_map(|l| l.seq.as_deref()).collect();
    assert_eq!(ranges.len(), data.len(), "{text}");
    assert_eq!(
        count(&|l| l.src == server && l.length > 0),
        0,
        "the server sends nothing: {text}"
    );

    // The wire section: one row per frame of the capture, and the data segment that
    // starts the stream carried the send of "hello".
    let wire = table
        .split_once("\nwire\n")
        .map(|(_, w)| w)
        .unwrap_or_else(|| panic!("a wire section: {table}"));
    let hello = number_of(&table, "send \"hello\"");
    let first = wire
        .lines()
        .find(|l| l.contains(" 0..") && l.contains("client>server"))
        .unwrap_or_else(|| panic!("a row for the first bytes: {wire}"));
    assert!(first.contains(&hello), "{hello} in {first}");
    let world = number_of(&table, "send \"world\"");
    assert!(
        wire.lines()
            .any(|l| l.contains("..10 ") && l.contains(&world)),
        "{world} in {wire}"
    );
    let n = lines.len();
    assert!(
        wire.contains(&format!("{n} segments of the run's connections")),
        "{n}: {wire}"
    );
}

#[test]
fn wire_leaves_the_json_one_object() {
    if !root() {
        eprintln!("SKIPPED: capturing needs root (CAP_NET_RAW)");
        return;
    }
    let out = common::stickylab()
        .args(["run", "hello-world", "--wire", "--format", "json"])
        .output()
        .expect("runs");
    assert!(out.status.success());
    let run: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(run["scenario"], "hello-world");
}

#[test]
fn wire_with_repeat_is_refused() {
    let out = common::stickylab()
        .args(["run", "hello-world", "--wire", "--repeat", "2"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("leave out --repeat"));
    assert!(out.stdout.is_empty());
}

/// The cells of a table row, trimmed.
fn cells(row: &str) -> Vec<&str> {
    row.split(['│', '┆'])
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect()
}

/// paced-split's one send of 20,000 bytes (its connect's detail ends in `; mss 1000`)
/// leaves in several segments: each names that send, and together they cover it.
#[test]
fn a_send_split_on_the_wire_is_named_by_each_of_its_segments() {
    if !root() {
        eprintln!("SKIPPED: capturing needs root (CAP_NET_RAW)");
        return;
    }
    let out = common::stickylab()
        .args(["run", "paced-split", "--wire"])
        .output()
        .expect("runs");
    let table = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{table}");
    let send = number_of(&table, "send bytes 20000");
    let (_, wire) = table.split_once("\nwire\n").expect("a wire section");
    // t, direction, flags, bytes, len, ack, sends, recvs: rows with bytes have 8 cells.
    let data: Vec<Vec<&str>> = wire
        .lines()
        .map(cells)
        .filter(|c| c.len() == 8 && c[1] == "client>server" && c[4] != "0")
        .collect();
    assert!(data.len() >= 2, "{wire}");
    assert!(data.iter().all(|c| c[6] == send), "{send}: {wire}");
    let total: u64 = data
        .iter()
        .map(|c| c[4].parse::<u64>().expect("a length"))
        .sum();
    assert_eq!(total, 20_000, "{wire}");
    assert_eq!(data[0][3].split_once("..").map(|(a, _)| a), Some("0"));
    assert!(data.iter().any(|c| c[3].ends_with("..20000")), "{wire}");
}
