//! The keys Kea's configuration parser knows, per kind of object.
//!
//! Generated from the lexers of Kea 2.2.0, 2.6.0 and 3.0.0
//! (`src/bin/dhcp4/dhcp4_lexer.ll`, `src/bin/dhcp6/dhcp6_lexer.ll`): each
//! key there is a keyword only in the parser contexts its rule lists, and
//! each list below is the union, over the three releases, of the keywords
//! of one context that is an object. A key Kea knows where ruru does not
//! take it yet is refused "not supported yet", not "unknown key" (see
//! [`crate::file::kea_known`]). Knowing a key here does not make ruru
//! accept it.

/// Kea's `AUTHENTICATION` context (DHCPv4).
const V4_AUTHENTICATION: &[&str] = &[
    "clients",
    "comment",
    "directory",
    "realm",
    "type",
    "user-context",
];

/// Kea's `CLIENTS` context (DHCPv4).
const V4_CLIENTS: &[&str] = &[
    "comment",
    "password",
    "password-file",
    "user",
    "user-context",
    "user-file",
];

/// Kea's `CLIENT_CLASSES` context (DHCPv4).
const V4_CLIENT_CLASSES: &[&str] = &[
    "boot-file-name",
    "client-class",
    "comment",
    "max-valid-lifetime",
    "min-valid-lifetime",
    "name",
    "next-server",
    "offer-lifetime",
    "only-if-required",
    "only-in-additional-list",
    "option-data",
    "option-def",
    "server-hostname",
    "template-test",
    "test",
    "user-context",
    "valid-lifetime",
];

/// Kea's `COMPATIBILITY` context (DHCPv4).
const V4_COMPATIBILITY: &[&str] = &[
    "exclude-first-last-24",
    "ignore-dhcp-server-identifier",
    "ignore-rai-link-selection",
    "lenient-option-parsing",
];

/// Kea's `CONFIG_CONTROL` context (DHCPv4).
const V4_CONFIG_CONTROL: &[&str] = &["config-databases", "config-fetch-wait-time"];

/// Kea's `CONFIG_DATABASE` context (DHCPv4).
const V4_CONFIG_DATABASE: &[&str] = &[
    "cert-file",
    "cipher-list",
    "connect-timeout",
    "host",
    "key-file",
    "lfc-interval",
    "max-reconnect-tries",
    "name",
    "on-fail",
    "password",
    "persist",
    "port",
    "read-timeout",
    "reconnect-wait-time",
    "retry-on-startup",
    "tcp-user-timeout",
    "trust-anchor",
    "type",
    "user",
    "write-timeout",
];

/// Kea's `CONTROL_SOCKET` context (DHCPv4).
const V4_CONTROL_SOCKET: &[&str] = &[
    "authentication",
    "cert-file",
    "cert-required",
    "comment",
    "http-headers",
    "key-file",
    "socket-address",
    "socket-name",
    "socket-port",
    "socket-type",
    "trust-anchor",
    "user-context",
];

/// Kea's `DHCP4` context (DHCPv4).
const V4_DHCP4: &[&str] = &[
    "allocator",
    "authoritative",
    "boot-file-name",
    "cache-max-age",
    "cache-threshold",
    "calculate-tee-times",
    "client-classes",
    "comment",
    "compatibility",
    "config-control",
    "control-socket",
    "control-sockets",
    "ddns-conflict-resolution-mode",
    "ddns-generated-prefix",
    "ddns-override-client-update",
    "ddns-override-no-update",
    "ddns-qualifying-suffix",
    "ddns-replace-client-name",
    "ddns-send-updates",
    "ddns-ttl",
    "ddns-ttl-max",
    "ddns-ttl-min",
    "ddns-ttl-percent",
    "ddns-update-on-renew",
    "ddns-use-conflict-resolution",
    "decline-probation-period",
    "dhcp-ddns",
    "dhcp-queue-control",
    "dhcp4o6-port",
    "early-global-reservations-lookup",
    "echo-client-id",
    "expired-leases-processing",
    "hooks-libraries",
    "host-reservation-identifiers",
    "hostname-char-replacement",
    "hostname-char-set",
    "hosts-database",
    "hosts-databases",
    "interfaces-config",
    "ip-reservations-unique",
    "lease-database",
    "loggers",
    "match-client-id",
    "max-valid-lifetime",
    "min-valid-lifetime",
    "multi-threading",
    "next-server",
    "offer-lifetime",
    "option-data",
    "option-def",
    "parked-packet-limit",
    "rebind-timer",
    "renew-timer",
    "reservation-mode",
    "reservations",
    "reservations-global",
    "reservations-in-subnet",
    "reservations-lookup-first",
    "reservations-out-of-pool",
    "sanity-checks",
    "server-hostname",
    "server-tag",
    "shared-networks",
    "stash-agent-options",
    "statistic-default-sample-age",
    "statistic-default-sample-count",
    "store-extended-info",
    "subnet4",
    "t1-percent",
    "t2-percent",
    "user-context",
    "valid-lifetime",
];

