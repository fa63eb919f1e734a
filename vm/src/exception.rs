//! VM exceptions: creating them, recording their stack traces, finding a
//! handler (unwinding), and the Java-style report of an uncaught one.
//!
//! An exception is an ordinary heap instance of `Throwable` or a subclass;
//! `Throwable.message` holds its message (a string or null). Runtime errors
//! the VM detects are described by a [`Pending`] (class + message) and only
//! become objects when thrown, so the fast paths never allocate.
//!
//! Stack traces: when an exception is thrown and its hidden trace slot
//! ([`crate::program::TRACE_SLOT`]) is still null, the thread's frames are
//! recorded there as an int array of `function, pc` pairs, innermost first
//! (at most [`MAX_TRACE_DEPTH`] frames, like Java). A rethrown exception
//! keeps the trace of its first throw.
//!
//! Unwinding (see [`throw`]): starting with the innermost frame, the first
//! handler whose range covers the frame's current pc and whose class is
//! `None` or a superclass of the exception's class wins: the frame's operand
//! stack is cleared to just the exception and it continues at the handler.
//! Frames without a match are popped. If none is left, the exception is
//! uncaught and ends the thread.

use std::fmt::Write;

use crate::builtin::{
    ARITHMETIC_EXCEPTION, ARRAY_INDEX_OUT_OF_BOUNDS_EXCEPTION, CLASS_CAST_EXCEPTION,
    NULL_POINTER_EXCEPTION, OUT_OF_MEMORY_ERROR, STACK_OVERFLOW_ERROR,
};
use crate::display;
use crate::heap::slot;
use crate::isa::{ClassIdx, FuncIdx, ValueType};
use crate::program::{Program, MESSAGE_SLOT, TRACE_SLOT};
use crate::thread_state::{Frame, ThreadState};
use crate::value::{Ref, Value};

/// Most frames recorded in a stack trace.
pub const MAX_TRACE_DEPTH: usize = 1024;

/// An exception about to be thrown.
#[derive(Debug)]
pub enum Pending {
    /// A runtime error: an instance of a built-in class with this message,
    /// created when thrown.
    Builtin {
        class: ClassIdx,
        message: Option<String>,
    },
    /// An existing Throwable object (`throw`, natives rethrowing).
    Object(Ref),
}

impl Pending {
    /// A built-in exception with a message.
    pub fn new(class: ClassIdx, message: impl Into<String>) -> Pending {
        Pending::Builtin {
            class,
            message: Some(message.into()),
        }
    }

    /// A built-in exception without a message.
    pub fn bare(class: ClassIdx) -> Pending {
        Pending::Builtin {
            class,
            message: None,
        }
    }

    /// NullPointerException.
    pub fn null_pointer(message: impl Into<String>) -> Pending {
        Pending::new(NULL_POINTER_EXCEPTION, message)
    }

    /// ClassCastException.
    pub fn class_cast(message: impl Into<String>) -> Pending {
        Pending::new(CLASS_CAST_EXCEPTION, message)
    }

    /// ClassCastException for an operand of the wrong type:
    /// "iadd: expected int, found string".
    pub fn wrong_type(program: &Program, op: &str, expected: &str, found: Value) -> Pending {
        Pending::class_cast(format!(
            "{op}: expected {expected}, found {}",
            program.type_name(found)
        ))
    }

    /// ArithmeticException "/ by zero".
    pub fn divide_by_zero() -> Pending {
        Pending::new(ARITHMETIC_EXCEPTION, "/ by zero")
    }

    /// ArrayIndexOutOfBoundsException "Index 5 out of bounds for length 3".
    pub fn array_index(index: i64, len: usize) -> Pending {
        Pending::new(
            ARRAY_INDEX_OUT_OF_BOUNDS_EXCEPTION,
            format!("Index {index} out of bounds for length {len}"),
        )
    }

    /// OutOfMemoryError "Java heap space".
    pub fn out_of_memory() -> Pending {
        Pending::new(OUT_OF_MEMORY_ERROR, "Java heap space")
    }

    /// StackOverflowError.
    pub fn stack_overflow() -> Pending {
        Pending::bare(STACK_OVERFLOW_ERROR)
    }

    /// OutOfMemoryError for a thread stack the heap limit cannot hold.
    pub fn stack_out_of_memory() -> Pending {
        Pending::new(OUT_OF_MEMORY_ERROR, "no heap left for the thread's stack")
    }
}

/// The outcome of [`throw`].
pub(crate) enum Unwound {
    /// A handler was found; the thread continues there (its state is synced:
    /// `frames` ends with the handler's frame).
    Handled,
    /// No frame handles it; the thread's frames are gone.
    Uncaught(Ref),
}

/// Throws `pending` on `thread`, whose state must be synced (every frame in
/// `frames`, `sp` valid): creates the object if needed, records its trace,
/// unwinds to a handler.
pub(crate) fn throw(thread: &mut ThreadState, pending: Pending) -> Unwound {
    let exc = materialize(thread, pending);
    record_trace(thread, exc);
    unwind(thread, exc)
}

