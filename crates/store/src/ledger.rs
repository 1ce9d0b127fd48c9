//! The disclosure ledger (SECURITY.md rule 7): every object version that leaves the node, to
//! whom, through which channel, under which rule, with which transform, and when. Append-only
//! and hash-chained — each entry's hash covers the previous entry's hash — so that changing,
//! removing or reordering entries is detected by [`Ledger::verify`].
//!
//! The ledger lives in its own SQLite file (`ledger.db`) so that recording reads never waits for
//! the object store's writer. It uses WAL with `synchronous=NORMAL`: a process crash loses
//! nothing; a power cut may lose the last entries, never corrupt the chain.
//!
//! Finding an object's disclosures goes through `ledger_objects` (object id → entry), which is
//! filled in bulk rather than with every append: object ids are random, so an index on them
//! made each recorded disclosure dirty its own page of the file, and a 100-object page cost
//! 400 KB of WAL to record. An append that leaves enough entries unindexed indexes them in one
//! transaction (sorted, so entries of the same object share pages), and a query by object first
//! indexes whatever is left; `ledger_meta.indexed_through` says how far the index goes. Enough
//! is 16,384 entries or a quarter of those indexed already, whichever is more, up to 65,536: a
//! sorted batch rewrites most of the index's pages once it has as many entries as the index has
//! pages, so batches that grow with the index keep the cost per entry lower (with fixed
//! batches, a million-entry ledger rewrote its whole index every 16,384 disclosures); the cap
//! bounds the pause of the append that indexes (uncapped, GET p99 went from ~50 ms to 160-830 ms
//! under load; capped, 87-260 ms, and a 1M sync still takes 28.5 s — BENCHMARKS.md).

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{Connection, TransactionBehavior, params};
use sha2::{Digest, Sha256};

use crate::Error;
use crate::wal::{BUSY_TIMEOUT, Checkpointer};

/// One disclosure to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disclosure {
    /// Who received it: `user:NAME`, `peer:NAME`, `export:FILE`, `feed:TOKEN-ID`.
    pub recipient: String,
    /// The recipient's organisation, if known.
    pub org: Option<String>,
    /// The object's id.
    pub object_id: String,
    /// The version disclosed.
    pub version: String,
    /// How it left: `taxii`, `sync`, `push`, `export`, `feed`.
    pub channel: String,
    /// The policy rule that allowed it.
    pub rule: String,
    /// The transform applied (redactions), if any.
    pub transform: Option<String>,
}

/// A recorded disclosure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEntry {
    /// Position in the ledger (1, 2, …).
    pub seq: i64,
    /// When, microseconds since the epoch.
    pub at_micros: i64,
    /// What was disclosed.
    pub disclosure: Disclosure,
    /// The chained hash, hex.
    pub hash: String,
}

/// Which entries to show.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LedgerFilter {
    /// Only this recipient (exact) or organisation.
    pub recipient: Option<String>,
    /// Only this object id.
    pub object_id: Option<String>,
    /// At most this many (newest last).
    pub limit: usize,
}

/// The ledger.
pub struct Ledger {
    pub(crate) conn: Mutex<Connection>,
    /// Checkpoints outside appends (see `wal.rs`).
    checkpointer: Checkpointer,
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Ledger")
    }
}

/// The hash of the entry before the first.
const GENESIS: [u8; 32] = [0; 32];

/// Unindexed entries after which an append indexes them by object, at least (see the module
/// docs).
const INDEX_BATCH: i64 = 16_384;
/// At most this many: the append that indexes a batch pauses every caller of the ledger for
/// as long as it takes (about proportional to the batch), and that pause is a tail latency of
/// every read that records a disclosure meanwhile.
const MAX_INDEX_BATCH: i64 = 4 * INDEX_BATCH;

