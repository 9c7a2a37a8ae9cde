//! Word wrap by display width, for the about text above the tables: breaks at spaces,
//! and also between two wide (CJK) characters, since Chinese text has no spaces.

use crate::text::width::{char_width, str_width};

/// Greedy word wrap by display width. Breaks at spaces, and also between two wide (CJK)
/// characters, since Chinese text has no spaces; a word longer than the line is cut.
pub(super) fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(20);
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut line_width = 0;
    for word in words(text) {
        let space = usize::from(word.space && line_width > 0);
        if line_width > 0 && line_width + space + str_width(&word.text) > width {
            lines.push(std::mem::take(&mut line));
            line_width = 0;
        } else if space == 1 {
            line.push(' ');
            line_width += 1;
        }
        for c in word.text.chars() {
            if line_width > 0 && line_width + char_width(c) > width {
                lines.push(std::mem::take(&mut line));
                line_width = 0;
            }
            line.push(c);
            line_width += char_width(c);
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// A unit of wrapping.
struct Word {
    text: String,
    /// The text had whitespace before it.
    space: bool,
}

/// The words of a text: runs of narrow characters between whitespace, and each wide
/// character on its own. Closing punctuation stays with what it closes (no line of
/// Chinese starts with `，`).
fn words(text: &str) -> Vec<Word> {
    let mut words: Vec<Word> = Vec::new();
    for chunk in text.split_whitespace() {
        let mut space = true;
        let mut word = String::new();
        for c in chunk.chars() {
            let closing = matches!(
                c,
                ',' | '.'
                    | ';'
                    | ':'
                    | '!'
                    | '?'
                    | ')'
                    | '，'
                    | '。'
                    | '、'
                    | '；'
                    | '：'
                    | '！'
                    | '？'
                    | '）'
                    | '」'
                    | '』'
                    | '》'
            );
            if closing
                && word.is_empty()
                && !space
                && let Some(last) = words.last_mut()
            {
                last.text.push(c);
                continue;
            }
            if char_width(c) == 2 && !closing {
                if !word.is_empty() {
                    words.push(Word {
                        text: std::mem::take(&mut word),
                        space,
                    });
                    space = false;
                }
                words.push(Word {
                    text: c.to_string(),
                    space,
                });
                space = false;
            } else {
                word.push(c);
            }
        }
        if !word.is_empty() {
            words.push(Word { text: word, space });
        }
    }
    words
}

#[cfg(test)]
mod tests {
    use super::wrap;
    use crate::text::width::str_width;

    #[test]
    fn wrapping_keeps_closing_punctuation_with_its_text() {
        let text = "内核不记录一次发送在哪里结束，所以晚到的 recv 会把排队的所有数据粘在一起返回。";
        for width in 20..40 {
            for line in wrap(text, width) {
                assert!(str_width(&line) <= width, "{line}");
                assert!(!line.starts_with(['，', '。']), "{line}");
            }
        }
    }
}
