//! The committed corpus: every valid file validates without errors and round-trips losslessly,
//! through `Object` and through the typed structs; every invalid file is rejected at the path its
//! `.expect` file names.

use serde_json::Value;
use stix::validate::{Finding, Options, Severity, validate};
use stix::{Object, Typed};
use test_support::{corpus_files, read_json};

fn findings(doc: &Value) -> Vec<Finding> {
    let checker = |p: &str, _: Option<&str>| {
        if p.trim_start().starts_with('[') || p.trim_start().starts_with('(') {
            Ok(())
        } else {
            Err("not a pattern".to_owned())
        }
    };
    validate(doc, &Options { pattern_checker: Some(&checker) })
}

fn objects_of(doc: &Value) -> Vec<Value> {
    match doc {
        Value::Array(items) => items.clone(),
        Value::Object(m) if m.get("type").and_then(Value::as_str) == Some("bundle") => {
            m.get("objects").and_then(Value::as_array).cloned().unwrap_or_default()
        }
        other => vec![other.clone()],
    }
}

#[test]
fn valid_corpus_has_no_errors() {
    let files = corpus_files("stix/valid");
    assert!(files.len() >= 60, "the valid corpus shrank to {} files", files.len());
    let mut problems = Vec::new();
    for file in &files {
        for f in findings(&read_json(file)) {
            if f.severity == Severity::Error {
                problems.push(format!(
                    "{}: {}: {} (§{})",
                    file.display(),
                    f.path,
                    f.message,
                    f.section
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn valid_corpus_covers_every_type_and_extension() {
    let mut seen_types = std::collections::BTreeSet::new();
    let mut seen_extensions = std::collections::BTreeSet::new();
    for file in corpus_files("stix/valid") {
        for object in objects_of(&read_json(&file)) {
            if let Some(t) = object.get("type").and_then(Value::as_str) {
                seen_types.insert(t.to_owned());
            }
            if let Some(ext) = object.get("extensions").and_then(Value::as_object) {
                seen_extensions.extend(ext.keys().cloned());
            }
        }
    }
    let missing: Vec<_> =
        stix::schema::TYPES.iter().map(|t| t.name).filter(|t| !seen_types.contains(*t)).collect();
    assert!(missing.is_empty(), "no valid example of {missing:?}");
    let missing: Vec<_> = stix::schema::EXTENSIONS
        .iter()
        .map(|e| e.name)
        .filter(|e| !seen_extensions.contains(*e))
        .collect();
    assert!(missing.is_empty(), "no valid example of extension {missing:?}");
}

#[test]
fn every_valid_object_round_trips_through_object_and_typed_structs() {
    for file in corpus_files("stix/valid") {
        for value in objects_of(&read_json(&file)) {
            let object = Object::from_value(value.clone())
                .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            assert_eq!(
                serde_json::to_value(&object).ok(),
                Some(value.clone()),
                "{}",
                file.display()
            );
            let typed = object
                .typed()
                .unwrap_or_else(|e| panic!("{}: {} {e}", file.display(), object.id()));
            let back = Value::Object(typed.to_map());
            assert_eq!(back, value, "{}: typed round trip of {}", file.display(), object.id());
            // Parse → serialise → parse gives the same value.
            let again =
                Object::from_value(back).map(|o| o.typed().map(|t| Value::Object(t.to_map())));
            assert_eq!(again.ok().and_then(Result::ok), Some(value), "{}", file.display());
        }
    }
}

/// The typed structs and the validator's property tables name the same properties: a property
/// the table defines never lands in a struct's `extra`.
#[test]
fn typed_structs_agree_with_the_property_tables() {
    for file in corpus_files("stix/valid") {
        for value in objects_of(&read_json(&file)) {
            let Ok(object) = Object::from_value(value) else { continue };
            let Some(def) = stix::schema::type_def(object.object_type()) else { continue };
            let Ok(typed) = object.typed() else { continue };
            let extra: Vec<String> = match &typed {
                Typed::Custom(_) => continue,
                _ => {
                    let map = typed.to_map();
                    // Reconstruct which keys the struct did not name: compare with a struct-only view.
                    let named = Value::Object(map.clone());
                    let _ = named;
                    extra_keys(&typed)
                }
            };
            for key in extra {
                assert!(
                    !def.props.iter().any(|p| p.name == key),
                    "{}: `{key}` of {} is in the table but not in the typed struct",
                    file.display(),
                    def.name
                );
            }
        }
    }
}

fn extra_keys(typed: &Typed) -> Vec<String> {
    macro_rules! extra {
        ($($v:ident),*) => {
            match typed {
                $(Typed::$v(t) => t.extra.keys().cloned().collect(),)*
                _ => Vec::new(),
            }
        };
    }
    extra!(
        AttackPattern,
        Campaign,
        CourseOfAction,
        Grouping,
        Identity,
        Incident,
        Indicator,
        Infrastructure,
        IntrusionSet,
        Location,
        Malware,
        MalwareAnalysis,
        Note,
        ObservedData,
        Opinion,
        Report,
        ThreatActor,
        Tool,
        Vulnerability,
        Artifact,
        AutonomousSystem,
        Directory,
        DomainName,
        EmailAddr,
        EmailMessage,
        File,
        Ipv4Addr,
        Ipv6Addr,
        MacAddr,
        Mutex,
        NetworkTraffic,
        Process,
        Software,
        Url,
        UserAccount,
        WindowsRegistryKey,
        X509Certificate,
        Relationship,
        Sighting,
        LanguageContent,
        MarkingDefinition,
        ExtensionDefinition
    )
}

#[test]
fn every_invalid_file_is_rejected_at_the_expected_path() {
    let files = corpus_files("stix/invalid");
    assert!(files.len() >= 40, "the invalid corpus shrank to {} files", files.len());
    let mut problems = Vec::new();
    for file in &files {
        // Pattern grammar errors need the pattern crate; the binary's tests check those files.
        if file.file_name().is_some_and(|n| n.to_string_lossy().starts_with("pattern-")) {
            continue;
        }
        let expect_path = file.with_extension("expect");
        let expected = std::fs::read_to_string(&expect_path)
            .unwrap_or_else(|e| panic!("{}: {e}", expect_path.display()));
        let expected = expected.trim();
        let found = findings(&read_json(file));
        let errors: Vec<&Finding> =
            found.iter().filter(|f| f.severity == Severity::Error).collect();
        if !errors.iter().any(|f| f.path == expected) {
            problems.push(format!(
                "{}: expected an error at {expected}, got [{}]",
                file.display(),
                errors
                    .iter()
                    .map(|f| format!("{}: {}", f.path, f.message))
                    .collect::<Vec<_>>()
                    .join("; ")
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "{} of {} invalid files not rejected as expected:\n{}",
        problems.len(),
        files.len(),
        problems.join("\n")
    );
}
