//! `--spawn 'CMD ... {port}'`: the program under test, started once per case on a free
//! port and stopped after it, whatever happened.
//!
//! - The command is split into words as a POSIX shell would (quotes, backslashes) by
//!   the `shlex` crate, and run **without a shell**: `{port}` in any word becomes the
//!   port, and nothing else is interpreted (no `$VAR`, no `;`, no globs). Write
//!   `sh -c '...'` to have a shell.
//! - It runs in a **process group of its own**, so that stopping it reaches the
//!   children it started (a `sh -c` wrapper, a reloader, a worker pool): SIGTERM to
//!   the group, then SIGKILL to the group after a grace period. The direct child also
//!   gets PR_SET_PDEATHSIG, so it is killed if stickylab itself dies first.
//! - It is ready when the kernel's socket table shows a socket **listening** on the
//!   port (`/proc/net/tcp` and `/proc/net/tcp6`, proc(5)), not when a connection
//!   succeeds: an iterative tutorial server accepts exactly one connection, and a test
//!   connection would use it up.
//! - Its stderr is kept (the last [`TAIL_BYTES`]) to be shown when a case fails; its
//!   stdout is thrown away (the report is on ours).

use std::io::{self, Read};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::text::{Said, said};

/// How much of the program's stderr is kept.
pub const TAIL_BYTES: usize = 4096;

/// How many lines of it a failed case shows.
pub const TAIL_LINES: usize = 12;

/// How long the program has to end after SIGTERM before its group gets SIGKILL.
const GRACE: Duration = Duration::from_millis(500);

/// How often the socket table and the child are looked at while waiting.
const POLL: Duration = Duration::from_millis(10);

/// The placeholder of the port in the command.
pub const PORT: &str = "{port}";

/// Splits `--spawn`'s command into words (POSIX shell quoting, no shell). It must
/// have a word and a `{port}`.
pub fn split(command: &str) -> Result<Vec<String>, Said> {
    let Some(words) = shlex::split(command) else {
        return Err(said!(
            "--spawn `{command}`: a quote is not closed (the command is split into words as \
             a shell would, then run without a shell)",
            "--spawn `{command}`：有引号没有闭合（命令像在 shell 里一样拆成单词，但不经过 shell 运行）"
        ));
    };
    if words.is_empty() {
        return Err(Said::both(
            "--spawn needs a command, e.g. --spawn 'python3 server.py {port}'",
            "--spawn 需要一个命令，比如 --spawn 'python3 server.py {port}'",
        ));
    }
    if !words.iter().any(|w| w.contains(PORT)) {
        return Err(said!(
            "--spawn `{command}` does not say where the program listens: put {{port}} where \
             the port goes (e.g. --spawn 'python3 server.py {{port}}'); stickylab picks a free \
             port for every case",
            "--spawn `{command}` 没有说程序在哪个端口监听：在该写端口的地方写 {{port}}\
             （比如 --spawn 'python3 server.py {{port}}'）；stickylab 为每个案例挑一个空闲端口"
        ));
    }
    Ok(words)
}

/// A port nobody listens on now (bound and released at once; another program could
/// take it in between, which the wait then reports).
pub fn free_port() -> io::Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    Ok(listener.local_addr()?.port())
}

/// The program under test, running. Dropping it stops it.
pub struct Program {
    child: Child,
    /// Its process group (the child's pid).
    group: i32,
    tail: Arc<Mutex<Vec<u8>>>,
    stopped: bool,
}

/// Why the program could not be made ready, with what it said on stderr.
#[derive(Debug)]
pub struct NotReady {
    pub why: Said,
    pub stderr: Vec<String>,
}

