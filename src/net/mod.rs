//! Sockets through socket2, options, and the kernel's own view of a socket (FIONREAD,
//! SIOCOUTQ). Linux only: abstract Unix addresses (unix(7)), SIOCOUTQNSD, TCP_CORK and
//! TCP_QUICKACK (tcp(7)) are Linux features, and Linux is the one target.

pub mod addr;
pub(crate) mod diag;
pub(crate) mod errno;
mod ioctl;
mod kind;
mod option;
pub mod tcp_info;

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use socket2::{Domain, SockAddr, Socket, Type};

pub use kind::{DgramKind, StreamKind};
pub use option::SockOpt;

/// A new stream socket of this kind (close-on-exec, blocking).
pub(crate) fn stream_socket(kind: StreamKind) -> io::Result<Socket> {
    match kind {
        StreamKind::Tcp => Socket::new(Domain::IPV4, Type::STREAM, None),
        StreamKind::Unix => Socket::new(Domain::UNIX, Type::STREAM, None),
    }
}

/// A new datagram socket of this kind.
pub(crate) fn dgram_socket(kind: DgramKind) -> io::Result<Socket> {
    match kind {
        DgramKind::Udp => Socket::new(Domain::IPV4, Type::DGRAM, None),
        DgramKind::UnixDgram => Socket::new(Domain::UNIX, Type::DGRAM, None),
    }
}

/// A new stream socket of `kind` to bind or connect to `addr`: an IPv6 one for an IPv6
/// address (`[::1]:8000`), IPv4 otherwise.
pub(crate) fn stream_socket_for(kind: StreamKind, addr: &SockAddr) -> io::Result<Socket> {
    match kind {
        StreamKind::Tcp => Socket::new(addr.domain(), Type::STREAM, None),
        StreamKind::Unix => stream_socket(kind),
    }
}

/// A new datagram socket of `kind` for `addr` (see [`stream_socket_for`]).
pub(crate) fn dgram_socket_for(kind: DgramKind, addr: &SockAddr) -> io::Result<Socket> {
    match kind {
        DgramKind::Udp => Socket::new(addr.domain(), Type::DGRAM, None),
        DgramKind::UnixDgram => dgram_socket(kind),
    }
}

/// `ip` port 0: the kernel picks a free ephemeral port, so two runs never collide. `ip`
/// is the actor's home address: 127.0.0.1, or its namespace's veth address under
/// `--net veth`.
pub(crate) fn any_port(ip: std::net::IpAddr) -> SockAddr {
    SockAddr::from(SocketAddr::from((ip, 0)))
}

/// An abstract Unix address (Linux: a name starting with a NUL byte, no file on disk,
/// gone when the socket closes; see unix(7)). `tag` makes it unique in this process.
pub(crate) fn abstract_unix_addr(tag: &str) -> io::Result<SockAddr> {
    SockAddr::unix(format!("\0stickylab-{}-{tag}", std::process::id()))
}

/// A printable key for an address: `127.0.0.1:41235`, `@stickylab-...`.
pub(crate) fn addr_key(addr: &SockAddr) -> String {
    if let Some(inet) = addr.as_socket() {
        return inet.to_string();
    }
    if let Some(name) = addr.as_abstract_namespace() {
        return format!("@{}", String::from_utf8_lossy(name));
    }
    if let Some(path) = addr.as_pathname() {
        return path.display().to_string();
    }
    String::from("(unnamed)")
}

/// Bytes waiting in the receive queue (FIONREAD; for UDP the size of the next
/// datagram, udp(7)).
pub(crate) fn queued_in(sock: &Socket) -> io::Result<usize> {
    ioctl::queued(sock, ioctl::Queue::Received)
}

/// Bytes in the send queue not yet acknowledged by the peer (SIOCOUTQ, tcp(7)).
pub(crate) fn queued_out(sock: &Socket) -> io::Result<usize> {
    ioctl::queued(sock, ioctl::Queue::Unacknowledged)
}

/// Bytes in the send queue not yet sent (SIOCOUTQNSD): held back by the peer's window,
/// by Nagle, or by cork.
pub(crate) fn unsent(sock: &Socket) -> io::Result<usize> {
    ioctl::queued(sock, ioctl::Queue::Unsent)
}

