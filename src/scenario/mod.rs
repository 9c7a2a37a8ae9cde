//! Text -> [`Scenario`]: the lexer turns a file into tokens with spans, the parser turns
//! tokens into the checked model of `ast.rs`, and every problem becomes a [`Diagnostic`]
//! that points at a file, line and column.

pub mod ast;
pub mod diagnostic;

pub(crate) mod lexer;
pub mod limits;
pub(crate) mod parser;
#[cfg(test)]
mod props;
#[cfg(test)]
mod round_trip;
pub(crate) mod value;
pub(crate) mod vocab;

pub use ast::Scenario;
pub use diagnostic::{Diagnostic, Said};
pub use limits::{DEFAULT_RUN_LIMIT, check_run_limit};
pub(crate) use parser::is_actor_name;

use std::time::Duration;

use ast::Item;
use limits::MAX_SOURCE_BYTES;

/// Parses and checks a scenario file.
///
/// `file` is the path shown in diagnostics and records; `name` the scenario's name (the
/// file stem); `overrides` the `--param NAME=VALUE` pairs of the command line. Nothing is
/// run: a file with any error gives back its diagnostics in file order, at most
/// [`diagnostic::MAX_SHOWN`] of them and then one that says how many more there were.
pub fn parse(
    file: &str,
    name: &str,
    source: &str,
    overrides: &[(String, String)],
) -> Result<Scenario, Vec<Diagnostic>> {
    if source.len() > MAX_SOURCE_BYTES {
        return Err(vec![too_big(file, source.as_bytes())]);
    }
    let scenario = parser::parse(file, name, source, overrides)?;
    if !has_steps(&scenario.body) {
        return Err(vec![no_steps(file, source)]);
    }
    let problems = limits::check(file, &scenario);
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(scenario)
}

/// [`parse_bytes`], then [`check_run_limit`]: what `check` and `run` accept, for a run
/// limit of `run_limit` ([`DEFAULT_RUN_LIMIT`] unless the command line says otherwise).
pub fn parse_for_run(
    file: &str,
    name: &str,
    bytes: &[u8],
    overrides: &[(String, String)],
    run_limit: Duration,
) -> Result<Scenario, Vec<Diagnostic>> {
    let scenario = parse_bytes(file, name, bytes, overrides)?;
    match check_run_limit(file, &scenario, run_limit) {
        Some(problem) => Err(vec![problem]),
        None => Ok(scenario),
    }
}

/// [`parse`] for a file's raw bytes: text that is not UTF-8 is reported at the line and
/// column of the first bad byte (the column counts the characters before it, plus one).
pub fn parse_bytes(
    file: &str,
    name: &str,
    bytes: &[u8],
    overrides: &[(String, String)],
) -> Result<Scenario, Vec<Diagnostic>> {
    if bytes.len() > MAX_SOURCE_BYTES {
        return Err(vec![too_big(file, bytes)]);
    }
    match std::str::from_utf8(bytes) {
        Ok(source) => parse(file, name, source, overrides),
        Err(e) => {
            let valid = &bytes[..e.valid_up_to()];
            let (line, col) = position(valid);
            Err(vec![Diagnostic {
                file: file.to_string(),
                line,
                col,
                width: 1,
                message: Said::both(
                    format!(
                        "this file is not UTF-8 text: byte 0x{:02x} cannot start or continue a character here",
                        bytes[e.valid_up_to()]
                    ),
                    format!(
                        "这个文件不是 UTF-8 文本：字节 0x{:02x} 在这里既不能开始也不能延续一个字符",
                        bytes[e.valid_up_to()]
                    ),
                ),
                help: Some(Said::both(
                    "save the file as UTF-8; write other bytes with `\\xHH` in a string or with `hex \"...\"`",
                    "把文件存成 UTF-8；其他字节在字符串里写成 `\\xHH`，或者用 `hex \"...\"`",
                )),
            }])
        }
    }
}

/// The line and column (in characters) just after `prefix`, which is valid UTF-8.
fn position(prefix: &[u8]) -> (u32, u32) {
    let line_start = prefix
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let line = prefix.iter().filter(|&&b| b == b'\n').count() + 1;
    let col = std::str::from_utf8(&prefix[line_start..]).map_or(0, |s| s.chars().count()) + 1;
    (
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(col).unwrap_or(u32::MAX),
    )
}

