//! Prints a tree back to pattern text, adding parentheses only where the grammar needs them, so
//! that `parse(&pattern.to_string()) == Ok(pattern)` for every tree the parser can produce.

use std::fmt::{self, Display, Formatter, Write as _};

use crate::ast::{
    Comparison, ComparisonExpr, Literal, ObjectPath, ObservationExpr, Operator, PathStep, Pattern,
    Qualifier,
};
use crate::lexer::{self, Keyword};
use crate::parser::encode_base64;

impl Display for Pattern {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        self.expr.fmt(f)
    }
}

/// Binding strength of an observation expression: a child binding no tighter than its parent
/// operator gets parentheses.
fn observation_strength(expr: &ObservationExpr) -> u8 {
    match expr {
        ObservationExpr::FollowedBy(_) => 1,
        ObservationExpr::Or(_) => 2,
        ObservationExpr::And(_) => 3,
        ObservationExpr::Qualified { .. } => 4,
        ObservationExpr::Observation { .. } | ObservationExpr::Error(_) => 5,
    }
}

fn write_operands(
    f: &mut Formatter<'_>,
    items: &[ObservationExpr],
    operator: &str,
    strength: u8,
) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            write!(f, " {operator} ")?;
        }
        if observation_strength(item) <= strength {
            write!(f, "({item})")?;
        } else {
            write!(f, "{item}")?;
        }
    }
    Ok(())
}

impl Display for ObservationExpr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            ObservationExpr::Observation { comparison, .. } => write!(f, "[{comparison}]"),
            ObservationExpr::FollowedBy(items) => write_operands(f, items, "FOLLOWEDBY", 1),
            ObservationExpr::Or(items) => write_operands(f, items, "OR", 2),
            ObservationExpr::And(items) => write_operands(f, items, "AND", 3),
            ObservationExpr::Qualified { expr, qualifiers } => {
                if observation_strength(expr) <= 4 {
                    write!(f, "({expr})")?;
                } else {
                    write!(f, "{expr}")?;
                }
                for qualifier in qualifiers {
                    write!(f, " {qualifier}")?;
                }
                Ok(())
            }
            ObservationExpr::Error(_) => f.write_str("[<error>]"),
        }
    }
}

impl Display for Qualifier {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Qualifier::Within { seconds, .. } => write!(f, "WITHIN {seconds} SECONDS"),
            Qualifier::Repeats { times, .. } => write!(f, "REPEATS {times} TIMES"),
            Qualifier::StartStop { start, stop, .. } => {
                write!(f, "START t'{start}' STOP t'{stop}'")
            }
        }
    }
}

impl Display for ComparisonExpr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let (items, operator, and) = match self {
            ComparisonExpr::Comparison(comparison) => return comparison.fmt(f),
            ComparisonExpr::Error(_) => return f.write_str("<error>"),
            ComparisonExpr::And(items) => (items, "AND", true),
            ComparisonExpr::Or(items) => (items, "OR", false),
        };
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                write!(f, " {operator} ")?;
            }
            let parenthesise = match item {
                ComparisonExpr::Or(_) => true,
                ComparisonExpr::And(_) => and,
                _ => false,
            };
            if parenthesise {
                write!(f, "({item})")?;
            } else {
                write!(f, "{item}")?;
            }
        }
        Ok(())
    }
}

impl Display for Comparison {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let not = if self.negated { "NOT " } else { "" };
        let (operator, operand): (&str, String) = match &self.op {
            Operator::Exists => return write!(f, "{not}EXISTS {}", self.path),
            Operator::Equal(value) => ("=", value.to_string()),
            Operator::NotEqual(value) => ("!=", value.to_string()),
            Operator::Greater(value) => (">", value.to_string()),
            Operator::Less(value) => ("<", value.to_string()),
            Operator::GreaterOrEqual(value) => (">=", value.to_string()),
            Operator::LessOrEqual(value) => ("<=", value.to_string()),
            Operator::In(values) => {
                let items: Vec<String> = values.iter().map(ToString::to_string).collect();
                ("IN", format!("({})", items.join(", ")))
            }
            Operator::Like(text) => ("LIKE", lexer::quote(text)),
            Operator::Matches(text) => ("MATCHES", lexer::quote(text)),
            Operator::IsSubset(text) => ("ISSUBSET", lexer::quote(text)),
            Operator::IsSuperset(text) => ("ISSUPERSET", lexer::quote(text)),
        };
        write!(f, "{} {not}{operator} {operand}", self.path)
    }
}

