//! Evidence for "evaluation allocates nothing per packet in the common
//! cases": a counting global allocator (this test binary only) and the
//! number of allocations made while evaluating parsed expressions.
//!
//! The counter is per thread, so the test harness's own threads do not
//! disturb it.
#![allow(unsafe_code)]

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use common::fake::FakePacket;
use ruru_classify::{parse_bool, parse_string, Expr, Family, StdOptionNames};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn count() {
    let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
}

// SAFETY: every method forwards to the system allocator unchanged; the
// only addition is a thread-local counter that does not allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

/// Allocations made by `n` evaluations of `e` on `pkt`.
fn allocations_in(e: &Expr, pkt: &FakePacket, n: usize) -> usize {
    let before = allocations();
    for _ in 0..n {
        let r = match e.kind() {
            ruru_classify::Kind::Bool => e.eval_bool(pkt).map(|b| b as usize),
            ruru_classify::Kind::String => e.eval_string(pkt).map(|v| v.len()),
        };
        std::hint::black_box(r.ok());
    }
    allocations() - before
}

#[test]
fn common_expressions_do_not_allocate() {
    let v4 = FakePacket::v4();
    let v6 = FakePacket::v6();
    let cases: &[(Family, &str, bool)] = &[
        // The brief's common cases.
        (
            Family::V4,
            "substring(option[60].hex,0,9) == 'PXEClient'",
            true,
        ),
        (Family::V4, "option[93].hex == 0x0007", true),
        (Family::V4, "relay4[1].hex == 'one'", true),
        (Family::V4, "member('X') and not member('Y')", true),
        // More of the language.
        (Family::V4, "member('ALL') or member('Z')", true),
        (Family::V4, "pkt4.mac == 0x01020304050607", true),
        (
            Family::V4,
            "pkt4.giaddr == 192.0.2.1 and pkt4.hlen == 7",
            true,
        ),
        (
            Family::V4,
            "pkt4.msgtype == 1 and pkt4.transid == 12345",
            true,
        ),
        (
            Family::V4,
            "pkt.src == 10.0.0.1 and pkt.iface == 'eth0' and pkt.len == 300",
            true,
        ),
        (
            Family::V4,
            "option[vendor-class-identifier].text == 'PXEClient:Arch:00000:UNDI:002001'",
            true,
        ),
        (
            Family::V4,
            "substring(option[60].hex, -6, all) == '002001'",
            true,
        ),
        (Family::V4, "split(option[60].hex, ':', 2) == 'Arch'", true),
        (Family::V4, "option[100].option[1].exists", true),
        (Family::V4, "vendor[4491].option[1].hex == 'alpha'", true),
        (
            Family::V4,
            "vendor.enterprise == 4491 and vendor-class[*].data[1] == 'beta'",
            true,
        ),
        (
            Family::V4,
            "ifelse(option[12].exists, option[12].hex, 'none') == 'MyHost'",
            true,
        ),
        (Family::V4, "lcase(option[12].hex) == 'myhost'", true),
        (Family::V4, "ucase('ABC') == 'ABC'", true),
        (
            Family::V4,
            "hexstring(pkt4.mac, ':') == '01:02:03:04:05:06:07'",
            true,
        ),
        (Family::V4, "uint16totext(option[93].hex) == '7'", true),
        (Family::V4, "addrtotext(pkt4.giaddr) == '192.0.2.1'", true),
        (
            Family::V4,
            "concat('PXE', 'Client') == substring(option[60].hex, 0, 9)",
            true,
        ),
        (Family::V4, "'a' + option[12].hex + 'b' == 'aMyHostb'", true),
        (
            Family::V6,
            "relay6[-1].option[100].hex == 'hundred.one'",
            true,
        ),
        (Family::V6, "relay6[1].peeraddr == 1::2", true),
        (
            Family::V6,
            "pkt6.msgtype == 1 and substring(option[1].hex, 0, 2) == 0x0002",
            true,
        ),
        (Family::V6, "addrtotext(relay6[1].linkaddr) == '1::1'", true),
    ];
    for &(family, text, want) in cases {
        let e = parse_bool(text, family, &StdOptionNames).unwrap_or_else(|e| panic!("{text}: {e}"));
        let pkt = if family == Family::V4 { &v4 } else { &v6 };
        assert_eq!(e.eval_bool(pkt), Ok(want), "{text}");
        assert_eq!(allocations_in(&e, pkt, 100), 0, "{text} allocates");
    }

    // String results for flex-id: short ones stay inline.
    for text in [
        "concat(0x0000, pkt4.mac)",
        "hexstring(pkt4.mac, '-')",
        "option[61].hex",
        "substring(option[61].hex, 1, all)",
    ] {
        let e = parse_string(text, Family::V4, &StdOptionNames).unwrap();
        assert!(!e.eval_string(&v4).unwrap().is_heap(), "{text}");
        assert_eq!(allocations_in(&e, &v4, 100), 0, "{text} allocates");
    }

    // match(): the regex engine fills a per-thread cache on first use;
    // after that, matching allocates nothing either.
    let e = parse_bool(
        "match('PXE.*', option[60].hex)",
        Family::V4,
        &StdOptionNames,
    )
    .unwrap();
    assert_eq!(e.eval_bool(&v4), Ok(true));
    assert_eq!(allocations_in(&e, &v4, 100), 0, "match allocates");

    // The counter works: long results go to the heap.
    let e = parse_string(
        "hexstring(option[60].hex, ':')",
        Family::V4,
        &StdOptionNames,
    )
    .unwrap();
    assert_eq!(allocations_in(&e, &v4, 3), 3);
}
