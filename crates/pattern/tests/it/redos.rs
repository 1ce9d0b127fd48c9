//! ReDoS corpus for `MATCHES`: regexes that make backtracking engines take exponential time,
//! run against long adversarial inputs. `MATCHES` uses a linear-time engine (finite automata,
//! no backtracking), so every case finishes and gives the answer a hand-written reference
//! gives; PCRE features that cannot run in linear time are refused with a clear error.
//!
//! No timings: a backtracking engine would not finish these inputs at all (2^100000 paths), so
//! finishing is the evidence; each case also runs at two lengths, ten times apart.

use meridian_pattern as pattern;
use serde_json::json;

/// Evaluates `[x-data:value MATCHES regex]` against an object whose value is `input`.
fn matches(regex: &str, input: &str) -> Result<bool, String> {
    let quoted = regex.replace('\\', "\\\\").replace('\'', "\\'");
    let text = format!("[x-data:value MATCHES '{quoted}']");
    let tree = pattern::parse(&text).map_err(|d| d.to_string())?;
    let compiled = pattern::compile(&tree, pattern::Version::V2_1).map_err(|e| e.to_string())?;
    let data = json!({"type": "observed-data", "id": "observed-data--1",
        "first_observed": "2024-01-01T00:00:00Z", "last_observed": "2024-01-01T00:00:00Z",
        "number_observed": 1, "objects": {"0": {"type": "x-data", "value": input}}});
    let observations = pattern::Observations::from_json(&[&data]).map_err(|e| e.to_string())?;
    compiled.is_match(&observations).map_err(|e| e.to_string())
}

/// A catastrophic regex and, for an input, the answer computed without regexes.
struct Case {
    regex: &'static str,
    reference: fn(&str) -> bool,
}

const CORPUS: &[Case] = &[
    Case { regex: "^(a+)+$", reference: |s| !s.is_empty() && s.bytes().all(|c| c == b'a') },
    Case { regex: "(a+)+$", reference: |s| s.ends_with('a') },
    Case { regex: "^(a|aa)+$", reference: |s| !s.is_empty() && s.bytes().all(|c| c == b'a') },
    Case { regex: "^(a|a?)+$", reference: |s| s.bytes().all(|c| c == b'a') },
    Case { regex: "^(.*a){20}$", reference: |s| s.ends_with('a') && s.matches('a').count() >= 20 },
    Case {
        regex: "^(a*)*b$",
        reference: |s| s.ends_with('b') && s[..s.len() - 1].bytes().all(|c| c == b'a'),
    },
    Case {
        regex: "^(a|b|ab)*c$",
        reference: |s| s.ends_with('c') && s[..s.len() - 1].bytes().all(|c| c == b'a' || c == b'b'),
    },
    Case {
        regex: "^((a+)*)+x$",
        reference: |s| s.ends_with('x') && s[..s.len() - 1].bytes().all(|c| c == b'a'),
    },
    Case { regex: "^(\\w+\\s?)*$", reference: words },
    Case { regex: "^([a-z0-9]+([._-][a-z0-9]+)*)+@example\\.com$", reference: email },
    Case { regex: "(x+x+)+y", reference: |s| s.contains("xxy") },
];

/// `^(\w+\s?)*$` on ASCII: words separated by single spaces, not starting with a space.
fn words(s: &str) -> bool {
    s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b' ')
        && !s.starts_with(' ')
        && !s.contains("  ")
}

/// `^([a-z0-9]+([._-][a-z0-9]+)*)+@example\.com$`: runs of `[a-z0-9]` joined by single
/// separators.
fn email(s: &str) -> bool {
    let Some(local) = s.strip_suffix("@example.com") else { return false };
    let separator = |c: u8| matches!(c, b'.' | b'_' | b'-');
    let bytes = local.as_bytes();
    !bytes.is_empty()
        && bytes.iter().all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || separator(c))
        && !separator(bytes[0])
        && !separator(bytes[bytes.len() - 1])
        && !bytes.windows(2).any(|w| separator(w[0]) && separator(w[1]))
}

/// The adversarial inputs: long runs of what the regex repeats, then a character that makes it
/// fail at the end (and a matching variant).
fn inputs(n: usize) -> Vec<String> {
    vec![
        "a".repeat(n) + "!",
        "a".repeat(n),
        "a".repeat(n) + "b",
        "ab".repeat(n / 2) + "!",
        "ab".repeat(n / 2) + "c",
        "a".repeat(n) + "x",
        "x".repeat(n),
        "x".repeat(n) + "y",
        "word ".repeat(n / 5) + "!",
        "a.b-c_".repeat(n / 6) + "@example.com",
        "a.b-c_".repeat(n / 6) + "d@example.com",
    ]
}

