//! Runs of the real binary on real scenario files: the built-in catalog, and the small
//! scenarios of `tests/fixtures/`, each pinning one kernel behaviour or one part of the
//! JSON a run prints (the schema of docs "What a run prints").
//!
//! Only what the kernel guarantees on loopback is asserted; timings never are (a run is
//! bounded by a generous hang guard, and speed is the benchmarks' business).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::time::Duration;

use serde_json::Value;

use common::{fixture, stickylab};

/// Every line of stdout parsed as one JSON object.
fn json_lines(stdout: &[u8]) -> Vec<Value> {
    let text = std::str::from_utf8(stdout).expect("UTF-8 output");
    text.lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .collect()
}

/// Runs `run ARGS --format json` expecting `code`, and returns its one run.
fn run_json(args: &[&str], code: i32) -> Value {
    let out = stickylab()
        .arg("run")
        .args(args)
        .args(["--format", "json"])
        .assert()
        .code(code)
        .get_output()
        .clone();
    let mut runs = json_lines(&out.stdout);
    assert_eq!(runs.len(), 1, "one run, one line: {runs:?}");
    runs.remove(0)
}

/// Runs `run ARGS --format json` whatever its exit status, and returns its one run: for
/// the tests of bugs, which say more by the data they compare than by an exit status.
fn run_json_any_exit(args: &[&str]) -> Value {
    let out = stickylab()
        .arg("run")
        .args(args)
        .args(["--format", "json"])
        .output()
        .expect("the binary runs");
    let mut runs = json_lines(&out.stdout);
    assert_eq!(runs.len(), 1, "one run, one line: {runs:?}");
    runs.remove(0)
}

fn events(run: &Value) -> &Vec<Value> {
    run["events"].as_array().expect("an events array")
}

/// The events of one op (`recv`, `send`, `recv frame`, ...), in seq order.
fn of_op<'a>(run: &'a Value, op: &str) -> Vec<&'a Value> {
    events(run).iter().filter(|e| e["op"] == op).collect()
}

fn data(event: &Value) -> &str {
    event["data"]
        .as_str()
        .unwrap_or_else(|| panic!("no data: {event}"))
}

/// The seq of every event, by op, to check what a `from` entry points at.
fn ops_by_seq(run: &Value) -> BTreeMap<u64, String> {
    events(run)
        .iter()
        .map(|e| {
            (
                e["seq"].as_u64().expect("a seq"),
                e["op"].as_str().expect("an op").to_string(),
            )
        })
        .collect()
}

const SEND_OPS: &[&str] = &["send", "sendall", "send frame", "sendto"];

/// The checks every run's JSON must pass, whatever the scenario: the documented required
/// fields, `seq` strictly increasing, and every `from` naming a send-like event.
fn assert_schema(run: &Value) {
    let name = &run["scenario"];
    for field in [
        "scenario",
        "file",
        "seed",
        "passed",
        "events",
        "expectations",
        "timers",
    ] {
        assert!(run.get(field).is_some(), "{name}: no `{field}`: {run}");
    }
    assert!(run["scenario"].is_string() && run["file"].is_string());
    assert!(run["seed"].is_u64() && run["passed"].is_boolean());
    assert!(run["expectations"].is_array() && run["timers"].is_object());
    let mut last_seq = 0;
    for e in events(run) {
        let seq = e["seq"].as_u64().unwrap_or_else(|| panic!("{name}: {e}"));
        assert!(seq > last_seq, "{name}: seq {seq} after {last_seq}");
        last_seq = seq;
        assert!(e["t_us"].is_u64(), "{name}: t_us of {e}");
        assert!(e["actor"].is_string(), "{name}: actor of {e}");
        assert!(e["line"].as_u64().is_some_and(|l| l > 0), "{name}: {e}");
        assert!(e["op"].is_string(), "{name}: op of {e}");
    }
    let ops = ops_by_seq(run);
    for e in events(run) {
        for from in e["from"].as_array().into_iter().flatten() {
            let send = from["send"].as_u64().expect("a send seq");
            let op = ops.get(&send).map(String::as_str);
            assert!(
                op.is_some_and(|op| SEND_OPS.contains(&op)),
                "{name}: event {} says its bytes came from event {send}, a {op:?}",
                e["seq"]
            );
            // A zero-length datagram comes from its sendto with an empty range; on a
            // stream, a recv only names the sends it took bytes from.
            let bytes = &from["bytes"];
            let empty_datagram = e["op"] == "recvfrom" && e["result"] == 0;
            assert!(
                bytes[0].as_u64() < bytes[1].as_u64() || empty_datagram,
                "{name}: an empty range of send {send}: {e}"
            );
        }
    }
}

