//! Built-in classes and the signatures of the natives.
//!
//! The built-in classes occupy class indices `0..BUILTIN_CLASS_COUNT` in every
//! module (see [`crate::module`]). They form Java's exception hierarchy; the
//! VM throws them for its own errors, and user classes may extend them.
//! `Throwable` declares one field, `message` (a string or null), which every
//! exception class inherits.
//!
//! Natives are imported by name; [`NATIVES`] gives each one's arity and
//! whether it returns a value, which is all the verifier needs. Their
//! implementations live in `natives.rs`.

use crate::isa::{ClassIdx, ValueType};

/// A built-in class.
#[derive(Debug)]
pub struct BuiltinClass {
    pub name: &'static str,
    pub superclass: Option<ClassIdx>,
    /// Own fields (name, type).
    pub fields: &'static [(&'static str, ValueType)],
}

macro_rules! builtin_classes {
    ($( $konst:ident = $idx:literal $name:literal $(extends $sup:ident)? $(fields $fields:expr)?; )*) => {
        $( pub const $konst: ClassIdx = ClassIdx($idx); )*
        /// Every built-in class, in index order.
        pub const BUILTIN_CLASSES: &[BuiltinClass] = &[
            $( BuiltinClass {
                name: $name,
                superclass: builtin_classes!(@sup $($sup)?),
                fields: builtin_classes!(@fields $($fields)?),
            }, )*
        ];
    };
    (@sup) => { None };
    (@sup $sup:ident) => { Some($sup) };
    (@fields) => { &[] };
    (@fields $f:expr) => { $f };
}

builtin_classes! {
    THROWABLE = 0 "Throwable" fields &[("message", ValueType::Ref)];
    EXCEPTION = 1 "Exception" extends THROWABLE;
    RUNTIME_EXCEPTION = 2 "RuntimeException" extends EXCEPTION;
    ARITHMETIC_EXCEPTION = 3 "ArithmeticException" extends RUNTIME_EXCEPTION;
    NULL_POINTER_EXCEPTION = 4 "NullPointerException" extends RUNTIME_EXCEPTION;
    ARRAY_INDEX_OUT_OF_BOUNDS_EXCEPTION = 5 "ArrayIndexOutOfBoundsException" extends RUNTIME_EXCEPTION;
    STRING_INDEX_OUT_OF_BOUNDS_EXCEPTION = 6 "StringIndexOutOfBoundsException" extends RUNTIME_EXCEPTION;
    NEGATIVE_ARRAY_SIZE_EXCEPTION = 7 "NegativeArraySizeException" extends RUNTIME_EXCEPTION;
    CLASS_CAST_EXCEPTION = 8 "ClassCastException" extends RUNTIME_EXCEPTION;
    ILLEGAL_ARGUMENT_EXCEPTION = 9 "IllegalArgumentException" extends RUNTIME_EXCEPTION;
    NUMBER_FORMAT_EXCEPTION = 10 "NumberFormatException" extends ILLEGAL_ARGUMENT_EXCEPTION;
    ILLEGAL_STATE_EXCEPTION = 11 "IllegalStateException" extends RUNTIME_EXCEPTION;
    ILLEGAL_MONITOR_STATE_EXCEPTION = 12 "IllegalMonitorStateException" extends RUNTIME_EXCEPTION;
    INTERRUPTED_EXCEPTION = 13 "InterruptedException" extends EXCEPTION;
    ERROR = 14 "Error" extends THROWABLE;
    STACK_OVERFLOW_ERROR = 15 "StackOverflowError" extends ERROR;
    OUT_OF_MEMORY_ERROR = 16 "OutOfMemoryError" extends ERROR;
    ILLEGAL_THREAD_STATE_EXCEPTION = 17 "IllegalThreadStateException" extends ILLEGAL_ARGUMENT_EXCEPTION;
}

/// Number of built-in classes; user classes are numbered from here.
pub const BUILTIN_CLASS_COUNT: usize = BUILTIN_CLASSES.len();

/// The built-in class at `idx`, if `idx` is a built-in.
pub fn builtin_class(idx: ClassIdx) -> Option<&'static BuiltinClass> {
    BUILTIN_CLASSES.get(idx.0 as usize)
}

/// Looks a built-in class up by name.
pub fn builtin_class_by_name(name: &str) -> Option<ClassIdx> {
    BUILTIN_CLASSES
        .iter()
        .position(|c| c.name == name)
        .map(|i| ClassIdx(i as u32))
}

/// A native's signature.
#[derive(Debug)]
pub struct NativeSig {
    pub name: &'static str,
    /// Number of arguments popped from the operand stack.
    pub arity: u8,
    /// Whether it pushes a result.
    pub returns_value: bool,
    /// A leaf: it reads only its arguments and the thread's scheduling links
    /// (`ThreadState::sched`) and never its frames, operand stack or
    /// allocations, so the interpreter's fast path may call it without
    /// syncing the running frame into the thread.
    pub leaf: bool,
    /// One line for docs/isa.md and `--help`.
    pub doc: &'static str,
}

