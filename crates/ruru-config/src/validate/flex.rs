//! Kea's `libdhcp_flex_id.so` and `libdhcp_flex_option.so`, built in:
//! their `parameters` checked as Kea's libraries check them at load
//! time, and their expressions compiled for the section's family.
//!
//! - flex-id: `identifier-expression` (a string expression, optional;
//!   empty: no identifier), `replace-client-id` (boolean), `ignore-iaid`
//!   (DHCPv6, boolean; only `false`).
//! - flex-option: `options`, a list of entries with `code` and/or `name`
//!   and exactly one of `add`, `supersede` (string expressions) and
//!   `remove` (a condition); `csv-format` (only `false`), `space` (only
//!   the section's own), `client-class` and `comment`.
//!
//! Unknown parameters are errors: Kea's flex-option refuses them, and a
//! misspelt flex-id parameter would silently change nothing.

use std::sync::Arc;

use ruru_classify::{parse_bool, parse_string, Expr, Family};
use serde_json::{Map, Value};

use super::option_def::DefNames;
use super::V;
use crate::model::{FlexAction, FlexId, FlexOption};

/// The file name of Kea's flex-id library.
pub(super) const FLEX_ID: &str = "libdhcp_flex_id.so";
/// The file name of Kea's flex-option library.
pub(super) const FLEX_OPTION: &str = "libdhcp_flex_option.so";

/// The compiled expression at `key` (a string expression, or with `cond`
/// a condition), or `None` after reporting its error.
fn compile(v: &mut V, key: &str, text: &str, family: Family, cond: bool) -> Option<Arc<Expr>> {
    let names = DefNames(&v.option_defs.list);
    let parsed = if cond {
        parse_bool(text, family, &names)
    } else {
        parse_string(text, family, &names)
    };
    match parsed {
        Ok(e) => Some(Arc::new(e)),
        Err(e) => {
            v.err_in_string(key, e.offset, format!("invalid expression: {}", e.message));
            None
        }
    }
}

/// The parameters as a map (`{}` when absent), or `None` after reporting.
fn params(v: &mut V, p: &str, parameters: Option<&Value>) -> Option<Map<String, Value>> {
    match parameters {
        None | Some(Value::Null) => Some(Map::new()),
        Some(Value::Object(m)) => Some(m.clone()),
        Some(other) => {
            v.err(
                format!("{p}.parameters"),
                format!("expected a JSON object, got {other}"),
            );
            None
        }
    }
}

fn boolean(v: &mut V, key: String, val: &Value) -> bool {
    match val {
        Value::Bool(b) => *b,
        other => {
            v.err(key, format!("expected a boolean, got {other}"));
            false
        }
    }
}

/// `libdhcp_flex_id.so`'s parameters, at `p` (the `hooks-libraries`
/// entry).
pub(super) fn flex_id(
    v: &mut V,
    p: &str,
    family: Family,
    parameters: Option<&Value>,
) -> Option<FlexId> {
    let m = params(v, p, parameters)?;
    let mut out = FlexId {
        expr: None,
        replace_client_id: false,
    };
    for (k, val) in &m {
        let key = format!("{p}.parameters.{k}");
        match k.as_str() {
            "identifier-expression" => match val {
                Value::String(s) if s.is_empty() => {}
                Value::String(s) => out.expr = compile(v, &key, s, family, false),
                other => v.err(key, format!("expected a string expression, got {other}")),
            },
            "replace-client-id" => out.replace_client_id = boolean(v, key.clone(), val),
            "ignore-iaid" if family == Family::V6 => {
                if boolean(v, key.clone(), val) {
                    v.err(key, "not supported yet: ignore-iaid true; expected false");
                }
            }
            "comment" => {}
            _ => v.err(
                key,
                format!(
                    "unknown parameter `{k}` of {FLEX_ID}: expected identifier-expression, replace-client-id{}",
                    if family == Family::V6 { " or ignore-iaid" } else { "" }
                ),
            ),
        }
    }
    Some(out)
}

const OPTION_KEYS: &str =
    "code, name, space, csv-format, add, supersede, remove, client-class or comment";

