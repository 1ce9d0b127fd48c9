//! MISP events to STIX 2.1.
//!
//! | MISP | STIX |
//! |---|---|
//! | event | `report` (`report--<event uuid>`), external reference `misp`/event uuid, `x_misp_*` event fields |
//! | `Orgc` | `identity` (`identity--<org uuid>`), `created_by_ref` of everything made |
//! | attribute, `to_ids` true, mappable | `indicator--<attribute uuid>` with the STIX pattern |
//! | attribute, `to_ids` false, mappable to SCOs | `observed-data--<attribute uuid>` and the SCOs |
//! | `stix2-pattern`, `snort`, `yara`, `sigma` | `indicator` with that pattern type |
//! | other attribute types | custom `x-misp-attribute--<uuid>` |
//! | object | one `indicator` (pattern of its `to_ids` attributes), else `observed-data`, else `x-misp-object` |
//! | `tlp:*` tags | TLP 2.0 marking (`tlp:white` is CLEAR); the most restrictive of event and attribute wins |
//! | other tags, galaxy clusters | `labels` (the event's are added to every object, so label rules apply) |
//! | `distribution`, `sharing_group_id`, `SharingGroup` | `x_misp_distribution`, `x_misp_sharing_group_id`, `x_misp_sharing_group` (provenance for the policy engine) |
//!
//! Every object keeps the MISP record as `x_misp_*` properties (type, category, value, `to_ids`,
//! comment, own tags, object attributes) and `x_misp_event_uuid`, so the way back is lossless.
//! Ids come from MISP UUIDs, so importing the same event again gives the same ids: newer
//! `timestamp`s become new versions, unchanged ones the same version. Records without a UUID get
//! one derived from their content. Deleted attributes and objects are ignored.

use std::collections::HashMap;

use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::mapping::{Mapped, map_attribute, merge_scos, pattern};
use crate::Error;
use crate::indicator::{MERIDIAN_NAMESPACE, parse_tlp};
use crate::report::Import;

/// Settings for [`import_misp`].
#[derive(Debug, Clone)]
pub struct MispImportOptions {
    /// The time used for records with neither `timestamp` nor `date`.
    pub now: stix::Timestamp,
}

/// The pattern types MISP attributes can carry as-is.
const RULE_TYPES: [&str; 3] = ["snort", "yara", "sigma"];

/// Converts MISP JSON: one event, `{"Event": …}`, a list of either, or `{"response": [...]}` as
/// MISP's REST search answers.
///
/// # Errors
/// When the document is none of these shapes.
pub fn import_misp(document: Value, options: &MispImportOptions) -> Result<Import, Error> {
    let mut events: Vec<(String, Map<String, Value>)> = Vec::new();
    collect_events(document, "$", &mut events)?;
    let mut ctx = Ctx { import: Import::default(), ids: HashMap::new(), now: options.now.clone() };
    for (path, event) in events {
        ctx.event(event, &path);
    }
    ctx.import.objects.extend(crate::indicator::marking_definitions(&ctx.import.objects));
    Ok(ctx.import)
}

/// Takes the events out of `value`, each with its JSON path (the document is consumed so that
/// each attribute's memory is freed once it is converted).
fn collect_events(
    value: Value,
    path: &str,
    out: &mut Vec<(String, Map<String, Value>)>,
) -> Result<(), Error> {
    match value {
        Value::Array(items) => {
            for (i, item) in items.into_iter().enumerate() {
                collect_events(item, &format!("{path}[{i}]"), out)?;
            }
            Ok(())
        }
        Value::Object(mut map) => {
            if let Some(event) = map.remove("Event") {
                return match event {
                    Value::Object(event) => {
                        out.push((format!("{path}.Event"), event));
                        Ok(())
                    }
                    _ => Err(Error::invalid(format!("{path}.Event"), "`Event` must be an object")),
                };
            }
            if let Some(response) = map.remove("response") {
                return collect_events(response, &format!("{path}.response"), out);
            }
            if ["info", "Attribute", "Object", "date"].iter().any(|k| map.contains_key(*k)) {
                out.push((path.to_owned(), map));
                return Ok(());
            }
            Err(Error::invalid(path, "not a MISP event: expected `Event`, `info` or `Attribute`"))
        }
        _ => {
            Err(Error::invalid(path, "expected a MISP event, a list of events, or {\"Event\": …}"))
        }
    }
}

