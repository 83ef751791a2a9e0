//! Where ruru reads code and writes files: the hooks, data, log and socket
//! directories (`../shared/DESIGN.md`, "Where ruru reads and writes").
//!
//! Each has a compiled-in default, overridden by a variable in the
//! environment of whoever starts the process, as Kea 3.0 does with
//! `KEA_HOOKS_PATH`, `KEA_DHCP_DATA_DIR`, `KEA_LOG_FILE_DIR` and
//! `KEA_CONTROL_SOCKET_DIR`:
//!
//! | directory | default | variable |
//! |---|---|---|
//! | hook libraries | `/usr/lib/ruru/hooks` | `RURU_HOOKS_PATH` |
//! | lease files, server DUID | `/var/lib/ruru` | `RURU_DATA_DIR` |
//! | log files | `/var/log/ruru` | `RURU_LOG_DIR` |
//! | UNIX control sockets | `/run/ruru` | `RURU_SOCKET_DIR` |
//!
//! Packagers change the defaults at build time by setting the same
//! variables with the `_DEFAULT` suffix (`RURU_HOOKS_PATH_DEFAULT=...
//! cargo build`).
//!
//! Hook libraries load only from the hooks directory, whatever the source
//! of the configuration ([`Places::hook_library`]). The other directories
//! bound the paths a configuration arriving through the control API may
//! name ([`Places::allows`]).

use std::path::{Component, Path, PathBuf};

/// The environment variable naming the hooks directory.
pub const HOOKS_ENV: &str = "RURU_HOOKS_PATH";
/// The environment variable naming the data directory.
pub const DATA_ENV: &str = "RURU_DATA_DIR";
/// The environment variable naming the log directory.
pub const LOG_ENV: &str = "RURU_LOG_DIR";
/// The environment variable naming the socket directory.
pub const SOCKET_ENV: &str = "RURU_SOCKET_DIR";

/// The compiled-in hooks directory.
pub const DEFAULT_HOOKS_DIR: &str = match option_env!("RURU_HOOKS_PATH_DEFAULT") {
    Some(d) => d,
    None => "/usr/lib/ruru/hooks",
};
/// The compiled-in data directory.
pub const DEFAULT_DATA_DIR: &str = match option_env!("RURU_DATA_DIR_DEFAULT") {
    Some(d) => d,
    None => "/var/lib/ruru",
};
/// The compiled-in log directory.
pub const DEFAULT_LOG_DIR: &str = match option_env!("RURU_LOG_DIR_DEFAULT") {
    Some(d) => d,
    None => "/var/log/ruru",
};
/// The compiled-in socket directory.
pub const DEFAULT_SOCKET_DIR: &str = match option_env!("RURU_SOCKET_DIR_DEFAULT") {
    Some(d) => d,
    None => "/run/ruru",
};

/// ruru's own directories for one process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Places {
    /// Hook libraries are loaded from here only.
    pub hooks: PathBuf,
    /// Lease files and the server DUID.
    pub data: PathBuf,
    /// Log files.
    pub log: PathBuf,
    /// UNIX control sockets.
    pub socket: PathBuf,
}

impl Default for Places {
    /// The compiled-in defaults, whatever the environment says.
    fn default() -> Self {
        Places {
            hooks: PathBuf::from(DEFAULT_HOOKS_DIR),
            data: PathBuf::from(DEFAULT_DATA_DIR),
            log: PathBuf::from(DEFAULT_LOG_DIR),
            socket: PathBuf::from(DEFAULT_SOCKET_DIR),
        }
    }
}

impl Places {
    /// The defaults, each overridden by its variable when that is set and
    /// not empty.
    pub fn from_env() -> Places {
        let get = |var: &str, default: &str| {
            std::env::var_os(var)
                .filter(|v| !v.is_empty())
                .map_or_else(|| PathBuf::from(default), PathBuf::from)
        };
        Places {
            hooks: get(HOOKS_ENV, DEFAULT_HOOKS_DIR),
            data: get(DATA_ENV, DEFAULT_DATA_DIR),
            log: get(LOG_ENV, DEFAULT_LOG_DIR),
            socket: get(SOCKET_ENV, DEFAULT_SOCKET_DIR),
        }
    }

