//! `line`: the body, then `\n`. A `\r` right before the `\n` is dropped when decoding,
//! so lines from `telnet`, `nc -C` or Windows (`\r\n`, as in SMTP and HTTP/1.1 headers)
//! read the same as Unix ones.
//!
//! A delimiter needs no length up front, but it has two costs a length prefix does not:
//! the body may not contain the delimiter (here, a body with a `\n` inside is sent as
//! is and arrives as two lines; a body ending in `\r` loses it), and the receiver has
//! to look at every byte to find the end. It also hands the peer a way to make the
//! receiver buffer forever: never send `\n`. So a line longer than `max-frame` is
//! refused as soon as `max-frame` bytes have come without a newline.

use super::{FrameError, Parse};

/// The wire bytes for one line: the body as is, then `\n`.
pub(crate) fn emit(body: &[u8]) -> Vec<u8> {
    let mut wire = Vec::with_capacity(body.len() + 1);
    wire.extend_from_slice(body);
    wire.push(b'\n');
    wire
}

/// Looks for one line at the start of `input`. The first `scanned` bytes are already
/// known to hold no `\n` (from the previous call), so a long line that arrives one byte
/// at a time is searched once, not once per byte.
pub(crate) fn parse(input: &[u8], scanned: usize, max_frame: usize) -> Result<Parse, FrameError> {
    // A body may be `max_frame` bytes, then maybe a `\r`, then the `\n`: the `\n` of any
    // acceptable line is within the first `max_frame + 2` bytes. No need to look further.
    let window = input.len().min(max_frame.saturating_add(2));
    let from = scanned.min(window);
    let newline = input[from..window]
        .iter()
        .position(|&b| b == b'\n')
        .map(|i| from + i);
    match newline {
        Some(newline) => {
            let body_end = match newline.checked_sub(1) {
                Some(before) if input[before] == b'\r' => before,
                _ => newline,
            };
            if body_end > max_frame {
                return Err(FrameError::LineTooLong { max: max_frame });
            }
            Ok(Parse::Frame {
                body: 0..body_end,
                len: newline + 1,
            })
        }
        None => {
            // The shortest body these bytes can still become: all of them, but for a
            // final `\r` that a `\n` may yet turn into a line ending.
            let shortest = match input[..window].last() {
                Some(b'\r') => window - 1,
                _ => window,
            };
            if shortest > max_frame {
                return Err(FrameError::LineTooLong { max: max_frame });
            }
            Ok(Parse::Incomplete {
                need: input.len() + 1,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{emit, parse};
    use crate::frame::Codec;
    use crate::frame::testkit::assert_survives_any_chunking;
    use crate::frame::{Decoder, FrameError, Parse, encode};

    #[test]
    fn encode_appends_a_newline() {
        assert_eq!(encode(Codec::Line, b"hello").unwrap(), b"hello\n");
        assert_eq!(encode(Codec::Line, b"").unwrap(), b"\n");
    }

    #[test]
    fn round_trip() {
        for body in [&b""[..], b"x", b"hello world", b"tab\there", &[0xff; 100]] {
            let wire = emit(body);
            let Ok(Parse::Frame { body: range, len }) = parse(&wire, 0, 100) else {
                panic!("{body:?} did not parse back");
            };
            assert_eq!(&wire[range], body);
            assert_eq!(len, wire.len());
        }
    }

    #[test]
    fn glued_and_split_lines_come_out_whole_and_in_order() {
        let bodies: [&[u8]; 6] = [b"hello", b"", b"world", &[b'x'; 300], b"\r", b"last"];
        // `b"\r"` alone is not a line ending: it is dropped only right before the `\n`.
        let bodies_as_decoded: [&[u8]; 6] = [b"hello", b"", b"world", &[b'x'; 300], b"", b"last"];
        assert_eq!(
            crate::frame::testkit::decode_chunks(
                Codec::Line,
                1024,
                &[&crate::frame::testkit::encode_all(Codec::Line, &bodies)]
            ),
            Ok(bodies_as_decoded.iter().map(|b| b.to_vec()).collect())
        );
        assert_survives_any_chunking(Codec::Line, &bodies_as_decoded);
    }

    #[test]
    fn crlf_loses_its_cr() {
        let mut decoder = Decoder::new(Codec::Line, 64);
        decoder.push(b"GET / HTTP/1.1\r\nHost: x\r");
        assert_eq!(decoder.next_frame(), Ok(Some(b"GET / HTTP/1.1".to_vec())));
        assert_eq!(decoder.next_frame(), Ok(None));
        decoder.push(b"\n");
        assert_eq!(decoder.next_frame(), Ok(Some(b"Host: x".to_vec())));
    }

    #[test]
    fn only_the_cr_right_before_the_newline_is_dropped() {
        let mut decoder = Decoder::new(Codec::Line, 64);
        decoder.push(b"a\rb\r\r\n");
        assert_eq!(decoder.next_frame(), Ok(Some(b"a\rb\r".to_vec())));
    }

    #[test]
    fn an_embedded_newline_splits_the_message() {
        let mut decoder = Decoder::new(Codec::Line, 64);
        decoder.push(&encode(Codec::Line, b"two\nlines").unwrap());
        assert_eq!(decoder.next_frame(), Ok(Some(b"two".to_vec())));
        assert_eq!(decoder.next_frame(), Ok(Some(b"lines".to_vec())));
    }

    #[test]
    fn a_line_of_max_frame_bytes_is_allowed_even_with_crlf() {
        let mut decoder = Decoder::new(Codec::Line, 4);
        decoder.push(b"abcd\r");
        assert_eq!(decoder.next_frame(), Ok(None));
        decoder.push(b"\nefgh\n");
        assert_eq!(decoder.next_frame(), Ok(Some(b"abcd".to_vec())));
        assert_eq!(decoder.next_frame(), Ok(Some(b"efgh".to_vec())));
    }

    #[test]
    fn a_line_over_max_frame_without_newline_is_refused() {
        let mut decoder = Decoder::new(Codec::Line, 4);
        decoder.push(b"abcd");
        assert_eq!(decoder.next_frame(), Ok(None));
        decoder.push(b"e");
        let error = decoder.next_frame().unwrap_err();
        assert_eq!(error, FrameError::LineTooLong { max: 4 });
        assert_eq!(error.name(), "frame-too-large");
        assert_eq!(
            error.to_string(),
            "a line is longer than max-frame (4 bytes): no `\\n` within that many bytes; \
             refusing to buffer more of it"
        );
    }

    #[test]
    fn a_line_over_max_frame_is_refused_even_when_whole() {
        let mut decoder = Decoder::new(Codec::Line, 4);
        decoder.push(b"abcde\n");
        assert_eq!(
            decoder.next_frame(),
            Err(FrameError::LineTooLong { max: 4 })
        );
        let mut decoder = Decoder::new(Codec::Line, 4);
        decoder.push(b"abcde\r\n");
        assert_eq!(
            decoder.next_frame(),
            Err(FrameError::LineTooLong { max: 4 })
        );
    }

    /// A peer that never sends `\n` cannot make the decoder search (or keep) more than
    /// max-frame bytes, and a long line arriving byte by byte is searched once.
    #[test]
    fn a_hostile_endless_line_is_cut_off_at_max_frame() {
        let max = 100_000;
        let mut decoder = Decoder::new(Codec::Line, max);
        let mut pushed = 0;
        let error = loop {
            decoder.push(b"y");
            pushed += 1;
            match decoder.next_frame() {
                Ok(None) => continue,
                Ok(Some(frame)) => panic!("a frame of {} bytes from no newline", frame.len()),
                Err(error) => break error,
            }
        };
        assert_eq!(error, FrameError::LineTooLong { max });
        assert_eq!(pushed, max + 1);
    }

    #[test]
    fn finish_mid_line_is_truncated() {
        let mut decoder = Decoder::new(Codec::Line, 64);
        decoder.push(b"done\nhalf a li");
        assert_eq!(decoder.next_frame(), Ok(Some(b"done".to_vec())));
        assert_eq!(decoder.next_frame(), Ok(None));
        assert_eq!(decoder.finish(), Err(FrameError::Truncated { have: 9 }));
    }
}