/// Every native, by name. The interpreter dispatches on the position in this
/// table, so append new natives at the end.
pub const NATIVES: &[NativeSig] = &[
    NativeSig { name: "print", arity: 1, returns_value: false, leaf: false, doc: "print(v): writes v (as tostr) to stdout" },
    NativeSig { name: "println", arity: 1, returns_value: false, leaf: false, doc: "println(v): writes v (as tostr) and a newline to stdout" },
    NativeSig { name: "eprintln", arity: 1, returns_value: false, leaf: false, doc: "eprintln(v): writes v and a newline to stderr" },
    NativeSig { name: "nanoTime", arity: 0, returns_value: true, leaf: true, doc: "nanoTime() -> int: monotonic nanoseconds, for measuring intervals" },
    NativeSig { name: "currentTimeMillis", arity: 0, returns_value: true, leaf: false, doc: "currentTimeMillis() -> int: milliseconds since the Unix epoch" },
    NativeSig { name: "parseInt", arity: 1, returns_value: true, leaf: false, doc: "parseInt(s) -> int: decimal integer; throws NumberFormatException" },
    NativeSig { name: "parseFloat", arity: 1, returns_value: true, leaf: false, doc: "parseFloat(s) -> float; throws NumberFormatException" },
    NativeSig { name: "exit", arity: 1, returns_value: false, leaf: false, doc: "exit(code): ends the VM at once with exit status code (0..=255; IllegalArgumentException otherwise)" },
    // ---- threads (docs/threads.md) ----
    NativeSig { name: "Thread.start", arity: 1, returns_value: false, leaf: false, doc: "Thread.start(t): NEW -> RUNNABLE; IllegalThreadStateException if already started" },
    NativeSig { name: "Thread.join", arity: 1, returns_value: true, leaf: false, doc: "Thread.join(t) -> v: waits until t ends; its result, or null if it returns nothing or died by an exception; InterruptedException" },
    NativeSig { name: "Thread.joinMillis", arity: 2, returns_value: true, leaf: false, doc: "Thread.joinMillis(t, ms) -> v: as join, waiting at most ms milliseconds; null if t is still alive" },
    NativeSig { name: "Thread.isAlive", arity: 1, returns_value: true, leaf: false, doc: "Thread.isAlive(t) -> int: 1 if started and not yet TERMINATED" },
    NativeSig { name: "Thread.yield", arity: 0, returns_value: false, leaf: true, doc: "Thread.yield(): goes to the back of the run queue" },
    NativeSig { name: "Thread.sleep", arity: 1, returns_value: false, leaf: false, doc: "Thread.sleep(ms): TIMED_WAITING for ms milliseconds on a runtime timer; InterruptedException" },
    NativeSig { name: "Thread.current", arity: 0, returns_value: true, leaf: true, doc: "Thread.current() -> t: the calling thread" },
    NativeSig { name: "Thread.interrupt", arity: 1, returns_value: false, leaf: false, doc: "Thread.interrupt(t): sets t's interrupt flag and wakes it from sleep, join or park" },
    NativeSig { name: "Thread.interrupted", arity: 0, returns_value: true, leaf: false, doc: "Thread.interrupted() -> int: the calling thread's interrupt flag, which is cleared" },
    NativeSig { name: "Thread.setDaemon", arity: 2, returns_value: false, leaf: false, doc: "Thread.setDaemon(t, flag): before start only; IllegalThreadStateException after" },
    NativeSig { name: "Thread.setName", arity: 2, returns_value: false, leaf: false, doc: "Thread.setName(t, s)" },
    NativeSig { name: "Thread.getName", arity: 1, returns_value: true, leaf: false, doc: "Thread.getName(t) -> s: `main`, or `Thread-0`, `Thread-1`, ... in creation order unless set" },
    NativeSig { name: "Thread.getId", arity: 1, returns_value: true, leaf: false, doc: "Thread.getId(t) -> int: 1 for main, then in creation order" },
    NativeSig { name: "Thread.getState", arity: 1, returns_value: true, leaf: false, doc: "Thread.getState(t) -> s: NEW, RUNNABLE, BLOCKED, WAITING, TIMED_WAITING or TERMINATED" },
    NativeSig { name: "Thread.workerIndex", arity: 0, returns_value: true, leaf: false, doc: "Thread.workerIndex() -> int: the OS worker running the caller" },
    NativeSig { name: "LockSupport.park", arity: 0, returns_value: false, leaf: true, doc: "LockSupport.park(): waits for a permit (WAITING); may return spuriously" },
    NativeSig { name: "LockSupport.parkNanos", arity: 1, returns_value: false, leaf: true, doc: "LockSupport.parkNanos(ns): as park, at most ns nanoseconds (TIMED_WAITING)" },
    NativeSig { name: "LockSupport.unpark", arity: 1, returns_value: false, leaf: true, doc: "LockSupport.unpark(t): gives t a permit, waking it if parked" },
    NativeSig { name: "Runtime.workers", arity: 0, returns_value: true, leaf: false, doc: "Runtime.workers() -> int: number of OS worker threads" },
    NativeSig { name: "System.rssKiB", arity: 0, returns_value: true, leaf: false, doc: "System.rssKiB() -> int: resident memory of the process (VmRSS) in KiB" },
];

/// Looks a native up by name: its index in [`NATIVES`] and its signature.
pub fn native_by_name(name: &str) -> Option<(usize, &'static NativeSig)> {
    NATIVES.iter().enumerate().find(|(_, n)| n.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_indices_match_positions_and_supers_come_first() {
        for (i, c) in BUILTIN_CLASSES.iter().enumerate() {
            assert_eq!(builtin_class_by_name(c.name), Some(ClassIdx(i as u32)));
            if let Some(s) = c.superclass {
                assert!(
                    (s.0 as usize) < i,
                    "{} must come after its superclass",
                    c.name
                );
            }
        }
        assert_eq!(
            builtin_class(STACK_OVERFLOW_ERROR).unwrap().name,
            "StackOverflowError"
        );
    }

    #[test]
    fn native_names_are_unique() {
        for (i, n) in NATIVES.iter().enumerate() {
            assert_eq!(native_by_name(n.name).unwrap().0, i);
        }
    }
}
