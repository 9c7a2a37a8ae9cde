//! Why a stream recv glued several sends or got part of one, decided at the release
//! (where every send a recv came from is known) from what the run measured.

use std::collections::{HashSet, VecDeque};

use crate::record::{Event, Verdict, VerdictKind};

/// Why a stream recv glued sends or split one, from what the run measured (`sends_left`:
/// the direction's sends not yet wholly received, `(start, end, seq)`; `held`: those the
/// sender's kernel held):
/// - glued, a send after the first held by the sender's kernel (not yet sent when its
///   call returned), and fewer segments came than sends: **sender-coalesced**;
/// - glued otherwise: **receiver-accumulated** (the segments had all arrived; TCP_INFO
///   counts them);
/// - part of a send, the buffer filled and bytes still queued: **split-by-recv-size**;
/// - part of a send, everything queued taken: **split-by-segments** (the rest had not
///   arrived).
pub(super) fn verdict(
    ev: &Event,
    sends_left: &VecDeque<(u64, u64, u64)>,
    held: &HashSet<u64>,
) -> Option<Verdict> {
    let got = ev.result.filter(|&n| n > 0)?;
    let sends: Vec<u64> = {
        let mut s: Vec<u64> = ev.from.iter().map(|p| p.send).collect();
        s.dedup();
        s
    };
    if sends.len() >= 2 {
        // The sender merged them only if its kernel held one of them (not yet sent when
        // its call returned) and they came in fewer segments than sends.
        let k = sends.len();
        let held = sends[1..].iter().find(|s| held.contains(s));
        let segments = ev.segments.map(|s| s.data_in);
        if let (Some(held), Some(n)) = (held, segments)
            && n >= 1
            && (n as usize) < k
        {
            return Some(Verdict {
                kind: VerdictKind::SenderCoalesced,
                evidence: format!(
                    "{k} sends came in {n} segment(s): send #{held} was held by the sender's kernel (Nagle or cork)"
                ),
                captured: None,
            });
        }
        let evidence = match segments {
            Some(n) if n >= 2 => format!("{n} segments came before this recv took them"),
            _ => format!(
                "{} bytes were queued when this recv ran",
                ev.queued_before.unwrap_or(got)
            ),
        };
        return Some(Verdict {
            kind: VerdictKind::ReceiverAccumulated,
            evidence,
            captured: None,
        });
    }
    // One send: whole, or part of it.
    let p = ev.from.first()?;
    let whole = sends_left
        .iter()
        .find(|&&(_, _, seq)| seq == p.send)
        .is_some_and(|&(a, b, _)| p.bytes == (0, b - a));
    if whole {
        return None;
    }
    let after = ev.queued_after.unwrap_or(0);
    if ev.requested == Some(got) && after > 0 {
        Some(Verdict {
            kind: VerdictKind::SplitByRecvSize,
            evidence: format!("the buffer of {got} bytes was full and {after} bytes stayed queued"),
            captured: None,
        })
    } else {
        Some(Verdict {
            kind: VerdictKind::SplitBySegments,
            evidence: format!("only {got} bytes of send #{} had arrived", p.send),
            captured: None,
        })
    }
}
