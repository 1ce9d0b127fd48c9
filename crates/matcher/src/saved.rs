//! Saving a compiled [`IndicatorSet`] to a file and using it from there, so that repeated runs
//! skip parsing and compiling and start at once.
//!
//! The file is the set's buffer itself (`tables.rs`): a header, then every table as
//! little-endian items at a 64-byte aligned offset, then a checksum:
//!
//! ```text
//! "MERIDIAN-INDEX/2" seed:u64 domain_labels:u64 (offset:u64 length:u64) × 15
//! tables: entries arena ids names v4 v6_keys v6_entries v4_starts v4_labels v6_starts
//!         v6_labels names_filter v4_filter v4_buckets, then the warninglist names
//! checksum:u64
//! ```
//!
//! Loading maps the file (`mmap.rs`) and checks, once, the header, that every table lies inside
//! the file with a whole number of items and the sizes the lookups assume, and the checksum of
//! the whole file (a few milliseconds per hundred megabytes). It does not check entries one by
//! one: every lookup reads the tables with bounds-checked accesses, so a file that passes these
//! checks but was written to mislead gives wrong answers, never a panic or an access outside the
//! file. A truncated or corrupt file is an [`Error::Index`].

use std::fs::File;
use std::io::Read;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use crate::error::Error;
use crate::hash::hash_bytes;
use crate::mmap::Mapped;
use crate::set::{Entry, IndicatorSet, Parts, Sections, Table};
use crate::tables::{Backing, Word};

/// The start of every index file, of any version.
const MAGIC_PREFIX: &[u8] = b"MERIDIAN-INDEX/";
const MAGIC: &[u8; 16] = b"MERIDIAN-INDEX/2";
const CHECKSUM_SEED: u64 = 0x6d65_7269_6469_616e;
/// The number of (offset, length) pairs in the header: the tables and the warninglist names.
const RANGES: usize = Sections::COUNT + 1;
const HEADER: usize = 16 + 8 + 8 + RANGES * 16;
const ALIGN: usize = 64;

impl IndicatorSet {
    /// Writes the set to `path` (atomically: a temporary file renamed into place, so a set
    /// mapped from the old file keeps reading the old file).
    pub fn save(&self, path: &Path) -> Result<(), Error> {
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, &self.backing[..]).map_err(|e| Error::io(&tmp, e))?;
        std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
    }

    /// Opens a set saved by [`IndicatorSet::save`], memory-mapped (read instead when the file
    /// cannot be mapped, such as a pipe).
    pub fn load(path: &Path) -> Result<IndicatorSet, Error> {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        IndicatorSet::load_opened(path, file, Vec::new())
    }

    /// [`IndicatorSet::load`] of `file`, opened at `path`, whose first bytes `head` were read
    /// already (to recognise it).
    pub(crate) fn load_opened(
        path: &Path,
        mut file: File,
        head: Vec<u8>,
    ) -> Result<IndicatorSet, Error> {
        let backing = match Mapped::new(&file) {
            Ok(map) => Backing::Mapped(map),
            Err(error) => {
                tracing::debug!(path = %path.display(), %error, "Index not mapped; reading it.");
                let mut bytes = head;
                file.read_to_end(&mut bytes).map_err(|e| Error::io(path, e))?;
                Backing::Owned(bytes)
            }
        };
        IndicatorSet::from_backing(backing)
    }

    /// Recomputes the checksum at the end of a saved index image in place. For tools that damage
    /// an image on purpose (the fuzz target, tests): with a valid checksum, the damaged tables
    /// reach the structural checks instead of stopping at the checksum.
    #[doc(hidden)]
    pub fn reseal_image(bytes: &mut [u8]) {
        if let Some(body) = bytes.len().checked_sub(8) {
            let checksum = checksum_of(&bytes[..body]).to_le_bytes();
            bytes[body..].copy_from_slice(&checksum);
        }
    }

    /// Whether `bytes` start like a saved index (of any version).
    pub fn is_saved_index(bytes: &[u8]) -> bool {
        bytes.starts_with(MAGIC_PREFIX)
    }

    /// The saved form of the set.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.backing.to_vec()
    }

    /// Reads the saved form of a set (copied; [`IndicatorSet::load`] maps a file instead).
    pub fn from_bytes(bytes: &[u8]) -> Result<IndicatorSet, Error> {
        IndicatorSet::from_backing(Backing::Owned(bytes.to_vec()))
    }

    fn from_backing(backing: Backing) -> Result<IndicatorSet, Error> {
        let bytes = &backing[..];
        let body = bytes.len().checked_sub(8).ok_or(Error::Index("truncated"))?;
        if !bytes.starts_with(MAGIC) {
            return Err(Error::Index("not a Meridian index, or of another version"));
        }
        if bytes.len() < HEADER + 8 {
            return Err(Error::Index("truncated"));
        }
        let (body, checksum) = bytes.split_at(body);
        if checksum_of(body).to_le_bytes() != checksum {
            return Err(Error::Index("checksum mismatch"));
        }
        let word = |i: usize| u64::read(&body[16 + 8 * i..24 + 8 * i]);
        let (seed, domain_labels) = (word(0), word(1));
        let mut ranges: [Range<usize>; RANGES] = Default::default();
        for (i, range) in ranges.iter_mut().enumerate() {
            let (offset, len) = (word(2 + 2 * i), word(3 + 2 * i));
            let start = usize::try_from(offset).ok();
            let end = start.zip(usize::try_from(len).ok()).and_then(|(s, l)| s.checked_add(l));
            match start.zip(end) {
                Some((start, end)) if start >= HEADER && end <= body.len() => *range = start..end,
                _ => return Err(Error::Index("table out of bounds")),
            }
        }
        let [tables @ .., names] = ranges;
        let warninglists = read_names(&body[names])?;
        let sections = Sections(tables);
        check(&sections)?;
        Ok(IndicatorSet { backing: Arc::new(backing), seed, domain_labels, sections, warninglists })
    }
}

