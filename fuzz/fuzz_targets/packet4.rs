//! Fuzz target: arbitrary bytes as a received DHCPv4 packet.
//!
//! Each input goes to `ruru_engine::v4::packet::parse` and to
//! `Engine4::process` (relayed from 127.0.0.2, `now` = 1 700 000 000) with one
//! engine and one in-memory memfile kept across inputs, so leases made by
//! earlier inputs shape later ones. The harness and its invariants live in
//! `crates/ruru-engine/tests/garbage.rs`, where a plain test runs the same
//! function over a few thousand generated packets on every CI run.
//!
//! ```text
//! cargo +nightly fuzz run packet4
//! ```

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

#[allow(dead_code)]
#[path = "../../crates/ruru-engine/tests/garbage.rs"]
mod garbage;

use garbage::harness::Harness;

fn harness() -> &'static Harness {
    static H: OnceLock<Harness> = OnceLock::new();
    H.get_or_init(|| Harness::new().unwrap_or_else(|e| panic!("{e}")))
}

fuzz_target!(|data: &[u8]| {
    harness().run(data);
});
