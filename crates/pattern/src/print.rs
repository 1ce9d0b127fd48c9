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
