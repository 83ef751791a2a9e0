//! TLS to the SQL databases: Kea's `trust-anchor`, `cert-file` and
//! `key-file` ([`DbTls`]). The files are read when a store opens (a MySQL
//! store also when it reconnects after an outage) or a `ruru db` command
//! connects, and turned into each driver's client settings: a rustls [`rustls::ClientConfig`] for PostgreSQL
//! (`tokio-postgres-rustls`) and `mysql_async`'s [`mysql_async::SslOpts`]
//! (rustls inside too). Both use the `ring` provider, as the rest of ruru.
//!
//! The server's certificate must chain to the trust anchor — to it alone,
//! not to the system's CAs — and name the `host` connected to (a DNS name,
//! or an IP address in its subject alternative names), as libpq's
//! `sslmode=verify-full` and MySQL's `--ssl-verify-server-cert` check.
//! A file that is missing or not PEM is an error naming the file; a
//! handshake whose certificate check failed is reported as such
//! ([`connect_error`]).

use std::fmt::Display;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use mysql_async::{ClientIdentity, SslOpts};
use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::DbTls;
use crate::LeaseError;

/// The files of a [`DbTls`], read and checked.
pub(crate) struct Loaded {
    /// The trust anchor's certificates (at least one).
    roots: Vec<CertificateDer<'static>>,
    client: Option<Client>,
    /// Kea's `cipher-list`: the TLS 1.2 suites to offer (IANA names).
    tls12_suites: Option<Vec<String>>,
}

/// The client certificate and its key.
struct Client {
    chain: Vec<CertificateDer<'static>>,
    /// The `cert-file` as it was read (`mysql_async` reads a chain of
    /// several certificates as PEM).
    chain_pem: Vec<u8>,
    key: PrivateKeyDer<'static>,
    key_file: PathBuf,
}

fn err(key: &str, path: &Path, msg: impl Display) -> LeaseError {
    LeaseError::Database(format!("TLS {key} {}: {msg}", path.display()))
}

fn read(key: &str, path: &Path) -> Result<Vec<u8>, LeaseError> {
    std::fs::read(path).map_err(|e| err(key, path, format!("cannot read it: {e}")))
}

fn certs_in(
    key: &str,
    path: &Path,
    pem: &[u8],
) -> Result<Vec<CertificateDer<'static>>, LeaseError> {
    CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| err(key, path, format!("not a PEM certificate file: {e}")))
}

const NO_CERT: &str = "no certificate found: expected PEM `-----BEGIN CERTIFICATE-----` blocks";

/// Reads and checks the files of `t`.
pub(crate) fn load(t: &DbTls) -> Result<Loaded, LeaseError> {
    let roots = trust_anchor(&t.trust_anchor)?;
    let client = match &t.client {
        None => None,
        Some((cert_file, key_file)) => {
            let chain_pem = read("cert-file", cert_file)?;
            let chain = certs_in("cert-file", cert_file, &chain_pem)?;
            if chain.is_empty() {
                return Err(err("cert-file", cert_file, NO_CERT));
            }
            let key = client_key(key_file, t.key_password.as_deref())?;
            Some(Client {
                chain,
                chain_pem,
                key,
                key_file: key_file.clone(),
            })
        }
    };
    let loaded = Loaded {
        roots,
        client,
        tls12_suites: t.tls12_suites.clone(),
    };
    // A key that does not fit its certificate shows now, not at each
    // connection.
    loaded.client_config()?;
    Ok(loaded)
}

/// The PEM label of an encrypted PKCS#8 key (RFC 7468 §11).
const ENCRYPTED_LABEL: &str = "ENCRYPTED PRIVATE KEY";

