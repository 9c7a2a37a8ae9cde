//! Which columns each table of the report has, which of them give way on a narrow
//! terminal, and how the table is laid out with comfy-table.

use comfy_table::{Attribute, Cell, CellAlignment, Color, ColumnConstraint, ContentArrangement};

use crate::report::ReportOptions;
use crate::report::shared::styled;
use crate::report::words::say;
use crate::text::width::str_width;

/// The width of the data column when the terminal width is unknown.
pub(super) const DATA_WIDTH: usize = 40;
/// The data column is never narrower than this, even on a narrow terminal.
const MIN_DATA_WIDTH: usize = 16;
/// The data column's width on a terminal too narrow for [`DATA_WIDTH`].
const NARROW_DATA_WIDTH: usize = 24;
/// Columns that give way at this rank or lower go only after the long notes have been
/// made to wrap: the time and the queue sizes go first, the duration stays longer.
const WRAP_BEFORE_DROP: u8 = 5;

/// A column: its header, whether it holds numbers (aligned right), and when it gives
/// way on a narrow terminal (0: never; the highest goes first).
#[derive(Debug, Clone, Copy)]
pub(super) struct Col {
    pub(super) header: &'static str,
    right: bool,
    drop: u8,
    /// Text wider than this wraps in the cell rather than widening the table (0: the
    /// column is as wide as its widest cell).
    wraps_at: usize,
}

const fn col(header: &'static str, right: bool, drop: u8) -> Col {
    Col {
        header,
        right,
        drop,
        wraps_at: 0,
    }
}

/// A text column that wraps past `width` columns, so a long note does not push the
/// lesson's columns off a narrow screen.
const fn wrapping(header: &'static str, right: bool, width: usize) -> Col {
    Col {
        header,
        right,
        drop: 0,
        wraps_at: width,
    }
}

/// The timeline's columns. On a narrow terminal the time goes first, then the queue
/// sizes, the line number, the duration and the connection; the lesson (the step, what it got, the data
/// with its boundaries, where the bytes came from) stays.
pub(super) const TIMELINE_COLS: [Col; 12] = [
    col("#", true, 0),
    col("t ms", true, 8),
    col("took", true, 4),
    col("conn", false, 3),
    col("actor", false, 0),
    col("line", true, 5),
    wrapping("call", false, 24),
    col("queued\nbefore", true, 6),
    wrapping("got", true, 20),
    col("data", false, 0),
    wrapping("from / note", false, 28),
    col("queued\nafter", true, 7),
];
/// Where the connection column is in [`TIMELINE_COLS`] (shown only when a run has more
/// than one connection).
pub(super) const TIMELINE_CONN: usize = 3;

pub(super) const EXPECT_COLS: [Col; 5] = [
    col("", false, 0),
    col("line", true, 0),
    col("actor", false, 0),
    col("expected", false, 0),
    col("observed", false, 0),
];

pub(super) const TIMER_COLS: [Col; 7] = [
    col("timer", false, 0),
    col("count", true, 0),
    col("min", true, 0),
    col("p50", true, 0),
    col("p90", true, 0),
    col("p99", true, 0),
    col("max", true, 0),
];

