//! Text for people, shared by the language and the reports: the string escapes of the
//! scenario language (read by the lexer, written by every report), the columns a string
//! takes on a terminal, and durations in three significant digits.
//!
//! A leaf: it knows characters and bytes, nothing of sockets, scenarios or runs.

pub mod duration;
pub mod escape;
pub mod width;

pub use duration::fmt_duration;
pub use escape::escape_bytes;
pub use width::str_width;
