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

use std::convert::Infallible;
use std::sync::{Arc, RwLock};

use base64::Engine as _;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, AUTHORIZATION, CONNECTION, CONTENT_TYPE, WWW_AUTHENTICATE};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use ruru_config::{AuthClient, HttpControl, Secret};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tracing::{debug, warn};

use super::commands::{answer, ControlCtx, ERROR};
use super::listener::Limits;

/// What a listener's new connections use; replaced on reload.
pub struct Settings {
    tls: Option<tokio_rustls::TlsAcceptor>,
    auth: Option<Auth>,
}

struct Auth {
    realm: String,
    /// Accepted `user:password` pairs.
    accepted: Vec<Vec<u8>>,
}

fn read_secret(s: &Secret) -> Result<String, String> {
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
        Ok(Settings { tls, auth })
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

/// Accepts connections until the task is aborted.
pub async fn serve(
    listener: TcpListener,
    settings: Arc<RwLock<Arc<Settings>>>,
    ctx: ControlCtx,
    limits: Limits,
) {
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
            debug!("HTTP control socket: too many connections, closing one");
            drop(stream);
            continue;
        };
        let st = settings.read().unwrap_or_else(|e| e.into_inner()).clone();
        let ctx = ctx.clone();
        tokio::spawn(async move {
            let _permit = permit;
            match &st.tls {
                Some(acc) => {
                    match tokio::time::timeout(limits.header_timeout, acc.accept(stream)).await {
                        Ok(Ok(s)) => connection(TokioIo::new(s), st.clone(), ctx, limits).await,
                        Ok(Err(e)) => debug!(error = %e, "TLS handshake failed"),
                        Err(_) => debug!("TLS handshake timed out"),
                    }
                }
                None => connection(TokioIo::new(stream), st.clone(), ctx, limits).await,
            }
        });
    }
}

async fn connection<I>(io: I, st: Arc<Settings>, ctx: ControlCtx, limits: Limits)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let svc = hyper::service::service_fn(move |req| {
        let st = st.clone();
        let ctx = ctx.clone();
        async move { Ok::<_, Infallible>(handle(req, &st, ctx, limits).await) }
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

async fn handle(req: Request<Incoming>, st: &Settings, ctx: ControlCtx, limits: Limits) -> Resp {
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
            return r;
        }
    }
    match (req.method(), req.uri().path()) {
        (&Method::GET, "/metrics") => {
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
    }
}