/// Which columns to show in `width`, and how wide the flexible column (`flex`: its
/// index and the width it would like) may be. Without a width every column is shown.
/// Columns give way, by their `drop` rank, until the others and the flexible one fit.
pub(super) fn fit(
    cols: &[Col],
    rows: &[Vec<String>],
    flex: Option<(usize, usize)>,
    options: &ReportOptions,
) -> (Vec<usize>, usize) {
    let (width, lang) = (options.width, options.lang.as_str());
    let mut shown: Vec<usize> = (0..cols.len()).collect();
    let Some(width) = width.map(usize::from) else {
        return (shown, DATA_WIDTH);
    };
    let mut natural: Vec<usize> = (0..cols.len())
        .map(|i| {
            let cells = rows.iter().flat_map(|row| row[i].lines());
            say(lang, cols[i].header)
                .lines()
                .chain(cells)
                .map(str_width)
                .max()
                .unwrap_or(0)
                .max(1)
        })
        .collect();
    // Each column has one space of padding on either side and a border on its left;
    // the table has one more border on the right.
    let fixed = |shown: &[usize], natural: &[usize]| {
        shown
            .iter()
            .filter(|&&i| flex.is_none_or(|(f, _)| f != i))
            .map(|&i| natural[i] + 3)
            .sum::<usize>()
            + 1
            + 3 * usize::from(flex.is_some())
    };
    let mut wanted = flex.map_or(0, |(_, w)| w);
    while fixed(&shown, &natural) + wanted > width {
        let victim = shown
            .iter()
            .enumerate()
            .filter(|&(_, &i)| cols[i].drop > 0)
            .max_by_key(|&(_, &i)| cols[i].drop)
            .map(|(pos, &i)| (pos, cols[i].drop));
        // Before a column that matters goes, long notes wrap in their cells.
        let too_wide = shown
            .iter()
            .copied()
            .filter(|&i| cols[i].wraps_at > 0 && natural[i] > cols[i].wraps_at)
            .collect::<Vec<_>>();
        match victim {
            Some((_, rank)) if rank <= WRAP_BEFORE_DROP && !too_wide.is_empty() => {
                for i in too_wide {
                    natural[i] = cols[i].wraps_at;
                }
            }
            // Then long data is shown shorter.
            Some((_, rank)) if rank <= WRAP_BEFORE_DROP && wanted > NARROW_DATA_WIDTH => {
                wanted = NARROW_DATA_WIDTH;
            }
            Some((pos, _)) => {
                shown.remove(pos);
            }
            None if !too_wide.is_empty() => {
                for i in too_wide {
                    natural[i] = cols[i].wraps_at;
                }
            }
            None => break,
        }
    }
    let budget = width
        .saturating_sub(fixed(&shown, &natural))
        .max(MIN_DATA_WIDTH);
    (shown, budget)
}

/// The table of the shown columns, in the report's style. The `fixed` column (the data)
/// is laid out by this module and kept as it is; comfy-table may wrap the others.
pub(super) fn build(
    cols: &[Col],
    shown: &[usize],
    fixed: Option<usize>,
    rows: Vec<Vec<String>>,
    options: &ReportOptions,
) -> comfy_table::Table {
    let mut table = styled(options);
    table.set_header(shown.iter().map(|&i| {
        let cell = Cell::new(say(&options.lang, cols[i].header));
        if options.color {
            cell.add_attribute(Attribute::Bold)
        } else {
            cell
        }
    }));
    for mut row in rows {
        table.add_row(shown.iter().map(|&i| {
            let text = std::mem::take(&mut row[i]);
            // A call that waited a millisecond or more (its time is not in µs) is
            // what a class should look at: Nagle's 40 ms, a recv that blocked.
            let waited = cols[i].header == "took" && !text.is_empty() && !text.ends_with("µs");
            if options.color && waited {
                Cell::new(text)
                    .fg(Color::Yellow)
                    .add_attribute(Attribute::Bold)
            } else {
                Cell::new(text)
            }
        }));
    }
    for (j, &i) in shown.iter().enumerate() {
        if let Some(column) = table.column_mut(j) {
            if cols[i].right {
                column.set_cell_alignment(CellAlignment::Right);
            }
            if fixed == Some(i) {
                column.set_constraint(ColumnConstraint::ContentWidth);
            }
        }
    }
    if let Some(width) = options.width {
        // A safety net for what `fit` cannot shorten (a very long call): wrap it.
        table.set_width(width);
        table.set_content_arrangement(ContentArrangement::Dynamic);
    }
    table
}

/// A table whose columns are all plain text.
pub(super) fn grid(
    cols: &[Col],
    rows: Vec<Vec<String>>,
    options: &ReportOptions,
) -> comfy_table::Table {
    let (shown, _) = fit(cols, &rows, None, options);
    build(cols, &shown, None, rows, options)
}
