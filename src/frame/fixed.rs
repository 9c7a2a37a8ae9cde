//! `fixed N`: every message is exactly N bytes, so the boundaries need no bytes at all.
//!
//! This is how the tutorials' first "fix" works (`recv(4)` for a 4-byte struct header):
//! both ends agree on the size in advance. It only fits messages that really have one
//! size (headers, records, game ticks); anything else must be padded or cut.
//!
//! Note that a socket's `recv(N)` is not `fixed N`: recv returns *up to* N bytes
//! (recv(2)), and may return fewer even when the peer sent exactly N. Only the loop
//! that keeps reading until N bytes are in (`recv exactly N`, this decoder) frames them.

use super::{FrameError, Parse, check_len};

/// The wire bytes for one frame: the body itself, which must be exactly `size` bytes.
pub(crate) fn emit(size: usize, body: &[u8]) -> Result<Vec<u8>, FrameError> {
    if body.len() != size {
        return Err(FrameError::WrongSize {
            expected: size,
            got: body.len(),
        });
    }
    Ok(body.to_vec())
}

/// Looks for one frame at the start of `input`. `fixed 0` yields an empty frame on
/// every call without consuming anything.
pub(crate) fn parse(size: usize, input: &[u8], max_frame: usize) -> Result<Parse, FrameError> {
    // The size comes from the scenario, not the peer, but `set max-frame` still applies:
    // a frame is a frame.
    let size = check_len(size as u64, max_frame)?;
    if input.len() < size {
        return Ok(Parse::Incomplete { need: size });
    }
    Ok(Parse::Frame {
        body: 0..size,
        len: size,
    })
}

#[cfg(test)]
mod tests {
    use super::{emit, parse};
    use crate::frame::Codec;
    use crate::frame::testkit::assert_survives_any_chunking;
    use crate::frame::{Decoder, FrameError, Parse, encode};

    #[test]
    fn encode_is_the_body_itself() {
        assert_eq!(encode(Codec::Fixed(5), b"hello").unwrap(), b"hello");
    }

    #[test]
    fn round_trip() {
        for body in [&b"abcd"[..], b"\0\0\0\0", b"\n\r\n\r"] {
            let wire = emit(4, body).unwrap();
            assert_eq!(parse(4, &wire, 64), Ok(Parse::Frame { body: 0..4, len: 4 }));
        }
    }

    #[test]
    fn a_body_of_another_size_is_refused() {
        assert_eq!(
            encode(Codec::Fixed(4), b"abc"),
            Err(FrameError::WrongSize {
                expected: 4,
                got: 3
            })
        );
        assert_eq!(
            encode(Codec::Fixed(4), b"abcde").unwrap_err().to_string(),
            "`fixed 4` needs a body of exactly 4 bytes, got 5"
        );
    }

    #[test]
    fn glued_and_split_frames_come_out_whole_and_in_order() {
        let bodies: [&[u8]; 5] = [b"abc", b"\0\0\0", b"\n\n\n", b"xyz", b"!!!"];
        assert_survives_any_chunking(Codec::Fixed(3), &bodies);
        let big = [7u8; 1000];
        assert_survives_any_chunking(Codec::Fixed(1000), &[&big, &big, &big]);
    }

    #[test]
    fn leftovers_wait_for_the_next_frame() {
        let mut decoder = Decoder::new(Codec::Fixed(4), 64);
        decoder.push(b"abcdef");
        assert_eq!(decoder.next_frame(), Ok(Some(b"abcd".to_vec())));
        assert_eq!(decoder.next_frame(), Ok(None));
        assert_eq!(decoder.buffered(), 2);
        decoder.push(b"gh");
        assert_eq!(decoder.next_frame(), Ok(Some(b"efgh".to_vec())));
        assert_eq!(decoder.finish(), Ok(()));
    }

    #[test]
    fn a_size_over_max_frame_is_refused() {
        let mut decoder = Decoder::new(Codec::Fixed(65), 64);
        decoder.push(b"a");
        assert_eq!(
            decoder.next_frame(),
            Err(FrameError::TooLarge {
                declared: 65,
                max: 64
            })
        );
    }

    #[test]
    fn fixed_zero_is_an_empty_frame() {
        let mut decoder = Decoder::new(Codec::Fixed(0), 64);
        assert_eq!(decoder.next_frame(), Ok(Some(Vec::new())));
        decoder.push(b"x");
        assert_eq!(decoder.next_frame(), Ok(Some(Vec::new())));
        assert_eq!(decoder.buffered(), 1);
    }

    #[test]
    fn finish_mid_frame_is_truncated() {
        let mut decoder = Decoder::new(Codec::Fixed(4), 64);
        decoder.push(b"abcdef");
        assert_eq!(decoder.next_frame(), Ok(Some(b"abcd".to_vec())));
        assert_eq!(decoder.next_frame(), Ok(None));
        assert_eq!(
            decoder.finish().unwrap_err().to_string(),
            "the stream ended 2 bytes into a frame"
        );
    }
}
