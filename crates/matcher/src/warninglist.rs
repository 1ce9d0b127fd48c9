//! MISP warninglists: lists of well-known values (public DNS resolvers, top-ranked domains,
//! RFC 1918 space, cloud ranges) that make poor indicators. An indicator on one is flagged when
//! the set is compiled, and its hits are suppressed and counted unless the caller asks otherwise.
//!
//! The format is MISP's warninglist JSON (`name`, `type`, `list`, …), with the types `string`,
//! `substring`, `hostname`, `cidr` and `regex`. Regex entries are written as MISP writes them for
//! PHP's `preg_match`, `/body/flags` (flags `i`, `m`, `s`, `x`), or bare; they search the
//! normalised value, unanchored. They run on a linear-time engine: an entry it cannot run
//! (back-references, look-around) or that is not a valid regex is skipped with a warning naming
//! it, never silently.

use std::collections::HashSet;
use std::path::Path;

use crate::domain;
use crate::error::Error;
use crate::indicator::{Indicator, Kind};
use crate::ipnet::{self, Ip};

/// One warninglist, ready to be checked against indicators.
#[derive(Clone, Debug)]
pub struct Warninglist {
    name: String,
    rule: Rule,
}

#[derive(Clone, Debug)]
enum Rule {
    /// Equal to a listed value, after normalisation.
    Exact(HashSet<String>),
    /// Containing a listed string (case-insensitive).
    Substring(Vec<String>),
    /// A listed host name or one of its subdomains (for domains, URL hosts and email domains).
    Hostname(HashSet<String>),
    /// Overlapping a listed block: sorted, merged, disjoint `(first, last, is_v6)` ranges.
    Cidr(Vec<(bool, u128, u128)>),
    /// Any of the entries, compiled into one linear-time automaton (`None`: no usable entry).
    Regex(Option<regex_automata::meta::Regex>),
}

impl Warninglist {
    /// Reads a warninglist JSON file.
    pub fn load(path: &Path) -> Result<Warninglist, Error> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Warninglist::parse(&bytes).map_err(|message| Error::Source { path: path.into(), message })
    }

    /// Parses a warninglist from MISP's JSON format.
    pub fn parse(json: &[u8]) -> Result<Warninglist, String> {
        let value: serde_json::Value =
            serde_json::from_slice(json).map_err(|e| format!("not JSON: {e}"))?;
        let name = value["name"].as_str().ok_or("warninglist without a `name`")?.to_owned();
        let kind = value["type"].as_str().unwrap_or("string");
        let list = value["list"].as_array().ok_or("warninglist without a `list` array")?;
        let items = list.iter().filter_map(serde_json::Value::as_str).map(str::trim);
        let rule = match kind {
            "string" => Rule::Exact(
                items
                    .map(|item| match Indicator::parse(item) {
                        Ok(indicator) => indicator.value().to_owned(),
                        Err(_) => item.to_lowercase(),
                    })
                    .collect(),
            ),
            "substring" => Rule::Substring(
                items.filter(|item| !item.is_empty()).map(str::to_lowercase).collect(),
            ),
            "hostname" => Rule::Hostname(
                items
                    .filter_map(|item| domain::normalize(item.trim_start_matches("*.")).ok())
                    .collect(),
            ),
            "cidr" => {
                let mut ranges: Vec<(bool, u128, u128)> = items
                    .filter_map(ipnet::parse_net)
                    .map(|net| {
                        let (first, last) = net.range();
                        (matches!(net.ip, Ip::V6(_)), first, last)
                    })
                    .collect();
                ranges.sort_unstable();
                let mut merged: Vec<(bool, u128, u128)> = Vec::with_capacity(ranges.len());
                for range in ranges {
                    match merged.last_mut() {
                        Some(last) if last.0 == range.0 && range.1 <= last.2.saturating_add(1) => {
                            last.2 = last.2.max(range.2);
                        }
                        _ => merged.push(range),
                    }
                }
                Rule::Cidr(merged)
            }
            "regex" => Rule::Regex(compile_regexes(&name, items)),
            other => return Err(format!("unknown warninglist type {other:?}")),
        };
        Ok(Warninglist { name, rule })
    }

    /// The list's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether a normalised indicator value of `kind` is on this list.
    pub fn contains(&self, kind: Kind, value: &str) -> bool {
        match &self.rule {
            Rule::Exact(values) => values.contains(value),
            Rule::Substring(parts) => {
                let lower = value.to_lowercase();
                parts.iter().any(|part| lower.contains(part.as_str()))
            }
            Rule::Hostname(names) => {
                let host = match kind {
                    Kind::Domain => value,
                    Kind::Url => crate::url::host(value).unwrap_or_default(),
                    Kind::Email => value.rsplit_once('@').map_or("", |(_, host)| host),
                    _ => return false,
                };
                domain::suffix_starts(host.as_bytes()).any(|start| names.contains(&host[start..]))
            }
            Rule::Cidr(ranges) => {
                let Some(net) = ipnet::parse_net(value) else { return false };
                let (first, last) = net.range();
                let v6 = matches!(net.ip, Ip::V6(_));
                let i = ranges.partition_point(|&(r6, _, end)| (r6, end) < (v6, first));
                ranges.get(i).is_some_and(|&(r6, start, _)| r6 == v6 && start <= last)
            }
            Rule::Regex(regex) => regex.as_ref().is_some_and(|r| r.is_match(value)),
        }
    }
}

