//! URL normalisation (RFC 3986 §6.2.2 syntax-based and §6.2.3 scheme-based), so that spellings of
//! one resource compare equal: scheme and host in lower case, the host in its IDNA A-label or
//! canonical IP form, the default port dropped, percent-encoding made uniform, dot segments
//! removed, an empty path made `/`, a trailing slash on a longer path dropped, and the fragment
//! dropped (it never reaches a server, so it never appears in a proxy or IDS log).

use crate::domain;
use crate::ipnet::{self, Ip};

/// Normalises `text` (which must contain `://`) into `out`, or says why it is not a URL.
pub(crate) fn normalize_into(text: &str, out: &mut String) -> Result<(), &'static str> {
    out.clear();
    let text = text.trim();
    let (scheme, rest) = text.split_once("://").ok_or("no `://` in URL")?;
    if scheme.is_empty()
        || !scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        || !scheme.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
    {
        return Err("bad URL scheme");
    }
    let scheme_start = out.len();
    out.push_str(scheme);
    out[scheme_start..].make_ascii_lowercase();
    out.push_str("://");
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let (userinfo, hostport) = match authority.rfind('@') {
        Some(at) => (Some(&authority[..at]), &authority[at + 1..]),
        None => (None, authority),
    };
    let (host, port) = split_port(hostport)?;
    if host.is_empty() {
        return Err("URL without a host");
    }
    if let Some(userinfo) = userinfo {
        percent_normalize(userinfo, out);
        out.push('@');
    }
    write_host(host, out)?;
    if let Some(port) = port {
        let default = match &out[scheme_start..scheme_start + scheme.len()] {
            "http" | "ws" => "80",
            "https" | "wss" => "443",
            "ftp" => "21",
            _ => "",
        };
        let port = port.trim_start_matches('0');
        if !port.is_empty() && port != default {
            out.push(':');
            out.push_str(port);
        }
    }
    let tail = tail.split_once('#').map_or(tail, |(before, _)| before);
    let (path, query) = match tail.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (tail, None),
    };
    let path_start = out.len();
    percent_normalize(path, out);
    let normalized = remove_dot_segments(&out[path_start..]);
    out.truncate(path_start);
    out.push_str(&normalized);
    if out.len() == path_start {
        out.push('/');
    } else if out.len() > path_start + 1 && out.ends_with('/') {
        out.pop();
    }
    if let Some(query) = query.filter(|q| !q.is_empty()) {
        out.push('?');
        percent_normalize(query, out);
    }
    Ok(())
}

/// The host of a URL (with `://`), as written, for matching it against domain indicators.
pub(crate) fn host(text: &str) -> Option<&str> {
    let rest = text.split_once("://")?.1;
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    split_port(hostport).ok().map(|(host, _)| host.trim_start_matches('[').trim_end_matches(']'))
}

fn split_port(hostport: &str) -> Result<(&str, Option<&str>), &'static str> {
    if let Some(inner) = hostport.strip_prefix('[') {
        let (host, after) = inner.split_once(']').ok_or("unclosed `[` in URL host")?;
        return match after.strip_prefix(':') {
            Some(port) => Ok((&hostport[..host.len() + 2], Some(check_port(port)?))),
            None if after.is_empty() => Ok((&hostport[..host.len() + 2], None)),
            None => Err("junk after `]` in URL host"),
        };
    }
    match hostport.rsplit_once(':') {
        Some((host, port)) => Ok((host, Some(check_port(port)?))),
        None => Ok((hostport, None)),
    }
}

fn check_port(port: &str) -> Result<&str, &'static str> {
    if port.len() <= 5 && port.bytes().all(|b| b.is_ascii_digit()) {
        Ok(port)
    } else {
        Err("bad port in URL")
    }
}

fn write_host(host: &str, out: &mut String) -> Result<(), &'static str> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match ipnet::parse_ip(bare.as_bytes()) {
        Some(Ip::V4(a)) => out.push_str(&std::net::Ipv4Addr::from(a).to_string()),
        Some(Ip::V6(a)) => {
            out.push('[');
            out.push_str(&std::net::Ipv6Addr::from(a).to_string());
            out.push(']');
        }
        None => out.push_str(
            &domain::normalize(&percent_decode_host(bare)).map_err(|_| "bad host in URL")?,
        ),
    }
    Ok(())
}

