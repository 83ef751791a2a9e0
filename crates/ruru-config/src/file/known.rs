//! Which keys Kea knows where ruru does not take them yet: an unknown
//! field that Kea knows at that place is refused "not supported yet", not
//! "unknown key" ([`kea_known`], with the paths' object kinds of
//! [`object_kind`] and the keyword lists of [`crate::kea_keys`]).

/// Which object a JSON path designates, for [`kea_known`]: the path with
/// array indices removed, e.g. `Dhcp4.subnet4.pools`.
pub fn object_kind(path: &str) -> String {
    let mut s = String::with_capacity(path.len());
    let mut depth = 0;
    for c in path.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            c if depth == 0 => s.push(c),
            _ => {}
        }
    }
    s
}

const ROOT_KEA: &[&str] = &["Netconf", "Logging"];

const DHCP4_KEA: &[&str] = &[
    "dhcp-queue-control",
    "dhcp-ddns",
    "dhcp4o6-port",
    "sanity-checks",
    "config-control",
    "server-tag",
    "hostname-char-set",
    "hostname-char-replacement",
    "ddns-send-updates",
    "ddns-override-no-update",
    "ddns-override-client-update",
    "ddns-replace-client-name",
    "ddns-generated-prefix",
    "ddns-qualifying-suffix",
    "ddns-update-on-renew",
    "ddns-use-conflict-resolution",
    "ddns-ttl-percent",
    "store-extended-info",
    "statistic-default-sample-count",
    "statistic-default-sample-age",
    "compatibility",
    "allocator",
    "offer-lifetime",
    "stash-agent-options",
    "server-id",
    "dhcp-multi-threading",
];

const DHCP6_KEA: &[&str] = &[
    "data-directory",
    "mac-sources",
    "relay-supplied-options",
    "dhcp-queue-control",
    "dhcp-ddns",
    "dhcp4o6-port",
    "sanity-checks",
    "config-control",
    "server-tag",
    "hostname-char-set",
    "hostname-char-replacement",
    "ddns-send-updates",
    "ddns-override-no-update",
    "ddns-override-client-update",
    "ddns-replace-client-name",
    "ddns-generated-prefix",
    "ddns-qualifying-suffix",
    "ddns-update-on-renew",
    "ddns-use-conflict-resolution",
    "ddns-conflict-resolution-mode",
    "ddns-ttl-percent",
    "ddns-ttl",
    "ddns-ttl-min",
    "ddns-ttl-max",
    "store-extended-info",
    "statistic-default-sample-count",
    "statistic-default-sample-age",
    "compatibility",
    "allocator",
    "pd-allocator",
];

const INTERFACES_KEA: &[&str] = &["outbound-interface"];

const LEASE_DB_KEA: &[&str] = &[
    "readonly",
    "max-row-errors",
    "cipher-list",
    "read-timeout",
    "write-timeout",
    "tcp-user-timeout",
];

const SUBNET_KEA: &[&str] = &[
    "4o6-interface",
    "4o6-interface-id",
    "4o6-subnet",
    "store-extended-info",
    "hostname-char-set",
    "hostname-char-replacement",
    "ddns-send-updates",
    "ddns-override-no-update",
    "ddns-override-client-update",
    "ddns-replace-client-name",
    "ddns-generated-prefix",
    "ddns-qualifying-suffix",
    "ddns-update-on-renew",
    "ddns-use-conflict-resolution",
    "ddns-ttl-percent",
    "allocator",
    "offer-lifetime",
];

const SUBNET6_KEA: &[&str] = &[
    "store-extended-info",
    "hostname-char-set",
    "hostname-char-replacement",
    "ddns-send-updates",
    "ddns-override-no-update",
    "ddns-override-client-update",
    "ddns-replace-client-name",
    "ddns-generated-prefix",
    "ddns-qualifying-suffix",
    "ddns-update-on-renew",
    "ddns-use-conflict-resolution",
    "ddns-conflict-resolution-mode",
    "ddns-ttl-percent",
    "ddns-ttl",
    "ddns-ttl-min",
    "ddns-ttl-max",
    "allocator",
    "pd-allocator",
    "metadata",
];

