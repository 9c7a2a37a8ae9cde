//! The capture in the reports: the JSON's `wire` list, the verdicts' evidence from the
//! captured segments, and the segments drawn in the html and svg pictures, each checked
//! against the run's own JSON. Real runs of the built-in scenarios, as root.
//!
//! Capturing needs CAP_NET_RAW: unprivileged, these tests say SKIPPED and pass, unless
//! `STICKYLAB_CI` (or `CI`) is set, where not being able to capture is a failure.

mod common;

use common::root;

use serde_json::Value;

/// True when this test can capture; says why not otherwise (and fails under CI).
fn can_capture() -> bool {
    if root() {
        return true;
    }
    let ci = common::ci();
    assert!(
        !ci,
        "CI runs the capture tests as root (CAP_NET_RAW): run them with sudo"
    );
    eprintln!("SKIPPED: capturing needs root (CAP_NET_RAW)");
    false
}

/// `stickylab run NAME --wire ARGS`'s stdout, the run having passed.
fn run(name: &str, args: &[&str]) -> String {
    let out = common::stickylab()
        .args(["run", name, "--wire"])
        .args(args)
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

fn json(name: &str) -> Value {
    serde_json::from_str(&run(name, &["--format", "json"])).expect("one JSON object")
}

fn list(v: &Value) -> &Vec<Value> {
    v.as_array().unwrap_or_else(|| panic!("a list: {v}"))
}

fn seqs(v: &Value) -> Vec<u64> {
    list(v)
        .iter()
        .map(|x| x.as_u64().expect("a number"))
        .collect()
}

/// The last recv of `actor` that has a verdict.
fn verdict_recv<'a>(run: &'a Value, actor: &str) -> &'a Value {
    list(&run["events"])
        .iter()
        .rev()
        .find(|e| e["actor"] == actor && e["op"] == "recv" && e.get("verdict").is_some())
        .unwrap_or_else(|| panic!("a recv of {actor} with a verdict: {run}"))
}

/// nagle-coalesce, captured: "a" leaves alone, "b" and "c" in one later segment, after
/// the server's delayed ACK of "a"; the verdict names that segment.
#[test]
fn nagle_coalesce_verdict_names_the_segment_that_carried_two_sends() {
    if !can_capture() {
        return;
    }
    let run = json("nagle-coalesce");
    let wire = list(&run["wire"]);
    for (n, s) in wire.iter().enumerate() {
        assert_eq!(s["n"], n as u64, "{s}");
    }
    let recv = verdict_recv(&run, "server");
    assert_eq!(recv["data"], "abc");
    let verdict = &recv["verdict"];
    assert_eq!(verdict["kind"], "sender-coalesced", "{verdict}");
    let evidence = verdict["evidence"].as_str().expect("evidence");
    assert!(evidence.ends_with("(captured)"), "{evidence}");
    let from: Vec<u64> = list(&recv["from"])
        .iter()
        .map(|f| f["send"].as_u64().expect("a send"))
        .collect();
    let [a, b, c] = from.as_slice() else {
        panic!("three sends: {recv}");
    };
    assert!(
        evidence.starts_with(&format!("#{b} and #{c} left in 1 segment")),
        "{evidence}"
    );
    // The verdict's segments: "a" alone, then "b" and "c" together.
    let named: Vec<&Value> = seqs(&verdict["segments"])
        .iter()
        .map(|&i| &wire[i as usize])
        .collect();
    let [first, second] = named.as_slice() else {
        panic!("two segments: {verdict}");
    };
    assert_eq!(seqs(&first["sends"]), [*a], "{first}");
    assert_eq!(seqs(&second["sends"]), [*b, *c], "{second}");
    assert_eq!(first["len"], 1);
    assert_eq!(second["len"], 2);
    assert_eq!(second["bytes"][1], recv["stream"][1]);
    for s in [first, second] {
        assert_eq!(s["direction"], "client>server", "{s}");
        assert_eq!(seqs(&s["recvs"]), [recv["seq"].as_u64().expect("seq")]);
    }
    // Held until the delayed ACK of "a": at least 30 ms later, with that ACK between.
    let t = |s: &Value| s["t_us"].as_u64().expect("t_us");
    assert!(t(second) >= t(first) + 30_000, "{first} {second}");
    let acked = &first["bytes"][1];
    assert!(
        wire.iter().any(|s| s["direction"] == "server>client"
            && s["len"] == 0
            && &s["ack"] == acked
            && t(s) > t(first)
            && t(s) <= t(second)),
        "the ACK of \"a\" before \"bc\": {wire:?}"
    );
}

