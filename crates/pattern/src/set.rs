//! `PatternSet`: which of many patterns match some observations, without evaluating them all.
//!
//! Patterns that are one `[…]` made of `=`/`IN` string comparisons joined by `OR` are indexed by
//! (object type, path, value): a lookup finds them, and they need no evaluation. Every other
//! pattern is evaluated only when an object type it names occurs in the observations. The cost
//! therefore grows with the number of candidate patterns, not with the size of the set.

use std::collections::HashMap;

use crate::Version;
use crate::ast::{ComparisonExpr, Literal, ObservationExpr, Operator, PathStep, Pattern};
use crate::error::Error;
use crate::eval::{CompiledPattern, compile};
use crate::observation::Observations;
use crate::view::{ObjectView, Value};

/// An immutable set of compiled patterns, indexed for matching (`Send + Sync`).
#[derive(Debug)]
pub struct PatternSet {
    patterns: Vec<CompiledPattern>,
    /// Object type → the indexed paths of that type.
    paths: HashMap<String, Vec<Vec<PathStep>>>,
    /// (object type, path, string value) → the patterns that match it outright.
    values: HashMap<(String, Vec<PathStep>, String), Vec<u32>>,
    /// Object type → patterns to evaluate when that type occurs.
    by_type: HashMap<String, Vec<u32>>,
}

impl PatternSet {
    /// Compiles `patterns`; on failure, says which one (by position) and why.
    pub fn new<'p>(
        patterns: impl IntoIterator<Item = &'p Pattern>,
        version: Version,
    ) -> Result<PatternSet, (usize, Error)> {
        let mut set = PatternSet {
            patterns: Vec::new(),
            paths: HashMap::new(),
            values: HashMap::new(),
            by_type: HashMap::new(),
        };
        for (i, pattern) in patterns.into_iter().enumerate() {
            let compiled = compile(pattern, version).map_err(|e| (i, e))?;
            let id = i as u32;
            match index_keys(pattern) {
                Some(keys) => {
                    for (object_type, path, value) in keys {
                        let paths = set.paths.entry(object_type.clone()).or_default();
                        if !paths.contains(&path) {
                            paths.push(path.clone());
                        }
                        set.values.entry((object_type, path, value)).or_default().push(id);
                    }
                }
                None => {
                    for object_type in compiled.object_types() {
                        set.by_type.entry(object_type.to_owned()).or_default().push(id);
                    }
                }
            }
            set.patterns.push(compiled);
        }
        Ok(set)
    }

    /// How many patterns the set holds.
    pub fn len(&self) -> usize {
        self.patterns.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// The positions of the patterns that match `observations`, sorted. A pattern whose
    /// evaluation fails (e.g. too expensive) does not match; its error is returned alongside.
    pub fn matches<V: ObjectView>(
        &self,
        observations: &Observations<'_, V>,
    ) -> (Vec<usize>, Vec<(usize, Error)>) {
        let mut hits: Vec<u32> = Vec::new();
        let mut candidates: Vec<u32> = Vec::new();
        for object_type in observations.object_types() {
            if let Some(ids) = self.by_type.get(object_type) {
                candidates.extend(ids);
            }
        }
        if !self.values.is_empty() {
            for observation in observations.iter() {
                for object in &observation.objects {
                    let Some(object_type) = object.object_type else { continue };
                    let Some(paths) = self.paths.get(object_type) else { continue };
                    for path in paths {
                        let Some(value) = simple_path(object.view, path) else { continue };
                        let key = (object_type.to_owned(), path.clone(), value.to_owned());
                        if let Some(ids) = self.values.get(&key) {
                            hits.extend(ids);
                        }
                    }
                }
            }
        }
        candidates.sort_unstable();
        candidates.dedup();
        let mut errors = Vec::new();
        for id in candidates {
            match self.patterns[id as usize].is_match(observations) {
                Ok(true) => hits.push(id),
                Ok(false) => {}
                Err(error) => errors.push((id as usize, error)),
            }
        }
        hits.sort_unstable();
        hits.dedup();
        (hits.into_iter().map(|id| id as usize).collect(), errors)
    }
}

/// The (type, path, value) keys of a pattern that matches exactly when one of them is present:
/// one unqualified `[…]` of non-negated `=`/`IN` string comparisons on plain key paths, joined
/// by `OR`.
fn index_keys(pattern: &Pattern) -> Option<Vec<(String, Vec<PathStep>, String)>> {
    let ObservationExpr::Observation { comparison, .. } = &pattern.expr else { return None };
    let leaves: Vec<&ComparisonExpr> = match comparison {
        ComparisonExpr::Or(items) => items.iter().collect(),
        single => vec![single],
    };
    let mut keys = Vec::new();
    for leaf in leaves {
        let ComparisonExpr::Comparison(c) = leaf else { return None };
        let plain = c.path.steps.iter().all(|step| match step {
            PathStep::Key(key) => {
                !(key.ends_with("_ref")
                    || key.ends_with("_refs")
                    || key.ends_with("_hex")
                    || key.ends_with("_bin"))
            }
            _ => false,
        });
        if c.negated || !plain {
            return None;
        }
        let values: Vec<&Literal> = match &c.op {
            Operator::Equal(value) => vec![value],
            Operator::In(values) => values.iter().collect(),
            _ => return None,
        };
        for value in values {
            let Literal::String(text) = value else { return None };
            keys.push((c.path.object_type.clone(), c.path.steps.clone(), text.clone()));
        }
    }
    Some(keys)
}

/// The string at a path of plain keys.
fn simple_path<'a, V: ObjectView>(object: &'a V, path: &[PathStep]) -> Option<&'a str> {
    let mut current = object;
    for step in path {
        let PathStep::Key(key) = step else { return None };
        current = current.get(key)?;
    }
    match current.value() {
        Value::String(s) => Some(s),
        _ => None,
    }
}
