//! [`Scenario`] -> [`Record`]: one thread per actor, all started from one barrier, one
//! clock for the whole run, every step recorded as an event. After the run, each recv is
//! mapped back to the sends its bytes came from, and the `expect:` checks are evaluated.

mod actor;
mod checks;
mod expect;
mod op_of;
mod pool;
mod provenance;
mod spin;
mod world;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::time::Duration;

use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::record::{self, Provenance, Record, RunEnd, RunStart, Sink, TimerStats};
use world::{Link, Parts, World};

use crate::scenario::Scenario;
use crate::scenario::ast::DEFAULT_TIMEOUT;
use checks::evaluate;
use provenance::{conn_names, provenance};

/// How to run a scenario.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Seeds every `random` value; printed in every report so a run can be replayed.
    pub seed: u64,
    /// Overrides the scenario's `timeout:` (the deadline of every step).
    pub timeout: Option<Duration>,
    /// How long the whole run may take, whatever its steps' deadlines add up to
    /// (`repeat 1000000 { client: sleep 4s }` passes every step deadline); default
    /// [`DEFAULT_RUN_LIMIT`].
    pub run_limit: Option<Duration>,
    /// Set (by a Ctrl-C handler) to end the run early: blocked calls give up, every
    /// actor stops at its next step, and the record says it was interrupted.
    pub cancel: Option<Arc<AtomicBool>>,
}

/// How long a whole run may take unless `--run-limit` says otherwise: enough for a
/// 1 GiB transfer on a slow machine, far less than a forgotten `repeat` of sleeps.
pub const DEFAULT_RUN_LIMIT: Duration = Duration::from_secs(10 * 60);

/// The longest step deadline: longer ones are cut to it (a deadline of years would
/// overflow the clock, and no lesson needs more than a day).
pub const MAX_TIMEOUT: Duration = Duration::from_secs(24 * 60 * 60);

/// Tells the runs of one process apart (their abstract Unix names).
static RUNS: AtomicU64 = AtomicU64::new(0);

/// Runs a scenario once on real sockets and records what happened. Never panics on a
/// scenario; a step blocked past its deadline is recorded and the run still ends.
pub fn run(scenario: &Scenario, options: &RunOptions) -> Record {
    Runner::new().run(&Arc::new(scenario.clone()), options)
}

/// Runs scenarios on a pool of actor threads that outlive a run: `--repeat 2000` would
/// otherwise spend more time creating threads than running sockets.
#[derive(Default)]
pub struct Runner {
    workers: Vec<pool::Worker>,
}

impl Runner {
    pub fn new() -> Runner {
        pool::quiet_actor_panics();
        Runner::default()
    }

    /// Runs a scenario once and keeps everything; see [`run`].
    pub fn run(&mut self, scenario: &Arc<Scenario>, options: &RunOptions) -> Record {
        let mut record = Record::default();
        self.run_into(scenario, options, &mut record);
        record
    }

    /// Runs a scenario once, handing what it observed to `sink`: `begin`, every event
    /// in `seq` order, then `end` with the verdicts.
    pub fn run_into(
        &mut self,
        scenario: &Arc<Scenario>,
        options: &RunOptions,
        sink: &mut dyn Sink,
    ) {
        let timeout = options
            .timeout
            .or(scenario.timeout)
            .unwrap_or(DEFAULT_TIMEOUT)
            .min(MAX_TIMEOUT);
        let actors = scenario.actors.len();
        let run_tag = RUNS.fetch_add(1, Ordering::Relaxed);
        let run_limit = options.run_limit.unwrap_or(DEFAULT_RUN_LIMIT);
        let world = Arc::new(World::new(run_tag, run_limit, options.cancel.clone()));
        // The calling thread plays the first actor; the others get a worker each, made
        // before any actor starts, so that no actor waits at the gate for one that can't.
        while self.workers.len() + 1 < actors {
            let index = self.workers.len() + 1;
            match pool::Worker::spawn(index) {
                Ok(worker) => self.workers.push(worker),
                Err(err) => {
                    world.blocked(record::Blocked::outside_steps(
                        &scenario.actors[index],
                        format!("starting a thread for this actor ({err})"),
                    ));
                    return finish(
                        scenario,
                        options.seed,
                        Duration::ZERO,
                        false,
                        parts_of(world),
                        sink,
                    );
                }
            }
        }
        let gate = Arc::new(pool::StartGate::new(actors));
        let (done_tx, done_rx) = mpsc::channel();
        let mut jobs: Vec<pool::Job> = Vec::with_capacity(actors);
        for (index, name) in scenario.actors.iter().enumerate() {
            let gate = Arc::clone(&gate);
            let world = Arc::clone(&world);
            let scenario = Arc::clone(scenario);
            let name = name.clone();
            let done = done_tx.clone();
            let rng = StdRng::seed_from_u64(actor_seed(options.seed, index));
            jobs.push(Box::new(move || {
                // The last actor to arrive starts the clock: no actor steps before t = 0.
                gate.arrive(|| world.start_clock());
                let outcome = pool::catch_actor_panic(|| {
                    let mut actor = actor::Actor::new(&name, &scenario.body, &world, timeout, rng);
                    actor.run_items(&scenario.body);
                    actor.leftovers()
                });
                let outcome = outcome.map_err(|message| {
                    world.blocked(record::Blocked::outside_steps(
                        &name,
                        format!("an internal error of stickylab ({message}); please report it"),
                    ));
                });
                let _ = done.send(outcome.ok());
            }));
        }
        drop(done_tx);
        let mut jobs = jobs.into_iter();
        let first = jobs.next();
        for (worker, job) in self.workers.iter().zip(jobs) {
            worker.submit(job);
        }
        if let Some(job) = first {
            job();
        }
        let leftovers: Vec<actor::Leftovers> = done_rx.iter().take(actors).flatten().collect();
        let wall = world.start().elapsed();
        close_abortively(leftovers);
        let interrupted = world.is_cancelled();
        finish(
            scenario,
            options.seed,
            wall,
            interrupted,
            parts_of(world),
            sink,
        );
    }
}

