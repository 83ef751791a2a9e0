//! TSIG (RFC 8945): signing an UPDATE with a shared key and verifying
//! that the server's answer is signed with the same key over the
//! request's MAC. The six HMAC algorithms of Kea's D2: SHA-1, SHA-256,
//! SHA-384 and SHA-512 with ring; MD5 and SHA-224 (which ring lacks) with
//! RustCrypto's `hmac`. Truncated MACs (`digest-bits`) as RFC 4635 §3.1.

use hmac::{KeyInit, Mac};
use ruru_config::{TsigAlgorithm, TsigKey};

use crate::wire::{self, Response, Rr, WireError, CLASS_ANY, TYPE_TSIG};

/// Seconds of clock skew allowed between ruru and the server (RFC 8945
/// recommends 300).
pub const FUDGE: u16 = 300;

/// Why an answer's signature is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TsigError {
    #[error("the answer is not signed")]
    Unsigned,
    #[error("the answer is signed with another key or algorithm")]
    KeyMismatch,
    #[error("the server reports TSIG error {0} (16 BADSIG, 17 BADKEY, 18 BADTIME)")]
    Server(u16),
    #[error("the answer's MAC does not verify")]
    BadMac,
    #[error("the answer was signed at a time out of the fudge window")]
    BadTime,
    #[error("{0}")]
    Wire(#[from] WireError),
}

fn hmac_rc<M: Mac + KeyInit>(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    match <M as KeyInit>::new_from_slice(key) {
        Ok(mut m) => {
            for p in parts {
                m.update(p);
            }
            m.finalize().into_bytes().to_vec()
        }
        // HMAC takes keys of any length; this cannot happen.
        Err(_) => Vec::new(),
    }
}

fn hmac_ring(alg: ring::hmac::Algorithm, key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let k = ring::hmac::Key::new(alg, key);
    let mut c = ring::hmac::Context::with_key(&k);
    for p in parts {
        c.update(p);
    }
    c.sign().as_ref().to_vec()
}

/// The full HMAC of the concatenated `parts`.
pub fn mac(alg: TsigAlgorithm, key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    match alg {
        TsigAlgorithm::HmacMd5 => hmac_rc::<hmac::Hmac<md5::Md5>>(key, parts),
        TsigAlgorithm::HmacSha224 => hmac_rc::<hmac::Hmac<sha2::Sha224>>(key, parts),
        TsigAlgorithm::HmacSha1 => hmac_ring(ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, key, parts),
        TsigAlgorithm::HmacSha256 => hmac_ring(ring::hmac::HMAC_SHA256, key, parts),
        TsigAlgorithm::HmacSha384 => hmac_ring(ring::hmac::HMAC_SHA384, key, parts),
        TsigAlgorithm::HmacSha512 => hmac_ring(ring::hmac::HMAC_SHA512, key, parts),
    }
}

/// The TSIG variables of RFC 8945 §4.3.3 that follow the message in
/// the MAC input.
fn variables(
    key: &TsigKey,
    time: u64,
    fudge: u16,
    error: u16,
    other: &[u8],
) -> Result<Vec<u8>, WireError> {
    let mut v = wire::name_wire(&key.name, true)?;
    v.extend_from_slice(&CLASS_ANY.to_be_bytes());
    v.extend_from_slice(&0u32.to_be_bytes());
    v.extend_from_slice(&wire::name_wire(key.algorithm.wire_name(), true)?);
    v.extend_from_slice(&time.to_be_bytes()[2..]);
    v.extend_from_slice(&fudge.to_be_bytes());
    v.extend_from_slice(&error.to_be_bytes());
    let olen = u16::try_from(other.len()).map_err(|_| WireError::Malformed("other data"))?;
    v.extend_from_slice(&olen.to_be_bytes());
    v.extend_from_slice(other);
    Ok(v)
}

/// The MAC length used with `key`: its `digest-bits`, or the whole digest.
fn mac_len(key: &TsigKey) -> usize {
    let bits = if key.digest_bits == 0 {
        key.algorithm.digest_bits()
    } else {
        key.digest_bits
    };
    (bits / 8) as usize
}

