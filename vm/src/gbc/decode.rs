//! The loader: [`decode`] reads the bytes of a `.gbc` file back into a
//! [`Module`], checking the structure as it goes.
//!
//! It reads the sections in the order `encode.rs` writes them and refuses:
//! bad magic, an unsupported version, truncation anywhere, invalid UTF-8,
//! unknown constant tags, unknown opcodes, invalid type and bool bytes, a
//! local-name count other than 0 or `locals`, table counts the rest of the
//! file could not hold, and trailing bytes. Each error carries the byte
//! offset of the offending item and, inside tables, which entry it was in.
//!
//! It checks nothing that needs the whole module (indices, branch targets,
//! stack depths, types): that is the verifier's job.

use super::error::LoadError;
use super::layout::{
    FORMAT_VERSION, HANDLER_LEN, LINE_LEN, MAGIC, MIN_CLASS, MIN_CONSTANT, MIN_FIELD, MIN_FUNCTION,
    MIN_INSTRUCTION, MIN_NATIVE, MIN_STATIC, MIN_STRING, NO_CLASS, TAG_FLOAT, TAG_INT, TAG_STR,
};
use super::reader::Reader;
use crate::isa::{
    op_info, ClassIdx, ConstIdx, FieldRef, FuncIdx, IncOperand, Instruction, Local, NativeIdx, Operand,
    OperandKind, StaticIdx, Target,
};
use crate::module::{ClassDef, Constant, FieldDef, Function, Handler, LineEntry, Module, StaticDef};

/// Loads a module from the bytes of a `.gbc` file.
pub fn decode(bytes: &[u8]) -> Result<Module, LoadError> {
    let mut r = Reader::new(bytes);
    read_header(&mut r)?;
    let source_name = r.string("the source name")?;
    let constants = read_table(&mut r, "constants", MIN_CONSTANT, |r, i| {
        read_constant(r).map_err(|e| e.within(format_args!("constant {i}")))
    })?;
    let classes = read_table(&mut r, "classes", MIN_CLASS, read_class)?;
    let statics = read_table(&mut r, "statics", MIN_STATIC, |r, i| {
        read_static(r).map_err(|e| e.within(format_args!("static {i}")))
    })?;
    let natives = read_table(&mut r, "natives", MIN_NATIVE, |r, i| {
        r.string("a native name").map_err(|e| e.within(format_args!("native {i}")))
    })?;
    let functions = read_table(&mut r, "functions", MIN_FUNCTION, read_function)?;
    r.finish()?;
    Ok(Module { source_name, constants, classes, statics, natives, functions })
}

/// Magic and version.
fn read_header(r: &mut Reader) -> Result<(), LoadError> {
    let start = &r.take(r.remaining().min(MAGIC.len()), "the magic number")?;
    if !MAGIC.starts_with(start) {
        return Err(LoadError::new(
            0,
            format!("not a greenvm module: bad magic number {} (expected {})", hex(start), hex(&MAGIC)),
        ));
    }
    if start.len() < MAGIC.len() {
        return Err(LoadError::new(r.offset(), "unexpected end of file while reading the magic number"));
    }
    let at = r.offset();
    let version = r.u16("the format version")?;
    if version != FORMAT_VERSION {
        return Err(LoadError::new(
            at,
            format!("unsupported format version {version} (this loader reads version {FORMAT_VERSION})"),
        ));
    }
    Ok(())
}

/// Bytes as `7F 47 42 43`.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(" ")
}

/// A u32 count of `what`, then that many entries read by `read_entry(r, i)`.
fn read_table<T>(
    r: &mut Reader,
    what: &str,
    min_entry_len: usize,
    mut read_entry: impl FnMut(&mut Reader, usize) -> Result<T, LoadError>,
) -> Result<Vec<T>, LoadError> {
    let n = r.count(what, min_entry_len)?;
    // `count` checked that the file holds `n` entries of at least
    // `min_entry_len >= 1` bytes, so this allocation is bounded by the input.
    let mut entries = Vec::with_capacity(n);
    for i in 0..n {
        entries.push(read_entry(r, i)?);
    }
    Ok(entries)
}

/// A class index, or `None` for the [`NO_CLASS`] sentinel.
fn read_class_ref(r: &mut Reader, what: &str) -> Result<Option<ClassIdx>, LoadError> {
    let v = r.u32(what)?;
    Ok(if v == NO_CLASS { None } else { Some(ClassIdx(v)) })
}

fn read_constant(r: &mut Reader) -> Result<Constant, LoadError> {
    let at = r.offset();
    match r.u8("a constant tag")? {
        TAG_INT => Ok(Constant::Int(r.i64("an int constant")?)),
        TAG_FLOAT => Ok(Constant::Float(f64::from_bits(r.u64("a float constant")?))),
        TAG_STR => Ok(Constant::Str(r.string("a string constant")?)),
        tag => Err(LoadError::new(
            at,
            format!("unknown constant tag {tag} (must be {TAG_INT} int, {TAG_FLOAT} float or {TAG_STR} string)"),
        )),
    }
}

