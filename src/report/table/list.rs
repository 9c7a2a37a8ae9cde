//! `list` and `check` for people: plain aligned columns, no borders, so that a line of
//! `list` starts with the name and `grep`/`cut` work on it.

use std::io::{self, Write};

use crate::report::{Checked, Listed};
use crate::text::str_width;

/// The width `list` keeps to when the terminal's is unknown (a pipe, a file).
const LIST_WIDTH: usize = 80;

/// One line per scenario: name, title and tags, the first two padded to their widest.
/// When that is wider than `width` (80 when unknown), the tags go on a line of their
/// own under the title, so every line fits; a scenario's first line still starts with
/// its name.
pub(super) fn write_list(
    entries: &[Listed],
    width: Option<u16>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let width = width.map_or(LIST_WIDTH, usize::from);
    let widest = |f: &dyn Fn(&Listed) -> usize| entries.iter().map(f).max().unwrap_or(0);
    let name_w = widest(&|e| str_width(&e.name));
    let title_w = widest(&|e| str_width(&e.title));
    let tags_w = widest(&|e| str_width(&e.tags.join(", ")));
    let one_line = name_w + 2 + title_w + 2 + tags_w <= width;
    let pad = |text: &str, w: usize| format!("{text}{}", " ".repeat(w - str_width(text)));
    let mut text = String::new();
    for entry in entries {
        text.push_str(&pad(&entry.name, name_w));
        text.push_str("  ");
        if one_line {
            text.push_str(&pad(&entry.title, title_w));
            text.push_str("  ");
        } else {
            text.push_str(&entry.title);
            text.push('\n');
            text.push_str(&" ".repeat(name_w + 2));
        }
        text.push_str(&entry.tags.join(", "));
        text.push('\n');
    }
    out.write_all(text.as_bytes())
}

/// `FILE: ok (2 actors, 6 steps)`; in Chinese `FILE: ok（2 个角色，6 个步骤）`, the same
/// `FILE: ok` for a script to look for.
pub(super) fn write_checked(checked: &Checked, lang: &str, out: &mut dyn Write) -> io::Result<()> {
    if lang == "zh" {
        return writeln!(
            out,
            "{}: ok（{} 个角色，{} 个步骤）",
            checked.file, checked.actors, checked.steps
        );
    }
    writeln!(
        out,
        "{}: ok ({}, {})",
        checked.file,
        plural(checked.actors, "actor"),
        plural(checked.steps, "step")
    )
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

#[cfg(test)]
mod tests {
    use super::{write_checked, write_list};
    use crate::report::{Checked, Listed};

    fn listed(name: &str, title: &str, tags: &[&str]) -> Listed {
        Listed {
            name: name.to_owned(),
            title: title.to_owned(),
            tags: tags.iter().map(|t| (*t).to_owned()).collect(),
        }
    }

    #[test]
    fn the_list_is_padded_by_display_width() {
        let mut out = Vec::new();
        let entries = [
            listed("hello-world", "两次发送，一次接收", &["tcp", "coalescing"]),
            listed("udp", "UDP keeps boundaries", &["udp"]),
        ];
        write_list(&entries, None, &mut out).unwrap();
        insta::assert_snapshot!("list-table", String::from_utf8(out).unwrap());
    }

    /// Too wide for the terminal: the tags go under the title, and no line is wider.
    #[test]
    fn a_list_too_wide_puts_the_tags_under_the_title() {
        let mut out = Vec::new();
        let entries = [
            listed("hello-world", "Two sends, one recv", &["tcp", "coalescing"]),
            listed("udp", "UDP keeps boundaries", &["udp"]),
        ];
        write_list(&entries, Some(40), &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "hello-world  Two sends, one recv\n             tcp, coalescing\n\
             udp          UDP keeps boundaries\n             udp\n"
        );
    }

    #[test]
    fn a_checked_file_counts_actors_and_steps() {
        let mut out = Vec::new();
        for (actors, steps) in [(2, 6), (1, 1)] {
            let checked = Checked {
                file: "a.lab".to_owned(),
                actors,
                steps,
            };
            write_checked(&checked, "en", &mut out).unwrap();
        }
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "a.lab: ok (2 actors, 6 steps)\na.lab: ok (1 actor, 1 step)\n"
        );
        let mut out = Vec::new();
        let checked = Checked {
            file: "a.lab".to_owned(),
            actors: 2,
            steps: 6,
        };
        write_checked(&checked, "zh", &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "a.lab: ok（2 个角色，6 个步骤）\n"
        );
    }
}
