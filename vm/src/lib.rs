//! greenvm's bytecode VM: the instruction set, the `.gasm` assembler, the
//! `.gbc` module format, the verifier, the interpreter, the heap and the
//! natives. The green-thread scheduler lives in the `runtime` crate.

pub mod asm;
pub mod builtin;
pub mod disasm;
pub mod gbc;
pub mod isa;
pub mod loader;
pub mod module;
pub mod verifier;
