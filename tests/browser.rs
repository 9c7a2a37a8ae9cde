//! The HTML report in a real browser: headless Chromium, driven through chromedriver
//! (WebDriver), opens the page of a real run, which must render with no console error and
//! no network request, and draw one arrow per `from` entry of the JSON embedded in the
//! very page (with `--full`, nothing folded). A screenshot of each page is saved under
//! `target/screenshots/` for a person to look at.
//!
//! CI installs Chromium and chromedriver (`.ci/run`); on a machine without them the test
//! says so and passes, unless `CI` or `STICKYLAB_CI` is set, where a missing browser
//! is a failure.

mod common;

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};

/// chromedriver, started on a free port, stopped when dropped.
struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn find(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
}

fn start_driver() -> Option<(Driver, PathBuf)> {
    let driver = find(&["chromedriver"])?;
    let browser = find(&["chromium", "chromium-browser", "google-chrome"])?;
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .ok()?;
    let child = Command::new(driver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let d = Driver { child, port };
    // Ready once it answers its status.
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if call(d.port, "GET", "/status", None).is_ok() {
            return Some((d, browser));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    None
}

/// One WebDriver request over HTTP/1.1, its JSON answer.
fn call(port: u16, method: &str, path: &str, body: Option<&Value>) -> Result<Value, String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_secs(60)))
        .map_err(|e| e.to_string())?;
    let body = body.map(Value::to_string).unwrap_or_default();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .map_err(|e| e.to_string())?;
    // The answer's headers, then exactly Content-Length bytes (chromedriver keeps the
    // connection open, whatever the request says).
    let mut answer = Vec::new();
    let mut byte = [0u8; 1];
    while !answer.ends_with(b"\r\n\r\n") {
        let n = s.read(&mut byte).map_err(|e| e.to_string())?;
        if n == 0 {
            return Err(format!("the answer ended in its headers: {answer:?}"));
        }
        answer.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&answer).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| format!("no content-length in {head}"))?;
    let mut body = vec![0u8; length];
    s.read_exact(&mut body).map_err(|e| e.to_string())?;
    let json = String::from_utf8_lossy(&body);
    serde_json::from_str(&json).map_err(|e| format!("{e}: {json}"))
}

fn value(port: u16, method: &str, path: &str, body: Option<&Value>) -> Value {
    let answer = call(port, method, path, body).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert!(
        answer["value"]["error"].is_null(),
        "{method} {path}: {answer}"
    );
    answer["value"].clone()
}

/// Writes the page of `run ARGS --format html` and returns its path.
fn page(name: &str, args: &[&str]) -> PathBuf {
    let out = common::stickylab()
        .args(["run"])
        .args(args)
        .args(["--format", "html"])
        .assert()
        .get_output()
        .stdout
        .clone();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("pages");
    std::fs::create_dir_all(&dir).expect("a directory for the pages");
    let path = dir.join(format!("{name}.html"));
    std::fs::write(&path, out).expect("the page is written");
    path
}

