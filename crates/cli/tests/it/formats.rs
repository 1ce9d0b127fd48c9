//! `meridian import` and `meridian export`, run as a user would, on files.

use std::path::Path;
use std::process::Command;

fn meridian(args: &[&str]) -> (i32, String, String) {
    let output =
        Command::new(env!("CARGO_BIN_EXE_meridian")).args(args).output().expect("the binary runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 temp path")
}

fn fixture(name: &str) -> String {
    test_support::test_data().join(name).to_str().expect("utf-8 path").to_owned()
}

#[test]
fn import_defanged_text() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = dir.path().join("report.txt");
    std::fs::write(&text, "C2: hxxps://evil[.]example/gate and 198.51.100[.]7\nsee invoice.pdf\n")
        .expect("write");
    let out = dir.path().join("out.json");
    let (code, _, err) = meridian(&[
        "import",
        path(&text),
        "-o",
        path(&out),
        "--tlp",
        "amber",
        "--label",
        "phishing",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("report.txt: created 2, rejected 0, ignored 0"), "{err}");
    let bundle: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&out).expect("read")).expect("json");
    let patterns: Vec<&str> = bundle["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .filter_map(|o| o["pattern"].as_str())
        .collect();
    assert_eq!(
        patterns,
        ["[url:value = 'https://evil.example/gate']", "[ipv4-addr:value = '198.51.100.7']"]
    );
    assert!(bundle.to_string().contains(stix::Tlp::Amber.marking_id()));
}

#[test]
fn bad_input_names_file_location_and_reason() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broken = dir.path().join("event.json");
    std::fs::write(&broken, "{\"Event\": {\"info\": \"x\",\n \"Attribute\": [}\n").expect("write");
    let (code, _, err) = meridian(&[
        "import",
        "--format",
        "misp",
        path(&broken),
        "-o",
        path(&dir.path().join("o.json")),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("event.json: line 2, column 16: not valid JSON"), "{err}");

    let csv = dir.path().join("list.csv");
    std::fs::write(&csv, "value,type\nevil.example,domain\n300.1.2.3,ip\n").expect("write");
    let (code, _, err) = meridian(&[
        "import",
        path(&csv),
        "--csv-columns",
        "value=value,type=type",
        "-o",
        path(&dir.path().join("o.json")),
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("list.csv: line 3: `300.1.2.3` is not a valid IP address or CIDR block"),
        "{err}"
    );
}

#[test]
fn export_rpz_serial_follows_content() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = fixture("export/input.json");
    let state = dir.path().join("serial");
    let zone = dir.path().join("zone.rpz");
    let export = |now: &str| {
        let (code, _, err) = meridian(&[
            "export",
            "--format",
            "rpz",
            "--input",
            &input,
            "-o",
            path(&zone),
            "--serial-file",
            path(&state),
            "--now",
            now,
        ]);
        assert_eq!(code, 0, "{err}");
        let text = std::fs::read_to_string(&zone).expect("zone");
        assert!(!text.contains("\nred-canary"), "{text}");
        text.lines()
            .find(|l| l.contains("SOA"))
            .expect("SOA")
            .split_whitespace()
            .nth(4)
            .expect("serial")
            .to_owned()
    };
    let first = export("2024-01-15T00:00:00Z");
    assert_eq!(export("2024-01-16T00:00:00Z"), first, "same content keeps the serial");
    // After the expired canary's valid_until the zone changes, so the serial grows.
    let later = export("2024-06-01T00:00:00Z");
    assert!(
        later.parse::<u64>().expect("number") > first.parse::<u64>().expect("number"),
        "{first} -> {later}"
    );
}

#[test]
fn export_suricata_and_misp_feed_then_import_the_feed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = fixture("export/input.json");
    let rules = dir.path().join("suricata");
    let (code, _, err) = meridian(&[
        "export",
        "--format",
        "suricata",
        "--input",
        &input,
        "-o",
        path(&rules),
        "--sid-range",
        "1000-1009",
    ]);
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(rules.join("meridian.rules")).expect("rules");
    assert!(
        text.contains("sid:1000;") && text.contains("dataset:isset,meridian-domains"),
        "{text}"
    );
    let (code, _, err) = meridian(&[
        "export",
        "--format",
        "suricata",
        "--input",
        &input,
        "-o",
        path(&rules),
        "--sid-range",
        "1-2",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("sid range 1-2 is too small"), "{err}");

    let feed = dir.path().join("feed");
    let (code, _, err) =
        meridian(&["export", "--format", "misp-feed", "--input", &input, "-o", path(&feed)]);
    assert_eq!(code, 0, "{err}");
    assert!(feed.join("manifest.json").exists() && feed.join("hashes.csv").exists());
    let back = dir.path().join("back.json");
    let (code, _, err) = meridian(&["import", path(&feed), "-o", path(&back)]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("rejected 0"), "{err}");
    let text = std::fs::read_to_string(&back).expect("bundle");
    assert!(text.contains("indicator--00000000-0000-4000-8000-000000000001"));
    assert!(!text.contains("red-canary"));
}

#[test]
fn export_csv_is_formula_safe() {
    let (code, out, err) = meridian(&[
        "export",
        "--format",
        "csv",
        "--input",
        &fixture("export/input.json"),
        "--now",
        "2024-06-01T00:00:00Z",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\"'=HYPERLINK("), "{out}");
    assert!(err.contains("withheld"), "{err}");
}
