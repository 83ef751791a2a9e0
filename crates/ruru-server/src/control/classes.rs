//! Kea's class_cmds, built in: `class-list`, `class-get`, `class-add`,
//! `class-update`, `class-del` on the `client-classes` of one family.
//!
//! The family is chosen as for the reservation commands: DHCPv6 when the
//! request targets DHCPv6 alone (its `service`, else the section of the
//! socket it came in on, else the families the server runs), else DHCPv4.
//! A change edits the running configuration's JSON and applies it like
//! `config-set`: the class is validated as one in a file would be (its
//! expression compiled, its `member()` names checked), the change is atomic
//! and `config-get` / `config-write` show it.

use serde_json::{json, Map, Value};

use super::commands::{answer, apply_raw, err, req_str, ControlCtx, Res, EMPTY, SUCCESS};

/// The commands of this module, sorted.
pub const COMMANDS: &[&str] = &[
    "class-add",
    "class-del",
    "class-get",
    "class-list",
    "class-update",
];

/// Runs one of [`COMMANDS`] on the family `service` selects.
pub(super) fn run(ctx: &ControlCtx, command: &str, service: Option<&Value>, args: &Value) -> Res {
    let section = if super::reservations::is_v6(ctx, service) {
        "Dhcp6"
    } else {
        "Dhcp4"
    };
    // From the read of the running JSON to its apply: one edit at a time.
    let _edit = super::commands::EDIT_LOCK
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let raw = ctx.shared.snapshot().config.raw.clone();
    if raw.get(section).is_none() {
        return Err(err(format!("this server runs no {section} section")));
    }
    let classes = raw[section]["client-classes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let find = |name: &str| {
        classes
            .iter()
            .position(|c| c.get("name").and_then(Value::as_str) == Some(name))
    };
    match command {
        "class-list" => {
            let names: Vec<Value> = classes
                .iter()
                .filter_map(|c| c.get("name").cloned())
                .map(|n| json!({ "name": n }))
                .collect();
            let n = names.len();
            Ok(answer(
                if n == 0 { EMPTY } else { SUCCESS },
                format!("{n} class{} found", if n == 1 { "" } else { "es" }),
                Some(json!({ "client-classes": names })),
            ))
        }
        "class-get" => {
            let name = req_str(args, "name")?;
            match find(name) {
                Some(i) => Ok(answer(
                    SUCCESS,
                    format!("Class '{name}' definition returned"),
                    Some(json!({ "client-classes": [classes[i].clone()] })),
                )),
                None => Ok(answer(EMPTY, format!("Class '{name}' not found"), None)),
            }
        }
        "class-add" | "class-update" => {
            let class = one_class(args)?;
            let name = class
                .get("name")
                .and_then(Value::as_str)
                .ok_or_else(|| err("missing 'name' (a string) in the class"))?
                .to_string();
            let mut list = classes.clone();
            match (command, find(&name)) {
                ("class-add", Some(_)) => {
                    return Err(err(format!("Class '{name}' already exists")))
                }
                ("class-add", None) => list.push(Value::Object(class)),
                (_, None) => {
                    return Ok(answer(EMPTY, format!("Class '{name}' is not found"), None))
                }
                (_, Some(i)) => list[i] = Value::Object(class),
            }
            apply_classes(ctx, raw, section, list)?;
            let done = if command == "class-add" {
                "added"
            } else {
                "updated"
            };
            Ok(answer(SUCCESS, format!("Class '{name}' {done}"), None))
        }
        "class-del" => {
            let name = req_str(args, "name")?;
            let Some(i) = find(name) else {
                return Ok(answer(EMPTY, format!("Class '{name}' not found"), None));
            };
            if let Some(user) = used_by(&raw[section], name) {
                return Err(err(format!("Class '{name}' is used by {user}")));
            }
            let mut list = classes.clone();
            list.remove(i);
            apply_classes(ctx, raw, section, list)?;
            Ok(answer(SUCCESS, format!("Class '{name}' deleted"), None))
        }
        other => Ok(answer(
            super::commands::UNSUPPORTED,
            format!("'{other}' command not supported."),
            None,
        )),
    }
}

/// The one class of `{"client-classes": [ {...} ]}` (Kea's argument).
fn one_class(args: &Value) -> Result<Map<String, Value>, Value> {
    match args.get("client-classes").and_then(Value::as_array) {
        Some(list) if list.len() == 1 => list[0]
            .as_object()
            .cloned()
            .ok_or_else(|| err("'client-classes' must hold a class (a JSON object)")),
        _ => Err(err(
            "missing 'client-classes': a list of exactly one class definition",
        )),
    }
}

/// Applies the running configuration with `list` as `section`'s classes.
fn apply_classes(
    ctx: &ControlCtx,
    mut raw: Value,
    section: &str,
    list: Vec<Value>,
) -> Result<(), Value> {
    if list.is_empty() {
        if let Some(s) = raw[section].as_object_mut() {
            s.remove("client-classes");
        }
    } else {
        raw[section]["client-classes"] = Value::Array(list);
    }
    apply_raw(ctx, &raw)
}

/// What uses class `name` in a section: another class's expression, or a
/// subnet's or pool's guard or required classes (Kea refuses to delete a
/// class in use).
fn used_by(section: &Value, name: &str) -> Option<String> {
    let quoted = format!("'{name}'");
    for c in section["client-classes"].as_array().into_iter().flatten() {
        let other = c.get("name").and_then(Value::as_str).unwrap_or_default();
        let test = ["test", "template-test"]
            .iter()
            .filter_map(|k| c.get(*k).and_then(Value::as_str))
            .any(|t| t.contains(&format!("member({quoted})")));
        if other != name && test {
            return Some(format!("class '{other}'"));
        }
    }
    let names = |v: &Value, keys: &[&str]| {
        keys.iter().any(|k| match v.get(*k) {
            Some(Value::String(s)) => s == name,
            Some(Value::Array(a)) => a.iter().any(|x| x.as_str() == Some(name)),
            _ => false,
        })
    };
    const GUARDS: &[&str] = &[
        "client-class",
        "client-classes",
        "require-client-classes",
        "evaluate-additional-classes",
    ];
    for key in ["subnet4", "subnet6"] {
        for s in section[key].as_array().into_iter().flatten() {
            let id = s.get("id").and_then(Value::as_u64).unwrap_or(0);
            let pools = ["pools", "pd-pools"]
                .iter()
                .flat_map(|p| s[*p].as_array().into_iter().flatten());
            if names(s, GUARDS) || pools.clone().any(|p| names(p, GUARDS)) {
                return Some(format!("subnet {id}"));
            }
        }
    }
    None
}
