//! What a log field holds, and so how its values are looked up: decided once per column (Zeek
//! `#fields`/`#types`, a CSV mapping) or per JSON key path (Zeek JSON, Suricata EVE).

use std::str::FromStr;

/// What a field holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Role {
    /// Recognise each value's kind (IP, URL, email, hash or domain), like `answers` in a DNS log.
    Auto,
    /// A domain name.
    Domain,
    /// An email address, possibly written `Name <user@example>`.
    Email,
    /// A file hash.
    Hash,
    /// A host as in an HTTP `Host` header: a name or an address, maybe with a port. Combined
    /// with a [`Role::UriPath`] of the same line into a URL.
    Host,
    /// An IP address.
    Ip,
    /// The time of the event.
    Timestamp,
    /// A full URL.
    Url,
    /// The path (and query) of a URL whose host is in a [`Role::Host`] field, or a full URL.
    UriPath,
}

impl FromStr for Role {
    type Err = String;

    fn from_str(text: &str) -> Result<Role, String> {
        Ok(match text {
            "auto" => Role::Auto,
            "domain" => Role::Domain,
            "email" => Role::Email,
            "hash" => Role::Hash,
            "host" => Role::Host,
            "ip" => Role::Ip,
            "timestamp" | "ts" => Role::Timestamp,
            "url" => Role::Url,
            "uri" | "path" => Role::UriPath,
            other => Err(format!(
                "unknown field role {other:?}: expected auto, domain, email, hash, host, ip, timestamp, url or uri"
            ))?,
        })
    }
}

/// The role of a Zeek field, from its name and, in TSV logs, its `#types` entry.
pub(crate) fn zeek(name: &str, zeek_type: Option<&str>) -> Option<Role> {
    if let Some(t) = zeek_type {
        let element = t.strip_prefix("set[").or_else(|| t.strip_prefix("vector[")).unwrap_or(t);
        if element.trim_end_matches(']') == "addr" {
            return Some(Role::Ip);
        }
        if matches!(
            element.trim_end_matches(']'),
            "subnet" | "port" | "count" | "interval" | "bool" | "enum" | "int" | "double"
        ) {
            return None;
        }
        if t == "time" {
            return (name == "ts").then_some(Role::Timestamp);
        }
    }
    Some(match name {
        "ts" => Role::Timestamp,
        "id.orig_h" | "id.resp_h" | "tx_hosts" | "rx_hosts" | "san.ip" | "src" | "dst"
        | "orig_h" | "resp_h" | "client_addr" | "server_addr" | "assigned_addr"
        | "requested_addr" | "x_originating_ip" | "remote_ip" => Role::Ip,
        "query" | "server_name" | "sni" | "san.dns" | "host_name" | "domain" | "helo" => {
            Role::Domain
        }
        "host" => Role::Host,
        "uri" => Role::UriPath,
        "referrer" | "san.uri" => Role::Url,
        "answers" | "seen.indicator" | "indicator" => Role::Auto,
        "md5" | "sha1" | "sha256" | "sha512" => Role::Hash,
        "mailfrom" | "rcptto" | "from" | "to" | "cc" | "reply_to" | "san.email" => Role::Email,
        _ => return None,
    })
}

/// Writes [`eve`] and, for tests, the list of its paths, from one table.
macro_rules! eve_paths {
    ($($($path:literal)|+ => $role:expr),* $(,)?) => {
        /// The role of a Suricata EVE field, by its key path.
        #[inline(always)]
        pub(crate) fn eve(path: &[u8]) -> Option<Role> {
            Some(match path {
                $($($path)|+ => $role,)*
                _ if path.starts_with(b"dns.grouped.") => Role::Auto,
                _ => return None,
            })
        }

        /// Every path [`eve`] gives a role to (and one under `dns.grouped.`).
        #[cfg(test)]
        const EVE_PATHS: &[&[u8]] = &[$($($path,)+)* b"dns.grouped.A"];
    };
}

eve_paths! {
    b"timestamp" => Role::Timestamp,
    b"src_ip" | b"dest_ip" => Role::Ip,
    b"dns.rrname"
    | b"dns.queries.rrname"
    | b"dns.query.rrname"
    | b"dns.answers.rrname"
    | b"dns.authorities.rrname"
    | b"tls.sni"
    | b"quic.sni" => Role::Domain,
    b"dns.rdata" | b"dns.answers.rdata" | b"dns.authorities.rdata" => Role::Auto,
    b"http.hostname" => Role::Host,
    b"http.url" => Role::UriPath,
    b"http.http_refer" => Role::Url,
    b"fileinfo.md5" | b"fileinfo.sha1" | b"fileinfo.sha256" => Role::Hash,
    b"smtp.mail_from" | b"smtp.rcpt_to" | b"email.from" | b"email.to" | b"email.cc" => Role::Email,
}

/// What the EVE walk does with a key path: `None` for a path that has no role and leads to
/// none (its values are checked, not visited); `Some(role)` otherwise, with the path's own role
/// if it has one (`dns` leads to `dns.rrname`; `dns.rrname` is a domain name).
#[inline(always)]
pub(crate) fn eve_want(path: &[u8]) -> Option<Option<Role>> {
    if let Some(role) = eve(path) {
        return Some(Some(role));
    }
    let parent = matches!(
        path,
        b"dns"
            | b"dns.queries"
            | b"dns.query"
            | b"dns.answers"
            | b"dns.authorities"
            | b"dns.grouped"
            | b"tls"
            | b"quic"
            | b"http"
            | b"fileinfo"
            | b"smtp"
            | b"email"
    );
    parent.then_some(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The EVE walk visits a path only when every path above it is wanted: each parent of a
    /// path with a role must be on `eve_want`'s list, or that path is silently never looked at.
    #[test]
    fn every_eve_path_is_reached() {
        for path in EVE_PATHS {
            assert!(eve(path).is_some());
            for (at, _) in path.iter().enumerate().filter(|&(_, &b)| b == b'.') {
                let parent = &path[..at];
                assert_eq!(
                    eve_want(parent),
                    Some(None),
                    "{} leads to {}",
                    String::from_utf8_lossy(parent),
                    String::from_utf8_lossy(path)
                );
            }
        }
        assert_eq!(eve_want(b"flow"), None);
        assert_eq!(eve_want(b"dns.answers.rdata"), Some(Some(Role::Auto)));
    }
}
