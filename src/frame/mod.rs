//! Framing codecs: one file per codec, each a pure encoder/decoder over byte slices.
//!
//! A decoder never panics on input and refuses a declared length over `max_frame`
//! before allocating anything for it.

use crate::scenario::ast::Codec;

/// Why bytes could not be framed or unframed. `name()` is what expectations use
/// (`=> error frame-too-large`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameError {
    /// A declared length (or a line without its `\n`) over `max-frame`.
    TooLarge { declared: u64, max: usize },
    /// A JSON header that does not parse, or lacks a numeric `total_size`.
    BadHeader(String),
    /// The stream ended inside a frame.
    Truncated { have: usize },
    /// `send frame fixed N` of a body that is not N bytes long.
    WrongSize { expected: usize, got: usize },
}

impl FrameError {
    /// The name used in `=> error NAME`.
    pub fn name(&self) -> &'static str {
        match self {
            FrameError::TooLarge { .. } => "frame-too-large",
            FrameError::BadHeader(_) => "bad-header",
            FrameError::Truncated { .. } => "truncated-frame",
            FrameError::WrongSize { .. } => "wrong-size",
        }
    }
}

impl std::fmt::Display for FrameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let _ = f;
        todo!()
    }
}

impl std::error::Error for FrameError {}

/// The bytes to put on the wire for one frame with this body.
pub fn encode(codec: Codec, body: &[u8]) -> Result<Vec<u8>, FrameError> {
    todo!("{codec:?} {body:?}")
}

/// A stream decoder: bytes go in as they arrive, whole frames come out.
#[derive(Debug)]
pub struct Decoder {
    codec: Codec,
    max_frame: usize,
    buf: Vec<u8>,
}

impl Decoder {
    pub fn new(codec: Codec, max_frame: usize) -> Decoder {
        Decoder {
            codec,
            max_frame,
            buf: Vec::new(),
        }
    }

    /// Appends bytes received from the stream.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The next whole frame's body, `Ok(None)` when more bytes are needed. An error leaves
    /// the decoder unusable (a framing error cannot be resynchronised).
    pub fn next_frame(&mut self) -> Result<Option<Vec<u8>>, FrameError> {
        todo!("{:?} {}", self.codec, self.max_frame)
    }

    /// At the end of the stream: an error if a frame was begun and not finished.
    pub fn finish(&self) -> Result<(), FrameError> {
        todo!()
    }

    /// How many bytes of the stream are buffered and not yet part of a returned frame.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }
}
