//! STIX 2.1 to MISP events.
//!
//! Reports become events (a MISP-origin report gives back its event, with its `x_misp_*`
//! fields); content objects outside any report are grouped by their `x_misp_event_uuid`, and the
//! rest go into one event named "Meridian export" whose UUID is derived from its content.
//! Each indicator becomes one attribute with the indicator's UUID: its recorded MISP type and
//! value when it came from MISP and its pattern still says the same, else the plain IOC of a
//! single-IOC pattern (`domain`, `ip-dst`, `url`, `email`, hashes, to_ids), else a
//! `stix2-pattern` attribute; `snort`, `yara` and `sigma` patterns keep their type. Observed data
//! gives attributes with `to_ids` false. MISP-origin objects give back their MISP object.
//! TLP markings become `tlp:*` tags (a recorded tag that disagrees with the marking is replaced,
//! so the marking always wins); labels become tags.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value, json};

use super::describe;
use super::import::{array, classify, object_shape, str_of, tlp_tag, truthy};
use super::mapping::misp_type_for_ioc;
use crate::export::Selection;
use crate::indicator::derived_id;

/// MISP events made from a selection, and the objects that have no MISP equivalent.
#[derive(Debug, Clone, Default)]
pub struct MispExport {
    /// Each `{"Event": {…}}`.
    pub events: Vec<Value>,
    /// `(id, reason)` for selected objects that could not be expressed in MISP.
    pub skipped: Vec<(String, String)>,
}

/// Object types that carry no content of their own in MISP terms: used for context only.
const CONTEXT_TYPES: [&str; 4] =
    ["identity", "marking-definition", "extension-definition", "relationship"];

/// Converts the selection to MISP events.
pub fn export_misp(selection: &Selection) -> MispExport {
    let objects: Vec<&stix::Object> = selection.objects().iter().map(|s| s.object()).collect();
    let by_id: HashMap<&str, &stix::Object> =
        objects.iter().map(|o| (o.id().as_str(), *o)).collect();
    let mut export = MispExport::default();
    let mut consumed: HashSet<&str> = HashSet::new();
    let mut groups: Vec<(Option<&stix::Object>, String, Vec<&stix::Object>)> = Vec::new();
    for report in objects.iter().filter(|o| o.object_type() == "report") {
        let uuid =
            misp_event_uuid(report).unwrap_or_else(|| report.id().uuid().hyphenated().to_string());
        let members: Vec<&stix::Object> = report
            .get("object_refs")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|r| by_id.get(r.as_str()?).copied())
            .filter(|o| is_content(o))
            .collect();
        consumed.extend(members.iter().map(|o| o.id().as_str()));
        groups.push((Some(report), uuid, members));
    }
    let mut loose: Vec<&stix::Object> = Vec::new();
    for object in objects.iter().filter(|o| is_content(o) && !consumed.contains(o.id().as_str())) {
        match object.get("x_misp_event_uuid").and_then(Value::as_str) {
            Some(uuid) => match groups.iter_mut().find(|(_, u, _)| u == uuid) {
                Some((_, _, members)) => members.push(object),
                None => groups.push((None, uuid.to_owned(), vec![object])),
            },
            None => loose.push(object),
        }
    }
    if !loose.is_empty() {
        let mut keys: Vec<&str> = loose.iter().map(|o| o.id().as_str()).collect();
        keys.sort_unstable();
        let uuid = derived_id("report", &keys.join("\n")).uuid().hyphenated().to_string();
        groups.push((None, uuid, loose));
    }
    for object in objects.iter().filter(|o| !is_content(o) && o.object_type() != "report") {
        if !CONTEXT_TYPES.contains(&object.object_type())
            && object.category() != stix::schema::Category::Sco
        {
            export.skipped.push((
                object.id().to_string(),
                format!("a {} has no MISP event equivalent", object.object_type()),
            ));
        }
    }
    for (report, uuid, members) in groups {
        export.events.push(event(report, &uuid, &members, &by_id, &mut export.skipped));
    }
    export
}

fn is_content(object: &stix::Object) -> bool {
    matches!(
        object.object_type(),
        "indicator" | "observed-data" | "x-misp-attribute" | "x-misp-object"
    )
}

