//! The parser and evaluator never panic: a few thousand generated inputs,
//! from a fixed seed, go through the same harness as the fuzz target
//! (`fuzz/fuzz_targets/expr.rs` includes this file).

mod common;

pub mod harness {
    use super::common::fake::FakePacket;
    use ruru_classify::{parse, EvalError, Family, Kind, StdOptionNames};

    /// Parses `data` (lossy UTF-8) for both families; a successful parse is
    /// evaluated on the fake packet of its family and, as a check of the
    /// family guard, on the other one.
    pub fn run(data: &[u8]) {
        let text = String::from_utf8_lossy(data);
        for family in [Family::V4, Family::V6] {
            match parse(&text, family, &StdOptionNames) {
                Ok(e) => {
                    let (same, other) = match family {
                        Family::V4 => (FakePacket::v4(), FakePacket::v6()),
                        Family::V6 => (FakePacket::v6(), FakePacket::v4()),
                    };
                    match e.kind() {
                        Kind::Bool => {
                            let _ = e.eval_bool(&same);
                        }
                        Kind::String => {
                            let _ = e.eval_string(&same).map(|v| v.len());
                        }
                    }
                    let _ = e.eval_string(&same).map(|v| v.len());
                    assert!(matches!(
                        e.eval_bool(&other),
                        Err(EvalError::WrongFamily { .. })
                    ));
                }
                Err(err) => {
                    assert!(err.offset <= text.len(), "{text:?}: {err:?}");
                    assert!(err.line >= 1 && err.column >= 1, "{text:?}: {err:?}");
                    assert!(!err.message.is_empty());
                }
            }
        }
    }
}

/// Pieces generated inputs are made of: every keyword and punctuation,
/// literals of each kind, names, and a few invalid characters.
const PIECES: &[&str] = &[
    "option",
    "relay4",
    "relay6",
    "peeraddr",
    "linkaddr",
    "text",
    "hex",
    "exists",
    "pkt",
    "iface",
    "src",
    "dst",
    "len",
    "pkt4",
    "mac",
    "hlen",
    "htype",
    "ciaddr",
    "giaddr",
    "yiaddr",
    "siaddr",
    "pkt6",
    "msgtype",
    "transid",
    "vendor",
    "vendor-class",
    "data",
    "enterprise",
    "substring",
    "lcase",
    "ucase",
    "split",
    "all",
    "concat",
    "ifelse",
    "sifelse",
    "hexstring",
    "addrtotext",
    "int8totext",
    "int16totext",
    "int32totext",
    "uint8totext",
    "uint16totext",
    "uint32totext",
    "not",
    "and",
    "sand",
    "or",
    "sor",
    "member",
    "match",
    ".",
    "(",
    ")",
    "[",
    "]",
    ",",
    "*",
    "+",
    "==",
    "'a'",
    "'ALL'",
    "''",
    "'.*'",
    "'[x'",
    "0x",
    "0x1",
    "0xff00",
    "0",
    "1",
    "-1",
    "100",
    "255",
    "65536",
    "4294967296",
    "-33",
    "99999999999999999999",
    "10.0.0.1",
    "::1",
    "1::2",
    "::",
    "host-name",
    "clientid",
    "foo",
    " ",
    "\n",
    "\t",
    "'",
    "=",
    "<",
    "é",
    "\0",
];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Valid expressions to mutate, so that generated inputs get deep into
/// the grammar.
const SEEDS: &[&str] = &[
    "substring(option[60].hex,0,9) == 'PXEClient'",
    "relay6[-1].option[18].option[1].exists or relay6[0].peeraddr == ::1",
    "ifelse(vendor[*].option[2].exists, hexstring(pkt4.mac, ':'), split('a.b', '.', 2)) == 'x'",
    "member('X') and not member('Y') sand vendor-class[4491].data[1] == 'beta'",
    "uint16totext(option[93].hex) + addrtotext(pkt.src) + lcase(pkt.iface) == 'x'",
    "match('^a.*', concat(ucase(option[12].text), int8totext(0xff)))",
    "relay4[13].option[7].hex == pkt4.giaddr or pkt6.transid == 1 sor vendor.enterprise == 4491",
];

#[test]
fn generated_inputs_never_panic() {
    let mut rng = Rng(0x5eed_1234_abcd_0042);
    let mut count = 0;
    for _ in 0..3000 {
        let n = 1 + rng.below(40);
        let mut s = String::new();
        for _ in 0..n {
            s.push_str(PIECES[rng.below(PIECES.len())]);
            if rng.below(3) == 0 {
                s.push(' ');
            }
        }
        harness::run(s.as_bytes());
        count += 1;
    }
    for _ in 0..3000 {
        let seed = SEEDS[rng.below(SEEDS.len())];
        let mut bytes = seed.as_bytes().to_vec();
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(bytes.len() + 1);
            match rng.below(4) {
                0 if at < bytes.len() => {
                    bytes.remove(at);
                }
                1 => {
                    let piece = PIECES[rng.below(PIECES.len())].as_bytes();
                    bytes.splice(at..at, piece.iter().copied());
                }
                2 if at < bytes.len() => bytes[at] = rng.next() as u8,
                _ => bytes.truncate(at),
            }
        }
        harness::run(&bytes);
        count += 1;
    }
    for _ in 0..1000 {
        let bytes: Vec<u8> = (0..rng.below(64)).map(|_| rng.next() as u8).collect();
        harness::run(&bytes);
        count += 1;
    }
    assert_eq!(count, 7000);
}

#[test]
fn seeds_are_valid() {
    for s in SEEDS {
        let ok = [ruru_classify::Family::V4, ruru_classify::Family::V6]
            .iter()
            .any(|&f| ruru_classify::parse(s, f, &ruru_classify::StdOptionNames).is_ok());
        assert!(ok || s.contains("pkt6"), "{s}");
    }
}