    /// The file a `hooks-libraries` entry names: a relative `library`
    /// resolves in the hooks directory; an absolute one must be a file of
    /// that directory (not of a subdirectory, and without `..`). The error
    /// says what was expected.
    pub fn hook_library(&self, library: &str) -> Result<PathBuf, String> {
        let given = Path::new(library);
        if given
            .components()
            .any(|c| matches!(c, Component::ParentDir | Component::CurDir))
        {
            return Err(format!(
                "hook library `{library}`: `.` and `..` are not allowed in a library path: expected a file name in the hooks directory {}",
                self.hooks.display()
            ));
        }
        let path = if given.is_absolute() {
            given.to_path_buf()
        } else {
            self.hooks.join(given)
        };
        let parent = path.parent().unwrap_or(Path::new("/"));
        if !same_dir(parent, &self.hooks) {
            return Err(format!(
                "hook library `{library}` is outside the hooks directory {}: ruru loads code only from there (set {HOOKS_ENV} in the environment that starts ruru to name another directory)",
                self.hooks.display()
            ));
        }
        Ok(path)
    }

    /// Whether `path` (a file ruru would create or write) lies directly in
    /// one of `dirs` or of ruru's data, log and socket directories. The
    /// file's directory must exist: it is compared with symbolic links and
    /// `..` resolved, so neither can lead out of an allowed directory.
    pub fn allows(&self, dirs: &[PathBuf], path: &Path) -> bool {
        let Some(parent) = parent_dir(path) else {
            return false;
        };
        let Ok(real) = parent.canonicalize() else {
            return false;
        };
        [&self.data, &self.log, &self.socket]
            .into_iter()
            .chain(dirs)
            .any(|d| d.canonicalize().is_ok_and(|d| d == real))
    }

    /// The directories an API configuration may name besides `extra`, for
    /// error messages.
    pub fn describe_allowed(&self, extra: &[PathBuf]) -> String {
        let mut all: Vec<String> = [&self.data, &self.log, &self.socket]
            .into_iter()
            .chain(extra)
            .map(|d| d.display().to_string())
            .collect();
        all.sort();
        all.dedup();
        all.join(", ")
    }
}

/// The directory of a file path; `.` for a bare file name (the working
/// directory, as `open` would use).
pub fn parent_dir(path: &Path) -> Option<&Path> {
    match path.parent() {
        Some(p) if p.as_os_str().is_empty() => Some(Path::new(".")),
        Some(p) => Some(p),
        None => None,
    }
}

/// Two directory paths name the same directory: compared resolved when
/// both exist, else as written.
fn same_dir(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn places(hooks: &Path) -> Places {
        Places {
            hooks: hooks.to_path_buf(),
            ..Places::default()
        }
    }

    #[test]
    fn relative_library_resolves_in_the_hooks_directory() {
        let p = places(Path::new("/usr/lib/ruru/hooks"));
        assert_eq!(
            p.hook_library("libx.so").unwrap(),
            PathBuf::from("/usr/lib/ruru/hooks/libx.so")
        );
        assert_eq!(
            p.hook_library("/usr/lib/ruru/hooks/libx.so").unwrap(),
            PathBuf::from("/usr/lib/ruru/hooks/libx.so")
        );
    }

    #[test]
    fn libraries_elsewhere_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let hooks = dir.path().join("hooks");
        std::fs::create_dir(&hooks).unwrap();
        std::fs::create_dir(hooks.join("sub")).unwrap();
        let p = places(&hooks);
        let e = p.hook_library("/tmp/libevil.so").unwrap_err();
        assert!(e.contains("outside the hooks directory"), "{e}");
        assert!(e.contains(HOOKS_ENV), "{e}");
        assert!(p.hook_library("../libevil.so").is_err());
        assert!(p.hook_library("sub/libx.so").is_err());
        let dotted = format!("{}/../hooks/libx.so", hooks.display());
        assert!(p.hook_library(&dotted).is_err());
        // A symbolic link to the hooks directory names the same directory.
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&hooks, &link).unwrap();
        let via = format!("{}/libx.so", link.display());
        assert!(p.hook_library(&via).is_ok());
    }

    #[test]
    fn allowed_directories_resolve_links_and_dots() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let other = dir.path().join("other");
        std::fs::create_dir(&data).unwrap();
        std::fs::create_dir(&other).unwrap();
        let p = Places {
            data: data.clone(),
            ..Places::default()
        };
        assert!(p.allows(&[], &data.join("leases.csv")));
        assert!(!p.allows(&[], &other.join("leases.csv")));
        assert!(p.allows(std::slice::from_ref(&other), &other.join("x")));
        assert!(!p.allows(&[], &data.join("../other/leases.csv")));
        let link = data.join("escape");
        std::os::unix::fs::symlink(&other, &link).unwrap();
        assert!(!p.allows(&[], &link.join("leases.csv")));
        assert!(!p.allows(&[], &data.join("missing/leases.csv")));
    }
}
