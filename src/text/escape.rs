//! Bytes <-> the language's own string escapes: [`unescape`] reads what a scenario file
//! writes between quotes, and [`escape_bytes`] writes bytes back that way, so that what
//! a report prints between quotes can be pasted back into a scenario file and gives back
//! the same bytes.
//!
//! - printable ASCII as is, except `\` and `"`;
//! - `\n \r \t \0 \\ \"`;
//! - printable non-ASCII characters as is when their bytes are valid UTF-8 (`你好`);
//! - every other byte as `\xHH` (two lowercase hex digits): the other control
//!   characters, bytes that are not valid UTF-8 (a character cut in half by a send
//!   boundary, binary headers), and characters outside a conservative list of
//!   printable ones (zero-width spaces, non-ASCII spaces, combining marks, bidi
//!   controls), written byte by byte so that a reader notices them.

use super::said::Said;

/// The bytes as they would be written between quotes in a scenario file.
///
/// `GET / HTTP/1.1\r\n` for the bytes of an HTTP request line, `你好` for its UTF-8
/// bytes, `\0\x05\xff` for the bytes 0, 5 and 255 (the tests below pin these).
pub fn escape_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            push_char(&mut out, c);
        }
        for &b in chunk.invalid() {
            push_hex(&mut out, b);
        }
    }
    out
}

/// The bytes as a string literal of the language: `"` + [`escape_bytes`] + `"`.
pub fn quote(bytes: &[u8]) -> String {
    format!("\"{}\"", escape_bytes(bytes))
}

/// Like [`quote`], but a value over `show` bytes keeps only its first and last
/// `show / 2` bytes around an ellipsis, then its length: `"abcd…wxyz" (3000 bytes)`.
/// (Cut on bytes, so a multi-byte character at a cut shows as `\xHH` escapes.)
pub fn quote_short(bytes: &[u8], show: usize) -> String {
    if bytes.len() <= show {
        return quote(bytes);
    }
    let head = escape_bytes(&bytes[..show / 2]);
    let tail = escape_bytes(&bytes[bytes.len() - show / 2..]);
    format!("\"{head}…{tail}\" ({} bytes)", bytes.len())
}

/// Appends one character of valid UTF-8 input.
fn push_char(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\0' => out.push_str("\\0"),
        '\\' => out.push_str("\\\\"),
        '"' => out.push_str("\\\""),
        ' '..='~' => out.push(c),
        c if c.is_ascii() || !is_shown(c) => {
            let mut buf = [0; 4];
            for &b in c.encode_utf8(&mut buf).as_bytes() {
                push_hex(out, b);
            }
        }
        c => out.push(c),
    }
}

fn push_hex(out: &mut String, b: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push_str("\\x");
    out.push(char::from(HEX[usize::from(b >> 4)]));
    out.push(char::from(HEX[usize::from(b & 0xf)]));
}

/// Whether a non-ASCII character is shown as itself. Without the Unicode tables at hand
/// this is an allow-list of the scripts and symbol blocks a class meets (Latin, Greek,
/// Cyrillic, CJK, kana, Hangul, punctuation, arrows, box drawing, emoji); everything else
/// (combining marks that would stick to the previous character, right-to-left scripts
/// that would reorder the line, invisible and private-use characters) is written in hex.
/// It also keeps binary data readable: `hex "deadbeef"` is valid UTF-8 for a lone
/// combining mark (U+07AD) followed by two stray bytes, and prints as `\xde\xad\xbe\xef`.
fn is_shown(c: char) -> bool {
    matches!(c,
        '\u{a1}'..='\u{ac}' | '\u{ae}'..='\u{24f}' // Latin-1 (no NBSP, soft hyphen), Latin Extended
        | '\u{370}'..='\u{3ff}'         // Greek
        | '\u{400}'..='\u{4ff}'         // Cyrillic
        | '\u{1e00}'..='\u{1eff}'       // Latin Extended Additional (Vietnamese)
        | '\u{2010}'..='\u{2027}'       // dashes, quotes, bullet, ellipsis
        | '\u{2030}'..='\u{205e}'       // per mille, primes, more punctuation
        | '\u{20a0}'..='\u{20c0}'       // currency
        | '\u{2100}'..='\u{27bf}'       // letterlike, arrows, math, box drawing, blocks, dingbats
        | '\u{2900}'..='\u{2bff}'       // more arrows and math
        | '\u{2e80}'..='\u{2fdf}'       // CJK radicals
        | '\u{3001}'..='\u{3163}'       // CJK punctuation, kana, bopomofo, Hangul jamo
        | '\u{3165}'..='\u{9fff}'       // CJK unified ideographs and extension A
        | '\u{ac00}'..='\u{d7a3}'       // Hangul syllables
        | '\u{f900}'..='\u{faff}'       // CJK compatibility ideographs
        | '\u{fe30}'..='\u{fe4f}'       // CJK compatibility forms
        | '\u{ff01}'..='\u{ff9f}'       // fullwidth and halfwidth forms
        | '\u{ffe0}'..='\u{ffe6}'
        | '\u{1f000}'..='\u{1faff}'     // emoji and pictographs
        | '\u{20000}'..='\u{3fffd}'     // CJK extensions B and later
    )
}

