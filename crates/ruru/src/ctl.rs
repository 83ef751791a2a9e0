//! `ruru ctl`: send one control command and print the answer.
//!
//! Over a UNIX socket the request is written and the answer read until the
//! server closes (Kea's protocol). Over HTTP(S) the request is POSTed to the
//! URL; the server's one-element answer list is unwrapped so that both
//! transports print the same object.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine as _;
use serde_json::{json, Value};

/// Where and how to send.
#[derive(Debug, Clone)]
pub enum Target {
    Socket(PathBuf),
    Url {
        url: String,
        user: Option<String>,
        password: Option<String>,
        ca: Option<PathBuf>,
        cert: Option<PathBuf>,
        key: Option<PathBuf>,
    },
}

/// Builds Kea's request object.
pub fn request(command: &str, args: Option<Value>, service: Option<&str>) -> Value {
    let mut r = json!({ "command": command });
    if let Some(a) = args {
        r["arguments"] = a;
    }
    if let Some(s) = service {
        r["service"] = json!([s]);
    }
    r
}

/// Sends `req`, returns the answer object.
pub fn send(target: &Target, req: &Value, timeout: Duration) -> Result<Value, String> {
    let body = serde_json::to_vec(req).map_err(|e| e.to_string())?;
    match target {
        Target::Socket(p) => send_unix(p, &body, timeout),
        Target::Url {
            url,
            user,
            password,
            ca,
            cert,
            key,
        } => {
            let auth = user.as_ref().map(|u| {
                let pair = format!("{u}:{}", password.as_deref().unwrap_or(""));
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(pair)
                )
            });
            send_http(
                url,
                auth,
                ca.as_deref(),
                cert.as_deref(),
                key.as_deref(),
                &body,
                timeout,
            )
        }
    }
}

fn send_unix(path: &Path, body: &[u8], timeout: Duration) -> Result<Value, String> {
    let mut s = std::os::unix::net::UnixStream::connect(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    s.set_read_timeout(Some(timeout))
        .map_err(|e| e.to_string())?;
    s.set_write_timeout(Some(timeout))
        .map_err(|e| e.to_string())?;
    s.write_all(body)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out = Vec::new();
    s.read_to_end(&mut out)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_slice(&out).map_err(|e| {
        format!(
            "{}: not a JSON answer ({e}): {}",
            path.display(),
            String::from_utf8_lossy(&out)
        )
    })
}

fn send_http(
    url: &str,
    auth: Option<String>,
    ca: Option<&Path>,
    cert: Option<&Path>,
    key: Option<&Path>,
    body: &[u8],
    timeout: Duration,
) -> Result<Value, String> {
    let tls = match (cert, key) {
        (Some(_), None) | (None, Some(_)) => return Err("--cert and --key go together".into()),
        _ => ruru_server::ha::peer::client_tls(ca, cert, key)?,
    };
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .tls_config(tls)
        .http_status_as_error(false)
        .timeout_global(Some(timeout))
        .build()
        .into();
    let mut req = agent.post(url).header("Content-Type", "application/json");
    if let Some(a) = auth {
        req = req.header("Authorization", a);
    }
    let mut resp = req.send(body).map_err(|e| format!("{url}: {e}"))?;
    let status = resp.status();
    let text = resp
        .body_mut()
        .read_to_string()
        .map_err(|e| format!("{url}: {e}"))?;
    let v: Value = serde_json::from_str(&text)
        .map_err(|_| format!("{url}: HTTP {status}: {}", text.trim()))?;
    Ok(match v {
        Value::Array(mut a) if a.len() == 1 => a.remove(0),
        other => other,
    })
}

/// The exit status for an answer: success for result 0 (success) and 3
/// (empty: nothing found), failure otherwise.
pub fn success(answer: &Value) -> bool {
    matches!(answer.get("result").and_then(Value::as_i64), Some(0 | 3))
}
