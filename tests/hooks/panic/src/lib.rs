//! Test-only hook library (tests/e2e_hook_examples.rs): its `pkt4_receive`
//! panics for the hardware address given as `{"mac": "..."}`, to show that
//! a panicking callout costs one packet and nothing else.

#![forbid(unsafe_code)]

use ruru_hooks_sdk::util::{format_mac, parse_mac};
use ruru_hooks_sdk::{
    export_hooks, serde_json, Callout, HookError, Hooks, Logger, Outcome, Status,
};

struct PanicOn {
    mac: Vec<u8>,
}

impl Hooks for PanicOn {
    fn load(params: &serde_json::Value, _log: &Logger) -> Result<Self, HookError> {
        let mac = params["mac"]
            .as_str()
            .and_then(parse_mac)
            .ok_or_else(|| HookError::msg("parameter mac: expected a MAC address"))?;
        Ok(PanicOn { mac })
    }

    fn pkt4_receive(&self, c: &mut Callout<'_>) -> Outcome {
        let mac = c.query().hwaddr()?;
        if mac == self.mac {
            panic!("test panic for {}", format_mac(&mac));
        }
        Ok(Status::Continue)
    }
}

export_hooks!(PanicOn: pkt4_receive);
