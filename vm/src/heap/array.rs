//! Typed arrays: bounds-checked element access. An array's element type is
//! fixed at allocation (in its header); every element is one typed slot.

use crate::heap::slot;
use crate::isa::ValueType;
use crate::value::{Ref, Value};

/// Why an element access failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElementError {
    /// The index is outside `0..len`.
    OutOfBounds { index: i64, len: usize },
    /// The value does not fit the element type.
    WrongType { elem: ValueType },
}

/// Reads element `index` of `array` (which must be an array of `elem`).
#[inline(always)]
pub fn load(array: Ref, elem: ValueType, index: i64) -> Result<Value, ElementError> {
    let slots = array.slots();
    match usize::try_from(index).ok().and_then(|i| slots.get(i)) {
        Some(s) => Ok(slot::load(s, elem)),
        None => Err(ElementError::OutOfBounds {
            index,
            len: slots.len(),
        }),
    }
}

/// Writes `v` into element `index` of `array` (an array of `elem`).
#[inline(always)]
pub fn store(array: Ref, elem: ValueType, index: i64, v: Value) -> Result<(), ElementError> {
    let slots = array.slots();
    match usize::try_from(index).ok().and_then(|i| slots.get(i)) {
        Some(s) => {
            if slot::store(s, elem, v) {
                Ok(())
            } else {
                Err(ElementError::WrongType { elem })
            }
        }
        None => Err(ElementError::OutOfBounds {
            index,
            len: slots.len(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::heap::{AllocList, Heap};

    #[test]
    fn bounds_and_types_are_checked() {
        let heap = Heap::new(1 << 20);
        let mut list = AllocList::new();
        let a = heap.alloc_array(&mut list, ValueType::Int, 3).unwrap();
        assert_eq!(store(a, ValueType::Int, 2, Value::Int(9)), Ok(()));
        assert!(matches!(load(a, ValueType::Int, 2), Ok(Value::Int(9))));
        assert_eq!(
            load(a, ValueType::Int, 3).unwrap_err(),
            ElementError::OutOfBounds { index: 3, len: 3 }
        );
        assert!(load(a, ValueType::Int, -1).is_err());
        assert_eq!(
            store(a, ValueType::Int, 0, Value::Float(1.0)),
            Err(ElementError::WrongType {
                elem: ValueType::Int
            })
        );
        heap.retire(list);
    }
}
