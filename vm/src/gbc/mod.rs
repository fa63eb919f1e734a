//! The binary module format `.gbc`: [`encode`] turns a [`Module`] into bytes,
//! [`decode`] (the loader) turns bytes back into a [`Module`].
//!
//! The byte layout is documented, table by table, in docs/module-format.md;
//! [`layout`] holds its constants. The encoder and the loader are mirror
//! images of each other: every `Writer` call in `encode.rs` has its `Reader`
//! call in `decode.rs`, in the same order.
//!
//! Invariants:
//! - `decode(&encode(m)) == Ok(m)` for every module `m` whose `local_names`
//!   is empty or `locals` long and that never uses `ClassIdx(u32::MAX)` (the
//!   "no class" sentinel); the tests check this for every operand kind.
//! - The loader checks structure only (magic, version, lengths, tags, UTF-8,
//!   opcodes, type and bool bytes, trailing bytes); indices, stack discipline
//!   and types are the verifier's job.
//! - The loader never panics, and it never allocates more than a small
//!   multiple of the input's length: every count is checked against the bytes
//!   left before anything is allocated for it.
//!
//! [`Module`]: crate::module::Module

mod decode;
mod encode;
mod error;
mod layout;
mod reader;
mod writer;

#[cfg(test)]
mod program_tests;
#[cfg(test)]
mod robustness_tests;
#[cfg(test)]
mod sample;

pub use decode::decode;
pub use encode::encode;
pub use error::LoadError;
pub use layout::{is_gbc, FORMAT_VERSION, MAGIC, NO_CLASS};
