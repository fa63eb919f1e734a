//! The lexer: one source line in, its tokens out.
//!
//! `.gasm` is line-oriented (one directive, label or instruction per line),
//! so the lexer works a line at a time and never sees a line break. It knows
//! the lexical rules of docs/assembly.md and nothing about directives or
//! mnemonics.
//!
//! Invariants:
//! - Every token carries the 1-based line and the 1-based *character* column
//!   where it starts; errors point at the offending character.
//! - `inf` and `nan` are lexed as identifiers (they may name labels or
//!   locals); only `-inf` and `-nan`, which cannot be identifiers, become
//!   float tokens here. The parser gives `inf`/`nan` their float meaning
//!   where a constant is expected.
//! - Integer tokens hold any value that fits in an `i64`; narrower ranges
//!   (i32 immediates, i16 deltas, u16 locals) are the parser's business.

use super::error::{AsmResult, Diagnostic, Pos};

/// What a token is.
#[derive(Clone, Debug, PartialEq)]
pub enum TokenKind {
    /// A directive such as `.func`, stored without its dot.
    Directive(String),
    /// An identifier: `[A-Za-z_$][A-Za-z0-9_$.]*`.
    Ident(String),
    /// A decimal or hex integer, sign included.
    Int(i64),
    /// A float literal (`1.5`, `-2e3`, `-inf`, `-nan`).
    Float(f64),
    /// A string literal, escapes already decoded.
    Str(String),
    /// `#N`: a constant-pool entry by index.
    ConstRef(u32),
    Colon,
    Comma,
    LParen,
    RParen,
    /// `->`
    Arrow,
}

impl TokenKind {
    /// How the token is named in error messages.
    pub fn describe(&self) -> String {
        match self {
            TokenKind::Directive(d) => format!("directive `.{d}`"),
            TokenKind::Ident(s) => format!("identifier `{s}`"),
            TokenKind::Int(i) => format!("integer `{i}`"),
            TokenKind::Float(_) => "a float".to_string(),
            TokenKind::Str(_) => "a string".to_string(),
            TokenKind::ConstRef(i) => format!("`#{i}`"),
            TokenKind::Colon => "`:`".to_string(),
            TokenKind::Comma => "`,`".to_string(),
            TokenKind::LParen => "`(`".to_string(),
            TokenKind::RParen => "`)`".to_string(),
            TokenKind::Arrow => "`->`".to_string(),
        }
    }
}

/// A token, where it starts, and the column just past its end.
#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    pub kind: TokenKind,
    pub pos: Pos,
    /// 1-based column of the first character after the token.
    pub end_col: u32,
}

/// The bit pattern `nan` stands for (Rust's `f64::NAN`).
pub const CANONICAL_NAN_BITS: u64 = 0x7FF8_0000_0000_0000;

/// True for characters that may start an identifier.
pub fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || c == '$'
}

/// True for characters that may continue an identifier.
pub fn is_ident_continue(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '$' || c == '.'
}

/// True if `s` is a valid identifier.
pub fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if is_ident_start(c)) && chars.all(is_ident_continue)
}

/// Splits one line (without its terminator) into tokens. `line` is the
/// line's 1-based number, used for positions.
pub fn lex_line(text: &str, line: u32) -> AsmResult<Vec<Token>> {
    Lexer {
        chars: text.chars().collect(),
        at: 0,
        line,
    }
    .run()
}

struct Lexer {
    chars: Vec<char>,
    /// Index of the next unread character.
    at: usize,
    line: u32,
}

impl Lexer {
    fn pos_of(&self, index: usize) -> Pos {
        Pos::new(self.line, index as u32 + 1)
    }

    fn peek_at(&self, index: usize) -> Option<char> {
        self.chars.get(index).copied()
    }

    fn err(&self, index: usize, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(self.pos_of(index), message)
    }