/// The client key of `key-file`: an unencrypted PEM key, or an encrypted
/// PKCS#8 one opened with Kea's `key-password` (PBES2, as `openssl pkcs8
/// -topk8` and OpenSSL 3's `-aes256` write them). The decrypted key stays
/// in memory.
fn client_key(path: &Path, password: Option<&str>) -> Result<PrivateKeyDer<'static>, LeaseError> {
    const KEY: &str = "key-file";
    let pem = read(KEY, path)?;
    if let Some(block) = pem_block(&pem, ENCRYPTED_LABEL) {
        let Some(password) = password else {
            return Err(err(
                KEY,
                path,
                "the key is encrypted: expected `key-password` with the password that opens it",
            ));
        };
        let (_, der) = pkcs8::der::pem::decode_vec(block)
            .map_err(|e| err(KEY, path, format!("not a PEM encrypted key: {e}")))?;
        let info = pkcs8::EncryptedPrivateKeyInfo::try_from(der.as_slice())
            .map_err(|e| err(KEY, path, format!("not a PKCS#8 encrypted key: {e}")))?;
        let plain = info.decrypt(password).map_err(|e| {
            err(
                KEY,
                path,
                format!("cannot decrypt it with `key-password` (wrong password, or an encryption ruru does not have: {e})"),
            )
        })?;
        return Ok(PrivateKeyDer::Pkcs8(plain.as_bytes().to_vec().into()));
    }
    if pem
        .windows(b"Proc-Type: 4,ENCRYPTED".len())
        .any(|w| w == b"Proc-Type: 4,ENCRYPTED")
    {
        return Err(err(
            KEY,
            path,
            "an encrypted key in OpenSSL's traditional format: convert it to encrypted PKCS#8 (`openssl pkcs8 -topk8 -in KEY -out NEW`)",
        ));
    }
    PrivateKeyDer::from_pem_slice(&pem).map_err(|e| {
        err(
            KEY,
            path,
            match e {
                pem::Error::NoItemsFound => "no private key found: expected a PEM key (`-----BEGIN PRIVATE KEY-----`, `RSA PRIVATE KEY`, `EC PRIVATE KEY`, or `ENCRYPTED PRIVATE KEY` with `key-password`)".to_string(),
                e => format!("not a PEM private key: {e}"),
            },
        )
    })
}

/// The first PEM block labelled `label` in `text`, from its BEGIN line to
/// the end of its END line.
fn pem_block<'a>(text: &'a [u8], label: &str) -> Option<&'a [u8]> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let find = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).position(|w| w == needle);
    let start = find(text, begin.as_bytes())?;
    let stop = start + find(&text[start..], end.as_bytes())? + end.len();
    Some(&text[start..stop])
}

/// The certificates of a trust anchor: a PEM file, or a directory whose
/// files are read in name order (those without a certificate, such as a
/// CRL or a README, are skipped).
fn trust_anchor(path: &Path) -> Result<Vec<CertificateDer<'static>>, LeaseError> {
    const KEY: &str = "trust-anchor";
    let meta =
        std::fs::metadata(path).map_err(|e| err(KEY, path, format!("cannot read it: {e}")))?;
    let certs = if meta.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| err(KEY, path, format!("cannot read the directory: {e}")))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        let mut all = Vec::new();
        for f in files {
            match std::fs::read(&f)
                .ok()
                .and_then(|b| certs_in(KEY, &f, &b).ok())
            {
                Some(c) => all.extend(c),
                None => {
                    tracing::debug!(file = %f.display(), "trust-anchor directory: not a PEM certificate file, skipped")
                }
            }
        }
        all
    } else {
        certs_in(KEY, path, &read(KEY, path)?)?
    };
    if certs.is_empty() {
        return Err(err(KEY, path, NO_CERT));
    }
    let mut store = rustls::RootCertStore::empty();
    for c in &certs {
        store
            .add(c.clone())
            .map_err(|e| err(KEY, path, format!("not a usable CA certificate: {e}")))?;
    }
    Ok(certs)
}

