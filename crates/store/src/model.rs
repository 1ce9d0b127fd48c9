//! The store's vocabulary: the `Store` trait every backend implements, and the plain types it
//! speaks (no serde: these are not wire formats).

use std::path::{Path, PathBuf};

use stix::Timestamp;

use crate::Error;

/// Where and how to open a store.
#[derive(Debug, Clone)]
pub struct Options {
    /// The data directory; the SQLite file is `meridian.db` inside it.
    pub data_dir: PathBuf,
    /// Read connections kept open (readers never block the writer in WAL mode).
    pub readers: usize,
}

impl Options {
    /// Default read connections.
    pub const DEFAULT_READERS: usize = 4;

    /// Options for `data_dir` with defaults for the rest.
    pub fn new(data_dir: &Path) -> Self {
        Self { data_dir: data_dir.to_owned(), readers: Self::DEFAULT_READERS }
    }
}

/// An organisation's row id.
pub type OrgId = i64;
/// A user's row id.
pub type UserId = i64;

/// An organisation: a CERT, an ISAC, an operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Org {
    /// Row id.
    pub id: OrgId,
    /// Unique name.
    pub name: String,
    /// Jurisdiction, e.g. `US` or an EU member state code.
    pub jurisdiction: String,
    /// Sectors (industry-sector-ov values).
    pub sectors: Vec<String>,
}

/// A user, belonging to one organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Row id.
    pub id: UserId,
    /// Unique login name.
    pub name: String,
    /// The organisation.
    pub org: OrgId,
    /// Whether the user administers the node.
    pub is_admin: bool,
}

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenScope {
    /// Read only.
    Read,
    /// Read and write.
    ReadWrite,
}

impl TokenScope {
    /// `read` or `read-write`.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenScope::Read => "read",
            TokenScope::ReadWrite => "read-write",
        }
    }

    /// Parses `read` or `read-write`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "read" => Some(TokenScope::Read),
            "read-write" | "write" => Some(TokenScope::ReadWrite),
            _ => None,
        }
    }
}

/// An API token's record (never the token itself: only its hash is stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// Row id.
    pub id: i64,
    /// The user it authenticates.
    pub user: UserId,
    /// A label for people.
    pub label: String,
    /// What it may do.
    pub scope: TokenScope,
    /// Whether it was revoked.
    pub revoked: bool,
}

/// To whom a grant applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Grantee {
    /// Every user of an organisation.
    Org(OrgId),
    /// One user.
    User(UserId),
}

/// A per-collection permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grant {
    /// Who.
    pub grantee: Grantee,
    /// May read objects.
    pub can_read: bool,
    /// May add objects.
    pub can_write: bool,
}

/// A collection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectionInfo {
    /// The collection id (a UUID).
    pub id: String,
    /// A unique, human-friendly alias.
    pub alias: Option<String>,
    /// Title.
    pub title: String,
    /// Description.
    pub description: Option<String>,
    /// The grants.
    pub grants: Vec<Grant>,
}

/// Who sent an object, through what, when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provenance {
    /// The submitting user (None for imports and peers).
    pub user: Option<UserId>,
    /// The submitting organisation.
    pub org: Option<OrgId>,
    /// The peer node it came from, if any.
    pub peer: Option<String>,
    /// How it arrived: `taxii`, `import`, `demo`, `sync`.
    pub channel: String,
}

/// One object version to store.
#[derive(Debug, Clone)]
pub struct Ingest<'a> {
    /// The object's JSON exactly as received.
    pub raw: &'a str,
    /// The parsed object.
    pub object: &'a stix::Object,
}

/// A TAXII status resource to store with an ingest ([`Store::ingest_with_status`]).
pub struct StatusRecord<'a> {
    /// The status id.
    pub id: &'a str,
    /// The user who may read it.
    pub user: UserId,
    /// Writes the status JSON from the outcomes, one per object in order. It runs inside the
    /// write transaction: keep it to formatting.
    pub json: &'a dyn Fn(&[IngestOutcome]) -> Result<String, Error>,
}

impl std::fmt::Debug for StatusRecord<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatusRecord").field("id", &self.id).field("user", &self.user).finish()
    }
}

/// What happened to one object of an ingest batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IngestOutcome {
    /// Stored and added to the collection.
    Added,
    /// This version was already stored with identical content; now also in the collection.
    Unchanged,
    /// Refused, with the reason (safe to show to the submitter).
    Refused(String),
}

/// Which versions a query returns (TAXII `match[version]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionSelect {
    /// The earliest version in the collection.
    First,
    /// The latest version in the collection.
    Last,
    /// Every version.
    All,
    /// Versions at these instants (normalised version keys).
    At(Vec<String>),
}