    fn run(mut self) -> AsmResult<Vec<Token>> {
        let mut tokens = Vec::new();
        while let Some(c) = self.peek_at(self.at) {
            let start = self.at;
            let kind = match c {
                ';' => break,
                c if c.is_whitespace() => {
                    self.at += 1;
                    continue;
                }
                ':' | ',' | '(' | ')' => {
                    self.at += 1;
                    match c {
                        ':' => TokenKind::Colon,
                        ',' => TokenKind::Comma,
                        '(' => TokenKind::LParen,
                        _ => TokenKind::RParen,
                    }
                }
                '"' => TokenKind::Str(self.string()?),
                '#' => self.const_ref()?,
                '.' => {
                    self.at += 1;
                    let name = self.word();
                    if name.is_empty() || !name.starts_with(is_ident_start) {
                        return Err(self.err(start, "expected a directive name after `.`"));
                    }
                    TokenKind::Directive(name)
                }
                '-' => match self.peek_at(start + 1) {
                    Some('>') => {
                        self.at += 2;
                        TokenKind::Arrow
                    }
                    Some(d) if d.is_ascii_digit() => self.number()?,
                    Some(l) if is_ident_start(l) => {
                        self.at += 1;
                        match self.word().as_str() {
                            "inf" => TokenKind::Float(f64::NEG_INFINITY),
                            "nan" => {
                                TokenKind::Float(f64::from_bits(CANONICAL_NAN_BITS | (1 << 63)))
                            }
                            _ => return Err(self.err(start, "unexpected character `-`")),
                        }
                    }
                    _ => return Err(self.err(start, "unexpected character `-`")),
                },
                c if c.is_ascii_digit() => self.number()?,
                c if is_ident_start(c) => TokenKind::Ident(self.word()),
                c => return Err(self.err(start, format!("unexpected character `{c}`"))),
            };
            tokens.push(Token {
                kind,
                pos: self.pos_of(start),
                end_col: self.at as u32 + 1,
            });
        }
        Ok(tokens)
    }

    /// Reads identifier-continue characters.
    fn word(&mut self) -> String {
        let start = self.at;
        while self.peek_at(self.at).is_some_and(is_ident_continue) {
            self.at += 1;
        }
        self.chars[start..self.at].iter().collect()
    }

    /// `#N`.
    fn const_ref(&mut self) -> AsmResult<TokenKind> {
        let start = self.at;
        self.at += 1;
        let digits_start = self.at;
        while self.peek_at(self.at).is_some_and(|c| c.is_ascii_digit()) {
            self.at += 1;
        }
        let digits: String = self.chars[digits_start..self.at].iter().collect();
        if digits.is_empty() || self.peek_at(self.at).is_some_and(is_ident_continue) {
            return Err(self.err(start, "expected a constant index after `#`"));
        }
        digits
            .parse::<u32>()
            .map(TokenKind::ConstRef)
            .map_err(|_| self.err(start, format!("constant index `#{digits}` is too large")))
    }

