//! The kernel's byte counts of a socket's queues, read with one `ioctl(2)` call.
//!
//! ioctl(2) takes a request number and an untyped pointer, and what it does with the
//! pointer depends on the request alone: the compiler cannot check it. Each request
//! below writes exactly one `int` (tcp(7), udp(7), unix(7)), and [`Queue`] is the only
//! way to name a request here, so no caller can pair a pointer with a request that
//! writes more than it points at. That is what keeps the one `unsafe` call sound.

use std::io;
use std::os::fd::{AsFd, AsRawFd};

/// Which of a socket's queues to measure. Every request writes one `int`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Queue {
    /// FIONREAD (the same request as SIOCINQ): for a stream socket the unread bytes in
    /// the receive queue (tcp(7), unix(7)); for a datagram socket the size of the next
    /// datagram only, 0 when none is queued (udp(7), unix(7)). A listening TCP socket
    /// answers EINVAL.
    Received,
    /// TIOCOUTQ (the same request as SIOCOUTQ, tcp(7)): the bytes in the send queue.
    /// tcp(7) calls them "unsent"; Linux counts from the first byte the peer has not
    /// acknowledged, so bytes sent and not yet acknowledged are included.
    Unacknowledged,
    /// SIOCOUTQNSD (`<linux/sockios.h>`, Linux 2.6.38 and later; tcp(7) does not list
    /// it): the bytes in the send queue not sent at all yet, held back by the peer's
    /// window, by Nagle's algorithm or by TCP_CORK.
    Unsent,
}

impl Queue {
    fn request(self) -> libc::Ioctl {
        match self {
            Queue::Received => libc::FIONREAD,
            Queue::Unacknowledged => libc::TIOCOUTQ,
            // libc declares it c_ulong on every Linux target; `Ioctl` is c_int on musl.
            Queue::Unsent => libc::SIOCOUTQNSD as libc::Ioctl,
        }
    }
}

/// How many bytes the kernel reports for `queue` of `sock`.
pub(crate) fn queued(sock: &impl AsFd, queue: Queue) -> io::Result<usize> {
    let mut n: libc::c_int = 0;
    // SAFETY: every `Queue` request writes one c_int through its argument (tcp(7),
    // udp(7), unix(7)), and the argument points at `n`, a live, writable c_int. The
    // descriptor is borrowed, so it stays open for the call.
    let rc = unsafe { libc::ioctl(sock.as_fd().as_raw_fd(), queue.request(), &raw mut n) };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    // A count is never negative; if a kernel ever said so, 0 is the honest reading.
    Ok(usize::try_from(n).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::net::{TcpListener, TcpStream, UdpSocket};
    use std::os::unix::net::UnixStream;
    use std::time::{Duration, Instant};

    use super::{Queue, queued};

    /// Waits (briefly) until the kernel reports `want` bytes: on loopback the bytes are
    /// queued at the receiver by the time send() returns, but a busy machine is allowed
    /// a moment.
    fn eventually(mut read: impl FnMut() -> usize, want: usize) -> usize {
        let deadline = Instant::now() + Duration::from_secs(2);
        loop {
            let got = read();
            if got == want || Instant::now() > deadline {
                return got;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    #[test]
    fn a_tcp_receive_queue_counts_every_unread_byte() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let mut client = TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
        let (server, _) = listener.accept().expect("accept");
        assert_eq!(queued(&server, Queue::Received).expect("FIONREAD"), 0);
        client.write_all(b"hello").expect("send");
        client.write_all(b"world").expect("send");
        let got = eventually(|| queued(&server, Queue::Received).unwrap_or(0), 10);
        assert_eq!(got, 10);
        // Acknowledged at once on loopback: nothing left unsent or unacknowledged.
        let out = eventually(|| queued(&client, Queue::Unacknowledged).unwrap_or(1), 0);
        assert_eq!(out, 0);
        assert_eq!(queued(&client, Queue::Unsent).expect("SIOCOUTQNSD"), 0);
    }

    #[test]
    fn a_listening_tcp_socket_has_no_receive_queue() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let err = queued(&listener, Queue::Received).expect_err("EINVAL");
        assert_eq!(err.raw_os_error(), Some(libc::EINVAL));
    }

    #[test]
    fn a_udp_receive_queue_counts_the_next_datagram_only() {
        let rx = UdpSocket::bind("127.0.0.1:0").expect("bind");
        let tx = UdpSocket::bind("127.0.0.1:0").expect("bind");
        assert_eq!(queued(&rx, Queue::Received).expect("FIONREAD"), 0);
        let to = rx.local_addr().expect("addr");
        tx.send_to(b"abc", to).expect("send");
        tx.send_to(b"defgh", to).expect("send");
        assert_eq!(
            eventually(|| queued(&rx, Queue::Received).unwrap_or(0), 3),
            3
        );
    }

    #[test]
    fn a_unix_stream_receive_queue_counts_every_unread_byte() {
        let (mut a, b) = UnixStream::pair().expect("socketpair");
        a.write_all(b"abc").expect("send");
        a.write_all(b"defgh").expect("send");
        assert_eq!(
            eventually(|| queued(&b, Queue::Received).unwrap_or(0), 8),
            8
        );
    }
}