/// Kea keys of a `shared-networks` entry that ruru does not implement
/// at network level.
const SHARED_NETWORK_KEA: &[&str] = &[
    "store-extended-info",
    "hostname-char-set",
    "hostname-char-replacement",
    "ddns-send-updates",
    "ddns-override-no-update",
    "ddns-override-client-update",
    "ddns-replace-client-name",
    "ddns-generated-prefix",
    "ddns-qualifying-suffix",
    "ddns-update-on-renew",
    "ddns-use-conflict-resolution",
    "ddns-conflict-resolution-mode",
    "ddns-ttl-percent",
    "ddns-ttl",
    "ddns-ttl-min",
    "ddns-ttl-max",
    "allocator",
    "pd-allocator",
    "offer-lifetime",
    "metadata",
];

const POOL_KEA: &[&str] = &[];

const RESERVATION6_KEA: &[&str] = &[];

/// Kea keys of a DHCPv4 class that ruru does not support yet: none.
const CLIENT_CLASS4_KEA: &[&str] = &[];

const CONTROL_SOCKET_KEA: &[&str] = &["http-headers"];

/// Kea's D2 keys ruru refuses as "not supported yet" (besides
/// `control-socket` and `hooks-libraries`, which the file model reads so
/// that validation can refuse them with their path).
const DHCP_DDNS_KEA: &[&str] = &["control-sockets"];

/// Whether Kea knows key `key` in the object of kind `kind` (see
/// [`object_kind`]) — i.e. ruru should say "not supported yet" rather than
/// "unknown key".
pub fn kea_known(kind: &str, key: &str) -> bool {
    // D2's loggers are Dhcp4's.
    if let Some(rest) = kind.strip_prefix("DhcpDdns.loggers") {
        return kea_known(&format!("Dhcp4.loggers{rest}"), key);
    }
    let table: &[&str] = match kind {
        "DhcpDdns" => DHCP_DDNS_KEA,
        "" => ROOT_KEA,
        "Dhcp4" => DHCP4_KEA,
        "Dhcp4.interfaces-config" => INTERFACES_KEA,
        "Dhcp4.lease-database" | "Dhcp4.hosts-database" | "Dhcp4.hosts-databases" => LEASE_DB_KEA,
        "Dhcp4.subnet4" | "Dhcp4.shared-networks.subnet4" => SUBNET_KEA,
        "Dhcp4.subnet4.pools" | "Dhcp4.shared-networks.subnet4.pools" => POOL_KEA,
        "Dhcp4.shared-networks" | "Dhcp6.shared-networks" => SHARED_NETWORK_KEA,
        "Dhcp4.client-classes" => CLIENT_CLASS4_KEA,
        "Dhcp4.control-socket" | "Dhcp4.control-sockets" => CONTROL_SOCKET_KEA,
        "Dhcp6" => DHCP6_KEA,
        "Dhcp6.lease-database" | "Dhcp6.hosts-database" | "Dhcp6.hosts-databases" => LEASE_DB_KEA,
        "Dhcp6.subnet6" | "Dhcp6.shared-networks.subnet6" => SUBNET6_KEA,
        "Dhcp6.subnet6.pools"
        | "Dhcp6.subnet6.pd-pools"
        | "Dhcp6.shared-networks.subnet6.pools"
        | "Dhcp6.shared-networks.subnet6.pd-pools" => POOL_KEA,
        "Dhcp6.subnet6.reservations" | "Dhcp6.shared-networks.subnet6.reservations" => {
            RESERVATION6_KEA
        }
        "Dhcp6.control-socket" | "Dhcp6.control-sockets" => CONTROL_SOCKET_KEA,
        _ => &[],
    };
    table.contains(&key) || crate::kea_keys::kea_keys(kind).contains(&key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_kinds() {
        assert_eq!(
            object_kind("Dhcp4.subnet4[3].pools[0]"),
            "Dhcp4.subnet4.pools"
        );
        assert_eq!(object_kind(""), "");
        // Any key Kea knows, handled or not (only unknown fields ask).
        assert!(kea_known("Dhcp4", "shared-networks"));
        assert!(kea_known("Dhcp4.shared-networks", "reservations-global"));
        assert!(kea_known("Dhcp6.shared-networks.subnet6", "ddns-ttl"));
        assert!(kea_known("", "Netconf"));
        assert!(!kea_known("", "Dhcp6"));
        assert!(kea_known("Dhcp6.subnet6", "ddns-ttl"));
        assert!(!kea_known("Dhcp6.client-classes", "option-def"));
        assert!(!kea_known("Dhcp4", "valid-lifetim"));
        assert!(kea_known("DhcpDdns", "control-sockets"));
        assert!(!kea_known("DhcpDdns", "control-sockts"));
    }
}
