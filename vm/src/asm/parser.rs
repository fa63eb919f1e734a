//! The parser: source text in, [`SourceModule`] out.
//!
//! It reads the file line by line (each line lexed on its own), tracks which
//! block (`.class` or `.func`) is open, and checks everything that needs no
//! symbol table: directive and mnemonic names, operand counts and kinds,
//! numeric ranges, nesting and missing `.end`s.
//!
//! Invariants:
//! - Operands are parsed by the [`OperandKind`] of the mnemonic's
//!   [`OpInfo`] (from `isa::op_by_mnemonic`), never by a hand-written list of
//!   mnemonics.
//! - Every error points at the offending token, or just past the last token
//!   when something is missing.

use super::ast::*;
use super::error::{AsmResult, Diagnostic, Pos};
use super::lexer::{lex_line, Token, TokenKind, CANONICAL_NAN_BITS};
use super::suggest::closest;
use crate::builtin::NATIVES;
use crate::isa::{op_by_mnemonic, OperandKind, ValueType, OPCODES};
use crate::module::Constant;

/// Parses a whole `.gasm` source.
pub fn parse(source: &str) -> AsmResult<SourceModule> {
    let mut parser = Parser {
        module: SourceModule::default(),
        block: Block::Module,
    };
    for (index, text) in source.split('\n').enumerate() {
        let line = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let text = text.strip_suffix('\r').unwrap_or(text);
        let tokens = lex_line(text, line)?;
        if !tokens.is_empty() {
            parser.line(Cursor {
                tokens: &tokens,
                at: 0,
                line,
            })?;
        }
    }
    parser.finish()
}

/// The block the parser is inside.
enum Block {
    /// At module level.
    Module,
    /// Inside `.class` (opened at `pos`) until its `.end`.
    Class { class: ClassDecl, pos: Pos },
    /// Inside `.func` until its `.end`.
    Func(FuncDecl),
}

struct Parser {
    module: SourceModule,
    block: Block,
}

/// Which block a directive belongs in.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    Module,
    Class,
    Func,
}

impl Parser {
    fn line(&mut self, mut cur: Cursor) -> AsmResult<()> {
        let first = cur.next_token().clone();
        match &first.kind {
            TokenKind::Directive(name) => self.directive(name, first.pos, cur),
            TokenKind::Ident(name) if cur.peek().map(|t| &t.kind) == Some(&TokenKind::Colon) => {
                cur.next_token();
                cur.expect_end("a label")?;
                let Block::Func(func) = &mut self.block else {
                    return Err(Diagnostic::new(
                        first.pos,
                        format!("label `{name}` outside a function"),
                    ));
                };
                func.body
                    .push(BodyItem::Label(Spanned::new(name.clone(), first.pos)));
                Ok(())
            }
            TokenKind::Ident(mnemonic) => {
                let insn = instruction(mnemonic, first.pos, cur)?;
                let Block::Func(func) = &mut self.block else {
                    return Err(Diagnostic::new(
                        first.pos,
                        format!("instruction `{mnemonic}` outside a function"),
                    ));
                };
                func.body.push(BodyItem::Instruction(insn));
                Ok(())
            }
            other => Err(Diagnostic::new(
                first.pos,
                format!(
                    "expected a directive, label or instruction, found {}",
                    other.describe()
                ),
            )),
        }
    }

    /// Checks that directive `.name` at `pos` may appear in the open block.
    fn require(&self, name: &str, pos: Pos, context: Context) -> AsmResult<()> {
        let message = match (&self.block, context) {
            (Block::Module, Context::Module)
            | (Block::Class { .. }, Context::Class)
            | (Block::Func(_), Context::Func) => return Ok(()),
            (Block::Class { class, .. }, Context::Module) => format!(
                "`.{name}` inside `.class {}` (missing `.end`?)",
                class.name.value
            ),
            (Block::Func(func), Context::Module) => {
                format!(
                    "`.{name}` inside `.func {}` (missing `.end`?)",
                    func.name.value
                )
            }
            (_, Context::Class) => format!("`.{name}` outside a `.class`"),
            (_, Context::Func) => format!("`.{name}` outside a `.func`"),
        };
        Err(Diagnostic::new(pos, message))
    }

