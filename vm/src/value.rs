//! Values: what locals, operand stacks, natives and results hold.
//!
//! A [`Value`] is dynamically typed and 16 bytes (a tag and a 64-bit payload;
//! pinned by a test). Locals and the operand stack hold `Value`s; the shared
//! heap does not: fields, array elements and statics are typed 64-bit atomic
//! slots (see [`crate::heap::slot`]), and a `Value` is encoded into / decoded
//! from a slot by the slot's declared [`ValueType`].
//!
//! Invariant: a `Value::Ref` always points at a live object of the heap of the
//! program that produced it (objects are never freed while that heap lives).

use crate::isa::ValueType;

pub use crate::heap::object::Ref;

/// A dynamically typed value.
#[derive(Clone, Copy, Debug)]
pub enum Value {
    /// The null reference (also what an unset local reads as).
    Null,
    /// A 64-bit signed integer.
    Int(i64),
    /// A 64-bit IEEE float.
    Float(f64),
    /// A reference to a heap object (instance, array or string).
    Ref(Ref),
}

impl Value {
    /// True for `Value::Null`.
    #[inline(always)]
    pub fn is_null(self) -> bool {
        matches!(self, Value::Null)
    }

    /// Whether the two values are identical: the same reference, both null,
    /// or the same int / the same float bits. This is `if_acmpeq`.
    #[inline]
    pub fn same_as(self, other: Value) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) => true,
            (Value::Ref(a), Value::Ref(b)) => a == b,
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::Float(a), Value::Float(b)) => a.to_bits() == b.to_bits(),
            _ => false,
        }
    }

    /// Whether this value may be stored in a slot of type `ty` (null fits
    /// only reference slots).
    #[inline]
    pub fn fits(self, ty: ValueType) -> bool {
        matches!(
            (self, ty),
            (Value::Int(_), ValueType::Int)
                | (Value::Float(_), ValueType::Float)
                | (Value::Null | Value::Ref(_), ValueType::Ref)
        )
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::Int(i)
    }
}

impl From<f64> for Value {
    fn from(f: f64) -> Value {
        Value::Float(f)
    }
}

impl From<Ref> for Value {
    fn from(r: Ref) -> Value {
        Value::Ref(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_is_sixteen_bytes() {
        assert_eq!(std::mem::size_of::<Value>(), 16);
    }

    #[test]
    fn same_as_compares_identity() {
        assert!(Value::Null.same_as(Value::Null));
        assert!(Value::Int(3).same_as(Value::Int(3)));
        assert!(!Value::Int(3).same_as(Value::Float(3.0)));
        assert!(Value::Float(f64::NAN).same_as(Value::Float(f64::NAN)));
        assert!(!Value::Null.same_as(Value::Int(0)));
    }

    #[test]
    fn fits_matches_declared_types() {
        assert!(Value::Int(1).fits(ValueType::Int));
        assert!(!Value::Int(1).fits(ValueType::Float));
        assert!(Value::Null.fits(ValueType::Ref));
        assert!(!Value::Null.fits(ValueType::Int));
        assert!(Value::Float(1.0).fits(ValueType::Float));
    }
}
