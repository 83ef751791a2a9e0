//! Expanded text → the serde file model, reporting every problem serde
//! finds, not only the first.
//!
//! serde stops at its first error. When the text does not deserialize,
//! [`parse`] reads it once more as a plain JSON value and deserializes that
//! again and again: each time the offending key is reported and taken out
//! of the value (a key that Kea knows but ruru does not take is "not
//! supported yet", any other is an "unknown key"; a value of the wrong type
//! goes too), until the rest deserializes or an error cannot be taken out
//! without moving the list indices of later paths (an entry of a list, a
//! missing required key). Duplicate keys of the whole file are found on the
//! span tree. When the rest deserializes, the caller validates it as well,
//! so that one run reports the file's every problem.

use serde_json::Value;

use crate::reader::{self, Node, NodeKind, Source, Step};
use crate::{file, Diagnostic};

/// At most this many rounds of "report the error, take it out, retry"
/// (each deserializes the whole file again); past them the search stops
/// with a diagnostic that says so.
const MAX_ROUNDS: usize = 256;

/// The file did not deserialize as written.
pub(crate) struct Broken {
    /// Every problem found, the first one serde found on the text first,
    /// the others in file order.
    pub diagnostics: Vec<Diagnostic>,
    /// What deserialized once the offending keys were taken out, to be
    /// validated too; `None` when not every problem could be taken out.
    pub rest: Option<Box<file::Root>>,
}

/// What to do with the value after an error.
enum Fix {
    /// Take out the object member at this path and retry.
    Remove(Vec<Step>),
    /// Nothing to take out (a duplicate key: a JSON value keeps one).
    Nothing,
    /// The rest cannot be deserialized safely: stop.
    Stop,
}

/// One serde error, located and explained.
struct Found {
    diag: Diagnostic,
    /// Offset in the expanded text, to sort diagnostics in file order.
    off: usize,
    fix: Fix,
    /// For "missing field": the path of that key (maybe a consequence of a
    /// key taken out before).
    missing: Option<String>,
}

/// Deserializes the expanded text into the file model.
pub(crate) fn parse(source: &Source) -> Result<file::Root, Broken> {
    let de = &mut serde_json::Deserializer::from_str(&source.text);
    let err = match serde_path_to_error::deserialize::<_, file::Obj<file::Root>>(de) {
        Ok(root) => return Ok(root.0),
        Err(e) => e,
    };
    let err_path = clean_path(&err.path().to_string());
    let syntax = !matches!(err.inner().classify(), serde_json::error::Category::Data);
    let spans = if syntax {
        None
    } else {
        reader::parse_spans(&source.text)
    };
    let (Some(spans), Ok(mut value)) = (spans, serde_json::from_str::<Value>(&source.text)) else {
        // A syntax error or the end of the input: serde_json's own
        // position is right, and nothing after it can be read.
        let inner = err.into_inner();
        let msg = plain_types(&message_of(&inner));
        let off = source.offset_of(inner.line(), inner.column());
        return Err(Broken {
            diagnostics: vec![source.diagnostic(off, &err_path, format!("invalid JSON: {msg}"))],
            rest: None,
        });
    };
    let first = describe(source, &spans, err);
    let mut found: Vec<Found> = Vec::new();
    let mut removed: Vec<String> = Vec::new();
    let mut rest = None;
    let mut next = Some(first);
    for round in 0..=MAX_ROUNDS {
        if round == MAX_ROUNDS && next.is_some() {
            let diag = source.diagnostic(
                0,
                "",
                format!("more problems may follow: the search stopped after {MAX_ROUNDS}; fix these and check again"),
            );
            found.push(Found {
                diag,
                off: usize::MAX,
                fix: Fix::Nothing,
                missing: None,
            });
            rest = None;
            break;
        }
        let Some(f) = next.take() else {
            break;
        };
        if let Some(m) = &f.missing {
            if removed.iter().any(|r| r == m) {
                // The consequence of a value taken out: already reported.
                break;
            }
        }
        if found.iter().any(|g| g.diag == f.diag) {
            // No progress; do not report twice.
            break;
        }
        let stop = match &f.fix {
            Fix::Remove(steps) => {
                if remove(&mut value, steps) {
                    removed.push(f.diag.path.clone());
                    false
                } else {
                    true
                }
            }
            Fix::Nothing => false,
            Fix::Stop => true,
        };
        found.push(f);
        if stop {
            break;
        }
        match serde_path_to_error::deserialize::<_, file::Obj<file::Root>>(&value) {
            Ok(root) => rest = Some(Box::new(root.0)),
            Err(e) => next = Some(describe(source, &spans, e)),
        }
    }
    let mut dups = Vec::new();
    duplicates(&spans, &mut String::new(), &mut dups);
    for (off, path, key) in dups {
        let diag = source.diagnostic(off, &path, format!("duplicate key `{key}`"));
        if !found.iter().any(|g| g.diag == diag) {
            found.push(Found {
                diag,
                off,
                fix: Fix::Nothing,
                missing: None,
            });
        }
    }
    // The first error serde met stays first; the others in file order.
    found[1..].sort_by_key(|f| f.off);
    Err(Broken {
        diagnostics: found.into_iter().map(|f| f.diag).collect(),
        rest,
    })
}

