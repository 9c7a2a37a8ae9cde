//! The escapes a report writes (`text::escape`) read back through the scenario lexer
//! and `unescape` as the same bytes: what a report prints between quotes can be pasted
//! into a scenario file.

use proptest::prelude::*;

use super::lexer::{TokenKind, lex};
use crate::text::escape::{escape_bytes, unescape};

/// What a scenario file gives back for `"text"`: the lexer finds the string token,
/// and its contents are unescaped as the parser does it.
fn read_back(text: &str) -> Vec<u8> {
    let source = format!("\"{text}\"");
    let tokens = lex(&source);
    assert_eq!(tokens.len(), 1, "{source:?} lexes to one token: {tokens:?}");
    assert_eq!(tokens[0].kind, TokenKind::Str { terminated: true });
    let inner = &tokens[0].text[1..tokens[0].text.len() - 1];
    unescape(inner).unwrap_or_else(|e| panic!("{source:?}: {}", e.message))
}

#[test]
fn hex_digit_after_an_escape_stays_separate() {
    // `\x0` followed by `1` must not read as one escape: \xHH is always two digits.
    assert_eq!(escape_bytes(&[0x01, b'1']), r"\x011");
    assert_eq!(read_back(r"\x011"), vec![0x01, b'1']);
    assert_eq!(escape_bytes(b"\x001"), r"\01");
    assert_eq!(read_back(r"\01"), vec![0, b'1']);
}

/// A small deterministic generator (xorshift64*), so the test needs no seed plumbing.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

#[test]
fn round_trip_over_random_bytes() {
    // Pieces that exercise every branch; random picks glue them in every order, and
    // raw random bytes cut characters in half.
    let pieces: [&[u8]; 10] = [
        b"hello",
        b"\\\"",
        b"\n\r\t\0",
        "你好".as_bytes(),
        "▏".as_bytes(),
        "\u{200b}".as_bytes(),
        "\u{1f600}".as_bytes(),
        &[0xe4, 0xbd],
        &[0x80, 0xff, 0xc0],
        b"\x1b[31m",
    ];
    let mut rng = XorShift(0x5eed_1234_abcd_ef01);
    for _ in 0..2000 {
        let mut bytes = Vec::new();
        let n = rng.next() % 12;
        for _ in 0..n {
            let r = rng.next();
            if r.is_multiple_of(3) {
                bytes.push((r >> 8) as u8);
            } else {
                bytes.extend_from_slice(pieces[(r >> 8) as usize % pieces.len()]);
            }
        }
        let text = escape_bytes(&bytes);
        assert!(
            !text.chars().any(|c| c.is_control()),
            "{text:?} holds a control character"
        );
        assert_eq!(read_back(&text), bytes, "{text:?}");
    }
    for b in 0..=255u8 {
        assert_eq!(read_back(&escape_bytes(&[b])), vec![b]);
    }
}

proptest! {
    /// Whatever the bytes, what a report prints between quotes reads back, through the
    /// scenario lexer, as the same bytes.
    #[test]
    fn escape_then_unescape_is_identity(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        prop_assert_eq!(read_back(&escape_bytes(&bytes)), bytes);
    }
}
