//! Interface discovery and resolution of Kea's interface names.

use std::net::Ipv4Addr;

use crate::NetError;

/// One IPv4 address of one interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IfAddr {
    pub name: String,
    pub addr: Ipv4Addr,
    pub loopback: bool,
}

/// Every IPv4 address of every interface that is up.
pub fn list() -> Result<Vec<IfAddr>, NetError> {
    let addrs = nix::ifaddrs::getifaddrs().map_err(|e| NetError::Interfaces(e.to_string()))?;
    let mut out = Vec::new();
    for a in addrs {
        let Some(sa) = a.address.as_ref().and_then(|s| s.as_sockaddr_in().copied()) else {
            continue;
        };
        let loopback = a
            .flags
            .contains(nix::net::if_::InterfaceFlags::IFF_LOOPBACK);
        out.push(IfAddr {
            name: a.interface_name.clone(),
            addr: sa.ip(),
            loopback,
        });
    }
    Ok(out)
}

/// Resolves one Kea interface spec against `all` addresses.
/// `"*"` means every non-loopback interface.
pub fn resolve(spec: &str, all: &[IfAddr]) -> Result<Vec<IfAddr>, NetError> {
    if spec == "*" {
        return Ok(all.iter().filter(|a| !a.loopback).cloned().collect());
    }
    let (name, addr) = match spec.split_once('/') {
        Some((n, a)) => (n, Some(a)),
        None => (spec, None),
    };
    let of_iface: Vec<IfAddr> = all.iter().filter(|a| a.name == name).cloned().collect();
    if of_iface.is_empty() {
        return Err(NetError::NoSuchInterface(name.to_string()));
    }
    match addr {
        None => Ok(of_iface),
        Some(a) => {
            let want: Option<Ipv4Addr> = a.parse().ok();
            let found: Vec<IfAddr> = of_iface
                .into_iter()
                .filter(|x| Some(x.addr) == want)
                .collect();
            if found.is_empty() {
                Err(NetError::NoSuchAddress {
                    name: name.to_string(),
                    addr: a.to_string(),
                })
            } else {
                Ok(found)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<IfAddr> {
        vec![
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
        ]
    }

    #[test]
    fn kea_interface_forms() {
        let all = sample();
        assert_eq!(resolve("lo", &all).unwrap().len(), 1);
        assert_eq!(resolve("eth0", &all).unwrap().len(), 2);
        assert_eq!(
            resolve("eth0/192.0.2.9", &all).unwrap()[0].addr,
            Ipv4Addr::new(192, 0, 2, 9)
        );
        assert_eq!(resolve("*", &all).unwrap().len(), 2);
        assert!(matches!(
            resolve("eth9", &all),
            Err(NetError::NoSuchInterface(_))
        ));
        assert!(matches!(
            resolve("eth0/192.0.2.7", &all),
            Err(NetError::NoSuchAddress { .. })
        ));
    }

    #[test]
    fn loopback_is_listed() {
        let all = list().unwrap();
        assert!(all
            .iter()
            .any(|a| a.addr == Ipv4Addr::LOCALHOST && a.loopback));
    }
}
