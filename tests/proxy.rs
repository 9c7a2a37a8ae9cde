//! `stickylab proxy` with real programs: a correct len32 echo server in Python
//! (`tests/programs/len32_echo.py`) behind the proxy, and a client that sends 200
//! frames in one write. Every child process is killed at the end, even when a test
//! fails (`Guard`).

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Long enough for any step on a busy 2-core machine; only a hang gets this far.
const LIMIT: Duration = Duration::from_secs(20);

const FRAMES: usize = 200;

/// A child process, killed and reaped when the guard goes, whatever happened.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Guard {
    /// Waits for the end, at most [`LIMIT`].
    fn end(&mut self) -> ExitStatus {
        let deadline = Instant::now() + LIMIT;
        loop {
            if let Some(status) = self.0.try_wait().expect("try_wait") {
                return status;
            }
            assert!(Instant::now() < deadline, "the process did not end");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// The lines a child writes to a pipe, as they come.
fn lines_of(pipe: impl Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}

/// The lines still to come from a child that has ended: read until its pipe closes
/// (the reader thread may be behind the child).
fn rest(lines: &Receiver<String>) -> Vec<String> {
    let mut out = Vec::new();
    while let Ok(line) = lines.recv_timeout(LIMIT) {
        out.push(line);
    }
    out
}

/// A scratch directory of this test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("stickylab-proxy-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    dir
}

/// The Python echo server on a free port, logging its recv sizes to `log`.
fn echo_server(log: &Path) -> (Guard, u16) {
    let mut child = Command::new("python3")
        .arg("tests/programs/len32_echo.py")
        .arg("0")
        .arg(log)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 starts");
    let out = lines_of(child.stdout.take().expect("a piped stdout"));
    let guard = Guard(child);
    let line = out.recv_timeout(LIMIT).expect("the server says its port");
    let port = line
        .strip_prefix("port ")
        .and_then(|p| p.parse().ok())
        .expect("`port N`");
    (guard, port)
}

/// `stickylab proxy 127.0.0.1:0 127.0.0.1:PORT --once ARGS`; returns the guard, the
/// address it listens on, and its stderr lines still to come.
fn proxy(port: u16, args: &[&str]) -> (Guard, SocketAddr, Receiver<String>) {
    let mut all = vec!["--once"];
    all.extend_from_slice(args);
    proxy_without_once(port, &all)
}

/// `stickylab proxy 127.0.0.1:0 127.0.0.1:PORT ARGS`.
fn proxy_without_once(port: u16, args: &[&str]) -> (Guard, SocketAddr, Receiver<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_stickylab"))
        .args(["proxy", "127.0.0.1:0", &format!("127.0.0.1:{port}")])
        .args(args)
        .env("LANG", "C")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("stickylab starts");
    let err = lines_of(child.stderr.take().expect("a piped stderr"));
    let guard = Guard(child);
    let first = err
        .recv_timeout(LIMIT)
        .expect("the proxy says where it listens");
    let addr = first
        .split("listening on ")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("no address in {first:?}"));
    (guard, addr, err)
}

/// 200 len32 frames of 1 to 40 bytes each, back to back, and where each frame ends.
fn frames() -> (Vec<u8>, BTreeSet<u64>) {
    let mut bytes = Vec::new();
    let mut ends = BTreeSet::new();
    for i in 0..FRAMES {
        let body = vec![(i % 256) as u8; 1 + (i * 7) % 40];
        bytes.extend_from_slice(&(body.len() as u32).to_be_bytes());
        bytes.extend_from_slice(&body);
        ends.insert(bytes.len() as u64);
    }
    (bytes, ends)
}

/// Sends every frame in one write, reads the echo with recv(65536) until it is whole,
/// half-closes and expects EOF (the server closes after the client's EOF, and the proxy
/// passes both FINs on). Returns the sizes of the recvs.
fn client(addr: SocketAddr, frames: &[u8]) -> Vec<usize> {
    client_closing(addr, frames, false)
}

