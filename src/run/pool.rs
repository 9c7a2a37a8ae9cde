//! Actor threads that outlive a run. A thread costs tens of microseconds to create and
//! join, more than a whole hello-world run on loopback; a worker waits for its next job.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, mpsc};
use std::thread::JoinHandle;

use super::spin::Spin;

thread_local! {
    /// Whether this thread is running an actor's steps now (a worker between jobs, or
    /// a test calling [`catch_actor_panic`] itself, is not).
    static IN_ACTOR: Cell<bool> = const { Cell::new(false) };
}

/// A panic in an actor is a bug of stickylab's, and the run reports it as a blocked step
/// with its message (see [`catch_actor_panic`]); the default hook would print it into the
/// middle of the report. Panics elsewhere keep the default hook.
pub(crate) fn quiet_actor_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !IN_ACTOR.get() {
                default(info);
            }
        }));
    });
}

/// Runs an actor's steps, catching a panic as the message it carried.
pub(crate) fn catch_actor_panic<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    IN_ACTOR.set(true);
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    IN_ACTOR.set(false);
    outcome.map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_default()
    })
}

/// The barrier all actors of a run leave together. The last actor to arrive starts the
/// run's clock and opens it; the others spin a moment (see [`Spin`]), then sleep until
/// it opens. An actor that was asleep starts a wake-up (tens of microseconds) after the
/// last one; the scenarios order their steps by marks and kernel state, not by who
/// starts first.
pub(crate) struct StartGate {
    expected: usize,
    arrived: AtomicUsize,
    open: AtomicBool,
    lock: Mutex<()>,
    opened: Condvar,
}

impl StartGate {
    pub(crate) fn new(expected: usize) -> StartGate {
        StartGate {
            expected,
            arrived: AtomicUsize::new(0),
            open: AtomicBool::new(false),
            lock: Mutex::new(()),
            opened: Condvar::new(),
        }
    }

    /// Counts an actor that will not come (its thread is gone): if it was the last one
    /// awaited, runs `start` and opens the gate for the others.
    pub(crate) fn excuse(&self, start: impl FnOnce()) {
        if self.arrived.fetch_add(1, Ordering::AcqRel) + 1 == self.expected {
            start();
            let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
            self.open.store(true, Ordering::Release);
            self.opened.notify_all();
        }
    }

    /// Waits until every actor has arrived; the last one runs `start` first.
    pub(crate) fn arrive(&self, start: impl FnOnce()) {
        if self.arrived.fetch_add(1, Ordering::AcqRel) + 1 == self.expected {
            start();
            let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
            self.open.store(true, Ordering::Release);
            self.opened.notify_all();
            return;
        }
        let mut spin = Spin::default();
        while !self.open.load(Ordering::Acquire) {
            if !spin.again() {
                let mut guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
                while !self.open.load(Ordering::Acquire) {
                    guard = self.opened.wait(guard).unwrap_or_else(|e| e.into_inner());
                }
                return;
            }
        }
    }
}

/// Where the actors of a run leave what they hand back when they end, and how the
/// calling thread learns that all of them have: one wake-up, when the last one ends.
/// The calling thread does not spin for it: all the cores may be busy with actors.
pub(crate) struct EndGate<T> {
    expected: usize,
    ended: AtomicUsize,
    results: Mutex<Vec<T>>,
    all_ended: Condvar,
}

impl<T> EndGate<T> {
    pub(crate) fn new(expected: usize) -> EndGate<T> {
        EndGate {
            expected,
            ended: AtomicUsize::new(0),
            results: Mutex::new(Vec::with_capacity(expected)),
            all_ended: Condvar::new(),
        }
    }

    /// One actor ended, handing back `result`.
    pub(crate) fn leave(&self, result: T) {
        let mut results = self.results.lock().unwrap_or_else(|e| e.into_inner());
        results.push(result);
        if self.ended.fetch_add(1, Ordering::AcqRel) + 1 == self.expected {
            self.all_ended.notify_all();
        }
    }

