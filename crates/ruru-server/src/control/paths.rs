//! What a configuration arriving through the control API may make ruru
//! write, and how `config-write` writes (`../shared/DESIGN.md`, "Where ruru
//! reads and writes"; docs/src/security.md).
//!
//! - A configuration from `config-set` / `config-test` may name files that
//!   ruru writes (memfile lease files, the DHCPv6 server DUID file, log
//!   files, UNIX control sockets) only directly in ruru's data, log and
//!   socket directories ([`ruru_config::Places`]) or in a directory that a
//!   configuration read from disk (at start-up, SIGHUP or `config-reload`)
//!   already uses. Directories are compared with links and `..` resolved.
//!   Hook libraries are bounded by the hooks directory in every
//!   configuration (`ruru_config::Places::hook_library`).
//! - `config-write` writes only in the directory of the configuration file
//!   the server was started with, never through a symbolic link, via an
//!   exclusive new temporary file renamed over the target, mode 0600 when
//!   the configuration holds secrets and 0640 otherwise (an existing
//!   file's stricter mode is kept).

use std::io::Write as _;
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;

use ruru_config::{Config, ControlSocket, LeaseDbKind, LogOutput, Places};
use ruru_lease::files;

use crate::lock;

/// The directories API configurations may write in.
#[derive(Debug)]
pub struct Allowed {
    places: Places,
    /// Directories of the files that configurations read from disk write.
    dirs: Mutex<Vec<PathBuf>>,
}

impl Allowed {
    /// ruru's directories plus those `config` (read from disk) uses.
    pub fn new(places: Places, config: &Config) -> Allowed {
        let a = Allowed {
            places,
            dirs: Mutex::new(Vec::new()),
        };
        a.remember(config);
        a
    }

    /// ruru's directories.
    pub fn places(&self) -> &Places {
        &self.places
    }

    /// Adds the directories of a configuration read from disk.
    pub fn remember(&self, config: &Config) {
        let mut dirs = lock(&self.dirs);
        for (_, p) in written_paths(config) {
            if let Some(d) = ruru_config::places::parent_dir(&p) {
                let d = d.canonicalize().unwrap_or_else(|_| d.to_path_buf());
                if !dirs.contains(&d) {
                    dirs.push(d);
                }
            }
        }
    }

    /// Checks the files an API configuration would write; the error names
    /// the first file outside the allowed directories and lists them.
    pub fn check(&self, config: &Config) -> Result<(), String> {
        let dirs = lock(&self.dirs).clone();
        for (what, p) in written_paths(config) {
            if !self.places.allows(&dirs, &p) {
                return Err(format!(
                    "{what} {} is outside the directories a configuration received through the control API may write in ({}); change the configuration file and reload instead, or start ruru with RURU_DATA_DIR, RURU_LOG_DIR or RURU_SOCKET_DIR naming that directory",
                    p.display(),
                    self.places.describe_allowed(&dirs)
                ));
            }
        }
        Ok(())
    }
}

/// Every file `config` makes ruru create or write, with what it is.
fn written_paths(config: &Config) -> Vec<(&'static str, PathBuf)> {
    let mut out = Vec::new();
    let mut common = |lease: &ruru_config::LeaseDatabase,
                      loggers: &[ruru_config::Logger],
                      sockets: &[ControlSocket]| {
        if lease.kind == LeaseDbKind::Memfile && lease.persist {
            out.push(("lease file", lease.name.clone()));
        }
        for l in loggers {
            for o in &l.outputs {
                if let LogOutput::File(p) = o {
                    out.push(("log file", p.clone()));
                }
            }
        }
        for s in sockets {
            if let ControlSocket::Unix { path } = s {
                out.push(("control socket", path.clone()));
            }
        }
    };
    if let Some(d) = &config.dhcp4 {
        common(&d.lease_database, &d.loggers, &d.control_sockets);
    }
    if let Some(d) = &config.dhcp6 {
        common(&d.lease_database, &d.loggers, &d.control_sockets);
        if d.server_id.persist {
            out.push(("server DUID file", d.server_id.file.clone()));
        }
    }
    if let Some(d) = &config.dhcp_ddns {
        for s in &d.control_sockets {
            if let ControlSocket::Unix { path } = s {
                out.push(("control socket", path.clone()));
            }
        }
    }
    out
}

