//! The `.gasm` assembler: text in the syntax of docs/assembly.md to a
//! [`crate::module::Module`].
//!
//! Pipeline: [`lexer`] (one line to tokens) → [`parser`] (lines to the
//! [`ast`], checking syntax, nesting and numeric ranges) → [`assembler`]
//! (names to indices via [`symbols`], constants via [`constant_pool`], each
//! function via [`function`], then stack-depth inference via the verifier).
//! Every error is an [`AsmError`] with a 1-based line and character column.
//!
//! The disassembler, its inverse, is [`crate::disasm`]: for every module it
//! prints, `assemble(disassemble(m)) == m`.

mod assembler;
mod ast;
mod constant_pool;
mod error;
mod function;
mod lexer;
mod parser;
mod suggest;
mod symbols;

#[cfg(test)]
mod tests;

pub use assembler::assemble;
pub use error::AsmError;

/// For the disassembler: what the lexer accepts as an identifier, the bit
/// pattern plain `nan` stands for, and how the pool compares constants.
pub(crate) use constant_pool::ConstantKey;
pub(crate) use lexer::{is_identifier, CANONICAL_NAN_BITS};