/// receiver-accumulation, captured: each send in its own segment, both before the recv
/// returned them.
#[test]
fn receiver_accumulation_evidence_is_one_segment_per_send() {
    if !can_capture() {
        return;
    }
    let run = json("receiver-accumulation");
    let recv = verdict_recv(&run, "server");
    let verdict = &recv["verdict"];
    assert_eq!(verdict["kind"], "receiver-accumulated", "{verdict}");
    let evidence = verdict["evidence"].as_str().expect("evidence");
    assert!(
        evidence.ends_with("left in 2 segments, one each (captured)"),
        "{evidence}"
    );
    let wire = list(&run["wire"]);
    // Captured before the recv returned them (the capture's clock is tied to the run's
    // to some tens of microseconds: "before the recv began" would be too fine).
    let recv_end = recv["t_us"].as_u64().expect("t_us") + recv["dur_us"].as_u64().expect("dur");
    for &i in &seqs(&verdict["segments"]) {
        let s = &wire[i as usize];
        assert_eq!(list(&s["sends"]).len(), 1, "{s}");
        assert!(
            // Each of the three numbers is rounded down to a microsecond.
            s["t_us"].as_u64().expect("t_us") <= recv_end + 2,
            "{s} before {recv}"
        );
    }
}

/// delayed-ack, captured: the ACK of the first 4 bytes follows them at once, the ACK of
/// the 4 after the reply 40 ms later.
#[test]
fn delayed_ack_is_a_late_ack_on_the_wire() {
    if !can_capture() {
        return;
    }
    let run = json("delayed-ack");
    let wire = list(&run["wire"]);
    let t = |s: &Value| s["t_us"].as_u64().expect("t_us");
    let data = |a: u64| {
        wire.iter()
            .find(|s| s["direction"] == "client>server" && s["bytes"][0] == a && s["len"] == 4)
            .unwrap_or_else(|| panic!("the data at {a}: {wire:?}"))
    };
    let ack = |to: u64| {
        wire.iter()
            .find(|s| s["direction"] == "server>client" && s["ack"] == to)
            .unwrap_or_else(|| panic!("an ACK of {to}: {wire:?}"))
    };
    let (ping, more) = (data(0), data(4));
    assert!(t(ack(4)) - t(ping) < 25_000, "{ping} {}", ack(4));
    assert!(t(ack(8)) - t(more) >= 30_000, "{more} {}", ack(8));
    assert_eq!(ack(8)["len"], 0, "a bare ACK: no reply carried it");
}

/// The table's note of a glued recv says what the capture showed.
#[test]
fn the_table_note_gives_the_captured_evidence() {
    if !can_capture() {
        return;
    }
    let text = run("nagle-coalesce", &[]);
    let row = text
        .lines()
        .find(|l| l.contains("recv 1024"))
        .unwrap_or_else(|| panic!("the recv row: {text}"));
    assert!(row.contains("glued by the sender: #"), "{row}");
    assert!(row.contains("left in 1 segment"), "{row}");
    assert!(row.contains("(captured)"), "{row}");
    let zh = run("hello-world", &["--lang", "zh"]);
    assert!(zh.contains("（抓包所见）"), "{zh}");
}

/// The attributes of each `<g class="segment" ...>` of an SVG text, by name.
fn segments_of(svg: &str) -> Vec<std::collections::HashMap<String, String>> {
    svg.split("<g class=\"segment\" ")
        .skip(1)
        .map(|g| {
            let head = g.split_once('>').map_or(g, |(h, _)| h);
            head.split("\" ")
                .filter_map(|kv| kv.split_once("=\""))
                .map(|(k, v)| (k.to_owned(), v.trim_end_matches('"').to_owned()))
                .collect()
        })
        .collect()
}

