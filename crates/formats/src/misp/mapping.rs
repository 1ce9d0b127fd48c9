//! How one MISP attribute value maps onto STIX: the comparisons of a pattern, and the SCOs of
//! observed data. One table serves both directions, so that a MISP-origin object can be checked
//! for consistency on the way back (its recorded type and value must give its pattern).

use serde_json::{Map, Value, json};

use crate::indicator::derived_id;
use crate::observable::{escape_pattern_string, is_domain};

/// A pattern constant.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Lit {
    Str(String),
    Int(i64),
}

/// `path = value` inside a pattern.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Comparison {
    /// E.g. `file:hashes.'SHA-256'`.
    pub(crate) path: String,
    pub(crate) value: Lit,
}

/// A MISP value in STIX terms.
#[derive(Debug, Clone, Default)]
pub(crate) struct Mapped {
    pub(crate) comparisons: Vec<Comparison>,
    /// SCOs with `type`, `spec_version` and a deterministic `id` (empty unless asked for: they
    /// cost a canonical JSON serialisation and a SHA-1 each).
    pub(crate) scos: Vec<Map<String, Value>>,
    want_scos: bool,
}

/// The MISP hash types and their STIX names, with hex lengths where fixed.
const HASHES: &[(&str, &str, Option<usize>)] = &[
    ("md5", "MD5", Some(32)),
    ("sha1", "SHA-1", Some(40)),
    ("sha256", "SHA-256", Some(64)),
    ("sha512", "SHA-512", Some(128)),
    ("sha3-256", "SHA3-256", Some(64)),
    ("sha3-512", "SHA3-512", Some(128)),
    ("ssdeep", "SSDEEP", None),
    ("tlsh", "TLSH", None),
];

