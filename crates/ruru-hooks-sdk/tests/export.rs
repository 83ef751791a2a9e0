//! The Rust SDK without the server: a fake `RuruApi` table (extern "C"
//! functions over a Rust struct) drives the functions that `export_hooks!`
//! generates, called directly as ruru would call them after `dlsym`.

// This test plays the server's side of the C ABI.
#![allow(unsafe_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::ffi::{c_char, CStr, CString};
use std::net::Ipv4Addr;
use std::sync::Mutex;

use ruru_hooks_sdk::abi::*;
use ruru_hooks_sdk::{export_hooks, Callout, HookError, Hooks, Logger, Outcome, Status};

// ---- the library under test ----

struct TestHooks {
    drop_xid: u32,
    lease_addr: Ipv4Addr,
    log: Logger,
}

impl Hooks for TestHooks {
    fn load(params: &serde_json::Value, log: &Logger) -> Result<Self, HookError> {
        let drop_xid = params["drop_xid"]
            .as_u64()
            .ok_or_else(|| HookError::msg("drop_xid: expected a number"))?;
        let lease_addr: Ipv4Addr = params["lease_addr"]
            .as_str()
            .ok_or_else(|| HookError::msg("lease_addr: expected a string"))?
            .parse()?;
        if params.get("panic_at_load").is_some() {
            panic!("asked to panic at load");
        }
        log.info(format_args!("loaded, drop_xid={drop_xid}"));
        Ok(TestHooks {
            drop_xid: u32::try_from(drop_xid)?,
            lease_addr,
            log: log.clone(),
        })
    }

    fn unload(&self) {
        self.log.info("unloading");
    }

    fn pkt4_receive(&self, c: &mut Callout<'_>) -> Outcome {
        assert_eq!(c.hook_point(), "pkt4_receive");
        let xid = c.query().xid()?;
        if xid == 0xdead {
            panic!("boom for xid {xid:#x}");
        }
        if xid == 0xe {
            // An API error propagated with `?`.
            c.get_u32("no.such.field")?;
        }
        c.context_set("mac", &c.query().hwaddr()?)?;
        if xid == self.drop_xid {
            return Ok(Status::Drop);
        }
        Ok(Status::Continue)
    }

    fn lease4_select(&self, c: &mut Callout<'_>) -> Outcome {
        // Context from pkt4_receive of the same packet.
        let Some(mac) = c.context_get("mac")? else {
            return Ok(Status::Skip);
        };
        assert_eq!(mac, c.lease().hwaddr()?);
        assert!(c.fake_allocation()?);
        assert_eq!(c.context_get("absent")?, None);
        c.lease().set_address(self.lease_addr)?;
        Ok(Status::Continue)
    }

    fn leases4_committed(&self, c: &mut Callout<'_>) -> Outcome {
        self.park_and_finish(c)
    }

    fn lease6_select(&self, c: &mut Callout<'_>) -> Outcome {
        let l = c.lease6();
        assert_eq!(
            l.address()?,
            "2001:db8::5".parse::<std::net::Ipv6Addr>().unwrap()
        );
        l.set_address("2001:db8::77".parse().unwrap())?;
        l.set_valid_lifetime(l.valid_lifetime()? * 2)?;
        assert_eq!(
            c.query6().duid()?,
            Some(vec![0, 3, 0, 1, 2, 0, 0, 0, 0, 0xaa])
        );
        Ok(Status::Continue)
    }

    fn pkt4_send(&self, c: &mut Callout<'_>) -> Outcome {
        let r = c.response();
        let big = vec![7u8; 300]; // larger than the SDK's first buffer
        r.set_option(252, &big)?;
        assert_eq!(r.option(252)?, Some(big));
        assert_eq!(r.option(253)?, None);
        assert_eq!(c.query().option(55)?, Some(vec![1, 3, 6]));
        match c.lease().set_address(Ipv4Addr::LOCALHOST) {
            Err(ruru_hooks_sdk::ApiError::ReadOnly) => {}
            other => panic!("{other:?}"),
        }
        Ok(Status::Continue)
    }
}

