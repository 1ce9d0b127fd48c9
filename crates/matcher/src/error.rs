//! The matcher's one error type (STYLE.md section 3).

use std::path::PathBuf;

/// Why loading indicators, reading an index or scanning input failed.
///
/// A malformed log line is not an error: it is reported to the [`crate::Sink`] and skipped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A value is not a usable indicator. The user's fault; the message says why.
    #[error("not an indicator: {value:?}: {reason}")]
    Indicator {
        /// The value as given (cut to 200 bytes).
        value: String,
        /// Why it was rejected.
        reason: &'static str,
    },
    /// A file could not be read or written. The environment's fault.
    #[error("{}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// An indicator source (STIX bundle, MISP feed, warninglist, CSV) is not in its format.
    /// The fault of whoever produced the file.
    #[error("{}: {message}", path.display())]
    Source {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// A saved index is corrupt, truncated or of another version. Rebuild it.
    #[error("bad index file: {0}")]
    Index(&'static str),
    /// The sink refused a hit, e.g. because its output closed.
    #[error("output failed")]
    Sink(#[source] std::io::Error),
}

impl Error {
    /// The error for an unusable indicator value.
    pub(crate) fn indicator(value: &str, reason: &'static str) -> Error {
        let mut end = value.len().min(200);
        while !value.is_char_boundary(end) {
            end -= 1;
        }
        Error::Indicator { value: value[..end].to_owned(), reason }
    }

    /// The error for a failed file operation.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io { path: path.into(), source }
    }
}
