//! Reference hygiene: what is shared never names what is withheld.
//!
//! Given the objects about to be sent and the ids withheld, [`clean_references`] removes every
//! reference to a withheld object: list entries (`object_refs` of reports, groupings, notes,
//! opinions and observed-data; `where_sighted_refs`, `observed_data_refs`, `sample_refs`, …),
//! optional single references (`created_by_ref`, …), and mentions inside text. An object whose
//! *required* reference is withheld (a relationship's endpoint, a sighting of a hidden
//! indicator, a report left with no `object_refs`) is dropped too, and its id joins the
//! withheld set, until nothing changes. Renamed ids (pseudonymised SCOs and submitters) are
//! rewritten wherever they are referenced.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};
use stix::{Identifier, Object};

/// The outcome of [`clean_references`].
#[derive(Debug, Clone, Default)]
pub struct Cleaned {
    /// The objects to send, in input order.
    pub objects: Vec<Object>,
    /// Objects dropped because a required reference was withheld (or they were withheld).
    pub dropped: BTreeSet<Identifier>,
}

/// Removes references to `withheld` ids from `objects`, drops objects that cannot exist without
/// them, and rewrites references to `renamed` ids.
pub fn clean_references(
    objects: Vec<Object>,
    withheld: &BTreeSet<Identifier>,
    renamed: &BTreeMap<Identifier, Identifier>,
) -> Cleaned {
    let mut hidden: BTreeSet<String> = withheld.iter().map(|i| i.as_str().to_owned()).collect();
    let renamed: BTreeMap<String, String> =
        renamed.iter().map(|(a, b)| (a.as_str().to_owned(), b.as_str().to_owned())).collect();
    let mut current: Vec<Option<Object>> = objects.into_iter().map(Some).collect();
    let mut dropped = BTreeSet::new();
    loop {
        let mut changed = false;
        for slot in &mut current {
            let Some(object) = slot.as_ref() else { continue };
            if hidden.contains(object.id().as_str()) {
                dropped.insert(object.id().clone());
                *slot = None;
                continue;
            }
            match clean_object(object, &hidden, &renamed) {
                Outcome::Unchanged => {}
                Outcome::Changed(new) => *slot = Some(new),
                Outcome::Drop => {
                    hidden.insert(object.id().as_str().to_owned());
                    dropped.insert(object.id().clone());
                    *slot = None;
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    Cleaned { objects: current.into_iter().flatten().collect(), dropped }
}

/// The observables that describe the holder's victims: in observed-data referenced by a
/// sighting whose `where_sighted_refs` names one of `holder_identities`, every address that is
/// the `src_ref` of a `network-traffic` object (the internal host that made the connection),
/// plus every `ipv4-addr`/`ipv6-addr` referenced by such a sighting's observed-data when the
/// observed-data holds no network traffic at all. Pass it as `Context::victims`.
pub fn victim_observables(
    objects: &[Object],
    holder_identities: &BTreeSet<Identifier>,
) -> BTreeSet<Identifier> {
    let by_id: BTreeMap<&str, &Object> = objects.iter().map(|o| (o.id().as_str(), o)).collect();
    let strings = |o: &Object, key: &str| -> Vec<String> {
        match o.get(key) {
            Some(Value::Array(list)) => {
                list.iter().filter_map(Value::as_str).map(str::to_owned).collect()
            }
            _ => Vec::new(),
        }
    };
    let mut victims = BTreeSet::new();
    for sighting in objects.iter().filter(|o| o.object_type() == "sighting") {
        let here = strings(sighting, "where_sighted_refs")
            .iter()
            .any(|w| holder_identities.iter().any(|h| h.as_str() == w));
        if !here {
            continue;
        }
        for od in
            strings(sighting, "observed_data_refs").iter().filter_map(|r| by_id.get(r.as_str()))
        {
            let refs = strings(od, "object_refs");
            let traffic: Vec<&Object> = refs
                .iter()
                .filter_map(|r| by_id.get(r.as_str()).copied())
                .filter(|o| o.object_type() == "network-traffic")
                .collect();
            let mut add = |id: &str| {
                if let Ok(id) = id.parse::<Identifier>()
                    && matches!(id.object_type(), "ipv4-addr" | "ipv6-addr")
                {
                    victims.insert(id);
                }
            };
            if traffic.is_empty() {
                refs.iter().for_each(|r| add(r));
            }
            for t in traffic {
                if let Some(src) = t.get("src_ref").and_then(Value::as_str) {
                    add(src);
                }
            }
        }
    }
    victims
}

enum Outcome {
    Unchanged,
    Changed(Object),
    Drop,
}

/// `(type, property)` references without which the object is meaningless or invalid.
const REQUIRED: [(&str, &str); 8] = [
    ("relationship", "source_ref"),
    ("relationship", "target_ref"),
    ("sighting", "sighting_of_ref"),
    ("report", "object_refs"),
    ("grouping", "object_refs"),
    ("note", "object_refs"),
    ("opinion", "object_refs"),
    ("observed-data", "object_refs"),
];

fn clean_object(
    object: &Object,
    hidden: &BTreeSet<String>,
    renamed: &BTreeMap<String, String>,
) -> Outcome {
    let ty = object.object_type();
    let mut map = object.as_map().clone();
    let mut changed = false;
    // Markings are never removed: an object marked with a withheld definition goes entirely.
    let marking_hidden = |v: &Value| v.as_str().is_some_and(|s| hidden.contains(s));
    if let Some(Value::Array(refs)) = map.get("object_marking_refs")
        && refs.iter().any(marking_hidden)
    {
        return Outcome::Drop;
    }
    if let Some(Value::Array(gms)) = map.get("granular_markings")
        && gms.iter().any(|g| g.get("marking_ref").is_some_and(marking_hidden))
    {
        return Outcome::Drop;
    }
    let keys: Vec<String> = map.keys().cloned().collect();
    for key in keys {
        let required = REQUIRED.contains(&(ty, key.as_str()));
        let Some(value) = map.get_mut(&key) else { continue };
        match clean_value(&key, value, hidden, renamed, &mut changed) {
            Keep::Yes => {}
            Keep::Remove if required => return Outcome::Drop,
            Keep::Remove => {
                map.remove(&key);
                changed = true;
            }
        }
    }
    if ty == "observed-data" && !map.contains_key("object_refs") && !map.contains_key("objects") {
        return Outcome::Drop;
    }
    if !changed {
        return Outcome::Unchanged;
    }
    match Object::from_map(map) {
        Ok(new) => {
            if still_valid(object, &new) {
                Outcome::Changed(new)
            } else {
                Outcome::Drop
            }
        }
        Err(_) => Outcome::Drop,
    }
}

enum Keep {
    Yes,
    Remove,
}

fn clean_value(
    key: &str,
    value: &mut Value,
    hidden: &BTreeSet<String>,
    renamed: &BTreeMap<String, String>,
    changed: &mut bool,
) -> Keep {
    let is_ref = key.ends_with("_ref");
    let is_refs = key.ends_with("_refs");
    match value {
        Value::String(s) if is_ref || key == "id" => {
            if key != "id" && hidden.contains(s.as_str()) {
                return Keep::Remove;
            }
            if key != "id"
                && let Some(new) = renamed.get(s.as_str())
            {
                *s = new.clone();
                *changed = true;
            }
            Keep::Yes
        }
        Value::String(s) => {
            scrub_text(s, hidden, renamed, changed);
            Keep::Yes
        }
        Value::Array(items) if is_refs => {
            let before = items.len();
            items.retain(|v| !v.as_str().is_some_and(|s| hidden.contains(s)));
            for v in items.iter_mut() {
                if let Some(new) = v.as_str().and_then(|s| renamed.get(s)) {
                    *v = Value::String(new.clone());
                    *changed = true;
                }
            }
            if items.len() != before {
                *changed = true;
            }
            if items.is_empty() { Keep::Remove } else { Keep::Yes }
        }
        Value::Array(items) => {
            let mut i = 0;
            while i < items.len() {
                if let Keep::Remove = clean_value(key, &mut items[i], hidden, renamed, changed) {
                    items.remove(i);
                    *changed = true;
                } else {
                    i += 1;
                }
            }
            if items.is_empty() { Keep::Remove } else { Keep::Yes }
        }
        Value::Object(inner) => {
            clean_map(inner, hidden, renamed, changed);
            Keep::Yes
        }
        _ => Keep::Yes,
    }
}

fn clean_map(
    map: &mut Map<String, Value>,
    hidden: &BTreeSet<String>,
    renamed: &BTreeMap<String, String>,
    changed: &mut bool,
) {
    let keys: Vec<String> = map.keys().cloned().collect();
    for key in keys {
        let Some(value) = map.get_mut(&key) else { continue };
        if let Keep::Remove = clean_value(&key, value, hidden, renamed, changed) {
            map.remove(&key);
            *changed = true;
        }
    }
}

/// Replaces mentions of withheld or renamed ids inside text.
fn scrub_text(
    s: &mut String,
    hidden: &BTreeSet<String>,
    renamed: &BTreeMap<String, String>,
    changed: &mut bool,
) {
    if !s.contains("--") {
        return;
    }
    for id in hidden {
        if s.contains(id.as_str()) {
            *s = s.replace(id.as_str(), "[withheld]");
            *changed = true;
        }
    }
    for (old, new) in renamed {
        if s.contains(old.as_str()) {
            *s = s.replace(old.as_str(), new);
            *changed = true;
        }
    }
}

fn still_valid(before: &Object, after: &Object) -> bool {
    let options = stix::validate::Options::default();
    let errors = |o: &Object| {
        let value = serde_json::to_value(o).unwrap_or(Value::Null);
        stix::validate::validate(&value, &options)
            .into_iter()
            .filter(|f| f.severity == stix::validate::Severity::Error)
            .map(|f| (f.path, f.message))
            .collect::<BTreeSet<_>>()
    };
    let after = errors(after);
    after.is_empty() || after.is_subset(&errors(before))
}
