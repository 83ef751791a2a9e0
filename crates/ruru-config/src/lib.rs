//! Kea-format configuration for ruru: the `Dhcp4`, `Dhcp6` and `DhcpDdns`
//! sections.
//!
//! Modules:
//! - [`model`]: the validated runtime model the engine and server use:
//!   [`Config`], with `model::common` (what both sections share:
//!   interfaces, databases, control sockets, hooks, loggers, ...),
//!   `model::v4` (the `Dhcp4` section) and `model::v6` (the `Dhcp6`
//!   section, also at its former path [`model6`]). Every type is
//!   re-exported at the crate root.
//! - `input`: reads one file from disk: regular files only, opened without
//!   blocking, never more than a given number of bytes.
//! - `reader`: strips `#`, `//` and `/* */` comments, expands
//!   `<?include "file"?>` within bounds on size, count and depth
//!   ([`MAX_CONFIG_BYTES`], [`MAX_INCLUDES`], [`MAX_INCLUDE_DEPTH`]), and
//!   keeps a source map so any byte of the expanded text can be traced back
//!   to `file:line:column`.
//! - `file`: the serde file model mirroring Kea's JSON exactly
//!   (`deny_unknown_fields` everywhere; Kea keys ruru does not implement yet are
//!   refused with "not supported yet").
//! - `options`: the DHCPv4 option-definition table (names, codes, formats) and
//!   the encoder for `option-data` values, shared by both families.
//! - `options6`: the DHCPv6 option-definition table (space `dhcp6`).
//! - [`places`]: ruru's hooks, data, log and socket directories (defaults
//!   and the environment variables that override them).
//! - `validate`: file model → runtime model (inheritance, defaults, checks).
//!   The entry point and its problem collector are in `validate.rs`; the
//!   checks are in modules by concern, what both families share written
//!   once (`common`, `control`, `databases`, `option_data`, `timers`,
//!   `subnets`, `host_ids`, `overlap`), and `validate::v4` / `validate::v6`
//!   hold what only `Dhcp4` / `Dhcp6` has.
//!
//! Entry points: [`load`] (a file on disk) and [`load_str`] (text, for tests
//! and `config-set`). Errors are [`ConfigError`], a list of [`Diagnostic`]s,
//! each with `file:line:column`, the JSON path and what was expected.

#![forbid(unsafe_code)]

pub mod file;
mod input;
mod kea_keys;
pub mod model;
pub mod options;
pub mod options6;
pub mod places;
mod reader;
mod validate;

/// The `Dhcp6` runtime model under its former path.
pub use model::v6 as model6;
pub use model::*;
pub use places::Places;
pub use reader::{MAX_CONFIG_BYTES, MAX_INCLUDES, MAX_INCLUDE_DEPTH};
pub use validate::{
    parse_duid, parse_host_id, parse_hw_address, BUILTIN_HOOK_LIBRARIES, DEFAULT_DECLINE_PROBATION,
    DEFAULT_LEASE_FILE4, DEFAULT_LEASE_FILE6, DEFAULT_LFC_INTERVAL, DEFAULT_PREFERRED_LIFETIME,
    DEFAULT_T1_PERCENT, DEFAULT_T2_PERCENT, DEFAULT_T2_PERCENT6, DEFAULT_VALID_LIFETIME,
};

use std::fmt;
use std::path::{Path, PathBuf};

/// One problem found in a configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file the offending text is in (an included file where relevant).
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// JSON path, e.g. `Dhcp4.subnet4[0].pools[1].pool`.
    pub path: String,
    /// What is wrong and what was expected.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.file.display(), self.line, self.column)?;
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        write!(f, "{}", self.message)
    }
}

/// A configuration that could not be loaded: one or more diagnostics.
#[derive(Debug, Clone, thiserror::Error)]
pub struct ConfigError {
    pub diagnostics: Vec<Diagnostic>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl From<Diagnostic> for ConfigError {
    fn from(d: Diagnostic) -> Self {
        ConfigError {
            diagnostics: vec![d],
        }
    }
}

/// Loads and validates the configuration file at `path`, with the
/// directories the environment names ([`Places::from_env`]).
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    load_with(path, &Places::from_env())
}

