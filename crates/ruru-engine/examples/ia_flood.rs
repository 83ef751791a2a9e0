//! What one DHCPv6 message with absurd counts costs the engine: relayed
//! messages near the 64 KiB UDP limit with thousands of IA_NA options, an
//! IA listing thousands of addresses, an ORO listing thousands of codes
//! (with 100 configured options to look up in it).
//! Each kind is sent N times (default 20) from distinct clients through
//! [`Engine6::process`] on an in-memory memfile store, and the time per
//! message is printed. ruru serves at most [`MAX_IAS`] IAs per message and
//! [`MAX_IA_ENTRIES`] addresses or prefixes per IA (docs/src/dhcpv6.md), so
//! these messages should cost about what a message at the bound costs:
//!
//! ```sh
//! cargo run --release -p ruru-engine --example ia_flood [N]
//! ```
//!
//! [`MAX_IAS`]: ruru_engine::v6::packet::MAX_IAS
//! [`MAX_IA_ENTRIES`]: ruru_engine::v6::packet::MAX_IA_ENTRIES

#![allow(
    clippy::disallowed_types,
    reason = "a benchmark times the engine from outside, as the server does"
)]

use std::net::{Ipv6Addr, SocketAddrV6};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use ruru_engine::v6::{Engine6, EngineOptions6, Outcome6, RecvMeta6};
use ruru_engine::Stats;
use ruru_lease::Memfile6;

const NOW: u64 = 1_700_000_000;
const SERVER_DUID: &[u8] = &[0, 2, 0, 0, 9, 0xbf, 1, 2, 3, 4];
const LINK: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 1, 0, 0, 0, 0, 1);

/// The configuration: one subnet with a large pool and a pd-pool, two
/// named options and `extra` options with codes from 1000, as a site with
/// many vendor options would have.
fn config(extra: u16) -> String {
    let opts: String = (1000..1000 + extra)
        .map(|c| format!(r#", {{ "code": {c}, "csv-format": false, "data": "01" }}"#))
        .collect();
    format!(
        r#"{{
  "Dhcp6": {{
    "interfaces-config": {{ "interfaces": [ "lo" ] }},
    "lease-database": {{ "type": "memfile", "persist": false }},
    "subnet6": [ {{ "id": 1, "subnet": "2001:db8:1::/64",
                   "pools": [ {{ "pool": "2001:db8:1::/80" }} ],
                   "pd-pools": [ {{ "prefix": "2001:db8:100::", "prefix-len": 40, "delegated-len": 56 }} ],
                   "option-data": [ {{ "name": "dns-servers", "data": "2001:db8::53" }},
                                    {{ "name": "domain-search", "data": "example.org" }}{opts} ] }} ]
  }}
}}"#
    )
}

fn put(out: &mut Vec<u8>, code: u16, data: &[u8]) {
    out.extend_from_slice(&code.to_be_bytes());
    out.extend_from_slice(&u16::try_from(data.len()).unwrap_or(u16::MAX).to_be_bytes());
    out.extend_from_slice(data);
}

fn ia_na(iaid: u32, addrs: &[Ipv6Addr]) -> Vec<u8> {
    let mut ia = iaid.to_be_bytes().to_vec();
    ia.extend_from_slice(&[0; 8]);
    for a in addrs {
        let mut e = a.octets().to_vec();
        e.extend_from_slice(&[0; 8]);
        put(&mut ia, 5, &e);
    }
    ia
}

/// A client message of type `t` from client `i` with `body` options,
/// wrapped in one Relay-forward from the subnet's link.
fn relayed(t: u8, i: u32, body: &[u8]) -> Vec<u8> {
    let [_, x0, x1, x2] = i.to_be_bytes();
    let mut m = vec![t, x0, x1, x2];
    let mut duid = vec![0, 3, 0, 1, 0x0a, 0x02];
    duid.extend_from_slice(&i.to_be_bytes());
    put(&mut m, 1, &duid);
    if t != 1 {
        put(&mut m, 2, SERVER_DUID);
    }
    put(&mut m, 8, &[0, 0]);
    m.extend_from_slice(body);
    let mut r = vec![12, 0];
    r.extend_from_slice(&LINK.octets());
    r.extend_from_slice(&"fe80::1".parse::<Ipv6Addr>().unwrap_or(LINK).octets());
    put(&mut r, 9, &m);
    r
}

