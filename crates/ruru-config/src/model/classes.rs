//! The runtime model of client classification that both families share:
//! a class's compiled test ([`ClassTest`]), the class settings of a
//! subnet, pool or pd-pool ([`ClassGuard`]) and Kea's built-in class
//! names ([`builtin_class`]).
//!
//! The class definitions themselves carry family-specific fields (encoded
//! options, `next-server`, preferred lifetimes, ...): they are
//! `v4::ClientClass4` and `v6::ClientClass6`, built on the types here.
//! Nothing here refers to either family.

use std::sync::Arc;

use ruru_classify::Expr;

/// Kea's built-in class names ("Built-in Client Classes" in Kea's ARM):
/// assigned by the server itself, never by a `test`. `BOOTP` exists in
/// DHCPv4 only; [`builtin_class`] knows that.
pub const BUILTIN_CLASSES: &[&str] = &["ALL", "KNOWN", "UNKNOWN", "BOOTP"];

/// Prefixes of built-in class families: `VENDOR_CLASS_<vendor class
/// identifier>` set from option 60 / 16, and the classes Kea's HA hook
/// (`HA_<server>`), lease-query / `AFTER_` hooks and external sources
/// (`EXTERNAL_`) assign. A name that is longer than one of these and
/// starts with it is built in (Kea's `isClientClassBuiltIn`).
pub const BUILTIN_CLASS_PREFIXES: &[&str] = &["VENDOR_CLASS_", "HA_", "AFTER_", "EXTERNAL_"];

/// The class Kea's template classes spawn: `SPAWN_<template>_<value>`.
pub const SPAWN_PREFIX: &str = "SPAWN_";

/// Whether `name` is a class the server assigns itself, so that
/// `member('name')` needs no definition: one of [`BUILTIN_CLASSES`]
/// (`BOOTP` only with `v4`), a name with one of
/// [`BUILTIN_CLASS_PREFIXES`], or `DROP` (the special class whose
/// members are dropped; Kea lets it be defined or set by hooks).
pub fn builtin_class(name: &str, v4: bool) -> bool {
    if name == "BOOTP" {
        return v4;
    }
    BUILTIN_CLASSES.contains(&name)
        || name == "DROP"
        || BUILTIN_CLASS_PREFIXES
            .iter()
            .any(|p| name.len() > p.len() && name.starts_with(p))
}

/// How a class is assigned by evaluation: its `test` or `template-test`,
/// compiled for the section's family.
#[derive(Debug, Clone)]
pub enum ClassTest {
    /// Neither key: the class is assigned only by host reservations
    /// (`client-classes`), hooks, or, with `only-if-required`, whenever a
    /// subnet, pool or pd-pool requires it (Kea adds a required class
    /// without a test unconditionally).
    None,
    /// `test`: a condition ([`ruru_classify::Kind::Bool`]); the packet
    /// joins the class when it is true.
    Test(Arc<Expr>),
    /// `template-test` (Kea 2.6 template classes): a string expression
    /// ([`ruru_classify::Kind::String`]); a non-empty value `v` puts the
    /// packet in this class and in the spawned class
    /// `SPAWN_<name>_<v>`.
    Template(Arc<Expr>),
}

impl ClassTest {
    /// The compiled expression, whichever key it came from.
    pub fn expr(&self) -> Option<&Arc<Expr>> {
        match self {
            ClassTest::None => None,
            ClassTest::Test(e) | ClassTest::Template(e) => Some(e),
        }
    }

    /// Whether this is a template class (`template-test`).
    pub fn is_template(&self) -> bool {
        matches!(self, ClassTest::Template(_))
    }
}

/// The class settings of a subnet, a pool or a pd-pool.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClassGuard {
    /// Kea 2.2's `client-class` (one name; `""` is none) or Kea 3.0's
    /// `client-classes` (a list): when not empty, only packets in at
    /// least one of these classes may use the subnet / pool. Names need
    /// not be defined in `client-classes` (host reservations and hooks
    /// assign classes too), as in Kea. Empty: every packet may.
    pub client_classes: Vec<String>,
    /// Kea 2.2's `require-client-classes` / Kea 3.0's
    /// `evaluate-additional-classes`: the classes (usually defined with
    /// `only-if-required`) evaluated after the subnet and pool are
    /// chosen, for packets that use this subnet / pool, in this order.
    pub required_classes: Vec<String>,
}

impl ClassGuard {
    /// Whether a packet may use what this guard is on; `in_class` says
    /// whether the packet is in the class it is given.
    pub fn allows(&self, mut in_class: impl FnMut(&str) -> bool) -> bool {
        self.client_classes.is_empty() || self.client_classes.iter().any(|c| in_class(c))
    }
}
