//! Kea's own classification and vendor-option examples load:
//! `doc/examples/kea4/classify.json`, `classify2.json`,
//! `vendor-specific.json`, `vivso.json`, `kea6/classify.json`,
//! `classify2.json`, `iPXE.json` and `softwire46.json` of Kea 2.2; and its
//! shared network examples (`kea4/shared-network.json`,
//! `kea6/shared-network.json`) as far as ruru has their keys.
//!
//! They are ISC's files and are not copied into ruru's tree: set
//! `RURU_KEA_EXAMPLES` to the `doc/examples` directory of a Kea source tree,
//! or install Debian's kea-doc (its `/usr/share/doc/kea/examples` is the
//! default; `.ci/run` installs it). Without them, this test prints SKIP
//! (and fails under `RURU_REQUIRE_ALL=1`).

#![allow(clippy::unwrap_used)] // test helpers: a panic is a test failure

use std::path::PathBuf;

use ruru_config::load;

/// Each example and the diagnostics it must give: none, or `(path,
/// message)` of each.
const EXAMPLES: &[(&str, &[(&str, &str)])] = &[
    // The VoIP class defines option 43's format for its members
    // (`option-def` in a class).
    ("kea4/classify.json", &[]),
    ("kea4/classify2.json", &[]),
    ("kea6/classify.json", &[]),
    ("kea6/classify2.json", &[]),
    ("kea6/iPXE.json", &[]),
    // Option 43 with sub-options of a class-level definition; option 125
    // with `vendor-339` sub-options.
    ("kea4/vendor-specific.json", &[]),
    ("kea4/vivso.json", &[]),
    // Softwire 46 containers with sub-options three levels deep.
    ("kea6/softwire46.json", &[]),
];

#[test]
fn kea_classification_examples() {
    let dir = std::env::var_os("RURU_KEA_EXAMPLES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/share/doc/kea/examples"));
    if !dir.join("kea4").is_dir() {
        let why = format!(
            "SKIP kea_classification_examples: no Kea examples in {} (Debian package kea-doc, or set RURU_KEA_EXAMPLES)",
            dir.display()
        );
        assert!(
            std::env::var_os("RURU_REQUIRE_ALL").is_none(),
            "{why} (RURU_REQUIRE_ALL=1)"
        );
        eprintln!("{why}");
        return;
    }
    for (name, want) in EXAMPLES {
        let path = dir.join(name);
        let got: Vec<(String, String)> = match load(&path) {
            Ok(c) => {
                let (n4, n6) = (
                    c.dhcp4.map_or(0, |d| d.client_classes.len()),
                    c.dhcp6.map_or(0, |d| d.client_classes.len()),
                );
                // softwire46.json has options only.
                assert!(
                    n4 + n6 > 0 || name.contains("softwire"),
                    "{name}: no classes"
                );
                Vec::new()
            }
            Err(e) => e
                .diagnostics
                .into_iter()
                .map(|d| (d.path, d.message))
                .collect(),
        };
        let want: Vec<(String, String)> = want
            .iter()
            .map(|(p, m)| (p.to_string(), m.to_string()))
            .collect();
        assert_eq!(got, want, "{}", path.display());
    }
}

/// Kea's shared network examples and the diagnostics they must give. Both
/// set `reservations-global`, `reservations-in-subnet` and
/// `reservations-out-of-pool` (to Kea's defaults) in the network and its
/// subnets: keys ruru does not have yet. The first refused key stops the
/// reading of the file.
const NETWORK_EXAMPLES: &[(&str, &[(&str, &str)])] = &[
    (
        "kea4/shared-network.json",
        &[(
            "Dhcp4.shared-networks[0].reservations-global",
            "not supported yet: Dhcp4.shared-networks[0].reservations-global",
        )],
    ),
    (
        "kea6/shared-network.json",
        &[(
            "Dhcp6.shared-networks[0].reservations-global",
            "not supported yet: Dhcp6.shared-networks[0].reservations-global",
        )],
    ),
];

#[test]
fn kea_shared_network_examples() {
    let dir = std::env::var_os("RURU_KEA_EXAMPLES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/share/doc/kea/examples"));
    if !dir.join("kea4").is_dir() {
        let why = format!(
            "SKIP kea_shared_network_examples: no Kea examples in {} (Debian package kea-doc, or set RURU_KEA_EXAMPLES)",
            dir.display()
        );
        assert!(
            std::env::var_os("RURU_REQUIRE_ALL").is_none(),
            "{why} (RURU_REQUIRE_ALL=1)"
        );
        eprintln!("{why}");
        return;
    }
    for (name, want) in NETWORK_EXAMPLES {
        let path = dir.join(name);
        let got: Vec<(String, String)> = match load(&path) {
            Ok(c) => {
                let n =
                    c.dhcp4.map_or(0, |d| d.subnets.len()) + c.dhcp6.map_or(0, |d| d.subnets.len());
                assert_eq!(n, 3, "{name}: one plain subnet and a network of two");
                Vec::new()
            }
            Err(e) => e
                .diagnostics
                .into_iter()
                .map(|d| (d.path, d.message))
                .collect(),
        };
        let want: Vec<(String, String)> = want
            .iter()
            .map(|(p, m)| (p.to_string(), m.to_string()))
            .collect();
        assert_eq!(got, want, "{}", path.display());
    }
    // Without those keys (Kea's default values), both load.
    for name in ["kea4/shared-network.json", "kea6/shared-network.json"] {
        let text = std::fs::read_to_string(dir.join(name)).unwrap();
        let text: String = text
            .lines()
            .filter(|l| !l.contains("\"reservations-"))
            .map(|l| format!("{l}\n"))
            .collect();
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("shared-network.json");
        std::fs::write(&p, text).unwrap();
        match load(&p) {
            Ok(c) => {
                let n =
                    c.dhcp4.map_or(0, |d| d.subnets.len()) + c.dhcp6.map_or(0, |d| d.subnets.len());
                assert_eq!(n, 3, "{name}");
            }
            Err(e) => panic!("{name} without reservations-*: {e}"),
        }
    }
}
