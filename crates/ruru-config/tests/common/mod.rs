//! Helpers shared by the configuration loading tests: load a text, get its
//! diagnostics, check a diagnostic's position, path and message.

#![allow(dead_code, clippy::unwrap_used)] // each test file uses some of them

use std::path::Path;

use ruru_config::{load_str, Config, ConfigError, Diagnostic};

pub const FILE: &str = "/etc/ruru/test.json";

pub fn ok(text: &str) -> Config {
    match load_str(text, Path::new(FILE)) {
        Ok(c) => c,
        Err(e) => panic!("expected a valid config, got:\n{e}"),
    }
}

pub fn errs(text: &str) -> Vec<Diagnostic> {
    match load_str(text, Path::new(FILE)) {
        Ok(_) => panic!("expected an error"),
        Err(ConfigError { diagnostics }) => diagnostics,
    }
}

/// The single diagnostic of an invalid config.
pub fn err(text: &str) -> Diagnostic {
    let d = errs(text);
    assert_eq!(d.len(), 1, "expected one diagnostic, got {d:#?}");
    d.into_iter().next().unwrap()
}

/// Asserts position, path and (part of) the message.
#[track_caller]
pub fn check(d: &Diagnostic, line: usize, column: usize, path: &str, msg: &str) {
    if std::env::var_os("RURU_PRINT").is_some() {
        eprintln!(
            "CHECK {} want {line}:{column} got {}:{} {} | {}",
            std::panic::Location::caller().line(),
            d.line,
            d.column,
            d.path,
            d.message
        );
        return;
    }
    assert_eq!(
        (d.line, d.column, d.path.as_str()),
        (line, column, path),
        "diagnostic: {d}"
    );
    assert!(
        d.message.contains(msg),
        "message {:?} lacks {msg:?}",
        d.message
    );
}

/// Kea's example configurations: `RURU_KEA_EXAMPLES`, else Debian
/// kea-doc's `/usr/share/doc/kea/examples`, when it has `sub` (a file or
/// folder). Otherwise prints SKIP for `test` (a failure under
/// `RURU_REQUIRE_ALL=1`) and gives `None`. ISC's files are not copied
/// into ruru's tree.
pub fn kea_examples(test: &str, sub: &str) -> Option<std::path::PathBuf> {
    let dir = std::env::var_os("RURU_KEA_EXAMPLES")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from("/usr/share/doc/kea/examples"));
    if dir.join(sub).exists() {
        return Some(dir);
    }
    let why = format!(
        "SKIP {test}: no Kea examples in {} (Debian package kea-doc, or set RURU_KEA_EXAMPLES)",
        dir.display()
    );
    assert!(
        std::env::var_os("RURU_REQUIRE_ALL").is_none(),
        "{why} (RURU_REQUIRE_ALL=1)"
    );
    eprintln!("{why}");
    None
}