impl TestHooks {
    /// Parks the reply and finishes it from another thread (resume for
    /// even parking ids, drop for odd ones).
    fn park_and_finish(&self, c: &mut Callout<'_>) -> Outcome {
        let parked = c.park()?;
        let id = parked.id();
        let t = std::thread::spawn(move || {
            if id % 2 == 0 {
                parked.resume()
            } else {
                parked.drop_packet()
            }
        });
        t.join().map_err(|_| HookError::msg("thread panicked"))??;
        Ok(Status::Park)
    }
}

export_hooks!(TestHooks: pkt4_receive, lease4_select, pkt4_send, leases4_committed, lease6_select);

// ---- the fake server ----

/// What one callout sees; `*mut RuruCallout` points at this.
#[derive(Default)]
struct Fake {
    point: CString,
    u32s: HashMap<String, u32>,
    bytes: HashMap<String, Vec<u8>>,
    options: HashMap<(String, u16), Vec<u8>>,
    writable: Vec<&'static str>,
    /// The per-packet context: shared between the calls of one packet.
    context: HashMap<String, Vec<u8>>,
}

static LOGS: Mutex<Vec<(i32, String)>> = Mutex::new(Vec::new());
/// `unpark` calls: (parking id, action).
static UNPARKS: Mutex<Vec<(u64, i32)>> = Mutex::new(Vec::new());

unsafe extern "C" fn f_get_u64(c: *mut RuruCallout, f: *const c_char, out: *mut u64) -> i32 {
    match unsafe { fake(c) }.u32s.get(unsafe { s(f) }) {
        Some(v) => {
            unsafe { *out = u64::from(*v) };
            RURU_OK
        }
        None => RURU_ENOFIELD,
    }
}
unsafe extern "C" fn f_unpark(_: *mut RuruLibrary, id: u64, action: i32) -> i32 {
    UNPARKS.lock().unwrap().push((id, action));
    RURU_OK
}
/// One library state per test binary: the tests take turns.
static SERIAL: Mutex<()> = Mutex::new(());

unsafe fn fake<'a>(c: *mut RuruCallout) -> &'a mut Fake {
    unsafe { &mut *(c as *mut Fake) }
}

unsafe fn s<'a>(p: *const c_char) -> &'a str {
    unsafe { CStr::from_ptr(p) }.to_str().unwrap()
}

unsafe fn copy_out(v: &[u8], buf: *mut u8, len: *mut usize) -> i32 {
    unsafe {
        let cap = *len;
        *len = v.len();
        if v.len() > cap {
            return RURU_ETOOSMALL;
        }
        std::ptr::copy_nonoverlapping(v.as_ptr(), buf, v.len());
    }
    RURU_OK
}

