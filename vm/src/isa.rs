//! The instruction set: the single source of truth for every instruction.
//!
//! One list, in [`instructions!`], defines each instruction's opcode byte, its
//! mnemonic, its operand and its operand-stack effect. From it come the
//! [`Instruction`] enum (the decoded form the verifier and interpreter use),
//! the opcode table ([`OPCODES`]) the assembler, encoder, loader and
//! disassembler use, and `docs/isa.md` is checked against it by a test.
//!
//! Invariants:
//! - Every instruction has at most one operand; its type says what it indexes
//!   (`Local`, `ConstIdx`, `Target`, ...), so the verifier can check each index
//!   against the right table.
//! - Branch targets are instruction indices (pcs) within the same function,
//!   not byte offsets.
//! - `size_of::<Instruction>()` is 8 bytes (pinned by a test): the dispatch
//!   loop walks a dense `[Instruction]`.
//! - Opcodes 0xC0..=0xDF are for thread and monitor instructions: 0xC0 and
//!   0xC1 create threads; 0xC2..=0xDF are reserved for monitors.
//!
//! Stack effects are written `pops -> pushes`; [`StackEffect::Dynamic`] marks
//! the few instructions (calls, natives, returns, throw) whose effect depends
//! on the callee or that end the frame; the verifier handles them by name.

use std::fmt;

/// A local-variable slot of the current frame (parameters come first).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Local(pub u16);

/// An index into the module's constant pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ConstIdx(pub u32);

/// A branch target: an instruction index in the same function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Target(pub u32);

/// An index into the module's function table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FuncIdx(pub u32);

/// A class: indices below [`crate::builtin::BUILTIN_CLASS_COUNT`] are the
/// built-in classes, the rest are the module's classes in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ClassIdx(pub u32);

/// A field: the class that declares it and the index among that class's own
/// (not inherited) fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FieldRef {
    pub class: u16,
    pub field: u16,
}

/// An index into the module's table of static (global) variables.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StaticIdx(pub u32);

/// An index into the module's table of imported natives (by name).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NativeIdx(pub u32);

/// The operand of `iinc`: a local and a signed delta.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct IncOperand {
    pub local: Local,
    pub delta: i16,
}

/// The type of a field, a static variable or an array's elements. Values on
/// the operand stack and in locals are dynamically typed; storage in the
/// shared heap is typed, so every slot fits one 64-bit atomic word.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ValueType {
    /// A 64-bit signed integer, initially 0.
    Int = 0,
    /// A 64-bit IEEE float, initially 0.0.
    Float = 1,
    /// A reference (object, array, string, thread) or null, initially null.
    Ref = 2,
}

impl ValueType {
    pub const ALL: [ValueType; 3] = [ValueType::Int, ValueType::Float, ValueType::Ref];

    /// The name used in assembly: `int`, `float` or `ref`.
    pub fn name(self) -> &'static str {
        match self {
            ValueType::Int => "int",
            ValueType::Float => "float",
            ValueType::Ref => "ref",
        }
    }

    pub fn from_name(name: &str) -> Option<ValueType> {
        ValueType::ALL.into_iter().find(|t| t.name() == name)
    }

    pub fn from_u8(b: u8) -> Option<ValueType> {
        ValueType::ALL.get(b as usize).copied()
    }
}

impl fmt::Display for ValueType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The kind of operand an instruction takes; decides its text syntax and its
/// encoding (see docs/module-format.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OperandKind {
    /// No operand. Encoded as nothing.
    None,
    /// A signed 32-bit immediate. Encoded as i32 LE.
    Int,
    /// A local slot. Encoded as u16 LE.
    Local,
    /// A constant-pool index. Encoded as u32 LE.
    Const,
    /// A branch target (pc). Encoded as u32 LE.
    Target,
    /// A function index. Encoded as u32 LE.
    Func,
    /// A class index. Encoded as u32 LE.
    Class,
    /// A field reference. Encoded as class u16 LE, field u16 LE.
    Field,
    /// A static-variable index. Encoded as u32 LE.
    Static,
    /// A native index. Encoded as u32 LE.
    Native,
    /// An element type. Encoded as one byte (0 int, 1 float, 2 ref).
    Type,
    /// `iinc`'s local and delta. Encoded as u16 LE, i16 LE.
    Inc,
}

