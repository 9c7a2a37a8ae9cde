//! `run --peer ACTOR=HOST:PORT`: an actor played by a real program (a Python len32 echo
//! server), the lines that cannot be left to it refused, and addresses beyond loopback
//! refused without `--allow-remote`.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use common::{fixture, stickylab};
use serde_json::Value;

/// The Python server, killed when dropped.
struct Server(Child, u16);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn len32_echo() -> Server {
    let mut child = Command::new("python3")
        .args(["tests/programs/len32_echo.py", "0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("a piped stdout"))
        .read_line(&mut line)
        .expect("the server says its port");
    let port = line
        .trim()
        .strip_prefix("port ")
        .and_then(|p| p.parse().ok())
        .expect("`port N`");
    Server(child, port)
}

fn events(stdout: &[u8]) -> Vec<Value> {
    let run: Value = serde_json::from_slice(stdout).expect("the run's JSON");
    run["events"].as_array().expect("events").clone()
}

#[test]
fn a_program_plays_the_server_and_its_bytes_show_as_its_stream() {
    let server = len32_echo();
    let out = stickylab()
        .args(["run", &fixture("len32-echo-peer"), "--format", "json"])
        .args(["--peer", &format!("server=localhost:{}", server.1)])
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let events = events(&out.stdout);
    // The server's lines are not run: every event is the client's.
    assert!(!events.is_empty());
    assert!(events.iter().all(|e| e["actor"] == "client"), "{events:#?}");
    let connect = events
        .iter()
        .find(|e| e["op"] == "connect")
        .expect("a connect");
    assert!(
        connect["detail"]
            .as_str()
            .is_some_and(|d| d.ends_with(&format!("-> 127.0.0.1:{}", server.1))),
        "{connect}"
    );
    // What came back has no send of the lab's to point to, and lies in the server's
    // stream from 0 to the 18 bytes of the two echoed frames.
    let recvs: Vec<&Value> = events
        .iter()
        .filter(|e| e["op"] == "recv" && e["stream"].is_array())
        .collect();
    assert!(!recvs.is_empty());
    let mut end = 0;
    for recv in &recvs {
        assert_eq!(recv["conn"], "server>client", "{recv}");
        assert!(recv["from"].as_array().is_none_or(Vec::is_empty), "{recv}");
        let range = recv["stream"].as_array().expect("a range");
        assert_eq!(range[0], end, "{recv}");
        end = range[1].as_u64().expect("an offset");
    }
    assert_eq!(end, 18);
    assert!(
        events.iter().any(|e| e["eof"] == true),
        "the server closes after our close"
    );
}

#[test]
fn the_table_names_the_programs_stream() {
    let server = len32_echo();
    let out = stickylab()
        .args(["run", &fixture("len32-echo-peer")])
        .args(["--peer", &format!("server=127.0.0.1:{}", server.1)])
        .env("COLUMNS", "200")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("server's stream 0.."), "{text}");
    // The eof has no close of the lab's behind it: the program closed.
    assert!(text.contains("server closed its side"), "{text}");
}

#[test]
fn lines_only_the_replaced_actor_could_play_are_named_before_anything_runs() {
    let out = stickylab()
        .args(["run", "hello-world", "--peer", "server=127.0.0.1:9"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "nothing ran");
    let err = String::from_utf8_lossy(&out.stderr);
    for line in [14, 17, 18, 20] {
        assert!(
            err.contains(&format!("scenarios/hello-world.lab:{line}:9: `server:")),
            "{err}"
        );
    }
    assert!(
        err.contains("it cannot be made to wait for the lab"),
        "{err}"
    );
    assert!(err.contains("cannot check this expectation"), "{err}");
}

#[test]
fn an_actor_the_scenario_lacks_is_named_with_the_ones_it_has() {
    let out = stickylab()
        .args([
            "run",
            &fixture("len32-echo-peer"),
            "--peer",
            "sever=127.0.0.1:9",
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no actor `sever` (its actors: server, client)"),
        "{err}"
    );
}

#[test]
fn an_address_beyond_loopback_needs_allow_remote() {
    let out = stickylab()
        .args([
            "run",
            &fixture("len32-echo-peer"),
            "--peer",
            "server=192.0.2.1:80",
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("192.0.2.1:80 is not on this machine's loopback"),
        "{err}"
    );
    assert!(err.contains("--allow-remote"), "{err}");
    for bad in ["server=127.0.0.1", "server=example.com:80", "=127.0.0.1:80"] {
        let out = stickylab()
            .args(["run", &fixture("len32-echo-peer"), "--peer", bad])
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(2), "{bad}");
    }
}

/// The client of `server-for-a-program.lab`, in Python: connects (retrying while the
/// lab starts), sends `hello` and `world`, reads the 2-byte reply, closes.
const PY_CLIENT: &str = r#"
import socket, sys, time
port = int(sys.argv[1])
for _ in range(200):
    try:
        s = socket.create_connection(("127.0.0.1", port))
        break
    except ConnectionRefusedError:
        time.sleep(0.025)
s.sendall(b"hello"); s.sendall(b"world")
print(s.recv(2).decode()); s.close()
"#;

#[test]
fn a_program_that_connects_plays_the_client_of_a_server_on_a_named_port() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let lab = std::process::Command::new(env!("CARGO_BIN_EXE_stickylab"))
        .args(["run", &fixture("server-for-a-program"), "--format", "json"])
        .args(["--peer", "client", "--param", &format!("port={port}")])
        .env("LANG", "C")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("stickylab starts");
    let client = Command::new("python3")
        .args(["-c", PY_CLIENT, &port.to_string()])
        .output()
        .expect("python3 runs");
    assert_eq!(String::from_utf8_lossy(&client.stdout).trim(), "ok");
    let out = lab.wait_with_output().expect("the run ends");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains(&format!(
            "client is your program: connect it to 127.0.0.1:{port}"
        )),
        "{err}"
    );
    let events = events(&out.stdout);
    assert!(events.iter().all(|e| e["actor"] == "server"), "{events:#?}");
    // `recv exactly 10`: however the two sends came, ten bytes of the client's stream,
    // which no send of the lab's made.
    let recvs: Vec<&Value> = events
        .iter()
        .filter(|e| e["op"] == "recv" && e["conn"] == "client>server")
        .collect();
    let got: String = recvs.iter().filter_map(|e| e["data"].as_str()).collect();
    assert_eq!(got, "helloworld");
    assert!(
        recvs
            .iter()
            .all(|e| e["from"].as_array().is_none_or(Vec::is_empty)),
        "{recvs:#?}"
    );
}

#[test]
fn a_program_that_connects_needs_a_port_the_file_names() {
    let out = stickylab()
        .args(["run", "hello-world", "--peer", "client"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("`server: listen on 8000`"), "{err}");
}

#[test]
fn the_refusals_are_said_in_chinese_too() {
    let out = stickylab()
        .args([
            "run",
            "hello-world",
            "--peer",
            "server=127.0.0.1:9",
            "--lang",
            "zh",
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("scenarios/hello-world.lab:17:9: `server: wait readable 10`：server 是位于 127.0.0.1:9 的程序：没法让它等实验室"),
        "{err}"
    );
}

#[test]
fn a_program_cannot_be_reached_from_the_namespaces_of_net_veth() {
    let out = stickylab()
        .args(["run", &fixture("len32-echo-peer"), "--net", "veth"])
        .args(["--peer", "server=127.0.0.1:9"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    if common::root() {
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("add --net lo"), "{err}");
    }
}
