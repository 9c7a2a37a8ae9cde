//! Pass 3: names used before they can be known (actors, marks, timers, listeners,
//! datagram sockets) are checked against what the whole file declares, so a step may
//! name an actor whose first line comes later.

use std::collections::HashSet;

use super::Parser;
use super::cursor::{Error, Span, did_you_mean, list_names, list_names_zh};
use crate::text::{Said, said};

/// Names used somewhere and checked once the whole file is known.
#[derive(Default)]
pub(crate) struct Uses {
    pub(crate) actors: Vec<(String, Span)>,
    pub(crate) waits: Vec<(String, Span)>,
    pub(crate) timers: Vec<(String, Span)>,
    /// `connect` without `to`: the verb's span.
    pub(crate) bare_connects: Vec<Span>,
    /// Actors whose listener a step uses (`connect to`, `accept`), with the span to blame.
    /// `own` is an `accept` without `on`.
    pub(crate) listeners: Vec<(String, Span, bool)>,
    /// Actors a `sendto` sends to, which must bind a datagram socket.
    pub(crate) binders: Vec<(String, Span)>,
}

/// Declared names, in file order.
#[derive(Default)]
pub(crate) struct Declared {
    pub(crate) actors: Names,
    pub(crate) marks: Names,
    pub(crate) timers: Names,
    pub(crate) listeners: Names,
    pub(crate) binders: Names,
}

/// Names in order of first declaration, with a set for lookups: a file may declare
/// thousands, and every use is looked up.
#[derive(Default)]
pub(crate) struct Names {
    order: Vec<String>,
    set: HashSet<String>,
}

impl Names {
    pub(crate) fn contains(&self, name: &str) -> bool {
        self.set.contains(name)
    }

    /// Adds a name not seen before; false if it was already there.
    pub(crate) fn insert(&mut self, name: &str) -> bool {
        if self.set.contains(name) {
            return false;
        }
        self.set.insert(name.to_string());
        self.order.push(name.to_string());
        true
    }

    pub(crate) fn len(&self) -> usize {
        self.order.len()
    }

