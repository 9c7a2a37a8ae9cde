//! `json-header`: the tutorials' 自定义报头 (custom header) protocol.
//!
//! ```text
//!  11 00 00 00  {"total_size":3}  a b c
//!  └ header len └ header (JSON)    └ total_size body bytes
//!    u32, little-endian
//! ```
//!
//! The sender describes the body in a JSON object (its size, and whatever else it likes:
//! a file name, an md5) and sends the header's length first, so the receiver knows
//! where the JSON ends. The tutorials write that length with `struct.pack('i', ...)`,
//! which is little-endian on the machines they ran on; this codec fixes it as
//! little-endian so both ends agree everywhere (see `len32.rs` for why `'i'` is not
//! a wire format).
//!
//! Two lengths come from the peer, so there are two chances to be lied to: the header
//! length and `total_size` are both checked against `max-frame` before anything is
//! allocated for them.

use super::{FrameError, Parse, check_len, frame_end};

/// The header length is always 4 bytes.
pub(crate) const PREFIX_LEN: usize = 4;

/// The checked model of a header: the one field this codec needs. Other fields
/// (`filename`, `md5`, ...) are allowed and ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Header {
    /// How many body bytes follow the header. A JSON integer too big for 64 bits is
    /// kept as `u64::MAX`: it is over any `max-frame` either way.
    pub(crate) total_size: u64,
}

impl Header {
    /// Reads the raw header bytes: a UTF-8 JSON object with a non-negative integer
    /// `total_size`.
    pub(crate) fn parse(raw: &[u8]) -> Result<Header, FrameError> {
        let bad = FrameError::BadHeader;
        let value: serde_json::Value = serde_json::from_slice(raw)
            .map_err(|e| bad(format!("the JSON header is not valid JSON: {e}")))?;
        let serde_json::Value::Object(fields) = &value else {
            return Err(bad(format!(
                "the JSON header is {}, not an object like {{\"total_size\": 3000}}",
                kind(&value)
            )));
        };
        let Some(total_size) = fields.get("total_size") else {
            return Err(bad(
                "the JSON header has no \"total_size\" field, so the body's length is unknown"
                    .to_string(),
            ));
        };
        if let Some(n) = total_size.as_u64() {
            return Ok(Header { total_size: n });
        }
        // serde_json keeps an integer beyond u64 (the tutorial's 1111...1111, 38 digits)
        // as a float; it is still a size, just an impossible one.
        if let Some(f) = total_size.as_f64()
            && f >= u64::MAX as f64
            && f.fract() == 0.0
        {
            return Ok(Header {
                total_size: u64::MAX,
            });
        }
        Err(bad(format!(
            "the JSON header's \"total_size\" is {} ({total_size}), not a non-negative integer",
            kind(total_size)
        )))
    }

    /// The header this codec sends: `{"total_size":N}`, nothing else.
    pub(crate) fn emit(&self) -> Vec<u8> {
        format!("{{\"total_size\":{}}}", self.total_size).into_bytes()
    }
}

/// What kind of JSON value this is, in words.
fn kind(value: &serde_json::Value) -> &'static str {
    use serde_json::Value;
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_u64() => "a number",
        Value::Number(n) if n.is_i64() => "a negative number",
        Value::Number(_) => "a floating-point number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The wire bytes for one frame: header length, header, body. A `usize` always fits in
/// `total_size`'s u64, so this cannot fail.
pub(crate) fn emit(body: &[u8]) -> Vec<u8> {
    let header = Header {
        total_size: body.len() as u64,
    }
    .emit();
    // At most 35 bytes: `{"total_size":` + 20 digits + `}`.
    let header_len = header.len() as u32;
    let mut wire = Vec::with_capacity(PREFIX_LEN + header.len() + body.len());
    wire.extend_from_slice(&header_len.to_le_bytes());
    wire.extend_from_slice(&header);
    wire.extend_from_slice(body);
    wire
}

