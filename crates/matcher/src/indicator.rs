//! One indicator: a kind and a normalised value, with the STIX indicator it came from.

use std::fmt;
use std::str::FromStr;

use crate::error::Error;
use crate::ipnet::{self, Ip};
use crate::refang::refang;
use crate::{domain, url};

/// Values longer than this are not indicators (the longest URLs in real feeds are far shorter).
pub const MAX_VALUE_BYTES: usize = 4096;

/// What an indicator's value is. Alphabetical.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Kind {
    /// A domain name; matches itself and every subdomain.
    Domain,
    /// An email address.
    Email,
    /// An IPv4 address or CIDR block.
    Ipv4,
    /// An IPv6 address or CIDR block.
    Ipv6,
    /// An MD5 file hash.
    Md5,
    /// A SHA-1 file hash.
    Sha1,
    /// A SHA-256 file hash.
    Sha256,
    /// A SHA-512 file hash.
    Sha512,
    /// A URL.
    Url,
}

impl Kind {
    /// Every kind, in order.
    pub const ALL: [Kind; 9] = [
        Kind::Domain,
        Kind::Email,
        Kind::Ipv4,
        Kind::Ipv6,
        Kind::Md5,
        Kind::Sha1,
        Kind::Sha256,
        Kind::Sha512,
        Kind::Url,
    ];

    /// The short name used in output: `domain`, `email`, `ipv4`, `ipv6`, `md5`, `sha1`, `sha256`,
    /// `sha512`, `url`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Domain => "domain",
            Kind::Email => "email",
            Kind::Ipv4 => "ipv4",
            Kind::Ipv6 => "ipv6",
            Kind::Md5 => "md5",
            Kind::Sha1 => "sha1",
            Kind::Sha256 => "sha256",
            Kind::Sha512 => "sha512",
            Kind::Url => "url",
        }
    }

    /// The hash kind for a hex digest of `len` characters.
    pub(crate) fn hash_of_len(len: usize) -> Option<Kind> {
        match len {
            32 => Some(Kind::Md5),
            40 => Some(Kind::Sha1),
            64 => Some(Kind::Sha256),
            128 => Some(Kind::Sha512),
            _ => None,
        }
    }

    pub(crate) fn code(self) -> u8 {
        // `as u8`: a fieldless enum's discriminant.
        self as u8
    }

    pub(crate) fn from_code(code: u8) -> Option<Kind> {
        Kind::ALL.get(usize::from(code)).copied()
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Kind {
    type Err = String;

    /// Accepts the short names, the STIX object types (`domain-name`, `ipv4-addr`, …), the STIX
    /// hash names (`SHA-256`) and the common MISP attribute types (`hostname`, `ip-dst`, …).
    fn from_str(text: &str) -> Result<Kind, String> {
        let lower = text.to_ascii_lowercase();
        Ok(match lower.as_str() {
            "domain" | "domain-name" | "hostname" | "fqdn" => Kind::Domain,
            "email" | "email-addr" | "email-src" | "email-dst" => Kind::Email,
            "ipv4" | "ipv4-addr" | "ip" | "ip-src" | "ip-dst" | "cidr" => Kind::Ipv4,
            "ipv6" | "ipv6-addr" => Kind::Ipv6,
            "md5" => Kind::Md5,
            "sha1" | "sha-1" => Kind::Sha1,
            "sha256" | "sha-256" => Kind::Sha256,
            "sha512" | "sha-512" => Kind::Sha512,
            "url" | "uri" | "link" => Kind::Url,
            _ => return Err(format!("unknown indicator type {text:?}")),
        })
    }
}

/// An indicator ready to be compiled: its kind, its normalised value and, when it came from STIX
/// (or MISP), the UUID of its `indicator` object.
///
/// ```
/// use matcher::{Indicator, Kind};
/// let indicator = Indicator::parse("hxxps://Evil[.]EXAMPLE:443/a/").unwrap();
/// assert_eq!((indicator.kind(), indicator.value()), (Kind::Url, "https://evil.example/a"));
/// assert_eq!(Indicator::parse("198.51.100.7/24").unwrap().value(), "198.51.100.0/24");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Indicator {
    kind: Kind,
    value: String,
    id: Option<uuid::Uuid>,
}

