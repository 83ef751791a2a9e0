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
mod parse;
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
    let (root, mut diagnostics) = match parse::parse(&source) {
        Ok(root) => (root, Vec::new()),
        Err(parse::Broken {
            diagnostics,
            rest: Some(rest),
        }) => (*rest, diagnostics),
        Err(parse::Broken { diagnostics, .. }) => return Err(ConfigError { diagnostics }),
    };
    let validated = validate::validate(root, path, places).map_err(|problems| {
        let spans = reader::parse_spans(&source.text);
        problems
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
            .collect::<Vec<_>>()
    });
    let mut config = match validated {
        Ok(c) if diagnostics.is_empty() => c,
        Ok(_) => return Err(ConfigError { diagnostics }),
        Err(more) => {
            for d in more {
                if !diagnostics.contains(&d) {
                    diagnostics.push(d);
                }
            }
            return Err(ConfigError { diagnostics });
        }
    };
    config.raw = serde_json::from_str(&source.text).unwrap_or(serde_json::Value::Null);
    Ok(config)
}