/// What every object of one event shares.
struct EventCtx {
    uuid: String,
    timestamp: stix::Timestamp,
    tlp: Option<stix::Tlp>,
    labels: Vec<String>,
    creator: Option<String>,
}

struct Ctx {
    import: Import,
    /// Index in `import.objects` of each id made so far.
    ids: HashMap<String, usize>,
    now: stix::Timestamp,
}

impl Ctx {
    fn push(&mut self, map: Map<String, Value>, path: &str, content: bool) -> Option<String> {
        let id = map.get("id").and_then(Value::as_str).unwrap_or("").to_owned();
        if let Some(&index) = self.ids.get(&id) {
            if !content {
                return None;
            }
            if self.import.objects.get(index).is_some_and(|o| *o.as_map() == map) {
                self.import.report.ignore(path, format!("{id} appears earlier in the input"));
                return Some(id);
            }
            // MISP UUIDs are unique; a reused one with other content is a data error.
            self.import.report.reject(
                path,
                format!("the UUID of {id} is used earlier in the input for other content"),
            );
            return None;
        }
        match stix::Object::from_map(map) {
            Ok(object) => {
                self.ids.insert(id.clone(), self.import.objects.len());
                self.import.objects.push(object);
                if content {
                    self.import.report.created += 1;
                }
                Some(id)
            }
            Err(e) => {
                self.import.report.reject(path, e.to_string());
                None
            }
        }
    }

