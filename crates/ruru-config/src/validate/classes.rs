//! Client classification, as both families check it: the entries of
//! `client-classes` (names, `test` / `template-test` compiled with
//! `ruru_classify`, `member()` references, the Kea 2.2 and 3.0 spellings
//! of `only-if-required`, valid lifetimes, `user-context`) and the class
//! keys of subnets, pools, pd-pools and host reservations. What only one
//! family's classes have (options, `next-server`, preferred lifetimes)
//! is added by `v4` and `v6`.
//!
//! Kea's rules (`ClientClassDefParser`, `isClientClassDefined`): names
//! are unique; a `test` may name in `member()` only built-in classes and
//! classes defined earlier in the list (evaluation follows the list); a
//! class that uses `KNOWN` or `UNKNOWN`, directly or through an earlier
//! class, is evaluated after the host reservation lookup; built-in
//! classes may be defined (to carry options) but have no test and are
//! not `only-if-required`. The classes a subnet or pool names need no
//! definition: host reservations and hooks assign classes too.

use std::collections::HashMap;
use std::sync::Arc;

use ruru_classify::{parse_bool, parse_string, Expr, ExprError, Family};
use serde_json::Value;

use super::option_def::DefNames;
use super::V;
use crate::file;
use crate::model::{builtin_class, ClassGuard, ClassTest, Lifetime, BUILTIN_CLASSES, SPAWN_PREFIX};

/// What both families' `client-classes` entries have, as written.
pub(super) struct ClassIn<'a> {
    pub(super) name: &'a str,
    pub(super) test: Option<&'a str>,
    pub(super) template_test: Option<&'a str>,
    pub(super) only_if_required: Option<bool>,
    pub(super) only_in_additional_list: Option<bool>,
    pub(super) valid_lifetime: Option<u32>,
    pub(super) min_valid_lifetime: Option<u32>,
    pub(super) max_valid_lifetime: Option<u32>,
    pub(super) user_context: Option<&'a Value>,
}

/// What both families' classes have, validated.
pub(super) struct ClassOut {
    pub(super) name: String,
    pub(super) test: ClassTest,
    pub(super) only_if_required: bool,
    pub(super) depends_on_known: bool,
    pub(super) valid_lifetime: Option<Lifetime>,
    pub(super) user_context: Option<Value>,
}

/// A class of the list already checked.
struct Defined {
    /// Its index in the list.
    index: usize,
    depends_on_known: bool,
    template: bool,
}

/// One `client-classes` list being checked, entry after entry.
pub(super) struct ClassList {
    /// `Dhcp4.client-classes` or `Dhcp6.client-classes`.
    path: &'static str,
    family: Family,
    /// The first index of every name in the list, to tell a forward
    /// reference from an unknown class.
    all: HashMap<String, usize>,
    /// The classes checked so far, by name (first definition).
    defined: HashMap<String, Defined>,
}

/// How a name in `member()` resolves.
enum Resolved {
    /// Built in or defined earlier; whether it depends on KNOWN/UNKNOWN.
    Known(bool),
    /// Defined at this index, not earlier.
    Later(usize),
    Unknown,
}

