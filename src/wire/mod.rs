//! The wire view (`run --wire`, `--pcap FILE`): the TCP segments a run's connections put
//! on the loopback interface, captured with an `AF_PACKET` socket bound to `lo`, kept in
//! memory while the run goes, then filtered to the run's own connections (their ports are
//! known only once its sockets exist), joined to the sends whose bytes they carried, and
//! shown as a section of the table report or written as pcapng.
//!
//! Capturing needs `CAP_NET_RAW`: without it, [`Capture::start`] says so and nothing runs.

mod capture;
mod join;
mod pcap;
mod segments;

pub use capture::{Capture, StartError};
pub use join::captured_evidence;
pub use pcap::write_pcapng;
pub use segments::{Segment, Wire, segment_cells, wire_headers, wire_section};