#[test]
fn the_html_report_renders_in_chromium_with_one_arrow_per_provenance() {
    let Some((driver, browser)) = start_driver() else {
        let ci = common::ci();
        assert!(
            !ci,
            "CI must test the HTML report in Chromium: install chromium and chromium-driver"
        );
        eprintln!(
            "SKIPPED: no chromium/chromedriver on this machine (apt-get install chromium chromium-driver)"
        );
        return;
    };
    let port = driver.port;
    let caps = json!({"capabilities": {"alwaysMatch": {
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": browser,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1400,1000"]
        },
        "goog:loggingPrefs": {"browser": "ALL", "performance": "ALL"}
    }}});
    let session = value(port, "POST", "/session", Some(&caps));
    let id = session["sessionId"].as_str().expect("a session").to_owned();
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap_or(Path::new("target"))
        .join("screenshots");
    std::fs::create_dir_all(&shots).expect("a directory for screenshots");

    let mut pages = vec![
        ("hello-world", vec!["hello-world", "--full"]),
        ("split-by-rcvbuf", vec!["split-by-rcvbuf", "--full"]),
        ("udp-boundaries", vec!["udp-boundaries", "--full"]),
        // The same checks on a page in Chinese (its screenshot shows the CJK text when
        // the machine has a font for it: `.ci/run` installs one).
        (
            "hello-world-zh",
            vec!["hello-world", "--full", "--lang", "zh"],
        ),
    ];
    // As root, a page with the captured segments drawn too (one per `wire` entry).
    if common::root() {
        pages.push((
            "nagle-coalesce-wire",
            vec!["nagle-coalesce", "--full", "--wire"],
        ));
    } else {
        eprintln!("SKIPPED (the --wire page only): capturing needs root (CAP_NET_RAW)");
    }
    for (name, args) in pages {
        let path = page(name, &args);
        let url = format!("file://{}", path.display());
        value(
            port,
            "POST",
            &format!("/session/{id}/url"),
            Some(&json!({"url": url})),
        );
        let script = "var run = JSON.parse(document.getElementById('stickylab-run').textContent);\
            var from = [];\
            run.events.forEach(function(e){ (e.from || []).forEach(function(p){ from.push(p.send + '>' + e.seq); }); });\
            var arrows = Array.from(document.querySelectorAll('[data-send][data-recv]')).map(function(a){\
              return a.getAttribute('data-send') + '>' + a.getAttribute('data-recv'); });\
            var svg = document.querySelector('svg.stickylab-diagram');\
            return {from: from, arrows: arrows, svg: svg ? svg.getBBox().height : 0, passed: run.passed,\
              wire: (run.wire || []).length, segments: document.querySelectorAll('g.segment').length};";
        let seen = value(
            port,
            "POST",
            &format!("/session/{id}/execute/sync"),
            Some(&json!({"script": script, "args": []})),
        );
        let set = |key: &str| -> BTreeSet<String> {
            seen[key]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        };
        let count = |key: &str| seen[key].as_array().map_or(0, Vec::len);
        assert!(count("from") > 0, "{name}: the run has provenance: {seen}");
        assert_eq!(count("arrows"), count("from"), "{name}: {seen}");
        assert_eq!(set("arrows"), set("from"), "{name}");
        assert_eq!(
            seen["segments"], seen["wire"],
            "{name}: one drawing per segment"
        );
        if name.ends_with("-wire") {
            assert!(seen["wire"].as_u64().unwrap_or(0) > 0, "{name}: {seen}");
        }
        assert!(
            seen["svg"].as_f64().unwrap_or(0.0) > 100.0,
            "{name}: the diagram is drawn"
        );

        let console = value(
            port,
            "POST",
            &format!("/session/{id}/se/log"),
            Some(&json!({"type": "browser"})),
        );
        let errors: Vec<&Value> = console
            .as_array()
            .map(|a| a.iter().filter(|l| l["level"] == "SEVERE").collect())
            .unwrap_or_default();
        assert!(errors.is_empty(), "{name}: console errors: {errors:?}");
        let network = value(
            port,
            "POST",
            &format!("/session/{id}/se/log"),
            Some(&json!({"type": "performance"})),
        );
        let fetched: Vec<String> = network
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|l| l["message"].as_str())
                    .filter_map(|m| serde_json::from_str::<Value>(m).ok())
                    .filter(|m| m["message"]["method"] == "Network.requestWillBeSent")
                    .filter_map(|m| {
                        m["message"]["params"]["request"]["url"]
                            .as_str()
                            .map(str::to_owned)
                    })
                    .filter(|u| !u.starts_with("file:") && !u.starts_with("data:"))
                    .collect()
            })
            .unwrap_or_default();
        assert!(fetched.is_empty(), "{name}: the page fetched {fetched:?}");

        let shot = value(port, "GET", &format!("/session/{id}/screenshot"), None);
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot.as_str().unwrap_or_default())
            .expect("a base64 screenshot");
        assert!(png.starts_with(b"\x89PNG"), "{name}: a PNG");
        std::fs::write(shots.join(format!("{name}.png")), png).expect("the screenshot is saved");
    }
    let _ = call(port, "DELETE", &format!("/session/{id}"), None);
}

