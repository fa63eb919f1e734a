//! The assembler's driver: source text to [`Module`], stage by stage.
//!
//! Order (the first error wins):
//! 1. parse the whole file ([`super::parser`]);
//! 2. open the constant pool with the `.const` declarations and the native
//!    table with the `.native` declarations;
//! 3. declare classes, statics and functions ([`Symbols`]), so that any of
//!    them may be used before it is declared;
//! 4. assemble each function in source order (constants and natives are
//!    pooled by first use, in that order);
//! 5. infer `max_stack` for every function without `.stack`, using the
//!    verifier's data flow over the finished module.

use std::path::Path;

use super::constant_pool::ConstantPool;
use super::error::{AsmError, AsmResult, Diagnostic};
use super::function::assemble_function;
use super::parser::parse;
use super::symbols::Symbols;
use crate::module::Module;
use crate::verifier::infer_max_stack;

/// Assembles `.gasm` source text into a module. `file_name` is used in error
/// messages and, unless the source has a `.source` directive, as the
/// module's `source_name` (its final path component).
pub fn assemble(source: &str, file_name: &str) -> Result<Module, AsmError> {
    assemble_module(source, file_name).map_err(|d| AsmError::from_diagnostic(d, file_name, source))
}

fn assemble_module(source: &str, file_name: &str) -> AsmResult<Module> {
    let syntax = parse(source)?;

    let mut pool = ConstantPool::default();
    for c in &syntax.consts {
        pool.declare(c.value.clone());
    }
    let mut symbols = Symbols::declare(&syntax.classes, &syntax.statics, &syntax.functions)?;
    for native in &syntax.natives {
        symbols.declare_native(native)?;
    }

    let mut functions = Vec::with_capacity(syntax.functions.len());
    let mut positions = Vec::with_capacity(syntax.functions.len());
    for decl in &syntax.functions {
        let assembled = assemble_function(decl, &mut symbols, &mut pool)?;
        functions.push(assembled.function);
        positions.push(assembled.positions);
    }

    let source_name = match &syntax.source_name {
        Some(name) => name.value.clone(),
        None => default_source_name(file_name),
    };
    let mut module = Module {
        source_name,
        constants: pool.into_entries(),
        classes: std::mem::take(&mut symbols.classes),
        statics: std::mem::take(&mut symbols.statics),
        natives: std::mem::take(&mut symbols.natives),
        functions,
    };

    for (index, decl) in syntax.functions.iter().enumerate() {
        if decl.max_stack.is_some() {
            continue;
        }
        let depth = infer_max_stack(&module, index).map_err(|e| {
            // Point at the offending instruction when the verifier names one.
            let pos = e.pc.and_then(|pc| positions[index].get(pc as usize)).copied().unwrap_or(decl.pos);
            let at = match (e.pc, e.mnemonic) {
                (Some(pc), Some(m)) => format!(" at pc {pc} (`{m}`)"),
                (Some(pc), None) => format!(" at pc {pc}"),
                _ => String::new(),
            };
            Diagnostic::new(
                pos,
                format!(
                    "cannot infer the stack depth of function `{}`{at}: {} (fix the code or give `.stack N`)",
                    decl.name.value, e.reason
                ),
            )
        })?;
        module.functions[index].max_stack = depth;
    }
    Ok(module)
}

/// The final path component of `file_name` (`dir/x.gasm` -> `x.gasm`).
fn default_source_name(file_name: &str) -> String {
    Path::new(file_name)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| file_name.to_string())
}
