//! Which framing a `send frame`/`recv frame` step uses.

/// The default `max-frame` of the decoders.
pub const DEFAULT_MAX_FRAME: usize = 8 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    /// 4-byte big-endian length, then the body.
    Len32,
    /// 4-byte little-endian length, then the body.
    Len32Le,
    /// 4-byte little-endian header length, a JSON header with `total_size`, the body.
    JsonHeader,
    /// The body, then `\n`.
    Line,
    /// Exactly N bytes.
    Fixed(usize),
}
