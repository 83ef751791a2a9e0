//! Kea's `cipher-list` of a SQL database: an OpenSSL cipher list string
//! (`ciphers(1ssl)`), evaluated over the TLS 1.2 cipher suites ruru's TLS
//! (rustls) has. As in OpenSSL, the list chooses the TLS 1.2 (and older)
//! suites only; TLS 1.3 suites are not affected.
//!
//! Elements are separated by `:` (or `,`, `;`, spaces); an element is a
//! cipher suite's OpenSSL name or an alias (`AES`, `AES128`, `AESGCM`,
//! `CHACHA20`, `ECDHE`, `aRSA`, `ECDSA`, `SHA256`, `HIGH`, `ALL`,
//! `DEFAULT`, ...), several joined by `+` meaning all of them at once;
//! prefix `!` removes for good, `-` removes, `+` moves to the end; names
//! OpenSSL has but that match none of these suites (`RSA`, `3DES`, `MD5`,
//! ...) select nothing, and an unknown name is ignored, as in OpenSSL. A
//! list that selects no suite is an error (OpenSSL's "no cipher match").
//! `@STRENGTH` sorts by key length; `@SECLEVEL=n` is accepted and has no
//! effect (every suite here is above level 3).

/// One TLS 1.2 suite: its OpenSSL name, its IANA name (what rustls
/// calls it), and what the aliases look at.
struct Suite {
    openssl: &'static str,
    iana: &'static str,
    ecdsa: bool,
    /// Bulk cipher: `AES128`, `AES256` or `CHACHA20`.
    enc: &'static str,
    /// The PRF's hash: `SHA256` or `SHA384`.
    mac: &'static str,
}

/// In OpenSSL's default order (strongest first).
const SUITES: &[Suite] = &[
    Suite {
        openssl: "ECDHE-ECDSA-AES256-GCM-SHA384",
        iana: "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        ecdsa: true,
        enc: "AES256",
        mac: "SHA384",
    },
    Suite {
        openssl: "ECDHE-RSA-AES256-GCM-SHA384",
        iana: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        ecdsa: false,
        enc: "AES256",
        mac: "SHA384",
    },
    Suite {
        openssl: "ECDHE-ECDSA-CHACHA20-POLY1305",
        iana: "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        ecdsa: true,
        enc: "CHACHA20",
        mac: "SHA256",
    },
    Suite {
        openssl: "ECDHE-RSA-CHACHA20-POLY1305",
        iana: "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        ecdsa: false,
        enc: "CHACHA20",
        mac: "SHA256",
    },
    Suite {
        openssl: "ECDHE-ECDSA-AES128-GCM-SHA256",
        iana: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        ecdsa: true,
        enc: "AES128",
        mac: "SHA256",
    },
    Suite {
        openssl: "ECDHE-RSA-AES128-GCM-SHA256",
        iana: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        ecdsa: false,
        enc: "AES128",
        mac: "SHA256",
    },
];

/// Whether `s` matches the alias or name `name`: `Some(false)` for a name
/// OpenSSL knows that no suite here matches, `None` for a name it does
/// not know.
fn matches(s: &Suite, name: &str) -> Option<bool> {
    let aes = s.enc.starts_with("AES");
    Some(match name {
        "ALL" | "DEFAULT" | "HIGH" | "AEAD" | "TLSv1.2" | "ECDHE" | "EECDH" | "kECDHE"
        | "kEECDH" | "aECDHE" | "COMPLEMENTOFALL" => name != "COMPLEMENTOFALL",
        "aRSA" => !s.ecdsa,
        "aECDSA" | "ECDSA" => s.ecdsa,
        "AES" => aes,
        "AESGCM" => aes,
        "AES128" | "AES256" | "CHACHA20" => s.enc == name,
        "SHA256" | "SHA384" => s.mac == name,
        // Known to OpenSSL, matching none of these suites.
        "RSA"
        | "kRSA"
        | "DH"
        | "EDH"
        | "DHE"
        | "kDHE"
        | "kEDH"
        | "aDSS"
        | "DSS"
        | "aNULL"
        | "eNULL"
        | "NULL"
        | "MEDIUM"
        | "LOW"
        | "EXPORT"
        | "3DES"
        | "DES"
        | "RC4"
        | "RC2"
        | "IDEA"
        | "SEED"
        | "MD5"
        | "SHA1"
        | "SHA"
        | "CAMELLIA"
        | "CAMELLIA128"
        | "CAMELLIA256"
        | "ARIA"
        | "ARIA128"
        | "ARIA256"
        | "AESCCM"
        | "AESCCM8"
        | "PSK"
        | "kPSK"
        | "aPSK"
        | "SRP"
        | "kSRP"
        | "ADH"
        | "AECDH"
        | "COMPLEMENTOFDEFAULT"
        | "TLSv1"
        | "TLSv1.0"
        | "SSLv3"
        | "GOST"
        | "SUITEB128"
        | "SUITEB192"
        | "SUITEB128ONLY" => false,
        n => {
            if SUITES.iter().any(|x| x.openssl == n) {
                s.openssl == n
            } else {
                return None;
            }
        }
    })
}

