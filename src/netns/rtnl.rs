//! Link setup through rtnetlink (rtnetlink(7)): a veth pair, an address, a link up. The
//! messages are netlink-packet-route's (the types the `rtnetlink` crate is made of),
//! sent on a blocking netlink-sys socket: three requests and their acknowledgements
//! need no async runtime.
//!
//! A netlink socket belongs to the network namespace it was opened in, whichever thread
//! uses it later: [`Rtnl::open`] is called inside the namespace to configure.

use std::io;
use std::net::{IpAddr, Ipv4Addr};
use std::os::fd::{AsRawFd, OwnedFd};

use netlink_packet_core::{
    NLM_F_ACK, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REQUEST, NetlinkHeader, NetlinkMessage,
    NetlinkPayload,
};
use netlink_packet_route::address::{AddressAttribute, AddressMessage, AddressScope};
use netlink_packet_route::link::{
    InfoData, InfoKind, InfoVeth, LinkAttribute, LinkFlags, LinkInfo, LinkMessage,
};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use netlink_sys::protocols::NETLINK_ROUTE;
use netlink_sys::{Socket, SocketAddr};

/// A route netlink socket of one namespace.
pub(super) struct Rtnl {
    sock: Socket,
    seq: u32,
}

impl Rtnl {
    /// A socket of the calling thread's namespace, connected to the kernel.
    pub(super) fn open() -> io::Result<Rtnl> {
        let mut sock = Socket::new(NETLINK_ROUTE)?;
        sock.bind_auto()?;
        sock.connect(&SocketAddr::new(0, 0))?;
        Ok(Rtnl { sock, seq: 0 })
    }

    /// Creates the veth pair `name` (here, with the index `index`) and `peer` (in the
    /// namespace `peer_ns`, index `peer_index`), both with `mtu` (veth(4); `ip link add
    /// NAME index INDEX mtu MTU type veth peer name PEER index PEER_INDEX mtu MTU netns
    /// NS`).
    ///
    /// The two indexes must differ: the kernel sees an end whose index equals its
    /// peer's (as two fresh namespaces would number both 2) as no stacked device, and
    /// brings it up through the link watcher's rate limit, up to a second later, instead
    /// of at once; until then its queue drops every packet.
    pub(super) fn add_veth(
        &mut self,
        (name, index): (&str, u32),
        (peer, peer_index): (&str, u32),
        peer_ns: &OwnedFd,
        mtu: u32,
    ) -> io::Result<()> {
        let mut peer_msg = LinkMessage::default();
        peer_msg.header.index = peer_index;
        peer_msg.attributes = vec![
            LinkAttribute::IfName(peer.to_string()),
            LinkAttribute::Mtu(mtu),
            LinkAttribute::NetNsFd(peer_ns.as_raw_fd()),
        ];
        let mut msg = LinkMessage::default();
        msg.header.index = index;
        msg.attributes = vec![
            LinkAttribute::IfName(name.to_string()),
            LinkAttribute::Mtu(mtu),
            LinkAttribute::LinkInfo(vec![
                LinkInfo::Kind(InfoKind::Veth),
                LinkInfo::Data(InfoData::Veth(InfoVeth::Peer(peer_msg))),
            ]),
        ];
        self.request(RouteNetlinkMessage::NewLink(msg), NLM_F_CREATE | NLM_F_EXCL)
    }

    /// Gives the link `index` the address `ip/prefix` (`ip addr add`).
    pub(super) fn add_address(&mut self, index: u32, ip: Ipv4Addr, prefix: u8) -> io::Result<()> {
        let mut msg = AddressMessage::default();
        msg.header.family = AddressFamily::Inet;
        msg.header.prefix_len = prefix;
        msg.header.scope = AddressScope::Universe;
        msg.header.index = index;
        msg.attributes = vec![
            AddressAttribute::Local(IpAddr::V4(ip)),
            AddressAttribute::Address(IpAddr::V4(ip)),
        ];
        self.request(
            RouteNetlinkMessage::NewAddress(msg),
            NLM_F_CREATE | NLM_F_EXCL,
        )
    }

    /// Sets the link `index` up (`ip link set up`).
    pub(super) fn set_up(&mut self, index: u32) -> io::Result<()> {
        let mut msg = LinkMessage::default();
        msg.header.index = index;
        msg.header.flags = LinkFlags::Up;
        msg.header.change_mask = LinkFlags::Up;
        self.request(RouteNetlinkMessage::NewLink(msg), 0)
    }

    /// Sends one request and waits for its acknowledgement: Ok, or the kernel's errno.
    fn request(&mut self, inner: RouteNetlinkMessage, flags: u16) -> io::Result<()> {
        self.seq += 1;
        let mut header = NetlinkHeader::default();
        header.flags = NLM_F_REQUEST | NLM_F_ACK | flags;
        header.sequence_number = self.seq;
        let mut packet = NetlinkMessage::new(header, NetlinkPayload::InnerMessage(inner));
        packet.finalize();
        let mut out = vec![0u8; packet.buffer_len()];
        packet.serialize(&mut out);
        self.sock.send(&out, 0)?;
        let mut buf: Vec<u8> = Vec::with_capacity(64 * 1024);
        loop {
            buf.clear();
            let n = self.sock.recv(&mut buf, 0)?;
            let mut at = 0;
            while at < n {
                let reply = NetlinkMessage::<RouteNetlinkMessage>::deserialize(&buf[at..n])
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
                let len = usize::try_from(reply.header.length).unwrap_or(0);
                if reply.header.sequence_number == self.seq
                    && let NetlinkPayload::Error(e) = reply.payload
                {
                    return match e.code {
                        None => Ok(()),
                        Some(code) => Err(io::Error::from_raw_os_error(-code.get())),
                    };
                }
                if len == 0 {
                    break;
                }
                // Messages are aligned to 4 bytes (netlink(7): NLMSG_ALIGN).
                at += len.div_ceil(4) * 4;
            }
        }
    }
}
