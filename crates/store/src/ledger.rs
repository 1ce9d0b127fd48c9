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
//! 400 KB of WAL to record. An append that leaves enough entries unindexed wakes the ledger's
//! indexing thread, and a query by object first indexes whatever is left;
//! `ledger_meta.indexed_through` says how far the index goes. Enough is 16,384 entries or a
//! quarter of those indexed already, whichever is more, up to 65,536: a sorted batch rewrites
//! most of the index's pages once it has as many entries as the index has pages, so batches
//! that grow with the index keep the cost per entry lower (with fixed batches, a million-entry
//! ledger rewrote its whole index every 16,384 disclosures).
//!
//! The indexing thread reads a batch on a connection of its own (a WAL reader: it holds up no
//! append), sorts it by object id and inserts it in chunks of [`INDEX_CHUNK`] entries, each its
//! own short transaction under the ledger's lock, so that an append waits for at most one chunk
//! (when appends indexed their batch themselves, the append that did so paused every reader
//! recording a disclosure: GET p99 87-260 ms under load). The chunks follow the sort, so each
//! touches its own part of the index and the batch still writes each page about once. Entries
//! are inserted with `OR IGNORE` and `indexed_through` only grows, so a batch cut short (by a
//! crash, or raced by a query by object) is simply indexed again.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

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
    pub(crate) conn: Arc<Mutex<Connection>>,
    /// Checkpoints outside appends (see `wal.rs`).
    checkpointer: Arc<Checkpointer>,
    /// Indexes entries by object in the background.
    indexer: Indexer,
}

/// The ledger's indexing thread: woken by appends, stopped when the ledger is dropped.
struct Indexer {
    wake: Option<SyncSender<()>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    /// Whether a missing thread was reported (once is enough).
    reported: AtomicBool,
}

impl Indexer {
    fn start(path: &Path, conn: &Arc<Mutex<Connection>>, checkpointer: &Arc<Checkpointer>) -> Self {
        let (wake, woken) = mpsc::sync_channel(1);
        let stop = Arc::new(AtomicBool::new(false));
        let (path, conn, checkpointer, stopped) =
            (path.to_owned(), Arc::clone(conn), Arc::clone(checkpointer), Arc::clone(&stop));
        let thread = std::thread::Builder::new()
            .name("ledger-index".into())
            .spawn(move || index_when_woken(&path, &conn, &checkpointer, &woken, &stopped))
            .map_err(|e| tracing::warn!(error = %e, "No ledger indexing thread; queries by object will index."))
            .ok();
        Self { wake: Some(wake), stop, thread, reported: AtomicBool::new(false) }
    }

    /// Asks the thread to index what is not indexed yet (a no-op while it is already asked).
    fn wake(&self) {
        if let Some(wake) = &self.wake
            && let Err(TrySendError::Disconnected(())) = wake.try_send(())
            && !self.reported.swap(true, Ordering::Relaxed)
        {
            tracing::warn!("The ledger indexing thread is gone; queries by object will index.");
        }
    }
}

impl Drop for Indexer {
    fn drop(&mut self) {
        // Stops between chunks; what is left is indexed later (by the next run's thread or a
        // query by object).
        self.stop.store(true, Ordering::Relaxed);
        self.wake = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The indexing thread's loop: on each wake, indexes batches until nothing is left.
fn index_when_woken(
    path: &Path,
    conn: &Mutex<Connection>,
    checkpointer: &Checkpointer,
    woken: &Receiver<()>,
    stop: &AtomicBool,
) {
    let reader = match Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .and_then(|reader| reader.busy_timeout(BUSY_TIMEOUT).map(|()| reader))
    {
        Ok(reader) => reader,
        Err(e) => {
            tracing::warn!(error = %e, "The ledger indexing thread cannot read the ledger; queries by object will index.");
            return;
        }
    };
    while woken.recv().is_ok() {
        loop {
            match index_batch_in_chunks(&reader, conn, checkpointer, stop) {
                Ok(true) if !stop.load(Ordering::Relaxed) => {}
                Ok(_) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "Could not index ledger entries by object; a query by object will.");
                    break;
                }
            }
        }
        if stop.load(Ordering::Relaxed) {
            return;
        }
    }
}

