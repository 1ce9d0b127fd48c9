//! Observables: the plain values that enforcement formats act on (domains, IP blocks, URLs,
//! email addresses, file hashes), each checked once so that writers can put them into zone
//! files, rules and sets without escaping surprises.

use std::fmt;

use crate::ipnet::IpNet;

/// One checked indicator value.
///
/// Domains are lower case without a trailing dot; IP blocks have their host bits cleared; hashes
/// are lower-case hex of the algorithm's length; URLs and email addresses hold no whitespace or
/// control characters.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Observable {
    /// A domain name (`domain-name:value`).
    Domain(String),
    /// An IPv4 or IPv6 address or CIDR block.
    Ip(IpNet),
    /// A URL (`url:value`).
    Url(String),
    /// An email address (`email-addr:value`).
    Email(String),
    /// A file hash (`file:hashes.<algorithm>`).
    Hash(HashAlgorithm, String),
}

/// The kinds of [`Observable`], for filtering (`--type` on plain lists).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// Domain names.
    Domain,
    /// IPv4 addresses and blocks.
    Ipv4,
    /// IPv6 addresses and blocks.
    Ipv6,
    /// URLs.
    Url,
    /// Email addresses.
    Email,
    /// File hashes of any algorithm.
    Hash,
}

/// The hash algorithms enforcement formats know, with their STIX 2.1 names (§10.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HashAlgorithm {
    /// `MD5`, 32 hex digits.
    Md5,
    /// `SHA-1`, 40 hex digits.
    Sha1,
    /// `SHA-256`, 64 hex digits.
    Sha256,
    /// `SHA-512`, 128 hex digits.
    Sha512,
}

impl HashAlgorithm {
    /// All of them.
    pub const ALL: [HashAlgorithm; 4] =
        [HashAlgorithm::Md5, HashAlgorithm::Sha1, HashAlgorithm::Sha256, HashAlgorithm::Sha512];

    /// The STIX hashing-algorithm-ov name, e.g. `SHA-256`.
    pub fn stix_name(self) -> &'static str {
        match self {
            HashAlgorithm::Md5 => "MD5",
            HashAlgorithm::Sha1 => "SHA-1",
            HashAlgorithm::Sha256 => "SHA-256",
            HashAlgorithm::Sha512 => "SHA-512",
        }
    }

    /// The MISP attribute type, e.g. `sha256`.
    pub fn misp_type(self) -> &'static str {
        match self {
            HashAlgorithm::Md5 => "md5",
            HashAlgorithm::Sha1 => "sha1",
            HashAlgorithm::Sha256 => "sha256",
            HashAlgorithm::Sha512 => "sha512",
        }
    }

    /// The number of hex digits.
    pub fn hex_len(self) -> usize {
        match self {
            HashAlgorithm::Md5 => 32,
            HashAlgorithm::Sha1 => 40,
            HashAlgorithm::Sha256 => 64,
            HashAlgorithm::Sha512 => 128,
        }
    }

    /// The algorithm for a STIX name (`SHA-256`, also `SHA256` and any case), if known.
    pub fn from_stix_name(name: &str) -> Option<HashAlgorithm> {
        let normal: String =
            name.chars().filter(|c| *c != '-').collect::<String>().to_ascii_uppercase();
        match normal.as_str() {
            "MD5" => Some(HashAlgorithm::Md5),
            "SHA1" => Some(HashAlgorithm::Sha1),
            "SHA256" => Some(HashAlgorithm::Sha256),
            "SHA512" => Some(HashAlgorithm::Sha512),
            _ => None,
        }
    }

    /// The algorithm whose hex length is `len`, if exactly one has it.
    pub fn from_hex_len(len: usize) -> Option<HashAlgorithm> {
        HashAlgorithm::ALL.into_iter().find(|a| a.hex_len() == len)
    }
}

impl Observable {
    /// A domain name, lower-cased, without a trailing dot.
    ///
    /// # Errors
    /// The reason when `text` is not a host name: labels of 1 to 63 letters, digits, `-` or `_`,
    /// not starting or ending with `-`, at most 253 characters.
    pub fn domain(text: &str) -> Result<Observable, String> {
        let lower = text.strip_suffix('.').unwrap_or(text).to_ascii_lowercase();
        if is_domain(&lower) {
            Ok(Observable::Domain(lower))
        } else {
            Err(format!("`{}` is not a valid domain name", printable(text)))
        }
    }

