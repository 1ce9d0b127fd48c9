//! `meridian stix validate`: output formats, exit codes, stdin, unreadable and non-JSON input,
//! and the whole invalid corpus with the real pattern checker.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn meridian(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_meridian"))
        .args(args)
        .current_dir(test_support::test_data().join(".."))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the meridian binary runs");
    if let Some(mut input) = child.stdin.take() {
        input.write_all(stdin.unwrap_or("").as_bytes()).expect("stdin accepts input");
    }
    child.wait_with_output().expect("meridian finishes")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn valid_files_exit_zero() {
    let out = meridian(
        &[
            "stix",
            "validate",
            "-q",
            "test-data/stix/valid/bundle-kestrelnet-c2-report.json",
            "test-data/stix/valid/indicator.json",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(text(&out.stdout), "");
}

#[test]
fn errors_are_reported_with_file_path_and_section_and_exit_one() {
    let out = meridian(
        &["stix", "validate", "test-data/stix/invalid/order-created-after-modified.json"],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!(text(&out.stdout), @"test-data/stix/invalid/order-created-after-modified.json: $.modified: error: `modified` 2024-03-04T09:12:43.999Z is earlier than `created` 2024-03-04T09:12:44.000Z (STIX 2.1 §3.2)");
}

#[test]
fn json_lines_output() {
    let out = meridian(
        &["stix", "validate", "--json", "test-data/stix/invalid/required-name-missing.json"],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let lines: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l["path"] == "$.name" && l["severity"] == "error" && l["section"] == "4.1"),
        "{lines:?}"
    );
    assert!(lines.iter().all(|l| l["file"] == "test-data/stix/invalid/required-name-missing.json"));
}

#[test]
fn stdin_is_read_with_dash() {
    let object = r#"{"type": "mutex", "id": "mutex--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"}"#;
    let out = meridian(&["stix", "validate", "-"], Some(object));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).starts_with("-: $.name: error: missing required property `name`"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn non_json_and_missing_files_exit_two_and_the_run_goes_on() {
    let out = meridian(
        &[
            "stix",
            "validate",
            "-",
            "no/such/file.json",
            "test-data/stix/invalid/required-name-missing.json",
        ],
        Some("{\"type\": \"bundle\",\n \"objects\": [tru"),
    );
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("meridian: -: line 2, column 16: not valid JSON"), "{err}");
    assert!(err.contains("meridian: no/such/file.json: cannot open"), "{err}");
    // The third file was still validated.
    assert!(text(&out.stdout).contains("required-name-missing.json: $.name: error"));
}

#[test]
fn every_invalid_corpus_file_is_rejected_by_the_binary_at_its_path() {
    let files = test_support::corpus_files("stix/invalid");
    let mut args = vec!["stix".to_owned(), "validate".to_owned(), "--json".to_owned()];
    args.extend(files.iter().map(|f| f.display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = meridian(&args, None);
    assert_eq!(out.status.code(), Some(1));
    let findings: Vec<serde_json::Value> =
        text(&out.stdout).lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    let mut missing = Vec::new();
    for file in &files {
        let expected = std::fs::read_to_string(file.with_extension("expect")).unwrap_or_default();
        let name = file.display().to_string();
        let found = findings.iter().any(|f| {
            f["file"] == name.as_str() && f["severity"] == "error" && f["path"] == expected.trim()
        });
        if !found {
            missing.push(format!("{name}: no error at {}", expected.trim()));
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn reference_rejected_files_are_valid_stix() {
    // These are valid per the specification but rejected by the OASIS reference validator
    // (docs/design/stix-validation-differences.md).
    let files = test_support::corpus_files("stix/reference-rejects");
    assert!(!files.is_empty());
    let mut args = vec!["stix".to_owned(), "validate".to_owned(), "-q".to_owned()];
    args.extend(files.iter().map(|f| f.display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = meridian(&args, None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
}
