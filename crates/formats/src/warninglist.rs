//! Warninglists: values known to be benign (top domains, public resolvers, cloud ranges) that must
//! never reach an enforcement format, in MISP's warninglist JSON format
//! (`{"name", "type", "list": [...]}`; types `string`, `substring`, `hostname`, `cidr`, `regex`).
//!
//! Matching is deliberately wide, because a false block is an outage: a domain indicator is
//! warninglisted when it is a listed name, a subdomain of a listed `hostname`, or a *parent* of a
//! listed name (blocking `*.example.com` would block `www.example.com`); an IP indicator when its
//! block overlaps a listed block; a URL or email address when its host is warninglisted as a
//! domain or IP.

use std::collections::HashSet;

use serde_json::Value;

use crate::Error;
use crate::ipnet::IpNet;
use crate::observable::{Observable, url_host};

/// A set of warninglists, checked together.
#[derive(Debug, Default)]
pub struct Warninglists {
    lists: Vec<Warninglist>,
}

#[derive(Debug)]
struct Warninglist {
    name: String,
    /// Exact values (lower case), for `string` lists and the domains of `hostname` lists.
    exact: HashSet<String>,
    /// Every parent domain of every listed domain (`a.b.example` gives `b.example`, `example`).
    parents: HashSet<String>,
    /// Whether subdomains of listed names are listed too (`hostname` lists).
    subdomains: bool,
    substrings: Vec<String>,
    /// Merged, sorted address ranges per family.
    ranges_v4: Vec<(u128, u128)>,
    ranges_v6: Vec<(u128, u128)>,
    regexes: Vec<regex_automata::meta::Regex>,
}

impl Warninglists {
    /// No lists: nothing is warninglisted.
    pub fn new() -> Warninglists {
        Warninglists::default()
    }

    /// Parses one MISP warninglist (JSON) and adds it.
    ///
    /// # Errors
    /// When the JSON is malformed, `list` is missing, the type is unknown, or a `cidr` or
    /// `regex` entry does not parse.
    pub fn add_json(&mut self, text: &str) -> Result<(), Error> {
        let json: Value = serde_json::from_str(text)?;
        let name = json.get("name").and_then(Value::as_str).unwrap_or("unnamed warninglist");
        let kind = json.get("type").and_then(Value::as_str).unwrap_or("string");
        let Some(entries) = json.get("list").and_then(Value::as_array) else {
            return Err(Error::invalid("$.list", "a warninglist needs a `list` array"));
        };
        let mut list = Warninglist {
            name: name.to_owned(),
            exact: HashSet::new(),
            parents: HashSet::new(),
            subdomains: kind == "hostname",
            substrings: Vec::new(),
            ranges_v4: Vec::new(),
            ranges_v6: Vec::new(),
            regexes: Vec::new(),
        };
        let mut nets = Vec::new();
        for (i, entry) in entries.iter().enumerate() {
            let Some(entry) = entry.as_str() else {
                return Err(Error::invalid(format!("$.list[{i}]"), "entries must be strings"));
            };
            let entry = entry.trim();
            match kind {
                "string" | "hostname" => {
                    let lower =
                        entry.trim_start_matches("*.").trim_end_matches('.').to_ascii_lowercase();
                    if let Some(net) = IpNet::parse(&lower) {
                        nets.push(net);
                    }
                    let mut rest = lower.as_str();
                    while let Some((_, parent)) = rest.split_once('.') {
                        list.parents.insert(parent.to_owned());
                        rest = parent;
                    }
                    list.exact.insert(lower);
                }
                "substring" => list.substrings.push(entry.to_ascii_lowercase()),
                "cidr" => nets.push(IpNet::parse(entry).ok_or_else(|| {
                    Error::invalid(format!("$.list[{i}]"), format!("`{entry}` is not a CIDR block"))
                })?),
                "regex" => {
                    let body = strip_delimiters(entry);
                    let regex = regex_automata::meta::Regex::new(&body).map_err(|e| {
                        Error::invalid(format!("$.list[{i}]"), format!("bad regex: {e}"))
                    })?;
                    list.regexes.push(regex);
                }
                other => {
                    return Err(Error::invalid(
                        "$.type",
                        format!("unknown warninglist type `{other}`"),
                    ));
                }
            }
        }
        for net in crate::ipnet::merge(&nets) {
            if net.is_v6() { &mut list.ranges_v6 } else { &mut list.ranges_v4 }.push(net.range());
        }
        self.lists.push(list);
        Ok(())
    }

