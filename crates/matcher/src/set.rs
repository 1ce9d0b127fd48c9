//! `IndicatorSet`: indicators compiled into one immutable, compact index, and the lookups the
//! scanner makes against it.
//!
//! The set is one buffer of flat tables (`tables.rs`), in the layout of the saved index file
//! (`saved.rs`), so that it is cheap to build, to share between threads (it is `Send + Sync` and
//! never changes), to save, and to use straight from a memory-mapped file:
//!
//! - `entries`: one 16-byte record per distinct normalised value (kind, value, indicator ids,
//!   warninglist);
//! - `arena`: the values' bytes, back to back; `ids`: the indicator UUIDs, grouped per entry;
//! - `names`: an open-addressing table over domains, emails, URLs and hashes, each slot holding 32
//!   bits of the hash and the entry number, so a miss rarely touches the arena;
//! - `v4` and `v6`: open-addressing tables of exact addresses;
//! - `v4_ranges` and `v6_ranges`: the CIDR blocks flattened into sorted, disjoint intervals, each
//!   labelled with the longest prefix covering it, so that one binary search finds the longest
//!   matching prefix;
//! - structures that make misses cheap: Bloom-style filters in front of the `names` and `v4`
//!   tables, the first IPv4 interval of every /16, and which label counts listed domains have.
//!
//! A domain name is looked up once per suffix (`a.b.example`, `b.example`, `example`): the first
//! hit is the most specific listed domain. An address is looked up in the exact table, then in
//! the ranges.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use crate::domain;
use crate::hash::{hash_bytes, hash_u128};
use crate::indicator::{self, Indicator, Kind};
use crate::ipnet::{self, Ip, Net};
use crate::tables::{Array, Backing, Word};
use crate::warninglist::Warninglist;

/// The range label of addresses that no block covers.
pub(crate) const NONE: u32 = u32::MAX;

/// An entry's indicator ids beyond this many are dropped (with a warning) when compiling.
pub const MAX_IDS_PER_VALUE: usize = u16::MAX as usize;

/// IPv4 ranges are bucketed by /16 only when there are more intervals than this.
const V4_BUCKETS_FROM: usize = 64;

/// A compiled, immutable set of indicators.
///
/// ```
/// use matcher::{Indicator, IndicatorSet, MatchKind, Scratch};
/// let indicators = ["evil.example", "198.51.100.0/24"].map(|v| Indicator::parse(v).unwrap());
/// let set = IndicatorSet::compile(indicators, &[]);
/// let mut scratch = Scratch::default();
/// let hit = set.lookup_domain(b"WWW.Evil.Example.", &mut scratch).unwrap();
/// assert_eq!((set.entry(hit.entry).value(), hit.kind), ("evil.example", MatchKind::Subdomain));
/// assert!(set.lookup_domain(b"notevil.example", &mut scratch).is_none());
/// assert_eq!(set.lookup_ip(b"198.51.100.77").unwrap().kind, MatchKind::Cidr);
/// ```
#[derive(Clone, Debug)]
pub struct IndicatorSet {
    pub(crate) backing: Arc<Backing>,
    pub(crate) seed: u64,
    /// Bit `n` is set when some listed domain has `n` labels (bit 63: 63 or more), so that
    /// suffixes of other lengths are not looked up at all.
    pub(crate) domain_labels: u64,
    pub(crate) sections: Sections,
    pub(crate) warninglists: Vec<String>,
}

/// The tables of a set, in file order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Table {
    Entries,
    Arena,
    Ids,
    Names,
    V4,
    V6Keys,
    V6Entries,
    V4Starts,
    V4Labels,
    V6Starts,
    V6Labels,
    /// Two bits per value, 8 bits of filter per value (about 5% false positives): most misses
    /// are answered from a structure an eighth the size of the table.
    NamesFilter,
    V4Filter,
    /// The first IPv4 interval of every /16 (65,537 items), or empty when there are few.
    V4Buckets,
}

impl Table {
    /// Every table, in file order.
    pub(crate) const ALL: [Table; Sections::COUNT] = [
        Table::Entries,
        Table::Arena,
        Table::Ids,
        Table::Names,
        Table::V4,
        Table::V6Keys,
        Table::V6Entries,
        Table::V4Starts,
        Table::V4Labels,
        Table::V6Starts,
        Table::V6Labels,
        Table::NamesFilter,
        Table::V4Filter,
        Table::V4Buckets,
    ];
}

/// Where each [`Table`] lies in the set's buffer (byte ranges).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Sections(pub(crate) [Range<usize>; Sections::COUNT]);

impl Sections {
    /// The number of tables.
    pub(crate) const COUNT: usize = 14;
}

impl std::ops::Index<Table> for Sections {
    type Output = Range<usize>;

    fn index(&self, table: Table) -> &Range<usize> {
        &self.0[table as usize]
    }
}

/// One distinct indicator value. 16 bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) value_off: u32,
    pub(crate) ids_off: u32,
    pub(crate) value_len: u16,
    pub(crate) ids_len: u16,
    /// 0: on no warninglist; otherwise the index of the first list it is on, plus one.
    pub(crate) warninglist: u16,
    pub(crate) kind: u8,
    pub(crate) reserved: u8,
}

impl Word for Entry {
    const SIZE: usize = 16;

    #[inline]
    fn read(raw: &[u8]) -> Entry {
        let u16_at = |i: usize| u16::from_le_bytes([raw[i], raw[i + 1]]);
        let u32_at = |i: usize| u32::from_le_bytes([raw[i], raw[i + 1], raw[i + 2], raw[i + 3]]);
        Entry {
            value_off: u32_at(0),
            ids_off: u32_at(4),
            value_len: u16_at(8),
            ids_len: u16_at(10),
            warninglist: u16_at(12),
            kind: raw[14],
            reserved: raw[15],
        }
    }

