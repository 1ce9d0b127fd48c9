//! The crate's error type: what went wrong reading input, writing output, or with the options.

use std::io;

/// Why an import or export could not run at all.
///
/// Problems with single records (one attribute, one line) are not errors: they are counted in
/// the [`crate::Report`] and the rest of the input is still converted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input is not well-formed JSON. The user's fault; safe to show.
    #[error("line {line}, column {column}: not valid JSON: {message}")]
    Json {
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column of the problem.
        column: usize,
        /// What the JSON parser said.
        message: String,
    },
    /// The input is well-formed but not what this format expects, at `location` (a JSON path
    /// such as `$.Event.Attribute[3]` or `line 12`). The user's fault; safe to show.
    #[error("{location}: {reason}")]
    Invalid {
        /// Where the problem is.
        location: String,
        /// What is wrong.
        reason: String,
    },
    /// An option has a value the writer cannot use (e.g. a sid range that is too small). The
    /// caller's fault.
    #[error("bad option: {0}")]
    Options(String),
    /// Writing the output failed.
    #[error("writing the output failed")]
    Io(#[from] io::Error),
}

impl Error {
    /// An [`Error::Invalid`] at `location`.
    pub(crate) fn invalid(location: impl Into<String>, reason: impl Into<String>) -> Error {
        Error::Invalid { location: location.into(), reason: reason.into() }
    }
}

impl From<serde_json::Error> for Error {
    fn from(error: serde_json::Error) -> Error {
        if error.is_io() {
            return Error::Io(io::Error::other(error));
        }
        Error::Json { line: error.line(), column: error.column(), message: error.to_string() }
    }
}
