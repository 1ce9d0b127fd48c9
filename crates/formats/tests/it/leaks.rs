//! What must never leave: TLP:RED, expired, revoked, exercise-labelled and unknown-marking
//! objects in any export, warninglisted values in any enforcement export, and formula-starting
//! CSV cells.

/// Distinctive parts of the canaries in `test-data/export/input.json`.
const NEVER: &[&str] = &[
    "red-canary",
    "expired-canary",
    "revoked-canary",
    "exercise-canary",
    "unknown-marking-canary",
    "granular-red-canary",
    // The canaries' UUIDs (indicator--…-0000000000NN), so no reference to them leaks either.
    "000000000020",
    "000000000021",
    "000000000022",
    "000000000023",
    "000000000024",
    "000000000025",
    // The relationship that points at the RED canary.
    "000000000030",
];

/// Warninglisted values: never in enforcement formats.
const BENIGN: &[&str] = &["google.com", "8.0.0.0", "8.8.8.8", "\ncom\n"];

fn forms(needle: &str) -> Vec<String> {
    // Suricata string datasets hold base64; check that form too, at each alignment.
    let mut forms = vec![needle.to_owned()];
    if needle.len() < 8 || needle.contains('\n') {
        return forms;
    }
    for pad in ["", "x", "xx"] {
        let encoded = base64(format!("{pad}{needle}").as_bytes());
        let skip = pad.len() * 4 / 3 + 2;
        if encoded.len() > skip + 4 {
            forms.push(encoded[skip..encoded.len() - 4].to_owned());
        }
    }
    forms
}

#[test]
fn canaries_never_appear_in_any_export() {
    for (name, contents, enforcement) in crate::exports() {
        let text = String::from_utf8_lossy(&contents);
        for needle in NEVER.iter().chain(if enforcement { BENIGN } else { &[] }) {
            for form in forms(needle) {
                assert!(!text.contains(&form), "{name} leaks {needle:?} (as {form:?}):\n{text}");
            }
        }
    }
}

#[test]
fn canaries_are_withheld_for_the_right_reason() {
    use formats::Reason;
    let selection = crate::selection(formats::Purpose::Sharing);
    let reason = |n: u32| {
        let id = format!("indicator--00000000-0000-4000-8000-{n:012}");
        selection.withheld.iter().find(|w| w.id == id).map(|w| w.reason.clone())
    };
    assert_eq!(reason(20), Some(Reason::TlpRed));
    assert_eq!(reason(21), Some(Reason::Expired));
    assert_eq!(reason(22), Some(Reason::Revoked));
    assert_eq!(reason(23), Some(Reason::Exercise));
    assert!(matches!(reason(24), Some(Reason::UnknownMarking(_))));
    assert_eq!(reason(25), Some(Reason::TlpRed));
    assert_eq!(reason(13), Some(Reason::LowConfidence));
}

#[test]
fn csv_cells_never_start_a_formula() {
    let (_, contents, _) =
        crate::exports().into_iter().find(|(n, _, _)| n == "input.csv").expect("csv export");
    let text = String::from_utf8(contents).expect("utf-8");
    assert!(text.contains("'=HYPERLINK"), "{text}");
    for line in text.lines() {
        for cell in line.split(',') {
            let cell = cell.trim_start_matches('"');
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "unsafe cell {cell:?} in {line:?}"
            );
        }
    }
}

#[test]
fn a_policy_filter_can_withhold_more() {
    struct NoAmber;
    impl formats::Exportable for NoAmber {
        fn decide(&self, object: &stix::Object) -> formats::Decision {
            let amber = object
                .object_marking_refs()
                .iter()
                .any(|m| stix::Tlp::from_marking_id(m.as_str()) == Some(stix::Tlp::Amber));
            if amber {
                formats::Decision::Withhold("AMBER is not for this partner".into())
            } else {
                formats::Decision::Share
            }
        }
    }
    let options = formats::SelectOptions::new(formats::Purpose::Enforcement, crate::now());
    let selection = formats::select(crate::input(), &NoAmber, &options);
    let mut out = Vec::new();
    formats::write_plain(&selection, &[], &mut out).expect("write");
    let text = String::from_utf8(out).expect("utf-8");
    assert!(!text.contains("198.51.100.7"), "{text}");
    assert!(text.contains("evil.example"), "{text}");
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            out.push(if i <= chunk.len() {
                char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize])
            } else {
                '='
            });
        }
    }
    out
}
