//! What the timeline's cells need beyond the rows: the sends' sizes and datagram
//! numbers, the closes an eof may name, how many connections the run had.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt::Write as _;

use super::SHOWN_SENDS;
use super::row::{Row, thousands};
use crate::record::{Event, Op};
use crate::text::said;

/// What the cells need beyond the rows.
#[derive(Debug, Default)]
pub(in crate::report) struct Info {
    pub left_out: u64,
    /// Sizes of sends by seq, and datagram numbers.
    pub sent: BTreeMap<u64, (u64, Option<u64>)>,
    pub closes: HashMap<String, VecDeque<(u64, Op, u32)>>,
    /// The closes and shutdowns by `seq`: what an eof's `cause` names.
    pub causes: BTreeMap<u64, (String, Op, u32)>,
    pub conns: usize,
}

impl Info {
    /// `#4 #5`, `#4[7..9] #5`, or for many sends `#4 … #9000 (8,997 sends)`.
    pub fn sends_of(&self, row: &Row, lang: &str) -> String {
        let c = &row.calls;
        let from = &c.from;
        if c.sends > SHOWN_SENDS as u64
            && let (Some(a), Some(b)) = (c.first_send, c.last_send)
        {
            let n = thousands(c.sends);
            return said!("#{a} … #{b} ({n} sends)", "#{a} … #{b}（{n} 次发送）")
                .get(lang)
                .to_owned();
        }
        let mut text = String::new();
        for p in from {
            if !text.is_empty() {
                text.push(' ');
            }
            let _ = write!(text, "#{}", p.send);
            let sent = self.sent.get(&p.send);
            let whole = sent.is_some_and(|&(n, _)| p.bytes == (0, n));
            if !whole {
                let _ = write!(text, "[{}..{}]", p.bytes.0, p.bytes.1);
            }
            if let Some(&(_, Some(k))) = sent {
                text.push_str(said!(" (datagram {k})", "（数据报 {k}）").get(lang));
            }
        }
        text
    }

    /// What an eof came from: the sender's `close` or `shutdown` (`client close, line
    /// 19`): its last one before the eof, or its first one after (a close is numbered
    /// when it returns, which may be after the peer's recv saw the FIN).
    pub fn eof_cause(&self, e: &Event, lang: &str) -> String {
        if let Some((actor, op, line)) = e.cause.and_then(|c| self.causes.get(&c)) {
            return said!("{actor} {op}, line {line}", "{actor} {op}，第 {line} 行")
                .get(lang)
                .to_owned();
        }
        let Some(sender) = e.conn.as_deref().and_then(|c| c.split('>').next()) else {
            return String::new();
        };
        let sender = sender.split('#').next().unwrap_or(sender);
        let Some(list) = self.closes.get(sender) else {
            // No close of the sender's in the run: a program outside the lab (--peer, an
            // address) closed its side.
            return said!("{sender} closed its side", "{sender} 关闭了它那一端")
                .get(lang)
                .to_owned();
        };
        list.iter()
            .rev()
            .find(|c| c.0 < e.seq)
            .or_else(|| list.iter().find(|c| c.0 > e.seq))
            .map(|(_, op, line)| {
                said!("{sender} {op}, line {line}", "{sender} {op}，第 {line} 行")
                    .get(lang)
                    .to_owned()
            })
            .unwrap_or_default()
    }

    /// The datagram number of a send, if it was one.
    pub fn datagram(&self, seq: u64) -> Option<u64> {
        self.sent.get(&seq).and_then(|&(_, k)| k)
    }
}
