//! The host store (`hosts-database`) against PostgreSQL and MySQL/MariaDB
//! on 127.0.0.1, on Kea 2.2's schema and on Kea 2.4's table shapes (see
//! `sql.rs` for the databases used).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use ruru_lease::LeaseError;

fn hosts(kind: Kind, test: &str) {
    use ruru_lease::{Host4, IdType};
    use std::net::Ipv4Addr;
    let Some(db) = TestDb::new(kind, test) else {
        return;
    };
    db.init();
    let hs = db.open_hosts();
    let mac = [0x02, 0, 0, 0, 0, 0x01];
    let cid = [1, 0x02, 0, 0, 0, 0, 0x01];
    let mut a = Host4::new(IdType::HwAddress, mac.to_vec(), 1);
    a.ipv4_address = Some(Ipv4Addr::new(192, 0, 2, 10));
    a.hostname = "alpha".into();
    a.next_server = Some(Ipv4Addr::new(192, 0, 2, 1));
    a.boot_file_name = "pxe.0".into();
    // A vendor's sub-option is a row of its `vendor-N` space.
    a.option_data =
        r#"[{"code": 6, "data": "c0000201"}, {"code": 2, "data": "c0000202", "space": "vendor-4491"}]"#
            .into();
    // Kea's `dhcp4_client_classes` and `user_context`.
    a.client_classes = "gold,silver".into();
    a.user_context = r#"{"room": 7, "asset": "pc-7"}"#.into();
    hs.add4(&a).unwrap();
    let mut b = Host4::new(IdType::ClientId, cid.to_vec(), 1);
    b.ipv4_address = Some(Ipv4Addr::new(192, 0, 2, 11));
    hs.add4(&b).unwrap();

    // Lookups by identifier follow the order of the identifiers given.
    let ids: [(IdType, &[u8]); 2] = [(IdType::HwAddress, &mac), (IdType::ClientId, &cid)];
    let got = hs.get4(1, &ids).unwrap();
    assert!(got.host_id > 0);
    assert_eq!(Host4 { host_id: 0, ..got }, a);
    let ids: [(IdType, &[u8]); 2] = [(IdType::ClientId, &cid), (IdType::HwAddress, &mac)];
    assert_eq!(hs.get4(1, &ids).unwrap().id_type, IdType::ClientId);
    // More identifiers than one query takes.
    let many: Vec<(IdType, &[u8])> = (0..6)
        .map(|_| (IdType::Flex, &[9u8][..]))
        .chain([(IdType::ClientId, &cid[..])])
        .collect();
    assert_eq!(hs.get4(1, &many).unwrap().id_type, IdType::ClientId);
    assert!(hs.get4(2, &ids).is_none(), "another subnet");
    assert!(
        hs.get4(1, &[(IdType::Duid, &mac)]).is_none(),
        "another type"
    );

    // By address.
    assert_eq!(
        hs.get4_by_address(1, Ipv4Addr::new(192, 0, 2, 11))
            .unwrap()
            .identifier,
        cid
    );
    assert!(hs
        .get4_by_address(1, Ipv4Addr::new(192, 0, 2, 12))
        .is_none());
    assert!(hs
        .get4_by_address(2, Ipv4Addr::new(192, 0, 2, 10))
        .is_none());

    // An identifier or an address is reserved once per subnet.
    let mut dup = Host4::new(IdType::HwAddress, mac.to_vec(), 1);
    assert!(matches!(hs.add4(&dup), Err(LeaseError::HostExists(_))));
    dup.identifier = vec![0x02, 0, 0, 0, 0, 0x99];
    dup.ipv4_address = Some(Ipv4Addr::new(192, 0, 2, 10));
    assert!(matches!(hs.add4(&dup), Err(LeaseError::HostExists(_))));
    dup.subnet_id = 2;
    hs.add4(&dup).unwrap();
    // Hosts without an address do not collide.
    for i in 0..2u8 {
        hs.add4(&Host4::new(IdType::CircuitId, vec![i], 1)).unwrap();
    }
    assert_eq!(hs.all4(1).len(), 4);
    assert_eq!(hs.all4(2).len(), 1);

    // Across subnets: by host name (case-insensitive), identifier, address.
    use ruru_lease::HostQuery;
    let found = hs.find4(HostQuery::Hostname("ALPHA"));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].identifier, mac);
    assert!(hs.find4(HostQuery::Hostname("beta")).is_empty());
    let both = hs.find4(HostQuery::Address(Ipv4Addr::new(192, 0, 2, 10)));
    assert_eq!(
        both.iter().map(|h| h.subnet_id).collect::<Vec<_>>(),
        [1, 2],
        "one per subnet, by host_id"
    );
    let by_id = hs.find4(HostQuery::Id(IdType::HwAddress, &[0x02, 0, 0, 0, 0, 0x99]));
    assert_eq!(by_id.len(), 1);
    assert_eq!(by_id[0].subnet_id, 2);
    assert!(hs.find4(HostQuery::Id(IdType::Duid, &mac)).is_empty());

    // A row written by another program is read by the next lookup.
    let insert = match kind {
        Kind::Pg => {
            "INSERT INTO hosts (dhcp_identifier, dhcp_identifier_type, dhcp4_subnet_id, \
                     ipv4_address) VALUES ('\\x0a0b0c0d0e0f'::bytea, 0, 1, 3221225999)"
        }
        Kind::My => {
            "INSERT INTO hosts (dhcp_identifier, dhcp_identifier_type, dhcp4_subnet_id, \
                     ipv4_address) VALUES (x'0a0b0c0d0e0f', 0, 1, 3221225999)"
        }
    };
    exec(kind, &db.opts, insert).unwrap();
    let ext = hs
        .get4(1, &[(IdType::HwAddress, &[10, 11, 12, 13, 14, 15])])
        .unwrap();
    assert_eq!(ext.ipv4_address, Some(Ipv4Addr::from(3221225999u32)));
    assert_eq!((ext.hostname.as_str(), ext.option_data.as_str()), ("", ""));
    assert_eq!(ext.next_server, None);

    // Deletes.
    assert!(hs.del4_by_address(1, Ipv4Addr::new(192, 0, 2, 10)).unwrap());
    assert!(!hs.del4_by_address(1, Ipv4Addr::new(192, 0, 2, 10)).unwrap());
    assert!(hs.del4_by_id(1, IdType::ClientId, &cid).unwrap());
    assert!(!hs.del4_by_id(1, IdType::ClientId, &cid).unwrap());
    assert!(hs.get4(1, &ids).is_none());
    assert_eq!(hs.all4(2).len(), 1);
}

