//! The re-chunking proxy (`stickylab proxy LISTEN TARGET`): every byte stream that goes
//! through it is cut into pieces at offsets a seed decides, whatever the sender's writes
//! were, so a program behind it meets split *and* merged messages.
//!
//! - [`cutter`]: where the cuts fall (pure: a seed and offsets, no sockets, no clock);
//! - [`record`]: `--record`'s JSON lines and reading them back for `--replay` (pure);
//! - [`pace`]: after a piece, waiting until the receiving program has read it, so its
//!   next recv() sees the next piece alone;
//! - [`pump`]: one direction of one connection, from socket to socket.
//!
//! Accepting, threads, printing and Ctrl-C are the app's (`app/proxy.rs`).

pub(crate) mod cutter;
pub(crate) mod pace;
pub(crate) mod pump;
pub(crate) mod record;
