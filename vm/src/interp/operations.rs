//! The interpreter's operations that are longer than a line: field, array
//! and string instructions, allocation, and the messages of the exceptions
//! they throw. Each returns `Result<_, Pending>`; the dispatch loop throws
//! the `Err`. Error constructors are `#[cold]` and out of line so the hot
//! paths stay small.

use crate::builtin::{
    ILLEGAL_ARGUMENT_EXCEPTION, NEGATIVE_ARRAY_SIZE_EXCEPTION, STRING_INDEX_OUT_OF_BOUNDS_EXCEPTION,
};
use crate::display;
use crate::exception::Pending;
use crate::heap::array::{self as heap_array, ElementError};
use crate::heap::{slot, string as heap_string};
use crate::isa::{ClassIdx, FieldRef, ValueType};
use crate::program::Program;
use crate::thread_state::ThreadState;
use crate::value::{Ref, Value};

/// The ClassCastException for a two-operand instruction, naming the first
/// operand of the wrong type.
#[cold]
#[inline(never)]
pub(super) fn operand_error(
    program: &Program,
    op: &str,
    expected: &str,
    a: Value,
    b: Value,
) -> Pending {
    let wrong = match (expected, a) {
        ("int", Value::Int(_)) | ("float", Value::Float(_)) => b,
        _ => a,
    };
    Pending::wrong_type(program, op, expected, wrong)
}

/// Float comparison: -1, 0, 1, or `nan` if either is NaN.
#[inline(always)]
pub(super) fn fcmp(a: f64, b: f64, nan: i64) -> i64 {
    if a < b {
        -1
    } else if a > b {
        1
    } else if a == b {
        0
    } else {
        nan
    }
}

#[inline]
pub(super) fn new_instance(
    thread: &mut ThreadState,
    program: &Program,
    class: ClassIdx,
) -> Result<Ref, Pending> {
    let slots = program.class(class).slot_count();
    program
        .heap
        .alloc_instance(&mut thread.allocs, class, slots)
        .map_err(|_| Pending::out_of_memory())
}

/// The object a field instruction works on, or the exception.
#[inline(always)]
pub(super) fn field_object(
    program: &Program,
    op: &str,
    field: FieldRef,
    obj: Value,
) -> Result<Ref, Pending> {
    if let Value::Ref(r) = obj {
        if let Some(c) = r.class() {
            if c.0 == field.class as u32 || program.is_subclass(c, ClassIdx(field.class as u32)) {
                return Ok(r);
            }
        }
    }
    Err(field_object_error(program, op, field, obj))
}

#[cold]
#[inline(never)]
pub(super) fn field_object_error(
    program: &Program,
    op: &str,
    field: FieldRef,
    obj: Value,
) -> Pending {
    let name = program.field_name(field);
    if obj.is_null() {
        let verb = if op == "getfield" { "read" } else { "write" };
        return Pending::null_pointer(format!("cannot {verb} field {name} of null"));
    }
    let class = &program.class(ClassIdx(field.class as u32)).name;
    Pending::class_cast(format!(
        "{op} {name}: expected {class}, found {}",
        program.type_name(obj)
    ))
}

#[inline(always)]
pub(super) fn get_field(program: &Program, field: FieldRef, obj: Value) -> Result<Value, Pending> {
    let r = field_object(program, "getfield", field, obj)?;
    let (slot_idx, ty) = program.field_slot(field);
    // The object is a `field.class` (or subclass), whose layout has the slot.
    Ok(slot::load(&r.slots()[slot_idx], ty))
}

#[inline(always)]
pub(super) fn put_field(
    program: &Program,
    field: FieldRef,
    obj: Value,
    value: Value,
) -> Result<(), Pending> {
    let r = field_object(program, "putfield", field, obj)?;
    let (slot_idx, ty) = program.field_slot(field);
    if slot::store(&r.slots()[slot_idx], ty, value) {
        Ok(())
    } else {
        Err(store_type_error(
            program,
            value,
            ty,
            &format!("field {}", program.field_name(field)),
        ))
    }
}

/// "cannot store string into int field Node.value"
#[cold]
#[inline(never)]
pub(super) fn store_type_error(
    program: &Program,
    value: Value,
    ty: ValueType,
    place: &str,
) -> Pending {
    Pending::class_cast(format!(
        "cannot store {} into {ty} {place}",
        program.type_name(value)
    ))
}

#[cold]
#[inline(never)]
pub(super) fn static_type_error(program: &Program, idx: usize, value: Value) -> Pending {
    let def = &program.module.statics[idx];
    store_type_error(program, value, def.ty, &format!("static {}", def.name))
}

#[inline]
pub(super) fn new_array(
    thread: &mut ThreadState,
    program: &Program,
    ty: ValueType,
    len: Value,
) -> Result<Ref, Pending> {
    match len {
        Value::Int(n) if n < 0 => Err(Pending::new(NEGATIVE_ARRAY_SIZE_EXCEPTION, n.to_string())),
        Value::Int(n) => thread
            .alloc_array(ty, n as usize)
            .map_err(|_| Pending::out_of_memory()),
        x => Err(Pending::wrong_type(program, "newarray", "int", x)),
    }
}

