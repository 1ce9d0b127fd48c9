//! The service's error type. Each variant says whose fault it is; `server` maps them to HTTP.

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No credentials, or credentials that match no live token. (401)
    #[error("authentication required")]
    Unauthenticated,
    /// The resource does not exist, or the caller may not see it: the two are indistinguishable
    /// on purpose (SECURITY.md rule 3). (404)
    #[error("not found")]
    NotFound,
    /// There is no feed of this format; the message lists the formats. Safe to show: it is the
    /// same whatever the collection. (404)
    #[error("{0}")]
    UnknownFeed(String),
    /// The caller may see the resource but not do this to it. Safe to show. (403)
    #[error("{0}")]
    Forbidden(String),
    /// The request is malformed; the message says what and where. Safe to show. (400)
    #[error("{0}")]
    Invalid(String),
    /// The body is larger than the advertised `max_content_length`. (413)
    #[error("the request body is larger than {limit} bytes")]
    TooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
    /// The node's configuration is broken (a warninglist that cannot be read); the message says
    /// which file and why. Remote callers see only an internal error; details go to the log.
    /// (500)
    #[error("{0}")]
    Config(String),
    /// A store failure: nothing was acknowledged. Details go to the log only. (500)
    #[error("internal error")]
    Store(#[source] store::Error),
}

impl From<store::Error> for Error {
    fn from(e: store::Error) -> Self {
        match e {
            store::Error::NotFound(_) => Error::NotFound,
            store::Error::Invalid(m) => Error::Invalid(m),
            store::Error::AlreadyExists(m) => Error::Invalid(format!("{m} already exists")),
            other => Error::Store(other),
        }
    }
}
