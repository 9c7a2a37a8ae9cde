//! [`Scenario`] -> a [`Sink`] (a [`Record`], a report): one thread per actor, all
//! started from one barrier, one clock for the whole run, every step recorded as an
//! event. The calling thread hands the sink the events in `seq` order while the run
//! goes on, each recv mapped back to the sends its bytes came from ([`release`]); once
//! every actor has ended, the `expect:` checks are evaluated ([`checks`]).
//!
//! Whatever a file says, a run ends: each step by its deadline, the whole run by its
//! limit ([`RunOptions::run_limit`]), and every actor within a poll slice (50 ms) of
//! the cancel flag ([`RunOptions::cancel`]).

mod actor;
mod checks;
mod expect;
pub mod gate;
mod op_of;
pub mod peer;
mod pool;
mod provenance;
mod release;
mod spill;
mod spin;
mod verdict;
mod world;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use rand::SeedableRng;
use rand::rngs::StdRng;

#[cfg(test)]
use crate::record::Record;
use crate::record::{self, RunEnd, RunStart, Sink, TimerStats};
use world::{ConnMeta, Parts, World};

use crate::netns::{Entered, Home, Placement};
use crate::scenario::Scenario;
use crate::scenario::ast::DEFAULT_TIMEOUT;
use checks::evaluate;
use release::Release;

/// How to run a scenario.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Seeds every `random` value; printed in every report so a run can be replayed.
    pub seed: u64,
    /// Overrides the scenario's `timeout:` (the deadline of every step).
    pub timeout: Option<Duration>,
    /// How long the whole run may take from the start of its clock, whatever its
    /// steps' deadlines add up to (`repeat 1000000 { client: sleep 4s }` passes every
    /// step deadline); default [`DEFAULT_RUN_LIMIT`]. No step's deadline passes it; the
    /// step in progress when it is reached is recorded as blocked in "the run limit of
    /// ... (raise it with --run-limit)", and the other actors stop.
    pub run_limit: Option<Duration>,
    /// Set (by a Ctrl-C handler) to end the run early: within a poll slice (50 ms)
    /// every wait and blocking call gives up and is recorded as blocked ("interrupted
    /// (Ctrl-C)"), every actor stops, the run is reported as far as it went, and its
    /// end says it was interrupted.
    pub cancel: Option<Arc<AtomicBool>>,
    /// Class mode (`--step`, `--slow`): every step waits until its group is released
    /// (see [`gate`]).
    pub gate: Option<Arc<gate::Gate>>,
    /// `--peer ACTOR=HOST:PORT`: these actors are programs outside the lab, already
    /// listening at their address. Their lines are not run; the other actors connect to
    /// them there, and what the lab's actors send and receive is recorded as usual.
    pub peers: Vec<Peer>,
    /// `--peer ACTOR` (no address): these actors are programs outside the lab that
    /// connect to it, to an actor that listens on a port the file names (`listen on
    /// 8000`). Their lines are not run; an `accept` takes their connection as theirs.
    pub clients: Vec<String>,
    /// `--allow-remote`: addresses beyond loopback (and the run's own network
    /// namespaces) may be used; without it they are an error before any socket opens.
    pub allow_remote: bool,
    /// `--net veth`: the actors run in the two network namespaces of this pair, each
    /// binding its namespace's veth address (see [`crate::netns`]).
    pub net: Option<Arc<crate::netns::Net>>,
}

/// An actor played by a program outside the lab (`--peer ACTOR=HOST:PORT`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    /// The scenario's name for it (`server`).
    pub actor: String,
    /// Where it listens.
    pub addr: std::net::SocketAddr,
}

pub use crate::scenario::DEFAULT_RUN_LIMIT;

/// The longest step deadline: longer ones are cut to it (a deadline of years would
/// overflow the clock, and no lesson needs more than a day).
pub const MAX_TIMEOUT: Duration = Duration::from_secs(24 * 60 * 60);

/// Tells the runs of one process apart (their abstract Unix names).
static RUNS: AtomicU64 = AtomicU64::new(0);

