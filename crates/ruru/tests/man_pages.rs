//! The man pages in `docs/man/` are generated from the clap definition in
//! `ruru::cli` (DESIGN.md, "The CLI contract"): `ruru(8)` and one page per
//! subcommand, `ruru-serve(8)`, `ruru-check(8)`, `ruru-ctl(8)`, `ruru-db(8)`
//! and `ruru-probe(8)`.
//!
//! This test renders them and compares them with the committed files, so a
//! CLI change that forgets the man pages fails CI. To rewrite the files after
//! changing the CLI:
//!
//! ```text
//! RURU_UPDATE_MAN=1 cargo test -p ruru --test man_pages
//! ```

use std::path::{Path, PathBuf};

/// Section 8: system administration commands and daemons.
const SECTION: &str = "8";

/// The command that regenerates the committed pages.
const UPDATE: &str = "RURU_UPDATE_MAN=1 cargo test -p ruru --test man_pages";

/// `docs/man/` at the repository root.
fn man_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/man")
}

/// Renders one page. `source` is fixed to `ruru VERSION` for every page
/// (clap_mangen would use the subcommand's own name and no version).
fn render(cmd: clap::Command) -> std::io::Result<Vec<u8>> {
    let man = clap_mangen::Man::new(cmd)
        .section(SECTION)
        .source(format!("ruru {}", env!("CARGO_PKG_VERSION")))
        .manual("System Manager's Manual");
    let mut out = Vec::new();
    man.render(&mut out)?;
    Ok(out)
}

/// Every page as (file name, contents): `ruru.8`, then `ruru-SUBCOMMAND.8`
/// for each visible subcommand.
fn pages() -> std::io::Result<Vec<(String, Vec<u8>)>> {
    // `ruru help` exists but gets no page of its own; without this, ruru(8)
    // would point to a ruru-help(8) that does not exist (clap_mangen's own
    // `generate_to` does the same).
    let mut cmd = ruru::cli::command().disable_help_subcommand(true);
    // Building fills in each subcommand's display name (`ruru-serve`) and
    // bin name (`ruru serve`, used in the SYNOPSIS).
    cmd.build();
    let mut pages = vec![(format!("ruru.{SECTION}"), render(cmd.clone())?)];
    for sub in cmd.get_subcommands() {
        if sub.is_hide_set() {
            continue;
        }
        let name = format!("ruru-{}", sub.get_name());
        let sub = sub.clone().display_name(name.clone());
        pages.push((format!("{name}.{SECTION}"), render(sub)?));
    }
    Ok(pages)
}

#[test]
fn man_pages_are_up_to_date() {
    let dir = man_dir();
    let update = std::env::var_os("RURU_UPDATE_MAN").is_some_and(|v| !v.is_empty());
    let pages = pages().expect("render the man pages");
    let names: Vec<&str> = pages.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "ruru.8",
            "ruru-serve.8",
            "ruru-check.8",
            "ruru-ctl.8",
            "ruru-db.8",
            "ruru-probe.8"
        ],
        "the set of subcommands changed: update this test and docs/src/cli.md"
    );

    let mut stale = Vec::new();
    for (name, want) in &pages {
        let path = dir.join(name);
        if update {
            std::fs::create_dir_all(&dir).expect("create docs/man");
            std::fs::write(&path, want).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            continue;
        }
        match std::fs::read(&path) {
            Ok(have) if &have == want => {}
            Ok(_) => stale.push(format!("{name} differs from the CLI definition")),
            Err(e) => stale.push(format!("{name}: {e}")),
        }
    }
    assert!(
        stale.is_empty(),
        "man pages in {} are out of date:\n  {}\nRun `{UPDATE}` to regenerate them, then commit docs/man/.",
        dir.display(),
        stale.join("\n  ")
    );
}
