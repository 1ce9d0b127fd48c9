//! The bridge between the STIX validator and the pattern crate: `stix` knows no pattern grammar,
//! so the binary hands it `pattern::check_indicator`.

/// A checker for `stix::validate::Options::pattern_checker`.
pub(crate) fn checker() -> impl Fn(&str, Option<&str>) -> Result<(), String> + Sync {
    pattern::check_indicator
}
