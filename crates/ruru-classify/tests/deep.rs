//! The evaluator's recursion is bounded by the nesting limit: the deepest
//! expressions the parser accepts evaluate on a small thread stack.

mod common;

use common::fake::FakePacket;
use ruru_classify::{parse, Family, StdOptionNames, MAX_DEPTH};

/// Expression shapes, nested `n` times.
fn shapes(n: usize) -> Vec<String> {
    let mut mixed = String::from("'a' == 'a'");
    let mut lcase = String::from("'A'");
    let mut ifelse = String::from("'x'");
    let mut sub = String::from("option[60].hex");
    let mut not = String::from("member('X')");
    for _ in 0..n {
        // Every logical operator, a `not` and a parenthesis per level.
        mixed =
            format!("'a' == 'b' sor 'a' == 'b' or 'a' == 'b' sand 'a' == 'a' and not ({mixed})");
        lcase = format!("lcase({lcase})");
        ifelse = format!("ifelse(option[1].exists, 'y', {ifelse})");
        sub = format!("substring({sub}, 0, all) + 'x'");
        not = format!("not {not}");
    }
    vec![
        mixed,
        format!("{lcase} == 'a'"),
        format!("{ifelse} == 'x'"),
        sub,
        not,
    ]
}

/// For each shape, the deepest nesting the parser accepts.
fn deepest() -> Vec<String> {
    let count = shapes(0).len();
    (0..count)
        .map(|i| {
            let mut best = shapes(0).swap_remove(i);
            for n in 1..=MAX_DEPTH + 1 {
                let text = shapes(n).swap_remove(i);
                if parse(&text, Family::V4, &StdOptionNames).is_err() {
                    assert!(n > 4, "shape {i} fails at {n}");
                    return best;
                }
                best = text;
            }
            panic!("shape {i} never hit the limit");
        })
        .collect()
}

/// `DEEP_KB=<stack KiB> DEEP_PHASE=parse|eval cargo test --test deep -- --ignored`
#[test]
#[ignore]
fn measure() {
    let kb: usize = std::env::var("DEEP_KB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    let phase = std::env::var("DEEP_PHASE").unwrap_or_default();
    let exprs = deepest();
    let parsed: Vec<_> = exprs
        .iter()
        .map(|t| parse(t, Family::V4, &StdOptionNames).unwrap())
        .collect();
    std::thread::Builder::new()
        .stack_size(kb * 1024)
        .spawn(move || {
            let pkt = FakePacket::v4();
            if phase == "parse" {
                for t in &exprs {
                    let _ = parse(t, Family::V4, &StdOptionNames);
                }
            } else {
                for e in &parsed {
                    let _ = e.eval_string(&pkt).map(|v| v.len());
                }
            }
        })
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn deepest_expressions_evaluate_on_a_small_stack() {
    let exprs = deepest();
    let kib = if cfg!(debug_assertions) { 1024 } else { 256 };
    let worker = std::thread::Builder::new()
        .stack_size(kib * 1024)
        .spawn(move || {
            let pkt = FakePacket::v4();
            for text in &exprs {
                let e = parse(text, Family::V4, &StdOptionNames).unwrap_or_else(|e| panic!("{e}"));
                let _ = e.eval_string(&pkt).map(|v| v.len());
                drop(e);
            }
        })
        .unwrap();
    worker.join().unwrap();
}