impl Loaded {
    fn root_store(&self) -> rustls::RootCertStore {
        let mut store = rustls::RootCertStore::empty();
        // Each was checked by `trust_anchor`.
        let _ = store.add_parsable_certificates(self.roots.iter().cloned());
        store
    }

    /// The client settings for PostgreSQL.
    pub(crate) fn client_config(&self) -> Result<rustls::ClientConfig, LeaseError> {
        let mut provider = rustls::crypto::ring::default_provider();
        if let Some(names) = &self.tls12_suites {
            provider.cipher_suites = offered_suites(&provider.cipher_suites, names);
        }
        let provider = Arc::new(provider);
        let builder = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| LeaseError::Database(format!("TLS: {e}")))?
            .with_root_certificates(self.root_store());
        match &self.client {
            None => Ok(builder.with_no_client_auth()),
            Some(c) => builder
                .with_client_auth_cert(c.chain.clone(), c.key.clone_key())
                .map_err(|e| {
                    err(
                        "key-file",
                        &c.key_file,
                        format!("cannot be used with `cert-file`: {e}"),
                    )
                }),
        }
    }

    /// The client settings for MySQL: only the trust anchor's certificates
    /// are trusted (not `mysql_async`'s built-in web roots).
    pub(crate) fn ssl_opts(&self) -> Result<SslOpts, LeaseError> {
        // `mysql_async` builds its rustls configuration with the process's
        // default provider: make it ring (a no-op when one is installed).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let roots = self
            .roots
            .iter()
            .map(|c| c.as_ref().to_vec().into())
            .collect();
        let mut opts = SslOpts::default()
            .with_root_certs(roots)
            .with_disable_built_in_roots(true);
        if let Some(c) = &self.client {
            // `mysql_async` reads a certificate that is not text as one DER
            // certificate, and text as PEM; a key only as RSA PKCS#1.
            let chain = match c.chain.as_slice() {
                [one] => one.as_ref().to_vec(),
                _ => c.chain_pem.clone(),
            };
            let key = rsa_pkcs1(&c.key).ok_or_else(|| {
                err(
                    "key-file",
                    &c.key_file,
                    "not supported yet with MySQL: the MySQL driver takes RSA client keys only (this key is not one)",
                )
            })?;
            opts = opts.with_client_identity(Some(ClientIdentity::new(chain.into(), key.into())));
        }
        Ok(opts)
    }
}

/// Kea's `cipher-list`: every TLS 1.3 suite of `all` (OpenSSL's cipher
/// list leaves them alone), then the TLS 1.2 suites `names` names, in
/// that order.
fn offered_suites(
    all: &[rustls::SupportedCipherSuite],
    names: &[String],
) -> Vec<rustls::SupportedCipherSuite> {
    let tls13 = all
        .iter()
        .filter(|s| s.version() == &rustls::version::TLS13)
        .copied();
    let tls12 = names.iter().filter_map(|n| {
        all.iter()
            .find(|s| s.version() == &rustls::version::TLS12 && format!("{:?}", s.suite()) == *n)
            .copied()
    });
    tls13.chain(tls12).collect()
}