fn misp_event_uuid(report: &stix::Object) -> Option<String> {
    report
        .get("external_references")
        .and_then(Value::as_array)?
        .iter()
        .find(|r| r.get("source_name").and_then(Value::as_str) == Some("misp"))?
        .get("external_id")?
        .as_str()
        .map(str::to_owned)
}

fn event(
    report: Option<&stix::Object>,
    uuid: &str,
    members: &[&stix::Object],
    by_id: &HashMap<&str, &stix::Object>,
    skipped: &mut Vec<(String, String)>,
) -> Value {
    let mut event = Map::new();
    event.insert("uuid".into(), uuid.into());
    let modified = report
        .and_then(|r| r.modified())
        .or_else(|| members.iter().filter_map(|m| m.modified()).max());
    let info = report.and_then(|r| r.get("name")).and_then(Value::as_str).map_or_else(
        || {
            if members.iter().any(|m| m.get("x_misp_event_uuid").is_some()) {
                format!("MISP event {uuid}")
            } else {
                "Meridian export".to_owned()
            }
        },
        str::to_owned,
    );
    event.insert("info".into(), info.into());
    let date = report
        .and_then(|r| r.get("x_misp_date").and_then(Value::as_str).map(str::to_owned))
        .or_else(|| {
            report
                .and_then(|r| r.get("published"))
                .and_then(Value::as_str)
                .map(|p| p.chars().take(10).collect())
        })
        .or_else(|| modified.as_ref().map(|m| m.as_str().chars().take(10).collect()))
        .unwrap_or_else(|| "1970-01-01".into());
    event.insert("date".into(), date.into());
    if let Some(modified) = &modified {
        event.insert("timestamp".into(), modified.unix().0.to_string().into());
    }
    let field =
        |key: &str, default: Value| report.and_then(|r| r.get(key)).cloned().unwrap_or(default);
    event.insert(
        "published".into(),
        Value::Bool(
            field("x_misp_published", Value::Bool(false))
                .as_bool()
                .unwrap_or_else(|| truthy(&field("x_misp_published", Value::Null))),
        ),
    );
    event.insert("analysis".into(), field("x_misp_analysis", "0".into()));
    event.insert("threat_level_id".into(), field("x_misp_threat_level_id", "4".into()));
    event.insert("distribution".into(), field("x_misp_distribution", "0".into()));
    if let Some(group) = report.and_then(|r| r.get("x_misp_sharing_group_id")) {
        event.insert("sharing_group_id".into(), group.clone());
    }
    if let Some(group) = report.and_then(|r| r.get("x_misp_sharing_group")) {
        event.insert("SharingGroup".into(), group.clone());
    }
    if let Some(extends) = report.and_then(|r| r.get("x_misp_extends_uuid")) {
        event.insert("extends_uuid".into(), extends.clone());
    }
    let creator =
        report.or_else(|| members.first().copied()).and_then(stix::Object::created_by_ref);
    if let Some(identity) = creator.and_then(|c| by_id.get(c.as_str()))
        && let Some(name) = identity.get("name").and_then(Value::as_str)
    {
        event.insert(
            "Orgc".into(),
            json!({"name": name, "uuid": identity.id().uuid().hyphenated().to_string()}),
        );
    }
    if let Some(report) = report {
        event.insert("Tag".into(), tags_json(&tags_for(report, None)));
    }
    let event_tlp = report.and_then(object_tlp);
    let mut attributes = Vec::new();
    let mut misp_objects = Vec::new();
    for member in members {
        match member_to_misp(member, by_id, event_tlp) {
            Ok(Converted::Attributes(list)) => attributes.extend(list),
            Ok(Converted::Object(object)) => misp_objects.push(object),
            Err(reason) => skipped.push((member.id().to_string(), reason)),
        }
    }
    event.insert("Attribute".into(), Value::Array(attributes));
    if !misp_objects.is_empty() {
        event.insert("Object".into(), Value::Array(misp_objects));
    }
    json!({ "Event": event })
}

enum Converted {
    Attributes(Vec<Value>),
    Object(Value),
}

