//! STIX patterning (STIX 2.1 part 9): parse, validate, print and evaluate patterns.
//!
//! ```text
//! pattern                   = observation_expressions EOF
//! observation_expressions   = observation_or ( "FOLLOWEDBY" observation_or )*
//! observation_or            = observation_and ( "OR" observation_and )*
//! observation_and           = observation_expression ( "AND" observation_expression )*
//! observation_expression    = ( "[" comparison_expression "]" | "(" observation_expressions ")" )
//!                             qualifier*
//! qualifier                 = "WITHIN" ( IntPos | FloatPos ) "SECONDS"
//!                           | "REPEATS" IntPos "TIMES"
//!                           | "START" Timestamp "STOP" Timestamp
//! comparison_expression     = comparison_and ( "OR" comparison_and )*
//! comparison_and            = prop_test ( "AND" prop_test )*
//! prop_test                 = object_path "NOT"? ( "=" | "!=" ) primitive
//!                           | object_path "NOT"? ( ">" | "<" | ">=" | "<=" ) orderable
//!                           | object_path "NOT"? "IN" "(" ( primitive ( "," primitive )* )? ")"
//!                           | object_path "NOT"? ( "LIKE" | "MATCHES" | "ISSUBSET" | "ISSUPERSET" ) String
//!                           | "NOT"? "EXISTS" object_path                       (2.1 only)
//!                           | "(" comparison_expression ")"
//! object_path               = object_type ":" ( Ident | String ) path_step*
//! object_type               = Ident | IdentWithHyphen
//! path_step                 = "." ( Ident | String ) | "[" ( IntPos | IntNeg | "*" ) "]"
//! primitive                 = orderable | "true" | "false"
//! orderable                 = IntPos | IntNeg | FloatPos | FloatNeg | String | b'base64' | h'hex' | t'timestamp'
//! ```
//!
//! Keywords are upper case and case-sensitive; `==` and `<>` are accepted for `=` and `!=`;
//! whitespace, `/* … */` and `// …` comments separate tokens.
//!
//! This crate owns the language only: it knows nothing about storage, HTTP or the `stix` crate's
//! structs. Evaluation runs over [`ObjectView`], a small JSON-like view that `serde_json::Value`
//! implements, and [`Json`], a tree borrowed from JSON text that is much cheaper to build.
//! Parsing never panics and is bounded by [`Options::max_len`] and [`Options::max_depth`].
//! [`PatternSet`] matches many patterns at once, evaluating only the candidates an observation
//! selects.
//!
//! ```
//! use meridian_pattern as pattern;
//!
//! let pattern = pattern::parse("[ipv4-addr:value ISSUBSET '198.51.100.0/24']").unwrap();
//! let compiled = pattern::compile(&pattern, pattern::Version::V2_1).unwrap();
//! let bundle = serde_json::json!({"type": "bundle", "id": "bundle--1", "objects": [
//!     {"type": "observed-data", "id": "observed-data--1", "first_observed": "2024-01-01T00:00:00Z",
//!      "last_observed": "2024-01-01T00:00:00Z", "number_observed": 1, "object_refs": ["ipv4-addr--1"]},
//!     {"type": "ipv4-addr", "id": "ipv4-addr--1", "value": "198.51.100.7"}]});
//! let observations = pattern::Observations::from_json(&[&bundle]).unwrap();
//! assert!(compiled.evaluate(&observations).unwrap().matched());
//! ```
//!
//! # STIX 2.0 patterns
//!
//! [`Version::V2_0`] accepts the 2.0 language, which differs from 2.1 in that `EXISTS` does not
//! exist and one observation expression may carry two qualifiers of the same kind. Observed data
//! in 2.0 embeds its objects (`"objects": {"0": {…}}`) instead of referring to them; both forms are
//! evaluated, whatever the version.
//!
//! # Features
//!
//! None.

mod ast;
mod diagnostic;
mod error;
mod eval;
mod indicator;
mod ioc;
mod ipnet;
mod json;
mod lexer;
mod observation;
mod parser;
mod print;
mod search;
mod set;
mod text;
mod timestamp;
mod validate;
mod view;

pub use ast::{
    Comparison, ComparisonExpr, Literal, ObjectPath, ObservationExpr, Operator, PathStep, Pattern,
    Qualifier, Span,
};
pub use diagnostic::Diagnostic;
pub use error::Error;
pub use eval::{CompiledPattern, MAX_EVALUATION_STEPS, MAX_REGEX_BYTES, Outcome, compile};
pub use indicator::check_indicator;
pub use ioc::{Ioc, extract_iocs};
pub use json::{Json, JsonError, MAX_JSON_DEPTH};
pub use observation::{Observation, Observations};
pub use set::PatternSet;
pub use timestamp::{Timestamp, TimestampError};
pub use view::{ObjectView, Value};

/// Patterns longer than this many bytes are rejected before lexing.
pub const MAX_PATTERN_BYTES: usize = 128 * 1024;

/// Parentheses and brackets may nest this deep.
pub const MAX_NESTING_DEPTH: usize = 64;

/// The version of the patterning language.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Version {
    /// STIX 2.0 (part 5 of the 2.0 specification).
    V2_0,
    /// STIX 2.1 (part 9 of the 2.1 specification).
    #[default]
    V2_1,
}

impl std::str::FromStr for Version {
    type Err = String;

    fn from_str(text: &str) -> Result<Version, String> {
        match text {
            "2.0" => Ok(Version::V2_0),
            "2.1" => Ok(Version::V2_1),
            other => Err(format!("unknown STIX version {other:?}: expected 2.0 or 2.1")),
        }
    }
}

/// Parser settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// The language version.
    pub version: Version,
    /// Longer input is rejected.
    pub max_len: usize,
    /// Deeper nesting is rejected.
    pub max_depth: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options { version: Version::V2_1, max_len: MAX_PATTERN_BYTES, max_depth: MAX_NESTING_DEPTH }
    }
}

impl Options {
    /// The default settings for `version`.
    pub fn for_version(version: Version) -> Options {
        Options { version, ..Options::default() }
    }
}

/// Parses and validates a STIX 2.1 pattern, failing on the first problem. For ingest.
pub fn parse(text: &str) -> Result<Pattern, Diagnostic> {
    parse_with(text, &Options::default())
}

/// Parses and validates a STIX 2.1 pattern, returning a best-effort tree and every problem found,
/// in source order. For people: the UI and `meridian pattern check`.
pub fn parse_lenient(text: &str) -> (Pattern, Vec<Diagnostic>) {
    parse_lenient_with(text, &Options::default())
}

/// [`parse`] with explicit options.
pub fn parse_with(text: &str, options: &Options) -> Result<Pattern, Diagnostic> {
    let (pattern, mut diagnostics) = parse_lenient_with(text, options);
    if diagnostics.is_empty() { Ok(pattern) } else { Err(diagnostics.swap_remove(0)) }
}

/// [`parse_lenient`] with explicit options.
pub fn parse_lenient_with(text: &str, options: &Options) -> (Pattern, Vec<Diagnostic>) {
    let (pattern, mut diagnostics) = parser::parse(text, options);
    validate::validate(&pattern, options, &mut diagnostics);
    diagnostics.sort_by_key(|d| (d.span.start, d.span.end));
    (pattern, diagnostics)
}
