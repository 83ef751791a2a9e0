//! End-to-end tests of what ruru refuses to do with its privileges
//! (docs/src/security.md): load code from outside the hooks directory, run
//! library code on check-only paths, write files outside its directories
//! through the control API, create files others can read, or start a
//! second instance over a running one.
//!
//! The hook libraries here are real shared objects built with the system C
//! compiler; their constructor writes a marker file, so a test sees whether
//! any of their code ran.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::clib::build_lib;
use common::*;
use serde_json::{json, Value};

/// A config with a UNIX control socket and `hooks` as its hook libraries.
fn config(hooks: &str) -> String {
    format!(
        r#"{{ "Dhcp4": {{
  "interfaces-config": {{ "interfaces": ["lo"], "dhcp-socket-type": "udp" }},
  "lease-database": {{ "type": "memfile", "name": "@DIR@/leases4.csv", "lfc-interval": 0 }},
  "control-socket": {{ "socket-type": "unix", "socket-name": "@DIR@/ctl.sock" }},
  "valid-lifetime": 3600,
  "hooks-libraries": {hooks},
  "subnet4": [ {{ "id": 1, "subnet": "192.0.2.0/24",
    "pools": [ {{ "pool": "192.0.2.100 - 192.0.2.199" }} ],
    "relay": {{ "ip-addresses": ["127.0.0.2"] }} }} ]
}} }}"#
    )
}

fn cmd(srv: &Server, body: &Value) -> Value {
    let mut s = UnixStream::connect(srv.path("ctl.sock")).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(body.to_string().as_bytes()).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    serde_json::from_slice(&out).unwrap()
}

/// The running configuration with `hooks-libraries` replaced.
fn with_hooks(srv: &Server, libs: Value) -> Value {
    let mut c = cmd(srv, &json!({"command": "config-get"}))["arguments"].clone();
    c["Dhcp4"]["hooks-libraries"] = libs;
    c
}

/// C source of a library whose constructor creates `marker`; with `hook`,
/// it also exports the ruru hook symbols (ABI version 1, as data too).
fn marker_lib(marker: &Path, hook: bool) -> String {
    let mut src = format!(
        r#"
__attribute__((constructor)) static void ran(void) {{
    FILE *f = fopen("{}", "w");
    if (f) {{ fputs("constructor ran\n", f); fclose(f); }}
}}
"#,
        marker.display()
    );
    if hook {
        src.push_str(
            r#"
uint32_t ruru_hook_abi_version(void) { return RURU_HOOKS_ABI_VERSION; }
const uint32_t ruru_hook_abi = RURU_HOOKS_ABI_VERSION;
int32_t ruru_hook_load(const RuruApi *a, RuruLibrary *l, const char *params) {
    (void)a; (void)l; (void)params;
    return 0;
}
int32_t pkt4_receive(RuruCallout *c) { (void)c; return RURU_CONTINUE; }
"#,
        );
    }
    src
}

