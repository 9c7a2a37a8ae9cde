//! Actor threads that outlive a run. A thread costs tens of microseconds to create and
//! join, more than a whole hello-world run on loopback; a worker waits for its next job.

use std::sync::mpsc;
use std::thread::JoinHandle;

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