impl Indicator {
    /// Parses a value of any kind, recognising which kind it is. Defanged forms are accepted. A
    /// value with a `/` after a host but no scheme is taken as an `http://` URL.
    pub fn parse(text: &str) -> Result<Indicator, Error> {
        let refanged = refang(text.trim());
        let value = refanged.trim();
        if value.is_empty() {
            return Err(Error::indicator(text, "empty value"));
        }
        let kind = if value.contains("://") {
            Kind::Url
        } else if let Some(net) = ipnet::parse_net(value) {
            return Ok(Indicator::from_net(net));
        } else if value.contains('@') {
            Kind::Email
        } else if let Some(kind) = hex_kind(value) {
            kind
        } else if let Some((host, _)) = value.split_once('/') {
            if ipnet::parse_ip(host.as_bytes()).is_none() && !domain::looks_like_domain(host) {
                return Err(Error::indicator(text, "not a recognised indicator"));
            }
            return Indicator::parse_as(Kind::Url, &format!("http://{value}"));
        } else if let Ok(name) = domain::normalize(value) {
            // Normalised once here, not again in `parse_as`.
            if !domain::looks_like_normalized(&name) && value.is_ascii() {
                return Err(Error::indicator(text, "not a recognised indicator"));
            }
            return Ok(Indicator { kind: Kind::Domain, value: name, id: None });
        } else if !value.is_ascii() {
            Kind::Domain
        } else {
            return Err(Error::indicator(text, "not a recognised indicator"));
        };
        Indicator::parse_as(kind, value)
    }

    /// Parses a value of a known kind. Defanged forms are accepted. An IP value of the other
    /// family than `kind` says takes the kind of its family.
    pub fn parse_as(kind: Kind, text: &str) -> Result<Indicator, Error> {
        let refanged = refang(text.trim());
        let value = refanged.trim();
        if value.len() > MAX_VALUE_BYTES {
            return Err(Error::indicator(text, "value longer than 4096 bytes"));
        }
        let normalised = match kind {
            Kind::Domain => domain::normalize(value).map_err(|r| Error::indicator(text, r))?,
            Kind::Email => normalize_email(value).map_err(|r| Error::indicator(text, r))?,
            Kind::Ipv4 | Kind::Ipv6 => {
                let net = ipnet::parse_net(value)
                    .ok_or_else(|| Error::indicator(text, "not an IP address or CIDR block"))?;
                return Ok(Indicator::from_net(net));
            }
            Kind::Md5 | Kind::Sha1 | Kind::Sha256 | Kind::Sha512 => {
                if hex_kind(value) != Some(kind) {
                    return Err(Error::indicator(text, "not a hex digest of the hash's length"));
                }
                value.to_ascii_lowercase()
            }
            Kind::Url => {
                let mut out = String::with_capacity(value.len() + 1);
                url::normalize_into(value, &mut out).map_err(|r| Error::indicator(text, r))?;
                out
            }
        };
        Ok(Indicator { kind, value: normalised, id: None })
    }

    /// This indicator, attributed to the STIX `indicator` object `indicator--<id>`.
    pub fn with_id(mut self, id: uuid::Uuid) -> Indicator {
        self.id = Some(id);
        self
    }

    /// The kind.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The normalised value: what log values are compared with.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// The UUID of the STIX indicator this came from, if any.
    pub fn id(&self) -> Option<uuid::Uuid> {
        self.id
    }

    fn from_net(net: ipnet::Net) -> Indicator {
        let kind = match net.ip {
            Ip::V4(_) => Kind::Ipv4,
            Ip::V6(_) => Kind::Ipv6,
        };
        Indicator { kind, value: net.canonical(), id: None }
    }
}