/// A query over a collection's objects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// Only entries added after this many microseconds since the epoch (exclusive).
    pub after_micros: i64,
    /// At most this many entries.
    pub limit: usize,
    /// Only these object ids (empty: any).
    pub ids: Vec<String>,
    /// Only these types (empty: any).
    pub types: Vec<String>,
    /// Which versions; several selectors combine as "any of".
    pub versions: Vec<VersionSelect>,
    /// Only these spec versions (empty: any).
    pub spec_versions: Vec<String>,
}

/// A stored object version as a collection holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredVersion {
    /// The object's id.
    pub id: String,
    /// The version as the object writes it (`modified`, else `created`), or `date_added`.
    pub version: String,
    /// When it was added to the collection, microseconds since the epoch.
    pub date_added_micros: i64,
    /// The object's JSON as received.
    pub json: String,
    /// The object's type.
    pub object_type: String,
    /// `spec_version`.
    pub spec_version: String,
    /// The organisation that submitted this version, if known.
    pub source_org: Option<OrgId>,
    /// The object's `object_marking_refs`, as JSON text, if any.
    pub markings: Option<String>,
    /// The peer node it was pulled from, if it arrived by federation.
    pub source_peer: Option<String>,
    /// The user who submitted it, if it arrived through an account of this node.
    pub source_user: Option<UserId>,
}

/// One page of a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// The entries, by `date_added`.
    pub items: Vec<StoredVersion>,
    /// Whether more entries match after the last one.
    pub more: bool,
}

