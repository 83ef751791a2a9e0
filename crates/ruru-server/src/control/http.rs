//! The HTTP/HTTPS control channel (Kea 3's `control-sockets` with
//! `"socket-type": "http"` / `"https"`).
//!
//! - `POST /` with a JSON command: the answer is a JSON **list** with one
//!   answer object, as Kea's Control Agent and Kea 3's HTTP sockets answer
//!   (`[{"result": 0, ...}]`).
//! - `GET /metrics`: every statistic in the Prometheus text format
//!   ([`super::metrics`]).
//! - With `authentication`, every request needs HTTP basic credentials of a
//!   configured client; otherwise 401 with `WWW-Authenticate: Basic realm=...`
//!   and Kea's body `{"result": 401, "text": "Unauthorized"}`.
//! - With `trust-anchor`/`cert-file`/`key-file`, connections are TLS
//!   (rustls, ring provider); `cert-required` (default true) makes a client
//!   certificate signed by the trust anchor mandatory.
//!
//! # Connection budgets
//!
//! Anyone who can reach the port can open connections, so connections that
//! have not shown they are wanted must not be able to crowd out the ones
//! that have. A listener has two budgets ([`Limits`]):
//!
//! - **pending** (256): connections that have not made an authorized request
//!   yet. They are held to the header deadline (5 s for the TLS handshake,
//!   then 5 s for the request line and headers, not renewed by a trickle of
//!   bytes), and a request without valid credentials gets its 401 and the
//!   connection is closed.
//! - **authorized** (64): connections that have made an authorized request
//!   (valid credentials; without `authentication`, a complete request).
//!   These are kept alive between requests, each request's headers again
//!   within the header deadline. When this budget is full, a newly
//!   authorized connection is answered and then closed (`Connection:
//!   close`), so an administrator is still answered.
//!
//! When the pending budget is full, a new connection **evicts the oldest
//! pending connection** (closed at once, nothing more read from it) rather
//! than being refused. Refusing would let a cheap slow attack lock
//! administrators out: 256 connections renewed every 5 s (about 50 new
//! connections a second) keep the budget full, and each place that frees
//! up goes to whichever connection the accept loop takes next, mostly the
//! attacker's. With eviction, an administrator's connection is the youngest
//! and is evicted only after 256 newer ones; its request (over plain HTTP
//! it arrives with the end of the TCP handshake, over TLS one or two round
//! trips later) only has to be complete before then. Slow connections alone
//! can no longer do it: it takes new connections at 256 per request time,
//! thousands a second, a plain connection flood that has to be stopped in
//! front of ruru (firewall, rate limits). Reconnecting at once (churn) gains
//! a slow attacker nothing: each reconnection pushes out one of the
//! attacker's own oldest connections. Once authorized, a connection is
//! never evicted, so a running command's answer is not lost.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use base64::Engine as _;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, AUTHORIZATION, CONNECTION, CONTENT_TYPE, WWW_AUTHENTICATE};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use ruru_config::{AuthClient, HttpControl, Secret};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tracing::{debug, warn};

use super::commands::{answer, ControlCtx, ERROR};
use super::listener::Limits;

/// What a listener's new connections use; replaced on reload.
pub struct Settings {
    tls: Option<tokio_rustls::TlsAcceptor>,
    auth: Option<Auth>,
    /// `http-headers`, added to every response.
    headers: Vec<(hyper::header::HeaderName, HeaderValue)>,
    /// The only commands answered (`None`: all).
    commands: Option<&'static [&'static str]>,
}

struct Auth {
    realm: String,
    /// Accepted `user:password` pairs.
    accepted: Vec<Vec<u8>>,
}

/// A credential given inline or in a file (read now; a trailing newline
/// is not part of it).
pub(crate) fn read_secret(s: &Secret) -> Result<String, String> {
    match s {
        Secret::Inline(v) => Ok(v.clone()),
        Secret::File(p) => std::fs::read_to_string(p)
            .map(|t| t.trim_end_matches(['\n', '\r']).to_string())
            .map_err(|e| format!("cannot read {}: {e}", p.display())),
    }
}