impl fmt::Display for Indicator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind, self.value)
    }
}

/// The hash kind of a hex digest, by its length.
pub(crate) fn hex_kind(value: &str) -> Option<Kind> {
    Kind::hash_of_len(value.len()).filter(|_| value.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// An email address in lower case, its domain in IDNA A-label form. The local part is folded too:
/// strictly it is case-sensitive (RFC 5321 §2.4), but no mail system in use treats it so.
pub(crate) fn normalize_email(value: &str) -> Result<String, &'static str> {
    let value = value.trim_start_matches("mailto:").trim_matches(['<', '>']);
    let (local, host) = value.rsplit_once('@').ok_or("no `@` in email address")?;
    if local.is_empty() || local.len() > 64 {
        return Err("bad local part in email address");
    }
    if local.bytes().any(|b| b.is_ascii_whitespace() || b.is_ascii_control() || b == b'@') {
        return Err("bad character in email address");
    }
    let host = domain::normalize(host)?;
    Ok(format!("{}@{host}", local.to_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(text: &str) -> String {
        match Indicator::parse(text) {
            Ok(indicator) => indicator.to_string(),
            Err(error) => error.to_string(),
        }
    }

    #[test]
    fn detection() {
        assert_eq!(check("Evil.Example."), "domain:evil.example");
        assert_eq!(check("evil[.]example"), "domain:evil.example");
        assert_eq!(check("bücher.example"), "domain:xn--bcher-kva.example");
        assert_eq!(check("198.51.100[.]7"), "ipv4:198.51.100.7");
        assert_eq!(check("198.51.100.0/24"), "ipv4:198.51.100.0/24");
        assert_eq!(check("2001:DB8::1"), "ipv6:2001:db8::1");
        assert_eq!(check("2001:db8::/32"), "ipv6:2001:db8::/32");
        assert_eq!(check("hxxp://evil[.]example/x/"), "url:http://evil.example/x");
        assert_eq!(check("evil.example/login.php"), "url:http://evil.example/login.php");
        assert_eq!(check("User[@]Evil[.]Example"), "email:user@evil.example");
        assert_eq!(
            check("D41D8CD98F00B204E9800998ECF8427E"),
            "md5:d41d8cd98f00b204e9800998ecf8427e"
        );
        assert_eq!(
            check("da39a3ee5e6b4b0d3255bfef95601890afd80709"),
            "sha1:da39a3ee5e6b4b0d3255bfef95601890afd80709"
        );
        assert_eq!(
            check("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn rejects() {
        assert_eq!(check(""), "not an indicator: \"\": empty value");
        assert_eq!(
            check("localhost"),
            "not an indicator: \"localhost\": not a recognised indicator"
        );
        assert_eq!(check("1.2.3"), "not an indicator: \"1.2.3\": not a recognised indicator");
        assert_eq!(
            check("@evil.example"),
            "not an indicator: \"@evil.example\": bad local part in email address"
        );
        assert_eq!(
            check("just words/here"),
            "not an indicator: \"just words/here\": not a recognised indicator"
        );
        let error = Indicator::parse_as(Kind::Sha256, "abcd").unwrap_err().to_string();
        assert_eq!(error, "not an indicator: \"abcd\": not a hex digest of the hash's length");
    }

    #[test]
    fn kinds_by_name() {
        assert_eq!("domain-name".parse::<Kind>(), Ok(Kind::Domain));
        assert_eq!("SHA-256".parse::<Kind>(), Ok(Kind::Sha256));
        assert_eq!("ip-dst".parse::<Kind>(), Ok(Kind::Ipv4));
        assert!("x509".parse::<Kind>().is_err());
        for kind in Kind::ALL {
            assert_eq!(Kind::from_code(kind.code()), Some(kind));
            assert_eq!(kind.as_str().parse::<Kind>(), Ok(kind));
        }
    }
}
