//! Interface discovery and resolution of Kea's interface names.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use crate::NetError;

/// One IPv4 address of one interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IfAddr {
    pub name: String,
    pub addr: Ipv4Addr,
    pub loopback: bool,
}

/// What the system has: every IPv4 address, and every interface name
/// (including interfaces without an IPv4 address).
#[derive(Debug, Clone, Default)]
pub struct Interfaces {
    pub addrs: Vec<IfAddr>,
    pub names: BTreeSet<String>,
}

/// Reads the interfaces of this network namespace.
pub fn list() -> Result<Interfaces, NetError> {
    let addrs = nix::ifaddrs::getifaddrs().map_err(|e| NetError::Interfaces(e.to_string()))?;
    let mut out = Interfaces::default();
    for a in addrs {
        out.names.insert(a.interface_name.clone());
        let Some(sa) = a.address.as_ref().and_then(|s| s.as_sockaddr_in().copied()) else {
            continue;
        };
        let loopback = a
            .flags
            .contains(nix::net::if_::InterfaceFlags::IFF_LOOPBACK);
        out.addrs.push(IfAddr {
            name: a.interface_name.clone(),
            addr: sa.ip(),
            loopback,
        });
    }
    Ok(out)
}

/// The kernel's index of interface `name`.
pub fn index(name: &str) -> Result<u32, NetError> {
    nix::net::if_::if_nametoindex(name).map_err(|_| NetError::NoSuchInterface(name.to_string()))
}

/// Resolves one Kea interface spec to the interfaces to open, one entry per
/// interface, carrying the address used as server identifier there (the
/// given one for `"eth0/192.0.2.1"`, else the interface's first IPv4
/// address). `"*"` means every non-loopback interface with an address.
pub fn resolve(spec: &str, all: &Interfaces) -> Result<Vec<IfAddr>, NetError> {
    if spec == "*" {
        let mut seen = BTreeSet::new();
        return Ok(all
            .addrs
            .iter()
            .filter(|a| !a.loopback && seen.insert(a.name.clone()))
            .cloned()
            .collect());
    }
    let (name, addr) = match spec.split_once('/') {
        Some((n, a)) => (n, Some(a)),
        None => (spec, None),
    };
    if !all.names.contains(name) {
        return Err(NetError::NoSuchInterface(name.to_string()));
    }
    let mut of_iface = all.addrs.iter().filter(|a| a.name == name);
    match addr {
        None => of_iface
            .next()
            .cloned()
            .map(|a| vec![a])
            .ok_or_else(|| NetError::NoAddress(name.to_string())),
        Some(a) => {
            let want: Option<Ipv4Addr> = a.parse().ok();
            of_iface
                .find(|x| Some(x.addr) == want)
                .cloned()
                .map(|a| vec![a])
                .ok_or_else(|| NetError::NoSuchAddress {
                    name: name.to_string(),
                    addr: a.to_string(),
                })
        }
    }
}

/// Every IPv4 address of interface `name` (the server identifiers that
/// are "ours" on that link).
pub fn addresses_of(name: &str, all: &Interfaces) -> Vec<Ipv4Addr> {
    all.addrs
        .iter()
        .filter(|a| a.name == name)
        .map(|a| a.addr)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Interfaces {
        let addrs = vec![
            IfAddr {
                name: "lo".into(),
                addr: Ipv4Addr::LOCALHOST,
                loopback: true,
            },
            IfAddr {
                name: "eth0".into(),
                addr: Ipv4Addr::new(192, 0, 2, 1),
                loopback: false,
            },
            IfAddr {
                name: "eth0".into(),
                addr: Ipv4Addr::new(192, 0, 2, 9),
                loopback: false,
            },
            IfAddr {
                name: "eth1".into(),
                addr: Ipv4Addr::new(198, 51, 100, 1),
                loopback: false,
            },
        ];
        let mut names: BTreeSet<String> = addrs.iter().map(|a| a.name.clone()).collect();
        names.insert("eth2".into());
        Interfaces { addrs, names }
    }

    #[test]
    fn kea_interface_forms() {
        let all = sample();
        assert_eq!(resolve("lo", &all).unwrap().len(), 1);
        let eth0 = resolve("eth0", &all).unwrap();
        assert_eq!(eth0.len(), 1, "one socket per interface");
        assert_eq!(eth0[0].addr, Ipv4Addr::new(192, 0, 2, 1));
        assert_eq!(
            resolve("eth0/192.0.2.9", &all).unwrap()[0].addr,
            Ipv4Addr::new(192, 0, 2, 9)
        );
        let star = resolve("*", &all).unwrap();
        assert_eq!(
            star.iter().map(|a| a.name.as_str()).collect::<Vec<_>>(),
            ["eth0", "eth1"]
        );
        assert!(matches!(
            resolve("eth9", &all),
            Err(NetError::NoSuchInterface(_))
        ));
        assert!(matches!(resolve("eth2", &all), Err(NetError::NoAddress(_))));
        assert!(matches!(
            resolve("eth0/192.0.2.7", &all),
            Err(NetError::NoSuchAddress { .. })
        ));
        assert_eq!(addresses_of("eth0", &all).len(), 2);
    }

    #[test]
    fn loopback_is_listed() {
        let all = list().unwrap();
        assert!(all
            .addrs
            .iter()
            .any(|a| a.addr == Ipv4Addr::LOCALHOST && a.loopback));
        assert!(index("lo").is_ok());
    }
}
