//! The store's error type: whose fault it is, and what may be shown to users.

/// What went wrong in the store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The thing does not exist (or the caller may not see it). Safe to show to users.
    #[error("{0} not found")]
    NotFound(String),
    /// A name or id is already taken. Safe to show to users.
    #[error("{0} already exists")]
    AlreadyExists(String),
    /// The request is not acceptable (bad name, bad scope). Safe to show to users.
    #[error("{0}")]
    Invalid(String),
    /// A bug, corrupt data, a full disk or a failed fsync. Log it; answer with a generic message;
    /// acknowledge nothing.
    #[error("internal store error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

#[cfg(feature = "sqlite")]
impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Error::Internal(Box::new(e))
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::Internal(Box::new(e))
    }
}
