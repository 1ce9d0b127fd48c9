//! A small, fast, non-cryptographic hash for the index's open-addressing tables.
//!
//! The keys are indicator values chosen by partners, so the tables must not degrade badly on
//! adversarial input: the hash is seeded per index ([`crate::IndicatorSet`] stores the seed) and
//! every probe sequence is bounded by the table's size.

/// Hashes `bytes` with `seed`, reading eight bytes at a time and finishing with the MurmurHash3
/// 64-bit finaliser so that every input bit reaches every output bit.
#[inline]
pub(crate) fn hash_bytes(seed: u64, bytes: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut h = seed ^ (bytes.len() as u64).wrapping_mul(K);
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        h = (h ^ u64::from_le_bytes(word)).wrapping_mul(K).rotate_left(31);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut word = [0u8; 8];
        word[..rest.len()].copy_from_slice(rest);
        h = (h ^ u64::from_le_bytes(word)).wrapping_mul(K).rotate_left(31);
    }
    fmix(h)
}

/// Hashes a 128-bit integer (an IPv4 or IPv6 address) with `seed`.
#[inline]
pub(crate) fn hash_u128(seed: u64, value: u128) -> u64 {
    // `as u64`: the two halves, truncation intended.
    let low = value as u64;
    let high = (value >> 64) as u64;
    fmix(seed ^ fmix(low ^ high.rotate_left(32).wrapping_mul(0x9E37_79B9_7F4A_7C15)))
}

#[inline]
fn fmix(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differs_by_seed_content_and_length() {
        assert_ne!(hash_bytes(1, b"evil.example"), hash_bytes(2, b"evil.example"));
        assert_ne!(hash_bytes(1, b"evil.example"), hash_bytes(1, b"evil.exampla"));
        assert_ne!(hash_bytes(1, b"a"), hash_bytes(1, b"a\0"));
        assert_ne!(hash_u128(1, 1), hash_u128(1, 1 << 64));
        assert_eq!(hash_bytes(7, b"same"), hash_bytes(7, b"same"));
    }
}
