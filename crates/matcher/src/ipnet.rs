//! IPv4 and IPv6 addresses and CIDR blocks: strict, allocation-free parsing of log values, and
//! canonical text for indicators.

use std::net::Ipv6Addr;

/// An address, IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`, RFC 4291 §2.5.5.2) folded to IPv4 so
/// that one indicator matches both spellings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Ip {
    V4(u32),
    V6(u128),
}

/// A CIDR block with its host bits cleared. A single address is a block of 32 or 128 bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Net {
    pub(crate) ip: Ip,
    pub(crate) prefix: u8,
}

impl Ip {
    /// The address as a 128-bit number and its width in bits.
    pub(crate) fn bits(self) -> (u128, u8) {
        match self {
            Ip::V4(a) => (u128::from(a), 32),
            Ip::V6(a) => (a, 128),
        }
    }
}

impl Net {
    /// The first and last address of the block.
    pub(crate) fn range(self) -> (u128, u128) {
        let (bits, width) = self.ip.bits();
        let host = u32::from(width - self.prefix);
        let mask = if host >= 128 { u128::MAX } else { (1u128 << host) - 1 };
        (bits & !mask, (bits & !mask) | mask)
    }

    /// Whether this is a single address.
    pub(crate) fn is_host(self) -> bool {
        self.prefix == self.ip.bits().1
    }

    /// The canonical text: dotted quad or RFC 5952 IPv6, `/prefix` unless a single address.
    pub(crate) fn canonical(self) -> String {
        let mut text = String::with_capacity(20);
        match self.ip {
            // Written by hand: `Ipv4Addr`'s `Display` goes through the formatting machinery,
            // which was a tenth of compiling a list of a million addresses.
            Ip::V4(a) => {
                for (i, octet) in a.to_be_bytes().into_iter().enumerate() {
                    if i > 0 {
                        text.push('.');
                    }
                    push_decimal(&mut text, octet);
                }
            }
            Ip::V6(a) => text = Ipv6Addr::from(a).to_string(),
        }
        if !self.is_host() {
            text.push('/');
            push_decimal(&mut text, self.prefix);
        }
        text
    }
}

/// Appends `n` in decimal.
fn push_decimal(text: &mut String, n: u8) {
    if n >= 100 {
        text.push(char::from(b'0' + n / 100));
    }
    if n >= 10 {
        text.push(char::from(b'0' + n / 10 % 10));
    }
    text.push(char::from(b'0' + n % 10));
}

/// Parses an address: a dotted quad (no leading zeros, which some stacks read as octal) or any
/// IPv6 form, with an optional `%zone` and optional surrounding `[]`.
#[inline]
pub(crate) fn parse_ip(text: &[u8]) -> Option<Ip> {
    if let Some(v4) = parse_v4(text) {
        return Some(Ip::V4(v4));
    }
    if !text.contains(&b':') {
        return None;
    }
    let text = match text {
        [b'[', inner @ .., b']'] => inner,
        _ => text,
    };
    let text = match memchr::memchr(b'%', text) {
        Some(zone) => &text[..zone],
        None => text,
    };
    let address: Ipv6Addr = std::str::from_utf8(text).ok()?.parse().ok()?;
    Some(fold_mapped(u128::from(address)))
}

/// Parses an address or a CIDR block (`a.b.c.d/n`, `x::/n`), clearing host bits.
pub(crate) fn parse_net(text: &str) -> Option<Net> {
    let (address, prefix) = match text.split_once('/') {
        Some((address, prefix)) => {
            if prefix.is_empty() || prefix.len() > 3 || !prefix.bytes().all(|b| b.is_ascii_digit())
            {
                return None;
            }
            (address, Some(prefix.parse::<u8>().ok()?))
        }
        None => (text, None),
    };
    let mut ip = parse_ip(address.as_bytes())?;
    let mut prefix = prefix.unwrap_or(ip.bits().1);
    // `::ffff:0:0/104` is IPv4's `0.0.0.0/8`: shift mapped prefixes into IPv4 terms.
    if matches!(ip, Ip::V4(_)) && address.contains(':') {
        if prefix < 96 {
            // A block wider than the mapped range: keep it as IPv6.
            let Ip::V4(a) = ip else { return None };
            ip = Ip::V6(0xffff_0000_0000 | u128::from(a));
        } else {
            prefix -= 96;
        }
    }
    if prefix > ip.bits().1 {
        return None;
    }
    let mut net = Net { ip, prefix };
    let (first, _) = net.range();
    net.ip = match ip {
        // `as u32`: the first address of an IPv4 block fits in 32 bits.
        Ip::V4(_) => Ip::V4(first as u32),
        Ip::V6(_) => Ip::V6(first),
    };
    Some(net)
}

