//! Opaque `next` tokens (TAXII 2.1 §3.5): the position of the last entry of a page, bound by an
//! HMAC to the caller, the collection, the endpoint and the query, so a token can neither be
//! forged nor replayed by someone else or with another filter.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Mints and checks `next` tokens with the node's secret.
#[derive(Clone)]
pub(crate) struct Cursors {
    key: Vec<u8>,
}

impl std::fmt::Debug for Cursors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Cursors")
    }
}

const MAC_LEN: usize = 16;

impl Cursors {
    pub(crate) fn new(key: Vec<u8>) -> Self {
        Self { key }
    }

    fn mac(&self, context: &str, position: i64) -> [u8; MAC_LEN] {
        #[allow(clippy::expect_used)] // Invariant: HMAC accepts keys of any length.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .expect("HMAC accepts keys of any length");
        mac.update(context.as_bytes());
        mac.update(&position.to_be_bytes());
        let full = mac.finalize().into_bytes();
        let mut out = [0u8; MAC_LEN];
        out.copy_from_slice(&full[..MAC_LEN]);
        out
    }

    /// A token for `position` in `context` (caller, collection, endpoint, query).
    pub(crate) fn mint(&self, context: &str, position: i64) -> String {
        let mut bytes = position.to_be_bytes().to_vec();
        bytes.extend_from_slice(&self.mac(context, position));
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }

    /// The position in a token, if it was minted for `context`.
    pub(crate) fn check(&self, context: &str, token: &str) -> Option<i64> {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token).ok()?;
        if bytes.len() != 8 + MAC_LEN {
            return None;
        }
        let mut pos = [0u8; 8];
        pos.copy_from_slice(&bytes[..8]);
        let position = i64::from_be_bytes(pos);
        crate::auth::constant_time_eq(&self.mac(context, position), &bytes[8..]).then_some(position)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_bind_to_their_context() {
        let cursors = Cursors::new(b"secret".to_vec());
        let token = cursors.mint("user 1|c1|objects|type=indicator", 42);
        assert_eq!(cursors.check("user 1|c1|objects|type=indicator", &token), Some(42));
        assert_eq!(cursors.check("user 2|c1|objects|type=indicator", &token), None);
        assert_eq!(cursors.check("user 1|c1|objects|type=malware", &token), None);
        assert_eq!(
            Cursors::new(b"other".to_vec()).check("user 1|c1|objects|type=indicator", &token),
            None
        );
        assert_eq!(cursors.check("user 1|c1|objects|type=indicator", "not-a-token"), None);
    }
}
