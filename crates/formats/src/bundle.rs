//! STIX 2.1 bundles: import with validation (and STIX 2.0 content upgraded to 2.1), and export of
//! a selection as a bundle with a deterministic id, so the same content gives the same file.
//!
//! # STIX 2.0 → 2.1
//!
//! Every object gets `spec_version: "2.1"` (the 2.0 bundle's own `spec_version` goes). The
//! 2.0 `labels`, which held each type's vocabulary, move to the 2.1 property made for it:
//! `indicator_types`, `malware_types`, `report_types`, `threat_actor_types`, `tool_types`.
//! Indicators get `pattern_type: "stix"`; malware gets `is_family: true` (2.0 malware
//! described families, as the OASIS elevator also assumes). Everything else is kept as it was,
//! including the 2.0 embedded `objects` of observed data (deprecated but valid in 2.1).

use std::io::Write;

use serde_json::{Map, Value};

use crate::Error;
use crate::export::Selection;
use crate::indicator::{derived_id, marking_definitions};
use crate::report::Import;

/// Imports a bundle, a single object, or an array of objects: every object is validated on
/// its own, and one with an error is rejected (with its JSON path and the first error) while
/// the others are kept.
///
/// # Errors
/// When the document is neither a bundle, an object nor an array.
pub fn import_stix(document: Value) -> Result<Import, Error> {
    let (items, base, v20) = match document {
        Value::Object(mut map) if map.get("type").and_then(Value::as_str) == Some("bundle") => {
            let v20 = map.get("spec_version").and_then(Value::as_str) == Some("2.0");
            match map.remove("objects") {
                Some(Value::Array(items)) => (items, "$.objects", v20),
                None => (Vec::new(), "$.objects", v20),
                Some(_) => return Err(Error::invalid("$.objects", "`objects` must be an array")),
            }
        }
        object @ Value::Object(_) => (vec![object], "", false),
        Value::Array(items) => (items, "$", false),
        _ => return Err(Error::invalid("$", "expected a STIX bundle, object or array of objects")),
    };
    let checker = |text: &str, version: Option<&str>| {
        let version =
            if version == Some("2.0") { pattern::Version::V2_0 } else { pattern::Version::V2_1 };
        pattern::parse_with(text, &pattern::Options::for_version(version))
            .map(|_| ())
            .map_err(|d| d.to_string())
    };
    let options = stix::validate::Options { pattern_checker: Some(&checker) };
    let mut import = Import::default();
    let mut seen = std::collections::HashSet::new();
    for (i, mut value) in items.into_iter().enumerate() {
        let path = if base.is_empty() { "$".to_owned() } else { format!("{base}[{i}]") };
        if v20 {
            upgrade_20(&mut value);
        }
        let mut findings = Vec::new();
        stix::validate::validate_object_at(&value, &path, &options, &mut findings);
        if let Some(error) = findings.iter().find(|f| f.severity == stix::validate::Severity::Error)
        {
            import.report.reject(error.path.clone(), error.message.clone());
            continue;
        }
        if let Some(map) = value.as_object()
            && let Err(mismatch) = stix::marking::check_pinned(map)
        {
            import.report.reject(path, mismatch.to_string());
            continue;
        }
        match stix::Object::from_value(value) {
            Ok(object) => {
                let key = object.version();
                if seen.insert(key) {
                    import.objects.push(object);
                    import.report.created += 1;
                } else {
                    import.report.ignore(path, "the same version appears earlier in the input");
                }
            }
            Err(e) => import.report.reject(path, e.to_string()),
        }
    }
    Ok(import)
}

