//! Control channels of both families: `control-socket` /
//! `control-sockets` (UNIX sockets; HTTP and HTTPS with their TLS files),
//! each socket used once, and HTTP basic `authentication` (users and
//! passwords inline or in files); Kea's `Control-agent` section, read as
//! one more HTTP(S) socket.

use std::collections::HashSet;
use std::net::Ipv4Addr;
use std::path::PathBuf;

use super::V;
use crate::{file, model};

pub(super) fn control_sockets(
    v: &mut V,
    p: &str,
    single: Option<&file::ControlSocket>,
    list: Option<&[file::ControlSocket]>,
) -> Vec<model::ControlSocket> {
    let list: Vec<(String, &file::ControlSocket)> = match (single, list) {
        (Some(_), Some(_)) => {
            v.err(
                format!("{p}.control-sockets"),
                "`control-socket` and `control-sockets` are both set: expected only one of them",
            );
            return Vec::new();
        }
        (Some(c), None) => vec![(format!("{p}.control-socket"), c)],
        (None, Some(l)) => l
            .iter()
            .enumerate()
            .map(|(i, c)| (format!("{p}.control-sockets[{i}]"), c))
            .collect(),
        (None, None) => Vec::new(),
    };
    let mut out: Vec<model::ControlSocket> = Vec::new();
    /// What a socket of `out` uses.
    #[derive(PartialEq, Eq, Hash)]
    enum Used {
        Path(PathBuf),
        Addr(std::net::SocketAddr),
    }
    let mut used: HashSet<Used> = HashSet::new();
    for (p, c) in list {
        let Some(sock) = control_socket(v, &p, c) else {
            continue;
        };
        let key = match &sock {
            model::ControlSocket::Unix { path } => Used::Path(path.clone()),
            model::ControlSocket::Http(h) => Used::Addr(h.addr),
        };
        if !used.insert(key) {
            let key = match sock {
                model::ControlSocket::Unix { .. } => "socket-name",
                model::ControlSocket::Http(_) => "socket-port",
            };
            v.err(
                format!("{p}.{key}"),
                "another control socket already uses this: expected each socket once",
            );
            continue;
        }
        out.push(sock);
    }
    out
}

/// `http-headers`: each name an HTTP token (RFC 9110 §5.1), each value
/// visible characters, spaces and tabs (no line break); `None` after an
/// error.
fn http_headers(v: &mut V, p: &str, hs: &[file::HttpHeader]) -> Option<Vec<(String, String)>> {
    let tchar = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    let mut ok = true;
    let mut out = Vec::new();
    for (i, h) in hs.iter().enumerate() {
        if h.name.is_empty() || !h.name.chars().all(tchar) {
            v.err(
                format!("{p}.http-headers[{i}].name"),
                format!(
                    "`{}` is not an HTTP header name: expected letters, digits and !#$%&'*+-.^_`|~",
                    h.name
                ),
            );
            ok = false;
        }
        if !h
            .value
            .chars()
            .all(|c| c == ' ' || c == '\t' || c.is_ascii_graphic())
        {
            v.err(
                format!("{p}.http-headers[{i}].value"),
                "not an HTTP header value: expected visible ASCII characters, spaces and tabs (no line break)",
            );
            ok = false;
        }
        out.push((h.name.clone(), h.value.clone()));
    }
    ok.then_some(out)
}

