//! Kea's client classification expression language.
//!
//! This crate owns the language and nothing around it: the scanner and
//! parser of the expressions Kea accepts in `client-classes[].test`,
//! `template-test`, flex-id's `identifier-expression` and flex-option's
//! values ("Using Expressions in Classification" in Kea's ARM), the
//! compiled form built once per configuration, and the evaluator run per
//! packet. Class definitions, their evaluation order and where the results
//! go belong to the configuration and the engine.
//!
//! ```
//! use ruru_classify::{parse_bool, Family, StdOptionNames};
//!
//! let e = parse_bool(
//!     "substring(option[vendor-class-identifier].hex, 0, 9) == 'PXEClient'",
//!     Family::V4,
//!     &StdOptionNames,
//! )
//! .unwrap();
//! assert_eq!(e.kind(), ruru_classify::Kind::Bool);
//! // e.eval_bool(&packet) with the engine's `impl Packet`.
//! ```
//!
//! * [`parse`], [`parse_bool`], [`parse_string`] turn text into an [`Expr`]
//!   or an [`ExprError`] that points into the text.
//! * [`Expr::eval_bool`] and [`Expr::eval_string`] evaluate it on a
//!   [`Packet`], which the engine implements. The common class tests
//!   allocate nothing ([`Value`] borrows from the packet).
//! * [`OptionNames`] resolves `option[name]`; [`StdOptionNames`] knows the
//!   standard names.
//!
//! The user-facing reference is `docs/src/expressions.md`.

mod error;
mod eval;
mod expr;
mod lexer;
mod names;
mod packet;
mod parser;
mod value;

use std::fmt;

pub use error::{EvalError, ExprError};
pub use expr::{Cond, Expr, Kind, MemberRef, Relay6Addr, Scope};
pub use names::{std_option_code, OptionNames, StdOptionNames, V4_NAMES, V6_NAMES};
pub use packet::{find_option4, find_option6, Packet, Pkt4Fields, Pkt6Fields};
pub use value::{Value, INLINE_CAP};

/// Nesting limit of an expression: parentheses, function arguments, `not`s
/// and the right operands of logical operators of higher precedence count
/// one level each. It bounds the recursion of the parser and of the
/// evaluator: the deepest accepted expressions parse and evaluate within
/// 256 KiB of stack in release builds (1 MiB unoptimized; `tests/deep.rs`).
/// Kea's own examples nest 3 or 4 levels.
pub const MAX_DEPTH: usize = 32;

/// The DHCP family an expression is written for: option codes, option
/// names and the family-only tokens (`pkt4`, `relay4`, `pkt6`, `relay6`)
/// depend on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// DHCPv4 (`Dhcp4`).
    V4,
    /// DHCPv6 (`Dhcp6`).
    V6,
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Family::V4 => "DHCPv4",
            Family::V6 => "DHCPv6",
        })
    }
}

/// Parses an expression of either type; [`Expr::kind`] tells which.
pub fn parse(text: &str, family: Family, names: &dyn OptionNames) -> Result<Expr, ExprError> {
    parser::Parser::new(text, family, names).parse(None)
}

/// Parses a condition: a class `test`.
pub fn parse_bool(text: &str, family: Family, names: &dyn OptionNames) -> Result<Expr, ExprError> {
    parser::Parser::new(text, family, names).parse(Some(Kind::Bool))
}

/// Parses a string expression: flex-id's `identifier-expression`,
/// flex-option's `add`/`supersede` values, a class `template-test`.
pub fn parse_string(
    text: &str,
    family: Family,
    names: &dyn OptionNames,
) -> Result<Expr, ExprError> {
    parser::Parser::new(text, family, names).parse(Some(Kind::String))
}

#[cfg(test)]
mod tests {
    fn shareable<T: Send + Sync + 'static>() {}

    /// A parsed configuration is shared between packet-processing threads.
    #[test]
    fn expr_is_send_and_sync() {
        shareable::<crate::Expr>();
        shareable::<crate::ExprError>();
        shareable::<crate::EvalError>();
    }
}
