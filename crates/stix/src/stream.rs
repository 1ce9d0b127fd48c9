//! Streaming validation: a bundle's `objects` array is validated one object at a time while it
//! is read, so memory stays bounded by the largest single object, not by the document.

use std::fmt;
use std::io::Read;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::validate::{
    Finding, Options, Severity, validate_at, validate_bundle_header, validate_object_at,
};

/// Counts of what a streaming validation saw.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Objects validated.
    pub objects: u64,
    /// Findings of severity error.
    pub errors: u64,
    /// Findings of severity warning.
    pub warnings: u64,
}

/// Validates a JSON document read from `reader` (a bundle, one object, or an array of objects),
/// handing each finding to `sink` as soon as it is known.
///
/// # Errors
/// When the input is not JSON (or nests deeper than 128 levels); the error carries line and column.
pub fn validate_reader<R: Read>(
    reader: R,
    options: &Options<'_>,
    sink: &mut dyn FnMut(Finding),
) -> Result<Summary, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_reader(reader);
    run(&mut de, options, sink)
}

/// Like [`validate_reader`], for a document already in memory.
///
/// # Errors
/// When the input is not JSON.
pub fn validate_slice(
    bytes: &[u8],
    options: &Options<'_>,
    sink: &mut dyn FnMut(Finding),
) -> Result<Summary, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    run(&mut de, options, sink)
}

fn run<'de, R: serde_json::de::Read<'de>>(
    de: &mut serde_json::Deserializer<R>,
    options: &Options<'_>,
    sink: &mut dyn FnMut(Finding),
) -> Result<Summary, serde_json::Error> {
    let mut state = State { options, sink, summary: Summary::default(), buffer: Vec::new() };
    Top(&mut state).deserialize(&mut *de)?;
    de.end()?;
    Ok(state.summary)
}

struct State<'a, 'o> {
    options: &'a Options<'o>,
    sink: &'a mut dyn FnMut(Finding),
    summary: Summary,
    buffer: Vec<Finding>,
}

impl State<'_, '_> {
    fn object(&mut self, value: &Value, path: &str) {
        self.summary.objects += 1;
        validate_object_at(value, path, self.options, &mut self.buffer);
        self.flush();
    }

    fn flush(&mut self) {
        for finding in self.buffer.drain(..) {
            match finding.severity {
                Severity::Error => self.summary.errors += 1,
                Severity::Warning => self.summary.warnings += 1,
            }
            (self.sink)(finding);
        }
    }
}

struct Top<'s, 'a, 'o>(&'s mut State<'a, 'o>);

impl<'de> DeserializeSeed<'de> for Top<'_, '_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Top<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a STIX bundle, object, or array of objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0usize;
        while let Some(value) = seq.next_element::<Value>()? {
            // An element may itself be a bundle: its objects are counted and validated too.
            let count = value.get("objects").and_then(Value::as_array).map_or(1, Vec::len);
            let is_bundle = value.get("type").and_then(Value::as_str) == Some("bundle");
            self.0.summary.objects += if is_bundle { count as u64 } else { 1 };
            validate_at(&value, &format!("$[{i}]"), self.0.options, &mut self.0.buffer);
            self.0.flush();
            i += 1;
        }
        if i == 0 {
            self.0.buffer.push(Finding {
                path: "$".into(),
                severity: Severity::Error,
                section: "2.8",
                message: "the array holds no objects".into(),
            });
            self.0.flush();
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut header = Map::new();
        let mut streamed = None;
        while let Some(key) = map.next_key::<String>()? {
            let is_bundle = header.get("type").and_then(Value::as_str) == Some("bundle");
            if key == "objects" && is_bundle && streamed.is_none() {
                streamed = Some(map.next_value_seed(Objects(&mut *self.0))?);
            } else {
                let value = map.next_value::<Value>()?;
                header.insert(key, value);
            }
        }
        if header.get("type").and_then(Value::as_str) == Some("bundle") {
            let count = match (streamed, header.remove("objects")) {
                (Some(n), _) => Some(n),
                (None, Some(Value::Array(items))) => {
                    // `objects` came before `type`: validate what was buffered.
                    for (i, item) in items.iter().enumerate() {
                        self.0.object(item, &format!("$.objects[{i}]"));
                    }
                    Some(items.len())
                }
                (None, Some(other)) => {
                    header.insert("objects".into(), other);
                    None
                }
                (None, None) => None,
            };
            if count == Some(0) {
                header.insert("objects".into(), Value::Array(Vec::new()));
            }
            validate_bundle_header(&header, count.is_some_and(|n| n > 0), &mut self.0.buffer);
            self.0.flush();
        } else {
            self.0.object(&Value::Object(header), "$");
        }
        Ok(())
    }

    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<(), E> {
        self.0.object(&Value::Bool(false), "$");
        Ok(())
    }

    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<(), E> {
        self.0.object(&Value::Null, "$");
        Ok(())
    }

    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<(), E> {
        self.0.object(&Value::Null, "$");
        Ok(())
    }

    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<(), E> {
        self.0.object(&Value::Null, "$");
        Ok(())
    }

    fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<(), E> {
        self.0.object(&Value::Null, "$");
        Ok(())
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        self.0.object(&Value::Null, "$");
        Ok(())
    }
}