    /// An integer or float literal, with an optional leading `-`.
    fn number(&mut self) -> AsmResult<TokenKind> {
        let start = self.at;
        let negative = self.peek_at(self.at) == Some('-');
        if negative {
            self.at += 1;
        }
        let body_start = self.at;
        let is_hex = self.peek_at(self.at) == Some('0')
            && matches!(self.peek_at(self.at + 1), Some('x') | Some('X'));
        let kind = if is_hex {
            self.at += 2;
            let digits_start = self.at;
            while self.peek_at(self.at).is_some_and(|c| c.is_ascii_hexdigit()) {
                self.at += 1;
            }
            let digits: String = self.chars[digits_start..self.at].iter().collect();
            if digits.is_empty() {
                return Err(self.err(start, "expected hex digits after `0x`"));
            }
            let magnitude = u64::from_str_radix(&digits, 16).ok();
            let value = match (magnitude, negative) {
                (Some(m), false) => i64::try_from(m).ok(),
                (Some(m), true) => 0i64.checked_sub_unsigned(m),
                (None, _) => None,
            };
            let text: String = self.chars[start..self.at].iter().collect();
            TokenKind::Int(value.ok_or_else(|| {
                self.err(start, format!("integer `{text}` does not fit in 64 bits"))
            })?)
        } else {
            let mut is_float = false;
            self.digits();
            if self.peek_at(self.at) == Some('.')
                && self
                    .peek_at(self.at + 1)
                    .is_some_and(|c| c.is_ascii_digit())
            {
                is_float = true;
                self.at += 1;
                self.digits();
            }
            if matches!(self.peek_at(self.at), Some('e') | Some('E')) {
                let mut exp = self.at + 1;
                if matches!(self.peek_at(exp), Some('+') | Some('-')) {
                    exp += 1;
                }
                if self.peek_at(exp).is_some_and(|c| c.is_ascii_digit()) {
                    is_float = true;
                    self.at = exp;
                    self.digits();
                }
            }
            let text: String = self.chars[start..self.at].iter().collect();
            if is_float {
                // The text is digits, '.', 'e', signs only: parse cannot fail,
                // but stay typed rather than unwrap.
                TokenKind::Float(
                    text.parse::<f64>()
                        .map_err(|_| self.err(start, format!("malformed float `{text}`")))?,
                )
            } else {
                TokenKind::Int(text.parse::<i64>().map_err(|_| {
                    self.err(start, format!("integer `{text}` does not fit in 64 bits"))
                })?)
            }
        };
        debug_assert!(self.at > body_start);
        if self.peek_at(self.at).is_some_and(is_ident_continue) {
            let mut end = self.at;
            while self.peek_at(end).is_some_and(is_ident_continue) {
                end += 1;
            }
            let text: String = self.chars[start..end].iter().collect();
            return Err(self.err(start, format!("malformed number `{text}`")));
        }
        Ok(kind)
    }

    fn digits(&mut self) {
        while self.peek_at(self.at).is_some_and(|c| c.is_ascii_digit()) {
            self.at += 1;
        }
    }

    /// A string literal starting at the opening quote; returns its decoded
    /// contents.
    fn string(&mut self) -> AsmResult<String> {
        let open = self.at;
        self.at += 1;
        let mut out = String::new();
        loop {
            let Some(c) = self.peek_at(self.at) else {
                return Err(self.err(open, "unterminated string"));
            };
            match c {
                '"' => {
                    self.at += 1;
                    return Ok(out);
                }
                '\\' => out.push(self.escape(open)?),
                c => {
                    out.push(c);
                    self.at += 1;
                }
            }
        }
    }

