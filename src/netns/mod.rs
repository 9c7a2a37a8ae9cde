//! `run --net veth`: the actors in two network namespaces joined by a veth pair, so that
//! a send larger than the MSS leaves as real segments of at most one MSS (loopback's MTU
//! is 64 KiB and it offloads segmentation: a 20,000-byte send arrives whole).
//!
//! - Two fresh namespaces, **a** and **b**, made by unshare(2) on a helper thread and
//!   held only by file descriptors ([`ns`]): no `/run/netns` entry, so they end with the
//!   process, even when it is killed. The veth pair is made inside them and never
//!   appears in the namespace stickylab was started in.
//! - `sl-veth-a` (192.0.2.1/24) in a, `sl-veth-b` (192.0.2.2/24) in b, MTU 1500 unless
//!   `--mtu` says otherwise, TSO, GSO and GRO off on both ends, `lo` up in each ([`rtnl`],
//!   [`ifreq`]). The addresses are TEST-NET-1 (RFC 5737): documentation addresses, which
//!   no real network routes; they exist only inside the run's namespaces.
//! - Which namespace each actor gets ([`sides`]): the actors that `listen` in a, the
//!   others in b. If that leaves a side empty (nobody listens, as with UDP, or everybody
//!   does), the first actor is in a and the others in b. A scenario with Unix sockets
//!   has all its actors in a: abstract Unix addresses belong to a network namespace
//!   (unix(7)), so a connect from b would not find a listener in a.
//! - An actor's thread enters its namespace for the run and returns to the one it came
//!   from after it ([`Net::enter`]): the threads come from a pool and serve the next run.
//!   A listener binds its namespace's veth address instead of 127.0.0.1 ([`Net::home`]),
//!   so a connect goes across the pair.
//!
//! Needs CAP_SYS_ADMIN (unshare, setns) and CAP_NET_ADMIN (the links): root, in practice.

mod ifreq;
mod ns;
mod rtnl;

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, Ipv4Addr};
use std::os::fd::OwnedFd;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::scenario::Scenario;
use crate::scenario::ast::{Action, DgramKind, StreamKind, steps};

/// The MTU of the pair when `--mtu` is not given: Ethernet's.
pub const DEFAULT_MTU: u32 = 1500;
/// The MTUs a veth accepts (veth(4): ETH_MIN_MTU .. 64 KiB - 1).
pub const MTU_RANGE: std::ops::RangeInclusive<u32> = 68..=65535;
/// The tag of a scenario that needs `--net veth` (see [`needs_veth`]).
pub const TAG: &str = "veth";

/// One of the two namespaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Namespace a: the actors that listen.
    A,
    /// Namespace b: the others.
    B,
}

impl Side {
    pub fn name(self) -> &'static str {
        match self {
            Side::A => "a",
            Side::B => "b",
        }
    }
}

/// One namespace of the pair.
#[derive(Debug)]
struct End {
    ns: OwnedFd,
    ip: Ipv4Addr,
    interface: &'static str,
    /// The index of the veth end (see [`rtnl::Rtnl::add_veth`] for why it is chosen).
    index: u32,
}

/// The two namespaces of a `run --net veth`, for as long as it lives.
#[derive(Debug)]
pub struct Net {
    /// The namespace stickylab was started in: where every thread returns to.
    root: OwnedFd,
    ends: [End; 2],
}

/// Why the namespaces could not be made.
#[derive(Debug)]
pub enum NetError {
    /// EPERM or EACCES: no CAP_SYS_ADMIN or CAP_NET_ADMIN.
    NoPrivilege,
    /// Anything else, with the step that failed and the system's words.
    Other(String),
}

/// How long the pair may take to come up (its carrier, once both ends are up).
const UP_WITHIN: Duration = Duration::from_secs(2);