#[test]
fn catastrophic_regexes_finish_and_agree_with_the_reference() {
    for n in [10_000, 100_000] {
        for case in CORPUS {
            for input in inputs(n) {
                let expected = (case.reference)(&input);
                let got = matches(case.regex, &input);
                assert_eq!(
                    got,
                    Ok(expected),
                    "{} on {}…{} chars",
                    case.regex,
                    &input[..20],
                    input.len()
                );
            }
        }
    }
}

#[test]
fn like_with_many_wildcards_finishes() {
    // `LIKE` becomes a regex too: `%a%a%…` is the SQL form of `(.*a){n}`.
    let like = "%a".repeat(30) + "%!";
    let text = format!("[x-data:value LIKE '{like}']");
    let compiled =
        pattern::compile(&pattern::parse(&text).unwrap(), pattern::Version::V2_1).unwrap();
    for (input, expected) in [("a".repeat(100_000), false), ("a".repeat(100_000) + "!", true)] {
        let data = json!({"type": "observed-data", "id": "observed-data--1",
            "first_observed": "2024-01-01T00:00:00Z", "last_observed": "2024-01-01T00:00:00Z",
            "number_observed": 1, "objects": {"0": {"type": "x-data", "value": input}}});
        let observations = pattern::Observations::from_json(&[&data]).unwrap();
        assert_eq!(compiled.is_match(&observations).unwrap(), expected);
    }
}

#[test]
fn features_that_need_backtracking_are_unsupported() {
    let errors: Vec<String> = [
        "(a)\\1",
        "(?P<x>a)(?P=x)",
        "\\k<x>",
        "a(?=b)",
        "a(?!b)",
        "(?<=a)b",
        "(?<!a)b",
        "(?>a+)b",
        "a++b",
        "a*+b",
        "(a|b)?+",
        "a{2}+",
        "(?R)?",
        "(?1)",
        "[a++]\\++(?i-s:x)",
    ]
    .iter()
    .map(|regex| format!("{regex}  →  {:?}", matches(regex, "aab")))
    .collect();
    insta::assert_snapshot!(errors.join("\n"), @r#"
    (a)\1  →  Err("unsupported regular expression \"(a)\\\\1\": back-references are not supported (they cannot run in linear time)")
    (?P<x>a)(?P=x)  →  Err("unsupported regular expression \"(?P<x>a)(?P=x)\": back-references are not supported (they cannot run in linear time)")
    \k<x>  →  Err("unsupported regular expression \"\\\\k<x>\": back-references are not supported (they cannot run in linear time)")
    a(?=b)  →  Err("unsupported regular expression \"a(?=b)\": look-ahead and look-behind are not supported (they cannot run in linear time)")
    a(?!b)  →  Err("unsupported regular expression \"a(?!b)\": look-ahead and look-behind are not supported (they cannot run in linear time)")
    (?<=a)b  →  Err("unsupported regular expression \"(?<=a)b\": look-ahead and look-behind are not supported (they cannot run in linear time)")
    (?<!a)b  →  Err("unsupported regular expression \"(?<!a)b\": look-ahead and look-behind are not supported (they cannot run in linear time)")
    (?>a+)b  →  Err("unsupported regular expression \"(?>a+)b\": atomic groups are not supported (they change what backtracking finds)")
    a++b  →  Err("unsupported regular expression \"a++b\": possessive quantifiers are not supported (they change what backtracking finds)")
    a*+b  →  Err("unsupported regular expression \"a*+b\": possessive quantifiers are not supported (they change what backtracking finds)")
    (a|b)?+  →  Err("unsupported regular expression \"(a|b)?+\": possessive quantifiers are not supported (they change what backtracking finds)")
    a{2}+  →  Err("unsupported regular expression \"a{2}+\": possessive quantifiers are not supported (they change what backtracking finds)")
    (?R)?  →  Err("unsupported regular expression \"(?R)?\": recursion is not supported (it cannot run in linear time)")
    (?1)  →  Err("unsupported regular expression \"(?1)\": recursion is not supported (it cannot run in linear time)")
    [a++]\++(?i-s:x)  →  Ok(false)
    "#);
}

#[test]
fn huge_regexes_are_refused() {
    insta::assert_snapshot!(matches("((a{100}){100}){100}", "a").unwrap_err(), @r#"invalid regular expression "((a{100}){100}){100}": compiled regex exceeds the size limit of 1048576 bytes"#);
    insta::assert_snapshot!(matches("(((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((a)))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))", "a").unwrap_err(), @r#"
    invalid regular expression "(((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((a)))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))": regex parse error:
        (((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((a)))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))
                                                                        ^^^^^^^
    error: exceed the maximum number of nested parentheses/brackets (64)
    "#);
}
