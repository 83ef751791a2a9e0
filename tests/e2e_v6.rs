//! End-to-end DHCPv6 tests: the real `ruru` binary on loopback, driven by a
//! relay agent at [::1]:547 sending Relay-forward messages with
//! link-address 2001:db8:1::1 (DESIGN.md "Loopback test setup"); checks the
//! replies inside the Relay-reply, the Kea-format lease file and the
//! statistics. Binding port 547 needs root (SKIP otherwise, failure under
//! RURU_REQUIRE_ALL=1). The tests share the relay port, so they run one at
//! a time.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::{Ipv6Addr, SocketAddrV6, UdpSocket};
use std::time::Duration;

use common::kea::Kea;
use common::v6::*;
use common::*;
use dhcproto::v6::{self, DhcpOption, MessageType, OptionCode};
use dhcproto::{Decodable, Decoder};

fn config() -> String {
    r#"{ "Dhcp6": {
    "interfaces-config": { "interfaces": ["lo"] },
    "control-socket": { "socket-type": "unix", "socket-name": "@DIR@/ctrl6.sock" },
    "lease-database": { "type": "memfile", "name": "@DIR@/leases6.csv", "lfc-interval": 0 },
    "server-id": { "type": "LLT", "persist": true },
    "preferred-lifetime": 3000, "valid-lifetime": 4000,
    "subnet6": [ {
      "id": 1, "subnet": "2001:db8:1::/64",
      "pools": [ { "pool": "2001:db8:1::100 - 2001:db8:1::1ff" } ],
      "pd-pools": [ { "prefix": "2001:db8:8::", "prefix-len": 48, "delegated-len": 56 } ],
      "option-data": [ { "name": "dns-servers", "data": "2001:db8::53" } ]
    } ]
} }"#
        .to_string()
}

/// Returns the guard first: locals are dropped in reverse order, so the
/// relay socket is closed before the next test may bind the port.
fn setup(test: &str) -> Option<(std::sync::MutexGuard<'static, ()>, Server, Relay6)> {
    setup_with(test, &config(), None)
}

/// `setup` with another configuration, started in `dir` when given.
fn setup_with(
    test: &str,
    cfg: &str,
    dir: Option<tempfile::TempDir>,
) -> Option<(std::sync::MutexGuard<'static, ()>, Server, Relay6)> {
    let guard = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let sock = bind_relay(test)?;
    let srv = match dir {
        Some(d) => Server::start_in(d, cfg),
        None => Server::start(cfg),
    };
    let relay = Relay6::new(sock, srv.port);
    Some((guard, srv, relay))
}