fn member_to_misp(
    object: &stix::Object,
    by_id: &HashMap<&str, &stix::Object>,
    event_tlp: Option<stix::Tlp>,
) -> Result<Converted, String> {
    if let Some(records) = object.get("x_misp_object_attributes").and_then(Value::as_array)
        && object_is_consistent(object, records)
    {
        return Ok(Converted::Object(misp_object(object, records, event_tlp)));
    }
    if let (Some(t), Some(v)) = (
        object.get("x_misp_type").and_then(Value::as_str),
        object.get("x_misp_value").and_then(Value::as_str),
    ) && attribute_is_consistent(object, t, v)
    {
        let to_ids = object
            .get("x_misp_to_ids")
            .and_then(Value::as_bool)
            .unwrap_or(object.object_type() == "indicator");
        return Ok(Converted::Attributes(vec![attribute(
            object,
            t,
            v,
            to_ids,
            object.id().uuid().hyphenated().to_string(),
            event_tlp,
        )]));
    }
    let uuid = object.id().uuid().hyphenated().to_string();
    match object.object_type() {
        "indicator" => {
            let pattern_type = object.get("pattern_type").and_then(Value::as_str).unwrap_or("");
            let text = object
                .get("pattern")
                .and_then(Value::as_str)
                .ok_or("the indicator has no pattern")?;
            let (misp_type, value) = match pattern_type {
                "stix" => {
                    let parsed = pattern::parse(text)
                        .map_err(|d| format!("the pattern does not parse: {d}"))?;
                    // A typed attribute only when it gives back the same pattern (`ISSUBSET` does not).
                    let typed = match pattern::extract_iocs(&parsed).as_deref() {
                        Some([ioc]) => {
                            misp_type_for_ioc(ioc).filter(|(t, v)| same_pattern(t, v, &parsed))
                        }
                        _ => None,
                    };
                    typed.unwrap_or(("stix2-pattern", text.to_owned()))
                }
                "snort" | "yara" | "sigma" => (
                    if pattern_type == "snort" {
                        "snort"
                    } else if pattern_type == "yara" {
                        "yara"
                    } else {
                        "sigma"
                    },
                    text.to_owned(),
                ),
                other => return Err(format!("pattern type `{other}` has no MISP attribute type")),
            };
            Ok(Converted::Attributes(vec![attribute(
                object, misp_type, &value, true, uuid, event_tlp,
            )]))
        }
        "observed-data" => {
            let mut list = Vec::new();
            for sco_id in object
                .get("object_refs")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                let Some(sco) = by_id.get(sco_id) else { continue };
                for (misp_type, value) in sco_values(sco) {
                    let uuid = derived_id(
                        "indicator",
                        &format!("{}\n{sco_id}\n{misp_type}\n{value}", object.id()),
                    )
                    .uuid()
                    .hyphenated()
                    .to_string();
                    list.push(attribute(object, misp_type, &value, false, uuid, event_tlp));
                }
            }
            if list.is_empty() {
                return Err(
                    "the observed data holds no object MISP has an attribute type for".into()
                );
            }
            Ok(Converted::Attributes(list))
        }
        other => Err(format!("a {other} without its MISP record cannot be expressed in MISP")),
    }
}

/// Whether the recorded MISP type and value still give the object's pattern or SCOs.
fn attribute_is_consistent(object: &stix::Object, misp_type: &str, value: &str) -> bool {
    let to_ids = object
        .get("x_misp_to_ids")
        .and_then(Value::as_bool)
        .unwrap_or(object.object_type() == "indicator");
    let Ok((object_type, body, _)) = classify(misp_type, value, to_ids) else { return false };
    object_type == object.object_type() && body.iter().all(|(k, v)| object.get(k) == Some(v))
}

fn object_is_consistent(object: &stix::Object, records: &[Value]) -> bool {
    let (object_type, body, _) = object_shape(records);
    object_type == object.object_type() && body.iter().all(|(k, v)| object.get(k) == Some(v))
}

/// Whether the typed attribute `(misp_type, value)` maps back to `original`.
fn same_pattern(misp_type: &str, value: &str, original: &pattern::Pattern) -> bool {
    let Ok((_, body, _)) = classify(misp_type, value, true) else { return false };
    body.get("pattern")
        .and_then(Value::as_str)
        .and_then(|p| pattern::parse(p).ok())
        .is_some_and(|p| p == *original)
}