/// Kea's `DHCP_DDNS` context (DHCPv4).
const V4_DHCP_DDNS: &[&str] = &[
    "comment",
    "enable-updates",
    "generated-prefix",
    "hostname-char-replacement",
    "hostname-char-set",
    "max-queue-size",
    "ncr-format",
    "ncr-protocol",
    "override-client-update",
    "override-no-update",
    "qualifying-suffix",
    "replace-client-name",
    "sender-ip",
    "sender-port",
    "server-ip",
    "server-port",
    "user-context",
];

/// Kea's `DHCP_MULTI_THREADING` context (DHCPv4).
const V4_DHCP_MULTI_THREADING: &[&str] = &[
    "comment",
    "enable-multi-threading",
    "packet-queue-size",
    "thread-pool-size",
    "user-context",
];

/// Kea's `DHCP_QUEUE_CONTROL` context (DHCPv4).
const V4_DHCP_QUEUE_CONTROL: &[&str] = &[
    "capacity",
    "comment",
    "enable-queue",
    "queue-type",
    "user-context",
];

/// Kea's `EXPIRED_LEASES_PROCESSING` context (DHCPv4).
const V4_EXPIRED_LEASES_PROCESSING: &[&str] = &[
    "flush-reclaimed-timer-wait-time",
    "hold-reclaimed-time",
    "max-reclaim-leases",
    "max-reclaim-time",
    "reclaim-timer-wait-time",
    "unwarned-reclaim-cycles",
];

/// Kea's `HOOKS_LIBRARIES` context (DHCPv4).
const V4_HOOKS_LIBRARIES: &[&str] = &["library", "parameters"];

/// Kea's `HOSTS_DATABASE` context (DHCPv4).
const V4_HOSTS_DATABASE: &[&str] = &[
    "cert-file",
    "cipher-list",
    "connect-timeout",
    "host",
    "key-file",
    "lfc-interval",
    "max-reconnect-tries",
    "name",
    "on-fail",
    "password",
    "persist",
    "port",
    "read-timeout",
    "readonly",
    "reconnect-wait-time",
    "retry-on-startup",
    "tcp-user-timeout",
    "trust-anchor",
    "type",
    "user",
    "write-timeout",
];

/// Kea's `HTTP_HEADERS` context (DHCPv4).
const V4_HTTP_HEADERS: &[&str] = &["comment", "name", "user-context", "value"];

/// Kea's `INTERFACES_CONFIG` context (DHCPv4).
const V4_INTERFACES_CONFIG: &[&str] = &[
    "comment",
    "dhcp-socket-type",
    "interfaces",
    "outbound-interface",
    "re-detect",
    "service-sockets-max-retries",
    "service-sockets-require-all",
    "service-sockets-retry-wait-time",
    "user-context",
];

/// Kea's `LEASE_DATABASE` context (DHCPv4).
const V4_LEASE_DATABASE: &[&str] = &[
    "cert-file",
    "cipher-list",
    "connect-timeout",
    "host",
    "key-file",
    "lfc-interval",
    "max-reconnect-tries",
    "max-row-errors",
    "name",
    "on-fail",
    "password",
    "persist",
    "port",
    "read-timeout",
    "reconnect-wait-time",
    "retry-on-startup",
    "tcp-user-timeout",
    "trust-anchor",
    "type",
    "user",
    "write-timeout",
];