#[test]
fn sarr_with_prefix_delegation_renew_release_and_restart() {
    let Some((_g, mut srv, relay)) = setup("v6_sarr") else {
        return;
    };
    let adv = relay
        .exchange(&msg(1, 1, None, &[ia_na(1, None), ia_pd(2, None)]))
        .expect("ADVERTISE");
    assert_eq!(adv.msg_type(), MessageType::Advertise);
    let sid = server_duid(&adv);
    let a = addr_of(&adv).unwrap();
    let (p, plen) = prefix_of(&adv).unwrap();
    assert_eq!(plen, 56);
    assert!(
        srv.lease_file("leases6.csv").lines().count() <= 1,
        "an Advertise stores nothing"
    );
    assert_eq!(
        adv.opts().get(OptionCode::DomainNameServers),
        Some(&DhcpOption::DomainNameServers(vec!["2001:db8::53"
            .parse()
            .unwrap()]))
    );
    let rep = relay
        .exchange(&msg(
            3,
            1,
            Some(&sid),
            &[ia_na(1, Some(a)), ia_pd(2, Some((p, plen)))],
        ))
        .expect("REPLY");
    assert_eq!(rep.msg_type(), MessageType::Reply);
    assert_eq!(addr_of(&rep), Some(a));
    assert_eq!(prefix_of(&rep), Some((p, 56)));
    // Kea's kea-leases6.csv rows, written before the Reply.
    let file = srv.lease_file("leases6.csv");
    assert!(
        file.starts_with(
            "address,duid,valid_lifetime,expire,subnet_id,pref_lifetime,lease_type,iaid,prefix_len"
        ),
        "{file}"
    );
    let row = file
        .lines()
        .find(|l| l.starts_with(&format!("{a},")))
        .expect("NA row");
    let cols: Vec<&str> = row.split(',').collect();
    assert_eq!(
        (cols[1], cols[2], cols[4], cols[5], cols[6], cols[7], cols[8]),
        (
            "00:03:00:01:02:00:00:00:00:01",
            "4000",
            "1",
            "3000",
            "0",
            "1",
            "128"
        )
    );
    let prow = file
        .lines()
        .find(|l| l.starts_with(&format!("{p},")))
        .expect("PD row");
    assert_eq!(prow.split(',').nth(6), Some("2"));

    // Renew keeps both.
    let ren = relay
        .exchange(&msg(
            5,
            1,
            Some(&sid),
            &[ia_na(1, Some(a)), ia_pd(2, Some((p, plen)))],
        ))
        .unwrap();
    assert_eq!(addr_of(&ren), Some(a));
    assert_eq!(prefix_of(&ren), Some((p, 56)));
    // Restart: same server DUID, the lease is still the client's.
    srv.stop();
    srv.spawn();
    let adv2 = relay.exchange(&msg(1, 1, None, &[ia_na(1, None)])).unwrap();
    assert_eq!(server_duid(&adv2), sid, "server DUID persisted");
    assert_eq!(addr_of(&adv2), Some(a));
    // Release: deletion row; the address is free again.
    let rel = relay
        .exchange(&msg(8, 1, Some(&sid), &[ia_na(1, Some(a))]))
        .unwrap();
    assert_eq!(rel.msg_type(), MessageType::Reply);
    assert!(wait_until(Duration::from_secs(2), || srv
        .lease_file("leases6.csv")
        .lines()
        .rev()
        .find(|l| l.starts_with(&format!("{a},")))
        .is_some_and(|l| l.split(',').nth(2) == Some("0"))));
    let log = srv.stop();
    assert_eq!(
        Server::stat_from_log(&log, "pkt6-solicit-received"),
        Some(1)
    );
    assert_eq!(
        Server::stat_from_log(&log, "subnet[1].assigned-pds"),
        Some(1)
    );
}

/// A burst of Solicits sent back to back (the worker takes up to 16 per
/// `recvmmsg` and sends their Advertises in one `sendmmsg`): each client
/// gets one Advertise, with its own DUID and its own address.
#[test]
fn a_burst_of_solicits_is_answered_in_full() {
    let Some((_g, _srv, relay)) = setup("v6_burst") else {
        return;
    };
    const N: u8 = 40;
    for n in 1..=N {
        relay.send(&msg(1, n, None, &[ia_na(1, None)]));
    }
    let mut got = std::collections::HashMap::new();
    while got.len() < usize::from(N) {
        let Some(m) = relay.recv() else { break };
        assert_eq!(m.msg_type(), MessageType::Advertise);
        let client = match m.opts().get(OptionCode::ClientId) {
            Some(DhcpOption::ClientId(d)) => d.clone(),
            o => panic!("no client id: {o:?}"),
        };
        let addr = addr_of(&m).expect("an address");
        assert!(
            got.insert(client, addr).is_none(),
            "one Advertise per client"
        );
    }
    assert_eq!(got.len(), usize::from(N), "every Solicit answered");
    for n in 1..=N {
        assert!(got.contains_key(&duid(n)), "client {n}");
    }
    let distinct: std::collections::HashSet<_> = got.values().collect();
    assert_eq!(distinct.len(), usize::from(N));
}

#[test]
fn information_request_and_malformed_messages() {
    let Some((_g, mut srv, relay)) = setup("v6_inforeq") else {
        return;
    };
    let info = relay.exchange(&msg(11, 9, None, &[])).unwrap();
    assert_eq!(info.msg_type(), MessageType::Reply);
    assert!(addr_of(&info).is_none());
    for junk in [&[12u8, 0][..], &[1, 0][..], &[0xffu8; 40][..]] {
        relay.sock.send_to(junk, relay.server).unwrap();
    }
    // still serving
    let adv = relay
        .exchange(&msg(1, 10, None, &[ia_na(1, None)]))
        .unwrap();
    assert!(addr_of(&adv).is_some());
    let log = srv.stop();
    assert!(
        Server::stat_from_log(&log, "pkt6-parse-failed").unwrap_or(0) >= 2,
        "{}",
        log.join("\n")
    );
}