impl Net {
    /// Makes the two namespaces and the veth pair between them, ready for sockets.
    pub fn create(mtu: u32) -> Result<Net, NetError> {
        let root = ns::current().map_err(|e| other("open /proc/thread-self/ns/net", &e))?;
        let [a_made, b_made] = unshare_two()?;
        let net = Net {
            root,
            ends: [
                End {
                    ns: a_made.ns,
                    ip: Ipv4Addr::new(192, 0, 2, 1),
                    interface: "sl-veth-a",
                    index: 11,
                },
                End {
                    ns: b_made.ns,
                    ip: Ipv4Addr::new(192, 0, 2, 2),
                    interface: "sl-veth-b",
                    index: 12,
                },
            ],
        };
        let [a, b] = &net.ends;
        let (mut a_tools, mut b_tools) = (a_made.tools, b_made.tools);
        a_tools
            .rtnl
            .add_veth((a.interface, a.index), (b.interface, b.index), &b.ns, mtu)
            .map_err(|e| denied_or("create the veth pair", &e))?;
        for (end, tools) in [(a, &mut a_tools), (b, &mut b_tools)] {
            configure(end, tools)?;
        }
        for (end, tools) in [(a, &a_tools), (b, &b_tools)] {
            wait_until_up(end, tools)?;
        }
        // The setup sockets are closed here: each holds its namespace, and only the
        // descriptors of `Net` should.
        drop((a_tools, b_tools));
        Ok(net)
    }

    fn end(&self, side: Side) -> &End {
        match side {
            Side::A => &self.ends[0],
            Side::B => &self.ends[1],
        }
    }

    /// The address of the veth end in `side`'s namespace: where its listeners bind.
    pub fn home(&self, side: Side) -> IpAddr {
        IpAddr::V4(self.end(side).ip)
    }

    /// The name of the veth end in `side`'s namespace.
    pub fn interface(&self, side: Side) -> &'static str {
        self.end(side).interface
    }

    /// Moves the calling thread into `side`'s namespace until the guard is dropped,
    /// which moves it back to the namespace stickylab was started in (setns(2)).
    pub(crate) fn enter(&self, side: Side) -> io::Result<Entered<'_>> {
        ns::enter(&self.end(side).ns)?;
        Ok(Entered { net: self })
    }

    /// Runs `f` on a helper thread inside `side`'s namespace (to open a socket there:
    /// it stays in that namespace, whichever thread uses it).
    pub fn run_in<T: Send>(&self, side: Side, f: impl FnOnce() -> T + Send) -> io::Result<T> {
        let fd = &self.end(side).ns;
        std::thread::scope(|s| {
            s.spawn(|| {
                ns::enter(fd)?;
                Ok(f())
            })
            .join()
        })
        .unwrap_or_else(|_| Err(io::Error::other("a namespace helper thread panicked")))
    }
}

/// A fresh namespace, and the sockets that configure it (opened inside it).
struct Made {
    ns: OwnedFd,
    tools: Tools,
}

struct Tools {
    rtnl: rtnl::Rtnl,
    ifaces: ifreq::Ifaces,
}

/// Makes namespaces a and b on a helper thread, which ends in b; the calling thread
/// stays where it is. The sockets opened there keep their namespaces when it ends.
fn unshare_two() -> Result<[Made; 2], NetError> {
    let make = |side: &str| -> Result<Made, NetError> {
        let ns = ns::unshare_new()
            .map_err(|e| denied_or(&format!("unshare(CLONE_NEWNET) for namespace {side}"), &e))?;
        let rtnl = rtnl::Rtnl::open().map_err(|e| denied_or("open a route netlink socket", &e))?;
        let ifaces = ifreq::Ifaces::open().map_err(|e| other("open an AF_INET socket", &e))?;
        Ok(Made {
            ns,
            tools: Tools { rtnl, ifaces },
        })
    };
    std::thread::scope(|s| s.spawn(|| Ok([make("a")?, make("b")?])).join()).unwrap_or_else(|_| {
        Err(NetError::Other(
            "the namespace helper thread panicked".into(),
        ))
    })
}

/// Offloads off, the address, the link up, and `lo` up beside it.
fn configure(end: &End, tools: &mut Tools) -> Result<(), NetError> {
    let name = end.interface;
    let step = |what: &str, e: io::Error| denied_or(&format!("{what} ({name})"), &e);
    tools
        .ifaces
        .offloads_off(name)
        .map_err(|e| step("turn the offloads off", e))?;
    tools
        .rtnl
        .add_address(end.index, end.ip, 24)
        .map_err(|e| step("add the address", e))?;
    tools
        .rtnl
        .set_up(end.index)
        .map_err(|e| step("set the link up", e))?;
    let lo = tools
        .ifaces
        .index("lo")
        .map_err(|e| step("find lo in the namespace of", e))?;
    tools
        .rtnl
        .set_up(lo)
        .map_err(|e| step("set lo up in the namespace of", e))
}

