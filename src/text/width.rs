//! How many terminal columns text takes: Unicode's East Asian Width through the
//! `unicode-width` crate, so `你好` takes four columns and a caret or a table border
//! lines up under it.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Columns `s` takes on a terminal (CJK and emoji 2, combining marks 0).
pub fn str_width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// Columns one character takes; control characters count as 1, as a terminal shows
/// them escaped.
pub fn char_width(c: char) -> usize {
    UnicodeWidthChar::width(c).unwrap_or(1)
}

/// The characters of scripts written without spaces between words (CJK ideographs,
/// kana, Hangul, full-width punctuation): the wide characters that are not emoji.
pub fn written_without_spaces(c: char) -> bool {
    char_width(c) == 2 && !('\u{1f000}'..'\u{20000}').contains(&c)
}

#[cfg(test)]
mod tests {
    use super::{char_width, str_width, written_without_spaces};

    #[test]
    fn cjk_takes_two_columns() {
        assert_eq!(str_width("hello"), 5);
        assert_eq!(str_width("你好"), 4);
        assert_eq!(str_width("粘包，"), 6);
        assert_eq!(str_width("hello▏world"), 11);
        assert_eq!(char_width('包'), 2);
        assert_eq!(char_width('a'), 1);
        assert!(written_without_spaces('包') && written_without_spaces('，'));
        assert!(!written_without_spaces('a') && !written_without_spaces('😀'));
    }

    #[test]
    fn controls_count_one_column() {
        assert_eq!(char_width('\t'), 1);
        assert_eq!(char_width('\u{301}'), 0);
    }
}
