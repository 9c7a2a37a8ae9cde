//! An actor's walk through the file: its own steps in order, repeat blocks, and the
//! dispatch of each step to the call it makes.

use std::collections::HashSet;
use std::net::Shutdown;
use std::time::{Duration, Instant};

use socket2::SockAddr;

use super::call::{misuse, usage};
use super::values::{self, bytes_of};
use super::{Actor, Conn, Flow};
use crate::frame;
use crate::record::{Blocked, ExpectationResult, Op};
use crate::run::expect::{self, INTERRUPTED, Observed};
use crate::run::gate::ActorState;
use crate::run::world::{Link, WaitEnd};
use crate::scenario::ast::{Action, Item, Step};

/// How often an actor waiting at the gate of class mode looks whether it is let through.
const GATE_POLL: Duration = Duration::from_millis(5);
use crate::text::fmt_duration;

/// One repeat block the walk is inside: its items, the next one to run, and which pass
/// over them this is.
struct Frame<'s> {
    items: &'s [Item],
    next: usize,
    round: u64,
    count: u64,
}

impl Actor<'_> {
    /// Runs this actor's steps among `items`, repeating blocks as they say.
    ///
    /// The walk keeps its own stack of the blocks it is inside instead of recursing, so
    /// the nesting a file asks for costs heap, never the thread's stack. Every step
    /// begins with a look at the run limit and the cancel flag ([`Actor::may_begin`]);
    /// a block is entered only when a pass over it runs at least one step of this actor
    /// ([`has_steps_of`]), so even `repeat 1000000000 { repeat 0 { ... } }` makes no
    /// pass that could miss them.
    pub(crate) fn run_items(&mut self, items: &[Item]) -> Flow {
        let mut stack = vec![Frame {
            items,
            next: 0,
            round: 0,
            count: 1,
        }];
        // `self.rounds` holds the round of every frame but the outermost (the file).
        self.rounds.clear();
        while let Some(top) = stack.last_mut() {
            let Some(item) = top.items.get(top.next) else {
                top.round += 1;
                if top.round < top.count {
                    top.next = 0;
                    if let Some(round) = self.rounds.last_mut() {
                        *round = u32::try_from(top.round).unwrap_or(u32::MAX);
                    }
                } else {
                    stack.pop();
                    self.rounds.pop();
                }
                continue;
            };
            top.next += 1;
            match item {
                Item::Step(step) if step.actor == self.name => {
                    if !self.may_begin(step) || self.run_step(step) == Flow::Stop {
                        return Flow::Stop;
                    }
                }
                Item::Step(_) => {}
                Item::Repeat(block) => {
                    // `repeat 0` runs its body no time at all.
                    if block.count > 0 && has_steps_of(&block.body, &self.name) {
                        stack.push(Frame {
                            items: &block.body,
                            next: 0,
                            round: 0,
                            count: block.count,
                        });
                        self.rounds.push(0);
                    }
                }
            }
        }
        Flow::Continue
    }

    /// Whether `step` may begin: not once another actor was blocked (the run is over),
    /// the run was cancelled, or the run limit was reached. The last two are recorded
    /// against the step, so the report says why the actor stopped there.
    fn may_begin(&mut self, step: &Step) -> bool {
        if !self.through_the_gate(step) {
            return false;
        }
        let why = if self.world.is_aborted() {
            return false;
        } else if self.world.is_cancelled() {
            format!("{INTERRUPTED}, before this step")
        } else if Instant::now() >= self.world.run_end() {
            format!(
                "the run limit of {}, reached before this step (raise it with --run-limit)",
                fmt_duration(self.world.run_limit())
            )
        } else {
            return true;
        };
        self.world.blocked(Blocked {
            actor: self.name.clone(),
            line: step.line,
            call: step.text.clone(),
            blocked_in: why,
            waited: Duration::ZERO,
        });
        false
    }

    /// In class mode, waits until the step's group is released (handing over the events
    /// of the others meanwhile, if this thread collects them). False if the run ended
    /// meanwhile (`may_begin` then says why).
    fn through_the_gate(&mut self, step: &Step) -> bool {
        let Some(gate) = self.world.gate() else {
            return true;
        };
        let group = gate.schedule.group(step.line, &self.rounds);
        if group >= gate.released() {
            gate.set(&self.name, ActorState::Waiting(group));
            while group >= gate.released() {
                if self.world.is_aborted() || self.world.is_cancelled() {
                    return true;
                }
                if let Some(collect) = &self.collect
                    && let Ok(mut collect) = collect.try_borrow_mut()
                {
                    collect();
                }
                std::thread::sleep(GATE_POLL);
            }
        }
        gate.set(
            &self.name,
            ActorState::In {
                line: step.line,
                rounds: self.rounds.clone(),
                text: step.text.clone(),
            },
        );
        true
    }

    /// What a step cut short by the run limit was blocked in.
    fn run_limit_reached(&self) -> String {
        format!(
            "the run limit of {} (raise it with --run-limit)",
            fmt_duration(self.world.run_limit())
        )
    }

    pub(super) fn run_step(&mut self, step: &Step) -> Flow {
        self.world.throttle();
        let t0 = Instant::now();
        // No step outlives the run: its deadline is cut to the run limit.
        let run_end = self.world.run_end();
        let deadline = t0.checked_add(self.timeout).unwrap_or(run_end).min(run_end);
        let observed = self.perform(step, deadline);
        let expects_timeout = step.expect.as_ref().is_some_and(expect::allows_timeout);
        let blocked_in = match &observed {
            Observed::Interrupted { blocked_in } => Some(format!("{blocked_in}, {INTERRUPTED}")),
            // A timeout at the run limit is never what the step expected.
            Observed::Timeout { user: false, .. } if deadline == run_end => {
                Some(self.run_limit_reached())
            }
            Observed::Timeout {
                user: false,
                blocked_in,
            } if !expects_timeout => Some(blocked_in.clone()),
            _ => None,
        };
        if let Some(blocked_in) = blocked_in {
            self.world.blocked(Blocked {
                actor: self.name.clone(),
                line: step.line,
                call: step.text.clone(),
                blocked_in,
                waited: if deadline == run_end {
                    t0.elapsed()
                } else {
                    self.timeout
                },
            });
            return Flow::Stop;
        }
        if let Some(expectation) = &step.expect {
            let (passed, seen) = if values::too_deep(expectation) {
                (
                    false,
                    "not compared: the expected value nests too deeply".to_string(),
                )
            } else {
                expect::check(expectation, &observed)
            };
            self.world.expectation(ExpectationResult {
                line: step.line,
                actor: Some(self.name.clone()),
                expected: expectation.text.clone(),
                observed: seen,
                passed,
            });
        } else if let Observed::Error(name) = &observed {
            // A call that fails where the file expects nothing fails the run: an
            // implicit `=> ok`. Where the failure is the lesson, the file says
            // `=> error NAME`.
            self.world.expectation(ExpectationResult {
                line: step.line,
                actor: Some(self.name.clone()),
                expected: "ok".to_string(),
                observed: format!("unexpected {name}"),
                passed: false,
            });
        }
        if matches!(observed, Observed::Aborted) {
            return Flow::Stop;
        }
        Flow::Continue
    }

    pub(super) fn perform(&mut self, step: &Step, deadline: Instant) -> Observed {
        let t0 = Instant::now();
        match &step.action {
            Action::Listen { kind, backlog, at } => {
                let at = at.map(|a| SockAddr::from(self.world.localized(&self.name, a)));
                let r = self.listen(*kind, *backlog, at);
                self.done(step, t0, r)
            }
            Action::ListenAgain => {
                let r = match self.last_listen.clone() {
                    Some((addr, kind, backlog)) => self.listen(kind, backlog, Some(addr)),
                    None => Err(misuse("`listen again` needs an earlier `listen`")),
                };
                self.done(step, t0, r)
            }
            Action::Connect { to } => self.connect(step, to.as_ref(), deadline),
            Action::Accept => self.accept(step, deadline),
            Action::Close => {
                let mut link = None;
                let r = match self.conn_index(step) {
                    Ok(i) => {
                        let conn = self.conns.remove(i);
                        self.current = self.conns.len().checked_sub(1);
                        link = Some(shut_link(&conn, true, true));
                        close_within(conn.sock, deadline);
                        Ok(None)
                    }
                    Err(e) => Err(e),
                };
                self.done_on(step, t0, r, link)
            }
            Action::CloseListener => {
                let r = match self.listener.take() {
                    Some(l) => {
                        let name = self.name.clone();
                        self.world.update(|s| s.listeners.remove(&name));
                        drop(l);
                        Ok(None)
                    }
                    None => Err(usage("this actor has no listener to close")),
                };
                self.done(step, t0, r)
            }
            Action::Shutdown(how) => {
                let mut link = None;
                let r = self
                    .conn_index(step)
                    .and_then(|i| {
                        let conn = &self.conns[i];
                        let write = matches!(how, Shutdown::Write | Shutdown::Both);
                        let read = matches!(how, Shutdown::Read | Shutdown::Both);
                        link = Some(shut_link(conn, write, read));
                        conn.sock.shutdown(*how)
                    })
                    .map(|()| None);
                self.done_on(step, t0, r, link)
            }
            Action::Bind { kind, at } => {
                let at = at.map(|a| self.world.localized(&self.name, a));
                let r = self.bind_dgram(*kind, at).map(Some);
                self.done(step, t0, r)
            }
            Action::BindTcp { at } => {
                let at = at.map(|a| self.world.localized(&self.name, a));
                let r = self.bind_tcp(at).map(Some);
                self.done(step, t0, r)
            }
            Action::Send(value) => match bytes_of(value, &mut self.rng) {
                Ok(bytes) => self.send(step, Op::Send, &bytes, false, deadline),
                Err(e) => self.done(step, t0, Err(e)),
            },
            Action::SendAll(value) => match bytes_of(value, &mut self.rng) {
                Ok(bytes) => self.send(step, Op::SendAll, &bytes, true, deadline),
                Err(e) => self.done(step, t0, Err(e)),
            },
            Action::SendFrame { codec, value } => {
                let body = match bytes_of(value, &mut self.rng) {
                    Ok(body) => body,
                    Err(e) => return self.done(step, t0, Err(e)),
                };
                match frame::encode(*codec, &body) {
                    Ok(wire) => self.send(step, Op::SendFrame, &wire, true, deadline),
                    Err(e) => {
                        let mut ev = self.event(step, Op::SendFrame, t0);
                        ev.requested = Some(body.len() as u64);
                        ev.error = Some(e.name().to_string());
                        ev.error_detail = Some(e.to_string());
                        self.record(ev, None);
                        Observed::Error(e.name().to_string())
                    }
                }
            }
            Action::Recv(mode) => self.recv(step, *mode, deadline),
            Action::RecvFrame { codec, chunk } => self.recv_frame(step, *codec, *chunk, deadline),
            Action::SendTo { to, value } => match bytes_of(value, &mut self.rng) {
                Ok(bytes) => self.send_to(step, to, &bytes, deadline),
                Err(e) => self.done(step, t0, Err(e)),
            },
            Action::RecvFrom(n) => self.recv_from(step, *n, deadline),
            Action::Set(opt) => {
                let r = if self.before_socket.contains(&step.line) {
                    self.pending.push(*opt);
                    Ok(format!("{} (for the socket of the next step)", opt.name()))
                } else {
                    self.set(*opt)
                };
                self.done(step, t0, r.map(Some))
            }
            Action::Sleep(d) => {
                // A sleep ends early when the run is aborted, and may not outlast the
                // step's deadline any more than a socket call may.
                let end = t0.checked_add(*d).filter(|&end| end <= deadline);
                let slept = self.world.wait_for(end.unwrap_or(deadline), |_| None::<()>);
                let result = match (slept, end) {
                    (Err(end @ (WaitEnd::Aborted | WaitEnd::Interrupted)), _) => Err(end),
                    (_, Some(_)) => Ok(None),
                    (_, None) => Err(WaitEnd::Deadline),
                };
                self.waited(step, t0, result, "sleep (longer than the step's deadline)")
            }
            Action::Mark(name) => {
                let n = self.world.update(|s| {
                    let n = s.marks.entry(name.clone()).or_default();
                    *n += 1;
                    *n
                });
                self.done(step, t0, Ok(Some(format!("{name} #{n}"))))
            }
            Action::Wait(name) => {
                let k = {
                    let k = self.waits.entry(name.clone()).or_default();
                    *k += 1;
                    *k
                };
                let r = self.world.wait_for(deadline, |s| {
                    (s.marks.get(name).copied().unwrap_or(0) >= k).then_some(())
                });
                self.waited(
                    step,
                    t0,
                    r.map(|()| Some(format!("{name} #{k}"))),
                    &format!("wait {name}"),
                )
            }
            Action::WaitReadable(n) => self.wait_readable(step, *n, deadline),
            Action::WaitDrained => self.wait_drained(step, deadline),
            Action::WaitAcked => self.wait_acked(step, deadline),
            Action::TimerStart(name) => {
                let now = Instant::now();
                self.world
                    .update(|s| s.timer_started.insert(name.clone(), now));
                self.done(step, t0, Ok(None))
            }
            Action::TimerStop(name) => {
                let now = Instant::now();
                let sample = self.world.update(|s| {
                    let started = s.timer_started.remove(name)?;
                    let d = now.saturating_duration_since(started);
                    s.timer_samples.entry(name.clone()).or_default().push(d);
                    Some(d)
                });
                let r = match sample {
                    Some(d) => Ok(Some(format!("{name} {}", fmt_duration(d)))),
                    None => Err(misuse(&format!("timer `{name}` was not started"))),
                };
                self.done(step, t0, r)
            }
        }
    }
}

