//! End-to-end tests of the control channels: the real `ruru` binary with
//! UNIX and HTTP/HTTPS control sockets on loopback, driven by raw sockets and
//! by `ruru ctl`.
//!
//! The read timeout is shortened with the hidden `--control-timeout-ms` flag
//! so that the idle-connection tests are fast. Tests that send DHCP need to
//! bind port 67 on loopback (see tests/common/mod.rs) and print SKIP without it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::clib::build_lib;
use common::v6::{
    addr_of, bind_relay, ia_na, ia_pd, msg, prefix_of, server_duid, Relay6, ONE_AT_A_TIME,
};
use common::{
    can_bind_67, free_port, relay_addr_for, skip, wait_until, Client, Relay, Server, BIN,
};
use serde_json::{json, Value};

/// Control timeout given to the servers here (ms).
const TIMEOUT_MS: u64 = 600;

/// A free TCP port on 127.0.0.1.
fn free_tcp_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running `ruru serve` with control sockets.
struct Srv {
    child: Child,
    dir: tempfile::TempDir,
    port: u16,
    http: u16,
}

impl Srv {
    /// `control` is the `control-sockets` list; `@DIR@` is the temp dir and
    /// `@HTTP@` a free TCP port.
    fn start(control: &str, relay: Ipv4Addr) -> Srv {
        Self::start_in(tempfile::tempdir().unwrap(), control, relay)
    }

    fn start_in(dir: tempfile::TempDir, control: &str, relay: Ipv4Addr) -> Srv {
        Self::start_with(dir, control, relay, Some(TIMEOUT_MS))
    }