/// The STIX mapping of a MISP attribute: `Ok(None)` when the type has none (kept as a custom
/// `x-misp-attribute` object), an error when the value is not valid for its type. SCOs are
/// made only when `scos` is true.
pub(crate) fn map_attribute(
    misp_type: &str,
    value: &str,
    scos: bool,
) -> Result<Option<Mapped>, String> {
    let mut m = Mapped { want_scos: scos, ..Mapped::default() };
    let bad = |what: &str| {
        format!(
            "`{}` is not a valid {what} for MISP type `{misp_type}`",
            crate::observable::printable(value)
        )
    };
    match misp_type {
        "domain" | "hostname" => {
            check_domain(value).ok_or_else(|| bad("domain name"))?;
            m.str("domain-name:value", value);
            m.sco("domain-name", json!({"value": value}));
        }
        "ip-src" | "ip-dst" => {
            let ip_type = ip_type(value).ok_or_else(|| bad("IP address"))?;
            m.str(&format!("{ip_type}:value"), value);
            m.sco(ip_type, json!({"value": value}));
        }
        "ip-src|port" | "ip-dst|port" => {
            let (ip, port) = value.rsplit_once('|').ok_or_else(|| bad("address|port pair"))?;
            let ip_type = ip_type(ip).ok_or_else(|| bad("IP address"))?;
            let port: i64 = port
                .trim()
                .parse()
                .ok()
                .filter(|p| (0..=65535).contains(p))
                .ok_or_else(|| bad("port"))?;
            let side = if misp_type.starts_with("ip-src") { "src" } else { "dst" };
            m.str(&format!("network-traffic:{side}_ref.type"), ip_type);
            m.str(&format!("network-traffic:{side}_ref.value"), ip);
            m.comparisons.push(Comparison {
                path: format!("network-traffic:{side}_port"),
                value: Lit::Int(port),
            });
            let ip_id = m.sco(ip_type, json!({"value": ip}));
            m.sco("network-traffic", json!({format!("{side}_ref"): ip_id, format!("{side}_port"): port, "protocols": [ip_type.trim_end_matches("-addr")]}));
        }
        "domain|ip" => {
            let (domain, ip) = value.split_once('|').ok_or_else(|| bad("domain|ip pair"))?;
            check_domain(domain).ok_or_else(|| bad("domain name"))?;
            let ip_type = ip_type(ip).ok_or_else(|| bad("IP address"))?;
            m.str("domain-name:value", domain);
            m.str("domain-name:resolves_to_refs[*].value", ip);
            let ip_id = m.sco(ip_type, json!({"value": ip}));
            m.sco("domain-name", json!({"value": domain, "resolves_to_refs": [ip_id]}));
        }
        "url" | "uri" | "link" => {
            if value.is_empty() || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(bad("URL"));
            }
            m.str("url:value", value);
            m.sco("url", json!({"value": value}));
        }
        "email" | "email-src" | "email-dst" => {
            let (local, domain) = value.rsplit_once('@').ok_or_else(|| bad("email address"))?;
            if local.is_empty() || check_domain(domain).is_none() {
                return Err(bad("email address"));
            }
            m.str("email-addr:value", value);
            m.sco("email-addr", json!({"value": value}));
        }
        "email-subject" => {
            m.str("email-message:subject", value);
            m.sco("email-message", json!({"is_multipart": false, "subject": value}));
        }
        "filename" => {
            m.str("file:name", value);
            m.sco("file", json!({"name": value}));
        }
        "mutex" => {
            m.str("mutex:name", value);
            m.sco("mutex", json!({"name": value}));
        }
        "regkey" => {
            let key = full_hive(value);
            m.str("windows-registry-key:key", &key);
            m.sco("windows-registry-key", json!({"key": key}));
        }
        "AS" => {
            let number: i64 = value
                .trim()
                .trim_start_matches(['A', 'S', 'a', 's'])
                .parse()
                .map_err(|_| bad("AS number"))?;
            m.comparisons.push(Comparison {
                path: "autonomous-system:number".into(),
                value: Lit::Int(number),
            });
            m.sco("autonomous-system", json!({"number": number}));
        }
        "mac-address" => {
            let lower = value.to_ascii_lowercase();
            let ok = lower.len() == 17
                && lower.split(':').count() == 6
                && lower
                    .split(':')
                    .all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_hexdigit()));
            if !ok {
                return Err(bad("MAC address"));
            }
            m.str("mac-addr:value", &lower);
            m.sco("mac-addr", json!({"value": lower}));
        }
        "port" => {
            let port: i64 = value
                .trim()
                .parse()
                .ok()
                .filter(|p| (0..=65535).contains(p))
                .ok_or_else(|| bad("port"))?;
            m.comparisons.push(Comparison {
                path: "network-traffic:dst_port".into(),
                value: Lit::Int(port),
            });
        }
        "user-agent" => {
            m.str(
                "network-traffic:extensions.'http-request-ext'.request_header.'User-Agent'",
                value,
            );
        }
        "x509-fingerprint-md5" | "x509-fingerprint-sha1" | "x509-fingerprint-sha256" => {
            let (name, len) = match misp_type {
                "x509-fingerprint-md5" => ("MD5", 32),
                "x509-fingerprint-sha1" => ("SHA-1", 40),
                _ => ("SHA-256", 64),
            };
            let hex = value.replace(':', "");
            if hex.len() != len || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(bad("fingerprint"));
            }
            m.str(&format!("x509-certificate:hashes.'{name}'"), value);
            m.sco("x509-certificate", json!({"hashes": {name: value}}));
        }
        _ => {
            if let Some((name, len)) = hash_type(misp_type) {
                check_hash(value, len).ok_or_else(|| bad("hash"))?;
                m.str(&format!("file:hashes.'{name}'"), value);
                m.sco("file", json!({"hashes": {name: value}}));
            } else if let Some((hash_type_name, _)) =
                misp_type.strip_prefix("filename|").map(|h| (h, ()))
            {
                let Some((name, len)) = hash_type(hash_type_name) else { return Ok(None) };
                let (file, hash) =
                    value.rsplit_once('|').ok_or_else(|| bad("filename|hash pair"))?;
                check_hash(hash, len).ok_or_else(|| bad("hash"))?;
                m.str("file:name", file);
                m.str(&format!("file:hashes.'{name}'"), hash);
                m.sco("file", json!({"name": file, "hashes": {name: hash}}));
            } else {
                return Ok(None);
            }
        }
    }
    Ok(Some(m))
}