/// What a run recorded. A worker may still hold its clone of the world for a moment
/// after it sent its result; what it recorded is complete either way.
fn parts_of(world: Arc<World>) -> Parts {
    match Arc::try_unwrap(world) {
        Ok(world) => world.into_parts(),
        Err(shared) => shared.snapshot(),
    }
}

/// Each actor's own random stream, so values do not depend on thread scheduling.
fn actor_seed(seed: u64, index: usize) -> u64 {
    seed ^ (index as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// Closes what the scenario left open with SO_LINGER 0: an RST instead of a FIN, so
/// thousands of runs leave no connections in TIME_WAIT holding ports (tcp(7)).
fn close_abortively(leftovers: Vec<actor::Leftovers>) {
    for left in leftovers {
        for sock in left.sockets {
            let _ = sock.set_linger(Some(Duration::ZERO));
            drop(sock);
        }
        drop(left.listener);
    }
}

/// Turns what the actors recorded into the record: events in `seq` order with their
/// connections named and every received byte traced to its send.
fn finish(
    scenario: &Scenario,
    seed: u64,
    wall: Duration,
    interrupted: bool,
    parts: Parts,
    sink: &mut dyn Sink,
) {
    let Parts {
        shared,
        mut events,
        mut expectations,
        blocked,
    } = parts;
    events.sort_by_key(|e| e.event.seq);
    let names = conn_names(&shared.conns);
    let mut sends: HashMap<String, Vec<(u64, u64, u64)>> = HashMap::new();
    // Datagrams per direction: (seq, stream start, bytes), in the order they were sent.
    let mut dgram_sends: HashMap<String, Vec<(u64, u64, Vec<u8>)>> = HashMap::new();
    for raw in &mut events {
        let Some(link) = &raw.link else { continue };
        let name = match link {
            Link::Stream {
                conn,
                from_connector,
            } => names.get(*conn).map(|(fwd, back)| {
                if *from_connector {
                    fwd.clone()
                } else {
                    back.clone()
                }
            }),
            Link::Dgram {
                sender, receiver, ..
            } => Some(format!("{sender}>{receiver}")),
        };
        raw.event.conn = name;
    }
    // Sends per direction: (stream start, stream end, seq).
    for raw in &mut events {
        let ev = &raw.event;
        let (Some(conn), Some((a, b))) = (&ev.conn, ev.stream) else {
            continue;
        };
        match (&mut raw.link, ev.op.is_send()) {
            (Some(Link::Stream { .. }), true) => {
                sends.entry(conn.clone()).or_default().push((a, b, ev.seq));
            }
            (Some(Link::Dgram { sent, .. }), true) => {
                let datagram = sent.take().unwrap_or_default();
                dgram_sends
                    .entry(conn.clone())
                    .or_default()
                    .push((ev.seq, a, datagram));
            }
            _ => {}
        }
    }
    for list in sends.values_mut() {
        list.sort_unstable();
    }
    let mut dgram_next: HashMap<String, usize> = HashMap::new();
    for raw in &mut events {
        let ev = &mut raw.event;
        if ev.op.is_send() {
            continue;
        }
        let (Some(conn), Some((a, b))) = (ev.conn.clone(), ev.stream) else {
            continue;
        };
        match &raw.link {
            Some(Link::Stream { .. }) => {
                ev.from = provenance(sends.get(&conn).map_or(&[][..], Vec::as_slice), a, b);
            }
            Some(Link::Dgram { .. }) => {
                // Datagrams from one socket to another arrive in the order they were
                // sent, but a full receive buffer drops some (udp(7)): the datagram is
                // the first one not yet received with these bytes (its front, when the
                // recvfrom truncated it).
                let got = ev.data.as_deref().unwrap_or_default();
                let next = dgram_next.entry(conn.clone()).or_default();
                let sent = dgram_sends.get(&conn).map_or(&[][..], Vec::as_slice);
                let found = sent.iter().enumerate().skip(*next).find(|(_, (_, _, d))| {
                    if ev.truncated {
                        d.starts_with(got)
                    } else {
                        d.as_slice() == got
                    }
                });
                if let Some((k, &(seq, start, _))) = found {
                    ev.stream = Some((start, start + (b - a)));
                    ev.from = vec![Provenance {
                        send: seq,
                        bytes: (0, b - a),
                    }];
                    *next = k + 1;
                }
            }
            None => {}
        }
    }
    sink.begin(&RunStart {
        scenario: scenario.name.clone(),
        file: scenario.file.clone(),
        seed,
    });
    for raw in &events {
        sink.event(&raw.event);
    }
    let timers: BTreeMap<String, TimerStats> = shared
        .timer_samples
        .iter()
        .map(|(name, samples)| (name.clone(), TimerStats::from_samples(samples)))
        .collect();
    for check in &scenario.checks {
        expectations.push(evaluate(check, &timers, &shared.counts));
    }
    sink.end(&RunEnd {
        expectations,
        timers,
        blocked,
        wall,
        interrupted,
    });
}

#[cfg(test)]
mod tests;