impl Ledger {
    /// Opens (creating if needed) `ledger.db` in `data_dir`.
    ///
    /// # Errors
    /// When the file cannot be opened or created.
    pub fn open(data_dir: &Path) -> Result<Self, Error> {
        std::fs::create_dir_all(data_dir).map_err(|e| Error::Internal(Box::new(e)))?;
        let path = data_dir.join("ledger.db");
        let conn = Connection::open(&path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS ledger (
                seq INTEGER PRIMARY KEY,
                at INTEGER NOT NULL,
                recipient TEXT NOT NULL,
                org TEXT,
                object_id TEXT NOT NULL,
                version TEXT NOT NULL,
                channel TEXT NOT NULL,
                rule TEXT NOT NULL,
                transform TEXT,
                hash BLOB NOT NULL
            );
            CREATE INDEX IF NOT EXISTS ledger_recipient ON ledger(recipient);
            CREATE INDEX IF NOT EXISTS ledger_org ON ledger(org);
            CREATE TRIGGER IF NOT EXISTS ledger_no_update BEFORE UPDATE ON ledger
                BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
            CREATE TRIGGER IF NOT EXISTS ledger_no_delete BEFORE DELETE ON ledger
                BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
            CREATE TABLE IF NOT EXISTS ledger_objects (
                object_id TEXT NOT NULL,
                seq INTEGER NOT NULL,
                PRIMARY KEY (object_id, seq)
            ) WITHOUT ROWID;
            CREATE TRIGGER IF NOT EXISTS ledger_objects_no_update BEFORE UPDATE ON ledger_objects
                BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
            CREATE TRIGGER IF NOT EXISTS ledger_objects_no_delete BEFORE DELETE ON ledger_objects
                BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
            CREATE TABLE IF NOT EXISTS ledger_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
            INSERT OR IGNORE INTO ledger_meta (key, value) VALUES ('indexed_through', 0);
            -- Ledgers written before ledger_objects indexed every entry as it was appended.
            DROP INDEX IF EXISTS ledger_object;",
        )?;
        conn.execute_batch(crate::stewardship::SCHEMA)?;
        let checkpointer = Checkpointer::open(&path, "NORMAL", APPENDS_PER_CHECKPOINT)?;
        Ok(Self { conn: Mutex::new(conn), checkpointer })
    }

    /// Indexes every entry not yet in `ledger_objects` (before a query by object).
    pub(crate) fn index_all_objects(conn: &mut Connection) -> Result<(), Error> {
        while Self::index_objects(conn, 16 * INDEX_BATCH)? {}
        Ok(())
    }

    /// Indexes up to `max` entries not yet in `ledger_objects`, in one transaction; returns
    /// whether entries remain unindexed.
    fn index_objects(conn: &mut Connection, max: i64) -> Result<bool, Error> {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let (from, last): (i64, i64) = tx
            .prepare_cached(
                "SELECT (SELECT value FROM ledger_meta WHERE key = 'indexed_through'),
                        (SELECT COALESCE(MAX(seq), 0) FROM ledger)",
            )?
            .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        let through = last.min(from.saturating_add(max));
        if through > from {
            tx.prepare_cached(
                "INSERT INTO ledger_objects (object_id, seq)
                 SELECT object_id, seq FROM ledger WHERE seq > ?1 AND seq <= ?2 ORDER BY object_id, seq",
            )?
            .execute(params![from, through])?;
            tx.prepare_cached("UPDATE ledger_meta SET value = ?1 WHERE key = 'indexed_through'")?
                .execute([through])?;
        }
        tx.commit()?;
        Ok(through < last)
    }

    /// Appends disclosures, in order, in one transaction.
    ///
    /// # Errors
    /// Database failures (the caller must then not disclose).
    pub fn append(&self, disclosures: &[Disclosure], at_micros: i64) -> Result<(), Error> {
        self.append_all(disclosures.iter().cloned(), at_micros)
    }

