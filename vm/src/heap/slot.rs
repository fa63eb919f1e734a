//! Typed 64-bit slots: how a [`Value`] is stored in a field, an array
//! element or a static variable.
//!
//! A slot is one `AtomicU64` accessed with `Relaxed` ordering; its declared
//! [`ValueType`] says how to read the bits: an int's two's-complement bits, a
//! float's IEEE bits, or a reference's address (0 = null). All-zero bits are
//! each type's initial value (0, 0.0, null), so zeroed memory is a valid,
//! initialised object.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::isa::ValueType;
use crate::value::{Ref, Value};

/// Encodes `v` for a slot of type `ty`; `None` if it does not fit (see
/// [`Value::fits`]).
#[inline(always)]
pub fn encode(v: Value, ty: ValueType) -> Option<u64> {
    match (v, ty) {
        (Value::Int(i), ValueType::Int) => Some(i as u64),
        (Value::Float(f), ValueType::Float) => Some(f.to_bits()),
        (Value::Null, ValueType::Ref) => Some(0),
        (Value::Ref(r), ValueType::Ref) => Some(r.to_bits()),
        _ => None,
    }
}

/// Decodes a slot's bits by its declared type.
///
/// The bits of a `Ref` slot must have come from [`encode`] (every writer
/// goes through it), so they are 0 or the address of a live object.
#[inline(always)]
pub fn decode(bits: u64, ty: ValueType) -> Value {
    match ty {
        ValueType::Int => Value::Int(bits as i64),
        ValueType::Float => Value::Float(f64::from_bits(bits)),
        // SAFETY: reference slots are only ever written by `store` with bits
        // from `encode`, i.e. 0 or `Ref::to_bits` of a live object.
        ValueType::Ref => match unsafe { Ref::from_bits(bits) } {
            Some(r) => Value::Ref(r),
            None => Value::Null,
        },
    }
}

/// Reads a slot of type `ty`.
#[inline(always)]
pub fn load(slot: &AtomicU64, ty: ValueType) -> Value {
    decode(slot.load(Ordering::Relaxed), ty)
}

/// Writes `v` into a slot of type `ty`; returns false (and writes nothing) if
/// the value does not fit the type.
#[inline(always)]
#[must_use]
pub fn store(slot: &AtomicU64, ty: ValueType, v: Value) -> bool {
    match encode(v, ty) {
        Some(bits) => {
            slot.store(bits, Ordering::Relaxed);
            true
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ints_and_floats_round_trip() {
        let s = AtomicU64::new(0);
        assert!(store(&s, ValueType::Int, Value::Int(-5)));
        assert!(matches!(load(&s, ValueType::Int), Value::Int(-5)));
        assert!(store(&s, ValueType::Float, Value::Float(2.5)));
        assert!(matches!(load(&s, ValueType::Float), Value::Float(f) if f == 2.5));
    }

    #[test]
    fn zero_bits_are_each_types_default() {
        assert!(matches!(decode(0, ValueType::Int), Value::Int(0)));
        assert!(matches!(decode(0, ValueType::Float), Value::Float(f) if f == 0.0));
        assert!(matches!(decode(0, ValueType::Ref), Value::Null));
    }

    #[test]
    fn wrong_types_are_refused() {
        let s = AtomicU64::new(7);
        assert!(!store(&s, ValueType::Int, Value::Float(1.0)));
        assert!(!store(&s, ValueType::Int, Value::Null));
        assert!(!store(&s, ValueType::Ref, Value::Int(1)));
        assert_eq!(s.load(Ordering::Relaxed), 7);
    }
}
