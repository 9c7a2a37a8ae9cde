//! Steps -> the [`Op`] of the events they make. The language names its verbs
//! (`Action::verb`), the record names its ops (`Op::name`); this match ties the two, and
//! the compiler sees that no verb is forgotten.

use crate::record::Op;
use crate::scenario::ast::Action;

/// The op of the event a step makes; a looping step's recv() calls are [`Op::Recv`].
pub(crate) fn op_of(action: &Action) -> Op {
    match action {
        Action::Listen { .. } => Op::Listen,
        Action::ListenAgain => Op::ListenAgain,
        Action::Connect { .. } => Op::Connect,
        Action::Accept => Op::Accept,
        Action::Close => Op::Close,
        Action::CloseListener => Op::CloseListener,
        Action::Shutdown(_) => Op::Shutdown,
        Action::Bind { .. } | Action::BindTcp { .. } => Op::Bind,
        Action::Send(_) => Op::Send,
        Action::SendAll(_) => Op::SendAll,
        Action::Recv(_) => Op::Recv,
        Action::SendTo { .. } => Op::SendTo,
        Action::RecvFrom(_) => Op::RecvFrom,
        Action::SendFrame { .. } => Op::SendFrame,
        Action::RecvFrame { .. } => Op::RecvFrame,
        Action::Set(_) => Op::Set,
        Action::Sleep(_) => Op::Sleep,
        Action::Mark(_) => Op::Mark,
        Action::Wait(_) => Op::Wait,
        Action::WaitReadable(_) => Op::WaitReadable,
        Action::WaitDrained => Op::WaitDrained,
        Action::WaitAcked => Op::WaitAcked,
        Action::TimerStart(_) => Op::TimerStart,
        Action::TimerStop(_) => Op::TimerStop,
    }
}

#[cfg(test)]
mod tests {
    use super::op_of;
    use crate::scenario::parse;

    /// Every verb of the language makes events under its own name.
    #[test]
    fn ops_are_named_like_verbs() {
        let source = "\
server: listen
client: connect
server: accept
client: set nodelay on
client: send \"a\"
client: sendall \"b\"
client: send frame len32 \"c\"
server: recv 1
server: recv frame len32
client: mark m
server: wait m
client: wait drained
client: wait acked
server: wait readable 1
client: timer start t
client: sleep 1ms
client: timer stop t
client: shutdown write
server: recv until eof
client: close
server: close
server: close listener
server: listen again
u: bind udp
v: bind udp
v: sendto u \"x\"
u: recvfrom 10
";
        let scenario = parse("ops.lab", "ops", source, &[]).expect("the file parses");
        let mut seen = std::collections::BTreeSet::new();
        for item in &scenario.body {
            if let crate::scenario::ast::Item::Step(step) = item {
                assert_eq!(
                    op_of(&step.action).name(),
                    step.action.verb(),
                    "line {}",
                    step.line
                );
                seen.insert(step.action.verb());
            }
        }
        assert!(seen.len() >= 20, "the file covers most verbs: {seen:?}");
    }
}