/// A problem in a string's escapes: where (in characters from the start of the string's
/// contents, after the opening quote) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscapeError {
    /// Characters from the start of the contents to the start of the bad escape.
    pub start: usize,
    /// Length of the bad escape in characters.
    pub len: usize,
    pub message: Said,
    pub help: Option<Said>,
}

fn escapes_help() -> Said {
    Said::both(
        "the escapes are \\n \\r \\t \\0 \\\\ \\\" \\xHH (one byte) and \\u{HHHH} (a character)",
        "转义有 \\n \\r \\t \\0 \\\\ \\\" \\xHH（一个字节）和 \\u{HHHH}（一个字符）",
    )
}

/// Decodes the contents of a string literal (between the quotes) into bytes:
/// `\n \r \t \0 \\ \" \xHH \u{HHHH}`; everything else stands for its UTF-8 encoding.
pub fn unescape(contents: &str) -> Result<Vec<u8>, EscapeError> {
    let mut out = Vec::with_capacity(contents.len());
    let chars: Vec<char> = contents.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c != '\\' {
            let mut buf = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            i += 1;
            continue;
        }
        let Some(&e) = chars.get(i + 1) else {
            return Err(EscapeError {
                start: i,
                len: 1,
                message: Said::both(
                    "a backslash at the end of a string escapes nothing",
                    "字符串末尾的反斜杠什么也没有转义",
                ),
                help: Some(Said::both(
                    "write `\\\\` for a backslash",
                    "反斜杠本身写成 `\\\\`",
                )),
            });
        };
        match e {
            'n' => out.push(b'\n'),
            'r' => out.push(b'\r'),
            't' => out.push(b'\t'),
            '0' => out.push(0),
            '\\' => out.push(b'\\'),
            '"' => out.push(b'"'),
            'x' => {
                let digits: String = chars.iter().skip(i + 2).take(2).collect();
                let byte = (digits.len() == 2 && digits.chars().all(|d| d.is_ascii_hexdigit()))
                    .then(|| u8::from_str_radix(&digits, 16).ok())
                    .flatten();
                let Some(byte) = byte else {
                    let len = 2 + digits.chars().take_while(char::is_ascii_hexdigit).count();
                    return Err(EscapeError {
                        start: i,
                        len,
                        message: Said::both(
                            "`\\x` needs exactly two hex digits",
                            "`\\x` 后面要正好两个十六进制数字",
                        ),
                        help: Some(Said::both(
                            "write one byte as `\\x0a` or `\\xff`",
                            "一个字节写成 `\\x0a` 或 `\\xff`",
                        )),
                    });
                };
                out.push(byte);
                i += 4;
                continue;
            }
            'u' => {
                let close = chars[i..].iter().position(|&ch| ch == '}');
                let bad = |len: usize, message: Said| EscapeError {
                    start: i,
                    len,
                    message,
                    help: Some(Said::both(
                        "write a character as `\\u{e9}` or `\\u{1F600}`",
                        "一个字符写成 `\\u{e9}` 或 `\\u{1F600}`",
                    )),
                };
                if chars.get(i + 2) != Some(&'{') {
                    return Err(bad(
                        2,
                        Said::both(
                            "`\\u` needs braces: `\\u{HHHH}`",
                            "`\\u` 需要花括号：`\\u{HHHH}`",
                        ),
                    ));
                }
                let Some(close) = close.map(|p| i + p) else {
                    return Err(bad(
                        3,
                        Said::both("`\\u{` is not closed with `}`", "`\\u{` 没有用 `}` 结束"),
                    ));
                };
                let digits: String = chars[i + 3..close].iter().collect();
                let len = close + 1 - i;
                if digits.is_empty()
                    || digits.len() > 6
                    || !digits.chars().all(|d| d.is_ascii_hexdigit())
                {
                    return Err(bad(
                        len,
                        Said::both(
                            "`\\u{...}` needs 1 to 6 hex digits",
                            "`\\u{...}` 需要 1 到 6 个十六进制数字",
                        ),
                    ));
                }
                let ch = u32::from_str_radix(&digits, 16)
                    .ok()
                    .and_then(char::from_u32);
                let Some(ch) = ch else {
                    return Err(bad(
                        len,
                        Said::both(
                            format!("`\\u{{{digits}}}` is not a Unicode character"),
                            format!("`\\u{{{digits}}}` 不是 Unicode 字符"),
                        ),
                    ));
                };
                let mut buf = [0u8; 4];
                out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                i = close + 1;
                continue;
            }
            other => {
                return Err(EscapeError {
                    start: i,
                    len: 2,
                    message: Said::both(
                        format!("unknown escape `\\{other}`"),
                        format!("未知的转义 `\\{other}`"),
                    ),
                    help: Some(escapes_help()),
                });
            }
        }
        i += 2;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_documented_examples() {
        use super::escape_bytes;
        assert_eq!(escape_bytes(b"GET / HTTP/1.1\r\n"), r"GET / HTTP/1.1\r\n");
        assert_eq!(escape_bytes("你好".as_bytes()), "你好");
        assert_eq!(escape_bytes(&[0, 5, 0xff]), r"\0\x05\xff");
    }

    use proptest::prelude::*;

    use super::{escape_bytes, quote, unescape};

    #[test]
    fn printable_ascii_is_itself() {
        let all: Vec<u8> = (b' '..=b'~').filter(|b| !b"\\\"".contains(b)).collect();
        assert_eq!(escape_bytes(&all).as_bytes(), &all[..]);
    }

    #[test]
    fn named_escapes() {
        assert_eq!(
            escape_bytes(b"a\nb\rc\td\0e\\f\"g"),
            r#"a\nb\rc\td\0e\\f\"g"#
        );
    }

    #[test]
    fn other_controls_are_lowercase_hex() {
        assert_eq!(escape_bytes(&[0x01, 0x1b, 0x7f]), r"\x01\x1b\x7f");
        // C1 controls are valid UTF-8 but invisible: each byte in hex.
        assert_eq!(escape_bytes("\u{85}".as_bytes()), r"\xc2\x85");
    }

    #[test]
    fn utf8_text_is_itself() {
        assert_eq!(
            escape_bytes("你好，世界 ▏ é ✓".as_bytes()),
            "你好，世界 ▏ é ✓"
        );
    }

    #[test]
    fn invalid_utf8_is_hex_byte_by_byte() {
        // "你" is e4 bd a0; a send boundary can cut it in half.
        assert_eq!(escape_bytes(&[0xe4, 0xbd]), r"\xe4\xbd");
        assert_eq!(escape_bytes(&[0xa0, b'!']), r"\xa0!");
        assert_eq!(escape_bytes(&[0xde, 0xad, 0xbe, 0xef]), r"\xde\xad\xbe\xef");
        assert_eq!(escape_bytes(&[0x00, 0x00, 0x00, 0x05]), r"\0\0\0\x05");
    }

    #[test]
    fn invisible_characters_are_hex() {
        assert_eq!(escape_bytes("e\u{301}".as_bytes()), r"e\xcc\x81");
        assert_eq!(escape_bytes("a\u{200b}b".as_bytes()), r"a\xe2\x80\x8bb");
        assert_eq!(escape_bytes("\u{feff}".as_bytes()), r"\xef\xbb\xbf");
        assert_eq!(escape_bytes("\u{a0}".as_bytes()), r"\xc2\xa0");
        assert_eq!(escape_bytes("\u{3000}".as_bytes()), r"\xe3\x80\x80");
        assert_eq!(escape_bytes("\u{fffd}".as_bytes()), r"\xef\xbf\xbd");
    }

    #[test]
    fn quote_wraps_in_quotes() {
        assert_eq!(quote(b"say \"hi\"\n"), r#""say \"hi\"\n""#);
        assert_eq!(quote(b""), r#""""#);
    }

    #[test]
    fn unescape_every_escape() {
        assert_eq!(
            unescape(r#"a\n\r\t\0\\\"\x41\xff\u{e9}\u{1F600}"#),
            Ok([
                b"a\n\r\t\0\\\"A\xff".as_slice(),
                "é".as_bytes(),
                "😀".as_bytes()
            ]
            .concat())
        );
        assert_eq!(unescape("中"), Ok("中".as_bytes().to_vec()));
    }

    #[test]
    fn unescape_errors_say_where_and_what() {
        let e = unescape(r"ab\q").unwrap_err();
        assert_eq!(
            (e.start, e.len, e.message.en()),
            (2, 2, "unknown escape `\\q`")
        );
        let e = unescape(r"\x4g").unwrap_err();
        assert_eq!(
            (e.start, e.len, e.message.en()),
            (0, 3, "`\\x` needs exactly two hex digits")
        );
        let e = unescape(r"x\u{110000}").unwrap_err();
        assert_eq!(
            (e.start, e.len, e.message.en()),
            (1, 10, "`\\u{110000}` is not a Unicode character")
        );
        let e = unescape(r"\u41").unwrap_err();
        assert_eq!(e.message, "`\\u` needs braces: `\\u{HHHH}`");
        let e = unescape(r"\u{41").unwrap_err();
        assert_eq!(e.message, "`\\u{` is not closed with `}`");
    }

    proptest! {
        /// Any text a file may hold between quotes (without `\\` and `"`, which need an
        /// escape) is its own UTF-8 bytes.
        #[test]
        fn plain_text_unescapes_to_itself(text in "[^\\\\\"\n\r]{0,32}") {
            prop_assert_eq!(unescape(&text).ok(), Some(text.clone().into_bytes()));
        }
    }
}
