//! Syntax checks for the string formats STIX properties use: URIs (RFC 3986), host names
//! (RFC 1034/IDNA), IP addresses and CIDR blocks, MAC addresses, language tags (RFC 5646),
//! media types and character sets (IANA), CPE 2.3, base64, hash digests, CVE/CAPEC ids.

use std::net::{Ipv4Addr, Ipv6Addr};

/// An absolute URI per RFC 3986 §3 and §4.3: a scheme, `:`, and only characters URIs allow,
/// with well-formed percent escapes.
pub fn is_uri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else { return false };
    let scheme_ok = scheme.as_bytes().first().is_some_and(u8::is_ascii_alphabetic)
        && scheme.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    if !scheme_ok {
        return false;
    }
    let b = rest.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'%' {
            let ok = b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
            if !ok {
                return false;
            }
            i += 3;
            continue;
        }
        let allowed = c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b':'
                    | b'/'
                    | b'?'
                    | b'#'
                    | b'['
                    | b']'
                    | b'@'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
            );
        if !allowed {
            return false;
        }
        i += 1;
    }
    true
}

/// A host name: labels of 1-63 letters, digits or hyphens (any Unicode letter or digit, for
/// internationalised names), not starting or ending with a hyphen; at most 253 characters.
pub fn is_hostname(s: &str) -> bool {
    let s = s.strip_suffix('.').unwrap_or(s);
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
}

/// An IPv4 address in dotted-decimal form, optionally with a `/0`-`/32` prefix length.
pub fn is_ipv4_or_cidr(s: &str) -> bool {
    let (addr, prefix) = split_prefix(s);
    addr.parse::<Ipv4Addr>().is_ok()
        && prefix.is_none_or(|p| p.parse::<u8>().is_ok_and(|p| p <= 32) && !p.starts_with('+'))
}

/// An IPv6 address, optionally with a `/0`-`/128` prefix length.
pub fn is_ipv6_or_cidr(s: &str) -> bool {
    let (addr, prefix) = split_prefix(s);
    addr.parse::<Ipv6Addr>().is_ok()
        && prefix.is_none_or(|p| p.parse::<u8>().is_ok_and(|p| p <= 128) && !p.starts_with('+'))
}

fn split_prefix(s: &str) -> (&str, Option<&str>) {
    match s.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (s, None),
    }
}

/// A MAC address as STIX 2.1 §6.10 requires: six lower-case hex pairs separated by colons.
pub fn is_mac(s: &str) -> bool {
    let parts: Vec<&str> = s.split(':').collect();
    parts.len() == 6
        && parts.iter().all(|p| {
            p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        })
}

/// A language tag per RFC 5646 §2.1 (syntax only): a 2-3 letter primary language, then subtags of 1-8 letters or digits; `x-` private use and `i-` grandfathered
/// tags are accepted. ISO 639-2 three-letter codes fit the same syntax.
pub fn is_language_tag(s: &str) -> bool {
    let mut parts = s.split('-');
    let Some(first) = parts.next() else { return false };
    let first_ok = match first.len() {
        1 => first.eq_ignore_ascii_case("x") || first.eq_ignore_ascii_case("i"),
        // ISO 639 codes; RFC 5646 reserves 4-letter and allows 5-8-letter registered primary
        // subtags, but the IANA registry holds none, so they are not real languages.
        2 | 3 => first.bytes().all(|b| b.is_ascii_alphabetic()),
        _ => false,
    };
    let mut count = 0;
    let rest_ok = parts.all(|p| {
        count += 1;
        (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric())
    });
    first_ok && rest_ok && (first.len() > 1 || count > 0)
}

/// A media type `type/subtype` with a registered top-level type (RFC 6838 §4.2).
pub fn is_media_type(s: &str) -> bool {
    let Some((top, sub)) = s.split_once('/') else { return false };
    let top_ok = matches!(
        top,
        "application"
            | "audio"
            | "font"
            | "image"
            | "message"
            | "model"
            | "multipart"
            | "text"
            | "video"
    );
    top_ok
        && !sub.is_empty()
        && sub.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'+' | b'_' | b'-'))
}

/// A character set name as the IANA registry spells them (RFC 2978 §2.3 syntax).
pub fn is_charset_name(s: &str) -> bool {
    (2..=250).contains(&s.len())
        && s.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'/' | b'.' | b'+' | b'_' | b':' | b'-')
        })
}

/// A CPE 2.3 formatted string (NISTIR 7695 §6.2): `cpe:2.3:` then 11 colon-separated components,
/// the first being `a`, `o`, `h`, `*` or `-`.
pub fn is_cpe23(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("cpe:2.3:") else { return false };
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut escaped = false;
    for c in rest.chars() {
        if escaped {
            current.push(c);
            escaped = false;
        } else if c == '\\' {
            current.push(c);
            escaped = true;
        } else if c == ':' {
            parts.push(std::mem::take(&mut current));
        } else {
            current.push(c);
        }
    }
    parts.push(current);
    parts.len() == 11
        && matches!(parts[0].as_str(), "a" | "o" | "h" | "*" | "-")
        && parts.iter().all(|p| !p.is_empty() && !p.chars().any(char::is_whitespace))
}

/// Base64 per RFC 4648 §4, with padding.
pub fn is_base64(s: &str) -> bool {
    let b = s.as_bytes();
    if b.is_empty() || !b.len().is_multiple_of(4) {
        return false;
    }
    let pad = b.iter().rev().take_while(|&&c| c == b'=').count();
    pad <= 2
        && b[..b.len() - pad].iter().all(|&c| c.is_ascii_alphanumeric() || c == b'+' || c == b'/')
}

