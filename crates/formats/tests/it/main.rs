//! Integration tests of meridian-formats: golden files, never-leak checks, round trips, and the
//! real tools (named-checkzone, nft, pymisp, stix2-validator) as oracles.

mod golden;
mod leaks;
mod misp;
mod oracle;
mod properties;
mod streaming;

use std::path::{Path, PathBuf};

use formats::{BuiltInRulesOnly, Purpose, SelectOptions, Selection, Warninglists};

/// The export fixture: a bundle with one indicator per interesting case and the canaries.
pub(crate) fn input() -> Vec<stix::Object> {
    let bundle: stix::Bundle =
        serde_json::from_value(test_support::read_json(&export_dir().join("input.json")))
            .expect("fixture bundle");
    bundle.objects
}

pub(crate) fn export_dir() -> PathBuf {
    test_support::test_data().join("export")
}

/// The fixed "now" of the fixtures: after the expired canary's `valid_until`.
pub(crate) fn now() -> stix::Timestamp {
    "2024-06-01T00:00:00.000Z".parse().expect("constant timestamp")
}

pub(crate) fn warninglists() -> Warninglists {
    let mut lists = Warninglists::new();
    for name in ["warninglist-hostnames.json", "warninglist-resolvers.json"] {
        let text = std::fs::read_to_string(export_dir().join(name)).expect("fixture warninglist");
        lists.add_json(&text).expect("valid warninglist");
    }
    lists
}

pub(crate) fn selection(purpose: Purpose) -> Selection {
    let lists = warninglists();
    let mut options = SelectOptions::new(purpose, now());
    options.warninglists = Some(&lists);
    options.min_confidence = Some(50);
    formats::select(input(), &BuiltInRulesOnly, &options)
}

/// Every export of the fixture: `(file name, contents, is an enforcement format)`.
pub(crate) fn exports() -> Vec<(String, Vec<u8>, bool)> {
    let enforcement = selection(Purpose::Enforcement);
    let sharing = selection(Purpose::Sharing);
    let mut out = Vec::new();
    let mut add =
        |name: &str, enforce: bool, write: &dyn Fn(&mut Vec<u8>) -> Result<(), formats::Error>| {
            let mut buf = Vec::new();
            write(&mut buf).unwrap_or_else(|e| panic!("{name}: {e}"));
            out.push((name.to_owned(), buf, enforce));
        };
    let rpz = formats::rpz::RpzOptions { serial: 2024060101, ..Default::default() };
    add("input.rpz", true, &|o| formats::rpz::write_rpz(&enforcement, &rpz, o));
    let garden = formats::rpz::RpzOptions {
        serial: 2024060101,
        action: formats::rpz::RpzAction::WalledGarden("garden.example.net".into()),
        ip_triggers: false,
        ..Default::default()
    };
    add("input-walled-garden.rpz", true, &|o| formats::rpz::write_rpz(&enforcement, &garden, o));
    let suricata = formats::suricata::SuricataOptions::default();
    for file in formats::suricata::SuricataFile::ALL {
        let name = format!("suricata/{}", file.file_name(&suricata));
        add(&name, true, &|o| formats::suricata::write_suricata(&enforcement, file, &suricata, o));
    }
    add("input.intel", true, &|o| formats::zeek::write_zeek(&enforcement, &Default::default(), o));
    add("input.nft", true, &|o| formats::nft::write_nft(&enforcement, &Default::default(), o));
    add("input.csv", true, &|o| formats::csv::write_csv(&enforcement, o));
    add("input.txt", true, &|o| formats::write_plain(&enforcement, &[], o));
    add("input.stix.json", false, &|o| formats::write_bundle(&sharing, o));
    let misp = formats::misp::export_misp(&sharing);
    add("input.misp.json", false, &|o| formats::misp::write_misp_events(&misp, o));
    for file in formats::misp::write_feed(&misp).expect("feed") {
        out.push((format!("feed/{}", file.name), file.contents, false));
    }
    out
}

/// Compares `actual` with the golden file `test-data/export/<name>`, or rewrites the file when
/// `MERIDIAN_UPDATE_GOLDEN=1` (never edit golden files by hand).
#[track_caller]
pub(crate) fn golden(name: &str, actual: &[u8]) {
    let path = export_dir().join("golden").join(name);
    if std::env::var_os("MERIDIAN_UPDATE_GOLDEN").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().expect("golden files live in a folder"))
            .expect("create golden dir");
        std::fs::write(&path, actual).expect("write golden file");
        return;
    }
    let expected = std::fs::read(&path).unwrap_or_else(|e| {
        panic!("{}: {e}; run with MERIDIAN_UPDATE_GOLDEN=1 to create it", path.display())
    });
    if expected != actual {
        panic!(
            "{} differs from the output:\n{}\nrun with MERIDIAN_UPDATE_GOLDEN=1 to accept the new output",
            path.display(),
            String::from_utf8_lossy(actual)
        );
    }
}

/// Whether an oracle tool can run. A missing tool fails the test, unless
/// `MERIDIAN_SKIP_ORACLE=1`, when the test returns early.
#[track_caller]
pub(crate) fn oracle(program: &str, probe: &[&str]) -> bool {
    let ok = std::process::Command::new(program)
        .args(probe)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        return true;
    }
    if std::env::var_os("MERIDIAN_SKIP_ORACLE").is_some_and(|v| v == "1") {
        #[allow(clippy::print_stderr)] // Tell whoever runs the tests that an oracle was skipped.
        {
            eprintln!("MERIDIAN_SKIP_ORACLE=1: not running {program}");
        }
        return false;
    }
    panic!(
        "`{program} {}` does not run: install it with scripts/setup (or set MERIDIAN_SKIP_ORACLE=1)",
        probe.join(" ")
    );
}

/// Runs a Python snippet with arguments; panics with its output when it fails.
#[track_caller]
pub(crate) fn python(script: &str, args: &[&Path]) {
    let output = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "python oracle failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