/// Creates the exception object for a pending runtime error (exempt from the
/// heap limit; falls back to the preallocated OutOfMemoryError if even that
/// fails).
pub(crate) fn materialize(thread: &mut ThreadState, pending: Pending) -> Ref {
    let (class, message) = match pending {
        Pending::Object(r) => return r,
        Pending::Builtin { class, message } => (class, message),
    };
    let program = thread.program.clone();
    let slots = program.class(class).slot_count();
    let Ok(exc) = program
        .heap
        .alloc_instance_exempt(&mut thread.allocs, class, slots)
    else {
        return program.fallback_oom;
    };
    if let Some(m) = message {
        if let Ok(s) = program.heap.alloc_string_exempt(&mut thread.allocs, &m) {
            let _ = slot::store(&exc.slots()[MESSAGE_SLOT], ValueType::Ref, Value::Ref(s));
        }
    }
    exc
}

/// Records the thread's frames in `exc` unless it already has a trace.
fn record_trace(thread: &mut ThreadState, exc: Ref) {
    let Some(trace_slot) = exc.slots().get(TRACE_SLOT) else {
        return;
    };
    if !slot::load(trace_slot, ValueType::Ref).is_null() {
        return;
    }
    let depth = thread.frames.len().min(MAX_TRACE_DEPTH);
    let program = thread.program.clone();
    let Ok(trace) = program
        .heap
        .alloc_array_exempt(&mut thread.allocs, ValueType::Int, depth * 2)
    else {
        return;
    };
    let elems = trace.slots();
    for (i, frame) in thread.frames.iter().rev().take(depth).enumerate() {
        let _ = slot::store(&elems[2 * i], ValueType::Int, Value::Int(frame.func as i64));
        let pc = frame.pc(&program).saturating_sub(1);
        let _ = slot::store(&elems[2 * i + 1], ValueType::Int, Value::Int(pc as i64));
    }
    let _ = slot::store(trace_slot, ValueType::Ref, Value::Ref(trace));
}

/// Pops frames until one has a handler for `exc`.
fn unwind(thread: &mut ThreadState, exc: Ref) -> Unwound {
    let program = thread.program.clone();
    let class = exc.class().unwrap_or(crate::builtin::THROWABLE);
    while let Some(frame) = thread.frames.last_mut() {
        let func = &program.module.functions[frame.func as usize];
        let pc = frame.pc(&program).saturating_sub(1);
        let handler = func.handlers.iter().find(|h| {
            h.start <= pc && pc < h.end && h.class.is_none_or(|c| program.is_subclass(class, c))
        });
        if let Some(h) = handler {
            *frame = Frame::new(&program, frame.func, h.handler, frame.base);
            let sp = frame.base as usize + func.locals as usize;
            // Every frame reserves a spare slot for this (see `ThreadState`).
            debug_assert!(sp < thread.values.len());
            if thread.values.len() <= sp {
                thread.values.resize(sp + 1, Value::Null);
            }
            thread.values[sp] = Value::Ref(exc);
            thread.sp = sp + 1;
            return Unwound::Handled;
        }
        thread.frames.pop();
    }
    thread.sp = 0;
    Unwound::Uncaught(exc)
}

/// One line of a stack trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceEntry {
    pub func: FuncIdx,
    pub pc: u32,
}

/// The recorded stack trace of `exc`, innermost first (empty if it was never
/// thrown).
pub fn stack_trace(exc: Ref) -> Vec<TraceEntry> {
    let Some(Value::Ref(trace)) = exc
        .slots()
        .get(TRACE_SLOT)
        .map(|s| slot::load(s, ValueType::Ref))
    else {
        return Vec::new();
    };
    let ints: Vec<i64> = trace
        .slots()
        .iter()
        .map(|s| match slot::load(s, ValueType::Int) {
            Value::Int(i) => i,
            _ => 0,
        })
        .collect();
    ints.chunks_exact(2)
        .map(|p| TraceEntry {
            func: FuncIdx(p[0] as u32),
            pc: p[1] as u32,
        })
        .collect()
}

/// The exception's message as text, if it is not null.
pub fn message(program: &Program, exc: Ref) -> Option<String> {
    let v = slot::load(exc.slots().get(MESSAGE_SLOT)?, ValueType::Ref);
    (!v.is_null()).then(|| display::to_display_string(program, v))
}

/// The Java-style report of an uncaught exception:
/// ```text
/// Exception in thread "main" ArithmeticException: / by zero
///     at divide (exceptions.gasm:12)
///     at main (exceptions.gasm:30)
/// ```
pub fn format_uncaught(program: &Program, thread_name: &str, exc: Ref) -> String {
    let mut out = format!(
        "Exception in thread \"{thread_name}\" {}",
        program.type_name(Value::Ref(exc))
    );
    if let Some(m) = message(program, exc) {
        let _ = write!(out, ": {m}");
    }
    out.push('\n');
    let source = &program.module.source_name;
    for e in stack_trace(exc) {
        let Some(func) = program.module.functions.get(e.func.0 as usize) else {
            continue;
        };
        match func.line_of(e.pc) {
            Some(line) => {
                let _ = writeln!(out, "    at {} ({source}:{line})", func.name);
            }
            None => {
                let _ = writeln!(out, "    at {} ({source})", func.name);
            }
        }
    }
    out
}

/// Prints [`format_uncaught`] to the program's stderr (flushing stdout first).
pub fn report_uncaught(program: &Program, thread_name: &str, exc: Ref) {
    program
        .output
        .write_err(format_uncaught(program, thread_name, exc).as_bytes());
}