/// Kea's `LOGGERS` context (DHCPv4).
const V4_LOGGERS: &[&str] = &[
    "comment",
    "debuglevel",
    "name",
    "output-options",
    "output_options",
    "severity",
    "user-context",
];

/// Kea's `OPTION_DATA` context (DHCPv4).
const V4_OPTION_DATA: &[&str] = &[
    "always-send",
    "client-classes",
    "code",
    "comment",
    "csv-format",
    "data",
    "name",
    "never-send",
    "space",
    "user-context",
];

/// Kea's `OPTION_DEF` context (DHCPv4).
const V4_OPTION_DEF: &[&str] = &[
    "array",
    "code",
    "comment",
    "encapsulate",
    "name",
    "record-types",
    "space",
    "type",
    "user-context",
];

/// Kea's `OUTPUT_OPTIONS` context (DHCPv4).
const V4_OUTPUT_OPTIONS: &[&str] = &["flush", "maxsize", "maxver", "output", "pattern"];

/// Kea's `POOLS` context (DHCPv4).
const V4_POOLS: &[&str] = &[
    "client-class",
    "client-classes",
    "comment",
    "ddns-conflict-resolution-mode",
    "ddns-generated-prefix",
    "ddns-override-client-update",
    "ddns-override-no-update",
    "ddns-qualifying-suffix",
    "ddns-replace-client-name",
    "ddns-send-updates",
    "ddns-ttl",
    "ddns-ttl-max",
    "ddns-ttl-min",
    "ddns-ttl-percent",
    "ddns-update-on-renew",
    "evaluate-additional-classes",
    "hostname-char-replacement",
    "hostname-char-set",
    "option-data",
    "pool",
    "pool-id",
    "require-client-classes",
    "user-context",
];

/// Kea's `RELAY` context (DHCPv4).
const V4_RELAY: &[&str] = &["ip-address", "ip-addresses"];

/// Kea's `RESERVATIONS` context (DHCPv4).
const V4_RESERVATIONS: &[&str] = &[
    "boot-file-name",
    "circuit-id",
    "client-classes",
    "client-id",
    "comment",
    "duid",
    "flex-id",
    "hostname",
    "hw-address",
    "ip-address",
    "next-server",
    "option-data",
    "server-hostname",
    "user-context",
];

/// Kea's `SANITY_CHECKS` context (DHCPv4).
const V4_SANITY_CHECKS: &[&str] = &["extended-info-checks", "lease-checks"];

/// Kea's `SHARED_NETWORK` context (DHCPv4).
const V4_SHARED_NETWORK: &[&str] = &[
    "allocator",
    "authoritative",
    "boot-file-name",
    "cache-max-age",
    "cache-threshold",
    "calculate-tee-times",
    "client-class",
    "client-classes",
    "comment",
    "ddns-conflict-resolution-mode",
    "ddns-generated-prefix",
    "ddns-override-client-update",
    "ddns-override-no-update",
    "ddns-qualifying-suffix",
    "ddns-replace-client-name",
    "ddns-send-updates",
    "ddns-ttl",
    "ddns-ttl-max",
    "ddns-ttl-min",
    "ddns-ttl-percent",
    "ddns-update-on-renew",
    "ddns-use-conflict-resolution",
    "evaluate-additional-classes",
    "hostname-char-replacement",
    "hostname-char-set",
    "interface",
    "match-client-id",
    "max-valid-lifetime",
    "min-valid-lifetime",
    "name",
    "next-server",
    "offer-lifetime",
    "option-data",
    "rebind-timer",
    "relay",
    "renew-timer",
    "require-client-classes",
    "reservation-mode",
    "reservations-global",
    "reservations-in-subnet",
    "reservations-out-of-pool",
    "server-hostname",
    "store-extended-info",
    "subnet4",
    "t1-percent",
    "t2-percent",
    "user-context",
    "valid-lifetime",
];

