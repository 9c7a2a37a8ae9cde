//! Segment counts need no privileges: TCP_INFO is any socket owner's to read. As root
//! (CI), the binary runs as `nobody` through setpriv(1) to show it; elsewhere it runs as
//! the user running the tests, who is not root.

mod common;

use common::unprivileged;

use serde_json::Value;

#[test]
fn sends_and_recvs_carry_segment_counts_without_privileges() {
    let out = unprivileged(&["run", "hello-world", "--format", "json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let run: Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    let events = run["events"].as_array().expect("events");
    let sends: Vec<&Value> = events.iter().filter(|e| e["op"] == "send").collect();
    assert_eq!(sends.len(), 2);
    for send in sends {
        // Each 5-byte send left in one data segment (or was held, with its bytes
        // counted as not yet sent).
        let seg = &send["segments"];
        let left = seg["data_out"].as_u64().unwrap_or(0);
        let held = seg["notsent"].as_u64().unwrap_or(0);
        assert!(left >= 1 || held > 0, "{send}");
    }
    let recv = events
        .iter()
        .find(|e| e["op"] == "recv" && e["result"] == 10)
        .expect("the recv that got both sends");
    assert!(
        recv["segments"]["data_in"].as_u64().unwrap_or(0) >= 1,
        "{recv}"
    );
    let table = unprivileged(&["run", "hello-world"]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains("in 1 segment"), "{text}");
    assert!(
        text.contains("segments came") || text.contains("1 segment came"),
        "{text}"
    );
}

/// Every glued or split recv says why, with its evidence: hello-world's recv glued two
/// sends that had both arrived (the receiver's doing); paced-split's recvs got parts of
/// one send that had not all arrived.
#[test]
fn glued_and_split_recvs_carry_their_verdict() {
    let out = unprivileged(&["run", "hello-world", "--format", "json"]);
    let run: Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    let events = run["events"].as_array().expect("events");
    let glued = events
        .iter()
        .find(|e| e["op"] == "recv" && e["result"] == 10)
        .expect("the recv that got both sends");
    assert_eq!(glued["verdict"]["kind"], "receiver-accumulated", "{glued}");
    let whole: Vec<&Value> = events.iter().filter(|e| e["op"] == "send").collect();
    assert!(whole.iter().all(|e| e["verdict"].is_null()));

    let out = unprivileged(&["run", "paced-split", "--format", "json"]);
    let run: Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    let parts: Vec<&Value> = run["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["op"] == "recv" && e["result"].as_u64().unwrap_or(0) > 0)
        .collect();
    assert!(parts.len() >= 2, "{run}");
    for part in parts {
        assert_eq!(part["verdict"]["kind"], "split-by-segments", "{part}");
        let evidence = part["verdict"]["evidence"].as_str().unwrap_or_default();
        assert!(evidence.contains("had arrived"), "{evidence}");
    }
}