/// What a `close` or `shutdown` of `conn` ends: its outgoing direction when `write`
/// (the kernel sends a FIN, tcp(7)), its incoming one when `read` (a recv then returns
/// 0 at once, recv(2)), so the release can name the cause of an eof.
fn shut_link(conn: &Conn, write: bool, read: bool) -> Link {
    Link::Shut {
        conn: conn.id,
        connector: conn.is_connector,
        write,
        read,
    }
}

/// Closes a socket without outliving the step's deadline. With SO_LINGER on and a
/// time set, close() blocks until the unsent bytes are acknowledged or that time is
/// up (socket(7)): a `set linger 1h` may not hold the run for an hour, so the time is
/// cut to what is left of the deadline, in whole seconds as the kernel counts it.
fn close_within(sock: socket2::Socket, deadline: Instant) {
    if let Ok(Some(linger)) = sock.linger() {
        let left = deadline.saturating_duration_since(Instant::now());
        // Rounded up: a linger of 0 would turn the FIN into an RST.
        let left = Duration::from_secs(left.as_secs() + 1);
        if linger > left {
            let _ = sock.set_linger(Some(left));
        }
    }
    drop(sock);
}

/// The lines of `actor`'s `set` steps whose next step of the same actor in file order
/// (after any other `set`) creates a socket. "Set before listen/connect applies before
/// bind/connect", also for an actor that already holds other sockets.
pub(super) fn sets_before_a_socket(body: &[Item], actor: &str) -> HashSet<u32> {
    let mut lines = HashSet::new();
    let mut sets = Vec::new();
    for step in steps_of(body, actor) {
        match step.action {
            Action::Set(_) => sets.push(step.line),
            Action::Listen { .. }
            | Action::ListenAgain
            | Action::Connect { .. }
            | Action::Bind { .. }
            | Action::BindTcp { .. } => {
                lines.extend(sets.drain(..));
            }
            _ => sets.clear(),
        }
    }
    lines
}

/// `actor`'s steps in file order, each once (repeat blocks not unrolled).
fn steps_of<'a>(body: &'a [Item], actor: &str) -> impl Iterator<Item = &'a Step> {
    crate::scenario::ast::steps(body).filter(move |s| s.actor == actor)
}

/// Whether one pass over `items` runs a step of `actor`: a block repeated 0 times runs
/// none.
pub(super) fn has_steps_of(items: &[Item], actor: &str) -> bool {
    let mut stack = vec![items.iter()];
    while let Some(items) = stack.last_mut() {
        match items.next() {
            Some(Item::Step(s)) if s.actor == actor => return true,
            Some(Item::Step(_)) => {}
            Some(Item::Repeat(block)) if block.count > 0 => stack.push(block.body.iter()),
            Some(Item::Repeat(_)) => {}
            None => {
                stack.pop();
            }
        }
    }
    false
}
