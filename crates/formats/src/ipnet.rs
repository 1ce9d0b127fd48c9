//! IPv4 and IPv6 address blocks: parsing, normalising (host bits cleared), and merging a list of
//! blocks into the fewest CIDRs that cover exactly the same addresses.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// An address block: a network address and a prefix length. A single address is a block of one
/// (`/32` or `/128`). Host bits are always zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IpNet {
    v6: bool,
    bits: u128,
    prefix: u8,
}

impl IpNet {
    /// Parses `a.b.c.d`, `a.b.c.d/n`, an IPv6 address, or an IPv6 address with `/n`. Host bits
    /// below the prefix are cleared (`198.51.100.7/24` is `198.51.100.0/24`).
    pub fn parse(text: &str) -> Option<IpNet> {
        let (addr, prefix) = match text.split_once('/') {
            Some((addr, prefix)) => {
                if prefix.is_empty()
                    || prefix.len() > 3
                    || !prefix.bytes().all(|c| c.is_ascii_digit())
                {
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
        if prefix > width {
            return None;
        }
        Some(IpNet { v6, bits: bits & mask(width, prefix), prefix })
    }

    /// Whether this is an IPv6 block.
    pub fn is_v6(&self) -> bool {
        self.v6
    }

    /// The prefix length.
    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    /// Whether the block is a single address.
    pub fn is_host(&self) -> bool {
        self.prefix == self.width()
    }

    /// The address bits (an IPv4 address in the low 32 bits).
    pub fn bits(&self) -> u128 {
        self.bits
    }

    fn width(&self) -> u8 {
        if self.v6 { 128 } else { 32 }
    }

    /// The first and last address of the block.
    pub(crate) fn range(&self) -> (u128, u128) {
        (self.bits, self.bits | !mask(self.width(), self.prefix) & full(self.width()))
    }

    /// Whether the two blocks share an address.
    pub fn overlaps(&self, other: &IpNet) -> bool {
        let (a, b) = (self.range(), other.range());
        self.v6 == other.v6 && a.0 <= b.1 && b.0 <= a.1
    }
}

impl fmt::Display for IpNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.v6 {
            write!(f, "{}", Ipv6Addr::from(self.bits))?;
        } else {
            // The low 32 bits hold the address; `parse` put nothing above them.
            write!(f, "{}", Ipv4Addr::from(self.bits as u32))?;
        }
        if !self.is_host() {
            write!(f, "/{}", self.prefix)?;
        }
        Ok(())
    }
}

/// The fewest blocks that cover exactly the addresses of `nets`: overlapping and adjacent blocks
/// are merged. IPv4 blocks come first, each family sorted by address.
pub fn merge(nets: &[IpNet]) -> Vec<IpNet> {
    let mut out = Vec::new();
    for v6 in [false, true] {
        let mut ranges: Vec<(u128, u128)> =
            nets.iter().filter(|n| n.v6 == v6).map(IpNet::range).collect();
        ranges.sort_unstable();
        let mut merged: Vec<(u128, u128)> = Vec::with_capacity(ranges.len());
        for (start, end) in ranges {
            match merged.last_mut() {
                Some(last) if start <= last.1.saturating_add(1) => last.1 = last.1.max(end),
                _ => merged.push((start, end)),
            }
        }
        let width = if v6 { 128 } else { 32 };
        for (start, end) in merged {
            range_to_cidrs(start, end, width, v6, &mut out);
        }
    }
    out
}

/// Splits `start..=end` into aligned blocks, largest first.
fn range_to_cidrs(mut start: u128, end: u128, width: u8, v6: bool, out: &mut Vec<IpNet>) {
    loop {
        // The largest block that starts at `start` (alignment) and does not pass `end`.
        let align = if start == 0 {
            u32::from(width)
        } else {
            start.trailing_zeros().min(u32::from(width))
        };
        let span = end - start;
        let fits = if span == u128::MAX { 128 } else { 127 - (span + 1).leading_zeros() };
        let host_bits = align.min(fits);
        // `host_bits <= width <= 128`, so the prefix fits in a u8.
        out.push(IpNet { v6, bits: start, prefix: width - host_bits as u8 });
        let size_minus_one = if host_bits == 128 { u128::MAX } else { (1u128 << host_bits) - 1 };
        match start.checked_add(size_minus_one) {
            Some(last) if last < end => start = last + 1,
            _ => return,
        }
    }
}

fn full(width: u8) -> u128 {
    if width == 128 { u128::MAX } else { (1u128 << width) - 1 }
}

fn mask(width: u8, prefix: u8) -> u128 {
    let host = width - prefix;
    if host >= 128 { 0 } else { full(width) & !((1u128 << host) - 1) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(input: &[&str]) -> String {
        let nets: Vec<IpNet> = input.iter().map(|t| IpNet::parse(t).unwrap()).collect();
        merge(&nets).iter().map(ToString::to_string).collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn parse_normalises() {
        assert_eq!(IpNet::parse("198.51.100.7/24").unwrap().to_string(), "198.51.100.0/24");
        assert_eq!(IpNet::parse("2001:DB8::1/32").unwrap().to_string(), "2001:db8::/32");
        assert_eq!(IpNet::parse("203.0.113.9").unwrap().to_string(), "203.0.113.9");
        for bad in ["1.2.3.4/33", "1.2.3/8", "1.2.3.4/", "::/129", "x", "1.2.3.4/0024"] {
            assert_eq!(IpNet::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn merging() {
        assert_eq!(check(&["198.51.100.0/25", "198.51.100.128/25"]), "198.51.100.0/24");
        assert_eq!(
            check(&["198.51.100.7", "198.51.100.0/24", "10.0.0.1"]),
            "10.0.0.1 198.51.100.0/24"
        );
        assert_eq!(check(&["10.0.0.1", "10.0.0.2"]), "10.0.0.1 10.0.0.2");
        assert_eq!(check(&["10.0.0.2", "10.0.0.3", "10.0.0.1"]), "10.0.0.1 10.0.0.2/31");
        assert_eq!(check(&["0.0.0.0/1", "128.0.0.0/1"]), "0.0.0.0/0");
        assert_eq!(check(&["::/1", "8000::/1", "1.2.3.4"]), "1.2.3.4 ::/0");
        assert_eq!(check(&["2001:db8::/33", "2001:db8:8000::/33"]), "2001:db8::/32");
        assert_eq!(check(&["255.255.255.255", "255.255.255.254"]), "255.255.255.254/31");
    }

    #[test]
    fn overlap() {
        let net = |t| IpNet::parse(t).unwrap();
        assert!(net("8.0.0.0/8").overlaps(&net("8.8.8.8")));
        assert!(net("8.8.8.8").overlaps(&net("8.0.0.0/8")));
        assert!(!net("9.0.0.0/8").overlaps(&net("8.8.8.8")));
        assert!(!net("::/0").overlaps(&net("8.8.8.8")));
    }
}
