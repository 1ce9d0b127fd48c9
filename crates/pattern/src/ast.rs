//! The syntax tree of a STIX pattern, with byte spans into the source text.
//!
//! The tree is normalised as it is built: chains of the same operator are flat lists (`a OR b OR c`
//! is one `Or` with three operands, whatever the parentheses), and parentheses that change nothing
//! are not kept. Two trees that print the same are equal; spans are not part of a tree's identity.

use crate::timestamp::Timestamp;

/// A byte range `start..end` in the pattern text.
///
/// Spans compare equal whatever their offsets, so that a tree parsed from printed text equals the
/// tree it was printed from (`parse(print(ast)) == ast`).
#[derive(Clone, Copy, Debug, Default)]
pub struct Span {
    /// Offset of the first byte.
    pub start: u32,
    /// Offset one past the last byte.
    pub end: u32,
}

impl Span {
    /// A span from `start` to `end`.
    pub fn new(start: usize, end: usize) -> Span {
        // Input length is capped at `MAX_PATTERN_BYTES`, far below `u32::MAX`.
        Span { start: start as u32, end: end as u32 }
    }

    /// The smallest span covering both.
    pub fn cover(self, other: Span) -> Span {
        Span { start: self.start.min(other.start), end: self.end.max(other.end) }
    }
}

impl PartialEq for Span {
    fn eq(&self, _: &Span) -> bool {
        true
    }
}

impl Eq for Span {}

/// A whole pattern: one observation expression.
#[derive(Clone, Debug, PartialEq)]
pub struct Pattern {
    /// The top-level observation expression.
    pub expr: ObservationExpr,
}

/// An observation expression (STIX 2.1 §9, "Observation Expressions").
#[derive(Clone, Debug, PartialEq)]
pub enum ObservationExpr {
    /// `[ comparison-expression ]`: matches one observation.
    Observation {
        /// The comparison expression inside the brackets.
        comparison: ComparisonExpr,
        /// From `[` to `]`.
        span: Span,
    },
    /// `A AND B AND …`: every operand matches, each with distinct observations.
    And(Vec<ObservationExpr>),
    /// `A OR B OR …`: some operand matches.
    Or(Vec<ObservationExpr>),
    /// `A FOLLOWEDBY B FOLLOWEDBY …`: every operand matches, in this order in time.
    FollowedBy(Vec<ObservationExpr>),
    /// An expression with one or more qualifiers written directly after it, innermost first.
    Qualified {
        /// The qualified expression (never itself `Qualified` unless it was parenthesised).
        expr: Box<ObservationExpr>,
        /// The qualifiers in the order written.
        qualifiers: Vec<Qualifier>,
    },
    /// A part that did not parse; only `parse_lenient` returns trees with this.
    Error(Span),
}

/// A qualifier (STIX 2.1 §9, "Pattern Qualifiers").
#[derive(Clone, Debug, PartialEq)]
pub enum Qualifier {
    /// `WITHIN n SECONDS`.
    Within {
        /// The number of seconds, an integer or float literal.
        seconds: Literal,
        /// The qualifier's text.
        span: Span,
    },
    /// `REPEATS n TIMES`.
    Repeats {
        /// How many times.
        times: i64,
        /// The qualifier's text.
        span: Span,
    },
    /// `START t'…' STOP t'…'`.
    StartStop {
        /// Inclusive start.
        start: Timestamp,
        /// Exclusive stop.
        stop: Timestamp,
        /// The qualifier's text.
        span: Span,
    },
}

impl Qualifier {
    /// The qualifier's text.
    pub fn span(&self) -> Span {
        match self {
            Qualifier::Within { span, .. }
            | Qualifier::Repeats { span, .. }
            | Qualifier::StartStop { span, .. } => *span,
        }
    }
}

