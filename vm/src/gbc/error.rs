//! [`LoadError`]: why the loader refused a `.gbc` file, and where.
//!
//! `offset` is the byte offset (from the start of the file) of the item that
//! could not be read: the first byte of a truncated field, the bad byte of an
//! invalid UTF-8 sequence, the opcode byte of an unknown instruction, the
//! first trailing byte. `message` says what was wrong and, for items inside
//! tables, where in the module it was ("in instruction 4 in function 1
//! (`main`)").

use std::fmt;

/// A structural error in a `.gbc` file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadError {
    /// Byte offset in the file where the problem was found.
    pub offset: usize,
    /// What was wrong, without the location prefix.
    pub message: String,
}

impl LoadError {
    pub fn new(offset: usize, message: impl Into<String>) -> LoadError {
        LoadError {
            offset,
            message: message.into(),
        }
    }

    /// Appends the place in the module the error was found in, innermost
    /// first: `error.within("instruction 4").within("function 1 (`main`)")`.
    pub(crate) fn within(mut self, place: impl fmt::Display) -> LoadError {
        use fmt::Write;
        // Writing to a String cannot fail.
        let _ = write!(self.message, " in {place}");
        self
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "byte offset {}: error: {}", self.offset, self.message)
    }
}

impl std::error::Error for LoadError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_prefixes_the_offset() {
        let e = LoadError::new(123, "unknown opcode 0xEE")
            .within("instruction 4")
            .within("function 1 (`main`)");
        assert_eq!(
            e.to_string(),
            "byte offset 123: error: unknown opcode 0xEE in instruction 4 in function 1 (`main`)"
        );
    }
}
