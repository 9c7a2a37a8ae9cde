//! Framing codecs: one file per codec, each a pure encoder/decoder over byte slices.
//!
//! TCP carries a stream of bytes, not a sequence of messages (tcp(7): `SOCK_STREAM`).
//! The kernel keeps no record of where one `send()` ended, so two sends can come out of
//! one `recv()` glued together (粘包, "sticky packets") and one send can come out of
//! several recvs (分包). Nagle's algorithm (RFC 896) and the receive buffer make both
//! happen on loopback, not only on slow networks. A receiver that wants messages back
//! has to find the boundaries in the bytes themselves, and a *framing codec* is the
//! agreement that puts them there:
//!
//! | codec         | wire format                                                        | file             |
//! |---------------|--------------------------------------------------------------------|------------------|
//! | `len32`       | 4-byte big-endian length, then the body                            | `len32.rs`       |
//! | `len32le`     | 4-byte little-endian length, then the body                         | `len32.rs`       |
//! | `json-header` | 4-byte little-endian header length, JSON `{"total_size": N}`, body | `json_header.rs` |
//! | `line`        | the body, then `\n` (a `\r` before it is dropped)                  | `line.rs`        |
//! | `fixed N`     | exactly N bytes                                                    | `fixed.rs`       |
//!
//! Each codec file has an `emit` (body -> wire bytes) and a `parse` (the unread bytes ->
//! "need more" / one whole frame / a named error). Neither does I/O or keeps state;
//! [`Decoder`] owns the buffer and calls `parse` as bytes arrive.
//!
//! A decoder never panics on input and refuses a declared length over `max_frame`
//! before allocating anything for it: a length prefix is a promise made by the peer,
//! and four bytes are enough to promise four gigabytes.

mod codec;
mod fixed;
mod json_header;
mod len32;
mod line;
#[cfg(test)]
mod props;

use std::ops::Range;

pub use codec::{Codec, DEFAULT_MAX_FRAME};

/// Why bytes could not be framed or unframed. `name()` is what expectations use
/// (`=> error frame-too-large`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameError {
    /// A declared length over `max-frame` (or, when encoding `len32`, a body over the
    /// 4 GiB a 32-bit length can describe; then `max` is `u32::MAX`).
    TooLarge { declared: u64, max: usize },
    /// A `line` with no `\n` within `max-frame` bytes: refused so that a peer that never
    /// sends a newline cannot make the buffer grow forever. Named `frame-too-large` too.
    LineTooLong { max: usize },
    /// A JSON header that does not parse, or lacks a non-negative integer `total_size`.
    /// The message says which.
    BadHeader(String),
    /// The stream ended inside a frame.
    Truncated { have: usize },
    /// `send frame fixed N` of a body that is not N bytes long.
    WrongSize { expected: usize, got: usize },
}

impl FrameError {
    /// Every name [`FrameError::name`] can give.
    pub const NAMES: &'static [&'static str] = &[
        "frame-too-large",
        "bad-header",
        "truncated-frame",
        "wrong-size",
    ];

    /// The name used in `=> error NAME`.
    pub fn name(&self) -> &'static str {
        match self {
            FrameError::TooLarge { .. } | FrameError::LineTooLong { .. } => "frame-too-large",
            FrameError::BadHeader(_) => "bad-header",
            FrameError::Truncated { .. } => "truncated-frame",
            FrameError::WrongSize { .. } => "wrong-size",
        }
    }
}

impl std::fmt::Display for FrameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            // A JSON total_size too big for 64 bits is recorded as u64::MAX (see json_header).
            FrameError::TooLarge { declared, max } if *declared == u64::MAX => write!(
                f,
                "declared frame length {declared} or more is over max-frame ({max} bytes); \
                 refusing it without allocating"
            ),
            FrameError::TooLarge { declared, max } => write!(
                f,
                "declared frame length {declared} is over max-frame ({max} bytes); \
                 refusing it without allocating"
            ),
            FrameError::LineTooLong { max } => write!(
                f,
                "a line is longer than max-frame ({max} bytes): no `\\n` within that many bytes; \
                 refusing to buffer more of it"
            ),
            FrameError::BadHeader(message) => f.write_str(message),
            FrameError::Truncated { have } => {
                let unit = if *have == 1 { "byte" } else { "bytes" };
                write!(f, "the stream ended {have} {unit} into a frame")
            }
            FrameError::WrongSize { expected, got } => write!(
                f,
                "`fixed {expected}` needs a body of exactly {expected} bytes, got {got}"
            ),
        }
    }
}

