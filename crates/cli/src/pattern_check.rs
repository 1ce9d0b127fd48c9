//! The bridge between the STIX validator and the pattern crate: `stix` knows no pattern grammar,
//! so the binary hands it a checker built on `pattern::parse`.

/// A checker for `stix::validate::Options::pattern_checker`.
pub(crate) fn checker() -> impl Fn(&str) -> Result<(), String> + Sync {
    |text: &str| pattern::parse(text).map(|_| ()).map_err(|diagnostic| diagnostic.to_string())
}
