//! Saving a compiled [`IndicatorSet`] to a file and loading it back, so that repeated runs skip
//! parsing and compiling.
//!
//! The file is the set's arrays, little-endian, each preceded by its length, after a magic
//! header and before a checksum:
//!
//! ```text
//! "MERIDIAN-INDEX/1" seed:u64 entries arena ids names v4 v6_keys v6_entries
//! v4_starts v4_labels v6_starts v6_labels warninglists checksum:u64
//! ```
//!
//! Loading reads the file and checks every offset, table size and label before the set is used,
//! so a corrupt or hostile file is an [`Error::Index`], never a panic. The workspace forbids
//! `unsafe` code, which memory-mapping needs (the mapping's contents can change under the
//! program), so the file is read instead; at several hundred megabytes a second this costs tens of
//! milliseconds for millions of indicators, far less than compiling.

use std::path::Path;

use crate::error::Error;
use crate::hash::hash_bytes;
use crate::indicator::Kind;
use crate::set::{Entry, IndicatorSet, NONE};

const MAGIC: &[u8; 16] = b"MERIDIAN-INDEX/1";
const CHECKSUM_SEED: u64 = 0x6d65_7269_6469_616e;

impl IndicatorSet {
    /// Writes the set to `path` (atomically: a temporary file renamed into place).
    pub fn save(&self, path: &Path) -> Result<(), Error> {
        let bytes = self.to_bytes();
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, &bytes).map_err(|e| Error::io(&tmp, e))?;
        std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
    }

    /// Reads a set saved by [`IndicatorSet::save`].
    pub fn load(path: &Path) -> Result<IndicatorSet, Error> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        IndicatorSet::from_bytes(&bytes)
    }

    /// Whether `bytes` start like a saved index.
    pub fn is_saved_index(bytes: &[u8]) -> bool {
        bytes.starts_with(MAGIC)
    }

    /// The saved form of the set.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.heap_bytes() + 256);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&self.seed.to_le_bytes());
        write_len(&mut out, self.entries.len());
        for e in &self.entries {
            out.extend_from_slice(&e.value_off.to_le_bytes());
            out.extend_from_slice(&e.ids_off.to_le_bytes());
            out.extend_from_slice(&e.value_len.to_le_bytes());
            out.extend_from_slice(&e.ids_len.to_le_bytes());
            out.extend_from_slice(&e.warninglist.to_le_bytes());
            out.push(e.kind);
            out.push(e.reserved);
        }
        write_len(&mut out, self.arena.len());
        out.extend_from_slice(&self.arena);
        write_array(&mut out, &self.ids, |x| x.to_le_bytes());
        write_array(&mut out, &self.names, |x| x.to_le_bytes());
        write_array(&mut out, &self.v4, |x| x.to_le_bytes());
        write_array(&mut out, &self.v6_keys, |x| x.to_le_bytes());
        write_array(&mut out, &self.v6_entries, |x| x.to_le_bytes());
        write_array(&mut out, &self.v4_starts, |x| x.to_le_bytes());
        write_array(&mut out, &self.v4_labels, |x| x.to_le_bytes());
        write_array(&mut out, &self.v6_starts, |x| x.to_le_bytes());
        write_array(&mut out, &self.v6_labels, |x| x.to_le_bytes());
        write_len(&mut out, self.warninglists.len());
        for name in &self.warninglists {
            write_len(&mut out, name.len());
            out.extend_from_slice(name.as_bytes());
        }
        let checksum = hash_bytes(CHECKSUM_SEED, &out);
        out.extend_from_slice(&checksum.to_le_bytes());
        out
    }

    /// Reads the saved form of a set, checking it throughout.
    pub fn from_bytes(bytes: &[u8]) -> Result<IndicatorSet, Error> {
        let body = bytes.len().checked_sub(8).ok_or(Error::Index("truncated"))?;
        let (body, checksum) = bytes.split_at(body);
        if !body.starts_with(MAGIC) {
            return Err(Error::Index("not a Meridian index, or of another version"));
        }
        if hash_bytes(CHECKSUM_SEED, body).to_le_bytes() != checksum {
            return Err(Error::Index("checksum mismatch"));
        }
        let mut r = Reader { bytes: &body[MAGIC.len()..] };
        let seed = r.u64()?;
        let n = r.len(16)?;
        let mut entries = Vec::with_capacity(n);
        for _ in 0..n {
            let raw = r.take(16)?;
            let u16_at = |i: usize| u16::from_le_bytes([raw[i], raw[i + 1]]);
            let u32_at =
                |i: usize| u32::from_le_bytes([raw[i], raw[i + 1], raw[i + 2], raw[i + 3]]);
            entries.push(Entry {
                value_off: u32_at(0),
                ids_off: u32_at(4),
                value_len: u16_at(8),
                ids_len: u16_at(10),
                warninglist: u16_at(12),
                kind: raw[14],
                reserved: raw[15],
            });
        }
        let arena_len = r.len(1)?;
        let arena = r.take(arena_len)?.to_vec();
        let set = IndicatorSet {
            seed,
            entries,
            arena,
            ids: r.array(u128::from_le_bytes)?,
            names: r.array(u64::from_le_bytes)?,
            v4: r.array(u64::from_le_bytes)?,
            v6_keys: r.array(u128::from_le_bytes)?,
            v6_entries: r.array(u32::from_le_bytes)?,
            v4_starts: r.array(u32::from_le_bytes)?,
            v4_labels: r.array(u32::from_le_bytes)?,
            v6_starts: r.array(u128::from_le_bytes)?,
            v6_labels: r.array(u32::from_le_bytes)?,
            warninglists: {
                let n = r.len(8)?;
                let mut names = Vec::with_capacity(n);
                for _ in 0..n {
                    let len = r.len(1)?;
                    let name = std::str::from_utf8(r.take(len)?)
                        .map_err(|_| Error::Index("warninglist name is not UTF-8"))?;
                    names.push(name.to_owned());
                }
                names
            },
            derived: Default::default(),
        };
        if !r.bytes.is_empty() {
            return Err(Error::Index("trailing bytes"));
        }
        check(&set)?;
        let mut set = set;
        set.derive();
        Ok(set)
    }
}

