//! `meridian pattern check|match|eval`, run as a user would.

use std::io::Write;
use std::process::{Command, Stdio};

fn meridian(args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_meridian"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    child.stdin.take().expect("stdin is piped").write_all(stdin.as_bytes()).expect("write stdin");
    let output = child.wait_with_output().expect("the binary finishes");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn check_valid_and_invalid() {
    let (code, out, _) = meridian(&["pattern", "check", "[file:name = 'a.exe']"], "");
    assert_eq!((code, out.as_str()), (0, "valid: [file:name = 'a.exe']\n"));
    let (code, out, _) = meridian(&["pattern", "check", "[file:name = 'a.exe'"], "");
    assert_eq!(code, 1);
    insta::assert_snapshot!(out, @"
    error: expected `]`, `AND` or `OR` after a comparison, found end of pattern
      [file:name = 'a.exe'
                          ^
    ");
    let (code, out, _) = meridian(&["pattern", "check", "--json", "[a:b MATCHES '(x)\\\\1']"], "");
    assert_eq!(code, 1);
    insta::assert_snapshot!(out, @r#"{"errors":[{"end":22,"message":"unsupported regular expression \"(x)\\\\1\": back-references are not supported (they cannot run in linear time)","start":0}],"pattern":"[a:b MATCHES '(x)\\\\1']","valid":false}"#);
}

#[test]
fn check_usage_error_is_2() {
    let (code, _, _) = meridian(&["pattern", "check"], "");
    assert_eq!(code, 2);
}

#[test]
fn check_jsonl() {
    let input = "{\"pattern\": \"[a:b = 1]\"}\n{\"pattern\": \"[a:b = ]\"}\n";
    let (code, out, _) = meridian(&["pattern", "check", "--jsonl"], input);
    assert_eq!(code, 1);
    insta::assert_snapshot!(out, @r#"
    {"errors":[],"valid":true}
    {"errors":[{"end":8,"message":"expected a constant (string, number, boolean, b'…', h'…' or t'…'), found `]`","start":7}],"valid":false}
    "#);
}

#[test]
fn match_files() {
    let dir = std::env::temp_dir().join(format!("meridian-pattern-it-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let bundle = dir.join("bundle.json");
    std::fs::write(
        &bundle,
        r#"{"type": "bundle", "id": "bundle--1", "objects": [
            {"type": "observed-data", "id": "observed-data--1", "first_observed": "2024-01-01T00:00:00Z",
             "last_observed": "2024-01-01T00:00:00Z", "number_observed": 1, "object_refs": ["domain-name--1"]},
            {"type": "domain-name", "id": "domain-name--1", "value": "evil.example"}]}"#,
    )
    .expect("write bundle");
    let broken = dir.join("broken.json");
    std::fs::write(&broken, "{").expect("write broken");
    let file = bundle.to_str().expect("utf-8 path");
    let (code, out, _) =
        meridian(&["pattern", "match", "[domain-name:value = 'evil.example']", file], "");
    assert_eq!((code, out.as_str()), (0, "observed-data--1\n"));
    let (code, out, _) =
        meridian(&["pattern", "match", "[domain-name:value = 'good.example']", file], "");
    assert_eq!((code, out.as_str()), (1, ""));
    let broken = broken.to_str().expect("utf-8 path");
    let (code, out, err) =
        meridian(&["pattern", "match", "[domain-name:value = 'evil.example']", broken, file], "");
    assert_eq!((code, out.as_str()), (2, "observed-data--1\n"));
    assert!(err.contains("broken.json"), "{err}");
    std::fs::remove_dir_all(&dir).expect("clean up");
}

#[test]
fn eval_jsonl() {
    let input = concat!(
        r#"{"pattern": "[file:name = 'a']", "stix_version": "2.0", "observed_data": [{"type": "observed-data", "first_observed": "2024-01-01T00:00:00Z", "last_observed": "2024-01-01T00:00:00Z", "number_observed": 1, "objects": {"0": {"type": "file", "name": "a"}}}]}"#,
        "\n",
        r#"{"pattern": "[file:name = 'b']", "observed_data": []}"#,
        "\n",
        r#"{"pattern": "[file:name = ", "observed_data": []}"#,
        "\n",
    );
    let (code, out, _) = meridian(&["pattern", "eval", "--jsonl"], input);
    assert_eq!(code, 0);
    insta::assert_snapshot!(out, @r#"
    {"match":true}
    {"match":false}
    {"error":"error: expected a constant (string, number, boolean, b'…', h'…' or t'…'), found end of pattern\n  [file:name = \n               ^"}
    "#);
}