/// A C hook library at the DHCPv6 hook points: pkt6_receive drops the
/// client whose DUID ends in `drop`; lease6_select sets the lifetimes;
/// pkt6_send adds option 65000; leases6_committed parks the Reply and a
/// thread unparks it after 200 ms; lease6_release SKIPs (the lease stays).
const HOOK6: &str = r#"
#include <pthread.h>
#include <unistd.h>
#include <stdint.h>

static long drop_last = -1, valid = 0;
static pthread_t threads[64];
static int nthreads;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

uint32_t ruru_hook_abi_version(void) { return RURU_HOOKS_ABI_VERSION; }

int32_t ruru_hook_load(const RuruApi *a, RuruLibrary *l, const char *params) {
    api = a; self = l;
    drop_last = param_int(params, "drop", -1);
    valid = param_int(params, "valid", 0);
    return 0;
}

int32_t ruru_hook_unload(void) {
    for (int i = 0; i < nthreads; i++) pthread_join(threads[i], NULL);
    nthreads = 0;
    return 0;
}

int32_t pkt6_receive(RuruCallout *c) {
    uint8_t duid[130];
    size_t len = sizeof duid;
    if (api->get_bytes(c, "query6.duid", duid, &len) != RURU_OK || len == 0) return RURU_ERROR;
    return duid[len - 1] == drop_last ? RURU_DROP : RURU_CONTINUE;
}

int32_t lease6_select(RuruCallout *c) {
    uint8_t addr[16];
    size_t len = sizeof addr;
    if (api->get_bytes(c, "lease6.address", addr, &len) != RURU_OK || len != 16) return RURU_ERROR;
    if (api->set_u32(c, "lease6.valid_lifetime", (uint32_t)valid) != RURU_OK) return RURU_ERROR;
    if (api->set_u32(c, "lease6.preferred_lifetime", (uint32_t)valid / 2) != RURU_OK) return RURU_ERROR;
    return RURU_CONTINUE;
}

int32_t pkt6_send(RuruCallout *c) {
    const char *v = "v6-hooked";
    return api->set_option(c, "response6", 65000, (const uint8_t *)v, strlen(v)) == RURU_OK
        ? RURU_CONTINUE : RURU_ERROR;
}

static void *later(void *p) {
    uint64_t id = (uint64_t)(uintptr_t)p;
    usleep(200000);
    int32_t rc = api->unpark(self, id, RURU_CONTINUE);
    char msg[64];
    snprintf(msg, sizeof msg, "hook6: unparked rc %d", rc);
    api->log(self, RURU_LOG_INFO, msg);
    return NULL;
}

int32_t leases6_committed(RuruCallout *c) {
    char leases[1024];
    size_t len = sizeof leases - 1;
    uint64_t id;
    if (api->get_bytes(c, "leases6", (uint8_t *)leases, &len) != RURU_OK) return RURU_ERROR;
    leases[len] = 0;
    api->log(self, RURU_LOG_INFO, leases);
    if (api->get_u64(c, "parking_id", &id) != RURU_OK) return RURU_ERROR;
    if (nthreads >= 64 || pthread_create(&threads[nthreads], NULL, later, (void *)(uintptr_t)id) != 0)
        return RURU_ERROR;
    nthreads++;
    return RURU_PARK;
}

int32_t lease6_release(RuruCallout *c) { (void)c; return RURU_SKIP; }

int32_t dhcp6_srv_configured(RuruCallout *c) {
    (void)c;
    api->log(self, RURU_LOG_INFO, "hook6: configured");
    return RURU_CONTINUE;
}
"#;

fn iaaddr_lifetimes(m: &v6::Message) -> Option<(u32, u32)> {
    m.opts().iter().find_map(|o| match o {
        DhcpOption::IANA(ia) => ia.opts.iter().find_map(|x| match x {
            DhcpOption::IAAddr(a) => Some((a.preferred_life, a.valid_life)),
            _ => None,
        }),
        _ => None,
    })
}

fn option_65000(m: &v6::Message) -> Option<Vec<u8>> {
    m.opts().iter().find_map(|o| match o {
        DhcpOption::Unknown(u) if u16::from(u.code()) == 65000 => Some(u.data().to_vec()),
        _ => None,
    })
}

