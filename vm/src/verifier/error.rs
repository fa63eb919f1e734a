//! The verifier's error type: which rule a module breaks, and where.
//!
//! Invariants:
//! - `function` is `None` only for module-level problems (natives, classes,
//!   duplicate function names); every per-function rule names its function.
//! - `pc` is set whenever the problem belongs to one instruction, and then
//!   `mnemonic` is that instruction's mnemonic.
//! - Every [`VerifyReason`] variant carries the data its message needs, so the
//!   message can be read without the module at hand.

use std::fmt;

/// Why a module was refused, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyError {
    /// The function at fault; `None` for module-level problems.
    pub function: Option<String>,
    /// The instruction at fault, when the problem belongs to one.
    pub pc: Option<u32>,
    /// The mnemonic of the instruction at `pc` (for the message).
    pub mnemonic: Option<&'static str>,
    /// The rule that was broken.
    pub reason: VerifyReason,
}

/// One variant per verifier rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VerifyReason {
    // ---- module level ----------------------------------------------------
    /// An imported native name is not one of `crate::builtin::NATIVES`.
    UnknownNative { name: String },
    /// A class's superclass index names no class.
    SuperclassOutOfRange {
        class: String,
        superclass: u32,
        class_count: usize,
    },
    /// A class's superclass chain never ends.
    SuperclassCycle { class: String },
    /// Two fields of one class share a name.
    DuplicateFieldName { class: String, field: String },
    /// Two functions share a name.
    DuplicateFunctionName { name: String },
    /// `main` takes more than one parameter.
    MainParams { params: u16 },
    /// `infer_max_stack` was asked about a function the module does not have.
    NoSuchFunction { index: usize, function_count: usize },

    // ---- function header and exception table ------------------------------
    /// The function has no instructions.
    EmptyCode,
    /// Fewer locals than parameters.
    LocalsBelowParams { locals: u16, params: u16 },
    /// `local_names` is neither empty nor exactly `locals` long.
    LocalNamesLength { names: usize, locals: u16 },
    /// Exception-table entry `index` does not satisfy `start < end <= len`.
    HandlerRangeInvalid {
        index: usize,
        start: u32,
        end: u32,
        code_len: usize,
    },
    /// Exception-table entry `index` jumps outside the code.
    HandlerTargetOutOfRange {
        index: usize,
        handler: u32,
        code_len: usize,
    },
    /// Exception-table entry `index` catches a class index that names no class.
    HandlerClassOutOfRange {
        index: usize,
        class: u32,
        class_count: usize,
    },
    /// Exception-table entry `index` catches a class that is not a Throwable.
    HandlerClassNotThrowable { index: usize, class: String },

    // ---- operands ---------------------------------------------------------
    /// A branch target is outside the code.
    BranchTargetOutOfRange { target: u32, code_len: usize },
    /// A local index is not below the function's `locals`.
    LocalOutOfRange { local: u16, locals: u16 },
    /// A constant-pool index is out of range.
    ConstantOutOfRange { index: u32, constant_count: usize },
    /// A function index is out of range.
    FunctionOutOfRange { index: u32, function_count: usize },
    /// A class index is out of range.
    ClassOutOfRange { index: u32, class_count: usize },
    /// A field index is not below its class's own field count.
    FieldOutOfRange {
        class: String,
        field: u16,
        field_count: usize,
    },
    /// A static-variable index is out of range.
    StaticOutOfRange { index: u32, static_count: usize },
    /// A native index is out of range.
    NativeOutOfRange { index: u32, native_count: usize },

    // ---- control and data flow -------------------------------------------
    /// `return` in a function declared to return a value.
    ReturnInValueFunction,
    /// `vreturn` in a function declared without a result.
    VReturnInVoidFunction,
    /// The instruction pops more values than the stack holds.
    StackUnderflow { needed: u32, depth: u32 },
    /// The stack grows past the declared `max_stack`.
    StackOverflow { depth: u32, max_stack: u16 },
    /// Two paths reach the instruction with different stack depths.
    DepthMismatch { one: u32, other: u32 },
    /// Control runs past the last instruction.
    FallsOffEnd,
    /// A dynamic-effect instruction the verifier has no rule for (a new
    /// instruction added to `isa.rs` without a verifier rule).
    UnknownStackEffect,
}

