//! Building STIX indicators from checked values, with deterministic ids so that importing the
//! same value again gives the same object (an update, not a duplicate).

use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::observable::Observable;

/// The UUIDv5 namespace of the ids Meridian derives from content (indicators from text and CSV,
/// MISP records without a UUID, bundle ids of exports).
pub const MERIDIAN_NAMESPACE: Uuid = Uuid::from_bytes([
    0xa1, 0xd1, 0x5e, 0xcc, 0x80, 0xb8, 0x40, 0x8b, 0xa9, 0x14, 0x9d, 0x53, 0x38, 0x68, 0xbb, 0x90,
]);

/// What an import adds to each indicator besides its pattern.
#[derive(Debug, Clone)]
pub struct IndicatorMeta {
    /// `created`, `modified` and `valid_from`.
    pub now: stix::Timestamp,
    /// A TLP marking for every indicator.
    pub tlp: Option<stix::Tlp>,
    /// Labels for every indicator.
    pub labels: Vec<String>,
    /// The identity that creates the indicators.
    pub created_by_ref: Option<stix::Identifier>,
}

impl IndicatorMeta {
    /// Indicators made at `now`, with no marking, labels or creator.
    pub fn new(now: stix::Timestamp) -> IndicatorMeta {
        IndicatorMeta { now, tlp: None, labels: Vec::new(), created_by_ref: None }
    }
}

/// A deterministic id of `object_type` for `content`.
pub(crate) fn derived_id(object_type: &str, content: &str) -> stix::Identifier {
    let uuid = Uuid::new_v5(&MERIDIAN_NAMESPACE, format!("{object_type}\n{content}").as_bytes());
    // Callers pass constant, valid type names; a bad one would still get a well-formed id.
    stix::Identifier::new(object_type, uuid)
        .unwrap_or_else(|_| stix::Identifier::random("x-meridian-invalid"))
}

/// The indicator for one observable, with `name` (the value when empty) and optional extra
/// properties (description, valid_until, labels) from the source row.
pub(crate) fn indicator(
    observable: &Observable,
    meta: &IndicatorMeta,
    extra: Map<String, Value>,
) -> Result<stix::Object, String> {
    let pattern = observable.pattern();
    let id = derived_id("indicator", &pattern);
    let mut map = Map::new();
    map.insert("type".into(), "indicator".into());
    map.insert("spec_version".into(), "2.1".into());
    map.insert("id".into(), id.as_str().into());
    if let Some(creator) = &meta.created_by_ref {
        map.insert("created_by_ref".into(), creator.as_str().into());
    }
    map.insert("created".into(), meta.now.as_str().into());
    map.insert("modified".into(), meta.now.as_str().into());
    map.insert("name".into(), observable.to_string().into());
    map.insert("indicator_types".into(), json!(["malicious-activity"]));
    map.insert("pattern".into(), pattern.into());
    map.insert("pattern_type".into(), "stix".into());
    map.insert("pattern_version".into(), "2.1".into());
    map.insert("valid_from".into(), meta.now.as_str().into());
    if !meta.labels.is_empty() {
        map.insert("labels".into(), json!(meta.labels));
    }
    if let Some(tlp) = meta.tlp {
        map.insert("object_marking_refs".into(), json!([tlp.marking_id()]));
    }
    for (key, value) in extra {
        if key == "labels" {
            let mut labels: Vec<Value> =
                meta.labels.iter().map(|l| Value::from(l.as_str())).collect();
            for label in value.as_array().into_iter().flatten() {
                if !labels.contains(label) {
                    labels.push(label.clone());
                }
            }
            map.insert(key, Value::Array(labels));
        } else if key == "tlp" {
            if let Some(level) = value.as_str().and_then(parse_tlp) {
                map.insert("object_marking_refs".into(), json!([level.marking_id()]));
            }
        } else {
            map.insert(key, value);
        }
    }
    stix::Object::from_map(map).map_err(|e| e.to_string())
}

/// The TLP marking definitions the objects refer to, to add to a bundle.
pub(crate) fn marking_definitions(objects: &[stix::Object]) -> Vec<stix::Object> {
    let mut levels: Vec<stix::Tlp> = objects
        .iter()
        .flat_map(|o| o.object_marking_refs())
        .filter_map(|id| stix::Tlp::from_marking_id(id.as_str()))
        .collect();
    levels.sort();
    levels.dedup();
    let present: Vec<&str> = objects.iter().map(|o| o.id().as_str()).collect();
    levels
        .into_iter()
        .filter(|l| !present.contains(&l.marking_id()))
        .filter_map(|l| stix::Object::from_value(l.marking_definition()).ok())
        .collect()
}

/// A TLP level from `clear`, `TLP:GREEN`, `amber+strict`, `white` (TLP 1.0) and the like.
pub fn parse_tlp(text: &str) -> Option<stix::Tlp> {
    let lower = text.trim().to_ascii_lowercase();
    let level = lower.strip_prefix("tlp:").unwrap_or(&lower).trim();
    match level {
        "clear" | "white" => Some(stix::Tlp::Clear),
        "green" => Some(stix::Tlp::Green),
        "amber" => Some(stix::Tlp::Amber),
        "amber+strict" => Some(stix::Tlp::AmberStrict),
        "red" => Some(stix::Tlp::Red),
        _ => None,
    }
}
