//! `meridian match`, run as a user would: output forms, exit codes, sources, sightings, and the
//! benchmark generator's expected hit counts.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn logs(path: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../test-data/logs")
        .join(path)
        .to_string_lossy()
        .into_owned()
}

fn meridian(args: &[&str], stdin: &[u8]) -> (i32, String, String) {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_meridian"))
        .args(args)
        .env_remove("MERIDIAN_DATA")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    child.stdin.take().expect("stdin is piped").write_all(stdin).expect("write stdin");
    let output = child.wait_with_output().expect("the binary finishes");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn match_json_lines_and_exit_codes() {
    let list = logs("indicators/list.txt");
    let (code, out, err) = meridian(&["match", "-i", &list, &logs("zeek/ssl.log")], b"");
    assert_eq!(code, 0, "{err}");
    let hit: serde_json::Value = serde_json::from_str(out.trim()).expect("one JSON line");
    assert_eq!(hit["field"], "server_name");
    assert_eq!(hit["value"], "api.c2.bad.example");
    assert_eq!(hit["indicator"], "c2.bad.example");
    assert_eq!(hit["indicator_type"], "domain");
    assert_eq!(hit["match"], "subdomain");
    assert_eq!(hit["line"], 9);
    assert_eq!(hit["timestamp"], "1700000030.000000");
    assert!(err.contains("line 14: not an indicator"), "{err}");
    // Nothing matches: 1.
    let (code, out, _) = meridian(&["match", "-i", &list, "-"], b"nothing to see here\n");
    assert_eq!((code, out.as_str()), (1, ""));
    // A malformed line or an unreadable file: 2, and the other hits are still reported.
    let (code, out, err) =
        meridian(&["match", "--count", "-i", &list, &logs("zeek/malformed-dns.log")], b"");
    assert_eq!((code, out.as_str()), (2, "2\n"));
    assert!(err.contains("malformed-dns.log:9: 3 fields where `#fields` names 4"), "{err}");
    let (code, out, err) = meridian(
        &["match", "--count", "-i", &list, "/nonexistent.log", &logs("zeek/ssl.log")],
        b"",
    );
    assert_eq!((code, out.as_str()), (2, "1\n"));
    assert!(err.contains("/nonexistent.log"), "{err}");
    // Usage errors: 2.
    let (code, _, err) = meridian(&["match", "-i", "store", "-"], b"");
    assert_eq!(code, 2);
    assert!(err.contains("-i store needs --data"), "{err}");
    let (code, _, _) = meridian(&["match", &logs("zeek/ssl.log")], b"");
    assert_eq!(code, 2);
}

#[test]
fn match_count_stats_and_warninglists() {
    let list = logs("indicators/list.txt");
    let warninglist = logs("indicators/warninglist-public-dns.json");
    let (code, out, err) = meridian(
        &["match", "--count", "-i", &list, "-w", &warninglist, &logs("zeek/conn.log")],
        b"",
    );
    assert_eq!((code, out.as_str()), (0, "3\n"));
    assert!(err.contains("1 indicators are on warninglists"), "{err}");
    assert!(err.contains("1 hits on warninglisted indicators suppressed"), "{err}");
    let (_, out, _) = meridian(
        &[
            "match",
            "--count",
            "--no-warninglists",
            "-i",
            &list,
            "-w",
            &warninglist,
            &logs("zeek/conn.log"),
        ],
        b"",
    );
    assert_eq!(out, "4\n");
    let (code, out, _) = meridian(
        &[
            "match",
            "--stats",
            "-i",
            &list,
            "-w",
            &warninglist,
            &logs("zeek/dns.log.gz"),
            &logs("eve/eve.json"),
        ],
        b"",
    );
    assert_eq!(code, 2, "eve.json has a malformed line");
    insta::assert_snapshot!(out, @"
    indicators	12
    indicators.domain	3
    indicators.email	1
    indicators.ipv4	4
    indicators.ipv6	1
    indicators.md5	1
    indicators.sha256	1
    indicators.url	1
    bytes	4420
    lines	24
    malformed_lines	1
    hit_lines	9
    hits	15
    suppressed_hits	2
    hits.domain	5	3 indicators
    hits.ipv4	4	2 indicators
    hits.ipv6	2	1 indicators
    hits.md5	1	1 indicators
    hits.sha256	1	1 indicators
    hits.url	2	1 indicators
    ");
}

#[test]
fn match_sightings_are_a_valid_stix_bundle() {
    let bundle = logs("indicators/bundle.json");
    let (code, _, err) =
        meridian(&["match", "--sightings", "-i", &bundle, &logs("eve/eve.json")], b"");
    assert_eq!(code, 2, "--identity is required: {err}");
    let identity = "identity--00000000-2222-4222-8222-222222222222";
    let (code, out, err) = meridian(
        &[
            "match",
            "--sightings",
            "--identity",
            identity,
            "--tlp",
            "amber",
            "-i",
            &bundle,
            &logs("zeek/conn.log"),
            &logs("zeek/http.log"),
        ],
        b"",
    );
    assert_eq!(code, 0, "{err}");
    let value: serde_json::Value = serde_json::from_str(&out).expect("a JSON bundle");
    let findings = stix::validate::validate(&value, &stix::validate::Options::default());
    assert!(!stix::validate::has_errors(&findings), "{findings:?}");
    let objects = value["objects"].as_array().expect("objects");
    let summary: Vec<String> = objects
        .iter()
        .map(|o| {
            format!(
                "{} {} {} {} {}",
                o["sighting_of_ref"],
                o["count"],
                o["first_seen"],
                o["last_seen"],
                o["where_sighted_refs"][0]
            )
        })
        .collect();
    insta::assert_snapshot!(summary.join("\n"), @r#"
    "indicator--00000002-1111-4111-8111-111111111111" 3 "2023-11-14T22:13:30.000Z" "2023-11-14T22:13:33.000Z" "identity--00000000-2222-4222-8222-222222222222"
    "indicator--00000003-1111-4111-8111-111111111111" 2 "2023-11-14T22:13:40.000Z" "2023-11-14T22:13:41.000Z" "identity--00000000-2222-4222-8222-222222222222"
    "#);
}

#[test]
fn match_saved_index_and_stdin() {
    let dir = tempfile::tempdir().expect("temp dir");
    let index = dir.path().join("ioc.idx");
    let index = index.to_str().expect("utf-8 path");
    let (code, _, err) =
        meridian(&["match", "-i", &logs("indicators/bundle.json"), "--save-index", index], b"");
    assert_eq!(code, 0, "{err}");
    let log = b"{\"timestamp\":\"2023-11-14T22:13:20.000000+0000\",\"event_type\":\"dns\",\"dns\":{\"rrname\":\"x.evil.example\"}}\n";
    let (code, out, err) = meridian(&["match", "-i", index, "-"], log);
    assert_eq!(code, 0, "{err}");
    let hit: serde_json::Value = serde_json::from_str(out.trim()).expect("one JSON line");
    assert_eq!(hit["indicator_ids"][0], "indicator--00000001-1111-4111-8111-111111111111");
    assert_eq!(hit["file"], "-");
    // A saved index through a pipe (it cannot be mapped, and the bytes read to recognise it
    // cannot be read again): `-i <(cat IDX)`.
    let dir_path = dir.path().to_str().expect("utf-8 path");
    std::fs::write(dir.path().join("dns.json"), log).expect("log written");
    let piped = Command::new("bash")
        .arg("-c")
        .arg(format!("\"$0\" match --count -i <(cat '{index}') '{dir_path}/dns.json'",))
        .arg(env!("CARGO_BIN_EXE_meridian"))
        .output()
        .expect("bash runs");
    let stderr = String::from_utf8_lossy(&piped.stderr);
    assert!(piped.status.success(), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&piped.stdout).trim(), "1");
}

/// The benchmark generator's small instance: `--count` equals the exact number of hit lines it
/// wrote, for each log type. Needs `python3`, as `scripts/setup` does.
#[test]
fn match_count_equals_generator_expectation() {
    let dir = tempfile::tempdir().expect("temp dir");
    let generator: PathBuf =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bench/matching/generate.py");
    let status = Command::new("python3")
        .arg(&generator)
        .arg(dir.path())
        .args(["--scale", "small"])
        .status()
        .expect("python3 runs the generator");
    assert!(status.success());
    let expected: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("expected.json")).expect("expected.json"),
    )
    .expect("JSON");
    let indicators = dir.path().join("indicators/all.txt");
    for log in ["dns.log", "conn.log", "eve.json"] {
        let path = dir.path().join("logs").join(log);
        let (code, out, err) = meridian(
            &[
                "match",
                "--count",
                "-i",
                indicators.to_str().expect("utf-8"),
                path.to_str().expect("utf-8"),
            ],
            b"",
        );
        assert_eq!(code, 0, "{log}: {err}");
        assert_eq!(out.trim(), expected["hit_lines"][log].to_string(), "{log}");
    }
}