/// Kea's `SUBNET4` context (DHCPv4).
const V4_SUBNET4: &[&str] = &[
    "4o6-interface",
    "4o6-interface-id",
    "4o6-subnet",
    "allocator",
    "authoritative",
    "boot-file-name",
    "cache-max-age",
    "cache-threshold",
    "calculate-tee-times",
    "client-class",
    "client-classes",
    "comment",
    "ddns-conflict-resolution-mode",
    "ddns-generated-prefix",
    "ddns-override-client-update",
    "ddns-override-no-update",
    "ddns-qualifying-suffix",
    "ddns-replace-client-name",
    "ddns-send-updates",
    "ddns-ttl",
    "ddns-ttl-max",
    "ddns-ttl-min",
    "ddns-ttl-percent",
    "ddns-update-on-renew",
    "ddns-use-conflict-resolution",
    "evaluate-additional-classes",
    "hostname-char-replacement",
    "hostname-char-set",
    "id",
    "interface",
    "match-client-id",
    "max-valid-lifetime",
    "min-valid-lifetime",
    "next-server",
    "offer-lifetime",
    "option-data",
    "pools",
    "rebind-timer",
    "relay",
    "renew-timer",
    "require-client-classes",
    "reservation-mode",
    "reservations",
    "reservations-global",
    "reservations-in-subnet",
    "reservations-out-of-pool",
    "server-hostname",
    "store-extended-info",
    "subnet",
    "t1-percent",
    "t2-percent",
    "user-context",
    "valid-lifetime",
];

/// Kea's `AUTHENTICATION` context (DHCPv6).
const V6_AUTHENTICATION: &[&str] = &[
    "clients",
    "comment",
    "directory",
    "realm",
    "type",
    "user-context",
];

/// Kea's `CLIENTS` context (DHCPv6).
const V6_CLIENTS: &[&str] = &[
    "comment",
    "password",
    "password-file",
    "user",
    "user-context",
    "user-file",
];

/// Kea's `CLIENT_CLASSES` context (DHCPv6).
const V6_CLIENT_CLASSES: &[&str] = &[
    "client-class",
    "comment",
    "max-preferred-lifetime",
    "max-valid-lifetime",
    "min-preferred-lifetime",
    "min-valid-lifetime",
    "name",
    "only-if-required",
    "only-in-additional-list",
    "option-data",
    "preferred-lifetime",
    "template-test",
    "test",
    "user-context",
    "valid-lifetime",
];

/// Kea's `COMPATIBILITY` context (DHCPv6).
const V6_COMPATIBILITY: &[&str] = &["lenient-option-parsing"];

/// Kea's `CONFIG_CONTROL` context (DHCPv6).
const V6_CONFIG_CONTROL: &[&str] = &["config-databases", "config-fetch-wait-time"];

/// Kea's `CONFIG_DATABASE` context (DHCPv6).
const V6_CONFIG_DATABASE: &[&str] = &[
    "cert-file",
    "cipher-list",
    "connect-timeout",
    "host",
    "key-file",
    "lfc-interval",
    "max-reconnect-tries",
    "name",
    "on-fail",
    "password",
    "persist",
    "port",
    "read-timeout",
    "reconnect-wait-time",
    "retry-on-startup",
    "tcp-user-timeout",
    "trust-anchor",
    "type",
    "user",
    "write-timeout",
];

/// Kea's `CONTROL_SOCKET` context (DHCPv6).
const V6_CONTROL_SOCKET: &[&str] = &[
    "authentication",
    "cert-file",
    "cert-required",
    "comment",
    "http-headers",
    "key-file",
    "socket-address",
    "socket-name",
    "socket-port",
    "socket-type",
    "trust-anchor",
    "user-context",
];

