//! Class mode: `run --step` (Enter releases the next group of lines) and `run --slow
//! 2s` (a timer does). A thread of its own shows what will run next, lets the group go,
//! waits until the run is quiet again (every actor at the gate, done, or blocked in the
//! kernel), and shows what happened: the calls that returned, the actors still waiting
//! in a call, and per connection the bytes still in the kernel and what the last recv
//! got, with a mark ▏ between the bytes of two sends. All of it on stderr: stdout keeps
//! the report, printed at the end as usual.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::net::diag::PeerQueue;
use crate::record::{Event, Op, RunEnd, RunStart, Sink};
use crate::run::gate::{ActorState, Gate};
use crate::text::{escape_bytes, said};

/// How the groups are released.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pace {
    /// One group per Enter (`c` the rest, `q` stops).
    Keys,
    /// One group per interval.
    Timer(Duration),
}

/// The calls a panel lists at most; the others are counted.
const LISTED: usize = 40;

/// What the controller knows of the run: the events since the last panel (the first
/// [`LISTED`]), and a summary of all of them, in memory that does not grow with the run.
#[derive(Debug, Default)]
pub struct Seen {
    recent: Vec<Event>,
    unlisted: u64,
    count: u64,
    /// Per direction of a connection: bytes sent, bytes received, the last recv that
    /// got bytes.
    conns: BTreeMap<String, (u64, u64, Option<Event>)>,
    /// Per actor, the line and rounds of its last event.
    last: HashMap<String, (u32, Vec<u32>)>,
    /// Per TCP connection (`connector>acceptor`, `#n` from the second of a pair on):
    /// the connector's address and the address it connected to, from its `connect`.
    addrs: BTreeMap<String, (SocketAddr, SocketAddr)>,
    /// How many connections each pair has made so far, for the `#n`.
    pairs: HashMap<String, u32>,
}

impl Seen {
    fn add(&mut self, e: &Event) {
        self.count += 1;
        if self.recent.len() < LISTED {
            self.recent.push(e.clone());
        } else {
            self.unlisted += 1;
        }
        self.last
            .insert(e.actor.clone(), (e.line, e.rounds.clone()));
        if e.op == Op::Connect
            && e.error.is_none()
            && let (Some(peer), Some(ends)) = (&e.peer, e.detail.as_deref().and_then(ends_of))
        {
            let pair = format!("{}>{peer}", e.actor);
            let n = self.pairs.entry(pair.clone()).or_default();
            *n += 1;
            let name = match *n {
                1 => pair,
                n => format!("{pair}#{n}"),
            };
            self.addrs.insert(name, ends);
        }
        if let (Some(conn), Some((_, end))) = (e.conn.as_deref(), e.stream) {
            let c = self.conns.entry(conn.to_owned()).or_default();
            if e.op.is_send() {
                c.0 = c.0.max(end);
            } else if e.op.is_recv() {
                c.1 = c.1.max(end);
                if !e.eof {
                    c.2 = Some(e.clone());
                }
            }
        }
    }
}

/// A run is quiet once no event came for this long.
const QUIET: Duration = Duration::from_millis(200);

/// What the controller and the run share.
pub struct Class {
    gate: Arc<Gate>,
    events: Arc<Mutex<Seen>>,
    done: Arc<AtomicBool>,
    /// Set by the controller when it has shown its last panel.
    finished: Arc<AtomicBool>,
    quit: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// The sink that hands the run's events to the controller. At the run's end it lets
/// the controller show its last panel before the report is printed (teed after it).
pub struct Watch {
    events: Arc<Mutex<Seen>>,
    done: Arc<AtomicBool>,
    finished: Arc<AtomicBool>,
}

/// How long the end of a run waits for the controller's last panel.
const LAST_PANEL: Duration = Duration::from_secs(2);

impl Sink for Watch {
    fn begin(&mut self, _start: &RunStart) {}

    fn event(&mut self, event: &Event) {
        if let Ok(mut seen) = self.events.lock() {
            seen.add(event);
        }
    }