    pub(crate) fn as_slice(&self) -> &[String] {
        &self.order
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &str> + Clone {
        self.order.iter().map(String::as_str)
    }

    pub(crate) fn into_vec(self) -> Vec<String> {
        self.order
    }
}

impl Parser<'_, '_> {
    /// Pass 3: names that must be declared somewhere in the file.
    pub(crate) fn finish(&mut self) {
        while let Some(block) = self.blocks.pop() {
            self.errors.push(
                Error::new(
                    block.span,
                    Said::both(
                        "this `repeat` block is never closed",
                        "这个 `repeat` 块没有闭合",
                    ),
                )
                .with_help(Said::both(
                    "add a line with `}` after its last step",
                    "在它最后一个步骤之后加一行 `}`",
                )),
            );
        }
        let uses = std::mem::take(&mut self.uses);
        let declared = &self.declared;
        for (name, span) in uses.actors {
            if !declared.actors.contains(&name) {
                let help = self
                    .errors
                    .wants(span)
                    .then(|| did_you_mean(&name, declared.actors.iter()))
                    .flatten();
                self.errors.push(
                    Error::new(
                        span,
                        said!(
                            "unknown actor `{name}`: no step line starts with `{name}:`",
                            "未知的角色 `{name}`：没有哪个步骤行以 `{name}:` 开头"
                        ),
                    )
                    .help(help),
                );
            }
        }
        for (name, span) in uses.waits {
            if !declared.marks.contains(&name) {
                let near = self.errors.wants(span);
                let help = near
                    .then(|| did_you_mean(&name, declared.marks.iter()))
                    .flatten()
                    .or_else(|| {
                        Some(said!(
                            "some actor must `mark {name}` for this wait to end",
                            "必须有角色执行 `mark {name}`，这个 wait 才会结束"
                        ))
                    });
                self.errors.push(
                    Error::new(
                        span,
                        said!(
                            "nothing marks `{name}`: no step has `mark {name}`",
                            "没有谁标记 `{name}`：没有哪个步骤是 `mark {name}`"
                        ),
                    )
                    .help(help),
                );
            }
        }
        for (name, span) in uses.timers {
            if !declared.timers.contains(&name) {
                let help = self
                    .errors
                    .wants(span)
                    .then(|| did_you_mean(&name, declared.timers.iter()))
                    .flatten();
                self.errors.push(
                    Error::new(
                        span,
                        said!(
                            "timer `{name}` is never started: no step has `timer start {name}`",
                            "计时器 `{name}` 从未启动：没有哪个步骤是 `timer start {name}`"
                        ),
                    )
                    .help(help),
                );
            }
        }
        // Only actors that exist: an unknown one has its own error above.
        for (name, span, own) in uses.listeners {
            if declared.actors.contains(&name) && !declared.listeners.contains(&name) {
                let message = if own {
                    said!(
                        "`{name}` has no listener to accept on: no step has `{name}: listen`",
                        "`{name}` 没有可以 accept 的监听套接字：没有哪个步骤是 `{name}: listen`"
                    )
                } else {
                    said!(
                        "`{name}` never listens: no step has `{name}: listen`",
                        "`{name}` 从不监听（listen）：没有哪个步骤是 `{name}: listen`"
                    )
                };
                self.errors.push(Error::new(span, message));
            }
        }
        for (name, span) in uses.binders {
            if declared.actors.contains(&name) && !declared.binders.contains(&name) {
                self.errors.push(
                    Error::new(
                        span,
                        said!(
                            "`{name}` never binds a datagram socket to send to",
                            "`{name}` 从未绑定（bind）可以发往的数据报套接字"
                        ),
                    )
                    .with_help(said!(
                        "add `{name}: bind udp` or `{name}: bind unix-dgram`",
                        "加上 `{name}: bind udp` 或 `{name}: bind unix-dgram`"
                    )),
                );
            }
        }
        for span in uses.bare_connects {
            match declared.listeners.as_slice() {
                [_] => {}
                [] => self.errors.push(
                    Error::new(
                        span,
                        Said::both(
                            "`connect` has nothing to connect to: no actor has a `listen` step",
                            "`connect` 没有可连接的对象：没有哪个角色有 `listen` 步骤",
                        ),
                    )
                    .with_help(Said::both(
                        "add a step like `server: listen`",
                        "加一个步骤，比如 `server: listen`",
                    )),
                ),
                several => self.errors.push(
                    Error::new(span, {
                        let (names, names_zh) = (list_names(several), list_names_zh(several));
                        let both = if several.len() == 2 { "both" } else { "all" };
                        said!(
                            "`connect` without `to` is ambiguous: {names} {both} listen",
                            "没有 `to` 的 `connect` 有歧义：{names_zh} 都在监听"
                        )
                    })
                    .with_help({
                        let first = &several[0];
                        said!(
                            "say which one, like `connect to {first}`",
                            "说明连哪一个，比如 `connect to {first}`"
                        )
                    }),
                ),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{errors, parse_ok};

    #[test]
    fn connect_may_come_before_listen_and_actors_are_in_order_of_first_step() {
        let s = parse_ok("client: connect\nserver: listen\nserver: accept\n");
        assert_eq!(s.actors, ["client", "server"]);
    }

    #[test]
    fn names_are_checked_against_the_whole_file() {
        parse_ok(
            "server: wait ready\nclient: mark ready\nclient: connect to server\nserver: listen\n",
        );
        assert_eq!(
            errors("a: listen\na: close listener\na: listen again\nb: connect\nb: timer stop t\n"),
            "t.lab:5:15: timer `t` is never started: no step has `timer start t`\n\
             5 | b: timer stop t\n  \
               |               ^"
        );
    }
}