impl std::error::Error for FrameError {}

/// The bytes to put on the wire for one frame with this body.
///
/// `line` cannot fail: a body with a `\n` inside is sent as is, and the receiver will see
/// it as two lines (that is what the codec means; escaping would be another codec).
pub fn encode(codec: Codec, body: &[u8]) -> Result<Vec<u8>, FrameError> {
    match codec {
        Codec::Len32 => len32::emit(len32::Endian::Big, body),
        Codec::Len32Le => len32::emit(len32::Endian::Little, body),
        Codec::JsonHeader => Ok(json_header::emit(body)),
        Codec::Line => Ok(line::emit(body)),
        Codec::Fixed(size) => fixed::emit(size, body),
    }
}

/// What a codec's `parse` found at the start of the unread bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Parse {
    /// No whole frame yet, and none can appear before `need` bytes are unread: the
    /// decoder does not call `parse` again until then, so a frame that trickles in one
    /// byte at a time costs O(frame), not O(frame²).
    Incomplete { need: usize },
    /// A whole frame: its body is `input[body]`, and it uses `input[..len]`.
    Frame { body: Range<usize>, len: usize },
}

/// A length declared by the peer, checked against `max_frame` before anything is
/// allocated for it.
pub(crate) fn check_len(declared: u64, max_frame: usize) -> Result<usize, FrameError> {
    usize::try_from(declared)
        .ok()
        .filter(|&len| len <= max_frame)
        .ok_or(FrameError::TooLarge {
            declared,
            max: max_frame,
        })
}

/// `a + b` for the end of a frame; on overflow the frame could never fit in memory
/// anyway, so it is refused like any other frame over `max_frame`.
pub(crate) fn frame_end(a: usize, b: usize, max_frame: usize) -> Result<usize, FrameError> {
    a.checked_add(b).ok_or(FrameError::TooLarge {
        declared: b as u64,
        max: max_frame,
    })
}

/// A stream decoder: bytes go in as they arrive, whole frames come out.
///
/// Bytes past the end of a frame stay buffered for the next one: frames arrive glued
/// together and split anywhere, which is the whole point of the tool.
#[derive(Debug)]
pub struct Decoder {
    codec: Codec,
    max_frame: usize,
    buf: Vec<u8>,
    /// Where the unread bytes start in `buf`. Returning a frame moves this offset instead
    /// of shifting the buffer; `push` compacts once at least half of `buf` is read, so
    /// every byte is moved at most a constant number of times on average.
    start: usize,
    /// From the last `Parse::Incomplete`: nothing can change before this many bytes are
    /// unread.
    need: usize,
    /// `line` only: how many unread bytes are already known to hold no `\n`.
    scanned: usize,
    /// A framing error is final: after a bad length there is no way to find where the
    /// next frame starts (the stream cannot be resynchronised).
    failed: Option<FrameError>,
}

impl Decoder {
    pub fn new(codec: Codec, max_frame: usize) -> Decoder {
        Decoder {
            codec,
            max_frame,
            buf: Vec::new(),
            start: 0,
            need: 0,
            scanned: 0,
            failed: None,
        }
    }

