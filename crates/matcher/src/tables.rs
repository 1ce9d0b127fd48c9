//! The bytes an [`IndicatorSet`](crate::IndicatorSet) lives in, and typed views of its tables.
//!
//! A set is one buffer — built in memory by `IndicatorSet::compile`, or a saved index file
//! mapped read-only (`mmap.rs`) — holding every table in the saved layout (`saved.rs`). The
//! lookups read the tables in place through [`Array`], which decodes little-endian words from
//! bytes with bounds-checked reads, so that neither a loaded file nor a built set needs copying,
//! and no content of the buffer can make an access go out of bounds.

use std::marker::PhantomData;
use std::ops::{Deref, Range};

use crate::mmap::Mapped;

/// The buffer behind a set.
#[derive(Debug)]
pub(crate) enum Backing {
    /// Built in memory.
    Owned(Vec<u8>),
    /// A saved index file, mapped.
    Mapped(Mapped),
}

impl Deref for Backing {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Backing::Owned(bytes) => bytes,
            Backing::Mapped(map) => map,
        }
    }
}

/// A fixed-size little-endian item of a table.
pub(crate) trait Word: Copy + 'static {
    /// Its size in bytes.
    const SIZE: usize;
    /// Decodes it from exactly [`Word::SIZE`] bytes.
    fn read(bytes: &[u8]) -> Self;
    /// Appends its encoding.
    fn write(self, out: &mut Vec<u8>);
}

macro_rules! word {
    ($($t:ty),*) => {$(
        impl Word for $t {
            const SIZE: usize = size_of::<$t>();
            #[inline]
            fn read(bytes: &[u8]) -> $t {
                let mut word = [0u8; size_of::<$t>()];
                word.copy_from_slice(bytes);
                <$t>::from_le_bytes(word)
            }
            fn write(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
        }
    )*};
}
word!(u32, u64, u128);

/// A table of [`Word`]s read in place from bytes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Array<'a, T> {
    bytes: &'a [u8],
    item: PhantomData<T>,
}

impl<'a, T: Word> Array<'a, T> {
    /// The table in `range` of `bytes` (empty when out of bounds).
    #[inline]
    pub(crate) fn new(bytes: &'a [u8], range: &Range<usize>) -> Array<'a, T> {
        Array { bytes: bytes.get(range.clone()).unwrap_or_default(), item: PhantomData }
    }

    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.bytes.len() / T::SIZE
    }

    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    #[inline]
    pub(crate) fn get(&self, i: usize) -> Option<T> {
        let at = i.checked_mul(T::SIZE)?;
        self.bytes.get(at..at.checked_add(T::SIZE)?).map(T::read)
    }

    pub(crate) fn iter(self) -> impl Iterator<Item = T> + 'a {
        self.bytes.chunks_exact(T::SIZE).map(T::read)
    }

    /// The first index in `lo..hi` (clamped to the table) whose item fails `pred`, for items
    /// ordered so that `pred` holds for a prefix (as `slice::partition_point`).
    #[inline]
    pub(crate) fn partition_point(&self, lo: usize, hi: usize, pred: impl Fn(T) -> bool) -> usize {
        let (mut lo, mut hi) = (lo.min(self.len()), hi.min(self.len()));
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.get(mid).is_some_and(&pred) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views_decode_and_search_in_place() {
        let mut bytes = Vec::new();
        for v in [1u32, 3, 5, 7] {
            v.write(&mut bytes);
        }
        bytes.push(0xff); // a stray byte is not an item
        let a: Array<'_, u32> = Array::new(&bytes, &(0..bytes.len()));
        assert_eq!(a.len(), 4);
        assert_eq!(a.iter().collect::<Vec<_>>(), [1, 3, 5, 7]);
        assert_eq!((a.get(3), a.get(4), a.get(usize::MAX)), (Some(7), None, None));
        assert_eq!(a.partition_point(0, usize::MAX, |v| v <= 4), 2);
        assert_eq!(a.partition_point(1, 2, |v| v <= 4), 2);
        assert_eq!(a.partition_point(0, 4, |v| v < 1), 0);
        let out_of_bounds: Array<'_, u64> = Array::new(&bytes, &(8..64));
        assert!(out_of_bounds.is_empty());
    }
}