/// The file `config-write` writes: `filename` (default: the startup
/// configuration file), which must lie directly in the startup
/// configuration's directory and must not be a symbolic link.
pub fn write_target(startup: &Path, filename: Option<&str>) -> Result<PathBuf, String> {
    let dir = ruru_config::places::parent_dir(startup).unwrap_or(Path::new("."));
    let real_dir = dir
        .canonicalize()
        .map_err(|e| format!("the configuration's directory {}: {e}", dir.display()))?;
    let target = match filename {
        None => startup.to_path_buf(),
        Some(f) => {
            let p = Path::new(f);
            if p.components()
                .any(|c| matches!(c, Component::ParentDir | Component::CurDir))
            {
                return Err(format!(
                    "{f}: `.` and `..` are not allowed: config-write writes only in {}",
                    real_dir.display()
                ));
            }
            if p.is_absolute() {
                p.to_path_buf()
            } else {
                dir.join(p)
            }
        }
    };
    let parent = ruru_config::places::parent_dir(&target)
        .and_then(|d| d.canonicalize().ok())
        .ok_or_else(|| format!("{}: no such directory", target.display()))?;
    if parent != real_dir {
        return Err(format!(
            "{}: config-write writes only in the directory of the configuration file the server was started with ({})",
            target.display(),
            real_dir.display()
        ));
    }
    match std::fs::symlink_metadata(&target) {
        Ok(m) if m.file_type().is_symlink() => Err(format!(
            "{} is a symbolic link: config-write does not write through links",
            target.display()
        )),
        Ok(m) if !m.is_file() => Err(format!("{} is not a regular file", target.display())),
        _ => Ok(target),
    }
}

/// Writes `text` to `target` through a new temporary file in the same
/// directory (exclusive creation: never a file or link already there) and
/// an atomic rename. `max_mode` limits the mode; an existing target's
/// stricter mode is kept.
pub fn write_file(target: &Path, text: &[u8], max_mode: u32) -> std::io::Result<()> {
    let mode = files::replacement_mode(target, max_mode);
    let dir = ruru_config::places::parent_dir(target).unwrap_or(Path::new("."));
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut tmp = None;
    for i in 0..16u32 {
        let p = dir.join(format!(".{name}.ruru-write.{}.{i}", std::process::id()));
        match files::create_new(&p, mode) {
            Ok(f) => {
                tmp = Some((p, f));
                break;
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    let Some((tmp_path, mut f)) = tmp else {
        return Err(std::io::Error::other("no free temporary file name"));
    };
    let written = f
        .write_all(text)
        .and_then(|_| f.sync_all())
        .and_then(|_| std::fs::rename(&tmp_path, target));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp_path);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn config_write_stays_in_the_startup_directory() {
        let dir = tempfile::tempdir().unwrap();
        let etc = dir.path().join("etc");
        let other = dir.path().join("other");
        std::fs::create_dir_all(etc.join("x")).unwrap();
        std::fs::create_dir(&other).unwrap();
        let startup = etc.join("ruru.json");
        std::fs::write(&startup, "{}").unwrap();
        assert_eq!(write_target(&startup, None).unwrap(), startup);
        assert_eq!(
            write_target(&startup, Some("copy.json")).unwrap(),
            etc.join("copy.json")
        );
        let abs = etc.join("abs.json");
        assert_eq!(
            write_target(&startup, Some(abs.to_str().unwrap())).unwrap(),
            abs
        );
        for bad in [
            other.join("f.json").display().to_string(),
            "x/../../other/f.json".to_string(),
            "x/f.json".to_string(),
            "/etc/passwd".to_string(),
        ] {
            assert!(write_target(&startup, Some(&bad)).is_err(), "{bad}");
        }
        std::os::unix::fs::symlink(other.join("planted"), etc.join("link.json")).unwrap();
        assert!(write_target(&startup, Some("link.json")).is_err());
    }

    #[test]
    fn write_keeps_a_stricter_mode_and_replaces_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let t = dir.path().join("ruru.json");
        std::fs::write(&t, "old").unwrap();
        std::fs::set_permissions(&t, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_file(&t, b"new", files::SECRET_MODE).unwrap();
        assert_eq!(std::fs::read_to_string(&t).unwrap(), "new");
        let mode = std::fs::metadata(&t).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        std::fs::set_permissions(&t, std::fs::Permissions::from_mode(0o400)).unwrap();
        write_file(&t, b"newer", files::FILE_MODE).unwrap();
        let mode = std::fs::metadata(&t).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o400);
        // Nothing but the target is left behind.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