/// Waits until the socket is readable (or has an error or hang-up), at most `timeout`.
/// Returns false on timeout.
pub(crate) fn poll_readable(sock: &Socket, timeout: Duration) -> io::Result<bool> {
    use std::os::fd::AsRawFd;
    let mut pfd = libc::pollfd {
        fd: sock.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    // Round up so that a wait of 300us is not a busy poll of 0ms.
    let ms = timeout.as_micros().div_ceil(1000).min(i32::MAX as u128) as libc::c_int;
    // SAFETY: poll(2) reads and writes `nfds` pollfd structs from the pointer; it points
    // at `pfd`, one live, initialised pollfd, and nfds is 1.
    let rc = unsafe { libc::poll(&raw mut pfd, 1, ms) };
    if rc < 0 {
        let err = io::Error::last_os_error();
        if err.kind() == io::ErrorKind::Interrupted {
            return Ok(false);
        }
        return Err(err);
    }
    Ok(rc > 0)
}

/// The kernel's timeouts for blocking calls: SO_RCVTIMEO bounds recv/recvfrom/accept,
/// SO_SNDTIMEO bounds send/connect (socket(7)). Zero would mean "forever", so the
/// smallest timeout set is one microsecond.
pub(crate) fn set_call_timeouts(
    sock: &Socket,
    read: Option<Duration>,
    write: Option<Duration>,
) -> io::Result<()> {
    let floor = |d: Duration| d.max(Duration::from_micros(1));
    if let Some(d) = read {
        sock.set_read_timeout(Some(floor(d)))?;
    }
    if let Some(d) = write {
        sock.set_write_timeout(Some(floor(d)))?;
    }
    Ok(())
}

/// Applies one option and says what the kernel reports afterwards (`rcvbuf 8192`), so a
/// value the kernel changes (rcvbuf and sndbuf are doubled, socket(7)) is recorded as is.
/// `nonblocking` and `max-frame` are handled by the caller.
pub(crate) fn apply_option(sock: &Socket, opt: SockOpt) -> io::Result<String> {
    let switch = |b: bool| if b { "on" } else { "off" };
    match opt {
        SockOpt::NoDelay(on) => {
            sock.set_tcp_nodelay(on)?;
            Ok(format!("nodelay {}", switch(sock.tcp_nodelay()?)))
        }
        SockOpt::ReuseAddr(on) => {
            sock.set_reuse_address(on)?;
            Ok(format!("reuseaddr {}", switch(sock.reuse_address()?)))
        }
        SockOpt::ReusePort(on) => {
            sock.set_reuse_port(on)?;
            Ok(format!("reuseport {}", switch(sock.reuse_port()?)))
        }
        SockOpt::NonBlocking(on) => {
            sock.set_nonblocking(on)?;
            Ok(format!("nonblocking {}", switch(on)))
        }
        SockOpt::RcvBuf(n) => {
            sock.set_recv_buffer_size(n)?;
            Ok(format!("rcvbuf {}", sock.recv_buffer_size()?))
        }
        SockOpt::SndBuf(n) => {
            sock.set_send_buffer_size(n)?;
            Ok(format!("sndbuf {}", sock.send_buffer_size()?))
        }
        SockOpt::Linger(l) => {
            sock.set_linger(l)?;
            Ok(match sock.linger()? {
                Some(d) => format!("linger {}", humantime::format_duration(d)),
                None => "linger off".to_string(),
            })
        }
        SockOpt::RcvTimeo(d) => {
            sock.set_read_timeout(d)?;
            Ok(format!("rcvtimeo {}", describe_timeo(d)))
        }
        SockOpt::SndTimeo(d) => {
            sock.set_write_timeout(d)?;
            Ok(format!("sndtimeo {}", describe_timeo(d)))
        }
        SockOpt::MaxFrame(n) => Ok(format!("max-frame {n}")),
        linux_only => apply_linux_option(sock, linux_only),
    }
}

fn describe_timeo(d: Option<Duration>) -> String {
    match d {
        Some(d) => humantime::format_duration(d).to_string(),
        None => "off".to_string(),
    }
}

fn apply_linux_option(sock: &Socket, opt: SockOpt) -> io::Result<String> {
    let switch = |b: bool| if b { "on" } else { "off" };
    match opt {
        // TCP_CORK: hold partial segments until uncorked or 200ms pass (tcp(7)).
        SockOpt::Cork(on) => {
            sock.set_tcp_cork(on)?;
            Ok(format!("cork {}", switch(sock.tcp_cork()?)))
        }
        // TCP_QUICKACK: leave delayed-ACK mode now; the kernel may re-enter it later, so
        // it is not permanent (tcp(7)) — which is why a receiver sets it before every recv.
        SockOpt::QuickAck(on) => {
            sock.set_tcp_quickack(on)?;
            Ok(format!("quickack {}", switch(on)))
        }
        SockOpt::Mss(n) => {
            let n = u32::try_from(n).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
            sock.set_tcp_mss(n)?;
            Ok(format!("mss {}", sock.tcp_mss()?))
        }
        SockOpt::RcvLowat(n) => {
            set_int_opt(sock, libc::SOL_SOCKET, libc::SO_RCVLOWAT, n)?;
            Ok(format!(
                "rcvlowat {}",
                get_int_opt(sock, libc::SOL_SOCKET, libc::SO_RCVLOWAT)?
            ))
        }
        // SO_MAX_PACING_RATE: the most bytes per second the socket sends; TCP paces its
        // segments itself (no fq qdisc needed since Linux 4.13), so even on loopback a
        // large send leaves as bursts spread in time, and a reader sees them apart.
        // `~0` is no limit (socket(7)).
        SockOpt::Pacing(rate) => {
            set_u64_opt(
                sock,
                libc::SOL_SOCKET,
                libc::SO_MAX_PACING_RATE,
                rate.unwrap_or(u64::MAX),
            )?;
            Ok(match rate {
                Some(n) => format!("pacing {n} bytes/s"),
                None => "pacing off".to_owned(),
            })
        }
        other => Err(io::Error::other(format!(
            "option {} cannot be set here",
            other.name()
        ))),
    }
}

fn set_int_opt(sock: &Socket, level: i32, name: i32, value: usize) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let v = libc::c_int::try_from(value).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    // SAFETY: setsockopt(2) reads `optlen` bytes from `optval`; it points at `v`, one
    // live c_int, and optlen is the size of a c_int.
    let rc = unsafe {
        libc::setsockopt(
            sock.as_raw_fd(),
            level,
            name,
            (&v as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

fn set_u64_opt(sock: &Socket, level: i32, name: i32, value: u64) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: setsockopt(2) reads `optlen` bytes from `optval`; it points at `value`, one
    // live u64, and optlen is the size of a u64.
    let rc = unsafe {
        libc::setsockopt(
            sock.as_raw_fd(),
            level,
            name,
            (&value as *const u64).cast(),
            std::mem::size_of::<u64>() as libc::socklen_t,
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

fn get_int_opt(sock: &Socket, level: i32, name: i32) -> io::Result<i64> {
    use std::os::fd::AsRawFd;
    let mut v: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: getsockopt(2) writes at most `*optlen` bytes to `optval` and the length it
    // wrote to `optlen`; they point at `v`, a live c_int, and at `len`, which holds the
    // size of a c_int.
    let rc = unsafe {
        libc::getsockopt(
            sock.as_raw_fd(),
            level,
            name,
            (&mut v as *mut libc::c_int).cast(),
            &mut len,
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(i64::from(v))
}

/// Reads into `buf` with one recv() call and returns the bytes read.
pub(crate) fn recv_once(sock: &Socket, buf: &mut Vec<u8>, n: usize) -> io::Result<usize> {
    buf.clear();
    buf.reserve(n);
    // Exactly n bytes of room: the spare capacity can be larger, and recv(n) must never
    // return more than n.
    let got = sock.recv(&mut buf.spare_capacity_mut()[..n])?;
    // SAFETY: recv(2) wrote the first `got` bytes of the slice it was given, which is
    // the start of the spare capacity (the buffer was cleared), and `got <= n <=
    // capacity`: the first `got` bytes of `buf` are initialised.
    unsafe { buf.set_len(got) };
    Ok(got)
}

/// One recvfrom() call: the bytes, whether the datagram was longer than the buffer
/// (MSG_TRUNC, recv(2): the rest of a datagram that does not fit is discarded), and the
/// sender's address.
pub(crate) fn recv_from_once(
    sock: &Socket,
    buf: &mut Vec<u8>,
    n: usize,
) -> io::Result<(usize, bool, SockAddr)> {
    buf.clear();
    buf.reserve(n);
    let mut slices = [socket2::MaybeUninitSlice::new(
        &mut buf.spare_capacity_mut()[..n],
    )];
    let (got, flags, addr) = sock.recv_from_vectored(&mut slices)?;
    // SAFETY: recvfrom(2) wrote the first `got` bytes of the one slice it was given,
    // which is the start of the spare capacity (the buffer was cleared), and
    // `got <= n <= capacity`: the first `got` bytes of `buf` are initialised.
    unsafe { buf.set_len(got) };
    Ok((got, flags.is_truncated(), addr))
}