impl Mapped {
    fn str(&mut self, path: &str, value: &str) {
        self.comparisons.push(Comparison { path: path.into(), value: Lit::Str(value.into()) });
    }

    /// Adds an SCO and returns its id.
    fn sco(&mut self, sco_type: &str, properties: Value) -> String {
        if !self.want_scos {
            return String::new();
        }
        let map = sco_map(sco_type, properties);
        let id = map.get("id").and_then(Value::as_str).unwrap_or("").to_owned();
        self.scos.push(map);
        id
    }
}

/// An SCO with `type`, `spec_version` and its deterministic id (STIX 2.1 §2.9).
pub(crate) fn sco_map(sco_type: &str, properties: Value) -> Map<String, Value> {
    let mut map = Map::new();
    map.insert("type".into(), sco_type.into());
    map.insert("spec_version".into(), "2.1".into());
    if let Value::Object(props) = properties {
        map.extend(props);
    }
    let id = stix::scoid::deterministic_id(sco_type, &map).unwrap_or_else(|| {
        let mut canonical = String::new();
        stix::scoid::write_canonical(&Value::Object(map.clone()), &mut canonical);
        derived_id(sco_type, &canonical)
    });
    map.insert("id".into(), id.as_str().into());
    map
}

/// Merges SCOs that describe one thing (the `file` of a file object's name and hashes; one
/// certificate; one email message) and keeps the others, dropping duplicates.
pub(crate) fn merge_scos(scos: Vec<Map<String, Value>>) -> Vec<Map<String, Value>> {
    let mut out: Vec<Map<String, Value>> = Vec::new();
    let mut merged: Vec<(String, Map<String, Value>)> = Vec::new();
    for sco in scos {
        let sco_type = sco.get("type").and_then(Value::as_str).unwrap_or("").to_owned();
        if ["file", "x509-certificate", "email-message"].contains(&sco_type.as_str()) {
            let index = match merged.iter().position(|(t, _)| *t == sco_type) {
                Some(index) => index,
                None => {
                    merged.push((sco_type.clone(), Map::new()));
                    merged.len() - 1
                }
            };
            let slot = &mut merged[index].1;
            for (key, value) in sco {
                if ["type", "id", "spec_version"].contains(&key.as_str()) {
                    continue;
                }
                match (slot.get_mut(&key), value) {
                    (Some(Value::Object(existing)), Value::Object(more)) => existing.extend(more),
                    (Some(_), _) => {}
                    (None, value) => {
                        slot.insert(key, value);
                    }
                }
            }
        } else if !out.iter().any(|o| o.get("id") == sco.get("id")) {
            out.push(sco);
        }
    }
    for (sco_type, properties) in merged {
        out.push(sco_map(&sco_type, Value::Object(properties)));
    }
    out
}

