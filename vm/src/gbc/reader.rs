//! [`Reader`]: a bounds-checked cursor over the bytes of a `.gbc` file, for
//! the loader. The mirror image of `writer.rs`.
//!
//! Invariants:
//! - No method panics or reads past the end: every read checks the bytes left
//!   first and reports "unexpected end of file while reading <what>" at the
//!   offset where the item starts.
//! - Nothing is allocated from an untrusted length before that length is
//!   checked against the bytes left: [`Reader::string`] allocates at most the
//!   bytes it consumes, and [`Reader::count`] refuses a table count that the
//!   rest of the file could not hold even with the smallest entries.

use super::error::LoadError;
use crate::isa::ValueType;

/// A cursor over a `.gbc` file.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    /// Offset of the next unread byte; always `<= bytes.len()`.
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes, pos: 0 }
    }

    /// Offset of the next unread byte.
    pub fn offset(&self) -> usize {
        self.pos
    }

    /// Number of bytes not read yet.
    pub fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    /// The next `n` bytes.
    pub fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], LoadError> {
        if n > self.remaining() {
            return Err(LoadError::new(
                self.pos,
                format!(
                    "unexpected end of file while reading {what} (needs {n} bytes, {} left)",
                    self.remaining()
                ),
            ));
        }
        let taken = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(taken)
    }

    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], LoadError> {
        let mut array = [0u8; N];
        array.copy_from_slice(self.take(N, what)?);
        Ok(array)
    }

    pub fn u8(&mut self, what: &str) -> Result<u8, LoadError> {
        Ok(self.array::<1>(what)?[0])
    }

    pub fn u16(&mut self, what: &str) -> Result<u16, LoadError> {
        self.array(what).map(u16::from_le_bytes)
    }

    pub fn i16(&mut self, what: &str) -> Result<i16, LoadError> {
        self.array(what).map(i16::from_le_bytes)
    }

    pub fn u32(&mut self, what: &str) -> Result<u32, LoadError> {
        self.array(what).map(u32::from_le_bytes)
    }

    pub fn i32(&mut self, what: &str) -> Result<i32, LoadError> {
        self.array(what).map(i32::from_le_bytes)
    }

    pub fn u64(&mut self, what: &str) -> Result<u64, LoadError> {
        self.array(what).map(u64::from_le_bytes)
    }

    pub fn i64(&mut self, what: &str) -> Result<i64, LoadError> {
        self.array(what).map(i64::from_le_bytes)
    }

    /// A bool byte: 0 or 1.
    pub fn bool(&mut self, what: &str) -> Result<bool, LoadError> {
        let at = self.pos;
        match self.u8(what)? {
            0 => Ok(false),
            1 => Ok(true),
            b => Err(LoadError::new(
                at,
                format!("invalid bool byte {b} in {what} (must be 0 or 1)"),
            )),
        }
    }

    /// A type byte: 0 int, 1 float, 2 ref.
    pub fn value_type(&mut self, what: &str) -> Result<ValueType, LoadError> {
        let at = self.pos;
        let b = self.u8(what)?;
        ValueType::from_u8(b).ok_or_else(|| {
            LoadError::new(
                at,
                format!("invalid type byte {b} in {what} (must be 0 int, 1 float or 2 ref)"),
            )
        })
    }

    /// A string: u32 byte length, then that many bytes of UTF-8.
    pub fn string(&mut self, what: &str) -> Result<String, LoadError> {
        let len = self.u32(what)?;
        // `take` checks `len` against the bytes left before anything is
        // allocated, and the allocation below is exactly the bytes taken.
        let start = self.pos;
        let bytes = self.take(len as usize, what)?;
        match std::str::from_utf8(bytes) {
            Ok(s) => Ok(s.to_owned()),
            Err(e) => Err(LoadError::new(
                start + e.valid_up_to(),
                format!("invalid UTF-8 in {what}"),
            )),
        }
    }

    /// A table's u32 entry count, refused if the bytes left could not hold
    /// that many entries of at least `min_entry_len` bytes each (a truncated
    /// file or a corrupt count). `what` names the entries ("constants").
    pub fn count(&mut self, what: &str, min_entry_len: usize) -> Result<usize, LoadError> {
        let at = self.pos;
        let n = self.u32(&format!("the number of {what}"))?;
        let left = self.remaining();
        if u64::from(n) * min_entry_len as u64 > left as u64 {
            return Err(LoadError::new(
                at,
                format!(
                    "unexpected end of file while reading the {what}: their count is {n} but the {left} bytes left could hold at most {}",
                    left / min_entry_len.max(1)
                ),
            ));
        }
        Ok(n as usize)
    }

    /// Succeeds if every byte has been read.
    pub fn finish(&self) -> Result<(), LoadError> {
        match self.remaining() {
            0 => Ok(()),
            n => Err(LoadError::new(
                self.pos,
                format!("{n} trailing bytes after the last section"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_little_endian_and_stops_at_the_end() {
        let mut r = Reader::new(&[0x34, 0x12, 0xFF]);
        assert_eq!(r.u16("x").unwrap(), 0x1234);
        let e = r.u16("the answer").unwrap_err();
        assert_eq!(e.offset, 2);
        assert_eq!(
            e.message,
            "unexpected end of file while reading the answer (needs 2 bytes, 1 left)"
        );
        assert_eq!(r.u8("y").unwrap(), 0xFF);
        assert!(r.finish().is_ok());
    }

    #[test]
    fn strings_are_checked_for_length_and_utf8() {
        let mut r = Reader::new(&[2, 0, 0, 0, b'h', b'i']);
        assert_eq!(r.string("s").unwrap(), "hi");

        let mut r = Reader::new(&[0xFF, 0xFF, 0xFF, 0xFF, b'h']);
        assert_eq!(r.string("a name").unwrap_err().offset, 4);

        let mut r = Reader::new(&[3, 0, 0, 0, b'a', 0xC3, 0x28]);
        let e = r.string("a name").unwrap_err();
        assert_eq!(
            (e.offset, e.message.as_str()),
            (5, "invalid UTF-8 in a name")
        );
    }

    #[test]
    fn counts_are_checked_against_the_bytes_left() {
        let mut r = Reader::new(&[2, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(r.count("lines", 4).unwrap(), 2);
        let mut r = Reader::new(&[3, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8]);
        let e = r.count("lines", 4).unwrap_err();
        assert_eq!(e.offset, 0);
        assert_eq!(
            e.message,
            "unexpected end of file while reading the lines: their count is 3 but the 8 bytes left could hold at most 2"
        );
    }

    #[test]
    fn bool_and_type_bytes_are_checked() {
        let mut r = Reader::new(&[1, 2, 2, 3]);
        assert!(r.bool("b").unwrap());
        assert_eq!(r.bool("b").unwrap_err().offset, 1);
        assert_eq!(r.value_type("t").unwrap(), ValueType::Ref);
        let e = r.value_type("a field type").unwrap_err();
        assert_eq!(e.offset, 3);
        assert!(e.message.starts_with("invalid type byte 3 in a field type"));
    }
}
