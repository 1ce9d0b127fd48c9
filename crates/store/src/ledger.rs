//! The disclosure ledger (SECURITY.md rule 7): every object version that leaves the node, to
//! whom, through which channel, under which rule, with which transform, and when. Append-only
//! and hash-chained — each entry's hash covers the previous entry's hash — so that changing,
//! removing or reordering entries is detected by [`Ledger::verify`].
//!
//! The ledger lives in its own SQLite file (`ledger.db`) so that recording reads never waits for
//! the object store's writer. It uses WAL with `synchronous=NORMAL`: a process crash loses
//! nothing; a power cut may lose the last entries, never corrupt the chain.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{Connection, params};
use sha2::{Digest, Sha256};

use crate::Error;

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
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Ledger")
    }
}

/// The hash of the entry before the first.
const GENESIS: [u8; 32] = [0; 32];

impl Ledger {
    /// Opens (creating if needed) `ledger.db` in `data_dir`.
    ///
    /// # Errors
    /// When the file cannot be opened or created.
    pub fn open(data_dir: &Path) -> Result<Self, Error> {
        std::fs::create_dir_all(data_dir).map_err(|e| Error::Internal(Box::new(e)))?;
        let conn = Connection::open(data_dir.join("ledger.db"))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
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
            CREATE INDEX IF NOT EXISTS ledger_object ON ledger(object_id);
            CREATE INDEX IF NOT EXISTS ledger_recipient ON ledger(recipient);
            CREATE INDEX IF NOT EXISTS ledger_org ON ledger(org);
            CREATE TRIGGER IF NOT EXISTS ledger_no_update BEFORE UPDATE ON ledger
                BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
            CREATE TRIGGER IF NOT EXISTS ledger_no_delete BEFORE DELETE ON ledger
                BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;",
        )?;
        conn.execute_batch(crate::stewardship::SCHEMA)?;
        Ok(Self { conn: Mutex::new(conn) })
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
        let mut conn = self.conn.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let tx = conn.transaction()?;
        let (mut seq, mut prev): (i64, Vec<u8>) = tx
            .query_row("SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .or_else(|e| {
                if matches!(e, rusqlite::Error::QueryReturnedNoRows) {
                    Ok((0, GENESIS.to_vec()))
                } else {
                    Err(e)
                }
            })?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO ledger (seq, at, recipient, org, object_id, version, channel, rule, transform, hash)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?;
            for d in disclosures {
                seq += 1;
                let hash = chain(&prev, seq, at_micros, &d);
                insert.execute(params![
                    seq,
                    at_micros,
                    &d.recipient,
                    &d.org,
                    &d.object_id,
                    &d.version,
                    &d.channel,
                    &d.rule,
                    &d.transform,
                    &hash[..]
                ])?;
                prev = hash.to_vec();
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Entries matching `filter`, oldest first.
    ///
    /// # Errors
    /// Database failures.
    pub fn entries(&self, filter: &LedgerFilter) -> Result<Vec<LedgerEntry>, Error> {
        let conn = self.conn.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
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
            sql.push_str(" AND object_id = ?");
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
}