/// Kea's `DHCP6` context (DHCPv6).
const V6_DHCP6: &[&str] = &[
    "allocator",
    "cache-max-age",
    "cache-threshold",
    "calculate-tee-times",
    "client-classes",
    "comment",
    "compatibility",
    "config-control",
    "control-socket",
    "control-sockets",
    "data-directory",
    "ddns-conflict-resolution-mode",
    "ddns-generated-prefix",
    "ddns-override-client-update",
    "ddns-override-no-update",
    "ddns-qualifying-suffix",
    "ddns-replace-client-name",
    "ddns-send-updates",
    "ddns-ttl",
    "ddns-ttl-max",
    "ddns-ttl-min",
    "ddns-ttl-percent",
    "ddns-update-on-renew",
    "ddns-use-conflict-resolution",
    "decline-probation-period",
    "dhcp-ddns",
    "dhcp-queue-control",
    "dhcp4o6-port",
    "early-global-reservations-lookup",
    "expired-leases-processing",
    "hooks-libraries",
    "host-reservation-identifiers",
    "hostname-char-replacement",
    "hostname-char-set",
    "hosts-database",
    "hosts-databases",
    "interfaces-config",
    "ip-reservations-unique",
    "lease-database",
    "loggers",
    "mac-sources",
    "max-preferred-lifetime",
    "max-valid-lifetime",
    "min-preferred-lifetime",
    "min-valid-lifetime",
    "multi-threading",
    "option-data",
    "option-def",
    "parked-packet-limit",
    "pd-allocator",
    "preferred-lifetime",
    "rebind-timer",
    "relay-supplied-options",
    "renew-timer",
    "reservation-mode",
    "reservations",
    "reservations-global",
    "reservations-in-subnet",
    "reservations-lookup-first",
    "reservations-out-of-pool",
    "sanity-checks",
    "server-id",
    "server-tag",
    "shared-networks",
    "statistic-default-sample-age",
    "statistic-default-sample-count",
    "store-extended-info",
    "subnet6",
    "t1-percent",
    "t2-percent",
    "user-context",
    "valid-lifetime",
];

/// Kea's `DHCP_DDNS` context (DHCPv6).
const V6_DHCP_DDNS: &[&str] = &[
    "comment",
    "enable-updates",
    "generated-prefix",
    "hostname-char-replacement",
    "hostname-char-set",
    "max-queue-size",
    "ncr-format",
    "ncr-protocol",
    "override-client-update",
    "override-no-update",
    "qualifying-suffix",
    "replace-client-name",
    "sender-ip",
    "sender-port",
    "server-ip",
    "server-port",
    "user-context",
];

/// Kea's `DHCP_MULTI_THREADING` context (DHCPv6).
const V6_DHCP_MULTI_THREADING: &[&str] = &[
    "comment",
    "enable-multi-threading",
    "packet-queue-size",
    "thread-pool-size",
    "user-context",
];

/// Kea's `DHCP_QUEUE_CONTROL` context (DHCPv6).
const V6_DHCP_QUEUE_CONTROL: &[&str] = &[
    "capacity",
    "comment",
    "enable-queue",
    "queue-type",
    "user-context",
];

/// Kea's `EXPIRED_LEASES_PROCESSING` context (DHCPv6).
const V6_EXPIRED_LEASES_PROCESSING: &[&str] = &[
    "flush-reclaimed-timer-wait-time",
    "hold-reclaimed-time",
    "max-reclaim-leases",
    "max-reclaim-time",
    "reclaim-timer-wait-time",
    "unwarned-reclaim-cycles",
];

/// Kea's `HOOKS_LIBRARIES` context (DHCPv6).
const V6_HOOKS_LIBRARIES: &[&str] = &["library", "parameters"];

/// Kea's `HOSTS_DATABASE` context (DHCPv6).
const V6_HOSTS_DATABASE: &[&str] = &[
    "cert-file",
    "cipher-list",
    "connect-timeout",
    "host",
    "key-file",
    "lfc-interval",
    "max-reconnect-tries",
    "name",
    "on-fail",
    "password",
    "persist",
    "port",
    "read-timeout",
    "readonly",
    "reconnect-wait-time",
    "retry-on-startup",
    "tcp-user-timeout",
    "trust-anchor",
    "type",
    "user",
    "write-timeout",
];

/// Kea's `HTTP_HEADERS` context (DHCPv6).
const V6_HTTP_HEADERS: &[&str] = &["comment", "name", "user-context", "value"];

/// Kea's `INTERFACES_CONFIG` context (DHCPv6).
const V6_INTERFACES_CONFIG: &[&str] = &[
    "comment",
    "interfaces",
    "re-detect",
    "service-sockets-max-retries",
    "service-sockets-require-all",
    "service-sockets-retry-wait-time",
    "user-context",
];