fn read_class(r: &mut Reader, i: usize) -> Result<ClassDef, LoadError> {
    let name = r.string("a class name").map_err(|e| e.within(format_args!("class {i}")))?;
    let mut class = read_class_body(r).map_err(|e| e.within(format_args!("class {i} (`{name}`)")))?;
    class.name = name;
    Ok(class)
}

/// Everything in a class after its name (left empty).
fn read_class_body(r: &mut Reader) -> Result<ClassDef, LoadError> {
    let superclass = read_class_ref(r, "a superclass")?;
    let fields = read_table(r, "fields", MIN_FIELD, |r, j| {
        read_field(r).map_err(|e| e.within(format_args!("field {j}")))
    })?;
    Ok(ClassDef { name: String::new(), superclass, fields })
}

fn read_field(r: &mut Reader) -> Result<FieldDef, LoadError> {
    Ok(FieldDef { name: r.string("a field name")?, ty: r.value_type("a field type")? })
}

fn read_static(r: &mut Reader) -> Result<StaticDef, LoadError> {
    Ok(StaticDef { name: r.string("a static name")?, ty: r.value_type("a static type")? })
}

fn read_function(r: &mut Reader, i: usize) -> Result<Function, LoadError> {
    let name = r.string("a function name").map_err(|e| e.within(format_args!("function {i}")))?;
    let mut function = read_function_body(r).map_err(|e| e.within(format_args!("function {i} (`{name}`)")))?;
    function.name = name;
    Ok(function)
}

/// Everything in a function after its name (left empty).
fn read_function_body(r: &mut Reader) -> Result<Function, LoadError> {
    let params = r.u16("the parameter count")?;
    let locals = r.u16("the local count")?;
    let returns_value = r.bool("returns_value")?;
    let max_stack = r.u16("max_stack")?;
    let names_at = r.offset();
    let local_names = read_table(r, "local names", MIN_STRING, |r, j| {
        r.string("a local name").map_err(|e| e.within(format_args!("local name {j}")))
    })?;
    if !local_names.is_empty() && local_names.len() != usize::from(locals) {
        return Err(LoadError::new(
            names_at,
            format!("{} local names for {locals} locals (there must be none or one per local)", local_names.len()),
        ));
    }
    let code = read_table(r, "instructions", MIN_INSTRUCTION, |r, pc| {
        read_instruction(r).map_err(|e| e.within(format_args!("instruction {pc}")))
    })?;
    let handlers = read_table(r, "exception handlers", HANDLER_LEN, |r, j| {
        read_handler(r).map_err(|e| e.within(format_args!("exception handler {j}")))
    })?;
    let lines = read_table(r, "line entries", LINE_LEN, |r, j| {
        read_line_entry(r).map_err(|e| e.within(format_args!("line entry {j}")))
    })?;
    Ok(Function { name: String::new(), params, locals, returns_value, max_stack, local_names, code, handlers, lines })
}

fn read_line_entry(r: &mut Reader) -> Result<LineEntry, LoadError> {
    Ok(LineEntry { pc: r.u32("a line entry's pc")?, line: r.u32("a line number")? })
}

fn read_handler(r: &mut Reader) -> Result<Handler, LoadError> {
    Ok(Handler {
        start: r.u32("a handler's start pc")?,
        end: r.u32("a handler's end pc")?,
        handler: r.u32("a handler's handler pc")?,
        class: read_class_ref(r, "a handler's class")?,
    })
}

/// An opcode byte, then its operand (see `OperandKind` in isa.rs).
fn read_instruction(r: &mut Reader) -> Result<Instruction, LoadError> {
    let at = r.offset();
    let opcode = r.u8("an opcode")?;
    let info = op_info(opcode).ok_or_else(|| LoadError::new(at, format!("unknown opcode 0x{opcode:02X}")))?;
    let what = "an operand";
    let operand = match info.operand {
        OperandKind::None => Operand::None,
        OperandKind::Int => Operand::Int(r.i32(what)?),
        OperandKind::Local => Operand::Local(Local(r.u16(what)?)),
        OperandKind::Const => Operand::Const(ConstIdx(r.u32(what)?)),
        OperandKind::Target => Operand::Target(Target(r.u32(what)?)),
        OperandKind::Func => Operand::Func(FuncIdx(r.u32(what)?)),
        OperandKind::Class => Operand::Class(ClassIdx(r.u32(what)?)),
        OperandKind::Field => Operand::Field(FieldRef { class: r.u16(what)?, field: r.u16(what)? }),
        OperandKind::Static => Operand::Static(StaticIdx(r.u32(what)?)),
        OperandKind::Native => Operand::Native(NativeIdx(r.u32(what)?)),
        OperandKind::Type => Operand::Type(r.value_type("a type operand")?),
        OperandKind::Inc => Operand::Inc(IncOperand { local: Local(r.u16(what)?), delta: r.i16(what)? }),
    };
    // `op_info` and `from_parts` come from the same list in isa.rs, so this
    // only fails if that list contradicts itself.
    Instruction::from_parts(opcode, operand).ok_or_else(|| {
        LoadError::new(at, format!("opcode 0x{opcode:02X} (`{}`) does not fit its operand", info.mnemonic))
    })
}