fn control_socket(v: &mut V, p: &str, c: &file::ControlSocket) -> Option<model::ControlSocket> {
    let tls_keys = [
        ("trust-anchor", &c.trust_anchor),
        ("cert-file", &c.cert_file),
        ("key-file", &c.key_file),
    ];
    match c.socket_type.as_str() {
        "unix" => {
            let not_for_unix = [
                ("socket-address", c.socket_address.is_some()),
                ("socket-port", c.socket_port.is_some()),
                ("authentication", c.authentication.is_some()),
                ("trust-anchor", c.trust_anchor.is_some()),
                ("cert-file", c.cert_file.is_some()),
                ("key-file", c.key_file.is_some()),
                ("cert-required", c.cert_required.is_some()),
                ("http-headers", c.http_headers.is_some()),
            ];
            let mut ok = true;
            for (key, set) in not_for_unix {
                if set {
                    v.err(
                        format!("{p}.{key}"),
                        format!("`{key}` is not valid for a unix control socket: expected it only with \"http\" or \"https\""),
                    );
                    ok = false;
                }
            }
            match c.socket_name.as_deref() {
                None => {
                    v.err(
                        p,
                        "missing required key `socket-name` for a unix control socket",
                    );
                    None
                }
                Some("") => {
                    v.err(
                        format!("{p}.socket-name"),
                        "empty socket name: expected a path",
                    );
                    None
                }
                Some(name) => ok.then(|| model::ControlSocket::Unix {
                    path: PathBuf::from(name),
                }),
            }
        }
        "http" | "https" => {
            let mut ok = true;
            if c.socket_name.is_some() {
                v.err(
                    format!("{p}.socket-name"),
                    "`socket-name` is not valid for an HTTP control socket: expected `socket-address` and `socket-port`",
                );
                ok = false;
            }
            let ip = match &c.socket_address {
                None => std::net::IpAddr::V4(Ipv4Addr::LOCALHOST),
                Some(a) => match a.trim().parse::<std::net::IpAddr>() {
                    Ok(ip) => ip,
                    Err(_) => {
                        v.err(
                            format!("{p}.socket-address"),
                            format!("`{a}` is not an IP address: expected e.g. \"127.0.0.1\""),
                        );
                        ok = false;
                        std::net::IpAddr::V4(Ipv4Addr::LOCALHOST)
                    }
                },
            };
            let port = c.socket_port.unwrap_or(8000);
            if port == 0 {
                v.err(
                    format!("{p}.socket-port"),
                    "0 is out of range: expected 1..=65535",
                );
                ok = false;
            }
            let set: Vec<&str> = tls_keys
                .iter()
                .filter(|(_, v)| v.as_deref().is_some_and(|s| !s.is_empty()))
                .map(|(k, _)| *k)
                .collect();
            let tls = if set.is_empty() {
                if c.socket_type == "https" {
                    v.err(
                        format!("{p}.socket-type"),
                        "no TLS setup for an HTTPS control socket: expected `trust-anchor`, `cert-file` and `key-file`",
                    );
                    ok = false;
                }
                if c.cert_required.is_some() {
                    v.err(
                        format!("{p}.cert-required"),
                        "`cert-required` without TLS: expected `trust-anchor`, `cert-file` and `key-file` too",
                    );
                    ok = false;
                }
                None
            } else if set.len() < tls_keys.len() {
                for (k, val) in tls_keys {
                    if val.as_deref().is_none_or(str::is_empty) {
                        let path = if val.is_some() {
                            format!("{p}.{k}")
                        } else {
                            p.to_string()
                        };
                        v.err(
                            path,
                            format!("`{k}` is missing or empty: all or none of `trust-anchor`, `cert-file` and `key-file` must be set"),
                        );
                    }
                }
                ok = false;
                None
            } else {
                Some(model::TlsFiles {
                    trust_anchor: PathBuf::from(c.trust_anchor.clone().unwrap_or_default()),
                    cert_file: PathBuf::from(c.cert_file.clone().unwrap_or_default()),
                    key_file: PathBuf::from(c.key_file.clone().unwrap_or_default()),
                    cert_required: c.cert_required.unwrap_or(true),
                })
            };
            let auth = match &c.authentication {
                None => None,
                Some(a) => {
                    let r = authentication(v, &format!("{p}.authentication"), a);
                    ok &= r.is_some();
                    r
                }
            };
            let headers = http_headers(v, p, c.http_headers.as_deref().unwrap_or_default());
            ok &= headers.is_some();
            ok.then(|| {
                model::ControlSocket::Http(model::HttpControl {
                    commands: None,
                    addr: std::net::SocketAddr::new(ip, port),
                    tls,
                    auth,
                    headers: headers.unwrap_or_default(),
                })
            })
        }
        other => {
            v.err(
                format!("{p}.socket-type"),
                format!("unknown control socket type `{other}`: expected \"unix\", \"http\" or \"https\""),
            );
            None
        }
    }
}

