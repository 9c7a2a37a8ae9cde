//! What an event is: the one table of operation names. The JSON's `op` strings, the
//! reports' labels and every test read them from here, so the names cannot drift.

use std::fmt;

/// One kind of call an actor makes. Most are a step's verb; [`Op::Recv`] is also each
/// recv() call that a looping step (`recv exactly`, `recv until eof`, `recv frame`)
/// makes on its way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum Op {
    Listen,
    ListenAgain,
    Connect,
    Accept,
    Close,
    CloseListener,
    Shutdown,
    Bind,
    Send,
    SendAll,
    #[default]
    Recv,
    SendTo,
    RecvFrom,
    SendFrame,
    RecvFrame,
    Set,
    Sleep,
    Mark,
    Wait,
    WaitReadable,
    WaitDrained,
    WaitAcked,
    TimerStart,
    TimerStop,
}

impl Op {
    /// Every op with its name, as the JSON writes it (`"op": "send frame"`).
    pub const ALL: &[(Op, &str)] = &[
        (Op::Listen, "listen"),
        (Op::ListenAgain, "listen again"),
        (Op::Connect, "connect"),
        (Op::Accept, "accept"),
        (Op::Close, "close"),
        (Op::CloseListener, "close listener"),
        (Op::Shutdown, "shutdown"),
        (Op::Bind, "bind"),
        (Op::Send, "send"),
        (Op::SendAll, "sendall"),
        (Op::Recv, "recv"),
        (Op::SendTo, "sendto"),
        (Op::RecvFrom, "recvfrom"),
        (Op::SendFrame, "send frame"),
        (Op::RecvFrame, "recv frame"),
        (Op::Set, "set"),
        (Op::Sleep, "sleep"),
        (Op::Mark, "mark"),
        (Op::Wait, "wait"),
        (Op::WaitReadable, "wait readable"),
        (Op::WaitDrained, "wait drained"),
        (Op::WaitAcked, "wait acked"),
        (Op::TimerStart, "timer start"),
        (Op::TimerStop, "timer stop"),
    ];

    /// The name the JSON and the reports use.
    pub fn name(self) -> &'static str {
        Op::ALL
            .iter()
            .find(|(op, _)| *op == self)
            .map_or("?", |(_, name)| name)
    }

    /// The op named `name`, if any.
    #[cfg(test)]
    pub fn from_name(name: &str) -> Option<Op> {
        Op::ALL.iter().find(|(_, n)| *n == name).map(|(op, _)| *op)
    }

    /// Hands bytes to the kernel for a peer: the events that received bytes point back to.
    pub fn is_send(self) -> bool {
        matches!(self, Op::Send | Op::SendAll | Op::SendTo | Op::SendFrame)
    }

    /// Returns bytes from the kernel (or eof, or an error in their place).
    pub fn is_recv(self) -> bool {
        matches!(self, Op::Recv | Op::RecvFrom | Op::RecvFrame)
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl serde::Serialize for Op {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::Op;

    #[test]
    fn every_op_has_one_name_and_back() {
        for &(op, name) in Op::ALL {
            assert_eq!(op.name(), name);
            assert_eq!(Op::from_name(name), Some(op));
        }
        let mut names: Vec<&str> = Op::ALL.iter().map(|(_, n)| *n).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Op::ALL.len(), "names are distinct");
    }

    #[test]
    fn sends_and_recvs() {
        assert!(Op::SendFrame.is_send() && !Op::SendFrame.is_recv());
        assert!(Op::RecvFrom.is_recv() && !Op::Accept.is_recv());
    }
}