unsafe extern "C" fn f_register(_: *mut RuruLibrary, _: *const c_char, _: RuruCalloutFn) -> i32 {
    RURU_EINVAL
}
unsafe extern "C" fn f_log(_: *mut RuruLibrary, level: i32, m: *const c_char) {
    LOGS.lock()
        .unwrap()
        .push((level, unsafe { s(m) }.to_string()));
}
unsafe extern "C" fn f_hook_point(c: *mut RuruCallout) -> *const c_char {
    unsafe { fake(c) }.point.as_ptr()
}
unsafe extern "C" fn f_get_u32(c: *mut RuruCallout, f: *const c_char, out: *mut u32) -> i32 {
    match unsafe { fake(c) }.u32s.get(unsafe { s(f) }) {
        Some(v) => {
            unsafe { *out = *v };
            RURU_OK
        }
        None => RURU_ENOFIELD,
    }
}
unsafe extern "C" fn f_set_u32(c: *mut RuruCallout, f: *const c_char, v: u32) -> i32 {
    let (fk, f) = unsafe { (fake(c), s(f)) };
    if !fk.u32s.contains_key(f) {
        return RURU_ENOFIELD;
    }
    if !fk.writable.contains(&f) {
        return RURU_EREADONLY;
    }
    fk.u32s.insert(f.to_string(), v);
    RURU_OK
}
unsafe extern "C" fn f_get_bytes(
    c: *mut RuruCallout,
    f: *const c_char,
    buf: *mut u8,
    len: *mut usize,
) -> i32 {
    match unsafe { fake(c) }.bytes.get(unsafe { s(f) }) {
        Some(v) => unsafe { copy_out(v, buf, len) },
        None => RURU_ENOFIELD,
    }
}
unsafe extern "C" fn f_set_bytes(
    c: *mut RuruCallout,
    f: *const c_char,
    buf: *const u8,
    len: usize,
) -> i32 {
    let (fk, f) = unsafe { (fake(c), s(f)) };
    if !fk.bytes.contains_key(f) {
        return RURU_ENOFIELD;
    }
    if !fk.writable.contains(&f) {
        return RURU_EREADONLY;
    }
    let v = unsafe { std::slice::from_raw_parts(buf, len) }.to_vec();
    fk.bytes.insert(f.to_string(), v);
    RURU_OK
}
unsafe extern "C" fn f_get_option(
    c: *mut RuruCallout,
    p: *const c_char,
    code: u16,
    buf: *mut u8,
    len: *mut usize,
) -> i32 {
    let key = (unsafe { s(p) }.to_string(), code);
    match unsafe { fake(c) }.options.get(&key) {
        Some(v) => unsafe { copy_out(v, buf, len) },
        None => RURU_ENOFIELD,
    }
}
unsafe extern "C" fn f_set_option(
    c: *mut RuruCallout,
    p: *const c_char,
    code: u16,
    buf: *const u8,
    len: usize,
) -> i32 {
    let p = unsafe { s(p) };
    if p != "response4" {
        return RURU_EREADONLY;
    }
    let v = unsafe { std::slice::from_raw_parts(buf, len) }.to_vec();
    unsafe { fake(c) }.options.insert((p.to_string(), code), v);
    RURU_OK
}
unsafe extern "C" fn f_remove_option(c: *mut RuruCallout, p: *const c_char, code: u16) -> i32 {
    let key = (unsafe { s(p) }.to_string(), code);
    match unsafe { fake(c) }.options.remove(&key) {
        Some(_) => RURU_OK,
        None => RURU_ENOFIELD,
    }
}
unsafe extern "C" fn f_context_get(
    c: *mut RuruCallout,
    k: *const c_char,
    buf: *mut u8,
    len: *mut usize,
) -> i32 {
    match unsafe { fake(c) }.context.get(unsafe { s(k) }) {
        Some(v) => unsafe { copy_out(v, buf, len) },
        None => RURU_ENOFIELD,
    }
}
unsafe extern "C" fn f_context_set(
    c: *mut RuruCallout,
    k: *const c_char,
    buf: *const u8,
    len: usize,
) -> i32 {
    let v = unsafe { std::slice::from_raw_parts(buf, len) }.to_vec();
    unsafe { fake(c) }
        .context
        .insert(unsafe { s(k) }.to_string(), v);
    RURU_OK
}

fn fake_api() -> RuruApi {
    RuruApi {
        abi_version: RURU_HOOKS_ABI_VERSION,
        struct_size: std::mem::size_of::<RuruApi>() as u32,
        register_callout: f_register,
        log: f_log,
        hook_point: f_hook_point,
        get_u32: f_get_u32,
        set_u32: f_set_u32,
        get_bytes: f_get_bytes,
        set_bytes: f_set_bytes,
        get_option: f_get_option,
        set_option: f_set_option,
        remove_option: f_remove_option,
        context_get: f_context_get,
        context_set: f_context_set,
        get_u64: f_get_u64,
        unpark: f_unpark,
    }
}

/// A non-null handle: the SDK never dereferences it.
fn lib() -> *mut RuruLibrary {
    std::ptr::NonNull::<RuruLibrary>::dangling().as_ptr()
}

fn load(api: &RuruApi, params: &str) -> i32 {
    let p = CString::new(params).unwrap();
    unsafe { ruru_hook_load(api, lib(), p.as_ptr()) }
}

const GOOD: &str = r#"{"drop_xid": 7, "lease_addr": "192.0.2.250"}"#;

