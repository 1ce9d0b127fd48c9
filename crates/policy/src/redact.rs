//! Redactions: the transform a `ShareRedacted` decision carries, and [`redact`] which applies it.

use std::fmt;

use serde_json::{Map, Value};
use stix::{Identifier, Object, Tlp};

use crate::agreement::{PiiCategory, PiiForm};

/// One step of a property path: a key of a JSON object or an index into a list.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Step {
    /// A property name.
    Key(String),
    /// A list index.
    Index(usize),
}

/// A property path inside an object, written like a STIX granular-marking selector
/// (STIX 2.1 §7.2.3.1): `external_references.[0].url`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Path(pub Vec<Step>);

impl Path {
    /// A path to a top-level property.
    pub fn key(name: &str) -> Path {
        Path(vec![Step::Key(name.to_owned())])
    }

    /// Parses a granular-marking selector: keys separated by `.`, list indices as `[n]`.
    pub fn parse_selector(selector: &str) -> Option<Path> {
        let mut steps = Vec::new();
        for part in selector.split('.') {
            if let Some(index) = part.strip_prefix('[').and_then(|p| p.strip_suffix(']')) {
                steps.push(Step::Index(index.parse().ok()?));
            } else if part.is_empty() {
                return None;
            } else {
                steps.push(Step::Key(part.to_owned()));
            }
        }
        if matches!(steps.first(), Some(Step::Key(_))) { Some(Path(steps)) } else { None }
    }

    /// Whether `self` is `other` or lies inside it.
    pub fn starts_with(&self, other: &Path) -> bool {
        self.0.starts_with(&other.0)
    }

    /// The value at this path, if present.
    pub fn get<'v>(&self, object: &'v Map<String, Value>) -> Option<&'v Value> {
        let (Step::Key(first), rest) = self.0.split_first()? else { return None };
        let mut value = object.get(first)?;
        for step in rest {
            value = match step {
                Step::Key(k) => value.as_object()?.get(k)?,
                Step::Index(i) => value.as_array()?.get(*i)?,
            };
        }
        Some(value)
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            match step {
                Step::Key(k) => f.write_str(k)?,
                Step::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// A change to one property.
#[derive(Debug, Clone, PartialEq)]
pub enum Edit {
    /// Remove the property or list element (a list left empty is removed too, since STIX
    /// forbids empty lists).
    Remove(Path),
    /// Replace the value (or add it).
    Set(Path, Value),
}

impl Edit {
    /// The path the edit touches.
    pub fn path(&self) -> &Path {
        match self {
            Edit::Remove(p) | Edit::Set(p, _) => p,
        }
    }
}

/// Why a property was changed, for the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Why {
    /// A granular marking the recipient may not see covers it.
    Granular {
        /// The marking definition.
        marking: String,
        /// Its level.
        level: Tlp,
    },
    /// The granular markings are rewritten so none reveals a withheld part.
    GranularMarkings,
    /// Personal data, in the given form.
    Pii {
        /// The category.
        category: PiiCategory,
        /// The form applied.
        form: PiiForm,
    },
    /// The agreement pseudonymises submitters.
    Submitter,
    /// A deterministic SCO id follows its pseudonymised or truncated value.
    DerivedId,
}

/// One edit with its reason.
#[derive(Debug, Clone, PartialEq)]
pub struct Redaction {
    /// The change.
    pub edit: Edit,
    /// Why.
    pub why: Why,
}

/// The transform of a `ShareRedacted` decision: ordered edits, applied by [`redact`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Redactions {
    edits: Vec<Redaction>,
    renamed: Option<(Identifier, Identifier)>,
}

impl Redactions {
    /// The edits, in the order they are applied.
    pub fn edits(&self) -> &[Redaction] {
        &self.edits
    }

    /// Whether nothing changes.
    pub fn is_empty(&self) -> bool {
        self.edits.is_empty()
    }

    /// When the object's id changes (a pseudonymised SCO gets the id of its new value, a
    /// submitter identity its pseudonym): `(old, new)`. Other objects' references must follow:
    /// pass it to [`crate::hygiene::clean_references`].
    pub fn renamed(&self) -> Option<&(Identifier, Identifier)> {
        self.renamed.as_ref()
    }

    pub(crate) fn push(&mut self, edit: Edit, why: Why) {
        self.edits.push(Redaction { edit, why });
    }

    pub(crate) fn rename(&mut self, old: Identifier, new: Identifier) {
        self.push(
            Edit::Set(Path::key("id"), Value::String(new.as_str().to_owned())),
            Why::DerivedId,
        );
        self.renamed = Some((old, new));
    }

    /// Whether some edit already removes `path` or a parent of it.
    pub(crate) fn removes(&self, path: &Path) -> bool {
        self.edits.iter().any(|r| matches!(&r.edit, Edit::Remove(p) if path.starts_with(p)))
    }
}

