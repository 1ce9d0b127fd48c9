//! Read-only memory maps of saved index files: the one module of the workspace with `unsafe`
//! code (`scripts/check-architecture` fails on `unsafe` anywhere else).
//!
//! A saved index is used where it lies: the lookups read its tables from the mapped file, so a
//! run starts without copying or rebuilding millions of entries (the pages are read ahead and
//! checksummed once, at memory speed), and the operating system shares them between concurrent
//! runs.

// The one exception to the workspace's `unsafe_code` lint; see the SAFETY comment below.
#![allow(unsafe_code)]

use std::fs::File;
use std::io;
use std::ops::Deref;

/// A file mapped read-only into memory.
#[derive(Debug)]
pub(crate) struct Mapped(memmap2::Mmap);

impl Mapped {
    /// Maps `file`, which must be a regular file. The pages are read in ahead (the caller checks
    /// the whole file at once anyway).
    pub(crate) fn new(file: &File) -> io::Result<Mapped> {
        if !file.metadata()?.is_file() {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "not a regular file"));
        }
        // SAFETY: `Mmap::map` is unsafe because the mapped file may change while it is mapped,
        // and Rust assumes that the bytes behind a `&[u8]` do not.
        // - Changed contents: Meridian never writes an index file in place (`IndicatorSet::save`
        //   writes a new file and renames it over the old one, so a mapping keeps the old
        //   inode). If another program rewrites the file anyway, the code stays memory-safe in
        //   practice: every read from the map is a bounds-checked slice of the length fixed here,
        //   decoded from bytes each time (no offset, length or UTF-8 check made earlier is relied
        //   on for an unchecked access), so changed bytes give wrong lookups, never an access
        //   outside the map.
        // - Truncation: a file truncated by another program while mapped makes a read beyond its
        //   new end raise SIGBUS, which kills the process (no memory is corrupted). This cannot be
        //   prevented from user space without copying the file; the mapping is private and
        //   read-only, and index files are written only by `meridian match --save-index` through
        //   a rename, so only outside interference can cause it.
        let map = unsafe { memmap2::MmapOptions::new().populate().map(file)? };
        Ok(Mapped(map))
    }
}

impl Deref for Mapped {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.0
    }
}