#[test]
fn hook_library_at_the_dhcpv6_hook_points() {
    let dir = tempfile::tempdir().unwrap();
    let lib = common::clib::build_lib(dir.path(), "libhook6.so", HOOK6);
    let cfg = config().replace(
        r#""preferred-lifetime": 3000,"#,
        &format!(
            r#""hooks-libraries": [ {{ "library": "{}", "parameters": {{ "drop": 9, "valid": 5000 }} }} ],
    "loggers": [ {{ "name": "kea-dhcp6", "severity": "INFO" }} ],
    "preferred-lifetime": 3000,"#,
            lib.display()
        ),
    );
    let Some((_g, mut srv, relay)) = setup_with("v6_hooks", &cfg, Some(dir)) else {
        return;
    };
    assert!(srv.wait_log("hook6: configured", Duration::from_secs(5)));
    // pkt6_receive DROP.
    assert!(relay
        .exchange(&msg(1, 9, None, &[ia_na(1, None)]))
        .is_none());
    // lease6_select lifetimes and the pkt6_send option.
    let adv = relay
        .exchange(&msg(1, 1, None, &[ia_na(1, None)]))
        .expect("ADVERTISE");
    assert_eq!(iaaddr_lifetimes(&adv), Some((2500, 5000)));
    assert_eq!(option_65000(&adv).as_deref(), Some(&b"v6-hooked"[..]));
    let a = addr_of(&adv).unwrap();
    let sid = server_duid(&adv);
    // The Reply is parked at leases6_committed and sent once unparked.
    let rep = relay
        .exchange(&msg(3, 1, Some(&sid), &[ia_na(1, Some(a))]))
        .expect("parked REPLY, sent after the unpark");
    assert_eq!(rep.msg_type(), MessageType::Reply);
    assert_eq!(iaaddr_lifetimes(&rep), Some((2500, 5000)));
    assert_eq!(option_65000(&rep).as_deref(), Some(&b"v6-hooked"[..]));
    assert!(srv.wait_log("hook6: unparked rc 0", Duration::from_secs(5)));
    assert!(srv.log_text().contains(&format!("\"ip-address\":\"{a}\"")));
    let row = srv
        .lease_file("leases6.csv")
        .lines()
        .find(|l| l.starts_with(&format!("{a},")))
        .map(str::to_string)
        .expect("lease row");
    assert_eq!(row.split(',').nth(2), Some("5000"), "{row}");
    // lease6_release SKIP: the lease stays.
    let rel = relay
        .exchange(&msg(8, 1, Some(&sid), &[ia_na(1, Some(a))]))
        .expect("release reply");
    assert_eq!(rel.msg_type(), MessageType::Reply);
    let log = srv.stop();
    assert_eq!(
        Server::stat_from_log(&log, "hooks.libhook6.so.pkt6_receive.calls"),
        Some(4)
    );
    // Request and Release both reach leases6_committed (as in Kea).
    assert_eq!(
        Server::stat_from_log(&log, "hooks.unparked-packets"),
        Some(2)
    );
    assert_eq!(Server::stat_from_log(&log, "pkt6-drop-hook"), Some(1));
    let text = std::fs::read_to_string(srv.path("leases6.csv")).unwrap();
    let last = text
        .lines()
        .rev()
        .find(|l| l.starts_with(&format!("{a},")))
        .unwrap();
    assert_ne!(last.split(',').nth(2), Some("0"), "not released: {last}");
}