/// Signs `msg` (a complete message without TSIG) at Unix time `now`:
/// appends the TSIG record and returns the MAC, which the answer's MAC
/// covers.
pub fn sign(msg: &mut Vec<u8>, key: &TsigKey, now: u64) -> Result<Vec<u8>, WireError> {
    let id = wire::read_u16(msg, 0)?;
    let vars = variables(key, now, FUDGE, 0, &[])?;
    let mut m = mac(key.algorithm, &key.secret, &[msg, &vars]);
    m.truncate(mac_len(key));
    let mut rdata = wire::name_wire(key.algorithm.wire_name(), true)?;
    rdata.extend_from_slice(&now.to_be_bytes()[2..]);
    rdata.extend_from_slice(&FUDGE.to_be_bytes());
    rdata.extend_from_slice(&(m.len() as u16).to_be_bytes());
    rdata.extend_from_slice(&m);
    rdata.extend_from_slice(&id.to_be_bytes());
    rdata.extend_from_slice(&0u16.to_be_bytes());
    rdata.extend_from_slice(&0u16.to_be_bytes());
    wire::append_additional(
        msg,
        &Rr {
            name: key.name.clone(),
            rtype: TYPE_TSIG,
            class: CLASS_ANY,
            ttl: 0,
            rdata,
        },
    )?;
    Ok(m)
}

