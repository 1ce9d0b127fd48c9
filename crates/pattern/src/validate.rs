//! Checks beyond the grammar, as the specification and the OASIS validator (`stix2-patterns`)
//! require: qualifier values, qualifier repetition, START before STOP, and hash formats.

use crate::ast::{Comparison, Literal, ObservationExpr, Operator, PathStep, Pattern, Qualifier};
use crate::diagnostic::Diagnostic;
use crate::{Options, Version};

/// Adds a diagnostic for every semantic problem in `pattern`.
pub(crate) fn validate(pattern: &Pattern, options: &Options, diagnostics: &mut Vec<Diagnostic>) {
    observation(&pattern.expr, options, diagnostics);
    pattern.expr.for_each_comparison(&mut |comparison| hashes(comparison, diagnostics));
}

fn observation(expr: &ObservationExpr, options: &Options, diagnostics: &mut Vec<Diagnostic>) {
    match expr {
        ObservationExpr::Observation { .. } | ObservationExpr::Error(_) => {}
        ObservationExpr::And(items)
        | ObservationExpr::Or(items)
        | ObservationExpr::FollowedBy(items) => {
            items.iter().for_each(|item| observation(item, options, diagnostics))
        }
        ObservationExpr::Qualified { expr, qualifiers } => {
            observation(expr, options, diagnostics);
            let mut seen = [false; 3];
            for qualifier in qualifiers {
                let kind = match qualifier {
                    Qualifier::Within { .. } => 0,
                    Qualifier::Repeats { .. } => 1,
                    Qualifier::StartStop { .. } => 2,
                };
                // STIX 2.1 §9, "Pattern Qualifiers": one qualifier of each kind per observation
                // expression (the 2.1 validator enforces this; 2.0 did not say).
                if seen[kind] && options.version == Version::V2_1 {
                    diagnostics.push(Diagnostic::new(
                        qualifier.span(),
                        format!(
                            "duplicate `{}` qualifier on the same observation expression",
                            ["WITHIN", "REPEATS", "START/STOP"][kind]
                        ),
                    ));
                }
                seen[kind] = true;
                qualifier_value(qualifier, diagnostics);
            }
        }
    }
}

fn qualifier_value(qualifier: &Qualifier, diagnostics: &mut Vec<Diagnostic>) {
    let problem = match qualifier {
        Qualifier::Within { seconds: Literal::Int(n), .. } if *n <= 0 => {
            Some("`WITHIN` needs a positive number of seconds")
        }
        Qualifier::Within { seconds: Literal::Float(x), .. } if *x <= 0.0 => {
            Some("`WITHIN` needs a positive number of seconds")
        }
        Qualifier::Repeats { times, .. } if *times < 1 => {
            Some("`REPEATS` needs a positive number of times")
        }
        Qualifier::StartStop { start, stop, .. } if start >= stop => {
            Some("`START` must be earlier than `STOP`")
        }
        _ => None,
    };
    if let Some(message) = problem {
        diagnostics.push(Diagnostic::new(qualifier.span(), message));
    }
}

/// STIX 2.1 §10.1 (hashing-algorithm-ov): a value compared to `hashes.<algorithm>` must be a
/// well-formed hash of that algorithm, as the OASIS validator checks.
fn hashes(comparison: &Comparison, diagnostics: &mut Vec<Diagnostic>) {
    let steps = &comparison.path.steps;
    if !steps.iter().any(|step| matches!(step, PathStep::Key(key) if key == "hashes")) {
        return;
    }
    let Some(PathStep::Key(algorithm)) = steps.last() else { return };
    let name: String = algorithm.chars().filter(|c| *c != '-').collect::<String>().to_uppercase();
    let Some(format) = HashFormat::of(&name) else { return };
    let values: Vec<&Literal> = match &comparison.op {
        Operator::Equal(value)
        | Operator::NotEqual(value)
        | Operator::Greater(value)
        | Operator::Less(value)
        | Operator::GreaterOrEqual(value)
        | Operator::LessOrEqual(value) => vec![value],
        Operator::In(values) => values.iter().collect(),
        _ => return,
    };
    for value in values {
        let ok = match value {
            Literal::String(text) => format.accepts(text),
            _ => false,
        };
        if !ok {
            diagnostics.push(Diagnostic::new(
                comparison.span,
                format!("{value} is not a valid {algorithm} hash"),
            ));
        }
    }
}

enum HashFormat {
    Hex(&'static [usize]),
    Ssdeep,
}

impl HashFormat {
    fn of(name: &str) -> Option<HashFormat> {
        Some(match name {
            "MD5" => HashFormat::Hex(&[32]),
            "MD6" => HashFormat::Hex(&[32, 40, 56, 64, 96, 128]),
            "RIPEMD160" | "SHA1" => HashFormat::Hex(&[40]),
            "SHA224" | "SHA3224" => HashFormat::Hex(&[56]),
            "SHA256" | "SHA3256" => HashFormat::Hex(&[64]),
            "SHA384" | "SHA3384" => HashFormat::Hex(&[96]),
            "SHA512" | "SHA3512" | "WHIRLPOOL" => HashFormat::Hex(&[128]),
            "SSDEEP" => HashFormat::Ssdeep,
            _ => return None,
        })
    }

    fn accepts(&self, text: &str) -> bool {
        match self {
            HashFormat::Hex(lengths) => {
                lengths.contains(&text.len()) && text.bytes().all(|c| c.is_ascii_hexdigit())
            }
            HashFormat::Ssdeep => {
                (1..=128).contains(&text.len())
                    && text.bytes().all(|c| c.is_ascii_alphanumeric() || b"/+:.".contains(&c))
            }
        }
    }
}