#[test]
fn unicast_from_a_direct_client_gets_use_multicast() {
    let cfg = config().replace(
        r#""id": 1, "subnet": "2001:db8:1::/64","#,
        r#""id": 1, "subnet": "2001:db8:1::/64", "interface": "lo","#,
    );
    let Some((_g, srv, relay)) = setup_with("v6_unicast", &cfg, None) else {
        return;
    };
    // The server DUID, through the relay.
    let adv = relay
        .exchange(&msg(1, 1, None, &[ia_na(1, None)]))
        .expect("ADVERTISE");
    let sid = server_duid(&adv);
    let a = addr_of(&adv).unwrap();
    // A client on lo, unicasting to the server (no relay); replies to
    // direct clients go to the server's client port (`-P`).
    let client = UdpSocket::bind(SocketAddrV6::new(
        Ipv6Addr::LOCALHOST,
        srv.client_port,
        0,
        0,
    ))
    .unwrap();
    client
        .set_read_timeout(Some(Duration::from_millis(1500)))
        .unwrap();
    let mut buf = [0u8; 2048];
    // Solicit by unicast: discarded.
    client
        .send_to(&msg(1, 2, None, &[ia_na(1, None)]), relay.server)
        .unwrap();
    assert!(
        client.recv_from(&mut buf).is_err(),
        "no answer to a unicast Solicit"
    );
    // Request by unicast: UseMulticast, nothing stored.
    client
        .send_to(&msg(3, 1, Some(&sid), &[ia_na(1, Some(a))]), relay.server)
        .unwrap();
    let (n, _) = client.recv_from(&mut buf).expect("a Reply");
    let rep = v6::Message::decode(&mut Decoder::new(&buf[..n])).unwrap();
    assert_eq!(rep.msg_type(), MessageType::Reply);
    match rep.opts().get(OptionCode::StatusCode) {
        Some(DhcpOption::StatusCode(s)) => assert_eq!(s.status, v6::Status::UseMulticast),
        other => panic!("no UseMulticast: {other:?}"),
    }
    assert!(rep.opts().get(OptionCode::IANA).is_none());
}

#[test]
fn reload_closes_and_opens_dhcpv6_sockets() {
    let Some((_g, srv, relay)) = setup("v6_iface_reload") else {
        return;
    };
    assert!(relay
        .exchange(&msg(1, 1, None, &[ia_na(1, None)]))
        .is_some());
    // lo leaves interfaces-config: its socket closes, nothing answers.
    let dir = srv.dir.path().to_str().unwrap().to_string();
    let without = config()
        .replace(r#""interfaces": ["lo"]"#, r#""interfaces": []"#)
        .replace("@DIR@", &dir);
    std::fs::write(&srv.config, without).unwrap();
    srv.signal("-HUP");
    assert!(
        srv.wait_log("DHCPv6 socket closed", Duration::from_secs(10)),
        "{}",
        srv.log_text()
    );
    assert!(relay
        .exchange(&msg(1, 2, None, &[ia_na(1, None)]))
        .is_none());
    // Back in: served again, without a restart.
    std::fs::write(&srv.config, config().replace("@DIR@", &dir)).unwrap();
    srv.signal("-HUP");
    assert!(wait_until(Duration::from_secs(10), || srv
        .log_text()
        .matches("listening (DHCPv6)")
        .count()
        >= 2));
    assert!(relay
        .exchange(&msg(1, 3, None, &[ia_na(1, None)]))
        .is_some());
}

/// The IA_NA options of a reply: (IAID, whether it holds an address).
fn ia_nas(m: &v6::Message) -> Vec<(u32, bool)> {
    m.opts()
        .iter()
        .filter_map(|o| match o {
            DhcpOption::IANA(ia) => Some((
                ia.id,
                ia.opts.iter().any(|x| matches!(x, DhcpOption::IAAddr(_))),
            )),
            _ => None,
        })
        .collect()
}

#[test]
fn messages_with_thousands_of_ias_are_answered_for_the_first_32() {
    let cfg = config().replace(
        r#""subnet6": ["#,
        r#""loggers": [ { "name": "kea-dhcp6", "severity": "DEBUG", "debuglevel": 0,
                    "output_options": [ { "output": "stdout" } ] } ],
    "subnet6": ["#,
    );
    let Some((_g, mut srv, relay)) = setup_with("v6_ia_limit", &cfg, None) else {
        return;
    };
    // A Solicit as large as a datagram allows: 4000 IA_NA.
    let many: Vec<(u16, Vec<u8>)> = (0..4000).map(|i| ia_na(i, None)).collect();
    let solicit = msg(1, 0x41, None, &many);
    assert!(solicit.len() > 64_000);
    let adv = relay.exchange(&solicit).expect("ADVERTISE");
    assert_eq!(adv.msg_type(), MessageType::Advertise);
    let ias = ia_nas(&adv);
    assert_eq!(ias.len(), 32, "exactly 32 IAs answered");
    assert!(ias.iter().all(|(id, has)| *id < 32 && *has), "{ias:?}");
    // A Request with them all stores 32 leases, before the Reply.
    let sid = server_duid(&adv);
    let rep = relay
        .exchange(&msg(3, 0x41, Some(&sid), &many))
        .expect("REPLY");
    assert_eq!(rep.msg_type(), MessageType::Reply);
    assert_eq!(ia_nas(&rep).len(), 32);
    let rows = srv
        .lease_file("leases6.csv")
        .lines()
        .filter(|l| l.contains(&duid_text(0x41)))
        .count();
    assert_eq!(rows, 32, "one lease per IA served");
    // Options nested as deep as a datagram allows (4000 IA_NA in each
    // other): malformed, and the server is still there to answer.
    let mut nest = Vec::new();
    for i in 0..4000u32 {
        let mut ia = i.to_be_bytes().to_vec();
        ia.extend_from_slice(&[0; 8]);
        ia.extend_from_slice(&nest);
        nest.clear();
        put(&mut nest, 3, &ia);
    }
    let mut deep = msg(1, 0x42, None, &[]);
    deep.extend_from_slice(&nest);
    assert!(
        relay.exchange(&deep).is_none(),
        "no reply to a malformed message"
    );
    let adv = relay
        .exchange(&msg(1, 0x43, None, &[ia_na(1, None)]))
        .expect("still serving");
    assert_eq!(ia_nas(&adv).len(), 1);
    let log = srv.stop();
    assert_eq!(Server::stat_from_log(&log, "pkt6-ia-limit"), Some(2));
    assert_eq!(Server::stat_from_log(&log, "pkt6-receive-drop"), Some(1));
    assert_eq!(Server::stat_from_log(&log, "pkt6-parse-failed"), Some(1));
    let cut = log
        .iter()
        .filter(|l| l.contains("xid=0x000141") && l.contains("ias_ignored=3968"))
        .count();
    assert_eq!(cut, 2, "each cut logged with its xid:\n{}", log.join("\n"));
}