    /// `timeout_ms`: the `--control-timeout-ms` to pass; `None` runs with
    /// the production timeouts.
    fn start_with(
        dir: tempfile::TempDir,
        control: &str,
        relay: Ipv4Addr,
        timeout_ms: Option<u64>,
    ) -> Srv {
        let http = free_tcp_port();
        let d = dir.path().to_str().unwrap().to_string();
        let cfg = config(control, relay)
            .replace("@DIR@", &d)
            .replace("@HTTP@", &http.to_string());
        std::fs::write(dir.path().join("ruru.json"), cfg).unwrap();
        let port = free_port();
        let log = std::fs::File::create(dir.path().join("log")).unwrap();
        let child = Command::new(BIN)
            .args(["serve", "-c"])
            .arg(dir.path().join("ruru.json"))
            .args(["-p", &port.to_string(), "-P", &free_port().to_string()])
            .args(["--threads", "2"])
            .args(
                timeout_ms
                    .map(|t| vec!["--control-timeout-ms".to_string(), t.to_string()])
                    .unwrap_or_default(),
            )
            .current_dir(dir.path())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let mut s = Srv {
            child,
            dir,
            port,
            http,
        };
        let t0 = Instant::now();
        while !s.log().contains("ruru ready") {
            if t0.elapsed() > Duration::from_secs(20) || s.child.try_wait().unwrap().is_some() {
                panic!("ruru did not start:\n{}", s.log());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        s
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default()
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn sock(&self) -> PathBuf {
        self.path("ctl.sock")
    }

    fn url(&self, scheme: &str) -> String {
        format!("{scheme}://127.0.0.1:{}/", self.http)
    }

    fn stop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

impl Drop for Srv {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn config(control: &str, relay: Ipv4Addr) -> String {
    format!(
        r#"{{ "Dhcp4": {{
  "interfaces-config": {{ "interfaces": ["lo"], "dhcp-socket-type": "udp" }},
  "lease-database": {{ "type": "memfile", "persist": false }},
  "control-sockets": {control},
  "hooks-libraries": [ {{ "library": "/usr/lib/kea/hooks/libdhcp_lease_cmds.so" }} ],
  "subnet4": [ {{ "id": 1, "subnet": "192.0.2.0/24",
    "pools": [ {{ "pool": "192.0.2.100 - 192.0.2.199" }} ],
    "relay": {{ "ip-addresses": ["{relay}"] }} }} ]
}} }}"#
    )
}

const UNIX_ONLY: &str = r#"[ { "socket-type": "unix", "socket-name": "@DIR@/ctl.sock" } ]"#;

/// One request over the UNIX socket; the raw answer bytes.
fn unix_raw(sock: &Path, body: &[u8]) -> Vec<u8> {
    let mut s = UnixStream::connect(sock).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(body).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    out
}

fn unix_cmd(sock: &Path, body: &str) -> Value {
    let out = unix_raw(sock, body.as_bytes());
    serde_json::from_slice(&out)
        .unwrap_or_else(|e| panic!("{e}: {:?}", String::from_utf8_lossy(&out)))
}

/// A raw HTTP/1.1 exchange (Connection: close): status, head, body.
fn http(
    port: u16,
    method: &str,
    path: &str,
    auth: Option<&str>,
    body: &str,
) -> (u16, String, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some(a) = auth {
        req.push_str(&format!("Authorization: Basic {a}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let (head, body) = out.split_once("\r\n\r\n").unwrap_or((&out, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, head.to_string(), body.to_string())
}

/// `ruru ctl ARGS`: exit code, stdout, stderr.
fn ctl(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN)
        .arg("ctl")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

// base64 of "admin:s3cret", "admin:wrong", "filed:pw"
const GOOD: &str = "YWRtaW46czNjcmV0";
const WRONG: &str = "YWRtaW46d3Jvbmc=";
const FILED: &str = "ZmlsZWQ6cHc=";

#[test]
fn unix_socket_is_0600_and_answers_kea_requests() {
    let dir = tempfile::tempdir().unwrap();
    // A stale socket file from an earlier run is replaced.
    drop(std::os::unix::net::UnixListener::bind(dir.path().join("ctl.sock")).unwrap());
    let mut srv = Srv::start_in(dir, UNIX_ONLY, relay_addr_for("ctl_unix"));
    let mode = std::fs::metadata(srv.sock()).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");

    let a = unix_cmd(&srv.sock(), r#"{"command": "version-get"}"#);
    assert_eq!(a["result"], 0, "{a}");
    assert!(
        a["text"]
            .as_str()
            .unwrap()
            .contains(env!("CARGO_PKG_VERSION")),
        "{a}"
    );
    let a = unix_cmd(
        &srv.sock(),
        r#"{"command": "list-commands", "service": ["dhcp4"]}"#,
    );
    let list: Vec<&str> = a["arguments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        list.contains(&"version-get") && list.contains(&"list-commands"),
        "{a}"
    );
    // The request may arrive in pieces.
    let mut s = UnixStream::connect(srv.sock()).unwrap();
    s.write_all(br#"{"command": "#).unwrap();
    std::thread::sleep(Duration::from_millis(50));
    s.write_all(br#""version-get"}"#).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    assert_eq!(serde_json::from_slice::<Value>(&out).unwrap()["result"], 0);

    let a = unix_cmd(&srv.sock(), r#"{"command": "no-such-command"}"#);
    assert_eq!(a["result"], 2, "{a}");
    let a = unix_cmd(&srv.sock(), r#"{"command": "version-get" ]"#);
    assert_eq!(a["result"], 1, "{a}");
    let a = unix_cmd(&srv.sock(), r#"["not", "an", "object"]"#);
    assert_eq!(a["result"], 1, "{a}");

    srv.stop();
    assert!(!srv.sock().exists(), "socket file left behind");
}

#[test]
fn ctl_over_unix_and_http() {
    let srv = Srv::start(
        r#"[ { "socket-type": "unix", "socket-name": "@DIR@/ctl.sock" },
             { "socket-type": "http", "socket-port": @HTTP@ } ]"#,
        relay_addr_for("ctl_both"),
    );
    let sock = srv.sock();
    let sock = sock.to_str().unwrap();
    let (code, out, err) = ctl(&["--socket", sock, "version-get"]);
    assert_eq!(code, 0, "{out}{err}");
    let a: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(a["result"], 0);
    assert!(out.contains("\n  \"result\": 0"), "pretty printed: {out}");

    let url = srv.url("http");
    let (code, out, err) = ctl(&["--url", &url, "version-get", "--service", "dhcp4"]);
    assert_eq!(code, 0, "{out}{err}");
    let b: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(a, b, "both transports print the same object");

    let (code, out, _) = ctl(&[
        "--url",
        &url,
        "statistic-get",
        "--args",
        r#"{"name": "pkt4-received"}"#,
    ]);
    assert_eq!(code, 0, "{out}");
    let (code, out, _) = ctl(&["--socket", sock, "no-such-command"]);
    assert_eq!(code, 1, "{out}");
    assert_eq!(serde_json::from_str::<Value>(&out).unwrap()["result"], 2);
    let (code, _, err) = ctl(&["--socket", sock, "version-get", "--args", "{nope"]);
    assert_eq!(code, 1);
    assert!(err.contains("--args"), "{err}");
    let (code, _, err) = ctl(&["--socket", "/nonexistent/ruru.sock", "version-get"]);
    assert_eq!(code, 1);
    assert!(err.contains("/nonexistent/ruru.sock"), "{err}");

    // Raw HTTP: the answer is a one-element list.
    let (status, head, body) = http(srv.http, "POST", "/", None, r#"{"command": "version-get"}"#);
    assert_eq!(status, 200, "{head}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 1, "{v}");
    assert_eq!(v[0]["result"], 0);
    let (status, _, body) = http(srv.http, "POST", "/", None, "{");
    assert_eq!(status, 200);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()[0]["result"],
        1
    );
    let (status, _, _) = http(srv.http, "GET", "/nope", None, "");
    assert_eq!(status, 404);
}

#[test]
fn http_basic_authentication() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("creds"), "filed:pw\n").unwrap();
    let srv = Srv::start_in(
        dir,
        r#"[ { "socket-type": "http", "socket-port": @HTTP@,
               "authentication": { "type": "basic", "realm": "ruru-test", "directory": "@DIR@",
                 "clients": [ { "user": "admin", "password": "s3cret" },
                              { "password-file": "creds" } ] } } ]"#,
        relay_addr_for("ctl_auth"),
    );
    let cmd = r#"{"command": "version-get"}"#;
    for auth in [None, Some(WRONG), Some("bm9jb2xvbg==")] {
        let (status, head, body) = http(srv.http, "POST", "/", auth, cmd);
        assert_eq!(status, 401, "{auth:?}: {head}");
        assert!(
            head.to_ascii_lowercase()
                .contains("www-authenticate: basic realm=\"ruru-test\""),
            "{head}"
        );
        assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["result"], 401);
    }
    let (status, _, _) = http(srv.http, "GET", "/metrics", None, "");
    assert_eq!(status, 401, "/metrics is protected too");
    for auth in [GOOD, FILED] {
        let (status, head, body) = http(srv.http, "POST", "/", Some(auth), cmd);
        assert_eq!(status, 200, "{head}");
        assert_eq!(
            serde_json::from_str::<Value>(&body).unwrap()[0]["result"],
            0
        );
    }
    let url = srv.url("http");
    let (code, out, _) = ctl(&[
        "--url",
        &url,
        "--user",
        "admin",
        "--password",
        "s3cret",
        "version-get",
    ]);
    assert_eq!(code, 0, "{out}");
    let (code, out, _) = ctl(&[
        "--url",
        &url,
        "--user",
        "admin",
        "--password",
        "x",
        "version-get",
    ]);
    assert_eq!(code, 1, "{out}");
    let (code, _, _) = ctl(&["--url", &url, "version-get"]);
    assert_eq!(code, 1);
}

/// A CA, a server certificate for 127.0.0.1 and a client certificate, as
/// PEM files in `dir`: ca.pem, server.pem, server.key, client.pem, client.key,
/// and other-ca.pem (an unrelated CA).
fn make_pki(dir: &Path) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair, SanType};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "ruru test CA");
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca, ca_key);
    let w = |n: &str, s: String| std::fs::write(dir.join(n), s).unwrap();
    w("ca.pem", ca_cert.pem());

    let key = KeyPair::generate().unwrap();
    let mut p = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    p.subject_alt_names
        .push(SanType::IpAddress(Ipv4Addr::LOCALHOST.into()));
    let cert = p.signed_by(&key, &issuer).unwrap();
    w("server.pem", cert.pem());
    w("server.key", key.serialize_pem());

    let key = KeyPair::generate().unwrap();
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name
        .push(rcgen::DnType::CommonName, "ruru ctl");
    p.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    let cert = p.signed_by(&key, &issuer).unwrap();
    w("client.pem", cert.pem());
    w("client.key", key.serialize_pem());

    let other_key = KeyPair::generate().unwrap();
    let mut other = CertificateParams::new(Vec::<String>::new()).unwrap();
    other.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    w("other-ca.pem", other.self_signed(&other_key).unwrap().pem());
}

#[test]
fn https_and_mutual_tls() {
    let dir = tempfile::tempdir().unwrap();
    make_pki(dir.path());
    let second = free_tcp_port();
    let control = format!(
        r#"[ {{ "socket-type": "https", "socket-port": @HTTP@,
               "trust-anchor": "@DIR@/ca.pem", "cert-file": "@DIR@/server.pem", "key-file": "@DIR@/server.key" }},
             {{ "socket-type": "https", "socket-port": {second}, "cert-required": false,
               "trust-anchor": "@DIR@/ca.pem", "cert-file": "@DIR@/server.pem", "key-file": "@DIR@/server.key" }} ]"#
    );
    let srv = Srv::start_in(dir, &control, relay_addr_for("ctl_tls"));
    let p = |n: &str| srv.path(n).to_str().unwrap().to_string();
    let (ca, cert, key, other) = (
        p("ca.pem"),
        p("client.pem"),
        p("client.key"),
        p("other-ca.pem"),
    );
    let mtls = srv.url("https");

    let (code, out, err) = ctl(&[
        "--url",
        &mtls,
        "--ca",
        &ca,
        "--cert",
        &cert,
        "--key",
        &key,
        "version-get",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(serde_json::from_str::<Value>(&out).unwrap()["result"], 0);
    // cert-required (the default): no client certificate, no answer.
    let (code, out, err) = ctl(&["--url", &mtls, "--ca", &ca, "version-get"]);
    assert_eq!(code, 1, "{out}{err}");
    // The server is not trusted without the right CA.
    let (code, _, _) = ctl(&[
        "--url",
        &mtls,
        "--ca",
        &other,
        "--cert",
        &cert,
        "--key",
        &key,
        "version-get",
    ]);
    assert_eq!(code, 1);
    let (code, _, _) = ctl(&[
        "--url",
        &mtls,
        "--cert",
        &cert,
        "--key",
        &key,
        "version-get",
    ]);
    assert_eq!(code, 1);
    // Plain HTTP to a TLS port gets nothing useful.
    let (code, _, _) = ctl(&[
        "--url",
        &format!("http://127.0.0.1:{}/", srv.http),
        "version-get",
    ]);
    assert_eq!(code, 1);

    // cert-required false: server authentication only.
    let tls = format!("https://127.0.0.1:{second}/");
    let (code, out, err) = ctl(&["--url", &tls, "--ca", &ca, "version-get"]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = ctl(&[
        "--url",
        &tls,
        "--ca",
        &ca,
        "--cert",
        &cert,
        "--key",
        &key,
        "version-get",
    ]);
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn bad_tls_files_stop_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let http = free_tcp_port();
    let cfg = config(
        r#"[ { "socket-type": "https", "socket-port": @HTTP@, "trust-anchor": "@DIR@/none.pem",
               "cert-file": "@DIR@/none.pem", "key-file": "@DIR@/none.key" } ]"#,
        relay_addr_for("ctl_badtls"),
    )
    .replace("@DIR@", dir.path().to_str().unwrap())
    .replace("@HTTP@", &http.to_string());
    std::fs::write(dir.path().join("ruru.json"), cfg).unwrap();
    let out = Command::new(BIN)
        .args(["serve", "-c"])
        .arg(dir.path().join("ruru.json"))
        .args(["-p", &free_port().to_string()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("none.pem"), "{err}");
}

#[test]
fn metrics_after_dhcp_traffic() {
    let test = "ctl_metrics";
    if !can_bind_67(test) {
        return;
    }
    let ra = relay_addr_for(test);
    let srv = Srv::start(
        r#"[ { "socket-type": "http", "socket-port": @HTTP@ } ]"#,
        ra,
    );
    let relay = Relay::new(ra, srv.port);
    let a = Client::new(7, relay.addr).dora(&relay);
    assert!(a.octets()[..3] == [192, 0, 2]);
    let (status, head, body) = http(srv.http, "GET", "/metrics", None, "");
    assert_eq!(status, 200, "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: text/plain; version=0.0.4"),
        "{head}"
    );
    for line in [
        "kea_dhcp4_packets_received_total{operation=\"discover\"} 1",
        "kea_dhcp4_packets_received_total{operation=\"request\"} 1",
        "kea_dhcp4_packets_sent_total{operation=\"offer\"} 1",
        "kea_dhcp4_packets_sent_total{operation=\"ack\"} 1",
        "ruru_pkt4_received_total 2",
        "ruru_pkt4_sent_total 2",
        "kea_dhcp4_addresses_assigned{subnet=\"192.0.2.0/24\",subnet_id=\"1\",pool=\"\"} 1",
        "kea_dhcp4_addresses{subnet=\"192.0.2.0/24\",subnet_id=\"1\",pool=\"\"} 100",
        "# TYPE kea_dhcp4_packets_received_total counter",
    ] {
        assert!(
            body.lines().any(|l| l == line),
            "missing {line:?} in:\n{body}"
        );
    }
    // Every line is a comment or `name{labels} value`.
    for l in body.lines().filter(|l| !l.starts_with('#')) {
        let (name, value) = l.rsplit_once(' ').unwrap();
        assert!(value.parse::<i64>().is_ok(), "{l}");
        assert!(
            name.starts_with("kea_dhcp4_") || name.starts_with("ruru_"),
            "{l}"
        );
    }
}