/// The same; with `early_eof` the client half-closes right after its write, before
/// any reply.
fn client_closing(addr: SocketAddr, frames: &[u8], early_eof: bool) -> Vec<usize> {
    let mut stream = TcpStream::connect(addr).expect("connect to the proxy");
    stream.set_read_timeout(Some(LIMIT)).expect("timeout");
    stream.write_all(frames).expect("send every frame");
    if early_eof {
        stream
            .shutdown(std::net::Shutdown::Write)
            .expect("half-close");
    }
    let mut got = Vec::new();
    let mut recvs = Vec::new();
    let mut buf = vec![0u8; 65536];
    while got.len() < frames.len() {
        let n = stream.read(&mut buf).expect("recv");
        assert!(n > 0, "EOF after {} of {} bytes", got.len(), frames.len());
        recvs.push(n);
        got.extend_from_slice(&buf[..n]);
    }
    assert!(got == frames, "the 200 frames came back changed");
    // Shut down once: a second shutdown after the server's FIN has come back finds the
    // socket in TIME_WAIT and fails with ENOTCONN (shutdown(2)).
    if !early_eof {
        stream
            .shutdown(std::net::Shutdown::Write)
            .expect("half-close");
    }
    assert_eq!(
        stream.read(&mut buf).expect("recv"),
        0,
        "EOF after the echo"
    );
    recvs
}

/// One piece of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Piece {
    offset: u64,
    len: u64,
    early: bool,
}

/// The pieces of one direction (`c2s`, `s2c`) of connection 1.
fn pieces(record: &Path, dir: &str) -> Vec<Piece> {
    let text = std::fs::read_to_string(record).expect("the record");
    text.lines()
        .map(|line| serde_json::from_str::<Value>(line).expect("a JSON line"))
        .filter(|v| v["dir"] == dir)
        .map(|v| {
            assert_eq!(v["conn"], 1);
            assert!(v["t_us"].is_u64());
            Piece {
                offset: v["offset"].as_u64().expect("offset"),
                len: v["len"].as_u64().expect("len"),
                early: v["early"].as_bool().expect("early"),
            }
        })
        .collect()
}

/// Pieces `(offset, len)` without their early marks.
fn cuts(pieces: &[Piece]) -> Vec<(u64, u64)> {
    pieces.iter().map(|p| (p.offset, p.len)).collect()
}

/// Is some frame cut inside (split), and does some piece hold the end of a frame before
/// its own end (merged)?
fn split_and_merged(chunks: &[(u64, u64)], frame_ends: &BTreeSet<u64>) -> (bool, bool) {
    let frame_starts: BTreeSet<u64> = std::iter::once(0)
        .chain(frame_ends.iter().copied())
        .collect();
    let split = chunks.iter().any(|&(offset, len)| {
        !frame_ends.contains(&(offset + len)) || !frame_starts.contains(&offset)
    });
    let merged = chunks
        .iter()
        .any(|&(offset, len)| frame_ends.range(offset + 1..offset + len).next().is_some());
    (split, merged)
}

/// One run: server, proxy with `args`, client; returns the c2s and s2c pieces, the
/// server's recvs as (offset, len), and the proxy's stderr.
struct Run {
    c2s: Vec<Piece>,
    s2c: Vec<Piece>,
    server_recvs: Vec<(u64, u64)>,
    stderr: Vec<String>,
}

fn run(dir: &Path, name: &str, args: &[&str]) -> Run {
    let log = dir.join(format!("{name}.recvs"));
    let record = dir.join(format!("{name}.jsonl"));
    let (_server, port) = echo_server(&log);
    let record_arg = record.display().to_string();
    let mut all: Vec<&str> = vec!["--record", &record_arg];
    all.extend_from_slice(args);
    let (mut proxy, addr, err) = proxy(port, &all);
    let (bytes, _) = frames();
    client(addr, &bytes);
    assert!(
        proxy.end().success(),
        "the proxy ends well after its one connection"
    );
    let stderr: Vec<String> = rest(&err);
    let mut offset = 0;
    let server_recvs = std::fs::read_to_string(&log)
        .expect("the server's log")
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        .filter(|&n| n > 0)
        .map(|n| {
            offset += n;
            (offset - n, n)
        })
        .collect();
    Run {
        c2s: pieces(&record, "c2s"),
        s2c: pieces(&record, "s2c"),
        server_recvs,
        stderr,
    }
}