impl Settings {
    /// Reads the credential and certificate files of `h`.
    pub fn load(h: &HttpControl) -> Result<Settings, String> {
        let auth = match &h.auth {
            None => None,
            Some(a) => {
                let mut accepted = Vec::new();
                for c in &a.clients {
                    let pair = match c {
                        AuthClient::Split { user, password } => {
                            format!("{}:{}", read_secret(user)?, read_secret(password)?)
                        }
                        AuthClient::CombinedFile(p) => {
                            let t = read_secret(&Secret::File(p.clone()))?;
                            if !t.contains(':') {
                                return Err(format!("{}: expected `user:password`", p.display()));
                            }
                            t
                        }
                    };
                    accepted.push(pair.into_bytes());
                }
                Some(Auth {
                    realm: a.realm.clone(),
                    accepted,
                })
            }
        };
        let tls = match &h.tls {
            None => None,
            Some(t) => Some(tls_acceptor(t)?),
        };
        let mut headers = Vec::new();
        for (name, value) in &h.headers {
            let n = hyper::header::HeaderName::from_bytes(name.as_bytes())
                .map_err(|e| format!("http-headers: `{name}`: {e}"))?;
            let v = HeaderValue::from_str(value)
                .map_err(|e| format!("http-headers: `{name}` value: {e}"))?;
            headers.push((n, v));
        }
        Ok(Settings {
            tls,
            auth,
            headers,
            commands: h.commands,
        })
    }
}

fn tls_acceptor(t: &ruru_config::TlsFiles) -> Result<tokio_rustls::TlsAcceptor, String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs = |p: &std::path::Path| -> Result<Vec<CertificateDer<'static>>, String> {
        let v: Vec<_> = CertificateDer::pem_file_iter(p)
            .map_err(|e| format!("{}: {e}", p.display()))?
            .collect::<Result<_, _>>()
            .map_err(|e| format!("{}: {e}", p.display()))?;
        if v.is_empty() {
            return Err(format!("{}: no certificate found", p.display()));
        }
        Ok(v)
    };
    let chain = certs(&t.cert_file)?;
    let key = PrivateKeyDer::from_pem_file(&t.key_file)
        .map_err(|e| format!("{}: {e}", t.key_file.display()))?;
    let mut roots = rustls::RootCertStore::empty();
    for c in certs(&t.trust_anchor)? {
        roots
            .add(c)
            .map_err(|e| format!("{}: {e}", t.trust_anchor.display()))?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    );
    let verifier = if t.cert_required {
        verifier.build()
    } else {
        verifier.allow_unauthenticated().build()
    }
    .map_err(|e| format!("{}: {e}", t.trust_anchor.display()))?;
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .map_err(|e| format!("{}: {e}", t.cert_file.display()))?;
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(cfg)))
}

/// The connection budgets of one HTTP listener (see the module doc).
struct Budget {
    max_pending: usize,
    max_authorized: usize,
    slots: Mutex<Slots>,
}

#[derive(Default)]
struct Slots {
    next_id: u64,
    /// Connections without an authorized request yet, oldest first, each
    /// with the signal that closes it when it is evicted.
    pending: VecDeque<(u64, Arc<Notify>)>,
    /// Connections that have made an authorized request.
    authorized: usize,
}

