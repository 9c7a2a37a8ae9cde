//! The `--repeat` summary, from the real binary.

mod common;

use common::{fixture, stickylab};

/// The JSON summary line of `run FILE --repeat 3`, its `steps` as (line, outcomes).
fn step_outcomes(file: &str) -> Vec<(u64, String)> {
    let out = stickylab()
        .args([
            "run", file, "--repeat", "3", "--seed", "7", "--format", "json",
        ])
        .output()
        .expect("stickylab runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("JSON is UTF-8");
    let last = text.lines().last().expect("a summary line");
    let summary: serde_json::Value = serde_json::from_str(last).expect("the summary is JSON");
    summary["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| (s["line"].as_u64().unwrap_or(0), s["outcomes"].to_string()))
        .collect()
}

/// `recv   frame   len32` is the same step as `recv frame len32` (spaces between words
/// are free): the summary counts its frames, not the recv() calls inside it.
#[test]
fn recv_frame_with_extra_spaces_summarises_frames() {
    let dir = std::env::temp_dir().join(format!("stickylab-spaces-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let source = std::fs::read_to_string(fixture("frame-chunks")).expect("the fixture");
    let spaced = source.replace("recv frame len32", "recv   frame   len32");
    assert_ne!(spaced, source);
    let spaced_file = dir.join("frame-chunks.lab");
    std::fs::write(&spaced_file, spaced).expect("write the spaced copy");

    let single = step_outcomes(&fixture("frame-chunks"));
    let spaced = step_outcomes(&spaced_file.to_string_lossy());
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(
        single,
        vec![
            (
                9,
                r#"[{"count":3,"data":"\"hello\"","outcome":"3+3+3"}]"#.to_owned()
            ),
            (
                10,
                r#"[{"count":3,"data":"\"stickylab\"","outcome":"3×4+1"}]"#.to_owned()
            ),
        ]
    );
    assert_eq!(spaced, single);
}
