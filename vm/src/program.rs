//! The linked program: the immutable, shared form of a verified [`Module`]
//! that every VM thread runs.
//!
//! Linking computes what the interpreter needs at run time and the module
//! does not spell out:
//! - class layouts: every class's slots (inherited fields first, then its
//!   own), their types and printable names, and a Cohen display (the chain
//!   of ancestors, root first) so that "is C a subclass of T" is one
//!   comparison;
//! - constants as [`Value`]s, with every string constant pre-allocated once
//!   (interned) in the heap;
//! - the static variables (typed atomic slots, zero-initialised);
//! - the natives, resolved by name to their implementations.
//!
//! Invariants: a `Program` never changes after linking except through atomic
//! slots (statics) and its heap and output, which are themselves shared
//! safely; so it is shared by `Arc` between all threads with no locking.
//! `Throwable` has one hidden slot after `message` ([`TRACE_SLOT`]) holding
//! the stack trace recorded when the exception is first thrown (see
//! [`crate::exception`]); bytecode cannot name it.

use std::fmt;
use std::sync::atomic::AtomicU64;

use crate::builtin::{self, BUILTIN_CLASSES, BUILTIN_CLASS_COUNT, OUT_OF_MEMORY_ERROR, THROWABLE};
use crate::heap::{slot, AllocList, Heap};
use crate::isa::{ClassIdx, FieldRef, ValueType};
use crate::module::{Constant, Module};
use crate::natives::{self, ResolvedNative};
use crate::output::Output;
use crate::threads::{SchedOptions, ThreadRegistry};
use crate::value::{Ref, Value};

/// `Throwable.message`'s slot.
pub const MESSAGE_SLOT: usize = 0;
/// The hidden slot of every Throwable that holds its stack trace (an int
/// array of `function, pc` pairs, innermost first) or null.
pub const TRACE_SLOT: usize = 1;

/// A class's run-time layout.
#[derive(Debug)]
pub struct ClassLayout {
    pub name: String,
    pub superclass: Option<ClassIdx>,
    /// Ancestors from the root down to this class itself.
    pub display: Box<[u32]>,
    /// Type of every slot of an instance (inherited first).
    pub slot_types: Box<[ValueType]>,
    /// `Class.field` for every slot, for messages.
    pub slot_names: Box<[String]>,
    /// The slot of this class's first own field.
    pub own_fields_start: u32,
    /// Whether this class is Throwable or a subclass of it.
    pub is_throwable: bool,
}

impl ClassLayout {
    /// Number of slots of an instance.
    pub fn slot_count(&self) -> u32 {
        self.slot_types.len() as u32
    }
}

/// Why a module could not be linked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkError {
    /// A class names a superclass index that does not exist.
    UnknownSuperclass { class: String, superclass: u32 },
    /// A class is (indirectly) its own superclass.
    CyclicInheritance { class: String },
    /// An imported native has no implementation.
    UnknownNative { name: String },
    /// The string constants do not fit in the heap.
    OutOfMemory,
}

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LinkError::UnknownSuperclass { class, superclass } => {
                write!(f, "class {class}: unknown superclass index {superclass}")
            }
            LinkError::CyclicInheritance { class } => {
                write!(f, "class {class} inherits from itself")
            }
            LinkError::UnknownNative { name } => write!(f, "unknown native `{name}`"),
            LinkError::OutOfMemory => write!(f, "out of memory while linking constants"),
        }
    }
}

impl std::error::Error for LinkError {}

/// How to link: heap limit and where output goes.
pub struct LinkOptions {
    pub max_heap: usize,
    pub output: Output,
    /// Options of the program's threads.
    pub sched: SchedOptions,
}

impl Default for LinkOptions {
    fn default() -> Self {
        LinkOptions {
            max_heap: crate::heap::DEFAULT_MAX_HEAP,
            output: Output::process(),
            sched: SchedOptions::default(),
        }
    }
}

/// A linked, immutable, shared program.
pub struct Program {
    pub module: Module,
    pub classes: Vec<ClassLayout>,
    /// The constant pool as values (strings pre-allocated).
    pub constants: Vec<Value>,
    /// Static variables: typed slots (types in `module.statics`).
    pub statics: Box<[AtomicU64]>,
    /// Natives by the module's native index.
    pub natives: Vec<ResolvedNative>,
    pub heap: Heap,
    pub output: Output,
    /// Every thread of the program.
    pub threads: ThreadRegistry,
    /// An OutOfMemoryError allocated at link time, thrown when even an
    /// exempt allocation fails (the host itself is out of memory).
    pub(crate) fallback_oom: Ref,
}

