//! The cost of one allocation as a pool fills (issue 8's scale figure: "a
//! /8 pool at 99% utilisation; allocation must not slow down as the pool
//! fills").
//!
//! Runs the real engine ([`Engine4::process`]) on an in-memory memfile, with
//! no network: one pool of a /PREFIX subnet is filled with leases, then
//! DHCPDISCOVER + DHCPREQUEST exchanges of new clients are timed. Three
//! figures per fill level: the first allocation of a freshly built engine
//! (its search starts at the pool's start, as after a restart), and the mean
//! and worst of the following ones.
//!
//! ```sh
//! cargo run --release -p ruru-engine --example alloc_fill -- [PREFIX] [spread|tail]
//! ```
//! PREFIX defaults to 8 (16.7 M addresses; about 10 GiB of memory at 99%).
//! `spread` (default): the free addresses are spread evenly over the pool
//! (1 in 100 at 99%), as when leases expire at random; `tail`: the pool
//! was filled from its start and only its end is free, the worst case for a
//! search that starts at the pool's start.
//!
//! No packet leaves the process: the addresses (10.0.0.0/8) are only ever
//! values in memory.

#![allow(
    clippy::disallowed_types,
    reason = "a benchmark times the engine from outside, as the server does"
)]

use std::net::{Ipv4Addr, SocketAddrV4};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use dhcproto::v4::{self, DhcpOption, MessageType, OptionCode};
use dhcproto::{Decodable, Decoder, Encodable, Encoder};
use ruru_engine::{Engine4, EngineOptions, Outcome4, RecvMeta, Stats};
use ruru_lease::{Lease4, LeaseError, LeaseState, LeaseStore, Memfile};

const NOW: u64 = 1_700_000_000;
const RELAY: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
/// Timed exchanges per fill level, at most (and at most a quarter of the
/// free addresses at 99%).
const EXCHANGES: u32 = 20_000;

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().collect();
    let prefix: u8 = match args.get(1) {
        Some(p) => p.parse().map_err(|e| format!("PREFIX {p}: {e}"))?,
        None => 8,
    };
    if !(8..=24).contains(&prefix) {
        return Err("PREFIX must be 8..=24".into());
    }
    let tail = match args.get(2).map(String::as_str) {
        None | Some("spread") => false,
        Some("tail") => true,
        Some(other) => return Err(format!("unknown pattern {other} (spread or tail)")),
    };
    let size = 1u32 << (32 - prefix);
    let start = u32::from(Ipv4Addr::new(10, 0, 0, 0)) + 2;
    let end = u32::from(Ipv4Addr::new(10, 0, 0, 0)) + size - 2;
    let config = format!(
        r#"{{ "Dhcp4": {{
            "interfaces-config": {{ "interfaces": [ "lo" ] }},
            "lease-database": {{ "type": "memfile", "persist": false }},
            "valid-lifetime": 3600,
            "subnet4": [ {{ "id": 1, "subnet": "10.0.0.0/{prefix}",
                "pools": [ {{ "pool": "{} - {}" }} ] }} ] }} }}"#,
        Ipv4Addr::from(start),
        Ipv4Addr::from(end)
    );
    let cfg = ruru_config::load_str(&config, Path::new("alloc_fill.json"))
        .map_err(|e| format!("config: {e}"))?;
    let dhcp4 = Arc::new(cfg.dhcp4.ok_or("no Dhcp4")?);
    let store = Memfile::open(None).map_err(|e| e.to_string())?;
    let pool = end - start + 1;
    let exchanges = EXCHANGES.min(pool / 400).max(1);
    println!(
        "pool of {pool} addresses (10.0.0.0/{prefix}), free addresses {}",
        if tail { "at the end" } else { "spread evenly" }
    );
    println!(
        "| fill | leases | fill time | first allocation | mean allocation | worst allocation |"
    );
    println!("|---|---|---|---|---|---|");
    let mut filled_to = 0u32;
    let mut client = 0u32;
    for fill in [0u32, 50, 90, 99] {
        // Add the leases of this fill level (those of the lower levels are
        // there already).
        let t = Instant::now();
        for off in 0..pool {
            let leased = if tail {
                u64::from(off) * 100 < u64::from(pool) * u64::from(fill)
            } else {
                off % 100 < fill
            };
            let had = if tail {
                u64::from(off) * 100 < u64::from(pool) * u64::from(filled_to)
            } else {
                off % 100 < filled_to
            };
            if leased && !had {
                // An address a timed client of a lower level took stays
                // that client's.
                match store.add4(&lease(start + off, off)) {
                    Ok(()) | Err(LeaseError::Exists(_)) => {}
                    Err(e) => return Err(format!("add4: {e}")),
                }
            }
        }
        filled_to = fill;
        let fill_time = t.elapsed();
        let leases = store.count4();
        // A fresh engine: its search starts at the pool's start.
        let engine = Engine4::new(
            dhcp4.clone(),
            EngineOptions::default(),
            Arc::new(Stats::new()),
        );
        let first = dora(&engine, &store, &mut client)?;
        let mut total = Duration::ZERO;
        let mut worst = Duration::ZERO;
        for _ in 0..exchanges {
            let d = dora(&engine, &store, &mut client)?;
            total += d;
            worst = worst.max(d);
        }
        println!(
            "| {fill}% | {leases} | {:.1} s | {:.1} µs | {:.2} µs | {:.1} µs |",
            fill_time.as_secs_f64(),
            micros(first),
            micros(total) / f64::from(exchanges),
            micros(worst)
        );
    }
    Ok(())
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// A lease of the fill: its own hardware address, valid for an hour.
fn lease(addr: u32, n: u32) -> Lease4 {
    let [a, b, c, d] = n.to_be_bytes();
    Lease4 {
        addr: Ipv4Addr::from(addr),
        hwaddr: vec![0x02, 0x01, a, b, c, d],
        client_id: None,
        valid_lifetime: 3600,
        expire: NOW + 3600,
        subnet_id: 1,
        fqdn_fwd: false,
        fqdn_rev: false,
        hostname: String::new(),
        state: LeaseState::Default,
        user_context: String::new(),
        pool_id: 0,
    }
}

