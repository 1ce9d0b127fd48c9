//! Observations: observed-data objects with their cyber-observable objects, ready to evaluate.
//!
//! STIX 2.1 observed-data refers to SCOs in the same bundle (`object_refs`); STIX 2.0
//! observed-data embeds them (`objects: {"0": {…}}`). Both are accepted, in any mix.

use crate::error::Error;
use crate::timestamp::Timestamp;
use crate::view::{ObjectView, Value, string_member};

/// One observed-data object: its time window, its count, and its objects.
#[derive(Debug)]
pub struct Observation<'a, V> {
    /// The observed-data `id`, if it has one.
    pub id: Option<&'a str>,
    /// `first_observed`.
    pub first_observed: Timestamp,
    /// `last_observed`.
    pub last_observed: Timestamp,
    /// `number_observed`: how many distinct observations this object stands for.
    pub number_observed: u64,
    /// The observed objects, sorted by SCO id (2.1) or by their key in `objects` (2.0).
    pub(crate) objects: Vec<Object<'a, V>>,
}

/// One observed object.
#[derive(Debug)]
pub(crate) struct Object<'a, V> {
    /// Its SCO id (2.1) or its key in `objects` (2.0).
    pub(crate) key: &'a str,
    /// Its `type`, when that is a string.
    pub(crate) object_type: Option<&'a str>,
    /// Whether its type is an SDO or SRO type, which STIX 2.1 patterns never match.
    pub(crate) non_sco: bool,
    pub(crate) view: &'a V,
}

impl<'a, V: ObjectView> Object<'a, V> {
    fn new(key: &'a str, view: &'a V) -> Object<'a, V> {
        let object_type = string_member(view, "type");
        let non_sco = object_type.is_some_and(non_sco);
        Object { key, object_type, non_sco, view }
    }
}

impl<'a, V: ObjectView> Observation<'a, V> {
    /// The object with this id (2.1) or key (2.0), for `_ref` dereferencing.
    pub(crate) fn object(&self, id: &str) -> Option<&'a V> {
        let i = self.objects.binary_search_by(|o| o.key.cmp(id)).ok()?;
        Some(self.objects[i].view)
    }
}

/// Whether `object_type` is an SDO or SRO type, which STIX 2.1 patterns never match (patterns
/// are about SCOs).
fn non_sco(object_type: &str) -> bool {
    matches!(
        object_type,
        "attack-pattern"
            | "bundle"
            | "campaign"
            | "course-of-action"
            | "extension-definition"
            | "grouping"
            | "identity"
            | "incident"
            | "indicator"
            | "infrastructure"
            | "intrusion-set"
            | "language-content"
            | "location"
            | "malware"
            | "malware-analysis"
            | "marking-definition"
            | "note"
            | "observed-data"
            | "opinion"
            | "relationship"
            | "report"
            | "sighting"
            | "threat-actor"
            | "tool"
            | "vulnerability"
    )
}

/// The observations one evaluation runs over.
#[derive(Debug)]
pub struct Observations<'a, V> {
    pub(crate) items: Vec<Observation<'a, V>>,
}

impl<'a, V: ObjectView> Observations<'a, V> {
    /// Collects observations from JSON inputs, each a bundle, a list (of bundles or objects), or
    /// one object. Every observed-data found becomes an observation; `object_refs` resolve
    /// against the objects of all inputs (references that do not resolve are ignored, as the OASIS
    /// matcher does).
    pub fn from_json(inputs: &[&'a V]) -> Result<Observations<'a, V>, Error> {
        let mut objects: Vec<&'a V> = Vec::new();
        for input in inputs {
            collect::<V>(input, &mut objects, 0);
        }
        // Every object that is not observed-data, by id, for `object_refs` (STIX 2.1); an id
        // given twice names the last one.
        let mut pool: Vec<(&'a str, &'a V)> = Vec::new();
        let referring = objects.iter().any(|object| object.get("object_refs").is_some());
        for &object in objects.iter().filter(|_| referring) {
            if string_member::<V>(object, "type") != Some("observed-data")
                && let Some(id) = string_member::<V>(object, "id")
            {
                pool.push((id, object));
            }
        }
        pool.sort_by_key(|(id, _)| *id);
        let mut unique: Vec<(&'a str, &'a V)> = Vec::with_capacity(pool.len());
        for entry in pool {
            match unique.last_mut() {
                Some(last) if last.0 == entry.0 => *last = entry,
                _ => unique.push(entry),
            }
        }
        let pool = unique;
        let mut items = Vec::new();
        for object in objects {
            if string_member(object, "type") == Some("observed-data") {
                items.push(observation::<V>(object, &pool)?);
            }
        }
        Ok(Observations { items })
    }

    /// How many observed-data objects there are.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The observations, in input order.
    pub fn iter(&self) -> impl Iterator<Item = &Observation<'a, V>> {
        self.items.iter()
    }
}

fn collect<'a, V: ObjectView>(value: &'a V, out: &mut Vec<&'a V>, depth: usize) {
    match value.value() {
        Value::List if depth < 4 => {
            for i in 0..value.list_len() {
                if let Some(item) = value.at(i) {
                    collect(item, out, depth + 1);
                }
            }
        }
        Value::Object if string_member(value, "type") == Some("bundle") => {
            if let Some(list) = value.get("objects") {
                collect(list, out, depth + 1);
            }
        }
        Value::Object => out.push(value),
        _ => {}
    }
}

fn observation<'a, V: ObjectView>(
    object: &'a V,
    pool: &[(&'a str, &'a V)],
) -> Result<Observation<'a, V>, Error> {
    let id = string_member(object, "id");
    let what = id.unwrap_or("observed-data");
    let time = |key: &str| -> Result<Timestamp, Error> {
        let text = string_member(object, key)
            .ok_or_else(|| Error::InvalidObservation(format!("{what} has no {key}")))?;
        Timestamp::parse(text)
            .map_err(|e| Error::InvalidObservation(format!("{what}: {key} {text:?}: {e}")))
    };
    let first_observed = time("first_observed")?;
    let last_observed = time("last_observed")?;
    if first_observed > last_observed {
        return Err(Error::InvalidObservation(format!(
            "{what}: first_observed is after last_observed"
        )));
    }
    let number_observed = match object.get("number_observed").map(ObjectView::value) {
        Some(Value::Int(n)) if n >= 1 => n as u64,
        _ => {
            return Err(Error::InvalidObservation(format!(
                "{what}: number_observed must be an integer of at least 1"
            )));
        }
    };
    let mut objects = Vec::new();
    if let Some(embedded) = object.get("objects").filter(|v| v.value() == Value::Object) {
        embedded.for_each_member(&mut |key, value| objects.push(Object::new(key, value)));
    } else if let Some(refs) = object.get("object_refs").filter(|v| v.value() == Value::List) {
        for i in 0..refs.list_len() {
            if let Some(Value::String(id)) = refs.at(i).map(ObjectView::value)
                && let Ok(k) = pool.binary_search_by(|(key, _)| (*key).cmp(id))
            {
                objects.push(Object::new(id, pool[k].1));
            }
        }
    } else {
        return Err(Error::InvalidObservation(format!(
            "{what} has neither object_refs (STIX 2.1) nor objects (STIX 2.0)"
        )));
    }
    // Sorted for `Observation::object`; a reference listed twice is the same object.
    objects.sort_by_key(|object| object.key);
    Ok(Observation { id, first_observed, last_observed, number_observed, objects })
}