    fn write(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.value_off.to_le_bytes());
        out.extend_from_slice(&self.ids_off.to_le_bytes());
        out.extend_from_slice(&self.value_len.to_le_bytes());
        out.extend_from_slice(&self.ids_len.to_le_bytes());
        out.extend_from_slice(&self.warninglist.to_le_bytes());
        out.push(self.kind);
        out.push(self.reserved);
    }
}

/// The number of an entry in its [`IndicatorSet`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EntryId(pub(crate) u32);

/// How a log value matched an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MatchKind {
    /// The value equals the indicator (after normalisation).
    Exact,
    /// The value is a subdomain of a listed domain.
    Subdomain,
    /// The address lies in a listed CIDR block (the longest matching prefix is reported).
    Cidr,
}

impl MatchKind {
    /// `exact`, `subdomain` or `cidr`.
    pub fn as_str(self) -> &'static str {
        match self {
            MatchKind::Exact => "exact",
            MatchKind::Subdomain => "subdomain",
            MatchKind::Cidr => "cidr",
        }
    }
}

/// A log value that matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Match {
    /// The entry matched.
    pub entry: EntryId,
    /// How.
    pub kind: MatchKind,
}

/// A view of one entry.
#[derive(Clone, Copy, Debug)]
pub struct EntryRef<'a> {
    set: &'a IndicatorSet,
    entry: Entry,
}

/// Reusable buffers for lookups that normalise their input. One per thread.
#[derive(Debug, Default)]
pub struct Scratch {
    pub(crate) bytes: Vec<u8>,
    pub(crate) text: String,
}

impl IndicatorSet {
    /// Compiles indicators into a set. Repeated values are merged (their indicator ids are
    /// combined); values on one of `warninglists` are flagged (see [`EntryRef::warninglist`]).
    pub fn compile(
        indicators: impl IntoIterator<Item = Indicator>,
        warninglists: &[Warninglist],
    ) -> IndicatorSet {
        let mut indicators = indicators.into_iter();
        let mut builder = Builder::new(indicators.size_hint().0);
        // In batches: the table slots of a whole batch are read first, so that their cache
        // misses overlap instead of being waited for one insert at a time.
        let mut batch: Vec<(Indicator, Key)> = Vec::with_capacity(BUILD_BATCH);
        loop {
            batch.extend(indicators.by_ref().take(BUILD_BATCH).map(|i| {
                let key = builder.key(&i);
                (i, key)
            }));
            if batch.is_empty() {
                break;
            }
            builder.touch(batch.iter().map(|(_, key)| key));
            for (indicator, key) in batch.drain(..) {
                builder.add(&indicator, key);
            }
        }
        builder.finish(warninglists)
    }

