//! Times opening a DHCPv4 memfile lease file set and reports the peak RSS:
//! the store-only part of a restart, for profiling (`perf record`).
//!
//! ```sh
//! cargo run --release -p ruru-lease --example memfile_load -- FILE [--compact]
//! ```
//! With `--compact`, the store is compacted after loading (which writes
//! `.2` and its snapshot, so that the next run loads the snapshot).

use std::path::Path;
use std::time::Instant;

use ruru_lease::memfile::Memfile4;
use ruru_lease::LeaseStore;

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.first() else {
        eprintln!("usage: memfile_load FILE [--compact]");
        std::process::exit(2);
    };
    let t = Instant::now();
    let store = match Memfile4::open(Some(Path::new(path))) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{path}: {e}");
            std::process::exit(1);
        }
    };
    println!(
        "loaded {} leases in {:.3} s (snapshot: {}), peak RSS {:.0} MiB",
        store.count4(),
        t.elapsed().as_secs_f64(),
        store.load_stats().snapshot.is_some(),
        peak_rss_mib()
    );
    if args.iter().any(|a| a == "--compact") {
        let t = Instant::now();
        match store.compact() {
            Ok(s) => println!(
                "compacted {} leases in {:.3} s",
                s.leases,
                t.elapsed().as_secs_f64()
            ),
            Err(e) => eprintln!("compaction failed: {e}"),
        }
    }
}
