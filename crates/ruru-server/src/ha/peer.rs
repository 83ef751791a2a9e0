//! The HTTP side of talking to an HA peer: Kea's control-agent style
//! requests (`POST /` with a JSON command, `Content-Type` and
//! `Content-Length`, optional basic authentication, TLS with the
//! relationship's or the peer's files) and Kea's answer rules: the body
//! must be a list with one answer map; results 0 and 3 are success.

use std::path::Path;
use std::time::Duration;

use base64::Engine as _;
use ruru_config::{Ha, HaPeer, HaTls};
use serde_json::{json, Value};

/// Kea's timeout of every HA request but the lease pages.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a request to a peer failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallError {
    /// No answer, or one that is not Kea's shape.
    Transport(String),
    /// The peer answered with this result (not 0 or 3) and text.
    Result(i64, String),
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallError::Transport(e) => f.write_str(e),
            CallError::Result(r, t) => write!(f, "result {r}: {t}"),
        }
    }
}

/// A client for one peer.
pub struct Peer {
    pub name: String,
    url: String,
    auth: Option<String>,
    agent: ureq::Agent,
    /// The same agent with `sync-timeout` (lease pages).
    slow: ureq::Agent,
}

fn read(p: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()))
}

/// An HTTPS client's TLS settings: the CA certificates to trust
/// (`trust_anchor`; without: the platform's), and the client certificate
/// chain and key to present (both or neither). Shared by HA and `ruru
/// ctl`.
pub fn client_tls(
    trust_anchor: Option<&Path>,
    cert: Option<&Path>,
    key: Option<&Path>,
) -> Result<ureq::tls::TlsConfig, String> {
    use ureq::tls::{parse_pem, ClientCert, PemItem, PrivateKey, RootCerts, TlsConfig};
    let certs_of = |p: &Path| -> Result<Vec<ureq::tls::Certificate<'static>>, String> {
        let pem = read(p)?;
        let v: Vec<_> = parse_pem(&pem)
            .filter_map(|i| match i {
                Ok(PemItem::Certificate(c)) => Some(Ok(c)),
                Ok(_) => None,
                Err(e) => Some(Err(format!("{}: {e}", p.display()))),
            })
            .collect::<Result<_, _>>()?;
        if v.is_empty() {
            return Err(format!("{}: no certificate found", p.display()));
        }
        Ok(v)
    };
    let mut b = TlsConfig::builder();
    if let Some(ca) = trust_anchor {
        b = b.root_certs(RootCerts::new_with_certs(&certs_of(ca)?));
    }
    match (cert, key) {
        (Some(c), Some(k)) => {
            let chain = certs_of(c)?;
            let key =
                PrivateKey::from_pem(&read(k)?).map_err(|e| format!("{}: {e}", k.display()))?;
            b = b.client_cert(Some(ClientCert::new_with_certs(&chain, key)));
        }
        (None, None) => {}
        _ => return Err("a client certificate and its key go together".into()),
    }
    Ok(b.build())
}

