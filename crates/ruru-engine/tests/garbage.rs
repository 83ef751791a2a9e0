//! Robustness: arbitrary bytes must never panic the DHCPv4 engine.
//!
//! [`harness`] is the body of the cargo-fuzz target `fuzz/fuzz_targets/packet4.rs`
//! (which includes this file with `#[path]`): one engine built from a small
//! relayed-subnet config, an in-memory memfile, and [`harness::Harness::run`],
//! which feeds one packet to `packet::parse` and to `Engine4::process` and
//! checks the invariants that hold for any input. The tests below run the same
//! function over a few thousand pseudo-random and mutated packets so that CI
//! exercises it without cargo-fuzz (which needs a nightly toolchain).

pub mod harness {
    use std::net::{Ipv4Addr, SocketAddrV4};
    use std::path::Path;
    use std::sync::Arc;

    use ruru_engine::v4::packet;
    use ruru_engine::{Drop4, Engine4, EngineOptions, Outcome4, RecvMeta, Stats};
    use ruru_lease::Memfile;

    /// The fixed clock of every run (the engine never reads the clock).
    pub const NOW: u64 = 1_700_000_000;

    /// A small config exercising relays, reservations by each identifier
    /// type, options and a pool small enough to run out.
    pub const CONFIG: &str = r#"{
  "Dhcp4": {
    "interfaces-config": { "interfaces": [ "lo" ], "dhcp-socket-type": "udp" },
    "lease-database": { "type": "memfile", "persist": false },
    "valid-lifetime": 3600,
    "renew-timer": 900,
    "rebind-timer": 1800,
    "authoritative": true,
    "option-data": [ { "name": "domain-name", "data": "example.org" } ],
    "subnet4": [
      {
        "id": 1,
        "subnet": "192.0.2.0/24",
        "pools": [ { "pool": "192.0.2.100 - 192.0.2.115" } ],
        "relay": { "ip-addresses": [ "127.0.0.2" ] },
        "option-data": [
          { "name": "routers", "data": "192.0.2.1" },
          { "name": "domain-name-servers", "data": "192.0.2.53, 192.0.2.54" },
          { "code": 66, "data": "tftp.example.org", "always-send": true }
        ],
        "reservations": [
          { "hw-address": "aa:bb:cc:00:00:01", "ip-address": "192.0.2.10", "hostname": "h1" },
          { "client-id": "01:aa:bb:cc:00:00:02", "ip-address": "192.0.2.11" },
          { "circuit-id": "'eth0'", "ip-address": "192.0.2.12", "boot-file-name": "pxe.0" }
        ]
      },
      {
        "id": 2,
        "subnet": "198.51.100.0/24",
        "pools": [ { "pool": "198.51.100.10/31" } ]
      }
    ]
  }
}"#;

    /// One engine, one store, one receive address, shared by every run.
    pub struct Harness {
        pub engine: Engine4,
        pub store: Memfile,
        pub stats: Arc<Stats>,
        pub meta: RecvMeta,
    }

    impl Harness {
        /// Builds the engine from [`CONFIG`].
        pub fn new() -> Result<Self, String> {
            let cfg = ruru_config::load_str(CONFIG, Path::new("fuzz.json"))
                .map_err(|e| format!("fuzz config rejected:\n{e}"))?;
            let dhcp4 = Arc::new(cfg.dhcp4.ok_or("the config has no Dhcp4 section")?);
            let stats = Arc::new(Stats::new());
            let engine = Engine4::new(dhcp4, EngineOptions::default(), Arc::clone(&stats));
            let store = Memfile::open(None).map_err(|e| format!("in-memory memfile: {e}"))?;
            let meta = RecvMeta {
                over6: None,
                src: SocketAddrV4::new(Ipv4Addr::new(127, 0, 0, 2), 67),
                local: Ipv4Addr::LOCALHOST,
                iface: None,
                src_mac: None,
            };
            Ok(Harness {
                engine,
                store,
                stats,
                meta,
            })
        }

        /// Parses and processes `data`; panics if an invariant is broken:
        /// - a packet `parse` rejects is dropped as `ParseFailed`, and only then;
        /// - a reply is non-empty and parses back (ruru's own output is valid).
        pub fn run(&self, data: &[u8]) -> Outcome4 {
            let parsed = packet::parse(data);
            let outcome = self.engine.process(&self.store, data, &self.meta, NOW);
            let parse_failed = matches!(outcome, Outcome4::Drop(Drop4::ParseFailed));
            assert_eq!(
                parsed.is_err(),
                parse_failed,
                "parse() said {:?} but process() said {outcome:?}",
                parsed.as_ref().err()
            );
            if let Outcome4::Reply(r) = &outcome {
                assert!(!r.bytes.is_empty(), "empty reply");
                if let Err(e) = packet::parse(&r.bytes) {
                    panic!("ruru's reply does not parse: {e}: {:02x?}", r.bytes);
                }
            }
            outcome
        }
    }
}

