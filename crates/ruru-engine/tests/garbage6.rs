//! DHCPv6 garbage test: random and mutated messages (plain and relayed,
//! nested) through `Engine6::process` must never panic, and whatever fails
//! to parse is counted in `pkt6-parse-failed`. The fuzz target
//! `fuzz/fuzz_targets/packet6.rs` runs the same harness under libFuzzer.

#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod harness6 {
    use std::net::SocketAddrV6;
    use std::path::Path;
    use std::sync::Arc;

    use ruru_engine::v6::{Engine6, EngineOptions6, Outcome6, RecvMeta6};
    use ruru_engine::Stats;
    use ruru_lease::Memfile6;

    const CONFIG: &str = r#"{ "Dhcp6": {
        "interfaces-config": { "interfaces": ["lo"] },
        "lease-database": { "type": "memfile", "persist": false },
        "subnet6": [ { "id": 1, "subnet": "2001:db8:1::/64", "interface": "lo",
            "pools": [ { "pool": "2001:db8:1::100 - 2001:db8:1::1ff" } ],
            "pd-pools": [ { "prefix": "2001:db8:8::", "prefix-len": 48, "delegated-len": 56 } ],
            "option-data": [ { "name": "dns-servers", "data": "2001:db8::53" } ] } ]
    } }"#;

    /// One engine and one in-memory store, kept across inputs.
    pub struct Harness6 {
        pub engine: Engine6,
        pub store: Memfile6,
    }

    impl Harness6 {
        pub fn new() -> Result<Self, String> {
            let cfg = ruru_config::load_str(CONFIG, Path::new("fuzz6.json"))
                .map_err(|e| e.to_string())?;
            let d6 = cfg.dhcp6.ok_or("no Dhcp6")?;
            let engine = Engine6::new(
                Arc::new(d6),
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
            let store = Memfile6::open(None).map_err(|e| e.to_string())?;
            Ok(Harness6 { engine, store })
        }

        pub fn run(&self, data: &[u8]) -> Outcome6 {
            let meta = RecvMeta6 {
                src: SocketAddrV6::new(
                    "fe80::2".parse().unwrap_or(std::net::Ipv6Addr::LOCALHOST),
                    546,
                    0,
                    1,
                ),
                iface: Some("lo".into()),
                dst: None,
            };
            self.engine.process(&self.store, data, &meta, 1_700_000_000)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::harness6::Harness6;
    use ruru_engine::v6::Outcome6;
    use ruru_engine::Stat;

    fn put(out: &mut Vec<u8>, code: u16, data: &[u8]) {
        out.extend_from_slice(&code.to_be_bytes());
        out.extend_from_slice(&(data.len() as u16).to_be_bytes());
        out.extend_from_slice(data);
    }

    fn seeds() -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        for t in [1u8, 3, 4, 5, 6, 8, 9, 11] {
            let mut m = vec![t, 1, 2, 3];
            put(&mut m, 1, &[0, 3, 0, 1, 2, 0, 0, 0, 0, t]);
            if matches!(t, 3 | 5 | 8 | 9) {
                put(&mut m, 2, &[0, 2, 0, 0, 9, 0xbf, 1, 2, 3, 4]);
            }
            let mut ia = vec![0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0];
            let mut a = "2001:db8:1::100"
                .parse::<std::net::Ipv6Addr>()
                .unwrap()
                .octets()
                .to_vec();
            a.extend_from_slice(&[0; 8]);
            put(&mut ia, 5, &a);
            put(&mut m, 3, &ia);
            put(&mut m, 25, &[0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0]);
            put(&mut m, 6, &[0, 23]);
            out.push(m.clone());
            let mut r = vec![12, 0];
            r.extend_from_slice(
                &"2001:db8:1::1"
                    .parse::<std::net::Ipv6Addr>()
                    .unwrap()
                    .octets(),
            );
            r.extend_from_slice(&[0; 16]);
            put(&mut r, 18, b"x");
            put(&mut r, 9, &m);
            out.push(r);
        }
        out
    }

    #[test]
    fn seeds_get_answers() {
        let h = Harness6::new().unwrap();
        let answered = seeds()
            .iter()
            .filter(|s| matches!(h.run(s), Outcome6::Reply(_)))
            .count();
        assert!(answered >= 8, "{answered} seeds answered");
    }

    #[test]
    fn random_and_mutated_messages_never_panic() {
        let h = Harness6::new().unwrap();
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let seeds = seeds();
        let mut failed = 0;
        for i in 0..4000 {
            let mut p = if i % 4 == 0 {
                (0..(next() % 300))
                    .map(|_| next() as u8)
                    .collect::<Vec<u8>>()
            } else {
                seeds[(next() as usize) % seeds.len()].clone()
            };
            for _ in 0..(next() % 6) {
                if p.is_empty() {
                    break;
                }
                let at = (next() as usize) % p.len();
                match next() % 3 {
                    0 => p[at] = next() as u8,
                    1 => p.truncate(at),
                    _ => p.insert(at, next() as u8),
                }
            }
            if let Outcome6::Drop(ruru_engine::v6::Drop6::ParseFailed) = h.run(&p) {
                failed += 1;
            }
        }
        assert!(failed > 100, "mutations produce parse failures ({failed})");
        assert_eq!(h.engine.stats().get(Stat::Pkt6ParseFailed), failed);
    }
}