impl OperandKind {
    /// Encoded size of the operand in bytes.
    pub fn encoded_len(self) -> usize {
        match self {
            OperandKind::None => 0,
            OperandKind::Type => 1,
            OperandKind::Local => 2,
            _ => 4,
        }
    }
}

/// An operand, detached from its instruction (for encoding, decoding,
/// assembling and disassembling).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Operand {
    None,
    Int(i32),
    Local(Local),
    Const(ConstIdx),
    Target(Target),
    Func(FuncIdx),
    Class(ClassIdx),
    Field(FieldRef),
    Static(StaticIdx),
    Native(NativeIdx),
    Type(ValueType),
    Inc(IncOperand),
}

impl Operand {
    pub fn kind(&self) -> OperandKind {
        match self {
            Operand::None => OperandKind::None,
            Operand::Int(_) => OperandKind::Int,
            Operand::Local(_) => OperandKind::Local,
            Operand::Const(_) => OperandKind::Const,
            Operand::Target(_) => OperandKind::Target,
            Operand::Func(_) => OperandKind::Func,
            Operand::Class(_) => OperandKind::Class,
            Operand::Field(_) => OperandKind::Field,
            Operand::Static(_) => OperandKind::Static,
            Operand::Native(_) => OperandKind::Native,
            Operand::Type(_) => OperandKind::Type,
            Operand::Inc(_) => OperandKind::Inc,
        }
    }
}

/// How an instruction changes the operand-stack depth.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StackEffect {
    /// Pops `0` values, then pushes `1`.
    Fixed(u8, u8),
    /// Depends on the callee (`call`, `callnative`) or ends the frame
    /// (`return`, `vreturn`, `throw`); the verifier handles each by name.
    Dynamic,
}

/// Static facts about one opcode.
#[derive(Clone, Copy, Debug)]
pub struct OpInfo {
    pub opcode: u8,
    pub mnemonic: &'static str,
    pub operand: OperandKind,
    pub effect: StackEffect,
}

/// Links an operand newtype to its [`Operand`] variant.
trait OperandType: Sized {
    const KIND: OperandKind;
    fn into_operand(self) -> Operand;
    fn from_operand(o: Operand) -> Option<Self>;
}

macro_rules! operand_type {
    ($ty:ty, $variant:ident) => {
        impl OperandType for $ty {
            const KIND: OperandKind = OperandKind::$variant;
            fn into_operand(self) -> Operand {
                Operand::$variant(self)
            }
            fn from_operand(o: Operand) -> Option<Self> {
                match o {
                    Operand::$variant(x) => Some(x),
                    _ => None,
                }
            }
        }
    };
}
operand_type!(i32, Int);
operand_type!(Local, Local);
operand_type!(ConstIdx, Const);
operand_type!(Target, Target);
operand_type!(FuncIdx, Func);
operand_type!(ClassIdx, Class);
operand_type!(FieldRef, Field);
operand_type!(StaticIdx, Static);
operand_type!(NativeIdx, Native);
operand_type!(ValueType, Type);
operand_type!(IncOperand, Inc);

macro_rules! effect {
    (dynamic) => {
        StackEffect::Dynamic
    };
    ($pop:literal -> $push:literal) => {
        StackEffect::Fixed($pop, $push)
    };
}