#[test]
fn two_hundred_frames_come_back_whole_while_the_server_reads_them_split_and_merged() {
    let dir = scratch("intact");
    let run = run(&dir, "a", &["--seed", "7"]);
    let (bytes, frame_ends) = frames();
    let total: u64 = run.c2s.iter().map(|p| p.len).sum();
    assert_eq!(total, bytes.len() as u64);
    assert!(run.c2s.iter().all(|p| (1..=64).contains(&p.len)));
    // The cuts the proxy made: frames split, and frames merged.
    assert_eq!(split_and_merged(&cuts(&run.c2s), &frame_ends), (true, true));
    // What the server's recv(65536) calls saw: the same.
    assert_eq!(
        split_and_merged(&run.server_recvs, &frame_ends),
        (true, true)
    );
    // The pieces reach the server apart: most recvs are exactly one piece.
    let pieces: BTreeSet<(u64, u64)> = cuts(&run.c2s).into_iter().collect();
    let apart = run
        .server_recvs
        .iter()
        .filter(|r| pieces.contains(r))
        .count();
    eprintln!(
        "{apart} of {} pieces were one recv of the server",
        pieces.len()
    );
    assert!(
        apart * 10 >= pieces.len() * 8,
        "only {apart} of {} pieces were one recv",
        pieces.len()
    );
    let end = run
        .stderr
        .iter()
        .find(|l| l.starts_with("connection 1 ended"));
    let end = end.expect("the proxy says how the connection ended");
    assert_eq!(end.matches("closed (FIN passed on)").count(), 2, "{end}");
}

#[test]
fn the_same_seed_cuts_the_same_and_a_replay_cuts_as_recorded() {
    let dir = scratch("seed");
    let a = run(&dir, "a", &["--seed", "7"]);
    let b = run(&dir, "b", &["--seed", "7"]);
    // The client does not pause: the same cuts, early flushes included (the last one,
    // where the client stops and waits for its echo, is at the same offset).
    assert_eq!(cuts(&a.c2s), cuts(&b.c2s));
    // The server pauses as it pleases: early flushes may differ, the planned ends not.
    let planned = |pieces: &[Piece]| -> BTreeSet<u64> {
        pieces
            .iter()
            .filter(|p| !p.early)
            .map(|p| p.offset + p.len)
            .collect()
    };
    let last = |pieces: &[Piece]| pieces.last().map(|p| p.offset + p.len);
    assert_eq!(last(&a.s2c), last(&b.s2c));
    let (pa, pb) = (planned(&a.s2c), planned(&b.s2c));
    // A planned end is missing only where an early flush ran to the end of the stream.
    let end = last(&a.s2c).unwrap_or(0);
    let differ: Vec<&u64> = pa
        .symmetric_difference(&pb)
        .filter(|&&e| e != end)
        .collect();
    assert!(differ.is_empty(), "planned s2c ends differ at {differ:?}");

    let other = run(&dir, "c", &["--seed", "99"]);
    assert_ne!(cuts(&a.c2s), cuts(&other.c2s));

    let record_a = dir.join("a.jsonl").display().to_string();
    let replayed = run(&dir, "d", &["--seed", "99", "--replay", &record_a]);
    assert_eq!(cuts(&a.c2s), cuts(&replayed.c2s));
    // Every boundary of the record is cut again (early flushes of this run may add some).
    let boundaries =
        |pieces: &[Piece]| -> BTreeSet<u64> { pieces.iter().map(|p| p.offset + p.len).collect() };
    let missing: Vec<u64> = boundaries(&a.s2c)
        .difference(&boundaries(&replayed.s2c))
        .copied()
        .collect();
    assert!(
        missing.is_empty(),
        "the replay did not cut s2c at {missing:?}"
    );
    assert!(
        replayed
            .stderr
            .iter()
            .any(|l| l.starts_with("replaying the cuts of")),
        "{:?}",
        replayed.stderr
    );
}

#[test]
fn a_target_that_refuses_resets_the_client_and_the_proxy_says_why() {
    // A port nothing listens on: bound, then closed.
    let closed = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    let (mut proxy, addr, err) = proxy(port, &["--seed", "1"]);
    let mut stream = TcpStream::connect(addr).expect("connect to the proxy");
    stream.set_read_timeout(Some(LIMIT)).expect("timeout");
    let mut buf = [0u8; 16];
    match stream.read(&mut buf) {
        Ok(0) => {}
        Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "{e}"),
        Ok(n) => panic!("{n} bytes from nowhere"),
    }
    assert!(proxy.end().success());
    let said: Vec<String> = rest(&err);
    assert!(
        said.iter()
            .any(|l| l.contains("cannot connect to") && l.contains("ECONNREFUSED")),
        "{said:?}"
    );
}