/// Loads and validates the configuration file at `path` (a regular file of
/// at most [`MAX_CONFIG_BYTES`] with its includes); hook libraries resolve
/// in `places.hooks`.
pub fn load_with(path: &Path, places: &Places) -> Result<Config, ConfigError> {
    let text = input::read_regular(path, MAX_CONFIG_BYTES).map_err(|e| Diagnostic {
        file: path.to_path_buf(),
        line: 1,
        column: 1,
        path: String::new(),
        message: match e {
            input::ReadError::NotRegular(what) => {
                format!("the configuration file is {what}: expected a regular file")
            }
            input::ReadError::TooLarge => format!(
                "the configuration file is larger than {}: expected at most that, with all its includes",
                reader::size_limit(MAX_CONFIG_BYTES)
            ),
            input::ReadError::NotUtf8(off) => format!(
                "cannot read the configuration file: invalid UTF-8 at byte {off}, expected UTF-8 text"
            ),
            input::ReadError::Io(e) => format!("cannot read the configuration file: {e}"),
        },
    })?;
    load_str_with(&text, path, places)
}

/// Loads several files as one configuration, as a Kea site keeps
/// `kea-dhcp4.conf` and `kea-dhcp6.conf` apart: each file is read and
/// validated on its own (every problem of every file is reported), then
/// their sections are put together. A section in two files is an error
/// naming both. With one file this is [`load_with`].
pub fn load_files(paths: &[PathBuf], places: &Places) -> Result<Config, ConfigError> {
    let mut diagnostics = Vec::new();
    let mut merged: Option<Config> = None;
    for path in paths {
        let c = match load_with(path, places) {
            Ok(c) => c,
            Err(e) => {
                diagnostics.extend(e.diagnostics);
                continue;
            }
        };
        let Some(m) = merged.as_mut() else {
            merged = Some(c);
            continue;
        };
        for (name, file) in &c.sections {
            if let Some((_, first)) = m.sections.iter().find(|(n, _)| n == name) {
                diagnostics.push(section_twice(name, file, first));
            }
        }
        if diagnostics.is_empty() {
            merge(m, c);
        }
    }
    match merged {
        Some(m) if diagnostics.is_empty() => Ok(m),
        _ if !diagnostics.is_empty() => Err(ConfigError { diagnostics }),
        _ => Err(ConfigError::from(Diagnostic {
            file: PathBuf::new(),
            line: 1,
            column: 1,
            path: String::new(),
            message: "no configuration file given".into(),
        })),
    }
}

/// Adds the sections of `c` (none of which `m` has) to `m`.
fn merge(m: &mut Config, c: Config) {
    if c.dhcp4.is_some() {
        m.dhcp4 = c.dhcp4;
    }
    if c.dhcp6.is_some() {
        m.dhcp6 = c.dhcp6;
    }
    if c.dhcp_ddns.is_some() {
        m.dhcp_ddns = c.dhcp_ddns;
    }
    m.agent_sockets.extend(c.agent_sockets);
    if let (serde_json::Value::Object(into), serde_json::Value::Object(from)) = (&mut m.raw, c.raw)
    {
        into.extend(from);
    }
    m.sections.extend(c.sections);
}

/// The error for section `name` given in `file` and in `first` already,
/// located at the section's key in `file` where it can be found.
fn section_twice(name: &str, file: &Path, first: &Path) -> Diagnostic {
    let text = std::fs::read_to_string(file).unwrap_or_default();
    let (line, column) = text.find(&format!("\"{name}\"")).map_or((1, 1), |off| {
        let before = &text[..off];
        let line = before.matches('\n').count() + 1;
        let column = before.rfind('\n').map_or(off, |n| off - n - 1) + 1;
        (line, column)
    });
    Diagnostic {
        file: file.to_path_buf(),
        line,
        column,
        path: name.to_string(),
        message: format!(
            "section `{name}` is also in {}: expected each section in one file only",
            first.display()
        ),
    }
}