fn equal(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Verifies the TSIG record of answer `b` (walked as `r`) against `key`
/// and the request's MAC, at Unix time `now`.
pub fn verify(
    b: &[u8],
    r: &Response,
    key: &TsigKey,
    request_mac: &[u8],
    now: u64,
) -> Result<(), TsigError> {
    let at = r.tsig_at.ok_or(TsigError::Unsigned)?;
    let (name, mut p) = wire::read_name(b, at)?;
    if name != key.name {
        return Err(TsigError::KeyMismatch);
    }
    p += 10; // type, class, TTL, RDLENGTH
    let (alg, q) = wire::read_name(b, p)?;
    if alg != key.algorithm.wire_name() {
        return Err(TsigError::KeyMismatch);
    }
    p = q;
    let t = b.get(p..p + 6).ok_or(WireError::Truncated)?;
    let time = t.iter().fold(0u64, |acc, &x| (acc << 8) | u64::from(x));
    let fudge = wire::read_u16(b, p + 6)?;
    let mac_size = usize::from(wire::read_u16(b, p + 8)?);
    p += 10;
    let got = b.get(p..p + mac_size).ok_or(WireError::Truncated)?;
    p += mac_size;
    let orig_id = wire::read_u16(b, p)?;
    let error = wire::read_u16(b, p + 2)?;
    let olen = usize::from(wire::read_u16(b, p + 4)?);
    let other = b.get(p + 6..p + 6 + olen).ok_or(WireError::Truncated)?;
    if error != 0 {
        return Err(TsigError::Server(error));
    }
    let full = (key.algorithm.digest_bits() / 8) as usize;
    let least = if key.digest_bits == 0 {
        full
    } else {
        mac_len(key)
    };
    if mac_size < least.max(10).max(full / 2) || mac_size > full {
        return Err(TsigError::BadMac);
    }
    // The answer as it was before the TSIG record was added.
    let mut msg = b[..at].to_vec();
    msg[0..2].copy_from_slice(&orig_id.to_be_bytes());
    let ar = wire::read_u16(&msg, 10)?.saturating_sub(1);
    msg[10..12].copy_from_slice(&ar.to_be_bytes());
    let vars = variables(key, time, fudge, error, other)?;
    let req_len = (request_mac.len() as u16).to_be_bytes();
    let want = mac(
        key.algorithm,
        &key.secret,
        &[&req_len, request_mac, &msg, &vars],
    );
    if !equal(&want[..mac_size], got) {
        return Err(TsigError::BadMac);
    }
    if now.abs_diff(time) > u64::from(fudge) {
        return Err(TsigError::BadTime);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn key(alg: TsigAlgorithm, digest_bits: u32) -> TsigKey {
        TsigKey {
            name: "k.example.".into(),
            config_name: "k.example".into(),
            algorithm: alg,
            digest_bits,
            secret: b"0123456789abcdef".to_vec(),
        }
    }

    /// RFC 2202 / RFC 4231 test vectors of the HMACs.
    #[test]
    fn hmac_vectors() {
        let hex = |v: Vec<u8>| v.iter().map(|b| format!("{b:02x}")).collect::<String>();
        let k = [0x0bu8; 16];
        assert_eq!(
            hex(mac(TsigAlgorithm::HmacMd5, &k, &[b"Hi There"])),
            "9294727a3638bb1c13f48ef8158bfc9d"
        );
        let k = [0x0bu8; 20];
        assert_eq!(
            hex(mac(TsigAlgorithm::HmacSha1, &k, &[b"Hi ", b"There"])),
            "b617318655057264e28bc0b6fb378c8ef146be00"
        );
        assert_eq!(
            hex(mac(TsigAlgorithm::HmacSha224, &k, &[b"Hi There"])),
            "896fb1128abbdf196832107cd49df33f47b4b1169912ba4f53684b22"
        );
        assert_eq!(
            hex(mac(TsigAlgorithm::HmacSha256, &k, &[b"Hi There"])),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
    }

    /// A signed answer, made as a server makes it, verifies; altered, it
    /// does not.
    #[test]
    fn sign_and_verify_round_trip() {
        for (alg, bits) in [
            (TsigAlgorithm::HmacMd5, 0),
            (TsigAlgorithm::HmacSha224, 0),
            (TsigAlgorithm::HmacSha512, 256),
        ] {
            let k = key(alg, bits);
            let mut req = wire::update_message(9, "example.org.", &[], &[]).unwrap();
            let req_mac = sign(&mut req, &k, 1_000_000).unwrap();
            assert_eq!(req_mac.len(), mac_len(&k));
            // The server's answer: the header with QR, the zone, signed
            // over the request MAC.
            let mut ans = wire::update_message(9, "example.org.", &[], &[]).unwrap();
            ans[2] |= 0x80;
            let vars = variables(&k, 1_000_010, FUDGE, 0, &[]).unwrap();
            let l = (req_mac.len() as u16).to_be_bytes();
            let mut m = mac(alg, &k.secret, &[&l, &req_mac, &ans, &vars]);
            m.truncate(mac_len(&k));
            let mut rdata = wire::name_wire(alg.wire_name(), true).unwrap();
            rdata.extend_from_slice(&1_000_010u64.to_be_bytes()[2..]);
            rdata.extend_from_slice(&FUDGE.to_be_bytes());
            rdata.extend_from_slice(&(m.len() as u16).to_be_bytes());
            rdata.extend_from_slice(&m);
            rdata.extend_from_slice(&[0, 9, 0, 0, 0, 0]);
            wire::append_additional(
                &mut ans,
                &Rr {
                    name: k.name.clone(),
                    rtype: TYPE_TSIG,
                    class: CLASS_ANY,
                    ttl: 0,
                    rdata,
                },
            )
            .unwrap();
            let r = wire::parse_response(&ans).unwrap();
            assert_eq!(verify(&ans, &r, &k, &req_mac, 1_000_000), Ok(()));
            assert_eq!(
                verify(&ans, &r, &k, &req_mac, 2_000_000),
                Err(TsigError::BadTime)
            );
            let mut bad = ans.clone();
            bad[3] ^= 1;
            let r2 = wire::parse_response(&bad).unwrap();
            assert_eq!(
                verify(&bad, &r2, &k, &req_mac, 1_000_000),
                Err(TsigError::BadMac)
            );
            let mut other = k.clone();
            other.name = "other.".into();
            assert_eq!(
                verify(&ans, &r, &other, &req_mac, 1_000_000),
                Err(TsigError::KeyMismatch)
            );
        }
    }
}