/// Indexes the next entries if a batch of them is waiting (at least [`index_batch`]; up to four
/// batches at a time): read on `reader`, sorted by object, inserted in chunks of
/// [`INDEX_CHUNK`] under the ledger's lock. Returns whether it indexed and entries remain.
/// Fewer than a batch are left for later — an append made while a batch was being indexed
/// wakes the thread again, and indexing those few alone would undo what batching is for.
fn index_batch_in_chunks(
    reader: &Connection,
    conn: &Mutex<Connection>,
    checkpointer: &Checkpointer,
    stop: &AtomicBool,
) -> Result<bool, Error> {
    let (from, last): (i64, i64) = reader
        .prepare_cached(
            "SELECT (SELECT value FROM ledger_meta WHERE key = 'indexed_through'),
                    (SELECT COALESCE(MAX(seq), 0) FROM ledger)",
        )?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    if last - from < index_batch(from) {
        return Ok(false);
    }
    let through = last.min(from.saturating_add(4 * index_batch(from)));
    let rows = reader
        .prepare_cached(
            "SELECT object_id, seq FROM ledger WHERE seq > ?1 AND seq <= ?2 ORDER BY object_id, seq",
        )?
        .query_map(params![from, through], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    for chunk in rows.chunks(INDEX_CHUNK) {
        if stop.load(Ordering::Relaxed) {
            return Ok(true);
        }
        let mut conn = conn.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        checkpointer.before_write();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        insert_object_rows(&tx, chunk)?;
        tx.commit()?;
        drop(conn);
        checkpointer.after_write();
    }
    let conn = conn.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    conn.prepare_cached(
        "UPDATE ledger_meta SET value = MAX(value, ?1) WHERE key = 'indexed_through'",
    )?
    .execute([through])?;
    Ok(through < last)
}

/// `INSERT OR IGNORE` of `(object_id, seq)` rows into `ledger_objects`, many per statement.
fn insert_object_rows(tx: &rusqlite::Transaction<'_>, rows: &[(String, i64)]) -> Result<(), Error> {
    const PER_STATEMENT: usize = 64;
    let sql = |n: usize| {
        format!(
            "INSERT OR IGNORE INTO ledger_objects (object_id, seq) VALUES {}",
            vec!["(?, ?)"; n].join(", ")
        )
    };
    for group in rows.chunks(PER_STATEMENT) {
        let mut values: Vec<&dyn rusqlite::ToSql> = Vec::with_capacity(2 * group.len());
        for (object_id, seq) in group {
            values.extend_from_slice(&[object_id as &dyn rusqlite::ToSql, seq]);
        }
        tx.prepare_cached(&sql(group.len()))?.execute(values.as_slice())?;
    }
    Ok(())
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Ledger")
    }
}

/// The hash of the entry before the first.
const GENESIS: [u8; 32] = [0; 32];