/// Validates configuration text as if it had been read from `path`
/// (includes are resolved relative to `path`'s directory), with the
/// directories the environment names.
pub fn load_str(text: &str, path: &Path) -> Result<Config, ConfigError> {
    load_str_with(text, path, &Places::from_env())
}

/// [`load_str`] with the given directories.
pub fn load_str_with(text: &str, path: &Path, places: &Places) -> Result<Config, ConfigError> {
    let source = reader::expand(text, path)?;
    let root = parse(&source)?;
    let mut config = validate::validate(root, path, places).map_err(|problems| {
        let spans = reader::parse_spans(&source.text);
        let diagnostics = problems
            .into_iter()
            .map(|p| {
                let mut off = spans
                    .as_ref()
                    .map_or(0, |n| n.find(&reader::split_path(&p.path), p.at_key));
                if let Some(inner) = p.inner {
                    off = reader::string_offset(&source.text, off, inner);
                }
                source.diagnostic(off, &p.path, p.message)
            })
            .collect();
        ConfigError { diagnostics }
    })?;
    config.raw = serde_json::from_str(&source.text).unwrap_or(serde_json::Value::Null);
    Ok(config)
}

/// Deserializes the expanded text into the file model, turning serde's
/// errors into located diagnostics.
fn parse(source: &reader::Source) -> Result<file::Root, Diagnostic> {
    let de = &mut serde_json::Deserializer::from_str(&source.text);
    let err = match serde_path_to_error::deserialize::<_, file::Obj<file::Root>>(de) {
        Ok(root) => return Ok(root.0),
        Err(e) => e,
    };
    let path = err.path().to_string();
    // serde_path_to_error writes `.` for the root and `?` for a key it had
    // not read yet (syntax errors); neither helps a reader.
    let mut path = if path == "." { String::new() } else { path };
    while path.ends_with('?') {
        path.truncate(path.len() - 1);
        if path.ends_with('.') {
            path.truncate(path.len() - 1);
        }
    }
    let inner = err.into_inner();
    let raw = inner.to_string();
    // serde_json appends " at line L column C"; we print our own position.
    let msg = match raw.rfind(" at line ") {
        Some(i) => raw[..i].to_string(),
        None => raw,
    };
    let msg = plain_types(&msg);
    let spans = match inner.classify() {
        serde_json::error::Category::Data => reader::parse_spans(&source.text),
        _ => None,
    };
    let Some(spans) = spans else {
        // Syntax error or end of input: serde_json's own position is right.
        let off = source.offset_of(inner.line(), inner.column());
        return Err(source.diagnostic(off, &path, format!("invalid JSON: {msg}")));
    };
    let steps = reader::split_path(&path);
    if let Some(key) = field_name(&msg, "unknown field `") {
        // The path already ends with the unknown key; its object is the parent.
        let parent = path
            .strip_suffix(key.as_str())
            .map_or(path.as_str(), |p| p.strip_suffix('.').unwrap_or(p));
        let full = path.clone();
        let off = spans.find(&steps, true);
        let message = if file::kea_known(&file::object_kind(parent), &key) {
            format!("not supported yet: {full}")
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
        return Err(source.diagnostic(off, &full, message));
    }
    if let Some(key) = field_name(&msg, "duplicate field `") {
        let mut key_steps = steps.clone();
        if !path.ends_with(key.as_str()) {
            key_steps.push(reader::Step::Key(key.clone()));
        }
        let off = spans.find(&key_steps, true);
        let full = if path.ends_with(key.as_str()) {
            path.clone()
        } else if path.is_empty() {
            key.clone()
        } else {
            format!("{path}.{key}")
        };
        return Err(source.diagnostic(off, &full, format!("duplicate key `{key}`")));
    }
    let off = spans.find(&steps, false);
    let message = match field_name(&msg, "missing field `") {
        Some(key) => format!("missing required key `{key}`"),
        None => msg,
    };
    Err(source.diagnostic(off, &path, message))
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
