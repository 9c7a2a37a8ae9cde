//! `stickylab proxy LISTEN TARGET`: accept connections, connect each to the target, and
//! run its two directions (`proxy::pump`) on two threads; say on stderr what happens,
//! and write the pieces to `--record`. Ctrl-C stops accepting and ends every connection.

use std::io::{LineWriter, Write};
use std::net::SocketAddr;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use socket2::{Domain, SockAddr, Socket, Type};

use super::{Error, Outcome, interrupt, terminal};
use crate::cli::ProxyArgs;
use crate::proxy::cutter::{Cutter, Dir, Plan, Sizes};
use crate::proxy::pump::{self, Direction, End, Side, Stats};
use crate::proxy::record::{self, Line, Replay};
use crate::text::said;

/// How long connecting to the target may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How often the accept loop looks at the Ctrl-C flag.
const TICK: Duration = Duration::from_millis(100);

/// What every connection of one proxy shares.
struct Shared {
    target: SocketAddr,
    seed: u64,
    sizes: Sizes,
    hold: Duration,
    gap: Duration,
    replay: Replay,
    record: Option<Mutex<LineWriter<std::fs::File>>>,
    /// Set when a line could not be written to the record (said once, at the end).
    record_failed: AtomicBool,
    cancel: Arc<AtomicBool>,
    lang: String,
}

pub(super) fn proxy(args: &ProxyArgs) -> Result<Outcome, Error> {
    let lang = terminal::language(args.lang.as_deref());
    let (min, max) = args.sizes;
    let sizes = Sizes::new(min, max).ok_or_else(|| {
        let text = said!(
            "--sizes {min}-{max} is not a range of piece sizes",
            "--sizes {min}-{max} 不是分段大小的范围"
        );
        Error::said(&lang, &text)
    })?;
    let replay = match &args.replay {
        Some(path) => read_replay(path, &lang)?,
        None => Replay::new(),
    };
    let record = match &args.record {
        Some(path) => Some(Mutex::new(LineWriter::new(
            std::fs::File::create(path).map_err(|e| {
                let (shown, why) = (path.display(), e.to_string());
                let text = said!(
                    "cannot write the record `{shown}`: {why}",
                    "无法写入记录文件 `{shown}`：{why}"
                );
                Error::said(&lang, &text)
            })?,
        ))),
        None => None,
    };
    let seed = args.seed.unwrap_or_else(|| rand::random::<u32>().into());
    let listener = listen(args.listen).map_err(|e| {
        let (addr, why) = (args.listen, why(&e));
        let text = said!(
            "cannot listen on {addr}: {why}",
            "无法在 {addr} 上监听：{why}"
        );
        Error::said(&lang, &text)
    })?;
    let bound = listener
        .local_addr()
        .ok()
        .and_then(|a| a.as_socket())
        .unwrap_or(args.listen);
    // Before any connection thread starts (see `interrupt`).
    let cancel = interrupt::on_ctrl_c();
    let shared = Arc::new(Shared {
        target: args.target,
        seed,
        sizes,
        hold: args.hold,
        gap: args.gap,
        replay,
        record,
        record_failed: AtomicBool::new(false),
        cancel: Arc::clone(&cancel),
        lang: lang.clone(),
    });
    say_start(&shared, bound, args);
    let mut connections: Vec<JoinHandle<()>> = Vec::new();
    let mut number = 0u64;
    while !interrupt::pressed(&cancel) {
        match crate::net::poll_readable(&listener, TICK) {
            Ok(true) => {}
            Ok(false) => continue,
            Err(_) => break,
        }
        let Ok((client, from)) = listener.accept() else {
            // The client gave up between poll and accept (ECONNABORTED), or the process
            // is out of descriptors for a moment: keep serving the others.
            continue;
        };
        number += 1;
        let (n, shared) = (number, Arc::clone(&shared));
        let from = from.as_socket();
        let spawned = std::thread::Builder::new()
            .name(format!("proxy-{n}"))
            .spawn(move || connection(n, client, from, &shared));
        match spawned {
            Ok(handle) => connections.push(handle),
            Err(_) => continue,
        }
        connections.retain(|h| !h.is_finished());
        if args.once {
            break;
        }
    }
    for handle in connections {
        let _ = handle.join();
    }
    if let Some(record) = &shared.record
        && let Ok(mut file) = record.lock()
        && file.flush().is_err()
    {
        shared
            .record_failed
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }
    if shared
        .record_failed
        .load(std::sync::atomic::Ordering::Relaxed)
    {
        let text = said!(
            "some pieces could not be written to the record",
            "有些分段没能写入记录文件"
        );
        eprintln!("{}", text.get(&lang));
    }
    if interrupt::pressed(&cancel) {
        let text = said!(
            "interrupted: the proxy stopped after {number} connections",
            "已中断：代理在 {number} 个连接之后停止"
        );
        eprintln!("{}", text.get(&lang));
        return Ok(Outcome::Interrupted);
    }
    Ok(Outcome::Pass)
}

