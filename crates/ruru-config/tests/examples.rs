//! Every shipped example loads, and is strict: an unknown key added to any
//! of its objects is rejected with that object's path (STYLE.md #3).

#![allow(clippy::unwrap_used)] // test helpers: a panic is a test failure

use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};

use ruru_config::{load, load_str, DuidType, HostId, HostId6, LogOutput, Severity, SocketType};

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `examples/configs/*.json` of the workspace and this crate's `tests/data/*.json`.
fn configs() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in [
        crate_dir().join("../../examples/configs"),
        crate_dir().join("tests/data"),
    ] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        out.extend(files);
    }
    out
}

#[test]
fn every_example_loads() {
    let all = configs();
    assert!(all.len() >= 3, "{all:?}");
    for p in all {
        if let Err(e) = load(&p) {
            panic!("{} does not load:\n{e}", p.display());
        }
    }
}

#[test]
fn loopback_quick_start() {
    let p = crate_dir().join("../../examples/configs/loopback4.json");
    let d = load(&p).unwrap().dhcp4.unwrap();
    assert_eq!(d.interfaces.interfaces, ["lo"]);
    assert_eq!(d.interfaces.socket_type, SocketType::Udp);
    assert_eq!(d.lease_database.name, PathBuf::from("ruru-leases4.csv"));
    assert_eq!(d.lease_database.lfc_interval, 3600);
    let s = &d.subnets[0];
    assert_eq!(
        (s.id, s.addr, s.prefix_len),
        (1, Ipv4Addr::new(192, 0, 2, 0), 24)
    );
    assert_eq!(s.valid_lifetime.default, 3600);
    assert_eq!((s.renew_timer, s.rebind_timer), (Some(900), Some(1800)));
    assert_eq!(s.relay_addresses, [Ipv4Addr::new(127, 0, 0, 2)]);
    assert_eq!(s.pools[0].start, Ipv4Addr::new(192, 0, 2, 100));
    assert_eq!(s.pools[0].end, Ipv4Addr::new(192, 0, 2, 199));
    let codes: Vec<u8> = s.options.iter().map(|o| o.code).collect();
    assert_eq!(codes, [3, 6, 15]);
    let r = s
        .reservations
        .get(&HostId::HwAddress(vec![0xaa, 0xbb, 0xcc, 0, 0, 1]))
        .unwrap();
    assert_eq!(r.ip_address, Some(Ipv4Addr::new(192, 0, 2, 10)));
    assert!(r.hostname.is_some());
    assert_eq!(d.loggers[0].outputs, [LogOutput::Stdout]);
    assert_eq!(d.loggers[0].severity, Severity::Info);
}

#[test]
fn kea_bench_configs_load() {
    let d = load(&crate_dir().join("tests/data/kea4-dora-memfile.json"))
        .unwrap()
        .dhcp4
        .unwrap();
    assert_eq!(d.subnets.len(), 2);
    assert_eq!(d.subnets[1].total_addresses(), 131_072 - 10 - 5);
    assert!(!d.multi_threading.enabled);
    let d = load(&crate_dir().join("tests/data/kea4-dora-memfile-mt.json"))
        .unwrap()
        .dhcp4
        .unwrap();
    assert!(d.multi_threading.enabled);
    assert_eq!(d.multi_threading.thread_pool_size, 4);
}

#[test]
fn loopback6_quick_start() {
    let p = crate_dir().join("../../examples/configs/loopback6.json");
    let c = load(&p).unwrap();
    assert!(c.dhcp4.is_none());
    let d = c.dhcp6.unwrap();
    assert_eq!(d.interfaces.interfaces, ["lo"]);
    assert_eq!(d.interfaces.socket_type, SocketType::Udp);
    assert_eq!(d.lease_database.name, PathBuf::from("ruru-leases6.csv"));
    assert_eq!(d.server_id.file, PathBuf::from("kea-dhcp6-serverid"));
    let s = &d.subnets[0];
    let ip = |t: &str| t.parse::<Ipv6Addr>().unwrap();
    assert_eq!((s.id, s.addr, s.prefix_len), (1, ip("2001:db8:1::"), 64));
    assert_eq!(
        (s.preferred_lifetime.default, s.valid_lifetime.default),
        (3000, 4000)
    );
    assert_eq!((s.renew_timer, s.rebind_timer), (Some(1000), Some(2000)));
    assert_eq!(s.relay_addresses, [ip("2001:db8:1::1")]);
    assert_eq!(
        (s.pools[0].start, s.pools[0].end),
        (ip("2001:db8:1::100"), ip("2001:db8:1::1ff"))
    );
    assert_eq!(s.total_nas(), 256);
    assert_eq!(
        (
            s.pd_pools[0].prefix,
            s.pd_pools[0].prefix_len,
            s.pd_pools[0].delegated_len
        ),
        (ip("2001:db8:8::"), 48, 56)
    );
    assert_eq!(s.options[0].code, 23);
    assert_eq!(s.options[0].data, ip("2001:db8:1::53").octets());
    let r = s
        .reservations
        .get(&HostId6::Duid(vec![0, 3, 0, 1, 0xaa, 0xbb, 0xcc, 0, 0, 1]))
        .unwrap();
    assert_eq!(r.ip_addresses, [ip("2001:db8:1::10")]);
    assert_eq!(r.prefixes, [(ip("2001:db8:9:100::"), 56)]);
    assert_eq!(d.loggers[0].name, "kea-dhcp6");
}