fn too_big(file: &str, bytes: &[u8]) -> Diagnostic {
    // Where the limit is crossed, on a character boundary.
    let mut cut = MAX_SOURCE_BYTES.min(bytes.len());
    while cut > 0 && bytes.get(cut).is_some_and(|&b| (b & 0xc0) == 0x80) {
        cut -= 1;
    }
    let (line, col) = position(&bytes[..cut]);
    Diagnostic {
        file: file.to_string(),
        line,
        col,
        width: 1,
        message: Said::both(
            format!(
                "this file is {} bytes long; a scenario may be at most {MAX_SOURCE_BYTES} bytes ({} MiB)",
                bytes.len(),
                MAX_SOURCE_BYTES / (1024 * 1024)
            ),
            format!(
                "这个文件长 {} 字节；一个场景最多 {MAX_SOURCE_BYTES} 字节（{} MiB）",
                bytes.len(),
                MAX_SOURCE_BYTES / (1024 * 1024)
            ),
        ),
        help: Some(Said::both(
            "a scenario is a script for people; generate long data with `bytes N` or `* N`",
            "场景是写给人看的脚本；长数据用 `bytes N` 或 `* N` 生成",
        )),
    }
}

fn has_steps(items: &[Item]) -> bool {
    items.iter().any(|item| match item {
        Item::Step(_) => true,
        Item::Repeat(block) => has_steps(&block.body),
    })
}

/// A file without a step runs nothing: say so where a step would go (1:1 of an empty
/// file, or just past its last line).
fn no_steps(file: &str, source: &str) -> Diagnostic {
    let (line, col, message) = if source.trim().is_empty() {
        (
            1,
            1,
            Said::both(
                "this file is empty: a scenario needs at least one step",
                "这个文件是空的：一个场景至少需要一个步骤",
            ),
        )
    } else {
        let trimmed = source.trim_end();
        let (line, _) = position(trimmed.as_bytes());
        (
            line.saturating_add(1),
            1,
            Said::both(
                "this scenario has no steps: nothing would run",
                "这个场景没有步骤：什么也不会运行",
            ),
        )
    };
    Diagnostic {
        file: file.to_string(),
        line,
        col,
        width: 1,
        message,
        help: Some(Said::both(
            "a step is a line `ACTOR: VERB ...`, like `server: listen`, `client: connect`, \
             `client: send \"hi\"`",
            "步骤是一行 `ACTOR: VERB ...`，比如 `server: listen`、`client: connect`、\
             `client: send \"hi\"`",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::{parse, parse_bytes};

    fn first(result: Result<super::Scenario, Vec<super::Diagnostic>>) -> String {
        match result {
            Ok(_) => panic!("no error"),
            Err(ds) => ds.first().map(|d| d.render("")).unwrap_or_default(),
        }
    }

    #[test]
    fn a_bad_byte_is_located_by_line_and_character_column() {
        let bytes = b"server: listen\nclient: send \"\xc3\xa9t\xc3\xa9 \xff\"\n";
        let text = first(parse_bytes("t.lab", "t", bytes, &[]));
        assert!(
            text.starts_with("t.lab:2:19: this file is not UTF-8 text: byte 0xff"),
            "{text}"
        );
        // A truncated character at the very end.
        let text = first(parse_bytes("t.lab", "t", b"a: mark x\n\xe4\xb8", &[]));
        assert!(text.starts_with("t.lab:2:1: "), "{text}");
        assert!(parse_bytes("t.lab", "t", "a: mark 中\n".as_bytes(), &[]).is_ok());
    }

    #[test]
    fn a_file_without_steps_says_what_a_scenario_needs() {
        let text = first(parse("t.lab", "t", "", &[]));
        assert!(text.starts_with("t.lab:1:1: this file is empty"), "{text}");
        assert!(
            text.contains("help: a step is a line `ACTOR: VERB ...`"),
            "{text}"
        );
        let text = first(parse("t.lab", "t", "title: T\n\n# end\n\n", &[]));
        assert!(
            text.starts_with("t.lab:4:1: this scenario has no steps"),
            "{text}"
        );
        let text = first(parse("t.lab", "t", "repeat 3 {\n}\n", &[]));
        assert!(text.contains("no steps"), "{text}");
    }
}
