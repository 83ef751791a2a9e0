//! Kea's stock `kea-dhcp4.conf` and `kea-dhcp6.conf` as the distribution
//! installs them (Debian's kea-dhcp4-server and kea-dhcp6-server: Kea
//! 2.2's, in /etc/kea) load. ISC's files are read where the packages put
//! them, never copied into ruru's tree. (Kea 2.6's and 3.0's stock files,
//! `src/bin/keactrl/*.conf.pre` at their release tags, were checked by hand
//! the same way; see docs/src/configuration.md.)

#![allow(clippy::unwrap_used)]

use std::path::Path;

use ruru_config::LeaseDbKind;

/// The installed file, or `None` with a printed SKIP (a failure under
/// `RURU_REQUIRE_ALL=1`).
fn installed(name: &str) -> Option<std::path::PathBuf> {
    let path = Path::new("/etc/kea").join(name);
    if path.exists() {
        return Some(path);
    }
    let why = format!(
        "SKIP kea_stock_configurations_load: no {} (Debian packages kea-dhcp4-server, kea-dhcp6-server)",
        path.display()
    );
    assert!(
        std::env::var_os("RURU_REQUIRE_ALL").is_none(),
        "{why} (RURU_REQUIRE_ALL=1)"
    );
    eprintln!("{why}");
    None
}

#[test]
fn kea_stock_configurations_load() {
    for family in [4, 6] {
        let name = format!("kea-dhcp{family}.conf");
        let Some(path) = installed(&name) else {
            continue;
        };
        let c = ruru_config::load(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        let (lease_db, subnets, interfaces) = match (family, c.dhcp4, c.dhcp6) {
            (4, Some(d), None) => (d.lease_database.kind, d.subnets.len(), d.interfaces),
            (6, None, Some(d)) => (d.lease_database.kind, d.subnets.len(), d.interfaces),
            _ => panic!("{name}: not one Dhcp{family} section"),
        };
        // Memfile, no interfaces (the file says to add them), and the
        // example subnets.
        assert!(matches!(lease_db, LeaseDbKind::Memfile), "{name}");
        assert!(interfaces.interfaces.is_empty(), "{name}");
        assert!(subnets >= 1, "{name}");
    }
}