fn authentication(v: &mut V, p: &str, a: &file::Authentication) -> Option<model::BasicAuth> {
    let mut ok = true;
    if a.kind != "basic" {
        v.err(
            format!("{p}.type"),
            format!(
                "unknown authentication type `{}`: expected \"basic\"",
                a.kind
            ),
        );
        ok = false;
    }
    let dir = PathBuf::from(a.directory.clone().unwrap_or_default());
    let in_dir = |f: &str| dir.join(f);
    let mut clients = Vec::new();
    for (i, c) in a.clients.iter().flatten().enumerate() {
        let cp = format!("{p}.clients[{i}]");
        if let Some(u) = &c.user {
            if u.contains(':') {
                v.err(
                    format!("{cp}.user"),
                    "user name contains `:`: expected none",
                );
                ok = false;
            }
        }
        if c.user.is_some() && c.user_file.is_some() {
            v.err(
                format!("{cp}.user-file"),
                "`user` and `user-file` are both set: expected only one",
            );
            ok = false;
            continue;
        }
        if c.password.is_some() && c.password_file.is_some() {
            v.err(
                format!("{cp}.password-file"),
                "`password` and `password-file` are both set: expected only one",
            );
            ok = false;
            continue;
        }
        let user = match (&c.user, &c.user_file) {
            (Some(u), _) => Some(model::Secret::Inline(u.clone())),
            (None, Some(f)) => Some(model::Secret::File(in_dir(f))),
            (None, None) => None,
        };
        let password = match (&c.password, &c.password_file) {
            (Some(pw), _) => Some(model::Secret::Inline(pw.clone())),
            (None, Some(f)) => Some(model::Secret::File(in_dir(f))),
            (None, None) => None,
        };
        match (user, password) {
            (Some(user), Some(password)) => {
                clients.push(model::AuthClient::Split { user, password })
            }
            (Some(user), None) => clients.push(model::AuthClient::Split {
                user,
                password: model::Secret::Inline(String::new()),
            }),
            (None, Some(_)) if c.password_file.is_some() => {
                clients.push(model::AuthClient::CombinedFile(in_dir(
                    c.password_file.as_deref().unwrap_or_default(),
                )));
            }
            _ => {
                v.err(
                    cp,
                    "no user: expected `user` or `user-file` (or a `password-file` holding `user:password`)",
                );
                ok = false;
            }
        }
    }
    ok.then(|| model::BasicAuth {
        realm: a.realm.clone().unwrap_or_default(),
        clients,
    })
}

/// Kea's `Control-agent` section as one HTTP(S) control socket (TLS when
/// its TLS files are given, as Kea's agent). Its errors name the agent's
/// keys (`http-host`, `http-port`, ...).
pub(super) fn control_agent(v: &mut V, a: &file::ControlAgent) -> Vec<model::ControlSocket> {
    const P: &str = "Control-agent";
    let before = v.problems.len();
    super::common::loggers(
        v,
        &super::Section {
            name: P,
            lease_file: "",
            logger: "kea-ctrl-agent",
        },
        a.loggers.as_deref(),
    );
    if a.hooks_libraries
        .as_ref()
        .is_some_and(|h| h.as_array().is_none_or(|l| !l.is_empty()))
    {
        v.unsupported(format!("{P}.hooks-libraries"));
    }
    let sock = file::ControlSocket {
        comment: None,
        user_context: None,
        socket_type: "http".into(),
        socket_name: None,
        socket_address: a.http_host.clone(),
        socket_port: a.http_port,
        authentication: a.authentication.clone(),
        trust_anchor: a.trust_anchor.clone(),
        cert_file: a.cert_file.clone(),
        key_file: a.key_file.clone(),
        cert_required: a.cert_required,
        http_headers: a.http_headers.clone(),
    };
    let out = control_sockets(v, P, Some(&sock), None);
    let inner = format!("{P}.control-socket");
    for p in &mut v.problems[before..] {
        if let Some(rest) = p.path.strip_prefix(&inner) {
            let rest = match rest {
                ".socket-address" => ".http-host",
                ".socket-port" => ".http-port",
                other => other,
            };
            p.path = format!("{P}{rest}");
        }
    }
    out
}
