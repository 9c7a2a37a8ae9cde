//! The data column: received bytes in the language's string escapes, with a mark
//! wherever one send's bytes end and the next one's begin. Long data is shortened in the
//! middle of each send's run of bytes, never across a boundary mark and never inside an
//! escape sequence.

use crate::record::Provenance;
use crate::text::escape_bytes;
use crate::text::width::str_width;

/// The mark between the bytes of two sends in the data column. U+258F LEFT ONE EIGHTH
/// BLOCK: thin, and not a table border. Data that holds this very character shows it as
/// `\u{258f}` instead, so the mark cannot be mistaken for data.
pub(super) const MARK: char = '▏';
/// Where the middle of a long run of bytes was left out; escaped in data like [`MARK`].
const ELISION: char = '…';
/// The width of the data column when the terminal width is unknown.
/// Characters kept on each side of an elision, at the least.
const MIN_KEEP: usize = 2;
/// Fewer characters than this on each side, and the byte count goes on a line of its own.
const READABLE_KEEP: usize = 4;

/// One piece of the data column that is never split: an escape sequence or a
/// character.
#[derive(Clone)]
pub(super) struct Atom {
    text: String,
    width: usize,
}

/// The data as runs of atoms, one run per send it came from.
pub(super) fn data_runs(data: &[u8], from: &[Provenance]) -> Vec<Vec<Atom>> {
    split_runs(data, from)
        .into_iter()
        .map(|run| atoms(&escape_bytes(run)))
        .collect()
}

/// The data column: lines of at most `budget` columns, a [`MARK`] between the bytes of
/// two sends, and, when that is too long, each send's run shortened in the middle with
/// the total byte count (`len`) at the end. Every mark stays; if the marks alone do not
/// fit on one line, the text is wrapped between atoms.
pub(super) fn data_cell(runs: &[Vec<Atom>], len: usize, budget: usize) -> String {
    let (full, _) = layout(runs, None);
    if width(&full) <= budget {
        return wrap_atoms(&full, None, budget);
    }
    let suffix = format!(" ({len} bytes)");
    let longest = runs.iter().map(Vec::len).max().unwrap_or(0);
    // The most atoms on each side of each elision such that the shortened text fits in
    // `room`: first with the count on the same line, else with the count below it.
    // The width grows with the atoms kept, so the most that fit is found by bisection.
    let fits = |k: usize, room: usize| width(&layout(runs, Some(k)).0) <= room;
    let keep = |room: usize| {
        let hi = longest.min(budget).max(MIN_KEEP);
        if !fits(MIN_KEEP, room) {
            return None;
        }
        let (mut lo, mut hi) = (MIN_KEEP, hi);
        // `lo` fits; find the largest that does.
        while lo < hi {
            let mid = lo + (hi - lo).div_ceil(2);
            if fits(mid, room) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        Some(lo)
    };
    let one_line = keep(budget.saturating_sub(suffix.len()));
    let k = match one_line {
        Some(k) if k >= READABLE_KEEP => k,
        _ => keep(budget).or(one_line).unwrap_or(MIN_KEEP),
    };
    match layout(runs, Some(k)) {
        // `abcd…wxyz (3000 bytes)`, or the count on a line of its own.
        (atoms, true) => wrap_atoms(&atoms, Some(&suffix), budget),
        // Only marks and short runs: nothing to leave out, so it is wrapped instead.
        (atoms, false) => wrap_atoms(&atoms, None, budget),
    }
}

/// The data cut where the provenance says one send's bytes end; bytes the provenance
/// does not account for stay with the last run.
fn split_runs<'a>(data: &'a [u8], from: &[Provenance]) -> Vec<&'a [u8]> {
    let mut runs = Vec::new();
    let mut rest = data;
    for p in from {
        let len = usize::try_from(p.bytes.1.saturating_sub(p.bytes.0)).unwrap_or(usize::MAX);
        if len >= rest.len() {
            break;
        }
        if len == 0 {
            continue;
        }
        let (run, tail) = rest.split_at(len);
        runs.push(run);
        rest = tail;
    }
    runs.push(rest);
    runs
}

/// The data as escaped text, one piece per send it came from (`None` past the known
/// provenance), for formats that colour each send's bytes.
pub(in crate::report) fn escaped_runs(
    data: &[u8],
    from: &[Provenance],
) -> Vec<(Option<u64>, String)> {
    let mut runs = Vec::new();
    let mut rest = data;
    for p in from {
        let len = usize::try_from(p.bytes.1.saturating_sub(p.bytes.0)).unwrap_or(usize::MAX);
        if len == 0 {
            continue;
        }
        let (run, tail) = rest.split_at(len.min(rest.len()));
        runs.push((Some(p.send), escape_bytes(run)));
        rest = tail;
        if rest.is_empty() {
            return runs;
        }
    }
    if !rest.is_empty() || runs.is_empty() {
        runs.push((None, escape_bytes(rest)));
    }
    runs
}

/// Splits escaped text into atoms: `\xHH`, a two-character escape, or one character.
/// [`MARK`] and [`ELISION`] in the data become `\u{...}` so that they stay ours.
fn atoms(escaped: &str) -> Vec<Atom> {
    let mut atoms = Vec::new();
    let mut chars = escaped.chars();
    while let Some(c) = chars.next() {
        let text = match c {
            '\\' => {
                let mut text = String::from('\\');
                if let Some(next) = chars.next() {
                    text.push(next);
                    if next == 'x' {
                        text.extend(chars.by_ref().take(2));
                    }
                }
                text
            }
            MARK | ELISION => format!("\\u{{{:x}}}", u32::from(c)),
            c => c.to_string(),
        };
        let width = str_width(&text);
        atoms.push(Atom { text, width });
    }
    atoms
}