    fn end(&mut self, _end: &RunEnd) {
        self.done.store(true, Ordering::SeqCst);
        let until = Instant::now() + LAST_PANEL;
        while !self.finished.load(Ordering::SeqCst) && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Class {
    /// Starts the controller of `gate`; `cancel` ends the run when `q` is pressed.
    pub fn start(gate: Arc<Gate>, pace: Pace, cancel: Arc<AtomicBool>, lang: &str) -> Class {
        let events = Arc::new(Mutex::new(Seen::default()));
        let done = Arc::new(AtomicBool::new(false));
        let finished = Arc::new(AtomicBool::new(false));
        let quit = Arc::new(AtomicBool::new(false));
        let controller = Controller {
            gate: Arc::clone(&gate),
            events: Arc::clone(&events),
            done: Arc::clone(&done),
            finished: Arc::clone(&finished),
            quit: Arc::clone(&quit),
            cancel,
            pace,
            lang: lang.to_owned(),
        };
        let thread = std::thread::Builder::new()
            .name("class".into())
            .spawn(move || controller.run())
            .ok();
        if thread.is_none() {
            // No controller: nothing would ever release the steps.
            gate.release_all();
        }
        Class {
            gate,
            events,
            done,
            finished,
            quit,
            thread,
        }
    }

    /// The sink to tee the run's events into.
    pub fn watch(&self) -> Watch {
        Watch {
            events: Arc::clone(&self.events),
            done: Arc::clone(&self.done),
            finished: Arc::clone(&self.finished),
        }
    }

    /// The run is over: the controller stops. True if it was stopped with `q`.
    pub fn finish(mut self) -> bool {
        self.done.store(true, Ordering::SeqCst);
        self.gate.release_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        self.quit.load(Ordering::SeqCst)
    }
}

struct Controller {
    gate: Arc<Gate>,
    events: Arc<Mutex<Seen>>,
    done: Arc<AtomicBool>,
    finished: Arc<AtomicBool>,
    quit: Arc<AtomicBool>,
    cancel: Arc<AtomicBool>,
    pace: Pace,
    lang: String,
}

/// What the teacher asked for.
enum Key {
    Next,
    Rest,
    Quit,
    /// The run ended meanwhile.
    Over,
}

impl Controller {
    fn run(mut self) {
        let raw = match self.pace {
            Pace::Keys => raw::RawMode::enter(libc::STDIN_FILENO),
            Pace::Timer(_) => None,
        };
        let total = self.gate.schedule.total();
        let help = said!(
            "class mode: {total} groups of lines. Enter runs the next group, c runs the rest, q stops.",
            "课堂模式：共 {total} 组。回车运行下一组，c 运行剩下的全部，q 停止。"
        );
        if self.pace == Pace::Keys {
            self.say(help.get(&self.lang));
        }
        for k in 0..total {
            if self.done.load(Ordering::SeqCst) {
                break;
            }
            self.show_next(k, total);
            self.gate.hold();
            match self.wait(k) {
                Key::Next => self.gate.release(k + 1),
                Key::Rest => {
                    self.gate.release_all();
                    self.say(said!("running the rest", "运行剩下的全部").get(&self.lang));
                    break;
                }
                Key::Quit => {
                    self.quit.store(true, Ordering::SeqCst);
                    self.cancel.store(true, Ordering::SeqCst);
                    self.gate.release_all();
                    break;
                }
                Key::Over => break,
            }
            self.settle();
        }
        self.gate.release_all();
        // The terminal is itself again before the run's end (a Ctrl-C then ends the
        // process without it staying in raw mode).
        drop(raw);
        // What happened since the last panel (all of it, after `c`).
        while !self.done.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(10));
        }
        self.panel();
        self.finished.store(true, Ordering::SeqCst);
    }

    fn say(&self, text: &str) {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "{text}");
        let _ = err.flush();
    }

    fn show_next(&self, k: u64, total: u64) {
        let (lines, round) = self.gate.schedule.lines_of(k);
        let n = k + 1;
        let mut text = match round {
            Some(r) => said!(
                "▶ next, {n}/{total} (round {r}):",
                "▶ 下一组 {n}/{total}（第 {r} 轮）："
            )
            .get(&self.lang)
            .to_owned(),
            None => said!("▶ next, {n}/{total}:", "▶ 下一组 {n}/{total}：")
                .get(&self.lang)
                .to_owned(),
        };
        for l in lines {
            text.push_str(&format!("\n    {:>4}  {}: {}", l.line, l.actor, l.text));
        }
        self.say(&text);
    }

    /// Waits for the key (or the timer) that releases group `k`.
    fn wait(&self, k: u64) -> Key {
        match self.pace {
            Pace::Timer(pause) => {
                // The first group goes at once; each later one after the pause.
                let until = Instant::now() + if k == 0 { Duration::ZERO } else { pause };
                while Instant::now() < until {
                    if self.done.load(Ordering::SeqCst) {
                        return Key::Over;
                    }
                    std::thread::sleep(Duration::from_millis(10).min(pause));
                }
                Key::Next
            }
            Pace::Keys => loop {
                if self.done.load(Ordering::SeqCst) {
                    return Key::Over;
                }
                match raw::key(libc::STDIN_FILENO, Duration::from_millis(100)) {
                    raw::Read::Byte(b'\r' | b'\n' | b' ') => return Key::Next,
                    raw::Read::Byte(b'c' | b'C') => return Key::Rest,
                    raw::Read::Byte(b'q' | b'Q') => return Key::Quit,
                    // Ctrl-D or the end of input: nobody will press a key any more.
                    raw::Read::Byte(0x04) | raw::Read::End => return Key::Rest,
                    raw::Read::Byte(_) | raw::Read::Nothing => {}
                }
            },
        }
    }