    /// An IPv4 or IPv6 address or CIDR block.
    ///
    /// # Errors
    /// The reason when `text` is neither.
    pub fn ip(text: &str) -> Result<Observable, String> {
        IpNet::parse(text.trim())
            .map(Observable::Ip)
            .ok_or_else(|| format!("`{}` is not a valid IP address or CIDR block", printable(text)))
    }

    /// A URL with a scheme and a host.
    ///
    /// # Errors
    /// The reason when `text` has no `scheme://host`, or holds whitespace or control characters.
    pub fn url(text: &str) -> Result<Observable, String> {
        if url_host(text).is_some() && !text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            Ok(Observable::Url(text.to_owned()))
        } else {
            Err(format!("`{}` is not a valid URL", printable(text)))
        }
    }

    /// An email address `local@domain`.
    ///
    /// # Errors
    /// The reason when `text` has no `@`, a bad domain, or whitespace and control characters.
    pub fn email(text: &str) -> Result<Observable, String> {
        let ok = text.rsplit_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && local.len() <= 64
                && !local.chars().any(|c| c.is_whitespace() || c.is_control() || c == '@')
                && is_domain(&domain.to_ascii_lowercase())
                && domain.contains('.')
        });
        if ok {
            Ok(Observable::Email(text.to_owned()))
        } else {
            Err(format!("`{}` is not a valid email address", printable(text)))
        }
    }

    /// A hash of `algorithm`, lower-cased.
    ///
    /// # Errors
    /// The reason when `text` is not hex of the algorithm's length.
    pub fn hash(algorithm: HashAlgorithm, text: &str) -> Result<Observable, String> {
        let text = text.trim();
        if text.len() == algorithm.hex_len() && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(Observable::Hash(algorithm, text.to_ascii_lowercase()))
        } else {
            Err(format!(
                "`{}` is not a {} hash ({} hex digits)",
                printable(text),
                algorithm.stix_name(),
                algorithm.hex_len()
            ))
        }
    }

    /// The observable an IOC extracted from a STIX pattern stands for.
    ///
    /// # Errors
    /// The reason when the value does not pass the checks of its kind, or the hash algorithm is
    /// not one enforcement formats know.
    pub fn from_ioc(ioc: &pattern::Ioc) -> Result<Observable, String> {
        match ioc {
            pattern::Ioc::Domain(v) => Observable::domain(v),
            pattern::Ioc::Ipv4(v) | pattern::Ioc::Ipv6(v) => Observable::ip(v),
            pattern::Ioc::Url(v) => Observable::url(v),
            pattern::Ioc::Email(v) => Observable::email(v),
            pattern::Ioc::Hash { algorithm, value } => {
                let Some(algorithm) = HashAlgorithm::from_stix_name(algorithm) else {
                    return Err(format!(
                        "hash algorithm `{}` is not supported",
                        printable(algorithm)
                    ));
                };
                Observable::hash(algorithm, value)
            }
        }
    }

    /// The kind.
    pub fn kind(&self) -> Kind {
        match self {
            Observable::Domain(_) => Kind::Domain,
            Observable::Ip(net) if net.is_v6() => Kind::Ipv6,
            Observable::Ip(_) => Kind::Ipv4,
            Observable::Url(_) => Kind::Url,
            Observable::Email(_) => Kind::Email,
            Observable::Hash(..) => Kind::Hash,
        }
    }

    /// The STIX pattern that matches this observable (STIX 2.1 §9).
    pub fn pattern(&self) -> String {
        let (path, value) = match self {
            Observable::Domain(v) => ("domain-name:value".to_owned(), v.clone()),
            Observable::Ip(net) if net.is_v6() => ("ipv6-addr:value".to_owned(), net.to_string()),
            Observable::Ip(net) => ("ipv4-addr:value".to_owned(), net.to_string()),
            Observable::Url(v) => ("url:value".to_owned(), v.clone()),
            Observable::Email(v) => ("email-addr:value".to_owned(), v.clone()),
            Observable::Hash(a, v) => (format!("file:hashes.'{}'", a.stix_name()), v.clone()),
        };
        format!("[{path} = '{}']", escape_pattern_string(&value))
    }

    /// The MISP attribute type for this observable as a destination (`ip-dst`, `domain`, ...).
    pub fn misp_type(&self) -> &'static str {
        match self {
            Observable::Domain(_) => "domain",
            Observable::Ip(_) => "ip-dst",
            Observable::Url(_) => "url",
            Observable::Email(_) => "email",
            Observable::Hash(a, _) => a.misp_type(),
        }
    }
}

