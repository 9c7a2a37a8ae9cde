//! Text for people, shared by the language and the reports: the string escapes of the
//! scenario language (read by the lexer, written by every report), the columns a string
//! takes on a terminal, durations in three significant digits, and
//! a message in the languages stickylab speaks ([`Said`]).
//!
//! A leaf: it knows characters and bytes, nothing of sockets, scenarios or runs.

pub mod duration;
pub mod escape;
pub mod said;
pub mod width;

pub use duration::fmt_duration;
pub use escape::escape_bytes;
pub use said::Said;
pub(crate) use said::said;
pub use width::str_width;
