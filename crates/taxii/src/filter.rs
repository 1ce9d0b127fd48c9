//! Filtering and pagination parameters (TAXII 2.1 §3.4 and §3.5): `added_after`, `limit`, `next`,
//! `match[id]`, `match[type]`, `match[version]`, `match[spec_version]`.

use std::fmt;

use stix::Timestamp;

/// Which versions of an object a request asks for (`match[version]`, TAXII 2.1 §3.4.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionMatch {
    /// The earliest version.
    First,
    /// The latest version (the default for objects and manifests).
    Last,
    /// Every version.
    All,
    /// The version with exactly this timestamp.
    At(Timestamp),
}

/// The parsed query of a TAXII request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only objects added after this time (exclusive).
    pub added_after: Option<Timestamp>,
    /// At most this many objects per page.
    pub limit: Option<usize>,
    /// The opaque `next` token of a previous page.
    pub next: Option<String>,
    /// Only these object ids (empty: any).
    pub ids: Vec<String>,
    /// Only these object types (empty: any).
    pub types: Vec<String>,
    /// Which versions (empty: the endpoint's default).
    pub versions: Vec<VersionMatch>,
    /// Only these spec versions (empty: the latest of each object).
    pub spec_versions: Vec<String>,
}

/// A query parameter that cannot be understood; answered with 400.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad query parameter `{parameter}`: {reason}")]
pub struct FilterError {
    /// The parameter's name.
    pub parameter: String,
    /// What is wrong with it.
    pub reason: String,
}

impl Filter {
    /// Parses a URL query string (without the `?`).
    ///
    /// # Errors
    /// Malformed timestamps, limits, ids or version selectors, unknown `match[...]` fields, and
    /// repeated single-valued parameters.
    pub fn parse(query: &str) -> Result<Filter, FilterError> {
        let mut filter = Filter::default();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (raw_key, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
            let key = percent_decode(raw_key);
            let value = percent_decode(raw_value);
            let err =
                |reason: &str| FilterError { parameter: key.clone(), reason: reason.to_owned() };
            let list = |v: &str| -> Vec<String> {
                v.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect()
            };
            match key.as_str() {
                "added_after" => {
                    if filter.added_after.is_some() {
                        return Err(err("given more than once"));
                    }
                    filter.added_after =
                        Some(value.parse().map_err(|e: stix::TimestampError| err(&e.to_string()))?);
                }
                "limit" => {
                    if filter.limit.is_some() {
                        return Err(err("given more than once"));
                    }
                    let n: usize = value.parse().map_err(|_| err("must be a positive integer"))?;
                    if n == 0 {
                        return Err(err("must be a positive integer"));
                    }
                    filter.limit = Some(n);
                }
                "next" => {
                    if filter.next.is_some() {
                        return Err(err("given more than once"));
                    }
                    filter.next = Some(value);
                }
                "match[id]" => {
                    for id in list(&value) {
                        id.parse::<stix::Identifier>().map_err(|e| err(&e.to_string()))?;
                        filter.ids.push(id);
                    }
                }
                "match[type]" => {
                    for t in list(&value) {
                        if !stix::is_type_name(&t) {
                            return Err(err(&format!("`{t}` is not a STIX type name")));
                        }
                        filter.types.push(t);
                    }
                }
                "match[version]" => {
                    for v in list(&value) {
                        filter.versions.push(match v.as_str() {
                            "first" => VersionMatch::First,
                            "last" => VersionMatch::Last,
                            "all" => VersionMatch::All,
                            t => VersionMatch::At(
                                t.parse().map_err(|e: stix::TimestampError| err(&e.to_string()))?,
                            ),
                        });
                    }
                }
                "match[spec_version]" => {
                    for v in list(&value) {
                        if v != "2.0" && v != "2.1" {
                            return Err(err("must be 2.0 or 2.1"));
                        }
                        filter.spec_versions.push(v);
                    }
                }
                k if k.starts_with("match[") => return Err(err("unsupported match field")),
                // TAXII 2.1 §3.4: servers ignore parameters they do not know.
                _ => {}
            }
        }
        Ok(filter)
    }
}

impl fmt::Display for VersionMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VersionMatch::First => f.write_str("first"),
            VersionMatch::Last => f.write_str("last"),
            VersionMatch::All => f.write_str("all"),
            VersionMatch::At(t) => write!(f, "{t}"),
        }
    }
}

/// Decodes `%XX` escapes and `+` (as space) of a query component; invalid escapes stay as text.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(byte) => {
                        out.push(byte);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_parameter() {
        let f = Filter::parse(
            "added_after=2016-02-01T00:00:01.000Z&limit=10&next=abc&match%5Bid%5D=indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f&match[type]=indicator,sighting&match[version]=first,2016-02-01T00:00:01.000Z&match[spec_version]=2.1&unknown=1",
        )
        .unwrap();
        assert_eq!(f.limit, Some(10));
        assert_eq!(f.next.as_deref(), Some("abc"));
        assert_eq!(f.ids, ["indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"]);
        assert_eq!(f.types, ["indicator", "sighting"]);
        assert_eq!(f.versions.len(), 2);
        assert_eq!(f.spec_versions, ["2.1"]);
    }

    #[test]
    fn rejects_bad_values() {
        insta::assert_snapshot!(Filter::parse("limit=0").unwrap_err(), @"bad query parameter `limit`: must be a positive integer");
        insta::assert_snapshot!(Filter::parse("added_after=yesterday").unwrap_err(), @"bad query parameter `added_after`: `yesterday` is not a STIX timestamp (YYYY-MM-DDTHH:MM:SS[.s+]Z in UTC): too short");
        insta::assert_snapshot!(Filter::parse("match[id]=nope").unwrap_err(), @"bad query parameter `match[id]`: `nope` is not an identifier of the form `type--UUID`");
        insta::assert_snapshot!(Filter::parse("match[color]=red").unwrap_err(), @"bad query parameter `match[color]`: unsupported match field");
        insta::assert_snapshot!(Filter::parse("limit=1&limit=2").unwrap_err(), @"bad query parameter `limit`: given more than once");
    }

    proptest::proptest! {
        #[test]
        fn never_panics(q in "\\PC{0,80}") {
            let _ = Filter::parse(&q);
        }
    }
}
