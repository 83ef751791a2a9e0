//! The DHCPv6 server DUID (Kea's `server-id`): generated once and kept in a
//! file, so clients see the same server across restarts.
//!
//! The file holds the DUID as colon-separated hex on one line, as Kea's
//! `kea-dhcp6-serverid` does; a Kea-written file is read as it is.

use std::path::Path;

use ruru_config::{DuidType, ServerId};
use tracing::{info, warn};

/// Seconds between 1970-01-01 and 2000-01-01 (DUID-LLT time base, RFC 8415 §11.2).
const DUID_EPOCH: u64 = 946_684_800;

/// The server DUID: the persisted one, or a new one (then persisted).
pub fn load_or_create(cfg: &ServerId, now: u64) -> Vec<u8> {
    if cfg.persist && cfg.identifier.is_none() {
        if let Some(d) = read(&cfg.file) {
            return d;
        }
    }
    let duid = generate(cfg, now);
    if cfg.persist {
        let text = ruru_lease::csv::format_hex(&duid);
        // Created 0640 whatever the umask (docs/src/security.md).
        let write = |t: &str| {
            use std::io::Write as _;
            ruru_lease::files::create(&cfg.file, ruru_lease::files::FILE_MODE)?
                .write_all(t.as_bytes())
        };
        match write(&format!("{text}\n")) {
            Ok(()) => {
                info!(file = %cfg.file.display(), duid = %text, "server DUID generated and stored")
            }
            Err(e) => {
                warn!(file = %cfg.file.display(), error = %e, "cannot store the server DUID; it will change at the next start")
            }
        }
    }
    duid
}

fn read(path: &Path) -> Option<Vec<u8>> {
    let text = std::fs::read_to_string(path).ok()?;
    let d = ruru_lease::csv::parse_hex(text.trim()).ok()?;
    (d.len() >= 2).then_some(d)
}

/// The first Ethernet-like hardware address of this machine, if any.
fn link_layer() -> Vec<u8> {
    let Ok(addrs) = nix::ifaddrs::getifaddrs() else {
        return vec![0, 0, 0, 0, 0, 1];
    };
    for a in addrs {
        if let Some(ll) = a.address.as_ref().and_then(|s| s.as_link_addr()) {
            if let Some(mac) = ll.addr() {
                if mac != [0; 6] {
                    return mac.to_vec();
                }
            }
        }
    }
    vec![0, 0, 0, 0, 0, 1]
}

/// Builds a DUID of the configured type (RFC 8415 §11).
pub fn generate(cfg: &ServerId, now: u64) -> Vec<u8> {
    let mut d = Vec::new();
    match cfg.kind {
        DuidType::Llt => {
            d.extend_from_slice(&1u16.to_be_bytes());
            d.extend_from_slice(&cfg.htype.to_be_bytes());
            let t = if cfg.time != 0 {
                cfg.time
            } else {
                u32::try_from(now.saturating_sub(DUID_EPOCH)).unwrap_or(0)
            };
            d.extend_from_slice(&t.to_be_bytes());
            d.extend(cfg.identifier.clone().unwrap_or_else(link_layer));
        }
        DuidType::En => {
            d.extend_from_slice(&2u16.to_be_bytes());
            d.extend_from_slice(&cfg.enterprise_id.to_be_bytes());
            d.extend(cfg.identifier.clone().unwrap_or_else(|| {
                // Kea uses 6 random bytes; derive them from the time and pid.
                let x = now ^ u64::from(std::process::id()).rotate_left(17);
                x.to_be_bytes()[2..].to_vec()
            }));
        }
        DuidType::Ll => {
            d.extend_from_slice(&3u16.to_be_bytes());
            d.extend_from_slice(&cfg.htype.to_be_bytes());
            d.extend(cfg.identifier.clone().unwrap_or_else(link_layer));
        }
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(kind: DuidType, file: &Path) -> ServerId {
        ServerId {
            kind,
            identifier: Some(vec![2, 0, 0, 0, 0, 9]),
            enterprise_id: 2495,
            htype: 1,
            time: 0,
            persist: true,
            file: file.to_path_buf(),
        }
    }

    #[test]
    fn rfc8415_11_duid_types() {
        let dir = std::env::temp_dir();
        let f = dir.join("x");
        let llt = generate(&cfg(DuidType::Llt, &f), DUID_EPOCH + 5);
        assert_eq!(llt, vec![0, 1, 0, 1, 0, 0, 0, 5, 2, 0, 0, 0, 0, 9]);
        let en = generate(&cfg(DuidType::En, &f), 0);
        assert_eq!(&en[..6], &[0, 2, 0, 0, 0x09, 0xbf]);
        let ll = generate(&cfg(DuidType::Ll, &f), 0);
        assert_eq!(ll, vec![0, 3, 0, 1, 2, 0, 0, 0, 0, 9]);
    }

    #[test]
    fn persisted_once_and_reread() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("kea-dhcp6-serverid");
        let mut c = cfg(DuidType::Llt, &file);
        c.identifier = None;
        let a = load_or_create(&c, 1_800_000_000);
        let b = load_or_create(&c, 1_900_000_000);
        assert_eq!(a, b, "the same DUID after a restart");
        assert!(std::fs::read_to_string(&file)
            .unwrap()
            .starts_with("00:01:00:01:"));
    }
}