#[test]
fn a_record_with_a_gap_is_refused_naming_its_line() {
    let dir = scratch("bad-record");
    let path = dir.join("bad.jsonl");
    std::fs::write(
        &path,
        "{\"conn\":1,\"dir\":\"c2s\",\"offset\":0,\"len\":4,\"t_us\":1,\"early\":false}\n\
         {\"conn\":1,\"dir\":\"c2s\",\"offset\":9,\"len\":4,\"t_us\":2,\"early\":false}\n",
    )
    .expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_stickylab"))
        .args(["proxy", "127.0.0.1:0", "127.0.0.1:9", "--replay"])
        .arg(&path)
        .env("LANG", "C")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        err.trim_end(),
        format!(
            "`{}`: line 2: this piece starts at 9, the one before it ended at 4",
            path.display()
        )
    );
}

#[test]
fn a_range_of_sizes_is_refused_in_the_language_asked_for() {
    let out = Command::new(env!("CARGO_BIN_EXE_stickylab"))
        .args(["proxy", "9000", "8000", "--sizes", "0-5", "--lang", "zh"])
        .env("LANG", "C")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("`0-5` 不是分段大小的范围：写成 MIN-MAX，1 <= MIN <= MAX <= 65536"),
        "{err}"
    );
}

#[test]
fn a_client_that_half_closes_at_once_still_gets_every_reply() {
    let dir = scratch("half-close");
    let (_server, port) = echo_server(&dir.join("recvs"));
    let (mut proxy, addr, err) = proxy(port, &["--seed", "3"]);
    let (bytes, _) = frames();
    client_closing(addr, &bytes, true);
    assert!(proxy.end().success());
    let said: Vec<String> = rest(&err);
    let end = said.iter().find(|l| l.starts_with("connection 1 ended"));
    let end = end.expect("the proxy says how the connection ended");
    assert_eq!(end.matches("closed (FIN passed on)").count(), 2, "{end}");
}

#[test]
fn many_clients_at_once_each_get_their_own_frames_and_ctrl_c_ends_the_proxy() {
    let dir = scratch("many");
    let (_server, port) = echo_server(&dir.join("recvs"));
    let record = dir.join("many.jsonl").display().to_string();
    let (mut proxy, addr, err) = proxy_without_once(port, &["--seed", "5", "--record", &record]);
    let clients: Vec<_> = (0..4u8)
        .map(|k| {
            std::thread::spawn(move || {
                // Each client's frames differ, so a mix-up between connections shows.
                let mut out = Vec::new();
                for i in 0..FRAMES {
                    let body = vec![(i as u8).wrapping_add(k.wrapping_mul(50)); 1 + (i * 7) % 40];
                    out.extend_from_slice(&(body.len() as u32).to_be_bytes());
                    out.extend_from_slice(&body);
                }
                client(addr, &out);
            })
        })
        .collect();
    for c in clients {
        c.join().expect("a client got its frames back");
    }
    // SAFETY: kill(2) with the pid of a child this test started and has not reaped.
    let rc = unsafe { libc::kill(proxy.0.id() as libc::pid_t, libc::SIGINT) };
    assert_eq!(rc, 0);
    assert_eq!(proxy.end().code(), Some(130));
    let said: Vec<String> = rest(&err);
    let ended = said.iter().filter(|l| l.contains(" ended: ")).count();
    assert_eq!(ended, 4, "{said:?}");
    assert!(
        said.iter()
            .any(|l| l == "interrupted: the proxy stopped after 4 connections"),
        "{said:?}"
    );
    // Four connections in the record, each with both directions.
    let text = std::fs::read_to_string(dir.join("many.jsonl")).expect("the record");
    let streams: BTreeSet<(u64, String)> = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("JSON"))
        .map(|v| {
            (
                v["conn"].as_u64().expect("conn"),
                v["dir"].as_str().expect("dir").to_string(),
            )
        })
        .collect();
    assert_eq!(streams.len(), 8, "{streams:?}");
}