/// Runs a scenario once on real sockets and records what happened. Never panics on a
/// scenario; a step blocked past its deadline is recorded and the run still ends.
/// (The app runs through [`Runner::run_into`] and the report sinks; tests keep this.)
#[cfg(test)]
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
    #[cfg(test)]
    pub fn run(&mut self, scenario: &Arc<Scenario>, options: &RunOptions) -> Record {
        let mut record = Record::default();
        self.run_into(scenario, options, &mut record);
        record
    }

    /// Runs a scenario once, handing what it observed to `sink` as the run goes:
    /// `begin`, every event in `seq` order, then `end` with the verdicts.
    ///
    /// In a short run the calling thread plays the first actor and every other actor
    /// runs on a worker thread of its own (a two-actor run keeps two threads busy, not
    /// three, and one hand-off less); in a run that may make many calls every actor has
    /// a worker and the calling thread only reports ([`caller_plays`]). The calling
    /// thread hands the sink each event whose turn has come (see [`release`]): while it
    /// plays, after each event its actor records; once its actor has ended (or when it
    /// plays none), every [`COLLECT_EVERY`] until the others have. So the
    /// events of a long run do not pile up until its end.
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
        let placement = (options.net.as_ref()).map(|net| Placement::new(net, scenario));
        let world = Arc::new(
            World::new(run_tag, run_limit, options.cancel.clone())
                .with_gate(options.gate.clone())
                .with_peers(&options.peers, &options.clients)
                .allowing_remote(options.allow_remote)
                .with_homes(
                    placement
                        .as_ref()
                        .map(|p| p.addresses(scenario))
                        .unwrap_or_default(),
                ),
        );
        sink.begin(&RunStart {
            scenario: scenario.name.clone(),
            file: scenario.file.clone(),
            seed: options.seed,
        });
        let mut release = Release::for_scenario(scenario);
        // Every actor but the first gets a worker, made before any actor starts, so
        // that no actor waits at the gate for one that can't.
        let plays = usize::from(caller_plays(scenario));
        while self.workers.len() + plays < actors {
            let index = self.workers.len() + plays;
            match pool::Worker::spawn(index) {
                Ok(worker) => self.workers.push(worker),
                Err(err) => {
                    world.blocked(record::Blocked::outside_steps(
                        &scenario.actors[index],
                        format!("starting a thread for this actor ({err})"),
                    ));
                    let end = Ending {
                        wall: Duration::ZERO,
                        interrupted: false,
                    };
                    return finish(scenario, end, parts_of(world), release, sink);
                }
            }
        }
        let gate = Arc::new(pool::StartGate::new(actors));
        let ends = Arc::new(pool::EndGate::new(actors));
        let mut lost = Vec::new();
        let mut first = None;
        // The events taken from the world, handed back and forth with it.
        let mut taken = Vec::new();
        for (index, name) in scenario.actors.iter().enumerate() {
            let job = ActorJob {
                name: name.clone(),
                index,
                scenario: Arc::clone(scenario),
                world: Arc::clone(&world),
                gate: Arc::clone(&gate),
                ends: Arc::clone(&ends),
                timeout,
                rng: StdRng::seed_from_u64(actor_seed(options.seed, index)),
                home: placement.as_ref().and_then(|p| p.home(index)),
            };
            let Some(worker) = index.checked_sub(plays).and_then(|k| self.workers.get(k)) else {
                first = Some(job);
                continue;
            };
            if worker.submit(Box::new(move || play(job, None))).is_err() {
                // The job, and its clones of the gates and the world, are gone with it.
                world.blocked(record::Blocked::outside_steps(
                    name,
                    "its worker thread is gone; please report it".to_string(),
                ));
                gate.excuse(|| world.start_clock());
                ends.leave(None);
                lost.push(index);
            }
        }
        // A worker that lost its thread is replaced for the next run.
        for index in lost {
            if let Ok(worker) = pool::Worker::spawn(index) {
                self.workers[index - plays] = worker;
            }
        }
        if let Some(job) = first {
            let conns = |f: &mut dyn FnMut(&[ConnMeta])| f(&world.lock().conns);
            let mut collect = || {
                world.take_events(&mut taken);
                release.take(&mut taken, &conns, sink);
            };
            play(job, Some(&mut collect));
        }
        world.collect_only();
        let conns = |f: &mut dyn FnMut(&[ConnMeta])| f(&world.lock().conns);
        let leftovers = loop {
            // Past MAX_SPILL the actors are left to wait for the sink (World::throttle)
            // rather than fill the disk; not while the release waits for an event the
            // actors have yet to record (a `sendall bytes 1G` holds back every recv of
            // its bytes: a gigabyte in the file, as much as its value takes in memory).
            if release.spilled_bytes() < MAX_SPILL || release.waiting() {
                world.take_events(&mut taken);
            }
            let busy = release.take_some(&mut taken, &conns, sink, HAND_OVER_AT_ONCE);
            let patience = if busy { Duration::ZERO } else { COLLECT_EVERY };
            if let Some(leftovers) = ends.wait(patience) {
                break leftovers;
            }
        };
        let end = Ending {
            wall: world.start().elapsed(),
            interrupted: world.is_cancelled(),
        };
        close_abortively(leftovers.into_iter().flatten());
        finish(scenario, end, parts_of(world), release, sink);
    }
}

