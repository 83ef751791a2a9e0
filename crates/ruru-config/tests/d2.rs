//! The `DhcpDdns` section (ruru's built-in DNS updater): defaults, zones,
//! servers and TSIG keys, the errors of bad values with their JSON paths,
//! Kea's own D2 examples, and a DHCP file and a D2 file loaded together.

#![allow(clippy::unwrap_used)] // test helpers: a panic is a test failure

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::{err, errs, kea_examples, ok};
use ruru_config::{load_files, D2Config, Places, TsigAlgorithm};

fn d2(body: &str) -> String {
    format!("{{\"DhcpDdns\": {{{body}}}}}")
}

fn cfg(body: &str) -> D2Config {
    ok(&d2(body)).dhcp_ddns.unwrap()
}

#[test]
fn defaults_and_full_section() {
    let c = cfg(r#""hooks-libraries": []"#);
    assert_eq!(c.listen, "127.0.0.1:53001".parse().unwrap());
    assert_eq!(c.dns_server_timeout, Duration::from_millis(500));
    assert!(c.forward.is_empty() && c.reverse.is_empty() && c.keys.is_empty());

    let c = cfg(r#"
        "ip-address": "::1", "port": 5301, "dns-server-timeout": 250,
        "ncr-protocol": "UDP", "ncr-format": "JSON", "comment": "x",
        "user-context": {"a": 1},
        "tsig-keys": [
            {"name": "k.md5", "algorithm": "hmac-md5", "secret": "LSWXnfkKZjdPJI5QxlpnfQ=="},
            {"name": "k.sha512", "algorithm": "HMAC-SHA512", "digest-bits": 256,
             "secret": "LSWXnfkKZjdPJI5QxlpnfQ=="}
        ],
        "forward-ddns": {"ddns-domains": [
            {"name": "example.org", "key-name": "k.md5",
             "dns-servers": [{"ip-address": "127.0.0.1", "port": 5353},
                             {"ip-address": "::1", "key-name": "k.sha512"},
                             {"ip-address": "127.0.0.2", "key-name": ""}]},
            {"name": "Sub.Example.ORG.", "dns-servers": [{"ip-address": "127.0.0.1"}]}
        ]},
        "reverse-ddns": {"ddns-domains": [
            {"name": "2.0.192.in-addr.arpa.", "dns-servers": [{"ip-address": "127.0.0.1"}]},
            {"name": "8.b.d.0.1.0.0.2.ip6.arpa.", "dns-servers": [{"ip-address": "127.0.0.1"}]}
        ]}
    "#);
    assert_eq!(c.listen, "[::1]:5301".parse().unwrap());
    assert_eq!(c.dns_server_timeout, Duration::from_millis(250));
    assert_eq!(c.keys.len(), 2);
    assert_eq!(c.keys[0].name, "k.md5.");
    assert_eq!(c.keys[0].algorithm, TsigAlgorithm::HmacMd5);
    assert_eq!(c.keys[1].digest_bits, 256);
    // Longest names first; names are lower-case with a trailing dot.
    assert_eq!(c.forward[0].name, "sub.example.org.");
    let org = &c.forward[1];
    assert_eq!(org.servers[0].addr, "127.0.0.1:5353".parse().unwrap());
    assert_eq!(org.servers[0].key.as_ref().unwrap().name, "k.md5.");
    assert_eq!(org.servers[1].addr, "[::1]:53".parse().unwrap());
    assert_eq!(org.servers[1].key.as_ref().unwrap().name, "k.sha512.");
    assert_eq!(org.servers[2].key, None);
    assert_eq!(
        c.forward_domain("a.sub.example.org.").unwrap().name,
        "sub.example.org."
    );
    assert_eq!(
        c.forward_domain("A.Example.Org").unwrap().name,
        "example.org."
    );
    assert!(c.forward_domain("example.com.").is_none());
    assert!(c.forward_domain("xexample.org.").is_none());
    assert_eq!(
        c.reverse_domain("192.0.2.10".parse().unwrap())
            .unwrap()
            .name,
        "2.0.192.in-addr.arpa."
    );
    assert_eq!(
        c.reverse_domain("2001:db8::5".parse().unwrap())
            .unwrap()
            .name,
        "8.b.d.0.1.0.0.2.ip6.arpa."
    );
    assert!(c.reverse_domain("198.51.100.1".parse().unwrap()).is_none());
    assert_eq!(
        ruru_config::reverse_name("2001:db8::5".parse().unwrap()),
        "5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa."
    );
}

#[test]
fn secret_file() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("k.secret");
    std::fs::write(&f, "LSWXnfkKZjdPJI5QxlpnfQ==\n").unwrap();
    let c = cfg(&format!(
        r#""tsig-keys": [{{"name": "k", "algorithm": "HMAC-SHA256", "secret-file": "{}"}}]"#,
        f.display()
    ));
    assert_eq!(c.keys[0].secret.len(), 16);
    let d = err(&d2(
        r#""tsig-keys": [{"name": "k", "algorithm": "HMAC-SHA256", "secret-file": "/nonexistent/k.secret"}]"#,
    ));
    assert_eq!(d.path, "DhcpDdns.tsig-keys[0].secret-file");
    assert!(
        d.message.contains("cannot read /nonexistent/k.secret"),
        "{d}"
    );
}

#[test]
fn bad_values_name_their_key() {
    let srv = r#""dns-servers": [{"ip-address": "127.0.0.1"}]"#;
    let cases: Vec<(String, &str, &str)> = vec![
        (r#""ip-address": "0.0.0.0""#.into(), "DhcpDdns.ip-address", "not allowed"),
        (r#""ip-address": "localhost""#.into(), "DhcpDdns.ip-address", "not an IP address"),
        (r#""port": 0"#.into(), "DhcpDdns.port", "0 is not a port"),
        (r#""dns-server-timeout": 0"#.into(), "DhcpDdns.dns-server-timeout", "positive"),
        (r#""ncr-protocol": "TCP""#.into(), "DhcpDdns.ncr-protocol", "not supported yet"),
        (r#""ncr-protocol": "SCTP""#.into(), "DhcpDdns.ncr-protocol", "expected \"UDP\""),
        (r#""ncr-format": "XML""#.into(), "DhcpDdns.ncr-format", "expected \"JSON\""),
        (
            r#""control-socket": {"socket-type": "unix"}"#.into(),
            "DhcpDdns.control-socket",
            "socket-name",
        ),
        (
            r#""control-socket": {"socket-type": "unix", "socket-name": "/tmp/x"}, "control-sockets": []"#.into(),
            "DhcpDdns.control-sockets",
            "both set",
        ),
        (
            r#""hooks-libraries": [{"library": "/usr/lib/kea/hooks/libddns_gss_tsig.so"}]"#.into(),
            "DhcpDdns.hooks-libraries",
            "not supported yet: DhcpDdns.hooks-libraries",
        ),
        (r#""bogus": 1"#.into(), "DhcpDdns.bogus", "unknown key `bogus`"),
        (
            r#""loggers": [{"name": "kea-dhcp-ddns", "severity": "INFO", "bogus": 1}]"#.into(),
            "DhcpDdns.loggers[0].bogus",
            "unknown key `bogus`",
        ),
        (
            format!(r#""forward-ddns": {{"ddns-domains": [{{"name": "a..b", {srv}}}]}}"#),
            "DhcpDdns.forward-ddns.ddns-domains[0].name",
            "not a valid domain name",
        ),
        (
            format!(r#""forward-ddns": {{"ddns-domains": [{{"name": "a", {srv}}}, {{"name": "A.", {srv}}}]}}"#),
            "DhcpDdns.forward-ddns.ddns-domains[1].name",
            "listed twice",
        ),
        (
            r#""forward-ddns": {"ddns-domains": [{"name": "a", "dns-servers": []}]}"#.into(),
            "DhcpDdns.forward-ddns.ddns-domains[0].dns-servers",
            "at least one",
        ),
        (
            format!(r#""reverse-ddns": {{"ddns-domains": [{{"name": "example.org", {srv}}}]}}"#),
            "DhcpDdns.reverse-ddns.ddns-domains[0].name",
            "not a reverse zone",
        ),
        (
            format!(r#""forward-ddns": {{"ddns-domains": [{{"name": "a", "key-name": "nokey", {srv}}}]}}"#),
            "DhcpDdns.forward-ddns.ddns-domains[0].key-name",
            "TSIG key \"nokey\" is not defined",
        ),
        (
            r#""forward-ddns": {"ddns-domains": [{"name": "a", "dns-servers": [{"ip-address": "127.0.0.1", "key-name": "nokey"}]}]}"#.into(),
            "DhcpDdns.forward-ddns.ddns-domains[0].dns-servers[0].key-name",
            "is not defined",
        ),
        (
            r#""forward-ddns": {"ddns-domains": [{"name": "a", "dns-servers": [{"ip-address": "ns1"}]}]}"#.into(),
            "DhcpDdns.forward-ddns.ddns-domains[0].dns-servers[0].ip-address",
            "not an IP address",
        ),
        (
            r#""forward-ddns": {"ddns-domains": [{"name": "a", "dns-servers": [{"hostname": "ns1"}]}]}"#.into(),
            "DhcpDdns.forward-ddns.ddns-domains[0].dns-servers[0].hostname",
            "not supported yet",
        ),
        (
            r#""tsig-keys": [{"name": "k", "algorithm": "HMAC-SHA3", "secret": "AAAA"}]"#.into(),
            "DhcpDdns.tsig-keys[0].algorithm",
            "not a TSIG algorithm",
        ),
        (
            r#""tsig-keys": [{"name": "k", "algorithm": "HMAC-SHA256", "digest-bits": 100, "secret": "AAAA"}]"#.into(),
            "DhcpDdns.tsig-keys[0].digest-bits",
            "from 128 to 256",
        ),
        (
            r#""tsig-keys": [{"name": "k", "algorithm": "HMAC-SHA256", "secret": "not base64!"}]"#.into(),
            "DhcpDdns.tsig-keys[0].secret",
            "not base64",
        ),
        (
            r#""tsig-keys": [{"name": "k", "algorithm": "HMAC-MD5", "secret": "AAAA"}, {"name": "K", "algorithm": "HMAC-MD5", "secret": "AAAA"}]"#.into(),
            "DhcpDdns.tsig-keys[1].name",
            "defined twice",
        ),
    ];
    for (body, path, msg) in &cases {
        let d = err(&d2(body));
        assert_eq!(d.path, *path, "{body}: {d}");
        assert!(d.message.contains(msg), "{body}: {d}");
    }
}

fn examples_dir() -> Option<PathBuf> {
    kea_examples("kea_d2_examples", "ddns")
}

/// Kea's D2 examples: `template.json` loads; `sample1.json` fails only on
/// what is not supported yet (its hook library), as does `gss-tsig.json`;
/// `sample1.json`'s D2 control socket is read.
#[test]
fn kea_d2_examples() {
    let Some(dir) = examples_dir() else { return };
    let c = ruru_config::load(&dir.join("ddns/template.json")).unwrap();
    assert!(c.dhcp_ddns.is_some());
    let e = ruru_config::load(&dir.join("ddns/sample1.json")).unwrap_err();
    let got: Vec<(String, String)> = e
        .diagnostics
        .into_iter()
        .map(|d| (d.path, d.message))
        .collect();
    assert_eq!(
        got,
        vec![(
            "DhcpDdns.hooks-libraries".to_string(),
            "not supported yet: DhcpDdns.hooks-libraries".to_string()
        ),]
    );
    // ISC's GSS-TSIG example: only its hook library is refused.
    let e = ruru_config::load(&dir.join("ddns/gss-tsig.json")).unwrap_err();
    let got: Vec<String> = e.diagnostics.into_iter().map(|d| d.message).collect();
    assert_eq!(got, ["not supported yet: DhcpDdns.hooks-libraries"]);
    // Without its hook library, it loads.
    let text = std::fs::read_to_string(dir.join("ddns/sample1.json")).unwrap();
    let mut json: serde_json::Value = serde_json::from_str(&strip_comments(&text)).unwrap();
    let d = json["DhcpDdns"].as_object_mut().unwrap();
    d.remove("hooks-libraries");
    let c = ok(&json.to_string()).dhcp_ddns.unwrap();
    assert_eq!(c.control_sockets.len(), 1, "its control socket");
    assert_eq!(c.dns_server_timeout, Duration::from_millis(1000));
    assert_eq!(c.forward.len(), 2);
    assert_eq!(c.reverse[0].servers.len(), 2);
    assert_eq!(c.keys[2].digest_bits, 256);
}

/// `//` line comments, as Kea's examples have (not inside strings there).
fn strip_comments(t: &str) -> String {
    t.lines()
        .filter(|l| !l.trim_start().starts_with("//") && !l.trim_start().starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `ruru serve -c kea-dhcp4.conf -c kea-dhcp-ddns.conf`: both sections.
#[test]
fn dhcp4_and_d2_files_together() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("kea-dhcp4.conf");
    let b = dir.path().join("kea-dhcp-ddns.conf");
    std::fs::write(&a, r#"{"Dhcp4": {}}"#).unwrap();
    std::fs::write(&b, r#"{"DhcpDdns": {"port": 53002}}"#).unwrap();
    let c = load_files(&[a.clone(), b.clone()], &Places::default()).unwrap();
    assert!(c.dhcp4.is_some());
    assert_eq!(c.dhcp_ddns.unwrap().listen.port(), 53002);
    // The section twice is an error.
    let e = load_files(&[b.clone(), b], &Places::default()).unwrap_err();
    assert!(
        e.to_string().contains("section `DhcpDdns` is also in"),
        "{e}"
    );
    let _ = errs;
}
