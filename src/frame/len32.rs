//! `len32` and `len32le`: a 4-byte unsigned length, then that many body bytes.
//!
//! ```text
//!  len32    00 00 00 05  h e l l o      (big-endian, "network byte order")
//!  len32le  05 00 00 00  h e l l o      (little-endian)
//! ```
//!
//! Why a length prefix cures 粘包: the receiver always knows how many bytes it is still
//! owed. It reads exactly 4 bytes, learns n, reads exactly n more; whatever follows
//! belongs to the next frame, however the kernel cut or glued the recv()s.
//!
//! Why the tutorials' `struct.pack('i', n)` is not a wire format: `'i'` means the
//! *native* byte order of the machine running Python (little-endian on x86 and most ARM,
//! big-endian on s390x and some MIPS/PowerPC) and a *signed* 32-bit int, so a body of
//! 2 GiB or more cannot be described at all (`struct.error`). A wire format fixes both
//! in its definition: `struct.pack('!I', n)` (or `'>I'`) is `len32`, `'<I'` is
//! `len32le`. When the two ends disagree on byte order, a 3-byte body's little-endian
//! `03 00 00 00` is read big-endian as 50331648: the receiver then waits for 48 MiB
//! that will never come, unless something like `max-frame` refuses the nonsense.

use super::{FrameError, Parse, check_len, frame_end};

/// The length prefix is always 4 bytes.
pub(crate) const PREFIX_LEN: usize = 4;

/// The order of the prefix's bytes: `len32` is big-endian, `len32le` little-endian.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endian {
    Big,
    Little,
}

impl Endian {
    /// The raw view: what these 4 bytes say the length is.
    pub(crate) fn read(self, prefix: [u8; PREFIX_LEN]) -> u32 {
        match self {
            Endian::Big => u32::from_be_bytes(prefix),
            Endian::Little => u32::from_le_bytes(prefix),
        }
    }

    pub(crate) fn write(self, len: u32) -> [u8; PREFIX_LEN] {
        match self {
            Endian::Big => len.to_be_bytes(),
            Endian::Little => len.to_le_bytes(),
        }
    }
}

/// The prefix for a body of `len` bytes; a body of 4 GiB or more has none.
pub(crate) fn prefix(endian: Endian, len: usize) -> Result<[u8; PREFIX_LEN], FrameError> {
    let len32 = u32::try_from(len).map_err(|_| FrameError::TooLarge {
        declared: len as u64,
        max: u32::MAX as usize,
    })?;
    Ok(endian.write(len32))
}

/// The wire bytes for one frame: prefix, then body.
pub(crate) fn emit(endian: Endian, body: &[u8]) -> Result<Vec<u8>, FrameError> {
    let prefix = prefix(endian, body.len())?;
    let mut wire = Vec::with_capacity(PREFIX_LEN + body.len());
    wire.extend_from_slice(&prefix);
    wire.extend_from_slice(body);
    Ok(wire)
}

/// Looks for one frame at the start of `input`.
pub(crate) fn parse(endian: Endian, input: &[u8], max_frame: usize) -> Result<Parse, FrameError> {
    let Some(prefix) = input.first_chunk::<PREFIX_LEN>() else {
        return Ok(Parse::Incomplete { need: PREFIX_LEN });
    };
    // Checked before anything is reserved for the body: the prefix is the peer's claim,
    // and `ff ff ff ff` claims 4 GiB.
    let body_len = check_len(endian.read(*prefix).into(), max_frame)?;
    let end = frame_end(PREFIX_LEN, body_len, max_frame)?;
    if input.len() < end {
        return Ok(Parse::Incomplete { need: end });
    }
    Ok(Parse::Frame {
        body: PREFIX_LEN..end,
        len: end,
    })
}

#[cfg(test)]
mod tests {
    use super::{Endian, PREFIX_LEN, emit, parse, prefix};
    use crate::frame::testkit::assert_survives_any_chunking;
    use crate::frame::{Codec, DEFAULT_MAX_FRAME};
    use crate::frame::{Decoder, FrameError, Parse, encode};

    #[test]
    fn big_endian_puts_the_most_significant_byte_first() {
        assert_eq!(
            encode(Codec::Len32, b"hello").unwrap(),
            b"\x00\x00\x00\x05hello"
        );
        assert_eq!(
            encode(Codec::Len32, &[7; 258]).unwrap()[..PREFIX_LEN],
            [0, 0, 1, 2]
        );
    }

    #[test]
    fn little_endian_puts_the_least_significant_byte_first() {
        assert_eq!(
            encode(Codec::Len32Le, b"hello").unwrap(),
            b"\x05\x00\x00\x00hello"
        );
        assert_eq!(
            encode(Codec::Len32Le, &[7; 258]).unwrap()[..PREFIX_LEN],
            [2, 1, 0, 0]
        );
    }

    #[test]
    fn round_trip() {
        for endian in [Endian::Big, Endian::Little] {
            for body in [&b""[..], b"x", b"hello world", &[0xff; 1000]] {
                let wire = emit(endian, body).unwrap();
                let Ok(Parse::Frame { body: range, len }) = parse(endian, &wire, 1000) else {
                    panic!("{endian:?} {body:?} did not parse back");
                };
                assert_eq!(&wire[range], body);
                assert_eq!(len, wire.len());
            }
        }
    }

