//! The constant pool under construction.
//!
//! Invariants:
//! - [`ConstantPool::intern`] returns the first entry equal to the value
//!   (floats compared by bit pattern, so `0.0` and `-0.0` are distinct and
//!   every NaN pattern is itself) and appends only when there is none: an
//!   assembled pool is in first-use order with no duplicates.
//! - [`ConstantPool::declare`] (the `.const` directive) always appends, so a
//!   disassembled module whose pool holds unused or duplicate entries
//!   reassembles to the same pool.

use std::collections::HashMap;

use crate::module::Constant;

/// A constant compared by value, floats by bit pattern.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ConstantKey {
    Int(i64),
    FloatBits(u64),
    Str(String),
}

impl ConstantKey {
    pub fn of(c: &Constant) -> ConstantKey {
        match c {
            Constant::Int(i) => ConstantKey::Int(*i),
            Constant::Float(f) => ConstantKey::FloatBits(f.to_bits()),
            Constant::Str(s) => ConstantKey::Str(s.clone()),
        }
    }
}

#[derive(Debug, Default)]
pub struct ConstantPool {
    entries: Vec<Constant>,
    /// The first index of each value in `entries`.
    first_index: HashMap<ConstantKey, u32>,
}

impl ConstantPool {
    /// Appends `c` unconditionally; returns its index.
    pub fn declare(&mut self, c: Constant) -> u32 {
        let index = self.entries.len() as u32;
        self.first_index.entry(ConstantKey::of(&c)).or_insert(index);
        self.entries.push(c);
        index
    }

    /// The index of the first entry equal to `c`, appending it if absent.
    pub fn intern(&mut self, c: Constant) -> u32 {
        match self.first_index.get(&ConstantKey::of(&c)) {
            Some(&index) => index,
            None => self.declare(c),
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn into_entries(self) -> Vec<Constant> {
        self.entries
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interns_by_value_and_float_bits() {
        let mut pool = ConstantPool::default();
        assert_eq!(pool.intern(Constant::Int(1)), 0);
        assert_eq!(pool.intern(Constant::Float(1.0)), 1);
        assert_eq!(pool.intern(Constant::Float(-0.0)), 2);
        assert_eq!(pool.intern(Constant::Float(0.0)), 3);
        assert_eq!(pool.intern(Constant::Float(f64::NAN)), 4);
        assert_eq!(pool.intern(Constant::Float(f64::NAN)), 4);
        assert_eq!(pool.intern(Constant::Str("1".into())), 5);
        assert_eq!(pool.intern(Constant::Int(1)), 0);
        assert_eq!(pool.declare(Constant::Int(1)), 6);
        assert_eq!(pool.intern(Constant::Int(1)), 0);
        assert_eq!(pool.len(), 7);
    }
}