fn receive(xid: u32, context: &mut HashMap<String, Vec<u8>>) -> i32 {
    let mut f = Fake {
        point: CString::new("pkt4_receive").unwrap(),
        context: std::mem::take(context),
        ..Fake::default()
    };
    f.u32s.insert("query4.xid".into(), xid);
    f.bytes
        .insert("query4.hwaddr".into(), vec![2, 0, 0, 0, 0, 0xaa]);
    let rc = unsafe { pkt4_receive(&mut f as *mut Fake as *mut RuruCallout) };
    *context = f.context;
    rc
}

fn logs_contain(needle: &str) -> bool {
    LOGS.lock().unwrap().iter().any(|(_, m)| m.contains(needle))
}

#[test]
fn exported_symbols_report_version_and_threading() {
    assert_eq!(ruru_hook_abi_version(), RURU_HOOKS_ABI_VERSION);
    assert_eq!(ruru_hook_multi_threading_compatible(), 1);
}

#[test]
fn callouts_read_write_and_share_context() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let api = fake_api();
    assert_eq!(load(&api, GOOD), 0);
    assert!(logs_contain("loaded, drop_xid=7"));

    let mut ctx = HashMap::new();
    assert_eq!(receive(1, &mut ctx), RURU_CONTINUE);
    assert_eq!(receive(7, &mut HashMap::new()), RURU_DROP);

    // lease4_select of the same packet sees the context of pkt4_receive.
    let mut f = Fake {
        point: CString::new("lease4_select").unwrap(),
        context: ctx,
        writable: vec!["lease4.address"],
        ..Fake::default()
    };
    f.u32s.insert(
        "lease4.address".into(),
        u32::from(Ipv4Addr::new(192, 0, 2, 100)),
    );
    f.u32s.insert("fake_allocation".into(), 1);
    f.bytes
        .insert("lease4.hwaddr".into(), vec![2, 0, 0, 0, 0, 0xaa]);
    let rc = unsafe { lease4_select(&mut f as *mut Fake as *mut RuruCallout) };
    assert_eq!(rc, RURU_CONTINUE, "{:?}", LOGS.lock().unwrap());
    assert_eq!(
        f.u32s["lease4.address"],
        u32::from(Ipv4Addr::new(192, 0, 2, 250))
    );

    // Another packet has no context: SKIP.
    f.context.clear();
    let rc = unsafe { lease4_select(&mut f as *mut Fake as *mut RuruCallout) };
    assert_eq!(rc, RURU_SKIP);

    // pkt4_send: options, the ETOOSMALL retry, a read-only field.
    let mut f = Fake {
        point: CString::new("pkt4_send").unwrap(),
        ..Fake::default()
    };
    f.u32s.insert("lease4.address".into(), 0);
    f.options.insert(("query4".into(), 55), vec![1, 3, 6]);
    let rc = unsafe { pkt4_send(&mut f as *mut Fake as *mut RuruCallout) };
    assert_eq!(rc, RURU_CONTINUE, "{:?}", LOGS.lock().unwrap());
    assert_eq!(f.options[&("response4".to_string(), 252)].len(), 300);

    assert_eq!(ruru_hook_unload(), 0);
    assert!(logs_contain("unloading"));
}

#[test]
fn park_hands_a_handle_that_unparks_from_another_thread() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let api = fake_api();
    assert_eq!(load(&api, GOOD), 0);
    UNPARKS.lock().unwrap().clear();
    for id in [40u32, 41] {
        let mut f = Fake {
            point: CString::new("leases4_committed").unwrap(),
            ..Fake::default()
        };
        f.u32s.insert("parking_id".into(), id);
        let rc = unsafe { leases4_committed(&mut f as *mut Fake as *mut RuruCallout) };
        assert_eq!(rc, RURU_PARK);
    }
    assert_eq!(
        *UNPARKS.lock().unwrap(),
        vec![(40, RURU_CONTINUE), (41, RURU_DROP)]
    );
    // Where the point cannot park (no parking_id), park() is an error.
    let mut f = Fake {
        point: CString::new("leases4_committed").unwrap(),
        ..Fake::default()
    };
    let rc = unsafe { leases4_committed(&mut f as *mut Fake as *mut RuruCallout) };
    assert_eq!(rc, RURU_ERROR);
    // DHCPv6 lease fields: a 16-byte address, lifetimes.
    let mut f = Fake {
        point: CString::new("lease6_select").unwrap(),
        writable: vec!["lease6.address", "lease6.valid_lifetime"],
        ..Fake::default()
    };
    f.bytes.insert(
        "lease6.address".into(),
        "2001:db8::5"
            .parse::<std::net::Ipv6Addr>()
            .unwrap()
            .octets()
            .to_vec(),
    );
    f.bytes
        .insert("query6.duid".into(), vec![0, 3, 0, 1, 2, 0, 0, 0, 0, 0xaa]);
    f.u32s.insert("lease6.valid_lifetime".into(), 600);
    let rc = unsafe { lease6_select(&mut f as *mut Fake as *mut RuruCallout) };
    assert_eq!(rc, RURU_CONTINUE, "{:?}", LOGS.lock().unwrap());
    assert_eq!(
        f.bytes["lease6.address"],
        "2001:db8::77"
            .parse::<std::net::Ipv6Addr>()
            .unwrap()
            .octets()
            .to_vec()
    );
    assert_eq!(f.u32s["lease6.valid_lifetime"], 1200);
    assert_eq!(ruru_hook_unload(), 0);
}

