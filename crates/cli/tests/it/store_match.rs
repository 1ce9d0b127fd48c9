//! `meridian match -i store`: the node's indicators a user may use, decided by the sharing
//! policy, and `--store-sightings` back into the node.

use std::process::Command;

use crate::taxii_client::start_node;

pub(crate) fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let out =
        Command::new(env!("CARGO_BIN_EXE_meridian")).args(args).output().expect("meridian runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn store_indicators_follow_the_sharing_policy_and_sightings_go_back() {
    let node = start_node(true);
    let data = node.dir.path().display().to_string();
    let log = node.dir.path().join("dns.log");
    std::fs::write(
        &log,
        "#separator \\x09\n#fields\tts\tuid\tid.orig_h\tquery\n\
         1700000000.0\tC1\t10.0.0.5\tc2-green-3.us-cert.kestrel.example\n\
         1700000001.0\tC2\t10.0.0.6\twww.example.org\n\
         1700000002.0\tC3\t10.0.0.7\tsub.c2-red-1.us-cert.kestrel.example\n",
    )
    .expect("log written");
    let log = log.display().to_string();
    // US-CERT's analyst may use its own RED indicator: the subdomain hit counts.
    let (code, stdout, stderr) = run(&[
        "match",
        "-i",
        "store",
        "--data",
        &data,
        "--user",
        "us-analyst",
        "--format",
        "zeek",
        "--count",
        &log,
    ]);
    assert_eq!((code, stdout.trim()), (Some(0), "2"), "{stderr}");
    // DE-CERT's analyst may not: TLP:RED stays with the users named on it.
    let (code, stdout, stderr) = run(&[
        "match",
        "-i",
        "store",
        "--data",
        &data,
        "--user",
        "de-analyst",
        "--format",
        "zeek",
        "--count",
        &log,
    ]);
    assert_eq!((code, stdout.trim()), (Some(0), "1"), "{stderr}");
    // Sightings are stored in the node on the user's behalf.
    let identity = "identity--0b7c6a1e-5c8f-4b8e-9f5a-2f9a2e3c4d5e";
    let (code, _, stderr) = run(&[
        "match",
        "-i",
        "store",
        "--data",
        &data,
        "--user",
        "de-analyst",
        "--format",
        "zeek",
        "--sightings",
        "--identity",
        identity,
        "--store-sightings",
        "shared-indicators",
        &log,
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("stored 1 sightings in `shared-indicators`"), "{stderr}");
    // Every indicator handed to the matcher was recorded in the ledger.
    let (_, shown, _) = run(&[
        "ledger",
        "show",
        "--data",
        &data,
        "--partner",
        "user:de-analyst",
        "--limit",
        "10000",
    ]);
    assert!(shown.lines().any(|l| l.contains("\tmatch\t")), "{shown}");
    let (code, verified, _) = run(&["ledger", "verify", "--data", &data]);
    assert_eq!(code, Some(0), "{verified}");
    // Imports go into the node on the user's behalf, with the same write-access check as a POST.
    let text = node.dir.path().join("report.txt");
    std::fs::write(&text, "C2 seen at hxxp://gate.kestrel[.]example/p.php and 198.51.100[.]77\n")
        .expect("report written");
    let text = text.display().to_string();
    let (code, _, stderr) = run(&[
        "import",
        "--data",
        &data,
        "--user",
        "de-analyst",
        "--collection",
        "shared-indicators",
        &text,
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("stored in `shared-indicators`: added 2"), "{stderr}");
    let (code, _, stderr) = run(&[
        "import",
        "--data",
        &data,
        "--user",
        "energy-analyst",
        "--collection",
        "shared-indicators",
        &text,
    ]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("you may not add objects to this collection"), "{stderr}");
    // Enforcement exports from the node: what the policy lets the user have, never TLP:RED.
    let (code, zone, stderr) =
        run(&["export", "--format", "rpz", "--data", &data, "--user", "de-analyst"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(zone.contains("c2-green-3.us-cert.kestrel.example"), "{zone}");
    assert!(!zone.contains("c2-red-"), "a TLP:RED domain reached an RPZ zone");
    let (_, shown, _) = run(&[
        "ledger",
        "show",
        "--data",
        &data,
        "--partner",
        "user:de-analyst",
        "--limit",
        "100000",
    ]);
    assert!(shown.lines().any(|l| l.contains("\texport\t")), "exports are recorded in the ledger");
    // Without --data the store source is a clear error.
    let (code, _, stderr) = run(&["match", "-i", "store", "--user", "de-analyst", &log]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("-i store needs --data"), "{stderr}");
}
