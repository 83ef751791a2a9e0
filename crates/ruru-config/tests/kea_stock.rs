//! Kea's stock `kea-dhcp4.conf` and `kea-dhcp6.conf` of Kea 2.2, 2.6 and
//! 3.0 (`src/bin/keactrl/*.conf.pre` at the release tags, kept in
//! `tests/data/kea-stock` under the MPL 2.0 with a header saying where they
//! come from) load, with the build's `@...@` placeholders filled in as a
//! distribution's build fills them.

#![allow(clippy::unwrap_used)]

use std::path::Path;

use ruru_config::{load_str, LeaseDbKind};

fn stock(name: &str) -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/kea-stock");
    std::fs::read_to_string(dir.join(name))
        .unwrap()
        .replace("@libdir@", "/usr/lib")
        .replace("@localstatedir@", "/var")
}

#[test]
fn kea_stock_configurations_load() {
    for version in ["2.2.0", "2.6.0", "3.0.0"] {
        for family in [4, 6] {
            let name = format!("kea-{version}-kea-dhcp{family}.conf.pre");
            let c = match load_str(&stock(&name), Path::new(&name)) {
                Ok(c) => c,
                Err(e) => panic!("{name}: {e}"),
            };
            let (lease_db, subnets, interfaces) = match (family, c.dhcp4, c.dhcp6) {
                (4, Some(d), None) => (d.lease_database.kind, d.subnets.len(), d.interfaces),
                (6, None, Some(d)) => (d.lease_database.kind, d.subnets.len(), d.interfaces),
                _ => panic!("{name}: not one Dhcp{family} section"),
            };
            // Memfile, no interfaces (the file says to add them), and the
            // example subnet.
            assert!(matches!(lease_db, LeaseDbKind::Memfile), "{name}");
            assert!(interfaces.interfaces.is_empty(), "{name}");
            assert!(subnets >= 1, "{name}");
        }
    }
}