macro_rules! instructions {
    ($(
        $(#[doc = $doc:literal])*
        $opcode:literal $name:ident $mnemonic:literal $(($operand:ty))? [$($effect:tt)*];
    )*
    internal:
    $(
        $(#[doc = $idoc:literal])*
        $iname:ident ($ioperand:ty);
    )*) => {
        /// One decoded instruction. See docs/isa.md for the full reference.
        #[derive(Clone, Copy, Debug, PartialEq)]
        pub enum Instruction {
            $( $(#[doc = $doc])* $name $(($operand))?, )*
            $( $(#[doc = $idoc])* $iname($ioperand), )*
        }

        /// Every opcode, in opcode order.
        pub const OPCODES: &[OpInfo] = &[
            $( OpInfo {
                opcode: $opcode,
                mnemonic: $mnemonic,
                operand: instructions!(@kind $($operand)?),
                effect: effect!($($effect)*),
            }, )*
        ];

        impl Instruction {
            /// This instruction's opcode byte (an internal instruction's is
            /// that of the instruction it stands in for, see [`Instruction::unfused`]).
            pub fn opcode(&self) -> u8 {
                match self {
                    $( instructions!(@pat $name $($operand)?) => $opcode, )*
                    $( Instruction::$iname(_) => self.unfused().opcode(), )*
                }
            }

            /// This instruction's operand, detached (an internal instruction's
            /// is that of the instruction it stands in for).
            pub fn operand(&self) -> Operand {
                match *self {
                    $( instructions!(@bind $name x $($operand)?) => instructions!(@into x $($operand)?), )*
                    $( Instruction::$iname(_) => self.unfused().operand(), )*
                }
            }

            /// Whether this is an internal instruction (never in a module).
            pub fn is_internal(&self) -> bool {
                matches!(self, $( Instruction::$iname(_) )|*)
            }

            /// Builds an instruction from its opcode and operand; `None` if the
            /// opcode is unknown or the operand is of the wrong kind.
            pub fn from_parts(opcode: u8, operand: Operand) -> Option<Instruction> {
                match opcode {
                    $( $opcode => instructions!(@build $name operand $($operand)?), )*
                    _ => None,
                }
            }
        }
    };
    (@kind) => { OperandKind::None };
    (@kind $t:ty) => { <$t as OperandType>::KIND };
    (@pat $name:ident) => { Instruction::$name };
    (@pat $name:ident $t:ty) => { Instruction::$name(_) };
    (@bind $name:ident $x:ident) => { Instruction::$name };
    (@bind $name:ident $x:ident $t:ty) => { Instruction::$name($x) };
    (@into $x:ident) => { Operand::None };
    (@into $x:ident $t:ty) => { OperandType::into_operand($x) };
    (@build $name:ident $o:ident) => { match $o { Operand::None => Some(Instruction::$name), _ => None } };
    (@build $name:ident $o:ident $t:ty) => { <$t as OperandType>::from_operand($o).map(Instruction::$name) };
}

instructions! {
    // ---- constants -------------------------------------------------------
    /// `nop` — does nothing. Stack: … → …
    0x00 Nop "nop" [0 -> 0];
    /// `aconst_null` — push null. Stack: … → …, null
    0x01 AConstNull "aconst_null" [0 -> 1];
    /// `iconst n` — push the 32-bit immediate `n` as an int. Stack: … → …, n
    0x02 IConst "iconst" (i32) [0 -> 1];
    /// `ldc c` — push constant-pool entry `c` (int, float or string).
    /// Stack: … → …, value
    0x03 Ldc "ldc" (ConstIdx) [0 -> 1];

    // ---- locals and the operand stack ------------------------------------
    /// `load l` — push local `l`. Stack: … → …, value
    0x08 Load "load" (Local) [0 -> 1];
    /// `store l` — pop into local `l`. Stack: …, value → …
    0x09 Store "store" (Local) [1 -> 0];
    /// `iinc l d` — add `d` to the int in local `l`.
    /// Stack: … → … Throws ClassCastException if the local is not an int.
    0x0A IInc "iinc" (IncOperand) [0 -> 0];
    /// `pop` — discard the top value. Stack: …, a → …
    0x0B Pop "pop" [1 -> 0];
    /// `dup` — duplicate the top value. Stack: …, a → …, a, a
    0x0C Dup "dup" [1 -> 2];
    /// `dup_x1` — copy the top value under the second. Stack: …, b, a → …, a, b, a
    0x0D DupX1 "dup_x1" [2 -> 3];
    /// `dup2` — duplicate the top two values. Stack: …, b, a → …, b, a, b, a
    0x0E Dup2 "dup2" [2 -> 4];
    /// `swap` — swap the top two values. Stack: …, b, a → …, a, b
    0x0F Swap "swap" [2 -> 2];

    // ---- integer arithmetic (64-bit, wrapping) ---------------------------
    /// `iadd` — Stack: …, a, b → …, a+b. Throws ClassCastException unless both are ints.
    0x10 IAdd "iadd" [2 -> 1];
    /// `isub` — Stack: …, a, b → …, a-b.
    0x11 ISub "isub" [2 -> 1];
    /// `imul` — Stack: …, a, b → …, a*b.
    0x12 IMul "imul" [2 -> 1];
    /// `idiv` — Stack: …, a, b → …, a/b (truncated). Throws ArithmeticException if b = 0.
    0x13 IDiv "idiv" [2 -> 1];
    /// `irem` — Stack: …, a, b → …, a%b (sign of a). Throws ArithmeticException if b = 0.
    0x14 IRem "irem" [2 -> 1];
    /// `ineg` — Stack: …, a → …, -a.
    0x15 INeg "ineg" [1 -> 1];
    /// `iand` — bitwise and. Stack: …, a, b → …, a&b.
    0x16 IAnd "iand" [2 -> 1];
    /// `ior` — bitwise or. Stack: …, a, b → …, a|b.
    0x17 IOr "ior" [2 -> 1];
    /// `ixor` — bitwise xor. Stack: …, a, b → …, a^b.
    0x18 IXor "ixor" [2 -> 1];
    /// `ishl` — shift left by b mod 64. Stack: …, a, b → …, a<<b.
    0x19 IShl "ishl" [2 -> 1];
    /// `ishr` — arithmetic shift right by b mod 64. Stack: …, a, b → …, a>>b.
    0x1A IShr "ishr" [2 -> 1];
    /// `iushr` — logical shift right by b mod 64. Stack: …, a, b → …, a>>>b.
    0x1B IUShr "iushr" [2 -> 1];
    /// `icmp` — compare ints. Stack: …, a, b → …, -1 | 0 | 1.
    0x1C ICmp "icmp" [2 -> 1];

    // ---- float arithmetic (IEEE 754 double) ------------------------------
    /// `fadd` — Stack: …, a, b → …, a+b. Throws ClassCastException unless both are floats.
    0x20 FAdd "fadd" [2 -> 1];
    /// `fsub` — Stack: …, a, b → …, a-b.
    0x21 FSub "fsub" [2 -> 1];
    /// `fmul` — Stack: …, a, b → …, a*b.
    0x22 FMul "fmul" [2 -> 1];
    /// `fdiv` — Stack: …, a, b → …, a/b (IEEE: x/0 is ±inf or NaN).
    0x23 FDiv "fdiv" [2 -> 1];
    /// `frem` — Stack: …, a, b → …, a%b (IEEE fmod).
    0x24 FRem "frem" [2 -> 1];
    /// `fneg` — Stack: …, a → …, -a.
    0x25 FNeg "fneg" [1 -> 1];
    /// `fcmpl` — compare floats; NaN gives -1. Stack: …, a, b → …, -1 | 0 | 1.
    0x26 FCmpL "fcmpl" [2 -> 1];
    /// `fcmpg` — compare floats; NaN gives 1. Stack: …, a, b → …, -1 | 0 | 1.
    0x27 FCmpG "fcmpg" [2 -> 1];

    // ---- conversions -----------------------------------------------------
    /// `i2f` — int to float. Stack: …, i → …, f.
    0x28 I2F "i2f" [1 -> 1];
    /// `f2i` — float to int, truncating toward zero, saturating; NaN gives 0.
    /// Stack: …, f → …, i.
    0x29 F2I "f2i" [1 -> 1];

    // ---- branches --------------------------------------------------------
    /// `goto L` — jump to L. Stack: … → …
    0x30 Goto "goto" (Target) [0 -> 0];
    /// `ifeq L` — pop an int; jump if it is 0. Stack: …, a → …
    0x31 IfEq "ifeq" (Target) [1 -> 0];
    /// `ifne L` — jump if the int is not 0. Stack: …, a → …
    0x32 IfNe "ifne" (Target) [1 -> 0];
    /// `iflt L` — jump if the int is < 0. Stack: …, a → …
    0x33 IfLt "iflt" (Target) [1 -> 0];
    /// `ifge L` — jump if the int is >= 0. Stack: …, a → …
    0x34 IfGe "ifge" (Target) [1 -> 0];
    /// `ifgt L` — jump if the int is > 0. Stack: …, a → …
    0x35 IfGt "ifgt" (Target) [1 -> 0];
    /// `ifle L` — jump if the int is <= 0. Stack: …, a → …
    0x36 IfLe "ifle" (Target) [1 -> 0];
    /// `if_icmpeq L` — pop two ints; jump if a = b. Stack: …, a, b → …
    0x37 IfICmpEq "if_icmpeq" (Target) [2 -> 0];
    /// `if_icmpne L` — jump if a != b. Stack: …, a, b → …
    0x38 IfICmpNe "if_icmpne" (Target) [2 -> 0];
    /// `if_icmplt L` — jump if a < b. Stack: …, a, b → …
    0x39 IfICmpLt "if_icmplt" (Target) [2 -> 0];
    /// `if_icmpge L` — jump if a >= b. Stack: …, a, b → …
    0x3A IfICmpGe "if_icmpge" (Target) [2 -> 0];
    /// `if_icmpgt L` — jump if a > b. Stack: …, a, b → …
    0x3B IfICmpGt "if_icmpgt" (Target) [2 -> 0];
    /// `if_icmple L` — jump if a <= b. Stack: …, a, b → …
    0x3C IfICmpLe "if_icmple" (Target) [2 -> 0];
    /// `if_acmpeq L` — pop two values; jump if they are the same reference
    /// (or both null). Stack: …, a, b → …
    0x3D IfACmpEq "if_acmpeq" (Target) [2 -> 0];
    /// `if_acmpne L` — jump unless they are the same reference. Stack: …, a, b → …
    0x3E IfACmpNe "if_acmpne" (Target) [2 -> 0];
    /// `ifnull L` — pop a value; jump if it is null. Stack: …, a → …
    0x3F IfNull "ifnull" (Target) [1 -> 0];
    /// `ifnonnull L` — jump if it is not null. Stack: …, a → …
    0x40 IfNonNull "ifnonnull" (Target) [1 -> 0];

    // ---- calls -----------------------------------------------------------
    /// `call f` — call function `f` with its parameters popped from the stack
    /// (first parameter deepest) in a new frame. Stack: …, a1..an → …[, result]
    /// Throws StackOverflowError when the VM stack is full.
    0x48 Call "call" (FuncIdx) [dynamic];
    /// `callnative n` — call native `n` (see docs/isa.md, Natives).
    /// Stack: …, a1..an → …[, result]
    0x49 CallNative "callnative" (NativeIdx) [dynamic];
    /// `return` — return from a function declared without a result. Stack: … → (frame ends)
    0x4A Return "return" [dynamic];
    /// `vreturn` — return the top value from a function declared `-> value`.
    /// Stack: …, v → (frame ends; v pushed on the caller's stack)
    0x4B VReturn "vreturn" [dynamic];

    // ---- objects ---------------------------------------------------------
    /// `new C` — allocate an instance of class C, fields zeroed. Stack: … → …, obj
    /// Throws OutOfMemoryError.
    0x50 New "new" (ClassIdx) [0 -> 1];
    /// `getfield C.f` — read field f. Stack: …, obj → …, value
    /// Throws NullPointerException, ClassCastException if obj is not a C.
    0x51 GetField "getfield" (FieldRef) [1 -> 1];
    /// `putfield C.f` — write field f. Stack: …, obj, value → …
    /// Throws NullPointerException, ClassCastException if obj is not a C or
    /// value is not of the field's type.
    0x52 PutField "putfield" (FieldRef) [2 -> 0];
    /// `instanceof C` — Stack: …, v → …, 1 if v is a C (or subclass), else 0.
    0x53 InstanceOf "instanceof" (ClassIdx) [1 -> 1];
    /// `checkcast C` — Stack: …, v → …, v. Throws ClassCastException unless v
    /// is null or a C.
    0x54 CheckCast "checkcast" (ClassIdx) [1 -> 1];
    /// `getstatic s` — Stack: … → …, value
    0x55 GetStatic "getstatic" (StaticIdx) [0 -> 1];
    /// `putstatic s` — Stack: …, value → … Throws ClassCastException if value
    /// is not of the static's type.
    0x56 PutStatic "putstatic" (StaticIdx) [1 -> 0];

    // ---- arrays ----------------------------------------------------------
    /// `newarray T` — allocate an array of n elements of type T, zeroed.
    /// Stack: …, n → …, arr. Throws NegativeArraySizeException, OutOfMemoryError.
    0x58 NewArray "newarray" (ValueType) [1 -> 1];
    /// `arrload` — Stack: …, arr, i → …, arr[i].
    /// Throws NullPointerException, ArrayIndexOutOfBoundsException.
    0x59 ArrLoad "arrload" [2 -> 1];
    /// `arrstore` — Stack: …, arr, i, v → …
    /// Throws NullPointerException, ArrayIndexOutOfBoundsException,
    /// ClassCastException if v is not of the element type.
    0x5A ArrStore "arrstore" [3 -> 0];
    /// `arrlen` — Stack: …, arr → …, length. Throws NullPointerException.
    0x5B ArrLen "arrlen" [1 -> 1];

    // ---- strings (immutable, Unicode scalar values) ----------------------
    /// `sconcat` — Stack: …, a, b → …, a ++ b. Both must be strings.
    /// Throws NullPointerException, OutOfMemoryError.
    0x60 SConcat "sconcat" [2 -> 1];
    /// `slen` — length in characters. Stack: …, s → …, n
    0x61 SLen "slen" [1 -> 1];
    /// `scharat` — the code point at index i. Stack: …, s, i → …, c
    /// Throws StringIndexOutOfBoundsException.
    0x62 SCharAt "scharat" [2 -> 1];
    /// `ssubstr` — characters [begin, end). Stack: …, s, begin, end → …, s'
    /// Throws StringIndexOutOfBoundsException.
    0x63 SSubstr "ssubstr" [3 -> 1];
    /// `tostr` — any value as a string (`42`, `1.5`, `null`, `Node@1f`).
    /// Stack: …, v → …, s
    0x64 ToStr "tostr" [1 -> 1];
    /// `chr` — a one-character string from a code point. Stack: …, c → …, s
    /// Throws IllegalArgumentException if c is not a Unicode scalar value.
    0x65 Chr "chr" [1 -> 1];
    /// `scmp` — compare strings by code points. Stack: …, a, b → …, -1 | 0 | 1
    0x66 SCmp "scmp" [2 -> 1];

    // ---- exceptions ------------------------------------------------------
    /// `throw` — throw the exception object on top of the stack (a Throwable).
    /// Stack: …, exc → (unwinds to the nearest matching handler)
    /// Throws NullPointerException if exc is null, ClassCastException if it is
    /// not a Throwable.
    0x68 Throw "throw" [dynamic];

    // ---- threads (0xC0..=0xDF; monitors will take 0xC2..) -----------------
    /// `newthread f` — a NEW thread that will run `f` with the parameters
    /// popped from the stack (first parameter deepest); start it with the
    /// native `Thread.start`. Stack: …, a1..an → …, thread
    /// Throws OutOfMemoryError.
    0xC0 NewThread "newthread" (FuncIdx) [dynamic];
    /// `spawn f` — `newthread f` followed by `Thread.start`: the thread is
    /// RUNNABLE at once. Stack: …, a1..an → …, thread
    /// Throws OutOfMemoryError.
    0xC1 Spawn "spawn" (FuncIdx) [dynamic];

    internal:
    // ---- internal: link-time fusions (see `crate::interp::fuse`) ----------
    /// Stands for `load a; load b; if_icmp<cond> t` (this one, then the next
    /// two instructions, left in place): branch on comparing locals a and b.
    LoadLoadBranch(CmpOperand);
    /// Stands for `load a; iconst k; if_icmp<cond> t` (k and t read from the
    /// next two instructions): branch on comparing local a with k.
    LoadConstBranch(CmpOperand);
    /// Stands for `getstatic s; if<cond> t` (t read from the next
    /// instruction): branch on comparing an int static with 0.
    GetStaticBranch(StaticCmpOperand);
    /// Stands for `iinc l d; goto t` (t read from the next instruction).
    IIncGoto(IncOperand);
    /// Stands for `callnative n` where `n` is `LockSupport.park`: the fast
    /// path calls it directly (an intrinsic).
    ParkIntrinsic(NativeIdx);
    /// Stands for `callnative n` where `n` is `LockSupport.unpark`.
    UnparkIntrinsic(NativeIdx);
}

/// Which outcomes of a three-way comparison take a fused branch: bit 0 for
/// less, bit 1 for equal, bit 2 for greater (so `lt` is 0b001, `ge` 0b110).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CmpMask(pub u8);

impl CmpMask {
    /// Whether comparing `a` with `b` takes the branch.
    #[inline(always)]
    pub fn holds(self, a: i64, b: i64) -> bool {
        // Less, equal, greater -> bit 0, 1, 2.
        let bit = (a >= b) as u8 + (a > b) as u8;
        (self.0 >> bit) & 1 != 0
    }
}

/// The operand of the internal `LoadLoadBranch` / `LoadConstBranch`: the
/// first local, the second local (`LoadLoadBranch` only) and the condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CmpOperand {
    pub a: Local,
    pub b: Local,
    pub mask: CmpMask,
}

/// The operand of the internal `GetStaticBranch`: the static (fused only
/// when its index fits 16 bits) and the condition on comparing it with 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StaticCmpOperand {
    pub index: u16,
    pub mask: CmpMask,
}

impl Instruction {
    /// The instruction an internal one stands in for (the first of the
    /// sequence it fuses, which is still followed by the rest); any other
    /// instruction itself. Everything but the interpreter's fast path runs,
    /// shows and encodes an internal instruction as this one.
    #[inline]
    pub fn unfused(self) -> Instruction {
        match self {
            Instruction::LoadLoadBranch(op) | Instruction::LoadConstBranch(op) => {
                Instruction::Load(op.a)
            }
            Instruction::GetStaticBranch(op) => Instruction::GetStatic(StaticIdx(op.index as u32)),
            Instruction::IIncGoto(op) => Instruction::IInc(op),
            Instruction::ParkIntrinsic(n) | Instruction::UnparkIntrinsic(n) => {
                Instruction::CallNative(n)
            }
            other => other,
        }
    }

    /// Static facts about this instruction's opcode.
    pub fn info(&self) -> &'static OpInfo {
        op_info(self.opcode()).expect("every instruction's opcode is in OPCODES")
    }

    /// This instruction's mnemonic.
    pub fn mnemonic(&self) -> &'static str {
        self.info().mnemonic
    }

    /// The branch target, for branch instructions.
    pub fn branch_target(&self) -> Option<Target> {
        match self.operand() {
            Operand::Target(t) => Some(t),
            _ => None,
        }
    }

    /// True when control never falls through to the next instruction.
    pub fn ends_block(&self) -> bool {
        matches!(
            self,
            Instruction::Goto(_) | Instruction::Return | Instruction::VReturn | Instruction::Throw
        )
    }
}

/// Looks up an opcode byte.
pub fn op_info(opcode: u8) -> Option<&'static OpInfo> {
    // OPCODES is small and sorted; a linear scan is fast enough for the
    // loader, which calls this once per instruction.
    OPCODES.iter().find(|i| i.opcode == opcode)
}

/// Looks up a mnemonic.
pub fn op_by_mnemonic(mnemonic: &str) -> Option<&'static OpInfo> {
    OPCODES.iter().find(|i| i.mnemonic == mnemonic)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instruction_is_eight_bytes() {
        assert_eq!(std::mem::size_of::<Instruction>(), 8);
    }

    #[test]
    fn opcodes_are_unique_sorted_and_outside_the_monitor_range() {
        for pair in OPCODES.windows(2) {
            assert!(
                pair[0].opcode < pair[1].opcode,
                "{} / {}",
                pair[0].mnemonic,
                pair[1].mnemonic
            );
        }
        let mut names: Vec<_> = OPCODES.iter().map(|i| i.mnemonic).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), OPCODES.len());
        assert!(OPCODES.iter().all(|i| !(0xC2..=0xDF).contains(&i.opcode)));
    }

    #[test]
    fn every_opcode_round_trips_through_its_parts() {
        for info in OPCODES {
            let operand = match info.operand {
                OperandKind::None => Operand::None,
                OperandKind::Int => Operand::Int(-7),
                OperandKind::Local => Operand::Local(Local(3)),
                OperandKind::Const => Operand::Const(ConstIdx(4)),
                OperandKind::Target => Operand::Target(Target(5)),
                OperandKind::Func => Operand::Func(FuncIdx(6)),
                OperandKind::Class => Operand::Class(ClassIdx(7)),
                OperandKind::Field => Operand::Field(FieldRef { class: 1, field: 2 }),
                OperandKind::Static => Operand::Static(StaticIdx(8)),
                OperandKind::Native => Operand::Native(NativeIdx(9)),
                OperandKind::Type => Operand::Type(ValueType::Float),
                OperandKind::Inc => Operand::Inc(IncOperand {
                    local: Local(1),
                    delta: -2,
                }),
            };
            let insn = Instruction::from_parts(info.opcode, operand).unwrap();
            assert_eq!(insn.opcode(), info.opcode);
            assert_eq!(insn.mnemonic(), info.mnemonic);
            assert_eq!(insn.operand(), operand);
            assert_eq!(op_by_mnemonic(info.mnemonic).unwrap().opcode, info.opcode);
            // a wrong operand kind is refused
            let wrong = if info.operand == OperandKind::None {
                Operand::Int(1)
            } else {
                Operand::None
            };
            assert!(Instruction::from_parts(info.opcode, wrong).is_none());
        }
        assert!(Instruction::from_parts(0xFF, Operand::None).is_none());
    }
}
