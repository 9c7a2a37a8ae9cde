//! [`Scenario`] -> [`Record`]: one thread per actor, all started from one barrier, one
//! clock for the whole run, every step recorded as an event.

pub mod record;

pub use record::Record;
