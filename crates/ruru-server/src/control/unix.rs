//! The UNIX control socket, as Kea's: a client connects, sends one JSON
//! command and waits; ruru answers with one JSON object and closes.
//!
//! The socket file is created with mode 0600 (bound under a temporary name,
//! restricted, then renamed into place, so it is never reachable with wider
//! permissions). A path is first claimed ([`claim`]): its instance lock
//! `<path>.lock` keeps a second ruru off it, and a socket file that still
//! answers (another ruru, a Kea daemon) is never replaced. A stale socket
//! file left by a previous run is replaced; any other kind of file at that
//! path is left alone and is an error. The file is removed when the
//! listener stops.
//!
//! Bounds ([`Limits`]): at most `max_connections` connections at a time
//! (more are closed at once, unread); the first byte within the header
//! deadline, the complete request within the request timeout, at most
//! `max_request` bytes. The socket is local and owner-only, so there is no
//! separate budget for clients that are slow to send.

use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::Semaphore;
use tokio::time::Instant;
use tracing::{debug, warn};

use super::commands::{answer, dispatch, ControlCtx, ERROR};
use super::listener::Limits;

/// Claims the socket path `path` for this process: its instance lock
/// (`<path>.lock`, [`ruru_lease::files::lock_instance`]), and nothing
/// listening there. A socket file that still answers belongs to a live
/// process (another ruru, a Kea daemon) and is never replaced; one that
/// does not answer is left over and is replaced by [`bind`].
pub fn claim(path: &Path) -> std::io::Result<Claim> {
    let lock = ruru_lease::files::lock_instance(path)?;
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_socket() => {
            if std::os::unix::net::UnixStream::connect(path).is_ok() {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::AddrInUse,
                    format!(
                        "{} is in use: another process listens on it",
                        path.display()
                    ),
                ));
            }
        }
        Ok(_) => {
            return Err(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                format!("{} exists and is not a socket", path.display()),
            ))
        }
        Err(_) => {}
    }
    Ok(Claim {
        path: path.to_path_buf(),
        _lock: lock,
    })
}

/// A socket path this process may (re)create: see [`claim`].
#[derive(Debug)]
pub struct Claim {
    path: PathBuf,
    _lock: ruru_lease::files::InstanceLock,
}

impl Claim {
    /// The claimed path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Binds the claimed socket with mode 0600, replacing a left-over socket
/// file (through a temporary name and a rename, so the path never names a
/// socket of the wrong mode).
pub fn bind(claim: &Claim) -> std::io::Result<std::os::unix::net::UnixListener> {
    let path = &claim.path;
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_socket()) {
        std::fs::remove_file(path)?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".{}.tmp", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let _ = std::fs::remove_file(&tmp);
    let l = std::os::unix::net::UnixListener::bind(&tmp)?;
    let moved = std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))
        .and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = moved {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    l.set_nonblocking(true)?;
    Ok(l)
}

/// Removes the socket file when the accept task ends (or is aborted), then
/// releases the claim.
struct Unlink(Claim);

impl Drop for Unlink {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0.path);
    }
}

