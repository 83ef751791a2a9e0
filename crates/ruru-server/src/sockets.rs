//! Opening the DHCPv4 sockets named in `interfaces-config`, with Kea's
//! `service-sockets-*` retry rules.
//!
//! Each interface gets one socket of the configured type. An interface that
//! does not exist yet or has no address is retried every
//! `service-sockets-retry-wait-time` ms up to `service-sockets-max-retries`
//! times; with `service-sockets-require-all` those retries happen before the
//! server starts and a failure stops it, otherwise they happen in the
//! background and each socket starts serving as soon as it opens.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use ruru_config::{InterfacesConfig, SocketType};
use ruru_net::{iface, raw, udp, NetError, Socket4};
use tracing::{info, warn};

/// How often blocked workers look at the stop flag.
pub const POLL: Duration = Duration::from_millis(200);

/// Opens the socket for one interface spec.
pub fn open_spec(spec: &str, kind: SocketType, port: u16) -> Result<Vec<Socket4>, NetError> {
    let all = iface::list()?;
    let mut out = Vec::new();
    for a in iface::resolve(spec, &all)? {
        let s = match kind {
            SocketType::Raw => Socket4::Raw(raw::open(&a.name, a.addr, port, POLL)?),
            SocketType::Udp => Socket4::Udp(udp::open(&a.name, a.addr, port, POLL)?),
        };
        info!(iface = %a.name, addr = %a.addr, port, socket_type = ?kind, "listening");
        out.push(s);
    }
    Ok(out)
}

/// The result of the first round of opening.
pub struct Opened {
    pub sockets: Vec<Socket4>,
    /// Specs that failed and will be retried in the background.
    pub pending: Vec<String>,
}

/// Opens every configured interface. With `require-all`, retries failures
/// in the foreground and fails if any remains.
pub fn open_all(cfg: &InterfacesConfig, port: u16) -> Result<Opened, NetError> {
    let mut sockets = Vec::new();
    let mut pending = Vec::new();
    for spec in &cfg.interfaces {
        match open_spec(spec, cfg.socket_type, port) {
            Ok(s) => sockets.extend(s),
            Err(e) => {
                warn!(interface = %spec, error = %e, "could not open a socket");
                if cfg.require_all && cfg.max_retries == 0 {
                    return Err(e);
                }
                pending.push(spec.clone());
            }
        }
    }
    if cfg.require_all && !pending.is_empty() {
        for attempt in 1..=cfg.max_retries {
            std::thread::sleep(Duration::from_millis(u64::from(cfg.retry_wait_ms)));
            let mut still = Vec::new();
            let mut last_err = None;
            for spec in pending {
                match open_spec(&spec, cfg.socket_type, port) {
                    Ok(s) => sockets.extend(s),
                    Err(e) => {
                        warn!(interface = %spec, attempt, error = %e, "retry failed");
                        last_err = Some(e);
                        still.push(spec);
                    }
                }
            }
            pending = still;
            if pending.is_empty() {
                break;
            }
            if attempt == cfg.max_retries {
                if let Some(e) = last_err {
                    return Err(e);
                }
            }
        }
    }
    Ok(Opened { sockets, pending })
}

/// Retries `pending` in the background; each socket that opens is handed to
/// `start` (which starts its workers).
pub fn spawn_retries(
    cfg: &InterfacesConfig,
    port: u16,
    mut pending: Vec<String>,
    stop: Arc<AtomicBool>,
    start: impl Fn(Socket4) + Send + 'static,
) -> std::io::Result<Option<JoinHandle<()>>> {
    if pending.is_empty() || cfg.max_retries == 0 {
        for spec in &pending {
            warn!(interface = %spec, "not served (set interfaces-config.service-sockets-max-retries to retry)");
        }
        return Ok(None);
    }
    let kind = cfg.socket_type;
    let wait = Duration::from_millis(u64::from(cfg.retry_wait_ms));
    let max = cfg.max_retries;
    let h = std::thread::Builder::new().name("ruru-sockets".into()).spawn(move || {
        for attempt in 1..=max {
            let end = std::time::Instant::now() + wait;
            while std::time::Instant::now() < end {
                if stop.load(Ordering::Relaxed) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let mut still = Vec::new();
            for spec in pending {
                match open_spec(&spec, kind, port) {
                    Ok(socks) => socks.into_iter().for_each(&start),
                    Err(e) => {
                        tracing::debug!(interface = %spec, attempt, error = %e, "socket retry failed");
                        still.push(spec);
                    }
                }
            }
            pending = still;
            if pending.is_empty() {
                return;
            }
        }
        for spec in &pending {
            warn!(interface = %spec, retries = max, "giving up opening a socket");
        }
    })?;
    Ok(Some(h))
}
