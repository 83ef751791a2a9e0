//! The files of one lease file set (Kea's names, see the module docs of
//! `memfile`, plus ruru's snapshot) and the file operations the journal and
//! compaction share.

use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::snapshot;
use crate::LeaseError;

/// The file names of one lease file set.
pub(super) struct Files {
    pub(super) current: PathBuf,
    pub(super) input: PathBuf,
    pub(super) previous: PathBuf,
    pub(super) output: PathBuf,
    pub(super) completed: PathBuf,
    /// ruru's binary copy of `.completed`/`.2` (`snapshot`).
    pub(super) snapshot: PathBuf,
    pub(super) snapshot_output: PathBuf,
}

impl Files {
    pub(super) fn new(path: &Path) -> Self {
        let with = |suffix: &str| {
            let mut name = path.as_os_str().to_owned();
            name.push(suffix);
            PathBuf::from(name)
        };
        Files {
            current: path.to_path_buf(),
            input: with(".1"),
            previous: with(".2"),
            output: with(".output"),
            completed: with(".completed"),
            snapshot: with(snapshot::SUFFIX),
            snapshot_output: with(snapshot::OUTPUT_SUFFIX),
        }
    }

    /// Kea's `kea-lfc` cleanup: remove `.2` and `.1`, rename `.completed`
    /// to `.2`.
    pub(super) fn finish(&self) -> Result<(), LeaseError> {
        remove_if_exists(&self.previous)?;
        remove_if_exists(&self.input)?;
        fs::rename(&self.completed, &self.previous).map_err(io_err(&self.completed))?;
        sync_dir(&self.current)
    }
}

/// A snapshot that could not be written is left out (the CSV files hold
/// everything): its partial file and the previous one are removed.
pub(super) fn snapshot_failed(files: &Files, e: &io::Error) {
    tracing::warn!(path = %files.snapshot.display(), error = %e, "cannot write the lease snapshot; the next start will read the CSV files");
    let _ = fs::remove_file(&files.snapshot_output);
    let _ = fs::remove_file(&files.snapshot);
}

pub(super) fn io_err(path: &Path) -> impl Fn(io::Error) -> LeaseError + '_ {
    move |source| LeaseError::Io {
        path: path.display().to_string(),
        source,
    }
}

pub(super) fn exists(path: &Path) -> Result<bool, LeaseError> {
    path.try_exists().map_err(io_err(path))
}

pub(super) fn remove_if_exists(path: &Path) -> Result<(), LeaseError> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_err(path)(e)),
    }
}

/// fsyncs the directory holding `path`, so renames and creations survive a
/// power loss.
pub(super) fn sync_dir(path: &Path) -> Result<(), LeaseError> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err(dir))
}

/// Opens `<name>` for appending: creates it with a header when missing or
/// empty, and ends a torn last line so the next row starts on its own line.
pub(super) fn open_append(path: &Path, header: &str, sync: bool) -> io::Result<(File, u64)> {
    open_append_mode(path, header, sync, crate::files::FILE_MODE)
}

/// [`open_append`] creating a missing file with `mode`.
pub(super) fn open_append_mode(
    path: &Path,
    header: &str,
    sync: bool,
    mode: u32,
) -> io::Result<(File, u64)> {
    let mut file = crate::files::open_append(path, mode)?;
    let mut len = file.metadata()?.len();
    if len == 0 {
        let header = format!("{header}\n");
        file.write_all(header.as_bytes())?;
        if sync {
            file.sync_all()?;
        }
        return Ok((file, header.len() as u64));
    }
    file.seek(SeekFrom::End(-1))?;
    let mut last = [0u8; 1];
    file.read_exact(&mut last)?;
    if last[0] != b'\n' {
        file.write_all(b"\n")?;
        len += 1;
    }
    Ok((file, len))
}
