//! Plain lists: one value per line, sorted, without duplicates, optionally of one kind only
//! (for tools that take a list of domains or addresses and nothing else).

use std::collections::BTreeSet;
use std::io::Write;

use crate::Error;
use crate::export::{Selected, Selection};
use crate::observable::Kind;

/// Writes the values of the given kinds (all kinds when `kinds` is empty).
///
/// # Errors
/// When writing fails.
pub fn write_plain(
    selection: &Selection,
    kinds: &[Kind],
    out: &mut (impl Write + ?Sized),
) -> Result<(), Error> {
    let mut list = PlainList::new(kinds);
    for selected in selection.objects() {
        list.add(selected);
    }
    list.write(out)
}

/// A plain list built one selected indicator at a time (for exports read page by page): only
/// the values are kept, not the objects.
#[derive(Debug, Clone, Default)]
pub struct PlainList {
    kinds: Vec<Kind>,
    values: BTreeSet<String>,
}

impl PlainList {
    /// An empty list of values of `kinds` (all kinds when empty).
    pub fn new(kinds: &[Kind]) -> PlainList {
        PlainList { kinds: kinds.to_vec(), values: BTreeSet::new() }
    }

    /// Adds the values of a selected indicator.
    pub fn add(&mut self, selected: &Selected) {
        for observable in selected.observables() {
            if self.kinds.is_empty() || self.kinds.contains(&observable.kind()) {
                self.values.insert(observable.to_string());
            }
        }
    }

    /// Writes the list, one value per line, sorted.
    ///
    /// # Errors
    /// When writing fails.
    pub fn write(&self, out: &mut (impl Write + ?Sized)) -> Result<(), Error> {
        for value in &self.values {
            writeln!(out, "{value}")?;
        }
        Ok(())
    }
}
