//! Shared test support: the fake packet (also used by the fuzz target).
#![allow(dead_code)]

pub mod fake;
