//! The capture: an `AF_PACKET` raw socket on `lo`, drained on a thread of its own into
//! memory until the run ends. `lo` hands `AF_PACKET` every packet twice (the outgoing
//! copy and the one the host receives): only the second is kept.
//!
//! Under `--net veth` the socket is opened inside namespace a and bound to its veth end
//! (packet(7): a packet socket belongs to the namespace it was opened in): every segment
//! crosses that end once, outgoing (sent by an actor in a) or incoming (sent from b), so
//! every copy is kept.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::netns::{Net, Side};

/// `sll_pkttype` of a packet the host sent (linux/if_packet.h).
const PACKET_OUTGOING: u8 = 4;
/// The ioctl that gives the kernel's time stamp of the last packet read, in ns.
const SIOCGSTAMPNS: libc::c_ulong = 0x8907;
/// The most bytes kept: past it, packets are counted, not kept.
pub const MAX_BYTES: usize = 64 * 1024 * 1024;
/// Big enough for the largest packet `lo` carries (MTU 65536, plus headers).
const BUFFER: usize = 256 * 1024;

/// One packet as `lo` delivered it: an Ethernet frame (zero MACs on `lo`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    /// The kernel's time stamp, since the Unix epoch.
    pub at: Duration,
    /// The bytes captured (all of them: the buffer holds the largest frame).
    pub data: Vec<u8>,
    /// The frame's length on the wire.
    pub len: u32,
}

/// What a capture holds once stopped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Captured {
    /// The interface it was taken on (`lo`, `sl-veth-a`).
    pub interface: String,
    /// Every packet seen on `lo` while it ran, in order, one copy each.
    pub packets: Vec<Packet>,
    /// Packets not kept because [`MAX_BYTES`] was reached.
    pub dropped: u64,
}

/// Why a capture could not start.
#[derive(Debug)]
pub enum StartError {
    /// socket(2) said EPERM or EACCES: no `CAP_NET_RAW`.
    NoPrivilege,
    /// Anything else, with the system's words.
    Other(String),
}

/// A capture running on its thread.
#[derive(Debug)]
pub struct Capture {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<Captured>,
}

impl Capture {
    /// Opens the socket, binds it to `lo` (or, with `net`, to the veth end of its
    /// namespace a) and starts draining it.
    pub fn start(net: Option<&Net>) -> Result<Capture, StartError> {
        let (fd, interface, keep_outgoing) = match net {
            None => (open("lo")?, "lo", false),
            Some(net) => {
                let interface = net.interface(Side::A);
                let fd = net
                    .run_in(Side::A, || open(interface))
                    .map_err(|e| StartError::Other(e.to_string()))??;
                (fd, interface, true)
            }
        };
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("wire".into())
            .spawn(move || {
                let mut captured = drain(&fd, &flag, keep_outgoing);
                captured.interface = interface.to_string();
                captured
            })
            .map_err(|e| StartError::Other(e.to_string()))?;
        Ok(Capture { stop, thread })
    }

    /// Stops the capture once what is queued has been read, and returns it.
    pub fn stop(self) -> Captured {
        self.stop.store(true, Ordering::SeqCst);
        self.thread.join().unwrap_or_default()
    }
}

fn last_error() -> std::io::Error {
    std::io::Error::last_os_error()
}