/// Looks for one frame at the start of `input`. A bad header is reported as soon as the
/// whole header is in, without waiting for a body that may never come.
pub(crate) fn parse(input: &[u8], max_frame: usize) -> Result<Parse, FrameError> {
    let Some(prefix) = input.first_chunk::<PREFIX_LEN>() else {
        return Ok(Parse::Incomplete { need: PREFIX_LEN });
    };
    let header_len = check_len(u32::from_le_bytes(*prefix).into(), max_frame)?;
    let header_end = frame_end(PREFIX_LEN, header_len, max_frame)?;
    let Some(raw) = input.get(PREFIX_LEN..header_end) else {
        return Ok(Parse::Incomplete { need: header_end });
    };
    let header = Header::parse(raw)?;
    let body_len = check_len(header.total_size, max_frame)?;
    let end = frame_end(header_end, body_len, max_frame)?;
    if input.len() < end {
        return Ok(Parse::Incomplete { need: end });
    }
    Ok(Parse::Frame {
        body: header_end..end,
        len: end,
    })
}

#[cfg(test)]
mod tests {
    use super::{Header, emit, parse};
    use crate::frame::testkit::assert_survives_any_chunking;
    use crate::frame::{Codec, DEFAULT_MAX_FRAME};
    use crate::frame::{Decoder, FrameError, Parse};

    /// A frame with this header text, as the tutorials' Python would send it.
    fn wire(header: &str, body: &[u8]) -> Vec<u8> {
        let mut wire = (header.len() as u32).to_le_bytes().to_vec();
        wire.extend_from_slice(header.as_bytes());
        wire.extend_from_slice(body);
        wire
    }

    /// The error the decoder gives for a frame with this header and no body.
    fn header_error(header: &str) -> FrameError {
        let mut decoder = Decoder::new(Codec::JsonHeader, DEFAULT_MAX_FRAME);
        decoder.push(&wire(header, b""));
        decoder.next_frame().unwrap_err()
    }

    #[test]
    fn encode_writes_the_minimal_header() {
        assert_eq!(emit(b"abc"), b"\x10\x00\x00\x00{\"total_size\":3}abc");
        assert_eq!(
            Header {
                total_size: u64::MAX
            }
            .emit(),
            b"{\"total_size\":18446744073709551615}"
        );
    }

    #[test]
    fn round_trip() {
        for body in [&b""[..], b"x", &[0xab; 3000]] {
            let wire = emit(body);
            let Ok(Parse::Frame { body: range, len }) = parse(&wire, 4096) else {
                panic!("{body:?} did not parse back");
            };
            assert_eq!(&wire[range], body);
            assert_eq!(len, wire.len());
        }
    }

    #[test]
    fn the_tutorials_header_with_extra_fields_decodes() {
        let header = r#"{"total_size": 3, "md5": "abcdefg1234", "filename": "a.txt"}"#;
        let mut decoder = Decoder::new(Codec::JsonHeader, 64);
        decoder.push(&wire(header, b"abcNEXT"));
        assert_eq!(decoder.next_frame(), Ok(Some(b"abc".to_vec())));
        assert_eq!(decoder.buffered(), 4);
    }

    #[test]
    fn glued_and_split_frames_come_out_whole_and_in_order() {
        let bodies: [&[u8]; 5] = [b"ls -l output", b"", b"{\"total_size\":9}", &[0; 500], b"z"];
        assert_survives_any_chunking(Codec::JsonHeader, &bodies);
    }

    #[test]
    fn incomplete_waits_for_the_header_then_for_the_body() {
        let wire = emit(b"abc");
        assert_eq!(parse(&wire[..2], 64), Ok(Parse::Incomplete { need: 4 }));
        assert_eq!(parse(&wire[..10], 64), Ok(Parse::Incomplete { need: 20 }));
        assert_eq!(parse(&wire[..20], 64), Ok(Parse::Incomplete { need: 23 }));
    }

    #[test]
    fn a_header_length_over_max_frame_is_refused_without_allocating() {
        let mut decoder = Decoder::new(Codec::JsonHeader, 64);
        decoder.push(&[0xff, 0xff, 0xff, 0x7f]);
        assert_eq!(
            decoder.next_frame(),
            Err(FrameError::TooLarge {
                declared: 0x7fff_ffff,
                max: 64
            })
        );
        assert!(decoder.buf.capacity() < 1024);
    }