    /// Appends disclosures, in order, in one transaction, as an iterator makes them (a large
    /// export records each object without holding a million `Disclosure`s first).
    ///
    /// # Errors
    /// Database failures (the caller must then not disclose).
    pub fn append_all(
        &self,
        disclosures: impl IntoIterator<Item = Disclosure>,
        at_micros: i64,
    ) -> Result<(), Error> {
        let mut disclosures = disclosures.into_iter().peekable();
        if disclosures.peek().is_none() {
            return Ok(());
        }
        let result = {
            let mut conn = self.conn.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            self.checkpointer.before_write();
            Self::append_locked(&mut conn, disclosures, at_micros)
        };
        self.checkpointer.after_write();
        result
    }

    fn append_locked(
        conn: &mut Connection,
        mut disclosures: impl Iterator<Item = Disclosure>,
        at_micros: i64,
    ) -> Result<(), Error> {
        // IMMEDIATE: another process (an export from the command line) may append too; the
        // write lock is taken before the chain's last entry is read.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let (mut seq, mut prev): (i64, Vec<u8>) = tx
            .prepare_cached("SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1")?
            .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
            .or_else(|e| {
                if matches!(e, rusqlite::Error::QueryReturnedNoRows) {
                    Ok((0, GENESIS.to_vec()))
                } else {
                    Err(e)
                }
            })?;
        // Several rows per INSERT: one statement step per row cost more than the rows. The
        // disclosures are taken from the iterator a chunk at a time.
        let (many, one) = (insert_sql(ROWS_PER_INSERT), insert_sql(1));
        let mut chunk: Vec<(i64, Disclosure, [u8; 32])> = Vec::with_capacity(ROWS_PER_INSERT);
        loop {
            chunk.clear();
            for d in disclosures.by_ref().take(ROWS_PER_INSERT) {
                seq += 1;
                let hash = chain(&prev, seq, at_micros, &d);
                prev = hash.to_vec();
                chunk.push((seq, d, hash));
            }
            if chunk.len() < ROWS_PER_INSERT {
                for (seq, d, hash) in &chunk {
                    tx.prepare_cached(&one)?.execute(params![
                        seq,
                        at_micros,
                        d.recipient,
                        d.org,
                        d.object_id,
                        d.version,
                        d.channel,
                        d.rule,
                        d.transform,
                        &hash[..]
                    ])?;
                }
                break;
            }
            let mut insert = tx.prepare_cached(&many)?;
            let mut values: Vec<&dyn rusqlite::ToSql> = Vec::with_capacity(chunk.len() * 10);
            for (seq, d, hash) in &chunk {
                values.extend_from_slice(&[
                    seq as &dyn rusqlite::ToSql,
                    &at_micros,
                    &d.recipient,
                    &d.org,
                    &d.object_id,
                    &d.version,
                    &d.channel,
                    &d.rule,
                    &d.transform,
                    hash,
                ]);
            }
            insert.execute(values.as_slice())?;
        }
        let indexed: i64 = tx
            .prepare_cached("SELECT value FROM ledger_meta WHERE key = 'indexed_through'")?
            .query_row([], |r| r.get(0))?;
        tx.commit()?;
        // The disclosures are recorded; indexing them by object is bookkeeping that a query by
        // object finishes anyway, so a failure here is logged, not returned.
        let batch = index_batch(indexed);
        if seq - indexed >= batch
            && let Err(e) = Self::index_objects(conn, 4 * batch)
        {
            tracing::warn!(error = %e, "Could not index ledger entries by object; a query by object will.");
        }
        Ok(())
    }