    #[inline]
    fn array<T: Word>(&self, range: &Range<usize>) -> Array<'_, T> {
        Array::new(&self.backing, range)
    }

    #[inline]
    fn entries_table(&self) -> Array<'_, Entry> {
        self.array(&self.sections[Table::Entries])
    }

    /// The number of distinct values.
    pub fn len(&self) -> usize {
        self.entries_table().len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The number of distinct values of each kind, in [`Kind::ALL`] order.
    pub fn counts(&self) -> [(Kind, usize); 9] {
        let mut counts = Kind::ALL.map(|kind| (kind, 0));
        for entry in self.entries_table().iter() {
            if let Some(slot) = counts.get_mut(usize::from(entry.kind)) {
                slot.1 += 1;
            }
        }
        counts
    }

    /// The memory the set's tables take, in bytes (in the heap, or mapped from a saved index).
    pub fn heap_bytes(&self) -> usize {
        self.backing.len() + self.warninglists.iter().map(String::capacity).sum::<usize>()
    }

    /// One entry. Ids come from this set's own lookups.
    pub fn entry(&self, id: EntryId) -> EntryRef<'_> {
        let entry = self.entries_table().get(id.0 as usize).unwrap_or_default();
        EntryRef { set: self, entry }
    }

    /// Every entry, in id order.
    pub fn entries(&self) -> impl Iterator<Item = EntryRef<'_>> {
        self.entries_table().iter().map(move |entry| EntryRef { set: self, entry })
    }

    /// The indicators the set was compiled from, one per value and indicator id (a value from no
    /// STIX indicator gives one without an id), so that a loaded set can be combined with more.
    pub fn indicators(&self) -> impl Iterator<Item = Indicator> + '_ {
        self.entries().flat_map(|entry| {
            let base = Indicator::parse_as(entry.kind(), entry.value()).ok();
            let ids: Vec<uuid::Uuid> = entry.ids().collect();
            let plain = ids.is_empty().then(|| base.clone()).flatten();
            let with_ids: Vec<Indicator> = base
                .into_iter()
                .flat_map(|b| ids.iter().map(move |&id| b.clone().with_id(id)))
                .collect();
            plain.into_iter().chain(with_ids)
        })
    }

    /// The entries on a warninglist, with the list's name.
    pub fn flagged(&self) -> impl Iterator<Item = (EntryRef<'_>, &str)> {
        self.entries().filter_map(|entry| entry.warninglist().map(|list| (entry, list)))
    }

    /// Looks up any value, recognising its kind as [`Indicator::parse`] does (but without
    /// undoing defanging: logs are not defanged).
    pub fn lookup(&self, value: &str, scratch: &mut Scratch) -> Option<Match> {
        let bytes = value.as_bytes();
        if value.contains("://") {
            self.lookup_url(bytes, scratch)
        } else if let Some(hit) = self.lookup_ip(bytes) {
            Some(hit)
        } else if value.contains('@') {
            self.lookup_email(bytes)
        } else if indicator::hex_kind(value).is_some() {
            self.lookup_hash(bytes, scratch)
        } else {
            self.lookup_domain(bytes, scratch)
        }
    }

    /// Looks up a domain name: the name itself, then each parent domain. Case, a trailing dot
    /// and Unicode labels are normalised; a mere substring never matches.
    #[inline]
    pub fn lookup_domain(&self, name: &[u8], scratch: &mut Scratch) -> Option<Match> {
        let name = domain::normalize_log(name, &mut scratch.bytes)?;
        // Where each label starts, in one pass over the (short) name: names are at most 253
        // bytes (`normalize_log`), so at most 254 labels — empty labels included, which logs
        // can hold (`a..evil.example`) — each starting below 254.
        let mut starts = [0u8; domain::MAX_NAME + 1];
        let mut labels = 1;
        for (i, &b) in name.iter().enumerate() {
            if b == b'.' {
                // `as u8`: below 254, see above; `get_mut`: never out of bounds either.
                if let Some(start) = starts.get_mut(labels) {
                    *start = (i + 1) as u8;
                }
                labels += 1;
            }
        }
        let labels = labels.min(starts.len());
        for (n, &start) in starts[..labels].iter().enumerate() {
            // The suffix from here has `labels - n` labels.
            if self.domain_labels & label_bit(labels - n) == 0 {
                continue;
            }
            let start = usize::from(start);
            let suffix = &name[start..];
            if let Some(entry) = self.find_name(Kind::Domain, suffix) {
                let kind = if start == 0 { MatchKind::Exact } else { MatchKind::Subdomain };
                return Some(Match { entry: EntryId(entry), kind });
            }
        }
        None
    }

    /// Looks up an IPv4 or IPv6 address: an exact entry first, then the longest CIDR block.
    #[inline]
    pub fn lookup_ip(&self, address: &[u8]) -> Option<Match> {
        self.lookup_parsed_ip(ipnet::parse_ip(address)?)
    }

    /// Looks up a URL after normalising it. The host is not looked up: see
    /// [`IndicatorSet::lookup_domain`].
    pub fn lookup_url(&self, url: &[u8], scratch: &mut Scratch) -> Option<Match> {
        let text = std::str::from_utf8(url).ok()?;
        crate::url::normalize_into(text, &mut scratch.text).ok()?;
        let entry = self.find_name(Kind::Url, scratch.text.as_bytes())?;
        Some(Match { entry: EntryId(entry), kind: MatchKind::Exact })
    }

    /// Looks up an email address (case-insensitive; an IDNA domain is normalised).
    pub fn lookup_email(&self, address: &[u8]) -> Option<Match> {
        let text = std::str::from_utf8(address).ok()?;
        let normalised = indicator::normalize_email(text).ok()?;
        let entry = self.find_name(Kind::Email, normalised.as_bytes())?;
        Some(Match { entry: EntryId(entry), kind: MatchKind::Exact })
    }

    /// Looks up an MD5, SHA-1, SHA-256 or SHA-512 hex digest, told apart by length.
    #[inline]
    pub fn lookup_hash(&self, digest: &[u8], scratch: &mut Scratch) -> Option<Match> {
        let kind = Kind::hash_of_len(digest.len())?;
        scratch.bytes.clear();
        scratch.bytes.extend(digest.iter().map(u8::to_ascii_lowercase));
        let entry = self.find_name(kind, &scratch.bytes)?;
        Some(Match { entry: EntryId(entry), kind: MatchKind::Exact })
    }

    #[inline]
    pub(crate) fn lookup_parsed_ip(&self, ip: Ip) -> Option<Match> {
        let exact = |entry| Match { entry: EntryId(entry), kind: MatchKind::Exact };
        let block = |entry| Match { entry: EntryId(entry), kind: MatchKind::Cidr };
        match ip {
            Ip::V4(address) => match self.find_v4(address) {
                Some(entry) => Some(exact(entry)),
                None => self.v4_range_label(address).map(block),
            },
            Ip::V6(address) => match self.find_v6(address) {
                Some(entry) => Some(exact(entry)),
                None => {
                    self.range_label(Table::V6Starts, Table::V6Labels, address, None).map(block)
                }
            },
        }
    }

    /// The label of the IPv4 interval containing `address`, narrowed by its /16 bucket.
    #[inline]
    fn v4_range_label(&self, address: u32) -> Option<u32> {
        let k = (address >> 16) as usize;
        let buckets = self.array::<u32>(&self.sections[Table::V4Buckets]);
        let bucket = match (buckets.get(k), buckets.get(k + 1)) {
            (Some(lo), Some(hi)) => Some((lo as usize, hi as usize)),
            _ => None,
        };
        self.range_label(Table::V4Starts, Table::V4Labels, address, bucket)
    }

    /// The label of the interval of `starts` (sorted interval starts; searched within `bucket`
    /// when given) that contains `address`: the entry of the longest block, if any covers it.
    #[inline]
    fn range_label<T: Word + PartialOrd>(
        &self,
        starts: Table,
        labels: Table,
        address: T,
        bucket: Option<(usize, usize)>,
    ) -> Option<u32> {
        let starts = self.array::<T>(&self.sections[starts]);
        let (lo, hi) = bucket.unwrap_or((0, starts.len()));
        let i = starts.partition_point(lo, hi, |start| start <= address).checked_sub(1)?;
        let label = self.array::<u32>(&self.sections[labels]).get(i)?;
        (label != NONE).then_some(label)
    }

    #[inline]
    fn find_name(&self, kind: Kind, key: &[u8]) -> Option<u32> {
        let hash = hash_bytes(name_seed(self.seed, kind), key);
        if !filter_contains(self.array(&self.sections[Table::NamesFilter]), hash) {
            return None;
        }
        // `as u32`: the high half of the hash is the slot's tag.
        let tag = (hash >> 32) as u32;
        let names = self.array::<u64>(&self.sections[Table::Names]);
        let entries = self.entries_table();
        let mask = names.len().wrapping_sub(1);
        // `as usize`: the low bits pick the start slot.
        let mut i = hash as usize & mask;
        for _ in 0..names.len() {
            let slot = names.get(i)?;
            if slot == 0 {
                return None;
            }
            if (slot >> 32) as u32 == tag {
                let entry = (slot as u32).wrapping_sub(1);
                if let Some(e) = entries.get(entry as usize)
                    && e.kind == kind.code()
                    && self.value_bytes(&e) == key
                {
                    return Some(entry);
                }
            }
            i = (i + 1) & mask;
        }
        None
    }

    #[inline]
    fn find_v4(&self, address: u32) -> Option<u32> {
        let hash = hash_u128(self.seed, u128::from(address));
        if !filter_contains(self.array(&self.sections[Table::V4Filter]), hash) {
            return None;
        }
        let v4 = self.array::<u64>(&self.sections[Table::V4]);
        let mask = v4.len().wrapping_sub(1);
        let mut i = hash as usize & mask;
        for _ in 0..v4.len() {
            let slot = v4.get(i)?;
            if slot == 0 {
                return None;
            }
            if (slot >> 32) as u32 == address {
                return Some((slot as u32).wrapping_sub(1));
            }
            i = (i + 1) & mask;
        }
        None
    }

    #[inline]
    fn find_v6(&self, address: u128) -> Option<u32> {
        let keys = self.array::<u128>(&self.sections[Table::V6Keys]);
        let entries = self.array::<u32>(&self.sections[Table::V6Entries]);
        let mask = keys.len().wrapping_sub(1);
        let mut i = hash_u128(self.seed, address) as usize & mask;
        for _ in 0..keys.len() {
            let entry = entries.get(i)?;
            if entry == 0 {
                return None;
            }
            if keys.get(i)? == address {
                return Some(entry - 1);
            }
            i = (i + 1) & mask;
        }
        None
    }

    #[inline]
    pub(crate) fn value_bytes(&self, entry: &Entry) -> &[u8] {
        let arena = self.backing.get(self.sections[Table::Arena].clone()).unwrap_or_default();
        value_in(arena, entry)
    }
}

