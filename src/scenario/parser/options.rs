//! `set OPTION VALUE` and the framing codecs of `send frame` / `recv frame`.
//!
//! An option value must fit what the kernel takes, or the kernel silently takes another
//! one: setsockopt(2) reads `SO_RCVBUF` as a C `int`, so `set sndbuf 4294967296` would
//! arrive as 0 (and be raised to the minimum); `SO_LINGER`'s `l_linger` is an `int` of
//! whole seconds, so `linger 4294967296s` or `linger 500ms` would arrive as 0 s, which
//! turns `close` into an abortive reset (socket(7)). Such values are refused here, with
//! the valid range in the message.

use std::time::Duration;

use super::super::ast::{Codec, SockOpt};
use super::super::limits::MAX_BYTES;
use super::super::vocab::{CodecName, SetOption};
use super::cursor::{Cursor, Error, Exp, PResult, Span, did_you_mean, join_and, join_zh, quoted};
use super::values::{expect_duration_or_off, expect_size, expect_switch};
use crate::text::{Said, said};

/// The largest value of a C `int` option (`SO_RCVBUF`, `SO_SNDBUF`, `TCP_MAXSEG`,
/// `SO_RCVLOWAT`) and of `l_linger` in seconds: `i32::MAX`.
pub(crate) const MAX_INT_OPTION: usize = i32::MAX as usize;

/// The longest `rcvtimeo`/`sndtimeo`: 2^31 - 1 seconds (68 years), what a 32-bit
/// `time_t` in the `struct timeval` of socket(7)'s `SO_RCVTIMEO` can hold.
pub(crate) const MAX_SOCKET_TIMEOUT: Duration = Duration::from_secs(i32::MAX as u64);

/// `set OPTION VALUE`, with the value checked against the kernel's range.
pub(crate) fn expect_option(c: &mut Cursor<'_, '_>) -> PResult<SockOpt> {
    let Some(opt) = c.eat_any_word(Exp::Desc("an option (like `nodelay` or `rcvbuf`)")) else {
        return Err(c.fail());
    };
    let Some(known) = SetOption::from_name(opt.text) else {
        let names: Vec<&str> = SetOption::names().collect();
        let help = did_you_mean(opt.text, SetOption::names()).unwrap_or_else(|| {
            let (en, zh) = (join_and(&quoted(&names)), join_zh(&quoted(&names), " 和 "));
            said!("the options are {en}", "选项有 {zh}")
        });
        let (span, opt) = (opt.span, opt.text);
        return Err(
            Error::new(span, said!("unknown option `{opt}`", "未知的选项 `{opt}`")).with_help(help),
        );
    };
    let name = known.name();
    Ok(match known {
        SetOption::NoDelay => SockOpt::NoDelay(expect_switch(c)?),
        SetOption::ReuseAddr => SockOpt::ReuseAddr(expect_switch(c)?),
        SetOption::ReusePort => SockOpt::ReusePort(expect_switch(c)?),
        SetOption::Cork => SockOpt::Cork(expect_switch(c)?),
        SetOption::QuickAck => SockOpt::QuickAck(expect_switch(c)?),
        SetOption::NonBlocking => SockOpt::NonBlocking(expect_switch(c)?),
        SetOption::RcvBuf => SockOpt::RcvBuf(expect_buffer_size(c, name)?),
        SetOption::SndBuf => SockOpt::SndBuf(expect_buffer_size(c, name)?),
        SetOption::Mss => SockOpt::Mss(expect_int_size(c, name)?),
        SetOption::RcvLowat => SockOpt::RcvLowat(expect_int_size(c, name)?),
        SetOption::Linger => SockOpt::Linger(expect_linger(c)?),
        SetOption::RcvTimeo => SockOpt::RcvTimeo(expect_socket_timeout(c, name)?),
        SetOption::SndTimeo => SockOpt::SndTimeo(expect_socket_timeout(c, name)?),
        SetOption::Pacing => SockOpt::Pacing(expect_rate(c)?),
        SetOption::MaxFrame => {
            let (n, span) = expect_size(c)?;
            if n > MAX_BYTES {
                return Err(Error::new(
                    span,
                    said!(
                        "`max-frame {n}` is too large: stickylab allows 0 to {MAX_BYTES}",
                        "`max-frame {n}` 太大了：stickylab 允许 0 到 {MAX_BYTES}"
                    ),
                )
                .with_help(Said::both(
                    "a decoder may hold a whole frame in memory; 64 MiB is the most",
                    "解码器可能要把一整帧放在内存里；最多 64 MiB",
                )));
            }
            SockOpt::MaxFrame(n)
        }
    })
}