    /// The open function, for a directive at `pos` that `require` has
    /// already checked to be inside one.
    fn func(&mut self, pos: Pos) -> AsmResult<&mut FuncDecl> {
        match &mut self.block {
            Block::Func(f) => Ok(f),
            _ => Err(Diagnostic::new(
                pos,
                "internal error: expected to be inside a `.func`",
            )),
        }
    }

    fn directive(&mut self, name: &str, pos: Pos, mut cur: Cursor) -> AsmResult<()> {
        let context = match name {
            "source" | "class" | "static" | "func" | "const" | "native" => Context::Module,
            "field" => Context::Class,
            "locals" | "stack" | "line" | "catch" => Context::Func,
            "end" => {
                cur.expect_end("`.end`")?;
                return self.end(pos);
            }
            _ => return Err(Diagnostic::new(pos, format!("unknown directive `.{name}`"))),
        };
        self.require(name, pos, context)?;
        match name {
            "source" => {
                let file = cur.expect_string("a file name string")?;
                cur.expect_end("the file name")?;
                if self.module.source_name.is_some() {
                    return Err(Diagnostic::new(pos, "duplicate `.source`"));
                }
                self.module.source_name = Some(file);
            }
            "class" => {
                let class_name = cur.expect_ident("a class name")?;
                let mut superclass = None;
                if let Some(t) = cur.peek() {
                    if t.kind != TokenKind::Ident("extends".into()) {
                        return Err(cur.unexpected("`extends` or end of line"));
                    }
                    cur.next_token();
                    superclass = Some(cur.expect_ident("a superclass name")?);
                    cur.expect_end("the superclass name")?;
                }
                if class_name.value == "any" {
                    return Err(Diagnostic::new(
                        class_name.pos,
                        "`any` is reserved (it means \"catch everything\" in `.catch`)",
                    ));
                }
                let class = ClassDecl {
                    name: class_name,
                    superclass,
                    fields: Vec::new(),
                };
                self.block = Block::Class { class, pos };
            }
            "field" => {
                let field_name = cur.expect_ident("a field name")?;
                if field_name.value.contains('.') {
                    return Err(Diagnostic::new(
                        field_name.pos,
                        format!("field name `{}` must not contain `.`", field_name.value),
                    ));
                }
                let ty = cur.expect_type()?;
                cur.expect_end("the field type")?;
                if let Block::Class { class, .. } = &mut self.block {
                    class.fields.push(FieldDecl {
                        name: field_name,
                        ty,
                    });
                }
            }
            "static" => {
                let static_name = cur.expect_ident("a static name")?;
                let ty = cur.expect_type()?;
                cur.expect_end("the static's type")?;
                self.module.statics.push(StaticDecl {
                    name: static_name,
                    ty,
                });
            }
            "func" => {
                let func_name = cur.expect_ident("a function name")?;
                cur.expect(TokenKind::LParen, "`(`")?;
                let params = if cur.peek().map(|t| &t.kind) == Some(&TokenKind::RParen) {
                    LocalList::Named(Vec::new())
                } else {
                    cur.local_list("parameter names or a parameter count")?
                };
                cur.expect(TokenKind::RParen, "`,` or `)`")?;
                let mut returns_value = false;
                if cur.peek().is_some() {
                    cur.expect(TokenKind::Arrow, "`-> value` or end of line")?;
                    let value = cur.expect_ident("`value`")?;
                    if value.value != "value" {
                        return Err(Diagnostic::new(
                            value.pos,
                            format!("expected `value`, found identifier `{}`", value.value),
                        ));
                    }
                    cur.expect_end("`-> value`")?;
                    returns_value = true;
                }
                self.block = Block::Func(FuncDecl {
                    name: func_name,
                    pos,
                    params,
                    returns_value,
                    locals: None,
                    max_stack: None,
                    body: Vec::new(),
                });
            }
            "const" => {
                let constant = cur.constant(false)?;
                cur.expect_end("the constant")?;
                if let ConstOperand::Literal(c) = constant.value {
                    self.module.consts.push(Spanned::new(c, constant.pos));
                }
            }
            "native" => {
                let native = cur.expect_ident("a native name")?;
                cur.expect_end("the native name")?;
                self.module.natives.push(native);
            }
            "locals" => {
                let list = cur.local_list("local names or a count")?;
                cur.expect_end("the locals")?;
                let func = self.func(pos)?;
                if func.locals.is_some() {
                    return Err(Diagnostic::new(
                        pos,
                        format!("duplicate `.locals` in function `{}`", func.name.value),
                    ));
                }
                func.locals = Some(Spanned::new(list, pos));
            }
            "stack" => {
                let n = cur.expect_int("a stack depth")?;
                let depth = u16::try_from(n.value).map_err(|_| {
                    Diagnostic::new(
                        n.pos,
                        format!("stack depth `{}` out of range (0..=65535)", n.value),
                    )
                })?;
                cur.expect_end("the stack depth")?;
                let func = self.func(pos)?;
                if func.max_stack.is_some() {
                    return Err(Diagnostic::new(
                        pos,
                        format!("duplicate `.stack` in function `{}`", func.name.value),
                    ));
                }
                func.max_stack = Some(depth);
            }
            "line" => {
                let n = cur.expect_int("a line number")?;
                let line = u32::try_from(n.value).map_err(|_| {
                    Diagnostic::new(
                        n.pos,
                        format!("line number `{}` out of range (0..=4294967295)", n.value),
                    )
                })?;
                cur.expect_end("the line number")?;
                self.func(pos)?.body.push(BodyItem::Line(line));
            }
            "catch" => {
                let class = cur.expect_ident("a class name or `any`")?;
                let class = if class.value == "any" {
                    None
                } else {
                    Some(class)
                };
                cur.expect_keyword("from")?;
                let start = cur.expect_ident("a start label")?;
                cur.expect_keyword("to")?;
                let end = cur.expect_ident("an end label")?;
                cur.expect_keyword("using")?;
                let handler = cur.expect_ident("a handler label")?;
                cur.expect_end("the handler label")?;
                self.func(pos)?.body.push(BodyItem::Catch(CatchDecl {
                    class,
                    start,
                    end,
                    handler,
                }));
            }
            _ => return Err(Diagnostic::new(pos, format!("unknown directive `.{name}`"))),
        }
        Ok(())
    }

