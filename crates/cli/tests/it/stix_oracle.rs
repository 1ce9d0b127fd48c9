//! Differential test against the OASIS reference validator (`stix2-validator`): on a generated
//! corpus of valid and mutated invalid objects, Meridian's valid/invalid verdict agrees with the
//! reference on every object, except where the reference is documented to be wrong
//! (`docs/design/stix-validation-differences.md`; the generator marks such objects).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// Runs a Python script from `scripts/`, or explains why the oracle cannot run.
fn python(script: &str, args: &[&str]) -> Result<Vec<u8>, String> {
    let root = test_support::test_data().join("..");
    let out = Command::new("python3")
        .arg(root.join("scripts").join(script))
        .args(args)
        .output()
        .map_err(|e| format!("cannot run python3: {e}"))?;
    if !out.status.success() {
        return Err(format!("{script} failed: {}", String::from_utf8_lossy(&out.stderr)));
    }
    Ok(out.stdout)
}

fn oracle_unavailable(why: &str) {
    // A missing oracle must not silently pass: CI installs it (scripts/setup).
    if std::env::var_os("MERIDIAN_SKIP_ORACLE").is_none() {
        panic!(
            "the reference validator is unavailable ({why}); run scripts/setup, or set MERIDIAN_SKIP_ORACLE=1"
        );
    }
}

fn jsonl(bytes: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(bytes).lines().filter_map(|l| serde_json::from_str(l).ok()).collect()
}

#[test]
fn verdicts_agree_with_stix2_validator() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let corpus = dir.path().join("corpus.json");
    let explain = dir.path().join("explain.jsonl");
    let (corpus_s, explain_s) = (corpus.display().to_string(), explain.display().to_string());
    let generated = match python(
        "stix-corpus.py",
        &["--seed", "1", "--count", "3000", "--with-reference-bugs", "--explain", &explain_s],
    ) {
        Ok(bytes) => bytes,
        Err(why) => return oracle_unavailable(&why),
    };
    std::fs::write(&corpus, generated).expect("corpus written");
    let reference = match python("stix-oracle.py", &[&corpus_s]) {
        Ok(bytes) => jsonl(&bytes),
        Err(why) => return oracle_unavailable(&why),
    };
    let explain = jsonl(&std::fs::read(Path::new(&explain_s)).expect("explain file"));

    let ours = Command::new(env!("CARGO_BIN_EXE_meridian"))
        .args(["stix", "validate", "--json", "-q", &corpus_s])
        .output()
        .expect("meridian runs");
    assert!(matches!(ours.status.code(), Some(0 | 1)), "{}", String::from_utf8_lossy(&ours.stderr));
    let mut errors: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for finding in jsonl(&ours.stdout) {
        let path = finding["path"].as_str().unwrap_or("");
        let index =
            path.strip_prefix("$[").and_then(|p| p.split(']').next()).and_then(|n| n.parse().ok());
        if let Some(index) = index {
            errors
                .entry(index)
                .or_default()
                .push(format!("{path}: {}", finding["message"].as_str().unwrap_or("")));
        }
    }

    assert_eq!(reference.len(), 3000, "the oracle judged every object");
    let (mut agreed, mut documented, mut disagreements) = (0, 0, Vec::new());
    for (i, verdict) in reference.iter().enumerate() {
        let reference_valid = verdict["valid"].as_bool().unwrap_or(false);
        let ours_valid = !errors.contains_key(&i);
        let bug = explain.get(i).and_then(|e| e["reference_bug"].as_str());
        if ours_valid == reference_valid {
            agreed += 1;
        } else if bug.is_some() && !ours_valid {
            documented += 1;
        } else {
            disagreements.push(format!(
                "object {i} ({}): reference says {}, Meridian says {} {:?}; reference errors {}",
                explain
                    .get(i)
                    .map(|e| format!("{} / {}", e["type"], e["mutation"]))
                    .unwrap_or_default(),
                if reference_valid { "valid" } else { "invalid" },
                if ours_valid { "valid" } else { "invalid" },
                errors.get(&i),
                verdict["errors"]
            ));
        }
    }
    assert!(
        disagreements.is_empty(),
        "{} disagreements ({agreed} agreed, {documented} documented reference bugs):\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
    assert!(agreed > 2500, "too few agreements: {agreed}");
    // The generator includes objects where the reference is documented to be wrong; Meridian
    // must reject each of them (counted above only when it does).
    let tagged = explain.iter().filter(|e| e["reference_bug"].is_string()).count();
    assert_eq!(documented, tagged, "every documented reference bug is caught by Meridian");
}
