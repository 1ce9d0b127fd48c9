//! The bridge between the STIX validator and the pattern crate: `stix` knows no pattern grammar,
//! so the binary hands it a checker built on `pattern::parse`.

/// A checker for `stix::validate::Options::pattern_checker`: the grammar and semantic checks of
/// the pattern crate (for `pattern_version` `2.0` or `2.1`), then STIX 2.1 §3.1's naming rules for
/// the object types and top-level property names the pattern refers to.
pub(crate) fn checker() -> impl Fn(&str, Option<&str>) -> Result<(), String> + Sync {
    |text: &str, version: Option<&str>| {
        let options = pattern::Options {
            version: if version == Some("2.0") {
                pattern::Version::V2_0
            } else {
                pattern::Version::V2_1
            },
            ..pattern::Options::default()
        };
        let parsed =
            pattern::parse_with(text, &options).map_err(|diagnostic| diagnostic.to_string())?;
        let mut problem = None;
        parsed.expr.for_each_comparison(&mut |comparison| {
            let path = &comparison.path;
            if problem.is_some() {
                return;
            }
            if !is_pattern_type_name(&path.object_type) {
                problem = Some(format!("`{}` is not a valid object type name", path.object_type));
            } else if let Some(pattern::PathStep::Key(property)) = path.steps.first() {
                let ok = (3..=250).contains(&property.len())
                    && property.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
                if !ok {
                    problem = Some(format!("`{property}` is not a valid property name (3-250 characters of a-z, 0-9, _)"));
                }
            }
        });
        problem.map_or(Ok(()), Err)
    }
}

/// Object type names in patterns: 3-250 characters of `a-z`, `0-9` and single hyphens.
fn is_pattern_type_name(name: &str) -> bool {
    let core = name.trim_start_matches('-').trim_end_matches('-');
    (3..=250).contains(&name.len())
        && !core.is_empty()
        && !core.contains("--")
        && core.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}