/// An entry's value in the arena (empty when out of bounds).
#[inline]
fn value_in<'a>(arena: &'a [u8], entry: &Entry) -> &'a [u8] {
    let start = entry.value_off as usize;
    arena.get(start..start + usize::from(entry.value_len)).unwrap_or_default()
}

impl<'a> EntryRef<'a> {
    /// The kind of indicator.
    pub fn kind(&self) -> Kind {
        Kind::from_code(self.entry.kind).unwrap_or(Kind::Domain)
    }

    /// The normalised value.
    pub fn value(&self) -> &'a str {
        // Checked on every call: a saved index is not checked entry by entry when loaded.
        std::str::from_utf8(self.set.value_bytes(&self.entry)).unwrap_or_default()
    }

    /// The UUIDs of the STIX indicators with this value (`indicator--<uuid>`).
    pub fn ids(&self) -> impl ExactSizeIterator<Item = uuid::Uuid> + 'a {
        let ids = self.set.array::<u128>(&self.set.sections[Table::Ids]);
        let start = self.entry.ids_off as usize;
        let end = start + usize::from(self.entry.ids_len);
        let range = if end <= ids.len() { start..end } else { 0..0 };
        range.map(move |i| uuid::Uuid::from_u128(ids.get(i).unwrap_or_default()))
    }

    /// The name of the first warninglist the value is on, if any.
    pub fn warninglist(&self) -> Option<&'a str> {
        let index = usize::from(self.entry.warninglist).checked_sub(1)?;
        self.set.warninglists.get(index).map(String::as_str)
    }
}

/// The bit for a name of `labels` labels in [`IndicatorSet::domain_labels`].
#[inline]
fn label_bit(labels: usize) -> u64 {
    1u64 << labels.min(63)
}

/// The number of 64-bit words of a filter for `len` values: a power of two, 8 bits per value.
fn filter_words(len: usize) -> usize {
    (len.max(1) * 8 / 64 + 1).next_power_of_two()
}

/// The filter word and two bits in it for a hash: one word, so one cache line per check (a
/// blocked Bloom filter). Bits 24 and up pick the word, the top 12 bits the two bits; the low
/// bits, which pick table slots, are not used.
#[inline]
fn filter_bits(words: usize, hash: u64) -> (usize, u64) {
    // `as usize`: masked to the filter's size.
    let word = hash.rotate_right(24) as usize & words.wrapping_sub(1);
    (word, 1u64 << ((hash >> 52) & 63) | 1u64 << (hash >> 58))
}

fn filter_insert(filter: &mut [u64], hash: u64) {
    let (word, mask) = filter_bits(filter.len(), hash);
    filter[word] |= mask;
}

/// Whether the value may be in the table; an empty filter lets everything through.
#[inline]
fn filter_contains(filter: Array<'_, u64>, hash: u64) -> bool {
    if filter.is_empty() {
        return true;
    }
    let (word, mask) = filter_bits(filter.len(), hash);
    filter.get(word).is_some_and(|w| w & mask == mask)
}

pub(crate) fn name_seed(seed: u64, kind: Kind) -> u64 {
    seed ^ u64::from(kind.code()).wrapping_mul(0xA076_1D64_78BD_642F)
}

/// The smallest power-of-two table size that keeps the load factor at or below 0.7.
pub(crate) fn table_size(len: usize) -> usize {
    (len.saturating_mul(10) / 7 + 1).next_power_of_two().max(8)
}

/// A set's tables while it is built, before they are written into one buffer.
#[derive(Debug, Default)]
pub(crate) struct Parts {
    pub(crate) seed: u64,
    pub(crate) entries: Vec<Entry>,
    pub(crate) arena: Vec<u8>,
    pub(crate) ids: Vec<u128>,
    pub(crate) names: Vec<u64>,
    pub(crate) v4: Vec<u64>,
    pub(crate) v6_keys: Vec<u128>,
    pub(crate) v6_entries: Vec<u32>,
    pub(crate) v4_starts: Vec<u32>,
    pub(crate) v4_labels: Vec<u32>,
    pub(crate) v6_starts: Vec<u128>,
    pub(crate) v6_labels: Vec<u32>,
    pub(crate) names_filter: Vec<u64>,
    pub(crate) v4_filter: Vec<u64>,
    pub(crate) v4_buckets: Vec<u32>,
    pub(crate) domain_labels: u64,
    pub(crate) warninglists: Vec<String>,
}