impl Program {
    /// Starts `words` with `{port}` replaced, and waits at most `wait` until it listens
    /// on that port (or `cancel` is set: Ctrl-C). Returns the program and the address
    /// to connect to.
    pub fn start(
        words: &[String],
        command: &str,
        port: u16,
        wait: Duration,
        cancel: &AtomicBool,
    ) -> Result<(Program, SocketAddr), NotReady> {
        let port_text = port.to_string();
        let words: Vec<String> = words.iter().map(|w| w.replace(PORT, &port_text)).collect();
        let (program, args) = words.split_first().ok_or_else(|| NotReady {
            why: Said::both("--spawn needs a command", "--spawn 需要一个命令"),
            stderr: Vec::new(),
        })?;
        let mut cmd = Command::new(program);
        cmd.args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .process_group(0);
        // SAFETY: the closure runs in the child between fork and exec and only makes
        // async-signal-safe calls (signal-safety(7)) on its own stack: prctl(2) and
        // sigprocmask(2) with a set it filled with sigemptyset(3).
        unsafe {
            cmd.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                    return Err(io::Error::last_os_error());
                }
                // stickylab blocks SIGINT in its threads (app/interrupt.rs) and a
                // child inherits the mask: the program gets the usual empty one.
                let mut none: libc::sigset_t = std::mem::zeroed();
                libc::sigemptyset(&mut none);
                if libc::sigprocmask(libc::SIG_SETMASK, &none, std::ptr::null_mut()) != 0 {
                    return Err(io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let mut child = cmd.spawn().map_err(|e| {
            let why = e.to_string();
            NotReady {
                why: said!(
                    "--spawn `{command}`: cannot start `{program}`: {why}",
                    "--spawn `{command}`：无法启动 `{program}`：{why}"
                ),
                stderr: Vec::new(),
            }
        })?;
        let tail = Arc::new(Mutex::new(Vec::new()));
        if let Some(pipe) = child.stderr.take() {
            keep_tail(pipe, Arc::clone(&tail));
        }
        let group = i32::try_from(child.id()).unwrap_or(i32::MAX);
        let mut running = Program {
            child,
            group,
            tail,
            stopped: false,
        };
        let started = Instant::now();
        loop {
            if let Some(addr) = listening_on(port) {
                return Ok((running, addr));
            }
            if let Ok(Some(status)) = running.child.try_wait() {
                let status = describe_status(status);
                let why = said!(
                    "--spawn `{command}` ended ({status}) before it listened on port {port}",
                    "--spawn `{command}` 在监听端口 {port} 之前就结束了（{status}）"
                );
                running.stop();
                return Err(NotReady {
                    why,
                    stderr: running.stderr_tail(),
                });
            }
            if cancel.load(Ordering::Relaxed) {
                running.stop();
                return Err(NotReady {
                    why: Said::both("interrupted", "已中断"),
                    stderr: Vec::new(),
                });
            }
            if started.elapsed() >= wait {
                let waited = crate::text::fmt_duration(wait);
                let why = said!(
                    "--spawn `{command}` did not listen on port {port} within {waited} (does it \
                     take the port from its command line? raise the wait with --wait)",
                    "--spawn `{command}` 在 {waited} 内没有在端口 {port} 上监听\
                     （它从命令行读端口了吗？可以用 --wait 加长等待）"
                );
                running.stop();
                return Err(NotReady {
                    why,
                    stderr: running.stderr_tail(),
                });
            }
            std::thread::sleep(POLL);
        }
    }

    /// The last [`TAIL_LINES`] lines it wrote to stderr.
    pub fn stderr_tail(&self) -> Vec<String> {
        let bytes = match self.tail.lock() {
            Ok(tail) => tail.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        let text = String::from_utf8_lossy(&bytes);
        let lines: Vec<&str> = text.lines().collect();
        let from = lines.len().saturating_sub(TAIL_LINES);
        lines[from..].iter().map(|l| l.to_string()).collect()
    }

    /// Stops the program and everything in its process group: SIGTERM, then SIGKILL
    /// after [`GRACE`]; reaps the child. Calling it again does nothing.
    pub fn stop(&mut self) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        signal_group(self.group, libc::SIGTERM);
        let deadline = Instant::now() + GRACE;
        let mut reaped = false;
        while Instant::now() < deadline {
            if !reaped && matches!(self.child.try_wait(), Ok(Some(_))) {
                reaped = true;
            }
            // The leader reaped and no other member left: the group is gone.
            if reaped && !signal_group(self.group, 0) {
                return;
            }
            std::thread::sleep(POLL);
        }
        signal_group(self.group, libc::SIGKILL);
        let _ = self.child.wait();
        // Members that outlived the leader are reparented (to init or a subreaper) and
        // reaped there once the SIGKILL has ended them; give it a moment.
        let deadline = Instant::now() + GRACE;
        while signal_group(self.group, 0) && Instant::now() < deadline {
            std::thread::sleep(POLL);
        }
    }
}

impl Drop for Program {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Sends `signal` to every process of the group; false when the group has none left
/// (ESRCH). Signal 0 only asks whether it has any.
fn signal_group(group: i32, signal: i32) -> bool {
    if group <= 1 {
        return false;
    }
    // SAFETY: kill(2) takes plain integers and has no memory-safety preconditions; a
    // negative pid names the process group we created for the child.
    let rc = unsafe { libc::kill(-group, signal) };
    rc == 0 || io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

/// Reads the pipe until it closes, keeping its last [`TAIL_BYTES`]. The thread is left
/// to end with the pipe (a grandchild that escaped the group may hold it open).
fn keep_tail(mut pipe: impl Read + Send + 'static, tail: Arc<Mutex<Vec<u8>>>) {
    let _ = std::thread::Builder::new()
        .name("spawn-stderr".into())
        .spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    return;
                }
                let mut kept = match tail.lock() {
                    Ok(kept) => kept,
                    Err(poisoned) => poisoned.into_inner(),
                };
                kept.extend_from_slice(&buf[..n]);
                let extra = kept.len().saturating_sub(TAIL_BYTES);
                kept.drain(..extra);
            }
        });
}