    /// Entries matching `filter`, oldest first.
    ///
    /// # Errors
    /// Database failures.
    pub fn entries(&self, filter: &LedgerFilter) -> Result<Vec<LedgerEntry>, Error> {
        let mut conn = self.conn.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if filter.object_id.is_some() {
            Self::index_all_objects(&mut conn)?;
        }
        let mut sql = String::from(
            "SELECT seq, at, recipient, org, object_id, version, channel, rule, transform, hash FROM ledger WHERE 1=1",
        );
        let mut args: Vec<String> = Vec::new();
        if let Some(r) = &filter.recipient {
            sql.push_str(" AND (recipient = ? OR org = ?)");
            args.push(r.clone());
            args.push(r.clone());
        }
        if let Some(o) = &filter.object_id {
            sql.push_str(" AND seq IN (SELECT seq FROM ledger_objects WHERE object_id = ?)");
            args.push(o.clone());
        }
        let limit = if filter.limit == 0 {
            i64::MAX
        } else {
            i64::try_from(filter.limit).unwrap_or(i64::MAX)
        };
        sql.push_str(&format!(" ORDER BY seq DESC LIMIT {limit}"));
        let mut stmt = conn.prepare(&sql)?;
        let mut rows = stmt
            .query_map(rusqlite::params_from_iter(args.iter()), |r| {
                let hash: Vec<u8> = r.get(9)?;
                Ok(LedgerEntry {
                    seq: r.get(0)?,
                    at_micros: r.get(1)?,
                    disclosure: Disclosure {
                        recipient: r.get(2)?,
                        org: r.get(3)?,
                        object_id: r.get(4)?,
                        version: r.get(5)?,
                        channel: r.get(6)?,
                        rule: r.get(7)?,
                        transform: r.get(8)?,
                    },
                    hash: hex(&hash),
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        rows.reverse();
        Ok(rows)
    }

    /// Recomputes the chain; returns the number of entries, or the first entry that does not
    /// match (edited, removed or reordered entries).
    ///
    /// # Errors
    /// `Invalid` naming the first bad entry; database failures.
    pub fn verify(&self) -> Result<usize, Error> {
        let conn = self.conn.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut stmt =
            conn.prepare("SELECT seq, at, recipient, org, object_id, version, channel, rule, transform, hash FROM ledger ORDER BY seq")?;
        let mut rows = stmt.query([])?;
        let mut prev = GENESIS.to_vec();
        let mut expected_seq = 1;
        let mut count = 0;
        while let Some(r) = rows.next()? {
            let seq: i64 = r.get(0)?;
            let d = Disclosure {
                recipient: r.get(2)?,
                org: r.get(3)?,
                object_id: r.get(4)?,
                version: r.get(5)?,
                channel: r.get(6)?,
                rule: r.get(7)?,
                transform: r.get(8)?,
            };
            let stored: Vec<u8> = r.get(9)?;
            if seq != expected_seq {
                return Err(Error::Invalid(format!(
                    "ledger entry {expected_seq} is missing (next is {seq})"
                )));
            }
            let hash = chain(&prev, seq, r.get(1)?, &d);
            if hash[..] != stored[..] {
                return Err(Error::Invalid(format!(
                    "ledger entry {seq} does not match its hash: it was altered"
                )));
            }
            prev = stored;
            expected_seq += 1;
            count += 1;
        }
        Ok(count)
    }
}

/// Unindexed entries after which an append indexes them, when `indexed` entries are indexed
/// (see the module docs).
fn index_batch(indexed: i64) -> i64 {
    INDEX_BATCH.max(indexed / 4).min(MAX_INDEX_BATCH)
}

/// Appends per WAL checkpoint (an append writes a few pages, mostly the same tail pages as the
/// previous one).
const APPENDS_PER_CHECKPOINT: u32 = 32;

/// Rows per multi-row INSERT in `append`.
const ROWS_PER_INSERT: usize = 32;

/// `INSERT INTO ledger … VALUES (…), (…)` for `rows` rows.
fn insert_sql(rows: usize) -> String {
    let row = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    format!(
        "INSERT INTO ledger (seq, at, recipient, org, object_id, version, channel, rule, transform, hash) VALUES {}",
        vec![row; rows].join(", ")
    )
}

fn chain(prev: &[u8], seq: i64, at: i64, d: &Disclosure) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(prev);
    h.update(seq.to_be_bytes());
    h.update(at.to_be_bytes());
    for field in [
        d.recipient.as_str(),
        d.org.as_deref().unwrap_or(""),
        &d.object_id,
        &d.version,
        &d.channel,
        &d.rule,
        d.transform.as_deref().unwrap_or(""),
    ] {
        // Length-prefixed, so field boundaries cannot be shifted.
        h.update((field.len() as u64).to_be_bytes());
        h.update(field.as_bytes());
    }
    h.finalize().into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn disclosure(n: usize) -> Disclosure {
        Disclosure {
            recipient: format!("user:analyst{n}"),
            org: Some("de-cert".into()),
            object_id: format!("indicator--{n}"),
            version: "2024-01-01T00:00:00.000Z".into(),
            channel: "taxii".into(),
            rule: "tlp:green community".into(),
            transform: None,
        }
    }

    #[test]
    fn chain_verifies_and_detects_tampering() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let ledger = Ledger::open(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        ledger
            .append(&(0..5).map(disclosure).collect::<Vec<_>>(), 1)
            .unwrap_or_else(|e| panic!("{e}"));
        ledger.append(&[disclosure(9)], 2).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ledger.verify().unwrap_or_else(|e| panic!("{e}")), 6);
        let shown = ledger.entries(&LedgerFilter {
            object_id: Some("indicator--3".into()),
            ..LedgerFilter::default()
        });
        assert_eq!(shown.unwrap_or_default().len(), 1);
        drop(ledger);
        // Tamper behind the node's back: drop the guard triggers, edit an entry.
        let raw = Connection::open(dir.path().join("ledger.db")).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            raw.execute("UPDATE ledger SET recipient = 'user:someone-else' WHERE seq = 3", [])
                .is_err(),
            "updates are refused"
        );
        raw.execute_batch("DROP TRIGGER ledger_no_update; UPDATE ledger SET recipient = 'user:someone-else' WHERE seq = 3;")
            .unwrap_or_else(|e| panic!("{e}"));
        drop(raw);
        let ledger = Ledger::open(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        let err = ledger.verify().unwrap_err().to_string();
        assert!(err.contains("entry 3"), "{err}");
    }

    #[test]
    fn queries_by_object_see_indexed_and_recent_entries() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let ledger = Ledger::open(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        // Pages of 100 disclosures of objects 0..250, past one indexing batch and then some.
        let pages = usize::try_from(INDEX_BATCH).unwrap_or(0) / 100 + 3;
        for page in 0..pages {
            let batch: Vec<Disclosure> =
                (0..100).map(|i| disclosure((page * 100 + i) % 250)).collect();
            ledger
                .append(&batch, i64::try_from(page).unwrap_or(0))
                .unwrap_or_else(|e| panic!("{e}"));
        }
        let conn = ledger.conn.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let indexed: i64 = conn
            .query_row("SELECT value FROM ledger_meta WHERE key = 'indexed_through'", [], |r| {
                r.get(0)
            })
            .unwrap_or_else(|e| panic!("{e}"));
        drop(conn);
        let total = i64::try_from(pages * 100).unwrap_or(0);
        assert!(indexed > 0 && indexed < total, "some entries indexed, the latest not: {indexed}");
        let filter = |limit| LedgerFilter {
            object_id: Some("indicator--7".into()),
            limit,
            ..LedgerFilter::default()
        };
        let found = ledger.entries(&filter(0)).unwrap_or_else(|e| panic!("{e}"));
        let expected: Vec<i64> = (1..=total).filter(|seq| (seq - 1) % 250 == 7).collect();
        assert_eq!(found.iter().map(|e| e.seq).collect::<Vec<_>>(), expected);
        assert!(found.iter().all(|e| e.disclosure.object_id == "indicator--7"));
        let newest = ledger.entries(&filter(2)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            newest.iter().map(|e| e.seq).collect::<Vec<_>>(),
            expected[expected.len() - 2..]
        );
        // The object index is append-only like the ledger.
        let conn = ledger.conn.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        assert!(conn.execute("DELETE FROM ledger_objects", []).is_err());
        drop(conn);
        assert_eq!(ledger.verify().unwrap_or_else(|e| panic!("{e}")), pages * 100);
    }
}