fn attribute(
    object: &stix::Object,
    misp_type: &str,
    value: &str,
    to_ids: bool,
    uuid: String,
    event_tlp: Option<stix::Tlp>,
) -> Value {
    let mut a = Map::new();
    a.insert("uuid".into(), uuid.into());
    a.insert("type".into(), misp_type.into());
    let (default_category, _) = describe::defaults(misp_type).unwrap_or(("Other", false));
    let category = object
        .get("x_misp_category")
        .and_then(Value::as_str)
        .filter(|c| describe::CATEGORIES.contains(c))
        .unwrap_or(default_category);
    a.insert("category".into(), category.into());
    a.insert("value".into(), value.into());
    a.insert("to_ids".into(), to_ids.into());
    let comment = object
        .get("x_misp_comment")
        .or_else(|| object.get("description"))
        .and_then(Value::as_str)
        .unwrap_or("");
    a.insert("comment".into(), comment.into());
    if let Some(modified) = object.modified() {
        a.insert("timestamp".into(), modified.unix().0.to_string().into());
    }
    for (property, key) in [
        ("x_misp_distribution", "distribution"),
        ("x_misp_sharing_group_id", "sharing_group_id"),
        ("x_misp_first_seen", "first_seen"),
        ("x_misp_last_seen", "last_seen"),
        ("x_misp_disable_correlation", "disable_correlation"),
    ] {
        if let Some(v) = object.get(property) {
            a.insert(key.into(), v.clone());
        }
    }
    a.entry("distribution").or_insert_with(|| "5".into());
    let tags = tags_for(object, event_tlp);
    if !tags.is_empty() {
        a.insert("Tag".into(), tags_json(&tags));
    }
    Value::Object(a)
}

fn misp_object(object: &stix::Object, records: &[Value], event_tlp: Option<stix::Tlp>) -> Value {
    let mut o = Map::new();
    o.insert("uuid".into(), object.id().uuid().hyphenated().to_string().into());
    o.insert(
        "name".into(),
        object.get("x_misp_object_name").cloned().unwrap_or_else(|| "generic".into()),
    );
    for (property, key) in [
        ("x_misp_meta_category", "meta-category"),
        ("x_misp_template_uuid", "template_uuid"),
        ("x_misp_template_version", "template_version"),
        ("x_misp_description", "description"),
        ("x_misp_comment", "comment"),
        ("x_misp_distribution", "distribution"),
        ("x_misp_sharing_group_id", "sharing_group_id"),
        ("x_misp_first_seen", "first_seen"),
        ("x_misp_last_seen", "last_seen"),
    ] {
        if let Some(v) = object.get(property) {
            o.insert(key.into(), v.clone());
        }
    }
    if let Some(modified) = object.modified() {
        o.insert("timestamp".into(), modified.unix().0.to_string().into());
    }
    let record_tags = |record: &Value| -> Vec<String> {
        record
            .get("Tag")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|t| t.get("name")?.as_str().map(str::to_owned))
            .collect()
    };
    let marking = object_tlp(object);
    let recorded =
        records.iter().flat_map(&record_tags).filter_map(|t| tlp_tag(&t)).max().max(event_tlp);
    let attributes: Vec<Value> = records
        .iter()
        .map(|record| {
            let mut record = record.clone();
            // The marking changed since import: every attribute's tags must say the marking.
            if marking != recorded
                && let Some(map) = record.as_object_mut()
            {
                let fixed = replace_tlp(record_tags(&Value::Object(map.clone())), marking);
                map.insert("Tag".into(), tags_json(&fixed));
            }
            record
        })
        .collect();
    o.insert("Attribute".into(), Value::Array(attributes));
    Value::Object(o)
}