impl ClassList {
    /// `names`: the `name` of every entry, in order.
    pub(super) fn new<'a>(
        path: &'static str,
        family: Family,
        names: impl Iterator<Item = &'a str>,
    ) -> Self {
        let mut all = HashMap::new();
        for (i, n) in names.enumerate() {
            all.entry(n.to_string()).or_insert(i);
        }
        ClassList {
            path,
            family,
            all,
            defined: HashMap::new(),
        }
    }

    fn resolve(&self, name: &str) -> Resolved {
        if builtin_class(name, self.family == Family::V4) {
            return Resolved::Known(name == "KNOWN" || name == "UNKNOWN");
        }
        if let Some(d) = self.defined.get(name) {
            return Resolved::Known(d.depends_on_known);
        }
        // A class spawned by an earlier template class: SPAWN_<name>_<value>.
        if let Some(rest) = name.strip_prefix(SPAWN_PREFIX) {
            let spawned_by = self.defined.iter().find(|(t, d)| {
                d.template
                    && rest
                        .strip_prefix(t.as_str())
                        .is_some_and(|r| r.starts_with('_'))
            });
            if let Some((_, d)) = spawned_by {
                return Resolved::Known(d.depends_on_known);
            }
        }
        match self.all.get(name) {
            Some(&i) => Resolved::Later(i),
            None => Resolved::Unknown,
        }
    }

    /// Checks entry `i`, given after the entries before it.
    pub(super) fn class(&mut self, v: &mut V, i: usize, c: ClassIn<'_>) -> ClassOut {
        let p = format!("{}[{i}]", self.path);
        let duplicate = self.defined.get(c.name).map(|first| first.index);
        if c.name.trim().is_empty() {
            v.err(
                format!("{p}.name"),
                "empty class name: expected a name, e.g. \"phones\"",
            );
        } else if let Some(first) = duplicate {
            v.err(
                format!("{p}.name"),
                format!(
                    "class `{}` is already defined at {}[{first}]: expected unique class names",
                    c.name, self.path
                ),
            );
        }
        let only_if_required = match (c.only_if_required, c.only_in_additional_list) {
            (Some(_), Some(b)) => {
                v.err(
                    format!("{p}.only-in-additional-list"),
                    "both `only-if-required` (Kea 2.2) and `only-in-additional-list` (its Kea 3.0 name) are given: expected one of them",
                );
                b
            }
            (Some(b), None) | (None, Some(b)) => b,
            (None, None) => false,
        };
        let flag_key = if c.only_in_additional_list.is_some() {
            "only-in-additional-list"
        } else {
            "only-if-required"
        };
        if c.test.is_some() && c.template_test.is_some() {
            v.err(
                format!("{p}.template-test"),
                "both `test` and `template-test` are given: expected one of them (a class is either a normal class or a template class)",
            );
        }
        let builtin = BUILTIN_CLASSES.contains(&c.name);
        if (builtin || c.name == "DROP") && only_if_required {
            v.err(
                format!("{p}.{flag_key}"),
                format!(
                    "{} class `{}` cannot be {flag_key}: expected false or no `{flag_key}`",
                    if builtin { "built-in" } else { "special" },
                    c.name
                ),
            );
        }
        let mut depends_on_known = false;
        let test = match (c.test, c.template_test) {
            (Some(text), _) => {
                let key = format!("{p}.test");
                if builtin && !text.is_empty() {
                    v.err(
                        &key,
                        format!(
                            "built-in class `{}` cannot have a test (the server assigns it): expected no `test`",
                            c.name
                        ),
                    );
                }
                match self.compile(v, &key, text, false) {
                    Some(mut e) => {
                        depends_on_known = self.members(v, &key, i, &e, true);
                        self.resolve_members(&mut e);
                        ClassTest::Test(Arc::new(e))
                    }
                    None => ClassTest::None,
                }
            }
            (None, Some(text)) => {
                let key = format!("{p}.template-test");
                if builtin {
                    v.err(
                        &key,
                        format!(
                            "built-in class `{}` cannot be a template class: expected no `template-test`",
                            c.name
                        ),
                    );
                }
                match self.compile(v, &key, text, true) {
                    Some(mut e) => {
                        // Kea checks no member() of a template test; a
                        // dependency on KNOWN/UNKNOWN is still recorded.
                        depends_on_known = self.members(v, &key, i, &e, false);
                        self.resolve_members(&mut e);
                        ClassTest::Template(Arc::new(e))
                    }
                    None => ClassTest::None,
                }
            }
            (None, None) => ClassTest::None,
        };
        let valid_lifetime = v.lifetime(
            &p,
            "valid-lifetime",
            c.valid_lifetime,
            c.min_valid_lifetime,
            c.max_valid_lifetime,
        );
        if let Some(u) = c.user_context {
            if !u.is_object() {
                v.err(
                    format!("{p}.user-context"),
                    format!("expected a JSON object, got {u}"),
                );
            }
        }
        if duplicate.is_none() {
            self.defined.insert(
                c.name.to_string(),
                Defined {
                    index: i,
                    depends_on_known,
                    template: test.is_template(),
                },
            );
        }
        ClassOut {
            name: c.name.to_string(),
            test,
            only_if_required,
            depends_on_known,
            valid_lifetime,
            user_context: c.user_context.cloned(),
        }
    }

    /// Compiles the expression `text` at `key`: a condition, or with
    /// `template` a string expression.
    fn compile(&self, v: &mut V, key: &str, text: &str, template: bool) -> Option<Expr> {
        let parsed = if template {
            if text.is_empty() {
                v.err(key, "empty template-test: expected a string expression");
                return None;
            }
            parse_string(text, self.family, &DefNames(&v.option_defs.list))
        } else {
            parse_bool(text, self.family, &DefNames(&v.option_defs.list))
        };
        match parsed {
            Ok(e) => Some(e),
            Err(e) => {
                expr_error(v, key, &e);
                None
            }
        }
    }

    /// Resolves the `member()` names of `e` that name classes defined
    /// so far to their index in the list (the engine then tests a bit of
    /// the packet's class set instead of comparing names). A class's
    /// index in the list is its index in the configuration's
    /// `client_classes`.
    fn resolve_members(&self, e: &mut Expr) {
        e.resolve_members(&|name| self.defined.get(name).map(|d| d.index));
    }

    /// Checks the `member()` names of the expression of entry `i` (with
    /// `check`: each must be built in or defined earlier) and tells
    /// whether the expression depends on KNOWN/UNKNOWN.
    fn members(&self, v: &mut V, key: &str, i: usize, e: &Expr, check: bool) -> bool {
        let mut depends = false;
        for m in e.members() {
            // Point at the name, inside its quotes.
            let at = if m.len >= 2 { m.offset + 1 } else { m.offset };
            let why = match self.resolve(&m.name) {
                Resolved::Known(d) => {
                    depends |= d;
                    continue;
                }
                _ if !check => continue,
                Resolved::Later(j) if j == i => format!(
                    "member('{}') names the class being defined: expected a built-in class or a class defined earlier in {}",
                    m.name, self.path
                ),
                Resolved::Later(j) => format!(
                    "member('{}') names a class defined later, at {}[{j}]: Kea evaluates classes in order, expected a built-in class or a class defined earlier",
                    m.name, self.path
                ),
                Resolved::Unknown => format!(
                    "member('{}') names an undefined class: expected a built-in class ({}, DROP, VENDOR_CLASS_..., HA_..., SPAWN_<template>_...) or a class defined earlier in {}",
                    m.name,
                    if self.family == Family::V4 {
                        "ALL, KNOWN, UNKNOWN, BOOTP"
                    } else {
                        "ALL, KNOWN, UNKNOWN"
                    },
                    self.path
                ),
            };
            v.err_in_string(key, at, why);
        }
        depends
    }
}