/// Accepts connections until the task is aborted.
pub async fn serve(
    std: std::os::unix::net::UnixListener,
    claim: Claim,
    ctx: ControlCtx,
    limits: Limits,
) {
    let path = claim.path.clone();
    let _unlink = Unlink(claim);
    let listener = match UnixListener::from_std(std) {
        Ok(l) => l,
        Err(e) => {
            warn!(path = %path.display(), error = %e, "control socket unusable");
            return;
        }
    };
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    loop {
        let stream = match listener.accept().await {
            Ok((s, _)) => s,
            Err(e) => {
                warn!(error = %e, "control socket accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        let Ok(permit) = slots.clone().try_acquire_owned() else {
            debug!("control socket: too many connections, closing one");
            drop(stream);
            continue;
        };
        let ctx = ctx.clone();
        tokio::spawn(async move {
            let _permit = permit;
            connection(stream, ctx, limits).await;
        });
    }
}

/// Finds where the request's JSON value ends, incrementally (each byte is
/// looked at once, so a large request costs linear time): a top-level object
/// or list is complete when its brackets balance outside strings. Anything
/// that does not start with `{` or `[` is taken as complete at once (the
/// command parser reports it).
#[derive(Debug, Default)]
pub struct Scan {
    depth: usize,
    started: bool,
    in_str: bool,
    escape: bool,
    done: bool,
}

impl Scan {
    /// Feeds more bytes; true once the value is complete.
    pub fn feed(&mut self, bytes: &[u8]) -> bool {
        for &b in bytes {
            if self.done {
                break;
            }
            if !self.started {
                match b {
                    b' ' | b'\t' | b'\r' | b'\n' => continue,
                    b'{' | b'[' => {
                        self.started = true;
                        self.depth = 1;
                        continue;
                    }
                    _ => {
                        self.done = true;
                        break;
                    }
                }
            }
            if self.in_str {
                if self.escape {
                    self.escape = false;
                } else if b == b'\\' {
                    self.escape = true;
                } else if b == b'"' {
                    self.in_str = false;
                }
                continue;
            }
            match b {
                b'"' => self.in_str = true,
                b'{' | b'[' => self.depth += 1,
                b'}' | b']' => {
                    self.depth -= 1;
                    if self.depth == 0 {
                        self.done = true;
                    }
                }
                _ => {}
            }
        }
        self.done
    }
}

/// Reads one request and answers it. The request must start within the
/// header deadline and be complete within the request timeout.
async fn connection(mut s: UnixStream, ctx: ControlCtx, limits: Limits) {
    let start = Instant::now();
    let first = start + limits.header_timeout.min(limits.timeout);
    let deadline = start + limits.timeout;
    let mut buf = Vec::new();
    let mut scan = Scan::default();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let until = if buf.is_empty() { first } else { deadline };
        match tokio::time::timeout_at(until, s.read(&mut chunk)).await {
            Err(_) => {
                let a = answer(ERROR, "Connection over control channel timed out", None);
                reply(&mut s, &a, limits).await;
                return;
            }
            Ok(Err(_)) => return,
            Ok(Ok(0)) => break,
            Ok(Ok(n)) => {
                buf.extend_from_slice(&chunk[..n]);
                if buf.len() > limits.max_request {
                    let a = answer(
                        ERROR,
                        format!("request too large: more than {} bytes", limits.max_request),
                        None,
                    );
                    reply(&mut s, &a, limits).await;
                    return;
                }
                if scan.feed(&chunk[..n]) {
                    break;
                }
            }
        }
    }
    if buf.iter().all(u8::is_ascii_whitespace) {
        return;
    }
    let a = run(ctx, buf).await;
    reply(&mut s, &a, limits).await;
}

/// Runs one request on the blocking pool.
pub async fn run(ctx: ControlCtx, body: Vec<u8>) -> Value {
    tokio::task::spawn_blocking(move || dispatch(&ctx, &body))
        .await
        .unwrap_or_else(|e| answer(ERROR, format!("internal error: {e}"), None))
}

async fn reply(s: &mut UnixStream, a: &Value, limits: Limits) {
    let bytes = serde_json::to_vec(a).unwrap_or_default();
    let _ = tokio::time::timeout(limits.timeout, async {
        let _ = s.write_all(&bytes).await;
        let _ = s.shutdown().await;
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::Scan;

    fn complete(parts: &[&str]) -> bool {
        let mut s = Scan::default();
        parts.iter().any(|p| s.feed(p.as_bytes()))
    }

    #[test]
    fn scan_finds_the_end_of_the_value() {
        assert!(complete(&[r#"{"command": "x"}"#]));
        assert!(complete(&[
            r#" {"command": "#,
            r#""x", "arguments": {"a": [1, {}]}}"#
        ]));
        assert!(!complete(&[r#"{"command": "}""#]));
        assert!(!complete(&[r#"{"a": "\"}"#]));
        assert!(complete(&[r#"{"a": "\\"}"#]));
        assert!(complete(&["nonsense"]));
        assert!(!complete(&["  ", "\n"]));
    }
}