    #[test]
    fn an_empty_body_is_a_frame() {
        let mut decoder = Decoder::new(Codec::Len32, 16);
        decoder.push(&[0, 0, 0, 0]);
        assert_eq!(decoder.next_frame(), Ok(Some(Vec::new())));
        assert_eq!(decoder.finish(), Ok(()));
    }

    #[test]
    fn glued_and_split_frames_come_out_whole_and_in_order() {
        let bodies: [&[u8]; 6] = [
            b"hello",
            b"",
            b"world",
            &[0; 300],
            b"\x00\x00\x00\x05",
            b"!",
        ];
        assert_survives_any_chunking(Codec::Len32, &bodies);
        assert_survives_any_chunking(Codec::Len32Le, &bodies);
    }

    #[test]
    fn incomplete_says_how_many_bytes_are_needed() {
        let wire = emit(Endian::Big, b"hello").unwrap();
        assert_eq!(
            parse(Endian::Big, &wire[..3], 64),
            Ok(Parse::Incomplete { need: 4 })
        );
        assert_eq!(
            parse(Endian::Big, &wire[..6], 64),
            Ok(Parse::Incomplete { need: 9 })
        );
    }

    #[test]
    fn leftover_bytes_wait_for_the_next_frame() {
        let mut wire = emit(Endian::Big, b"one").unwrap();
        wire.extend_from_slice(&emit(Endian::Big, b"two").unwrap()[..5]);
        let mut decoder = Decoder::new(Codec::Len32, 64);
        decoder.push(&wire);
        assert_eq!(decoder.next_frame(), Ok(Some(b"one".to_vec())));
        assert_eq!(decoder.next_frame(), Ok(None));
        assert_eq!(decoder.buffered(), 5);
        decoder.push(b"wo");
        assert_eq!(decoder.next_frame(), Ok(Some(b"two".to_vec())));
    }

    #[test]
    fn ffffffff_is_refused_without_allocating() {
        let mut decoder = Decoder::new(Codec::Len32, DEFAULT_MAX_FRAME);
        decoder.push(&[0xff, 0xff, 0xff, 0xff, b'x']);
        let error = decoder.next_frame().unwrap_err();
        assert_eq!(
            error,
            FrameError::TooLarge {
                declared: 0xffff_ffff,
                max: DEFAULT_MAX_FRAME
            }
        );
        assert_eq!(
            error.to_string(),
            "declared frame length 4294967295 is over max-frame (8388608 bytes); \
             refusing it without allocating"
        );
        // Refused as soon as the 4-byte prefix was in: nothing was reserved for 4 GiB.
        assert!(decoder.buf.capacity() < 1024);
    }

    #[test]
    fn max_frame_itself_is_allowed_one_more_is_not() {
        let mut decoder = Decoder::new(Codec::Len32, 3);
        decoder.push(&emit(Endian::Big, b"abc").unwrap());
        assert_eq!(decoder.next_frame(), Ok(Some(b"abc".to_vec())));
        decoder.push(&emit(Endian::Big, b"abcd").unwrap());
        assert_eq!(
            decoder.next_frame(),
            Err(FrameError::TooLarge {
                declared: 4,
                max: 3
            })
        );
    }

    /// The tutorials' bug: `struct.pack('i', 3)` on x86 sends `03 00 00 00`; a reader
    /// that expects network byte order sees 50331648 and, thanks to max-frame, says so
    /// instead of waiting forever for 48 MiB.
    #[test]
    fn little_endian_read_as_big_endian_is_nonsense_that_max_frame_refuses() {
        let wire = encode(Codec::Len32Le, b"abc").unwrap();
        assert_eq!(wire[..PREFIX_LEN], [3, 0, 0, 0]);
        let mut decoder = Decoder::new(Codec::Len32, DEFAULT_MAX_FRAME);
        decoder.push(&wire);
        assert_eq!(
            decoder.next_frame(),
            Err(FrameError::TooLarge {
                declared: 50_331_648,
                max: DEFAULT_MAX_FRAME
            })
        );
    }

    #[test]
    #[cfg(target_pointer_width = "64")]
    fn a_body_of_4_gib_has_no_32_bit_length() {
        // Checked on the length alone: a test cannot afford the 4 GiB body.
        let too_long = u32::MAX as usize + 1;
        assert_eq!(
            prefix(Endian::Big, too_long),
            Err(FrameError::TooLarge {
                declared: 1 << 32,
                max: u32::MAX as usize
            })
        );
        assert_eq!(prefix(Endian::Little, u32::MAX as usize), Ok([0xff; 4]));
    }

    #[test]
    fn finish_mid_frame_is_truncated() {
        let wire = emit(Endian::Little, b"hello").unwrap();
        let mut decoder = Decoder::new(Codec::Len32Le, 64);
        decoder.push(&wire[..7]);
        assert_eq!(decoder.next_frame(), Ok(None));
        assert_eq!(decoder.finish(), Err(FrameError::Truncated { have: 7 }));
        let mut decoder = Decoder::new(Codec::Len32Le, 64);
        decoder.push(&wire[..2]);
        assert_eq!(decoder.finish(), Err(FrameError::Truncated { have: 2 }));
    }
}
