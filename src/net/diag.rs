//! Another program's socket, seen through the kernel: how many bytes wait unread in the
//! receive queue of the TCP socket at a given pair of addresses, asked with one
//! sock_diag(7) request (what `ss` uses). The proxy uses it to wait until the program it
//! sends to has read a piece.
//!
//! sock_diag rather than `/proc/net/tcp` (proc(5)): the file walks the whole connection
//! hash table on every read, milliseconds on a machine with a large table, while one
//! request names the socket and the kernel looks it up by its addresses. No `unsafe`:
//! the request and the answer are plain bytes, laid out as `<linux/inet_diag.h>` and
//! `<linux/netlink.h>` say, and a netlink socket with no address sends to the kernel
//! (netlink(7)).

use std::io::{self, Read};
use std::net::SocketAddr;

use socket2::{Domain, Protocol, Socket, Type};

/// `NETLINK_SOCK_DIAG` (netlink(7)).
const NETLINK_SOCK_DIAG: i32 = 4;
/// `SOCK_DIAG_BY_FAMILY` (sock_diag(7)).
const SOCK_DIAG_BY_FAMILY: u16 = 20;
/// `NLM_F_REQUEST`: a request, not a dump (netlink(7)).
const NLM_F_REQUEST: u16 = 1;
/// `NLMSG_ERROR`: the answer is an error code (netlink(7)).
const NLMSG_ERROR: u16 = 2;
/// Where `idiag_rqueue` sits in an answer: the 16-byte `nlmsghdr`, then in
/// `inet_diag_msg` 4 one-byte fields, the 48-byte `inet_diag_sockid`, `idiag_expires`;
/// `idiag_wqueue` follows it.
const RQUEUE_AT: usize = 16 + 4 + 48 + 4;

/// A question to the kernel about one socket, ready to be asked again and again.
pub(crate) struct PeerQueue {
    netlink: Socket,
    request: Vec<u8>,
}

impl PeerQueue {
    /// Watches the TCP socket whose own address is `local` and whose peer is `remote`
    /// (for the receiver of a socket of ours: `local` is our peer address, `remote` our
    /// local one). `None` when the kernel does not answer sock_diag requests here (not
    /// Linux, a sandbox) or knows no such socket (it is on another machine).
    pub(crate) fn new(local: SocketAddr, remote: SocketAddr) -> Option<PeerQueue> {
        let netlink = Socket::new(
            Domain::from(libc::AF_NETLINK),
            Type::DGRAM,
            Some(Protocol::from(NETLINK_SOCK_DIAG)),
        )
        .ok()?;
        let watch = PeerQueue {
            netlink,
            request: request(local, remote)?,
        };
        watch.unread().ok()?;
        Some(watch)
    }

    /// The bytes the program has not read yet (`idiag_rqueue`, sock_diag(7)).
    pub(crate) fn unread(&self) -> io::Result<u32> {
        self.queues().map(|(unread, _)| unread)
    }

    /// The socket's receive queue (bytes not read yet) and send queue (bytes written
    /// and not yet acknowledged by the peer): `idiag_rqueue` and `idiag_wqueue` of an
    /// established TCP socket, what `ss` shows as Recv-Q and Send-Q (sock_diag(7)).
    pub(crate) fn queues(&self) -> io::Result<(u32, u32)> {
        self.netlink.send(&self.request)?;
        let mut answer = [0u8; 512];
        let n = (&self.netlink).read(&mut answer)?;
        let answer = &answer[..n];
        let field = |at: usize| -> Option<[u8; 4]> { answer.get(at..at + 4)?.try_into().ok() };
        let kind = answer
            .get(4..6)
            .and_then(|b| b.try_into().ok())
            .map(u16::from_ne_bytes);
        if kind == Some(NLMSG_ERROR) {
            // nlmsgerr: a negative errno after the header (ENOENT: no such socket).
            let errno = field(16).map_or(libc::EIO, |b| -i32::from_ne_bytes(b));
            return Err(io::Error::from_raw_os_error(errno));
        }
        match (field(RQUEUE_AT), field(RQUEUE_AT + 4)) {
            (Some(r), Some(w)) => Ok((u32::from_ne_bytes(r), u32::from_ne_bytes(w))),
            _ => Err(io::Error::from(io::ErrorKind::UnexpectedEof)),
        }
    }
}

