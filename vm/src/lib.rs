//! greenvm's bytecode VM: the instruction set, the `.gasm` assembler, the
//! `.gbc` module format, the verifier, the interpreter, the heap and the
//! natives. The green-thread scheduler lives in the `runtime` crate.

pub mod asm;
pub mod builtin;
pub mod cli;
pub mod display;
pub mod exception;
pub mod heap;
pub mod interp;
pub mod disasm;
pub mod gbc;
pub mod isa;
pub mod machine;
pub mod loader;
pub mod module;
pub mod natives;
pub mod output;
pub mod program;
pub mod thread_state;
pub mod value;
pub mod verifier;
