//! Errors: [`ExprError`] for an expression that does not parse (with its
//! position inside the expression text) and [`EvalError`] for a packet on
//! which a parsed expression cannot be evaluated.

use std::fmt;

/// An expression that does not parse, with the place it went wrong.
///
/// `offset` is a byte offset into the expression text; `line` and `column`
/// are 1-based, the column counted in characters. The configuration reader
/// combines them with the position of the JSON string that holds the
/// expression to point at file:line:column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExprError {
    /// Byte offset of the offending token in the expression text.
    pub offset: usize,
    /// Length in bytes of the offending token (0 at the end of the text).
    pub len: usize,
    /// 1-based line within the expression text.
    pub line: usize,
    /// 1-based column (in characters) within that line.
    pub column: usize,
    /// What was wrong or what was expected instead.
    pub message: String,
}

impl ExprError {
    /// An error about `text[offset..offset + len]`. Used by the parser, and
    /// by callers that check an already parsed expression further (for
    /// example that every class named in `member()` is defined).
    pub fn at(text: &str, offset: usize, len: usize, message: impl Into<String>) -> ExprError {
        let offset = offset.min(text.len());
        let before = text.get(..offset).unwrap_or(text);
        let line = 1 + before.bytes().filter(|&b| b == b'\n').count();
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = 1 + before.get(line_start..).map_or(0, |s| s.chars().count());
        ExprError {
            offset,
            len,
            line,
            column,
            message: message.into(),
        }
    }
}

impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

impl std::error::Error for ExprError {}

/// Why an expression could not be evaluated on a packet. Kea logs these and
/// treats the class as not matched (or the flex-id / flex-option value as
/// not computed); the caller decides.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    /// A conversion operator got an operand of the wrong length, e.g.
    /// `uint16totext` of 3 bytes or `addrtotext` of 5 bytes.
    #[error("{op}: cannot convert {len} bytes (expected {expected})")]
    BadLength {
        /// The operator (`addrtotext`, `int8totext`, ...).
        op: &'static str,
        /// Length of the operand.
        len: usize,
        /// What the operator accepts.
        expected: &'static str,
    },
    /// An integer argument (substring start or length, split field) does
    /// not fit Kea's 32-bit `int`.
    #[error("{op}: {value} does not fit a 32-bit signed integer")]
    BadInteger {
        /// The operator (`substring`, `split`).
        op: &'static str,
        /// The argument as written.
        value: i64,
    },
    /// The packet is not of the family the expression was parsed for.
    #[error("expression for {expr} evaluated on a {packet} packet")]
    WrongFamily {
        /// Family of the expression.
        expr: crate::Family,
        /// Family of the packet.
        packet: crate::Family,
    },
    /// [`crate::Expr::eval_bool`] on a string expression whose value is
    /// neither `true` nor `false`.
    #[error("expected a boolean, the expression evaluated to a string that is neither 'true' nor 'false'")]
    NotBoolean,
}