impl Budget {
    fn new(limits: &Limits) -> Arc<Budget> {
        Arc::new(Budget {
            max_pending: limits.max_pending.max(1),
            max_authorized: limits.max_connections,
            slots: Mutex::new(Slots::default()),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Slots> {
        self.slots.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Admits a new connection as pending. When the pending budget is full,
    /// the oldest pending connection is evicted: its signal fires.
    fn admit(self: &Arc<Self>) -> (Slot, Arc<Notify>) {
        let mut s = self.lock();
        while s.pending.len() >= self.max_pending {
            if let Some((_, evict)) = s.pending.pop_front() {
                evict.notify_one();
            }
        }
        let id = s.next_id;
        s.next_id += 1;
        let evict = Arc::new(Notify::new());
        s.pending.push_back((id, evict.clone()));
        let slot = Slot {
            budget: self.clone(),
            id,
            authorized: AtomicBool::new(false),
        };
        (slot, evict)
    }
}

/// One connection's place in its listener's budgets; given back on drop.
struct Slot {
    budget: Arc<Budget>,
    id: u64,
    /// Whether the connection counts in the authorized budget (changed
    /// only under the budget's lock).
    authorized: AtomicBool,
}

impl Slot {
    /// The connection has made an authorized request: it moves from the
    /// pending budget to the authorized one. False when it cannot stay open
    /// (the authorized budget is full, or it was evicted meanwhile): it then
    /// leaves the pending budget as well, and is closed after its answer.
    fn authorize(&self) -> bool {
        let mut s = self.budget.lock();
        if self.authorized.load(Ordering::Relaxed) {
            return true;
        }
        let Some(i) = s.pending.iter().position(|(id, _)| *id == self.id) else {
            return false;
        };
        s.pending.remove(i);
        if s.authorized >= self.budget.max_authorized {
            return false;
        }
        s.authorized += 1;
        self.authorized.store(true, Ordering::Relaxed);
        true
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut s = self.budget.lock();
        if self.authorized.load(Ordering::Relaxed) {
            s.authorized -= 1;
        } else if let Some(i) = s.pending.iter().position(|(id, _)| *id == self.id) {
            s.pending.remove(i);
        }
    }
}

/// Accepts connections until the task is aborted.
pub async fn serve(
    listener: TcpListener,
    settings: Arc<RwLock<Arc<Settings>>>,
    ctx: ControlCtx,
    limits: Limits,
) {
    let budget = Budget::new(&limits);
    loop {
        let stream = match listener.accept().await {
            Ok((s, _)) => s,
            Err(e) => {
                warn!(error = %e, "control socket accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        let (slot, evicted) = budget.admit();
        let slot = Arc::new(slot);
        let st = settings.read().unwrap_or_else(|e| e.into_inner()).clone();
        let ctx = ctx.clone();
        tokio::spawn(async move {
            let work = async {
                match &st.tls {
                    Some(acc) => {
                        match tokio::time::timeout(limits.header_timeout, acc.accept(stream)).await
                        {
                            Ok(Ok(s)) => {
                                connection(TokioIo::new(s), st.clone(), ctx, limits, slot).await
                            }
                            Ok(Err(e)) => debug!(error = %e, "TLS handshake failed"),
                            Err(_) => debug!("TLS handshake timed out"),
                        }
                    }
                    None => connection(TokioIo::new(stream), st.clone(), ctx, limits, slot).await,
                }
            };
            tokio::select! {
                () = work => {}
                () = evicted.notified() => {
                    debug!("HTTP control socket: pending connections full, closed the oldest");
                }
            }
        });
    }
}

async fn connection<I>(io: I, st: Arc<Settings>, ctx: ControlCtx, limits: Limits, slot: Arc<Slot>)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let svc = hyper::service::service_fn(move |req| {
        let st = st.clone();
        let ctx = ctx.clone();
        let slot = slot.clone();
        async move {
            let mut r = handle(req, &st, ctx, limits, &slot).await;
            // Kea's `http-headers`: on every response.
            for (n, v) in &st.headers {
                r.headers_mut().append(n.clone(), v.clone());
            }
            Ok::<_, Infallible>(r)
        }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true)
        .serve_connection(io, svc);
    // A request must arrive and be answered within the timeout, but a
    // command may legitimately take longer: bound only idle/reading time via
    // hyper's header timeout and the body timeout below; this outer bound is
    // a backstop against a stalled peer.
    let _ = tokio::time::timeout(limits.timeout * 30, conn).await;
}

type Resp = Response<Full<Bytes>>;

fn json_response(status: StatusCode, v: &Value) -> Resp {
    let mut r = Response::new(Full::new(Bytes::from(
        serde_json::to_vec(v).unwrap_or_default(),
    )));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

fn authorized(auth: &Auth, req: &Request<Incoming>) -> bool {
    let Some(h) = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let Some((scheme, cred)) = h.trim().split_once(' ') else {
        return false;
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return false;
    }
    let Ok(pair) = base64::engine::general_purpose::STANDARD.decode(cred.trim()) else {
        return false;
    };
    // Compare against every client without stopping early.
    auth.accepted
        .iter()
        .fold(false, |ok, a| ok | constant_time_eq(a, &pair))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

/// Answers one request, and moves the connection to the authorized budget
/// once it has made an authorized request: with authentication, one with
/// valid credentials; without, one that arrived complete. A request without
/// valid credentials closes the connection after its 401.
async fn handle(
    req: Request<Incoming>,
    st: &Settings,
    ctx: ControlCtx,
    limits: Limits,
    slot: &Slot,
) -> Resp {
    // Whether the connection may stay open after this answer.
    let mut keep = true;
    let open = st.auth.is_none();
    if let Some(auth) = &st.auth {
        if !authorized(auth, &req) {
            let mut r = json_response(
                StatusCode::UNAUTHORIZED,
                &json!({"result": 401, "text": "Unauthorized"}),
            );
            let realm = auth.realm.replace(['"', '\\'], "");
            if let Ok(v) = HeaderValue::from_str(&format!("Basic realm=\"{realm}\"")) {
                r.headers_mut().insert(WWW_AUTHENTICATE, v);
            }
            r.headers_mut()
                .insert(CONNECTION, HeaderValue::from_static("close"));
            return r;
        }
        keep = slot.authorize();
    }
    let mut r = match (req.method(), req.uri().path()) {
        (&Method::GET, "/metrics") => {
            if open {
                keep = slot.authorize();
            }
            let text = super::metrics::render(&ctx.shared);
            let mut r = Response::new(Full::new(Bytes::from(text)));
            r.headers_mut().insert(
                CONTENT_TYPE,
                HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
            );
            r
        }
        (&Method::POST, "/") => {
            let body = Limited::new(req.into_body(), limits.max_request);
            let bytes = match tokio::time::timeout(limits.timeout, body.collect()).await {
                Err(_) => {
                    let mut r = json_response(
                        StatusCode::REQUEST_TIMEOUT,
                        &json!([answer(
                            ERROR,
                            "Connection over control channel timed out",
                            None
                        )]),
                    );
                    r.headers_mut()
                        .insert(CONNECTION, HeaderValue::from_static("close"));
                    return r;
                }
                Ok(Err(e)) => {
                    let too_large = e
                        .downcast_ref::<http_body_util::LengthLimitError>()
                        .is_some();
                    let (status, text) = if too_large {
                        (
                            StatusCode::PAYLOAD_TOO_LARGE,
                            format!("request too large: more than {} bytes", limits.max_request),
                        )
                    } else {
                        (
                            StatusCode::BAD_REQUEST,
                            format!("cannot read the request: {e}"),
                        )
                    };
                    let mut r = json_response(status, &json!([answer(ERROR, text, None)]));
                    r.headers_mut()
                        .insert(CONNECTION, HeaderValue::from_static("close"));
                    return r;
                }
                Ok(Ok(c)) => c.to_bytes(),
            };
            if open {
                keep = slot.authorize();
            }
            if let Some(refused) = refused(st.commands, &bytes) {
                return json_response(StatusCode::OK, &Value::Array(vec![refused]));
            }
            let a = super::unix::run(ctx, bytes.to_vec()).await;
            json_response(StatusCode::OK, &Value::Array(vec![a]))
        }
        (_, "/") | (_, "/metrics") => json_response(
            StatusCode::METHOD_NOT_ALLOWED,
            &json!({"result": 1, "text": "method not allowed: expected POST / or GET /metrics"}),
        ),
        _ => json_response(
            StatusCode::NOT_FOUND,
            &json!({"result": 1, "text": "not found: expected POST / or GET /metrics"}),
        ),
    };
    if !keep {
        r.headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
    }
    r
}

/// The answer to a request for a command outside `allowed` (HA's
/// `restrict-commands`); `None` when it may run (or is not a command:
/// the dispatcher answers that).
fn refused(allowed: Option<&[&str]>, body: &[u8]) -> Option<Value> {
    let allowed = allowed?;
    let v: Value = serde_json::from_slice(body).ok()?;
    let c = v.get("command")?.as_str()?;
    (!allowed.contains(&c)).then(|| {
        answer(
            super::commands::UNSUPPORTED,
            format!("'{c}' command not supported."),
            None,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restricted_listeners_answer_only_their_commands() {
        let allowed: &[&str] = &["ha-heartbeat"];
        let body = |c: &str| format!(r#"{{"command": "{c}"}}"#).into_bytes();
        assert!(refused(None, &body("config-get")).is_none());
        assert!(refused(Some(allowed), &body("ha-heartbeat")).is_none());
        let r = refused(Some(allowed), &body("config-get")).unwrap();
        assert_eq!(r["result"], 2);
        assert_eq!(r["text"], "'config-get' command not supported.");
        // Not a command: the dispatcher's answer.
        assert!(refused(Some(allowed), b"{").is_none());
    }
    use std::time::Duration;

    fn budget(pending: usize, authorized: usize) -> Arc<Budget> {
        Budget::new(&Limits {
            max_pending: pending,
            max_connections: authorized,
            ..Limits::default()
        })
    }

    /// Whether `n` has fired.
    async fn fired(n: &Notify) -> bool {
        tokio::time::timeout(Duration::ZERO, n.notified())
            .await
            .is_ok()
    }

    fn counts(b: &Budget) -> (usize, usize) {
        let s = b.lock();
        (s.pending.len(), s.authorized)
    }

    #[tokio::test]
    async fn a_full_pending_budget_evicts_the_oldest() {
        let b = budget(2, 8);
        let (s1, e1) = b.admit();
        let (s2, e2) = b.admit();
        assert_eq!(counts(&b), (2, 0));
        let (s3, e3) = b.admit();
        assert!(fired(&e1).await, "the oldest goes");
        assert!(!fired(&e2).await && !fired(&e3).await);
        assert_eq!(counts(&b), (2, 0));
        // An evicted connection cannot become authorized.
        assert!(!s1.authorize());
        drop(s1);
        assert_eq!(counts(&b), (2, 0));
        // An authorized connection leaves the pending budget, and is never
        // evicted.
        assert!(s2.authorize());
        assert!(s2.authorize(), "again: still authorized");
        assert_eq!(counts(&b), (1, 1));
        let (_s4, _e4) = b.admit();
        let (_s5, _e5) = b.admit();
        assert!(!fired(&e2).await);
        assert!(fired(&e3).await);
        drop(s3);
        drop(s2);
        assert_eq!(counts(&b), (2, 0));
    }

    #[test]
    fn a_full_authorized_budget_answers_then_closes() {
        let b = budget(4, 1);
        let (s1, _e1) = b.admit();
        let (s2, _e2) = b.admit();
        assert!(s1.authorize());
        assert!(!s2.authorize(), "no room: answered, then closed");
        // It counts in neither budget while it finishes.
        assert_eq!(counts(&b), (0, 1));
        drop(s2);
        assert_eq!(counts(&b), (0, 1));
        drop(s1);
        assert_eq!(counts(&b), (0, 0));
        let (s3, _e3) = b.admit();
        assert!(s3.authorize(), "room again");
    }
}