    /// One escape sequence starting at the backslash, inside the string
    /// opened at `open`.
    fn escape(&mut self, open: usize) -> AsmResult<char> {
        let backslash = self.at;
        let Some(c) = self.peek_at(backslash + 1) else {
            return Err(self.err(open, "unterminated string"));
        };
        self.at += 2;
        let simple = match c {
            'n' => Some('\n'),
            't' => Some('\t'),
            'r' => Some('\r'),
            '0' => Some('\0'),
            '\\' => Some('\\'),
            '"' => Some('"'),
            '\'' => Some('\''),
            _ => None,
        };
        if let Some(s) = simple {
            return Ok(s);
        }
        if c != 'u' {
            return Err(self.err(backslash, format!("bad escape `\\{c}`")));
        }
        if self.peek_at(self.at) != Some('{') {
            return Err(self.err(backslash, "bad escape: expected `\\u{HEX}`"));
        }
        self.at += 1;
        let digits_start = self.at;
        while self.peek_at(self.at).is_some_and(|c| c.is_ascii_hexdigit()) {
            self.at += 1;
        }
        let digits: String = self.chars[digits_start..self.at].iter().collect();
        if self.peek_at(self.at) != Some('}') || digits.is_empty() || digits.len() > 6 {
            return Err(self.err(
                backslash,
                "bad escape: expected `\\u{HEX}` with 1 to 6 hex digits",
            ));
        }
        self.at += 1;
        u32::from_str_radix(&digits, 16)
            .ok()
            .and_then(char::from_u32)
            .ok_or_else(|| {
                self.err(
                    backslash,
                    format!("bad escape `\\u{{{digits}}}`: not a Unicode scalar value"),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(s: &str) -> Vec<TokenKind> {
        lex_line(s, 1)
            .unwrap()
            .into_iter()
            .map(|t| t.kind)
            .collect()
    }

    fn err(s: &str) -> (u32, String) {
        let d = lex_line(s, 1).unwrap_err();
        (d.pos.col, d.message)
    }

    #[test]
    fn lexes_every_token_kind() {
        use TokenKind::*;
        assert_eq!(
            kinds(".func f(a, b) -> value ; comment"),
            vec![
                Directive("func".into()),
                Ident("f".into()),
                LParen,
                Ident("a".into()),
                Comma,
                Ident("b".into()),
                RParen,
                Arrow,
                Ident("value".into())
            ]
        );
        assert_eq!(kinds("loop:"), vec![Ident("loop".into()), Colon]);
        assert_eq!(
            kinds("getfield Node.next"),
            vec![Ident("getfield".into()), Ident("Node.next".into())]
        );
        assert_eq!(kinds("ldc #12"), vec![Ident("ldc".into()), ConstRef(12)]);
        assert_eq!(kinds("x$_1"), vec![Ident("x$_1".into())]);
    }

    #[test]
    fn lexes_numbers() {
        use TokenKind::*;
        assert_eq!(
            kinds("-42 0x2A -0x2a 0"),
            vec![Int(-42), Int(42), Int(-42), Int(0)]
        );
        assert_eq!(kinds("-9223372036854775808"), vec![Int(i64::MIN)]);
        assert_eq!(kinds("-0x8000000000000000"), vec![Int(i64::MIN)]);
        assert_eq!(
            kinds("1.5 -0.25e3 1e300 2E-3"),
            vec![Float(1.5), Float(-250.0), Float(1e300), Float(2e-3)]
        );
        assert_eq!(kinds("-inf"), vec![Float(f64::NEG_INFINITY)]);
        let TokenKind::Float(n) = &kinds("-nan")[0] else {
            panic!()
        };
        assert_eq!(n.to_bits(), 0xFFF8_0000_0000_0000);
        let TokenKind::Float(z) = &kinds("-0.0")[0] else {
            panic!()
        };
        assert_eq!(z.to_bits(), (-0.0f64).to_bits());
        assert_eq!(
            kinds("inf nan"),
            vec![Ident("inf".into()), Ident("nan".into())]
        );
    }

    #[test]
    fn lexes_strings_and_escapes() {
        assert_eq!(
            kinds(r#""a;b\n\t\r\0\\\"\'\u{1F600}é""#),
            vec![TokenKind::Str("a;b\n\t\r\0\\\"'\u{1F600}é".into())]
        );
    }

    #[test]
    fn reports_errors_at_the_right_character() {
        assert_eq!(err("  \"abc"), (3, "unterminated string".into()));
        assert_eq!(err("x \"éa\\q\""), (6, "bad escape `\\q`".into()));
        assert_eq!(
            err("\"\\u{D800}\""),
            (
                2,
                "bad escape `\\u{D800}`: not a Unicode scalar value".into()
            )
        );
        assert_eq!(err("\"\\u12\"").0, 2);
        assert_eq!(err("\"abc\\"), (1, "unterminated string".into()));
        assert_eq!(err("x 12ab"), (3, "malformed number `12ab`".into()));
        assert_eq!(
            err("99999999999999999999"),
            (
                1,
                "integer `99999999999999999999` does not fit in 64 bits".into()
            )
        );
        assert_eq!(err("0x"), (1, "expected hex digits after `0x`".into()));
        assert_eq!(err("a @"), (3, "unexpected character `@`".into()));
        assert_eq!(err("\"ééé\" -x"), (7, "unexpected character `-`".into()));
        assert_eq!(
            err(". x"),
            (1, "expected a directive name after `.`".into())
        );
        assert_eq!(err("#x"), (1, "expected a constant index after `#`".into()));
    }
}
