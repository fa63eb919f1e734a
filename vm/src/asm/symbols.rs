//! Module-level names: classes (built-in and user), their fields, statics,
//! functions and imported natives, resolved to the indices of
//! [`crate::module::Module`].
//!
//! Invariants:
//! - Tables are in declaration order, so the assembled module's class,
//!   static and function tables follow the source.
//! - Once built, every user class's superclass chain is known to end (no
//!   cycles), so walking it for field lookup terminates.
//! - The native table starts with the `.native` declarations and then grows
//!   by first use of `callnative NAME`; every entry is a known native and
//!   appears once.

use std::collections::HashMap;

use super::ast::{ClassDecl, FuncDecl, Spanned, StaticDecl};
use super::error::{AsmResult, Diagnostic};
use crate::builtin::{builtin_class, builtin_class_by_name, native_by_name, BUILTIN_CLASS_COUNT};
use crate::isa::{ClassIdx, FieldRef, FuncIdx, NativeIdx, StaticIdx};
use crate::module::{ClassDef, FieldDef, Module, StaticDef};

/// The name tables of the module being assembled.
#[derive(Debug, Default)]
pub struct Symbols {
    pub classes: Vec<ClassDef>,
    class_index: HashMap<String, ClassIdx>,
    pub statics: Vec<StaticDef>,
    static_index: HashMap<String, StaticIdx>,
    function_index: HashMap<String, FuncIdx>,
    pub natives: Vec<String>,
    native_index: HashMap<String, NativeIdx>,
}

impl Symbols {
    /// Declares the classes (checking names, superclasses, cycles and
    /// fields), statics and function names.
    pub fn declare(
        classes: &[ClassDecl],
        statics: &[StaticDecl],
        functions: &[FuncDecl],
    ) -> AsmResult<Symbols> {
        let mut symbols = Symbols::default();
        symbols.declare_classes(classes)?;
        for s in statics {
            let idx = StaticIdx(symbols.statics.len() as u32);
            if symbols
                .static_index
                .insert(s.name.value.clone(), idx)
                .is_some()
            {
                return Err(duplicate("static", &s.name));
            }
            symbols.statics.push(StaticDef {
                name: s.name.value.clone(),
                ty: s.ty,
            });
        }
        for (i, f) in functions.iter().enumerate() {
            if symbols
                .function_index
                .insert(f.name.value.clone(), FuncIdx(i as u32))
                .is_some()
            {
                return Err(duplicate("function", &f.name));
            }
        }
        Ok(symbols)
    }

    fn declare_classes(&mut self, classes: &[ClassDecl]) -> AsmResult<()> {
        for (i, c) in classes.iter().enumerate() {
            if builtin_class_by_name(&c.name.value).is_some() {
                return Err(Diagnostic::new(
                    c.name.pos,
                    format!("duplicate class `{}`: it is a built-in class", c.name.value),
                ));
            }
            if self
                .class_index
                .insert(c.name.value.clone(), Module::user_class_idx(i))
                .is_some()
            {
                return Err(duplicate("class", &c.name));
            }
        }
        for c in classes {
            let superclass = match &c.superclass {
                None => None,
                Some(name) => Some(self.class(name).map_err(|_| {
                    Diagnostic::new(name.pos, format!("unknown superclass `{}`", name.value))
                })?),
            };
            let mut fields: Vec<FieldDef> = Vec::new();
            for f in &c.fields {
                if fields.iter().any(|existing| existing.name == f.name.value) {
                    return Err(Diagnostic::new(
                        f.name.pos,
                        format!(
                            "duplicate field `{}` in class `{}`",
                            f.name.value, c.name.value
                        ),
                    ));
                }
                fields.push(FieldDef {
                    name: f.name.value.clone(),
                    ty: f.ty,
                });
            }
            self.classes.push(ClassDef {
                name: c.name.value.clone(),
                superclass,
                fields,
            });
        }
        self.check_no_cycles(classes)
    }