/// The IANA names of the TLS 1.2 suites `list` chooses, in preference
/// order; an error saying why when it chooses none.
pub(crate) fn tls12_suites(list: &str) -> Result<Vec<&'static str>, String> {
    let mut on: Vec<usize> = Vec::new();
    let mut killed: Vec<usize> = Vec::new();
    for el in list.split([':', ',', ';', ' ']).filter(|e| !e.is_empty()) {
        if el == "@STRENGTH" {
            let bits = |i: &usize| match SUITES[*i].enc {
                "AES128" => 128,
                _ => 256,
            };
            on.sort_by_key(|i| std::cmp::Reverse(bits(i)));
            continue;
        }
        if el.starts_with('@') {
            continue;
        }
        let (op, body) = match el.as_bytes()[0] {
            b'!' | b'-' | b'+' => (el.as_bytes()[0], &el[1..]),
            _ => (b' ', el),
        };
        let hit: Vec<usize> = (0..SUITES.len())
            .filter(|&i| {
                body.split('+')
                    .all(|n| matches(&SUITES[i], n).unwrap_or(false))
            })
            .collect();
        match op {
            b'!' => {
                on.retain(|i| !hit.contains(i));
                killed.extend(hit);
            }
            b'-' => on.retain(|i| !hit.contains(i)),
            b'+' => {
                let (moved, kept): (Vec<usize>, Vec<usize>) =
                    on.iter().partition(|i| hit.contains(i));
                on = kept;
                on.extend(moved);
            }
            _ => {
                for i in hit {
                    if !on.contains(&i) && !killed.contains(&i) {
                        on.push(i);
                    }
                }
            }
        }
    }
    if on.is_empty() {
        return Err(format!(
            "cipher-list `{list}` selects none of the TLS 1.2 cipher suites ruru's TLS has ({}); TLS 1.3 suites are not chosen by `cipher-list`, as in OpenSSL",
            SUITES.iter().map(|s| s.openssl).collect::<Vec<_>>().join(", ")
        ));
    }
    Ok(on.into_iter().map(|i| SUITES[i].iana).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &str) -> Vec<&'static str> {
        tls12_suites(list)
            .unwrap_or_default()
            .into_iter()
            .map(|iana| {
                SUITES
                    .iter()
                    .find(|s| s.iana == iana)
                    .map_or("", |s| s.openssl)
            })
            .collect()
    }

    #[test]
    fn openssl_cipher_lists() {
        // Kea's examples: "AES" keeps the AES-GCM suites.
        assert_eq!(
            names("AES"),
            [
                "ECDHE-ECDSA-AES256-GCM-SHA384",
                "ECDHE-RSA-AES256-GCM-SHA384",
                "ECDHE-ECDSA-AES128-GCM-SHA256",
                "ECDHE-RSA-AES128-GCM-SHA256"
            ]
        );
        assert_eq!(names("HIGH:!aRSA:!CHACHA20").len(), 2);
        assert_eq!(
            names("ECDHE+AES128:ECDHE-RSA-CHACHA20-POLY1305"),
            [
                "ECDHE-ECDSA-AES128-GCM-SHA256",
                "ECDHE-RSA-AES128-GCM-SHA256",
                "ECDHE-RSA-CHACHA20-POLY1305"
            ]
        );
        // `!` is for good, `-` not; `+` moves to the end.
        assert_eq!(names("ALL:!AES256:AES256"), names("ALL:-AES256"));
        assert_eq!(names("ALL:-AES256:AES256").len(), 6);
        assert_eq!(
            names("AES128:AES256:+AES128")[2],
            "ECDHE-ECDSA-AES128-GCM-SHA256"
        );
        assert_eq!(
            names("AES128:AES256:@STRENGTH")[0],
            "ECDHE-ECDSA-AES256-GCM-SHA384"
        );
        // Unknown names are ignored; nothing left is an error.
        assert_eq!(names("NOSUCH:CHACHA20").len(), 2);
        for bad in ["RSA", "3DES:MD5", "NOSUCH", "", "ALL:!ALL"] {
            assert!(tls12_suites(bad).is_err(), "{bad}");
        }
    }
}