/// The DHCPv6 side of the host store: lookups by identifier and address,
/// uniqueness, rows written by another program, deletes.
fn hosts6(kind: Kind, test: &str) {
    hosts6_on(kind, test, false);
}

fn hosts6_on(kind: Kind, test: &str, kea24: bool) {
    use ruru_lease::{Host4, Host6, IdType};
    use std::net::{Ipv4Addr, Ipv6Addr};
    let Some(db) = TestDb::new(kind, test) else {
        return;
    };
    db.init_as(if kea24 {
        ruru_lease_sql::KeaRelease::V2_4
    } else {
        ruru_lease_sql::KeaRelease::V2_2
    });
    let hs = db.open_hosts();
    let a6 = |s: &str| s.parse::<Ipv6Addr>().unwrap();
    let duid = [0, 1, 0, 1, 0x2a, 0x2b, 0x2c, 0x2d, 2, 0, 0, 0, 0, 1];
    let mac = [2, 0, 0, 0, 0, 2];
    let mut a = Host6::new(IdType::Duid, duid.to_vec(), 1);
    a.ip_addresses = vec![a6("2001:db8:1::10"), a6("2001:db8:1::11")];
    a.prefixes = vec![(a6("2001:db8:8:100::"), 56)];
    a.hostname = "alpha".into();
    a.option_data = r#"[{"code": 23, "data": "20010db8000000000000000000000001"}]"#.into();
    a.client_classes = "v6-gold".into();
    // Kea's `user_context` and `auth_key` (hex, up to 32 digits).
    a.user_context = r#"{"cpe": "modem-1"}"#.into();
    a.auth_key = "0123456789ABCDEF0123456789ABCDEF".into();
    hs.add6(&a).unwrap();
    let mut b = Host6::new(IdType::HwAddress, mac.to_vec(), 1);
    b.ip_addresses = vec![a6("2001:db8:1::12")];
    hs.add6(&b).unwrap();
    // A DHCPv4 host with the same identifier is another reservation.
    let mut v4 = Host4::new(IdType::HwAddress, mac.to_vec(), 1);
    v4.ipv4_address = Some(Ipv4Addr::new(192, 0, 2, 12));
    hs.add4(&v4).unwrap();

    // By identifier, in the order of the identifiers given.
    let ids: [(IdType, &[u8]); 2] = [(IdType::Duid, &duid), (IdType::HwAddress, &mac)];
    let got = hs.get6(1, &ids).unwrap();
    assert!(got.host_id > 0);
    assert_eq!(Host6 { host_id: 0, ..got }, a);
    let ids: [(IdType, &[u8]); 2] = [(IdType::HwAddress, &mac), (IdType::Duid, &duid)];
    assert_eq!(hs.get6(1, &ids).unwrap().ip_addresses, b.ip_addresses);
    let many: Vec<(IdType, &[u8])> = (0..6)
        .map(|_| (IdType::Flex, &[9u8][..]))
        .chain([(IdType::HwAddress, &mac[..])])
        .collect();
    assert_eq!(hs.get6(1, &many).unwrap().id_type, IdType::HwAddress);
    assert!(hs.get6(2, &ids).is_none(), "another subnet");
    assert!(hs.get6(1, &[(IdType::ClientId, &mac)]).is_none());
    // DHCPv4 and DHCPv6 lookups do not see each other's hosts.
    assert!(hs.get4(1, &[(IdType::Duid, &duid)]).is_none());
    assert_eq!(
        hs.get4(1, &[(IdType::HwAddress, &mac)])
            .unwrap()
            .ipv4_address,
        v4.ipv4_address
    );
    assert_eq!(hs.all4(1).len(), 1);

    // By address or prefix.
    assert_eq!(
        hs.get6_by_address(1, a6("2001:db8:1::11"))
            .unwrap()
            .identifier,
        duid
    );
    assert_eq!(
        hs.get6_by_address(1, a6("2001:db8:8:100::"))
            .unwrap()
            .prefixes,
        a.prefixes
    );
    assert!(hs.get6_by_address(1, a6("2001:db8:1::13")).is_none());
    assert!(hs.get6_by_address(2, a6("2001:db8:1::10")).is_none());

    // An identifier is reserved once per subnet, an address once.
    let dup = Host6::new(IdType::Duid, duid.to_vec(), 1);
    assert!(matches!(hs.add6(&dup), Err(LeaseError::HostExists(_))));
    let mut dup = Host6::new(IdType::Duid, vec![9, 9], 1);
    dup.ip_addresses = vec![a6("2001:db8:1::20"), a6("2001:db8:1::12")];
    assert!(matches!(hs.add6(&dup), Err(LeaseError::HostExists(_))));
    // ... and nothing of a refused host stays.
    assert!(hs.get6(1, &[(IdType::Duid, &[9, 9])]).is_none());
    assert!(hs.get6_by_address(1, a6("2001:db8:1::20")).is_none());
    dup.ip_addresses = vec![a6("2001:db8:1::20")];
    dup.subnet_id = 2;
    hs.add6(&dup).unwrap();
    // Hosts without reservations.
    for i in 0..2u8 {
        hs.add6(&Host6::new(IdType::Flex, vec![i], 1)).unwrap();
    }
    assert_eq!(hs.all6(1).len(), 4);
    assert_eq!(hs.all6(2).len(), 1);
    assert!(hs.all6(1).windows(2).all(|w| w[0].host_id < w[1].host_id));

    // Across subnets; DHCPv4-only rows are not DHCPv6 hosts.
    use ruru_lease::HostQuery;
    let found = hs.find6(HostQuery::Hostname("Alpha"));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].prefixes, a.prefixes, "with its reservations");
    assert_eq!(found[0].ip_addresses.len(), 2);
    assert_eq!(
        hs.find6(HostQuery::Address(a6("2001:db8:8:100::")))[0].identifier,
        duid
    );
    let by_mac = hs.find6(HostQuery::Id(IdType::HwAddress, &mac));
    assert_eq!(by_mac.len(), 1, "the DHCPv4 host of that MAC is not listed");
    assert_eq!(by_mac[0].ip_addresses, b.ip_addresses);
    assert_eq!(hs.find4(HostQuery::Id(IdType::HwAddress, &mac)).len(), 1);
    assert!(hs.find4(HostQuery::Hostname("alpha")).is_empty());

    // Rows written by another program are read by the next lookup.
    let host = match kind {
        Kind::Pg => {
            "INSERT INTO hosts (dhcp_identifier, dhcp_identifier_type, dhcp6_subnet_id, \
             user_context, auth_key) VALUES ('\\x000300010a0b0c0d0e0f'::bytea, 1, 1, \
             '{\"a\": [1, 2]}', 'a1b2')"
        }
        Kind::My => {
            "INSERT INTO hosts (dhcp_identifier, dhcp_identifier_type, dhcp6_subnet_id, \
             user_context, auth_key) VALUES (x'000300010a0b0c0d0e0f', 1, 1, \
             '{\"a\": [1, 2]}', 'a1b2')"
        }
    };
    exec(kind, &db.opts, host).unwrap();
    let id = match kind {
        Kind::Pg => "'\\x000300010a0b0c0d0e0f'::bytea",
        Kind::My => "x'000300010a0b0c0d0e0f'",
    };
    exec(
        kind,
        &db.opts,
        &format!(
            "INSERT INTO ipv6_reservations (address, prefix_len, type, host_id) \
             SELECT {addr}, 128, 0, host_id FROM hosts WHERE dhcp6_subnet_id = 1 \
             AND dhcp_identifier_type = 1 AND dhcp_identifier = {id}",
            addr = match (kind, kea24) {
                (Kind::My, true) => "INET6_ATON('2001:db8:1::30')",
                _ => "'2001:db8:1::30'",
            }
        ),
    )
    .unwrap();
    let ext = hs
        .get6(1, &[(IdType::Duid, &[0, 3, 0, 1, 10, 11, 12, 13, 14, 15])])
        .unwrap();
    assert_eq!(ext.ip_addresses, vec![a6("2001:db8:1::30")]);
    assert_eq!((ext.hostname.as_str(), ext.option_data.as_str()), ("", ""));
    assert_eq!(ext.user_context, r#"{"a": [1, 2]}"#);
    assert_eq!(ext.auth_key, "a1b2");

    // Deletes take the host's addresses and prefixes with it.
    assert!(hs.del6_by_address(1, a6("2001:db8:1::10")).unwrap());
    assert!(!hs.del6_by_address(1, a6("2001:db8:1::10")).unwrap());
    assert!(hs.get6_by_address(1, a6("2001:db8:8:100::")).is_none());
    let mut again = Host6::new(IdType::Duid, vec![7], 1);
    again.prefixes = vec![(a6("2001:db8:8:100::"), 56)];
    hs.add6(&again).unwrap();
    assert!(hs.del6_by_id(1, IdType::HwAddress, &mac).unwrap());
    assert!(!hs.del6_by_id(1, IdType::HwAddress, &mac).unwrap());
    assert!(hs.get6_by_address(1, a6("2001:db8:1::12")).is_none());
    // The DHCPv4 host of that identifier stays.
    assert!(hs.get4(1, &[(IdType::HwAddress, &mac)]).is_some());
    assert_eq!(hs.all6(2).len(), 1);
}

#[test]
fn pg_hosts6() {
    hosts6(Kind::Pg, "pg_hosts6");
}

#[test]
fn mysql_hosts6() {
    hosts6(Kind::My, "mysql_hosts6");
}

#[test]
fn pg_hosts() {
    hosts(Kind::Pg, "pg_hosts");
}

#[test]
fn mysql_hosts() {
    hosts(Kind::My, "mysql_hosts");
}

#[test]
fn pg_kea_2_4_hosts6() {
    hosts6_on(Kind::Pg, "pg_kea24_hosts6", true);
}

#[test]
fn mysql_kea_2_4_hosts6() {
    hosts6_on(Kind::My, "mysql_kea24_hosts6", true);
}
