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
    op_info, ClassIdx, ConstIdx, FieldRef, FuncIdx, IncOperand, Instruction, Local, NativeIdx,
    Operand, OperandKind, StaticIdx, Target,
};
use crate::module::{
    ClassDef, Constant, FieldDef, Function, Handler, LineEntry, Module, StaticDef,
};

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
        r.string("a native name")
            .map_err(|e| e.within(format_args!("native {i}")))
    })?;
    let functions = read_table(&mut r, "functions", MIN_FUNCTION, read_function)?;
    r.finish()?;
    Ok(Module {
        source_name,
        constants,
        classes,
        statics,
        natives,
        functions,
    })
}

/// Magic and version.
fn read_header(r: &mut Reader) -> Result<(), LoadError> {
    let start = &r.take(r.remaining().min(MAGIC.len()), "the magic number")?;
    if !MAGIC.starts_with(start) {
        return Err(LoadError::new(
            0,
            format!(
                "not a greenvm module: bad magic number {} (expected {})",
                hex(start),
                hex(&MAGIC)
            ),
        ));
    }
    if start.len() < MAGIC.len() {
        return Err(LoadError::new(
            r.offset(),
            "unexpected end of file while reading the magic number",
        ));
    }
    let at = r.offset();
    let version = r.u16("the format version")?;
    if version != FORMAT_VERSION {
        return Err(LoadError::new(
            at,
            format!(
                "unsupported format version {version} (this loader reads version {FORMAT_VERSION})"
            ),
        ));
    }
    Ok(())
}

/// Bytes as `7F 47 42 43`.
fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(" ")
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
    Ok(if v == NO_CLASS {
        None
    } else {
        Some(ClassIdx(v))
    })
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
    let name = r
        .string("a class name")
        .map_err(|e| e.within(format_args!("class {i}")))?;
    let mut class = read_class_body(r)
        .map_err(|e| e.within(format_args!("class {i} (`{}`)", name.escape_debug())))?;
    class.name = name;
    Ok(class)
}

/// Everything in a class after its name (left empty).
fn read_class_body(r: &mut Reader) -> Result<ClassDef, LoadError> {
    let superclass = read_class_ref(r, "a superclass")?;
    let fields = read_table(r, "fields", MIN_FIELD, |r, j| {
        read_field(r).map_err(|e| e.within(format_args!("field {j}")))
    })?;
    Ok(ClassDef {
        name: String::new(),
        superclass,
        fields,
    })
}

fn read_field(r: &mut Reader) -> Result<FieldDef, LoadError> {
    Ok(FieldDef {
        name: r.string("a field name")?,
        ty: r.value_type("a field type")?,
    })
}

fn read_static(r: &mut Reader) -> Result<StaticDef, LoadError> {
    Ok(StaticDef {
        name: r.string("a static name")?,
        ty: r.value_type("a static type")?,
    })
}