impl Parts {
    pub(crate) fn value_bytes(&self, entry: &Entry) -> &[u8] {
        value_in(&self.arena, entry)
    }

    /// Computes the structures that make misses cheap: the filters, the /16 buckets and the
    /// label counts.
    fn derive(&mut self) {
        let mut names_filter =
            vec![0u64; filter_words(self.names.iter().filter(|&&s| s != 0).count())];
        let mut domain_labels = 0u64;
        for entry in &self.entries {
            let Some(kind) = Kind::from_code(entry.kind) else { continue };
            let value = value_in(&self.arena, entry);
            if kind == Kind::Domain {
                domain_labels |= label_bit(memchr::memchr_iter(b'.', value).count() + 1);
            }
            if !matches!(kind, Kind::Ipv4 | Kind::Ipv6) {
                filter_insert(&mut names_filter, hash_bytes(name_seed(self.seed, kind), value));
            }
        }
        let mut v4_filter = vec![0u64; filter_words(self.v4.iter().filter(|&&s| s != 0).count())];
        for &slot in self.v4.iter().filter(|&&s| s != 0) {
            filter_insert(&mut v4_filter, hash_u128(self.seed, u128::from(slot >> 32)));
        }
        self.v4_buckets = if self.v4_starts.len() > V4_BUCKETS_FROM {
            (0..=1u32 << 16)
                .map(|k| {
                    let start = u64::from(k) << 16;
                    // `as u32`: a partition point within an array indexed by u32 labels.
                    self.v4_starts.partition_point(|&s| u64::from(s) < start) as u32
                })
                .collect()
        } else {
            Vec::new()
        };
        self.names_filter = names_filter;
        self.v4_filter = v4_filter;
        self.domain_labels = domain_labels;
    }

    /// Writes the tables into one buffer.
    fn into_set(mut self) -> IndicatorSet {
        self.derive();
        let (bytes, sections) = crate::saved::write(&self);
        IndicatorSet {
            backing: Arc::new(Backing::Owned(bytes)),
            seed: self.seed,
            domain_labels: self.domain_labels,
            sections,
            warninglists: self.warninglists,
        }
    }
}

/// Indicators are added to a set being built this many at a time.
const BUILD_BATCH: usize = 16;

/// Where an indicator goes in a set being built, with the hash that places it.
#[derive(Clone, Copy, Debug)]
enum Key {
    /// A name table entry (domain, URL, email, hash).
    Name(Kind, u64),
    /// An exact IPv4 address.
    V4(u32, u64),
    /// An IPv6 address or a CIDR block.
    Net(Net),
    /// Not added (too long, or not an address).
    Skip,
}

struct Builder {
    set: Parts,
    names_len: usize,
    v4_len: usize,
    v6: HashMap<u128, u32>,
    blocks: HashMap<ipnet::Net, u32>,
    ids: Vec<(u32, u128)>,
}

impl Builder {
    /// A builder whose tables are sized for `expected` values (a hint: they grow as needed).
    fn new(expected: usize) -> Builder {
        let seed = {
            use std::hash::{BuildHasher, Hasher};
            std::collections::hash_map::RandomState::new().build_hasher().finish()
        };
        Builder {
            set: Parts {
                seed,
                entries: Vec::with_capacity(expected),
                arena: Vec::with_capacity(expected.saturating_mul(16)),
                names: vec![0; table_size(expected / 2)],
                v4: vec![0; table_size(expected / 2)],
                ..Parts::default()
            },
            names_len: 0,
            v4_len: 0,
            v6: HashMap::new(),
            blocks: HashMap::new(),
            ids: Vec::new(),
        }
    }

    /// Where an indicator goes.
    fn key(&self, indicator: &Indicator) -> Key {
        let value = indicator.value();
        if value.len() > usize::from(u16::MAX) {
            return Key::Skip;
        }
        match indicator.kind() {
            Kind::Ipv4 | Kind::Ipv6 => match ipnet::parse_net(value) {
                Some(Net { ip: Ip::V4(address), prefix: 32 }) => {
                    Key::V4(address, hash_u128(self.set.seed, u128::from(address)))
                }
                Some(net) => Key::Net(net),
                None => Key::Skip,
            },
            kind => Key::Name(kind, hash_bytes(name_seed(self.set.seed, kind), value.as_bytes())),
        }
    }

