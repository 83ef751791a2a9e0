//! The engine's own cost of one exchange, with no network and no file: N
//! DHCPv4 DORA and N DHCPv6 SARR exchanges of distinct clients through
//! [`Engine4::process`] / [`Engine6::process`] on in-memory memfile stores.
//! What the server spends per exchange beyond this is the kernel's
//! (sockets) and the journal's. Meant for profiling the packet path:
//!
//! ```sh
//! cargo build --release -p ruru-engine --example exchange_cost
//! perf record -g target/release/examples/exchange_cost 200000
//! ```
//!
//! A second argument K adds K client classes to each family's
//! configuration (tests that read options, header fields, relay
//! sub-options and earlier classes; the last matches every packet and
//! carries an option), to measure what classification costs per exchange:
//!
//! ```sh
//! valgrind --tool=callgrind target/release/examples/exchange_cost 20000 20
//! ```
//!
//! The addresses are values in memory only; no packet leaves the process.

#![allow(
    clippy::disallowed_types,
    reason = "a benchmark times the engine from outside, as the server does"
)]

use std::net::{Ipv4Addr, SocketAddrV4, SocketAddrV6};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use dhcproto::{v4, v6, Decodable, Decoder, Encodable, Encoder};
use ruru_engine::v6::{Engine6, EngineOptions6, Outcome6, RecvMeta6};
use ruru_engine::{Engine4, EngineOptions, Outcome4, RecvMeta, Stats};
use ruru_lease::{Memfile, Memfile6};

const NOW: u64 = 1_700_000_000;
const RELAY: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);

const CONFIG: &str = r#"{
  "Dhcp4": {
    "interfaces-config": { "interfaces": [ "lo" ] },
    "lease-database": { "type": "memfile", "persist": false },
    "valid-lifetime": 3600,
    "subnet4": [ { "id": 1, "subnet": "10.0.0.0/8", "pools": [ { "pool": "10.0.0.10 - 10.255.255.250" } ],
                   "option-data": [ { "name": "routers", "data": "10.0.0.1" } ] } ]
  },
  "Dhcp6": {
    "interfaces-config": { "interfaces": [ "lo" ] },
    "lease-database": { "type": "memfile", "persist": false },
    "subnet6": [ { "id": 1, "subnet": "2001:db8:1::/64", "interface": "lo",
                   "pools": [ { "pool": "2001:db8:1::/80" } ],
                   "option-data": [ { "name": "dns-servers", "data": "2001:db8::53" } ] } ]
  }
}"#;

fn main() -> Result<(), String> {
    let n: u32 = match std::env::args().nth(1) {
        Some(a) => a.parse().map_err(|e| format!("N {a}: {e}"))?,
        None => 100_000,
    };
    let k: usize = match std::env::args().nth(2) {
        Some(a) => a.parse().map_err(|e| format!("K {a}: {e}"))?,
        None => 0,
    };
    let cfg = ruru_config::load_str(&with_classes(k), Path::new("exchange_cost.json"))
        .map_err(|e| format!("config: {e}"))?;
    let d4 = Arc::new(cfg.dhcp4.ok_or("no Dhcp4")?);
    let d6 = Arc::new(cfg.dhcp6.ok_or("no Dhcp6")?);

    let e4 = Engine4::new(d4, EngineOptions::default(), Arc::new(Stats::new()));
    let s4 = Memfile::open(None).map_err(|e| e.to_string())?;
    let t = Instant::now();
    for i in 0..n {
        dora(&e4, &s4, i)?;
    }
    let per = t.elapsed().as_secs_f64() * 1e6 / f64::from(n);
    println!("DHCPv4 DORA: {n} exchanges, {per:.2} µs each (engine + in-memory store)");

    let e6 = Engine6::new(
        d6,
        EngineOptions6 {
            dhcp4o6: None,
            ddns: None,
            server_duid: vec![0, 2, 0, 0, 9, 0xbf, 1, 2, 3, 4],
            client_port: 546,
            hooks: None,
            hosts: Default::default(),
            rng: Arc::new(ruru_engine::Rng::new(0)),
        },
        Arc::new(Stats::new()),
    );
    let s6 = Memfile6::open(None).map_err(|e| e.to_string())?;
    let t = Instant::now();
    for i in 0..n {
        sarr(&e6, &s6, i)?;
    }
    let per = t.elapsed().as_secs_f64() * 1e6 / f64::from(n);
    println!("DHCPv6 SARR: {n} exchanges, {per:.2} µs each (engine + in-memory store)");
    Ok(())
}