impl Peer {
    /// A client for `p` of relationship `ha`.
    pub fn new(ha: &Ha, p: &HaPeer) -> Result<Peer, String> {
        let tls = HaTls {
            trust_anchor: p.tls.trust_anchor.clone().or(ha.tls.trust_anchor.clone()),
            cert_file: p.tls.cert_file.clone().or(ha.tls.cert_file.clone()),
            key_file: p.tls.key_file.clone().or(ha.tls.key_file.clone()),
        };
        let agent = |timeout: Duration| -> Result<ureq::Agent, String> {
            // One kept-alive connection per worker that holds a reply for
            // the partner's answer (ureq keeps only 3 per host by default).
            let mut c = ureq::Agent::config_builder()
                .http_status_as_error(false)
                .max_idle_connections(64)
                .max_idle_connections_per_host(64)
                .timeout_global(Some(timeout));
            if p.url.tls {
                c = c.tls_config(client_tls(
                    tls.trust_anchor.as_deref(),
                    tls.cert_file.as_deref(),
                    tls.key_file.as_deref(),
                )?);
            }
            Ok(c.build().into())
        };
        let auth = match &p.basic_auth {
            None => None,
            Some((u, pw)) => {
                let pw = crate::control::http::read_secret(pw)?;
                Some(format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(format!("{u}:{pw}"))
                ))
            }
        };
        Ok(Peer {
            name: p.name.clone(),
            url: p.url.text.clone(),
            auth,
            agent: agent(REQUEST_TIMEOUT)?,
            slow: agent(Duration::from_millis(ha.sync_timeout_ms.max(1000)))?,
        })
    }

    /// Sends `command` for `service` (`dhcp4`/`dhcp6`) with `arguments`;
    /// the answer map of a result 0 or 3.
    pub fn call(
        &self,
        service: &str,
        command: &str,
        arguments: Option<Value>,
    ) -> Result<Value, CallError> {
        self.send(&self.agent, service, command, arguments)
    }

    /// As [`Peer::call`], with `sync-timeout` as the timeout.
    pub fn call_slow(
        &self,
        service: &str,
        command: &str,
        arguments: Option<Value>,
    ) -> Result<Value, CallError> {
        self.send(&self.slow, service, command, arguments)
    }

    fn send(
        &self,
        agent: &ureq::Agent,
        service: &str,
        command: &str,
        arguments: Option<Value>,
    ) -> Result<Value, CallError> {
        let mut body = json!({ "command": command, "service": [service] });
        if let Some(a) = arguments {
            body["arguments"] = a;
        }
        let url = &self.url;
        let mut req = agent.post(url).header("Content-Type", "application/json");
        if let Some(a) = &self.auth {
            req = req.header("Authorization", a);
        }
        let mut resp = req
            .send(body.to_string().as_bytes())
            .map_err(|e| CallError::Transport(format!("{url}: {e}")))?;
        let status = resp.status();
        let text = resp
            .body_mut()
            .read_to_string()
            .map_err(|e| CallError::Transport(format!("{url}: {e}")))?;
        answer(&text).map_err(|e| match e {
            CallError::Transport(t) => CallError::Transport(format!("{url}: HTTP {status}: {t}")),
            other => other,
        })
    }
}

/// Kea's reading of an answer body: a list holding one map whose
/// `result` is 0 or 3.
pub fn answer(text: &str) -> Result<Value, CallError> {
    let v: Value = serde_json::from_str(text)
        .map_err(|_| CallError::Transport(format!("not a JSON answer: {}", text.trim())))?;
    let Value::Array(mut list) = v else {
        return Err(CallError::Transport("the answer is not a list".into()));
    };
    if list.len() != 1 {
        return Err(CallError::Transport(format!(
            "the answer holds {} elements: expected one",
            list.len()
        )));
    }
    let a = list.remove(0);
    let Some(result) = a.get("result").and_then(Value::as_i64) else {
        return Err(CallError::Transport("the answer has no result".into()));
    };
    match result {
        0 | 3 => Ok(a),
        r => Err(CallError::Result(
            r,
            a.get("text")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_read_as_kea_reads_them() {
        assert!(answer(r#"[{"result": 0, "text": "ok"}]"#).is_ok());
        assert!(answer(r#"[{"result": 3, "text": "empty"}]"#).is_ok());
        assert_eq!(
            answer(r#"[{"result": 2, "text": "unsupported"}]"#),
            Err(CallError::Result(2, "unsupported".into()))
        );
        assert!(matches!(
            answer(r#"{"result": 0}"#),
            Err(CallError::Transport(_))
        ));
        assert!(matches!(answer("[]"), Err(CallError::Transport(_))));
        assert!(matches!(answer("<html>"), Err(CallError::Transport(_))));
    }
}