fn read_replay(path: &std::path::Path, lang: &str) -> Result<Replay, Error> {
    let shown = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| {
        let why = e.to_string();
        let text = said!(
            "cannot read the record `{shown}`: {why}",
            "无法读取记录文件 `{shown}`：{why}"
        );
        Error::said(lang, &text)
    })?;
    record::parse(&text).map_err(|why| {
        let (en, zh) = (why.en(), why.get("zh"));
        let text = said!("`{shown}`: {en}", "`{shown}`：{zh}");
        Error::said(lang, &text)
    })
}

/// A listening socket (SO_REUSEADDR, so a proxy started again at once can bind while the
/// last one's connections are in TIME_WAIT, socket(7)).
fn listen(addr: SocketAddr) -> std::io::Result<Socket> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    socket.bind(&SockAddr::from(addr))?;
    socket.listen(128)?;
    Ok(socket)
}

fn say_start(shared: &Shared, bound: SocketAddr, args: &ProxyArgs) {
    let (target, seed) = (shared.target, shared.seed);
    let (min, max) = (shared.sizes.min(), shared.sizes.max());
    let hold = humantime::format_duration(shared.hold).to_string();
    let gap = humantime::format_duration(shared.gap).to_string();
    let text = said!(
        "stickylab proxy: listening on {bound}, forwarding to {target}; seed {seed}, \
         pieces of {min}-{max} bytes, hold {hold}, gap {gap}",
        "stickylab proxy：在 {bound} 监听，转发到 {target}；种子 {seed}，\
         每段 {min}-{max} 字节，hold {hold}，gap {gap}"
    );
    eprintln!("{}", text.get(&shared.lang));
    if let Some(path) = &args.replay {
        let (shown, streams) = (path.display(), shared.replay.len());
        let text = said!(
            "replaying the cuts of {shown} ({streams} streams), then the seed's",
            "重放 {shown} 中的切分（{streams} 个字节流），之后按种子切分"
        );
        eprintln!("{}", text.get(&shared.lang));
    }
}