/// `pacing RATE`: bytes per second (`1M` is a mebibyte per second), or `off`.
/// SO_MAX_PACING_RATE takes a u64 (socket(7)); 0 would stop the socket altogether.
fn expect_rate(c: &mut Cursor<'_, '_>) -> PResult<Option<u64>> {
    if c.eat_word("off").is_some() {
        return Ok(None);
    }
    let (n, span) = expect_size(c)?;
    if n == 0 {
        return Err(Error::new(
            span,
            Said::both(
                "`pacing 0` would let nothing leave: give a rate in bytes per second (e.g. 1M) or `off`",
                "`pacing 0` 会让数据完全发不出去：给出每秒字节数（比如 1M）或 `off`",
            ),
        ));
    }
    Ok(Some(n as u64))
}

/// A size the kernel reads as a C `int`.
fn expect_int_size(c: &mut Cursor<'_, '_>, name: &str) -> PResult<usize> {
    let (n, span) = expect_size(c)?;
    if n > MAX_INT_OPTION {
        return Err(out_of_int_range(span, name, n));
    }
    Ok(n)
}

fn out_of_int_range(span: Span, name: &str, n: usize) -> Error {
    Error::new(
        span,
        said!(
            "`{name} {n}` does not fit the kernel's option: the range is 0 to {MAX_INT_OPTION} (a C int)",
            "`{name} {n}` 超出内核选项的范围：范围是 0 到 {MAX_INT_OPTION}（C 的 int）"
        ),
    )
}

/// `rcvbuf`/`sndbuf`: a C `int`; socket(7) says the kernel doubles the value (room for
/// its bookkeeping) and caps it at `net.core.rmem_max` / `wmem_max`.
fn expect_buffer_size(c: &mut Cursor<'_, '_>, name: &str) -> PResult<usize> {
    let (n, span) = expect_size(c)?;
    if n > MAX_INT_OPTION {
        return Err(out_of_int_range(span, name, n).with_help(Said::both(
            "the kernel doubles a buffer size and caps it at net.core.rmem_max / wmem_max \
             (socket(7)); the run records the size it reports",
            "内核会把缓冲区大小翻倍，并以 net.core.rmem_max / wmem_max 为上限（socket(7)）；\
             运行记录的是内核报告的大小",
        )));
    }
    Ok(n)
}

/// `linger DURATION` or `linger off`: `l_linger` is an `int` of whole seconds, and 0 s
/// means "reset the connection on close" (socket(7), `SO_LINGER`).
fn expect_linger(c: &mut Cursor<'_, '_>) -> PResult<Option<Duration>> {
    let start = c.here();
    let written = c.peek().map_or("", |t| t.text);
    let Some(d) = expect_duration_or_off(c)? else {
        return Ok(None);
    };
    let span = start.to(c.last_span());
    let max = MAX_INT_OPTION as u64;
    if d.as_secs() > max || d.subsec_nanos() != 0 {
        return Err(Error::new(
            span,
            said!(
                "`linger {written}` does not fit the kernel's l_linger: whole seconds from 0s to {max}s",
                "`linger {written}` 放不进内核的 l_linger：只能是 0s 到 {max}s 的整秒数"
            ),
        )
        .with_help(Said::both(
            "SO_LINGER counts whole seconds, and a cut-off value could become 0s, which makes \
             close reset the connection (socket(7))",
            "SO_LINGER 以整秒计数，截断后的值可能变成 0s，那样 close 会重置（reset）连接（socket(7)）",
        )));
    }
    Ok(Some(d))
}

/// `rcvtimeo`/`sndtimeo`: a `struct timeval` of seconds and microseconds; zero (or `off`)
/// means "no timeout" (socket(7)), so a duration under one microsecond would not be
/// short but endless.
fn expect_socket_timeout(c: &mut Cursor<'_, '_>, name: &str) -> PResult<Option<Duration>> {
    let start = c.here();
    let written = c.peek().map_or("", |t| t.text);
    let Some(d) = expect_duration_or_off(c)? else {
        return Ok(None);
    };
    if d.is_zero() {
        return Ok(None);
    }
    if d < Duration::from_micros(1) || d > MAX_SOCKET_TIMEOUT {
        return Err(Error::new(
            start.to(c.last_span()),
            {
                let max = MAX_SOCKET_TIMEOUT.as_secs();
                said!(
                    "`{name} {written}` does not fit the kernel's timeval: the range is 1us to {max}s (or `off`)",
                    "`{name} {written}` 放不进内核的 timeval：范围是 1us 到 {max}s（或 `off`）"
                )
            },
        )
        .with_help(Said::both(
            "the kernel counts socket timeouts in microseconds, and 0 means no timeout",
            "内核以微秒计算套接字超时，0 表示不超时",
        )));
    }
    Ok(Some(d))
}