/// No fetch of anything: the page opens offline (the SVG namespace is a name, not a
/// fetch).
#[test]
fn the_page_is_self_contained() {
    let path = page("self-contained", &["hello-world"]);
    let text = std::fs::read_to_string(path).expect("the page");
    let without_namespace = text.replace("http://www.w3.org/2000/svg", "");
    assert!(!without_namespace.contains("http://"), "{text}");
    assert!(!without_namespace.contains("https://"), "{text}");
    assert!(text.contains("<script type=\"application/json\" id=\"stickylab-run\""));
}

/// `--format svg` is one well-formed SVG document: an XML parser reads it, its root is
/// `<svg>`, and each arrow joins a send box and a recv box of the same picture (the SVG
/// embeds no JSON, and a second run may chunk differently, so the picture is checked
/// against itself).
#[test]
fn the_svg_is_well_formed_and_its_arrows_join_boxes() {
    for name in ["hello-world", "udp-boundaries", "nagle-stall"] {
        let out = common::stickylab()
            .args(["run", name, "--format", "svg"])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let text = String::from_utf8(out).expect("UTF-8");
        let doc =
            roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}\n{text}"));
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "svg", "{name}");
        let seqs = |class: &str| -> BTreeSet<String> {
            doc.descendants()
                .filter(|n| n.attribute("class") == Some(class))
                .filter_map(|n| n.attribute("data-seq").map(str::to_owned))
                .collect()
        };
        let (sends, recvs) = (seqs("send"), seqs("recv"));
        let arrows: Vec<_> = doc
            .descendants()
            .filter(|n| n.attribute("class") == Some("arrow"))
            .collect();
        assert!(!arrows.is_empty(), "{name}: {text}");
        for a in arrows {
            let send = a.attribute("data-send").unwrap_or_default();
            let recv = a.attribute("data-recv").unwrap_or_default();
            assert!(
                sends.contains(send),
                "{name}: arrow from #{send}, not a send box"
            );
            assert!(
                recvs.contains(recv),
                "{name}: arrow to #{recv}, not a recv box"
            );
        }
    }
}

/// `--format markdown`: a table a Markdown renderer reads (a header, its separator, a row
/// per step) and a mermaid sequence diagram.
#[test]
fn the_markdown_has_a_table_and_a_mermaid_sequence_diagram() {
    let out = common::stickylab()
        .args(["run", "hello-world", "--format", "markdown"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).expect("UTF-8");
    let lines: Vec<&str> = text.lines().collect();
    let header = lines
        .iter()
        .position(|l| l.starts_with("| # |"))
        .unwrap_or_else(|| panic!("no table header in\n{text}"));
    let columns = lines[header].matches(" | ").count();
    assert!(lines[header + 1].starts_with("| --- |"), "{text}");
    let rows: Vec<&&str> = lines[header + 2..]
        .iter()
        .take_while(|l| l.starts_with("| "))
        .collect();
    assert!(rows.len() >= 9, "a row per step of hello-world:\n{text}");
    for row in &rows {
        // Pipes in cells are escaped, so every row has the header's columns.
        assert_eq!(
            row.replace("\\|", "").matches(" | ").count(),
            columns,
            "{row}"
        );
    }
    assert!(rows.iter().any(|r| r.contains("hello▏world")), "{text}");
    let mermaid = text
        .split_once("```mermaid\nsequenceDiagram\n")
        .map(|(_, rest)| rest)
        .unwrap_or_else(|| panic!("no mermaid block in\n{text}"));
    assert!(mermaid.contains("    participant A1 as client\n"), "{text}");
    assert!(mermaid.contains("    A1->>A0: seq "), "{text}");
    assert!(mermaid.contains("Note over A0:"), "{text}");
    assert!(mermaid.contains("\n```\n"), "the block is closed:\n{text}");
}