/// What is wrong with `digest` for the hash algorithm `name`, if anything (STIX 2.1 §10.10).
pub fn hash_problem(name: &str, digest: &str) -> Option<String> {
    let hex_len = match name {
        "MD5" => 32,
        "SHA-1" => 40,
        "SHA-256" | "SHA3-256" => 64,
        "SHA-512" | "SHA3-512" => 128,
        "SSDEEP" => {
            let ok = (1..=128).contains(&digest.len())
                && digest
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'+' | b':' | b'.'));
            return (!ok).then(|| format!("`{digest}` is not an SSDEEP fuzzy hash"));
        }
        "TLSH" => {
            let ok = digest.len() == 70 && digest.bytes().all(|b| b.is_ascii_alphanumeric());
            return (!ok).then(|| format!("`{digest}` is not a TLSH digest (70 characters)"));
        }
        _ => return None,
    };
    let ok = digest.len() == hex_len && digest.bytes().all(|b| b.is_ascii_hexdigit());
    (!ok).then(|| format!("`{digest}` is not a {name} digest ({hex_len} hex digits)"))
}

/// A CVE id: `CVE-YYYY-NNNN` with four or more digits.
pub fn is_cve_id(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("CVE-") else { return false };
    let Some((year, number)) = rest.split_once('-') else { return false };
    year.len() == 4
        && year.bytes().all(|b| b.is_ascii_digit())
        && number.len() >= 4
        && number.bytes().all(|b| b.is_ascii_digit())
        && (number.len() == 4 || !number.starts_with('0'))
}

/// A CAPEC id: `CAPEC-N`.
pub fn is_capec_id(s: &str) -> bool {
    s.strip_prefix("CAPEC-").is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// A socket option name (STIX 2.1 §6.12.4): `SO_*`, `IP_*`, `TCP_*` and so on, upper case.
pub fn is_socket_option(s: &str) -> bool {
    let mut parts = s.split('_');
    let prefix_ok = parts.next().is_some_and(|p| {
        matches!(p, "SO" | "ICMP" | "ICMP6" | "IP" | "IPV6" | "MCAST" | "TCP" | "IRLMP")
    });
    let mut n = 0;
    let rest_ok = parts.all(|p| {
        n += 1;
        !p.is_empty() && p.bytes().all(|b| b.is_ascii_uppercase())
    });
    prefix_ok && rest_ok && n > 0
}

/// A registry key that starts with an abbreviated hive name (STIX 2.1 §6.17 forbids them).
pub fn is_abbreviated_hive(key: &str) -> bool {
    let hive = key.split('\\').next().unwrap_or("");
    ["HKLM", "HKCC", "HKCR", "HKCU", "HKU"].iter().any(|h| hive.eq_ignore_ascii_case(h))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris() {
        assert!(is_uri("https://example.com/a?b=c#d"));
        assert!(is_uri("urn:isbn:0451450523"));
        assert!(is_uri("http://[2001:db8::1]:8080/%41"));
        assert!(!is_uri("example.com/path"));
        assert!(!is_uri("http://exa mple.com"));
        assert!(!is_uri("http://example.com/%4"));
        assert!(!is_uri("1http://x"));
    }

    #[test]
    fn addresses() {
        assert!(is_ipv4_or_cidr("198.51.100.0/24"));
        assert!(!is_ipv4_or_cidr("198.51.100.0/33"));
        assert!(!is_ipv4_or_cidr("198.51.100.01"));
        assert!(is_ipv6_or_cidr("2001:db8::/32"));
        assert!(!is_ipv6_or_cidr("2001:db8::/129"));
        assert!(is_mac("d2:fb:49:24:37:18"));
        assert!(!is_mac("D2:FB:49:24:37:18"));
        assert!(!is_mac("d2-fb-49-24-37-18"));
    }

    #[test]
    fn names_and_codes() {
        assert!(
            is_hostname("example.com")
                && is_hostname("bücher.example")
                && is_hostname("xn--bcher-kva.example")
        );
        assert!(!is_hostname("exa_mple.com") && !is_hostname("-bad-.com") && !is_hostname("a..b"));
        assert!(
            is_language_tag("en")
                && is_language_tag("en-US")
                && is_language_tag("sr-Latn-RS")
                && is_language_tag("eng")
        );
        assert!(
            !is_language_tag("toolonglang")
                && !is_language_tag("en_US")
                && !is_language_tag("")
                && !is_language_tag("e")
        );
        assert!(is_cpe23("cpe:2.3:a:microsoft:word:2000:*:*:*:*:*:*:*"));
        assert!(!is_cpe23("cpe:/a:microsoft:word:2000"));
        assert!(
            is_cve_id("CVE-2021-44228")
                && is_cve_id("CVE-2014-0160")
                && !is_cve_id("CVE-2014-01601")
        );
        assert!(is_base64("aGVsbG8=") && !is_base64("aGVsbG8") && !is_base64("a=bc"));
        assert!(hash_problem("MD5", "3773a88f65a5e780c8dff9cdc3a056f3").is_none());
        assert!(hash_problem("SHA-256", "abc").is_some());
        assert!(
            is_abbreviated_hive("HKLM\\Software")
                && !is_abbreviated_hive("HKEY_LOCAL_MACHINE\\HKU")
        );
    }
}