/// A table of a set being written: its items, of one of the saved item types.
enum Items<'a> {
    Bytes(&'a [u8]),
    Entries(&'a [Entry]),
    U32(&'a [u32]),
    U64(&'a [u64]),
    U128(&'a [u128]),
}

impl Items<'_> {
    /// The bytes of one item.
    fn item_size(&self) -> usize {
        match self {
            Items::Bytes(_) => 1,
            Items::Entries(_) => Entry::SIZE,
            Items::U32(_) => u32::SIZE,
            Items::U64(_) => u64::SIZE,
            Items::U128(_) => u128::SIZE,
        }
    }

    fn byte_len(&self) -> usize {
        let items = match self {
            Items::Bytes(items) => items.len(),
            Items::Entries(items) => items.len(),
            Items::U32(items) => items.len(),
            Items::U64(items) => items.len(),
            Items::U128(items) => items.len(),
        };
        items * self.item_size()
    }

    fn write(&self, out: &mut Vec<u8>) {
        fn each<T: Word>(out: &mut Vec<u8>, items: &[T]) {
            for &item in items {
                item.write(out);
            }
        }
        match self {
            Items::Bytes(items) => out.extend_from_slice(items),
            Items::Entries(items) => each(out, items),
            Items::U32(items) => each(out, items),
            Items::U64(items) => each(out, items),
            Items::U128(items) => each(out, items),
        }
    }
}

/// The one list of what each [`Table`] holds: written from here, and checked (item sizes) by
/// [`check`].
fn items(parts: &Parts, table: Table) -> Items<'_> {
    match table {
        Table::Entries => Items::Entries(&parts.entries),
        Table::Arena => Items::Bytes(&parts.arena),
        Table::Ids => Items::U128(&parts.ids),
        Table::Names => Items::U64(&parts.names),
        Table::V4 => Items::U64(&parts.v4),
        Table::V6Keys => Items::U128(&parts.v6_keys),
        Table::V6Entries => Items::U32(&parts.v6_entries),
        Table::V4Starts => Items::U32(&parts.v4_starts),
        Table::V4Labels => Items::U32(&parts.v4_labels),
        Table::V6Starts => Items::U128(&parts.v6_starts),
        Table::V6Labels => Items::U32(&parts.v6_labels),
        Table::NamesFilter => Items::U64(&parts.names_filter),
        Table::V4Filter => Items::U64(&parts.v4_filter),
        Table::V4Buckets => Items::U32(&parts.v4_buckets),
    }
}

/// Writes a set's tables into the saved layout; returns the buffer and where each table is.
pub(crate) fn write(parts: &Parts) -> (Vec<u8>, Sections) {
    let tables = Table::ALL.map(|table| items(parts, table));
    let total = HEADER + tables.iter().map(|t| t.byte_len() + ALIGN).sum::<usize>() + 4096;
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(MAGIC);
    out.resize(HEADER, 0);
    let mut ranges: [Range<usize>; RANGES] = Default::default();
    let mut table = |out: &mut Vec<u8>, i: usize, write: &dyn Fn(&mut Vec<u8>)| {
        out.resize(out.len().next_multiple_of(ALIGN), 0);
        let start = out.len();
        write(out);
        ranges[i] = start..out.len();
    };
    for (i, items) in tables.iter().enumerate() {
        table(&mut out, i, &|out| items.write(out));
    }
    table(&mut out, Sections::COUNT, &|out| {
        (parts.warninglists.len() as u64).write(out);
        for name in &parts.warninglists {
            (name.len() as u64).write(out);
            out.extend_from_slice(name.as_bytes());
        }
    });
    let mut header = Vec::with_capacity(HEADER);
    parts.seed.write(&mut header);
    parts.domain_labels.write(&mut header);
    for range in &ranges {
        (range.start as u64).write(&mut header);
        (range.len() as u64).write(&mut header);
    }
    out[16..HEADER].copy_from_slice(&header);
    let checksum = checksum_of(&out);
    checksum.write(&mut out);
    let [tables @ .., _] = ranges;
    (out, Sections(tables))
}

/// Checks what the lookups assume of the tables' sizes.
fn check(s: &Sections) -> Result<(), Error> {
    // Item counts, by the item sizes of `items`.
    let none = Parts::default();
    let mut counts = [0; Sections::COUNT];
    for table in Table::ALL {
        let size = items(&none, table).item_size();
        let range = &s[table];
        if !range.len().is_multiple_of(size) {
            return Err(Error::Index("partial item"));
        }
        counts[table as usize] = range.len() / size;
    }
    let n = |table: Table| counts[table as usize];
    if n(Table::Entries) >= u32::MAX as usize {
        return Err(Error::Index("too many entries"));
    }
    let powers = [Table::Names, Table::V4, Table::V6Keys].map(n);
    let filters = [Table::NamesFilter, Table::V4Filter].map(n);
    if !powers.iter().all(|n| n.is_power_of_two())
        || !filters.iter().all(|&n| n == 0 || n.is_power_of_two())
    {
        return Err(Error::Index("table size is not a power of two"));
    }
    if n(Table::V6Keys) != n(Table::V6Entries) {
        return Err(Error::Index("IPv6 table halves differ in size"));
    }
    if n(Table::V4Starts) != n(Table::V4Labels) || n(Table::V6Starts) != n(Table::V6Labels) {
        return Err(Error::Index("range halves differ in size"));
    }
    let buckets = n(Table::V4Buckets);
    if buckets != 0 && buckets != (1 << 16) + 1 {
        return Err(Error::Index("wrong number of /16 buckets"));
    }
    Ok(())
}

fn read_names(bytes: &[u8]) -> Result<Vec<String>, Error> {
    let mut rest = bytes;
    let mut take = |n: usize| -> Result<&[u8], Error> {
        if n > rest.len() {
            return Err(Error::Index("truncated"));
        }
        let (head, tail) = rest.split_at(n);
        rest = tail;
        Ok(head)
    };
    let as_len =
        |raw: &[u8]| usize::try_from(u64::read(raw)).map_err(|_| Error::Index("length overflows"));
    let count = as_len(take(8)?)?;
    if count > usize::from(u16::MAX) {
        return Err(Error::Index("too many warninglists"));
    }
    let mut names = Vec::with_capacity(count);
    for _ in 0..count {
        let n = as_len(take(8)?)?;
        let name = std::str::from_utf8(take(n)?)
            .map_err(|_| Error::Index("warninglist name is not UTF-8"))?;
        names.push(name.to_owned());
    }
    Ok(names)
}

/// The file's checksum: four interleaved lanes of [`hash_bytes`]' mixing step, so that checking
/// a large file runs at memory speed, finished with `hash_bytes` over the lanes and the tail.
fn checksum_of(bytes: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut lanes = [CHECKSUM_SEED, CHECKSUM_SEED ^ 1, CHECKSUM_SEED ^ 2, CHECKSUM_SEED ^ 3];
    let mut chunks = bytes.chunks_exact(32);
    for chunk in &mut chunks {
        for (lane, word) in lanes.iter_mut().zip(chunk.chunks_exact(8)) {
            *lane = (*lane ^ u64::read(word)).wrapping_mul(K).rotate_left(31);
        }
    }
    let mut tail = Vec::with_capacity(64);
    for lane in lanes {
        lane.write(&mut tail);
    }
    (bytes.len() as u64).write(&mut tail);
    tail.extend_from_slice(chunks.remainder());
    hash_bytes(CHECKSUM_SEED, &tail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Indicator, Scratch};

    #[test]
    fn tables_are_listed_in_file_order() {
        // `write` puts the range of `Table::ALL[i]` at `i`; lookups read it at `table as usize`.
        for (i, table) in Table::ALL.into_iter().enumerate() {
            assert_eq!(table as usize, i, "{table:?}");
        }
    }

    fn sample() -> IndicatorSet {
        let values = [
            "evil.example",
            "10.0.0.0/8",
            "10.1.2.3",
            "2001:db8::1",
            "2001:db8::/32",
            "http://evil.example/x",
            "bad@evil.example",
        ];
        IndicatorSet::compile(
            values.iter().map(|v| Indicator::parse(v).unwrap().with_id(uuid::Uuid::from_u128(7))),
            &[],
        )
    }

    #[test]
    fn round_trip() {
        let set = sample();
        let loaded = IndicatorSet::from_bytes(&set.to_bytes()).unwrap();
        assert_eq!(loaded.to_bytes(), set.to_bytes());
        let mut scratch = Scratch::default();
        for value in [
            "www.evil.example",
            "10.9.9.9",
            "10.1.2.3",
            "2001:db8::1",
            "2001:db8::2",
            "http://evil.example/x",
            "bad@evil.example",
        ] {
            let hit = loaded.lookup(value, &mut scratch).unwrap();
            assert_eq!(
                loaded.entry(hit.entry).ids().collect::<Vec<_>>(),
                [uuid::Uuid::from_u128(7)]
            );
        }
    }

    #[test]
    fn corrupt_files_are_errors() {
        let bytes = sample().to_bytes();
        assert_eq!(
            IndicatorSet::from_bytes(&[]).unwrap_err().to_string(),
            "bad index file: truncated"
        );
        assert_eq!(
            IndicatorSet::from_bytes(&bytes[..bytes.len() - 1]).unwrap_err().to_string(),
            "bad index file: checksum mismatch"
        );
        let mut flipped = bytes.clone();
        flipped[40] ^= 1;
        assert_eq!(
            IndicatorSet::from_bytes(&flipped).unwrap_err().to_string(),
            "bad index file: checksum mismatch"
        );
        assert_eq!(
            IndicatorSet::from_bytes(b"something else entirely").unwrap_err().to_string(),
            "bad index file: not a Meridian index, or of another version"
        );
    }

    #[test]
    fn a_mapped_index_is_the_built_one() {
        let set = sample();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("all.idx");
        set.save(&path).unwrap();
        let loaded = IndicatorSet::load(&path).unwrap();
        assert!(matches!(*loaded.backing, Backing::Mapped(_)));
        assert_eq!(loaded.to_bytes(), set.to_bytes());
        assert_eq!(loaded.sections, set.sections);
        assert_eq!((loaded.seed, loaded.domain_labels), (set.seed, set.domain_labels));
        let mut scratch = Scratch::default();
        for value in ["a.evil.example", "10.200.0.1", "10.1.2.3", "2001:db8:5::1", "evil.org"] {
            assert_eq!(loaded.lookup(value, &mut scratch), set.lookup(value, &mut scratch));
        }
        let values =
            |s: &IndicatorSet| s.entries().map(|e| e.value().to_owned()).collect::<Vec<_>>();
        assert_eq!(values(&loaded), values(&set));
        // Saving over a mapped file replaces it; the mapping keeps reading the old one.
        IndicatorSet::compile([Indicator::parse("other.example").unwrap()], &[])
            .save(&path)
            .unwrap();
        assert_eq!(loaded.to_bytes(), set.to_bytes());
        assert_eq!(IndicatorSet::load(&path).unwrap().len(), 1);
    }

    #[test]
    fn every_truncation_is_an_error() {
        let bytes = sample().to_bytes();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cut.idx");
        for cut in 0..bytes.len() {
            assert!(IndicatorSet::from_bytes(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        for cut in [0, 20, HEADER, bytes.len() / 2, bytes.len() - 8] {
            std::fs::write(&path, &bytes[..cut]).unwrap();
            assert!(IndicatorSet::load(&path).is_err(), "cut at {cut}");
        }
    }

    /// Rewrites header word `i` (0: seed) and the checksum, as a file made to mislead would.
    fn with_header_word(bytes: &[u8], i: usize, value: u64) -> Vec<u8> {
        let mut out = bytes.to_vec();
        out[16 + 8 * i..24 + 8 * i].copy_from_slice(&value.to_le_bytes());
        IndicatorSet::reseal_image(&mut out);
        out
    }

    #[test]
    fn bad_tables_with_a_good_checksum_are_errors() {
        let bytes = sample().to_bytes();
        let error = |bytes: &[u8]| IndicatorSet::from_bytes(bytes).unwrap_err().to_string();
        // Word 2 + 2i is table i's offset, 3 + 2i its length.
        assert_eq!(
            error(&with_header_word(&bytes, 3, u64::MAX)),
            "bad index file: table out of bounds"
        );
        assert_eq!(error(&with_header_word(&bytes, 2, 0)), "bad index file: table out of bounds");
        assert_eq!(error(&with_header_word(&bytes, 3, 17)), "bad index file: partial item");
        assert_eq!(
            error(&with_header_word(&bytes, 9, 8 * 3)),
            "bad index file: table size is not a power of two"
        );
        let mut old = bytes.clone();
        old[15] = b'1';
        assert_eq!(error(&old), "bad index file: not a Meridian index, or of another version");
        assert!(IndicatorSet::is_saved_index(&old));
    }

    proptest::proptest! {
        /// Any bytes XORed anywhere into a real image, header included, behind a valid checksum
        /// (what the fuzz target does): an error, or a set whose lookups do not panic.
        #[test]
        fn damage_anywhere_behind_a_valid_checksum_never_panics(
            at in 0usize..4096,
            patch in proptest::collection::vec(proptest::prelude::any::<u8>(), 1..64),
        ) {
            let mut image = sample().to_bytes();
            let at = at % image.len();
            for (byte, x) in image[at..].iter_mut().zip(&patch) {
                *byte ^= x;
            }
            IndicatorSet::reseal_image(&mut image);
            if let Ok(set) = IndicatorSet::from_bytes(&image) {
                let mut scratch = Scratch::default();
                for value in ["www.evil.example", "10.9.9.9", "2001:db8::2", "bad@evil.example"] {
                    let _ = set.lookup(value, &mut scratch);
                }
                let _ = set.indicators().count();
            }
        }
    }

    #[test]
    fn a_resealed_image_is_checked_again_and_an_untouched_one_still_loads() {
        let mut image = sample().to_bytes();
        IndicatorSet::reseal_image(&mut image);
        assert!(IndicatorSet::from_bytes(&image).is_ok(), "resealing a good image keeps it good");
        image[HEADER + 3] ^= 0xff;
        assert_eq!(
            IndicatorSet::from_bytes(&image).map(|_| ()).unwrap_err().to_string(),
            "bad index file: checksum mismatch"
        );
    }

    #[test]
    fn a_misleading_index_gives_answers_not_panics() {
        // Every table word replaced by junk, with a valid checksum: lookups must not panic.
        let bytes = sample().to_bytes();
        let body = bytes.len() - 8;
        for seed in 0..64u64 {
            let mut junk = bytes.clone();
            let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
            for byte in &mut junk[HEADER..body] {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                if x % 5 == 0 {
                    *byte = x as u8;
                }
            }
            IndicatorSet::reseal_image(&mut junk);
            let Ok(set) = IndicatorSet::from_bytes(&junk) else { continue };
            let mut scratch = Scratch::default();
            for value in ["www.evil.example", "10.9.9.9", "2001:db8::2", "http://evil.example/x"] {
                let _ = set.lookup(value, &mut scratch);
            }
            for entry in set.entries() {
                let _ = (entry.value(), entry.ids().count(), entry.warninglist());
            }
            let _ = set.indicators().count();
        }
    }
}
