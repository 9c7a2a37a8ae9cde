//! stickylab: a laboratory for TCP's "sticky packets" (粘包) and their relatives.
//!
//! The pipeline, one module per stage, arrows one way:
//!
//! - [`scenario`]: text -> [`scenario::Scenario`] (lexer, parser, diagnostics);
//! - `run`: scenario -> `run::Record` (actors on threads, real sockets from `net`,
//!   framing from `frame`);
//! - `report`: record -> bytes (table, json); reports never run anything, the runner
//!   never prints.
//!
//! Beside the pipeline, `proxy` re-chunks the byte streams of real programs
//! (`stickylab proxy`): it cuts where a seed says, and uses `net` for its sockets and
//! for seeing when the receiving program has read a piece.

pub mod app;
pub(crate) mod catalog;
pub mod cli;
pub(crate) mod frame;
pub(crate) mod net;
pub(crate) mod netns;
pub(crate) mod proxy;
pub(crate) mod record;
pub(crate) mod report;
pub(crate) mod run;
pub mod scenario;
pub(crate) mod text;
pub(crate) mod wire;
