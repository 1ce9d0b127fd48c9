//! What the disclosure ledger keeps beside the disclosures themselves: the review queue (object
//! versions held back because personal-data detection was unsure, waiting for a person) and
//! erasures (objects removed from the node, and to which partners the erasure was sent).
//!
//! Both live in `ledger.db` because both are about disclosure: a review decides whether a
//! version may leave at all, and an erasure is addressed to exactly the partners the ledger says
//! received the object. Reviews and erasure notices are mutable records (a verdict, an outcome);
//! the hash chain covers the `ledger` table only, and every erasure notice that is sent is also
//! appended to the chain (channel `erasure`).

use std::collections::HashSet;

use rusqlite::{OptionalExtension, params};

use crate::{Error, Ledger};

pub(crate) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS reviews (
    id INTEGER PRIMARY KEY,
    object_id TEXT NOT NULL,
    version TEXT NOT NULL,
    recipient TEXT NOT NULL,
    org TEXT,
    reason TEXT NOT NULL,
    queued_at INTEGER NOT NULL,
    hits INTEGER NOT NULL DEFAULT 1,
    verdict TEXT,
    decided_by TEXT,
    decided_at INTEGER,
    UNIQUE (object_id, version)
);
CREATE TABLE IF NOT EXISTS erasures (
    object_id TEXT PRIMARY KEY,
    at INTEGER NOT NULL,
    reason TEXT NOT NULL,
    requested_by TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS erasure_notices (
    object_id TEXT NOT NULL REFERENCES erasures(object_id),
    peer TEXT NOT NULL,
    at INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    PRIMARY KEY (object_id, peer)
);
";

/// An object version the policy held back for a person to look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewRequest {
    /// The object's id.
    pub object_id: String,
    /// The version held back.
    pub version: String,
    /// Who would have received it (`user:NAME`, `peer:NAME`).
    pub recipient: String,
    /// The recipient's organisation.
    pub org: Option<String>,
    /// What the detector was unsure about (`possible person name in `description``).
    pub reason: String,
}

/// A person's verdict on a review.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The uncertain findings are not personal data: the version may be shared (certain
    /// findings are still minimised as each agreement says).
    Approved,
    /// The version must not leave this node for recipients that minimise personal data.
    Rejected,
}

impl Verdict {
    fn as_str(self) -> &'static str {
        match self {
            Verdict::Approved => "approved",
            Verdict::Rejected => "rejected",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "approved" => Some(Verdict::Approved),
            "rejected" => Some(Verdict::Rejected),
            _ => None,
        }
    }
}

/// A queued review and its state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    /// The review's number, for `approve`/`reject`.
    pub id: i64,
    /// What was held back, first seen for whom, and why.
    pub request: ReviewRequest,
    /// When it was first queued, microseconds since the epoch.
    pub queued_at: i64,
    /// How many times a disclosure was held back on it.
    pub hits: i64,
    /// The verdict, once given: who gave it and when.
    pub verdict: Option<(Verdict, String, i64)>,
}

/// An erased object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Erasure {
    /// The object's id.
    pub object_id: String,
    /// When, microseconds since the epoch.
    pub at: i64,
    /// Why (e.g. a data-subject request).
    pub reason: String,
    /// Who asked: `admin:NAME`, `org:NAME` (the source deleted it), `peer:NAME`.
    pub requested_by: String,
}