/// Kea's `LEASE_DATABASE` context (DHCPv6).
const V6_LEASE_DATABASE: &[&str] = &[
    "cert-file",
    "cipher-list",
    "connect-timeout",
    "host",
    "key-file",
    "lfc-interval",
    "max-reconnect-tries",
    "max-row-errors",
    "name",
    "on-fail",
    "password",
    "persist",
    "port",
    "read-timeout",
    "reconnect-wait-time",
    "retry-on-startup",
    "tcp-user-timeout",
    "trust-anchor",
    "type",
    "user",
    "write-timeout",
];

/// Kea's `LOGGERS` context (DHCPv6).
const V6_LOGGERS: &[&str] = &[
    "comment",
    "debuglevel",
    "name",
    "output-options",
    "output_options",
    "severity",
    "user-context",
];

/// Kea's `OPTION_DATA` context (DHCPv6).
const V6_OPTION_DATA: &[&str] = &[
    "always-send",
    "client-classes",
    "code",
    "comment",
    "csv-format",
    "data",
    "name",
    "never-send",
    "space",
    "user-context",
];

/// Kea's `OPTION_DEF` context (DHCPv6).
const V6_OPTION_DEF: &[&str] = &[
    "array",
    "code",
    "comment",
    "encapsulate",
    "name",
    "record-types",
    "space",
    "type",
    "user-context",
];

/// Kea's `OUTPUT_OPTIONS` context (DHCPv6).
const V6_OUTPUT_OPTIONS: &[&str] = &["flush", "maxsize", "maxver", "output", "pattern"];

/// Kea's `PD_POOLS` context (DHCPv6).
const V6_PD_POOLS: &[&str] = &[
    "client-class",
    "client-classes",
    "comment",
    "delegated-len",
    "evaluate-additional-classes",
    "excluded-prefix",
    "excluded-prefix-len",
    "option-data",
    "pool-id",
    "prefix",
    "prefix-len",
    "require-client-classes",
    "user-context",
];

/// Kea's `POOLS` context (DHCPv6).
const V6_POOLS: &[&str] = &[
    "client-class",
    "client-classes",
    "comment",
    "ddns-conflict-resolution-mode",
    "ddns-generated-prefix",
    "ddns-override-client-update",
    "ddns-override-no-update",
    "ddns-qualifying-suffix",
    "ddns-replace-client-name",
    "ddns-send-updates",
    "ddns-ttl",
    "ddns-ttl-max",
    "ddns-ttl-min",
    "ddns-ttl-percent",
    "ddns-update-on-renew",
    "evaluate-additional-classes",
    "hostname-char-replacement",
    "hostname-char-set",
    "option-data",
    "pool",
    "pool-id",
    "require-client-classes",
    "user-context",
];

/// Kea's `RELAY` context (DHCPv6).
const V6_RELAY: &[&str] = &["ip-address", "ip-addresses"];

/// Kea's `RESERVATIONS` context (DHCPv6).
const V6_RESERVATIONS: &[&str] = &[
    "client-classes",
    "comment",
    "duid",
    "excluded-prefixes",
    "flex-id",
    "hostname",
    "hw-address",
    "ip-addresses",
    "option-data",
    "prefixes",
    "user-context",
];

/// Kea's `SANITY_CHECKS` context (DHCPv6).
const V6_SANITY_CHECKS: &[&str] = &["extended-info-checks", "lease-checks"];

/// Kea's `SERVER_ID` context (DHCPv6).
const V6_SERVER_ID: &[&str] = &[
    "comment",
    "enterprise-id",
    "htype",
    "identifier",
    "persist",
    "time",
    "type",
    "user-context",
];