/// One DISCOVER + REQUEST of a new client, timed; an error unless it ends
/// in an ACK.
fn dora(engine: &Engine4, store: &Memfile, client: &mut u32) -> Result<Duration, String> {
    *client += 1;
    let [a, b, c, d] = client.to_be_bytes();
    let mac = [0x0a, 0x02, a, b, c, d];
    let meta = RecvMeta {
        over6: None,
        src: SocketAddrV4::new(RELAY, 67),
        local: Ipv4Addr::new(10, 0, 0, 2),
        iface: None,
        src_mac: None,
    };
    let t = Instant::now();
    let offer = engine.process(
        store,
        &encode(&message(&mac, MessageType::Discover, None)),
        &meta,
        NOW,
    );
    let Outcome4::Reply(offer) = offer else {
        return Err(format!("no OFFER: {offer:?}"));
    };
    let (yiaddr, server) = offered(&offer.bytes)?;
    let mut request = message(&mac, MessageType::Request, Some(yiaddr));
    request
        .opts_mut()
        .insert(DhcpOption::ServerIdentifier(server));
    let ack = engine.process(store, &encode(&request), &meta, NOW);
    let elapsed = t.elapsed();
    match ack {
        Outcome4::Reply(_) => Ok(elapsed),
        other => Err(format!("no ACK: {other:?}")),
    }
}

fn message(mac: &[u8], t: MessageType, requested: Option<Ipv4Addr>) -> v4::Message {
    let mut m = v4::Message::new_with_id(
        0x1234,
        Ipv4Addr::UNSPECIFIED,
        Ipv4Addr::UNSPECIFIED,
        Ipv4Addr::UNSPECIFIED,
        RELAY,
        mac,
    );
    m.opts_mut().insert(DhcpOption::MessageType(t));
    if let Some(a) = requested {
        m.opts_mut().insert(DhcpOption::RequestedIpAddress(a));
    }
    m
}

fn encode(m: &v4::Message) -> Vec<u8> {
    let mut b = Vec::with_capacity(300);
    // Encoding a message built here cannot fail; an empty buffer would be
    // dropped by the engine and reported as "no OFFER".
    let _ = m.encode(&mut Encoder::new(&mut b));
    b
}

/// The OFFER's address and server identifier.
fn offered(reply: &[u8]) -> Result<(Ipv4Addr, Ipv4Addr), String> {
    let m = v4::Message::decode(&mut Decoder::new(reply)).map_err(|e| format!("OFFER: {e}"))?;
    match m.opts().get(OptionCode::ServerIdentifier) {
        Some(DhcpOption::ServerIdentifier(s)) => Ok((m.yiaddr(), *s)),
        _ => Err("OFFER without server identifier".into()),
    }
}