#[test]
fn data_directory_holds_the_lease_file_and_the_server_duid() {
    // Kea's `data-directory`: the default lease file and the DUID file go
    // there (the directory must exist, as in Kea).
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("data")).unwrap();
    let cfg = r#"{ "Dhcp6": {
    "interfaces-config": { "interfaces": ["lo"] },
    "data-directory": "@DIR@/data",
    "preferred-lifetime": 3000, "valid-lifetime": 4000,
    "subnet6": [ {
      "id": 1, "subnet": "2001:db8:1::/64",
      "pools": [ { "pool": "2001:db8:1::100 - 2001:db8:1::1ff" } ]
    } ]
} }"#;
    let Some((_g, srv, relay)) = setup_with("v6_data_directory", cfg, Some(dir)) else {
        return;
    };
    let adv = relay
        .exchange(&msg(1, 1, None, &[ia_na(1, None)]))
        .expect("ADVERTISE");
    let sid = server_duid(&adv);
    let a = addr_of(&adv).unwrap();
    let rep = relay
        .exchange(&msg(3, 1, Some(&sid), &[ia_na(1, Some(a))]))
        .expect("REPLY");
    assert_eq!(addr_of(&rep), Some(a));
    let leases = srv.lease_file("data/kea-leases6.csv");
    assert!(
        leases.lines().any(|l| l.starts_with(&format!("{a},"))),
        "{leases}"
    );
    let stored = srv.lease_file("data/kea-dhcp6-serverid");
    let hex: Vec<String> = sid.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(stored.trim(), hex.join(":"));
    assert!(!srv.path("kea-dhcp6-serverid").exists());
}

