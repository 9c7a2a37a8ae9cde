//! `run --net veth`: the actors in two network namespaces joined by a veth pair. As root
//! the real binary runs and its capture is read back (pcap-file and etherparse, the
//! crates it writes and parses with, and tcpdump(8) where it is installed); unprivileged
//! (as `nobody` through setpriv(1) when the tests run as root) it is refused with exit
//! 2. The root tests say SKIPPED and pass when not root, unless `STICKYLAB_CI=1`: then
//! they fail, since CI runs as root and must run them.

mod common;

use common::{root, scratch, unprivileged};

use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use etherparse::{SlicedPacket, TransportSlice};
use pcap_file::pcapng::{Block, PcapNgReader};

/// True when the test should run; false (after saying SKIPPED) when it cannot, not being
/// root. Under `STICKYLAB_CI=1` not being root is a failure.
fn as_root(what: &str) -> bool {
    if root() {
        return true;
    }
    assert!(
        std::env::var("STICKYLAB_CI").as_deref() != Ok("1"),
        "{what} needs root, and STICKYLAB_CI=1 says this run must test it"
    );
    eprintln!("SKIPPED: {what} needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN)");
    false
}

/// A scenario file in `dir`.
fn lab(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(format!("{name}.lab"));
    std::fs::write(&path, text).expect("a scenario file");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("mode");
    path.to_string_lossy().into_owned()
}

/// One send of 20,000 bytes, read whole: nothing else on the wire.
const ONE_SEND: &str = "server: listen\nclient: connect\nserver: accept => from client\n\
                        client: send bytes 20000 => 20000 bytes\n\
                        server: recv exactly 20000 => bytes 20000\n";

/// The TCP payload length of every frame of a pcapng file that carries data.
fn data_segments(path: &Path) -> Vec<usize> {
    let file = std::fs::File::open(path).expect("the capture file");
    let mut reader = PcapNgReader::new(file).expect("a pcapng file");
    let mut lengths = Vec::new();
    while let Some(block) = reader.next_block() {
        let Block::EnhancedPacket(packet) = block.expect("a block") else {
            continue;
        };
        let Ok(sliced) = SlicedPacket::from_ethernet(&packet.data) else {
            continue;
        };
        if let Some(TransportSlice::Tcp(tcp)) = sliced.transport
            && !tcp.payload().is_empty()
        {
            lengths.push(tcp.payload().len());
        }
    }
    lengths
}