    /// Waits until the run is quiet, showing what happened meanwhile.
    fn settle(&mut self) {
        let mut last = Instant::now();
        let mut seen = self.count();
        loop {
            std::thread::sleep(Duration::from_millis(20));
            let now = self.count();
            if now != seen {
                seen = now;
                last = Instant::now();
            }
            let released = self.gate.released();
            let all_at_gate = self
                .gate
                .states()
                .values()
                .all(|s| matches!(s, ActorState::Waiting(g) if *g >= released));
            if self.done.load(Ordering::SeqCst)
                || (last.elapsed() >= QUIET && (all_at_gate || last.elapsed() >= QUIET * 2))
            {
                break;
            }
        }
        self.panel();
    }

    fn count(&self) -> u64 {
        self.events.lock().map_or(0, |e| e.count)
    }

    /// The calls that returned since the last panel, the actors still in a call, and
    /// the connections.
    fn panel(&mut self) {
        let Ok(mut seen) = self.events.lock() else {
            return;
        };
        let mut text = String::new();
        for e in seen.recent.drain(..) {
            let call = e.call.split("=>").next().unwrap_or_default().trim_end();
            text.push_str(&format!(
                "  #{:<4} line {:<4} {}: {call}",
                e.seq, e.line, e.actor
            ));
            if e.eof {
                text.push_str(" → eof");
            } else if let Some(error) = &e.error {
                text.push_str(&format!(" → {error}"));
            } else if e.timeout {
                text.push_str(" → timeout");
            } else if e.op.is_recv() {
                let n = e.result.unwrap_or(0);
                text.push_str(&format!(" → {n} {}", marked(&e)));
            } else if let Some(n) = e.result {
                text.push_str(&format!(" → {n}"));
            }
            text.push('\n');
        }
        let unlisted = std::mem::take(&mut seen.unlisted);
        if unlisted > 0 {
            text.push_str(
                said!(
                    "  … and {unlisted} more calls\n",
                    "  … 另有 {unlisted} 次调用\n"
                )
                .get(&self.lang),
            );
        }
        for (actor, state) in self.gate.states() {
            if let ActorState::In {
                line,
                rounds,
                text: call,
            } = state
            {
                let returned = seen.last.get(&actor) == Some(&(line, rounds));
                if !returned && !self.done.load(Ordering::SeqCst) {
                    text.push_str(
                        said!(
                            "  … {actor} is waiting in `{call}` (line {line})\n",
                            "  … {actor} 正在 `{call}` 中等待（第 {line} 行）\n"
                        )
                        .get(&self.lang),
                    );
                }
            }
        }
        for (conn, (sent, received, last)) in &seen.conns {
            let last = last.as_ref().map_or_else(|| "-".to_owned(), marked);
            let said = match kernel_queues(&seen.addrs, conn) {
                // What the kernel holds now, asked of both sockets (what `ss` shows).
                Some(((sender, send_q), (receiver, recv_q))) => said!(
                    "  {conn}: {sent} sent, {received} received; {receiver}'s receive queue {recv_q}, {sender}'s send queue {send_q} (not yet acknowledged); last recv: {last}\n",
                    "  {conn}：已发送 {sent}，已接收 {received}；{receiver} 的接收队列 {recv_q}，{sender} 的发送队列 {send_q}（尚未确认）；最后一次 recv：{last}\n"
                ),
                None => {
                    let queued = sent.saturating_sub(*received);
                    said!(
                        "  {conn}: {sent} sent, {received} received, {queued} still in the kernel; last recv: {last}\n",
                        "  {conn}：已发送 {sent}，已接收 {received}，内核中还有 {queued}；最后一次 recv：{last}\n"
                    )
                }
            };
            text.push_str(said.get(&self.lang));
        }
        drop(seen);
        if !text.is_empty() {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "{text}");
            let _ = err.flush();
        }
    }
}

/// The two addresses of a `connect`'s detail (`127.0.0.1:48324 -> 127.0.0.1:37821`,
/// maybe followed by the options it applied).
fn ends_of(detail: &str) -> Option<(SocketAddr, SocketAddr)> {
    let mut words = detail.split_whitespace();
    let local = words.next()?.parse().ok()?;
    (words.next()? == "->").then_some(())?;
    let remote = words.next()?.trim_end_matches([',', ';']).parse().ok()?;
    Some((local, remote))
}

