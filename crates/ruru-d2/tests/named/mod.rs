//! A private BIND 9 for the DNS update tests (ruru-d2's own and the
//! end-to-end ones of tests/e2e_ddns.rs, which include this file): a
//! `named` on 127.0.0.1 (a free port) with forward zones under
//! `example.org`, `example.com`, `example.net` and the reverse zones of
//! 192.0.2.0/24 and 2001:db8::/32, each updatable with a TSIG key of
//! another algorithm; `dig` reads the records back; and the matching
//! `DhcpDdns` section.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)] // test helpers

use std::net::{TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;

/// The keys: config name, Kea algorithm, BIND algorithm, Kea digest-bits.
pub const KEYS: &[(&str, &str, &str, u32)] = &[
    ("k-md5", "HMAC-MD5", "hmac-md5", 0),
    ("k-sha1", "HMAC-SHA1", "hmac-sha1", 0),
    ("k-sha224", "HMAC-SHA224", "hmac-sha224", 0),
    ("k-sha256", "HMAC-SHA256", "hmac-sha256", 0),
    ("k-sha384", "HMAC-SHA384", "hmac-sha384", 0),
    ("k-sha512", "HMAC-SHA512", "hmac-sha512-256", 256),
];

/// Zones and the key each is updated with.
pub const ZONES: &[(&str, &str)] = &[
    ("example.org", "k-sha256"),
    ("sub.example.org", "k-sha384"),
    ("example.com", "k-md5"),
    ("example.net", "k-sha224"),
    ("2.0.192.in-addr.arpa", "k-sha1"),
    ("8.b.d.0.1.0.0.2.ip6.arpa", "k-sha512"),
];

pub fn secret(key: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("ruru-d2 test secret of {key}!"))
}

pub fn which(bin: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/sbin")])
        .map(|d| d.join(bin))
        .find(|p| p.is_file())
}

/// `named` and `dig`, or SKIP (a failure under RURU_REQUIRE_ALL=1).
pub fn prerequisites(test: &str) -> Option<(PathBuf, PathBuf)> {
    match (which("named"), which("dig")) {
        (Some(n), Some(d)) => Some((n, d)),
        _ => {
            let msg = format!(
                "SKIP {test}: named or dig not found (Debian packages bind9, bind9-dnsutils)"
            );
            if std::env::var("RURU_REQUIRE_ALL").as_deref() == Ok("1") {
                panic!("{msg} (RURU_REQUIRE_ALL=1)");
            }
            eprintln!("{msg}");
            None
        }
    }
}

/// A port free on 127.0.0.1 for both UDP and TCP (as named needs).
pub fn free_port() -> u16 {
    loop {
        let u = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = u.local_addr().unwrap().port();
        if TcpListener::bind(("127.0.0.1", port)).is_ok() && (!have_ipv6() || v6_free(port)) {
            return port;
        }
    }
}

/// Whether ::1 can be bound (named listens there too when it can).
pub fn have_ipv6() -> bool {
    UdpSocket::bind("[::1]:0").is_ok()
}

pub fn v6_free(port: u16) -> bool {
    UdpSocket::bind(("::1", port)).is_ok() && TcpListener::bind(("::1", port)).is_ok()
}

/// A private named; killed (only it) when dropped.
pub struct Named {
    child: Option<Child>,
    pub dir: tempfile::TempDir,
    pub port: u16,
    named: PathBuf,
    dig: PathBuf,
}

impl Named {
    pub fn start(named: &Path, dig: &Path, port: u16) -> Named {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display().to_string();
        let mut conf = format!(
            "options {{\n  directory \"{d}\";\n  listen-on port {port} {{ 127.0.0.1; }};\n  listen-on-v6 port {port} {{ ::1; }};\n  pid-file \"{d}/named.pid\";\n  session-keyfile \"{d}/session.key\";\n  recursion no;\n  dnssec-validation no;\n  notify no;\n}};\ncontrols {{ }};\n"
        );
        for (name, _, alg, _) in KEYS {
            conf.push_str(&format!(
                "key \"{name}\" {{ algorithm {alg}; secret \"{}\"; }};\n",
                secret(name)
            ));
        }
        for (zone, key) in ZONES {
            conf.push_str(&format!(
                "zone \"{zone}\" {{ type primary; file \"{zone}.db\"; allow-update {{ key {key}; }}; }};\n"
            ));
            let mut db = "$TTL 300\n@ IN SOA ns.example.org. admin.example.org. 1 3600 600 86400 300\n  IN NS ns.example.org.\n".to_string();
            if *zone == "example.org" {
                db.push_str("ns IN A 127.0.0.1\n");
            }
            std::fs::write(dir.path().join(format!("{zone}.db")), db).unwrap();
        }
        std::fs::write(dir.path().join("named.conf"), conf).unwrap();
        let mut n = Named {
            child: None,
            dir,
            port,
            named: named.to_path_buf(),
            dig: dig.to_path_buf(),
        };
        n.restart();
        n
    }

