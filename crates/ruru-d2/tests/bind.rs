//! ruru's DNS updater against a real BIND 9: a private `named` on
//! 127.0.0.1 (a free port) with forward zones under `example.org`,
//! `example.com`, `example.net` and the reverse zones of 192.0.2.0/24
//! and 2001:db8::/32, each updatable with a TSIG key of another
//! algorithm. Requests go through `D2Handle::submit` (or the NCR UDP
//! listener, as Kea's DHCP servers send them) and the records are read
//! back with `dig`.
//!
//! Needs `named` (Debian bind9) and `dig` (bind9-dnsutils): without them
//! each test prints SKIP, and fails under `RURU_REQUIRE_ALL=1`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is a failure

use std::net::{IpAddr, UdpSocket};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use ruru_config::D2Config;
use ruru_d2::{D2Handle, Tuning, D2};
use ruru_ddns::{ChangeType, ConflictMode, Dhcid, Ncr};

mod named;
use named::*;

/// The DhcpDdns section for servers at `ports` (tried in order), loaded
/// through ruru-config. `key_override` replaces every zone's key name.
fn config(
    ports: &[u16],
    timeout_ms: u32,
    key_override: Option<&str>,
    extra_keys: &str,
) -> D2Config {
    let servers: Vec<(&str, u16)> = ports.iter().map(|p| ("127.0.0.1", *p)).collect();
    config_at(&servers, timeout_ms, key_override, extra_keys)
}

/// [`config`] with servers at any address.
fn config_at(
    servers: &[(&str, u16)],
    timeout_ms: u32,
    key_override: Option<&str>,
    extra_keys: &str,
) -> D2Config {
    let section = section_text(servers, timeout_ms, key_override, extra_keys, free_port());
    let text = format!("{{\"DhcpDdns\": {section}}}");
    match ruru_config::load_str(&text, Path::new("/etc/ruru/d2.json")) {
        Ok(c) => c.dhcp_ddns.unwrap(),
        Err(e) => panic!("{e}\n{text}"),
    }
}

fn tuning(retry: &[u64]) -> Tuning {
    Tuning {
        retry_delays: retry.iter().map(|ms| Duration::from_millis(*ms)).collect(),
        ..Tuning::default()
    }
}

fn ncr(change: ChangeType, fqdn: &str, ip: &str, client: u8, mode: ConflictMode) -> Ncr {
    Ncr {
        change,
        forward: true,
        reverse: true,
        fqdn: fqdn.to_string(),
        ip: ip.parse().unwrap(),
        dhcid: Dhcid::from_hwaddr(1, &[0, 0x5e, 0, 0x53, 0, client], fqdn).unwrap(),
        lease_expires_on: 1_800_000_000,
        lease_length: 1200,
        conflict: mode,
    }
}

fn dhcid_b64(n: &Ncr) -> String {
    base64::engine::general_purpose::STANDARD.encode(&n.dhcid.0)
}

fn rev(ip: &str) -> String {
    ruru_config::reverse_name(ip.parse::<IpAddr>().unwrap())
}