/// For a connection that could not be made: when its TLS handshake failed
/// on a certificate, an error that says so (naming the trust anchor).
pub(crate) fn connect_error(
    trust_anchor: &Path,
    e: &(dyn std::error::Error + 'static),
) -> Option<LeaseError> {
    handshake_failure(e).map(|why| {
        LeaseError::Database(format!(
            "TLS to the database server failed: {why} (trust-anchor {})",
            trust_anchor.display()
        ))
    })
}

/// When `e` or one of its causes is a rustls error of a certificate check:
/// what failed.
fn handshake_failure(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut cur = Some(e);
    while let Some(e) = cur {
        let tls = e.downcast_ref::<rustls::Error>().or_else(|| {
            e.downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        });
        match tls {
            Some(t @ rustls::Error::InvalidCertificate(_)) => {
                return Some(format!(
                    "certificate verification failed: the server's certificate is not trusted ({t})"
                ))
            }
            Some(t @ rustls::Error::AlertReceived(_)) => {
                return Some(format!(
                    "the server ended the handshake ({t}): does it want a client certificate (`cert-file`, `key-file`) that it trusts?"
                ))
            }
            Some(t) => return Some(t.to_string()),
            None => {}
        }
        cur = e.source();
    }
    None
}

/// The PKCS#1 form of an RSA key (the only form `mysql_async` reads): the
/// key itself, or taken out of its PKCS#8 wrapping; `None` for another
/// kind of key.
fn rsa_pkcs1(key: &PrivateKeyDer<'_>) -> Option<Vec<u8>> {
    /// rsaEncryption, 1.2.840.113549.1.1.1.
    const RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
    match key {
        PrivateKeyDer::Pkcs1(k) => Some(k.secret_pkcs1_der().to_vec()),
        PrivateKeyDer::Pkcs8(k) => {
            // PrivateKeyInfo ::= SEQUENCE { version INTEGER, algorithm
            // AlgorithmIdentifier, privateKey OCTET STRING, .. } (RFC 5208);
            // for RSA the OCTET STRING holds the PKCS#1 RSAPrivateKey.
            let (info, _) = der(k.secret_pkcs8_der(), 0x30)?;
            let (_, rest) = der(info, 0x02)?;
            let (algorithm, rest) = der(rest, 0x30)?;
            let (oid, _) = der(algorithm, 0x06)?;
            if oid != RSA_ENCRYPTION {
                return None;
            }
            der(rest, 0x04).map(|(pkcs1, _)| pkcs1.to_vec())
        }
        _ => None,
    }
}

/// The DER element with tag `tag` at the start of `b`: its contents and
/// what follows it.
fn der(b: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (&t, rest) = b.split_first()?;
    if t != tag {
        return None;
    }
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let (bytes, rest) = rest.split_at(n);
        (
            bytes.iter().fold(0usize, |a, &x| (a << 8) | usize::from(x)),
            rest,
        )
    };
    (rest.len() >= len).then(|| rest.split_at(len))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `cipher-list` keeps the TLS 1.3 suites and offers the TLS 1.2 ones
    /// it names, in its order; the names are rustls's (IANA).
    #[test]
    fn cipher_list_chooses_tls12_suites() {
        let all = rustls::crypto::ring::default_provider().cipher_suites;
        let names = [
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256".to_string(),
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384".to_string(),
        ];
        let got: Vec<String> = offered_suites(&all, &names)
            .iter()
            .map(|s| format!("{:?}", s.suite()))
            .collect();
        let n13 = all
            .iter()
            .filter(|s| s.version() == &rustls::version::TLS13)
            .count();
        assert!(n13 >= 2);
        assert_eq!(got.len(), n13 + 2, "{got:?}");
        assert_eq!(got[n13..], names);
    }

    /// An encrypted PKCS#8 key (PBES2: PBKDF2-SHA256, AES-256-CBC) opens
    /// with its `key-password` to the key it holds; without the password,
    /// or with a wrong one, the error names the file and says what to do.
    #[test]
    fn an_encrypted_key_opens_with_its_password() {
        use pkcs8::der::pem::LineEnding;
        use pkcs8::der::Encode;
        // An Ed25519 PrivateKeyInfo (RFC 8410): the decryption does not
        // care which key it is.
        let seed = [7u8; 32];
        let mut octets = vec![0x04, 32];
        octets.extend_from_slice(&seed);
        let info = pkcs8::PrivateKeyInfo::new(
            pkcs8::AlgorithmIdentifierRef {
                oid: pkcs8::ObjectIdentifier::new_unwrap("1.3.101.112"),
                parameters: None,
            },
            &octets,
        );
        let params =
            pkcs8::pkcs5::pbes2::Parameters::pbkdf2_sha256_aes256cbc(2048, &[1; 16], &[2; 16])
                .unwrap();
        let pem = info
            .encrypt_with_params(params, "s3cret")
            .unwrap()
            .to_pem(ENCRYPTED_LABEL, LineEnding::LF)
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("client.key");
        std::fs::write(&path, format!("some text before\n{}", pem.as_str())).unwrap();
        let key = client_key(&path, Some("s3cret")).unwrap();
        assert_eq!(key.secret_der(), info.to_der().unwrap().as_slice());
        let e = client_key(&path, None).unwrap_err().to_string();
        assert!(
            e.contains("client.key") && e.contains("`key-password`"),
            "{e}"
        );
        let e = client_key(&path, Some("wrong")).unwrap_err().to_string();
        assert!(e.contains("cannot decrypt"), "{e}");
        // OpenSSL's traditional encrypted format: refused with the way out.
        std::fs::write(
            &path,
            "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,00\n\nAAAA\n-----END RSA PRIVATE KEY-----\n",
        )
        .unwrap();
        let e = client_key(&path, Some("s3cret")).unwrap_err().to_string();
        assert!(e.contains("openssl pkcs8 -topk8"), "{e}");
    }

    #[test]
    fn der_elements_are_read_with_their_lengths() {
        assert_eq!(
            der(&[0x04, 2, 9, 8, 7], 0x04),
            Some((&[9u8, 8][..], &[7u8][..]))
        );
        assert_eq!(der(&[0x04, 0x81, 1, 9], 0x04), Some((&[9u8][..], &[][..])));
        assert_eq!(der(&[0x04, 3, 9], 0x04), None);
        assert_eq!(der(&[0x30, 0], 0x04), None);
        assert_eq!(der(&[0x04, 0x80], 0x04), None);
    }

    #[test]
    fn a_pkcs8_rsa_key_is_unwrapped() {
        let pkcs1 = [0x30, 0x03, 0x02, 0x01, 0x00];
        let mut info = vec![0x02, 0x01, 0x00, 0x30, 0x0d, 0x06, 0x09];
        info.extend([
            0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
        ]);
        info.extend([0x04, pkcs1.len() as u8]);
        info.extend(pkcs1);
        let mut der = vec![0x30, info.len() as u8];
        der.extend(&info);
        let key = PrivateKeyDer::Pkcs8(der.clone().into());
        assert_eq!(rsa_pkcs1(&key), Some(pkcs1.to_vec()));
        // Another algorithm (the OID's last byte changed): not RSA.
        let i = der.iter().position(|&b| b == 0x05).unwrap_or(0);
        der[i - 1] = 0x0b;
        assert_eq!(rsa_pkcs1(&PrivateKeyDer::Pkcs8(der.into())), None);
    }

    #[test]
    fn missing_and_bad_files_are_named() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let missing = dir.path().join("nope.pem");
        let t = |ca: &Path| DbTls {
            trust_anchor: ca.to_path_buf(),
            client: None,
            tls12_suites: None,
            key_password: None,
        };
        let e = load(&t(&missing))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            e.contains("trust-anchor") && e.contains("nope.pem") && e.contains("cannot read"),
            "{e}"
        );
        let bad = dir.path().join("bad.pem");
        std::fs::write(&bad, "-----BEGIN CERTIFICATE-----\nnot base64!\n")
            .unwrap_or_else(|e| panic!("{e}"));
        let e = load(&t(&bad))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            e.contains("bad.pem") && e.contains("not a PEM certificate file"),
            "{e}"
        );
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "hello\n").unwrap_or_else(|e| panic!("{e}"));
        let e = load(&t(&empty))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            e.contains("empty.pem") && e.contains("no certificate found"),
            "{e}"
        );
        // A directory without certificates.
        let e = load(&t(dir.path()))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("no certificate found"), "{e}");
    }
}
