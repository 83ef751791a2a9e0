//! Hook points of the engine: names, next-step statuses, and the arguments
//! a callout sees at each point.
//!
//! The engine calls [`HookDispatch::call`] at each point where a dispatcher
//! has callouts (`has` is checked first, so with no libraries loaded a hook
//! point costs one branch). The server implements `HookDispatch` over the
//! loaded libraries and the C ABI of `ruru-hooks-sdk`; the engine only
//! prepares [`HookArgs`] and applies the result, and it decides which fields
//! are writable where ([`HookArgs::writable`]), following Kea.
//!
//! Parking (Kea's PARK) is possible where [`HookArgs::park`] is set
//! (`lease4_offer`, `leases4_committed`, `pkt4_send`, `leases6_committed`, `pkt6_send`): the
//! dispatcher reserves a slot in its bounded parking lot under that id and
//! returns [`NextStep::Park`]; the engine hands the half-done reply back as
//! `Outcome4::Parked` / `Outcome6::Parked`, and the server finishes it
//! (`resume`) when the library unparks it.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::atomic::{AtomicU64, Ordering};

use dhcproto::v6;
use ruru_lease::{Lease4, Lease6};

use crate::v4::packet::Query4;
use crate::v4::reply::Draft;
use crate::v6::packet::Query6;

macro_rules! hook_points {
    ($($variant:ident => $name:literal),* $(,)?) => {
        /// A hook point (Kea's names).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[repr(usize)]
        pub enum HookPoint { $($variant),* }

        impl HookPoint {
            /// Every hook point, in a stable order.
            pub const ALL: &'static [HookPoint] = &[$(HookPoint::$variant),*];
            /// The point's name (and the callout symbol's name).
            pub fn name(self) -> &'static str {
                match self { $(HookPoint::$variant => $name),* }
            }
            /// The name as a C string (for the C ABI's `hook_point`).
            pub fn c_name(self) -> &'static std::ffi::CStr {
                match self {
                    $(HookPoint::$variant => {
                        const C: &std::ffi::CStr =
                            match std::ffi::CStr::from_bytes_with_nul(concat!($name, "\0").as_bytes()) {
                                Ok(c) => c,
                                Err(_) => panic!("a hook point name has a NUL byte"),
                            };
                        C
                    }),*
                }
            }
            /// The point with this name.
            pub fn from_name(name: &str) -> Option<HookPoint> {
                match name { $($name => Some(HookPoint::$variant),)* _ => None }
            }
        }
    };
}

hook_points! {
    Buffer4Receive => "buffer4_receive",
    Pkt4Receive => "pkt4_receive",
    Subnet4Select => "subnet4_select",
    Host4Identifier => "host4_identifier",
    Lease4Select => "lease4_select",
    Lease4Renew => "lease4_renew",
    Lease4Release => "lease4_release",
    Lease4Decline => "lease4_decline",
    Leases4Committed => "leases4_committed",
    Pkt4Send => "pkt4_send",
    Buffer4Send => "buffer4_send",
    Lease4Expire => "lease4_expire",
    Lease4Recover => "lease4_recover",
    Dhcp4SrvConfigured => "dhcp4_srv_configured",
    CommandProcessed => "command_processed",
    Buffer6Receive => "buffer6_receive",
    Pkt6Receive => "pkt6_receive",
    Subnet6Select => "subnet6_select",
    Host6Identifier => "host6_identifier",
    Lease6Select => "lease6_select",
    Lease6Renew => "lease6_renew",
    Lease6Rebind => "lease6_rebind",
    Lease6Release => "lease6_release",
    Lease6Decline => "lease6_decline",
    Leases6Committed => "leases6_committed",
    Pkt6Send => "pkt6_send",
    Buffer6Send => "buffer6_send",
    Lease6Expire => "lease6_expire",
    Lease6Recover => "lease6_recover",
    Dhcp6SrvConfigured => "dhcp6_srv_configured",
    Ddns4Update => "ddns4_update",
    Ddns6Update => "ddns6_update",
    Lease4Offer => "lease4_offer",
    Lease4ServerDecline => "lease4_server_decline",
}