/// Kea's `SHARED_NETWORK` context (DHCPv6).
const V6_SHARED_NETWORK: &[&str] = &[
    "allocator",
    "cache-max-age",
    "cache-threshold",
    "calculate-tee-times",
    "client-class",
    "client-classes",
    "comment",
    "ddns-conflict-resolution-mode",
    "ddns-generated-prefix",
    "ddns-override-client-update",
    "ddns-override-no-update",
    "ddns-qualifying-suffix",
    "ddns-replace-client-name",
    "ddns-send-updates",
    "ddns-ttl",
    "ddns-ttl-max",
    "ddns-ttl-min",
    "ddns-ttl-percent",
    "ddns-update-on-renew",
    "ddns-use-conflict-resolution",
    "evaluate-additional-classes",
    "hostname-char-replacement",
    "hostname-char-set",
    "interface",
    "interface-id",
    "max-preferred-lifetime",
    "max-valid-lifetime",
    "min-preferred-lifetime",
    "min-valid-lifetime",
    "name",
    "option-data",
    "pd-allocator",
    "preferred-lifetime",
    "rapid-commit",
    "rebind-timer",
    "relay",
    "renew-timer",
    "require-client-classes",
    "reservation-mode",
    "reservations-global",
    "reservations-in-subnet",
    "reservations-out-of-pool",
    "store-extended-info",
    "subnet6",
    "t1-percent",
    "t2-percent",
    "user-context",
    "valid-lifetime",
];

/// Kea's `SUBNET6` context (DHCPv6).
const V6_SUBNET6: &[&str] = &[
    "allocator",
    "cache-max-age",
    "cache-threshold",
    "calculate-tee-times",
    "client-class",
    "client-classes",
    "comment",
    "ddns-conflict-resolution-mode",
    "ddns-generated-prefix",
    "ddns-override-client-update",
    "ddns-override-no-update",
    "ddns-qualifying-suffix",
    "ddns-replace-client-name",
    "ddns-send-updates",
    "ddns-ttl",
    "ddns-ttl-max",
    "ddns-ttl-min",
    "ddns-ttl-percent",
    "ddns-update-on-renew",
    "ddns-use-conflict-resolution",
    "evaluate-additional-classes",
    "hostname-char-replacement",
    "hostname-char-set",
    "id",
    "interface",
    "interface-id",
    "max-preferred-lifetime",
    "max-valid-lifetime",
    "min-preferred-lifetime",
    "min-valid-lifetime",
    "option-data",
    "pd-allocator",
    "pd-pools",
    "pools",
    "preferred-lifetime",
    "rapid-commit",
    "rebind-timer",
    "relay",
    "renew-timer",
    "require-client-classes",
    "reservation-mode",
    "reservations",
    "reservations-global",
    "reservations-in-subnet",
    "reservations-out-of-pool",
    "store-extended-info",
    "subnet",
    "t1-percent",
    "t2-percent",
    "user-context",
    "valid-lifetime",
];