/// The tags for an object: its recorded MISP tags when its TLP marking is still the one those
/// tags and the event's (`event_tlp`) gave it at import; otherwise (and for objects that did
/// not come from MISP) its labels or recorded tags with the TLP tag of its marking.
fn tags_for(object: &stix::Object, event_tlp: Option<stix::Tlp>) -> Vec<String> {
    let recorded: Option<Vec<String>> = object
        .get("x_misp_tags")
        .and_then(Value::as_array)
        .map(|tags| tags.iter().filter_map(Value::as_str).map(str::to_owned).collect());
    let from_misp = recorded.is_some()
        || object.get("x_misp_type").is_some()
        || object.get("x_misp_date").is_some();
    let names = match recorded {
        Some(names) => names,
        // A MISP-origin object without own tags had only the event's, which the event carries.
        None if from_misp => Vec::new(),
        None => object
            .get("labels")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
    };
    let marking = object_tlp(object);
    let own = names.iter().filter_map(|t| tlp_tag(t)).max();
    if from_misp && marking == own.max(event_tlp) {
        return names;
    }
    replace_tlp(names, marking)
}

/// `names` without TLP tags, plus the tag of `tlp` first.
fn replace_tlp(names: Vec<String>, tlp: Option<stix::Tlp>) -> Vec<String> {
    let mut out: Vec<String> = names.into_iter().filter(|t| tlp_tag(t).is_none()).collect();
    if let Some(tlp) = tlp {
        out.insert(0, format!("tlp:{}", tlp.extension_value()));
    }
    out
}

fn object_tlp(object: &stix::Object) -> Option<stix::Tlp> {
    object
        .object_marking_refs()
        .iter()
        .filter_map(|id| stix::Tlp::from_marking_id(id.as_str()))
        .max()
}

fn tags_json(names: &[String]) -> Value {
    Value::Array(names.iter().map(|n| json!({"name": n})).collect())
}

/// MISP attributes for the plain values of an SCO.
fn sco_values(sco: &stix::Object) -> Vec<(&'static str, String)> {
    let text = |key: &str| sco.get(key).and_then(Value::as_str).map(str::to_owned);
    let mut out = Vec::new();
    match sco.object_type() {
        "domain-name" => out.extend(text("value").map(|v| ("domain", v))),
        "ipv4-addr" | "ipv6-addr" => out.extend(text("value").map(|v| ("ip-dst", v))),
        "url" => out.extend(text("value").map(|v| ("url", v))),
        "email-addr" => out.extend(text("value").map(|v| ("email", v))),
        "mutex" => out.extend(text("name").map(|v| ("mutex", v))),
        "file" => {
            out.extend(text("name").map(|v| ("filename", v)));
            if let Some(hashes) = sco.get("hashes").and_then(Value::as_object) {
                for (name, value) in hashes {
                    let misp = match name.to_ascii_uppercase().as_str() {
                        "MD5" => "md5",
                        "SHA-1" => "sha1",
                        "SHA-256" => "sha256",
                        "SHA-512" => "sha512",
                        _ => continue,
                    };
                    out.extend(value.as_str().map(|v| (misp, v.to_owned())));
                }
            }
        }
        _ => {}
    }
    out
}

/// Writes the events as JSON: a single `{"Event": …}` when there is one, else a list.
///
/// # Errors
/// When writing fails.
pub fn write_misp_events(
    export: &MispExport,
    out: &mut (impl std::io::Write + ?Sized),
) -> Result<(), crate::Error> {
    match export.events.as_slice() {
        [one] => serde_json::to_writer_pretty(&mut *out, one)?,
        many => serde_json::to_writer_pretty(&mut *out, many)?,
    }
    writeln!(out)?;
    Ok(())
}

/// The attribute values of an event, with composite values (`a|b`) split, for `hashes.csv`.
pub(crate) fn event_values(event: &Map<String, Value>) -> Vec<String> {
    let mut values = Vec::new();
    let objects = array(event, "Object");
    let all = array(event, "Attribute").iter().chain(
        objects
            .iter()
            .flat_map(|o| o.get("Attribute").and_then(Value::as_array).into_iter().flatten()),
    );
    for attribute in all {
        let Some(map) = attribute.as_object() else { continue };
        let (Some(t), Some(v)) = (str_of(map, "type"), str_of(map, "value")) else { continue };
        if t.contains('|') {
            values.extend(v.split('|').map(str::to_owned));
        } else {
            values.push(v.to_owned());
        }
    }
    values
}
