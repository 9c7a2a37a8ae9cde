//! Word wrap by display width, for the about text above the tables, in English and in
//! Chinese.
//!
//! The rules, after Unicode's line breaking (UAX #14) and the Chinese layout rules
//! (禁则, as in W3C's "Requirements for Chinese Text Layout"), kept to what a class's
//! texts need:
//!
//! - a line may break at whitespace (the whitespace goes), and between any two
//!   characters of which one is written without spaces (CJK ideographs, kana, Hangul,
//!   full-width punctuation), with nothing added;
//! - never after an opening bracket or quote (`（ 《 「 『 “ ‘ 【 (`...): it stays with
//!   what it opens;
//! - never before a closing one or a pause (`） 。 ， 、 ； ： ！ ？ 」 》 ” ’ 】`,
//!   and `, . ; : ! ? )`): it stays with what it closes;
//! - widths are terminal columns (a CJK character takes two).
//!
//! A run of characters with no break in it (a long word, a URL) wider than the line is
//! cut where the width runs out, and even then not next to such punctuation where
//! another cut is possible.

use crate::text::width::{char_width, str_width, written_without_spaces};

/// Greedy wrap of `text` to `width` columns (at least 20), by the rules above.
pub(crate) fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(20);
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut line_width = 0;
    for atom in atoms(text) {
        let atom_width = str_width(&atom.text);
        // A line that holds only characters of no width (a combining mark) is not
        // empty: what it holds must not be lost.
        let space = usize::from(atom.space && !line.is_empty());
        if !line.is_empty() && line_width + space + atom_width > width {
            lines.push(std::mem::take(&mut line));
            line_width = 0;
        } else if space == 1 {
            line.push(' ');
            line_width += 1;
        }
        if line_width + atom_width <= width {
            line.push_str(&atom.text);
            line_width += atom_width;
            continue;
        }
        // Wider than a whole line: cut it.
        let mut pieces = cut(&atom.text, width);
        let last = pieces.pop().unwrap_or_default();
        lines.extend(pieces);
        line_width = str_width(&last);
        line = last;
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// Opening brackets and quotes: no line ends with one.
fn opens(c: char) -> bool {
    matches!(
        c,
        '（' | '《'
            | '「'
            | '『'
            | '“'
            | '‘'
            | '【'
            | '〔'
            | '〈'
            | '［'
            | '｛'
            | '('
            | '['
            | '{'
    )
}

/// Closing brackets and quotes, and the marks of a pause or an end: no line starts with
/// one.
fn closes(c: char) -> bool {
    matches!(
        c,
        '）' | '。'
            | '，'
            | '、'
            | '；'
            | '：'
            | '！'
            | '？'
            | '」'
            | '』'
            | '》'
            | '”'
            | '’'
            | '】'
            | '〕'
            | '〉'
            | '］'
            | '｝'
            | '…'
            | ','
            | '.'
            | ';'
            | ':'
            | '!'
            | '?'
            | ')'
            | ']'
            | '}'
    )
}

/// Whether a line may break between `a` and `b`, two characters of one word (no
/// whitespace between them).
fn breaks_between(a: char, b: char) -> bool {
    (written_without_spaces(a) || written_without_spaces(b)) && !opens(a) && !closes(b)
}

/// A unit of wrapping: characters no line breaks inside.
struct Atom {
    text: String,
    /// The text had whitespace before it.
    space: bool,
}

/// The atoms of a text: its whitespace-separated words, each cut at every place
/// [`breaks_between`] allows.
fn atoms(text: &str) -> Vec<Atom> {
    let mut atoms = Vec::new();
    for word in text.split_whitespace() {
        let mut atom = Atom {
            text: String::new(),
            space: true,
        };
        let mut prev: Option<char> = None;
        for c in word.chars() {
            if let Some(p) = prev
                && breaks_between(p, c)
            {
                let text = std::mem::take(&mut atom.text);
                atoms.push(Atom {
                    text,
                    space: atom.space,
                });
                atom.space = false;
            }
            atom.text.push(c);
            prev = Some(c);
        }
        atoms.push(atom);
    }
    atoms
}

/// An atom wider than `width`, cut into lines of at most `width` columns: where the
/// width runs out, or a little before, so that no piece ends with an opening bracket
/// and none starts with a closing one, when such a place exists.
fn cut(text: &str, width: usize) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut piece: Vec<char> = Vec::new();
    let mut piece_width = 0;
    for c in text.chars() {
        if piece_width + char_width(c) > width && !piece.is_empty() {
            // The last place in the piece where a cut keeps the punctuation rules and
            // does not split an ASCII word ("Aa|a" in "（粘）Aaa）"), else the last that
            // keeps the punctuation rules; the characters after it start the next piece.
            let ok = |k: usize, whole_words: bool| {
                let (before, next) = (piece[k - 1], piece.get(k).copied().unwrap_or(c));
                let splits_a_word = before.is_ascii_alphanumeric() && next.is_ascii_alphanumeric();
                let breaks_a_rule = opens(before) || closes(next);
                !(breaks_a_rule || whole_words && splits_a_word)
            };
            let keep = (1..=piece.len())
                .rev()
                .find(|&k| ok(k, true))
                .or_else(|| (1..=piece.len()).rev().find(|&k| ok(k, false)))
                .unwrap_or(piece.len());
            let rest = piece.split_off(keep);
            pieces.push(piece.iter().collect());
            piece = rest;
            piece_width = piece.iter().map(|&c| char_width(c)).sum();
        }
        piece.push(c);
        piece_width += char_width(c);
    }
    pieces.push(piece.iter().collect());
    pieces
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::{closes, opens, wrap};
    use crate::text::width::str_width;

    #[test]
    fn english_breaks_at_spaces_only() {
        let text = "TCP is a byte stream. The kernel keeps no record of where one send ended";
        assert_eq!(
            wrap(text, 30),
            [
                "TCP is a byte stream. The",
                "kernel keeps no record of",
                "where one send ended"
            ]
        );
    }

    #[test]
    fn chinese_breaks_between_any_two_characters() {
        // 20 columns: ten characters a line, no space needed.
        assert_eq!(
            wrap(
                "内核不记录一次发送在哪里结束所以晚到的接收会把数据粘在一起",
                20
            ),
            [
                "内核不记录一次发送在",
                "哪里结束所以晚到的接",
                "收会把数据粘在一起"
            ]
        );
    }

    #[test]
    fn closing_punctuation_stays_with_what_it_closes() {
        // `，` would be the 11th character of the first line: `在` goes with it.
        let lines = wrap("内核不记录一次发送在，哪里结束。", 20);
        assert_eq!(lines, ["内核不记录一次发送", "在，哪里结束。"]);
        let lines = wrap("一二三四五六七八九十）。十一", 20);
        assert_eq!(lines, ["一二三四五六七八九", "十）。十一"]);
    }

    #[test]
    fn an_opening_bracket_never_ends_a_line() {
        // `（` would end the first line: it goes down with what it opens.
        let lines = wrap("一二三四五六七八九（接收（recv））", 20);
        assert_eq!(lines, ["一二三四五六七八九", "（接收（recv））"]);
        let lines = wrap("TIME_WAIT：“地址已被占用”之后重启服务端", 20);
        assert!(lines.iter().all(|l| !l.ends_with('“')), "{lines:?}");
    }

    #[test]
    fn mixed_text_breaks_at_spaces_and_around_chinese() {
        let text = "粘包不是错误，而是 TCP 没有消息边界：recv 返回排队的所有字节。";
        let lines = wrap(text, 24);
        assert_eq!(
            lines,
            [
                "粘包不是错误，而是 TCP",
                "没有消息边界：recv 返回",
                "排队的所有字节。"
            ]
        );
    }

    #[test]
    fn a_word_wider_than_the_line_is_cut_but_not_before_a_closing_mark() {
        let word = format!("{}）", "x".repeat(20));
        let lines = wrap(&word, 20);
        assert_eq!(lines, ["x".repeat(19), "x）".to_string()]);
    }

    /// Text as a class writes it: ideographs, ASCII words (a space between two of them),
    /// opening and closing marks around them, spaces here and there.
    fn class_text() -> impl Strategy<Value = String> {
        let core = prop_oneof![
            3 => prop::sample::select(vec!['粘', '包', '分', '半', '缓', '冲', '区', '接', '收'])
                .prop_map(|c| c.to_string()),
            2 => "[a-zA-Z0-9_]{1,8}",
        ];
        let open = prop::option::of(prop::sample::select(vec!['（', '《', '「', '“', '【', '(']));
        let close = prop::collection::vec(
            prop::sample::select(vec![
                '）', '。', '，', '、', '；', '：', '」', '》', '”', '】', ',', '.',
            ]),
            0..=2,
        );
        let token = (open, core, close, any::<bool>());
        prop::collection::vec(token, 0..60).prop_map(|tokens| {
            let mut text = String::new();
            let mut ascii_before = false;
            for (open, core, close, space) in tokens {
                let ascii = core.is_ascii();
                if space || (ascii && ascii_before) {
                    text.push(' ');
                }
                text.extend(open);
                text.push_str(&core);
                text.extend(close.iter());
                ascii_before = ascii;
            }
            text
        })
    }

    fn without_spaces(text: &str) -> String {
        text.chars().filter(|c| !c.is_whitespace()).collect()
    }

    proptest! {
        /// Any text: no line is wider than the width, none is empty or has a space at
        /// either end, and the lines hold the text's characters in order (the breaking
        /// spaces aside).
        #[test]
        fn lines_fit_and_keep_the_text(text in "\\PC{0,200}", width in 20usize..60) {
            let lines = wrap(&text, width);
            for line in &lines {
                prop_assert!(str_width(line) <= width, "{line:?} is wider than {width}");
                prop_assert!(!line.is_empty());
                prop_assert_eq!(line.trim(), line.as_str());
            }
            prop_assert_eq!(without_spaces(&lines.concat()), without_spaces(&text));
        }

        /// Text of a class: besides fitting, no line ends with an opening mark or
        /// starts with a closing one, and a line breaks only where the text had a space
        /// or next to a CJK character.
        #[test]
        fn lines_keep_the_punctuation_rules(text in class_text(), width in 20usize..60) {
            let lines = wrap(&text, width);
            for line in &lines {
                prop_assert!(str_width(line) <= width, "{line:?} is wider than {width}");
                let (first, last) = (line.chars().next(), line.chars().last());
                prop_assert!(!first.is_some_and(closes), "{line:?} starts with a closing mark");
                prop_assert!(!last.is_some_and(opens), "{line:?} ends with an opening mark");
            }
            prop_assert_eq!(without_spaces(&lines.concat()), without_spaces(&text));
            // Where two lines meet without a space in the text, one side is CJK: no ASCII
            // word is cut.
            for pair in lines.windows(2) {
                let (a, b) = (pair[0].chars().last(), pair[1].chars().next());
                if let (Some(a), Some(b)) = (a, b)
                    && !a.is_whitespace()
                    && text.contains(&format!("{a}{b}"))
                    && !text.contains(&format!("{a} {b}"))
                {
                    prop_assert!(
                        !(a.is_ascii_alphanumeric() && b.is_ascii_alphanumeric()),
                        "an ASCII word was cut: {:?} | {:?}", pair[0], pair[1]
                    );
                }
            }
        }
    }
}