    fn event(&mut self, mut event: Map<String, Value>, path: &str) {
        let uuid = uuid_of(&event).unwrap_or_else(|| derived_uuid(&Value::Object(event.clone())));
        let take = |event: &mut Map<String, Value>, key: &str| match event.remove(key) {
            Some(Value::Array(items)) => items,
            _ => Vec::new(),
        };
        let (attributes, objects) = (take(&mut event, "Attribute"), take(&mut event, "Object"));
        let event = &event;
        let date = str_of(event, "date").filter(|d| d.len() == 10);
        let timestamp = unix_of(event.get("timestamp"))
            .or_else(|| date.and_then(|d| format!("{d}T00:00:00.000Z").parse().ok()))
            .unwrap_or_else(|| self.now.clone());
        let tags = tag_names(event);
        let tlp = tags.iter().filter_map(|t| tlp_tag(t)).max();
        let labels: Vec<String> = tags.iter().filter(|t| tlp_tag(t).is_none()).cloned().collect();
        let creator = event.get("Orgc").and_then(Value::as_object).and_then(|org| {
            let name = str_of(org, "name")?;
            let org_uuid =
                uuid_of(org).unwrap_or_else(|| derived_uuid(&Value::String(name.to_owned())));
            let id = format!("identity--{org_uuid}");
            let identity = json!({
                "type": "identity", "spec_version": "2.1", "id": id,
                "created": timestamp.as_str(), "modified": timestamp.as_str(),
                "name": name, "identity_class": "organization",
            });
            self.push(as_map(identity), &format!("{path}.Orgc"), false)?;
            Some(id)
        });
        let ctx =
            EventCtx { uuid: uuid.clone(), timestamp: timestamp.clone(), tlp, labels, creator };
        let mut refs = Vec::new();
        for (i, attribute) in attributes.into_iter().enumerate() {
            let path = format!("{path}.Attribute[{i}]");
            match attribute.as_object() {
                Some(attribute) => refs.extend(self.attribute(attribute, &ctx, &path)),
                None => self.import.report.reject(path, "an attribute must be an object"),
            }
        }
        for (i, object) in objects.into_iter().enumerate() {
            let path = format!("{path}.Object[{i}]");
            match object.as_object() {
                Some(object) => refs.extend(self.object(object, &ctx, &path)),
                None => self.import.report.reject(path, "an object must be an object"),
            }
        }
        if refs.is_empty() {
            refs.extend(ctx.creator.clone());
        }
        if refs.is_empty() {
            self.import
                .report
                .ignore(path, "the event has no attributes, objects or creator to report on");
            return;
        }
        let info = str_of(event, "info").filter(|i| !i.trim().is_empty()).unwrap_or("MISP event");
        let published = date
            .and_then(|d| format!("{d}T00:00:00Z").parse::<stix::Timestamp>().ok())
            .unwrap_or_else(|| timestamp.clone());
        let mut report = self.common("report", &uuid, &ctx, &timestamp, &tags);
        report.insert("name".into(), info.into());
        report.insert("report_types".into(), json!(["threat-report"]));
        report.insert("published".into(), published.as_str().into());
        report.insert("object_refs".into(), json!(refs));
        report.insert(
            "external_references".into(),
            json!([{"source_name": "misp", "external_id": uuid, "description": "MISP event UUID"}]),
        );
        for (key, property) in [
            ("date", "x_misp_date"),
            ("threat_level_id", "x_misp_threat_level_id"),
            ("analysis", "x_misp_analysis"),
            ("distribution", "x_misp_distribution"),
            ("sharing_group_id", "x_misp_sharing_group_id"),
            ("published", "x_misp_published"),
            ("extends_uuid", "x_misp_extends_uuid"),
        ] {
            if let Some(value) = event.get(key).filter(|v| !v.is_null() && *v != "") {
                report.insert(property.into(), value.clone());
            }
        }
        if let Some(group) = event.get("SharingGroup").and_then(Value::as_object) {
            let keep: Map<String, Value> = group
                .iter()
                .filter(|(k, _)| ["uuid", "name", "description"].contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            report.insert("x_misp_sharing_group".into(), Value::Object(keep));
        }
        self.push(report, path, true);
    }

    /// Properties every object made from this event has.
    fn common(
        &self,
        object_type: &str,
        uuid: &str,
        ctx: &EventCtx,
        timestamp: &stix::Timestamp,
        own_tags: &[String],
    ) -> Map<String, Value> {
        let mut map = Map::new();
        map.insert("type".into(), object_type.into());
        map.insert("spec_version".into(), "2.1".into());
        map.insert("id".into(), format!("{object_type}--{uuid}").into());
        if let Some(creator) = &ctx.creator {
            map.insert("created_by_ref".into(), creator.as_str().into());
        }
        map.insert("created".into(), timestamp.as_str().into());
        map.insert("modified".into(), timestamp.as_str().into());
        let mut labels: Vec<String> =
            own_tags.iter().filter(|t| tlp_tag(t).is_none()).cloned().collect();
        for label in &ctx.labels {
            if !labels.contains(label) {
                labels.push(label.clone());
            }
        }
        if !labels.is_empty() {
            map.insert("labels".into(), json!(labels));
        }
        let tlp = own_tags.iter().filter_map(|t| tlp_tag(t)).chain(ctx.tlp).max();
        if let Some(tlp) = tlp {
            map.insert("object_marking_refs".into(), json!([tlp.marking_id()]));
        }
        if object_type != "report" {
            map.insert("x_misp_event_uuid".into(), ctx.uuid.as_str().into());
        }
        if !own_tags.is_empty() {
            map.insert("x_misp_tags".into(), json!(own_tags));
        }
        map
    }

    /// One attribute: the ids of the content objects made.
    fn attribute(
        &mut self,
        attribute: &Map<String, Value>,
        ctx: &EventCtx,
        path: &str,
    ) -> Option<String> {
        if attribute.get("deleted").is_some_and(truthy) {
            self.import.report.ignore(path, "deleted in MISP");
            return None;
        }
        let Some(misp_type) = str_of(attribute, "type") else {
            self.import.report.reject(path, "the attribute has no `type`");
            return None;
        };
        let Some(value) = value_of(attribute) else {
            self.import.report.reject(path, "the attribute has no `value`");
            return None;
        };
        let uuid = uuid_of(attribute)
            .unwrap_or_else(|| derived_uuid(&json!([ctx.uuid, misp_type, value])));
        let timestamp =
            unix_of(attribute.get("timestamp")).unwrap_or_else(|| ctx.timestamp.clone());
        let to_ids = attribute.get("to_ids").is_some_and(truthy);
        let tags = tag_names(attribute);
        let (object_type, body, scos) = match classify(misp_type, &value, to_ids) {
            Ok(shape) => shape,
            Err(reason) => {
                self.import.report.reject(path, reason);
                return None;
            }
        };
        let mut map = self.common(object_type, &uuid, ctx, &timestamp, &tags);
        map.extend(body);
        if object_type == "indicator" {
            map.insert("name".into(), name_for(misp_type, &value).into());
            map.insert("valid_from".into(), timestamp.as_str().into());
        } else if object_type == "observed-data" {
            map.insert("first_observed".into(), timestamp.as_str().into());
            map.insert("last_observed".into(), timestamp.as_str().into());
            map.insert("number_observed".into(), 1.into());
        }
        if let Some(comment) = str_of(attribute, "comment").filter(|c| !c.is_empty()) {
            if object_type == "indicator" {
                map.insert("description".into(), comment.into());
            }
            map.insert("x_misp_comment".into(), comment.into());
        }
        map.insert("x_misp_type".into(), misp_type.into());
        map.insert("x_misp_value".into(), value.as_str().into());
        map.insert("x_misp_to_ids".into(), to_ids.into());
        copy_fields(
            attribute,
            &mut map,
            &[
                ("category", "x_misp_category"),
                ("distribution", "x_misp_distribution"),
                ("sharing_group_id", "x_misp_sharing_group_id"),
                ("first_seen", "x_misp_first_seen"),
                ("last_seen", "x_misp_last_seen"),
                ("disable_correlation", "x_misp_disable_correlation"),
            ],
        );
        for sco in scos {
            self.push(sco, path, false);
        }
        self.push(map, path, true)
    }

    /// One MISP object: the id of the content object made.
    fn object(
        &mut self,
        object: &Map<String, Value>,
        ctx: &EventCtx,
        path: &str,
    ) -> Option<String> {
        if object.get("deleted").is_some_and(truthy) {
            self.import.report.ignore(path, "deleted in MISP");
            return None;
        }
        let Some(name) = str_of(object, "name") else {
            self.import.report.reject(path, "the object has no `name`");
            return None;
        };
        let uuid = uuid_of(object).unwrap_or_else(|| derived_uuid(&Value::Object(object.clone())));
        let timestamp = unix_of(object.get("timestamp")).unwrap_or_else(|| ctx.timestamp.clone());
        let mut records = Vec::new();
        let mut tags = Vec::new();
        for (i, attribute) in array(object, "Attribute").iter().enumerate() {
            let path = format!("{path}.Attribute[{i}]");
            let Some(attribute) = attribute.as_object() else {
                self.import.report.reject(path, "an attribute must be an object");
                continue;
            };
            if attribute.get("deleted").is_some_and(truthy) {
                self.import.report.ignore(path, "deleted in MISP");
                continue;
            }
            let (Some(misp_type), Some(value)) = (str_of(attribute, "type"), value_of(attribute))
            else {
                self.import.report.reject(path, "the attribute has no `type` or `value`");
                continue;
            };
            if let Err(reason) = map_attribute(misp_type, &value, false) {
                self.import.report.reject(path, reason);
                continue;
            }
            for tag in tag_names(attribute) {
                if !tags.contains(&tag) {
                    tags.push(tag);
                }
            }
            records.push(Value::Object(object_attribute_record(attribute, misp_type, &value)));
        }
        if records.is_empty() {
            self.import.report.reject(path, "the object has no usable attributes");
            return None;
        }
        let (object_type, body, scos) = object_shape(&records);
        // Tags of the object's attributes are kept in the records; they count for markings and labels.
        let mut map = self.common(object_type, &uuid, ctx, &timestamp, &[]);
        let own_tlp = tags.iter().filter_map(|t| tlp_tag(t)).chain(ctx.tlp).max();
        if let Some(tlp) = own_tlp {
            map.insert("object_marking_refs".into(), json!([tlp.marking_id()]));
        }
        let mut labels: Vec<Value> =
            map.get("labels").and_then(Value::as_array).cloned().unwrap_or_default();
        for tag in tags.iter().filter(|t| tlp_tag(t).is_none()) {
            if !labels.iter().any(|l| l == tag.as_str()) {
                labels.push(tag.as_str().into());
            }
        }
        if !labels.is_empty() {
            map.insert("labels".into(), Value::Array(labels));
        }
        map.extend(body);
        if object_type == "indicator" {
            map.insert("name".into(), format!("MISP object {name}").into());
            map.insert("valid_from".into(), timestamp.as_str().into());
        } else if object_type == "observed-data" {
            map.insert("first_observed".into(), timestamp.as_str().into());
            map.insert("last_observed".into(), timestamp.as_str().into());
            map.insert("number_observed".into(), 1.into());
        }
        map.insert("x_misp_object_name".into(), name.into());
        copy_fields(
            object,
            &mut map,
            &[
                ("meta-category", "x_misp_meta_category"),
                ("template_uuid", "x_misp_template_uuid"),
                ("template_version", "x_misp_template_version"),
                ("description", "x_misp_description"),
                ("comment", "x_misp_comment"),
                ("distribution", "x_misp_distribution"),
                ("sharing_group_id", "x_misp_sharing_group_id"),
                ("first_seen", "x_misp_first_seen"),
                ("last_seen", "x_misp_last_seen"),
            ],
        );
        map.insert("x_misp_object_attributes".into(), Value::Array(records));
        for sco in scos {
            self.push(sco, path, false);
        }
        self.push(map, path, true)
    }
}

/// The STIX object type, its type-specific properties, and SCOs.
pub(crate) type Shape = (&'static str, Map<String, Value>, Vec<Map<String, Value>>);

/// How one attribute becomes STIX.
pub(crate) fn classify(misp_type: &str, value: &str, to_ids: bool) -> Result<Shape, String> {
    let mut body = Map::new();
    if misp_type == "stix2-pattern" {
        pattern::parse(value).map_err(|d| format!("the STIX pattern does not parse: {d}"))?;
        body.insert("pattern".into(), value.into());
        body.insert("pattern_type".into(), "stix".into());
        body.insert("pattern_version".into(), "2.1".into());
        return Ok(("indicator", body, Vec::new()));
    }
    if RULE_TYPES.contains(&misp_type) {
        body.insert("pattern".into(), value.into());
        body.insert("pattern_type".into(), misp_type.into());
        return Ok(("indicator", body, Vec::new()));
    }
    if to_ids
        && let Some(mapped) = map_attribute(misp_type, value, false)?
        && !mapped.comparisons.is_empty()
    {
        insert_pattern(&mut body, &mapped);
        return Ok(("indicator", body, Vec::new()));
    }
    match map_attribute(misp_type, value, true)? {
        Some(mapped) if !mapped.scos.is_empty() => {
            let refs: Vec<Value> =
                mapped.scos.iter().filter_map(|s| s.get("id").cloned()).collect();
            body.insert("object_refs".into(), Value::Array(refs));
            Ok(("observed-data", body, mapped.scos))
        }
        _ => Ok(("x-misp-attribute", body, Vec::new())),
    }
}

/// How a MISP object's attribute records become STIX (see the module table).
pub(crate) fn object_shape(records: &[Value]) -> Shape {
    let mut ids_mapped = Mapped::default();
    let mut all_scos = Vec::new();
    for record in records {
        let (Some(t), Some(v)) = (
            record.get("type").and_then(Value::as_str),
            record.get("value").and_then(Value::as_str),
        ) else {
            continue;
        };
        let Ok(Some(mapped)) = map_attribute(t, v, true) else { continue };
        if record.get("to_ids").is_some_and(truthy) {
            ids_mapped.comparisons.extend(mapped.comparisons);
        }
        all_scos.extend(mapped.scos);
    }
    let mut body = Map::new();
    if !ids_mapped.comparisons.is_empty() {
        insert_pattern(&mut body, &ids_mapped);
        return ("indicator", body, Vec::new());
    }
    let scos = merge_scos(all_scos);
    if scos.is_empty() {
        return ("x-misp-object", body, Vec::new());
    }
    let refs: Vec<Value> = scos.iter().filter_map(|s| s.get("id").cloned()).collect();
    body.insert("object_refs".into(), Value::Array(refs));
    ("observed-data", body, scos)
}

fn insert_pattern(body: &mut Map<String, Value>, mapped: &Mapped) {
    body.insert("pattern".into(), pattern(&mapped.comparisons).into());
    body.insert("pattern_type".into(), "stix".into());
    body.insert("pattern_version".into(), "2.1".into());
}

/// The fields of an object's attribute kept for the way back.
fn object_attribute_record(
    attribute: &Map<String, Value>,
    misp_type: &str,
    value: &str,
) -> Map<String, Value> {
    let mut record = Map::new();
    for key in [
        "uuid",
        "object_relation",
        "category",
        "to_ids",
        "comment",
        "distribution",
        "sharing_group_id",
        "timestamp",
        "first_seen",
        "last_seen",
        "disable_correlation",
    ] {
        if let Some(v) = attribute.get(key).filter(|v| !v.is_null()) {
            record.insert(key.into(), v.clone());
        }
    }
    record.insert("type".into(), misp_type.into());
    record.insert("value".into(), value.into());
    let tags = tag_names(attribute);
    if !tags.is_empty() {
        record.insert(
            "Tag".into(),
            Value::Array(tags.into_iter().map(|t| json!({"name": t})).collect()),
        );
    }
    record
}

fn name_for(misp_type: &str, value: &str) -> String {
    let short: String = value.chars().take(200).collect();
    format!("{misp_type}: {short}")
}

/// The TLP level of a `tlp:*` tag.
pub(crate) fn tlp_tag(tag: &str) -> Option<stix::Tlp> {
    let lower = tag.trim().to_ascii_lowercase();
    lower.strip_prefix("tlp:").and_then(parse_tlp)
}

/// Tag names of a record, plus the tags of its galaxy clusters.
pub(crate) fn tag_names(record: &Map<String, Value>) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for tag in array(record, "Tag") {
        let name = tag.get("name").and_then(Value::as_str).or_else(|| tag.as_str());
        if let Some(name) = name.map(str::trim).filter(|n| !n.is_empty())
            && !names.iter().any(|n| n == name)
        {
            names.push(name.to_owned());
        }
    }
    for galaxy in array(record, "Galaxy") {
        for cluster in galaxy.get("GalaxyCluster").and_then(Value::as_array).into_iter().flatten() {
            if let Some(name) = cluster.get("tag_name").and_then(Value::as_str)
                && !names.iter().any(|n| n == name)
            {
                names.push(name.to_owned());
            }
        }
    }
    names
}

fn copy_fields(from: &Map<String, Value>, to: &mut Map<String, Value>, fields: &[(&str, &str)]) {
    for (key, property) in fields {
        if let Some(value) = from.get(*key).filter(|v| !v.is_null() && *v != "") {
            to.insert((*property).into(), value.clone());
        }
    }
}

pub(crate) fn array<'a>(map: &'a Map<String, Value>, key: &str) -> &'a [Value] {
    map.get(key).and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