/// The largest compiled size of one warninglist's regexes.
const MAX_REGEX_BYTES: usize = 8 << 20;

/// Compiles a regex warninglist's entries; entries that cannot be used are skipped with a warning.
fn compile_regexes<'a>(
    list: &str,
    items: impl Iterator<Item = &'a str>,
) -> Option<regex_automata::meta::Regex> {
    let config = || {
        regex_automata::meta::Regex::config()
            .nfa_size_limit(Some(MAX_REGEX_BYTES))
            .hybrid_cache_capacity(2 * MAX_REGEX_BYTES)
    };
    let mut usable = Vec::new();
    for item in items.filter(|i| !i.is_empty()) {
        match regex_entry(item) {
            Ok(source) => {
                match regex_automata::meta::Regex::builder().configure(config()).build(&source) {
                    Ok(_) => usable.push(source),
                    Err(e) => {
                        tracing::warn!(warninglist = %list, entry = %item, error = %e, "Regex entry skipped.");
                    }
                }
            }
            Err(why) => {
                tracing::warn!(warninglist = %list, entry = %item, %why, "Regex entry skipped.");
            }
        }
    }
    if usable.is_empty() {
        return None;
    }
    regex_automata::meta::Regex::builder().configure(config()).build_many(&usable).ok()
}

/// `/body/flags` (PHP's delimited form) or a bare regex, as a source with inline flags.
fn regex_entry(item: &str) -> Result<String, String> {
    let (body, flags) = match item.strip_prefix('/').and_then(|rest| rest.rsplit_once('/')) {
        Some((body, flags)) if !body.is_empty() => (body, flags),
        _ => (item, ""),
    };
    if let Some(bad) = flags.chars().find(|f| !"imsx".contains(*f)) {
        return Err(format!("the flag `{bad}` is not supported"));
    }
    Ok(if flags.is_empty() { body.to_owned() } else { format!("(?{flags}){body}") })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn list(kind: &str, items: &[&str]) -> Warninglist {
        let json = serde_json::json!({"name": "test", "type": kind, "version": 1, "list": items});
        Warninglist::parse(json.to_string().as_bytes()).unwrap()
    }

    #[track_caller]
    fn on(list: &Warninglist, value: &str) -> bool {
        let indicator = Indicator::parse(value).unwrap();
        list.contains(indicator.kind(), indicator.value())
    }

    #[test]
    fn cidr_lists_flag_overlapping_indicators() {
        let l = list(
            "cidr",
            &["10.0.0.0/8", "192.168.0.0/16", "172.16.0.0/12", "8.8.8.8/32", "2001:db8::/32"],
        );
        assert!(on(&l, "10.1.2.3"));
        assert!(on(&l, "192.168.1.0/24"));
        assert!(on(&l, "8.8.8.8"));
        assert!(on(&l, "0.0.0.0/0"));
        assert!(on(&l, "2001:db8::5"));
        assert!(!on(&l, "8.8.4.4"));
        assert!(!on(&l, "11.0.0.1"));
        assert!(!on(&l, "2001:db9::1"));
    }

    #[test]
    fn hostname_lists_flag_subdomains_urls_and_emails() {
        let l = list("hostname", &["google.com", "Example.ORG."]);
        assert!(on(&l, "google.com"));
        assert!(on(&l, "mail.google.com"));
        assert!(on(&l, "https://docs.google.com/x"));
        assert!(on(&l, "someone@example.org"));
        assert!(!on(&l, "notgoogle.com"));
        assert!(!l.contains(Kind::Domain, "com"));
    }

    #[test]
    fn string_and_substring_lists() {
        let exact = list("string", &["1.1.1.1", "Evil.Example"]);
        assert!(on(&exact, "1.1.1.1"));
        assert!(on(&exact, "evil.example"));
        assert!(!on(&exact, "www.evil.example"));
        let sub = list("substring", &["amazonaws"]);
        assert!(on(&sub, "x.s3.AmazonAWS.com"));
        assert!(!on(&sub, "evil.example"));
        // MISP writes regex entries for preg_match: delimited, with flags, unanchored.
        let regex = list(
            "regex",
            &[
                r"/^(.+\.)?gstatic\.com$/i",
                r"cdn[0-9]+\.example\.net",
                r"/(a)\1/",
                "/[unclosed/",
                "/x/e",
            ],
        );
        assert!(on(&regex, "fonts.GSTATIC.com"));
        assert!(on(&regex, "gstatic.com"));
        assert!(!on(&regex, "gstatic.com.evil.example"));
        assert!(on(&regex, "eu.cdn12.example.net"));
        assert!(!on(&regex, "cdnx.example.net"));
        // The back-reference, the broken and the PHP-only entries are skipped, not fatal.
        assert!(!on(&regex, "aa.example"));
        assert!(!on(&list("regex", &["(a)\\1"]), "aa.example"));
    }

    #[test]
    fn malformed_lists() {
        assert!(Warninglist::parse(b"{").unwrap_err().starts_with("not JSON"));
        assert_eq!(
            Warninglist::parse(br#"{"list": []}"#).unwrap_err(),
            "warninglist without a `name`"
        );
        assert_eq!(
            Warninglist::parse(br#"{"name": "x", "type": "wat", "list": []}"#).unwrap_err(),
            "unknown warninglist type \"wat\""
        );
    }
}