#[test]
fn panic_or_error_in_a_callout_returns_error_and_library_keeps_working() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let api = fake_api();
    assert_eq!(load(&api, GOOD), 0);
    assert_eq!(receive(0xdead, &mut HashMap::new()), RURU_ERROR);
    assert!(logs_contain(
        "pkt4_receive: callout panicked: boom for xid 0xdead"
    ));
    assert_eq!(receive(1, &mut HashMap::new()), RURU_CONTINUE);
    assert_eq!(receive(0xe, &mut HashMap::new()), RURU_ERROR);
    assert!(logs_contain(
        "pkt4_receive: no such field at this hook point"
    ));
    assert_eq!(receive(7, &mut HashMap::new()), RURU_DROP);
    assert_eq!(ruru_hook_unload(), 0);
}

#[test]
fn bad_parameters_or_versions_fail_the_load() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let api = fake_api();
    for bad in [
        "{not json",
        r#"{"drop_xid": "seven", "lease_addr": "192.0.2.250"}"#,
        r#"{"drop_xid": 7, "lease_addr": "192.0.2.999"}"#,
        r#"{"drop_xid": 7, "lease_addr": "192.0.2.1", "panic_at_load": true}"#,
        "",
    ] {
        assert_ne!(load(&api, bad), 0, "{bad}");
    }
    assert!(logs_contain("load failed: invalid IPv4 address syntax"));
    assert!(logs_contain("load panicked: asked to panic at load"));
    assert!(logs_contain("load failed: drop_xid: expected a number"));
    assert!(logs_contain("load failed: parameters are not valid JSON"));
    // Not loaded: a callout is an error, not a crash.
    assert_eq!(receive(1, &mut HashMap::new()), RURU_ERROR);
    // A server of another ABI version, or with a smaller table.
    let mut other = fake_api();
    other.abi_version = 2;
    assert_ne!(load(&other, GOOD), 0);
    let mut small = fake_api();
    small.struct_size = 8;
    assert_ne!(load(&small, GOOD), 0);
    assert_ne!(
        unsafe { ruru_hook_load(std::ptr::null(), lib(), std::ptr::null()) },
        0
    );
}

#[test]
fn unload_then_load_with_new_parameters() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let api = fake_api();
    assert_eq!(load(&api, GOOD), 0);
    assert_eq!(receive(7, &mut HashMap::new()), RURU_DROP);
    assert_eq!(ruru_hook_unload(), 0);
    assert_eq!(receive(7, &mut HashMap::new()), RURU_ERROR);
    assert_eq!(
        load(&api, r#"{"drop_xid": 8, "lease_addr": "192.0.2.250"}"#),
        0
    );
    assert_eq!(receive(7, &mut HashMap::new()), RURU_CONTINUE);
    assert_eq!(receive(8, &mut HashMap::new()), RURU_DROP);
    // Loading again without an unload replaces the instance.
    assert_eq!(load(&api, GOOD), 0);
    assert_eq!(receive(7, &mut HashMap::new()), RURU_DROP);
    assert_eq!(ruru_hook_unload(), 0);
    assert_eq!(ruru_hook_unload(), 0);
}
