//! An actor's walk through the file: its own steps in order, repeat blocks, and the
//! dispatch of each step to the call it makes.

use std::collections::HashSet;
use std::time::Instant;

use super::call::{misuse, usage};
use super::{Actor, Flow};
use crate::frame;
use crate::record::{Blocked, ExpectationResult, Op};
use crate::run::expect::{self, Observed};
use crate::run::world::WaitEnd;
use crate::scenario::ast::{Action, Item, Step};
use crate::scenario::value;
use crate::text::fmt_duration;

impl Actor<'_> {
    /// Runs this actor's steps among `items`, repeating blocks as they say.
    pub(crate) fn run_items(&mut self, items: &[Item]) -> Flow {
        for item in items {
            match item {
                Item::Step(step) if step.actor == self.name => {
                    // Once an actor was blocked the run is over: no further steps.
                    if self.world.is_aborted() || self.run_step(step) == Flow::Stop {
                        return Flow::Stop;
                    }
                }
                Item::Step(_) => {}
                Item::Repeat(block) => {
                    if !has_steps_of(&block.body, &self.name) {
                        continue;
                    }
                    for _ in 0..block.count {
                        if self.run_items(&block.body) == Flow::Stop {
                            return Flow::Stop;
                        }
                    }
                }
            }
        }
        Flow::Continue
    }

    pub(super) fn run_step(&mut self, step: &Step) -> Flow {
        let deadline = Instant::now() + self.timeout;
        let observed = self.perform(step, deadline);
        let expects_timeout = step.expect.as_ref().is_some_and(expect::allows_timeout);
        if let Observed::Timeout {
            user: false,
            ref blocked_in,
        } = observed
            && !expects_timeout
        {
            self.world.blocked(Blocked {
                actor: self.name.clone(),
                line: step.line,
                call: step.text.clone(),
                blocked_in: blocked_in.clone(),
                waited: self.timeout,
            });
            return Flow::Stop;
        }
        if let Some(expectation) = &step.expect {
            let (passed, seen) = expect::check(expectation, &observed);
            self.world.expectation(ExpectationResult {
                line: step.line,
                actor: Some(self.name.clone()),
                expected: expectation.text.clone(),
                observed: seen,
                passed,
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
            Action::Listen { kind, backlog } => {
                // Numbered before the listener is registered, so a connect that sees it
                // always comes after it.
                let seq = self.world.next_seq();
                let r = self.listen(*kind, *backlog, None);
                self.done(step, t0, Some(seq), r)
            }
            Action::ListenAgain => {
                let seq = self.world.next_seq();
                let r = match self.last_listen.clone() {
                    Some((addr, kind, backlog)) => self.listen(kind, backlog, Some(addr)),
                    None => Err(misuse("`listen again` needs an earlier `listen`")),
                };
                self.done(step, t0, Some(seq), r)
            }
            Action::Connect { to } => self.connect(step, to.as_deref(), deadline),
            Action::Accept => self.accept(step, deadline),
            Action::Close => {
                let seq = self.world.next_seq();
                let r = match self.conn_index(step) {
                    Ok(i) => {
                        let conn = self.conns.remove(i);
                        drop(conn.sock);
                        self.current = self.conns.len().checked_sub(1);
                        Ok(None)
                    }
                    Err(e) => Err(e),
                };
                self.done(step, t0, Some(seq), r)
            }
            Action::CloseListener => {
                let seq = self.world.next_seq();
                let r = match self.listener.take() {
                    Some(l) => {
                        let name = self.name.clone();
                        self.world.update(|s| s.listeners.remove(&name));
                        drop(l);
                        Ok(None)
                    }
                    None => Err(usage("this actor has no listener to close")),
                };
                self.done(step, t0, Some(seq), r)
            }
            Action::Shutdown(how) => {
                let seq = self.world.next_seq();
                let r = self
                    .conn_index(step)
                    .and_then(|i| self.conns[i].sock.shutdown(*how))
                    .map(|()| None);
                self.done(step, t0, Some(seq), r)
            }
            Action::Bind(kind) => {
                let seq = self.world.next_seq();
                let r = self.bind_dgram(*kind).map(Some);
                self.done(step, t0, Some(seq), r)
            }
            Action::Send(value) => {
                let bytes = value::eval(value, &mut self.rng);
                self.send(step, Op::Send, &bytes, false, deadline)
            }
            Action::SendAll(value) => {
                let bytes = value::eval(value, &mut self.rng);
                self.send(step, Op::SendAll, &bytes, true, deadline)
            }
            Action::SendFrame { codec, value } => {
                let body = value::eval(value, &mut self.rng);
                match frame::encode(*codec, &body) {
                    Ok(wire) => self.send(step, Op::SendFrame, &wire, true, deadline),
                    Err(e) => {
                        let mut ev = self.event(step, Op::SendFrame, t0);
                        ev.requested = Some(body.len() as u64);
                        ev.error = Some(e.name().to_string());
                        ev.error_detail = Some(e.to_string());
                        self.record(ev, None, None);
                        Observed::Error(e.name().to_string())
                    }
                }
            }
            Action::Recv(mode) => self.recv(step, *mode, deadline),
            Action::RecvFrame { codec, chunk } => self.recv_frame(step, *codec, *chunk, deadline),
            Action::SendTo { to, value } => {
                let bytes = value::eval(value, &mut self.rng);
                self.send_to(step, to, &bytes, deadline)
            }
            Action::RecvFrom(n) => self.recv_from(step, *n, deadline),
            Action::Set(opt) => {
                let r = if self.before_socket.contains(&step.line) {
                    self.pending.push(*opt);
                    Ok(format!("{} (for the socket of the next step)", opt.name()))
                } else {
                    self.set(*opt)
                };
                self.done(step, t0, None, r.map(Some))
            }
            Action::Sleep(d) => {
                // A sleep ends early when the run is aborted, and may not outlast the
                // step's deadline any more than a socket call may.
                let end = t0.checked_add(*d).filter(|&end| end <= deadline);
                let slept = self.world.wait_for(end.unwrap_or(deadline), |_| None::<()>);
                let result = match (slept, end) {
                    (Err(WaitEnd::Aborted), _) => Err(WaitEnd::Aborted),
                    (_, Some(_)) => Ok(None),
                    (_, None) => Err(WaitEnd::Deadline),
                };
                self.waited(step, t0, result, "sleep (longer than the step's deadline)")
            }
            Action::Mark(name) => {
                let seq = self.world.next_seq();
                let n = self.world.update(|s| {
                    let n = s.marks.entry(name.clone()).or_default();
                    *n += 1;
                    *n
                });
                self.done(step, t0, Some(seq), Ok(Some(format!("{name} #{n}"))))
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
                self.done(step, t0, None, Ok(None))
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
                self.done(step, t0, None, r)
            }
        }
    }
}

/// The lines of `actor`'s `set` steps whose next step of the same actor in file order
/// (after any other `set`) creates a socket. "Set before listen/connect applies before
/// bind/connect", also for an actor that already holds other sockets.
pub(super) fn sets_before_a_socket(body: &[Item], actor: &str) -> HashSet<u32> {
    fn flatten<'a>(items: &'a [Item], actor: &str, out: &mut Vec<&'a Step>) {
        for item in items {
            match item {
                Item::Step(s) if s.actor == actor => out.push(s),
                Item::Step(_) => {}
                Item::Repeat(block) => flatten(&block.body, actor, out),
            }
        }
    }
    let mut steps = Vec::new();
    flatten(body, actor, &mut steps);
    let mut lines = HashSet::new();
    let mut sets = Vec::new();
    for step in steps {
        match step.action {
            Action::Set(_) => sets.push(step.line),
            Action::Listen { .. }
            | Action::ListenAgain
            | Action::Connect { .. }
            | Action::Bind(_) => {
                lines.extend(sets.drain(..));
            }
            _ => sets.clear(),
        }
    }
    lines
}

pub(super) fn has_steps_of(items: &[Item], actor: &str) -> bool {
    items.iter().any(|item| match item {
        Item::Step(s) => s.actor == actor,
        Item::Repeat(r) => has_steps_of(&r.body, actor),
    })
}