fn read_function(r: &mut Reader, i: usize) -> Result<Function, LoadError> {
    let name = r
        .string("a function name")
        .map_err(|e| e.within(format_args!("function {i}")))?;
    let mut function = read_function_body(r)
        .map_err(|e| e.within(format_args!("function {i} (`{}`)", name.escape_debug())))?;
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
        r.string("a local name")
            .map_err(|e| e.within(format_args!("local name {j}")))
    })?;
    if !local_names.is_empty() && local_names.len() != usize::from(locals) {
        return Err(LoadError::new(
            names_at,
            format!(
                "{} local names for {locals} locals (there must be none or one per local)",
                local_names.len()
            ),
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
    Ok(Function {
        name: String::new(),
        params,
        locals,
        returns_value,
        max_stack,
        local_names,
        code,
        handlers,
        lines,
    })
}

fn read_line_entry(r: &mut Reader) -> Result<LineEntry, LoadError> {
    Ok(LineEntry {
        pc: r.u32("a line entry's pc")?,
        line: r.u32("a line number")?,
    })
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
    let info = op_info(opcode)
        .ok_or_else(|| LoadError::new(at, format!("unknown opcode 0x{opcode:02X}")))?;
    let what = "an operand";
    let operand = match info.operand {
        OperandKind::None => Operand::None,
        OperandKind::Int => Operand::Int(r.i32(what)?),
        OperandKind::Local => Operand::Local(Local(r.u16(what)?)),
        OperandKind::Const => Operand::Const(ConstIdx(r.u32(what)?)),
        OperandKind::Target => Operand::Target(Target(r.u32(what)?)),
        OperandKind::Func => Operand::Func(FuncIdx(r.u32(what)?)),
        OperandKind::Class => Operand::Class(ClassIdx(r.u32(what)?)),
        OperandKind::Field => Operand::Field(FieldRef {
            class: r.u16(what)?,
            field: r.u16(what)?,
        }),
        OperandKind::Static => Operand::Static(StaticIdx(r.u32(what)?)),
        OperandKind::Native => Operand::Native(NativeIdx(r.u32(what)?)),
        OperandKind::Type => Operand::Type(r.value_type("a type operand")?),
        OperandKind::Inc => Operand::Inc(IncOperand {
            local: Local(r.u16(what)?),
            delta: r.i16(what)?,
        }),
    };
    // `op_info` and `from_parts` come from the same list in isa.rs, so this
    // only fails if that list contradicts itself.
    Instruction::from_parts(opcode, operand).ok_or_else(|| {
        LoadError::new(
            at,
            format!(
                "opcode 0x{opcode:02X} (`{}`) does not fit its operand",
                info.mnemonic
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::super::encode::encode;
    use super::super::sample::{every_instruction, full_module};
    use super::*;
    use crate::isa::ValueType;

    /// `source "t"`, no tables, one function `f` with `code` and no handlers
    /// or lines: small enough to compute offsets by hand.
    fn tiny(code: Vec<Instruction>) -> Vec<u8> {
        encode(&Module {
            source_name: "t".into(),
            functions: vec![Function {
                name: "f".into(),
                params: 0,
                locals: 1,
                returns_value: false,
                max_stack: 0,
                local_names: vec![],
                code,
                handlers: vec![],
                lines: vec![],
            }],
            ..Module::default()
        })
    }

    // Offsets in `tiny`: magic 0, version 4, source name 6 (bytes at 10),
    // constants 11, classes 15, statics 19, natives 23, functions 27, the
    // function's name 31, params 36, locals 38, returns_value 40, max_stack
    // 41, local names 43, instruction count 47, first opcode 51; the last 8
    // bytes are the handler and line counts.
    const SOURCE_BYTES: usize = 10;
    const CONSTANTS: usize = 11;
    const RETURNS_VALUE: usize = 40;
    const FUNCTIONS: usize = 27;
    const FIRST_OPCODE: usize = 51;

    fn error(bytes: &[u8]) -> LoadError {
        decode(bytes).expect_err("the corrupt file must be refused")
    }

    #[test]
    fn round_trips_a_module_that_fills_every_table() {
        let module = full_module();
        assert_eq!(decode(&encode(&module)), Ok(module));
    }

    #[test]
    fn round_trips_the_empty_module_and_every_instruction() {
        assert_eq!(decode(&encode(&Module::default())), Ok(Module::default()));
        let bytes = tiny(every_instruction());
        let module = decode(&bytes).unwrap();
        assert_eq!(module.functions[0].code, every_instruction());
        assert_eq!(encode(&module), bytes);
    }

    #[test]
    fn float_constants_keep_their_exact_bits() {
        let nan = f64::from_bits(0x7FF8_0000_DEAD_BEEF);
        let module = Module {
            constants: vec![Constant::Float(nan), Constant::Float(-0.0)],
            ..Module::default()
        };
        let decoded = decode(&encode(&module)).unwrap();
        let bits: Vec<u64> = decoded
            .constants
            .iter()
            .map(|c| match c {
                Constant::Float(f) => f.to_bits(),
                other => panic!("expected a float, got {other:?}"),
            })
            .collect();
        assert_eq!(bits, [nan.to_bits(), (-0.0f64).to_bits()]);
    }

    #[test]
    fn the_offsets_of_tiny_are_as_documented() {
        let bytes = tiny(vec![Instruction::Nop, Instruction::Return]);
        assert_eq!(
            &bytes[SOURCE_BYTES - 4..SOURCE_BYTES + 1],
            &[1, 0, 0, 0, b't']
        );
        assert_eq!(
            &bytes[FIRST_OPCODE - 4..FIRST_OPCODE + 2],
            &[2, 0, 0, 0, 0x00, 0x4A]
        );
        assert_eq!(bytes.len(), FIRST_OPCODE + 2 + 8);
    }

    #[test]
    fn bad_magic() {
        let mut bytes = tiny(vec![]);
        bytes[..4].copy_from_slice(b"GVM\x01");
        let e = error(&bytes);
        assert_eq!(e.offset, 0);
        assert_eq!(
            e.message,
            "not a greenvm module: bad magic number 47 56 4D 01 (expected 7F 47 42 43)"
        );
        assert_eq!(
            error(b"hi").message,
            "not a greenvm module: bad magic number 68 69 (expected 7F 47 42 43)"
        );
        let e = error(b"\x7fG");
        assert_eq!(
            (e.offset, e.message.as_str()),
            (2, "unexpected end of file while reading the magic number")
        );
        assert_eq!(error(b"").offset, 0);
    }

    #[test]
    fn unsupported_version() {
        let mut bytes = tiny(vec![]);
        bytes[4] = 2;
        let e = error(&bytes);
        assert_eq!(
            e.to_string(),
            "byte offset 4: error: unsupported format version 2 (this loader reads version 1)"
        );
    }

    #[test]
    fn unknown_opcode() {
        let mut bytes = tiny(vec![Instruction::Nop, Instruction::Return]);
        bytes[FIRST_OPCODE + 1] = 0xEE;
        let e = error(&bytes);
        assert_eq!(e.offset, FIRST_OPCODE + 1);
        assert_eq!(
            e.message,
            "unknown opcode 0xEE in instruction 1 in function 0 (`f`)"
        );
    }

    #[test]
    fn invalid_utf8() {
        let mut bytes = tiny(vec![]);
        bytes[SOURCE_BYTES] = 0xFF;
        let e = error(&bytes);
        assert_eq!(
            (e.offset, e.message.as_str()),
            (SOURCE_BYTES, "invalid UTF-8 in the source name")
        );
    }

    #[test]
    fn huge_count_is_refused_before_allocating() {
        let mut bytes = tiny(vec![]);
        bytes[CONSTANTS..CONSTANTS + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        let e = error(&bytes);
        assert_eq!(e.offset, CONSTANTS);
        assert_eq!(
            e.message,
            "unexpected end of file while reading the constants: their count is 4294967295 but the 44 bytes left could hold at most 8"
        );
    }

    #[test]
    fn truncated_at_the_end() {
        let bytes = tiny(vec![]);
        let e = error(&bytes[..bytes.len() - 1]);
        assert_eq!(e.offset, bytes.len() - 4);
        assert_eq!(
            e.message,
            "unexpected end of file while reading the number of line entries (needs 4 bytes, 3 left) in function 0 (`f`)"
        );
        // Cut inside the function: its count already says it cannot fit.
        let e = error(&bytes[..FIRST_OPCODE - 2]);
        assert_eq!(e.offset, FUNCTIONS);
        assert_eq!(
            e.message,
            "unexpected end of file while reading the functions: their count is 1 but the 18 bytes left could hold at most 0"
        );
    }

    #[test]
    fn truncated_operand() {
        let mut bytes = tiny(vec![Instruction::Nop; 30]);
        let last = bytes.len() - 9;
        bytes[last] = Instruction::Load(Local(1)).opcode();
        let e = error(&bytes[..last + 2]);
        assert_eq!(e.offset, last + 1);
        assert_eq!(
            e.message,
            "unexpected end of file while reading an operand (needs 2 bytes, 1 left) in instruction 29 in function 0 (`f`)"
        );
    }

    #[test]
    fn invalid_bool_and_type_bytes() {
        let mut bytes = tiny(vec![]);
        bytes[RETURNS_VALUE] = 2;
        let e = error(&bytes);
        assert_eq!(e.offset, RETURNS_VALUE);
        assert_eq!(
            e.message,
            "invalid bool byte 2 in returns_value (must be 0 or 1) in function 0 (`f`)"
        );

        let mut bytes = tiny(vec![Instruction::NewArray(ValueType::Float)]);
        bytes[FIRST_OPCODE + 1] = 3;
        let e = error(&bytes);
        assert_eq!(e.offset, FIRST_OPCODE + 1);
        assert!(
            e.message
                .starts_with("invalid type byte 3 in a type operand"),
            "{}",
            e.message
        );

        let module = Module {
            statics: vec![StaticDef {
                name: "s".into(),
                ty: ValueType::Int,
            }],
            ..Module::default()
        };
        let mut bytes = encode(&module);
        let type_byte = 6 + 4 + 4 + 4 + 4 + 4 + 1;
        bytes[type_byte] = 9;
        let e = error(&bytes);
        assert_eq!(e.offset, type_byte);
        assert!(e.message.ends_with("in static 0"), "{}", e.message);
    }

    #[test]
    fn unknown_constant_tag() {
        let mut bytes = encode(&Module {
            constants: vec![Constant::Int(1)],
            ..Module::default()
        });
        let tag = 6 + 4 + 4;
        bytes[tag] = 3;
        let e = error(&bytes);
        assert_eq!(e.offset, tag);
        assert_eq!(
            e.message,
            "unknown constant tag 3 (must be 0 int, 1 float or 2 string) in constant 0"
        );
    }

    #[test]
    fn local_names_must_be_none_or_one_per_local() {
        let mut module = full_module();
        module.functions[0].local_names.pop();
        let e = error(&encode(&module));
        assert_eq!(e.message, "2 local names for 3 locals (there must be none or one per local) in function 0 (`main`)");
    }

    #[test]
    fn names_in_messages_are_escaped() {
        let mut module = full_module();
        module.functions[1].name = "evil\u{1b}[2J".into();
        module.functions[1].returns_value = false;
        let mut bytes = encode(&module);
        let at = bytes.windows(4).position(|w| w == b"[2J\x00").unwrap() + 7;
        assert_eq!(bytes[at], 0); // returns_value
        bytes[at] = 7;
        let e = error(&bytes);
        assert_eq!(e.offset, at);
        assert!(
            e.message.ends_with("in function 1 (`evil\\u{1b}[2J`)"),
            "{}",
            e.message
        );
    }

    #[test]
    fn trailing_bytes() {
        let mut bytes = tiny(vec![]);
        let end = bytes.len();
        bytes.extend_from_slice(&[0, 0, 0]);
        let e = error(&bytes);
        assert_eq!(
            (e.offset, e.message.as_str()),
            (end, "3 trailing bytes after the last section")
        );
    }

    #[test]
    fn errors_inside_classes_name_the_class_and_field() {
        let mut module = full_module();
        module.classes[1].fields[2].name = "\u{0}x".into();
        let mut bytes = encode(&module);
        let at = bytes.windows(2).position(|w| w == b"\0x").unwrap();
        bytes[at] = 0xC0;
        let e = error(&bytes);
        assert_eq!(e.offset, at);
        assert_eq!(
            e.message,
            "invalid UTF-8 in a field name in field 2 in class 1 (`Node`)"
        );
    }
}