/// A C hook library with a callout per family, so that the scrape below
/// has hook statistics too (`Dhcp4` lists it; it serves both families).
const COUNT_HOOK: &str = r#"
uint32_t ruru_hook_abi_version(void) { return RURU_HOOKS_ABI_VERSION; }

int32_t ruru_hook_load(const RuruApi *a, RuruLibrary *l, const char *params) {
    api = a; self = l;
    return 0;
}

int32_t ruru_hook_multi_threading_compatible(void) { return 1; }

int32_t pkt4_receive(RuruCallout *c) { return RURU_CONTINUE; }

int32_t pkt6_receive(RuruCallout *c) { return RURU_CONTINUE; }
"#;

/// Both sections, subnet id 1 in each (the same Kea statistic names,
/// two metrics), two DHCPv4 pools (one written as a prefix) and a PD pool.
fn config_both(relay: Ipv4Addr, http: u16) -> String {
    format!(
        r#"{{
  "Dhcp4": {{
    "interfaces-config": {{ "interfaces": ["lo"], "dhcp-socket-type": "udp" }},
    "lease-database": {{ "type": "memfile", "persist": false }},
    "control-socket": {{ "socket-type": "http", "socket-port": {http} }},
    "hooks-libraries": [ {{ "library": "libcount.so" }} ],
    "subnet4": [ {{ "id": 1, "subnet": "192.0.2.0/24",
      "pools": [ {{ "pool": "192.0.2.100 - 192.0.2.199" }}, {{ "pool": "192.0.2.208/28" }} ],
      "relay": {{ "ip-addresses": ["{relay}"] }} }} ]
  }},
  "Dhcp6": {{
    "interfaces-config": {{ "interfaces": ["lo"] }},
    "lease-database": {{ "type": "memfile", "persist": false }},
    "subnet6": [ {{ "id": 1, "subnet": "2001:db8:1::/64",
      "pools": [ {{ "pool": "2001:db8:1::100 - 2001:db8:1::1ff" }} ],
      "pd-pools": [ {{ "prefix": "2001:db8:8000::", "prefix-len": 48, "delegated-len": 56 }} ] }} ]
  }}
}}"#
    )
}