/// The runs joined by marks; with `keep`, each run longer than `2 * keep + 1` atoms is
/// shortened to its first and last `keep` atoms around an elision. Also says whether
/// anything was left out.
pub(super) fn layout(runs: &[Vec<Atom>], keep: Option<usize>) -> (Vec<Atom>, bool) {
    let mut out = Vec::new();
    let mut elided = false;
    for (i, run) in runs.iter().enumerate() {
        if i > 0 {
            out.push(Atom {
                text: MARK.to_string(),
                width: 1,
            });
        }
        match keep {
            Some(k) if run.len() > 2 * k + 1 => {
                elided = true;
                out.extend(run[..k].iter().cloned());
                out.push(Atom {
                    text: ELISION.to_string(),
                    width: 1,
                });
                out.extend(run[run.len() - k..].iter().cloned());
            }
            _ => out.extend(run.iter().cloned()),
        }
    }
    (out, elided)
}

pub(super) fn width(atoms: &[Atom]) -> usize {
    atoms.iter().map(|a| a.width).sum()
}

/// Lines of at most `budget` columns, broken between atoms; the suffix goes on the last
/// line if it fits there, else on a line of its own.
fn wrap_atoms(atoms: &[Atom], suffix: Option<&str>, budget: usize) -> String {
    let mut lines = vec![String::new()];
    let mut line_width = 0;
    for atom in atoms {
        if line_width + atom.width > budget && line_width > 0 {
            lines.push(String::new());
            line_width = 0;
        }
        if let Some(line) = lines.last_mut() {
            line.push_str(&atom.text);
        }
        line_width += atom.width;
    }
    if let Some(suffix) = suffix {
        if line_width + suffix.len() > budget {
            lines.push(suffix.trim_start().to_owned());
        } else if let Some(line) = lines.last_mut() {
            line.push_str(suffix);
        }
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::{data_cell, data_runs};
    use crate::record::Provenance;
    use crate::text::width::str_width;

    /// Checks that the data column holds whole escapes only, and gives the marks.
    fn marks_of(cell: &str) -> usize {
        let mut chars = cell.chars().filter(|&c| c != '\n');
        while let Some(c) = chars.next() {
            if c == '\\' {
                match chars.next() {
                    Some('x') => {
                        let hex: String = chars.by_ref().take(2).collect();
                        assert!(
                            hex.len() == 2 && hex.chars().all(|h| h.is_ascii_hexdigit()),
                            "{cell}"
                        );
                    }
                    Some('n' | 'r' | 't' | '0' | '\\' | '"') => {}
                    Some('u') => assert_eq!(chars.next(), Some('{'), "{cell}"),
                    other => panic!("broken escape \\{other:?} in {cell}"),
                }
            }
        }
        cell.matches('▏').count()
    }

    fn sends(sizes: &[u64]) -> Vec<Provenance> {
        sizes
            .iter()
            .enumerate()
            .map(|(i, &n)| Provenance {
                send: i as u64 + 1,
                bytes: (0, n),
            })
            .collect()
    }

    #[test]
    fn shortening_keeps_every_mark_and_every_escape_whole() {
        let data: Vec<u8> = (0..3000u32).map(|i| (i % 7) as u8).collect();
        let from = sends(&[1000, 1, 999, 1000]);
        for budget in [16, 24, 40, 60] {
            let cell = data_cell(&data_runs(&data, &from), data.len(), budget);
            assert_eq!(marks_of(&cell), 3, "{cell}");
            assert!(
                cell.ends_with(" (3000 bytes)") || cell.ends_with("\n(3000 bytes)"),
                "{cell}"
            );
            for line in cell.lines() {
                assert!(str_width(line) <= budget, "{line} > {budget}");
            }
        }
        // Runs of 1000, 1, 999 and 1000 bytes: the marks alone take more than a line.
        assert_eq!(
            data_cell(&data_runs(&data, &from), data.len(), 40),
            "\\0\\x01…\\x04\\x05▏\\x06▏\\0\\x01…\\x03\\x04▏\n\\x05\\x06…\\x02\\x03 (3000 bytes)"
        );
        // One run that fits with its count on the line below.
        let data = b"abcdefghijklmnopqrstuvwxyz".repeat(10);
        assert_eq!(
            data_cell(&data_runs(&data, &[]), data.len(), 17),
            "abcdefgh…stuvwxyz\n(260 bytes)"
        );
        // And on the same line when there is room.
        assert_eq!(
            data_cell(&data_runs(&data, &[]), data.len(), 30),
            "abcdefgh…stuvwxyz (260 bytes)"
        );
    }

    #[test]
    fn many_small_sends_wrap_instead_of_losing_marks() {
        let data = b"ab".repeat(40);
        let cell = data_cell(&data_runs(&data, &sends(&[2; 40])), data.len(), 30);
        assert_eq!(marks_of(&cell), 39);
        assert_eq!(cell.replace(['▏', '\n'], ""), "ab".repeat(40));
        assert!(cell.lines().all(|l| str_width(l) <= 30), "{cell}");
    }

    #[test]
    fn the_mark_and_the_ellipsis_in_data_are_escaped() {
        let data = "a▏b…c".as_bytes();
        assert_eq!(
            data_cell(&data_runs(data, &[]), data.len(), 40),
            r"a\u{258f}b\u{2026}c"
        );
    }
}
