//! Addresses in the language: `listen on`, `connect to HOST:PORT`, `bind udp on`,
//! `sendto HOST:PORT`, `bind tcp`; loopback only unless `--allow-remote`.

mod common;

use std::net::{Ipv6Addr, TcpListener};

use common::{fixture, stickylab};
use serde_json::Value;

/// A port free a moment ago (the test binds it, reads it, lets it go).
fn free_port(ip: &str) -> u16 {
    let listener = TcpListener::bind((ip, 0)).expect("a free port");
    listener.local_addr().expect("its address").port()
}

fn run_json(args: &[&str]) -> (Option<i32>, Value, String) {
    let out = stickylab()
        .args(["run", "--format", "json"])
        .args(args)
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    let run = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.code(), run, err)
}

fn ops(run: &Value, op: &str) -> Vec<Value> {
    run["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["op"] == op)
        .cloned()
        .collect()
}

#[test]
fn a_client_connects_to_the_port_the_server_listens_on_whatever_the_file_order() {
    for host in ["127.0.0.1", "localhost"] {
        let port = free_port("127.0.0.1");
        let (code, run, err) = run_json(&[
            &fixture("fixed-port"),
            "--param",
            &format!("port={port}"),
            "--param",
            &format!("host={host}"),
        ]);
        assert_eq!(code, Some(0), "{err}{run}");
        let listen = &ops(&run, "listen")[0];
        assert_eq!(listen["detail"], format!("listening on 127.0.0.1:{port}"));
        let connect = &ops(&run, "connect")[0];
        assert!(
            connect["detail"]
                .as_str()
                .is_some_and(|d| d.ends_with(&format!("-> 127.0.0.1:{port}"))),
            "{connect}"
        );
        // The connection is the server's: the recv names the client's send.
        let recv = &ops(&run, "recv")[0];
        assert_eq!(recv["conn"], "client>server");
        assert_eq!(recv["from"][0]["send"], ops(&run, "send")[0]["seq"]);
    }
}

#[test]
fn ipv6_loopback_in_brackets() {
    if TcpListener::bind((Ipv6Addr::LOCALHOST, 0)).is_err() {
        assert!(
            std::env::var_os("STICKYLAB_CI").is_none(),
            "CI must have ::1"
        );
        eprintln!("skipped: this machine has no IPv6 loopback (::1)");
        return;
    }
    let port = free_port("::1");
    let (code, run, err) = run_json(&[
        &fixture("fixed-port"),
        "--param",
        &format!("port={port}"),
        "--param",
        "host=[::1]",
    ]);
    assert_eq!(code, Some(0), "{err}{run}");
    assert_eq!(
        ops(&run, "listen")[0]["detail"],
        format!("listening on [::1]:{port}")
    );
}

#[test]
fn a_datagram_to_an_address_reaches_the_actor_bound_there() {
    let port = free_port("127.0.0.1");
    let (code, run, err) = run_json(&[&fixture("udp-address"), "--param", &format!("port={port}")]);
    assert_eq!(code, Some(0), "{err}{run}");
    let recv = &ops(&run, "recvfrom")[0];
    assert_eq!(recv["peer"], "client");
    assert_eq!(recv["from"][0]["send"], ops(&run, "sendto")[0]["seq"]);
}

#[test]
fn connection_refused_by_a_bound_port_that_does_not_listen() {
    let (code, run, err) = run_json(&["connection-refused", "--repeat", "20"]);
    assert_eq!(code, Some(0), "{err}{run}");
    let (code, run, err) = run_json(&["connection-refused"]);
    assert_eq!(code, Some(0), "{err}");
    let bind = &ops(&run, "bind")[0];
    assert!(
        bind["detail"]
            .as_str()
            .is_some_and(|d| d.contains("not listening")),
        "{bind}"
    );
    let connects = ops(&run, "connect");
    assert_eq!(connects[0]["error"], "ECONNREFUSED");
    assert!(connects[1]["error"].is_null(), "{}", connects[1]);
}

#[test]
fn an_address_beyond_loopback_is_refused_before_any_socket_opens() {
    let out = stickylab()
        .args(["run", &fixture("remote-connect")])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        err.trim_end(),
        "tests/fixtures/remote-connect.lab:4:9: `client: connect to 192.0.2.1:80`: \
         192.0.2.1:80 is not on this machine's loopback (127.0.0.0/8, ::1): the lab talks \
         only to itself unless the run is given --allow-remote"
    );
    // `check` knows nothing of the run's flags: the file is well formed.
    stickylab()
        .args(["check", &fixture("remote-connect")])
        .assert()
        .success();
}
