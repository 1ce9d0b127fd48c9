//! Tokens: generated from the operating system's randomness, shown once, stored only as SHA-256
//! hashes, compared in constant time, accepted only from the `Authorization` header (HTTP Basic
//! with user and token, or Bearer).

use base64::Engine as _;
use sha2::{Digest, Sha256};

/// The prefix of Meridian tokens, so leaked tokens are easy to recognise in scanners.
pub const TOKEN_PREFIX: &str = "mrd_";

/// A new random token (256 bits).
pub fn generate_token() -> String {
    let mut bytes = Vec::with_capacity(32);
    bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    format!("{TOKEN_PREFIX}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// The hash under which a token is stored.
pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Compares two byte strings in time that depends only on their lengths.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Credentials taken from an `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    /// `Bearer TOKEN`.
    Bearer(String),
    /// `Basic base64(user:token)`.
    Basic {
        /// The user name.
        user: String,
        /// The token (used as the password).
        token: String,
    },
}

impl Credentials {
    /// Parses an `Authorization` header value; `None` when it is neither Basic nor Bearer.
    pub fn parse(header: &str) -> Option<Credentials> {
        let (scheme, rest) = header.trim().split_once(' ')?;
        let rest = rest.trim();
        if scheme.eq_ignore_ascii_case("bearer") {
            return (!rest.is_empty()).then(|| Credentials::Bearer(rest.to_owned()));
        }
        if scheme.eq_ignore_ascii_case("basic") {
            let decoded = base64::engine::general_purpose::STANDARD.decode(rest).ok()?;
            let text = String::from_utf8(decoded).ok()?;
            let (user, token) = text.split_once(':')?;
            return Some(Credentials::Basic { user: user.to_owned(), token: token.to_owned() });
        }
        None
    }

    /// The token part.
    pub fn token(&self) -> &str {
        match self {
            Credentials::Bearer(t) | Credentials::Basic { token: t, .. } => t,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hashed() {
        let (a, b) = (generate_token(), generate_token());
        assert_ne!(a, b);
        assert!(a.starts_with(TOKEN_PREFIX) && a.len() > 40);
        assert_eq!(token_hash(&a), token_hash(&a));
        assert!(constant_time_eq(&token_hash(&a), &token_hash(&a)));
        assert!(!constant_time_eq(&token_hash(&a), &token_hash(&b)));
    }

    #[test]
    fn parses_authorization_headers() {
        assert_eq!(Credentials::parse("Bearer abc"), Some(Credentials::Bearer("abc".into())));
        let basic = base64::engine::general_purpose::STANDARD.encode("alice:mrd_x:y");
        assert_eq!(
            Credentials::parse(&format!("Basic {basic}")),
            Some(Credentials::Basic { user: "alice".into(), token: "mrd_x:y".into() })
        );
        assert_eq!(Credentials::parse("Digest abc"), None);
        assert_eq!(Credentials::parse("Basic !!!"), None);
        assert_eq!(Credentials::parse("Bearer "), None);
    }
}
