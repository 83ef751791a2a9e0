//! How ruru creates files: private whatever the umask, never loosening an
//! existing file's mode.
//!
//! Lease files and their compaction outputs, the server DUID and log files
//! are created [`FILE_MODE`] (0640); files that may hold secrets
//! (`config-write` output) [`SECRET_MODE`] (0600). A file that replaces
//! another (compaction, `config-write`) gets the old file's mode limited to
//! the same bits, so an administrator's stricter mode is kept. The umask
//! can only take bits away from these modes, never add any.
//!
//! [`InstanceLock`] keeps a second server off a file one server owns (a
//! lease file, a control socket): an exclusive lock on `<file>.lock`,
//! which holds the owner's pid for the error message.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Mode of the files ruru creates (owner read/write, group read).
pub const FILE_MODE: u32 = 0o640;
/// Mode of files that may hold secrets (owner only).
pub const SECRET_MODE: u32 = 0o600;

/// The mode for a new file that replaces `existing`: its mode limited to
/// `max`, or `max` when there is no such file.
pub fn replacement_mode(existing: &Path, max: u32) -> u32 {
    std::fs::metadata(existing).map_or(max, |m| m.permissions().mode() & max)
}

/// Opens `path` for appending (and reading), creating it with `mode`.
pub fn open_append(path: &Path, mode: u32) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .mode(mode)
        .open(path)
}

/// Creates (or truncates) `path` for writing; a new file gets `mode`, and
/// the file's mode is set to `mode` whatever the umask or an earlier mode
/// (for outputs that ruru alone writes, such as compaction snapshots).
pub fn create(path: &Path, mode: u32) -> io::Result<File> {
    let f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(path)?;
    f.set_permissions(std::fs::Permissions::from_mode(mode))?;
    Ok(f)
}

/// Creates `path`, which must not exist yet, without following a symbolic
/// link there (`O_EXCL` implies it), with exactly `mode`.
pub fn create_new(path: &Path, mode: u32) -> io::Result<File> {
    let f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)?;
    f.set_permissions(std::fs::Permissions::from_mode(mode))?;
    Ok(f)
}

/// An exclusive lock on `<file>.lock`, held while this value lives (the
/// lock file stays; only the lock goes).
#[derive(Debug)]
pub struct InstanceLock {
    _file: File,
}

/// The lock file of `path`: `<path>.lock`.
pub fn lock_path(path: &Path) -> std::path::PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(".lock");
    std::path::PathBuf::from(p)
}

/// Takes the instance lock of `path` (see the module doc) without waiting.
/// When another process (or another part of this one) holds it, the error
/// (kind `WouldBlock`) names the holder's pid as its lock file says.
pub fn lock_instance(path: &Path) -> io::Result<InstanceLock> {
    let lock = lock_path(path);
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(FILE_MODE)
        .open(&lock)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut text = String::new();
            let _ = file.take(32).read_to_string(&mut text);
            let pid = text
                .trim()
                .parse::<u32>()
                .map_or_else(|_| String::new(), |p| format!(" (pid {p})"));
            return Err(io::Error::new(
                io::ErrorKind::WouldBlock,
                format!(
                    "in use by another ruru process{pid} (lock {}): one file, one server",
                    lock.display()
                ),
            ));
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(e),
    }
    file.set_len(0)?;
    file.rewind()?;
    writeln!(file, "{}", std::process::id())?;
    Ok(InstanceLock { _file: file })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn modes_hold_whatever_the_umask() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        // The umask of a test process is not ours to change (threads share
        // it); tests/e2e_security.rs runs the server under umask 000.
        drop(open_append(&a, FILE_MODE).unwrap());
        assert_eq!(mode(&a) & !FILE_MODE, 0);
        drop(create(&b, SECRET_MODE).unwrap());
        assert_eq!(mode(&b), SECRET_MODE);
        std::fs::set_permissions(&a, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(replacement_mode(&a, FILE_MODE), 0o600);
        std::fs::set_permissions(&a, std::fs::Permissions::from_mode(0o666)).unwrap();
        assert_eq!(replacement_mode(&a, FILE_MODE), 0o640);
        assert_eq!(replacement_mode(&dir.path().join("none"), FILE_MODE), 0o640);
        assert!(create_new(&b, FILE_MODE).is_err());
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(dir.path().join("target"), &link).unwrap();
        assert!(create_new(&link, FILE_MODE).is_err());
        assert!(!dir.path().join("target").exists());
    }

    #[test]
    fn an_instance_lock_is_held_once() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("leases4.csv");
        let held = lock_instance(&f).unwrap();
        let e = lock_instance(&f).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::WouldBlock);
        assert!(
            e.to_string()
                .contains(&format!("(pid {})", std::process::id())),
            "{e}"
        );
        drop(held);
        drop(lock_instance(&f).unwrap());
    }
}
