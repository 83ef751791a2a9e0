//! Control listeners: starting them from the configuration and
//! reconciling them after a reload.
//!
//! Each configured control socket becomes one accept task on the main
//! thread's tokio runtime. A listener is identified by what it binds (the
//! UNIX path, or the TCP address and port): on [`apply`], listeners whose
//! binding vanished are stopped, new bindings are started, and a listener
//! whose binding stayed but whose settings (authentication, TLS) changed
//! keeps its socket and takes the new settings for its next connections.
//!
//! Bounds (Kea closes control connections after 10 s too):
//! - [`MAX_REQUEST_BYTES`]: a larger request gets an error answer and the
//!   connection is closed;
//! - [`HEADER_TIMEOUT`]: a client has this long to start its request: the
//!   HTTP request line and headers (and, before them, the TLS handshake)
//!   must be complete, a UNIX client must have sent its first byte;
//! - [`READ_TIMEOUT`]: a UNIX client that has not sent a complete request by
//!   then, or an HTTP client whose body has not arrived by then (after its
//!   headers), is closed;
//! - connection budgets: per UNIX listener [`MAX_CONNECTIONS`] open
//!   connections, further ones are closed at once without reading them; per
//!   HTTP listener [`MAX_PENDING`] connections that have not made an
//!   authorized request yet and [`MAX_CONNECTIONS`] that have, with eviction
//!   of the oldest pending connection (why: [`super::http`]);
//! - [`HTTP_BACKLOG`]: connections the kernel queues for an HTTP listener
//!   before they are accepted.
//!
//! `ruru serve --control-timeout-ms T` (hidden, for tests) sets the request
//! timeout to T and the header deadline to T/2, as 10 s and 5 s are by
//! default ([`Limits::with_timeout`]).

use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use ruru_config::ControlSocket;
use tokio::runtime::Handle;
use tokio::task::JoinHandle;
use tracing::{error, info};

use super::commands::ControlCtx;
use super::{http, unix};
use crate::state::Shared;

/// Largest accepted request (bytes): 16 MiB.
pub const MAX_REQUEST_BYTES: usize = 16 << 20;
/// Time a client has to send its complete request (HTTP: its body, once
/// the headers are in).
pub const READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Time a client has for the TLS handshake, and then for the request line
/// and headers of each HTTP request (UNIX: for the first byte).
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(5);
/// Concurrent connections per UNIX listener, and HTTP connections per
/// listener that have made an authorized request.
pub const MAX_CONNECTIONS: usize = 64;
/// HTTP connections per listener that have not made an authorized request
/// yet (with authentication configured: valid credentials; without: one
/// complete request).
pub const MAX_PENDING: usize = 256;

/// Listen backlog of an HTTP listener: connections the kernel completes
/// and queues until they are accepted. The standard library's 128 let a
/// burst of connections (a monitoring fleet scraping `/metrics` at once)
/// overflow the queue, and the kernel then drops the SYNs of the others,
/// who retry after a second or more. The kernel caps it at
/// `net.core.somaxconn` (4096 by default since Linux 5.4).
pub const HTTP_BACKLOG: u32 = 1024;

/// The bounds applied to control connections.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_request: usize,
    /// [`READ_TIMEOUT`]
    pub timeout: Duration,
    /// [`HEADER_TIMEOUT`]
    pub header_timeout: Duration,
    /// [`MAX_CONNECTIONS`]
    pub max_connections: usize,
    /// [`MAX_PENDING`]
    pub max_pending: usize,
}

