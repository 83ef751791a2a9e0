//! Hook libraries written in C inside a test, compiled with the system C
//! compiler against the SDK's committed header (so the tests exercise the
//! C ABI exactly as a C library author would).

use std::path::{Path, PathBuf};
use std::process::Command;

pub const INCLUDE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../ruru-hooks-sdk/include");

/// Helpers every test library starts with.
pub const PRELUDE: &str = r#"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ruru_hooks.h"

static const RuruApi *api;
static RuruLibrary *self;

/* "key":NUMBER in the compact parameters JSON. */
static long param_int(const char *json, const char *key, long dflt) {
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(json, pat);
    return p ? strtol(p + strlen(pat), NULL, 10) : dflt;
}

/* "key":"STRING" in the compact parameters JSON. */
static void param_str(const char *json, const char *key, char *out, size_t n) {
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":\"", key);
    out[0] = 0;
    const char *p = strstr(json, pat);
    if (!p) return;
    p += strlen(pat);
    size_t i = 0;
    while (p[i] && p[i] != '"' && i + 1 < n) { out[i] = p[i]; i++; }
    out[i] = 0;
}

static void trace_line(const char *path, const char *what, const char *value) {
    if (!path[0]) return;
    FILE *f = fopen(path, "a");
    if (f) { fprintf(f, "%s %s\n", what, value); fclose(f); }
}
"#;

/// Compiles `src` (after the prelude) into `dir/hooks/name`: `dir/hooks` is
/// the hooks directory of a server started in `dir` (`RURU_HOOKS_PATH`, see
/// `Server::spawn`).
pub fn build_lib(dir: &Path, name: &str, src: &str) -> PathBuf {
    let dir = &super::hooks_dir(dir);
    std::fs::create_dir_all(dir).unwrap();
    let c = dir.join(format!("{name}.c"));
    std::fs::write(&c, format!("{PRELUDE}\n{src}")).unwrap();
    let out = dir.join(name);
    let status = Command::new("cc")
        .args([
            "-shared",
            "-fPIC",
            "-Wall",
            "-Werror",
            "-Wno-unused-function",
            "-Wno-unused-variable",
            "-o",
        ])
        .arg(&out)
        .arg("-I")
        .arg(INCLUDE)
        .arg(&c)
        .arg("-lpthread")
        .status()
        .expect("run cc");
    assert!(status.success(), "cc failed for {name}");
    out
}