/// A comparison expression: comparisons joined by `AND` and `OR` inside one `[…]`.
#[derive(Clone, Debug, PartialEq)]
pub enum ComparisonExpr {
    /// All operands hold for the same object.
    And(Vec<ComparisonExpr>),
    /// Some operand holds.
    Or(Vec<ComparisonExpr>),
    /// A single comparison.
    Comparison(Comparison),
    /// A part that did not parse; only `parse_lenient` returns trees with this.
    Error(Span),
}

/// `object-path [NOT] operator value`, or `[NOT] EXISTS object-path`.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    /// The left-hand side.
    pub path: ObjectPath,
    /// Whether `NOT` precedes the operator.
    pub negated: bool,
    /// The operator and its right-hand side.
    pub op: Operator,
    /// The comparison's text.
    pub span: Span,
}

/// A comparison operator with its operand (STIX 2.1 §9, "Comparison Operators").
#[derive(Clone, Debug, PartialEq)]
pub enum Operator {
    /// `=`
    Equal(Literal),
    /// `!=`
    NotEqual(Literal),
    /// `>`
    Greater(Literal),
    /// `<`
    Less(Literal),
    /// `>=`
    GreaterOrEqual(Literal),
    /// `<=`
    LessOrEqual(Literal),
    /// `IN (…)`
    In(Vec<Literal>),
    /// `LIKE '…'`
    Like(String),
    /// `MATCHES '…'`
    Matches(String),
    /// `ISSUBSET '…'`
    IsSubset(String),
    /// `ISSUPERSET '…'`
    IsSuperset(String),
    /// `EXISTS` (STIX 2.1 only; written before the path).
    Exists,
}

/// `object-type:property.property[index]…`
#[derive(Clone, Debug, PartialEq)]
pub struct ObjectPath {
    /// The object type, e.g. `network-traffic`.
    pub object_type: String,
    /// The steps; the first is always a key.
    pub steps: Vec<PathStep>,
    /// The path's text.
    pub span: Span,
}

/// One step of an object path.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PathStep {
    /// `.name` or `.'quoted name'`.
    Key(String),
    /// `[n]`.
    Index(i64),
    /// `[*]`.
    AnyIndex,
}

/// A constant (STIX 2.1 §9, "Constants").
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A string.
    String(String),
    /// `true` or `false`.
    Bool(bool),
    /// `b'…'`, base64.
    Binary(Vec<u8>),
    /// `h'…'`, hex.
    Hex(Vec<u8>),
    /// `t'…'`.
    Timestamp(Timestamp),
}

impl Literal {
    /// The kind's name as used in messages.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Literal::Int(_) => "integer",
            Literal::Float(_) => "float",
            Literal::String(_) => "string",
            Literal::Bool(_) => "boolean",
            Literal::Binary(_) => "binary",
            Literal::Hex(_) => "hex",
            Literal::Timestamp(_) => "timestamp",
        }
    }
}

impl ObservationExpr {
    /// Calls `f` on every comparison in the expression, in source order.
    pub fn for_each_comparison<'a>(&'a self, f: &mut dyn FnMut(&'a Comparison)) {
        match self {
            ObservationExpr::Observation { comparison, .. } => comparison.for_each_comparison(f),
            ObservationExpr::And(items)
            | ObservationExpr::Or(items)
            | ObservationExpr::FollowedBy(items) => {
                items.iter().for_each(|item| item.for_each_comparison(f))
            }
            ObservationExpr::Qualified { expr, .. } => expr.for_each_comparison(f),
            ObservationExpr::Error(_) => {}
        }
    }
}

impl ComparisonExpr {
    /// Calls `f` on every comparison, in source order.
    pub fn for_each_comparison<'a>(&'a self, f: &mut dyn FnMut(&'a Comparison)) {
        match self {
            ComparisonExpr::And(items) | ComparisonExpr::Or(items) => {
                items.iter().for_each(|item| item.for_each_comparison(f))
            }
            ComparisonExpr::Comparison(comparison) => f(comparison),
            ComparisonExpr::Error(_) => {}
        }
    }
}
