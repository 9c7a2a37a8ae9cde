//! `run --net veth [--mtu N]`, and the scenarios tagged `veth`: which runs get the two
//! network namespaces, made once for the whole command (every run of `--repeat` and
//! `--all` uses the same pair), or refused, exit 2, before anything runs.
//!
//! - `--net veth`: every scenario of the command runs in the namespaces.
//! - `--net lo`: none does, not even a scenario tagged `veth` (it then runs on loopback,
//!   where its lesson may not show).
//! - neither: the scenarios tagged `veth` run in the namespaces, the others on loopback.
//!   Without the privileges for it, `run SCENARIO` is refused with what to do, and
//!   `run --all` leaves those scenarios out with a note on stderr.

use std::sync::Arc;

use super::Error;
use crate::cli::{NetKind, RunArgs};
use crate::netns::{DEFAULT_MTU, Net, NetError, needs_veth};
use crate::scenario::Scenario;
use crate::text::said;

/// The namespaces of a `run` command, and which of its scenarios use them.
pub(super) struct Nets {
    net: Option<Arc<Net>>,
    /// `--net veth`: every scenario; otherwise those tagged `veth`.
    all: bool,
}

impl Nets {
    /// The namespaces `scenario` runs in, if any.
    pub(super) fn of(&self, scenario: &Scenario) -> Option<Arc<Net>> {
        let net = self.net.as_ref()?;
        (self.all || needs_veth(scenario)).then(|| Arc::clone(net))
    }

    /// The namespaces of the command, if it has them.
    pub(super) fn net(&self) -> Option<&Net> {
        self.net.as_deref()
    }
}

/// Makes the namespaces if the command needs them; with `--all` and without the
/// privileges, removes the scenarios tagged `veth` from `scenarios` (saying so).
pub(super) fn prepare(
    args: &RunArgs,
    scenarios: &mut Vec<Scenario>,
    lang: &str,
) -> Result<Nets, Error> {
    let wanted = match args.net {
        Some(NetKind::Lo) => false,
        Some(NetKind::Veth) => true,
        None => scenarios.iter().any(needs_veth),
    };
    let none = Nets {
        net: None,
        all: false,
    };
    if !wanted {
        if args.mtu.is_some() {
            let text = said!(
                "--mtu sets the MTU of the veth pair: add --net veth",
                "--mtu 设置的是 veth 对的 MTU：加上 --net veth"
            );
            return Err(Error::said(lang, &text));
        }
        return Ok(none);
    }
    match Net::create(args.mtu.unwrap_or(DEFAULT_MTU)) {
        Ok(net) => Ok(Nets {
            net: Some(Arc::new(net)),
            all: args.net == Some(NetKind::Veth),
        }),
        Err(NetError::NoPrivilege) if args.all && args.net.is_none() => {
            scenarios.retain(|s| {
                if !needs_veth(s) {
                    return true;
                }
                let name = &s.name;
                let text = said!(
                    "skipped {name}: it runs in two network namespaces joined by a veth pair (tagged veth), which needs root (or CAP_SYS_ADMIN and CAP_NET_ADMIN)",
                    "跳过 {name}：它在由 veth 对连接的两个网络命名空间里运行（标签 veth），这需要 root（或 CAP_SYS_ADMIN 和 CAP_NET_ADMIN）"
                );
                eprintln!("{}", text.get(lang));
                false
            });
            Ok(none)
        }
        Err(e) => Err(refusal(
            args.net,
            scenarios.iter().find(|s| needs_veth(s)),
            e,
            lang,
        )),
    }
}

/// Why the namespaces could not be made, and what to do: `tagged` is a scenario tagged
/// `veth` that asked for them (when `--net veth` did not).
fn refusal(net: Option<NetKind>, tagged: Option<&Scenario>, e: NetError, lang: &str) -> Error {
    let text = match (e, net, tagged) {
        (NetError::NoPrivilege, None, Some(s)) => {
            let name = &s.name;
            said!(
                "{name} runs in two network namespaces joined by a veth pair (it is tagged veth), which needs root (or CAP_SYS_ADMIN and CAP_NET_ADMIN): run it with sudo, or with --net lo to try it on loopback",
                "{name} 在由 veth 对连接的两个网络命名空间里运行（它带有 veth 标签），这需要 root（或 CAP_SYS_ADMIN 和 CAP_NET_ADMIN）：用 sudo 运行，或者加 --net lo 在回环接口上试"
            )
        }
        (NetError::NoPrivilege, _, _) => said!(
            "--net veth needs root (or CAP_SYS_ADMIN and CAP_NET_ADMIN) to make two network namespaces and a veth pair: run it with sudo",
            "--net veth 需要 root（或 CAP_SYS_ADMIN 和 CAP_NET_ADMIN）来创建两个网络命名空间和一对 veth：用 sudo 运行"
        ),
        (NetError::Other(why), _, _) => said!(
            "cannot set up --net veth: {why}",
            "无法建立 --net veth：{why}"
        ),
    };
    Error::said(lang, &text)
}

/// The namespaces for `compare`, which takes no `--net`: made when a side is tagged
/// `veth`, so its lesson shows there as in `run`.
pub(super) fn for_tagged<'s>(
    scenarios: impl IntoIterator<Item = &'s Scenario>,
    lang: &str,
) -> Result<Option<Arc<Net>>, Error> {
    let Some(tagged) = scenarios.into_iter().find(|s| needs_veth(s)) else {
        return Ok(None);
    };
    Net::create(DEFAULT_MTU)
        .map(|net| Some(Arc::new(net)))
        .map_err(|e| refusal(None, Some(tagged), e, lang))
}
