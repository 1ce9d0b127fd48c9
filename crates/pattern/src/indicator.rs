//! The check an indicator's `pattern` gets at ingest: the grammar and semantic checks for its
//! `pattern_version`, then STIX 2.1 §3.1's naming rules for the object types and top-level
//! property names the pattern refers to (as the OASIS validator applies them).

use crate::{Options, PathStep, Version, parse_with};

/// Checks an indicator pattern written for `pattern_version` (`2.0`, or `2.1` when absent or
/// anything else); returns a message for people on failure.
///
/// ```
/// use meridian_pattern as pattern;
/// assert!(pattern::check_indicator("[domain-name:value = 'evil.example']", None).is_ok());
/// assert!(pattern::check_indicator("[domain-name:Value = 'evil.example']", None).is_err());
/// ```
pub fn check_indicator(text: &str, pattern_version: Option<&str>) -> Result<(), String> {
    let version = if pattern_version == Some("2.0") { Version::V2_0 } else { Version::V2_1 };
    let parsed = parse_with(text, &Options::for_version(version))
        .map_err(|diagnostic| diagnostic.to_string())?;
    let mut problem = None;
    parsed.expr.for_each_comparison(&mut |comparison| {
        let path = &comparison.path;
        if problem.is_some() {
            return;
        }
        if !is_type_name(&path.object_type) {
            problem = Some(format!("`{}` is not a valid object type name", path.object_type));
        } else if let Some(PathStep::Key(property)) = path.steps.first() {
            let ok = (3..=250).contains(&property.len())
                && property
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !ok {
                problem = Some(format!(
                    "`{property}` is not a valid property name (3-250 characters of a-z, 0-9, _)"
                ));
            }
        }
    });
    problem.map_or(Ok(()), Err)
}

/// Object type names in patterns: 3-250 characters of `a-z`, `0-9` and single hyphens.
fn is_type_name(name: &str) -> bool {
    let core = name.trim_start_matches('-').trim_end_matches('-');
    (3..=250).contains(&name.len())
        && !core.is_empty()
        && !core.contains("--")
        && core.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_versions() {
        assert!(check_indicator("[x-acme-widget:x_size > 3]", None).is_ok());
        assert_eq!(
            check_indicator("[ipv4-addr:Value = '1.2.3.4']", None),
            Err("`Value` is not a valid property name (3-250 characters of a-z, 0-9, _)".to_owned())
        );
        assert!(
            check_indicator(
                "[file:name = 'a'] AND [file:name = 'b'] WITHIN 5 SECONDS WITHIN 6 SECONDS",
                Some("2.0")
            )
            .is_ok()
        );
        assert!(
            check_indicator("[file:name = 'a'] WITHIN 5 SECONDS WITHIN 6 SECONDS", None).is_err()
        );
        assert!(check_indicator("[ab:value = 'x']", None).is_err());
    }
}