/// `promtool check metrics` on `text`: its exit status and everything it
/// printed.
fn promtool_check(text: &str) -> (bool, String) {
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), said)
}

/// `/metrics` of a server running both families, after DHCPv4 and DHCPv6
/// traffic, passes `promtool check metrics` without a warning, has each
/// series once and one HELP and TYPE per family, and shows the values
/// of both families apart.
#[test]
fn metrics_of_both_families_pass_promtool() {
    let test = "ctl_metrics_promtool";
    if Command::new("promtool").arg("--version").output().is_err() {
        skip(test, "needs promtool (Debian package prometheus)");
        return;
    }
    // Port 547 is one per machine: the guard first, so that the relay
    // socket is closed before it is released.
    let _g = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    if !can_bind_67(test) {
        return;
    }
    let Some(sock6) = bind_relay(test) else {
        return;
    };
    let ra = relay_addr_for(test);
    let http_port = free_tcp_port();
    let dir = tempfile::tempdir().unwrap();
    build_lib(dir.path(), "libcount.so", COUNT_HOOK);
    let srv = Server::start_in(dir, &config_both(ra, http_port));

    // DHCPv4: two clients get a lease; one malformed packet.
    let relay = Relay::new(ra, srv.port);
    for n in [1, 2] {
        let a = Client::new(n, relay.addr).dora(&relay);
        assert!(a.octets()[..3] == [192, 0, 2], "{a}");
    }
    relay.send_raw(&[1, 2, 3]);
    // DHCPv6: one client gets an address and a prefix; one malformed
    // message.
    let relay6 = Relay6::new(sock6, srv.port);
    let adv = relay6
        .exchange(&msg(1, 1, None, &[ia_na(1, None), ia_pd(2, None)]))
        .expect("ADVERTISE");
    let sid = server_duid(&adv);
    let (a, p) = (addr_of(&adv).unwrap(), prefix_of(&adv).unwrap());
    let rep = relay6
        .exchange(&msg(
            3,
            1,
            Some(&sid),
            &[ia_na(1, Some(a)), ia_pd(2, Some(p))],
        ))
        .expect("REPLY");
    assert_eq!(addr_of(&rep), Some(a));
    relay6.sock.send_to(&[1, 0], relay6.server).unwrap();

    let v4 = r#"subnet="192.0.2.0/24",subnet_id="1""#;
    let v6 = r#"subnet="2001:db8:1::/64",subnet_id="1""#;
    let expected = [
        r#"# TYPE kea_dhcp4_packets_received_total counter"#.to_string(),
        r#"kea_dhcp4_packets_received_total{operation="discover"} 2"#.into(),
        r#"kea_dhcp4_packets_received_total{operation="request"} 2"#.into(),
        r#"kea_dhcp4_packets_received_total{operation="parse-failed"} 1"#.into(),
        r#"kea_dhcp4_packets_received_total{operation="drop"} 1"#.into(),
        r#"kea_dhcp4_packets_sent_total{operation="offer"} 2"#.into(),
        r#"kea_dhcp4_packets_sent_total{operation="ack"} 2"#.into(),
        r#"# TYPE kea_dhcp4_addresses_assigned gauge"#.into(),
        format!(r#"kea_dhcp4_addresses{{{v4},pool=""}} 116"#),
        format!(r#"kea_dhcp4_addresses{{{v4},pool="192.0.2.100-192.0.2.199"}} 100"#),
        format!(r#"kea_dhcp4_addresses{{{v4},pool="192.0.2.208/28"}} 16"#),
        format!(r#"kea_dhcp4_addresses_assigned{{{v4},pool=""}} 2"#),
        format!(r#"kea_dhcp4_addresses_assigned{{{v4},pool="192.0.2.100-192.0.2.199"}} 2"#),
        format!(r#"kea_dhcp4_addresses_declined{{{v4},pool=""}} 0"#),
        format!(r#"kea_dhcp4_leases_reused_total{{{v4}}} 0"#),
        "ruru_pkt4_received_total 5".into(),
        r#"# TYPE kea_dhcp6_packets_sent_total counter"#.into(),
        r#"kea_dhcp6_packets_received_total{operation="solicit"} 1"#.into(),
        r#"kea_dhcp6_packets_received_total{operation="request"} 1"#.into(),
        r#"kea_dhcp6_packets_received_total{operation="parse-failed"} 1"#.into(),
        r#"kea_dhcp6_packets_received_total{operation="drop"} 1"#.into(),
        r#"kea_dhcp6_packets_sent_total{operation="advertise"} 1"#.into(),
        r#"kea_dhcp6_packets_sent_total{operation="reply"} 1"#.into(),
        r#"# TYPE kea_dhcp6_na_assigned gauge"#.into(),
        format!(r#"kea_dhcp6_na{{{v6},pool=""}} 256"#),
        format!(r#"kea_dhcp6_na_assigned{{{v6},pool=""}} 1"#),
        format!(r#"kea_dhcp6_pd{{{v6}}} 256"#),
        format!(r#"kea_dhcp6_pd_assigned{{{v6}}} 1"#),
        format!(r#"kea_dhcp6_addresses_declined{{{v6},pool=""}} 0"#),
        format!(r#"ruru_dhcp6_subnet_cumulative_assigned_nas_total{{{v6}}} 1"#),
        "ruru_pkt6_received_total 3".into(),
        r#"# TYPE ruru_hook_calls_total counter"#.into(),
        r#"ruru_hook_calls_total{library="libcount.so",hook_point="pkt4_receive"} 4"#.into(),
        r#"ruru_hook_calls_total{library="libcount.so",hook_point="pkt6_receive"} 2"#.into(),
    ];
    // The malformed packets are counted by the workers after we sent them.
    let mut body = String::new();
    let complete = wait_until(Duration::from_secs(10), || {
        let (status, head, b) = http(http_port, "GET", "/metrics", None, "");
        assert_eq!(status, 200, "{head}");
        body = b;
        expected.iter().all(|e| body.lines().any(|l| l == e))
    });
    let missing: Vec<&String> = expected
        .iter()
        .filter(|e| !body.lines().any(|l| l == e.as_str()))
        .collect();
    assert!(complete, "missing {missing:#?} in:\n{body}");

    // Each family: one HELP, then one TYPE, then its samples; each series once.
    let mut families = std::collections::HashSet::new();
    let mut series = std::collections::HashSet::new();
    let mut current = String::new();
    for l in body.lines() {
        if let Some(rest) = l.strip_prefix("# HELP ") {
            current = rest.split(' ').next().unwrap().to_string();
            assert!(families.insert(current.clone()), "second HELP: {l}");
        } else if let Some(rest) = l.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            assert_eq!(name, current, "{l}");
            assert_eq!(kind == "counter", name.ends_with("_total"), "{l}");
        } else {
            let (s, _value) = l.rsplit_once(' ').unwrap();
            let name = s.split('{').next().unwrap();
            assert_eq!(name, current, "sample outside its family: {l}");
            assert!(series.insert(s.to_string()), "duplicate series: {l}");
        }
    }

    let (ok, said) = promtool_check(&body);
    assert!(
        ok && said.is_empty(),
        "promtool check metrics: {said}\n{body}"
    );
}

#[test]
fn oversized_requests_are_refused() {
    let srv = Srv::start(
        r#"[ { "socket-type": "unix", "socket-name": "@DIR@/ctl.sock" },
             { "socket-type": "http", "socket-port": @HTTP@ } ]"#,
        relay_addr_for("ctl_big"),
    );
    // 17 MiB of an unfinished JSON string.
    let mut big = br#"{"command": "version-get", "arguments": {"x": ""#.to_vec();
    big.resize(17 << 20, b'a');
    let mut s = UnixStream::connect(srv.sock()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    // The server stops reading at the limit; the rest may fail to send.
    let _ = s.write_all(&big);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let a: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(a["result"], 1, "{a}");
    assert!(a["text"].as_str().unwrap().contains("too large"), "{a}");

    let mut t = TcpStream::connect(("127.0.0.1", srv.http)).unwrap();
    t.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let head = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        big.len()
    );
    t.write_all(head.as_bytes()).unwrap();
    let _ = t.write_all(&big);
    let mut out = String::new();
    let _ = t.read_to_string(&mut out);
    assert!(
        out.starts_with("HTTP/1.1 413"),
        "{}",
        &out[..out.len().min(200)]
    );
    // Still serving.
    assert_eq!(
        unix_cmd(&srv.sock(), r#"{"command": "version-get"}"#)["result"],
        0
    );
}

#[test]
fn idle_connections_are_closed_after_the_timeout() {
    let srv = Srv::start(
        r#"[ { "socket-type": "unix", "socket-name": "@DIR@/ctl.sock" },
             { "socket-type": "http", "socket-port": @HTTP@ } ]"#,
        relay_addr_for("ctl_idle"),
    );
    let limit = Duration::from_millis(TIMEOUT_MS * 5);
    // UNIX: half a request, then silence.
    let mut s = UnixStream::connect(srv.sock()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(br#"{"command": "#).unwrap();
    let t0 = Instant::now();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    assert!(t0.elapsed() < limit, "{:?}", t0.elapsed());
    assert!(t0.elapsed() >= Duration::from_millis(TIMEOUT_MS / 2));
    let a: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(a["result"], 1, "{a}");
    // HTTP: connect and say nothing.
    let mut t = TcpStream::connect(("127.0.0.1", srv.http)).unwrap();
    t.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let t0 = Instant::now();
    let mut out = Vec::new();
    let _ = t.read_to_end(&mut out);
    assert!(t0.elapsed() < limit, "{:?}", t0.elapsed());
    // HTTP: headers, then a body that never comes.
    let mut t = TcpStream::connect(("127.0.0.1", srv.http)).unwrap();
    t.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    t.write_all(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
        .unwrap();
    let t0 = Instant::now();
    let mut out = String::new();
    let _ = t.read_to_string(&mut out);
    assert!(t0.elapsed() < limit, "{:?}", t0.elapsed());
    assert!(out.starts_with("HTTP/1.1 408"), "{out}");
}

#[test]
fn many_connections_do_not_stop_dhcp() {
    let test = "ctl_flood";
    let dhcp = can_bind_67(test);
    let ra = relay_addr_for(test);
    let srv = Srv::start(
        r#"[ { "socket-type": "unix", "socket-name": "@DIR@/ctl.sock" },
             { "socket-type": "http", "socket-port": @HTTP@ } ]"#,
        ra,
    );
    // 100 idle connections on each transport.
    let unix: Vec<UnixStream> = (0..100)
        .map(|_| UnixStream::connect(srv.sock()).unwrap())
        .collect();
    let tcp: Vec<TcpStream> = (0..100)
        .map(|_| TcpStream::connect(("127.0.0.1", srv.http)).unwrap())
        .collect();
    // Beyond the connection cap, connections are closed at once.
    std::thread::sleep(Duration::from_millis(100));
    let closed = unix
        .iter()
        .filter(|s| {
            s.set_read_timeout(Some(Duration::from_millis(20))).unwrap();
            let mut b = [0u8; 1];
            matches!((&**s).read(&mut b), Ok(0))
        })
        .count();
    assert!(closed >= 100 - 64, "{closed} closed");
    // DHCP is served meanwhile.
    if dhcp {
        let relay = Relay::new(ra, srv.port);
        let a = Client::new(9, relay.addr).dora(&relay);
        assert_eq!(&a.octets()[..3], &[192, 0, 2]);
    }
    // Once the idle ones are gone, control works again.
    drop(unix);
    drop(tcp);
    let t0 = Instant::now();
    loop {
        let ok = UnixStream::connect(srv.sock())
            .and_then(|mut s| {
                s.set_read_timeout(Some(Duration::from_secs(5)))?;
                s.write_all(br#"{"command": "version-get"}"#)?;
                let mut out = Vec::new();
                s.read_to_end(&mut out)?;
                Ok(serde_json::from_slice::<Value>(&out).ok())
            })
            .ok()
            .flatten()
            .is_some_and(|a| a["result"] == 0);
        if ok {
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(5),
            "control did not recover"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let (status, _, _) = http(srv.http, "POST", "/", None, r#"{"command": "version-get"}"#);
    assert_eq!(status, 200);
}

#[test]
fn reload_starts_and_stops_listeners() {
    let mut srv = Srv::start(UNIX_ONLY, relay_addr_for("ctl_reload"));
    assert!(srv.sock().exists());
    let cfg = std::fs::read_to_string(srv.path("ruru.json")).unwrap();
    let new = cfg.replace(
        &format!(
            r#"[ {{ "socket-type": "unix", "socket-name": "{}/ctl.sock" }} ]"#,
            srv.dir.path().display()
        ),
        &format!(
            r#"[ {{ "socket-type": "http", "socket-port": {} }} ]"#,
            srv.http
        ),
    );
    assert_ne!(cfg, new);
    std::fs::write(srv.path("ruru.json"), new).unwrap();
    let _ = Command::new("kill")
        .args(["-HUP", &srv.child.id().to_string()])
        .status();
    let t0 = Instant::now();
    while srv.sock().exists() || TcpStream::connect(("127.0.0.1", srv.http)).is_err() {
        assert!(t0.elapsed() < Duration::from_secs(5), "{}", srv.log());
        std::thread::sleep(Duration::from_millis(50));
    }
    let (status, _, body) = http(srv.http, "POST", "/", None, r#"{"command": "version-get"}"#);
    assert_eq!(status, 200, "{body}");
    srv.stop();
    let _ = json!(null);
}

/// Slow unauthenticated HTTP clients ("slowloris"): threads that keep `n`
/// connections open to 127.0.0.1:`port`, each sending one byte of a header
/// that never ends every 0.5-2 s and reconnecting as soon as the server
/// closes it, until stopped or `max` has passed.
struct Slowloris {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    threads: Vec<std::thread::JoinHandle<SlowStats>>,
    t0: Instant,
    max: Duration,
}

#[derive(Debug, Default)]
struct SlowStats {
    /// Connections made.
    connects: usize,
    /// Connections the server closed.
    closed: usize,
    /// The longest time the server kept one of them open.
    longest: Duration,
}

impl Slowloris {
    fn start(port: u16, n: usize, threads: usize, max: Duration) -> Slowloris {
        use std::sync::atomic::{AtomicBool, Ordering};
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let t0 = Instant::now();
        let threads = (0..threads)
            .map(|t| {
                let stop = stop.clone();
                let count = n / threads + usize::from(t < n % threads);
                std::thread::spawn(move || {
                    const HEAD: &[u8] = b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
                    // (stream, connected at, bytes sent, next byte at)
                    let mut conns: Vec<Option<(TcpStream, Instant, usize, Instant)>> =
                        (0..count).map(|_| None).collect();
                    let mut stats = SlowStats::default();
                    let mut rng = 0x9e37_79b9_7f4a_7c15_u64 ^ (t as u64 + 1);
                    let mut pause = move || {
                        rng ^= rng << 13;
                        rng ^= rng >> 7;
                        rng ^= rng << 17;
                        Duration::from_millis(500 + rng % 1500)
                    };
                    while !stop.load(Ordering::Relaxed) && t0.elapsed() < max {
                        let now = Instant::now();
                        for c in conns.iter_mut() {
                            if c.is_none() {
                                if let Ok(s) = TcpStream::connect(("127.0.0.1", port)) {
                                    s.set_nonblocking(true).unwrap();
                                    stats.connects += 1;
                                    *c = Some((s, Instant::now(), 0, now));
                                }
                            }
                            let Some((s, since, sent, next)) = c else {
                                continue;
                            };
                            // Closed by the server (or answered: also done)?
                            let mut b = [0u8; 512];
                            let gone = match (&*s).read(&mut b) {
                                Err(e) => e.kind() != std::io::ErrorKind::WouldBlock,
                                Ok(_) => true,
                            };
                            if !gone && now >= *next {
                                let byte = HEAD.get(*sent).copied().unwrap_or(b'a');
                                match (&*s).write(&[byte]) {
                                    Ok(_) => {
                                        *sent += 1;
                                        *next = now + pause();
                                    }
                                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                                    Err(_) => {}
                                }
                            }
                            if gone {
                                stats.closed += 1;
                                stats.longest = stats.longest.max(since.elapsed());
                                *c = None;
                            }
                        }
                        std::thread::sleep(Duration::from_millis(100));
                    }
                    stats
                })
            })
            .collect();
        Slowloris {
            stop,
            threads,
            t0,
            max,
        }
    }

    /// True while the attack runs.
    fn running(&self) -> bool {
        self.t0.elapsed() < self.max
    }

    fn finish(self) -> SlowStats {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let mut all = SlowStats::default();
        for t in self.threads {
            let s = t.join().unwrap();
            all.connects += s.connects;
            all.closed += s.closed;
            all.longest = all.longest.max(s.longest);
        }
        all
    }
}

/// One authenticated `version-get` over HTTP with a client timeout; true
/// when it got a successful answer.
fn version_get_within(port: u16, auth: &str, timeout: Duration) -> bool {
    let Ok(mut s) = TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), timeout) else {
        return false;
    };
    let deadline = Instant::now() + timeout;
    let body = r#"{"command": "version-get"}"#;
    let req = format!(
        "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAuthorization: Basic {auth}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    if s.set_write_timeout(Some(timeout)).is_err() || s.write_all(req.as_bytes()).is_err() {
        return false;
    }
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || s.set_read_timeout(Some(left)).is_err() {
            return false;
        }
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(_) => return false,
        }
    }
    let out = String::from_utf8_lossy(&out);
    let Some((head, body)) = out.split_once("\r\n\r\n") else {
        return false;
    };
    head.starts_with("HTTP/1.1 200")
        && serde_json::from_str::<Value>(body).is_ok_and(|v| v[0]["result"] == 0)
}

#[test]
fn slow_unauthenticated_clients_do_not_lock_out_administrators() {
    // Production timeouts: 5 s for the headers, 10 s for a request.
    let srv = Srv::start_with(
        tempfile::tempdir().unwrap(),
        r#"[ { "socket-type": "http", "socket-port": @HTTP@,
               "authentication": { "type": "basic", "realm": "ruru-test",
                 "clients": [ { "user": "admin", "password": "s3cret" } ] } } ]"#,
        relay_addr_for("ctl_slowloris"),
        None,
    );
    let attack = Slowloris::start(srv.http, 200, 4, Duration::from_secs(20));
    // Let the slow connections take their places.
    std::thread::sleep(Duration::from_secs(1));
    let mut answered = 0;
    let mut tries = 0;
    for _ in 0..30 {
        let ok = version_get_within(srv.http, GOOD, Duration::from_secs(3));
        // Only what happened under attack counts.
        assert!(attack.running(), "the attack ended before request {tries}");
        tries += 1;
        answered += usize::from(ok);
        std::thread::sleep(Duration::from_millis(200));
    }
    // Keep the attack up past the 10 s request timeout, so that a slow
    // connection held to it (and not to the header deadline) shows.
    while attack.t0.elapsed() < Duration::from_secs(12) {
        std::thread::sleep(Duration::from_millis(100));
    }
    let stats = attack.finish();
    eprintln!(
        "{answered} of {tries} requests answered under 200 slow connections; attack: {stats:?}"
    );
    assert_eq!(answered, 30, "{answered} of 30 answered; attack: {stats:?}");
    // The slow connections were held to the header deadline (5 s), not to
    // the request timeout (10 s).
    assert!(stats.closed > 0, "{stats:?}");
    assert!(stats.longest < Duration::from_secs(8), "{stats:?}");
}

/// Whether the server has closed `s` (without waiting).
fn closed_by_server(s: &TcpStream) -> bool {
    s.set_nonblocking(true).unwrap();
    let mut b = [0u8; 64];
    let closed = match (&*s).read(&mut b) {
        Ok(_) => true,
        Err(e) => e.kind() != std::io::ErrorKind::WouldBlock,
    };
    s.set_nonblocking(false).unwrap();
    closed
}

/// One request on an open keep-alive connection: status and head.
fn keep_alive_request(s: &mut TcpStream, auth: &str) -> (u16, String) {
    let body = r#"{"command": "version-get"}"#;
    let req = format!(
        "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic {auth}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(req.as_bytes()).unwrap();
    // The answer: a head with Content-Length, then that many bytes.
    let mut out = Vec::new();
    let mut b = [0u8; 1];
    while !out.ends_with(b"\r\n\r\n") {
        assert_eq!(s.read(&mut b).unwrap(), 1, "closed mid-answer");
        out.push(b[0]);
    }
    let head = String::from_utf8(out).unwrap();
    let len: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().unwrap())
        })
        .unwrap();
    let mut body = vec![0u8; len];
    s.read_exact(&mut body).unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, head)
}

#[test]
fn http_connection_budgets() {
    // Production timeouts, so that nothing here times out on its own.
    let srv = Srv::start_with(
        tempfile::tempdir().unwrap(),
        r#"[ { "socket-type": "http", "socket-port": @HTTP@,
               "authentication": { "type": "basic", "realm": "ruru-test",
                 "clients": [ { "user": "admin", "password": "s3cret" } ] } } ]"#,
        relay_addr_for("ctl_budgets"),
        None,
    );
    // 64 authorized keep-alive connections: the authorized budget.
    let mut admins: Vec<TcpStream> = (0..64)
        .map(|_| {
            let mut s = TcpStream::connect(("127.0.0.1", srv.http)).unwrap();
            let (status, head) = keep_alive_request(&mut s, GOOD);
            assert_eq!(status, 200, "{head}");
            assert!(
                !head.to_ascii_lowercase().contains("connection: close"),
                "{head}"
            );
            s
        })
        .collect();
    // A 65th is answered, then closed.
    let mut s = TcpStream::connect(("127.0.0.1", srv.http)).unwrap();
    let (status, head) = keep_alive_request(&mut s, GOOD);
    assert_eq!(status, 200, "{head}");
    assert!(
        head.to_ascii_lowercase().contains("connection: close"),
        "{head}"
    );
    // A request without valid credentials closes its connection too.
    let mut s = TcpStream::connect(("127.0.0.1", srv.http)).unwrap();
    let (status, head) = keep_alive_request(&mut s, WRONG);
    assert_eq!(status, 401, "{head}");
    assert!(
        head.to_ascii_lowercase().contains("connection: close"),
        "{head}"
    );

    // 300 idle connections: the 44 oldest are evicted from the pending
    // budget (256), the rest stay.
    let idle: Vec<TcpStream> = (0..300)
        .map(|_| TcpStream::connect(("127.0.0.1", srv.http)).unwrap())
        .collect();
    let t0 = Instant::now();
    while !closed_by_server(&idle[43]) {
        assert!(t0.elapsed() < Duration::from_secs(3), "nothing evicted");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(100));
    let closed: Vec<usize> = (0..300).filter(|&i| closed_by_server(&idle[i])).collect();
    assert_eq!(closed, (0..44).collect::<Vec<_>>());
    // A new administrator connection gets in (evicting one more idle one).
    assert!(version_get_within(srv.http, GOOD, Duration::from_secs(3)));
    // And the authorized connections were not touched.
    for s in &mut admins {
        assert_eq!(keep_alive_request(s, GOOD).0, 200);
    }
    let t0 = Instant::now();
    while !closed_by_server(&idle[44]) {
        assert!(t0.elapsed() < Duration::from_secs(3), "45th not evicted");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!closed_by_server(&idle[45]));
}

#[test]
fn unix_clients_must_start_within_the_header_deadline() {
    // Request timeout 4 s, header deadline 2 s.
    let srv = Srv::start_with(
        tempfile::tempdir().unwrap(),
        UNIX_ONLY,
        relay_addr_for("ctl_unix_deadline"),
        Some(4000),
    );
    let timed = |first: &'static [u8]| {
        let mut s = UnixStream::connect(srv.sock()).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(first).unwrap();
        let t0 = Instant::now();
        let mut out = Vec::new();
        s.read_to_end(&mut out).unwrap();
        let a: Value = serde_json::from_slice(&out).unwrap();
        assert!(a["text"].as_str().unwrap().contains("timed out"), "{a}");
        t0.elapsed()
    };
    let (silent, started) = std::thread::scope(|t| {
        let silent = t.spawn(|| timed(b""));
        let started = t.spawn(|| timed(b"{"));
        (silent.join().unwrap(), started.join().unwrap())
    });
    // Saying nothing: closed at the header deadline; a request that has
    // started gets the whole request timeout.
    assert!(
        silent >= Duration::from_millis(1500) && silent < Duration::from_millis(3500),
        "{silent:?}"
    );
    assert!(started >= Duration::from_millis(3500), "{started:?}");
}

#[test]
fn repeated_keys_are_refused_and_not_run() {
    let test = "ctl_dup_keys";
    let ra = relay_addr_for(test);
    let srv = Srv::start(
        r#"[ { "socket-type": "unix", "socket-name": "@DIR@/ctl.sock" },
             { "socket-type": "http", "socket-port": @HTTP@ } ]"#,
        ra,
    );
    // serde_json alone would keep the last "command" (dhcp-disable).
    let requests = [
        (
            r#"{"command": "version-get", "command": "dhcp-disable"}"#,
            r#"duplicate key "command" in the request"#,
        ),
        (
            r#"{"command": "dhcp-disable", "arguments": {"max-period": 3600, "max-period": 0}}"#,
            r#"duplicate key "max-period" in the request"#,
        ),
    ];
    for (req, text) in requests {
        let a = unix_cmd(&srv.sock(), req);
        assert_eq!(a["result"], 1, "{a}");
        assert!(a["text"].as_str().unwrap().starts_with(text), "{a}");
        let (status, head, body) = http(srv.http, "POST", "/", None, req);
        assert_eq!(status, 200, "{head}");
        let a: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(a[0]["result"], 1, "{a}");
        assert!(a[0]["text"].as_str().unwrap().starts_with(text), "{a}");
    }
    // DHCP is still served: dhcp-disable did not run.
    if !can_bind_67(test) {
        return;
    }
    let relay = Relay::new(ra, srv.port);
    let mut c = Client::new(11, relay.addr);
    assert!(relay.exchange(&c.discover()).is_some(), "DHCP was disabled");
    // (The check above can tell: after a real dhcp-disable, no answer.)
    let a = unix_cmd(&srv.sock(), r#"{"command": "dhcp-disable"}"#);
    assert_eq!(a["result"], 0, "{a}");
    assert!(relay.exchange(&c.discover()).is_none());
}

#[test]
fn http_headers_are_added_to_every_response() {
    // Kea's `http-headers`: on answers, on /metrics and on the 401.
    let srv = Srv::start(
        r#"[ { "socket-type": "http", "socket-port": @HTTP@,
               "http-headers": [ { "name": "Strict-Transport-Security", "value": "max-age=31536000" },
                                 { "name": "X-Site", "value": "lab 1", "comment": "ours" } ],
               "authentication": { "type": "basic", "realm": "r",
                 "clients": [ { "user": "a", "password": "b" } ] } } ]"#,
        relay_addr_for("http_headers"),
    );
    let auth = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, "a:b");
    for (method, path, cred, status) in [
        ("POST", "/", Some(auth.as_str()), 200),
        ("GET", "/metrics", Some(auth.as_str()), 200),
        ("POST", "/", None, 401),
    ] {
        let (code, head, _) = http(
            srv.http,
            method,
            path,
            cred,
            r#"{"command": "version-get"}"#,
        );
        assert_eq!(code, status, "{head}");
        let head = head.to_ascii_lowercase();
        assert!(
            head.contains("\r\nstrict-transport-security: max-age=31536000"),
            "{method} {path}: {head}"
        );
        assert!(
            head.contains("\r\nx-site: lab 1"),
            "{method} {path}: {head}"
        );
    }
}

/// A Kea 2.2 site's two files, `kea-dhcp4.conf` and `kea-ctrl-agent.conf`
/// (its `Control-agent` section): `ruru serve -c` both, and the agent's
/// HTTP port, with its basic authentication, answers commands sent as
/// Kea's agent takes them (`"service": ["dhcp4"]`), answered by ruru
/// itself (the agent's `control-sockets` to the daemons are not used).
#[test]
fn control_agent_section_opens_its_http_port() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let port = free_tcp_port();
    let ra = relay_addr_for("ctl_agent");
    let dhcp4 = config(UNIX_ONLY, ra).replace("@DIR@", d.to_str().unwrap());
    std::fs::write(d.join("kea-dhcp4.conf"), dhcp4).unwrap();
    let agent = format!(
        r#"{{ "Control-agent": {{
  "http-host": "127.0.0.1", "http-port": {port},
  "authentication": {{ "type": "basic", "realm": "kea-control-agent",
    "clients": [ {{ "user": "admin", "password": "s3cret" }} ] }},
  "control-sockets": {{ "dhcp4": {{ "socket-type": "unix", "socket-name": "{}/ctl.sock" }} }},
  "hooks-libraries": [],
  "loggers": [ {{ "name": "kea-ctrl-agent", "output_options": [ {{ "output": "stdout" }} ], "severity": "INFO" }} ]
}} }}"#,
        d.display()
    );
    std::fs::write(d.join("kea-ctrl-agent.conf"), agent).unwrap();
    let log = std::fs::File::create(d.join("log")).unwrap();
    let mut child = Command::new(BIN)
        .args(["serve", "-c"])
        .arg(d.join("kea-dhcp4.conf"))
        .arg("-c")
        .arg(d.join("kea-ctrl-agent.conf"))
        .args([
            "-p",
            &free_port().to_string(),
            "-P",
            &free_port().to_string(),
        ])
        .current_dir(d)
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    let read_log = || std::fs::read_to_string(d.join("log")).unwrap_or_default();
    let t0 = Instant::now();
    while !read_log().contains("ruru ready") {
        if t0.elapsed() > Duration::from_secs(20) || child.try_wait().unwrap().is_some() {
            let _ = child.kill();
            panic!("ruru did not start:\n{}", read_log());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let cmd = r#"{"command": "config-get", "service": ["dhcp4"]}"#;
    let (status, head, _) = http(port, "POST", "/", None, cmd);
    assert_eq!(status, 401, "the agent's authentication: {head}");
    let (status, head, body) = http(port, "POST", "/", Some(GOOD), cmd);
    assert_eq!(status, 200, "{head}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v[0]["result"], 0, "{v}");
    assert!(v[0]["arguments"]["Dhcp4"].is_object(), "{v}");
    let (_, _, body) = http(
        port,
        "POST",
        "/",
        Some(GOOD),
        r#"{"command": "version-get"}"#,
    );
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()[0]["result"],
        0
    );
    let _ = child.kill();
    let _ = child.wait();
}