    /// Rejects a class that is its own (indirect) superclass.
    fn check_no_cycles(&self, classes: &[ClassDecl]) -> AsmResult<()> {
        for (i, decl) in classes.iter().enumerate() {
            let mut chain = vec![self.classes[i].name.clone()];
            let mut current = self.classes[i].superclass;
            while let Some(idx) = current {
                let Some(user) = (idx.0 as usize).checked_sub(BUILTIN_CLASS_COUNT) else {
                    break; // built-in classes form a tree
                };
                chain.push(self.classes[user].name.clone());
                if user == i {
                    let pos = decl.superclass.as_ref().map_or(decl.name.pos, |s| s.pos);
                    return Err(Diagnostic::new(
                        pos,
                        format!(
                            "class `{}` is its own superclass (cycle: {})",
                            decl.name.value,
                            chain.join(" extends ")
                        ),
                    ));
                }
                if chain.len() > classes.len() + 1 {
                    break; // a cycle not through `i`; reported for its own members
                }
                current = self.classes[user].superclass;
            }
        }
        Ok(())
    }

    pub fn class(&self, name: &Spanned<String>) -> AsmResult<ClassIdx> {
        builtin_class_by_name(&name.value)
            .or_else(|| self.class_index.get(&name.value).copied())
            .ok_or_else(|| undefined("class", name))
    }

    /// `Class.field`: the field declared by `class` or, failing that, by the
    /// nearest superclass that declares it.
    pub fn field(&self, class: &Spanned<String>, field: &Spanned<String>) -> AsmResult<FieldRef> {
        let start = self.class(class)?;
        let mut current = Some(start);
        while let Some(idx) = current {
            let (fields, superclass): (Vec<&str>, Option<ClassIdx>) = match builtin_class(idx) {
                Some(b) => (b.fields.iter().map(|(n, _)| *n).collect(), b.superclass),
                None => match (idx.0 as usize)
                    .checked_sub(BUILTIN_CLASS_COUNT)
                    .and_then(|i| self.classes.get(i))
                {
                    Some(c) => (
                        c.fields.iter().map(|f| f.name.as_str()).collect(),
                        c.superclass,
                    ),
                    None => (Vec::new(), None),
                },
            };
            if let Some(position) = fields.iter().position(|n| *n == field.value) {
                let (Ok(class), Ok(field_index)) = (u16::try_from(idx.0), u16::try_from(position))
                else {
                    return Err(Diagnostic::new(
                        field.pos,
                        format!(
                            "field `{}` cannot be encoded: class or field index above 65535",
                            field.value
                        ),
                    ));
                };
                return Ok(FieldRef {
                    class,
                    field: field_index,
                });
            }
            current = superclass;
        }
        Err(Diagnostic::new(
            field.pos,
            format!(
                "undefined field `{}` in class `{}`",
                field.value, class.value
            ),
        ))
    }

    pub fn static_var(&self, name: &Spanned<String>) -> AsmResult<StaticIdx> {
        self.static_index
            .get(&name.value)
            .copied()
            .ok_or_else(|| undefined("static", name))
    }

    pub fn function(&self, name: &Spanned<String>) -> AsmResult<FuncIdx> {
        self.function_index
            .get(&name.value)
            .copied()
            .ok_or_else(|| undefined("function", name))
    }

    /// `.native NAME`: imports a native explicitly (fixing its table index).
    pub fn declare_native(&mut self, name: &Spanned<String>) -> AsmResult<()> {
        if self.native_index.contains_key(&name.value) {
            return Err(duplicate("native", name));
        }
        self.native(name).map(|_| ())
    }

    /// The index of native `name`, importing it on first use.
    pub fn native(&mut self, name: &Spanned<String>) -> AsmResult<NativeIdx> {
        if let Some(&idx) = self.native_index.get(&name.value) {
            return Ok(idx);
        }
        if native_by_name(&name.value).is_none() {
            return Err(Diagnostic::new(
                name.pos,
                format!("unknown native `{}`", name.value),
            ));
        }
        let idx = NativeIdx(self.natives.len() as u32);
        self.natives.push(name.value.clone());
        self.native_index.insert(name.value.clone(), idx);
        Ok(idx)
    }
}

fn duplicate(what: &str, name: &Spanned<String>) -> Diagnostic {
    Diagnostic::new(name.pos, format!("duplicate {what} `{}`", name.value))
}

fn undefined(what: &str, name: &Spanned<String>) -> Diagnostic {
    Diagnostic::new(name.pos, format!("undefined {what} `{}`", name.value))
}
