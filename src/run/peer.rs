//! Actors played by programs outside the lab (`--peer ACTOR=HOST:PORT`), and the
//! addresses beyond loopback a run needs `--allow-remote` for.
//!
//! The scenario still names the actor and still holds its lines: they say what the lab
//! expects of the program (listen, accept, echo) and let the file run alone, with the
//! lab's own thread in that part. Under `--peer` those lines are not run; the other
//! actors connect to the program's address instead of a listener of the lab's. What the
//! lab's actors send and receive is recorded as usual; bytes from the program have no
//! send of ours to point to, so a recv of them shows the program's stream offsets.
//!
//! Lines that only the actor itself could carry out are refused before the run, each
//! named, rather than left to deadlock: its marks (nobody else can make them), the waits
//! and timers of its own, its expectations (the lab does not see its recvs), another
//! actor's `wait` for one of its marks, `accept on` it, datagrams to or from it, and
//! `expect:` lines about its calls.

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use super::Peer;
use crate::scenario::Scenario;
use crate::scenario::ast::{Action, CheckKind, Item, Step, Target};

/// A line a `--peer` run cannot carry out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub line: u32,
    /// The column of the step's verb (0 for an `expect:` line).
    pub col: u32,
    /// The line as written.
    pub text: String,
    /// Why, in words that say what to change.
    pub why: String,
}

/// Everything wrong with running `scenario` with `peers`, in line order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerError {
    pub file: String,
    pub unknown: Vec<String>,
    pub actors: Vec<String>,
    pub lines: Vec<Refused>,
}

impl fmt::Display for PeerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for name in &self.unknown {
            writeln!(
                f,
                "{}: --peer {name}=...: the scenario has no actor `{name}` (its actors: {})",
                self.file,
                self.actors.join(", ")
            )?;
        }
        for r in &self.lines {
            match r.col {
                0 => writeln!(f, "{}:{}: `{}`: {}", self.file, r.line, r.text, r.why)?,
                col => writeln!(f, "{}:{}:{col}: `{}`: {}", self.file, r.line, r.text, r.why)?,
            }
        }
        Ok(())
    }
}

/// Checks that `scenario` can run with `peers` in place of their actors.
pub fn check(scenario: &Scenario, peers: &[Peer]) -> Result<(), PeerError> {
    let mut error = PeerError {
        file: scenario.file.clone(),
        unknown: Vec::new(),
        actors: scenario.actors.clone(),
        lines: Vec::new(),
    };
    for peer in peers {
        if !scenario.actors.contains(&peer.actor) {
            error.unknown.push(peer.actor.clone());
        }
    }
    let external: BTreeMap<&str, &Peer> = peers.iter().map(|p| (p.actor.as_str(), p)).collect();
    let mut steps = Vec::new();
    collect_steps(&scenario.body, &mut steps);
    // Marks only an outside program's lines make: nobody will make them.
    let lost_marks: HashSet<&str> = steps
        .iter()
        .filter(|s| external.contains_key(s.actor.as_str()))
        .filter_map(|s| match &s.action {
            Action::Mark(name) => Some(name.as_str()),
            _ => None,
        })
        .collect();
    for step in &steps {
        let why = match external.get(step.actor.as_str()) {
            Some(peer) => own_line(step, peer),
            None => other_line(step, &external, &lost_marks),
        };
        if let Some(why) = why {
            error.lines.push(Refused {
                line: step.line,
                col: step.col,
                text: format!("{}: {}", step.actor, step.text),
                why,
            });
        }
    }
    for check in &scenario.checks {
        if let CheckKind::Count { actor, .. } = &check.kind
            && let Some(peer) = external.get(actor.as_str())
        {
            error.lines.push(Refused {
                line: check.line,
                col: 0,
                text: format!("expect: {}", check.text),
                why: format!(
                    "the calls of {actor} are made by the program at {}, which the lab \
                     does not count; remove the line to run with --peer",
                    peer.addr
                ),
            });
        }
    }
    error.lines.sort_by_key(|r| r.line);
    if error.unknown.is_empty() && error.lines.is_empty() {
        Ok(())
    } else {
        Err(error)
    }
}