/// The keys Kea knows in an object of kind `kind` (a JSON path without
/// indices, see [`crate::file::object_kind`]), chosen by the family
/// (`Dhcp4` or `Dhcp6`) and the key that names the object (its last step).
pub fn kea_keys(kind: &str) -> &'static [&'static str] {
    let family = kind.split('.').next().unwrap_or("");
    let object = kind.rsplit('.').next().unwrap_or("");
    match (family, object) {
        ("Dhcp4", "authentication") => V4_AUTHENTICATION,
        ("Dhcp4", "clients") => V4_CLIENTS,
        ("Dhcp4", "client-classes") => V4_CLIENT_CLASSES,
        ("Dhcp4", "compatibility") => V4_COMPATIBILITY,
        ("Dhcp4", "config-control") => V4_CONFIG_CONTROL,
        ("Dhcp4", "config-databases") => V4_CONFIG_DATABASE,
        ("Dhcp4", "control-socket" | "control-sockets") => V4_CONTROL_SOCKET,
        ("Dhcp4", "Dhcp4") => V4_DHCP4,
        ("Dhcp4", "dhcp-ddns") => V4_DHCP_DDNS,
        ("Dhcp4", "multi-threading") => V4_DHCP_MULTI_THREADING,
        ("Dhcp4", "dhcp-queue-control") => V4_DHCP_QUEUE_CONTROL,
        ("Dhcp4", "expired-leases-processing") => V4_EXPIRED_LEASES_PROCESSING,
        ("Dhcp4", "hooks-libraries") => V4_HOOKS_LIBRARIES,
        ("Dhcp4", "hosts-database" | "hosts-databases") => V4_HOSTS_DATABASE,
        ("Dhcp4", "http-headers") => V4_HTTP_HEADERS,
        ("Dhcp4", "interfaces-config") => V4_INTERFACES_CONFIG,
        ("Dhcp4", "lease-database") => V4_LEASE_DATABASE,
        ("Dhcp4", "loggers") => V4_LOGGERS,
        ("Dhcp4", "option-data") => V4_OPTION_DATA,
        ("Dhcp4", "option-def") => V4_OPTION_DEF,
        ("Dhcp4", "output-options" | "output_options") => V4_OUTPUT_OPTIONS,
        ("Dhcp4", "pools") => V4_POOLS,
        ("Dhcp4", "relay") => V4_RELAY,
        ("Dhcp4", "reservations") => V4_RESERVATIONS,
        ("Dhcp4", "sanity-checks") => V4_SANITY_CHECKS,
        ("Dhcp4", "shared-networks") => V4_SHARED_NETWORK,
        ("Dhcp4", "subnet4") => V4_SUBNET4,
        ("Dhcp6", "authentication") => V6_AUTHENTICATION,
        ("Dhcp6", "clients") => V6_CLIENTS,
        ("Dhcp6", "client-classes") => V6_CLIENT_CLASSES,
        ("Dhcp6", "compatibility") => V6_COMPATIBILITY,
        ("Dhcp6", "config-control") => V6_CONFIG_CONTROL,
        ("Dhcp6", "config-databases") => V6_CONFIG_DATABASE,
        ("Dhcp6", "control-socket" | "control-sockets") => V6_CONTROL_SOCKET,
        ("Dhcp6", "Dhcp6") => V6_DHCP6,
        ("Dhcp6", "dhcp-ddns") => V6_DHCP_DDNS,
        ("Dhcp6", "multi-threading") => V6_DHCP_MULTI_THREADING,
        ("Dhcp6", "dhcp-queue-control") => V6_DHCP_QUEUE_CONTROL,
        ("Dhcp6", "expired-leases-processing") => V6_EXPIRED_LEASES_PROCESSING,
        ("Dhcp6", "hooks-libraries") => V6_HOOKS_LIBRARIES,
        ("Dhcp6", "hosts-database" | "hosts-databases") => V6_HOSTS_DATABASE,
        ("Dhcp6", "http-headers") => V6_HTTP_HEADERS,
        ("Dhcp6", "interfaces-config") => V6_INTERFACES_CONFIG,
        ("Dhcp6", "lease-database") => V6_LEASE_DATABASE,
        ("Dhcp6", "loggers") => V6_LOGGERS,
        ("Dhcp6", "option-data") => V6_OPTION_DATA,
        ("Dhcp6", "option-def") => V6_OPTION_DEF,
        ("Dhcp6", "output-options" | "output_options") => V6_OUTPUT_OPTIONS,
        ("Dhcp6", "pd-pools") => V6_PD_POOLS,
        ("Dhcp6", "pools") => V6_POOLS,
        ("Dhcp6", "relay") => V6_RELAY,
        ("Dhcp6", "reservations") => V6_RESERVATIONS,
        ("Dhcp6", "sanity-checks") => V6_SANITY_CHECKS,
        ("Dhcp6", "server-id") => V6_SERVER_ID,
        ("Dhcp6", "shared-networks") => V6_SHARED_NETWORK,
        ("Dhcp6", "subnet6") => V6_SUBNET6,
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_are_found_by_family_and_last_step() {
        assert!(kea_keys("Dhcp6.subnet6.reservations").contains(&"client-classes"));
        assert!(kea_keys("Dhcp6.shared-networks.subnet6.pd-pools").contains(&"excluded-prefix"));
        assert!(kea_keys("Dhcp4").contains(&"sanity-checks"));
        assert!(kea_keys("Dhcp4.subnet4").contains(&"4o6-subnet"));
        assert!(!kea_keys("Dhcp4.subnet4").contains(&"pd-pools"));
        assert!(kea_keys("Dhcp6.loggers.output-options").contains(&"maxsize"));
        assert!(kea_keys("").is_empty());
        assert!(kea_keys("Dhcp4.subnet4.pools.nothing").is_empty());
    }
}