impl Display for ObjectPath {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}:", self.object_type)?;
        for (i, step) in self.steps.iter().enumerate() {
            match step {
                PathStep::Key(key) => {
                    if i > 0 {
                        f.write_char('.')?;
                    }
                    if is_bare_key(key) {
                        f.write_str(key)?;
                    } else {
                        f.write_str(&lexer::quote(key))?;
                    }
                }
                PathStep::Index(index) => write!(f, "[{index}]")?,
                PathStep::AnyIndex => f.write_str("[*]")?,
            }
        }
        Ok(())
    }
}

/// Whether a property name can be written without quotes.
fn is_bare_key(key: &str) -> bool {
    let mut bytes = key.bytes();
    bytes.next().is_some_and(|c| c.is_ascii_alphabetic() || c == b'_')
        && bytes.all(|c| c.is_ascii_alphanumeric() || c == b'_')
        && !Keyword::is_reserved(key)
    // `h'…'`, `b'…'` and `t'…'` are literals, but a bare `h` followed by `.` is fine.
}

impl Display for Literal {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Int(value) => write!(f, "{value}"),
            Literal::Float(value) => {
                let text = value.to_string();
                if text.contains('.') { f.write_str(&text) } else { write!(f, "{text}.0") }
            }
            Literal::String(value) => f.write_str(&lexer::quote(value)),
            Literal::Bool(value) => write!(f, "{value}"),
            Literal::Binary(bytes) => write!(f, "b'{}'", encode_base64(bytes)),
            Literal::Hex(bytes) => {
                f.write_str("h'")?;
                for byte in bytes {
                    write!(f, "{byte:02x}")?;
                }
                f.write_char('\'')
            }
            Literal::Timestamp(timestamp) => write!(f, "t'{timestamp}'"),
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use crate::ast::{
        Comparison, ComparisonExpr, Literal, ObjectPath, ObservationExpr, Operator, PathStep,
        Pattern, Qualifier, Span,
    };
    use crate::timestamp::Timestamp;

    fn timestamp() -> impl Strategy<Value = Timestamp> {
        (-2_000_000_000i64..20_000_000_000, prop_oneof![Just(0u32), 0u32..1_000_000_000])
            .prop_filter_map("in range", |(s, n)| Timestamp::from_unix(s, n))
    }

    fn literal() -> impl Strategy<Value = Literal> {
        prop_oneof![
            any::<i64>().prop_map(Literal::Int),
            (-1e12f64..1e12).prop_map(Literal::Float),
            ".{0,8}".prop_map(Literal::String),
            any::<bool>().prop_map(Literal::Bool),
            proptest::collection::vec(any::<u8>(), 1..8).prop_map(Literal::Binary),
            proptest::collection::vec(any::<u8>(), 0..8).prop_map(Literal::Hex),
            timestamp().prop_map(Literal::Timestamp),
        ]
    }

    fn orderable() -> impl Strategy<Value = Literal> {
        literal().prop_map(|l| if let Literal::Bool(_) = l { Literal::Int(1) } else { l })
    }

    fn path() -> impl Strategy<Value = ObjectPath> {
        let key = ".{0,6}".prop_map(|k| if k == "hashes" { "hashes_".to_owned() } else { k });
        let step = prop_oneof![
            key.clone().prop_map(PathStep::Key),
            any::<i64>().prop_map(PathStep::Index),
            Just(PathStep::AnyIndex),
        ];
        ("[a-z_][a-z0-9_]{0,5}(-[a-z0-9]{1,3})?", key, proptest::collection::vec(step, 0..3))
            .prop_filter("not a keyword", |(t, _, _)| !crate::lexer::Keyword::is_reserved(t))
            .prop_map(|(object_type, first, rest)| {
                let mut steps = vec![PathStep::Key(first)];
                steps.extend(rest);
                ObjectPath { object_type, steps, span: Span::default() }
            })
    }

    fn comparison() -> impl Strategy<Value = ComparisonExpr> {
        let op = prop_oneof![
            literal().prop_map(Operator::Equal),
            literal().prop_map(Operator::NotEqual),
            orderable().prop_map(Operator::Greater),
            orderable().prop_map(Operator::Less),
            orderable().prop_map(Operator::GreaterOrEqual),
            orderable().prop_map(Operator::LessOrEqual),
            proptest::collection::vec(literal(), 0..3).prop_map(Operator::In),
            ".{0,6}".prop_map(Operator::Like),
            ".{0,6}".prop_map(Operator::Matches),
            ".{0,6}".prop_map(Operator::IsSubset),
            ".{0,6}".prop_map(Operator::IsSuperset),
            Just(Operator::Exists),
        ];
        (path(), any::<bool>(), op).prop_map(|(path, negated, op)| {
            ComparisonExpr::Comparison(Comparison { path, negated, op, span: Span::default() })
        })
    }