fn percent_decode_host(host: &str) -> String {
    if !host.contains('%') {
        return host.to_owned();
    }
    let bytes = host.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if let (b'%', Some(value)) = (bytes[i], hex_pair(bytes, i + 1)) {
            decoded.push(value);
            i += 3;
        } else {
            decoded.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(decoded).unwrap_or_else(|_| host.to_owned())
}

/// Decodes percent-encoded unreserved characters (RFC 3986 §2.3), writes every other escape with
/// upper-case hex digits (§2.1), and escapes bytes that may not appear in a URL at all.
fn percent_normalize(text: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%'
            && let Some(value) = hex_pair(bytes, i + 1)
        {
            if value.is_ascii_alphanumeric() || matches!(value, b'-' | b'.' | b'_' | b'~') {
                out.push(char::from(value));
            } else {
                out.push('%');
                out.push(char::from(HEX[usize::from(value >> 4)]));
                out.push(char::from(HEX[usize::from(value & 15)]));
            }
            i += 3;
            continue;
        }
        if b > 0x20
            && b < 0x7f
            && !matches!(b, b'"' | b'<' | b'>' | b'\\' | b'^' | b'`' | b'{' | b'|' | b'}')
            || b == b'%'
        {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
        i += 1;
    }
}

fn hex_pair(bytes: &[u8], at: usize) -> Option<u8> {
    let hi = char::from(*bytes.get(at)?).to_digit(16)?;
    let lo = char::from(*bytes.get(at + 1)?).to_digit(16)?;
    // `as u8`: two hex digits make at most 255.
    Some((hi * 16 + lo) as u8)
}

/// RFC 3986 §5.2.4.
fn remove_dot_segments(path: &str) -> String {
    if !path.contains("/.") && !path.starts_with('.') {
        return path.to_owned();
    }
    let mut segments: Vec<&str> = Vec::new();
    let ends_with_dir = path.ends_with("/.") || path.ends_with("/..") || path.ends_with('/');
    for segment in path.split('/').skip(usize::from(path.starts_with('/'))) {
        match segment {
            "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    let mut out = String::with_capacity(path.len());
    for segment in &segments {
        out.push('/');
        out.push_str(segment);
    }
    if ends_with_dir && !out.ends_with('/') {
        out.push('/');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(text: &str) -> String {
        let mut out = String::new();
        match normalize_into(text, &mut out) {
            Ok(()) => out,
            Err(reason) => format!("error: {reason}"),
        }
    }

    #[test]
    fn normalisation() {
        assert_eq!(check("HTTP://Evil.EXAMPLE:80/a/b/"), "http://evil.example/a/b");
        assert_eq!(check("https://evil.example:443"), "https://evil.example/");
        assert_eq!(check("https://evil.example:8443/"), "https://evil.example:8443/");
        assert_eq!(
            check("http://evil.example/%7euser/%2f%2Fx"),
            "http://evil.example/~user/%2F%2Fx"
        );
        assert_eq!(
            check("http://evil.example/a/./b/../c?q=%7e#frag"),
            "http://evil.example/a/c?q=~"
        );
        assert_eq!(check("http://evil.example/?"), "http://evil.example/");
        assert_eq!(check("http://bücher.example/ü"), "http://xn--bcher-kva.example/%C3%BC");
        assert_eq!(check("http://[2001:DB8::1]:8080/x"), "http://[2001:db8::1]:8080/x");
        assert_eq!(check("http://user:pw@198.51.100.7:80/"), "http://user:pw@198.51.100.7/");
        assert_eq!(check("http://evil.example./a b"), "http://evil.example/a%20b");
    }

    #[test]
    fn rejects() {
        assert_eq!(check("evil.example/a"), "error: no `://` in URL");
        assert_eq!(check("1http://evil.example/"), "error: bad URL scheme");
        assert_eq!(check("http:///a"), "error: URL without a host");
        assert_eq!(check("http://evil.example:99999999/"), "error: bad port in URL");
        assert_eq!(check("http://:.:/x"), "error: bad host in URL");
    }

    #[test]
    fn hosts() {
        assert_eq!(host("http://u@Evil.example:8080/x"), Some("Evil.example"));
        assert_eq!(host("http://[2001:db8::1]/"), Some("2001:db8::1"));
        assert_eq!(host("evil.example"), None);
    }
}
