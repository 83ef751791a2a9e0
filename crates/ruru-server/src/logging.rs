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
//!
//! A reload (SIGHUP, `config-set`, `config-reload`) applies changed loggers
//! (level, child loggers, output) as Kea does: the new output is opened
//! before the configuration is applied, and a failure refuses it.

use std::io::IsTerminal;
use std::sync::Mutex;

use ruru_config::{LogOutput, Logger, Severity};
use tracing_subscriber::layer::{Layered, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{reload, EnvFilter, Layer, Registry};

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

/// What the loggers of a configuration ask for: one output and the filter
/// directives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    output: LogOutput,
    filter: String,
}

/// The loggers of both sections of `config`, `Dhcp4`'s first.
pub fn loggers_of(config: &ruru_config::Config) -> Vec<Logger> {
    config
        .dhcp4
        .iter()
        .flat_map(|d| d.loggers.iter())
        .chain(config.dhcp6.iter().flat_map(|d| d.loggers.iter()))
        .cloned()
        .collect()
}

/// Reads `loggers` (see the module documentation) into a [`Plan`]; an
/// invalid filter is an error.
fn plan(loggers: &[Logger]) -> Result<Plan, ServerError> {
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
    EnvFilter::try_new(&filter).map_err(|e| ServerError::Logging(e.to_string()))?;
    Ok(Plan { output, filter })
}

/// The subscriber below the writing layer: the registry and the filter.
type Base = Layered<reload::Layer<EnvFilter, Registry>, Registry>;

/// The layer that writes the log (its output): replaced when the output
/// changes.
type LogLayer = Box<dyn Layer<Base> + Send + Sync>;

/// The installed filter's and writer's reload handles and the plan they
/// follow (the subscriber is process-global, and so is this).
struct Installed {
    filter: reload::Handle<EnvFilter, Registry>,
    writer: reload::Handle<LogLayer, Base>,
    plan: Plan,
}

static INSTALLED: Mutex<Option<Installed>> = Mutex::new(None);

fn filter(plan: &Plan) -> Result<EnvFilter, ServerError> {
    EnvFilter::try_new(&plan.filter).map_err(|e| ServerError::Logging(e.to_string()))
}

/// Builds the writing layer of `output` (opening its log file).
fn writer(output: &LogOutput) -> Result<LogLayer, ServerError> {
    let fmt = tracing_subscriber::fmt::layer().with_target(false);
    Ok(match output {
        LogOutput::Stdout => fmt
            .with_ansi(std::io::stdout().is_terminal())
            .with_writer(std::io::stdout)
            .boxed(),
        LogOutput::Stderr => fmt
            .with_ansi(std::io::stderr().is_terminal())
            .with_writer(std::io::stderr)
            .boxed(),
        LogOutput::Syslog { facility } => fmt
            .with_ansi(false)
            .without_time()
            .with_level(false)
            .with_writer(Syslog::open(*facility)?)
            .boxed(),
        LogOutput::File(p) => {
            // Created 0640 whatever the umask (docs/src/security.md).
            let f = ruru_lease::files::open_append(p, ruru_lease::files::FILE_MODE)
                .map_err(|e| ServerError::Logging(format!("{}: {e}", p.display())))?;
            fmt.with_ansi(false).with_writer(Mutex::new(f)).boxed()
        }
    })
}

/// Kea's `syslog` output: each message is one datagram to the local
/// syslog socket (`/dev/log`; `RURU_SYSLOG_SOCKET` names another), in the
/// BSD syslog format `<PRI>ruru[PID]: message` (RFC 3164), its priority
/// from the facility and the message's level. The syslog daemon adds the
/// time and host. A message that cannot be sent (no daemon) is lost, as
/// with syslog(3).
struct Syslog {
    sock: std::os::unix::net::UnixDatagram,
    path: std::path::PathBuf,
    facility: u8,
    tag: String,
}

impl Syslog {
    fn open(facility: u8) -> Result<Syslog, ServerError> {
        let path = std::env::var_os("RURU_SYSLOG_SOCKET")
            .map_or_else(|| std::path::PathBuf::from("/dev/log"), Into::into);
        let sock = std::os::unix::net::UnixDatagram::unbound()
            .map_err(|e| ServerError::Logging(format!("syslog socket: {e}")))?;
        Ok(Syslog {
            sock,
            path,
            facility,
            tag: format!("ruru[{}]: ", std::process::id()),
        })
    }
}

/// One message on its way to syslog: sent when the formatter is done.
struct SyslogLine<'a> {
    to: &'a Syslog,
    buf: Vec<u8>,
}

