//! Deterministic identifiers for SCOs (STIX 2.1 §2.9): a UUIDv5 in the STIX namespace over the
//! RFC 8785 (JCS) canonical JSON of the type's ID-contributing properties, so the same observable
//! from two partners gets the same id.

use std::fmt::Write as _;

use serde_json::{Map, Value};
use uuid::Uuid;

use crate::{Identifier, schema};

/// The UUIDv5 namespace for SCO identifiers (STIX 2.1 §2.9).
pub const SCO_NAMESPACE: Uuid = Uuid::from_bytes([
    0x00, 0xab, 0xed, 0xb4, 0xaa, 0x42, 0x46, 0x6c, 0x9c, 0x01, 0xfe, 0xd2, 0x33, 0x15, 0xa9, 0xb7,
]);

/// The deterministic id of the SCO `object` of type `object_type`.
///
/// Returns `None` when the type has no ID-contributing properties (e.g. `process`, custom SCOs)
/// or none of them is present; STIX 2.1 §2.9 then asks for a random UUIDv4.
/// For `hashes`, one hash is used: MD5, else SHA-1, else SHA-256, else SHA-512, else the first.
pub fn deterministic_id(object_type: &str, object: &Map<String, Value>) -> Option<Identifier> {
    let def = schema::type_def(object_type)?;
    let mut contributing = Map::new();
    for &key in def.id_contributing {
        let Some(value) = object.get(key) else { continue };
        let value = if key == "hashes" { choose_one_hash(value)? } else { value.clone() };
        contributing.insert(key.to_owned(), value);
    }
    if contributing.is_empty() {
        return None;
    }
    let mut canonical = String::new();
    write_canonical(&Value::Object(contributing), &mut canonical);
    Identifier::new(object_type, Uuid::new_v5(&SCO_NAMESPACE, canonical.as_bytes())).ok()
}

fn choose_one_hash(hashes: &Value) -> Option<Value> {
    let hashes = hashes.as_object()?;
    let key = ["MD5", "SHA-1", "SHA-256", "SHA-512"]
        .into_iter()
        .find(|k| hashes.contains_key(*k))
        .or_else(|| hashes.keys().next().map(String::as_str))?;
    let mut one = Map::new();
    one.insert(key.to_owned(), hashes.get(key)?.clone());
    Some(Value::Object(one))
}

/// Writes `value` in the JSON Canonicalization Scheme (RFC 8785).
pub fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => write_number(n, out),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            // RFC 8785 §3.2.3: members sorted by the UTF-16 code units of their names.
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(key, out);
                out.push(':');
                write_canonical(item, out);
            }
            out.push('}');
        }
    }
}

/// RFC 8785 §3.2.2.2: only `"`, `\` and control characters are escaped, with the short forms
/// where JSON has them.
fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// RFC 8785 §3.2.2.3: numbers as ECMAScript's `Number.prototype.toString` prints them.
fn write_number(n: &serde_json::Number, out: &mut String) {
    if let Some(i) = n.as_i64() {
        let _ = write!(out, "{i}");
    } else if let Some(u) = n.as_u64() {
        let _ = write!(out, "{u}");
    } else if let Some(f) = n.as_f64() {
        let abs = f.abs();
        if f == 0.0 {
            out.push('0');
        } else if (1e-6..1e21).contains(&abs) {
            // Rust's shortest round-trip decimal form equals ECMAScript's in this range.
            let _ = write!(out, "{f}");
        } else {
            let s = format!("{f:e}");
            // ECMAScript writes a sign on positive exponents: 1e+21.
            match s.split_once('e') {
                Some((mantissa, exp)) if !exp.starts_with('-') => {
                    let _ = write!(out, "{mantissa}e+{exp}");
                }
                _ => out.push_str(&s),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id_of(v: Value) -> String {
        let map = v.as_object().cloned().unwrap_or_default();
        let ty = map.get("type").and_then(Value::as_str).unwrap_or_default().to_owned();
        deterministic_id(&ty, &map).map(|i| i.to_string()).unwrap_or_default()
    }

    /// Expected ids computed with the OASIS `stix2` Python library (3.0.2).
    #[test]
    fn matches_the_reference_library() {
        assert_eq!(
            id_of(serde_json::json!({"type": "ipv4-addr", "value": "198.51.100.3"})),
            "ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4"
        );
        assert_eq!(
            id_of(serde_json::json!({"type": "domain-name", "value": "example.com"})),
            "domain-name--bedb4899-d24b-5401-bc86-8f6b4cc18ec7"
        );
        assert_eq!(
            id_of(serde_json::json!({"type": "file", "name": "qwerty.dll",
                "hashes": {"SHA-256": "ceafbfd424be2ca4a5f0402cae090dda2fb0526cf521b60b60077c0f622b285a", "MD5": "3773a88f65a5e780c8dff9cdc3a056f3"}})),
            "file--47f78a01-3156-510d-b6f4-6724a682fe60"
        );
    }

    #[test]
    fn no_contributing_properties_means_no_deterministic_id() {
        assert_eq!(id_of(serde_json::json!({"type": "process", "pid": 4})), "");
        assert_eq!(id_of(serde_json::json!({"type": "file", "size": 4})), "");
        assert_eq!(id_of(serde_json::json!({"type": "x-custom-sco", "value": "a"})), "");
    }

    #[test]
    fn canonical_form_follows_rfc_8785() {
        let mut out = String::new();
        write_canonical(
            &serde_json::json!({"b": [1, 2.5, 1e30, -0.000001, true, null], "a": "x\u{1}\"\\\n", "é": 1}),
            &mut out,
        );
        assert_eq!(out, r#"{"a":"x\u0001\"\\\n","b":[1,2.5,1e+30,-0.000001,true,null],"é":1}"#);
    }
}
