//! A short spin before sleeping. What an actor waits for is usually another actor's next
//! step, microseconds away on the other core, and a sleep in the kernel costs tens of
//! microseconds to wake from. The spin does not yield: on a busy machine a yield hands
//! the core to another process for a whole time slice, while a sleeper is woken with
//! priority. So it is a busy wait bounded by time, after which the caller sleeps.

use std::time::{Duration, Instant};

#[derive(Debug, Default)]
pub(crate) struct Spin {
    started: Option<Instant>,
}

impl Spin {
    /// How long a waiter spins before it sleeps.
    pub(crate) const BUDGET: Duration = Duration::from_micros(50);

    /// Pauses a moment and returns true while the budget lasts; false once it is spent
    /// (then the caller sleeps).
    pub(crate) fn again(&mut self) -> bool {
        let started = *self.started.get_or_insert_with(Instant::now);
        if started.elapsed() < Self::BUDGET {
            for _ in 0..32 {
                std::hint::spin_loop();
            }
            true
        } else {
            false
        }
    }
}
