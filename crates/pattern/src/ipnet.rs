//! IPv4 and IPv6 addresses and CIDR blocks, for `ISSUBSET` and `ISSUPERSET`.

use std::net::IpAddr;

/// An address block: an address and a prefix length. A plain address is a block of one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct IpNet {
    bits: u128,
    prefix: u8,
    v6: bool,
}

impl IpNet {
    /// Parses `a.b.c.d`, `a.b.c.d/n`, an IPv6 address, or an IPv6 address with `/n`.
    pub(crate) fn parse(text: &str) -> Option<IpNet> {
        let (addr, prefix) = match text.split_once('/') {
            Some((addr, prefix)) => {
                if prefix.is_empty() || !prefix.bytes().all(|c| c.is_ascii_digit()) {
                    return None;
                }
                (addr, Some(prefix.parse::<u8>().ok()?))
            }
            None => (text, None),
        };
        let (bits, v6) = match addr.parse::<IpAddr>().ok()? {
            IpAddr::V4(a) => (u128::from(u32::from(a)), false),
            IpAddr::V6(a) => (u128::from(a), true),
        };
        let width = if v6 { 128 } else { 32 };
        let prefix = prefix.unwrap_or(width);
        (prefix <= width).then_some(IpNet { bits, prefix, v6 })
    }

    /// Whether this is an IPv6 block.
    pub(crate) fn is_v6(&self) -> bool {
        self.v6
    }

    /// The prefix length.
    pub(crate) fn prefix(&self) -> u8 {
        self.prefix
    }

    /// The address bits (host bits as written).
    pub(crate) fn bits(&self) -> u128 {
        self.bits
    }

    /// The first `prefix` bits of the address, as a number: equal for two addresses exactly
    /// when they are in the same block of that length.
    pub(crate) fn network(&self, prefix: u8) -> u128 {
        let width = if self.v6 { 128 } else { 32 };
        let shift = width - u32::from(prefix.min(width as u8));
        if shift >= 128 { 0 } else { self.bits >> shift }
    }

    /// Whether `other` lies entirely inside this block.
    pub(crate) fn contains(&self, other: &IpNet) -> bool {
        if self.v6 != other.v6 || self.prefix > other.prefix {
            return false;
        }
        let width = if self.v6 { 128 } else { 32 };
        let shift = width - u32::from(self.prefix);
        if shift >= 128 {
            return true;
        }
        (self.bits >> shift) == (other.bits >> shift)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(outer: &str, inner: &str) -> bool {
        IpNet::parse(outer).unwrap().contains(&IpNet::parse(inner).unwrap())
    }

    #[test]
    fn containment() {
        assert!(check("198.51.100.0/24", "198.51.100.7"));
        assert!(check("198.51.100.0/24", "198.51.100.128/25"));
        assert!(!check("198.51.100.0/25", "198.51.100.0/24"));
        assert!(!check("198.51.100.0/24", "198.51.101.1"));
        assert!(check("0.0.0.0/0", "203.0.113.9"));
        assert!(check("2001:db8::/32", "2001:db8:dead:beef::1"));
        assert!(!check("2001:db8::/32", "2001:db9::1"));
        assert!(!check("::/0", "1.2.3.4"));
        assert!(check("::/0", "::1"));
        assert_eq!(IpNet::parse("1.2.3.4/33"), None);
        assert_eq!(IpNet::parse("1.2.3/8"), None);
        assert_eq!(IpNet::parse("1.2.3.4/"), None);
    }
}