    /// Appends bytes received from the stream. After an error they are dropped: nothing
    /// will ever read them, and a hostile peer must not be able to fill memory.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.failed.is_some() {
            return;
        }
        let unread = self.buf.len() - self.start;
        if self.start > 0 && self.start >= unread {
            // Moves `unread` bytes, paid for by the `start >= unread` bytes consumed since
            // the last compaction.
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// The next whole frame's body, `Ok(None)` when more bytes are needed. An error leaves
    /// the decoder unusable (a framing error cannot be resynchronised): every later call
    /// returns the same error.
    pub fn next_frame(&mut self) -> Result<Option<Vec<u8>>, FrameError> {
        if let Some(error) = &self.failed {
            return Err(error.clone());
        }
        let unread = &self.buf[self.start..];
        if unread.len() < self.need {
            return Ok(None);
        }
        let parsed = match self.codec {
            Codec::Len32 => len32::parse(len32::Endian::Big, unread, self.max_frame),
            Codec::Len32Le => len32::parse(len32::Endian::Little, unread, self.max_frame),
            Codec::JsonHeader => json_header::parse(unread, self.max_frame),
            Codec::Line => line::parse(unread, self.scanned, self.max_frame),
            Codec::Fixed(size) => fixed::parse(size, unread, self.max_frame),
        };
        match parsed {
            Err(error) => {
                self.failed = Some(error.clone());
                Err(error)
            }
            Ok(Parse::Incomplete { need }) => {
                self.need = need;
                self.scanned = unread.len();
                Ok(None)
            }
            Ok(Parse::Frame { body, len }) => {
                let frame = unread[body].to_vec();
                self.start += len;
                self.need = 0;
                self.scanned = 0;
                Ok(Some(frame))
            }
        }
    }

    /// At the end of the stream: an error if a frame was begun and not finished (any
    /// unread byte is the beginning of a frame), or the error that stopped the decoder.
    pub fn finish(&self) -> Result<(), FrameError> {
        if let Some(error) = &self.failed {
            return Err(error.clone());
        }
        match self.buffered() {
            0 => Ok(()),
            have => Err(FrameError::Truncated { have }),
        }
    }

    /// How many bytes of the stream are buffered and not yet part of a returned frame.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.start
    }

    /// The unread bytes, taken out (to hand them to a decoder of another codec when a
    /// scenario switches codecs on one connection: they belong to the stream, not to
    /// this decoder).
    pub fn take_unread(&mut self) -> Vec<u8> {
        let unread = self.buf.split_off(self.start);
        self.buf.clear();
        self.start = 0;
        self.need = 0;
        self.scanned = 0;
        unread
    }
}

/// Helpers shared by the codecs' tests.
#[cfg(test)]
pub(crate) mod testkit {
    use super::Codec;
    use super::{Decoder, FrameError, encode};

    /// xorshift64 (Marsaglia 2003): a few lines, so a test's chunking depends on its seed
    /// only, never on the version of an RNG crate.
    pub(crate) struct XorShift(u64);

    impl XorShift {
        pub(crate) fn new(seed: u64) -> XorShift {
            // Zero is xorshift's one fixed point.
            XorShift(seed | 1)
        }

        pub(crate) fn next(&mut self) -> u64 {
            let mut x = self.0;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            self.0 = x;
            x
        }

        /// A number in `1..=max`.
        pub(crate) fn one_to(&mut self, max: usize) -> usize {
            (self.next() % max as u64) as usize + 1
        }
    }

    /// `stream` cut into pieces of 1..=`max_chunk` bytes at places chosen by `seed`.
    pub(crate) fn random_chunks(stream: &[u8], seed: u64, max_chunk: usize) -> Vec<&[u8]> {
        let mut rng = XorShift::new(seed);
        let mut chunks = Vec::new();
        let mut rest = stream;
        while !rest.is_empty() {
            let (chunk, tail) = rest.split_at(rng.one_to(max_chunk).min(rest.len()));
            chunks.push(chunk);
            rest = tail;
        }
        chunks
    }

    /// The wire bytes of all these bodies, one frame after another.
    pub(crate) fn encode_all(codec: Codec, bodies: &[&[u8]]) -> Vec<u8> {
        bodies
            .iter()
            .flat_map(|body| encode(codec, body).expect("test bodies encode"))
            .collect()
    }