/// `tcpdump -r FILE` reads the capture, where tcpdump is installed (CI installs it).
fn tcpdump_reads(path: &Path) {
    match Command::new("tcpdump").arg("-nr").arg(path).output() {
        Ok(out) => assert!(
            out.status.success(),
            "tcpdump -r: {}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => eprintln!("tcpdump not run ({e}): the capture was read with pcap-file only"),
    }
}

#[test]
fn one_send_of_20000_bytes_leaves_as_at_least_14_segments_of_at_most_1448() {
    if !as_root("--net veth") {
        return;
    }
    let dir = scratch("pcap");
    let file = lab(&dir, "one-send", ONE_SEND);
    let pcap = dir.join("x.pcapng");
    let out = common::stickylab()
        .args(["run", &file, "--net", "veth", "--pcap"])
        .arg(&pcap)
        .output()
        .expect("runs");
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{table}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The listener bound namespace a's veth address; the client came from b's.
    assert!(table.contains("on 192.0.2.1:"), "{table}");
    assert!(table.contains("from 192.0.2.2:"), "{table}");
    assert!(table.contains("on sl-veth-a, one copy each"), "{table}");
    let lengths = data_segments(&pcap);
    assert!(lengths.len() >= 14, "{lengths:?}");
    assert!(lengths.iter().all(|&n| n <= 1448), "{lengths:?}");
    assert_eq!(
        lengths.iter().sum::<usize>(),
        20_000,
        "each segment once: {lengths:?}"
    );
    tcpdump_reads(&pcap);

    // A larger MTU makes larger segments: 9000 - 52 bytes of headers and timestamps.
    let out = common::stickylab()
        .args(["run", &file, "--net", "veth", "--mtu", "9000", "--pcap"])
        .arg(&pcap)
        .output()
        .expect("runs");
    assert!(out.status.success());
    let lengths = data_segments(&pcap);
    assert!(lengths.iter().all(|&n| n <= 8948), "{lengths:?}");
    assert!(lengths.iter().any(|&n| n > 1448), "{lengths:?}");
    assert_eq!(lengths.iter().sum::<usize>(), 20_000, "{lengths:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn mss_split_runs_in_the_namespaces_by_its_tag_and_splits_by_segments() {
    if !as_root("mss-split") {
        return;
    }
    let out = common::stickylab()
        .args(["run", "mss-split", "--format", "json"])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let run: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    let events = run["events"].as_array().expect("events");
    let listen = events.iter().find(|e| e["op"] == "listen").expect("listen");
    assert!(
        listen["detail"]
            .as_str()
            .is_some_and(|d| d.contains("192.0.2.1")),
        "{listen}"
    );
    let parts: Vec<&serde_json::Value> = events
        .iter()
        .filter(|e| e["op"] == "recv" && e["result"].as_u64().unwrap_or(0) > 0)
        .collect();
    assert!(parts.len() >= 2, "{run}");
    for part in parts {
        assert_eq!(part["verdict"]["kind"], "split-by-segments", "{part}");
    }
}

#[test]
fn net_veth_without_privileges_is_exit_2_with_what_to_do() {
    for (args, words) in [
        (
            &["run", "hello-world", "--net", "veth"][..],
            "--net veth needs root (or CAP_SYS_ADMIN and CAP_NET_ADMIN)",
        ),
        (
            &["run", "mss-split"][..],
            "mss-split runs in two network namespaces joined by a veth pair",
        ),
        (
            &["run", "hello-world", "--net", "veth", "--lang", "zh"][..],
            "--net veth 需要 root",
        ),
    ] {
        let out = unprivileged(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(words), "{args:?}: {stderr}");
        assert!(
            out.stdout.is_empty(),
            "nothing ran: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

#[test]
fn mtu_without_veth_is_refused() {
    let out = common::stickylab()
        .args(["run", "hello-world", "--mtu", "1400"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("add --net veth"));
    let out = common::stickylab()
        .args(["run", "hello-world", "--net", "veth", "--mtu", "20"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not an MTU of a veth pair"));
}

#[test]
fn run_all_without_privileges_skips_the_veth_scenarios_with_a_note() {
    let out = unprivileged(&["run", "--all", "--format", "json", "--seed", "1"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("skipped mss-split: it runs in two network namespaces"),
        "{stderr}"
    );
    let ran: BTreeSet<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["scenario"].as_str().map(str::to_string))
        .collect();
    assert!(ran.contains("hello-world"), "{ran:?}");
    assert!(!ran.contains("mss-split"), "{ran:?}");
}

/// The network namespace of every thread and every open descriptor of every process:
/// `net:[INODE]`.
fn namespaces_in_use() -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return found;
    };
    for p in procs.flatten() {
        let base = p.path();
        let tasks = std::fs::read_dir(base.join("task")).into_iter().flatten();
        let fds = std::fs::read_dir(base.join("fd")).into_iter().flatten();
        for entry in tasks.flatten() {
            if let Ok(link) = std::fs::read_link(entry.path().join("ns/net")) {
                found.insert(link.to_string_lossy().into_owned());
            }
        }
        for entry in fds.flatten() {
            if let Ok(link) = std::fs::read_link(entry.path())
                && link.to_string_lossy().starts_with("net:[")
            {
                found.insert(link.to_string_lossy().into_owned());
            }
        }
    }
    found
}

/// The interfaces of this namespace (netdevice(7) through /proc/net/dev).
fn interfaces() -> BTreeSet<String> {
    std::fs::read_to_string("/proc/self/net/dev")
        .expect("/proc/self/net/dev")
        .lines()
        .skip(2)
        .filter_map(|l| l.split(':').next())
        .map(|name| name.trim().to_string())
        .collect()
}

fn netns_entries() -> BTreeSet<String> {
    std::fs::read_dir("/run/netns")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn no_namespace_or_veth_is_left_behind_even_after_sigkill() {
    if !as_root("--net veth") {
        return;
    }
    let ours = std::fs::read_link("/proc/thread-self/ns/net").expect("our namespace");
    let (links, mounted) = (interfaces(), netns_entries());
    let dir = scratch("left");

    // A run that ends by itself.
    let file = lab(&dir, "one-send", ONE_SEND);
    let out = common::stickylab()
        .args(["run", &file, "--net", "veth"])
        .output()
        .expect("runs");
    assert!(out.status.success());
    assert_eq!(interfaces(), links, "no new interface here");
    assert_eq!(netns_entries(), mounted, "nothing under /run/netns");

    // A run killed in the middle: its actors sleep inside the namespaces.
    let file = lab(
        &dir,
        "sleepy",
        "server: listen\nclient: connect\nserver: accept\nclient: sleep 30s\n",
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_stickylab"))
        .args(["run", &file, "--net", "veth", "--timeout", "60s"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawns");
    let pid = child.id();
    let theirs = || -> BTreeSet<String> {
        let mut found = BTreeSet::new();
        for entry in std::fs::read_dir(format!("/proc/{pid}/task"))
            .into_iter()
            .flatten()
            .flatten()
        {
            if let Ok(link) = std::fs::read_link(entry.path().join("ns/net"))
                && link != ours
            {
                found.insert(link.to_string_lossy().into_owned());
            }
        }
        found
    };
    let until = Instant::now() + Duration::from_secs(10);
    let inside = loop {
        let found = theirs();
        if !found.is_empty() || Instant::now() > until {
            break found;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    assert!(
        !inside.is_empty(),
        "the actors' threads entered a namespace"
    );
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    let left: BTreeSet<String> = namespaces_in_use().intersection(&inside).cloned().collect();
    assert!(left.is_empty(), "nobody holds {left:?}");
    assert_eq!(interfaces(), links, "no new interface here");
    assert_eq!(netns_entries(), mounted, "nothing under /run/netns");
    let _ = std::fs::remove_dir_all(&dir);
}