/// Checks every invariant the lookups rely on.
fn check(set: &IndicatorSet) -> Result<(), Error> {
    let n = set.entries.len();
    for e in &set.entries {
        if Kind::from_code(e.kind).is_none() {
            return Err(Error::Index("unknown indicator kind"));
        }
        let value = set
            .arena
            .get(e.value_off as usize..e.value_off as usize + usize::from(e.value_len))
            .ok_or(Error::Index("value out of bounds"))?;
        if std::str::from_utf8(value).is_err() {
            return Err(Error::Index("value is not UTF-8"));
        }
        if set.ids.get(e.ids_off as usize..e.ids_off as usize + usize::from(e.ids_len)).is_none() {
            return Err(Error::Index("ids out of bounds"));
        }
        if usize::from(e.warninglist) > set.warninglists.len() {
            return Err(Error::Index("unknown warninglist"));
        }
    }
    let table_ok = |len: usize| len.is_power_of_two();
    if !table_ok(set.names.len()) || !table_ok(set.v4.len()) || !table_ok(set.v6_keys.len()) {
        return Err(Error::Index("table size is not a power of two"));
    }
    if set.v6_keys.len() != set.v6_entries.len() {
        return Err(Error::Index("IPv6 table halves differ in size"));
    }
    let slot_ok = |entry: u32| entry == 0 || (entry as usize) <= n;
    // `as u32`: a slot's low half is its entry number plus one.
    if !set.names.iter().chain(&set.v4).all(|&slot| slot_ok(slot as u32))
        || !set.v6_entries.iter().all(|&entry| slot_ok(entry))
    {
        return Err(Error::Index("table slot names no entry"));
    }
    if set.v4_starts.len() != set.v4_labels.len() || set.v6_starts.len() != set.v6_labels.len() {
        return Err(Error::Index("range halves differ in size"));
    }
    let label_ok = |&label: &u32| label == NONE || (label as usize) < n;
    if !set.v4_labels.iter().all(label_ok) || !set.v6_labels.iter().all(label_ok) {
        return Err(Error::Index("range names no entry"));
    }
    if !set.v4_starts.is_sorted() || !set.v6_starts.is_sorted() {
        return Err(Error::Index("ranges out of order"));
    }
    Ok(())
}

fn write_len(out: &mut Vec<u8>, len: usize) {
    out.extend_from_slice(&(len as u64).to_le_bytes());
}

fn write_array<T: Copy, const N: usize>(
    out: &mut Vec<u8>,
    items: &[T],
    bytes: impl Fn(T) -> [u8; N],
) {
    write_len(out, items.len());
    for &item in items {
        out.extend_from_slice(&bytes(item));
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], Error> {
        if n > self.bytes.len() {
            return Err(Error::Index("truncated"));
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    fn u64(&mut self) -> Result<u64, Error> {
        let raw = self.take(8)?;
        let mut word = [0u8; 8];
        word.copy_from_slice(raw);
        Ok(u64::from_le_bytes(word))
    }

    /// A length prefix for `item_size`-byte items, checked against the bytes left.
    fn len(&mut self, item_size: usize) -> Result<usize, Error> {
        let len = usize::try_from(self.u64()?).map_err(|_| Error::Index("length overflows"))?;
        if len.checked_mul(item_size).is_none_or(|bytes| bytes > self.bytes.len()) {
            return Err(Error::Index("truncated"));
        }
        Ok(len)
    }

    fn array<T, const N: usize>(&mut self, from: impl Fn([u8; N]) -> T) -> Result<Vec<T>, Error> {
        let len = self.len(N)?;
        let raw = self.take(len * N)?;
        Ok(raw
            .chunks_exact(N)
            .map(|chunk| {
                let mut word = [0u8; N];
                word.copy_from_slice(chunk);
                from(word)
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Indicator, Scratch};

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
}