fn describe_status(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit status {code}"),
        (None, Some(signal)) => format!("killed by signal {signal}"),
        _ => status.to_string(),
    }
}

/// The address to connect to when some socket listens on TCP `port`, from the kernel's
/// socket tables; `None` while none does.
pub fn listening_on(port: u16) -> Option<SocketAddr> {
    for (path, v6) in [("/proc/net/tcp", false), ("/proc/net/tcp6", true)] {
        let Ok(table) = std::fs::read_to_string(path) else {
            continue;
        };
        if let Some(ip) = table.lines().skip(1).find_map(|l| listener_in(l, port, v6)) {
            return Some(SocketAddr::new(connectable(ip), port));
        }
    }
    None
}

/// `sl local_address rem_address st ...`: the local address of a listening socket on
/// `port` (state `0A`, TCP_LISTEN), else `None`.
fn listener_in(line: &str, port: u16, v6: bool) -> Option<IpAddr> {
    let mut fields = line.split_whitespace();
    let local = fields.nth(1)?;
    let state = fields.nth(1)?;
    if state != "0A" {
        return None;
    }
    let (ip, p) = local.split_once(':')?;
    if u16::from_str_radix(p, 16).ok()? != port {
        return None;
    }
    // The address is the kernel's words in host order (little-endian here), printed
    // as hex one 32-bit word at a time.
    let words: Vec<u32> = (0..ip.len() / 8)
        .map(|i| u32::from_str_radix(&ip[i * 8..i * 8 + 8], 16).ok())
        .collect::<Option<_>>()?;
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    match (v6, bytes.as_slice()) {
        (false, [a, b, c, d]) => Some(IpAddr::V4(Ipv4Addr::new(*a, *b, *c, *d))),
        (true, b) if b.len() == 16 => {
            let mut octets = [0u8; 16];
            octets.copy_from_slice(b);
            Some(IpAddr::V6(Ipv6Addr::from(octets)))
        }
        _ => None,
    }
}

/// Where to connect to reach a listener bound to `ip`: a wildcard is reached on
/// loopback, a v4-mapped address as plain IPv4.
fn connectable(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr, TcpListener, TcpStream};

    use super::{listener_in, listening_on, split};

    #[test]
    fn a_command_is_split_like_a_shell_and_needs_a_port() {
        let words = split("python3 'my server.py' --port={port}").expect("words");
        assert_eq!(words, ["python3", "my server.py", "--port={port}"]);
        assert!(split("python3 server.py").is_err());
        assert!(split("python3 'server.py {port}").is_err());
        assert!(split("   ").is_err());
    }

    #[test]
    fn a_line_of_proc_net_tcp_is_read() {
        let line = "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 \
                    00000000  1000        0 12345 1 0000000000000000 100 0 0 10 0";
        assert_eq!(
            listener_in(line, 8080, false),
            Some(IpAddr::V4(Ipv4Addr::LOCALHOST))
        );
        assert_eq!(listener_in(line, 8081, false), None);
        let established = line.replace(" 0A ", " 01 ");
        assert_eq!(listener_in(&established, 8080, false), None);
    }

    #[test]
    fn a_real_listener_is_seen_and_a_connection_is_not_needed() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        if std::fs::metadata("/proc/net/tcp").is_err() {
            return;
        }
        let seen = listening_on(port).expect("the listener is in the table");
        assert_eq!(seen.port(), port);
        // A connected socket on some other port is not a listener.
        let client = TcpStream::connect(seen).expect("connect");
        let other = client.local_addr().expect("addr").port();
        assert_eq!(listening_on(other), None);
    }
}
