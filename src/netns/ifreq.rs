//! Interface ioctls on a datagram socket of the namespace (netdevice(7)): a link's index
//! and flags, and its offloads through SIOCETHTOOL (the legacy `ethtool_value`
//! commands of linux/ethtool.h, which the kernel maps onto the feature flags).

use std::io;
use std::os::fd::AsRawFd;

use socket2::{Domain, Socket, Type};

/// linux/ethtool.h: set TCP segmentation offload, generic segmentation offload and
/// generic receive offload; and their getters.
const ETHTOOL_GTSO: u32 = 0x1e;
const ETHTOOL_STSO: u32 = 0x1f;
const ETHTOOL_GGSO: u32 = 0x23;
const ETHTOOL_SGSO: u32 = 0x24;
const ETHTOOL_GGRO: u32 = 0x2b;
const ETHTOOL_SGRO: u32 = 0x2c;

/// `struct ethtool_value` (linux/ethtool.h).
#[repr(C)]
struct EthtoolValue {
    cmd: u32,
    data: u32,
}

/// A socket to ask the namespace it was opened in about its interfaces.
pub(super) struct Ifaces {
    sock: Socket,
}

impl Ifaces {
    /// A socket of the calling thread's namespace.
    pub(super) fn open() -> io::Result<Ifaces> {
        Ok(Ifaces {
            sock: Socket::new(Domain::IPV4, Type::DGRAM, None)?,
        })
    }

    /// An `ifreq` naming `name` (truncated to IFNAMSIZ - 1 bytes, NUL-terminated).
    fn ifreq(name: &str) -> libc::ifreq {
        // SAFETY: ifreq is plain old data (a name and a union of integers, addresses and
        // a pointer); all zeroes is a valid value.
        let mut req: libc::ifreq = unsafe { std::mem::zeroed() };
        for (to, from) in req
            .ifr_name
            .iter_mut()
            .zip(name.bytes().take(libc::IFNAMSIZ - 1))
        {
            *to = from as libc::c_char;
        }
        req
    }

    fn ioctl(&self, request: libc::c_ulong, req: &mut libc::ifreq) -> io::Result<()> {
        // SAFETY: the request is one of netdevice(7)'s (or SIOCETHTOOL), which read and
        // write one `ifreq`; `req` is a live, initialised ifreq.
        let rc = unsafe { libc::ioctl(self.sock.as_raw_fd(), request as _, &raw mut *req) };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// The interface's index (SIOCGIFINDEX).
    pub(super) fn index(&self, name: &str) -> io::Result<u32> {
        let mut req = Self::ifreq(name);
        self.ioctl(libc::SIOCGIFINDEX, &mut req)?;
        // SAFETY: SIOCGIFINDEX filled the union's ifindex.
        let index = unsafe { req.ifr_ifru.ifru_ifindex };
        u32::try_from(index).map_err(|_| io::Error::other(format!("{name}: index {index}")))
    }

    /// Whether the interface is up with its carrier on (SIOCGIFFLAGS: IFF_RUNNING; a
    /// veth end is running once both ends are up).
    pub(super) fn running(&self, name: &str) -> io::Result<bool> {
        let mut req = Self::ifreq(name);
        self.ioctl(libc::SIOCGIFFLAGS, &mut req)?;
        // SAFETY: SIOCGIFFLAGS filled the union's flags.
        let flags = libc::c_int::from(unsafe { req.ifr_ifru.ifru_flags });
        Ok(flags & libc::IFF_RUNNING != 0)
    }

    fn ethtool(&self, name: &str, cmd: u32, data: u32) -> io::Result<u32> {
        let mut value = EthtoolValue { cmd, data };
        let mut req = Self::ifreq(name);
        req.ifr_ifru.ifru_data = (&raw mut value).cast();
        self.ioctl(libc::SIOCETHTOOL, &mut req)?;
        Ok(value.data)
    }

    /// Turns TSO, GSO and GRO off on the interface, and checks that they are: each
    /// send then leaves as segments of at most one MSS, and each arrives as it left
    /// (the offloads would show a 20,000-byte send as 7,240 + 7,240 + 5,520 bytes).
    pub(super) fn offloads_off(&self, name: &str) -> io::Result<()> {
        for (set, get, what) in [
            (ETHTOOL_STSO, ETHTOOL_GTSO, "tcp-segmentation-offload"),
            (ETHTOOL_SGSO, ETHTOOL_GGSO, "generic-segmentation-offload"),
            (ETHTOOL_SGRO, ETHTOOL_GGRO, "generic-receive-offload"),
        ] {
            self.ethtool(name, set, 0)
                .map_err(|e| io::Error::new(e.kind(), format!("{name}: {what} off: {e}")))?;
            if self.ethtool(name, get, 0)? != 0 {
                return Err(io::Error::other(format!(
                    "{name}: {what} is still on after turning it off"
                )));
            }
        }
        Ok(())
    }
}
