//! Assembly errors: what went wrong and exactly where in the source.
//!
//! The lexer, parser and assembler report a [`Diagnostic`] (a 1-based line
//! and column plus a message); [`AsmError::from_diagnostic`] adds the file
//! name and the offending source line once, at the top of `assemble`.
//!
//! Invariants:
//! - `line` and `col` are 1-based; `col` counts characters (not bytes), so a
//!   caret under a column never splits a multibyte UTF-8 character.
//! - `source_line` is the text of line `line` without its line terminator
//!   (empty if the line does not exist, e.g. an error at the end of input).

use std::fmt;

/// A 1-based position in the source: line and column (in characters).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
}

impl Pos {
    pub fn new(line: u32, col: u32) -> Pos {
        Pos { line, col }
    }
}

/// An error found while assembling, before the file name and source line
/// are attached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub pos: Pos,
    pub message: String,
}

impl Diagnostic {
    pub fn new(pos: Pos, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            pos,
            message: message.into(),
        }
    }
}

/// Shorthand for the internal result type of the assembler's stages.
pub type AsmResult<T> = Result<T, Diagnostic>;

/// An assembly error, with its location and the offending source line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AsmError {
    pub file: String,
    /// 1-based line number.
    pub line: u32,
    /// 1-based column, counted in characters.
    pub col: u32,
    pub message: String,
    /// The text of the offending line (without its line terminator).
    pub source_line: String,
}

impl AsmError {
    /// Attaches the file name and the offending line of `source` to `d`.
    pub fn from_diagnostic(d: Diagnostic, file: &str, source: &str) -> AsmError {
        let source_line = source_line(source, d.pos.line);
        AsmError {
            file: file.to_string(),
            line: d.pos.line,
            col: d.pos.col,
            message: d.message,
            source_line,
        }
    }
}

/// Line `line` (1-based) of `source`, without `\n` or a trailing `\r`.
fn source_line(source: &str, line: u32) -> String {
    let index = (line as usize).saturating_sub(1);
    source
        .split('\n')
        .nth(index)
        .map(|l| l.strip_suffix('\r').unwrap_or(l).to_string())
        .unwrap_or_default()
}

impl fmt::Display for AsmError {
    /// `file:line:col: error: message`, then the source line and a caret
    /// under the column (tabs before the column are kept, so the caret lines
    /// up in a terminal).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{}:{}:{}: error: {}",
            self.file, self.line, self.col, self.message
        )?;
        writeln!(f, "{}", self.source_line)?;
        let before = (self.col as usize).saturating_sub(1);
        let mut padding: String = self
            .source_line
            .chars()
            .take(before)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        // A column past the end of the line (e.g. "expected an operand") still
        // gets its caret.
        let short = before.saturating_sub(padding.chars().count());
        padding.extend(std::iter::repeat_n(' ', short));
        write!(f, "{padding}^")
    }
}

impl std::error::Error for AsmError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_points_a_caret_at_the_column() {
        let src = "a\n\tldc \"é\" x\n";
        let e = AsmError::from_diagnostic(Diagnostic::new(Pos::new(2, 10), "boom"), "f.gasm", src);
        assert_eq!(e.source_line, "\tldc \"é\" x");
        assert_eq!(
            e.to_string(),
            "f.gasm:2:10: error: boom\n\tldc \"é\" x\n\t        ^"
        );
    }

    #[test]
    fn display_survives_positions_past_the_end() {
        let e = AsmError::from_diagnostic(Diagnostic::new(Pos::new(9, 3), "eof"), "f", "x\r\n");
        assert_eq!(e.source_line, "");
        assert_eq!(e.to_string(), "f:9:3: error: eof\n\n  ^");
        let e = AsmError::from_diagnostic(Diagnostic::new(Pos::new(1, 0), "zero"), "f", "x\r\n");
        assert_eq!(e.source_line, "x");
        assert_eq!(e.to_string(), "f:1:0: error: zero\nx\n^");
    }
}