impl Program {
    /// Links a verified module.
    pub fn link(mut module: Module, opts: LinkOptions) -> Result<Program, LinkError> {
        let classes = link_classes(&module)?;
        // Fuse common sequences for the fast path (code never changes after this).
        let (statics, native_names) = (&module.statics, &module.natives);
        let cx = crate::interp::fuse::FuseContext {
            int_static: &|s| {
                statics
                    .get(s as usize)
                    .is_some_and(|d| d.ty == ValueType::Int)
            },
            native_name: &|n| native_names.get(n.0 as usize).map(String::as_str),
        };
        let fused: usize = module
            .functions
            .iter_mut()
            .map(|f| crate::interp::fuse::fuse(&mut f.code, &cx))
            .sum();
        let heap = Heap::with_workers(opts.max_heap, opts.sched.workers);
        let mut interned = AllocList::new();
        let mut constants = Vec::with_capacity(module.constants.len());
        for c in &module.constants {
            constants.push(match c {
                Constant::Int(i) => Value::Int(*i),
                Constant::Float(f) => Value::Float(*f),
                Constant::Str(s) => match heap.alloc_string(&mut interned, s) {
                    Ok(r) => Value::Ref(r),
                    Err(_) => {
                        heap.retire(interned);
                        return Err(LinkError::OutOfMemory);
                    }
                },
            });
        }
        let fallback_oom = match heap.alloc_instance_exempt(
            &mut interned,
            OUT_OF_MEMORY_ERROR,
            classes[OUT_OF_MEMORY_ERROR.0 as usize].slot_count(),
        ) {
            Ok(r) => r,
            Err(_) => {
                heap.retire(interned);
                return Err(LinkError::OutOfMemory);
            }
        };
        heap.retire(interned);
        let natives = module
            .natives
            .iter()
            .map(|name| {
                natives::resolve(name)
                    .ok_or_else(|| LinkError::UnknownNative { name: name.clone() })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let statics = module.statics.iter().map(|_| AtomicU64::new(0)).collect();
        log::debug!(
            "linked module {}: {} classes ({} user), {} functions, {} constants, {} statics, {} natives, {} fused sequences",
            module.source_name,
            classes.len(),
            module.classes.len(),
            module.functions.len(),
            constants.len(),
            module.statics.len(),
            natives.len(),
            fused
        );
        Ok(Program {
            module,
            classes,
            constants,
            statics,
            natives,
            heap,
            output: opts.output,
            threads: ThreadRegistry::new(opts.sched),
            fallback_oom,
        })
    }

    /// The layout of class `idx` (which the verifier guarantees exists).
    #[inline(always)]
    pub fn class(&self, idx: ClassIdx) -> &ClassLayout {
        &self.classes[idx.0 as usize]
    }

    /// Whether `class` is `target` or one of its subclasses.
    #[inline(always)]
    pub fn is_subclass(&self, class: ClassIdx, target: ClassIdx) -> bool {
        let c = &self.classes[class.0 as usize];
        let t = &self.classes[target.0 as usize];
        c.display.get(t.display.len() - 1) == Some(&target.0)
    }

    /// Whether `v` is an instance of `target` (or a subclass).
    #[inline]
    pub fn is_instance_of(&self, v: Value, target: ClassIdx) -> bool {
        match v {
            Value::Ref(r) => match r.class() {
                Some(c) => self.is_subclass(c, target),
                None => false,
            },
            _ => false,
        }
    }

    /// The slot a field reference names, its type and its `Class.field` name.
    #[inline(always)]
    pub fn field_slot(&self, field: FieldRef) -> (usize, ValueType) {
        let layout = &self.classes[field.class as usize];
        let slot = layout.own_fields_start as usize + field.field as usize;
        (slot, layout.slot_types[slot])
    }

    /// `Class.field` for a field reference.
    pub fn field_name(&self, field: FieldRef) -> &str {
        let (slot, _) = self.field_slot(field);
        &self.classes[field.class as usize].slot_names[slot]
    }

    /// A static's current value.
    #[inline(always)]
    pub fn load_static(&self, idx: usize) -> Value {
        slot::load(&self.statics[idx], self.module.statics[idx].ty)
    }

    /// Writes a static; false if `v` does not fit its type.
    #[inline(always)]
    pub fn store_static(&self, idx: usize, v: Value) -> bool {
        slot::store(&self.statics[idx], self.module.statics[idx].ty, v)
    }

    /// [`Program::load_static`] without bounds checks.
    ///
    /// # Safety
    /// `idx` names a static of the module (the verifier's V-index rule, for
    /// an operand of verified code).
    #[inline(always)]
    pub unsafe fn load_static_unchecked(&self, idx: usize) -> Value {
        // SAFETY: the caller guarantees `idx` is in bounds; `statics` has
        // one slot per static of the module.
        unsafe {
            slot::load(
                self.statics.get_unchecked(idx),
                self.module.statics.get_unchecked(idx).ty,
            )
        }
    }

    /// The raw bits of static `idx`'s slot (an int static's value as `u64`).
    ///
    /// # Safety
    /// As [`Program::load_static_unchecked`].
    #[inline(always)]
    pub unsafe fn static_bits_unchecked(&self, idx: usize) -> u64 {
        // SAFETY: the caller guarantees `idx` is in bounds.
        unsafe { self.statics.get_unchecked(idx) }.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// [`Program::store_static`] without bounds checks.
    ///
    /// # Safety
    /// As [`Program::load_static_unchecked`].
    #[inline(always)]
    pub unsafe fn store_static_unchecked(&self, idx: usize, v: Value) -> bool {
        // SAFETY: as in `load_static_unchecked`.
        unsafe {
            slot::store(
                self.statics.get_unchecked(idx),
                self.module.statics.get_unchecked(idx).ty,
                v,
            )
        }
    }

    /// A short description of a value's run-time type for messages: `null`,
    /// `int`, `float`, `string`, `int[]`, or the class name.
    pub fn type_name(&self, v: Value) -> String {
        match v {
            Value::Null => "null".into(),
            Value::Int(_) => "int".into(),
            Value::Float(_) => "float".into(),
            Value::Ref(r) => {
                if let Some(c) = r.class() {
                    self.classes
                        .get(c.0 as usize)
                        .map_or("object".into(), |l| l.name.clone())
                } else if let Some(t) = r.array_elem_type() {
                    format!("{t}[]")
                } else if r.as_thread().is_some() {
                    "Thread".into()
                } else {
                    "string".into()
                }
            }
        }
    }
}

/// Computes every class's layout (built-ins first), rejecting unknown
/// superclasses and cycles.
fn link_classes(module: &Module) -> Result<Vec<ClassLayout>, LinkError> {
    let total = BUILTIN_CLASS_COUNT + module.classes.len();
    let mut layouts: Vec<Option<ClassLayout>> = (0..total).map(|_| None).collect();
    for start in 0..total {
        // Walk up to the first class already laid out (or the root), then
        // lay out the chain top-down.
        let mut chain = Vec::new();
        let mut cur = Some(start as u32);
        while let Some(c) = cur {
            if layouts[c as usize].is_some() {
                break;
            }
            if chain.contains(&c) {
                return Err(LinkError::CyclicInheritance {
                    class: class_name(module, c),
                });
            }
            chain.push(c);
            cur = superclass_of(module, c);
            if let Some(s) = cur {
                if s as usize >= total {
                    return Err(LinkError::UnknownSuperclass {
                        class: class_name(module, c),
                        superclass: s,
                    });
                }
            }
        }
        for &c in chain.iter().rev() {
            let sup = superclass_of(module, c);
            let parent = sup.and_then(|s| layouts[s as usize].as_ref());
            let layout = lay_out(module, c, sup, parent);
            layouts[c as usize] = Some(layout);
        }
    }
    Ok(layouts.into_iter().flatten().collect())
}

fn superclass_of(module: &Module, c: u32) -> Option<u32> {
    match builtin::builtin_class(ClassIdx(c)) {
        Some(b) => b.superclass.map(|s| s.0),
        None => module
            .user_class(ClassIdx(c))
            .and_then(|d| d.superclass)
            .map(|s| s.0),
    }
}

fn class_name(module: &Module, c: u32) -> String {
    module.class_name(ClassIdx(c)).unwrap_or("?").to_string()
}

fn lay_out(module: &Module, c: u32, sup: Option<u32>, parent: Option<&ClassLayout>) -> ClassLayout {
    let name = class_name(module, c);
    let mut display: Vec<u32> = parent.map_or(Vec::new(), |p| p.display.to_vec());
    display.push(c);
    let mut slot_types: Vec<ValueType> = parent.map_or(Vec::new(), |p| p.slot_types.to_vec());
    let mut slot_names: Vec<String> = parent.map_or(Vec::new(), |p| p.slot_names.to_vec());
    let own_fields_start = slot_types.len() as u32;
    let own: Vec<(String, ValueType)> = match BUILTIN_CLASSES.get(c as usize) {
        Some(b) => b.fields.iter().map(|(n, t)| (n.to_string(), *t)).collect(),
        None => module
            .user_class(ClassIdx(c))
            .map(|d| d.fields.iter().map(|f| (f.name.clone(), f.ty)).collect())
            .unwrap_or_default(),
    };
    for (n, t) in own {
        slot_names.push(format!("{name}.{n}"));
        slot_types.push(t);
    }
    if c == THROWABLE.0 {
        debug_assert_eq!(slot_types.len(), TRACE_SLOT);
        slot_names.push("Throwable.<trace>".into());
        slot_types.push(ValueType::Ref);
    }
    let is_throwable = display.first() == Some(&THROWABLE.0);
    ClassLayout {
        name,
        superclass: sup.map(ClassIdx),
        display: display.into(),
        slot_types: slot_types.into(),
        slot_names: slot_names.into(),
        own_fields_start,
        is_throwable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::{ARITHMETIC_EXCEPTION, EXCEPTION, RUNTIME_EXCEPTION};
    use crate::module::{ClassDef, FieldDef};

    fn field(name: &str, ty: ValueType) -> FieldDef {
        FieldDef {
            name: name.into(),
            ty,
        }
    }

    fn opts() -> LinkOptions {
        LinkOptions {
            max_heap: 1 << 20,
            output: Output::capture(),
            ..LinkOptions::default()
        }
    }

    #[test]
    fn inherited_fields_come_first_and_subclass_checks_work() {
        let b = Module::user_class_idx(0);
        let a = Module::user_class_idx(1);
        let module = Module {
            // B extends A, declared before A
            classes: vec![
                ClassDef {
                    name: "B".into(),
                    superclass: Some(a),
                    fields: vec![field("y", ValueType::Float)],
                },
                ClassDef {
                    name: "A".into(),
                    superclass: None,
                    fields: vec![field("x", ValueType::Int)],
                },
            ],
            constants: vec![Constant::Str("hi".into()), Constant::Int(3)],
            ..Module::default()
        };
        let p = Program::link(module, opts()).unwrap();
        assert_eq!(p.class(b).slot_count(), 2);
        assert_eq!(
            p.field_slot(FieldRef {
                class: b.0 as u16,
                field: 0
            }),
            (1, ValueType::Float)
        );
        assert_eq!(
            p.field_slot(FieldRef {
                class: a.0 as u16,
                field: 0
            }),
            (0, ValueType::Int)
        );
        assert_eq!(
            p.field_name(FieldRef {
                class: b.0 as u16,
                field: 0
            }),
            "B.y"
        );
        assert!(p.is_subclass(b, a));
        assert!(!p.is_subclass(a, b));
        assert!(p.is_subclass(ARITHMETIC_EXCEPTION, EXCEPTION));
        assert!(!p.is_subclass(EXCEPTION, RUNTIME_EXCEPTION));
        assert!(p.class(ARITHMETIC_EXCEPTION).is_throwable);
        assert!(!p.class(a).is_throwable);
        assert_eq!(p.class(ARITHMETIC_EXCEPTION).slot_count(), 2);
        match p.constants[0] {
            Value::Ref(r) => assert_eq!(r.as_str(), Some("hi")),
            _ => panic!("string constant"),
        }
    }

    #[test]
    fn user_exceptions_inherit_the_hidden_trace_slot() {
        let module = Module {
            classes: vec![ClassDef {
                name: "Bad".into(),
                superclass: Some(EXCEPTION),
                fields: vec![field("code", ValueType::Int)],
            }],
            ..Module::default()
        };
        let p = Program::link(module, opts()).unwrap();
        let bad = Module::user_class_idx(0);
        assert!(p.class(bad).is_throwable);
        assert_eq!(
            p.field_slot(FieldRef {
                class: bad.0 as u16,
                field: 0
            }),
            (2, ValueType::Int)
        );
    }

    #[test]
    fn cycles_and_unknown_natives_are_link_errors() {
        let a = Module::user_class_idx(0);
        let module = Module {
            classes: vec![ClassDef {
                name: "A".into(),
                superclass: Some(a),
                fields: vec![],
            }],
            ..Module::default()
        };
        assert!(matches!(
            Program::link(module, opts()),
            Err(LinkError::CyclicInheritance { .. })
        ));
        let module = Module {
            natives: vec!["nope".into()],
            ..Module::default()
        };
        assert!(matches!(
            Program::link(module, opts()),
            Err(LinkError::UnknownNative { .. })
        ));
    }
}