/// The array and index operands of `arrload` / `arrstore`.
#[inline(always)]
pub(super) fn array_operands(
    program: &Program,
    op: &str,
    array: Value,
    index: Value,
) -> Result<(Ref, ValueType, i64), Pending> {
    match (array, index) {
        (Value::Ref(r), Value::Int(i)) => match r.array_elem_type() {
            Some(ty) => Ok((r, ty, i)),
            None => Err(Pending::wrong_type(program, op, "array", array)),
        },
        (Value::Null, _) => Err(Pending::null_pointer(format!("{op}: array is null"))),
        (Value::Ref(_), x) => Err(Pending::wrong_type(program, op, "int", x)),
        (x, _) => Err(Pending::wrong_type(program, op, "array", x)),
    }
}

#[inline(always)]
pub(super) fn array_load(program: &Program, array: Value, index: Value) -> Result<Value, Pending> {
    let (r, ty, i) = array_operands(program, "arrload", array, index)?;
    heap_array::load(r, ty, i).map_err(|e| element_error(program, e, Value::Null))
}

#[inline(always)]
pub(super) fn array_store(
    program: &Program,
    array: Value,
    index: Value,
    v: Value,
) -> Result<(), Pending> {
    let (r, ty, i) = array_operands(program, "arrstore", array, index)?;
    heap_array::store(r, ty, i, v).map_err(|e| element_error(program, e, v))
}

#[cold]
#[inline(never)]
pub(super) fn element_error(program: &Program, e: ElementError, v: Value) -> Pending {
    match e {
        ElementError::OutOfBounds { index, len } => Pending::array_index(index, len),
        ElementError::WrongType { elem } => store_type_error(program, v, elem, "array"),
    }
}

/// A string operand (null → NullPointerException, non-string →
/// ClassCastException).
#[inline(always)]
pub(super) fn string_operand(program: &Program, op: &str, v: Value) -> Result<Ref, Pending> {
    match v {
        Value::Ref(r) if r.as_str().is_some() => Ok(r),
        Value::Null => Err(Pending::null_pointer(format!("{op}: string is null"))),
        x => Err(Pending::wrong_type(program, op, "string", x)),
    }
}

pub(super) fn alloc_string(thread: &mut ThreadState, s: &str) -> Result<Value, Pending> {
    thread
        .alloc_string(s)
        .map(Value::Ref)
        .map_err(|_| Pending::out_of_memory())
}

pub(super) fn string_concat(
    thread: &mut ThreadState,
    program: &Program,
    a: Value,
    b: Value,
) -> Result<Value, Pending> {
    let a = string_operand(program, "sconcat", a)?;
    let b = string_operand(program, "sconcat", b)?;
    let (a, b) = (a.as_str().unwrap_or(""), b.as_str().unwrap_or(""));
    let mut s = String::with_capacity(a.len() + b.len());
    s.push_str(a);
    s.push_str(b);
    alloc_string(thread, &s)
}

pub(super) fn string_char_at(program: &Program, s: Value, index: Value) -> Result<Value, Pending> {
    let r = string_operand(program, "scharat", s)?;
    let Value::Int(i) = index else {
        return Err(Pending::wrong_type(program, "scharat", "int", index));
    };
    let chars = r.str_char_count().unwrap_or(0);
    match heap_string::char_at(r.as_str().unwrap_or(""), chars, i) {
        Some(c) => Ok(Value::Int(c as i64)),
        None => Err(Pending::new(
            STRING_INDEX_OUT_OF_BOUNDS_EXCEPTION,
            format!("Index {i} out of bounds for length {chars}"),
        )),
    }
}

pub(super) fn string_substring(
    thread: &mut ThreadState,
    program: &Program,
    s: Value,
    begin: Value,
    end: Value,
) -> Result<Value, Pending> {
    let r = string_operand(program, "ssubstr", s)?;
    let (b, e) = match (begin, end) {
        (Value::Int(b), Value::Int(e)) => (b, e),
        (x, y) => return Err(operand_error(program, "ssubstr", "int", x, y)),
    };
    let chars = r.str_char_count().unwrap_or(0);
    match heap_string::substring(r.as_str().unwrap_or(""), chars, b, e) {
        Some(sub) if sub.len() == r.as_str().map_or(0, str::len) => Ok(Value::Ref(r)),
        Some(sub) => alloc_string(thread, sub),
        None => Err(Pending::new(
            STRING_INDEX_OUT_OF_BOUNDS_EXCEPTION,
            format!("begin {b}, end {e}, length {chars}"),
        )),
    }
}

pub(super) fn to_string(
    thread: &mut ThreadState,
    program: &Program,
    v: Value,
) -> Result<Value, Pending> {
    if let Value::Ref(r) = v {
        if r.as_str().is_some() {
            return Ok(v);
        }
    }
    alloc_string(thread, &display::to_display_string(program, v))
}

pub(super) fn chr(thread: &mut ThreadState, program: &Program, v: Value) -> Result<Value, Pending> {
    let Value::Int(c) = v else {
        return Err(Pending::wrong_type(program, "chr", "int", v));
    };
    match u32::try_from(c).ok().and_then(char::from_u32) {
        Some(ch) => alloc_string(thread, ch.encode_utf8(&mut [0; 4])),
        None => Err(Pending::new(
            ILLEGAL_ARGUMENT_EXCEPTION,
            format!("invalid code point: {c}"),
        )),
    }
}

/// What `throw` throws: the object itself, or the NullPointerException /
/// ClassCastException for a bad operand.
#[cold]
pub(super) fn throwable_operand(program: &Program, exc: Value) -> Pending {
    match exc {
        Value::Ref(r) if r.class().is_some_and(|c| program.class(c).is_throwable) => {
            Pending::Object(r)
        }
        Value::Null => Pending::null_pointer("throw: exception is null"),
        x => Pending::wrong_type(program, "throw", "Throwable", x),
    }
}
