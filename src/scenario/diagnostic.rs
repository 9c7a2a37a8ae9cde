//! Errors in a scenario file as values: a position, a message, an optional hint; rendered
//! once, here, as `FILE:LINE:COL: message`, the line, and a caret under the token.

/// One problem in a scenario file (or on the command line, for `--param`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: String,
    /// 1-based; 0 when the problem is not in the file (an undeclared `--param`).
    pub line: u32,
    /// 1-based, in characters.
    pub col: u32,
    /// How many characters the caret underlines (at least 1).
    pub width: u32,
    pub message: String,
    /// "did you mean `recv`?" and the like.
    pub help: Option<String>,
}

impl Diagnostic {
    /// `FILE:LINE:COL: message`, the offending line, a caret line, and the help if any.
    pub fn render(&self, source: &str) -> String {
        todo!("render {source}")
    }
}
