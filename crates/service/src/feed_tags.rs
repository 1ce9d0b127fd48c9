//! Entity tags of feeds already written, so that a poller whose `If-None-Match` still matches
//! gets its 304 without the feed being written again (at a million indicators that took tens of
//! seconds of CPU per poll).
//!
//! A tag is kept per caller (user) and request (collection, format, parameters) with the
//! [`FeedInputs`] read *before* the feed was written: the store's directory version (grants,
//! organisations, users, tokens, statement markings) and content version (every object version
//! entering or leaving a collection), the ledger's review verdicts, and the recipient's partner
//! agreement; and with the first moment at which the export changes with the clock alone (an
//! indicator's `valid_until` passes, the agreement comes into or goes out of force). A kept tag
//! answers only while all of that is unchanged and that moment has not come; anything else
//! writes the feed again. The worst a missed input could do is answer 304 to a caller whose
//! content changed: a kept tag never sends content, so it cannot disclose anything. The caller
//! is authenticated before a kept tag is consulted; a withdrawn grant, or a collection that no
//! longer exists, changes the directory version.

use std::collections::HashMap;
use std::hash::{Hash as _, Hasher as _};
use std::sync::Mutex;

use sha2::{Digest as _, Sha256};

use crate::export::{ExportRequest, PreparedExport, Recipient};
use crate::{Error, Node, Principal};

/// Tags kept at most; when full, the cache starts over (pollers then pay one full write each).
const MAX_TAGS: usize = 4096;
/// File tags kept per directory feed at most (a MISP feed has a file per event): above this,
/// its files are not kept and each revalidation writes the feed again. Together with
/// `MAX_TAGS` this bounds the cache's memory whatever parameters callers vary.
const MAX_FILES: usize = 256;

/// What a feed's bytes depend on besides its request and the clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FeedInputs {
    directory: i64,
    content: i64,
    reviews: (i64, i64),
    recipient: u64,
}

/// The tags of one feed as last written for one caller.
#[derive(Debug)]
struct Kept {
    inputs: FeedInputs,
    changes_at: Option<stix::Timestamp>,
    /// The whole feed's digest (single-file feeds).
    digest: Option<String>,
    /// Each file's digest, for directory feeds (a MISP feed).
    files: HashMap<String, String>,
}

/// The kept tags, by caller and request.
#[derive(Debug, Default)]
pub(crate) struct FeedTags {
    kept: Mutex<HashMap<(store::UserId, String), Kept>>,
}

/// What a feed request gets from [`Node::prepare_feed`].
#[derive(Debug)]
pub enum Feed {
    /// The caller holds the current feed: this is its tag (digest), kept from when the feed was
    /// last written for the caller. Nothing was written, nothing is disclosed.
    Current(String),
    /// The feed as written now; nothing leaves until [`Node::release`].
    Written(Box<PreparedExport>),
}

impl Node {
    /// The feed `request` (made by [`ExportRequest::for_feed`]) for `caller` — its file `file`,
    /// for a directory feed. When `holds` says the caller holds the tag kept from the last time
    /// this feed was written for it, and nothing the feed depends on has changed since, the
    /// feed is not written again ([`Feed::Current`]); otherwise it is written, and its tags
    /// kept for next time.
    ///
    /// # Errors
    /// As [`Node::prepare_export`].
    pub fn prepare_feed(
        &self,
        caller: &Principal,
        request: &ExportRequest,
        file: Option<&str>,
        holds: Option<&dyn Fn(&str) -> bool>,
    ) -> Result<Feed, Error> {
        // Settings first, as for every export: a bad one is refused alike, kept tag or not.
        crate::export::check_settings(request)?;
        let recipient = self.recipient(caller, request.partner.as_deref())?;
        // Read before the feed is written: a change while it is written makes the next
        // request write it again rather than trust tags of a feed that missed it.
        let inputs = self.feed_inputs(&recipient)?;
        let key = (caller.user.id, request.feed.clone().unwrap_or_default());
        if let Some(holds) = holds
            && let Some(digest) = self.kept_feed_tag(&key, &inputs, file, &request.now)
            && holds(&digest)
        {
            return Ok(Feed::Current(digest));
        }
        let export = self.prepare_export_for(&recipient, request)?;
        self.keep_feed_tag(key, inputs, &export);
        Ok(Feed::Written(Box::new(export)))
    }

    /// The inputs of a feed for `recipient` as of now.
    fn feed_inputs(&self, recipient: &Recipient) -> Result<FeedInputs, Error> {
        let directory = self.store.directory_version()?;
        let content = self.store.content_version()?;
        let reviews = self.ledger.review_version()?;
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        recipient.name.hash(&mut hasher);
        if let Some((peer, org, _)) = &recipient.partner {
            // The agreement's text, not the peer record (which holds the peer's token).
            (&peer.name, &peer.org, org.id, &peer.agreement).hash(&mut hasher);
        }
        Ok(FeedInputs { directory, content, reviews, recipient: hasher.finish() })
    }

    /// The tag (digest) of the feed under `key` — of its file `file`, for a directory feed — as
    /// last written, if `inputs` are still those it was written from and `now` is before it
    /// changes with the clock.
    fn kept_feed_tag(
        &self,
        key: &(store::UserId, String),
        inputs: &FeedInputs,
        file: Option<&str>,
        now: &stix::Timestamp,
    ) -> Option<String> {
        let kept = self.feed_tags.kept.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let entry = kept.get(key)?;
        if entry.inputs != *inputs || entry.changes_at.as_ref().is_some_and(|at| now >= at) {
            return None;
        }
        match file {
            None => entry.digest.clone(),
            Some(file) => entry.files.get(file).cloned(),
        }
    }

    /// Keeps the tags of `export`, written from `inputs`, under `key`.
    fn keep_feed_tag(
        &self,
        key: (store::UserId, String),
        inputs: FeedInputs,
        export: &PreparedExport,
    ) {
        // A directory feed is served a file at a time: its files' tags are kept, not the whole
        // feed's (which no request asks for).
        let (digest, files) = match export.file_count() {
            0 | 1 => (Some(export.digest().to_owned()), HashMap::new()),
            n if n <= MAX_FILES => {
                (None, export.file_digests().map(|(n, d)| (n.to_owned(), d.to_owned())).collect())
            }
            _ => (None, HashMap::new()),
        };
        let entry = Kept { inputs, changes_at: export.changes_at.clone(), digest, files };
        let mut kept =
            self.feed_tags.kept.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if kept.len() >= MAX_TAGS {
            kept.clear();
        }
        kept.insert(key, entry);
    }
}

/// The lower-case hex SHA-256 of `bytes`.
pub(crate) fn hex_digest(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// `bytes` in lower-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(2 * bytes.len()), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}
