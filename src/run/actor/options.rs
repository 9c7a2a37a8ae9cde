//! Socket options: those set on an existing socket, those kept for the next socket,
//! and those stickylab remembers itself (nonblocking, rcvtimeo, sndtimeo).

use std::io;
use std::time::Duration;

use socket2::Socket;

use super::Actor;
use crate::net;
use crate::scenario::ast::SockOpt;

/// What a user set on a socket that stickylab must remember itself: blocking calls get
/// the kernel's timeouts set to the step's deadline, so the user's own `rcvtimeo` and
/// `sndtimeo` are kept here and the smaller of the two is used.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct UserOpts {
    pub(super) nonblocking: bool,
    pub(super) rcvtimeo: Option<Duration>,
    pub(super) sndtimeo: Option<Duration>,
    /// The SO_RCVTIMEO and SO_SNDTIMEO stickylab itself last gave the socket for a call
    /// ([`super::call::timed`]), so a loop of calls does not set the same value again
    /// before every one of them; `None` when unknown (the user set one).
    pub(super) kernel: [Option<Duration>; 2],
}

impl UserOpts {
    pub(super) fn note(&mut self, opt: SockOpt) {
        match opt {
            SockOpt::NonBlocking(on) => self.nonblocking = on,
            SockOpt::RcvTimeo(d) => {
                self.rcvtimeo = d.filter(|d| !d.is_zero());
                self.kernel[0] = None;
            }
            SockOpt::SndTimeo(d) => {
                self.sndtimeo = d.filter(|d| !d.is_zero());
                self.kernel[1] = None;
            }
            _ => {}
        }
    }
}

impl Actor<'_> {
    /// Applies the options set before this socket existed.
    /// Returns what the kernel reports for each (`rcvbuf 8192`), for the event's detail.
    pub(super) fn apply_pending(
        &mut self,
        sock: &Socket,
        opts: &mut UserOpts,
    ) -> io::Result<String> {
        let mut applied = String::new();
        for opt in std::mem::take(&mut self.pending) {
            opts.note(opt);
            let detail = match opt {
                SockOpt::MaxFrame(n) => {
                    self.max_frame = n;
                    format!("max-frame {n}")
                }
                other => net::apply_option(sock, other)?,
            };
            applied.push_str("; ");
            applied.push_str(&detail);
        }
        Ok(applied)
    }

    pub(super) fn set(&mut self, opt: SockOpt) -> io::Result<String> {
        if let SockOpt::MaxFrame(n) = opt {
            self.max_frame = n;
            return Ok(format!("max-frame {n}"));
        }
        if let Some(i) = self.current {
            let conn = &mut self.conns[i];
            conn.opts.note(opt);
            return net::apply_option(&conn.sock, opt);
        }
        if let Some(l) = &mut self.listener {
            l.opts.note(opt);
            let detail = net::apply_option(&l.sock, opt)?;
            let (name, opts) = (self.name.clone(), l.opts);
            self.world.update(|s| {
                if let Some(e) = s.listeners.get_mut(&name) {
                    e.nonblocking = opts.nonblocking;
                    e.rcvtimeo = opts.rcvtimeo;
                    e.sndtimeo = opts.sndtimeo;
                }
            });
            return Ok(detail);
        }
        if let Some(d) = &mut self.dgram {
            d.opts.note(opt);
            return net::apply_option(&d.sock, opt);
        }
        self.pending.push(opt);
        Ok(format!("{} (kept for the next socket)", opt.name()))
    }
}