/// `nlmsghdr` + `inet_diag_req_v2` for the TCP socket `local` -> `remote`: ports and
/// addresses in network byte order, the other fields in the machine's.
fn request(local: SocketAddr, remote: SocketAddr) -> Option<Vec<u8>> {
    let family = match (local, remote) {
        (SocketAddr::V4(_), SocketAddr::V4(_)) => libc::AF_INET,
        (SocketAddr::V6(_), SocketAddr::V6(_)) => libc::AF_INET6,
        _ => return None,
    };
    let address = |addr: SocketAddr| -> [u8; 16] {
        let mut out = [0u8; 16];
        match addr {
            SocketAddr::V4(v4) => out[..4].copy_from_slice(&v4.ip().octets()),
            SocketAddr::V6(v6) => out.copy_from_slice(&v6.ip().octets()),
        }
        out
    };
    let mut body = Vec::with_capacity(56);
    body.push(u8::try_from(family).ok()?); // sdiag_family
    body.push(u8::try_from(libc::IPPROTO_TCP).ok()?); // sdiag_protocol
    body.push(0); // idiag_ext: no extensions
    body.push(0); // pad
    body.extend_from_slice(&u32::MAX.to_ne_bytes()); // idiag_states: any state
    body.extend_from_slice(&local.port().to_be_bytes()); // idiag_sport
    body.extend_from_slice(&remote.port().to_be_bytes()); // idiag_dport
    body.extend_from_slice(&address(local)); // idiag_src
    body.extend_from_slice(&address(remote)); // idiag_dst
    body.extend_from_slice(&0u32.to_ne_bytes()); // idiag_if: any
    body.extend_from_slice(&[0xFF; 8]); // idiag_cookie: INET_DIAG_NOCOOKIE
    let len = u32::try_from(16 + body.len()).ok()?;
    let mut out = Vec::with_capacity(16 + body.len());
    out.extend_from_slice(&len.to_ne_bytes()); // nlmsg_len
    out.extend_from_slice(&SOCK_DIAG_BY_FAMILY.to_ne_bytes()); // nlmsg_type
    out.extend_from_slice(&NLM_F_REQUEST.to_ne_bytes()); // nlmsg_flags
    out.extend_from_slice(&1u32.to_ne_bytes()); // nlmsg_seq
    out.extend_from_slice(&0u32.to_ne_bytes()); // nlmsg_pid: the kernel fills it in
    out.extend_from_slice(&body);
    Some(out)
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::time::{Duration, Instant};

    use super::{PeerQueue, request};

    #[test]
    fn a_request_is_a_header_and_the_socket_it_names() {
        let local = "127.0.0.1:8000".parse().expect("addr");
        let remote = "127.0.0.1:41652".parse().expect("addr");
        let bytes = request(local, remote).expect("a request");
        assert_eq!(bytes.len(), 72);
        assert_eq!(
            bytes[16..18],
            [libc::AF_INET as u8, libc::IPPROTO_TCP as u8]
        );
        assert_eq!(bytes[24..28], [0x1F, 0x40, 0xA2, 0xB4]);
        assert_eq!(bytes[28..32], [127, 0, 0, 1]);
        assert!(request(local, "[::1]:80".parse().expect("addr")).is_none());
    }

    #[test]
    fn the_unread_bytes_of_a_real_socket_until_it_reads_them() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let mut client = TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
        let (mut server, _) = listener.accept().expect("accept");
        let (local, remote) = (
            server.local_addr().expect("addr"),
            server.peer_addr().expect("addr"),
        );
        let Some(watch) = PeerQueue::new(local, remote) else {
            // No sock_diag here (a sandbox): the proxy falls back to waiting; nothing
            // to check.
            return;
        };
        assert_eq!(watch.unread().expect("asked"), 0);
        client.write_all(b"hello").expect("send");
        let deadline = Instant::now() + Duration::from_secs(2);
        while watch.unread().expect("asked") != 5 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        assert_eq!(watch.unread().expect("asked"), 5);
        let mut buf = [0u8; 16];
        assert_eq!(server.read(&mut buf).expect("recv"), 5);
        assert_eq!(watch.unread().expect("asked"), 0);
    }

    #[test]
    fn no_socket_at_those_addresses_is_none() {
        let local = "127.0.0.1:9".parse().expect("addr");
        let remote = "127.0.0.1:10".parse().expect("addr");
        assert!(PeerQueue::new(local, remote).is_none());
    }
}
