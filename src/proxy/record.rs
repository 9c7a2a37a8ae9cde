//! `--record` and `--replay`: one JSON line per piece.
//!
//! ```text
//! {"conn":1,"dir":"c2s","offset":0,"len":17,"t_us":412,"early":false}
//! ```
//!
//! `conn` numbers the accepted connections from 1, `dir` is `c2s` (client to server) or
//! `s2c`, `offset` and `len` place the piece in that direction's stream, `t_us` is when
//! it was sent (microseconds since the connection was accepted), and `early` says it was
//! flushed before its planned end because the sender went idle for `--hold`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::cutter::{Dir, Piece};
use crate::text::{Said, said};

/// One line of a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Line {
    pub(crate) conn: u64,
    pub(crate) dir: String,
    pub(crate) offset: u64,
    pub(crate) len: usize,
    pub(crate) t_us: u64,
    pub(crate) early: bool,
}

impl Line {
    pub(crate) fn of(conn: u64, dir: Dir, piece: &Piece, t_us: u64) -> Line {
        Line {
            conn,
            dir: dir.name().to_string(),
            offset: piece.offset,
            len: piece.len,
            t_us,
            early: piece.early,
        }
    }

    /// The line as written, without its newline.
    pub(crate) fn to_json(&self) -> String {
        // A struct of numbers, a bool and a plain string always serializes.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// The piece lengths of a record, per connection and direction, in stream order.
pub(crate) type Replay = BTreeMap<(u64, Dir), Vec<usize>>;

/// Reads a record. Each stream's pieces must follow each other (offset 0, then each at
/// the end of the one before), whatever the order the lines of different streams are
/// interleaved in; a gap or overlap is an error naming the line.
pub(crate) fn parse(text: &str) -> Result<Replay, Said> {
    let mut streams: Replay = BTreeMap::new();
    let mut ends: BTreeMap<(u64, Dir), u64> = BTreeMap::new();
    for (i, raw) in text.lines().enumerate() {
        let number = i + 1;
        if raw.trim().is_empty() {
            continue;
        }
        let line: Line = serde_json::from_str(raw).map_err(|e| {
            said!(
                "line {number} is not a piece of a record ({e})",
                "第 {number} 行不是记录中的一段（{e}）"
            )
        })?;
        let dir_name = &line.dir;
        let Some(dir) = Dir::from_name(dir_name) else {
            return Err(said!(
                "line {number}: `dir` is c2s or s2c, not `{dir_name}`",
                "第 {number} 行：`dir` 是 c2s 或 s2c，不是 `{dir_name}`"
            ));
        };
        if line.len == 0 {
            return Err(said!(
                "line {number}: a piece has at least one byte",
                "第 {number} 行：一段至少有一个字节"
            ));
        }
        let end = ends.entry((line.conn, dir)).or_insert(0);
        let (offset, expected) = (line.offset, *end);
        if offset != expected {
            return Err(said!(
                "line {number}: this piece starts at {offset}, the one before it ended at {expected}",
                "第 {number} 行：这一段从 {offset} 开始，而前一段结束于 {expected}"
            ));
        }
        *end += line.len as u64;
        streams.entry((line.conn, dir)).or_default().push(line.len);
    }
    Ok(streams)
}

#[cfg(test)]
mod tests {
    use super::{Line, parse};
    use crate::proxy::cutter::{Dir, Piece};

    #[test]
    fn a_line_reads_back_as_written() {
        let piece = Piece {
            offset: 12,
            len: 5,
            early: true,
        };
        let line = Line::of(3, Dir::S2c, &piece, 1234);
        assert_eq!(
            line.to_json(),
            r#"{"conn":3,"dir":"s2c","offset":12,"len":5,"t_us":1234,"early":true}"#
        );
        let replay =
            parse(&line.to_json().replace("\"offset\":12", "\"offset\":0")).expect("a record");
        assert_eq!(replay.get(&(3, Dir::S2c)), Some(&vec![5]));
    }

    #[test]
    fn interleaved_streams_are_taken_apart() {
        let text = "\
{\"conn\":1,\"dir\":\"c2s\",\"offset\":0,\"len\":4,\"t_us\":1,\"early\":false}
{\"conn\":1,\"dir\":\"s2c\",\"offset\":0,\"len\":9,\"t_us\":2,\"early\":false}

{\"conn\":1,\"dir\":\"c2s\",\"offset\":4,\"len\":2,\"t_us\":3,\"early\":true}
{\"conn\":2,\"dir\":\"c2s\",\"offset\":0,\"len\":7,\"t_us\":4,\"early\":false}
";
        let replay = parse(text).expect("a record");
        assert_eq!(replay.get(&(1, Dir::C2s)), Some(&vec![4, 2]));
        assert_eq!(replay.get(&(1, Dir::S2c)), Some(&vec![9]));
        assert_eq!(replay.get(&(2, Dir::C2s)), Some(&vec![7]));
    }

    #[test]
    fn a_gap_names_its_line() {
        let text = "\
{\"conn\":1,\"dir\":\"c2s\",\"offset\":0,\"len\":4,\"t_us\":1,\"early\":false}
{\"conn\":1,\"dir\":\"c2s\",\"offset\":5,\"len\":2,\"t_us\":3,\"early\":false}
";
        let err = parse(text).expect_err("a gap");
        assert_eq!(
            err.en(),
            "line 2: this piece starts at 5, the one before it ended at 4"
        );
    }

    #[test]
    fn a_wrong_direction_or_empty_piece_is_refused() {
        let bad_dir = r#"{"conn":1,"dir":"up","offset":0,"len":4,"t_us":1,"early":false}"#;
        assert_eq!(
            parse(bad_dir).expect_err("dir").en(),
            "line 1: `dir` is c2s or s2c, not `up`"
        );
        let empty = r#"{"conn":1,"dir":"c2s","offset":0,"len":0,"t_us":1,"early":false}"#;
        assert_eq!(
            parse(empty).expect_err("empty").en(),
            "line 1: a piece has at least one byte"
        );
        assert!(parse("not json").is_err());
    }
}
