//! Observations: observed-data objects with their cyber-observable objects, ready to evaluate.
//!
//! STIX 2.1 observed-data refers to SCOs in the same bundle (`object_refs`); STIX 2.0
//! observed-data embeds them (`objects: {"0": {…}}`). Both are accepted, in any mix.

use std::collections::HashMap;

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
    /// The observed objects, keyed by SCO id (2.1) or by their key in `objects` (2.0).
    pub(crate) objects: Vec<(&'a str, &'a V)>,
    index: HashMap<&'a str, usize>,
}

impl<'a, V: ObjectView> Observation<'a, V> {
    /// The object with this id (2.1) or key (2.0), for `_ref` dereferencing.
    pub(crate) fn object(&self, id: &str) -> Option<&'a V> {
        self.index.get(id).map(|&i| self.objects[i].1)
    }
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
        let mut pool: HashMap<&'a str, &'a V> = HashMap::new();
        for &object in &objects {
            if string_member::<V>(object, "type") != Some("observed-data")
                && let Some(id) = string_member::<V>(object, "id")
            {
                pool.insert(id, object);
            }
        }
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

    /// The distinct SCO types present, for [`crate::PatternSet`].
    pub(crate) fn object_types(&self) -> Vec<&'a str> {
        let mut types: Vec<&str> = self
            .items
            .iter()
            .flat_map(|o| o.objects.iter().filter_map(|(_, v)| string_member(*v, "type")))
            .collect();
        types.sort_unstable();
        types.dedup();
        types
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
    pool: &HashMap<&'a str, &'a V>,
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
        embedded.for_each_member(&mut |key, value| objects.push((key, value)));
    } else if let Some(refs) = object.get("object_refs").filter(|v| v.value() == Value::List) {
        for i in 0..refs.list_len() {
            if let Some(Value::String(id)) = refs.at(i).map(ObjectView::value)
                && let Some(found) = pool.get(id)
            {
                objects.push((id, *found));
            }
        }
    } else {
        return Err(Error::InvalidObservation(format!(
            "{what} has neither object_refs (STIX 2.1) nor objects (STIX 2.0)"
        )));
    }
    let index = objects.iter().enumerate().map(|(i, (key, _))| (*key, i)).collect();
    Ok(Observation { id, first_observed, last_observed, number_observed, objects, index })
}
