//! Example hook library: drops every packet from the hardware addresses
//! listed in its parameters, at `pkt4_receive`.
//!
//! ```json
//! "hooks-libraries": [{
//!     "library": "/usr/lib/ruru/hooks/libruru_hook_deny_mac.so",
//!     "parameters": { "macs": ["02:00:00:00:00:aa"] }
//! }]
//! ```
//! Build: `cargo build --release -p ruru-hook-deny-mac`.

#![forbid(unsafe_code)]

use std::collections::HashSet;

use ruru_hooks_sdk::util::{format_mac, parse_mac};
use ruru_hooks_sdk::{
    export_hooks, serde_json, Callout, HookError, Hooks, Logger, Outcome, Status,
};

struct DenyMac {
    macs: HashSet<Vec<u8>>,
}

impl Hooks for DenyMac {
    fn load(params: &serde_json::Value, log: &Logger) -> Result<Self, HookError> {
        let list = params["macs"]
            .as_array()
            .ok_or_else(|| HookError::msg("parameter macs: expected a list of MAC addresses"))?;
        let mut macs = HashSet::new();
        for m in list {
            let text = m
                .as_str()
                .ok_or_else(|| HookError::msg(format!("parameter macs: {m} is not a string")))?;
            let mac = parse_mac(text).ok_or_else(|| {
                HookError::msg(format!("parameter macs: {text:?} is not a MAC address"))
            })?;
            macs.insert(mac);
        }
        log.info(format_args!("denying {} hardware address(es)", macs.len()));
        Ok(DenyMac { macs })
    }

    fn pkt4_receive(&self, c: &mut Callout<'_>) -> Outcome {
        let mac = c.query().hwaddr()?;
        if self.macs.contains(&mac) {
            c.log().debug(format_args!(
                "dropping packet from denied {} (xid {:#010x})",
                format_mac(&mac),
                c.query().xid()?
            ));
            return Ok(Status::Drop);
        }
        Ok(Status::Continue)
    }
}

export_hooks!(DenyMac: pkt4_receive);