/// The names of `scenarios/*.lab`, which the binary embeds.
fn catalog_files() -> BTreeSet<String> {
    fs::read_dir("scenarios")
        .expect("a scenarios directory")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "lab"))
        .map(|p| p.file_stem().and_then(|s| s.to_str()).unwrap().to_string())
        .collect()
}

// ---------------------------------------------------------------------------------------
// The catalog

#[test]
fn every_builtin_scenario_passes_and_prints_the_documented_json() {
    // One process runs the whole catalog (`--all` runs each scenario once with the seed
    // given), so the time is the catalog's, not the catalog's plus a start-up each.
    let out = stickylab()
        .args(["run", "--all", "--format", "json", "--seed", "1"])
        .timeout(Duration::from_secs(120))
        .output()
        .expect("the binary runs");
    let lines = json_lines(&out.stdout);
    let (summaries, runs): (Vec<&Value>, Vec<&Value>) =
        lines.iter().partition(|v| v["summary"] == true);

    let ran: BTreeSet<String> = runs
        .iter()
        .map(|r| r["scenario"].as_str().expect("a name").to_string())
        .collect();
    let runnable: BTreeSet<String> = catalog_files()
        .into_iter()
        .filter(|n| common::runs_here(n))
        .collect();
    assert_eq!(ran, runnable, "every file of scenarios/ ran once");
    assert_eq!(runs.len(), ran.len());
    assert_eq!(summaries.len(), runs.len(), "a summary after each scenario");

    let mut failed = Vec::new();
    for run in &runs {
        assert_schema(run);
        let name = run["scenario"].as_str().unwrap();
        assert_eq!(run["file"], format!("scenarios/{name}.lab"));
        assert_eq!(run["seed"], 1);
        if run["passed"] != true {
            failed.push(format!(
                "{name}: expectations {} blocked {}",
                run["expectations"], run["blocked"]
            ));
        }
    }
    assert!(failed.is_empty(), "failed:\n{}", failed.join("\n"));
    assert!(
        out.status.success(),
        "exit {:?}, stderr {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn every_catalog_file_checks_ok() {
    // `check` names every file it read, so a file the catalog run skipped shows here.
    let files: Vec<String> = catalog_files()
        .iter()
        .map(|n| format!("scenarios/{n}.lab"))
        .collect();
    let out = stickylab().arg("check").args(&files).assert().success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    for f in &files {
        assert!(text.contains(&format!("{f}: ok (")), "{f} not ok:\n{text}");
    }
}

// ---------------------------------------------------------------------------------------
// hello-world, field by field

#[test]
fn hello_world_one_recv_gets_both_sends_glued() {
    let run = run_json(&["hello-world", "--seed", "1"], 0);
    assert_schema(&run);
    assert_eq!(run["scenario"], "hello-world");
    assert_eq!(run["file"], "scenarios/hello-world.lab");
    assert_eq!(run["passed"], true);

    let sends = of_op(&run, "send");
    assert_eq!(sends.len(), 2);
    let (s1, s2) = (&sends[0]["seq"], &sends[1]["seq"]);
    assert_eq!(sends[0]["stream"], serde_json::json!([0, 5]));
    assert_eq!(sends[1]["stream"], serde_json::json!([5, 10]));

    let recvs = of_op(&run, "recv");
    let glued: Vec<&&Value> = recvs.iter().filter(|r| r["result"] != 0).collect();
    assert_eq!(glued.len(), 1, "exactly one recv with data: {recvs:?}");
    let recv = glued[0];
    assert_eq!(data(recv), "helloworld");
    assert_eq!(
        recv["from"],
        serde_json::json!([{"send": s1, "bytes": [0, 5]}, {"send": s2, "bytes": [0, 5]}])
    );
    assert_eq!(recv["conn"], "client>server");
    assert_eq!(recv["stream"], serde_json::json!([0, 10]));
    assert_eq!(recv["queued_before"], 10);
    assert_eq!(recv["queued_after"], 0);

    let last = recvs.last().expect("a recv");
    assert_eq!(last["eof"], true, "{last}");
    assert_eq!(last["result"], 0);
}

// ---------------------------------------------------------------------------------------
// The seed tutorial's experiment: four sends, then recv 5, 5, 10, 5

#[test]
fn the_tutorials_four_sends_come_back_as_hello_world_musibii1_and_eof() {
    let run = run_json_any_exit(&[&fixture("tutorial-four-recvs"), "--seed", "1"]);
    assert_schema(&run);
    let recvs = of_op(&run, "recv");
    let seen: Vec<(u64, &str)> = recvs
        .iter()
        .map(|r| (r["requested"].as_u64().unwrap(), data(r)))
        .collect();
    assert_eq!(
        seen,
        [(5, "hello"), (5, "world"), (10, "musibii1"), (5, "")],
        "what each recv got"
    );
    assert_eq!(recvs[3]["eof"], true);
    assert_eq!(run["passed"], true);
}

#[test]
fn no_recv_returns_more_than_it_asked_for() {
    for name in ["tutorial-four-recvs", "frame-chunks"] {
        let run = run_json_any_exit(&[&fixture(name), "--seed", "1"]);
        for r in of_op(&run, "recv") {
            assert!(
                r["result"].as_u64() <= r["requested"].as_u64(),
                "{name}: recv of {} returned {}: {r}",
                r["requested"],
                r["result"]
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// A step blocked past its deadline

#[test]
fn a_recv_with_no_sender_is_reported_blocked_and_the_run_ends() {
    let out = stickylab()
        .args(["run", &fixture("blocked-recv"), "--seed", "1"])
        .assert()
        .code(1);
    let text = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(
        text.contains("✗ line 8: server blocked in recv() for 300ms (recv 1024)\n"),
        "{text}"
    );
    assert!(
        text.ends_with("FAIL (1 of 1 expectations failed)\n"),
        "{text}"
    );
}

#[test]
fn a_blocked_recv_in_json_names_actor_line_and_call() {
    let run = run_json(&[&fixture("blocked-recv"), "--seed", "1"], 1);
    assert_schema(&run);
    assert_eq!(run["passed"], false);
    let blocked = run["blocked"].as_array().expect("a blocked array");
    assert_eq!(blocked.len(), 1, "{blocked:?}");
    assert_eq!(blocked[0]["actor"], "server");
    assert_eq!(blocked[0]["line"], 8);
    assert_eq!(blocked[0]["call"], "recv 1024");
    assert_eq!(blocked[0]["waited_us"], 300_000, "the scenario's timeout");
    let last = events(&run).last().expect("events");
    assert_eq!(
        (&last["op"], &last["timeout"]),
        (&"recv".into(), &true.into())
    );
}

#[test]
fn the_timeout_flag_overrides_the_scenarios_deadline() {
    // The scenario says 30s, longer than the hang guard: only the flag lets it end.
    let run = run_json(
        &[
            &fixture("patient-recv"),
            "--seed",
            "1",
            "--timeout",
            "200ms",
        ],
        1,
    );
    assert_eq!(run["blocked"][0]["line"], 8);
    assert_eq!(run["blocked"][0]["waited_us"], 200_000);
}

// ---------------------------------------------------------------------------------------
// --repeat and seeds

/// `--repeat 40 --seed 7` of the fixture whose outcome the seed chooses: the runs, then
/// the summary.
fn forty_runs() -> (Vec<Value>, Value) {
    let out = stickylab()
        .args(["run", &fixture("random-split"), "--repeat", "40"])
        .args(["--seed", "7", "--format", "json"])
        .assert()
        .success();
    let mut lines = json_lines(&out.get_output().stdout);
    let summary = lines.pop().expect("a summary line");
    assert_eq!(summary["summary"], true, "the last line: {summary}");
    (lines, summary)
}

/// The summary's outcome counts of the step on `line`.
fn outcomes(summary: &Value, line: u64) -> BTreeMap<String, u64> {
    let step = summary["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .find(|s| s["line"] == line)
        .unwrap_or_else(|| panic!("no step on line {line}: {summary}"));
    let mut counts: BTreeMap<String, u64> = step["outcomes"]
        .as_array()
        .expect("outcomes")
        .iter()
        .map(|o| {
            // The chunk sizes, and the bytes where there are any: `buffered "xy"`.
            let sizes = o["outcome"].as_str().unwrap();
            let key = match o["data"].as_str().unwrap() {
                "\"\"" => sizes.to_string(),
                data => format!("{sizes} {data}"),
            };
            (key, o["count"].as_u64().unwrap())
        })
        .collect();
    if step["other"] != 0 {
        counts.insert("(other)".into(), step["other"].as_u64().unwrap());
    }
    counts
}

#[test]
fn repeat_counts_every_outcome_the_seeds_chose() {
    let (runs, summary) = forty_runs();
    assert_eq!(runs.len(), 40);
    assert!(
        runs.iter()
            .all(|r| r["summary"].is_null() && r["passed"] == true)
    );
    assert_eq!(summary["runs"], 40);
    assert_eq!(summary["passed_runs"], 40);

    // Every recv step's counts add up to the runs, the random first frame's too (more
    // distinct outcomes than are listed one by one: the rest count as `other`).
    for line in [11, 12, 13] {
        let total: u64 = outcomes(&summary, line).values().sum();
        assert_eq!(total, 40, "line {line}: {summary}");
    }
    // Line 12 is "xy" exactly when the client sent 5 bytes, and then line 13 finds half
    // a frame: the two steps agree run by run, so their counts agree.
    let second = outcomes(&summary, 12);
    let third = outcomes(&summary, 13);
    assert_eq!(
        second.keys().collect::<Vec<_>>(),
        ["buffered \"xy\"", "buffered \"yz\""],
        "both lengths were drawn in 40 runs: {second:?}"
    );
    assert_eq!(
        third.keys().collect::<Vec<_>>(),
        ["eof", "eof+error truncated-frame"]
    );
    assert_eq!(
        second["buffered \"xy\""],
        third["eof+error truncated-frame"]
    );
    assert_eq!(second["buffered \"yz\""], third["eof"]);
}

#[test]
fn the_same_seed_gives_the_same_counts() {
    let (_, first) = forty_runs();
    let (_, second) = forty_runs();
    for line in [11, 12, 13] {
        assert_eq!(
            outcomes(&first, line),
            outcomes(&second, line),
            "line {line}"
        );
    }
}

#[test]
fn repeat_runs_k_with_seed_plus_k() {
    let out = stickylab()
        .args(["run", "hello-world", "--repeat", "3", "--seed", "5"])
        .args(["--format", "json"])
        .assert()
        .success();
    let lines = json_lines(&out.get_output().stdout);
    let seeds: Vec<&Value> = lines.iter().map(|l| &l["seed"]).collect();
    assert_eq!(seeds, [&5.into(), &6.into(), &7.into(), &Value::Null]);
    assert_eq!(lines[3]["summary"], true);
    assert_eq!(lines[3]["first_seed"], 5);
}

#[test]
fn repeat_as_a_table_ends_with_the_runs_that_passed() {
    let out = stickylab()
        .args([
            "run",
            &fixture("random-split"),
            "--repeat",
            "40",
            "--seed",
            "7",
        ])
        .assert()
        .success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(
        text.starts_with(
            "random-split (tests/fixtures/random-split.lab) · 40 runs · seeds 7..46 · run k uses seed 7+k\n"
        ),
        "{text}"
    );
    assert!(text.ends_with("PASS (40 of 40 runs)\n"), "{text}");
}

// ---------------------------------------------------------------------------------------
// Parameters and failed expectations

#[test]
fn a_parameter_has_its_default_and_the_flag_changes_it() {
    let run = run_json(&[&fixture("param-payload"), "--seed", "1"], 0);
    assert_eq!(data(of_op(&run, "recv")[0]), "ab");
    assert_eq!(of_op(&run, "send")[0]["requested"], 2);

    // The text replaces `$payload` before the line is parsed, so a string keeps quotes.
    let run = run_json(
        &[
            &fixture("param-payload"),
            "--param",
            "payload=\"hello\" * 2",
        ],
        0,
    );
    assert_eq!(data(of_op(&run, "recv")[0]), "hellohello");
    assert_eq!(of_op(&run, "send")[0]["requested"], 10);
}

#[test]
fn a_failed_expectation_exits_1_and_says_what_was_seen() {
    let run = run_json(&[&fixture("failing-expectation"), "--seed", "1"], 1);
    assert_eq!(run["passed"], false);
    let failed: Vec<&Value> = run["expectations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["passed"] == false)
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["line"], 10);
    assert_eq!(failed[0]["expected"], "\"hello\"");
    assert_eq!(failed[0]["observed"], "\"helloworld\"");

    let out = stickylab()
        .args(["run", &fixture("failing-expectation")])
        .assert()
        .code(1);
    let text = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert_eq!(
        text.lines().last(),
        Some("FAIL (1 of 3 expectations failed)")
    );
}

// ---------------------------------------------------------------------------------------
// Kernel behaviour, one fixture each

#[test]
fn udp_keeps_the_boundaries_of_three_datagrams() {
    let run = run_json(&[&fixture("udp-keeps-boundaries"), "--seed", "1"], 0);
    assert_schema(&run);
    let got: Vec<&str> = of_op(&run, "recvfrom").into_iter().map(data).collect();
    assert_eq!(got, ["one", "two", "three"]);
    for r in of_op(&run, "recvfrom") {
        assert_eq!(r["peer"], "client");
        assert_eq!(
            r["from"].as_array().map(Vec::len),
            Some(1),
            "one datagram: {r}"
        );
    }
}

#[test]
fn a_recvfrom_smaller_than_the_datagram_truncates_it() {
    let run = run_json(&[&fixture("udp-truncates"), "--seed", "1"], 0);
    let recvs = of_op(&run, "recvfrom");
    assert_eq!(recvs[0]["result"], 10);
    assert_eq!(recvs[0]["truncated"], true);
    assert_eq!(data(recvs[0]), "abcdefghij");
    // The other 90 bytes went with it: the next recvfrom finds nothing.
    assert_eq!(recvs[1]["timeout"], true);
    assert_eq!(run["passed"], true);
}

#[test]
fn a_unix_stream_glues_sends_like_tcp() {
    let run = run_json(&[&fixture("unix-stream-glues"), "--seed", "1"], 0);
    assert_schema(&run);
    let recv = of_op(&run, "recv")[0];
    assert_eq!(data(recv), "helloworld");
    assert_eq!(recv["from"].as_array().map(Vec::len), Some(2), "{recv}");
    assert!(
        of_op(&run, "listen")[0]["detail"]
            .as_str()
            .is_some_and(|d| !d.contains("127.0.0.1")),
        "not a TCP listener"
    );
}

#[test]
fn listen_again_after_closing_first_is_eaddrinuse() {
    let run = run_json(&[&fixture("listen-again-in-use"), "--seed", "1"], 0);
    let again = of_op(&run, "listen again");
    assert_eq!(again.len(), 1);
    assert_eq!(again[0]["error"], "EADDRINUSE", "{}", again[0]);
}

#[test]
fn listen_again_with_reuseaddr_is_ok() {
    let run = run_json(&[&fixture("listen-again-reuseaddr"), "--seed", "1"], 0);
    let again = of_op(&run, "listen again")[0];
    assert!(again["error"].is_null(), "{again}");
    let first = of_op(&run, "listen")[0]["detail"].as_str().unwrap();
    assert_eq!(again["detail"].as_str(), Some(first), "the same address");
}

#[test]
fn frames_are_reassembled_from_small_recvs() {
    let run = run_json(&[&fixture("frame-chunks"), "--seed", "1"], 0);
    let frames: Vec<&str> = of_op(&run, "recv frame").into_iter().map(data).collect();
    assert_eq!(frames, ["hello", "stickylab"]);
    let recvs = of_op(&run, "recv");
    assert!(recvs.iter().all(|r| r["requested"] == 3), "{recvs:?}");
}

#[test]
fn a_frame_longer_than_max_frame_is_refused() {
    let run = run_json(&[&fixture("frame-too-large"), "--seed", "1"], 0);
    let frame = of_op(&run, "recv frame")[0];
    assert_eq!(frame["error"], "frame-too-large", "{frame}");
    assert_eq!(run["expectations"][0]["observed"], "error frame-too-large");
}

#[test]
fn bytes_read_with_one_codec_are_kept_for_the_next() {
    let run = run_json_any_exit(&[&fixture("codec-switch"), "--seed", "1"]);
    let frames: Vec<String> = of_op(&run, "recv frame")
        .into_iter()
        .map(|f| {
            if f["eof"] == true {
                "eof".to_string()
            } else {
                data(f).to_string()
            }
        })
        .collect();
    assert_eq!(frames, ["1234", "hello"]);
}

/// Datagrams the kernel dropped (the receive buffer was full) are skipped when a
/// recvfrom is traced back: the last one comes from the sendto of `d4`, not of `d2`.
#[test]
fn a_dropped_datagram_does_not_shift_the_tracing_of_the_next() {
    let run = run_json(&["tests/fixtures/udp-drops.lab"], 0);
    let sendtos = of_op(&run, "sendto");
    let recvfroms = of_op(&run, "recvfrom");
    assert_eq!(sendtos.len(), 4);
    assert_eq!(recvfroms.len(), 2);
    assert_eq!(recvfroms[0]["from"][0]["send"], sendtos[0]["seq"]);
    assert_eq!(recvfroms[1]["from"][0]["send"], sendtos[3]["seq"]);
    assert_eq!(recvfroms[1]["stream"], sendtos[3]["stream"]);
}

/// `repeat 0 { ... }` runs its body no time at all (it used to run it once).
#[test]
fn a_block_repeated_zero_times_runs_nothing() {
    common::stickylab()
        .args(["run", &common::fixture("repeat-zero")])
        .assert()
        .success();
}
