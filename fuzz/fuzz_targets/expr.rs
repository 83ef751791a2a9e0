//! Fuzz target: arbitrary bytes as a classification expression.
//!
//! Each input (lossy UTF-8) is parsed for DHCPv4 and DHCPv6; successful
//! parses are evaluated on a fixed fake packet of each family. The harness
//! and its invariants live in `crates/ruru-classify/tests/garbage.rs`,
//! where a plain test runs the same function over a few thousand generated
//! inputs on every CI run.
//!
//! ```text
//! cargo +nightly fuzz run expr
//! ```

#![no_main]

use libfuzzer_sys::fuzz_target;

#[allow(dead_code)]
#[path = "../../crates/ruru-classify/tests/garbage.rs"]
mod garbage;

fuzz_target!(|data: &[u8]| {
    garbage::harness::run(data);
});