/// A packet socket bound to `interface` of the calling thread's namespace.
fn open(interface: &str) -> Result<OwnedFd, StartError> {
    let protocol = (libc::ETH_P_ALL as u16).to_be();
    // SAFETY: socket(2) takes no pointers; the result is checked below.
    let raw = unsafe {
        libc::socket(
            libc::AF_PACKET,
            libc::SOCK_RAW | libc::SOCK_CLOEXEC,
            libc::c_int::from(protocol),
        )
    };
    if raw < 0 {
        let e = last_error();
        return Err(match e.raw_os_error() {
            Some(libc::EPERM | libc::EACCES) => StartError::NoPrivilege,
            _ => StartError::Other(e.to_string()),
        });
    }
    // SAFETY: `raw` is a descriptor socket(2) just returned, owned by nothing else.
    let fd = unsafe { OwnedFd::from_raw_fd(raw) };
    let name = std::ffi::CString::new(interface)
        .map_err(|_| StartError::Other(format!("{interface:?}: not an interface name")))?;
    // SAFETY: the name is a NUL-terminated C string that outlives the call.
    let index = unsafe { libc::if_nametoindex(name.as_ptr()) };
    if index == 0 {
        return Err(StartError::Other(format!("{interface}: {}", last_error())));
    }
    // SAFETY: sockaddr_ll is plain old data; all zeroes is a valid value.
    let mut addr: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
    addr.sll_family = libc::AF_PACKET as u16;
    addr.sll_protocol = protocol;
    addr.sll_ifindex = i32::try_from(index).unwrap_or(0);
    // SAFETY: `addr` is a valid sockaddr_ll and the length given is its size.
    let bound = unsafe {
        libc::bind(
            fd.as_raw_fd(),
            (&raw const addr).cast::<libc::sockaddr>(),
            size_of::<libc::sockaddr_ll>() as libc::socklen_t,
        )
    };
    if bound < 0 {
        return Err(StartError::Other(format!(
            "bind {interface}: {}",
            last_error()
        )));
    }
    // A large queue, so that a burst is not lost while the thread sleeps (best effort:
    // FORCE goes past rmem_max, which root may).
    let size: libc::c_int = 32 * 1024 * 1024;
    for option in [libc::SO_RCVBUFFORCE, libc::SO_RCVBUF] {
        // SAFETY: `size` is a c_int that outlives the call, and its size is given.
        let set = unsafe {
            libc::setsockopt(
                fd.as_raw_fd(),
                libc::SOL_SOCKET,
                option,
                (&raw const size).cast(),
                size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        if set == 0 {
            break;
        }
    }
    // Stamp packets from the first one: the kernel enables receive time stamps only
    // once a socket asks (socket(7), SO_TIMESTAMPNS), and until then a packet socket's
    // SIOCGSTAMPNS gives the time the packet was read, not when it came. Best effort.
    let on: libc::c_int = 1;
    // SAFETY: `on` is a c_int that outlives the call, and its size is given.
    let _ = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_TIMESTAMPNS,
            (&raw const on).cast(),
            size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    // Wake up now and then to see whether the run has ended.
    let wait = libc::timeval {
        tv_sec: 0,
        tv_usec: 20_000,
    };
    // SAFETY: `wait` is a timeval that outlives the call, and its size is given.
    let set = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVTIMEO,
            (&raw const wait).cast(),
            size_of::<libc::timeval>() as libc::socklen_t,
        )
    };
    if set < 0 {
        return Err(StartError::Other(format!("SO_RCVTIMEO: {}", last_error())));
    }
    Ok(fd)
}

/// Reads packets until told to stop, then what is still queued; the outgoing copies
/// only if `keep_outgoing` (not on `lo`, where each packet also comes in).
fn drain(fd: &OwnedFd, stop: &AtomicBool, keep_outgoing: bool) -> Captured {
    let mut captured = Captured::default();
    let mut kept = 0usize;
    let mut buffer = vec![0u8; BUFFER];
    let mut stopping = false;
    let mut last = Duration::ZERO;
    loop {
        if !stopping && stop.load(Ordering::SeqCst) {
            stopping = true;
        }
        let flags = libc::MSG_TRUNC | if stopping { libc::MSG_DONTWAIT } else { 0 };
        // SAFETY: sockaddr_ll is plain old data; all zeroes is a valid value.
        let mut from: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        let mut from_len = size_of::<libc::sockaddr_ll>() as libc::socklen_t;
        // SAFETY: the buffer and the address are ours, writable, and their sizes given.
        let n = unsafe {
            libc::recvfrom(
                fd.as_raw_fd(),
                buffer.as_mut_ptr().cast(),
                buffer.len(),
                flags,
                (&raw mut from).cast::<libc::sockaddr>(),
                &raw mut from_len,
            )
        };
        let Ok(len) = usize::try_from(n) else {
            match last_error().raw_os_error() {
                Some(libc::EINTR) => continue,
                Some(libc::EAGAIN) if !stopping => continue,
                _ => break,
            }
        };
        if from.sll_pkttype == PACKET_OUTGOING && !keep_outgoing {
            continue;
        }
        // On lo a packet may carry TCP's planned departure time (EDT) as its stamp, a
        // little later than the next packet's: the capture keeps the order it read
        // them in, and each stamp at least the one before.
        let at = stamp(fd).max(last);
        last = at;
        let got = len.min(buffer.len());
        if kept + got > MAX_BYTES {
            captured.dropped += 1;
            continue;
        }
        kept += got;
        captured.packets.push(Packet {
            at,
            data: buffer[..got].to_vec(),
            len: u32::try_from(len).unwrap_or(u32::MAX),
        });
    }
    captured
}

/// The kernel's time stamp of the packet just read; the clock's time if it has none.
fn stamp(fd: &OwnedFd) -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: SIOCGSTAMPNS writes one timespec, which `ts` is.
    let got = unsafe { libc::ioctl(fd.as_raw_fd(), SIOCGSTAMPNS as _, &raw mut ts) };
    match (got, u64::try_from(ts.tv_sec), u32::try_from(ts.tv_nsec)) {
        (0, Ok(s), Ok(ns)) => Duration::new(s, ns),
        _ => SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default(),
    }
}
