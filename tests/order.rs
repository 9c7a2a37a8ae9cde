//! `seq` is the order in which calls completed (the language's v2 "Order"), for every
//! verb, and provenance stays exact under it: every run of the catalog, and a few runs
//! made to race, are checked event by event.
//!
//! - `seq` runs 1, 2, 3, ... in the order of the JSON, and `t_us + dur_us` (when each
//!   call ended) never decreases along it (allowing 1 µs: both are rounded down);
//! - every recv that got bytes on a stream names in `from` sends of its direction that
//!   cover exactly its bytes, in stream order, whatever their `seq` (a send numbered
//!   after the recv is the truth of completion order, not an error);
//! - every recvfrom that got a datagram names one sendto of its direction.

mod common;

use std::collections::HashMap;

use serde_json::Value;

use common::stickylab;

/// The runs a command printed (its `--repeat`/`--all` summary lines left out).
fn runs_of(args: &[&str]) -> Vec<Value> {
    let out = stickylab()
        .timeout(std::time::Duration::from_secs(120))
        .args(args)
        .args(["--format", "json"])
        .output()
        .expect("stickylab runs");
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    text.lines()
        .map(|line| serde_json::from_str::<Value>(line).expect("one JSON object per line"))
        .filter(|v| v.get("events").is_some())
        .collect()
}

fn u(v: &Value, key: &str) -> u64 {
    v[key].as_u64().unwrap_or_else(|| panic!("no {key} in {v}"))
}

/// Checks one run; says what is wrong, with the scenario's name.
fn check_run(run: &Value) {
    let name = run["scenario"].as_str().unwrap_or("?");
    let events = run["events"].as_array().expect("events");
    let mut by_seq: HashMap<u64, &Value> = HashMap::new();
    let mut last_end = 0u64;
    for (k, e) in events.iter().enumerate() {
        let seq = u(e, "seq");
        assert_eq!(seq, k as u64 + 1, "{name}: seq in order, none skipped: {e}");
        let end = u(e, "t_us") + u(e, "dur_us");
        assert!(
            end + 1 >= last_end,
            "{name}: #{seq} ended at {end} µs, before #{} (at {last_end} µs): {e}",
            seq - 1
        );
        last_end = last_end.max(end);
        by_seq.insert(seq, e);
    }
    for e in events {
        let op = e["op"].as_str().unwrap_or_default();
        let Some(got) = e["result"].as_u64().filter(|&n| n > 0) else {
            continue;
        };
        if e.get("data_elided").is_some() {
            continue;
        }
        let (Some(conn), Some(stream)) = (e["conn"].as_str(), e["stream"].as_array()) else {
            continue;
        };
        let from = e["from"].as_array().cloned().unwrap_or_default();
        match op {
            "recv" => {
                let (a, b) = (
                    stream[0].as_u64().unwrap_or(0),
                    stream[1].as_u64().unwrap_or(0),
                );
                assert_eq!(
                    b - a,
                    got,
                    "{name}: a recv's stream range is its bytes: {e}"
                );
                let mut at = a;
                for p in &from {
                    let send = by_seq
                        .get(&u(p, "send"))
                        .unwrap_or_else(|| panic!("{name}: from names no event: {e}"));
                    assert!(
                        send["op"]
                            .as_str()
                            .is_some_and(|o| ["send", "sendall", "send frame"].contains(&o)),
                        "{name}: from names a send: {send}"
                    );
                    assert_eq!(send["conn"].as_str(), Some(conn), "{name}: same direction");
                    let s0 = send["stream"][0].as_u64().unwrap_or(0);
                    let range = &p["bytes"];
                    let (x, y) = (
                        range[0].as_u64().unwrap_or(0),
                        range[1].as_u64().unwrap_or(0),
                    );
                    assert_eq!(s0 + x, at, "{name}: the sends follow each other: {e}");
                    at = s0 + y;
                }
                assert_eq!(at, b, "{name}: from covers exactly the recv's bytes: {e}");
            }
            "recvfrom" => {
                assert_eq!(from.len(), 1, "{name}: a datagram has one sendto: {e}");
                let send = by_seq
                    .get(&u(&from[0], "send"))
                    .unwrap_or_else(|| panic!("{name}: from names no event: {e}"));
                assert_eq!(send["op"].as_str(), Some("sendto"), "{name}: {send}");
                assert_eq!(send["conn"].as_str(), Some(conn), "{name}: same direction");
            }
            _ => {}
        }
    }
}

#[test]
fn every_catalog_run_is_numbered_in_completion_order_with_exact_provenance() {
    let runs = runs_of(&["run", "--all", "--repeat", "3"]);
    assert!(
        runs.len() >= 60,
        "the whole catalog, three times: {}",
        runs.len()
    );
    for run in &runs {
        check_run(run);
    }
}

/// Two threads racing on one connection, many times: recvs that returned before the
/// send() of their bytes did are the case the release must hold back.
#[test]
fn racing_sends_and_recvs_keep_exact_provenance() {
    let file = std::env::temp_dir().join(format!("stickylab-order-{}.lab", std::process::id()));
    std::fs::write(
        &file,
        "server: listen\nclient: connect\nserver: accept\n\
         repeat 200 {\n  client: send \"abc\"\n  server: recv 2\n}\n\
         client: sendall bytes 300K\nclient: close\nserver: recv until eof\n",
    )
    .expect("temp file");
    let path = file.to_string_lossy().to_string();
    let runs = runs_of(&["run", &path, "--repeat", "20"]);
    let _ = std::fs::remove_file(&file);
    assert_eq!(runs.len(), 20);
    for run in &runs {
        check_run(run);
    }
}
