//! The thread dump printed when the program deadlocks: every live thread's
//! name, id, state, what it waits for and its VM stack.

use std::fmt::Write;

use super::vm_thread::Blocker;
use super::JavaState;
use crate::isa::Instruction;
use crate::program::Program;
use crate::thread_state::ThreadState;

/// The deadlock report. Call only when no thread of `program` runs (the
/// runtime has reported that none can).
pub fn format_deadlock(program: &Program) -> String {
    let mut threads: Vec<_> = program
        .threads
        .live_threads()
        .into_iter()
        .filter(|t| t.is_alive())
        .collect();
    threads.sort_by_key(|t| t.id);
    let mut out = format!(
        "Found deadlock: no thread can run and no timer is pending, but {} thread{} still alive.\n",
        threads.len(),
        if threads.len() == 1 { " is" } else { "s are" }
    );
    for t in threads {
        let _ = write!(out, "\n\"{}\" #{}", t.name(), t.id);
        if t.is_daemon() {
            out.push_str(" daemon");
        }
        let _ = writeln!(out, " {}", t.state().name());
        // SAFETY: no thread runs (this function's contract).
        let Some(stack) = (unsafe { t.stack_when_stopped() }) else {
            continue;
        };
        match stack.sched.blocker {
            Blocker::Join(target) => {
                if let Some(target) = target.as_thread() {
                    let _ = writeln!(
                        out,
                        "    waiting for thread \"{}\" #{} to end (Thread.join)",
                        target.name(),
                        target.id()
                    );
                }
            }
            Blocker::Park => out.push_str("    waiting for a permit (LockSupport.park)\n"),
            Blocker::Sleep => out.push_str("    sleeping (Thread.sleep)\n"),
            Blocker::None if t.state() == JavaState::Runnable => {}
            Blocker::None => out.push_str("    waiting\n"),
        }
        write_frames(program, stack, &mut out);
    }
    out
}

/// `    at f (file:line)` for each frame, innermost first.
fn write_frames(program: &Program, stack: &ThreadState, out: &mut String) {
    let source = &program.module.source_name;
    for (depth, frame) in stack.frames().iter().rev().enumerate() {
        let Some(func) = program.module.functions.get(frame.func as usize) else {
            continue;
        };
        let next = frame.pc(program);
        // Callers (and a thread parked past its `callnative`) stand one past
        // the instruction that is running; a retried wait stands on it.
        let on_native = depth == 0
            && matches!(
                func.code.get(next as usize),
                Some(Instruction::CallNative(_))
            );
        let pc = if on_native {
            next
        } else {
            next.saturating_sub(1)
        };
        match func.line_of(pc) {
            Some(line) => {
                let _ = writeln!(out, "    at {} ({source}:{line})", func.name);
            }
            None => {
                let _ = writeln!(out, "    at {} ({source})", func.name);
            }
        }
    }
}