/// Waits until the end is running: until then the kernel has not given it its queue,
/// and a packet sent on it would be dropped.
fn wait_until_up(end: &End, tools: &Tools) -> Result<(), NetError> {
    let until = Instant::now() + UP_WITHIN;
    while !tools
        .ifaces
        .running(end.interface)
        .map_err(|e| other(end.interface, &e))?
    {
        if Instant::now() >= until {
            return Err(NetError::Other(format!(
                "{} did not come up within {UP_WITHIN:?}",
                end.interface
            )));
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    Ok(())
}

/// Where the actors of one run are: the namespace of each, by its index in
/// `scenario.actors` ([`sides`]).
pub(crate) struct Placement {
    net: Arc<Net>,
    sides: Vec<Side>,
}

impl Placement {
    pub(crate) fn new(net: &Arc<Net>, scenario: &Scenario) -> Placement {
        Placement {
            net: Arc::clone(net),
            sides: sides(scenario),
        }
    }

    /// The address each actor binds: its namespace's veth address.
    pub(crate) fn addresses(&self, scenario: &Scenario) -> HashMap<String, IpAddr> {
        scenario
            .actors
            .iter()
            .zip(&self.sides)
            .map(|(actor, side)| (actor.clone(), self.net.home(*side)))
            .collect()
    }

    /// The namespace of the actor at `index`, for its thread to enter.
    pub(crate) fn home(&self, index: usize) -> Option<Home> {
        Some(Home {
            net: Arc::clone(&self.net),
            side: *self.sides.get(index)?,
        })
    }
}

/// One actor's namespace.
pub(crate) struct Home {
    net: Arc<Net>,
    side: Side,
}

impl Home {
    /// Moves the calling thread into it until the guard is dropped ([`Net::enter`]).
    pub(crate) fn enter(&self) -> io::Result<Entered<'_>> {
        self.net.enter(self.side)
    }

    pub(crate) fn side(&self) -> Side {
        self.side
    }
}

/// A thread inside one of the namespaces; dropped, it is back where it came from.
pub(crate) struct Entered<'n> {
    net: &'n Net,
}

impl Drop for Entered<'_> {
    fn drop(&mut self) {
        if let Err(e) = ns::enter(&self.net.root) {
            // A pool thread left in a run's namespace would open the next run's sockets
            // there. setns(2) into the namespace this process was started in, with the
            // privileges that just entered another, does not fail in practice; if it
            // does, no later run can be trusted.
            eprintln!("stickylab: cannot return a thread to its network namespace ({e}); stopping");
            std::process::abort();
        }
    }
}

fn other(what: &str, e: &io::Error) -> NetError {
    NetError::Other(format!("{what}: {e}"))
}

fn denied_or(what: &str, e: &io::Error) -> NetError {
    if ns::is_denied(e) {
        NetError::NoPrivilege
    } else {
        other(what, e)
    }
}

/// Whether the scenario's tags say it needs `--net veth`.
pub fn needs_veth(scenario: &Scenario) -> bool {
    scenario.tags.iter().any(|t| t == TAG)
}

