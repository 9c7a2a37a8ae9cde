//! Actor threads that outlive a run. A thread costs tens of microseconds to create and
//! join, more than a whole hello-world run on loopback; a worker waits for its next job.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, mpsc};
use std::thread::JoinHandle;

use super::spin::Spin;

/// A panic on an actor thread is a bug of stickylab's, and the run reports it as a
/// blocked step with its message; the default hook would print it into the middle of
/// the report. Panics elsewhere keep the default hook.
pub(crate) fn quiet_actor_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let on_actor = std::thread::current()
                .name()
                .is_some_and(|n| n.starts_with("actor-"));
            if !on_actor {
                default(info);
            }
        }));
    });
}

/// The barrier all actors of a run leave together. The last actor to arrive starts the
/// run's clock and opens it; the others spin a moment (see [`Spin`]), then sleep until
/// it opens.
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

pub(crate) type Job = Box<dyn FnOnce() + Send + 'static>;

pub(crate) struct Worker {
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
}

impl Worker {
    pub(crate) fn spawn(index: usize) -> Worker {
        let (tx, rx) = mpsc::channel::<Job>();
        let thread = std::thread::Builder::new()
            .name(format!("actor-{index}"))
            .spawn(move || {
                for job in rx {
                    job();
                }
            })
            .ok();
        Worker {
            jobs: Some(tx),
            thread,
        }
    }

    /// Hands a job to the worker. A worker that could not be created runs it on a thread
    /// of its own.
    pub(crate) fn submit(&self, job: Job) {
        let job = match &self.jobs {
            Some(tx) if self.thread.is_some() => match tx.send(job) {
                Ok(()) => return,
                Err(mpsc::SendError(job)) => job,
            },
            _ => job,
        };
        std::thread::spawn(job);
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
