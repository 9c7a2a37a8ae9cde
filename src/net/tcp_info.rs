//! Segment counts from TCP_INFO (tcp(7)): how many segments a socket sent and received,
//! so a report can tell a send that left in one segment from one Nagle held, and a recv
//! that gathered two segments from one that took one. socket2 has no getter; the kernel
//! fills as much of `struct tcp_info` as it knows and says how much in `optlen`, so only
//! the fields inside that length are read (an older kernel leaves the newer ones out).

use std::io;
use std::mem::{offset_of, size_of};
use std::os::fd::AsRawFd;

use socket2::Socket;

/// The counters of one socket at one moment, since the connection began.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Segments {
    /// Segments sent and received, data or not (SYN, ACK, FIN included).
    pub out: u32,
    pub in_: u32,
    /// Segments that carried data.
    pub data_out: u32,
    pub data_in: u32,
    /// Bytes written but not yet sent (held by Nagle, cork or the peer's window).
    pub notsent: u32,
    /// Segments sent and not yet acknowledged.
    pub unacked: u32,
}

/// The socket's counters, or `None` if it has none (not TCP, or a kernel older than
/// 4.6, where `tcpi_data_segs_out` appeared).
pub fn segments(sock: &Socket) -> io::Result<Option<Segments>> {
    // SAFETY: tcp_info is plain integers; all zeroes is a valid value of it.
    let mut info: libc::tcp_info = unsafe { std::mem::zeroed() };
    let mut len = size_of::<libc::tcp_info>() as libc::socklen_t;
    // SAFETY: getsockopt(2) writes at most `len` bytes into `info`, which is that large,
    // and the length it filled into `len`.
    let rc = unsafe {
        libc::getsockopt(
            sock.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_INFO,
            (&raw mut info).cast(),
            &mut len,
        )
    };
    if rc < 0 {
        let e = io::Error::last_os_error();
        // Not a TCP socket (a Unix stream): no counters, not an error of the run.
        if matches!(e.raw_os_error(), Some(libc::EOPNOTSUPP | libc::ENOPROTOOPT)) {
            return Ok(None);
        }
        return Err(e);
    }
    let filled = usize::try_from(len).unwrap_or(0);
    let has = |end: usize| end <= filled;
    if !has(offset_of!(libc::tcp_info, tcpi_data_segs_out) + size_of::<u32>()) {
        return Ok(None);
    }
    Ok(Some(Segments {
        out: info.tcpi_segs_out,
        in_: info.tcpi_segs_in,
        data_out: info.tcpi_data_segs_out,
        data_in: info.tcpi_data_segs_in,
        notsent: info.tcpi_notsent_bytes,
        unacked: info.tcpi_unacked,
    }))
}

impl Segments {
    /// What changed since `before` (the counters only grow; a wrap counts from zero),
    /// with the current `notsent` and `unacked`.
    pub fn since(self, before: Segments) -> Segments {
        Segments {
            out: self.out.wrapping_sub(before.out),
            in_: self.in_.wrapping_sub(before.in_),
            data_out: self.data_out.wrapping_sub(before.data_out),
            data_in: self.data_in.wrapping_sub(before.data_in),
            notsent: self.notsent,
            unacked: self.unacked,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};

    use super::segments;

    /// A real connection on loopback: a 5-byte write leaves in one data segment, and the
    /// other end has received one; a Unix socket has no counters.
    #[test]
    fn a_write_is_counted_in_segments() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a listener");
        let mut client =
            TcpStream::connect(listener.local_addr().expect("its address")).expect("a connection");
        let (mut server, _) = listener.accept().expect("the accepted end");
        let before = segments(
            &socket2::SockRef::from(&client)
                .try_clone()
                .expect("a clone"),
        )
        .expect("TCP_INFO")
        .expect("counters");
        client.write_all(b"hello").expect("a write");
        let mut buf = [0u8; 5];
        server.read_exact(&mut buf).expect("the bytes");
        let after = segments(
            &socket2::SockRef::from(&client)
                .try_clone()
                .expect("a clone"),
        )
        .expect("TCP_INFO")
        .expect("counters");
        assert_eq!(after.since(before).data_out, 1);
        let got = segments(
            &socket2::SockRef::from(&server)
                .try_clone()
                .expect("a clone"),
        )
        .expect("TCP_INFO")
        .expect("counters");
        assert_eq!(got.data_in, 1);
        let (a, _b) = std::os::unix::net::UnixStream::pair().expect("a pair");
        let unix = socket2::SockRef::from(&a).try_clone().expect("a clone");
        assert_eq!(segments(&unix).expect("no error"), None);
    }
}
