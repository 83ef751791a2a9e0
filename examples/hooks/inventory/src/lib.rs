//! Example hook library: inventory-driven addressing. At `lease4_select`,
//! a client listed in the inventory file gets the address the file names
//! for its hardware address (it must be in the client's subnet; it need not
//! be in a pool). Clients not listed get a pool address as usual.
//!
//! ```json
//! "hooks-libraries": [{
//!     "library": "/usr/lib/ruru/hooks/libruru_hook_inventory.so",
//!     "parameters": { "file": "/etc/ruru/inventory.csv" }
//! }]
//! ```
//! The file has one `MAC,ADDRESS` line per client; blank lines and lines
//! starting with `#` are ignored:
//! ```text
//! # rack 1
//! 02:00:00:00:01:01,192.0.2.11
//! 02:00:00:00:01:02,192.0.2.12
//! ```
//! The file is read again at every `lease4_select`, so an edit applies to
//! the next packet without a reload (the library keeps no state). Replace
//! the file atomically (write a new one, then rename it over the old) so
//! that a packet never sees a half-written file; a file that cannot be read
//! or parsed fails the callout, and the packet is dropped.
//!
//! Build: `cargo build --release -p ruru-hook-inventory`.

#![forbid(unsafe_code)]

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use ruru_hooks_sdk::util::{format_mac, parse_mac};
use ruru_hooks_sdk::{
    export_hooks, serde_json, Callout, HookError, Hooks, Logger, Outcome, Status,
};

struct Inventory {
    file: PathBuf,
}

/// Parses the inventory text into (MAC, address) pairs.
fn parse(text: &str) -> Result<Vec<(Vec<u8>, Ipv4Addr)>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = |what: &str| format!("line {}: {what}: {line:?}", i + 1);
        let (mac, addr) = line
            .split_once(',')
            .ok_or_else(|| bad("expected MAC,ADDRESS"))?;
        let mac = parse_mac(mac).ok_or_else(|| bad("bad MAC address"))?;
        let addr = addr
            .trim()
            .parse::<Ipv4Addr>()
            .map_err(|_| bad("bad IPv4 address"))?;
        out.push((mac, addr));
    }
    Ok(out)
}

/// Reads the file and looks `mac` up.
fn lookup(file: &Path, mac: &[u8]) -> Result<Option<Ipv4Addr>, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let entries = parse(&text).map_err(|e| format!("{}: {e}", file.display()))?;
    Ok(entries.into_iter().find(|(m, _)| m == mac).map(|(_, a)| a))
}

impl Hooks for Inventory {
    fn load(params: &serde_json::Value, log: &Logger) -> Result<Self, HookError> {
        let file = params["file"]
            .as_str()
            .ok_or_else(|| HookError::msg("parameter file: expected the inventory file's path"))?;
        let file = PathBuf::from(file);
        // Fail the load (and so the configuration) on a bad file now rather
        // than at the first packet.
        let text = std::fs::read_to_string(&file)
            .map_err(|e| HookError::msg(format!("{}: {e}", file.display())))?;
        let n = parse(&text)
            .map_err(|e| HookError::msg(format!("{}: {e}", file.display())))?
            .len();
        log.info(format_args!(
            "inventory {} with {n} entries",
            file.display()
        ));
        Ok(Inventory { file })
    }

    fn lease4_select(&self, c: &mut Callout<'_>) -> Outcome {
        let mac = c.query().hwaddr()?;
        match lookup(&self.file, &mac).map_err(HookError::msg)? {
            Some(addr) => {
                c.log().debug(format_args!(
                    "{} gets {addr} from the inventory",
                    format_mac(&mac)
                ));
                c.lease().set_address(addr)?;
            }
            None => c.log().debug(format_args!(
                "{} is not in the inventory: pool address",
                format_mac(&mac)
            )),
        }
        Ok(Status::Continue)
    }
}

export_hooks!(Inventory: lease4_select);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lines_comments_and_reports_bad_lines() {
        let e =
            parse("# c\n\n02:00:00:00:00:01, 192.0.2.11\n02-00-00-00-00-02,192.0.2.12\n").unwrap();
        assert_eq!(
            e,
            vec![
                (vec![2, 0, 0, 0, 0, 1], Ipv4Addr::new(192, 0, 2, 11)),
                (vec![2, 0, 0, 0, 0, 2], Ipv4Addr::new(192, 0, 2, 12)),
            ]
        );
        assert_eq!(
            parse("x\n02:00:00:00:00:01,192.0.2.300").unwrap_err(),
            "line 1: expected MAC,ADDRESS: \"x\""
        );
        assert!(parse("02:00:00:00:00:01,192.0.2.300")
            .unwrap_err()
            .contains("bad IPv4 address"));
    }

    #[test]
    fn lookup_sees_edits() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("inv.csv");
        std::fs::write(&f, "02:00:00:00:00:01,192.0.2.11\n").unwrap();
        assert_eq!(
            lookup(&f, &[2, 0, 0, 0, 0, 1]),
            Ok(Some(Ipv4Addr::new(192, 0, 2, 11)))
        );
        assert_eq!(lookup(&f, &[2, 0, 0, 0, 0, 9]), Ok(None));
        std::fs::write(&f, "02:00:00:00:00:01,192.0.2.21\n").unwrap();
        assert_eq!(
            lookup(&f, &[2, 0, 0, 0, 0, 1]),
            Ok(Some(Ipv4Addr::new(192, 0, 2, 21)))
        );
    }
}