/// Upgrades one STIX 2.0 object to 2.1 in place (see the module documentation).
pub fn upgrade_20(value: &mut Value) {
    let Some(map) = value.as_object_mut() else { return };
    let object_type = map.get("type").and_then(Value::as_str).unwrap_or("").to_owned();
    map.entry("spec_version").or_insert_with(|| "2.1".into());
    let vocabulary = match object_type.as_str() {
        "indicator" => Some("indicator_types"),
        "malware" => Some("malware_types"),
        "report" => Some("report_types"),
        "threat-actor" => Some("threat_actor_types"),
        "tool" => Some("tool_types"),
        _ => None,
    };
    if let Some(property) = vocabulary
        && !map.contains_key(property)
        && let Some(labels) = map.remove("labels")
    {
        map.insert(property.into(), labels);
    }
    match object_type.as_str() {
        "indicator" => {
            map.entry("pattern_type").or_insert_with(|| "stix".into());
        }
        "malware" => {
            map.entry("is_family").or_insert(Value::Bool(true));
        }
        _ => {}
    }
}

/// Writes the selection as a STIX 2.1 bundle, with the TLP marking definitions its objects refer
/// to. The bundle id is derived from the objects' ids and versions.
///
/// # Errors
/// When writing fails.
pub fn write_bundle(selection: &Selection, out: &mut (impl Write + ?Sized)) -> Result<(), Error> {
    let mut objects: Vec<stix::Object> =
        selection.objects().iter().map(|s| s.object().clone()).collect();
    objects.extend(marking_definitions(&objects));
    write_objects(objects, out)
}

/// Writes objects as a bundle with an id derived from their ids and versions.
pub(crate) fn write_objects(
    objects: Vec<stix::Object>,
    out: &mut (impl Write + ?Sized),
) -> Result<(), Error> {
    let mut keys: Vec<String> = objects
        .iter()
        .map(|o| {
            format!(
                "{} {}",
                o.id(),
                o.modified()
                    .or_else(|| o.created())
                    .map(|t| t.as_str().to_owned())
                    .unwrap_or_default()
            )
        })
        .collect();
    keys.sort();
    let bundle =
        stix::Bundle { id: derived_id("bundle", &keys.join("\n")), objects, extra: Map::new() };
    serde_json::to_writer_pretty(&mut *out, &bundle)?;
    writeln!(out)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn stix_20_is_upgraded_and_bad_objects_are_rejected_with_their_path() {
        let bundle = json!({
            "type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", "spec_version": "2.0",
            "objects": [
                {"type": "indicator", "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
                 "created": "2016-04-06T20:03:48.000Z", "modified": "2016-04-06T20:03:48.000Z",
                 "labels": ["malicious-activity"], "pattern": "[domain-name:value = 'evil.example']",
                 "valid_from": "2016-01-01T00:00:00Z"},
                {"type": "malware", "id": "malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b",
                 "created": "2016-04-06T20:07:09.000Z", "modified": "2016-04-06T20:07:09.000Z",
                 "name": "Poison Ivy", "labels": ["remote-access-trojan"]},
                {"type": "indicator", "id": "indicator--9e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
                 "created": "2016-04-06T20:03:48.000Z", "modified": "2016-04-06T20:03:48.000Z",
                 "labels": ["malicious-activity"], "pattern": "[domain-name:value = ",
                 "valid_from": "2016-01-01T00:00:00Z"}
            ]
        });
        let import = import_stix(bundle).unwrap();
        assert_eq!(import.report.created, 2);
        assert_eq!(import.report.rejected.len(), 1);
        assert!(
            import.report.rejected[0].location.starts_with("$.objects[2]"),
            "{:?}",
            import.report.rejected
        );
        let indicator = &import.objects[0];
        assert_eq!(indicator.get("spec_version").unwrap(), "2.1");
        assert_eq!(indicator.get("indicator_types").unwrap(), &json!(["malicious-activity"]));
        assert_eq!(indicator.get("pattern_type").unwrap(), "stix");
        assert!(indicator.get("labels").is_none());
        let malware = &import.objects[1];
        assert_eq!(malware.get("malware_types").unwrap(), &json!(["remote-access-trojan"]));
        assert_eq!(malware.get("is_family").unwrap(), true);
    }
}