#[test]
fn kea6_bench_configs_load() {
    for (name, mt) in [
        ("kea6-sarr-memfile.json", false),
        ("kea6-sarr-memfile-mt.json", true),
    ] {
        let d = load(&crate_dir().join("tests/data").join(name))
            .unwrap()
            .dhcp6
            .unwrap();
        assert_eq!(d.multi_threading.enabled, mt, "{name}");
        assert_eq!(d.server_id.kind, DuidType::Ll);
        assert_eq!(d.server_id.identifier, Some(vec![10, 11, 12, 13, 14, 15]));
        assert!(!d.server_id.persist);
        assert_eq!(
            d.server_id.file,
            PathBuf::from("/tmp/kbench/kea-dhcp6-serverid")
        );
        let s = &d.subnets[0];
        assert_eq!(s.interface.as_deref(), Some("kbv0"));
        assert_eq!(s.total_nas(), 1 << 32);
        assert_eq!(
            (s.preferred_lifetime.default, s.valid_lifetime.default),
            (3000, 4000)
        );
        assert_eq!(d.loggers[0].severity, Severity::Warn);
    }
}

/// Where every JSON object of `text` opens (byte offset just after `{`),
/// with its JSON path and whether it is empty. Skips strings and the three
/// comment styles.
fn objects(text: &str) -> Vec<(usize, String, bool)> {
    enum Frame {
        Object(Option<String>),
        Array(usize),
    }
    let b = text.as_bytes();
    let mut stack: Vec<Frame> = Vec::new();
    let mut expect_key = false;
    let mut out = Vec::new();
    let path = |stack: &[Frame]| {
        let mut s = String::new();
        for f in stack {
            match f {
                Frame::Object(Some(k)) => {
                    if !s.is_empty() {
                        s.push('.');
                    }
                    s.push_str(k);
                }
                Frame::Object(None) => {}
                Frame::Array(i) => s.push_str(&format!("[{i}]")),
            }
        }
        s
    };
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => {
                let start = i + 1;
                i += 1;
                while b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                if expect_key {
                    if let Some(Frame::Object(k)) = stack.last_mut() {
                        *k = Some(text[start..i].to_string());
                    }
                    expect_key = false;
                }
            }
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b[i + 1] == b'/' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b[i + 1] == b'*' => {
                i += text[i..].find("*/").unwrap() + 1;
            }
            b'{' => {
                let rest = text[i + 1..].trim_start();
                out.push((i + 1, path(&stack), rest.starts_with('}')));
                stack.push(Frame::Object(None));
                expect_key = true;
            }
            b'[' => stack.push(Frame::Array(0)),
            b'}' | b']' => {
                stack.pop();
            }
            b',' => match stack.last_mut() {
                Some(Frame::Array(n)) => *n += 1,
                Some(Frame::Object(_)) => expect_key = true,
                None => {}
            },
            _ => {}
        }
        i += 1;
    }
    out
}

#[test]
fn unknown_key_in_any_object_is_rejected() {
    const KEY: &str = "ruru-test-unknown-key";
    let mut checked = 0;
    for p in configs() {
        let text = std::fs::read_to_string(&p).unwrap();
        for (at, obj_path, empty) in objects(&text) {
            if obj_path.contains("user-context") {
                continue; // free-form by design
            }
            let insert = if empty {
                format!(" \"{KEY}\": 1 ")
            } else {
                format!(" \"{KEY}\": 1, ")
            };
            let mutated = format!("{}{insert}{}", &text[..at], &text[at..]);
            let want_path = if obj_path.is_empty() {
                KEY.to_string()
            } else {
                format!("{obj_path}.{KEY}")
            };
            let line = text[..at].matches('\n').count() + 1;
            let column = text[..at].rsplit('\n').next().unwrap().chars().count() + 2;
            match load_str(&mutated, &p) {
                Ok(_) => panic!("{}: `{KEY}` accepted in {obj_path:?}", p.display()),
                Err(e) => {
                    let d = &e.diagnostics[0];
                    assert_eq!(d.path, want_path, "{}: {e}", p.display());
                    assert_eq!(
                        (d.file.as_path(), d.line, d.column),
                        (p.as_path(), line, column),
                        "{e}"
                    );
                    assert!(
                        d.message.starts_with(&format!("unknown key `{KEY}`")),
                        "{e}"
                    );
                }
            }
            checked += 1;
        }
    }
    // loopback4.json and loopback6.json alone have more than a dozen objects each.
    assert!(checked > 40, "{checked}");
}

#[test]
fn object_finder_sanity() {
    let t = "// {x\n{\"a\": [ {}, {\"b\": {\"c\": \"{\"}} ], \"d\": {}}";
    let got: Vec<(String, bool)> = objects(t).into_iter().map(|(_, p, e)| (p, e)).collect();
    assert_eq!(
        got,
        [
            ("".to_string(), false),
            ("a[0]".to_string(), true),
            ("a[1]".to_string(), false),
            ("a[1].b".to_string(), false),
            ("d".to_string(), true),
        ]
    );
    let _ = Path::new("");
}
