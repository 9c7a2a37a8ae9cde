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
use crate::scenario::ast::{Action, CheckKind, Step, Target, steps};
use crate::text::{Said, said};

/// A line a `--peer` run cannot carry out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub line: u32,
    /// The column of the step's verb (0 for an `expect:` line).
    pub col: u32,
    /// The line as written.
    pub text: String,
    /// Why, in words that say what to change.
    pub why: Said,
}

/// Everything wrong with running `scenario` with `peers`, in line order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerError {
    pub file: String,
    pub unknown: Vec<String>,
    pub actors: Vec<String>,
    pub lines: Vec<Refused>,
}

impl PeerError {
    /// One line per problem, in `lang` (`en`, `zh`).
    pub fn render(&self, lang: &str) -> String {
        let mut out = String::new();
        let file = &self.file;
        for name in &self.unknown {
            let (en, zh) = (self.actors.join(", "), self.actors.join("、"));
            let said = said!(
                "{file}: --peer {name}: the scenario has no actor `{name}` (its actors: {en})",
                "{file}：--peer {name}：场景里没有角色 `{name}`（它的角色：{zh}）"
            );
            out.push_str(said.get(lang));
            out.push('\n');
        }
        for r in &self.lines {
            let at = match r.col {
                0 => format!("{file}:{}", r.line),
                col => format!("{file}:{}:{col}", r.line),
            };
            let sep = if lang == "zh" { "：" } else { ": " };
            out.push_str(&format!("{at}: `{}`{sep}{}\n", r.text, r.why.get(lang)));
        }
        out
    }
}

impl fmt::Display for PeerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render("en"))
    }
}

/// A program outside the lab, as the check sees it.
#[derive(Debug, Clone, Copy)]
enum Outside<'p> {
    /// `--peer ACTOR=HOST:PORT`: it listens there.
    Listens(&'p Peer),
    /// `--peer ACTOR`: it connects to the lab.
    Connects,
}

impl Outside<'_> {
    /// `server is the program at 127.0.0.1:8000`, and its reason after it.
    fn who(self, actor: &str, what: &Said) -> Said {
        let (en, zh) = (what.en(), what.zh().unwrap_or(what.en()));
        match self {
            Outside::Listens(peer) => {
                let addr = peer.addr;
                said!(
                    "{actor} is the program at {addr}: {en}",
                    "{actor} 是位于 {addr} 的程序：{zh}"
                )
            }
            Outside::Connects => said!(
                "{actor} is a program that connects to the lab: {en}",
                "{actor} 是连接实验室的程序：{zh}"
            ),
        }
    }
}