/// Unindexed entries after which the indexing thread indexes them by object, at least (see the
/// module docs).
const INDEX_BATCH: i64 = 16_384;
/// At most this many: the batches grow with the index up to here (a batch is read into memory
/// whole, up to four at a time; its inserts are chunked either way).
const MAX_INDEX_BATCH: i64 = 4 * INDEX_BATCH;
/// Entries the indexing thread inserts per transaction: an append waits for at most one such
/// chunk.
const INDEX_CHUNK: usize = 2_048;

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
        let checkpointer = Arc::new(Checkpointer::open(&path, "NORMAL", APPENDS_PER_CHECKPOINT)?);
        let conn = Arc::new(Mutex::new(conn));
        let indexer = Indexer::start(&path, &conn, &checkpointer);
        Ok(Self { conn, checkpointer, indexer })
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
            // `OR IGNORE`: the indexing thread may have inserted part of the range already.
            tx.prepare_cached(
                "INSERT OR IGNORE INTO ledger_objects (object_id, seq)
                 SELECT object_id, seq FROM ledger WHERE seq > ?1 AND seq <= ?2 ORDER BY object_id, seq",
            )?
            .execute(params![from, through])?;
            tx.prepare_cached(
                "UPDATE ledger_meta SET value = MAX(value, ?1) WHERE key = 'indexed_through'",
            )?
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
        // Indexing them by object is bookkeeping that a query by object finishes anyway: it
        // is left to the indexing thread, off the caller's path.
        if let Ok((seq, indexed)) = result
            && seq - indexed >= index_batch(indexed)
        {
            self.indexer.wake();
        }
        result.map(|_| ())
    }

    /// Appends in one transaction; returns the last entry's `seq` and how far entries are
    /// indexed by object.
    fn append_locked(
        conn: &mut Connection,
        mut disclosures: impl Iterator<Item = Disclosure>,
        at_micros: i64,
    ) -> Result<(i64, i64), Error> {
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
        Ok((seq, indexed))
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

/// Unindexed entries after which the indexing thread indexes them, when `indexed` entries are
/// indexed (see the module docs).
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

    fn indexed_through(ledger: &Ledger) -> i64 {
        let conn = ledger.conn.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        conn.query_row("SELECT value FROM ledger_meta WHERE key = 'indexed_through'", [], |r| {
            r.get(0)
        })
        .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Waits (up to a minute) until the indexing thread, woken by appends, has caught up with
    /// `total` entries: fewer than a batch left unindexed, as it leaves them.
    fn wait_until_caught_up(ledger: &Ledger, total: i64) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while total - indexed_through(ledger) >= index_batch(indexed_through(ledger)) {
            assert!(std::time::Instant::now() < deadline, "not caught up with {total} in a minute");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    /// `(object_id, seq)` pairs, sorted.
    type Pairs = Vec<(String, i64)>;

    /// `(object_id, seq)` of every entry, and of the object index.
    fn entries_and_index(ledger: &Ledger) -> (Pairs, Pairs) {
        let conn = ledger.conn.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let all = |sql: &str| -> Pairs {
            let mut stmt = conn.prepare(sql).unwrap_or_else(|e| panic!("{e}"));
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .and_then(Iterator::collect)
                .unwrap_or_else(|e| panic!("{e}"))
        };
        (
            all("SELECT object_id, seq FROM ledger ORDER BY object_id, seq"),
            all("SELECT object_id, seq FROM ledger_objects ORDER BY object_id, seq"),
        )
    }

    #[test]
    fn appends_wake_the_indexing_thread_which_indexes_in_batches_also_after_an_interrupted_one() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let ledger = Ledger::open(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        let append_pages = |ledger: &Ledger, pages: std::ops::Range<usize>| {
            for page in pages {
                let batch: Vec<Disclosure> =
                    (0..500).map(|i| disclosure((page * 500 + i) % 7919)).collect();
                ledger.append(&batch, 1).unwrap_or_else(|e| panic!("{e}"));
            }
        };
        // The index holds exactly the entries up to `indexed_through`.
        let indexed_exactly = |ledger: &Ledger| {
            let through = indexed_through(ledger);
            let (entries, index) = entries_and_index(ledger);
            let expected: Pairs = entries.into_iter().filter(|(_, seq)| *seq <= through).collect();
            assert_eq!(index, expected);
            through
        };
        // Past two batches: the appends wake the thread, which indexes.
        let batch = usize::try_from(INDEX_BATCH).unwrap_or(0);
        let pages = 2 * batch / 500 + 1;
        append_pages(&ledger, 0..pages);
        wait_until_caught_up(&ledger, i64::try_from(pages * 500).unwrap_or(0));
        let first = indexed_exactly(&ledger);
        assert!(first > 0);
        // A batch cut short, as by a crash between two chunks: a third of the entries after
        // `indexed_through` are in the index already. The next ledger's thread, woken by the
        // appends of another batch, indexes the rest of them around those.
        let everything = |ledger: &Ledger| {
            let filter = LedgerFilter { object_id: Some("x".into()), ..LedgerFilter::default() };
            ledger.entries(&filter).unwrap_or_else(|e| panic!("{e}"));
        };
        everything(&ledger);
        let first = indexed_exactly(&ledger);
        drop(ledger);
        let ledger = Ledger::open(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        append_pages(&ledger, pages..pages + 2);
        let pages = pages + 2;
        {
            let conn = ledger.conn.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let cut = conn
                .execute(
                    "INSERT INTO ledger_objects (object_id, seq) SELECT object_id, seq FROM ledger WHERE seq > ?1 AND seq % 3 = 0",
                    [first],
                )
                .unwrap_or_else(|e| panic!("{e}"));
            assert!(cut > 0);
        }
        let more = pages + batch / 500 + 2;
        append_pages(&ledger, pages..more);
        let total = i64::try_from(more * 500).unwrap_or(0);
        wait_until_caught_up(&ledger, total);
        assert!(indexed_exactly(&ledger) >= i64::try_from(pages * 500).unwrap_or(0));
        // A query by object indexes the rest itself.
        everything(&ledger);
        assert_eq!(indexed_exactly(&ledger), total);
        assert_eq!(ledger.verify().unwrap_or_else(|e| panic!("{e}")), more * 500);
    }

    #[test]
    fn fewer_than_a_batch_are_left_for_later() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let ledger = Ledger::open(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        let reader = Connection::open_with_flags(
            dir.path().join("ledger.db"),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let stop = AtomicBool::new(false);
        let step = |ledger: &Ledger| {
            index_batch_in_chunks(&reader, &ledger.conn, &ledger.checkpointer, &stop)
                .unwrap_or_else(|e| panic!("{e}"))
        };
        let append = |ledger: &Ledger, entries: std::ops::Range<usize>| {
            let batch: Vec<Disclosure> = entries.map(disclosure).collect();
            ledger.append(&batch, 1).unwrap_or_else(|e| panic!("{e}"));
        };
        let below = usize::try_from(INDEX_BATCH).unwrap_or(0) - 1;
        append(&ledger, 0..below);
        assert!(!step(&ledger), "less than a batch: nothing to do");
        assert_eq!(indexed_through(&ledger), 0);
        assert!(entries_and_index(&ledger).1.is_empty());
        append(&ledger, below..below + 2);
        assert!(!step(&ledger), "one step indexes up to four batches");
        let total = i64::try_from(below + 2).unwrap_or(0);
        assert_eq!(indexed_through(&ledger), total);
        let (entries, index) = entries_and_index(&ledger);
        assert_eq!(index, entries);
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
        // The indexing thread catches up (leaving less than a batch), a query by object
        // indexes the rest; three more pages stay below the next batch, so the latest entries
        // are not indexed.
        let appended = i64::try_from(pages * 100).unwrap_or(0);
        wait_until_caught_up(&ledger, appended);
        ledger
            .entries(&LedgerFilter { object_id: Some("x".into()), ..LedgerFilter::default() })
            .unwrap_or_else(|e| panic!("{e}"));
        for page in pages..pages + 3 {
            let batch: Vec<Disclosure> =
                (0..100).map(|i| disclosure((page * 100 + i) % 250)).collect();
            ledger
                .append(&batch, i64::try_from(page).unwrap_or(0))
                .unwrap_or_else(|e| panic!("{e}"));
        }
        let pages = pages + 3;
        let total = i64::try_from(pages * 100).unwrap_or(0);
        assert_eq!(indexed_through(&ledger), appended, "the latest entries are not indexed");
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