/// `CODEC` of `send frame` / `recv frame` (`fixed` takes a size).
pub(crate) fn expect_codec(c: &mut Cursor<'_, '_>) -> PResult<Codec> {
    let Some(tok) = c.eat_any_word(Exp::Desc("a codec (like `len32` or `line`)")) else {
        return Err(c.fail());
    };
    let Some(known) = CodecName::from_name(tok.text) else {
        let usages: Vec<&str> = CodecName::ALL.iter().map(|&(c, _)| c.usage()).collect();
        let help = did_you_mean(tok.text, CodecName::names()).unwrap_or_else(|| {
            let (en, zh) = (
                join_and(&quoted(&usages)),
                join_zh(&quoted(&usages), " 和 "),
            );
            said!("the codecs are {en}", "编解码器有 {zh}")
        });
        let codec = tok.text;
        return Err(Error::new(
            tok.span,
            said!("unknown codec `{codec}`", "未知的编解码器 `{codec}`"),
        )
        .with_help(help));
    };
    Ok(match known {
        CodecName::Len32 => Codec::Len32,
        CodecName::Len32Le => Codec::Len32Le,
        CodecName::JsonHeader => Codec::JsonHeader,
        CodecName::Line => Codec::Line,
        CodecName::Fixed => Codec::Fixed(expect_size(c)?.0),
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::super::test_support::{action, errors};
    use crate::scenario::ast::{Action, SockOpt};
    use crate::scenario::vocab::SetOption;

    #[test]
    fn every_option() {
        let cases = [
            ("nodelay on", SockOpt::NoDelay(true)),
            ("reuseaddr off", SockOpt::ReuseAddr(false)),
            ("reuseport on", SockOpt::ReusePort(true)),
            ("cork on", SockOpt::Cork(true)),
            ("quickack off", SockOpt::QuickAck(false)),
            ("nonblocking on", SockOpt::NonBlocking(true)),
            ("rcvbuf 4K", SockOpt::RcvBuf(4096)),
            ("sndbuf 1M", SockOpt::SndBuf(1 << 20)),
            ("mss 536", SockOpt::Mss(536)),
            ("pacing 1M", SockOpt::Pacing(Some(1 << 20))),
            ("pacing off", SockOpt::Pacing(None)),
            ("rcvlowat 10", SockOpt::RcvLowat(10)),
            ("linger 0s", SockOpt::Linger(Some(Duration::ZERO))),
            ("linger off", SockOpt::Linger(None)),
            (
                "rcvtimeo 250ms",
                SockOpt::RcvTimeo(Some(Duration::from_millis(250))),
            ),
            ("rcvtimeo 0s", SockOpt::RcvTimeo(None)),
            ("sndtimeo off", SockOpt::SndTimeo(None)),
            (
                "sndtimeo 250us",
                SockOpt::SndTimeo(Some(Duration::from_micros(250))),
            ),
            ("max-frame 64K", SockOpt::MaxFrame(65536)),
        ];
        for (text, opt) in cases {
            assert_eq!(action(&format!("set {text}")), Action::Set(opt), "{text}");
        }
    }

    #[test]
    fn every_option_name_is_the_one_records_use() {
        for &(_, name) in SetOption::ALL {
            let value = match name {
                "linger" | "rcvtimeo" | "sndtimeo" => "1s",
                "rcvbuf" | "sndbuf" | "mss" | "rcvlowat" | "max-frame" | "pacing" => "1024",
                _ => "on",
            };
            match action(&format!("set {name} {value}")) {
                Action::Set(opt) => assert_eq!(SockOpt::name(&opt), name),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn values_the_kernel_would_cut_are_refused_with_the_range() {
        let refused = |step: &str| errors(&format!("server: listen\nclient: {step}\n"));
        for (step, says) in [
            (
                "set linger 4294967296s",
                "whole seconds from 0s to 2147483647s",
            ),
            ("set linger 500ms", "`linger 500ms` does not fit"),
            ("set rcvbuf 2048M", "the range is 0 to 2147483647 (a C int)"),
            ("set mss 4294967296", "the range is 0 to 2147483647"),
            ("set rcvtimeo 999ns", "the range is 1us to 2147483647s"),
            (
                "set sndtimeo 2147483648s",
                "the range is 1us to 2147483647s",
            ),
            ("set max-frame 65M", "stickylab allows 0 to 67108864"),
        ] {
            let text = refused(step);
            assert!(text.contains(says), "{step}: {text}");
            assert!(text.starts_with("t.lab:2:"), "{step}: {text}");
        }
        assert!(refused("set rcvbuf 2048M").contains("doubles"));
        // The largest values that fit are taken.
        for ok in [
            "set linger 2147483647s",
            "set sndbuf 2147483647",
            "set rcvtimeo 1us",
        ] {
            action(ok);
        }
    }
}