    /// Waits until every actor has ended (then returns what they handed back) or
    /// `patience` has passed (then returns None, to be called again).
    pub(crate) fn wait(&self, patience: std::time::Duration) -> Option<Vec<T>> {
        let mut results = self.results.lock().unwrap_or_else(|e| e.into_inner());
        if self.ended.load(Ordering::Acquire) < self.expected {
            results = self
                .all_ended
                .wait_timeout(results, patience)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        (self.ended.load(Ordering::Acquire) >= self.expected).then(|| std::mem::take(&mut *results))
    }
}

pub(crate) type Job = Box<dyn FnOnce() + Send + 'static>;

/// The stack of every actor thread, set rather than left to the platform's default. What
/// a scenario controls cannot deepen it much: an actor walks nested `repeat` blocks with
/// a stack of its own on the heap (`actor::steps`), so 32 levels or 32,000 cost the
/// thread's stack nothing; the one recursion left is over a value's syntax tree
/// (`scenario::value::eval`, `matches`), which the actor refuses past
/// `actor::values::MAX_VALUE_DEPTH` (256) levels of a few hundred bytes each, some
/// 100 KiB at worst. 8 MiB is the main thread's usual stack on Linux, and only the pages
/// touched are ever committed.
pub(crate) const ACTOR_STACK: usize = 8 * 1024 * 1024;

pub(crate) struct Worker {
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
}

impl Worker {
    /// A thread named `actor-INDEX` that runs the jobs it is given, one after the other.
    pub(crate) fn spawn(index: usize) -> std::io::Result<Worker> {
        let (tx, rx) = mpsc::channel::<Job>();
        let thread = std::thread::Builder::new()
            .name(format!("actor-{index}"))
            .stack_size(ACTOR_STACK)
            .spawn(move || {
                while let Some(job) = next_job(&rx) {
                    job();
                }
            })?;
        Ok(Worker {
            jobs: Some(tx),
            thread: Some(thread),
        })
    }

    /// Hands a job to the worker; gives it back if the worker's thread is gone. Jobs
    /// catch their own panics, so that should not happen while the Worker lives.
    pub(crate) fn submit(&self, job: Job) -> Result<(), Job> {
        match &self.jobs {
            Some(tx) => tx.send(job).map_err(|e| e.0),
            None => Err(job),
        }
    }
}

/// The worker's next job, or None once the Worker is gone. Under `--repeat` the next run's
/// job comes a few tens of microseconds after the last one ended: the worker spins for
/// it a moment (see [`Spin`]) before it sleeps, as a wake-up costs about as much again.
/// (The calling thread plays the first actor, so a two-actor run keeps two threads busy,
/// not three: the spin takes no core that the run needs.)
fn next_job(jobs: &mpsc::Receiver<Job>) -> Option<Job> {
    let mut spin = Spin::default();
    loop {
        match jobs.try_recv() {
            Ok(job) => return Some(job),
            Err(mpsc::TryRecvError::Disconnected) => return None,
            Err(mpsc::TryRecvError::Empty) if spin.again() => {}
            Err(mpsc::TryRecvError::Empty) => return jobs.recv().ok(),
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        // Closing the channel ends the worker's loop.
        self.jobs = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{IN_ACTOR, catch_actor_panic, quiet_actor_panics};

    #[test]
    fn an_actor_panic_comes_back_as_its_message_and_only_the_actor_is_marked() {
        quiet_actor_panics();
        assert!(!IN_ACTOR.get());
        assert_eq!(catch_actor_panic(|| IN_ACTOR.get()), Ok(true));
        let outcome: Result<(), String> = catch_actor_panic(|| panic!("step {} broke", 7));
        assert_eq!(outcome, Err("step 7 broke".to_string()));
        assert!(!IN_ACTOR.get(), "the flag is cleared after a panic too");
    }
}