    /// Reads the first table slot of each key, so that it is in the cache when inserted.
    fn touch<'k>(&self, keys: impl Iterator<Item = &'k Key>) {
        let mut seen = 0u64;
        for key in keys {
            let (table, hash) = match *key {
                Key::Name(_, hash) => (&self.set.names, hash),
                Key::V4(_, hash) => (&self.set.v4, hash),
                Key::Net(_) | Key::Skip => continue,
            };
            // `as usize`: the low bits pick the slot.
            seen ^= table[hash as usize & (table.len() - 1)];
        }
        std::hint::black_box(seen);
    }

    fn add(&mut self, indicator: &Indicator, key: Key) {
        if self.set.entries.len() >= (u32::MAX - 1) as usize {
            return;
        }
        let entry = match key {
            Key::Skip => return,
            Key::V4(address, hash) => self.v4_entry(address, hash, indicator),
            Key::Name(kind, hash) => self.name_entry(kind, hash, indicator),
            Key::Net(net) => match net.ip {
                Ip::V6(address) if net.is_host() => match self.v6.get(&address) {
                    Some(&entry) => entry,
                    None => {
                        let entry = self.push_entry(indicator);
                        self.v6.insert(address, entry);
                        entry
                    }
                },
                _ => match self.blocks.get(&net) {
                    Some(&entry) => entry,
                    None => {
                        let entry = self.push_entry(indicator);
                        self.blocks.insert(net, entry);
                        entry
                    }
                },
            },
        };
        if let Some(id) = indicator.id() {
            self.ids.push((entry, id.as_u128()));
        }
    }

    fn push_entry(&mut self, indicator: &Indicator) -> u32 {
        let value = indicator.value().as_bytes();
        // `as u32`/`as u16`: `add` bounds the entry count and value length.
        let entry = Entry {
            value_off: u32::try_from(self.set.arena.len()).unwrap_or(u32::MAX),
            value_len: value.len() as u16,
            kind: indicator.kind().code(),
            ..Entry::default()
        };
        self.set.arena.extend_from_slice(value);
        self.set.entries.push(entry);
        (self.set.entries.len() - 1) as u32
    }

    fn name_entry(&mut self, kind: Kind, hash: u64, indicator: &Indicator) -> u32 {
        let key = indicator.value().as_bytes();
        let mask = self.set.names.len() - 1;
        let mut i = hash as usize & mask;
        loop {
            let slot = self.set.names[i];
            if slot == 0 {
                break;
            }
            if (slot >> 32) as u32 == (hash >> 32) as u32 {
                let entry = (slot as u32).wrapping_sub(1);
                let e = self.set.entries[entry as usize];
                if e.kind == kind.code() && self.set.value_bytes(&e) == key {
                    return entry;
                }
            }
            i = (i + 1) & mask;
        }
        let entry = self.push_entry(indicator);
        self.set.names[i] = (hash >> 32) << 32 | u64::from(entry + 1);
        self.names_len += 1;
        if table_size(self.names_len) > self.set.names.len() {
            self.rehash_names(table_size(self.names_len));
        }
        entry
    }

    fn rehash_names(&mut self, size: usize) {
        let old = std::mem::replace(&mut self.set.names, vec![0; size]);
        let mask = size - 1;
        for slot in old.into_iter().filter(|&slot| slot != 0) {
            let entry = self.set.entries[(slot as u32 - 1) as usize];
            let kind = Kind::from_code(entry.kind).unwrap_or(Kind::Domain);
            let hash = hash_bytes(name_seed(self.set.seed, kind), self.set.value_bytes(&entry));
            let mut i = hash as usize & mask;
            while self.set.names[i] != 0 {
                i = (i + 1) & mask;
            }
            self.set.names[i] = slot;
        }
    }

    fn v4_entry(&mut self, address: u32, hash: u64, indicator: &Indicator) -> u32 {
        let mask = self.set.v4.len() - 1;
        let mut i = hash as usize & mask;
        loop {
            let slot = self.set.v4[i];
            if slot == 0 {
                break;
            }
            if (slot >> 32) as u32 == address {
                return (slot as u32).wrapping_sub(1);
            }
            i = (i + 1) & mask;
        }
        let entry = self.push_entry(indicator);
        self.set.v4[i] = u64::from(address) << 32 | u64::from(entry + 1);
        self.v4_len += 1;
        if table_size(self.v4_len) > self.set.v4.len() {
            let size = table_size(self.v4_len);
            let old = std::mem::replace(&mut self.set.v4, vec![0; size]);
            for slot in old.into_iter().filter(|&slot| slot != 0) {
                let mut i = hash_u128(self.set.seed, u128::from(slot >> 32)) as usize & (size - 1);
                while self.set.v4[i] != 0 {
                    i = (i + 1) & (size - 1);
                }
                self.set.v4[i] = slot;
            }
        }
        entry
    }

    fn finish(mut self, warninglists: &[Warninglist]) -> IndicatorSet {
        let set = &mut self.set;
        // Indicator ids, grouped per entry.
        self.ids.sort_unstable();
        self.ids.dedup();
        let mut at = 0;
        while at < self.ids.len() {
            let entry = self.ids[at].0;
            let end = at + self.ids[at..].partition_point(|&(e, _)| e == entry);
            let kept = (end - at).min(MAX_IDS_PER_VALUE);
            if kept < end - at {
                tracing::warn!(value = ?set.value_bytes(&set.entries[entry as usize]), dropped = end - at - kept, "Too many indicators share one value; some ids are dropped.");
            }
            let e = &mut set.entries[entry as usize];
            e.ids_off = u32::try_from(set.ids.len()).unwrap_or(u32::MAX);
            // `as u16`: kept <= MAX_IDS_PER_VALUE.
            e.ids_len = kept as u16;
            set.ids.extend(self.ids[at..at + kept].iter().map(|&(_, id)| id));
            at = end;
        }
        // Exact IPv6 addresses.
        let size = table_size(self.v6.len());
        set.v6_keys = vec![0; size];
        set.v6_entries = vec![0; size];
        for (&address, &entry) in &self.v6 {
            let mut i = hash_u128(set.seed, address) as usize & (size - 1);
            while set.v6_entries[i] != 0 {
                i = (i + 1) & (size - 1);
            }
            set.v6_keys[i] = address;
            set.v6_entries[i] = entry + 1;
        }
        // CIDR blocks, flattened.
        let mut v4 = Vec::new();
        let mut v6 = Vec::new();
        for (net, &entry) in &self.blocks {
            let (first, last) = net.range();
            match net.ip {
                Ip::V4(_) => v4.push((first, last, net.prefix, entry)),
                Ip::V6(_) => v6.push((first, last, net.prefix, entry)),
            }
        }
        let (starts, labels) = flatten(v4, u128::from(u32::MAX));
        // `as u32`: IPv4 interval starts fit in 32 bits.
        set.v4_starts = starts.into_iter().map(|s| s as u32).collect();
        set.v4_labels = labels;
        (set.v6_starts, set.v6_labels) = flatten(v6, u128::MAX);
        // Warninglists.
        set.warninglists = warninglists.iter().map(|list| list.name().to_owned()).collect();
        if !warninglists.is_empty() {
            for i in 0..set.entries.len() {
                let entry = set.entries[i];
                let kind = Kind::from_code(entry.kind).unwrap_or(Kind::Domain);
                let value = std::str::from_utf8(set.value_bytes(&entry)).unwrap_or_default();
                if let Some(list) = warninglists.iter().position(|list| list.contains(kind, value))
                {
                    set.entries[i].warninglist = u16::try_from(list + 1).unwrap_or(u16::MAX);
                }
            }
        }
        let flagged = set.entries.iter().filter(|e| e.warninglist != 0).count();
        let set = self.set.into_set();
        tracing::debug!(
            entries = set.len(),
            flagged,
            bytes = set.heap_bytes(),
            "Compiled indicator set."
        );
        set
    }
}

