//! Native implementations, in [`crate::builtin::NATIVES`] order.
//!
//! A native receives its arguments (copied off the operand stack, first
//! argument first; they stay on the stack until it returns, so they remain
//! visible to a collector) and the calling thread, and returns a
//! [`NativeResult`]. Natives never unwind: errors are returned as
//! `NativeResult::Throw`. A native that must wait (thread join, sleep,
//! monitors: next issue) will return a new `Block` variant that the
//! interpreter maps to `RunExit::Blocked`.

use std::sync::OnceLock;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use crate::builtin::{NativeSig, NUMBER_FORMAT_EXCEPTION};
use crate::display;
use crate::exception::Pending;
use crate::thread_state::ThreadState;
use crate::threads::natives as threads;
use crate::threads::Wait;
use crate::value::Value;

/// Most arguments any native takes (the interpreter copies them into a
/// fixed-size array).
pub const MAX_NATIVE_ARITY: usize = 4;

/// What a native call produced.
#[derive(Debug)]
pub enum NativeResult {
    /// A result value (pushed if the native's signature returns one).
    Return(Value),
    /// No result.
    Void,
    /// Throw this exception in the calling frame.
    Throw(Pending),
    /// The thread must wait (see [`crate::threads`]). With `retry`, the
    /// arguments stay on the stack and the same `callnative` runs again when
    /// the thread is woken; without it, the call is complete (pushing null
    /// if the native returns a value) and the thread continues after it.
    Block { wait: Wait, retry: bool },
}

/// A native implementation.
pub type NativeFn = fn(&mut ThreadState, &[Value]) -> NativeResult;

/// A native resolved by name: its signature and implementation.
#[derive(Clone, Copy)]
pub struct ResolvedNative {
    pub sig: &'static NativeSig,
    pub imp: NativeFn,
}

impl std::fmt::Debug for ResolvedNative {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "native {}", self.sig.name)
    }
}

/// Implementations, index for index with `NATIVES`.
const IMPLS: &[NativeFn] = &[
    print,
    println,
    eprintln,
    nano_time,
    current_time_millis,
    parse_int,
    parse_float,
    exit,
    threads::start,
    threads::join,
    threads::join_millis,
    threads::is_alive,
    threads::yield_now,
    threads::sleep,
    threads::current,
    threads::interrupt,
    threads::interrupted_native,
    threads::set_daemon,
    threads::set_name,
    threads::get_name,
    threads::get_id,
    threads::get_state,
    threads::worker_index,
    threads::park,
    threads::park_nanos,
    threads::unpark,
    threads::workers,
    threads::rss_kib,
];

/// Finds a native's implementation by name.
pub fn resolve(name: &str) -> Option<ResolvedNative> {
    let (i, sig) = crate::builtin::native_by_name(name)?;
    Some(ResolvedNative {
        sig,
        imp: *IMPLS.get(i)?,
    })
}

fn arg(args: &[Value], i: usize) -> Value {
    args.get(i).copied().unwrap_or(Value::Null)
}

/// print(v)
fn print(thread: &mut ThreadState, args: &[Value]) -> NativeResult {
    write_value(thread, arg(args, 0), false);
    NativeResult::Void
}

/// println(v)
fn println(thread: &mut ThreadState, args: &[Value]) -> NativeResult {
    write_value(thread, arg(args, 0), true);
    NativeResult::Void
}

fn write_value(thread: &ThreadState, v: Value, newline: bool) {
    let program = &thread.program;
    if let Value::Ref(r) = v {
        if let Some(s) = r.as_str() {
            if newline {
                let mut line = String::with_capacity(s.len() + 1);
                line.push_str(s);
                line.push('\n');
                program.output.write_out(line.as_bytes());
            } else {
                program.output.write_out(s.as_bytes());
            }
            return;
        }
    }
    let mut text = display::to_display_string(program, v);
    if newline {
        text.push('\n');
    }
    program.output.write_out(text.as_bytes());
}

/// eprintln(v)
fn eprintln(thread: &mut ThreadState, args: &[Value]) -> NativeResult {
    let mut text = display::to_display_string(&thread.program, arg(args, 0));
    text.push('\n');
    thread.program.output.write_err(text.as_bytes());
    NativeResult::Void
}

