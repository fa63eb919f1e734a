//! The encoder: [`encode`] writes a [`Module`] as `.gbc` bytes, in the
//! layout of docs/module-format.md.
//!
//! Encoding cannot fail: every module, verified or not, has an encoding. The
//! loader reads each section back with the mirror-image calls in
//! `decode.rs`, in the same order as the `write_*` functions below.

use super::layout::{FORMAT_VERSION, MAGIC, NO_CLASS, TAG_FLOAT, TAG_INT, TAG_STR};
use super::writer::Writer;
use crate::isa::{ClassIdx, Instruction, Operand};
use crate::module::{ClassDef, Constant, Function, Module};

/// Encodes `module` as the bytes of a `.gbc` file.
pub fn encode(module: &Module) -> Vec<u8> {
    let mut w = Writer::new();
    w.raw(&MAGIC);
    w.u16(FORMAT_VERSION);
    w.string(&module.source_name);

    w.count(module.constants.len());
    for constant in &module.constants {
        write_constant(&mut w, constant);
    }
    w.count(module.classes.len());
    for class in &module.classes {
        write_class(&mut w, class);
    }
    w.count(module.statics.len());
    for s in &module.statics {
        w.string(&s.name);
        w.u8(s.ty as u8);
    }
    w.count(module.natives.len());
    for native in &module.natives {
        w.string(native);
    }
    w.count(module.functions.len());
    for function in &module.functions {
        write_function(&mut w, function);
    }
    w.finish()
}

fn write_class_ref(w: &mut Writer, class: Option<ClassIdx>) {
    w.u32(class.map_or(NO_CLASS, |c| c.0));
}

fn write_constant(w: &mut Writer, constant: &Constant) {
    match constant {
        Constant::Int(v) => {
            w.u8(TAG_INT);
            w.i64(*v);
        }
        Constant::Float(v) => {
            w.u8(TAG_FLOAT);
            w.u64(v.to_bits());
        }
        Constant::Str(s) => {
            w.u8(TAG_STR);
            w.string(s);
        }
    }
}

fn write_class(w: &mut Writer, class: &ClassDef) {
    w.string(&class.name);
    write_class_ref(w, class.superclass);
    w.count(class.fields.len());
    for field in &class.fields {
        w.string(&field.name);
        w.u8(field.ty as u8);
    }
}

fn write_function(w: &mut Writer, f: &Function) {
    w.string(&f.name);
    w.u16(f.params);
    w.u16(f.locals);
    w.bool(f.returns_value);
    w.u16(f.max_stack);
    w.count(f.local_names.len());
    for name in &f.local_names {
        w.string(name);
    }
    w.count(f.code.len());
    for insn in &f.code {
        write_instruction(w, insn);
    }
    w.count(f.handlers.len());
    for h in &f.handlers {
        w.u32(h.start);
        w.u32(h.end);
        w.u32(h.handler);
        write_class_ref(w, h.class);
    }
    w.count(f.lines.len());
    for entry in &f.lines {
        w.u32(entry.pc);
        w.u32(entry.line);
    }
}

/// The opcode byte, then the operand in `OperandKind::encoded_len` bytes.
fn write_instruction(w: &mut Writer, insn: &Instruction) {
    w.u8(insn.opcode());
    match insn.operand() {
        Operand::None => {}
        Operand::Int(v) => w.i32(v),
        Operand::Local(l) => w.u16(l.0),
        Operand::Const(c) => w.u32(c.0),
        Operand::Target(t) => w.u32(t.0),
        Operand::Func(f) => w.u32(f.0),
        Operand::Class(c) => w.u32(c.0),
        Operand::Field(f) => {
            w.u16(f.class);
            w.u16(f.field);
        }
        Operand::Static(s) => w.u32(s.0),
        Operand::Native(n) => w.u32(n.0),
        Operand::Type(t) => w.u8(t as u8),
        Operand::Inc(inc) => {
            w.u16(inc.local.0);
            w.i16(inc.delta);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::isa::{IncOperand, Local, OPCODES};
    use crate::module::LineEntry;

    #[test]
    fn empty_module_is_header_and_zero_counts() {
        let bytes = encode(&Module {
            source_name: "a".into(),
            ..Module::default()
        });
        #[rustfmt::skip]
        let expected: &[u8] = &[
            0x7F, b'G', b'B', b'C', 1, 0, // magic, version
            1, 0, 0, 0, b'a',             // source name
            0, 0, 0, 0,                   // constants
            0, 0, 0, 0,                   // classes
            0, 0, 0, 0,                   // statics
            0, 0, 0, 0,                   // natives
            0, 0, 0, 0,                   // functions
        ];
        assert_eq!(bytes, expected);
    }

    #[test]
    fn function_layout_matches_the_documentation() {
        let f = Function {
            name: "f".into(),
            params: 1,
            locals: 2,
            returns_value: true,
            max_stack: 3,
            local_names: vec![],
            code: vec![
                Instruction::IInc(IncOperand {
                    local: Local(1),
                    delta: -2,
                }),
                Instruction::Return,
            ],
            handlers: vec![],
            lines: vec![LineEntry { pc: 0, line: 7 }],
        };
        let mut w = Writer::new();
        write_function(&mut w, &f);
        #[rustfmt::skip]
        let expected: &[u8] = &[
            1, 0, 0, 0, b'f',          // name
            1, 0, 2, 0, 1, 3, 0,       // params, locals, returns_value, max_stack
            0, 0, 0, 0,                // local names
            2, 0, 0, 0,                // instruction count
            0x0A, 1, 0, 0xFE, 0xFF,    // iinc 1 -2
            0x4A,                      // return
            0, 0, 0, 0,                // handlers
            1, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, // lines: pc 0, line 7
        ];
        assert_eq!(w.finish(), expected);
    }

    #[test]
    fn every_operand_takes_its_documented_length() {
        let sample = super::super::sample::every_instruction();
        assert_eq!(sample.len(), OPCODES.len());
        for insn in sample {
            let mut w = Writer::new();
            write_instruction(&mut w, &insn);
            assert_eq!(
                w.finish().len(),
                1 + insn.info().operand.encoded_len(),
                "{}",
                insn.mnemonic()
            );
        }
    }
}