/// Takes out the object member at `steps`; false when there is none.
fn remove(value: &mut Value, steps: &[Step]) -> bool {
    let Some((Step::Key(last), parents)) = steps.split_last() else {
        return false;
    };
    let mut v = value;
    for s in parents {
        let next = match s {
            Step::Key(k) => v.as_object_mut().and_then(|o| o.get_mut(k)),
            Step::Index(i) => v.as_array_mut().and_then(|a| a.get_mut(*i)),
        };
        let Some(n) = next else {
            return false;
        };
        v = n;
    }
    v.as_object_mut().and_then(|o| o.remove(last)).is_some()
}

/// Every later occurrence of a key already in its object: (offset of the
/// key, JSON path, key). Free-form objects (user contexts, hook library
/// parameters) are not looked into: their keys are not the model's.
fn duplicates(node: &Node, path: &mut String, out: &mut Vec<(usize, String, String)>) {
    match &node.kind {
        NodeKind::Object(members) => {
            for (i, (key, key_at, value)) in members.iter().enumerate() {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                if members[..i].iter().any(|(k, _, _)| k == key) {
                    out.push((*key_at, path.clone(), key.clone()));
                }
                if !matches!(key.as_str(), "user-context" | "parameters") {
                    duplicates(value, path, out);
                }
                path.truncate(len);
            }
        }
        NodeKind::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                duplicates(item, path, out);
                path.truncate(len);
            }
        }
        NodeKind::Scalar => {}
    }
}

/// serde_path_to_error writes `.` for the root and `?` for a key it had
/// not read yet (syntax errors); neither helps a reader.
fn clean_path(path: &str) -> String {
    let mut path = if path == "." {
        String::new()
    } else {
        path.to_string()
    };
    while path.ends_with('?') {
        path.truncate(path.len() - 1);
        if path.ends_with('.') {
            path.truncate(path.len() - 1);
        }
    }
    path
}

/// serde_json's message without its " at line L column C".
fn message_of(e: &serde_json::Error) -> String {
    let raw = e.to_string();
    match raw.rfind(" at line ") {
        Some(i) => raw[..i].to_string(),
        None => raw,
    }
}

/// Locates and explains one data error of serde.
fn describe(
    source: &Source,
    spans: &Node,
    err: serde_path_to_error::Error<serde_json::Error>,
) -> Found {
    let path = clean_path(&err.path().to_string());
    let msg = plain_types(&message_of(&err.into_inner()));
    let steps = reader::split_path(&path);
    if let Some(key) = field_name(&msg, "unknown field `") {
        // The path already ends with the unknown key; its object is the parent.
        let parent = path
            .strip_suffix(key.as_str())
            .map_or(path.as_str(), |p| p.strip_suffix('.').unwrap_or(p));
        let off = spans.find(&steps, true);
        let message = if file::kea_known(&file::object_kind(parent), &key) {
            format!("not supported yet: {path}")
        } else {
            let expected: Vec<String> = msg
                .split('`')
                .skip(3)
                .step_by(2)
                .map(str::to_string)
                .collect();
            if expected.is_empty() {
                format!("unknown key `{key}`: this object takes no keys")
            } else {
                format!(
                    "unknown key `{key}`, expected one of: {}",
                    expected.join(", ")
                )
            }
        };
        return Found {
            diag: source.diagnostic(off, &path, message),
            off,
            fix: Fix::Remove(steps),
            missing: None,
        };
    }
    if let Some(key) = field_name(&msg, "duplicate field `") {
        let mut key_steps = steps.clone();
        if !path.ends_with(key.as_str()) {
            key_steps.push(Step::Key(key.clone()));
        }
        let off = spans.find(&key_steps, true);
        let full = if path.ends_with(key.as_str()) {
            path.clone()
        } else if path.is_empty() {
            key.clone()
        } else {
            format!("{path}.{key}")
        };
        return Found {
            diag: source.diagnostic(off, &full, format!("duplicate key `{key}`")),
            off,
            fix: Fix::Nothing,
            missing: None,
        };
    }
    let off = spans.find(&steps, false);
    if let Some(key) = field_name(&msg, "missing field `") {
        let full = if path.is_empty() {
            key.clone()
        } else {
            format!("{path}.{key}")
        };
        return Found {
            diag: source.diagnostic(off, &path, format!("missing required key `{key}`")),
            off,
            fix: Fix::Stop,
            missing: Some(full),
        };
    }
    // A value of the wrong type: take its key out, unless it is an entry
    // of a list (taking it out would move the later entries' paths).
    let fix = match steps.last() {
        Some(Step::Key(_)) => Fix::Remove(steps),
        _ => Fix::Stop,
    };
    Found {
        diag: source.diagnostic(off, &path, msg),
        off,
        fix,
        missing: None,
    }
}

/// Says serde's Rust type names in JSON terms.
fn plain_types(msg: &str) -> String {
    const NAMES: &[(&str, &str)] = &[
        ("expected u8", "expected an integer in 0..=255"),
        ("expected u16", "expected an integer in 0..=65535"),
        ("expected u32", "expected an integer in 0..=4294967295"),
        ("expected u64", "expected a non-negative integer"),
        ("expected f64", "expected a number"),
        ("expected a sequence", "expected a list"),
        ("expected a map", "expected an object"),
    ];
    let mut out = msg.to_string();
    for (from, to) in NAMES {
        if out.ends_with(from) {
            out.truncate(out.len() - from.len());
            out.push_str(to);
        }
    }
    if let Some(i) = out.find("expected struct ") {
        out.truncate(i);
        out.push_str("expected an object");
    }
    out
}

/// The name in `` prefix`name` `` at the start of a serde message.
fn field_name(msg: &str, prefix: &str) -> Option<String> {
    let rest = msg.strip_prefix(prefix)?;
    rest.find('`').map(|i| rest[..i].to_string())
}