/// The `objects` array of a bundle, validated element by element; yields the element count.
struct Objects<'s, 'a, 'o>(&'s mut State<'a, 'o>);

impl<'de> DeserializeSeed<'de> for Objects<'_, '_, '_> {
    type Value = usize;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<usize, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Objects<'_, '_, '_> {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of STIX objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<usize, A::Error> {
        let mut i = 0usize;
        let mut path = String::with_capacity(32);
        while let Some(value) = seq.next_element::<Value>()? {
            path.clear();
            path.push_str("$.objects[");
            path.push_str(&i.to_string());
            path.push(']');
            self.0.object(&value, &path);
            i += 1;
        }
        Ok(i)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<usize, A::Error> {
        while map.next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?.is_some() {}
        self.0.buffer.push(Finding {
            path: "$.objects".into(),
            severity: Severity::Error,
            section: "8",
            message: "`objects` must be an array of STIX objects".into(),
        });
        self.0.flush();
        Ok(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_on(text: &str) -> (Summary, Vec<String>) {
        let mut found = Vec::new();
        let summary = validate_slice(text.as_bytes(), &Options::default(), &mut |f| {
            found.push(format!("{} {}", f.path, f.message))
        })
        .unwrap_or_default();
        (summary, found)
    }

    #[test]
    fn streams_bundle_objects_with_paths() {
        let (summary, found) = run_on(
            r#"{"type":"bundle","id":"bundle--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","objects":[
                {"type":"mutex","id":"mutex--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","name":"a"},
                {"type":"mutex","id":"mutex--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"}]}"#,
        );
        assert_eq!(summary.objects, 2);
        assert!(
            found.iter().any(|f| f == "$.objects[1].name missing required property `name`"),
            "{found:?}"
        );
    }

    #[test]
    fn objects_before_type_are_still_validated() {
        let (summary, found) = run_on(
            r#"{"objects":[{"type":"mutex","id":"mutex--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"}],
                "type":"bundle","id":"bundle--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"}"#,
        );
        assert_eq!(summary.objects, 1);
        assert!(found.iter().any(|f| f.starts_with("$.objects[0].name missing")), "{found:?}");
    }

    #[test]
    fn a_single_object_and_scalars_are_handled() {
        let (summary, found) = run_on(
            r#"{"type":"mutex","id":"mutex--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","name":"a"}"#,
        );
        assert_eq!(summary.objects, 1);
        assert!(found.iter().all(|f| !f.contains("missing")), "{found:?}");
        let (_, found) = run_on("42");
        assert_eq!(found, ["$ a STIX object must be a JSON object"]);
    }

    #[test]
    fn bad_json_is_an_error_with_position() {
        let err = validate_slice(
            b"{\"type\": \"bundle\", \"objects\": [1,",
            &Options::default(),
            &mut |_| {},
        )
        .unwrap_err();
        assert_eq!((err.line(), err.is_eof()), (1, true));
    }
}