#[cfg(test)]
mod tests {
    use super::harness::Harness;
    use ruru_engine::v4::packet::{HEADER_LEN, MAGIC};
    use ruru_engine::{Outcome4, Stat};

    /// xorshift64*: deterministic, so a failure reproduces.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
        fn byte(&mut self) -> u8 {
            self.next() as u8
        }
    }

    /// A well-formed relayed BOOTREQUEST (RFC 2131 §2) of `msg_type` with
    /// `opts` after option 53, from `giaddr` 127.0.0.2.
    fn packet(msg_type: u8, mac_last: u8, ciaddr: [u8; 4], opts: &[u8]) -> Vec<u8> {
        let mut b = vec![0u8; HEADER_LEN];
        b[0] = 1; // BOOTREQUEST
        b[1] = 1; // Ethernet
        b[2] = 6;
        b[3] = 1; // hops
        b[4..8].copy_from_slice(&(0x0100_0000 | u32::from(mac_last)).to_be_bytes());
        b[12..16].copy_from_slice(&ciaddr);
        b[24..28].copy_from_slice(&[127, 0, 0, 2]);
        b[28..34].copy_from_slice(&[0xaa, 0xbb, 0xcc, 0, 0, mac_last]);
        b.extend_from_slice(&MAGIC);
        b.extend_from_slice(&[53, 1, msg_type]);
        b.extend_from_slice(opts);
        b.push(255);
        b
    }

    /// Seeds covering every message type and the options the engine reads.
    fn seeds() -> Vec<Vec<u8>> {
        let prl = [55, 7, 1, 3, 6, 15, 12, 66, 67];
        let ip = |a: u8| [50, 4, 192, 0, 2, a];
        let sid = [54, 4, 127, 0, 0, 1];
        let opt82 = [82, 8, 1, 4, b'e', b't', b'h', b'0', 2, 0];
        let mut v = vec![
            packet(1, 1, [0; 4], &prl),
            packet(1, 2, [0; 4], &[61, 7, 1, 0xaa, 0xbb, 0xcc, 0, 0, 2]),
            packet(1, 3, [0; 4], &opt82),
            packet(1, 4, [0; 4], &[57, 2, 2, 64, 12, 3, b'p', b'c', b'4']),
            packet(1, 5, [0; 4], &[118, 4, 198, 51, 100, 1]),
            packet(1, 6, [0; 4], &[52, 1, 3]),
            packet(4, 7, [0; 4], &[ip(107), sid].concat()),
            packet(8, 8, [192, 0, 2, 108], &prl),
        ];
        let mut req = ip(100).to_vec();
        req.extend_from_slice(&sid);
        req.extend_from_slice(&prl);
        v.push(packet(3, 9, [0; 4], &req)); // SELECTING
        v.push(packet(3, 10, [0; 4], &ip(101))); // INIT-REBOOT
        v.push(packet(3, 11, [192, 0, 2, 102], &[])); // RENEWING
        v.push(packet(7, 12, [192, 0, 2, 100], &sid)); // RELEASE
        v.push(packet(2, 13, [0; 4], &[])); // OFFER: a server message
        v
    }

    /// One random change to `p`.
    fn mutate(rng: &mut Rng, p: &mut Vec<u8>) {
        match rng.below(8) {
            0 | 1 => {
                let i = rng.below(p.len());
                p[i] ^= 1 << rng.below(8);
            }
            2 | 3 => {
                // The option area is where the interesting bytes are.
                let start = if p.len() > HEADER_LEN + 4 && rng.below(4) > 0 {
                    HEADER_LEN + 4
                } else {
                    0
                };
                let i = start + rng.below(p.len() - start);
                p[i] = rng.byte();
            }
            4 => p.truncate(rng.below(p.len() + 1)),
            5 => {
                let i = rng.below(p.len() + 1);
                let n = rng.below(8) + 1;
                for _ in 0..n {
                    p.insert(i, rng.byte());
                }
            }
            6 => {
                // An option with a random code and a length that may lie.
                let at = (HEADER_LEN + 4).min(p.len());
                let code = rng.byte();
                let len = rng.byte();
                let mut opt = vec![code, len];
                for _ in 0..rng.below(usize::from(len) + 2) {
                    opt.push(rng.byte());
                }
                p.splice(at..at, opt);
            }
            _ => {
                let n = rng.below(4);
                for _ in 0..n {
                    p.push(rng.byte());
                }
            }
        }
        if p.is_empty() {
            p.push(rng.byte());
        }
    }

    /// dhcproto 0.15 decodes these options with `debug_assert!`s on their
    /// length (and `len - 3` for option 81), so in a build with debug
    /// assertions a wrong length panics instead of failing to parse. Kea
    /// rejects such a packet as malformed (`pkt4-parse-failed`); so must ruru.
    #[test]
    fn fixed_length_options_with_a_wrong_length_are_parse_failures() {
        let cases: &[(u8, &[u8])] = &[
            (80, &[1]),          // rapid-commit: no data
            (81, &[]),           // client FQDN: at least 3
            (81, &[1]),          //
            (94, &[]),           // client-ndi: exactly 3
            (94, &[1, 2, 3, 4]), //
            (152, &[]),          // bulk leasequery times: exactly 4
            (152, &[1]),         //
            (153, &[]),          //
            (154, &[]),          //
            (155, &[]),          //
        ];
        let h = Harness::new().expect("harness");
        for (code, body) in cases {
            let mut opt = vec![*code, body.len() as u8];
            opt.extend_from_slice(body);
            let p = packet(1, 1, [0; 4], &opt);
            let got = std::panic::catch_unwind(|| h.run(&p));
            assert!(
                matches!(got, Ok(Outcome4::Drop(ruru_engine::Drop4::ParseFailed))),
                "option {code} with {} bytes: {got:?}",
                body.len()
            );
        }
    }

    /// The same rule for options carried in `file`/`sname` under option 52
    /// (RFC 2132 §9.3): they are decoded by dhcproto too.
    #[test]
    fn overloaded_fields_with_bad_options_are_parse_failures() {
        let h = Harness::new().expect("harness");
        for field in [108, 44] {
            // option 52 = 3: both file (offset 108) and sname (offset 44).
            let mut p = packet(1, 1, [0; 4], &[52, 1, 3]);
            p[field..field + 4].copy_from_slice(&[80, 1, 0, 255]);
            let got = std::panic::catch_unwind(|| h.run(&p));
            assert!(
                matches!(got, Ok(Outcome4::Drop(ruru_engine::Drop4::ParseFailed))),
                "rapid-commit with 1 byte at offset {field}: {got:?}"
            );
        }
    }

    #[test]
    fn seeds_get_answers() {
        let h = Harness::new().expect("harness");
        let replies = seeds()
            .iter()
            .filter(|p| matches!(h.run(p), Outcome4::Reply(_)))
            .count();
        assert!(replies >= 5, "only {replies} seeds answered");
        assert_eq!(h.stats.get(Stat::Pkt4ParseFailed), 0);
    }

    #[test]
    fn random_and_mutated_packets_never_panic() {
        let h = Harness::new().expect("harness");
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let seeds = seeds();
        let mut total = 0i64;
        let mut parse_failed = 0i64;
        let mut replies = 0;
        let mut run = |p: &[u8]| {
            total += 1;
            if ruru_engine::v4::packet::parse(p).is_err() {
                parse_failed += 1;
            }
            if matches!(h.run(p), Outcome4::Reply(_)) {
                replies += 1;
            }
        };
        // Pure noise, of every length around the header size.
        for _ in 0..500 {
            let len = rng.below(HEADER_LEN + 64);
            let p: Vec<u8> = (0..len).map(|_| rng.byte()).collect();
            run(&p);
        }
        // Noise with a valid header prefix and cookie.
        for _ in 0..500 {
            let mut p = seeds[rng.below(seeds.len())][..HEADER_LEN + 4].to_vec();
            for _ in 0..rng.below(64) {
                p.push(rng.byte());
            }
            run(&p);
        }
        // Seeds with one to eight mutations each.
        for _ in 0..4000 {
            let mut p = seeds[rng.below(seeds.len())].clone();
            for _ in 0..=rng.below(8) {
                mutate(&mut rng, &mut p);
            }
            run(&p);
        }
        assert_eq!(h.stats.get(Stat::Pkt4Received), total);
        assert_eq!(h.stats.get(Stat::Pkt4ParseFailed), parse_failed);
        assert!(parse_failed > 500, "only {parse_failed} parse failures");
        assert!(replies > 100, "only {replies} replies: mutations too harsh");
    }
}