    #[test]
    fn a_total_size_over_max_frame_is_refused_before_the_body_arrives() {
        let mut decoder = Decoder::new(Codec::JsonHeader, 64);
        decoder.push(&wire(r#"{"total_size": 65}"#, b""));
        assert_eq!(
            decoder.next_frame(),
            Err(FrameError::TooLarge {
                declared: 65,
                max: 64
            })
        );
    }

    /// The 38-digit total_size from one of the tutorials: serde_json reads it as a float.
    #[test]
    fn a_total_size_beyond_64_bits_is_too_large() {
        let error = header_error(r#"{"total_size": 11111111111111111111111111111111111111}"#);
        assert_eq!(
            error,
            FrameError::TooLarge {
                declared: u64::MAX,
                max: DEFAULT_MAX_FRAME
            }
        );
    }

    #[test]
    fn a_header_that_is_not_json_is_a_bad_header() {
        assert_eq!(
            header_error("{total_size: 3}").to_string(),
            "the JSON header is not valid JSON: key must be a string at line 1 column 2"
        );
        assert_eq!(
            header_error("").to_string(),
            "the JSON header is not valid JSON: EOF while parsing a value at line 1 column 0"
        );
        assert_eq!(header_error("{\"total_size\": 3} x").name(), "bad-header");
    }

    #[test]
    fn a_header_that_is_not_utf8_is_a_bad_header() {
        let mut raw = b"{\"total_size\": 0, \"filename\": \"".to_vec();
        raw.extend_from_slice(&[0xc4, 0xe3]); // 你 in GBK, as a Windows tutorial might send
        raw.extend_from_slice(b"\"}");
        let mut decoder = Decoder::new(Codec::JsonHeader, 64);
        decoder.push(&(raw.len() as u32).to_le_bytes());
        decoder.push(&raw);
        let error = decoder.next_frame().unwrap_err();
        assert_eq!(error.name(), "bad-header");
        assert!(
            error
                .to_string()
                .starts_with("the JSON header is not valid JSON: invalid unicode"),
            "{error}"
        );
    }

    #[test]
    fn a_header_that_is_not_an_object_is_a_bad_header() {
        assert_eq!(
            header_error("[3000]").to_string(),
            "the JSON header is an array, not an object like {\"total_size\": 3000}"
        );
        assert_eq!(
            header_error("3000").to_string(),
            "the JSON header is a number, not an object like {\"total_size\": 3000}"
        );
    }

    #[test]
    fn a_header_without_total_size_is_a_bad_header() {
        // One tutorial calls the field `len`; this codec speaks the other tutorials' name.
        assert_eq!(
            header_error(r#"{"filename": "cls.av", "len": 3}"#).to_string(),
            "the JSON header has no \"total_size\" field, so the body's length is unknown"
        );
    }

    #[test]
    fn a_string_total_size_is_a_bad_header() {
        assert_eq!(
            header_error(r#"{"total_size": "3000"}"#).to_string(),
            "the JSON header's \"total_size\" is a string (\"3000\"), not a non-negative integer"
        );
    }

    #[test]
    fn a_negative_total_size_is_a_bad_header() {
        assert_eq!(
            header_error(r#"{"total_size": -5}"#).to_string(),
            "the JSON header's \"total_size\" is a negative number (-5), not a non-negative integer"
        );
    }

    #[test]
    fn a_float_or_null_total_size_is_a_bad_header() {
        assert_eq!(
            header_error(r#"{"total_size": 3.5}"#).to_string(),
            "the JSON header's \"total_size\" is a floating-point number (3.5), \
             not a non-negative integer"
        );
        // Python's json.dumps never writes an int this way; a float is not a byte count.
        assert_eq!(
            header_error(r#"{"total_size": 3000.0}"#).name(),
            "bad-header"
        );
        assert_eq!(
            header_error(r#"{"total_size": null}"#).to_string(),
            "the JSON header's \"total_size\" is null (null), not a non-negative integer"
        );
    }

    #[test]
    fn finish_mid_frame_is_truncated() {
        let wire = emit(b"abc");
        for cut in [1, 4, 12, 20, 22] {
            let mut decoder = Decoder::new(Codec::JsonHeader, 64);
            decoder.push(&wire[..cut]);
            assert_eq!(decoder.next_frame(), Ok(None), "cut at {cut}");
            assert_eq!(decoder.finish(), Err(FrameError::Truncated { have: cut }));
        }
    }
}