fn ruru_check(dir: &Path, cfg: &Path) -> (bool, String) {
    let out = Command::new(BIN)
        .args(["check", "-c"])
        .arg(cfg)
        .env("RURU_HOOKS_PATH", hooks_dir(dir))
        .output()
        .unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn hook_libraries_load_only_from_the_hooks_directory_and_checks_run_no_library_code() {
    let srv = Server::start(&config("[]"));
    let dir = srv.dir.path().to_path_buf();
    let marker = dir.join("constructor-ran");

    // A library outside the hooks directory (here: a directory of its own
    // beside it), through the API and in a file: refused before anything
    // is opened, naming the directory and the variable.
    let elsewhere = tempfile::tempdir().unwrap();
    let outside = build_lib(elsewhere.path(), "libevil.so", &marker_lib(&marker, true));
    for command in ["config-test", "config-set"] {
        let args = with_hooks(&srv, json!([{ "library": outside.display().to_string() }]));
        let a = cmd(&srv, &json!({"command": command, "arguments": args}));
        assert_eq!(a["result"], 1, "{command}: {a}");
        let text = a["text"].as_str().unwrap();
        assert!(text.contains("outside the hooks directory"), "{text}");
        assert!(text.contains("RURU_HOOKS_PATH"), "{text}");
        assert!(!marker.exists(), "{command} ran the library's constructor");
    }
    let cfg = dir.join("outside.json");
    let hooks = json!([{ "library": outside.display().to_string() }]).to_string();
    std::fs::write(&cfg, config(&hooks).replace("@DIR@", dir.to_str().unwrap())).unwrap();
    let (ok, text) = ruru_check(&dir, &cfg);
    assert!(
        !ok && text.contains("outside the hooks directory"),
        "{text}"
    );
    assert!(!marker.exists());

    // In the hooks directory but no ruru hook library: refused from the
    // file alone.
    build_lib(&dir, "libnothook.so", &marker_lib(&marker, false));
    let args = with_hooks(&srv, json!([{ "library": "libnothook.so" }]));
    for command in ["config-test", "config-set"] {
        let a = cmd(
            &srv,
            &json!({"command": command, "arguments": args.clone()}),
        );
        assert_eq!(a["result"], 1, "{command}: {a}");
        assert!(
            a["text"]
                .as_str()
                .unwrap()
                .contains("missing required symbol ruru_hook_abi_version"),
            "{a}"
        );
        assert!(!marker.exists(), "{command} ran the library's constructor");
    }

    // A real hook library: the check-only paths accept it without running
    // any of its code; config-set loads it (and so its constructor runs,
    // which shows that the marker would have told).
    build_lib(&dir, "libgood.so", &marker_lib(&marker, true));
    let hooks = json!([{ "library": "libgood.so" }]);
    std::fs::write(
        &cfg,
        config(&hooks.to_string()).replace("@DIR@", dir.to_str().unwrap()),
    )
    .unwrap();
    let (ok, text) = ruru_check(&dir, &cfg);
    assert!(ok, "{text}");
    let args = with_hooks(&srv, hooks);
    let a = cmd(
        &srv,
        &json!({"command": "config-test", "arguments": args.clone()}),
    );
    assert_eq!(a["result"], 0, "{a}");
    assert!(
        !marker.exists(),
        "config-test ran the library's constructor"
    );
    let a = cmd(&srv, &json!({"command": "config-set", "arguments": args}));
    assert_eq!(a["result"], 0, "{a}");
    assert!(marker.exists(), "config-set did not load the library");
}

#[test]
fn a_library_for_another_abi_is_refused_before_it_is_opened() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("constructor-ran");
    let src = marker_lib(&marker, false)
        + r#"
uint32_t ruru_hook_abi_version(void) { return 7; }
const uint32_t ruru_hook_abi = 7;
int32_t ruru_hook_load(const RuruApi *a, RuruLibrary *l, const char *params) {
    (void)a; (void)l; (void)params;
    return 0;
}
"#;
    build_lib(dir.path(), "libabi7.so", &src);
    let cfg = dir.path().join("ruru.json");
    let hooks = json!([{ "library": "libabi7.so" }]).to_string();
    std::fs::write(
        &cfg,
        config(&hooks).replace("@DIR@", dir.path().to_str().unwrap()),
    )
    .unwrap();
    let (ok, text) = ruru_check(dir.path(), &cfg);
    assert!(!ok, "{text}");
    assert!(
        text.contains("was built for ruru hook ABI version 7; this server implements version 1"),
        "{text}"
    );
    // `ruru serve` refuses it too, before opening it.
    let out = Command::new(BIN)
        .args(["serve", "-c"])
        .arg(&cfg)
        .args(["-p", &free_port().to_string()])
        .env("RURU_HOOKS_PATH", hooks_dir(dir.path()))
        .current_dir(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{text}");
    assert!(text.contains("ABI version 7"), "{text}");
    assert!(!marker.exists(), "a library for another ABI was opened");
}