/// One accepted connection: connect to the target, run both directions, say how they
/// ended.
fn connection(n: u64, client: Socket, from: Option<SocketAddr>, shared: &Shared) {
    let began = Instant::now();
    let lang = &shared.lang;
    let from = from.map_or_else(|| String::from("?"), |a| a.to_string());
    let target = shared.target;
    let server = match Socket::new(Domain::for_address(target), Type::STREAM, None).and_then(|s| {
        s.connect_timeout(&SockAddr::from(target), CONNECT_TIMEOUT)
            .map(|()| s)
    }) {
        Ok(server) => server,
        Err(e) => {
            let why = why(&e);
            let text = said!(
                "connection {n} from {from}: cannot connect to {target}: {why}; the client is reset",
                "连接 {n}（来自 {from}）：无法连接到 {target}：{why}；已重置客户端连接"
            );
            eprintln!("{}", text.get(lang));
            // The client learns at once that there is no server, as it would without
            // the proxy: closing with SO_LINGER 0 sends a reset (socket(7)).
            let _ = client.set_linger(Some(Duration::ZERO));
            return;
        }
    };
    let text = said!(
        "connection {n} from {from}: connected to {target}",
        "连接 {n}（来自 {from}）：已连接到 {target}"
    );
    eprintln!("{}", text.get(lang));
    // TCP_NODELAY: a piece leaves at once, instead of waiting under Nagle's algorithm
    // for the previous piece's ACK (tcp(7)), which would glue small pieces together.
    let _ = client.set_tcp_nodelay(true);
    let _ = server.set_tcp_nodelay(true);
    let (Ok(client2), Ok(server2)) = (client.try_clone(), server.try_clone()) else {
        let text = said!(
            "connection {n}: out of file descriptors; closed",
            "连接 {n}：文件描述符不够用；已关闭"
        );
        eprintln!("{}", text.get(lang));
        return;
    };
    let direction = |dir, from, to| Direction {
        from,
        to,
        cutter: Cutter::new(plan(shared, n, dir)),
        hold: shared.hold,
        gap: shared.gap,
        cancel: &shared.cancel,
        began,
    };
    let (c2s, s2c) = std::thread::scope(|scope| {
        let up = scope.spawn(|| {
            pump::pump(direction(Dir::C2s, &client, &server), &mut |piece, t| {
                write_piece(shared, n, Dir::C2s, piece, t);
            })
        });
        let down = pump::pump(direction(Dir::S2c, &server2, &client2), &mut |piece, t| {
            write_piece(shared, n, Dir::S2c, piece, t);
        });
        (up.join().ok(), down)
    });
    let ended = |stats: Option<&Stats>| describe(stats, lang);
    let (up, down) = (ended(c2s.as_ref()), ended(Some(&s2c)));
    let text = said!(
        "connection {n} ended: c2s {up}; s2c {down}",
        "连接 {n} 结束：c2s {up}；s2c {down}"
    );
    eprintln!("{}", text.get(lang));
}

/// The plan of one stream: the record's lengths first when replaying, then the seed's.
fn plan(shared: &Shared, n: u64, dir: Dir) -> Plan {
    let seeded = Plan::seeded(shared.seed, n, dir, shared.sizes);
    match shared.replay.get(&(n, dir)) {
        Some(lens) => seeded.replaying(lens.iter().copied()),
        None => seeded,
    }
}

fn write_piece(shared: &Shared, n: u64, dir: Dir, piece: &crate::proxy::cutter::Piece, t: u64) {
    let Some(record) = &shared.record else {
        return;
    };
    let line = Line::of(n, dir, piece, t).to_json();
    let written = match record.lock() {
        Ok(mut file) => writeln!(file, "{line}").is_ok(),
        Err(_) => false,
    };
    if !written {
        shared
            .record_failed
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// `2400 bytes in 75 pieces (1 early, 75 read apart), closed`.
fn describe(stats: Option<&Stats>, lang: &str) -> String {
    let Some(s) = stats else {
        return said!("(its thread failed)", "（线程出错）")
            .get(lang)
            .to_string();
    };
    let (bytes, pieces, early, apart) = (s.bytes, s.pieces, s.early, s.seen_read);
    let how = match &s.end {
        End::Eof => said!("closed (FIN passed on)", "已关闭（FIN 已转发）"),
        End::Stopped => said!("stopped", "已停止"),
        End::Failed(side, e) => {
            let why = crate::net::errno::name_of(e);
            match side {
                Side::From => said!("{why} from the sender", "发送方 {why}"),
                Side::To => said!("{why} to the receiver", "发往接收方时 {why}"),
            }
        }
    };
    let how = how.get(lang);
    said!(
        "{bytes} bytes in {pieces} pieces ({early} early, {apart} seen read apart), {how}",
        "{bytes} 字节，{pieces} 段（{early} 段提前发出，{apart} 段确认被单独读取），{how}"
    )
    .get(lang)
    .to_string()
}

/// `ECONNREFUSED (Connection refused)`; an error without an errno by its description.
fn why(e: &std::io::Error) -> String {
    let detail = crate::net::errno::detail_of(e);
    match e.raw_os_error() {
        Some(_) => format!("{} ({detail})", crate::net::errno::name_of(e)),
        None => detail,
    }
}
