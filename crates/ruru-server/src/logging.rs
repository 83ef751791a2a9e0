//! Kea's `loggers` configuration mapped onto `tracing`.
//!
//! The loggers of both sections are read (`Dhcp4`'s first). The first
//! logger named `kea-dhcp4`, `kea-dhcp6` or `ruru`, or else the first
//! logger, decides the output and level: one process writes one log.
//! Child loggers (`kea-dhcp4.leases`, `kea-dhcp6.packets`, ...) set the
//! level of the matching ruru module of their family. Kea's debuglevel 0-99
//! maps to DEBUG below 50 and TRACE from 50. Without loggers, INFO to
//! stdout.
//!
//! Hooks (`kea-dhcp4.hooks`, `kea-dhcp6.hooks`, or `hooks` / `ruru.hooks`;
//! else the main logger) follow Kea's hook debug levels exactly: 40 shows loading and
//! unloading (`ruru::hooks` at DEBUG), 45 also each callout call with its
//! status (`ruru::hooks::callouts`), 55 also argument details
//! (`ruru::hooks::args`, at TRACE).

use std::io::IsTerminal;
use std::sync::Mutex;

use ruru_config::{LogOutput, Logger, Severity};
use tracing_subscriber::EnvFilter;

use crate::ServerError;

fn level(sev: Severity, debuglevel: u8) -> &'static str {
    match sev {
        Severity::Debug if debuglevel >= 50 => "trace",
        Severity::Debug => "debug",
        Severity::Info => "info",
        Severity::Warn => "warn",
        Severity::Error | Severity::Fatal => "error",
        Severity::None => "off",
    }
}

/// Kea child logger names → ruru module targets.
fn target_of(name: &str) -> Option<&'static str> {
    let (root, child) = name.split_once('.')?;
    let engine = if root == "kea-dhcp6" {
        "ruru_engine::v6"
    } else {
        "ruru_engine::v4"
    };
    match child {
        "leases" | "alloc-engine" | "packets" | "bad-packets" => Some(engine),
        "lease-file" | "dhcpsrv" => Some("ruru_lease"),
        _ => None,
    }
}

fn is_hooks_logger(name: &str) -> bool {
    matches!(
        name,
        "kea-dhcp4.hooks" | "kea-dhcp6.hooks" | "hooks" | "ruru.hooks"
    )
}

/// Filter directives of the hook targets for a logger's severity and
/// debuglevel (see the module documentation).
fn hooks_directives(sev: Severity, debuglevel: u8) -> String {
    use crate::hooks::dispatch::{ARGS, CALLOUTS};
    use crate::hooks::TARGET;
    if sev != Severity::Debug {
        let l = level(sev, debuglevel);
        return format!("{TARGET}={l},{CALLOUTS}={l},{ARGS}={l}");
    }
    let at = |min: u8, lvl: &str| {
        if debuglevel >= min {
            lvl.to_string()
        } else {
            "info".into()
        }
    };
    format!(
        "{TARGET}={},{CALLOUTS}={},{ARGS}={}",
        at(40, "debug"),
        at(45, "debug"),
        at(55, "trace")
    )
}

/// Installs the global subscriber. Call once.
pub fn init(loggers: &[Logger]) -> Result<(), ServerError> {
    let main = loggers
        .iter()
        .find(|l| matches!(l.name.as_str(), "kea-dhcp4" | "kea-dhcp6" | "ruru"))
        .or_else(|| loggers.first());
    let (output, base) = match main {
        Some(l) => (
            l.outputs.first().cloned().unwrap_or(LogOutput::Stdout),
            level(l.severity, l.debuglevel),
        ),
        None => (LogOutput::Stdout, "info"),
    };
    let mut filter = base.to_string();
    for l in loggers {
        if let Some(t) = target_of(&l.name) {
            filter.push_str(&format!(",{t}={}", level(l.severity, l.debuglevel)));
        }
    }
    if let Some(l) = loggers.iter().find(|l| is_hooks_logger(&l.name)).or(main) {
        filter.push(',');
        filter.push_str(&hooks_directives(l.severity, l.debuglevel));
    }
    let env = EnvFilter::try_new(&filter).map_err(|e| ServerError::Logging(e.to_string()))?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(env)
        .with_target(false);
    let res = match output {
        LogOutput::Stdout => builder
            .with_ansi(std::io::stdout().is_terminal())
            .with_writer(std::io::stdout)
            .try_init(),
        LogOutput::Stderr => builder
            .with_ansi(std::io::stderr().is_terminal())
            .with_writer(std::io::stderr)
            .try_init(),
        LogOutput::File(p) => {
            // Created 0640 whatever the umask (docs/src/security.md).
            let f = ruru_lease::files::open_append(&p, ruru_lease::files::FILE_MODE)
                .map_err(|e| ServerError::Logging(format!("{}: {e}", p.display())))?;
            builder
                .with_ansi(false)
                .with_writer(Mutex::new(f))
                .try_init()
        }
    };
    res.map_err(|e| ServerError::Logging(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn child_loggers_of_both_families_have_their_targets() {
        assert_eq!(target_of("kea-dhcp4.leases"), Some("ruru_engine::v4"));
        assert_eq!(target_of("kea-dhcp6.packets"), Some("ruru_engine::v6"));
        assert_eq!(target_of("kea-dhcp6.dhcpsrv"), Some("ruru_lease"));
        assert_eq!(target_of("kea-dhcp6"), None);
        assert!(is_hooks_logger("kea-dhcp6.hooks"));
    }
}
