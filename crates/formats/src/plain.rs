//! Plain lists: one value per line, sorted, without duplicates, optionally of one kind only
//! (for tools that take a list of domains or addresses and nothing else).

use std::collections::BTreeSet;
use std::io::Write;

use crate::Error;
use crate::export::Selection;
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
    let values: BTreeSet<String> = selection
        .observables()
        .filter(|(_, o)| kinds.is_empty() || kinds.contains(&o.kind()))
        .map(|(_, o)| o.to_string())
        .collect();
    for value in values {
        writeln!(out, "{value}")?;
    }
    Ok(())
}