impl VerifyError {
    /// A module-level error (no function, no pc).
    pub(crate) fn module(reason: VerifyReason) -> VerifyError {
        VerifyError {
            function: None,
            pc: None,
            mnemonic: None,
            reason,
        }
    }
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("verify error: ")?;
        match &self.function {
            Some(name) => write!(f, "function `{name}`")?,
            None => f.write_str("module")?,
        }
        if let Some(pc) = self.pc {
            write!(f, ", pc {pc}")?;
            if let Some(m) = self.mnemonic {
                write!(f, " ({m})")?;
            }
        }
        write!(f, ": {}", self.reason)
    }
}

impl fmt::Display for VerifyReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use VerifyReason::*;
        match self {
            UnknownNative { name } => write!(f, "unknown native `{name}`"),
            SuperclassOutOfRange { class, superclass, class_count } => write!(
                f,
                "class `{class}` extends class {superclass}, out of range (module has {class_count} classes)"
            ),
            SuperclassCycle { class } => write!(f, "class `{class}` is its own superclass (cycle)"),
            DuplicateFieldName { class, field } => {
                write!(f, "class `{class}` declares field `{field}` twice")
            }
            DuplicateFunctionName { name } => write!(f, "function `{name}` is defined twice"),
            MainParams { params } => {
                write!(f, "`main` takes {params} parameters (must take 0 or 1)")
            }
            NoSuchFunction { index, function_count } => write!(
                f,
                "no function {index} (module has {function_count} functions)"
            ),
            EmptyCode => f.write_str("function has no instructions"),
            LocalsBelowParams { locals, params } => {
                write!(f, "{locals} locals but {params} parameters")
            }
            LocalNamesLength { names, locals } => {
                write!(f, "{names} local names for {locals} locals")
            }
            HandlerRangeInvalid { index, start, end, code_len } => write!(
                f,
                "handler {index} covers [{start}, {end}), not a non-empty range within {code_len} instructions"
            ),
            HandlerTargetOutOfRange { index, handler, code_len } => write!(
                f,
                "handler {index} jumps to {handler}, out of range (function has {code_len} instructions)"
            ),
            HandlerClassOutOfRange { index, class, class_count } => write!(
                f,
                "handler {index} catches class {class}, out of range (module has {class_count} classes)"
            ),
            HandlerClassNotThrowable { index, class } => {
                write!(f, "handler {index} catches `{class}`, which is not a Throwable")
            }
            BranchTargetOutOfRange { target, code_len } => write!(
                f,
                "branch target {target} out of range (function has {code_len} instructions)"
            ),
            LocalOutOfRange { local, locals } => {
                write!(f, "local {local} out of range (function has {locals} locals)")
            }
            ConstantOutOfRange { index, constant_count } => write!(
                f,
                "constant {index} out of range (module has {constant_count} constants)"
            ),
            FunctionOutOfRange { index, function_count } => write!(
                f,
                "function {index} out of range (module has {function_count} functions)"
            ),
            ClassOutOfRange { index, class_count } => write!(
                f,
                "class {index} out of range (module has {class_count} classes)"
            ),
            FieldOutOfRange { class, field, field_count } => write!(
                f,
                "field {field} of class `{class}` out of range (it declares {field_count} fields)"
            ),
            StaticOutOfRange { index, static_count } => write!(
                f,
                "static {index} out of range (module has {static_count} statics)"
            ),
            NativeOutOfRange { index, native_count } => write!(
                f,
                "native {index} out of range (module imports {native_count} natives)"
            ),
            ReturnInValueFunction => {
                f.write_str("`return` in a function that returns a value (use `vreturn`)")
            }
            VReturnInVoidFunction => {
                f.write_str("`vreturn` in a function that returns no value (use `return`)")
            }
            StackUnderflow { needed, depth } => write!(
                f,
                "stack underflow: pops {needed} values but the stack holds {depth}"
            ),
            StackOverflow { depth, max_stack } => write!(
                f,
                "stack depth {depth} exceeds the declared max_stack {max_stack}"
            ),
            DepthMismatch { one, other } => write!(
                f,
                "stack depth mismatch: {one} on one path, {other} on another"
            ),
            FallsOffEnd => f.write_str("control falls off the end of the code"),
            UnknownStackEffect => f.write_str("the verifier has no stack rule for this instruction"),
        }
    }
}

impl std::error::Error for VerifyError {}