pub(crate) fn str_of<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    map.get(key).and_then(Value::as_str)
}

fn value_of(attribute: &Map<String, Value>) -> Option<String> {
    match attribute.get("value")? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

pub(crate) fn truthy(value: &Value) -> bool {
    match value {
        Value::Bool(b) => *b,
        Value::String(s) => s == "1" || s.eq_ignore_ascii_case("true"),
        Value::Number(n) => n.as_u64().is_some_and(|n| n != 0),
        _ => false,
    }
}

/// A valid UUID in `uuid`, lower-cased.
pub(crate) fn uuid_of(map: &Map<String, Value>) -> Option<String> {
    let text = str_of(map, "uuid")?;
    Uuid::parse_str(text).ok().map(|u| u.hyphenated().to_string())
}

/// A UUID derived from content, for records that have none.
fn derived_uuid(content: &Value) -> String {
    let mut canonical = String::new();
    stix::scoid::write_canonical(content, &mut canonical);
    Uuid::new_v5(&MERIDIAN_NAMESPACE, canonical.as_bytes()).hyphenated().to_string()
}

/// A MISP Unix timestamp (string or number of seconds).
pub(crate) fn unix_of(value: Option<&Value>) -> Option<stix::Timestamp> {
    let seconds: i64 = match value? {
        Value::String(s) => s.trim().parse().ok()?,
        Value::Number(n) => n.as_i64()?,
        _ => return None,
    };
    (0..=253_402_300_799).contains(&seconds).then(|| stix::Timestamp::from_unix_millis(seconds, 0))
}

fn as_map(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}
