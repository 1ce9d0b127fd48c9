//! Zeek Intel framework files (`Intel::read_files`): a tab-separated table with a `#fields`
//! header, one indicator per line.
//!
//! ```text
//! #fields<TAB>indicator<TAB>indicator_type<TAB>meta.source<TAB>meta.desc<TAB>meta.url
//! evil.example<TAB>Intel::DOMAIN<TAB>meridian<TAB>indicator--…: Evil domain<TAB>-
//! ```

use std::collections::BTreeSet;
use std::io::Write;

use crate::Error;
use crate::export::{Selected, Selection};
use crate::observable::Observable;

/// Settings for [`write_zeek`].
#[derive(Debug, Clone)]
pub struct ZeekOptions {
    /// `meta.source` of every line.
    pub source: String,
}

impl Default for ZeekOptions {
    fn default() -> ZeekOptions {
        ZeekOptions { source: "meridian".into() }
    }
}

/// Writes the Intel file, sorted by indicator type and value, without duplicates.
///
/// # Errors
/// When writing fails.
pub fn write_zeek(
    selection: &Selection,
    options: &ZeekOptions,
    out: &mut (impl Write + ?Sized),
) -> Result<(), Error> {
    let mut intel = ZeekIntel::new();
    for selected in selection.objects() {
        intel.add(selected);
    }
    intel.write(options, out)
}

/// An Intel file built one selected indicator at a time (for exports read page by page): only
/// its lines are kept, not the objects.
#[derive(Debug, Clone, Default)]
pub struct ZeekIntel {
    lines: BTreeSet<(&'static str, String, String)>,
}

impl ZeekIntel {
    /// An empty file.
    pub fn new() -> ZeekIntel {
        ZeekIntel::default()
    }

    /// Adds a line per value of a selected indicator.
    pub fn add(&mut self, selected: &Selected) {
        let name = selected.name();
        let desc = if name.is_empty() {
            selected.object().id().to_string()
        } else {
            format!("{}: {name}", selected.object().id())
        };
        let desc = field(&desc);
        for observable in selected.observables() {
            let (indicator, kind) = match observable {
                Observable::Domain(d) => (d.clone(), "Intel::DOMAIN"),
                Observable::Ip(net) if net.is_host() => (net.to_string(), "Intel::ADDR"),
                Observable::Ip(net) => (net.to_string(), "Intel::SUBNET"),
                // Zeek's URL indicators are written without the scheme.
                Observable::Url(u) => (
                    u.split_once("://").map_or(u.as_str(), |(_, rest)| rest).to_owned(),
                    "Intel::URL",
                ),
                Observable::Email(e) => (e.clone(), "Intel::EMAIL"),
                Observable::Hash(_, h) => (h.clone(), "Intel::FILE_HASH"),
            };
            self.lines.insert((kind, field(&indicator), desc.clone()));
        }
    }

    /// Writes the file.
    ///
    /// # Errors
    /// When writing fails.
    pub fn write(
        &self,
        options: &ZeekOptions,
        out: &mut (impl Write + ?Sized),
    ) -> Result<(), Error> {
        writeln!(out, "#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc\tmeta.url")?;
        let source = field(&options.source);
        for (kind, indicator, desc) in &self.lines {
            writeln!(out, "{indicator}\t{kind}\t{source}\t{desc}\t-")?;
        }
        Ok(())
    }
}

/// A field value: tabs, line breaks and other control characters become spaces, and an empty
/// value is Zeek's `-`.
fn field(value: &str) -> String {
    let clean: String = value.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let clean = clean.trim();
    if clean.is_empty() { "-".into() } else { clean.to_owned() }
}
