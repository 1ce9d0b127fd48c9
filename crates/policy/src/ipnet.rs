//! IP prefixes for victim-address detection and truncation (IPv4 /24, IPv6 /48).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

/// An IP prefix such as `10.0.0.0/8` or `2001:db8::/32`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IpNet {
    addr: IpAddr,
    len: u8,
}

/// A prefix that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an IP prefix: `{0}`")]
pub struct IpNetError(pub String);

impl IpNet {
    /// The prefix of length `len` containing `addr` (host bits cleared); `len` is clamped to the
    /// address size.
    pub fn new(addr: IpAddr, len: u8) -> Self {
        match addr {
            IpAddr::V4(a) => {
                let len = len.min(32);
                let bits = u32::from(a) & mask32(len);
                IpNet { addr: IpAddr::V4(Ipv4Addr::from(bits)), len }
            }
            IpAddr::V6(a) => {
                let len = len.min(128);
                let bits = u128::from(a) & mask128(len);
                IpNet { addr: IpAddr::V6(Ipv6Addr::from(bits)), len }
            }
        }
    }

    /// Whether `addr` is inside the prefix.
    pub fn contains(&self, addr: IpAddr) -> bool {
        match (self.addr, addr) {
            (IpAddr::V4(n), IpAddr::V4(a)) => u32::from(a) & mask32(self.len) == u32::from(n),
            (IpAddr::V6(n), IpAddr::V6(a)) => u128::from(a) & mask128(self.len) == u128::from(n),
            _ => false,
        }
    }

    /// The truncation used when an agreement asks for it: IPv4 to its /24, IPv6 to its /48.
    pub fn truncate(addr: IpAddr) -> IpNet {
        match addr {
            IpAddr::V4(_) => IpNet::new(addr, 24),
            IpAddr::V6(_) => IpNet::new(addr, 48),
        }
    }
}

impl FromStr for IpNet {
    type Err = IpNetError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || IpNetError(s.to_owned());
        let (addr, len) = match s.split_once('/') {
            Some((a, l)) => (a, Some(l.parse::<u8>().map_err(|_| err())?)),
            None => (s, None),
        };
        let addr: IpAddr = addr.parse().map_err(|_| err())?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let len = len.unwrap_or(max);
        if len > max {
            return Err(err());
        }
        Ok(IpNet::new(addr, len))
    }
}

impl fmt::Display for IpNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

/// Ranges that never hold a public server and so, in shared data, point at someone's internal
/// host: RFC 1918, shared address space (RFC 6598), link local, unique local (RFC 4193).
pub(crate) fn is_internal(addr: IpAddr) -> bool {
    match addr {
        IpAddr::V4(a) => {
            a.is_private()
                || a.is_link_local()
                || (a.octets()[0] == 100 && (a.octets()[1] & 0xc0) == 64)
        }
        IpAddr::V6(a) => {
            let first = a.segments()[0];
            (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80
        }
    }
}

fn mask32(len: u8) -> u32 {
    if len == 0 { 0 } else { u32::MAX << (32 - u32::from(len)) }
}

fn mask128(len: u8) -> u128 {
    if len == 0 { 0 } else { u128::MAX << (128 - u32::from(len)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(net: &str, addr: &str) -> bool {
        let net: IpNet = net.parse().unwrap_or_else(|e| panic!("{e}"));
        net.contains(addr.parse().unwrap_or_else(|e| panic!("{e}")))
    }

    #[test]
    fn contains_and_truncates() {
        assert!(check("10.0.0.0/8", "10.9.8.7"));
        assert!(!check("10.0.0.0/8", "11.0.0.1"));
        assert!(check("2001:db8::/32", "2001:db8:1::5"));
        assert!(!check("2001:db8::/32", "10.0.0.1"));
        assert!(check("0.0.0.0/0", "8.8.8.8"));
        let t = IpNet::truncate("192.0.2.77".parse().unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)));
        assert_eq!(t.to_string(), "192.0.2.0/24");
        let t =
            IpNet::truncate("2001:db8:1:2::9".parse().unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)));
        assert_eq!(t.to_string(), "2001:db8:1::/48");
        assert!("10.0.0.0/33".parse::<IpNet>().is_err());
        assert!(is_internal("100.64.1.1".parse().unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))));
        assert!(is_internal("fd12::1".parse().unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))));
        assert!(!is_internal("8.8.8.8".parse().unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))));
    }
}
