//! Byte searches for the short fields of log lines, eight bytes at a time in a `u64` ("SIMD
//! within a register"): inlined, with no set-up cost, they beat `memchr` on fields of a few
//! dozen bytes, which is what log lines are made of.

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// The high bit of every byte of `word` that is zero. Exact for the lowest zero byte (a borrow
/// can only flag bytes above a zero byte), which is all the searches below use.
#[inline(always)]
fn zero_bytes(word: u64) -> u64 {
    word.wrapping_sub(LO) & !word & HI
}

/// The high bit of every byte of `word` below `n` (`n` ≤ 128); exact for the lowest such byte.
#[inline(always)]
fn bytes_below(word: u64, n: u8) -> u64 {
    word.wrapping_sub(LO * u64::from(n)) & !word & HI
}

#[inline(always)]
fn load(bytes: &[u8], at: usize) -> Option<u64> {
    let raw = bytes.get(at..at + 8)?;
    let mut word = [0u8; 8];
    word.copy_from_slice(raw);
    Some(u64::from_le_bytes(word))
}

/// The index of the first `needle` in `bytes`.
#[inline]
pub(crate) fn find_byte(bytes: &[u8], needle: u8) -> Option<usize> {
    let pattern = LO * u64::from(needle);
    let mut at = 0;
    while let Some(word) = load(bytes, at) {
        let hits = zero_bytes(word ^ pattern);
        if hits != 0 {
            return Some(at + (hits.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    bytes.get(at..)?.iter().position(|&b| b == needle).map(|i| at + i)
}

/// The index of the first byte of `bytes` that ends or interrupts a JSON string: `"`, `\` or a
/// control character (below 0x20).
#[inline]
pub(crate) fn find_string_special(bytes: &[u8]) -> Option<usize> {
    let mut at = 0;
    while let Some(word) = load(bytes, at) {
        let hits = zero_bytes(word ^ (LO * u64::from(b'"')))
            | zero_bytes(word ^ (LO * u64::from(b'\\')))
            | bytes_below(word, 0x20);
        if hits != 0 {
            return Some(at + (hits.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    bytes.get(at..)?.iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20).map(|i| at + i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn same_as_a_byte_loop(bytes in proptest::collection::vec(
            prop_oneof![Just(b'"'), Just(b'\\'), Just(b'\t'), Just(0u8), Just(0x1f), Just(0x20), Just(0x80), Just(0xff), any::<u8>(), 0x21u8..0x7f],
            0..40,
        )) {
            for needle in [b'\t', b'"', 0, 0xff] {
                prop_assert_eq!(find_byte(&bytes, needle), bytes.iter().position(|&b| b == needle));
            }
            prop_assert_eq!(
                find_string_special(&bytes),
                bytes.iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20)
            );
        }
    }
}