impl std::io::Write for SyslogLine<'_> {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for SyslogLine<'_> {
    fn drop(&mut self) {
        while self.buf.last() == Some(&b'\n') {
            self.buf.pop();
        }
        if self.buf.len() > self.to.tag.len() + 5 {
            let _ = self.to.sock.send_to(&self.buf, &self.to.path);
        }
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Syslog {
    type Writer = SyslogLine<'a>;

    fn make_writer(&'a self) -> SyslogLine<'a> {
        self.line(6)
    }

    fn make_writer_for(&'a self, meta: &tracing::Metadata<'_>) -> SyslogLine<'a> {
        let severity = match *meta.level() {
            tracing::Level::ERROR => 3,
            tracing::Level::WARN => 4,
            tracing::Level::INFO => 6,
            _ => 7,
        };
        self.line(severity)
    }
}

impl Syslog {
    fn line(&self, severity: u8) -> SyslogLine<'_> {
        let pri = u32::from(self.facility) * 8 + u32::from(severity);
        let mut buf = format!("<{pri}>{}", self.tag).into_bytes();
        buf.reserve(128);
        SyslogLine { to: self, buf }
    }
}

/// Installs the global subscriber. Call once.
pub fn init(loggers: &[Logger]) -> Result<(), ServerError> {
    let plan = plan(loggers)?;
    let (filter_layer, filter_handle) = reload::Layer::new(filter(&plan)?);
    let (writer_layer, writer_handle) = reload::Layer::new(writer(&plan.output)?);
    tracing_subscriber::registry()
        .with(filter_layer)
        .with(writer_layer)
        .try_init()
        .map_err(|e| ServerError::Logging(e.to_string()))?;
    *crate::lock(&INSTALLED) = Some(Installed {
        filter: filter_handle,
        writer: writer_handle,
        plan,
    });
    Ok(())
}

/// The loggers of a new configuration, checked, with their new output
/// opened (when it changed) but not yet in use.
pub struct Prepared {
    plan: Plan,
    writer: Option<LogLayer>,
}

/// First step of a reload: checks the loggers of a new configuration and
/// opens their output when it changed. An error refuses the configuration.
pub fn prepare(loggers: &[Logger]) -> Result<Prepared, ServerError> {
    let plan = plan(loggers)?;
    let same_output = crate::lock(&INSTALLED)
        .as_ref()
        .is_none_or(|i| i.plan.output == plan.output);
    let writer = if same_output {
        None
    } else {
        Some(writer(&plan.output)?)
    };
    Ok(Prepared { plan, writer })
}

/// Second step: the new loggers take over (Kea applies `loggers` on
/// reconfiguration too).
pub fn apply(p: Prepared) {
    let mut installed = crate::lock(&INSTALLED);
    let Some(i) = installed.as_mut() else { return };
    if i.plan == p.plan {
        return;
    }
    let result = filter(&p.plan).and_then(|f| {
        i.filter
            .reload(f)
            .map_err(|e| ServerError::Logging(e.to_string()))?;
        if let Some(w) = p.writer {
            i.writer
                .reload(w)
                .map_err(|e| ServerError::Logging(e.to_string()))?;
        }
        Ok(())
    });
    match result {
        Ok(()) => {
            i.plan = p.plan;
            tracing::info!(filter = %i.plan.filter, output = ?i.plan.output, "loggers changed");
        }
        Err(e) => tracing::warn!(error = %e, "the new loggers could not be applied"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syslog_lines_carry_facility_and_severity() {
        use std::io::Write;
        use tracing_subscriber::fmt::MakeWriter;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        let rx = std::os::unix::net::UnixDatagram::bind(&path).unwrap();
        let mut s = Syslog::open(16).unwrap();
        s.path = path;
        {
            let mut w = s.line(4);
            w.write_all(b"something happened\n").unwrap();
        }
        let mut buf = [0u8; 256];
        let n = rx.recv(&mut buf).unwrap();
        let text = String::from_utf8_lossy(&buf[..n]).to_string();
        assert_eq!(
            text,
            format!("<132>ruru[{}]: something happened", std::process::id())
        );
        // An empty message is not sent.
        drop(s.make_writer());
        rx.set_nonblocking(true).unwrap();
        assert!(rx.recv(&mut buf).is_err());
    }

    #[test]
    fn child_loggers_of_both_families_have_their_targets() {
        assert_eq!(target_of("kea-dhcp4.leases"), Some("ruru_engine::v4"));
        assert_eq!(target_of("kea-dhcp6.packets"), Some("ruru_engine::v6"));
        assert_eq!(target_of("kea-dhcp6.dhcpsrv"), Some("ruru_lease"));
        assert_eq!(target_of("kea-dhcp6"), None);
        assert!(is_hooks_logger("kea-dhcp6.hooks"));
    }
}
