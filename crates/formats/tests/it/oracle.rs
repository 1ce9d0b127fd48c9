//! The real tools accept what Meridian writes: BIND's `named-checkzone` loads the RPZ zones,
//! `nft -c -f` accepts the set file, pymisp loads the exported events and feed, the OASIS
//! `stix2-validator` accepts the exported bundles; and the sample events shipped in the pymisp
//! source package import without rejections, except the documented MISP data errors.
//! `scripts/setup` installs all of them. A missing tool fails the test unless
//! `MERIDIAN_SKIP_ORACLE=1`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn write_exports(dir: &Path) {
    for (name, contents, _) in crate::exports() {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().expect("in a folder")).expect("mkdir");
        std::fs::write(&path, contents).expect("write export");
    }
}

#[track_caller]
fn run(command: &mut Command) {
    let output = command.output().unwrap_or_else(|e| panic!("{command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn named_checkzone_loads_the_rpz_zones() {
    if !crate::oracle("named-checkzone", &["-v"]) {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    write_exports(dir.path());
    for zone in ["input.rpz", "input-walled-garden.rpz"] {
        run(Command::new("named-checkzone")
            .args(["-k", "fail", "-i", "full", "rpz.meridian.example"])
            .arg(dir.path().join(zone)));
    }
}

#[test]
fn nft_accepts_the_set_file() {
    if !crate::oracle("nft", &["--version"]) {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    write_exports(dir.path());
    run(Command::new("nft").args(["-c", "-f"]).arg(dir.path().join("input.nft")));
}

const STIX_VALIDATE: &str = r#"
import sys
from stix2validator import validate_file, ValidationOptions
failed = False
for path in sys.argv[1:]:
    result = validate_file(path, ValidationOptions(version="2.1"))
    if not result.is_valid:
        failed = True
        for obj in result.object_results:
            for error in obj.errors:
                print(path, obj.object_id, error)
sys.exit(1 if failed else 0)
"#;

#[test]
fn stix2_validator_accepts_the_exported_bundle() {
    if !crate::oracle("python3", &["-c", "import stix2validator"]) {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    write_exports(dir.path());
    crate::python(STIX_VALIDATE, &[&dir.path().join("input.stix.json")]);
}

const PYMISP_LOAD: &str = r#"
import json, os, sys
from pymisp import MISPEvent
events_file, feed = sys.argv[1], sys.argv[2]
data = json.load(open(events_file))
for item in (data if isinstance(data, list) else [data]):
    event = MISPEvent()
    event.load(item)
    assert event.uuid and event.info, item
manifest = json.load(open(os.path.join(feed, "manifest.json")))
assert manifest, "empty manifest"
for uuid, summary in manifest.items():
    event = MISPEvent()
    event.load_file(os.path.join(feed, uuid + ".json"))
    assert event.uuid == uuid, (event.uuid, uuid)
    assert event.info == summary["info"]
    values = [a.value for a in event.attributes] + [a.value for o in event.objects for a in o.attributes]
    assert values, uuid
hashes = open(os.path.join(feed, "hashes.csv")).read().split()
assert hashes and all(len(h.split(",")[0]) == 32 and h.split(",")[1] in manifest for h in hashes)
"#;

#[test]
fn pymisp_loads_the_exported_events_and_feed() {
    if !crate::oracle("python3", &["-c", "import pymisp"]) {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    write_exports(dir.path());
    crate::python(PYMISP_LOAD, &[&dir.path().join("input.misp.json"), &dir.path().join("feed")]);
    // The MISP → STIX → MISP round trip of the committed samples loads too.
    for path in test_support::corpus_files("misp") {
        let (_, back) = crate::misp::round_trip(&test_support::read_json(&path));
        let file = dir.path().join("roundtrip.json");
        std::fs::write(&file, serde_json::to_vec(&back).expect("json")).expect("write");
        let feed = dir.path().join("feed");
        crate::python(PYMISP_LOAD, &[&file, &feed]);
    }
}

/// Where `scripts/setup` unpacks the pymisp source package (override: `MERIDIAN_PYMISP_SRC`).
fn pymisp_source() -> PathBuf {
    std::env::var_os("MERIDIAN_PYMISP_SRC")
        .map_or_else(|| PathBuf::from("/usr/local/share/meridian/pymisp-src"), PathBuf::from)
}

/// Files in the pymisp source's `tests/` that are not MISP events, and why.
const NOT_EVENTS: &[(&str, &str)] = &[
    ("galaxy.json", "a galaxy definition"),
    ("sighting.json", "a sighting"),
    ("simple.json", "an empty JSON object"),
    ("sharing_groups.json", "a list of sharing groups"),
    ("stix2.json", "a STIX 2 bundle, not MISP"),
    ("git-vuln-finder-quagga.json", "git-vuln-finder output"),
    ("definition.json", "an object template"),
];

/// Records in the samples that are MISP data errors, and so rejected: (file, JSON path).
const DATA_ERRORS: &[(&str, &str)] = &[
    // An ssdeep hash with CR LF line breaks inside it, pasted from a report.
    ("to_delete2.json", "$.Event.Object[4].Attribute[4]"),
    // Ten text attributes that all carry the same UUID: the first is kept, the others rejected.
    ("japanese_test_heavy.json", "$.Event.Attribute[1]"),
    ("japanese_test_heavy.json", "$.Event.Attribute[2]"),
    ("japanese_test_heavy.json", "$.Event.Attribute[3]"),
    ("japanese_test_heavy.json", "$.Event.Attribute[4]"),
    ("japanese_test_heavy.json", "$.Event.Attribute[5]"),
    ("japanese_test_heavy.json", "$.Event.Attribute[6]"),
    ("japanese_test_heavy.json", "$.Event.Attribute[7]"),
    ("japanese_test_heavy.json", "$.Event.Attribute[8]"),
    ("japanese_test_heavy.json", "$.Event.Attribute[9]"),
];

#[test]
fn pymisp_sample_events_import_and_round_trip() {
    let root = pymisp_source();
    if !root.join("tests").is_dir() {
        if std::env::var_os("MERIDIAN_SKIP_ORACLE").is_some_and(|v| v == "1") {
            return;
        }
        panic!(
            "{} has no pymisp source; run scripts/setup (or set MERIDIAN_PYMISP_SRC)",
            root.display()
        );
    }
    let mut files = Vec::new();
    for dir in ["tests", "tests/mispevent_testfiles", "tests/reportlab_testfiles"] {
        for entry in std::fs::read_dir(root.join(dir)).expect("read dir").flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "json") {
                files.push(path);
            }
        }
    }
    files.sort();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut bundles = Vec::new();
    let mut imported = 0;
    for path in &files {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if NOT_EVENTS.iter().any(|(n, _)| *n == name) {
            continue;
        }
        let document = test_support::read_json(path);
        let import = formats::misp::import_misp(
            document.clone(),
            &formats::misp::MispImportOptions { now: crate::now() },
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        let expected: Vec<&str> =
            DATA_ERRORS.iter().filter(|(n, _)| *n == name).map(|(_, p)| *p).collect();
        let rejected: Vec<&str> =
            import.report.rejected.iter().map(|p| p.location.as_str()).collect();
        assert_eq!(rejected, expected, "{name}: {:?}", import.report.rejected);
        imported += import.report.created;
        if expected.is_empty() {
            let (_, back) = crate::misp::round_trip(&document);
            assert_eq!(
                crate::misp::summary_without_uuids(&back),
                crate::misp::summary_without_uuids(&document),
                "{name}"
            );
        }
        let bundle = dir.path().join(format!("{name}.stix.json"));
        let objects: Vec<stix::Object> = import.objects;
        let mut out = Vec::new();
        let selection = formats::select(
            objects,
            &formats::BuiltInRulesOnly,
            &formats::SelectOptions::new(formats::Purpose::Sharing, crate::now()),
        );
        formats::write_bundle(&selection, &mut out).expect("bundle");
        if !selection.objects().is_empty() {
            std::fs::write(&bundle, out).expect("write");
            bundles.push(bundle);
        }
    }
    assert!(imported > 500, "only {imported} objects from the pymisp samples");
    if crate::oracle("python3", &["-c", "import stix2validator"]) {
        let refs: Vec<&Path> = bundles.iter().map(PathBuf::as_path).collect();
        crate::python(STIX_VALIDATE, &refs);
    }
}