/// The namespace of each actor of `scenario`, in the order of `scenario.actors` (see the
/// module's documentation for the rule).
pub fn sides(scenario: &Scenario) -> Vec<Side> {
    let mut listens = vec![false; scenario.actors.len()];
    let mut unix = false;
    for step in steps(&scenario.body) {
        let listener = match step.action {
            Action::Listen { kind, .. } => {
                unix |= kind == StreamKind::Unix;
                true
            }
            Action::BindTcp { .. } => true,
            Action::Bind {
                kind: DgramKind::UnixDgram,
                ..
            } => {
                unix = true;
                false
            }
            _ => false,
        };
        if listener && let Some(k) = scenario.actors.iter().position(|a| *a == step.actor) {
            listens[k] = true;
        }
    }
    if unix {
        return vec![Side::A; scenario.actors.len()];
    }
    let one_sided = listens.iter().all(|&l| l) || !listens.iter().any(|&l| l);
    listens
        .iter()
        .enumerate()
        .map(|(k, &l)| match (one_sided, l) {
            (true, _) if k == 0 => Side::A,
            (true, _) | (false, false) => Side::B,
            (false, true) => Side::A,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(text: &str) -> Scenario {
        crate::scenario::parse("t.lab", "t", text, &[]).expect("a scenario")
    }

    #[test]
    fn listeners_are_in_a_and_the_others_in_b() {
        let s = scenario("client: connect\nserver: listen\nserver: accept\nspy: sleep 1ms\n");
        assert_eq!(sides(&s), [Side::B, Side::A, Side::B]);
    }

    #[test]
    fn without_listeners_the_first_actor_is_in_a() {
        let s = scenario("a: bind udp\nb: sendto a \"x\"\nc: sleep 1ms\n");
        assert_eq!(sides(&s), [Side::A, Side::B, Side::B]);
    }

    /// The namespace of a thread of this process (`net:[INODE]`).
    fn namespace_of(task: &std::path::Path) -> String {
        std::fs::read_link(task.join("ns/net"))
            .map(|l| l.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    /// The detail of the run's first event of `op`.
    fn detail_of(record: &crate::record::Record, op: crate::record::Op) -> String {
        let event = record.events.iter().find(|e| e.op == op);
        event.and_then(|e| e.detail.clone()).unwrap_or_default()
    }

    /// The actors' threads (the calling thread, and the pool's workers, which outlive
    /// the run) are in the namespaces during a veth run and back in their own after it.
    /// Needs root: says SKIPPED otherwise, and fails under `STICKYLAB_CI=1`.
    #[test]
    fn the_actors_threads_return_to_their_namespace_after_a_run() {
        // SAFETY: geteuid(2) cannot fail and touches no memory of ours.
        if unsafe { libc::geteuid() } != 0 {
            assert!(
                std::env::var("STICKYLAB_CI").as_deref() != Ok("1"),
                "STICKYLAB_CI=1: this run must test --net veth as root"
            );
            eprintln!("SKIPPED: --net veth needs root");
            return;
        }
        let ours = namespace_of(std::path::Path::new("/proc/thread-self"));
        let net = std::sync::Arc::new(Net::create(DEFAULT_MTU).expect("the namespaces"));
        let text = "server: listen\nclient: connect\nserver: accept => from client\n\
                    client: send \"hi\"\nserver: recv 2 => \"hi\"\n";
        let scenario = std::sync::Arc::new(scenario(text));
        let mut runner = crate::run::Runner::new();
        let options = crate::run::RunOptions {
            net: Some(std::sync::Arc::clone(&net)),
            ..crate::run::RunOptions::default()
        };
        let record = runner.run(&scenario, &options);
        assert!(record.passed(), "{record:?}");
        let detail = detail_of(&record, crate::record::Op::Listen);
        assert!(detail.contains("192.0.2.1:"), "{detail}");
        let detail = detail_of(&record, crate::record::Op::Connect);
        assert!(detail.starts_with("192.0.2.2:"), "{detail}");

        assert_eq!(
            namespace_of(std::path::Path::new("/proc/thread-self")),
            ours
        );
        let mut workers = 0;
        for task in std::fs::read_dir("/proc/self/task")
            .expect("tasks")
            .flatten()
        {
            let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
            if comm.starts_with("actor-") {
                workers += 1;
                assert_eq!(namespace_of(&task.path()), ours, "{comm}");
            }
        }
        assert!(workers >= 1, "the pool's worker is alive");

        // The next run, without --net, is on loopback.
        let record = runner.run(&scenario, &crate::run::RunOptions::default());
        assert!(record.passed(), "{record:?}");
        let detail = detail_of(&record, crate::record::Op::Listen);
        assert!(detail.contains("127.0.0.1:"), "{detail}");
    }

    #[test]
    fn unix_sockets_keep_everyone_in_a() {
        let s = scenario("server: listen unix\nclient: connect\nserver: accept\n");
        assert_eq!(sides(&s), [Side::A, Side::A]);
    }
}