/// `libdhcp_flex_option.so`'s parameters, at `p`: the entries in the
/// order they act (by code, then in list order, as Kea's map of lists).
pub(super) fn flex_options(
    v: &mut V,
    p: &str,
    family: Family,
    parameters: Option<&Value>,
) -> Vec<FlexOption> {
    let Some(m) = params(v, p, parameters) else {
        return Vec::new();
    };
    for k in m.keys() {
        if k != "options" && k != "comment" {
            v.err(
                format!("{p}.parameters.{k}"),
                format!("unknown parameter `{k}` of {FLEX_OPTION}: expected options"),
            );
        }
    }
    let list = match m.get("options") {
        Some(Value::Array(a)) => a.clone(),
        Some(other) => {
            v.err(
                format!("{p}.parameters.options"),
                format!("expected a list of options, got {other}"),
            );
            return Vec::new();
        }
        None => {
            v.err(
                format!("{p}.parameters"),
                format!("{FLEX_OPTION} needs `options`, a list: expected e.g. {{\"options\": [{{\"code\": 67, \"add\": \"'boot.file'\"}}]}}"),
            );
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for (i, e) in list.iter().enumerate() {
        let ep = format!("{p}.parameters.options[{i}]");
        if let Some(o) = option(v, &ep, family, e) {
            out.push(o);
        }
    }
    // Kea keeps the entries in a map by code: they act by code, and in
    // list order for one code. The sort is stable.
    out.sort_by_key(|o| o.code);
    out
}

fn option(v: &mut V, ep: &str, family: Family, e: &Value) -> Option<FlexOption> {
    let Value::Object(m) = e else {
        v.err(ep, format!("expected an object, got {e}"));
        return None;
    };
    let (space, max) = match family {
        Family::V4 => ("dhcp4", u64::from(u8::MAX)),
        Family::V6 => ("dhcp6", u64::from(u16::MAX)),
    };
    let mut code = None;
    let mut name = None;
    let mut action: Option<FlexAction> = None;
    let mut client_class = None;
    let mut ok = true;
    for (k, val) in m {
        let key = format!("{ep}.{k}");
        match (k.as_str(), val) {
            ("code", Value::Number(n)) => match n.as_u64() {
                Some(c) if c <= max => {
                    let reserved = match family {
                        Family::V4 => (c == 0 || c == 255).then_some("reserved for PAD and END"),
                        Family::V6 => (c == 0).then_some("reserved"),
                    };
                    if let Some(why) = reserved {
                        v.err(key, format!("invalid code {c}: {why}"));
                        ok = false;
                    } else {
                        code = Some(c as u16);
                    }
                }
                _ => {
                    v.err(
                        key,
                        format!(
                            "invalid code {n}: expected 1..={}",
                            max - u64::from(family == Family::V4)
                        ),
                    );
                    ok = false;
                }
            },
            ("name", Value::String(s)) => {
                // Standard names and the section's option-def names.
                let c = v
                    .def_by_name(family == Family::V4, space, s)
                    .map(|d| d.code);
                match c {
                    Some(c) => name = Some((c, s.clone())),
                    None => {
                        v.err(key, format!("no known '{s}' option in '{space}' space"));
                        ok = false;
                    }
                }
            }
            ("space", Value::String(s)) => {
                if s != space {
                    v.err(
                        key,
                        format!("not supported yet: space \"{s}\" (options of other spaces); expected \"{space}\""),
                    );
                    ok = false;
                }
            }
            ("csv-format", Value::Bool(b)) => {
                if *b {
                    v.err(
                        key,
                        "not supported yet: csv-format true (values in the option's text format); expected false (the value is the option's raw data)",
                    );
                    ok = false;
                }
            }
            ("add" | "supersede" | "remove", Value::String(s)) => {
                if action.is_some() {
                    v.err(
                        key,
                        "multiple actions: expected one of add, supersede and remove per entry",
                    );
                    ok = false;
                    continue;
                }
                if s.is_empty() {
                    v.err(key, format!("'{k}' must not be empty"));
                    ok = false;
                    continue;
                }
                let Some(x) = compile(v, &key, s, family, k == "remove") else {
                    ok = false;
                    continue;
                };
                action = Some(match k.as_str() {
                    "add" => FlexAction::Add(x),
                    "supersede" => FlexAction::Supersede(x),
                    _ => FlexAction::Remove(x),
                });
            }
            ("client-class", Value::String(s)) => {
                client_class = (!s.is_empty()).then(|| s.clone());
            }
            ("comment", Value::String(_)) => {}
            ("sub-options" | "source" | "destination", _) => {
                v.err(
                    key,
                    format!("not supported yet: {k} in {FLEX_OPTION} options"),
                );
                ok = false;
            }
            (
                "code" | "name" | "space" | "csv-format" | "add" | "supersede" | "remove"
                | "client-class" | "comment",
                other,
            ) => {
                let want = match k.as_str() {
                    "code" => "an integer",
                    "csv-format" => "a boolean",
                    _ => "a string",
                };
                v.err(key, format!("'{k}' must be {want}, got {other}"));
                ok = false;
            }
            _ => {
                v.err(
                    key,
                    format!("unknown parameter `{k}`: expected {OPTION_KEYS}"),
                );
                ok = false;
            }
        }
    }
    let code = match (code, name) {
        (Some(c), Some((n, s))) if c != n => {
            v.err(
                format!("{ep}.code"),
                format!("option '{s}' is defined as code: {n}, not the specified code: {c}"),
            );
            return None;
        }
        (Some(c), _) => c,
        (None, Some((n, _))) => n,
        (None, None) => {
            if ok {
                v.err(ep, "'code' or 'name' must be specified");
            }
            return None;
        }
    };
    let Some(action) = action else {
        if ok {
            v.err(ep, "no action: expected one of add, supersede and remove");
        }
        return None;
    };
    ok.then_some(FlexOption {
        code,
        action,
        client_class,
    })
}