impl Ledger {
    /// Queues reviews; a version already queued counts one more hit and keeps its verdict.
    ///
    /// # Errors
    /// Database failures.
    pub fn queue_reviews(&self, requests: &[ReviewRequest], at_micros: i64) -> Result<(), Error> {
        if requests.is_empty() {
            return Ok(());
        }
        let mut conn = self.conn.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let tx = conn.transaction()?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO reviews (object_id, version, recipient, org, reason, queued_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (object_id, version) DO UPDATE SET hits = hits + 1",
            )?;
            for r in requests {
                insert.execute(params![
                    r.object_id,
                    r.version,
                    r.recipient,
                    r.org,
                    r.reason,
                    at_micros
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Reviews, oldest first: only those waiting for a verdict when `pending_only`.
    ///
    /// # Errors
    /// Database failures.
    pub fn reviews(&self, pending_only: bool) -> Result<Vec<Review>, Error> {
        let conn = self.conn.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let sql = format!(
            "SELECT id, object_id, version, recipient, org, reason, queued_at, hits, verdict, decided_by, decided_at
             FROM reviews {} ORDER BY id",
            if pending_only { "WHERE verdict IS NULL" } else { "" }
        );
        let mut stmt = conn.prepare(&sql)?;
        let rows = stmt.query_map([], review_row)?.collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Records a person's verdict on review `id`.
    ///
    /// # Errors
    /// `NotFound` for an unknown review, `Invalid` when it already has a verdict (naming who
    /// gave it), database failures.
    pub fn decide_review(
        &self,
        id: i64,
        verdict: Verdict,
        by: &str,
        at_micros: i64,
    ) -> Result<Review, Error> {
        let conn = self.conn.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let current = conn
            .query_row(
                "SELECT id, object_id, version, recipient, org, reason, queued_at, hits, verdict, decided_by, decided_at
                 FROM reviews WHERE id = ?1",
                [id],
                review_row,
            )
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("review {id}")))?;
        if let Some((v, who, _)) = &current.verdict {
            return Err(Error::Invalid(format!("review {id} was already {} by {who}", v.as_str())));
        }
        conn.execute(
            "UPDATE reviews SET verdict = ?2, decided_by = ?3, decided_at = ?4 WHERE id = ?1",
            params![id, verdict.as_str(), by, at_micros],
        )?;
        Ok(Review { verdict: Some((verdict, by.to_owned(), at_micros)), ..current })
    }

    /// Whether a person approved this object version.
    ///
    /// # Errors
    /// Database failures.
    pub fn is_approved(&self, object_id: &str, version: &str) -> Result<bool, Error> {
        let conn = self.conn.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut stmt = conn.prepare_cached(
            "SELECT 1 FROM reviews WHERE object_id = ?1 AND version = ?2 AND verdict = 'approved'",
        )?;
        Ok(stmt.exists([object_id, version])?)
    }

    /// A value that changes whenever a person decides a review (approves or rejects, again or
    /// for the first time): what an approval lets out depends on it.
    ///
    /// # Errors
    /// Database failures.
    pub fn review_version(&self) -> Result<(i64, i64), Error> {
        let conn = self.conn.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut stmt = conn.prepare_cached(
            "SELECT COUNT(decided_at), COALESCE(SUM(decided_at), 0) FROM reviews WHERE decided_at IS NOT NULL",
        )?;
        Ok(stmt.query_row([], |r| Ok((r.get(0)?, r.get(1)?)))?)
    }

    /// Records that `object_id` was erased from this node. Returns false when it already was
    /// (the first record stays).
    ///
    /// # Errors
    /// Database failures.
    pub fn record_erasure(
        &self,
        object_id: &str,
        reason: &str,
        requested_by: &str,
        at_micros: i64,
    ) -> Result<bool, Error> {
        let conn = self.conn.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let added = conn.execute(
            "INSERT OR IGNORE INTO erasures (object_id, at, reason, requested_by) VALUES (?1, ?2, ?3, ?4)",
            params![object_id, at_micros, reason, requested_by],
        )?;
        Ok(added == 1)
    }

    /// Every erasure, oldest first.
    ///
    /// # Errors
    /// Database failures.
    pub fn erasures(&self) -> Result<Vec<Erasure>, Error> {
        let conn = self.conn.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut stmt = conn.prepare(
            "SELECT object_id, at, reason, requested_by FROM erasures ORDER BY at, object_id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(Erasure {
                object_id: r.get(0)?,
                at: r.get(1)?,
                reason: r.get(2)?,
                requested_by: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Which of `ids` were erased.
    ///
    /// # Errors
    /// Database failures.
    pub fn erased_among<'a>(
        &self,
        ids: impl IntoIterator<Item = &'a str>,
    ) -> Result<HashSet<String>, Error> {
        let mut conn = self.conn.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // Every ingest asks, mostly about many ids and with nothing erased: one read
        // transaction, and no look-up at all while nothing is erased.
        let tx = conn.transaction()?;
        let mut out = HashSet::new();
        if tx.prepare_cached("SELECT 1 FROM erasures LIMIT 1")?.exists([])? {
            let mut stmt = tx.prepare_cached("SELECT 1 FROM erasures WHERE object_id = ?1")?;
            for id in ids {
                if stmt.exists([id])? {
                    out.insert(id.to_owned());
                }
            }
        }
        tx.finish()?;
        Ok(out)
    }

    /// The recipients (`recipient`, organisation) the ledger says received any version of
    /// `object_id`, through any channel.
    ///
    /// # Errors
    /// Database failures.
    pub fn recipients_of(&self, object_id: &str) -> Result<Vec<(String, Option<String>)>, Error> {
        let mut conn = self.conn.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        Self::index_all_objects(&mut conn)?;
        let mut stmt = conn.prepare_cached(
            "SELECT DISTINCT recipient, org FROM ledger
             WHERE seq IN (SELECT seq FROM ledger_objects WHERE object_id = ?1) AND channel != 'erasure'
             ORDER BY recipient",
        )?;
        let rows = stmt.query_map([object_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The outcome of the erasure notice for `object_id` sent to `peer`, if one was delivered.
    ///
    /// # Errors
    /// Database failures.
    pub fn erasure_notice(&self, object_id: &str, peer: &str) -> Result<Option<String>, Error> {
        let conn = self.conn.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        Ok(conn
            .query_row(
                "SELECT outcome FROM erasure_notices WHERE object_id = ?1 AND peer = ?2",
                [object_id, peer],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Records that the erasure of `object_id` reached `peer` with `outcome`.
    ///
    /// # Errors
    /// Database failures.
    pub fn record_erasure_notice(
        &self,
        object_id: &str,
        peer: &str,
        outcome: &str,
        at_micros: i64,
    ) -> Result<(), Error> {
        let conn = self.conn.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        conn.execute(
            "INSERT OR REPLACE INTO erasure_notices (object_id, peer, at, outcome) VALUES (?1, ?2, ?3, ?4)",
            params![object_id, peer, at_micros, outcome],
        )?;
        Ok(())
    }
}

fn review_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Review> {
    let verdict: Option<String> = r.get(8)?;
    let verdict = match verdict.as_deref().and_then(Verdict::parse) {
        Some(v) => Some((v, r.get::<_, Option<String>>(9)?.unwrap_or_default(), r.get(10)?)),
        None => None,
    };
    Ok(Review {
        id: r.get(0)?,
        request: ReviewRequest {
            object_id: r.get(1)?,
            version: r.get(2)?,
            recipient: r.get(3)?,
            org: r.get(4)?,
            reason: r.get(5)?,
        },
        queued_at: r.get(6)?,
        hits: r.get(7)?,
        verdict,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(n: u32) -> ReviewRequest {
        ReviewRequest {
            object_id: format!("note--{n}"),
            version: "2026-01-01T00:00:00.000Z".into(),
            recipient: "peer:de-cert".into(),
            org: Some("de-cert".into()),
            reason: "possible person name in `content`".into(),
        }
    }

    #[test]
    fn reviews_queue_once_and_keep_their_verdict() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let ledger = Ledger::open(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        ledger.queue_reviews(&[request(1), request(2)], 10).unwrap_or_else(|e| panic!("{e}"));
        ledger.queue_reviews(&[request(1)], 20).unwrap_or_else(|e| panic!("{e}"));
        let pending = ledger.reviews(true).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(pending.len(), 2);
        assert_eq!((pending[0].hits, pending[0].queued_at), (2, 10));
        let first = pending[0].id;
        let version = || ledger.review_version().unwrap_or_else(|e| panic!("{e}"));
        let undecided = version();
        ledger
            .decide_review(first, Verdict::Approved, "admin", 30)
            .unwrap_or_else(|e| panic!("{e}"));
        let decided = version();
        assert_ne!(decided, undecided, "a verdict changes the review version");
        let again = ledger.decide_review(first, Verdict::Rejected, "other", 40).unwrap_err();
        assert_eq!(again.to_string(), format!("review {first} was already approved by admin"));
        assert!(matches!(
            ledger.decide_review(999, Verdict::Approved, "admin", 40),
            Err(Error::NotFound(_))
        ));
        // A version queued again after its verdict keeps the verdict.
        ledger.queue_reviews(&[request(1)], 50).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ledger.reviews(true).unwrap_or_default().len(), 1);
        assert_eq!(version(), decided, "queueing changes nothing that is let out");
        assert!(ledger.is_approved("note--1", "2026-01-01T00:00:00.000Z").unwrap_or_default());
        assert!(!ledger.is_approved("note--2", "2026-01-01T00:00:00.000Z").unwrap_or(true));

        drop(ledger);
        // Verdicts survive a restart.
        let ledger = Ledger::open(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        assert!(ledger.is_approved("note--1", "2026-01-01T00:00:00.000Z").unwrap_or_default());
        assert_eq!(ledger.verify().unwrap_or_else(|e| panic!("{e}")), 0);
    }

    #[test]
    fn erasures_are_recorded_once() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let ledger = Ledger::open(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        assert!(ledger.record_erasure("note--1", "subject request", "admin:admin", 5).unwrap());
        assert!(!ledger.record_erasure("note--1", "again", "org:x", 6).unwrap());
        let erased = ledger.erased_among(["note--1", "note--2"]).unwrap_or_default();
        assert_eq!(erased, HashSet::from(["note--1".to_owned()]));
        assert_eq!(ledger.erasures().unwrap_or_default()[0].reason, "subject request");
        assert_eq!(ledger.erasure_notice("note--1", "de").unwrap(), None);
        ledger.record_erasure_notice("note--1", "de", "deleted", 7).unwrap();
        assert_eq!(ledger.erasure_notice("note--1", "de").unwrap().as_deref(), Some("deleted"));
    }

    #[test]
    fn recipients_of_an_object_include_disclosures_not_yet_indexed() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let ledger = Ledger::open(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        let disclosure = |recipient: &str, object_id: &str, channel: &str| crate::Disclosure {
            recipient: recipient.into(),
            org: Some("de-cert".into()),
            object_id: object_id.into(),
            version: "2024-01-01T00:00:00.000Z".into(),
            channel: channel.into(),
            rule: "shared".into(),
            transform: None,
        };
        ledger
            .append(
                &[
                    disclosure("user:a", "note--1", "taxii"),
                    disclosure("peer:b", "note--1", "push"),
                    disclosure("peer:c", "note--2", "push"),
                    disclosure("peer:d", "note--1", "erasure"),
                ],
                1,
            )
            .unwrap_or_else(|e| panic!("{e}"));
        // Far fewer than a bulk-indexing batch: the look-up indexes what it needs first.
        let recipients = ledger.recipients_of("note--1").unwrap_or_else(|e| panic!("{e}"));
        let names: Vec<&str> = recipients.iter().map(|(r, _)| r.as_str()).collect();
        assert_eq!(names, ["peer:b", "user:a"]);
        ledger
            .append(&[disclosure("user:e", "note--1", "taxii")], 2)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ledger.recipients_of("note--1").unwrap_or_default().len(), 3);
    }
}
