//! Hook points of the engine: names, next-step statuses, and the arguments
//! a callout sees at each point.
//!
//! The engine calls [`HookDispatch::call`] at each point where a dispatcher
//! has callouts (`has` is checked first, so with no libraries loaded a hook
//! point costs one branch). The server implements `HookDispatch` over the
//! loaded libraries and the C ABI of `ruru-hooks-sdk`; the engine only
//! prepares [`HookArgs`] and applies the result, and it decides which fields
//! are writable where ([`HookArgs::writable`]), following Kea.

use std::collections::HashMap;
use std::fmt::Debug;

use ruru_lease::Lease4;

use crate::v4::packet::Query4;
use crate::v4::reply::Draft;

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
    /// Hold the packet until the library resumes it. Not supported yet:
    /// treated as `Drop` and logged.
    Park,
}

/// Per-packet context: one key/value map per library, shared by that
/// library's callouts for the same packet.
#[derive(Debug, Default)]
pub struct PacketContext {
    pub per_library: HashMap<usize, HashMap<String, Vec<u8>>>,
}

/// The arguments of one hook point.
#[derive(Debug)]
pub struct HookArgs<'a> {
    pub point: HookPoint,
    /// `buffer4` at buffer4_receive / buffer4_send.
    pub buffer: Option<&'a mut Vec<u8>>,
    /// `query4.*`.
    pub query: Option<&'a Query4>,
    /// `response4.*` (the reply before encoding).
    pub response: Option<&'a mut Draft>,
    /// `subnet4.id`; `Some(0)` or `None` means no subnet.
    pub subnet_id: Option<u32>,
    /// `lease4.*`.
    pub lease: Option<&'a mut Lease4>,
    /// Set when a callout wrote `lease4.address`.
    pub lease_address_set: bool,
    /// `fake_allocation` (1 for DISCOVER, 0 for REQUEST) at lease4_select.
    pub fake_allocation: Option<bool>,
    /// `remove_lease` at lease4_expire.
    pub remove_lease: Option<bool>,
    /// Text fields: `deleted_leases4` (JSON), `command.name`,
    /// `command.arguments`, `command.response`, `config` (JSON).
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
            subnet_id: None,
            lease: None,
            lease_address_set: false,
            fake_allocation: None,
            remove_lease: None,
            text: Vec::new(),
            context,
        }
    }

    /// Whether a callout may change `field` at this point (Kea's rules).
    pub fn writable(&self, field: &str) -> bool {
        use HookPoint::*;
        match field {
            "buffer4" => matches!(self.point, Buffer4Receive | Buffer4Send),
            "subnet4.id" => self.point == Subnet4Select,
            "lease4.address" => self.point == Lease4Select,
            "lease4.valid_lifetime" => matches!(self.point, Lease4Select | Lease4Renew),
            "remove_lease" => self.point == Lease4Expire,
            "command.response" => self.point == CommandProcessed,
            f if f.starts_with("response4.") => self.point == Pkt4Send,
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
}
