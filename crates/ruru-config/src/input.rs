//! Reading one configuration file (the main file or an included one) from
//! disk without trusting what is at its path.
//!
//! Only a regular file is read (after following symlinks): a FIFO would
//! block the reader forever and a device such as `/dev/zero` would be read
//! until memory runs out. The type is checked before opening and again on
//! the opened file (the path may have been replaced in between); the file
//! is opened with `O_NONBLOCK` so that opening a FIFO that slipped through
//! cannot block either; and at most `limit` bytes are ever read.

use std::fs::{File, Metadata, OpenOptions};
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

/// Why a file was not read.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// Not a regular file: what it is instead ("a FIFO", ...).
    NotRegular(&'static str),
    /// Longer than the limit given.
    TooLarge,
    /// Not UTF-8 text: the offset of the first bad byte.
    NotUtf8(usize),
    Io(std::io::Error),
}

impl From<std::io::Error> for ReadError {
    fn from(e: std::io::Error) -> Self {
        ReadError::Io(e)
    }
}

/// The text of the regular file at `path`, if it is at most `limit` bytes.
pub(crate) fn read_regular(path: &Path, limit: u64) -> Result<String, ReadError> {
    let before = std::fs::metadata(path)?;
    regular(&before)?;
    if before.len() > limit {
        return Err(ReadError::TooLarge);
    }
    let file = open_nonblocking(path)?;
    // The path may name something else now than when it was checked.
    let opened = file.metadata()?;
    regular(&opened)?;
    read_bounded(file, opened.len().min(limit), limit)
}

/// Opens `path` for reading with `O_NONBLOCK`: opening a FIFO then returns
/// at once instead of waiting for a writer (reading a regular file is not
/// affected).
fn open_nonblocking(path: &Path) -> std::io::Result<File> {
    OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
}

/// Reads `r` to its end as UTF-8 text, failing once it has more than
/// `limit` bytes; `expected` is the size to allocate for.
fn read_bounded(r: impl Read, expected: u64, limit: u64) -> Result<String, ReadError> {
    let mut buf = Vec::with_capacity(usize::try_from(expected).unwrap_or(0));
    r.take(limit.saturating_add(1)).read_to_end(&mut buf)?;
    if buf.len() as u64 > limit {
        return Err(ReadError::TooLarge);
    }
    String::from_utf8(buf).map_err(|e| ReadError::NotUtf8(e.utf8_error().valid_up_to()))
}

/// Ok for a regular file; otherwise what the file is.
fn regular(m: &Metadata) -> Result<(), ReadError> {
    let t = m.file_type();
    let what = if t.is_file() {
        return Ok(());
    } else if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    };
    Err(ReadError::NotRegular(what))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_regular_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.json");
        std::fs::write(&p, "{}\n").unwrap();
        assert_eq!(read_regular(&p, 3).unwrap(), "{}\n");
        assert!(matches!(read_regular(&p, 2), Err(ReadError::TooLarge)));
        // Through a symlink too.
        let l = dir.path().join("link.json");
        std::os::unix::fs::symlink(&p, &l).unwrap();
        assert_eq!(read_regular(&l, 100).unwrap(), "{}\n");
    }

    #[test]
    fn refuses_what_is_not_a_regular_file() {
        let dir = tempfile::tempdir().unwrap();
        let what = |p: &Path| match read_regular(p, 1 << 20) {
            Err(ReadError::NotRegular(w)) => w,
            other => panic!("{other:?}"),
        };
        assert_eq!(what(Path::new("/dev/zero")), "a character device");
        assert_eq!(what(dir.path()), "a directory");
        let link = dir.path().join("zero");
        std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
        assert_eq!(what(&link), "a character device");
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|s| s.success()) {
            assert_eq!(what(&fifo), "a FIFO");
            // Had it been swapped in after the first check: the open does
            // not wait for a writer, and the second check refuses it.
            let f = open_nonblocking(&fifo).unwrap();
            assert!(matches!(
                regular(&f.metadata().unwrap()),
                Err(ReadError::NotRegular("a FIFO"))
            ));
        }
    }

    #[test]
    fn an_endless_stream_is_cut_at_the_limit() {
        let r = read_bounded(std::io::repeat(b' '), 0, 1000);
        assert!(matches!(r, Err(ReadError::TooLarge)), "{r:?}");
        let r = read_bounded(&b"abc"[..], 3, 3);
        assert_eq!(r.unwrap(), "abc");
        let r = read_bounded(&b"a\xffc"[..], 3, 3);
        assert!(matches!(r, Err(ReadError::NotUtf8(1))), "{r:?}");
    }
}