/// Applies `redactions` to `object`: every `Set` in order, then every `Remove`, deepest and
/// highest index first so earlier removals never shift later ones.
///
/// The result is built from a copy; if it no longer parses as an object (its id was edited
/// into something that is not an identifier), the original id is kept, which `decide` never
/// produces.
pub fn redact(object: &Object, redactions: &Redactions) -> Object {
    let mut map = object.as_map().clone();
    for r in &redactions.edits {
        if let Edit::Set(path, value) = &r.edit {
            set(&mut map, &path.0, value.clone());
        }
    }
    let mut removes: Vec<&Path> = redactions
        .edits
        .iter()
        .filter_map(|r| if let Edit::Remove(p) = &r.edit { Some(p) } else { None })
        .collect();
    removes.sort();
    removes.dedup();
    for path in removes.into_iter().rev() {
        remove(&mut map, &path.0);
    }
    let fallback = map.clone();
    Object::from_map(map).unwrap_or_else(|_| {
        let mut map = fallback;
        map.insert("id".into(), Value::String(object.id().as_str().to_owned()));
        // The id is the original one, which parsed before: this cannot fail again, but fall
        // back to the untouched object rather than panic.
        Object::from_map(map).unwrap_or_else(|_| object.clone())
    })
}

fn set(map: &mut Map<String, Value>, steps: &[Step], value: Value) {
    let Some((Step::Key(first), rest)) = steps.split_first() else { return };
    if rest.is_empty() {
        map.insert(first.clone(), value);
        return;
    }
    let Some(mut node) = map.get_mut(first) else { return };
    for (i, step) in rest.iter().enumerate() {
        let last = i + 1 == rest.len();
        match step {
            Step::Key(k) => {
                let Some(obj) = node.as_object_mut() else { return };
                if last {
                    obj.insert(k.clone(), value);
                    return;
                }
                let Some(next) = obj.get_mut(k) else { return };
                node = next;
            }
            Step::Index(n) => {
                let Some(slot) = node.as_array_mut().and_then(|a| a.get_mut(*n)) else { return };
                if last {
                    *slot = value;
                    return;
                }
                node = slot;
            }
        }
    }
}

/// Removes the value at `steps`; returns whether the container it was in became an empty list
/// (so the caller removes that list too).
fn remove(map: &mut Map<String, Value>, steps: &[Step]) {
    let Some((Step::Key(first), rest)) = steps.split_first() else { return };
    if rest.is_empty() {
        map.remove(first);
        return;
    }
    let emptied = map.get_mut(first).is_some_and(|v| remove_in(v, rest));
    if emptied {
        map.remove(first);
    }
}

fn remove_in(node: &mut Value, steps: &[Step]) -> bool {
    let Some((step, rest)) = steps.split_first() else { return false };
    match (node, step) {
        (Value::Object(obj), Step::Key(k)) => {
            if rest.is_empty() || obj.get_mut(k).is_some_and(|v| remove_in(v, rest)) {
                obj.remove(k);
            }
            false
        }
        (Value::Array(list), Step::Index(n)) => {
            if rest.is_empty() {
                if *n < list.len() {
                    list.remove(*n);
                }
            } else if list.get_mut(*n).is_some_and(|v| remove_in(v, rest)) {
                list.remove(*n);
            }
            list.is_empty()
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(json: Value, edits: &[Edit]) -> Value {
        let object = Object::from_value(json).unwrap_or_else(|e| panic!("{e}"));
        let mut r = Redactions::default();
        for e in edits {
            r.push(e.clone(), Why::GranularMarkings);
        }
        serde_json::to_value(redact(&object, &r)).unwrap_or(Value::Null)
    }

    #[track_caller]
    fn sel(s: &str) -> Path {
        Path::parse_selector(s).unwrap_or_else(|| panic!("bad selector {s}"))
    }

    #[test]
    fn removes_deepest_and_highest_first_and_empty_lists() {
        let out = check(
            serde_json::json!({"type": "x-thing", "id": "x-thing--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
                "labels": ["a", "b", "c"], "refs": [{"u": 1, "v": 2}], "only": ["z"]}),
            &[
                Edit::Remove(sel("labels.[0]")),
                Edit::Remove(sel("labels.[2]")),
                Edit::Remove(sel("refs.[0].u")),
                Edit::Remove(sel("only.[0]")),
                Edit::Set(sel("refs.[0].v"), Value::from(3)),
            ],
        );
        assert_eq!(out["labels"], serde_json::json!(["b"]));
        assert_eq!(out["refs"], serde_json::json!([{"v": 3}]));
        assert!(out.get("only").is_none());
    }

    #[test]
    fn selectors_round_trip() {
        assert_eq!(sel("external_references.[0].url").to_string(), "external_references.[0].url");
        assert!(Path::parse_selector("[0]").is_none());
        assert!(Path::parse_selector("a..b").is_none());
        assert!(Path::parse_selector("a.[x]").is_none());
    }
}