/// For the direction `conn` (`sender>receiver`, maybe `#n`): the sender's name and send
/// queue, the receiver's name and receive queue, as the kernel has them now (sock_diag),
/// if the connection's addresses are known and the kernel answers (a socket in another
/// network namespace, under --net veth, is not seen from here).
fn kernel_queues(
    addrs: &BTreeMap<String, (SocketAddr, SocketAddr)>,
    conn: &str,
) -> Option<((String, u32), (String, u32))> {
    let (sender, rest) = conn.split_once('>')?;
    let receiver = rest.split('#').next().unwrap_or(rest);
    let suffix = rest.strip_prefix(receiver).unwrap_or_default();
    // The connector's own direction, or the way back.
    let (connector_sends, (connector, acceptor)) = match addrs.get(conn) {
        Some(ends) => (true, *ends),
        None => (false, *addrs.get(&format!("{receiver}>{sender}{suffix}"))?),
    };
    let (sender_end, receiver_end) = if connector_sends {
        ((connector, acceptor), (acceptor, connector))
    } else {
        ((acceptor, connector), (connector, acceptor))
    };
    let (_, send_q) = PeerQueue::new(sender_end.0, sender_end.1)?.queues().ok()?;
    let (recv_q, _) = PeerQueue::new(receiver_end.0, receiver_end.1)?
        .queues()
        .ok()?;
    Some(((sender.to_owned(), send_q), (receiver.to_owned(), recv_q)))
}

/// A recv's bytes in the language's escapes, with ▏ between the bytes of two sends
/// (shortened in the middle past 60 characters).
fn marked(e: &Event) -> String {
    let data = e.data.as_deref().unwrap_or_default();
    let mut text = String::from("\"");
    let mut rest = data;
    for (i, p) in e.from.iter().enumerate() {
        let len = usize::try_from(p.bytes.1 - p.bytes.0).unwrap_or(usize::MAX);
        let (run, tail) = rest.split_at(len.min(rest.len()));
        if i > 0 {
            text.push('▏');
        }
        text.push_str(&escape_bytes(run));
        rest = tail;
    }
    text.push_str(&escape_bytes(rest));
    let chars: Vec<char> = text.chars().collect();
    let mut text = if chars.len() > 60 {
        let head: String = chars[..30].iter().collect();
        let tail: String = chars[chars.len() - 29..].iter().collect();
        format!("{head}…{tail}")
    } else {
        text
    };
    text.push('"');
    text
}

/// The terminal without line buffering or echo, so that one key is one answer.
mod raw {
    use std::mem::MaybeUninit;
    use std::time::Duration;

    pub struct RawMode {
        fd: i32,
        saved: libc::termios,
    }

    impl RawMode {
        /// Keys come one by one and are not echoed; Ctrl-C still interrupts (ISIG
        /// stays). None if `fd` is not a terminal.
        pub fn enter(fd: i32) -> Option<RawMode> {
            let mut t = MaybeUninit::<libc::termios>::uninit();
            // SAFETY: tcgetattr(3) fills the termios it is given when it returns 0,
            // and `t` is read only then.
            let saved = unsafe {
                if libc::tcgetattr(fd, t.as_mut_ptr()) != 0 {
                    return None;
                }
                t.assume_init()
            };
            let mut raw = saved;
            raw.c_lflag &= !(libc::ICANON | libc::ECHO);
            raw.c_cc[libc::VMIN] = 1;
            raw.c_cc[libc::VTIME] = 0;
            // SAFETY: `raw` is a valid termios copied from the terminal's own.
            if unsafe { libc::tcsetattr(fd, libc::TCSANOW, &raw) } != 0 {
                return None;
            }
            Some(RawMode { fd, saved })
        }
    }

    impl Drop for RawMode {
        fn drop(&mut self) {
            // SAFETY: `saved` is the terminal's termios as tcgetattr(3) gave it.
            unsafe {
                libc::tcsetattr(self.fd, libc::TCSANOW, &self.saved);
            }
        }
    }

    /// What reading the keyboard gave.
    pub enum Read {
        Byte(u8),
        /// Nothing within the wait.
        Nothing,
        /// The end of the input: no key will come any more.
        End,
    }

    /// One byte from `fd` if one comes within `wait` (poll(2), then read(2)).
    pub fn key(fd: i32, wait: Duration) -> Read {
        let mut p = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = i32::try_from(wait.as_millis()).unwrap_or(i32::MAX);
        // SAFETY: one valid pollfd, and its count.
        let ready = unsafe { libc::poll(&mut p, 1, ms) };
        if ready <= 0 {
            return Read::Nothing;
        }
        if p.revents & libc::POLLIN == 0 {
            // POLLHUP, POLLERR or POLLNVAL without data.
            return Read::End;
        }
        let mut byte = 0u8;
        // SAFETY: reads at most one byte into `byte`, which lives for the call.
        let n = unsafe { libc::read(fd, (&raw mut byte).cast(), 1) };
        if n == 1 { Read::Byte(byte) } else { Read::End }
    }
}
