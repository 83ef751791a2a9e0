//! Fuzz target: arbitrary bytes as a received DHCPv6 message (plain or
//! Relay-forward), through `Engine6::process` with one engine and one
//! in-memory store kept across inputs. The harness lives in
//! `crates/ruru-engine/tests/garbage6.rs`, which CI runs as a plain test.
//!
//! ```text
//! cargo +nightly fuzz run packet6
//! ```

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

#[allow(dead_code)]
#[path = "../../crates/ruru-engine/tests/garbage6.rs"]
mod garbage6;

use garbage6::harness6::Harness6;

fn harness() -> &'static Harness6 {
    static H: OnceLock<Harness6> = OnceLock::new();
    H.get_or_init(|| Harness6::new().unwrap_or_else(|e| panic!("{e}")))
}

fuzz_target!(|data: &[u8]| {
    let _ = harness().run(data);
});
