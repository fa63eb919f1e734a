//! [`Writer`]: appends little-endian integers and length-prefixed strings to
//! a byte vector, for the encoder. The mirror image of `reader.rs`.
//!
//! Lengths and counts are written as u32. A string or table longer than
//! `u32::MAX` cannot be encoded; no module from the assembler or the loader
//! comes near that, so the writer treats it as a bug and panics.

/// A growing `.gbc` byte buffer.
pub(crate) struct Writer {
    bytes: Vec<u8>,
}

impl Writer {
    pub fn new() -> Writer {
        Writer { bytes: Vec::new() }
    }

    pub fn finish(self) -> Vec<u8> {
        self.bytes
    }

    pub fn raw(&mut self, bytes: &[u8]) {
        self.bytes.extend_from_slice(bytes);
    }

    pub fn u8(&mut self, v: u8) {
        self.bytes.push(v);
    }

    pub fn bool(&mut self, v: bool) {
        self.u8(u8::from(v));
    }

    pub fn u16(&mut self, v: u16) {
        self.raw(&v.to_le_bytes());
    }

    pub fn i16(&mut self, v: i16) {
        self.raw(&v.to_le_bytes());
    }

    pub fn u32(&mut self, v: u32) {
        self.raw(&v.to_le_bytes());
    }

    pub fn i32(&mut self, v: i32) {
        self.raw(&v.to_le_bytes());
    }

    pub fn u64(&mut self, v: u64) {
        self.raw(&v.to_le_bytes());
    }

    pub fn i64(&mut self, v: i64) {
        self.raw(&v.to_le_bytes());
    }

    /// A table's entry count or a string's byte length, as u32.
    pub fn count(&mut self, n: usize) {
        let n = u32::try_from(n).expect("a .gbc string or table holds at most u32::MAX items");
        self.u32(n);
    }

    /// A string: u32 byte length, then its UTF-8 bytes.
    pub fn string(&mut self, s: &str) {
        self.count(s.len());
        self.raw(s.as_bytes());
    }
}