/// nanoTime() -> int
fn nano_time(_: &mut ThreadState, _: &[Value]) -> NativeResult {
    static START: OnceLock<Instant> = OnceLock::new();
    let start = START.get_or_init(Instant::now);
    NativeResult::Return(Value::Int(start.elapsed().as_nanos() as i64))
}

/// currentTimeMillis() -> int
fn current_time_millis(_: &mut ThreadState, _: &[Value]) -> NativeResult {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    NativeResult::Return(Value::Int(ms))
}

/// The string argument of a parse native, or the exception to throw.
fn string_arg<'a>(thread: &ThreadState, op: &str, v: &'a Value) -> Result<&'a str, Pending> {
    match v {
        Value::Null => Err(Pending::new(
            NUMBER_FORMAT_EXCEPTION,
            "Cannot parse null string: null",
        )),
        Value::Ref(r) => match r.as_str() {
            Some(s) => Ok(s),
            None => Err(Pending::wrong_type(&thread.program, op, "string", *v)),
        },
        _ => Err(Pending::wrong_type(&thread.program, op, "string", *v)),
    }
}

fn number_format(s: &str) -> Pending {
    Pending::new(
        NUMBER_FORMAT_EXCEPTION,
        format!("For input string: \"{s}\""),
    )
}

/// parseInt(s) -> int: an optional sign and decimal digits (64-bit).
fn parse_int(thread: &mut ThreadState, args: &[Value]) -> NativeResult {
    let v = arg(args, 0);
    let s = match string_arg(thread, "parseInt", &v) {
        Ok(s) => s,
        Err(p) => return NativeResult::Throw(p),
    };
    match s.parse::<i64>() {
        Ok(i) => NativeResult::Return(Value::Int(i)),
        Err(_) => NativeResult::Throw(number_format(s)),
    }
}

/// parseFloat(s) -> float: Java's Double.parseDouble syntax (surrounding
/// whitespace allowed; `NaN`, `Infinity`).
fn parse_float(thread: &mut ThreadState, args: &[Value]) -> NativeResult {
    let v = arg(args, 0);
    let s = match string_arg(thread, "parseFloat", &v) {
        Ok(s) => s,
        Err(p) => return NativeResult::Throw(p),
    };
    let t = s.trim();
    let unsigned = t.strip_prefix(['+', '-']).unwrap_or(t);
    let negative = t.starts_with('-');
    let parsed = match unsigned {
        "NaN" => Some(f64::NAN),
        "Infinity" => Some(if negative {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        }),
        // Rust also accepts "inf"/"nan" spellings, which Java does not.
        u if u
            .bytes()
            .any(|b| b.is_ascii_alphabetic() && !matches!(b, b'e' | b'E')) =>
        {
            None
        }
        _ => t.parse::<f64>().ok(),
    };
    match parsed {
        Some(f) => NativeResult::Return(Value::Float(f)),
        None => NativeResult::Throw(number_format(s)),
    }
}

/// exit(code): flushes stdout and ends the process.
fn exit(thread: &mut ThreadState, args: &[Value]) -> NativeResult {
    let code = match arg(args, 0) {
        Value::Int(i) if (0..=255).contains(&i) => i as i32,
        Value::Int(i) => {
            return NativeResult::Throw(Pending::new(
                crate::builtin::ILLEGAL_ARGUMENT_EXCEPTION,
                format!("exit status {i} is not in 0..=255"),
            ))
        }
        other => {
            return NativeResult::Throw(Pending::wrong_type(&thread.program, "exit", "int", other))
        }
    };
    thread.program.output.flush();
    log::debug!("exit({code})");
    std::process::exit(code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::NATIVES;

    #[test]
    fn every_native_has_an_implementation_and_fits_the_arity_limit() {
        assert_eq!(IMPLS.len(), NATIVES.len());
        for n in NATIVES {
            assert!(resolve(n.name).is_some());
            assert!(n.arity as usize <= MAX_NATIVE_ARITY);
        }
        assert!(resolve("nope").is_none());
    }
}