    /// `.end`: closes the open block.
    fn end(&mut self, pos: Pos) -> AsmResult<()> {
        match std::mem::replace(&mut self.block, Block::Module) {
            Block::Module => Err(Diagnostic::new(
                pos,
                "`.end` without an open `.class` or `.func`",
            )),
            Block::Class { class, .. } => {
                self.module.classes.push(class);
                Ok(())
            }
            Block::Func(func) => {
                self.module.functions.push(func);
                Ok(())
            }
        }
    }

    fn finish(self) -> AsmResult<SourceModule> {
        match self.block {
            Block::Module => Ok(self.module),
            Block::Class { class, pos } => Err(Diagnostic::new(
                pos,
                format!("missing `.end` for `.class {}`", class.name.value),
            )),
            Block::Func(func) => Err(Diagnostic::new(
                func.pos,
                format!("missing `.end` for `.func {}`", func.name.value),
            )),
        }
    }
}

/// Parses an instruction line after its mnemonic.
fn instruction(mnemonic: &str, pos: Pos, mut cur: Cursor) -> AsmResult<InstructionSyntax> {
    let Some(info) = op_by_mnemonic(mnemonic) else {
        // A misspelled mnemonic, or a native written as if it were one.
        let hint = closest(mnemonic, OPCODES.iter().map(|i| i.mnemonic))
            .map(|m| format!(" (did you mean `{m}`?)"))
            .or_else(|| {
                closest(mnemonic, NATIVES.iter().map(|n| n.name))
                    .or_else(|| NATIVES.iter().map(|n| n.name).find(|n| *n == mnemonic))
                    .map(|n| format!(" (did you mean `callnative {n}`?)"))
            })
            .unwrap_or_default();
        return Err(Diagnostic::new(
            pos,
            format!("unknown mnemonic `{mnemonic}`{hint}"),
        ));
    };
    let operand = match info.operand {
        OperandKind::None => OperandSyntax::None,
        OperandKind::Int => {
            let n = cur.expect_int(&format!("an integer operand for `{mnemonic}`"))?;
            OperandSyntax::Int(i32::try_from(n.value).map_err(|_| {
                Diagnostic::new(
                    n.pos,
                    format!("integer `{}` out of range for `{mnemonic}` (i32: -2147483648..=2147483647)", n.value),
                )
            })?)
        }
        OperandKind::Const => OperandSyntax::Const(cur.constant(true)?),
        OperandKind::Local => OperandSyntax::Local(cur.local_ref(mnemonic)?),
        OperandKind::Target => {
            OperandSyntax::Target(cur.expect_ident(&format!("a label for `{mnemonic}`"))?)
        }
        OperandKind::Func => {
            OperandSyntax::Func(cur.expect_ident(&format!("a function name for `{mnemonic}`"))?)
        }
        OperandKind::Class => {
            OperandSyntax::Class(cur.expect_ident(&format!("a class name for `{mnemonic}`"))?)
        }
        OperandKind::Static => {
            OperandSyntax::Static(cur.expect_ident(&format!("a static name for `{mnemonic}`"))?)
        }
        OperandKind::Native => {
            OperandSyntax::Native(cur.expect_ident(&format!("a native name for `{mnemonic}`"))?)
        }
        OperandKind::Type => OperandSyntax::Type(cur.expect_type()?),
        OperandKind::Field => {
            let what = format!("`Class.field` for `{mnemonic}`");
            let name = cur.expect_ident(&what)?;
            let Some((class, field)) = name.value.rsplit_once('.') else {
                return Err(Diagnostic::new(
                    name.pos,
                    format!("expected {what}, found identifier `{}`", name.value),
                ));
            };
            if class.is_empty() || field.is_empty() {
                return Err(Diagnostic::new(
                    name.pos,
                    format!("expected {what}, found identifier `{}`", name.value),
                ));
            }
            let field_pos = Pos::new(
                name.pos.line,
                name.pos.col + class.chars().count() as u32 + 1,
            );
            OperandSyntax::Field {
                class: Spanned::new(class.to_string(), name.pos),
                field: Spanned::new(field.to_string(), field_pos),
            }
        }
        OperandKind::Inc => {
            let local = cur.local_ref(mnemonic)?;
            let n = cur.expect_int(&format!("a delta for `{mnemonic}`"))?;
            let delta = i16::try_from(n.value).map_err(|_| {
                Diagnostic::new(
                    n.pos,
                    format!(
                        "delta `{}` out of range for `{mnemonic}` (i16: -32768..=32767)",
                        n.value
                    ),
                )
            })?;
            OperandSyntax::Inc { local, delta }
        }
    };
    if let Some(extra) = cur.peek() {
        let message = if info.operand == OperandKind::None {
            format!(
                "`{mnemonic}` takes no operand, found {}",
                extra.kind.describe()
            )
        } else {
            format!(
                "too many operands for `{mnemonic}`: unexpected {}",
                extra.kind.describe()
            )
        };
        return Err(Diagnostic::new(extra.pos, message));
    }
    Ok(InstructionSyntax { pos, info, operand })
}