/// The `subnet4collection` / `subnet6collection` argument: the configured
/// subnets as a JSON list of `{"id": ..., "subnet": "prefix/len"}`, in
/// selection order.
pub fn subnet_collection(subnets: impl Iterator<Item = (u32, String)>) -> String {
    let list: Vec<serde_json::Value> = subnets
        .map(|(id, net)| serde_json::json!({ "id": id, "subnet": net }))
        .collect();
    serde_json::Value::Array(list).to_string()
}

impl HookPoint {
    /// Whether this is a DHCPv6 point (its fields are `query6.*`,
    /// `subnet6.id`, `buffer6`, ...).
    pub fn is_v6(self) -> bool {
        use HookPoint::*;
        matches!(
            self,
            Buffer6Receive
                | Pkt6Receive
                | Subnet6Select
                | Host6Identifier
                | Lease6Select
                | Lease6Renew
                | Lease6Rebind
                | Lease6Release
                | Lease6Decline
                | Leases6Committed
                | Pkt6Send
                | Buffer6Send
                | Lease6Expire
                | Lease6Recover
                | Dhcp6SrvConfigured
                | Ddns6Update
        )
    }
}

/// Runs `buffer4_receive` / `buffer6_receive` (`point`) on the received
/// bytes: `Ok(None)` when no callout is registered (use `buf` as it is),
/// `Ok(Some(bytes))` with the bytes the callouts left, `Err(())` when a
/// callout said anything but CONTINUE (the packet is dropped).
pub(crate) fn receive_buffer(
    hooks: Option<&dyn HookDispatch>,
    point: HookPoint,
    buf: &[u8],
    pc: &std::cell::RefCell<PacketContext>,
) -> Result<Option<Vec<u8>>, ()> {
    let Some(h) = hooks.filter(|h| h.has(point)) else {
        return Ok(None);
    };
    let mut owned = buf.to_vec();
    let mut pcm = pc.borrow_mut();
    let mut a = HookArgs::new(point, &mut pcm);
    a.buffer = Some(&mut owned);
    if h.call(&mut a) != NextStep::Continue {
        return Err(());
    }
    Ok(Some(owned))
}

/// A fresh parking id (never 0, unique in the process).
pub fn next_park_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// Kea's next-step status, the contract of a callout's return value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextStep {
    /// Go on as usual.
    Continue,
    /// Skip the server's own action at this point; what that means depends
    /// on the point (see the hooks guide): e.g. at `lease4_release` the lease
    /// is kept, at `lease4_select` no lease is given.
    Skip,
    /// Drop the packet: no reply.
    Drop,
    /// Hold the packet until the library resumes it (only where
    /// [`HookArgs::park`] is set; the dispatcher turns it into `Drop`
    /// elsewhere, or when its parking lot is full).
    Park,
}

/// Per-packet context: one key/value map per library, shared by that
/// library's callouts for the same packet. (B-tree maps: a `HashMap`'s
/// std `RandomState` is OS randomness, and the engine takes none but the
/// caller's.)
#[derive(Debug, Default, Clone)]
pub struct PacketContext {
    pub per_library: BTreeMap<usize, BTreeMap<String, Vec<u8>>>,
}

