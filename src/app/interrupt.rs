//! Ctrl-C. The first SIGINT sets a flag that the runner and the app watch: a run ends
//! promptly, `--repeat` and `--all` start no further run, and what finished is reported.
//! A second SIGINT ends the process at once, for a run that does not end.
//!
//! signal-hook rather than ctrlc: its handlers only store to an atomic (what a signal
//! handler may safely do, signal-safety(7)), with no thread of their own, and its
//! `register_conditional_shutdown` is the "second Ctrl-C quits" rule in one call.
//!
//! The signal must not land on an actor. A handled signal makes the call its thread is
//! blocked in fail with EINTR, and a recv() with a receive timeout (SO_RCVTIMEO, which
//! the deadlines use) is not restarted even with SA_RESTART (signal(7), "Interruption
//! of system calls"): the report would show an `EINTR` the scenario never caused. So
//! SIGINT is blocked in the calling thread, whose mask every actor thread inherits, and
//! one quiet thread of our own is left to receive it (pthread_sigmask(3)).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use signal_hook::consts::SIGINT;

/// The exit status of a command ended by Ctrl-C: 128 + SIGINT, as shells report it.
pub const EXIT_INTERRUPTED: u8 = 130;

/// Installs the Ctrl-C handlers and returns the flag the first Ctrl-C sets. Call it
/// before any actor thread starts: threads started earlier keep SIGINT unblocked.
///
/// If the handlers cannot be installed, Ctrl-C keeps its default action (the process
/// ends at once), which is still a way out: the error is not worth refusing to run.
pub fn on_ctrl_c() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    // Registered first, so it runs first: on the first Ctrl-C the flag is still unset
    // and nothing happens here; on the second it is set, and the process exits.
    let shutdown = signal_hook::flag::register_conditional_shutdown(
        SIGINT,
        i32::from(EXIT_INTERRUPTED),
        Arc::clone(&flag),
    );
    let set = signal_hook::flag::register(SIGINT, Arc::clone(&flag));
    if shutdown.is_ok() && set.is_ok() {
        receive_on_a_thread_of_its_own();
    }
    flag
}

/// Has Ctrl-C been pressed?
pub fn pressed(flag: &AtomicBool) -> bool {
    flag.load(Ordering::Relaxed)
}

/// Starts a thread that only waits with SIGINT unblocked, then blocks SIGINT in the
/// calling thread (and so in every thread it starts from now on). The kernel delivers
/// a process-directed signal to a thread that does not block it: that thread
/// (signal(7)).
fn receive_on_a_thread_of_its_own() {
    let receiver = std::thread::Builder::new()
        .name("ctrl-c".to_owned())
        .spawn(|| {
            loop {
                std::thread::park();
            }
        });
    if receiver.is_err() {
        // No thread: SIGINT stays unblocked everywhere, and may cost an actor an EINTR.
        return;
    }
    // SAFETY: `set` is a local sigset_t that sigemptyset initialises before any other
    // use; pthread_sigmask only reads it and changes the calling thread's mask.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGINT);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
    }
}
