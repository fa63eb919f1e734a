//! The bytecode verifier: refuses a module before any of it runs unless every
//! index is in range and every function's operand stack is well formed, as
//! the JVM's verifier does.
//!
//! Order of checks (the first error is returned):
//! 1. module level ([`module_checks`]): natives, classes, function names;
//! 2. each function in order: header and exception table, then every
//!    instruction's operand, reachable or not ([`function_checks`]), then the
//!    stack-depth data flow ([`stack_depth`]).
//!
//! Invariant for the interpreter: after `verify(m)` succeeds, no instruction
//! in `m` indexes out of range, no reachable instruction underflows the
//! operand stack or pushes past its function's `max_stack`, every return
//! matches its function's `returns_value`, and control never falls off the
//! end of a function. Values are dynamically typed, so types are not checked
//! here; the interpreter throws ClassCastException instead.
//!
//! The verifier never panics and always terminates, on any input.

mod error;
mod function_checks;
mod module_checks;
mod stack_depth;

pub use error::{VerifyError, VerifyReason};

use crate::module::{Function, Module};

/// Checks the whole module; `Ok(())` means the interpreter may run it.
pub fn verify(module: &Module) -> Result<(), VerifyError> {
    module_checks::check_module(module)?;
    for func in &module.functions {
        check_function(module, func, Some(func.max_stack))?;
    }
    Ok(())
}

/// The deepest operand stack of function `func` over all reachable paths,
/// ignoring its declared `max_stack` (for the assembler's `.stack`-less
/// functions). Fails on the same per-function problems as [`verify`].
pub fn infer_max_stack(module: &Module, func: usize) -> Result<u16, VerifyError> {
    let Some(function) = module.functions.get(func) else {
        return Err(VerifyError::module(VerifyReason::NoSuchFunction {
            index: func,
            function_count: module.functions.len(),
        }));
    };
    let depth = check_function(module, function, None)?;
    u16::try_from(depth).map_err(|_| VerifyError {
        function: Some(function.name.clone()),
        pc: None,
        mnemonic: None,
        reason: VerifyReason::StackOverflow {
            depth,
            max_stack: u16::MAX,
        },
    })
}

/// Every per-function rule; returns the function's deepest stack. With
/// `limit`, depths above it are refused.
fn check_function(
    module: &Module,
    func: &Function,
    limit: Option<u16>,
) -> Result<u32, VerifyError> {
    function_checks::check_header(func)?;
    function_checks::check_handlers(module, func)?;
    function_checks::check_operands(module, func)?;
    stack_depth::max_depth(module, func, limit)
}

#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tests;