/// [`CONFIG`] with `k` client classes in each family.
fn with_classes(k: usize) -> String {
    if k == 0 {
        return CONFIG.to_owned();
    }
    let class = |v6: bool, j: usize| -> String {
        let test = match (v6, j % 4) {
            _ if j + 1 == k => {
                return if v6 {
                    r#"{"name": "last", "test": "option[1].exists", "option-data": [{"name": "domain-search", "data": "example.org"}]}"#.to_owned()
                } else {
                    r#"{"name": "last", "test": "option[53].exists", "option-data": [{"name": "domain-name", "data": "example.org"}]}"#.to_owned()
                };
            }
            (false, 0) => "substring(option[60].hex, 0, 9) == 'PXEClient'".to_owned(),
            (false, 1) => format!("pkt4.mac == 0x0a02ffffff{j:02x}"),
            (false, 2) => format!("relay4[2].hex == 'remote{j}'"),
            (true, 0) => "substring(option[16].hex, 0, 4) == 0x0000118b".to_owned(),
            (true, 1) => format!("option[1].hex == 0x00030001ffff{j:02x}"),
            (true, 2) => format!("relay6[0].option[37].hex == 'remote{j}'"),
            (_, _) => format!("member('c{}') or option[93].exists", j - 1),
        };
        format!(r#"{{"name": "c{j}", "test": "{test}"}}"#)
    };
    let list = |v6: bool| (0..k).map(|j| class(v6, j)).collect::<Vec<_>>().join(",\n");
    CONFIG
        .replacen(
            r#""valid-lifetime": 3600,"#,
            &format!(
                r#""valid-lifetime": 3600, "client-classes": [{}],"#,
                list(false)
            ),
            1,
        )
        .replacen(
            r#""Dhcp6": {"#,
            &format!(r#""Dhcp6": {{ "client-classes": [{}],"#, list(true)),
            1,
        )
}

fn encode4(m: &v4::Message) -> Result<Vec<u8>, String> {
    let mut b = Vec::with_capacity(300);
    m.encode(&mut Encoder::new(&mut b))
        .map_err(|e| e.to_string())?;
    Ok(b)
}

fn encode6(m: &v6::Message) -> Result<Vec<u8>, String> {
    let mut b = Vec::with_capacity(200);
    m.encode(&mut Encoder::new(&mut b))
        .map_err(|e| e.to_string())?;
    Ok(b)
}

fn dora(e: &Engine4, s: &Memfile, i: u32) -> Result<(), String> {
    let [a, b, c, d] = i.to_be_bytes();
    let mac = [0x0a, 0x02, a, b, c, d];
    let meta = RecvMeta {
        over6: None,
        src: SocketAddrV4::new(RELAY, 67),
        local: Ipv4Addr::new(10, 0, 0, 2),
        iface: None,
        src_mac: None,
    };
    let msg = |t| {
        let mut m = v4::Message::new_with_id(
            i,
            Ipv4Addr::UNSPECIFIED,
            Ipv4Addr::UNSPECIFIED,
            Ipv4Addr::UNSPECIFIED,
            RELAY,
            &mac,
        );
        m.opts_mut().insert(v4::DhcpOption::MessageType(t));
        m
    };
    let Outcome4::Reply(offer) =
        e.process(s, &encode4(&msg(v4::MessageType::Discover))?, &meta, NOW)
    else {
        return Err("no OFFER".into());
    };
    let offer = v4::Message::decode(&mut Decoder::new(&offer.bytes)).map_err(|e| e.to_string())?;
    let Some(v4::DhcpOption::ServerIdentifier(sid)) =
        offer.opts().get(v4::OptionCode::ServerIdentifier)
    else {
        return Err("OFFER without server identifier".into());
    };
    let mut req = msg(v4::MessageType::Request);
    req.opts_mut()
        .insert(v4::DhcpOption::RequestedIpAddress(offer.yiaddr()));
    req.opts_mut()
        .insert(v4::DhcpOption::ServerIdentifier(*sid));
    match e.process(s, &encode4(&req)?, &meta, NOW) {
        Outcome4::Reply(_) => Ok(()),
        other => Err(format!("no ACK: {other:?}")),
    }
}

fn sarr(e: &Engine6, s: &Memfile6, i: u32) -> Result<(), String> {
    let meta = RecvMeta6 {
        src: SocketAddrV6::new("fe80::2".parse().map_err(|_| "address")?, 546, 0, 1),
        iface: Some("lo".into()),
        dst: None,
    };
    let mut duid = vec![0, 3, 0, 1, 0x0a, 0x02];
    duid.extend_from_slice(&i.to_be_bytes());
    let msg = |t| {
        let mut m = v6::Message::new_with_id(t, [(i >> 16) as u8, (i >> 8) as u8, i as u8]);
        m.opts_mut().insert(v6::DhcpOption::ClientId(duid.clone()));
        m.opts_mut().insert(v6::DhcpOption::ElapsedTime(0));
        m
    };
    let mut solicit = msg(v6::MessageType::Solicit);
    solicit.opts_mut().insert(v6::DhcpOption::IANA(v6::IANA {
        id: i,
        t1: 0,
        t2: 0,
        opts: v6::DhcpOptions::new(),
    }));
    let Outcome6::Reply(adv) = e.process(s, &encode6(&solicit)?, &meta, NOW) else {
        return Err("no Advertise".into());
    };
    let adv = v6::Message::decode(&mut Decoder::new(&adv.bytes)).map_err(|e| e.to_string())?;
    let (Some(sid), Some(ia)) = (
        adv.opts().get(v6::OptionCode::ServerId),
        adv.opts().get(v6::OptionCode::IANA),
    ) else {
        return Err("Advertise without server id or IA_NA".into());
    };
    let mut req = msg(v6::MessageType::Request);
    req.opts_mut().insert(sid.clone());
    req.opts_mut().insert(ia.clone());
    match e.process(s, &encode6(&req)?, &meta, NOW) {
        Outcome6::Reply(_) => Ok(()),
        other => Err(format!("no Reply: {other:?}")),
    }
}
