//! `meridian review` and `meridian erase` on a node's data directory.

use crate::store_match::run;
use crate::taxii_client::start_node;

const NOTE: &str = "note--6b1e0b2c-3d4e-4f5a-8b6c-7d8e9f0a1b01";

#[test]
fn review_then_erase_from_the_command_line() {
    let node = start_node(true);
    let data = node.dir.path().display().to_string();
    let file = node.dir.path().join("note.json");
    let note = serde_json::json!({"type": "bundle", "id": "bundle--6b1e0b2c-3d4e-4f5a-8b6c-7d8e9f0a1b00", "objects": [{
        "type": "note", "spec_version": "2.1", "id": NOTE,
        "created": "2026-07-01T00:00:00.000Z", "modified": "2026-07-01T00:00:00.000Z",
        "content": "Contact: Jane Roe at the substation", "object_refs": [NOTE],
        "object_marking_refs": [stix::Tlp::Green.marking_id()]}]});
    std::fs::write(&file, note.to_string()).expect("note written");
    let file = file.display().to_string();
    let import = [
        "import",
        "--data",
        &data,
        "--user",
        "us-analyst",
        "--collection",
        "shared-indicators",
        &file,
    ];
    let (code, _, stderr) = run(&import);
    assert_eq!(code, Some(0), "{stderr}");
    let export = ["export", "--format", "stix", "--data", &data, "--user", "de-analyst"];

    // The unsure name holds the note back from DE-CERT and queues it for a person.
    let (code, bundle, stderr) = run(&export);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!bundle.contains(NOTE), "shared before review");
    let (code, list, stderr) = run(&["review", "list", "--data", &data]);
    assert_eq!(code, Some(0), "{stderr}");
    let line =
        list.lines().find(|l| l.contains(NOTE)).unwrap_or_else(|| panic!("not queued: {list}"));
    assert!(line.contains("user:de-analyst") && line.ends_with("pending"), "{line}");
    let id = line.split('\t').next().unwrap_or_default().to_owned();

    let (code, out, stderr) = run(&["review", "approve", &id, "--data", &data, "--by", "tester"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(out.contains(&format!("Approved review {id}")), "{out}");
    let (code, _, stderr) = run(&["review", "reject", &id, "--data", &data]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains(&format!("review {id} was already approved by tester")), "{stderr}");
    let (code, _, stderr) = run(&["review", "approve", "99999", "--data", &data]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("review 99999 not found"), "{stderr}");
    let (_, bundle, _) = run(&export);
    assert!(bundle.contains(NOTE), "approved but not shared");
    let (_, list, stderr) = run(&["review", "list", "--data", &data]);
    assert!(list.is_empty() && stderr.contains("no review is waiting"), "{list}{stderr}");

    // Erasure: gone from every export, and an import cannot bring it back.
    let (code, _, stderr) = run(&["erase", "not-an-id", "--data", &data, "--reason", "x"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("`not-an-id` is not a STIX identifier"), "{stderr}");
    let (code, out, stderr) =
        run(&["erase", NOTE, "--data", &data, "--reason", "subject request 7"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(out.contains(&format!("Erased {NOTE}: 1 versions removed")), "{out}");
    for user in ["de-analyst", "us-analyst"] {
        let (_, bundle, _) = run(&["export", "--format", "stix", "--data", &data, "--user", user]);
        assert!(!bundle.contains(NOTE), "{user} still gets the erased note");
    }
    let (_, _, stderr) = run(&import);
    assert!(stderr.contains("erased from this node"), "{stderr}");
}