/// Checks that `scenario` can run with `peers` (programs that listen) and `clients`
/// (programs that connect) in place of their actors.
pub fn check(scenario: &Scenario, peers: &[Peer], clients: &[String]) -> Result<(), PeerError> {
    let mut error = PeerError {
        file: scenario.file.clone(),
        unknown: Vec::new(),
        actors: scenario.actors.clone(),
        lines: Vec::new(),
    };
    let mut external: BTreeMap<&str, Outside<'_>> = BTreeMap::new();
    for peer in peers {
        external.insert(&peer.actor, Outside::Listens(peer));
    }
    for client in clients {
        external.insert(client, Outside::Connects);
    }
    for name in external.keys() {
        if !scenario.actors.iter().any(|a| a == name) {
            error.unknown.push((*name).to_string());
        }
    }
    let steps: Vec<&Step> = steps(&scenario.body).collect();
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
            Some(outside) => own_line(step, *outside, &steps),
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
            && let Some(outside) = external.get(actor.as_str())
        {
            error.lines.push(Refused {
                line: check.line,
                col: 0,
                text: format!("expect: {}", check.text),
                why: outside.who(
                    actor,
                    &said!(
                        "the lab does not count its calls; remove the line to run with --peer",
                        "实验室不统计它的调用；要用 --peer 运行，删掉这一行"
                    ),
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
    let steps: Vec<&Step> = steps(&scenario.body).collect();
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
fn own_line(step: &Step, outside: Outside<'_>, steps: &[&Step]) -> Option<Said> {
    if step.expect.is_some() {
        let what = said!(
            "the lab does not see what its calls return, so it cannot check this expectation; move the check to an actor of the lab",
            "实验室看不到它的调用返回了什么，所以没法检查这条预期；把检查放到实验室的角色那边"
        );
        return Some(outside.who(&step.actor, &what));
    }
    let what = match (&step.action, outside) {
        (Action::Mark(_), _) => said!(
            "its marks are made by its own lines, which are not run",
            "它的标记由它自己的行做出，而这些行不运行"
        ),
        (
            Action::Wait(_) | Action::WaitReadable(_) | Action::WaitDrained | Action::WaitAcked,
            _,
        ) => said!("it cannot be made to wait for the lab", "没法让它等实验室"),
        (Action::TimerStart(_) | Action::TimerStop(_), _) => {
            said!("the lab cannot time its calls", "实验室没法给它的调用计时")
        }
        (Action::Connect { .. }, Outside::Listens(_)) => said!(
            "a program given an address listens there; it does not connect to the lab (give it as --peer ACTOR, without an address, for a program that connects)",
            "给了地址的程序在那里监听，不会连接实验室（要让程序来连接，写 --peer ACTOR，不带地址）"
        ),
        (Action::Connect { to }, Outside::Connects) => {
            if connect_target(to.as_ref(), steps).is_some() {
                return None;
            }
            said!(
                "it must be told where to connect: the actor it connects to needs a port the file names, like `server: listen on 8000`",
                "得告诉它连到哪里：它连接的角色需要一个文件里写明的端口，比如 `server: listen on 8000`"
            )
        }
        (
            Action::Listen { .. }
            | Action::ListenAgain
            | Action::Accept
            | Action::CloseListener
            | Action::BindTcp { .. },
            Outside::Connects,
        ) => said!(
            "a program that connects does not listen (give it as --peer ACTOR=HOST:PORT)",
            "连接别人的程序不监听（要让它监听，写 --peer ACTOR=HOST:PORT）"
        ),
        (Action::Bind { .. } | Action::SendTo { .. } | Action::RecvFrom(_), _) => said!(
            "datagram actors cannot be played by a program yet (TCP only)",
            "数据报角色暂时不能由程序扮演（只支持 TCP）"
        ),
        _ => return None,
    };
    Some(outside.who(&step.actor, &what))
}

/// Where a `connect` goes when the file names a port for it: `to HOST:PORT`, or the
/// `listen on` of the actor it names (or of the only actor that listens).
fn connect_target(to: Option<&Target>, steps: &[&Step]) -> Option<std::net::SocketAddr> {
    let fixed = |actor: Option<&str>| {
        steps.iter().find_map(|s| match s.action {
            Action::Listen { at: Some(at), .. } | Action::BindTcp { at: Some(at) }
                if actor.is_none_or(|a| a == s.actor) && at.port() != 0 =>
            {
                Some(at)
            }
            _ => None,
        })
    };
    match to {
        Some(Target::Addr(at)) => Some(*at),
        Some(Target::Actor(actor)) => fixed(Some(actor)),
        None => fixed(None),
    }
}

/// Where each program that connects (`--peer ACTOR`) is to connect, for telling the
/// user before the run.
pub fn where_clients_connect(
    scenario: &Scenario,
    clients: &[String],
) -> Vec<(String, std::net::SocketAddr)> {
    let steps: Vec<&Step> = steps(&scenario.body).collect();
    let mut out = Vec::new();
    for step in &steps {
        if let Action::Connect { to } = &step.action
            && clients.contains(&step.actor)
            && let Some(at) = connect_target(to.as_ref(), &steps)
            && !out.contains(&(step.actor.clone(), at))
        {
            out.push((step.actor.clone(), at));
        }
    }
    out
}

/// Why another actor's line needs something of a replaced actor, if it does.
fn other_line(
    step: &Step,
    external: &BTreeMap<&str, Outside<'_>>,
    lost_marks: &HashSet<&str>,
) -> Option<Said> {
    match &step.action {
        Action::Wait(mark) if lost_marks.contains(mark.as_str()) => Some(said!(
            "the mark `{mark}` is made only by the lines of a program given with --peer, which are not run: this wait would never end",
            "标记 `{mark}` 只由 --peer 给出的程序的行做出，而这些行不运行：这个等待永远不会结束"
        )),
        Action::Accept => {
            let on = step.on.as_deref()?;
            let what = said!(
                "the lab cannot accept on its listener",
                "实验室没法在它的监听套接字上 accept"
            );
            Some(external.get(on)?.who(on, &what))
        }
        Action::SendTo { to, .. } => {
            let actor = to.actor()?;
            let what = said!(
                "datagrams to a program are not supported yet (TCP only)",
                "暂时不支持向程序发送数据报（只支持 TCP）"
            );
            Some(external.get(actor)?.who(actor, &what))
        }
        _ => None,
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
        assert_eq!(check(&s, &[peer("server")], &[]), Ok(()));
    }

    #[test]
    fn its_marks_expectations_and_the_waits_for_them_are_named() {
        let s = scenario(
            "server: listen\nserver: mark up\nclient: wait up\nclient: connect\n\
             server: accept => from client\n",
        );
        let err = check(&s, &[peer("server")], &[]).expect_err("refused");
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
    fn a_program_that_connects_needs_a_port_it_can_be_told() {
        let s = scenario(
            "server: listen\nclient: connect\nserver: accept => from client\n\
             client: send \"hi\"\nserver: recv 1024 => \"hi\"\n",
        );
        let err = check(&s, &[], &["client".into()]).expect_err("refused");
        assert_eq!(err.lines.len(), 1, "{err}");
        assert!(
            err.to_string().contains("`server: listen on 8000`"),
            "{err}"
        );
        let s = scenario(
            "server: listen on 8000\nclient: connect\nserver: accept => from client\n\
             client: send \"hi\"\nserver: recv 1024 => \"hi\"\n",
        );
        assert_eq!(check(&s, &[], &["client".into()]), Ok(()));
        let at = "127.0.0.1:8000".parse().expect("an address");
        assert_eq!(
            where_clients_connect(&s, &["client".into()]),
            vec![("client".to_string(), at)]
        );
    }

    #[test]
    fn an_unknown_actor_lists_the_actors() {
        let s = scenario("server: listen\nclient: connect\n");
        let err = check(&s, &[peer("sever")], &[]).expect_err("refused");
        assert!(
            err.to_string()
                .contains("no actor `sever` (its actors: server, client)"),
            "{err}"
        );
    }
}