/// An expression error, at its place inside the JSON string at `key`.
fn expr_error(v: &mut V, key: &str, e: &ExprError) {
    v.err_in_string(key, e.offset, format!("invalid expression: {}", e.message));
}

/// The class keys of a subnet, pool or pd-pool, as written.
pub(super) trait GuardKeys {
    fn client_class(&self) -> Option<&str>;
    fn client_classes(&self) -> Option<&[String]>;
    fn require_client_classes(&self) -> Option<&[String]>;
    fn evaluate_additional_classes(&self) -> Option<&[String]>;
}

macro_rules! guard_keys {
    ($($t:ty),*) => {$(
        impl GuardKeys for $t {
            fn client_class(&self) -> Option<&str> {
                self.client_class.as_deref()
            }
            fn client_classes(&self) -> Option<&[String]> {
                self.client_classes.as_deref()
            }
            fn require_client_classes(&self) -> Option<&[String]> {
                self.require_client_classes.as_deref()
            }
            fn evaluate_additional_classes(&self) -> Option<&[String]> {
                self.evaluate_additional_classes.as_deref()
            }
        }
    )*};
}

guard_keys!(
    file::Subnet4,
    file::Subnet6,
    file::Pool,
    file::PdPool,
    file::SharedNetwork4,
    file::SharedNetwork6
);

/// The class keys of the subnet, pool or pd-pool at `p`: Kea 2.2's
/// `client-class` (one name) or Kea 3.0's `client-classes`, and Kea
/// 2.2's `require-client-classes` or Kea 3.0's
/// `evaluate-additional-classes`; one spelling of each.
pub(super) fn guard(v: &mut V, p: &str, s: &impl GuardKeys) -> ClassGuard {
    if s.client_class().is_some() && s.client_classes().is_some() {
        v.err(
            format!("{p}.client-classes"),
            "both `client-class` (Kea 2.2) and `client-classes` (Kea 3.0) are given: expected one of them",
        );
    }
    if s.require_client_classes().is_some() && s.evaluate_additional_classes().is_some() {
        v.err(
            format!("{p}.evaluate-additional-classes"),
            "both `require-client-classes` (Kea 2.2) and `evaluate-additional-classes` (its Kea 3.0 name) are given: expected one of them",
        );
    }
    let client_classes = match (s.client_class(), s.client_classes()) {
        (Some(one), _) => names(std::slice::from_ref(&one.to_string())),
        (None, Some(list)) => names(list),
        (None, None) => Vec::new(),
    };
    let required = s
        .require_client_classes()
        .or(s.evaluate_additional_classes())
        .map_or_else(Vec::new, names);
    ClassGuard {
        client_classes,
        required_classes: required,
    }
}

/// A list of class names as the model keeps it: in order, each once,
/// without empty names (Kea's `""` means none).
pub(super) fn names(list: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(list.len());
    for n in list {
        if !n.is_empty() && !out.contains(n) {
            out.push(n.clone());
        }
    }
    out
}