    /// Pushes the chunks one by one, taking every frame as soon as it is whole (as a
    /// receiver does after each recv()), then checks the end of the stream.
    pub(crate) fn decode_chunks(
        codec: Codec,
        max_frame: usize,
        chunks: &[&[u8]],
    ) -> Result<Vec<Vec<u8>>, FrameError> {
        let mut decoder = Decoder::new(codec, max_frame);
        let mut frames = Vec::new();
        for chunk in chunks {
            decoder.push(chunk);
            while let Some(frame) = decoder.next_frame()? {
                frames.push(frame);
            }
        }
        decoder.finish()?;
        Ok(frames)
    }

    /// The property the tool is about: however the stream is cut, the same frames come
    /// out in the same order. Tried with one push, one byte per push, and random cuts.
    pub(crate) fn assert_survives_any_chunking(codec: Codec, bodies: &[&[u8]]) {
        let stream = encode_all(codec, bodies);
        let max = super::DEFAULT_MAX_FRAME;
        let all_at_once = decode_chunks(codec, max, &[&stream]).unwrap();
        assert_eq!(
            all_at_once, bodies,
            "{codec:?}: the whole stream in one push"
        );
        let bytewise: Vec<&[u8]> = stream.chunks(1).collect();
        assert_eq!(
            decode_chunks(codec, max, &bytewise).unwrap(),
            bodies,
            "{codec:?}: one byte per push"
        );
        for seed in 1..=50 {
            for max_chunk in [2, 7, 64] {
                let chunks = random_chunks(&stream, seed, max_chunk);
                assert_eq!(
                    decode_chunks(codec, max, &chunks).unwrap(),
                    bodies,
                    "{codec:?}: seed {seed}, chunks of 1..={max_chunk} bytes"
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Codec;
    use super::testkit::{XorShift, random_chunks};
    use super::{Decoder, FrameError, encode};

    #[test]
    fn error_names_are_the_ones_expectations_use() {
        let names: Vec<&str> = [
            FrameError::TooLarge {
                declared: 9,
                max: 8,
            },
            FrameError::LineTooLong { max: 8 },
            FrameError::BadHeader("x".into()),
            FrameError::Truncated { have: 3 },
            FrameError::WrongSize {
                expected: 4,
                got: 3,
            },
        ]
        .iter()
        .map(FrameError::name)
        .collect();
        assert_eq!(
            names,
            [
                "frame-too-large",
                "frame-too-large",
                "bad-header",
                "truncated-frame",
                "wrong-size"
            ]
        );
    }

    #[test]
    fn error_messages_are_the_text_a_student_reads() {
        let shown = |e: FrameError| e.to_string();
        assert_eq!(
            shown(FrameError::TooLarge {
                declared: 4294967295,
                max: 8388608
            }),
            "declared frame length 4294967295 is over max-frame (8388608 bytes); \
             refusing it without allocating"
        );
        assert_eq!(
            shown(FrameError::TooLarge {
                declared: u64::MAX,
                max: 8388608
            }),
            "declared frame length 18446744073709551615 or more is over max-frame \
             (8388608 bytes); refusing it without allocating"
        );
        assert_eq!(
            shown(FrameError::LineTooLong { max: 16 }),
            "a line is longer than max-frame (16 bytes): no `\\n` within that many bytes; \
             refusing to buffer more of it"
        );
        assert_eq!(
            shown(FrameError::BadHeader(
                "the JSON header has no \"total_size\"".into()
            )),
            "the JSON header has no \"total_size\""
        );
        assert_eq!(
            shown(FrameError::Truncated { have: 3 }),
            "the stream ended 3 bytes into a frame"
        );
        assert_eq!(
            shown(FrameError::Truncated { have: 1 }),
            "the stream ended 1 byte into a frame"
        );
        assert_eq!(
            shown(FrameError::WrongSize {
                expected: 4,
                got: 3
            }),
            "`fixed 4` needs a body of exactly 4 bytes, got 3"
        );
    }

    #[test]
    fn finish_on_an_empty_stream_is_ok() {
        for codec in [
            Codec::Len32,
            Codec::Len32Le,
            Codec::JsonHeader,
            Codec::Line,
            Codec::Fixed(4),
        ] {
            assert_eq!(Decoder::new(codec, 1024).finish(), Ok(()), "{codec:?}");
        }
    }

    #[test]
    fn an_error_is_final_and_later_bytes_are_dropped() {
        let mut decoder = Decoder::new(Codec::Len32, 16);
        decoder.push(&[0, 0, 1, 0]);
        let error = decoder.next_frame().unwrap_err();
        assert_eq!(error.name(), "frame-too-large");
        decoder.push(&[0, 0, 0, 1, b'x']);
        assert_eq!(decoder.next_frame(), Err(error.clone()));
        assert_eq!(decoder.finish(), Err(error));
        assert_eq!(decoder.buffered(), 4);
    }

    #[test]
    fn unread_bytes_can_be_taken_to_another_decoder() {
        let mut fixed = Decoder::new(Codec::Fixed(4), 1024);
        fixed.push(b"1234hello\n");
        assert_eq!(fixed.next_frame(), Ok(Some(b"1234".to_vec())));
        let mut line = Decoder::new(Codec::Line, 1024);
        line.push(&fixed.take_unread());
        assert_eq!(fixed.buffered(), 0);
        assert_eq!(line.next_frame(), Ok(Some(b"hello".to_vec())));
    }

    #[test]
    fn buffered_counts_unread_bytes_only() {
        let mut decoder = Decoder::new(Codec::Fixed(3), 1024);
        decoder.push(b"abcdefg");
        assert_eq!(decoder.buffered(), 7);
        assert_eq!(decoder.next_frame(), Ok(Some(b"abc".to_vec())));
        assert_eq!(decoder.buffered(), 4);
        assert_eq!(decoder.next_frame(), Ok(Some(b"def".to_vec())));
        assert_eq!(decoder.next_frame(), Ok(None));
        assert_eq!(decoder.buffered(), 1);
        assert_eq!(decoder.finish(), Err(FrameError::Truncated { have: 1 }));
    }

    /// Many tiny frames in one big push must not shift the whole buffer per frame, and
    /// the buffer must not keep growing when frames are read as they come.
    #[test]
    fn many_small_frames_keep_the_buffer_small() {
        let frame = encode(Codec::Len32, b"hi").unwrap();
        let stream: Vec<u8> = frame.iter().copied().cycle().take(6 * 100_000).collect();
        let mut decoder = Decoder::new(Codec::Len32, 1024);
        let mut count = 0;
        for chunk in random_chunks(&stream, 7, 300) {
            decoder.push(chunk);
            while let Some(body) = decoder.next_frame().unwrap() {
                assert_eq!(body, b"hi");
                count += 1;
            }
            assert!(
                decoder.buf.len() <= 2 * 300 + 6,
                "buffer grew to {}",
                decoder.buf.len()
            );
        }
        assert_eq!(count, 100_000);
        assert_eq!(decoder.finish(), Ok(()));
    }

    /// All the codecs in one stream would be meaningless, but each of them must survive
    /// arbitrary garbage without panicking: an error or a frame, never a crash.
    #[test]
    fn random_garbage_never_panics() {
        let mut rng = XorShift::new(42);
        for codec in [
            Codec::Len32,
            Codec::Len32Le,
            Codec::JsonHeader,
            Codec::Line,
            Codec::Fixed(5),
            Codec::Fixed(0),
        ] {
            for _ in 0..200 {
                let garbage: Vec<u8> = (0..rng.one_to(64)).map(|_| rng.next() as u8).collect();
                let mut decoder = Decoder::new(codec, 32);
                for chunk in random_chunks(&garbage, rng.next(), 5) {
                    decoder.push(chunk);
                    for _ in 0..4 {
                        if !matches!(decoder.next_frame(), Ok(Some(_))) {
                            break;
                        }
                    }
                }
                let _ = decoder.finish();
            }
        }
    }
}