/// Whether the calling thread plays the first actor itself, besides handing the events
/// to the sink. It does for a short run: a lesson of a few dozen calls, thousands of times
/// under `--repeat`, is faster with one thread and one hand-off less. It does not when
/// the scenario may make many calls (a `repeat`, or a loop of recv() calls: `recv until
/// eof`, `recv exactly`, `recv frame`, a `sendall`): then the report's work on each
/// event (a JSON line escapes every byte) would be done between the actor's calls and
/// slow them down; on a thread of its own it runs beside them.
fn caller_plays(scenario: &Scenario) -> bool {
    use crate::scenario::ast::{Action, Item, RecvMode};
    let mut stack = vec![scenario.body.iter()];
    while let Some(items) = stack.last_mut() {
        match items.next() {
            Some(Item::Repeat(block)) if block.count > 1 => return false,
            Some(Item::Repeat(block)) => stack.push(block.body.iter()),
            Some(Item::Step(step)) => {
                if matches!(
                    step.action,
                    Action::Recv(RecvMode::UntilEof | RecvMode::Exactly(_))
                        | Action::RecvFrame { .. }
                        | Action::SendAll(_)
                ) {
                    return false;
                }
            }
            None => {
                stack.pop();
            }
        }
    }
    true
}

/// What one actor's job needs.
struct ActorJob {
    name: String,
    /// The actor's place in `scenario.actors`.
    index: usize,
    scenario: Arc<Scenario>,
    world: Arc<World>,
    gate: Arc<pool::StartGate>,
    ends: Arc<pool::EndGate<Option<actor::Leftovers>>>,
    timeout: Duration,
    rng: StdRng,
    /// `--net veth`: the namespace the actor's thread enters for the run.
    home: Option<Home>,
}

/// Moves the calling thread into the actor's namespace under `--net veth`, for as long
/// as the guard lives (a pool thread returns to its own when it is dropped). A failure
/// is recorded as the actor's, outside its steps; the run then stops.
fn enter_home<'h>(home: Option<&'h Home>, name: &str, world: &World) -> Option<Entered<'h>> {
    let home = home?;
    let side = home.side().name();
    home.enter()
        .map_err(|e| {
            world.blocked(record::Blocked::outside_steps(
                name,
                format!("entering network namespace {side} ({e})"),
            ));
        })
        .ok()
}

/// One actor's part of a run, on its worker or on the calling thread (which passes
/// `collect`): wait at the gate, run the actor's steps, and hand back the sockets it
/// left open (a panic becomes a blocked step).
fn play(job: ActorJob, collect: Option<&mut dyn FnMut()>) {
    let ActorJob {
        name,
        index,
        scenario,
        world,
        gate,
        ends,
        timeout,
        rng,
        home,
    } = job;
    let _inside = enter_home(home.as_ref(), &name, &world);
    {
        // The last actor to arrive starts the clock: no actor steps before t = 0.
        gate.arrive(|| world.start_clock());
        let outcome = pool::catch_actor_panic(|| {
            let mut actor = actor::Actor::new(&name, index, &scenario.body, &world, timeout, rng);
            if let Some(collect) = collect {
                actor = actor.collecting_with(collect);
            }
            // An actor played by a program outside the lab runs none of its lines.
            if !world.is_outside(&name) {
                actor.run_items(&scenario.body);
            }
            actor.leftovers()
        });
        let outcome = outcome.map_err(|message| {
            world.blocked(record::Blocked::outside_steps(
                &name,
                format!("an internal error of stickylab ({message}); please report it"),
            ));
        });
        // The world goes first: once the last actor has left, the calling thread may
        // take the world back for itself.
        drop(world);
        ends.leave(outcome.ok());
    }
}

/// How often the calling thread collects the events of a run in progress. A run shorter
/// than this (most lessons) is handed over in one go at its end, at no cost to the
/// actors; a long one reaches the sink in steps this far apart.
const COLLECT_EVERY: Duration = Duration::from_millis(2);

/// How many events the collector hands the sink between two looks at what the actors
/// recorded: few enough that the actors' events are taken (and their memory bounded)
/// while a slow sink works through a backlog.
const HAND_OVER_AT_ONCE: usize = 256;

/// How many bytes of events may wait for a slow sink in the release's file before the
/// actors wait for it: a JSON report of a gigabyte transfer writes the bytes of every
/// recv, slower than loopback moves them.
const MAX_SPILL: u64 = 256 << 20;

/// How a run ended, as its end tells it.
struct Ending {
    wall: Duration,
    interrupted: bool,
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
fn close_abortively(leftovers: impl Iterator<Item = actor::Leftovers>) {
    for left in leftovers {
        for sock in left.sockets {
            let _ = sock.set_linger(Some(Duration::ZERO));
            drop(sock);
        }
        drop(left.listener);
    }
}

/// Hands over the events still held, then the verdicts: the step expectations, the
/// `expect:` checks, the timers and the blocked steps.
fn finish(
    scenario: &Scenario,
    end: Ending,
    parts: Parts,
    mut release: Release,
    sink: &mut dyn Sink,
) {
    let Parts {
        shared,
        events,
        mut expectations,
        blocked,
    } = parts;
    release.finish(events, &shared.conns, sink);
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
        wall: end.wall,
        interrupted: end.interrupted,
    });
}

#[cfg(test)]
mod tests;