impl fmt::Display for Observable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Observable::Domain(v) | Observable::Url(v) | Observable::Email(v) => f.write_str(v),
            Observable::Hash(_, v) => f.write_str(v),
            Observable::Ip(net) => write!(f, "{net}"),
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Domain => "domain",
            Kind::Ipv4 => "ipv4",
            Kind::Ipv6 => "ipv6",
            Kind::Url => "url",
            Kind::Email => "email",
            Kind::Hash => "hash",
        })
    }
}

/// Escapes a value for a STIX pattern string literal: `\` and `'` get a backslash (STIX 2.1 §9.2).
pub fn escape_pattern_string(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if c == '\\' || c == '\'' {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Whether `name` (already lower case, no trailing dot) is a host name that DNS tools accept:
/// labels of 1 to 63 characters of `a-z`, `0-9`, `-` and `_`, no label starting or ending with
/// `-`, 253 characters at most.
pub(crate) fn is_domain(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        })
}

/// The host of `scheme://host[:port]/...`, lower-cased, when there is one.
pub(crate) fn url_host(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    if scheme.is_empty()
        || !scheme.bytes().all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
    {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next()?;
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split_once(']')?.0
    } else {
        host_port.split(':').next()?
    };
    let host = host.to_ascii_lowercase();
    (is_domain(&host) || IpNet::parse(&host).is_some()).then_some(host)
}

/// `text` shortened to 200 characters with control characters shown escaped, for messages.
pub(crate) fn printable(text: &str) -> String {
    let mut out: String = text.chars().take(200).flat_map(char::escape_debug).collect();
    if text.chars().count() > 200 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks() {
        assert_eq!(Observable::domain("Evil.Example.").unwrap().to_string(), "evil.example");
        assert!(Observable::domain("evil example").is_err());
        assert!(Observable::domain("-a.example").is_err());
        assert!(Observable::domain("a..example").is_err());
        assert!(Observable::url("http://evil.example/x?y").is_ok());
        assert!(Observable::url("http://evil.example/\nx").is_err());
        assert!(Observable::url("evil.example/x").is_err());
        assert!(Observable::email("a@b.example").is_ok());
        assert!(Observable::email("a@b").is_err());
        assert!(Observable::hash(HashAlgorithm::Md5, "D41D8CD98F00B204E9800998ECF8427E").is_ok());
        assert!(Observable::hash(HashAlgorithm::Md5, "d41d8cd98f00b204e9800998ecf8427").is_err());
    }

    #[test]
    fn patterns_parse_back() {
        let cases = [
            Observable::domain("evil.example").unwrap(),
            Observable::ip("2001:db8::/32").unwrap(),
            Observable::url("http://evil.example/it's\\here").unwrap(),
            Observable::hash(HashAlgorithm::Sha256, &"a".repeat(64)).unwrap(),
        ];
        for observable in cases {
            let parsed = pattern::parse(&observable.pattern()).unwrap();
            let iocs = pattern::extract_iocs(&parsed).unwrap();
            assert_eq!(Observable::from_ioc(&iocs[0]).unwrap(), observable);
        }
    }

    #[test]
    fn url_hosts() {
        assert_eq!(url_host("https://User@Evil.Example:8443/a").as_deref(), Some("evil.example"));
        assert_eq!(url_host("http://[2001:db8::1]:80/").as_deref(), Some("2001:db8::1"));
        assert_eq!(url_host("mailto:a@b.example"), None);
    }
}