/// Kea 2.7.3's `excluded-prefixes` of a reservation (RFC 6603): the
/// reserved prefix's IAPREFIX carries OPTION_PD_EXCLUDE when the client
/// asks for it (ORO 67); a reserved prefix without one gets none, even
/// inside a PD pool with an `excluded-prefix` (the reservation wins, as
/// in Kea's `getPDExclude`); a pool prefix gets the pool's.
#[test]
fn reserved_prefix_with_excluded_prefix_sends_pd_exclude() {
    let cfg = r#"{ "Dhcp6": {
    "interfaces-config": { "interfaces": ["lo"] },
    "lease-database": { "type": "memfile", "persist": false },
    "subnet6": [ {
      "id": 1, "subnet": "2001:db8:1::/64",
      "pd-pools": [ { "prefix": "2001:db8:8::", "prefix-len": 48, "delegated-len": 56,
                      "excluded-prefix": "2001:db8:8:ff::", "excluded-prefix-len": 64 } ],
      "reservations": [
        { "duid": "00:03:00:01:02:00:00:00:00:01",
          "prefixes": [ "2001:db8:9000::/48" ],
          "excluded-prefixes": [ "2001:db8:9000:ff00::/64" ] },
        { "duid": "00:03:00:01:02:00:00:00:00:02",
          "prefixes": [ "2001:db8:8:4200::/56" ],
          "excluded-prefixes": [ "" ] }
      ]
    } ]
} }"#;
    let Some((_g, _srv, relay)) = setup_with("v6_resv_pd_exclude", cfg, None) else {
        return;
    };
    // The IAPREFIX (prefix, length, its options) of the first IA_PD of
    // the Advertise to a Solicit of client `n` with ORO `oro`.
    let iaprefix = |n: u8, oro: &[u16]| -> (Ipv6Addr, u8, Vec<(u16, Vec<u8>)>) {
        let mut m = vec![1, 0, 0x67, n];
        put(&mut m, 1, &duid(n));
        let oro: Vec<u8> = oro.iter().flat_map(|c| c.to_be_bytes()).collect();
        put(&mut m, 6, &oro);
        let (c, v) = ia_pd(1, None);
        put(&mut m, c, &v);
        let mut fw = vec![12, 0];
        fw.extend("2001:db8:1::1".parse::<Ipv6Addr>().unwrap().octets());
        fw.extend("fe80::2".parse::<Ipv6Addr>().unwrap().octets());
        put(&mut fw, 9, &m);
        relay.sock.send_to(&fw, relay.server).unwrap();
        let mut buf = [0u8; 4096];
        let (len, _) = relay.sock.recv_from(&mut buf).expect("Relay-reply");
        let inner = tlvs(&buf[34..len])
            .into_iter()
            .find(|(c, _)| *c == 9)
            .expect("relay message")
            .1;
        let ia = tlvs(&inner[4..])
            .into_iter()
            .find(|(c, _)| *c == 25)
            .expect("IA_PD")
            .1;
        let p = tlvs(&ia[12..])
            .into_iter()
            .find(|(c, _)| *c == 26)
            .expect("IAPREFIX")
            .1;
        let prefix = Ipv6Addr::from(<[u8; 16]>::try_from(&p[9..25]).unwrap());
        (prefix, p[8], tlvs(&p[25..]))
    };
    let pd_exclude =
        |opts: &[(u16, Vec<u8>)]| opts.iter().find(|(c, _)| *c == 67).map(|(_, v)| v.clone());
    // Reserved 2001:db8:9000::/48 without 2001:db8:9000:ff00::/64: the
    // excluded length (64), then bits 48..64 of the excluded prefix.
    let (p, len, opts) = iaprefix(1, &[23, 67]);
    assert_eq!((p, len), ("2001:db8:9000::".parse().unwrap(), 48));
    assert_eq!(pd_exclude(&opts), Some(vec![64, 0xff, 0x00]));
    // Not asked for: not sent.
    let (_, _, opts) = iaprefix(1, &[23]);
    assert_eq!(pd_exclude(&opts), None);
    // A reserved prefix inside the pool, with no excluded prefix: none.
    let (p, len, opts) = iaprefix(2, &[23, 67]);
    assert_eq!((p, len), ("2001:db8:8:4200::".parse().unwrap(), 56));
    assert_eq!(pd_exclude(&opts), None);
    // A pool prefix (/56 of 2001:db8:8::/48): the pool's excluded
    // 2001:db8:8:ff::/64, i.e. bits 56..64, 0xff.
    let (p, len, opts) = iaprefix(3, &[23, 67]);
    assert_eq!(len, 56);
    assert!(p.segments()[..3] == [0x2001, 0xdb8, 8], "{p}");
    assert_eq!(pd_exclude(&opts), Some(vec![64, 0xff]));
}

fn tlvs(mut b: &[u8]) -> Vec<(u16, Vec<u8>)> {
    let mut out = Vec::new();
    while b.len() >= 4 {
        let code = u16::from_be_bytes([b[0], b[1]]);
        let len = usize::from(u16::from_be_bytes([b[2], b[3]]));
        let Some(v) = b.get(4..4 + len) else { break };
        out.push((code, v.to_vec()));
        b = &b[4 + len..];
    }
    out
}