    /// Starts named (again) on its port and waits until it answers.
    pub fn restart(&mut self) {
        let log = std::fs::File::create(self.dir.path().join("named.log")).unwrap();
        let child = Command::new(&self.named)
            .arg("-g")
            .arg("-c")
            .arg(self.dir.path().join("named.conf"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        self.child = Some(child);
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(20) {
            if !self.dig("example.org", "SOA").is_empty() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let log = std::fs::read_to_string(self.dir.path().join("named.log")).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(20).collect();
        panic!(
            "named did not answer on port {}:\n{}",
            self.port,
            tail.join("\n")
        );
    }

    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// The records of `name`/`rtype`, as `dig +short` prints them, sorted.
    pub fn dig(&self, name: &str, rtype: &str) -> Vec<String> {
        self.dig_args(name, rtype, &["+short"])
    }

    /// The TTLs of `name`/`rtype`.
    pub fn ttls(&self, name: &str, rtype: &str) -> Vec<u32> {
        self.dig_args(name, rtype, &["+noall", "+answer"])
            .iter()
            .filter_map(|l| l.split_whitespace().nth(1)?.parse().ok())
            .collect()
    }

    pub fn dig_args(&self, name: &str, rtype: &str, extra: &[&str]) -> Vec<String> {
        let out = Command::new(&self.dig)
            .arg("@127.0.0.1")
            .arg("-p")
            .arg(self.port.to_string())
            .args(["+norecurse", "+tries=1", "+time=1"])
            .args(extra)
            .arg(name)
            .arg(rtype)
            .output()
            .unwrap();
        let mut v: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty() && !l.starts_with(';'))
            .collect();
        v.sort();
        v
    }
}

impl Drop for Named {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The `DhcpDdns` section (JSON text) for servers at `servers` (tried in
/// order), listening for NCRs on 127.0.0.1:`listen`; `key_override`
/// replaces every zone's key name, `extra_keys` is one more `tsig-keys`
/// entry.
pub fn section_text(
    servers: &[(&str, u16)],
    timeout_ms: u32,
    key_override: Option<&str>,
    extra_keys: &str,
    listen: u16,
) -> String {
    let servers: Vec<String> = servers
        .iter()
        .map(|(a, p)| format!("{{\"ip-address\": \"{a}\", \"port\": {p}}}"))
        .collect();
    let servers = servers.join(", ");
    let domains = |reverse: bool| -> String {
        ZONES
            .iter()
            .filter(|(z, _)| z.ends_with(".arpa") == reverse)
            .map(|(z, k)| {
                format!(
                    "{{\"name\": \"{z}.\", \"key-name\": \"{}\", \"dns-servers\": [{servers}]}}",
                    key_override.unwrap_or(k)
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut keys: Vec<String> = KEYS
        .iter()
        .map(|(n, a, _, bits)| {
            format!(
                "{{\"name\": \"{n}\", \"algorithm\": \"{a}\", \"digest-bits\": {bits}, \"secret\": \"{}\"}}",
                secret(n)
            )
        })
        .collect();
    if !extra_keys.is_empty() {
        keys.push(extra_keys.to_string());
    }
    format!(
        "{{\"ip-address\": \"127.0.0.1\", \"port\": {listen}, \"dns-server-timeout\": {timeout_ms},\n\"forward-ddns\": {{\"ddns-domains\": [{}]}},\n\"reverse-ddns\": {{\"ddns-domains\": [{}]}},\n\"tsig-keys\": [{}]}}",
        domains(false),
        domains(true),
        keys.join(", ")
    )
}