/// The pattern for comparisons: those on the same object type share one observation
/// (`[a AND b]`), observations are joined with `AND`.
pub(crate) fn pattern(comparisons: &[Comparison]) -> String {
    let mut groups: Vec<(&str, Vec<String>)> = Vec::new();
    for c in comparisons {
        let object_type = c.path.split(':').next().unwrap_or("");
        let text = match &c.value {
            Lit::Str(s) => format!("{} = '{}'", c.path, escape_pattern_string(s)),
            Lit::Int(n) => format!("{} = {n}", c.path),
        };
        match groups.iter_mut().find(|(t, _)| *t == object_type) {
            Some((_, items)) => items.push(text),
            None => groups.push((object_type, vec![text])),
        }
    }
    groups
        .iter()
        .map(|(_, items)| format!("[{}]", items.join(" AND ")))
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// STIX 2.1 §6.13.1: `key` names the hive in full (`HKEY_LOCAL_MACHINE`), never abbreviated.
fn full_hive(key: &str) -> String {
    const HIVES: [(&str, &str); 5] = [
        ("HKLM", "HKEY_LOCAL_MACHINE"),
        ("HKCU", "HKEY_CURRENT_USER"),
        ("HKCR", "HKEY_CLASSES_ROOT"),
        ("HKU", "HKEY_USERS"),
        ("HKCC", "HKEY_CURRENT_CONFIG"),
    ];
    let (hive, rest) = key.split_once('\\').unwrap_or((key, ""));
    match HIVES.iter().find(|(short, _)| short.eq_ignore_ascii_case(hive)) {
        Some((_, full)) if rest.is_empty() => (*full).to_owned(),
        Some((_, full)) => format!("{full}\\{rest}"),
        None => key.to_owned(),
    }
}

fn hash_type(misp_type: &str) -> Option<(&'static str, Option<usize>)> {
    HASHES.iter().find(|(t, _, _)| *t == misp_type).map(|(_, name, len)| (*name, *len))
}

fn check_hash(value: &str, len: Option<usize>) -> Option<()> {
    let ok = match len {
        Some(len) => value.len() == len && value.bytes().all(|b| b.is_ascii_hexdigit()),
        None => !value.is_empty() && !value.chars().any(char::is_whitespace),
    };
    ok.then_some(())
}

fn check_domain(value: &str) -> Option<()> {
    let lower = value.strip_suffix('.').unwrap_or(value).to_ascii_lowercase();
    is_domain(&lower).then_some(())
}

fn ip_type(value: &str) -> Option<&'static str> {
    let net = crate::ipnet::IpNet::parse(value)?;
    Some(if net.is_v6() { "ipv6-addr" } else { "ipv4-addr" })
}

/// The MISP type and value for a STIX IOC, when there is a plain one.
pub(crate) fn misp_type_for_ioc(ioc: &pattern::Ioc) -> Option<(&'static str, String)> {
    Some(match ioc {
        pattern::Ioc::Domain(v) => ("domain", v.clone()),
        pattern::Ioc::Ipv4(v) | pattern::Ioc::Ipv6(v) => ("ip-dst", v.clone()),
        pattern::Ioc::Url(v) => ("url", v.clone()),
        pattern::Ioc::Email(v) => ("email", v.clone()),
        pattern::Ioc::Hash { algorithm, value } => {
            let upper = algorithm.to_ascii_uppercase();
            let (misp, _, _) = HASHES.iter().find(|(_, name, _)| *name == upper)?;
            (misp, value.clone())
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(misp_type: &str, value: &str) -> String {
        match map_attribute(misp_type, value, true) {
            Ok(Some(m)) => {
                let text = pattern(&m.comparisons);
                pattern::parse(&text).unwrap_or_else(|d| panic!("{text}: {d}"));
                let types: Vec<&str> =
                    m.scos.iter().filter_map(|s| s.get("type")?.as_str()).collect();
                format!("{text} {types:?}")
            }
            Ok(None) => "unmapped".into(),
            Err(e) => format!("error: {e}"),
        }
    }

    #[test]
    fn attribute_types() {
        assert_eq!(
            check("ip-dst|port", "2001:db8::1|443"),
            "[network-traffic:dst_ref.type = 'ipv6-addr' AND network-traffic:dst_ref.value = '2001:db8::1' AND network-traffic:dst_port = 443] [\"ipv6-addr\", \"network-traffic\"]"
        );
        assert_eq!(
            check("domain|ip", "evil.example|198.51.100.7"),
            "[domain-name:value = 'evil.example' AND domain-name:resolves_to_refs[*].value = '198.51.100.7'] [\"ipv4-addr\", \"domain-name\"]"
        );
        assert_eq!(
            check("filename|sha256", &format!("a'b.exe|{}", "a".repeat(64))),
            format!(
                "[file:name = 'a\\'b.exe' AND file:hashes.'SHA-256' = '{}'] [\"file\"]",
                "a".repeat(64)
            )
        );
        assert_eq!(
            check("AS", "AS64496"),
            "[autonomous-system:number = 64496] [\"autonomous-system\"]"
        );
        assert_eq!(check("text", "anything"), "unmapped");
        assert_eq!(
            check("ip-src", "not-an-ip"),
            "error: `not-an-ip` is not a valid IP address for MISP type `ip-src`"
        );
        assert_eq!(check("md5", "abc"), "error: `abc` is not a valid hash for MISP type `md5`");
    }
}