/// The html page draws one segment per entry of the `wire` list of the JSON embedded in
/// the very page, with its bytes, direction and sends.
#[test]
fn the_html_diagram_draws_the_segments_of_its_own_json() {
    if !can_capture() {
        return;
    }
    let page = run("nagle-coalesce", &["--format", "html"]);
    let json = page
        .split_once("id=\"stickylab-run\"")
        .and_then(|(_, rest)| rest.split_once('>'))
        .and_then(|(_, rest)| rest.split_once("</script>"))
        .map(|(json, _)| json)
        .expect("the embedded JSON");
    let run: Value = serde_json::from_str(json).expect("JSON");
    let wire = list(&run["wire"]);
    let drawn = segments_of(&page);
    assert_eq!(drawn.len(), wire.len(), "one drawing per segment");
    for (g, s) in drawn.iter().zip(wire) {
        assert_eq!(g["data-segment"], s["n"].to_string());
        assert_eq!(g["data-direction"].replace("&gt;", ">"), s["direction"]);
        let bytes = format!("{}..{}", s["bytes"][0], s["bytes"][1]);
        assert_eq!(g["data-bytes"], bytes);
        assert_eq!(g["data-len"], s["len"].to_string());
        let sends: Vec<String> = seqs(&s["sends"]).iter().map(u64::to_string).collect();
        assert_eq!(g["data-sends"], sends.join(" "));
    }
    // The segment that glued two sends is drawn, and names both.
    assert!(
        drawn
            .iter()
            .any(|g| g["data-len"] == "2" && g["data-sends"].split(' ').count() == 2),
        "{drawn:?}"
    );
    assert!(page.contains("captured segments (--wire)"));
}

/// `--format svg --wire`: the diagram alone, well-formed, with the segments: the
/// client's data segments carry its 11 bytes, "a" alone and "b" with "c"; without
/// `--wire`, no segment is drawn.
#[test]
fn the_svg_has_segments_only_with_a_capture() {
    if !can_capture() {
        return;
    }
    let svg = run("nagle-coalesce", &["--format", "svg"]);
    let doc = roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("{e}\n{svg}"));
    let groups = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("segment"))
        .count();
    let drawn = segments_of(&svg);
    assert_eq!(groups, drawn.len(), "well-formed, and read alike: {svg}");
    let data: Vec<_> = drawn
        .iter()
        .filter(|g| g["data-direction"] == "client&gt;server" && g["data-len"] != "0")
        .collect();
    let lengths: Vec<&str> = data.iter().map(|g| g["data-len"].as_str()).collect();
    // Two pings, "a", then "b" and "c" together.
    assert_eq!(lengths, ["4", "4", "1", "2"], "{data:?}");
    assert_eq!(data[3]["data-bytes"], "9..11");
    assert_eq!(data[3]["data-sends"].split(' ').count(), 2, "{data:?}");
    assert_eq!(
        data[3]["data-recvs"], data[2]["data-recvs"],
        "one recv got both"
    );

    let out = common::stickylab()
        .args(["run", "nagle-coalesce", "--format", "svg"])
        .output()
        .expect("runs");
    let plain = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(!plain.contains("class=\"segment\""), "{plain}");
    assert!(!plain.contains("id=\"tick\""), "{plain}");
}

/// `--format markdown --wire`: a wire table, whose row for bytes 9..11 names two sends
/// and the recv that got them; without `--wire`, no such table.
#[test]
fn the_markdown_has_a_wire_table_only_with_a_capture() {
    if !can_capture() {
        return;
    }
    let text = run("nagle-coalesce", &["--format", "markdown"]);
    let (_, wire) = text
        .split_once("\n## wire\n")
        .unwrap_or_else(|| panic!("a wire section: {text}"));
    assert!(wire.contains("| t ms | direction | flags | bytes | len | ack | sends | recvs |"));
    let row = wire
        .lines()
        .find(|l| l.contains("| 9..11 |"))
        .unwrap_or_else(|| panic!("the row of \"bc\": {wire}"));
    let cells: Vec<&str> = row.split(" | ").collect();
    assert_eq!(cells[4], "2", "{row}");
    assert_eq!(cells[6].split(' ').count(), 2, "two sends: {row}");

    let out = common::stickylab()
        .args(["run", "nagle-coalesce", "--format", "markdown"])
        .output()
        .expect("runs");
    assert!(out.status.success());
    assert!(!String::from_utf8_lossy(&out.stdout).contains("\n## wire\n"));
}