/// Flattens CIDR blocks `(first, last, prefix, entry)` — which are nested or disjoint, never
/// partly overlapping — into sorted interval starts and the entry of the longest prefix covering
/// each interval ([`NONE`] for gaps).
fn flatten(mut blocks: Vec<(u128, u128, u8, u32)>, max: u128) -> (Vec<u128>, Vec<u32>) {
    blocks.sort_unstable_by_key(|&(first, _, prefix, _)| (first, prefix));
    let mut starts: Vec<u128> = Vec::new();
    let mut labels: Vec<u32> = Vec::new();
    let mut push = |start: u128, label: u32| {
        if starts.last() == Some(&start) {
            // A later, more specific (or resuming) label at the same point replaces the earlier.
            if let Some(last) = labels.last_mut() {
                *last = label;
            }
        } else if labels.last() != Some(&label) || starts.is_empty() {
            starts.push(start);
            labels.push(label);
        }
        // Merge with the previous interval when the replacement made two neighbours equal.
        let n = labels.len();
        if n >= 2 && labels[n - 1] == labels[n - 2] {
            starts.pop();
            labels.pop();
        }
    };
    push(0, NONE);
    let mut open: Vec<(u128, u32)> = Vec::new();
    for (first, last, _, entry) in blocks {
        while let Some(&(end, _)) = open.last() {
            if end >= first {
                break;
            }
            open.pop();
            let resume = open.last().map_or(NONE, |&(_, label)| label);
            push(end + 1, resume);
        }
        push(first, entry);
        open.push((last, entry));
    }
    while let Some((end, _)) = open.pop() {
        if end < max {
            let resume = open.last().map_or(NONE, |&(_, label)| label);
            push(end + 1, resume);
        }
    }
    (starts, labels)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(values: &[&str]) -> IndicatorSet {
        IndicatorSet::compile(values.iter().map(|v| Indicator::parse(v).unwrap()), &[])
    }

    #[track_caller]
    fn check(set: &IndicatorSet, value: &str) -> String {
        match set.lookup(value, &mut Scratch::default()) {
            Some(hit) => format!("{} {}", hit.kind.as_str(), set.entry(hit.entry).value()),
            None => "miss".to_owned(),
        }
    }

    proptest::proptest! {
        /// A name hits the longest listed domain it equals or is a subdomain of, whatever the
        /// number of labels of the name and of the listed domains.
        #[test]
        fn domain_lookups_find_the_longest_listed_suffix(
            listed in proptest::collection::vec("[ab]{1,2}(\\.[ab]{1,2}){0,4}", 1..12),
            name in "[abAB]{1,2}(\\.[ab]{1,2}){0,7}\\.?|\\.{0,140}[ab]{0,2}(\\.{1,3}[ab]{1,2}){0,4}",
        ) {
            let set = IndicatorSet::compile(listed.iter().map(|v| Indicator::parse_as(Kind::Domain, v).unwrap()), &[]);
            let lower = name.to_ascii_lowercase();
            let lower = lower.strip_suffix('.').unwrap_or(&lower);
            let expected = std::iter::once(0)
                .chain(lower.match_indices('.').map(|(dot, _)| dot + 1))
                .find(|&start| listed.iter().any(|l| l == &lower[start..]))
                .map(|start| format!("{} {}", if start == 0 { "exact" } else { "subdomain" }, &lower[start..]));
            let found = set.lookup_domain(name.as_bytes(), &mut Scratch::default())
                .map(|hit| format!("{} {}", hit.kind.as_str(), set.entry(hit.entry).value()));
            proptest::prop_assert_eq!(found, expected);
        }
    }

    #[test]
    fn names_with_many_empty_labels_still_match() {
        let set = set(&["evil.example"]);
        let name = format!("{}evil.example", ".".repeat(130));
        let hit = set.lookup_domain(name.as_bytes(), &mut Scratch::default());
        assert_eq!(hit.map(|h| h.kind), Some(MatchKind::Subdomain));
        let longest = format!("{}x.evil.example", ".".repeat(253 - 14));
        let hit = set.lookup_domain(longest.as_bytes(), &mut Scratch::default());
        assert_eq!(hit.map(|h| h.kind), Some(MatchKind::Subdomain));
    }

    #[test]
    fn domains_match_themselves_and_subdomains_never_substrings() {
        let s = set(&["evil.example", "deep.sub.evil.example", "bücher.example"]);
        assert_eq!(check(&s, "evil.example"), "exact evil.example");
        assert_eq!(check(&s, "EVIL.Example."), "exact evil.example");
        assert_eq!(check(&s, "a.b.evil.example"), "subdomain evil.example");
        assert_eq!(check(&s, "x.deep.sub.evil.example"), "subdomain deep.sub.evil.example");
        assert_eq!(check(&s, "sub.evil.example"), "subdomain evil.example");
        assert_eq!(check(&s, "notevil.example"), "miss");
        assert_eq!(check(&s, "evil.example.org"), "miss");
        assert_eq!(check(&s, "example"), "miss");
        assert_eq!(check(&s, "xn--bcher-kva.example"), "exact xn--bcher-kva.example");
        assert_eq!(check(&s, "www.BÜCHER.example"), "subdomain xn--bcher-kva.example");
    }

    #[test]
    fn cidr_longest_prefix_and_edges() {
        let s = set(&[
            "10.0.0.0/8",
            "10.1.0.0/16",
            "10.1.2.0/24",
            "10.1.2.3",
            "192.0.2.0/31",
            "0.0.0.0/32",
        ]);
        assert_eq!(check(&s, "10.1.2.3"), "exact 10.1.2.3");
        assert_eq!(check(&s, "10.1.2.4"), "cidr 10.1.2.0/24");
        assert_eq!(check(&s, "10.1.2.255"), "cidr 10.1.2.0/24");
        assert_eq!(check(&s, "10.1.3.0"), "cidr 10.1.0.0/16");
        assert_eq!(check(&s, "10.1.255.255"), "cidr 10.1.0.0/16");
        assert_eq!(check(&s, "10.2.0.0"), "cidr 10.0.0.0/8");
        assert_eq!(check(&s, "10.255.255.255"), "cidr 10.0.0.0/8");
        assert_eq!(check(&s, "11.0.0.0"), "miss");
        assert_eq!(check(&s, "9.255.255.255"), "miss");
        assert_eq!(check(&s, "192.0.2.1"), "cidr 192.0.2.0/31");
        assert_eq!(check(&s, "192.0.2.2"), "miss");
        assert_eq!(check(&s, "0.0.0.0"), "exact 0.0.0.0");
        assert_eq!(check(&s, "::ffff:10.1.2.3"), "exact 10.1.2.3");
    }

    #[test]
    fn whole_space_blocks() {
        let s = set(&["0.0.0.0/0", "255.255.255.255", "::/0", "2001:db8::/32"]);
        assert_eq!(check(&s, "255.255.255.254"), "cidr 0.0.0.0/0");
        assert_eq!(check(&s, "255.255.255.255"), "exact 255.255.255.255");
        assert_eq!(check(&s, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), "cidr ::/0");
        assert_eq!(check(&s, "2001:db8:ffff::1"), "cidr 2001:db8::/32");
    }

    #[test]
    fn ipv6_forms() {
        let s = set(&["2001:db8::1", "2001:db8:1::/48"]);
        assert_eq!(check(&s, "2001:0DB8:0000:0000:0000:0000:0000:0001"), "exact 2001:db8::1");
        assert_eq!(check(&s, "[2001:db8::1]"), "exact 2001:db8::1");
        assert_eq!(check(&s, "2001:db8::1%en0"), "exact 2001:db8::1");
        assert_eq!(check(&s, "2001:db8:1:ffff::9"), "cidr 2001:db8:1::/48");
        assert_eq!(check(&s, "2001:db8:2::1"), "miss");
    }

    #[test]
    fn urls_emails_hashes() {
        let s = set(&[
            "http://evil.example/path/",
            "bad@evil.example",
            "d41d8cd98f00b204e9800998ecf8427e",
            "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
        ]);
        assert_eq!(check(&s, "HTTP://EVIL.example:80/path"), "exact http://evil.example/path");
        assert_eq!(check(&s, "http://evil.example/%70ath/"), "exact http://evil.example/path");
        assert_eq!(check(&s, "http://evil.example/path/more"), "miss");
        assert_eq!(check(&s, "https://evil.example/path"), "miss");
        assert_eq!(check(&s, "BAD@Evil.Example"), "exact bad@evil.example");
        assert_eq!(
            check(&s, "D41D8CD98F00B204E9800998ECF8427E"),
            "exact d41d8cd98f00b204e9800998ecf8427e"
        );
        assert_eq!(
            check(&s, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            "exact e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(check(&s, "d41d8cd98f00b204e9800998ecf8427f"), "miss");
    }

    #[test]
    fn repeated_values_merge_their_ids() {
        let a = uuid::Uuid::from_u128(1);
        let b = uuid::Uuid::from_u128(2);
        let indicators = [
            Indicator::parse("evil.example").unwrap().with_id(a),
            Indicator::parse("EVIL.example.").unwrap().with_id(b),
            Indicator::parse("evil.example").unwrap().with_id(a),
            Indicator::parse("evil.example").unwrap(),
        ];
        let s = IndicatorSet::compile(indicators, &[]);
        assert_eq!(s.len(), 1);
        let ids: Vec<_> = s.entry(EntryId(0)).ids().collect();
        assert_eq!(ids, [a, b]);
    }

    #[test]
    fn many_values_grow_the_tables() {
        let values: Vec<Indicator> = (0..5000u32)
            .flat_map(|i| {
                [
                    Indicator::parse(&format!("host{i}.example")).unwrap(),
                    Indicator::parse(&std::net::Ipv4Addr::from(i * 7919).to_string()).unwrap(),
                ]
            })
            .collect();
        let s = IndicatorSet::compile(values, &[]);
        assert_eq!(s.len(), 10_000);
        let mut scratch = Scratch::default();
        for i in 0..5000u32 {
            assert!(
                s.lookup_domain(format!("www.host{i}.example").as_bytes(), &mut scratch).is_some()
            );
            assert!(
                s.lookup_ip(std::net::Ipv4Addr::from(i * 7919).to_string().as_bytes()).is_some()
            );
        }
        assert!(s.lookup_domain(b"host5000.example", &mut scratch).is_none());
        assert!(s.heap_bytes() / s.len() < 100, "{} bytes per value", s.heap_bytes() / s.len());
    }

    #[test]
    fn flatten_nested_blocks() {
        let (starts, labels) =
            flatten(vec![(0, 99, 1, 0), (10, 19, 2, 1), (20, 29, 2, 2), (50, 59, 2, 0)], 1000);
        assert_eq!(starts, [0, 10, 20, 30, 100]);
        assert_eq!(labels, [0, 1, 2, 0, NONE]);
    }
}