/// A strict dotted quad, parsed from bytes without allocating.
#[inline]
pub(crate) fn parse_v4(text: &[u8]) -> Option<u32> {
    if text.len() < 7 || text.len() > 15 {
        return None;
    }
    let mut value: u32 = 0;
    let mut octets = 0;
    let mut octet: u32 = 0;
    let mut digits = 0;
    for &b in text {
        match b {
            b'0'..=b'9' => {
                if digits == 1 && octet == 0 {
                    return None; // a leading zero
                }
                octet = octet * 10 + u32::from(b - b'0');
                digits += 1;
                if octet > 255 {
                    return None;
                }
            }
            b'.' => {
                if digits == 0 || octets == 3 {
                    return None;
                }
                value = value << 8 | octet;
                octets += 1;
                octet = 0;
                digits = 0;
            }
            _ => return None,
        }
    }
    if digits == 0 || octets != 3 {
        return None;
    }
    Some(value << 8 | octet)
}

fn fold_mapped(address: u128) -> Ip {
    if address >> 32 == 0xffff {
        // `as u32`: the low 32 bits of a mapped address are the IPv4 address.
        Ip::V4(address as u32)
    } else {
        Ip::V6(address)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn net(text: &str) -> String {
        parse_net(text).map_or_else(|| "invalid".to_owned(), Net::canonical)
    }

    #[test]
    fn ipv4_strict() {
        assert_eq!(parse_v4(b"198.51.100.7"), Some(0xC633_6407));
        assert_eq!(parse_v4(b"0.0.0.0"), Some(0));
        assert_eq!(parse_v4(b"255.255.255.255"), Some(u32::MAX));
        for bad in
            ["256.1.1.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1..2.3", "1.2.3.4.", "a.b.c.d", ""]
        {
            assert_eq!(parse_v4(bad.as_bytes()), None, "{bad}");
        }
    }

    proptest::proptest! {
        /// Dotted quads are read as the standard library reads them (it also refuses leading
        /// zeros), whatever the bytes.
        #[test]
        fn ipv4_like_std(text in "[0-9.]{0,16}|[0-9]{1,3}(\\.[0-9]{1,4}){3}|[0-9a.x/ ]{5,15}") {
            let std = text.parse::<std::net::Ipv4Addr>().ok().map(u32::from);
            proptest::prop_assert_eq!(parse_v4(text.as_bytes()), std);
        }
    }

    #[test]
    fn ipv6_forms() {
        let expected = Some(Ip::V6(0x2001_0db8_0000_0000_0000_0000_0000_0001));
        for form in [
            "2001:db8::1",
            "2001:DB8:0:0:0:0:0:1",
            "2001:0db8::0001",
            "[2001:db8::1]",
            "2001:db8::1%eth0",
        ] {
            assert_eq!(parse_ip(form.as_bytes()), expected, "{form}");
        }
        assert_eq!(parse_ip(b"::ffff:198.51.100.7"), Some(Ip::V4(0xC633_6407)));
        assert_eq!(parse_ip(b"2001:db8::g"), None);
        assert_eq!(parse_ip(b"evil.example"), None);
    }

    #[test]
    fn cidr_canonical() {
        assert_eq!(net("198.51.100.7/24"), "198.51.100.0/24");
        assert_eq!(net("198.51.100.7/32"), "198.51.100.7");
        assert_eq!(net("0.0.0.0/0"), "0.0.0.0/0");
        assert_eq!(net("2001:DB8::1/32"), "2001:db8::/32");
        assert_eq!(net("::ffff:198.51.100.0/120"), "198.51.100.0/24");
        assert_eq!(net("::ffff:0:0/95"), "::fffe:0:0/95");
        assert_eq!(net("::ffff:0:0/96"), "0.0.0.0/0");
        assert_eq!(net("1.2.3.4/33"), "invalid");
        assert_eq!(net("1.2.3.4/"), "invalid");
        assert_eq!(net("1.2.3.4/+1"), "invalid");
        assert_eq!(net("::/129"), "invalid");
    }

    proptest::proptest! {
        #[test]
        fn canonical_ipv4_is_the_dotted_quad(address: u32, prefix in 0u8..=32) {
            let quad = std::net::Ipv4Addr::from(address).to_string();
            proptest::prop_assert_eq!(Net { ip: Ip::V4(address), prefix: 32 }.canonical(), quad.clone());
            let block = parse_net(&format!("{quad}/{prefix}")).unwrap();
            let first = std::net::Ipv4Addr::from(block.range().0 as u32);
            let expected = if prefix == 32 { quad } else { format!("{first}/{prefix}") };
            proptest::prop_assert_eq!(block.canonical(), expected);
        }
    }

    #[test]
    fn ranges() {
        let block = parse_net("198.51.100.0/24").unwrap();
        assert_eq!(block.range(), (0xC633_6400, 0xC633_64FF));
        assert_eq!(parse_net("::/0").unwrap().range(), (0, u128::MAX));
    }
}