/// The lines of `scenario` that name an address beyond loopback (`connect to
/// 192.0.2.1:80`), refused unless the run is given `--allow-remote`.
pub fn check_addresses(scenario: &Scenario) -> Result<(), PeerError> {
    let mut steps = Vec::new();
    collect_steps(&scenario.body, &mut steps);
    let lines: Vec<Refused> = steps
        .iter()
        .filter_map(|step| {
            let at = match &step.action {
                Action::Listen { at: Some(at), .. }
                | Action::Bind { at: Some(at), .. }
                | Action::BindTcp { at: Some(at) }
                | Action::Connect {
                    to: Some(Target::Addr(at)),
                }
                | Action::SendTo {
                    to: Target::Addr(at),
                    ..
                } => *at,
                _ => return None,
            };
            (!crate::net::addr::is_own(at.ip())).then(|| Refused {
                line: step.line,
                col: step.col,
                text: format!("{}: {}", step.actor, step.text),
                why: crate::net::addr::not_own(at),
            })
        })
        .collect();
    if lines.is_empty() {
        Ok(())
    } else {
        Err(PeerError {
            file: scenario.file.clone(),
            unknown: Vec::new(),
            actors: scenario.actors.clone(),
            lines,
        })
    }
}

/// Why a line of the replaced actor cannot be left to the program, if it cannot.
fn own_line(step: &Step, peer: &Peer) -> Option<String> {
    let who = format!("{} is the program at {}", peer.actor, peer.addr);
    if step.expect.is_some() {
        return Some(format!(
            "{who}: the lab does not see what its calls return, so it cannot check \
             this expectation; move the check to an actor of the lab"
        ));
    }
    let what = match &step.action {
        Action::Mark(_) => "its marks are made by its own lines, which are not run",
        Action::Wait(_) | Action::WaitReadable(_) | Action::WaitDrained | Action::WaitAcked => {
            "it cannot be made to wait for the lab"
        }
        Action::TimerStart(_) | Action::TimerStop(_) => "the lab cannot time its calls",
        Action::Connect { .. } => {
            "a program given an address listens there; it does not connect to the lab"
        }
        Action::Bind { .. } | Action::SendTo { .. } | Action::RecvFrom(_) => {
            "datagram actors cannot be played by a program yet (TCP only)"
        }
        _ => return None,
    };
    Some(format!("{who}: {what}"))
}

/// Why another actor's line needs something of a replaced actor, if it does.
fn other_line(
    step: &Step,
    external: &BTreeMap<&str, &Peer>,
    lost_marks: &HashSet<&str>,
) -> Option<String> {
    match &step.action {
        Action::Wait(mark) if lost_marks.contains(mark.as_str()) => Some(format!(
            "the mark `{mark}` is made only by the lines of a program given with --peer, \
             which are not run: this wait would never end"
        )),
        Action::Accept => {
            let on = step.on.as_deref()?;
            let peer = external.get(on)?;
            Some(format!(
                "{on} is the program at {}: the lab cannot accept on its listener",
                peer.addr
            ))
        }
        Action::SendTo { to, .. } => {
            let peer = external.get(to.actor()?)?;
            Some(format!(
                "{to} is the program at {}: datagrams to a program are not supported yet \
                 (TCP only)",
                peer.addr
            ))
        }
        _ => None,
    }
}

fn collect_steps<'a>(items: &'a [Item], out: &mut Vec<&'a Step>) {
    for item in items {
        match item {
            Item::Step(step) => out.push(step),
            Item::Repeat(block) => collect_steps(&block.body, out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::parse;

    fn peer(actor: &str) -> Peer {
        Peer {
            actor: actor.into(),
            addr: "127.0.0.1:9000".parse().expect("an address"),
        }
    }

    fn scenario(text: &str) -> Scenario {
        parse("t.lab", "t", text, &[]).expect("parses")
    }

    #[test]
    fn an_echo_server_can_be_a_program() {
        let s = scenario(
            "server: listen\nclient: connect\nserver: accept\nclient: send \"hi\"\n\
             server: recv 1024\nserver: send \"hi\"\nclient: recv 1024 => \"hi\"\n",
        );
        assert_eq!(check(&s, &[peer("server")]), Ok(()));
    }

    #[test]
    fn its_marks_expectations_and_the_waits_for_them_are_named() {
        let s = scenario(
            "server: listen\nserver: mark up\nclient: wait up\nclient: connect\n\
             server: accept => from client\n",
        );
        let err = check(&s, &[peer("server")]).expect_err("refused");
        let lines: Vec<u32> = err.lines.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![2, 3, 5]);
        let text = err.to_string();
        assert!(
            text.contains("t.lab:3:9: `client: wait up`: the mark `up`"),
            "{text}"
        );
        assert!(
            text.contains("server is the program at 127.0.0.1:9000"),
            "{text}"
        );
    }

    #[test]
    fn an_unknown_actor_lists_the_actors() {
        let s = scenario("server: listen\nclient: connect\n");
        let err = check(&s, &[peer("sever")]).expect_err("refused");
        assert!(
            err.to_string()
                .contains("no actor `sever` (its actors: server, client)"),
            "{err}"
        );
    }
}
