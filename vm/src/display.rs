//! How values print: the text `tostr`, `print` and `println` produce.
//!
//! ints in decimal; floats with Rust's `{}` but always with a fraction or
//! exponent (`3.0`, not `3`), `NaN`, `Infinity`, `-Infinity`; `null`;
//! strings as-is; instances `ClassName@<hex identity hash>`; arrays
//! `int[3]@<hex identity hash>`.

use std::fmt::Write;

use crate::heap::object::ObjKind;
use crate::program::Program;
use crate::value::Value;

/// Formats a float the VM's way.
pub fn format_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        };
    }
    let mut s = format!("{f}");
    if !s.contains(['.', 'e', 'E']) {
        s.push_str(".0");
    }
    s
}

/// Appends `v`'s text to `out`.
pub fn write_value(program: &Program, v: Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Float(f) => out.push_str(&format_float(f)),
        Value::Ref(r) => match r.kind() {
            ObjKind::Str => out.push_str(r.as_str().unwrap_or("")),
            ObjKind::Instance => {
                let _ = write!(out, "{}@{:x}", program.type_name(v), r.identity_hash());
            }
            ObjKind::Array => {
                let elem = r.array_elem_type().map_or("?", |t| t.name());
                let _ = write!(out, "{elem}[{}]@{:x}", r.slots().len(), r.identity_hash());
            }
            ObjKind::Thread => {
                if let Some(t) = r.as_thread() {
                    let _ = write!(out, "Thread[#{},{}]", t.id(), t.name());
                }
            }
        },
    }
}

/// `v`'s text.
pub fn to_display_string(program: &Program, v: Value) -> String {
    let mut s = String::new();
    write_value(program, v, &mut s);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_like_the_vm_says() {
        assert_eq!(format_float(3.0), "3.0");
        assert_eq!(format_float(-0.0), "-0.0");
        assert_eq!(format_float(1.5), "1.5");
        assert_eq!(format_float(f64::NAN), "NaN");
        assert_eq!(format_float(f64::INFINITY), "Infinity");
        assert_eq!(format_float(f64::NEG_INFINITY), "-Infinity");
        assert_eq!(format_float(0.1 + 0.2), "0.30000000000000004");
    }
}
