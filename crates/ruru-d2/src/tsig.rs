//! TSIG (RFC 8945): signing an UPDATE with a shared key and verifying
//! that the server's answer is signed with the same key over the
//! request's MAC. The TSIG record, and the bytes each MAC covers, are
//! hickory-proto's (`TSIG`, `message_tbs`, `signed_bitmessage_to_buf`);
//! the MAC itself is computed here because hickory's signer only does
//! HMAC-SHA256/384/512 and Kea's D2 has six algorithms: SHA-1, SHA-256,
//! SHA-384 and SHA-512 with ring; MD5 and SHA-224 (which ring lacks)
//! with RustCrypto's `hmac`. Truncated MACs (`digest-bits`, RFC 4635
//! §3.1), which hickory's verifier refuses, are checked here too.

use hickory_proto::op::Message;
use hickory_proto::rr::rdata::tsig::{
    make_tsig_record, message_tbs, signed_bitmessage_to_buf, TsigAlgorithm as HickoryAlg, TSIG,
};
use hmac::{KeyInit, Mac};
use ruru_config::{TsigAlgorithm, TsigKey};

use crate::wire::{self, WireError};

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

/// The algorithm as hickory-proto names it (it has names for all six,
/// even those it cannot compute).
pub fn algorithm(alg: TsigAlgorithm) -> HickoryAlg {
    match alg {
        TsigAlgorithm::HmacMd5 => HickoryAlg::HmacMd5,
        TsigAlgorithm::HmacSha1 => HickoryAlg::HmacSha1,
        TsigAlgorithm::HmacSha224 => HickoryAlg::HmacSha224,
        TsigAlgorithm::HmacSha256 => HickoryAlg::HmacSha256,
        TsigAlgorithm::HmacSha384 => HickoryAlg::HmacSha384,
        TsigAlgorithm::HmacSha512 => HickoryAlg::HmacSha512,
    }
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

/// Signs `msg` (complete, unsigned) at Unix time `now`: sets its TSIG
/// record and returns the MAC, which the answer's MAC covers.
pub fn sign(msg: &mut Message, key: &TsigKey, now: u64) -> Result<Vec<u8>, WireError> {
    let key_name = wire::name(&key.name)?;
    let stub = TSIG::new(
        algorithm(key.algorithm),
        now,
        FUDGE,
        Vec::new(),
        msg.metadata.id,
        None,
        Vec::new(),
    );
    let tbs = message_tbs(msg, &stub, &key_name).map_err(|e| WireError::Encode(e.to_string()))?;
    let mut m = mac(key.algorithm, &key.secret, &[&tbs]);
    m.truncate(mac_len(key));
    msg.set_signature(Box::new(make_tsig_record(
        key_name,
        stub.set_mac(m.clone()),
    )));
    Ok(m)
}

fn equal(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Verifies the TSIG record of answer `b` (read as `msg`) against `key`
/// and the request's MAC, at Unix time `now`.
pub fn verify(
    b: &[u8],
    msg: &Message,
    key: &TsigKey,
    request_mac: &[u8],
    now: u64,
) -> Result<(), TsigError> {
    let rr = msg.signature().ok_or(TsigError::Unsigned)?;
    let tsig = &rr.data;
    if rr.name != wire::name(&key.name)?
        || tsig.algorithm.to_name() != algorithm(key.algorithm).to_name()
    {
        return Err(TsigError::KeyMismatch);
    }
    if let Some(e) = tsig.error {
        return Err(TsigError::Server(e.into()));
    }
    let full = (key.algorithm.digest_bits() / 8) as usize;
    let least = if key.digest_bits == 0 {
        full
    } else {
        mac_len(key)
    };
    let mac_size = tsig.mac.len();
    if mac_size < least.max(10).max(full / 2) || mac_size > full {
        return Err(TsigError::BadMac);
    }
    // The request MAC, the answer as it was before the TSIG record was
    // added (original ID, ARCOUNT less one), the TSIG variables.
    let (tbv, _) = signed_bitmessage_to_buf(b, Some(request_mac), true)
        .map_err(|e| WireError::Malformed(e.to_string()))?;
    let want = mac(key.algorithm, &key.secret, &[&tbv]);
    if !equal(&want[..mac_size], &tsig.mac) {
        return Err(TsigError::BadMac);
    }
    if now.abs_diff(tsig.time) > u64::from(tsig.fudge) {
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

    /// `answer` signed as a server signs it (RFC 8945 §5.3: over the
    /// request's MAC), at `time`, with its MAC truncated to `len`.
    fn server_sign(answer: &mut Message, k: &TsigKey, req_mac: &[u8], time: u64, len: usize) {
        let key_name = wire::name(&k.name).unwrap();
        let stub = TSIG::new(
            algorithm(k.algorithm),
            time,
            FUDGE,
            Vec::new(),
            answer.metadata.id,
            None,
            Vec::new(),
        );
        let mut tbs = (req_mac.len() as u16).to_be_bytes().to_vec();
        tbs.extend_from_slice(req_mac);
        tbs.extend_from_slice(&message_tbs(answer, &stub, &key_name).unwrap());
        let mut m = mac(k.algorithm, &k.secret, &[&tbs]);
        m.truncate(len);
        answer.set_signature(Box::new(make_tsig_record(key_name, stub.set_mac(m))));
    }

    fn request() -> Message {
        let zone = wire::name("example.org.").unwrap();
        let h = wire::name("h.example.org.").unwrap();
        let upd = [wire::address(
            &h,
            hickory_proto::rr::DNSClass::IN,
            300,
            "192.0.2.1".parse().unwrap(),
        )];
        wire::update_message(9, &zone, &[], &upd)
    }

    /// A signed answer, made as a server makes it, verifies; altered, it
    /// does not.
    #[test]
    fn sign_and_verify_round_trip() {
        for (alg, bits) in [
            (TsigAlgorithm::HmacMd5, 0),
            (TsigAlgorithm::HmacSha1, 0),
            (TsigAlgorithm::HmacSha224, 0),
            (TsigAlgorithm::HmacSha256, 128),
            (TsigAlgorithm::HmacSha384, 0),
            (TsigAlgorithm::HmacSha512, 256),
        ] {
            let k = key(alg, bits);
            let mut req = request();
            let req_mac = sign(&mut req, &k, 1_000_000).unwrap();
            assert_eq!(req_mac.len(), mac_len(&k));
            // The request carries the TSIG record, last, with that MAC.
            let sent = wire::encode(&req).unwrap();
            assert_eq!(&sent[10..12], &[0, 1]);
            assert!(sent.ends_with(&[&req_mac[..], &[0, 9, 0, 0, 0, 0]].concat()));
            // The server's answer: the header with QR, the zone, signed
            // over the request MAC.
            let mut ans = wire::update_message(9, &wire::name("example.org").unwrap(), &[], &[]);
            ans.metadata.message_type = hickory_proto::op::MessageType::Response;
            server_sign(&mut ans, &k, &req_mac, 1_000_010, mac_len(&k));
            let b = wire::encode(&ans).unwrap();
            let r = wire::parse_response(&b).unwrap();
            assert_eq!(verify(&b, &r, &k, &req_mac, 1_000_000), Ok(()), "{alg:?}");
            assert_eq!(
                verify(&b, &r, &k, &req_mac, 2_000_000),
                Err(TsigError::BadTime)
            );
            // Over another request MAC, or with a header bit changed.
            assert_eq!(
                verify(&b, &r, &k, &[0; 16], 1_000_000),
                Err(TsigError::BadMac)
            );
            let mut bad = b.clone();
            bad[3] ^= 1;
            let r2 = wire::parse_response(&bad).unwrap();
            assert_eq!(
                verify(&bad, &r2, &k, &req_mac, 1_000_000),
                Err(TsigError::BadMac)
            );
            let mut other = k.clone();
            other.name = "other.".into();
            assert_eq!(
                verify(&b, &r, &other, &req_mac, 1_000_000),
                Err(TsigError::KeyMismatch)
            );
            // Unsigned, or truncated below what the key allows.
            let mut plain = ans.clone();
            plain.take_signature();
            let pb = wire::encode(&plain).unwrap();
            let pr = wire::parse_response(&pb).unwrap();
            assert_eq!(
                verify(&pb, &pr, &k, &req_mac, 1_000_000),
                Err(TsigError::Unsigned)
            );
            let mut short = ans.clone();
            short.take_signature();
            server_sign(&mut short, &k, &req_mac, 1_000_010, mac_len(&k) - 1);
            let sb = wire::encode(&short).unwrap();
            let sr = wire::parse_response(&sb).unwrap();
            assert_eq!(
                verify(&sb, &sr, &k, &req_mac, 1_000_000),
                Err(TsigError::BadMac)
            );
        }
    }

    /// The algorithm name as the server spells it (lower case, as BIND
    /// sends hmac-md5.sig-alg.reg.int.) is the key's algorithm.
    #[test]
    fn algorithm_names_any_case() {
        for alg in [TsigAlgorithm::HmacMd5, TsigAlgorithm::HmacSha224] {
            let k = key(alg, 0);
            let mut req = request();
            let req_mac = sign(&mut req, &k, 5_000).unwrap();
            let mut ans = wire::update_message(9, &wire::name("example.org").unwrap(), &[], &[]);
            ans.metadata.message_type = hickory_proto::op::MessageType::Response;
            server_sign(&mut ans, &k, &req_mac, 5_000, mac_len(&k));
            let mut rr = ans.take_signature().unwrap();
            let mut n = wire::name(alg.wire_name()).unwrap();
            n.set_fqdn(false);
            rr.data.algorithm = HickoryAlg::Unknown(n.to_lowercase());
            ans.set_signature(rr);
            let b = wire::encode(&ans).unwrap();
            let r = wire::parse_response(&b).unwrap();
            assert_eq!(verify(&b, &r, &k, &req_mac, 5_000), Ok(()));
        }
    }

    /// For the algorithms hickory-proto computes itself, its signer and
    /// ours agree, and it verifies what we sign.
    #[test]
    fn agrees_with_hickory_signer() {
        use hickory_proto::rr::TSigner;
        for alg in [
            TsigAlgorithm::HmacSha256,
            TsigAlgorithm::HmacSha384,
            TsigAlgorithm::HmacSha512,
        ] {
            let k = key(alg, 0);
            let signer = TSigner::new(
                k.secret.clone(),
                algorithm(alg),
                wire::name(&k.name).unwrap(),
                FUDGE,
            )
            .unwrap();
            let (theirs, _) = signer.sign_message(&request(), 1_000_000).unwrap();
            let mut req = request();
            let ours = sign(&mut req, &k, 1_000_000).unwrap();
            assert_eq!(ours, theirs.data.mac);
            let b = wire::encode(&req).unwrap();
            signer.verify_message_byte(&b, None, true).unwrap();
        }
    }
}