    fn comparison_expr() -> impl Strategy<Value = ComparisonExpr> {
        comparison().prop_recursive(3, 12, 3, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 2..4).prop_map(ComparisonExpr::And),
                proptest::collection::vec(inner, 2..4).prop_map(ComparisonExpr::Or),
            ]
        })
    }

    fn qualifiers() -> impl Strategy<Value = Vec<Qualifier>> {
        let within = prop_oneof![
            (1i64..100_000).prop_map(Literal::Int),
            (0.001f64..1e6).prop_map(Literal::Float),
        ]
        .prop_map(|seconds| Qualifier::Within { seconds, span: Span::default() });
        let repeats =
            (1i64..1000).prop_map(|times| Qualifier::Repeats { times, span: Span::default() });
        let start_stop = (timestamp(), timestamp()).prop_filter_map("ordered", |(a, b)| {
            (a < b).then_some(Qualifier::StartStop { start: a, stop: b, span: Span::default() })
        });
        (
            proptest::option::of(within),
            proptest::option::of(repeats),
            proptest::option::of(start_stop),
        )
            .prop_map(|(a, b, c)| [a, b, c].into_iter().flatten().collect::<Vec<_>>())
            .prop_filter("at least one", |q| !q.is_empty())
    }

    fn observation_expr() -> impl Strategy<Value = ObservationExpr> {
        let leaf = comparison_expr().prop_map(|comparison| ObservationExpr::Observation {
            comparison,
            span: Span::default(),
        });
        leaf.prop_recursive(3, 12, 3, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 2..4).prop_map(ObservationExpr::And),
                proptest::collection::vec(inner.clone(), 2..4).prop_map(ObservationExpr::Or),
                proptest::collection::vec(inner.clone(), 2..4)
                    .prop_map(ObservationExpr::FollowedBy),
                (inner, qualifiers()).prop_map(|(expr, qualifiers)| ObservationExpr::Qualified {
                    expr: Box::new(expr),
                    qualifiers
                }),
            ]
        })
    }

    /// Flattens same-operator chains, as the parser does.
    fn normalize_comparison(expr: ComparisonExpr) -> ComparisonExpr {
        match expr {
            ComparisonExpr::And(items) => ComparisonExpr::And(
                items
                    .into_iter()
                    .map(normalize_comparison)
                    .flat_map(|i| match i {
                        ComparisonExpr::And(inner) => inner,
                        other => vec![other],
                    })
                    .collect(),
            ),
            ComparisonExpr::Or(items) => ComparisonExpr::Or(
                items
                    .into_iter()
                    .map(normalize_comparison)
                    .flat_map(|i| match i {
                        ComparisonExpr::Or(inner) => inner,
                        other => vec![other],
                    })
                    .collect(),
            ),
            other => other,
        }
    }

    fn normalize(expr: ObservationExpr) -> ObservationExpr {
        fn flat(
            items: Vec<ObservationExpr>,
            pick: fn(ObservationExpr) -> Result<Vec<ObservationExpr>, ObservationExpr>,
        ) -> Vec<ObservationExpr> {
            items
                .into_iter()
                .map(normalize)
                .flat_map(|i| match pick(i) {
                    Ok(inner) => inner,
                    Err(other) => vec![other],
                })
                .collect()
        }
        match expr {
            ObservationExpr::Observation { comparison, span } => {
                ObservationExpr::Observation { comparison: normalize_comparison(comparison), span }
            }
            ObservationExpr::And(items) => ObservationExpr::And(flat(items, |i| match i {
                ObservationExpr::And(inner) => Ok(inner),
                other => Err(other),
            })),
            ObservationExpr::Or(items) => ObservationExpr::Or(flat(items, |i| match i {
                ObservationExpr::Or(inner) => Ok(inner),
                other => Err(other),
            })),
            ObservationExpr::FollowedBy(items) => {
                ObservationExpr::FollowedBy(flat(items, |i| match i {
                    ObservationExpr::FollowedBy(inner) => Ok(inner),
                    other => Err(other),
                }))
            }
            ObservationExpr::Qualified { expr, qualifiers } => {
                ObservationExpr::Qualified { expr: Box::new(normalize(*expr)), qualifiers }
            }
            other => other,
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn parse_print_round_trips(expr in observation_expr()) {
            let pattern = Pattern { expr: normalize(expr) };
            let text = pattern.to_string();
            prop_assert_eq!(crate::parse(&text), Ok(pattern), "{}", text);
        }

        #[test]
        fn parse_never_panics(text in "[\\[\\]()a-z:.'=<>! 0-9tbh*,_-]{0,60}") {
            let _ = crate::parse_lenient(&text);
        }
    }
}
