//! IOC extraction: the plain atoms a log matcher can use, when a pattern is nothing more than a
//! disjunction of them.

use crate::ast::{ComparisonExpr, Literal, ObservationExpr, Operator, PathStep, Pattern};
use crate::ipnet::IpNet;

/// One indicator of compromise.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Ioc {
    /// A domain name (`domain-name:value`).
    Domain(String),
    /// An IPv4 address or CIDR block (`ipv4-addr:value`, with `=` or `ISSUBSET`).
    Ipv4(String),
    /// An IPv6 address or CIDR block (`ipv6-addr:value`, with `=` or `ISSUBSET`).
    Ipv6(String),
    /// A URL (`url:value`).
    Url(String),
    /// An email address (`email-addr:value`).
    Email(String),
    /// A file hash (`file:hashes.<algorithm>`).
    Hash {
        /// The algorithm as written in the pattern, e.g. `SHA-256`.
        algorithm: String,
        /// The hash value.
        value: String,
    },
}

/// The IOCs of a pattern that is a disjunction of plain comparisons (`=`, `IN`, `ISSUBSET`) on
/// domain names, IP addresses, URLs, email addresses and file hashes; `None` ("not extractable")
/// if any part of the pattern is something else, because then the atoms alone would match more
/// than the pattern does.
pub fn extract_iocs(pattern: &Pattern) -> Option<Vec<Ioc>> {
    let mut out = Vec::new();
    observation(&pattern.expr, &mut out)?;
    Some(out)
}

fn observation(expr: &ObservationExpr, out: &mut Vec<Ioc>) -> Option<()> {
    match expr {
        ObservationExpr::Observation { comparison, .. } => comparison_expr(comparison, out),
        ObservationExpr::Or(items) => items.iter().try_for_each(|item| observation(item, out)),
        _ => None,
    }
}

fn comparison_expr(expr: &ComparisonExpr, out: &mut Vec<Ioc>) -> Option<()> {
    match expr {
        ComparisonExpr::Or(items) => items.iter().try_for_each(|item| comparison_expr(item, out)),
        ComparisonExpr::Comparison(c) if !c.negated => {
            let values: Vec<&String> = match &c.op {
                Operator::Equal(Literal::String(value)) => vec![value],
                Operator::In(values) => values
                    .iter()
                    .map(|v| match v {
                        Literal::String(s) => Some(s),
                        _ => None,
                    })
                    .collect::<Option<Vec<_>>>()?,
                Operator::IsSubset(value) => {
                    let ip = matches!(c.path.object_type.as_str(), "ipv4-addr" | "ipv6-addr");
                    if !ip {
                        return None;
                    }
                    vec![value]
                }
                _ => return None,
            };
            let steps = &c.path.steps;
            for value in values {
                let ioc = match (c.path.object_type.as_str(), steps.as_slice()) {
                    ("domain-name", [PathStep::Key(k)]) if k == "value" => {
                        Ioc::Domain(value.clone())
                    }
                    ("ipv4-addr", [PathStep::Key(k)]) if k == "value" => {
                        IpNet::parse(value)?;
                        Ioc::Ipv4(value.clone())
                    }
                    ("ipv6-addr", [PathStep::Key(k)]) if k == "value" => {
                        IpNet::parse(value)?;
                        Ioc::Ipv6(value.clone())
                    }
                    ("url", [PathStep::Key(k)]) if k == "value" => Ioc::Url(value.clone()),
                    ("email-addr", [PathStep::Key(k)]) if k == "value" => Ioc::Email(value.clone()),
                    ("file", [PathStep::Key(h), PathStep::Key(algorithm)]) if h == "hashes" => {
                        Ioc::Hash { algorithm: algorithm.clone(), value: value.clone() }
                    }
                    _ => return None,
                };
                out.push(ioc);
            }
            Some(())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(text: &str) -> String {
        let pattern = crate::parse(text).unwrap();
        match extract_iocs(&pattern) {
            Some(iocs) => format!("{iocs:?}"),
            None => "not extractable".to_owned(),
        }
    }

    #[test]
    fn disjunctions_of_atoms() {
        insta::assert_snapshot!(check("[domain-name:value = 'evil.example' OR ipv4-addr:value ISSUBSET '198.51.100.0/24'] OR [url:value IN ('http://a.example/x', 'http://b.example/')]"), @r#"[Domain("evil.example"), Ipv4("198.51.100.0/24"), Url("http://a.example/x"), Url("http://b.example/")]"#);
        insta::assert_snapshot!(check("[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f' OR email-addr:value = 'bad@example.com' OR ipv6-addr:value = '2001:db8::1']"), @r#"[Hash { algorithm: "SHA-256", value: "aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f" }, Email("bad@example.com"), Ipv6("2001:db8::1")]"#);
    }

    #[test]
    fn anything_else_is_not_extractable() {
        insta::assert_snapshot!(check("[domain-name:value = 'a.example' AND domain-name:resolves_to_refs[*].value = '198.51.100.1']"), @"not extractable");
        insta::assert_snapshot!(check("[domain-name:value = 'a.example'] AND [url:value = 'http://a.example/']"), @"not extractable");
        insta::assert_snapshot!(check("[domain-name:value = 'a.example'] WITHIN 5 SECONDS"), @"not extractable");
        insta::assert_snapshot!(check("[domain-name:value LIKE '%.example']"), @"not extractable");
        insta::assert_snapshot!(check("[domain-name:value NOT = 'a.example']"), @"not extractable");
        insta::assert_snapshot!(check("[file:name = 'a.exe']"), @"not extractable");
        insta::assert_snapshot!(check("[ipv4-addr:value = 'not an ip']"), @"not extractable");
    }
}
