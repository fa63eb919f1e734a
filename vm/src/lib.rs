//! greenvm's bytecode VM: the instruction set, the `.gasm` assembler, the
//! `.gbc` module format, the verifier, the interpreter, the heap and the
//! natives. The green-thread scheduler lives in the `runtime` crate.

pub mod allocator;
pub mod asm;
pub mod builtin;
pub mod cli;
pub mod disasm;
pub mod display;
pub mod exception;
pub mod gbc;
pub mod heap;
pub mod interp;
pub mod isa;
pub mod loader;
pub mod machine;
pub mod module;
pub mod natives;
pub mod output;
pub mod program;
pub mod thread_state;
pub mod threads;
pub mod value;
pub mod verifier;