    /// Whether no list is loaded.
    pub fn is_empty(&self) -> bool {
        self.lists.is_empty()
    }

    /// The name of the first list that marks `observable` as benign, if any.
    pub fn check(&self, observable: &Observable) -> Option<&str> {
        let text = observable.to_string().to_ascii_lowercase();
        let host = match observable {
            Observable::Url(url) => url_host(url),
            Observable::Email(addr) => addr.rsplit_once('@').map(|(_, d)| d.to_ascii_lowercase()),
            Observable::Domain(d) => Some(d.clone()),
            _ => None,
        };
        let net = match observable {
            Observable::Ip(net) => Some(*net),
            _ => host.as_deref().and_then(IpNet::parse),
        };
        self.lists
            .iter()
            .find(|list| list.matches(&text, host.as_deref(), net))
            .map(|l| l.name.as_str())
    }
}

impl Warninglist {
    fn matches(&self, text: &str, host: Option<&str>, net: Option<IpNet>) -> bool {
        if self.exact.contains(text) || self.substrings.iter().any(|s| text.contains(s.as_str())) {
            return true;
        }
        if self.regexes.iter().any(|r| r.is_match(text)) {
            return true;
        }
        if let Some(net) = net {
            let ranges = if net.is_v6() { &self.ranges_v6 } else { &self.ranges_v4 };
            let (start, end) = net.range();
            // The first listed range that ends at or after `start` is the only one that can overlap.
            let i = ranges.partition_point(|r| r.1 < start);
            if ranges.get(i).is_some_and(|r| r.0 <= end) {
                return true;
            }
        }
        if let Some(host) = host.filter(|_| net.is_none()) {
            if self.exact.contains(host) || self.parents.contains(host) {
                return true;
            }
            if self.subdomains {
                let mut rest = host;
                while let Some((_, parent)) = rest.split_once('.') {
                    if self.exact.contains(parent) {
                        return true;
                    }
                    rest = parent;
                }
            }
        }
        false
    }
}

/// MISP writes some regexes as `/body/flags`; the `i` flag becomes `(?i)`.
fn strip_delimiters(entry: &str) -> String {
    if let Some(rest) = entry.strip_prefix('/')
        && let Some((body, flags)) = rest.rsplit_once('/')
        && flags.bytes().all(|b| b.is_ascii_alphabetic())
    {
        return if flags.contains('i') { format!("(?i){body}") } else { body.to_owned() };
    }
    entry.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lists() -> Warninglists {
        let mut lists = Warninglists::new();
        lists
            .add_json(
                r#"{"name": "top", "type": "hostname", "list": ["google.com", "example.org."]}"#,
            )
            .unwrap();
        lists.add_json(r#"{"name": "dns", "type": "cidr", "list": ["8.8.8.8/32", "2001:4860:4860::8888/128"]}"#).unwrap();
        lists.add_json(r#"{"name": "exact", "type": "string", "list": ["a.b.example"]}"#).unwrap();
        lists
            .add_json(
                r#"{"name": "re", "type": "regex", "list": ["/^[a-z]+\\.amazonaws\\.com$/i"]}"#,
            )
            .unwrap();
        lists
    }

    #[track_caller]
    fn check(observable: Result<Observable, String>) -> Option<String> {
        lists().check(&observable.unwrap()).map(str::to_owned)
    }

    #[test]
    fn domains() {
        assert_eq!(check(Observable::domain("www.google.com")).as_deref(), Some("top"));
        assert_eq!(check(Observable::domain("com")).as_deref(), Some("top"));
        assert_eq!(check(Observable::domain("b.example")).as_deref(), Some("exact"));
        assert_eq!(check(Observable::domain("x.a.b.example")), None);
        assert_eq!(check(Observable::domain("evil.example")), None);
        assert_eq!(check(Observable::domain("Bucket.amazonaws.com")).as_deref(), Some("re"));
        assert_eq!(check(Observable::url("https://www.google.com/x")).as_deref(), Some("top"));
        assert_eq!(check(Observable::email("x@example.org")).as_deref(), Some("top"));
    }

    #[test]
    fn addresses() {
        assert_eq!(check(Observable::ip("8.0.0.0/8")).as_deref(), Some("dns"));
        assert_eq!(check(Observable::ip("8.8.8.8")).as_deref(), Some("dns"));
        assert_eq!(check(Observable::ip("8.8.4.4")), None);
        assert_eq!(check(Observable::ip("2001:4860::/32")).as_deref(), Some("dns"));
        assert_eq!(check(Observable::url("http://8.8.8.8/x")).as_deref(), Some("dns"));
    }
}
