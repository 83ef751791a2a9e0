//! `include/ruru_hooks.h` is generated from `src/abi.rs` with cbindgen and
//! committed; this test fails when the committed header is stale, and checks
//! that it compiles as C when a C compiler is installed.
//!
//! Regenerate: `RURU_UPDATE_HEADER=1 cargo test -p ruru-hooks-sdk --test header`

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn generate() -> String {
    let dir = crate_dir();
    let config = cbindgen::Config::from_file(dir.join("cbindgen.toml")).expect("cbindgen.toml");
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_src(dir.join("src/abi.rs"))
        .generate()
        .expect("cbindgen");
    let mut out = Vec::new();
    bindings.write(&mut out);
    String::from_utf8(out).expect("UTF-8 header")
}

fn header_path() -> PathBuf {
    crate_dir().join("include/ruru_hooks.h")
}

#[test]
fn committed_header_is_current() {
    let fresh = generate();
    let path = header_path();
    if std::env::var("RURU_UPDATE_HEADER").as_deref() == Ok("1") {
        std::fs::write(&path, &fresh).expect("write header");
        eprintln!("wrote {}", path.display());
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "{} is stale (src/abi.rs or cbindgen.toml changed).\n\
         Regenerate it with:\n    RURU_UPDATE_HEADER=1 cargo test -p ruru-hooks-sdk --test header",
        path.display()
    );
}

fn skip(test: &str, reason: &str) {
    let msg = format!("SKIP {test}: {reason}");
    if std::env::var("RURU_REQUIRE_ALL").as_deref() == Ok("1") {
        panic!("{msg} (RURU_REQUIRE_ALL=1)");
    }
    eprintln!("{msg}");
}

fn compile(std: &str, lang: &str, path: &Path) -> std::io::Result<std::process::Output> {
    Command::new("cc")
        .args(["-fsyntax-only", "-Wall", "-Wextra", "-Werror", "-pedantic"])
        .arg(format!("-std={std}"))
        .args(["-x", lang])
        .arg(path)
        .output()
}

#[test]
fn header_compiles_as_c() {
    let dir = tempfile_dir();
    let src = dir.join("use_header.c");
    std::fs::write(
        &src,
        format!(
            "#include \"{}\"\n\
             _Static_assert(RURU_HOOKS_ABI_VERSION == 1, \"abi\");\n\
             uint32_t ruru_hook_abi_version(void) {{ return RURU_HOOKS_ABI_VERSION; }}\n\
             int32_t pkt4_receive(RuruCallout *c) {{ (void)c; return RURU_CONTINUE; }}\n\
             size_t api_size(const RuruApi *a) {{ return a->struct_size; }}\n",
            header_path().display()
        ),
    )
    .expect("write");
    match compile("c11", "c", &src) {
        Err(e) => skip("header_compiles_as_c", &format!("no C compiler (cc): {e}")),
        Ok(o) => assert!(
            o.status.success(),
            "the header does not compile as C:\n{}",
            String::from_utf8_lossy(&o.stderr)
        ),
    }
    // Plain C99 without the test's _Static_assert.
    let plain = dir.join("plain.c");
    std::fs::write(
        &plain,
        format!("#include \"{}\"\n", header_path().display()),
    )
    .expect("write");
    if let Ok(o) = compile("c99", "c", &plain) {
        assert!(
            o.status.success(),
            "C99:\n{}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn tempfile_dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("ruru-header-test-{}", std::process::id()));
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}