fn many_ias(n: u32, i: u32) -> Vec<u8> {
    let mut b = Vec::new();
    for k in 0..n {
        put(&mut b, 3, &ia_na(i.wrapping_mul(n).wrapping_add(k), &[]));
    }
    b
}

fn many_addrs(n: u16, i: u32) -> Vec<u8> {
    let addrs: Vec<Ipv6Addr> = (0..n)
        .map(|k| Ipv6Addr::new(0x2001, 0xdb8, 1, 0, 0, 0, 0x10, k))
        .collect();
    let mut b = Vec::new();
    put(&mut b, 3, &ia_na(i, &addrs));
    b
}

fn long_oro(n: u16, i: u32) -> Vec<u8> {
    let codes: Vec<u8> = (0..n).flat_map(|k| (k % 1200).to_be_bytes()).collect();
    let mut b = Vec::new();
    put(&mut b, 6, &codes);
    put(&mut b, 3, &ia_na(i, &[]));
    b
}

fn main() -> Result<(), String> {
    let n: u32 = match std::env::args().nth(1) {
        Some(a) => a.parse().map_err(|e| format!("N {a}: {e}"))?,
        None => 20,
    };
    let cfg = ruru_config::load_str(&config(100), Path::new("ia_flood.json"))
        .map_err(|e| format!("config: {e}"))?;
    let d6 = Arc::new(cfg.dhcp6.ok_or("no Dhcp6")?);
    let meta = RecvMeta6 {
        src: SocketAddrV6::new(LINK, 547, 0, 0),
        iface: None,
        dst: None,
    };
    type Kind = (&'static str, u8, fn(u32) -> Vec<u8>);
    let kinds: [Kind; 7] = [
        ("Solicit, 1 IA_NA", 1, |i| many_ias(1, i)),
        ("Solicit, 32 IA_NA", 1, |i| many_ias(32, i)),
        ("Solicit, 4000 IA_NA", 1, |i| many_ias(4000, i)),
        ("Request, 4000 IA_NA", 3, |i| many_ias(4000, i)),
        ("Renew, 4000 IA_NA", 5, |i| many_ias(4000, i)),
        ("Renew, 1 IA_NA with 2000 IAADDR", 5, |i| {
            many_addrs(2000, i)
        }),
        ("Solicit, ORO of 30000 codes", 1, |i| long_oro(30000, i)),
    ];
    for (name, t, body) in kinds {
        let stats = Arc::new(Stats::new());
        let e = Engine6::new(
            d6.clone(),
            EngineOptions6 {
                dhcp4o6: None,
                ddns: None,
                server_duid: SERVER_DUID.to_vec(),
                client_port: 546,
                hooks: None,
                hosts: Default::default(),
                rng: Arc::new(ruru_engine::Rng::new(0)),
            },
            stats.clone(),
        );
        let store = Memfile6::open(None).map_err(|e| e.to_string())?;
        let msgs: Vec<Vec<u8>> = (0..n).map(|i| relayed(t, i, &body(i))).collect();
        let len = msgs.first().map_or(0, Vec::len);
        let mut replies = 0;
        let mut reply_len = 0;
        let start = Instant::now();
        for m in &msgs {
            if let Outcome6::Reply(r) = e.process(&store, m, &meta, NOW) {
                replies += 1;
                reply_len = r.bytes.len();
            }
        }
        let per = start.elapsed().as_secs_f64() * 1e3 / f64::from(n);
        println!(
            "{name:34} {len:6} bytes: {per:8.3} ms per message; {replies}/{n} answered ({reply_len} bytes)"
        );
    }
    Ok(())
}