impl Limits {
    /// The default bounds with the request timeout `timeout` and the header
    /// deadline half of it (as 5 s is of 10 s).
    pub fn with_timeout(timeout: Duration) -> Limits {
        Limits {
            timeout,
            header_timeout: timeout / 2,
            ..Default::default()
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_request: MAX_REQUEST_BYTES,
            timeout: READ_TIMEOUT,
            header_timeout: HEADER_TIMEOUT,
            max_connections: MAX_CONNECTIONS,
            max_pending: MAX_PENDING,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Binding {
    Unix(PathBuf),
    Tcp(std::net::SocketAddr),
}

fn binding(s: &ControlSocket) -> Binding {
    match s {
        ControlSocket::Unix { path } => Binding::Unix(path.clone()),
        ControlSocket::Http(h) => Binding::Tcp(h.addr),
    }
}

fn describe(s: &ControlSocket) -> String {
    match s {
        ControlSocket::Unix { path } => format!("unix:{}", path.display()),
        ControlSocket::Http(h) => format!(
            "{}://{}",
            if h.tls.is_some() { "https" } else { "http" },
            h.addr
        ),
    }
}

struct Active {
    spec: ControlSocket,
    /// HTTP only: the settings new connections use.
    settings: Option<Arc<RwLock<Arc<http::Settings>>>>,
    task: JoinHandle<()>,
}

/// UNIX socket paths claimed at start-up, before anything else was
/// opened ([`claim_all`]); [`start`] binds them.
#[derive(Debug, Default)]
pub struct Claims(Mutex<Vec<unix::Claim>>);

/// Claims every UNIX socket of `sockets` (see [`unix::claim`]): at
/// start-up, first of all, so that a second server on the same
/// configuration stops before it touches anything of the first.
pub fn claim_all(sockets: &[ControlSocket]) -> Result<Claims, String> {
    let mut out = Vec::new();
    for s in sockets {
        if let ControlSocket::Unix { path } = s {
            out.push(
                unix::claim(path).map_err(|e| format!("control socket {}: {e}", describe(s)))?,
            );
        }
    }
    Ok(Claims(Mutex::new(out)))
}

/// Claims the UNIX sockets of `sockets` that no listener serves yet, for
/// the [`apply`] that follows (a reload). All or none: on an error nothing
/// new stays claimed. Does nothing before [`start`].
pub fn claim_new(shared: &Shared, sockets: &[ControlSocket]) -> Result<(), String> {
    let Some(l) = shared.listeners.get() else {
        return Ok(());
    };
    let active: Vec<Binding> = l
        .active
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .map(|a| binding(&a.spec))
        .collect();
    let mut claims = l.claims.0.lock().unwrap_or_else(|e| e.into_inner());
    let mut new = Vec::new();
    for s in sockets {
        let ControlSocket::Unix { path } = s else {
            continue;
        };
        if active.contains(&binding(s)) || claims.iter().any(|c| c.path() == path.as_path()) {
            continue;
        }
        new.push(unix::claim(path).map_err(|e| format!("control socket {}: {e}", describe(s)))?);
    }
    claims.extend(new);
    Ok(())
}

/// The running control listeners.
pub struct Listeners {
    /// Claimed at start-up, not bound yet.
    claims: Claims,
    ctx: ControlCtx,
    rt: Handle,
    limits: Limits,
    active: Mutex<Vec<Active>>,
}

/// Starts the configured control sockets (at start-up). `rt` is the runtime
/// the accept tasks run on. Any socket that cannot be started is an error.
/// The listeners are kept in `ctx.shared` ([`Shared::listeners`]).
pub fn start(
    ctx: ControlCtx,
    rt: Handle,
    limits: Limits,
    sockets: &[ControlSocket],
    claims: Claims,
) -> std::io::Result<()> {
    let shared = ctx.shared.clone();
    let l = Listeners {
        claims,
        ctx,
        rt,
        limits,
        active: Mutex::new(Vec::new()),
    };
    if shared.listeners.set(l).is_err() {
        return Err(std::io::Error::other("control listeners already started"));
    }
    apply(&shared, sockets).map_err(std::io::Error::other)
}

/// Reload hook: makes the running listeners match `sockets` (call it after
/// a new configuration was swapped in). Errors (a port in use, an unreadable
/// certificate) are logged and returned as one message; listeners that could
/// not be changed keep running as they were. Does nothing before [`start`].
pub fn apply(shared: &Shared, sockets: &[ControlSocket]) -> Result<(), String> {
    let Some(l) = shared.listeners.get() else {
        return Ok(());
    };
    let mut active = l.active.lock().unwrap_or_else(|e| e.into_inner());
    let mut errors = Vec::new();
    active.retain(|a| {
        let keep = sockets.iter().any(|s| binding(s) == binding(&a.spec));
        if !keep {
            a.task.abort();
            info!(socket = %describe(&a.spec), "control socket closed");
        }
        keep
    });
    for s in sockets {
        if let Some(a) = active.iter_mut().find(|a| binding(&a.spec) == binding(s)) {
            if a.spec == *s {
                continue;
            }
            if let (ControlSocket::Http(h), Some(cell)) = (s, &a.settings) {
                match http::Settings::load(h) {
                    Ok(new) => {
                        *cell.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(new);
                        a.spec = s.clone();
                        info!(socket = %describe(s), "control socket settings updated");
                    }
                    Err(e) => errors.push(format!("control socket {}: {e}", describe(s))),
                }
            }
            continue;
        }
        match start_one(l, s) {
            Ok(a) => {
                info!(socket = %describe(s), "control socket listening");
                active.push(a);
            }
            Err(e) => errors.push(format!("control socket {}: {e}", describe(s))),
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        for e in &errors {
            error!("{e}");
        }
        Err(errors.join("; "))
    }
}

/// Stops every listener (removing UNIX socket files once the runtime drops
/// the tasks). Called at shutdown.
pub fn stop_all(shared: &Shared) {
    let _ = apply(shared, &[]);
}

/// A TCP listener on `addr` with [`HTTP_BACKLOG`], on the current runtime.
fn bind_http(addr: std::net::SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let sock = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    // As the standard library's bind does: a restarted server binds again
    // while connections of the previous one are in TIME_WAIT.
    sock.set_reuseaddr(true)?;
    sock.bind(addr)?;
    sock.listen(HTTP_BACKLOG)
}

fn start_one(l: &Listeners, s: &ControlSocket) -> Result<Active, String> {
    let _guard = l.rt.enter();
    match s {
        ControlSocket::Unix { path } => {
            let claimed = {
                let mut c = l.claims.0.lock().unwrap_or_else(|e| e.into_inner());
                c.iter()
                    .position(|c| c.path() == path.as_path())
                    .map(|i| c.swap_remove(i))
            };
            let claim = match claimed {
                Some(c) => c,
                None => unix::claim(path).map_err(|e| e.to_string())?,
            };
            let listener = unix::bind(&claim).map_err(|e| format!("cannot listen: {e}"))?;
            let task =
                l.rt.spawn(unix::serve(listener, claim, l.ctx.on_socket(s), l.limits));
            Ok(Active {
                spec: s.clone(),
                settings: None,
                task,
            })
        }
        ControlSocket::Http(h) => {
            let settings = Arc::new(RwLock::new(Arc::new(http::Settings::load(h)?)));
            let listener =
                bind_http(h.addr).map_err(|e| format!("cannot listen on {}: {e}", h.addr))?;
            let task = l.rt.spawn(http::serve(
                listener,
                settings.clone(),
                l.ctx.on_socket(s),
                l.limits,
            ));
            Ok(Active {
                spec: s.clone(),
                settings: Some(settings),
                task,
            })
        }
    }
}

/// The control channels of a configuration: those of `Dhcp4`, `Dhcp6`,
/// `DhcpDdns` and Kea's `Control-agent` (one process serves them all; a
/// channel named twice is opened once).
pub fn sockets_of(config: &ruru_config::Config) -> Vec<ruru_config::ControlSocket> {
    let mut out: Vec<ruru_config::ControlSocket> = Vec::new();
    let v4 = config.dhcp4.iter().flat_map(|d| d.control_sockets.iter());
    let v6 = config.dhcp6.iter().flat_map(|d| d.control_sockets.iter());
    let d2 = config
        .dhcp_ddns
        .iter()
        .flat_map(|d| d.control_sockets.iter());
    for c in v4.chain(v6).chain(d2).chain(&config.agent_sockets) {
        if !out.contains(c) {
            out.push(c.clone());
        }
    }
    // The HA partner reaches this server at its own `url` (Kea's
    // dedicated listener): one HTTP listener per address, unless a control
    // socket already listens there. A hub (several relationships) may
    // give one URL in all of them: the first relationship's settings
    // (TLS, credentials) are that listener's.
    let has = config.dhcp4.iter().flat_map(|d| d.ha.iter());
    let has6 = config.dhcp6.iter().flat_map(|d| d.ha.iter());
    for ha in has.chain(has6) {
        let Some(h) = ha_listener(ha) else { continue };
        let taken = out
            .iter()
            .any(|c| matches!(c, ControlSocket::Http(o) if o.addr == h.addr));
        if !taken {
            out.push(ControlSocket::Http(h));
        }
    }
    out
}

/// The HTTP listener at this server's HA `url`: its TLS from the
/// relationship's (or its own peer entry's) files with
/// `require-client-certs`, its basic authentication from its own peer
/// entry's credentials (what partners send to reach it). `None` without
/// an entry for this server (the configuration requires one, and its host
/// to be an IP address, as Kea does).
pub fn ha_listener(ha: &ruru_config::Ha) -> Option<ruru_config::HttpControl> {
    let me = ha.this_peer()?;
    let ip = me.url.host.parse::<std::net::IpAddr>().ok()?;
    let addr = std::net::SocketAddr::new(ip, me.url.port);
    let pick =
        |a: &Option<std::path::PathBuf>, b: &Option<std::path::PathBuf>| a.clone().or(b.clone());
    let tls = match (
        pick(&me.tls.trust_anchor, &ha.tls.trust_anchor),
        pick(&me.tls.cert_file, &ha.tls.cert_file),
        pick(&me.tls.key_file, &ha.tls.key_file),
    ) {
        (Some(trust_anchor), Some(cert_file), Some(key_file)) if me.url.tls => {
            Some(ruru_config::TlsFiles {
                trust_anchor,
                cert_file,
                key_file,
                cert_required: ha.require_client_certs,
            })
        }
        _ => None,
    };
    let auth = me.basic_auth.as_ref().map(|(u, p)| ruru_config::BasicAuth {
        realm: String::new(),
        clients: vec![ruru_config::AuthClient::Split {
            user: ruru_config::Secret::Inline(u.clone()),
            password: p.clone(),
        }],
    });
    Some(ruru_config::HttpControl {
        addr,
        tls,
        auth,
        headers: Vec::new(),
        // Kea 2.4's `restrict-commands`: the partner's commands only.
        commands: ha
            .restrict_commands
            .then_some(crate::ha::commands::PARTNER_COMMANDS),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_listener_queues_a_burst_of_connections_beyond_128() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .unwrap();
        let _guard = rt.enter();
        let listener = bind_http("127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = listener.local_addr().unwrap();
        // Nothing accepts: every connection waits in the kernel's queue. With
        // a backlog of 128 the 130th connect times out (its SYN dropped).
        let mut held = Vec::new();
        for i in 0..512 {
            match std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(500)) {
                Ok(c) => held.push(c),
                Err(e) => panic!("connection {i} not queued: {e}"),
            }
        }
        assert_eq!(held.len(), 512);
    }
}
