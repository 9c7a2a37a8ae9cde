//! The words of the language, each list in one place.
//!
//! A vocabulary is a type: an enum whose variants and names come from one table, written
//! once in the [`vocabulary!`] invocation below. The parser turns a word into a variant
//! with `from_name`, the "did you mean" hints search `names()`, the help texts list
//! `names()`, and the tests walk `ALL`. Two hand-written copies of a list are how a new
//! verb ends up parsed but missing from the help text.
//!
//! Not here, because a lower layer owns them: errno names (`net::errno::NAMES`) and
//! framing error names (`frame::FrameError::NAMES`); [`error_names`] joins them.

/// Defines a vocabulary enum: `ALL` (variant, name) in the order written, `name`,
/// `from_name` and `names`.
macro_rules! vocabulary {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $word:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $name {
            /// Every variant with its name, in the order the language reference lists them.
            #[allow(dead_code)]
            $vis const ALL: &'static [($name, &'static str)] = &[$( ($name::$variant, $word) ),+];

            /// The word as written in a scenario file.
            #[allow(dead_code)]
            $vis const fn name(self) -> &'static str {
                match self {
                    $( $name::$variant => $word ),+
                }
            }

            /// The variant a word names, if any.
            #[allow(dead_code)]
            $vis fn from_name(word: &str) -> Option<$name> {
                Self::ALL.iter().find(|&&(_, w)| w == word).map(|&(v, _)| v)
            }

            /// Every name, for hints and help texts.
            #[allow(dead_code)]
            $vis fn names() -> impl Iterator<Item = &'static str> + Clone {
                Self::ALL.iter().map(|&(_, w)| w)
            }
        }
    };
}

pub(crate) use vocabulary;

vocabulary! {
    /// The keys of meta lines (`KEY: text`); none of them can be an actor's name.
    pub(crate) enum MetaKey {
        Title = "title",
        About = "about",
        Tags = "tags",
        Timeout = "timeout",
        Param = "param",
        Expect = "expect",
    }
}

vocabulary! {
    /// The word after `ACTOR:`. Some verbs take a second word (`listen again`,
    /// `recv exactly`, `wait readable`); those are read by the verb's own parser.
    pub(crate) enum Verb {
        Listen = "listen",
        Connect = "connect",
        Accept = "accept",
        Close = "close",
        Shutdown = "shutdown",
        Bind = "bind",
        Send = "send",
        SendAll = "sendall",
        Recv = "recv",
        SendTo = "sendto",
        RecvFrom = "recvfrom",
        Set = "set",
        Sleep = "sleep",
        Mark = "mark",
        Wait = "wait",
        Timer = "timer",
    }
}

vocabulary! {
    /// The options of `set OPTION VALUE`. The names match `SockOpt::name` (a test pins
    /// that), which is how the runner's records spell them.
    pub(crate) enum SetOption {
        NoDelay = "nodelay",
        ReuseAddr = "reuseaddr",
        ReusePort = "reuseport",
        Cork = "cork",
        QuickAck = "quickack",
        NonBlocking = "nonblocking",
        RcvBuf = "rcvbuf",
        SndBuf = "sndbuf",
        Mss = "mss",
        RcvLowat = "rcvlowat",
        Linger = "linger",
        RcvTimeo = "rcvtimeo",
        SndTimeo = "sndtimeo",
        MaxFrame = "max-frame",
        Pacing = "pacing",
    }
}

vocabulary! {
    /// The framing codecs of `send frame CODEC` and `recv frame CODEC`.
    pub(crate) enum CodecName {
        Len32 = "len32",
        Len32Le = "len32le",
        JsonHeader = "json-header",
        Line = "line",
        /// `fixed N`: takes a size.
        Fixed = "fixed",
    }
}

impl CodecName {
    /// How the help text shows the codec (`fixed N` with its argument).
    pub(crate) fn usage(self) -> &'static str {
        match self {
            CodecName::Fixed => "fixed N",
            other => other.name(),
        }
    }
}

vocabulary! {
    /// The words an expectation (`=> ...`) may start an alternative with, besides a value
    /// or `N bytes`.
    pub(crate) enum OutcomeWord {
        Eof = "eof",
        Timeout = "timeout",
        Ok = "ok",
        Partial = "partial",
        Error = "error",
        From = "from",
        Truncated = "truncated",
    }
}

/// The names `=> error NAME` accepts: the errnos the runner can name, EWOULDBLOCK (the
/// same as EAGAIN on Linux), and the framing errors.
pub(crate) fn error_names() -> impl Iterator<Item = &'static str> + Clone {
    crate::net::errno::NAMES
        .iter()
        .map(|&(name, _)| name)
        .chain(["EWOULDBLOCK"])
        .chain(crate::frame::FrameError::NAMES.iter().copied())
}

pub(crate) fn is_error_name(name: &str) -> bool {
    error_names().any(|n| n == name)
}

#[cfg(test)]
mod tests {
    use super::{CodecName, MetaKey, OutcomeWord, SetOption, Verb};

    #[test]
    fn names_round_trip_and_are_unique() {
        fn check<T: Copy + PartialEq + std::fmt::Debug>(
            all: &[(T, &str)],
            name: fn(T) -> &'static str,
            from: fn(&str) -> Option<T>,
        ) {
            for (i, &(v, w)) in all.iter().enumerate() {
                assert_eq!(name(v), w);
                assert_eq!(from(w), Some(v));
                assert!(all[..i].iter().all(|&(u, x)| u != v && x != w), "{w}");
            }
        }
        check(MetaKey::ALL, MetaKey::name, MetaKey::from_name);
        check(Verb::ALL, Verb::name, Verb::from_name);
        check(SetOption::ALL, SetOption::name, SetOption::from_name);
        check(CodecName::ALL, CodecName::name, CodecName::from_name);
        check(OutcomeWord::ALL, OutcomeWord::name, OutcomeWord::from_name);
        assert_eq!(Verb::from_name("sedn"), None);
    }
}