/// A store backend. Every method that writes returns only after the write is durable.
pub trait Store: Send + Sync {
    /// Adds an organisation.
    ///
    /// # Errors
    /// `AlreadyExists` when the name is taken.
    fn add_org(&self, name: &str, jurisdiction: &str, sectors: &[String]) -> Result<OrgId, Error>;
    /// An organisation by name.
    fn org_by_name(&self, name: &str) -> Result<Option<Org>, Error>;
    /// An organisation by id.
    fn org(&self, id: OrgId) -> Result<Option<Org>, Error>;
    /// Every organisation.
    fn orgs(&self) -> Result<Vec<Org>, Error>;
    /// Adds a user to an organisation.
    ///
    /// # Errors
    /// `AlreadyExists` when the name is taken.
    fn add_user(&self, name: &str, org: OrgId, is_admin: bool) -> Result<UserId, Error>;
    /// A user by name.
    fn user_by_name(&self, name: &str) -> Result<Option<User>, Error>;
    /// A user by id.
    fn user(&self, id: UserId) -> Result<Option<User>, Error>;
    /// Every user.
    fn users(&self) -> Result<Vec<User>, Error>;
    /// Stores a token's hash.
    fn add_token(
        &self,
        user: UserId,
        hash: &[u8; 32],
        label: &str,
        scope: TokenScope,
    ) -> Result<i64, Error>;
    /// The live (not revoked) token with this hash.
    fn token_by_hash(&self, hash: &[u8; 32]) -> Result<Option<Token>, Error>;
    /// Every token of a user (hashes are never returned).
    fn tokens(&self, user: UserId) -> Result<Vec<Token>, Error>;
    /// Revokes a token; effective for the next request.
    fn revoke_token(&self, id: i64) -> Result<(), Error>;
    /// Adds a collection.
    fn add_collection(
        &self,
        id: &str,
        alias: Option<&str>,
        title: &str,
        description: Option<&str>,
    ) -> Result<(), Error>;
    /// Sets (replaces) a grant on a collection.
    fn grant(&self, collection: &str, grant: Grant) -> Result<(), Error>;
    /// Withdraws a grant from a collection; effective for the next request.
    ///
    /// # Errors
    /// `NotFound` when the collection has no grant for `grantee`.
    fn revoke_grant(&self, collection: &str, grantee: Grantee) -> Result<(), Error>;
    /// Every collection with its grants.
    fn collections(&self) -> Result<Vec<CollectionInfo>, Error>;
    /// A collection by id or alias.
    fn collection(&self, id_or_alias: &str) -> Result<Option<CollectionInfo>, Error>;
    /// Stores object versions and adds them to `collection`, all in one durable transaction
    /// (which a backend may share with concurrent ingests: it returns `Ok` only after that
    /// transaction committed, and an error when any part of it failed). Refusals (conflicts,
    /// versioning rules) are per object and do not fail the batch.
    fn ingest(
        &self,
        collection: &str,
        objects: &[Ingest<'_>],
        provenance: &Provenance,
    ) -> Result<Vec<IngestOutcome>, Error> {
        self.ingest_with_status(collection, objects, provenance, None)
    }
    /// [`Store::ingest`], and the status resource that reports it, written from the outcomes in
    /// the same durable transaction: when this returns `Ok`, the objects and their status are
    /// both durable (one commit, one fsync); on an error neither is.
    fn ingest_with_status(
        &self,
        collection: &str,
        objects: &[Ingest<'_>],
        provenance: &Provenance,
        status: Option<&StatusRecord<'_>>,
    ) -> Result<Vec<IngestOutcome>, Error>;
    /// A page of a collection's entries matching `query`, by `date_added`.
    fn query(&self, collection: &str, query: &Query) -> Result<Page, Error>;
    /// Removes an object's versions selected by `query` (its `ids` name the object) from a
    /// collection; returns how many entries were removed.
    fn remove(&self, collection: &str, query: &Query) -> Result<usize, Error>;
    /// Erases every version of `object_id` from the store: collection entries, the versions'
    /// JSON and recorded conflicts, with the freed pages overwritten and the write-ahead log
    /// truncated, so the content is not left on disk. Returns how many versions were removed.
    fn purge(&self, object_id: &str) -> Result<usize, Error>;
    /// A status resource, if it exists and belongs to `user`.
    fn status(&self, id: &str, user: UserId) -> Result<Option<String>, Error>;
    /// A number that changes whenever organisations, users, tokens, collections, grants or the
    /// marking definitions held in collections change, whichever process changed them. One
    /// cheap read: callers that cache those tables check it on every request.
    fn directory_version(&self) -> Result<i64, Error>;
    /// A number that changes whenever an object version enters or leaves a collection (ingest,
    /// removal, purge), whichever process made the change. One cheap read.
    fn content_version(&self) -> Result<i64, Error>;
    /// Every version of every marking definition held in a collection, as JSON.
    fn marking_definitions(&self) -> Result<Vec<String>, Error>;
    /// A persistent node secret (created on first use), e.g. the key for pagination tokens.
    fn secret(&self, name: &str) -> Result<Vec<u8>, Error>;
    /// Atomically replaces the small state kept under `key` (e.g. a feed's last RPZ serial and
    /// content digest) with what `update` makes of the current one (`None` when there is none),
    /// and returns the new state. Concurrent updates of one key are serialised.
    ///
    /// # Errors
    /// Database failures (then nothing changed).
    fn update_state(
        &self,
        key: &str,
        update: &mut dyn FnMut(Option<&[u8]>) -> Vec<u8>,
    ) -> Result<Vec<u8>, Error>;
    /// Runs the backend's integrity check; returns its report (`ok` when healthy).
    fn integrity_check(&self) -> Result<String, Error>;
}

/// A version key that sorts by instant: `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ` (nanoseconds).
pub fn version_key(t: &Timestamp) -> String {
    let (secs, nanos) = t.unix();
    let text = t.as_str();
    // A parsed timestamp starts with its date and time as written; only a leap second (`:60`)
    // is written differently from the instant it stands for.
    let date_time = if text.get(17..19).is_some_and(|s| s != "60") {
        std::borrow::Cow::Borrowed(&text[..19])
    } else {
        let base = Timestamp::from_unix_millis(secs, 0);
        std::borrow::Cow::Owned(base.as_str()[..19].to_owned())
    };
    format!("{date_time}.{nanos:09}Z")
}

/// Microseconds since the epoch of a timestamp.
pub fn timestamp_to_micros(t: &Timestamp) -> i64 {
    let (secs, nanos) = t.unix();
    secs.saturating_mul(1_000_000).saturating_add(i64::from(nanos / 1000))
}

/// A TAXII timestamp with microsecond precision (as `date_added` is written).
pub fn micros_to_timestamp(micros: i64) -> String {
    let secs = micros.div_euclid(1_000_000);
    let frac = micros.rem_euclid(1_000_000);
    let base = Timestamp::from_unix_millis(secs, 0);
    format!("{}.{frac:06}Z", &base.as_str()[..19])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_keys_are_nanosecond_timestamps_ordered_by_instant() {
        let key = |s: &str| version_key(&s.parse().unwrap_or_else(|e| panic!("{e}")));
        assert_eq!(key("2024-01-02T03:04:05Z"), "2024-01-02T03:04:05.000000000Z");
        assert_eq!(key("2024-01-02T03:04:05.5Z"), "2024-01-02T03:04:05.500000000Z");
        assert_eq!(key("2024-01-02T03:04:05.123456789Z"), "2024-01-02T03:04:05.123456789Z");
        assert_eq!(key("2024-01-02T03:04:05.000000001Z"), "2024-01-02T03:04:05.000000001Z");
        // A leap second is the first second of the next minute.
        assert_eq!(key("2016-12-31T23:59:60Z"), "2017-01-01T00:00:00.000000000Z");
        assert_eq!(key("1969-12-31T23:59:59.999Z"), "1969-12-31T23:59:59.999000000Z");
    }
}