async fn idle(h: &D2Handle, within: Duration) {
    let t = Instant::now();
    while h.pending() > 0 {
        assert!(
            t.elapsed() < within,
            "requests still pending: {:?}",
            h.snapshot()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn stat(h: &D2Handle, name: &str) -> i64 {
    h.stats()
        .value(name)
        .unwrap_or_else(|| panic!("no statistic {name}"))
}

/// Adds and removes v4 and v6 names in zones signed with each of the six
/// algorithms: A/AAAA + DHCID at the name, PTR + DHCID at the reverse
/// name, the lease length as TTL; removal leaves nothing.
#[tokio::test]
async fn adds_and_removes_with_every_tsig_algorithm() {
    let Some((named, dig)) = prerequisites("adds_and_removes_with_every_tsig_algorithm") else {
        return;
    };
    let ns = Named::start(&named, &dig, free_port());
    let cfg = config(&[ns.port], 2000, None, "");
    let h = D2::spawn(Arc::new(cfg), tuning(&[])).await.unwrap();
    let m = ConflictMode::CheckWithDhcid;
    let adds = [
        ncr(ChangeType::Add, "host.example.org.", "192.0.2.10", 1, m),
        ncr(ChangeType::Add, "h.sub.example.org.", "192.0.2.11", 2, m),
        ncr(ChangeType::Add, "h.example.com.", "192.0.2.12", 3, m),
        ncr(ChangeType::Add, "h.example.net.", "192.0.2.13", 4, m),
        ncr(ChangeType::Add, "host6.example.org.", "2001:db8::5", 5, m),
    ];
    for n in &adds {
        h.submit(n.clone()).unwrap();
    }
    idle(&h, Duration::from_secs(30)).await;
    for n in &adds {
        let (t, ip) = (if n.ip.is_ipv4() { "A" } else { "AAAA" }, n.ip.to_string());
        assert_eq!(ns.dig(&n.fqdn, t), vec![ip.clone()], "{}", n.fqdn);
        assert_eq!(ns.dig(&n.fqdn, "DHCID"), vec![dhcid_b64(n)], "{}", n.fqdn);
        assert_eq!(ns.ttls(&n.fqdn, t), vec![1200], "{}", n.fqdn);
        let r = rev(&ip);
        assert_eq!(ns.dig(&r, "PTR"), vec![n.fqdn.clone()], "{r}");
        assert_eq!(ns.dig(&r, "DHCID"), vec![dhcid_b64(n)], "{r}");
    }
    // 5 forward adds + 5 reverse replaces, all signed, all answered.
    assert_eq!(stat(&h, "update-sent"), 10, "{:?}", h.snapshot());
    assert_eq!(stat(&h, "update-signed"), 10);
    assert_eq!(stat(&h, "update-unsigned"), 0);
    assert_eq!(stat(&h, "update-success"), 10);
    assert_eq!(stat(&h, "update-error"), 0);
    assert_eq!(stat(&h, "key[k-sha256.].update-sent"), 2);
    assert_eq!(stat(&h, "key[k-sha1.].update-success"), 4);
    assert_eq!(stat(&h, "key[k-sha512.].update-success"), 1);
    for n in &adds {
        let mut r = n.clone();
        r.change = ChangeType::Remove;
        h.submit(r).unwrap();
    }
    idle(&h, Duration::from_secs(30)).await;
    for n in &adds {
        let t = if n.ip.is_ipv4() { "A" } else { "AAAA" };
        assert!(ns.dig(&n.fqdn, t).is_empty(), "{}", n.fqdn);
        assert!(ns.dig(&n.fqdn, "DHCID").is_empty(), "{}", n.fqdn);
        let r = rev(&n.ip.to_string());
        assert!(ns.dig(&r, "PTR").is_empty(), "{r}");
        assert!(ns.dig(&r, "DHCID").is_empty(), "{r}");
    }
    assert_eq!(stat(&h, "update-error"), 0, "{:?}", h.snapshot());
    h.shutdown();
}

/// RFC 4703 conflict resolution: a second client (another DHCID) does not
/// take a name under check-with-dhcid, nor remove it; it does with
/// no-check-with-dhcid. The owner may change its address (replace).
#[tokio::test]
async fn conflict_resolution_modes() {
    let Some((named, dig)) = prerequisites("conflict_resolution_modes") else {
        return;
    };
    let ns = Named::start(&named, &dig, free_port());
    let h = D2::spawn(Arc::new(config(&[ns.port], 2000, None, "")), tuning(&[]))
        .await
        .unwrap();
    let name = "shared.example.org.";
    let check = ConflictMode::CheckWithDhcid;
    let a = ncr(ChangeType::Add, name, "192.0.2.20", 1, check);
    h.submit(a.clone()).unwrap();
    idle(&h, Duration::from_secs(30)).await;
    assert_eq!(ns.dig(name, "A"), vec!["192.0.2.20"]);

    // Client 2 claims the name: refused, the records stay client 1's.
    let b = ncr(ChangeType::Add, name, "192.0.2.21", 2, check);
    h.submit(b.clone()).unwrap();
    idle(&h, Duration::from_secs(30)).await;
    assert_eq!(ns.dig(name, "A"), vec!["192.0.2.20"]);
    assert_eq!(ns.dig(name, "DHCID"), vec![dhcid_b64(&a)]);
    assert!(ns.dig(&rev("192.0.2.21"), "PTR").is_empty());
    // Nor can it remove them.
    let mut b_rm = b.clone();
    b_rm.change = ChangeType::Remove;
    h.submit(b_rm).unwrap();
    idle(&h, Duration::from_secs(30)).await;
    assert_eq!(ns.dig(name, "A"), vec!["192.0.2.20"]);

    // Client 1 moves to another address: replaced (DHCID matches).
    let a2 = ncr(ChangeType::Add, name, "192.0.2.22", 1, check);
    h.submit(a2).unwrap();
    idle(&h, Duration::from_secs(30)).await;
    assert_eq!(ns.dig(name, "A"), vec!["192.0.2.22"]);
    assert_eq!(ns.dig(&rev("192.0.2.22"), "PTR"), vec![name]);

    // Without the check, client 2 takes it over (its DHCID replaces).
    let b2 = ncr(
        ChangeType::Add,
        name,
        "192.0.2.21",
        2,
        ConflictMode::NoCheckWithDhcid,
    );
    h.submit(b2.clone()).unwrap();
    idle(&h, Duration::from_secs(30)).await;
    assert_eq!(ns.dig(name, "A"), vec!["192.0.2.21"]);
    assert_eq!(ns.dig(name, "DHCID"), vec![dhcid_b64(&b2)]);

    // check-exists-with-dhcid: client 3 replaces, since a DHCID exists.
    let c = ncr(
        ChangeType::Add,
        name,
        "192.0.2.23",
        3,
        ConflictMode::CheckExistsWithDhcid,
    );
    h.submit(c.clone()).unwrap();
    idle(&h, Duration::from_secs(30)).await;
    assert_eq!(ns.dig(name, "A"), vec!["192.0.2.23"]);
    assert_eq!(ns.dig(name, "DHCID"), vec![dhcid_b64(&c)]);

    // no-check-without-dhcid: no DHCID records are written.
    let plain = "plain.example.org.";
    let d = ncr(
        ChangeType::Add,
        plain,
        "192.0.2.24",
        4,
        ConflictMode::NoCheckWithoutDhcid,
    );
    h.submit(d.clone()).unwrap();
    idle(&h, Duration::from_secs(30)).await;
    assert_eq!(ns.dig(plain, "A"), vec!["192.0.2.24"]);
    assert!(ns.dig(plain, "DHCID").is_empty());
    assert!(ns.dig(&rev("192.0.2.24"), "DHCID").is_empty());
    assert_eq!(ns.dig(&rev("192.0.2.24"), "PTR"), vec![plain]);
    let mut d_rm = d;
    d_rm.change = ChangeType::Remove;
    h.submit(d_rm).unwrap();
    idle(&h, Duration::from_secs(30)).await;
    assert!(ns.dig(plain, "A").is_empty());
    assert!(ns.dig(&rev("192.0.2.24"), "PTR").is_empty());
    // Refusals are answers, not errors.
    assert_eq!(stat(&h, "update-error"), 0, "{:?}", h.snapshot());
    h.shutdown();
}

/// A key the server does not know, or the right name with a wrong
/// secret: the server refuses, ruru counts update-error, nothing changes.
#[tokio::test]
async fn wrong_tsig_key_changes_nothing() {
    let Some((named, dig)) = prerequisites("wrong_tsig_key_changes_nothing") else {
        return;
    };
    let ns = Named::start(&named, &dig, free_port());
    for (key, extra) in [
        (
            "unknown",
            format!(
                "{{\"name\": \"unknown\", \"algorithm\": \"HMAC-SHA256\", \"secret\": \"{}\"}}",
                secret("unknown")
            ),
        ),
        ("k-sha256", String::new()),
    ] {
        let mut cfg = config(&[ns.port], 1000, Some(key), &extra);
        if extra.is_empty() {
            // The right name and algorithm, another secret.
            for d in cfg.forward.iter_mut().chain(cfg.reverse.iter_mut()) {
                for s in &mut d.servers {
                    if let Some(k) = s.key.as_mut() {
                        k.secret = b"not the secret".to_vec();
                    }
                }
            }
        }
        let h = D2::spawn(Arc::new(cfg), tuning(&[])).await.unwrap();
        let n = ncr(
            ChangeType::Add,
            "badkey.example.org.",
            "192.0.2.30",
            1,
            ConflictMode::CheckWithDhcid,
        );
        h.submit(n).unwrap();
        idle(&h, Duration::from_secs(30)).await;
        assert!(ns.dig("badkey.example.org.", "A").is_empty(), "{key}");
        assert!(ns.dig(&rev("192.0.2.30"), "PTR").is_empty(), "{key}");
        // 3 tries on the one server, all refused.
        assert_eq!(stat(&h, "update-error"), 3, "{key}: {:?}", h.snapshot());
        assert_eq!(stat(&h, "update-success"), 0, "{key}");
        let kname = if key == "unknown" {
            "unknown."
        } else {
            "k-sha256."
        };
        assert_eq!(stat(&h, &format!("key[{kname}].update-error")), 3, "{key}");
        h.shutdown();
    }
}

/// Servers that do not answer: the next server of the zone is tried
/// (timeouts counted); when none answers the request waits and is tried
/// again, and is applied once the server is back.
#[tokio::test]
async fn unreachable_servers_fail_over_and_retry() {
    let Some((named, dig)) = prerequisites("unreachable_servers_fail_over_and_retry") else {
        return;
    };
    let mut ns = Named::start(&named, &dig, free_port());
    // A silent server (a bound socket that never answers) first.
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    let h = D2::spawn(
        Arc::new(config(&[silent_port, ns.port], 200, None, "")),
        tuning(&[]),
    )
    .await
    .unwrap();
    let n = ncr(
        ChangeType::Add,
        "failover.example.org.",
        "192.0.2.40",
        1,
        ConflictMode::CheckWithDhcid,
    );
    h.submit(n).unwrap();
    idle(&h, Duration::from_secs(30)).await;
    assert_eq!(ns.dig("failover.example.org.", "A"), vec!["192.0.2.40"]);
    // 3 tries of the silent server for each direction, then the real one.
    assert_eq!(stat(&h, "update-timeout"), 6, "{:?}", h.snapshot());
    assert_eq!(stat(&h, "update-success"), 2);
    h.shutdown();

    // The only server down: retried later, applied once it is back.
    ns.stop();
    let h = D2::spawn(
        Arc::new(config(&[ns.port], 200, None, "")),
        tuning(&[500, 1000, 2000, 4000, 8000]),
    )
    .await
    .unwrap();
    let n = ncr(
        ChangeType::Add,
        "later.example.org.",
        "192.0.2.41",
        2,
        ConflictMode::CheckWithDhcid,
    );
    h.submit(n).unwrap();
    let t = Instant::now();
    while stat(&h, "update-timeout") < 3 {
        assert!(t.elapsed() < Duration::from_secs(20), "{:?}", h.snapshot());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(h.pending(), 1);
    ns.restart();
    idle(&h, Duration::from_secs(30)).await;
    assert_eq!(ns.dig("later.example.org.", "A"), vec!["192.0.2.41"]);
    assert_eq!(
        ns.dig(&rev("192.0.2.41"), "PTR"),
        vec!["later.example.org."]
    );
    assert!(stat(&h, "update-timeout") >= 3);
    h.shutdown();
}

/// NCRs as Kea 2.2's DHCP servers send them, over UDP to the listener:
/// applied; a malformed datagram is dropped and counted.
#[tokio::test]
async fn ncrs_over_udp_from_kea() {
    let Some((named, dig)) = prerequisites("ncrs_over_udp_from_kea") else {
        return;
    };
    let ns = Named::start(&named, &dig, free_port());
    let h = D2::spawn(
        Arc::new(config(&[ns.port], 2000, None, "")),
        Tuning::default(),
    )
    .await
    .unwrap();
    let to = h.listen_addr().unwrap();
    let fqdn = "kea.example.org.";
    let dhcid = Dhcid::from_hwaddr(1, &[0, 0x5e, 0, 0x53, 0, 9], fqdn).unwrap();
    // Kea 2.2's text: no conflict-resolution-mode.
    let json = format!(
        "{{\"change-type\":0,\"forward-change\":true,\"reverse-change\":true,\"fqdn\":\"{fqdn}\",\"ip-address\":\"192.0.2.50\",\"dhcid\":\"{}\",\"lease-expires-on\":\"20300101000000\",\"lease-length\":1300,\"use-conflict-resolution\":true}}",
        dhcid.to_hex()
    );
    let mut dgram = (json.len() as u16).to_be_bytes().to_vec();
    dgram.extend_from_slice(json.as_bytes());
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.send_to(b"\x00\x05{bad}", to).unwrap();
    sock.send_to(&dgram, to).unwrap();
    let t = Instant::now();
    while stat(&h, "ncr-received") < 1 || h.pending() > 0 {
        assert!(t.elapsed() < Duration::from_secs(20), "{:?}", h.snapshot());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(ns.dig(fqdn, "A"), vec!["192.0.2.50"]);
    assert_eq!(ns.ttls(fqdn, "A"), vec![1300]);
    assert_eq!(ns.dig(&rev("192.0.2.50"), "PTR"), vec![fqdn]);
    assert_eq!(stat(&h, "ncr-invalid"), 1);
    assert_eq!(stat(&h, "ncr-received"), 1);
    h.shutdown();
}

/// submit never waits: beyond the queue's capacity requests are refused
/// and counted as queue-mgr-queue-full.
#[tokio::test]
async fn full_queue_refuses_at_once() {
    // No DNS server is needed: requests wait behind a silent one.
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let cfg = config(&[silent.local_addr().unwrap().port()], 5000, None, "");
    let h = D2::spawn(
        Arc::new(cfg),
        Tuning {
            queue_capacity: 4,
            listen: false,
            ..tuning(&[])
        },
    )
    .await
    .unwrap();
    let mut refused = 0;
    let t = Instant::now();
    for i in 0..10u8 {
        let n = ncr(
            ChangeType::Add,
            &format!("q{i}.example.org."),
            "192.0.2.60",
            i,
            ConflictMode::CheckWithDhcid,
        );
        if h.submit(n).is_err() {
            refused += 1;
        }
    }
    assert!(t.elapsed() < Duration::from_millis(500));
    assert_eq!(refused, 6);
    assert_eq!(stat(&h, "queue-mgr-queue-full"), 6);
    assert_eq!(h.pending(), 4);
    h.shutdown();
}

/// Requests for one name are carried out in the order they came, even
/// when they come faster than the server answers; other names meanwhile.
#[tokio::test]
async fn one_name_in_order_others_concurrently() {
    let Some((named, dig)) = prerequisites("one_name_in_order_others_concurrently") else {
        return;
    };
    let ns = Named::start(&named, &dig, free_port());
    let h = D2::spawn(Arc::new(config(&[ns.port], 2000, None, "")), tuning(&[]))
        .await
        .unwrap();
    let name = "moving.example.org.";
    let m = ConflictMode::CheckWithDhcid;
    let mut expected_last = String::new();
    for i in 0..5u8 {
        let ip = format!("192.0.2.{}", 70 + i);
        let add = ncr(ChangeType::Add, name, &ip, 7, m);
        h.submit(add.clone()).unwrap();
        if i < 4 {
            let mut rm = add;
            rm.change = ChangeType::Remove;
            h.submit(rm).unwrap();
        }
        // Another name, interleaved.
        let other = format!("other{i}.example.com.");
        h.submit(ncr(
            ChangeType::Add,
            &other,
            &format!("192.0.2.{}", 80 + i),
            i,
            m,
        ))
        .unwrap();
        expected_last = ip;
    }
    idle(&h, Duration::from_secs(60)).await;
    assert_eq!(ns.dig(name, "A"), vec![expected_last.clone()]);
    assert_eq!(ns.dig(&rev(&expected_last), "PTR"), vec![name]);
    for i in 0..4u8 {
        assert!(ns
            .dig(&rev(&format!("192.0.2.{}", 70 + i)), "PTR")
            .is_empty());
    }
    for i in 0..5u8 {
        assert_eq!(
            ns.dig(&format!("other{i}.example.com."), "A"),
            vec![format!("192.0.2.{}", 80 + i)]
        );
    }
    assert_eq!(stat(&h, "update-error"), 0, "{:?}", h.snapshot());
    h.shutdown();
}

/// A DNS server reached over IPv6 (::1).
#[tokio::test]
async fn updates_over_ipv6() {
    let Some((named, dig)) = prerequisites("updates_over_ipv6") else {
        return;
    };
    if !have_ipv6() {
        let msg = "SKIP updates_over_ipv6: ::1 cannot be bound (IPv6 disabled)";
        assert!(
            std::env::var("RURU_REQUIRE_ALL").as_deref() != Ok("1"),
            "{msg} (RURU_REQUIRE_ALL=1)"
        );
        eprintln!("{msg}");
        return;
    }
    let ns = Named::start(&named, &dig, free_port());
    let h = D2::spawn(
        Arc::new(config_at(&[("::1", ns.port)], 2000, None, "")),
        tuning(&[]),
    )
    .await
    .unwrap();
    let n = ncr(
        ChangeType::Add,
        "v6transport.example.org.",
        "2001:db8::77",
        1,
        ConflictMode::CheckWithDhcid,
    );
    h.submit(n).unwrap();
    idle(&h, Duration::from_secs(30)).await;
    assert_eq!(
        ns.dig("v6transport.example.org.", "AAAA"),
        vec!["2001:db8::77"]
    );
    assert_eq!(
        ns.dig(&rev("2001:db8::77"), "PTR"),
        vec!["v6transport.example.org."]
    );
    h.shutdown();
}