/// Reads the tokens of one line.
struct Cursor<'t> {
    tokens: &'t [Token],
    at: usize,
    line: u32,
}

impl<'t> Cursor<'t> {
    fn peek(&self) -> Option<&'t Token> {
        self.tokens.get(self.at)
    }

    /// The next token. Only called when one is known to exist.
    fn next_token(&mut self) -> &'t Token {
        let t = &self.tokens[self.at];
        self.at += 1;
        t
    }

    /// Just past the last token: where a missing token is reported.
    fn end_pos(&self) -> Pos {
        Pos::new(self.line, self.tokens.last().map_or(1, |t| t.end_col))
    }

    /// "expected WHAT, found ..." at the next token, or "expected WHAT" at
    /// the end of the line.
    fn unexpected(&self, what: &str) -> Diagnostic {
        match self.peek() {
            Some(t) => Diagnostic::new(
                t.pos,
                format!("expected {what}, found {}", t.kind.describe()),
            ),
            None => Diagnostic::new(self.end_pos(), format!("expected {what}")),
        }
    }

    fn expect_end(&self, after: &str) -> AsmResult<()> {
        match self.peek() {
            None => Ok(()),
            Some(t) => Err(Diagnostic::new(
                t.pos,
                format!("unexpected {} after {after}", t.kind.describe()),
            )),
        }
    }

    fn expect(&mut self, kind: TokenKind, what: &str) -> AsmResult<()> {
        if self.peek().map(|t| &t.kind) == Some(&kind) {
            self.at += 1;
            Ok(())
        } else {
            Err(self.unexpected(what))
        }
    }

    fn expect_keyword(&mut self, keyword: &str) -> AsmResult<()> {
        self.expect(
            TokenKind::Ident(keyword.to_string()),
            &format!("`{keyword}`"),
        )
    }

    fn expect_ident(&mut self, what: &str) -> AsmResult<Spanned<String>> {
        match self.peek() {
            Some(Token {
                kind: TokenKind::Ident(s),
                pos,
                ..
            }) => {
                self.at += 1;
                Ok(Spanned::new(s.clone(), *pos))
            }
            _ => Err(self.unexpected(what)),
        }
    }

    fn expect_string(&mut self, what: &str) -> AsmResult<Spanned<String>> {
        match self.peek() {
            Some(Token {
                kind: TokenKind::Str(s),
                pos,
                ..
            }) => {
                self.at += 1;
                Ok(Spanned::new(s.clone(), *pos))
            }
            _ => Err(self.unexpected(what)),
        }
    }

    fn expect_int(&mut self, what: &str) -> AsmResult<Spanned<i64>> {
        match self.peek() {
            Some(Token {
                kind: TokenKind::Int(n),
                pos,
                ..
            }) => {
                self.at += 1;
                Ok(Spanned::new(*n, *pos))
            }
            _ => Err(self.unexpected(what)),
        }
    }

    fn expect_type(&mut self) -> AsmResult<ValueType> {
        let name = self.expect_ident("a type (`int`, `float` or `ref`)")?;
        ValueType::from_name(&name.value).ok_or_else(|| {
            Diagnostic::new(
                name.pos,
                format!(
                    "bad type name `{}` (expected `int`, `float` or `ref`)",
                    name.value
                ),
            )
        })
    }

    /// A local operand: a name or a number.
    fn local_ref(&mut self, mnemonic: &str) -> AsmResult<Spanned<LocalRef>> {
        match self.peek() {
            Some(Token {
                kind: TokenKind::Ident(s),
                pos,
                ..
            }) => {
                self.at += 1;
                Ok(Spanned::new(LocalRef::Name(s.clone()), *pos))
            }
            Some(Token {
                kind: TokenKind::Int(n),
                pos,
                ..
            }) => {
                self.at += 1;
                let number = u16::try_from(*n).map_err(|_| {
                    Diagnostic::new(*pos, format!("local number `{n}` out of range (0..=65535)"))
                })?;
                Ok(Spanned::new(LocalRef::Number(number), *pos))
            }
            _ => Err(self.unexpected(&format!("a local (name or number) for `{mnemonic}`"))),
        }
    }

    /// `a, b, c` or a count `3`.
    fn local_list(&mut self, what: &str) -> AsmResult<LocalList> {
        if let Some(Token {
            kind: TokenKind::Int(n),
            pos,
            ..
        }) = self.peek()
        {
            self.at += 1;
            let count = u16::try_from(*n).map_err(|_| {
                Diagnostic::new(*pos, format!("count `{n}` out of range (0..=65535)"))
            })?;
            return Ok(LocalList::Count(count));
        }
        let mut names = vec![self.expect_ident(what)?];
        while self.peek().map(|t| &t.kind) == Some(&TokenKind::Comma) {
            self.at += 1;
            names.push(self.expect_ident("a name after `,`")?);
        }
        Ok(LocalList::Named(names))
    }

    /// A constant: an int, float or string literal, `inf`, `nan`,
    /// `nan(0xBITS)`, or (when `allow_index`) `#N`.
    fn constant(&mut self, allow_index: bool) -> AsmResult<Spanned<ConstOperand>> {
        const WHAT: &str = "a constant (integer, float or string)";
        let Some(token) = self.peek() else {
            return Err(self.unexpected(WHAT));
        };
        let pos = token.pos;
        let value = match &token.kind {
            TokenKind::Int(n) => Constant::Int(*n),
            TokenKind::Str(s) => Constant::Str(s.clone()),
            TokenKind::Float(f) => Constant::Float(*f),
            TokenKind::Ident(s) if s == "inf" => Constant::Float(f64::INFINITY),
            TokenKind::Ident(s) if s == "nan" => {
                Constant::Float(f64::from_bits(CANONICAL_NAN_BITS))
            }
            TokenKind::ConstRef(i) if allow_index => {
                self.at += 1;
                return Ok(Spanned::new(ConstOperand::Index(*i), pos));
            }
            TokenKind::ConstRef(i) => {
                return Err(Diagnostic::new(
                    pos,
                    format!("`#{i}` cannot be used here: expected {WHAT}"),
                ));
            }
            _ => return Err(self.unexpected(WHAT)),
        };
        self.at += 1;
        let value = match value {
            Constant::Float(f)
                if f.is_nan() && self.peek().map(|t| &t.kind) == Some(&TokenKind::LParen) =>
            {
                Constant::Float(self.nan_payload(f)?)
            }
            other => other,
        };
        Ok(Spanned::new(ConstOperand::Literal(value), pos))
    }

    /// `(0xBITS)` after `nan` or `-nan`: the bit pattern without the sign.
    fn nan_payload(&mut self, nan: f64) -> AsmResult<f64> {
        const SIGN: u64 = 1 << 63;
        const EXPONENT: u64 = 0x7FF0_0000_0000_0000;
        self.expect(TokenKind::LParen, "`(`")?;
        let bits = self.expect_int("the bits of a NaN, e.g. `0x7FF8000000000001`")?;
        self.expect(TokenKind::RParen, "`)`")?;
        let magnitude = bits.value as u64;
        if bits.value < 0 || magnitude & EXPONENT != EXPONENT || magnitude & !EXPONENT == 0 {
            return Err(Diagnostic::new(
                bits.pos,
                format!("`{:#X}` is not the bit pattern of a NaN (exponent all ones, non-zero fraction, no sign bit)", bits.value),
            ));
        }
        Ok(f64::from_bits(magnitude | (nan.to_bits() & SIGN)))
    }
}
