//! The constants of the `.gbc` layout shared by the encoder and the loader:
//! the magic number, the format version, tag bytes, the "no class" sentinel,
//! and the smallest encoded size of each table entry (which bounds how many
//! entries the remaining bytes could hold).
//!
//! docs/module-format.md describes the layout these constants belong to; a
//! change to any of them is a format change and must bump [`FORMAT_VERSION`].

/// The first four bytes of every `.gbc` file: `7F 47 42 43` (`\x7fGBC`). The
/// leading 0x7F is not printable ASCII, so a `.gasm` text file never starts
/// with it and the CLI can tell the two apart by content.
pub const MAGIC: [u8; 4] = *b"\x7fGBC";

/// The format version this encoder writes and this loader reads (u16 LE,
/// right after the magic).
pub const FORMAT_VERSION: u16 = 1;

/// Written in place of a class index for "no class": a class without a
/// superclass, or a handler that catches everything (`any`).
pub const NO_CLASS: u32 = u32::MAX;

/// Constant-pool entry tags.
pub(crate) const TAG_INT: u8 = 0;
pub(crate) const TAG_FLOAT: u8 = 1;
pub(crate) const TAG_STR: u8 = 2;

/// Smallest encoded sizes, in bytes. A table whose count times its entry's
/// smallest size exceeds the bytes left is refused before allocation.
const U16: usize = 2;
const U32: usize = 4;
/// A string: its u32 length (the bytes may be empty).
pub(crate) const MIN_STRING: usize = U32;
/// A constant: tag and an empty string.
pub(crate) const MIN_CONSTANT: usize = 1 + MIN_STRING;
/// A class: name, superclass, field count.
pub(crate) const MIN_CLASS: usize = MIN_STRING + U32 + U32;
/// A field or a static: name and type byte.
pub(crate) const MIN_FIELD: usize = MIN_STRING + 1;
pub(crate) const MIN_STATIC: usize = MIN_STRING + 1;
/// A native import: its name.
pub(crate) const MIN_NATIVE: usize = MIN_STRING;
/// A function: name; params, locals; returns_value; max_stack; the counts of
/// local names, instructions, handlers and lines.
pub(crate) const MIN_FUNCTION: usize = MIN_STRING + U16 + U16 + 1 + U16 + 4 * U32;
/// An instruction: its opcode byte.
pub(crate) const MIN_INSTRUCTION: usize = 1;
/// An exception-table entry: start, end, handler, class.
pub(crate) const HANDLER_LEN: usize = 4 * U32;
/// A line-table entry: pc, line.
pub(crate) const LINE_LEN: usize = 2 * U32;

/// Whether `bytes` starts with [`MAGIC`], i.e. looks like a `.gbc` module
/// rather than `.gasm` text.
pub fn is_gbc(bytes: &[u8]) -> bool {
    bytes.starts_with(&MAGIC)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_gbc_looks_at_the_magic_only() {
        assert!(is_gbc(b"\x7fGBC"));
        assert!(is_gbc(b"\x7fGBC\x01\x00rest"));
        assert!(!is_gbc(b"\x7fGB"));
        assert!(!is_gbc(b".func main()\n"));
        assert!(!is_gbc(b""));
    }

    #[test]
    fn docs_agree_with_the_constants() {
        let doc = include_str!("../../../docs/module-format.md");
        let magic: Vec<String> = MAGIC.iter().map(|b| format!("{b:02X}")).collect();
        assert!(doc.contains(&format!("magic: `{}`", magic.join(" "))));
        assert!(doc.contains(&format!("format version, `u16` = `{FORMAT_VERSION}`")));
        assert!(doc.contains(&format!("`0x{NO_CLASS:08X}`")));
        for (entry, size) in [
            ("constant", MIN_CONSTANT),
            ("class", MIN_CLASS),
            ("field, static", MIN_FIELD),
            ("native, local name", MIN_NATIVE),
            ("function", MIN_FUNCTION),
            ("instruction", MIN_INSTRUCTION),
            ("exception handler", HANDLER_LEN),
            ("line entry", LINE_LEN),
        ] {
            assert!(
                doc.contains(&format!("| {entry} | {size}")),
                "docs: smallest size of {entry}"
            );
        }
        assert_eq!((MIN_FIELD, MIN_STRING), (MIN_STATIC, MIN_NATIVE));
    }
}
