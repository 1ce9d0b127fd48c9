//! The crate's error type for compiling and evaluating patterns.

use crate::diagnostic::Diagnostic;

/// Why a pattern could not be compiled or evaluated.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The pattern text is invalid; the diagnostic says where. The author's fault.
    #[error("invalid pattern: {0}")]
    Invalid(Diagnostic),
    /// A `MATCHES` regex uses a feature that cannot run in linear time (back-references,
    /// look-around). The author's fault; safe to show.
    #[error("unsupported regular expression {regex:?}: {reason}")]
    UnsupportedRegex {
        /// The regex as written in the pattern.
        regex: String,
        /// Which feature.
        reason: String,
    },
    /// A `MATCHES` regex does not parse, or is larger than the size limit. The author's fault.
    #[error("invalid regular expression {regex:?}: {reason}")]
    InvalidRegex {
        /// The regex as written in the pattern.
        regex: String,
        /// What is wrong.
        reason: String,
    },
    /// The operand of `ISSUBSET`/`ISSUPERSET` is not an IPv4/IPv6 address or CIDR block.
    #[error("invalid IP address or CIDR block {0:?}")]
    InvalidCidr(String),
    /// An `IN` set mixes kinds of constants other than integers with floats.
    #[error("`IN` set mixes {first} and {other} constants")]
    MixedSet {
        /// The kind of the first constant.
        first: &'static str,
        /// The first kind that differs.
        other: &'static str,
    },
    /// The observed data is malformed (missing `first_observed`, `number_observed` below 1, …).
    /// The sender's fault.
    #[error("invalid observed data: {0}")]
    InvalidObservation(String),
    /// Matching needs more intermediate bindings than the limit allows (a pattern such as
    /// `REPEATS 1000 TIMES` over many observations). Evaluation stopped instead of stalling.
    #[error("evaluation stopped after {0} steps: the pattern is too expensive for this data")]
    LimitExceeded(usize),
}