/// The arguments of one hook point.
#[derive(Debug)]
pub struct HookArgs<'a> {
    pub point: HookPoint,
    /// `buffer4` / `buffer6` at buffer4/6_receive and buffer4/6_send.
    pub buffer: Option<&'a mut Vec<u8>>,
    /// `query4.*`.
    pub query: Option<&'a Query4>,
    /// `response4.*` (the reply before encoding).
    pub response: Option<&'a mut Draft>,
    /// `query6.*`.
    pub query6: Option<&'a Query6>,
    /// `response6.*` (the reply before encoding, relays not yet added).
    pub response6: Option<&'a mut v6::Message>,
    /// `subnet4.id` / `subnet6.id`; `Some(0)` or `None` means no subnet.
    pub subnet_id: Option<u32>,
    /// `lease4.*`.
    pub lease: Option<&'a mut Lease4>,
    /// `lease6.*`.
    pub lease6: Option<&'a mut Lease6>,
    /// Set when a callout wrote `lease4.address` / `lease6.address`.
    pub lease_address_set: bool,
    /// `id_type` / `id_value` at host4_identifier / host6_identifier:
    /// Kea's identifier type (4 = flex-id) and the identifier a callout
    /// computes (empty: none).
    pub id_type: Option<u32>,
    pub id_value: Option<Vec<u8>>,
    /// `parking_id`: set where this point may park the packet.
    pub park: Option<u64>,
    /// `fake_allocation` (1 for DISCOVER, 0 for REQUEST) at lease4_select.
    pub fake_allocation: Option<bool>,
    /// `remove_lease` at lease4_expire.
    pub remove_lease: Option<bool>,
    /// `offer_lifetime` at lease4_offer: seconds the offered lease is
    /// held (Kea 2.6's `offer-lifetime`; 0: not stored).
    pub offer_lifetime: Option<u32>,
    /// `fwd-update` and `rev-update` at ddns4_update / ddns6_update:
    /// whether the server updates the forward (A/AAAA) and reverse (PTR)
    /// zones for the client's name (the `hostname` text field).
    pub ddns_updates: Option<(bool, bool)>,
    /// The query's client classes so far (Kea's `query4->getClasses()` /
    /// `query6->getClasses()`), in assignment order; `None` before
    /// classification.
    pub classes: Option<&'a crate::classify::ClassSet<'a>>,
    /// Text fields: `deleted_leases4` (JSON), `command.name`,
    /// `command.arguments`, `command.response`, `config` (JSON),
    /// `hostname` (ddns4_update / ddns6_update).
    pub text: Vec<(&'static str, String)>,
    pub context: &'a mut PacketContext,
}

impl<'a> HookArgs<'a> {
    /// Arguments with nothing but the point and the context.
    pub fn new(point: HookPoint, context: &'a mut PacketContext) -> Self {
        HookArgs {
            point,
            buffer: None,
            query: None,
            response: None,
            query6: None,
            response6: None,
            subnet_id: None,
            lease: None,
            lease6: None,
            lease_address_set: false,
            id_type: None,
            id_value: None,
            park: None,
            fake_allocation: None,
            remove_lease: None,
            offer_lifetime: None,
            ddns_updates: None,
            classes: None,
            text: Vec::new(),
            context,
        }
    }

    /// Whether a callout may change `field` at this point (Kea's rules).
    pub fn writable(&self, field: &str) -> bool {
        use HookPoint::*;
        match field {
            "buffer4" => matches!(self.point, Buffer4Receive | Buffer4Send),
            "buffer6" => matches!(self.point, Buffer6Receive | Buffer6Send),
            "subnet4.id" => self.point == Subnet4Select,
            "subnet6.id" => self.point == Subnet6Select,
            "lease4.address" => self.point == Lease4Select,
            "lease4.valid_lifetime" => matches!(self.point, Lease4Select | Lease4Renew),
            "lease6.address" => self.point == Lease6Select,
            "lease6.valid_lifetime" | "lease6.preferred_lifetime" => {
                matches!(self.point, Lease6Select | Lease6Renew | Lease6Rebind)
            }
            "id_value" => matches!(self.point, Host4Identifier | Host6Identifier),
            "remove_lease" => matches!(self.point, Lease4Expire | Lease6Expire),
            "command.response" => self.point == CommandProcessed,
            "hostname" | "fwd-update" | "rev-update" => {
                matches!(self.point, Ddns4Update | Ddns6Update)
            }
            f if f.starts_with("response4.") => self.point == Pkt4Send,
            f if f.starts_with("response6.") => self.point == Pkt6Send,
            _ => false,
        }
    }
}

/// What the engine calls; implemented by the server's hook manager.
pub trait HookDispatch: Send + Sync + Debug + std::panic::RefUnwindSafe {
    /// Whether any callout is registered at `point` (checked first, so
    /// unused points cost nothing).
    fn has(&self, point: HookPoint) -> bool;
    /// Runs the callouts of `args.point` in library order and returns the
    /// combined next step (the first non-Continue status stops the chain).
    fn call(&self, args: &mut HookArgs<'_>) -> NextStep;
    /// Keeps a reply parked under `id` (a callout returned PARK and the
    /// dispatcher reserved `id`) until its library unparks it; then
    /// `finish(true)` resumes and sends it, `finish(false)` drops it. The
    /// default has no parking lot: the reply is dropped.
    fn hold(&self, id: u64, finish: Finish) {
        let _ = id;
        finish(false);
    }
}

/// What finishes a parked reply: `true` sends it, `false` drops it.
pub type Finish = Box<dyn FnOnce(bool) + Send>;