/// A rapid-commit Solicit of client `n`, relayed twice: the inner relay
/// (hop 0, link 2001:db8:1::1) adds Remote-Id, Interface-Id and
/// Subscriber-Id in that order, the outer one (hop 1) an Interface-Id.
fn two_hop_solicit(n: u8) -> Vec<u8> {
    fn forward(hop: u8, link: &str, peer: &str, opts: &[(u16, &[u8])], inner: &[u8]) -> Vec<u8> {
        let mut out = vec![12, hop];
        out.extend_from_slice(&link.parse::<Ipv6Addr>().unwrap().octets());
        out.extend_from_slice(&peer.parse::<Ipv6Addr>().unwrap().octets());
        for (c, v) in opts {
            put(&mut out, *c, v);
        }
        put(&mut out, 9, inner);
        out
    }
    let m = msg(1, n, None, &[ia_na(1, None), (14, Vec::new())]);
    let mut remote = 4491u32.to_be_bytes().to_vec();
    remote.extend_from_slice(b"remote");
    let inner = forward(
        0,
        "2001:db8:1::1",
        "fe80::9",
        &[(37, &remote), (18, b"port1"), (38, b"sub")],
        &m,
    );
    forward(
        1,
        "2001:db8:9::1",
        "2001:db8:9::2",
        &[(18, b"outer")],
        &inner,
    )
}

/// The user context column of the first lease of a Kea-format DHCPv6
/// lease file.
fn user_context_of(csv: &str) -> Option<String> {
    let header: Vec<&str> = csv.lines().next()?.split(',').collect();
    let col = header.iter().position(|h| *h == "user_context")?;
    let line = csv.lines().nth(1)?;
    Some(line.split(',').nth(col)?.to_string())
}

/// `store-extended-info`: the same two-hop Relay-forward to kea-dhcp6 2.2
/// and to ruru leaves the same user context in both lease files.
#[test]
fn store_extended_info_keeps_the_relays_as_kea() {
    let test = "v6_extended_info";
    let _g = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let Some(sock) = bind_relay(test) else {
        return;
    };
    let kea_dir = tempfile::tempdir().unwrap();
    let config = |file: &str| {
        format!(
            r#"{{ "Dhcp6": {{
  "interfaces-config": {{ "interfaces": ["lo/::1"] }},
  "lease-database": {{ "type": "memfile", "name": "{file}", "lfc-interval": 0 }},
  "server-id": {{ "type": "LL", "htype": 1, "identifier": "0a0b0c0d0e0f", "persist": false }},
  "store-extended-info": true,
  "loggers": [ {{ "name": "kea-dhcp6", "severity": "INFO",
                 "output_options": [ {{ "output": "stdout" }} ] }} ],
  "subnet6": [ {{ "id": 1, "subnet": "2001:db8:1::/64", "rapid-commit": true,
    "pools": [ {{ "pool": "2001:db8:1::100 - 2001:db8:1::1ff" }} ] }} ]
}} }}"#
        )
    };
    let kea_file = kea_dir.path().join("kea-leases6.csv");
    let args = ["-p".to_string(), free_port().to_string()];
    let Some(kea) = Kea::start(
        "kea-dhcp6",
        "kea-dhcp6-server",
        &config(kea_file.to_str().unwrap()),
        &args,
        "DHCP6_STARTED",
        test,
    ) else {
        return;
    };
    let srv = Server::start(&config("@DIR@/leases6.csv"));
    let mut buf = [0u8; 4096];
    for port in [kea.port, srv.port] {
        let to = SocketAddrV6::new(Ipv6Addr::LOCALHOST, port, 0, 0);
        sock.send_to(&two_hop_solicit(5), to).unwrap();
        let (n, _) = sock.recv_from(&mut buf).expect("a Relay-reply");
        assert_eq!(buf[..n][0], 13, "Relay-reply from port {port}");
    }
    let kea_ctx =
        user_context_of(&std::fs::read_to_string(&kea_file).unwrap()).expect("Kea's lease");
    let ruru_ctx = user_context_of(&srv.lease_file("leases6.csv")).expect("ruru's lease");
    assert!(kea_ctx.contains("relays"), "{kea_ctx}");
    assert_eq!(ruru_ctx, kea_ctx);
}
