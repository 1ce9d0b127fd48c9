//! The SQLite backend: one writer connection (transactions are short and durable: WAL with
//! `synchronous=FULL`), a small pool of reader connections, and versioned migrations.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{
    Connection, OpenFlags, OptionalExtension, TransactionBehavior, params, params_from_iter,
};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::model::{
    CollectionInfo, Grant, Grantee, Ingest, IngestOutcome, Options, Org, OrgId, Page, Provenance,
    Query, StatusRecord, Store, StoredVersion, Token, TokenScope, User, UserId, VersionSelect,
    version_key,
};
use crate::wal::{BUSY_TIMEOUT, Checkpointer};
use crate::{Error, micros_to_timestamp};

/// Schema migrations, applied in order; `PRAGMA user_version` records how many ran.
const MIGRATIONS: &[&str] = &[
    r"
CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE orgs (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    jurisdiction TEXT NOT NULL,
    sectors TEXT NOT NULL DEFAULT ''
);
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    is_admin INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE tokens (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    hash BLOB NOT NULL UNIQUE,
    label TEXT NOT NULL,
    scope TEXT NOT NULL,
    created TEXT NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE collections (
    id TEXT PRIMARY KEY,
    alias TEXT UNIQUE,
    title TEXT NOT NULL,
    description TEXT
);
CREATE TABLE grants (
    collection_id TEXT NOT NULL REFERENCES collections(id),
    grantee_kind TEXT NOT NULL,
    grantee_id INTEGER NOT NULL,
    can_read INTEGER NOT NULL,
    can_write INTEGER NOT NULL,
    PRIMARY KEY (collection_id, grantee_kind, grantee_id)
);
CREATE TABLE objects (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
    version TEXT NOT NULL,
    version_key TEXT NOT NULL,
    type TEXT NOT NULL,
    spec_version TEXT NOT NULL,
    created TEXT,
    creator TEXT,
    revoked INTEGER NOT NULL,
    markings TEXT,
    hash BLOB NOT NULL,
    json TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    source_user INTEGER,
    source_org INTEGER,
    source_peer TEXT,
    channel TEXT NOT NULL,
    UNIQUE (id, version_key)
);
CREATE INDEX objects_type ON objects(type);
CREATE INDEX objects_creator ON objects(creator);
CREATE TABLE collection_objects (
    collection_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    object_rowid INTEGER NOT NULL REFERENCES objects(rowid),
    object_id TEXT NOT NULL,
    type TEXT NOT NULL,
    version_key TEXT NOT NULL,
    spec_version TEXT NOT NULL,
    is_first INTEGER NOT NULL,
    is_last INTEGER NOT NULL,
    PRIMARY KEY (collection_id, seq)
) WITHOUT ROWID;
CREATE UNIQUE INDEX collection_members ON collection_objects(collection_id, object_rowid);
CREATE INDEX collection_ids ON collection_objects(collection_id, object_id, version_key);
CREATE INDEX collection_last ON collection_objects(collection_id, is_last, seq);
CREATE TABLE conflicts (
    id INTEGER PRIMARY KEY,
    object_id TEXT NOT NULL,
    version TEXT NOT NULL,
    reason TEXT NOT NULL,
    json TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    source_user INTEGER,
    source_org INTEGER
);
CREATE TABLE statuses (id TEXT PRIMARY KEY, user_id INTEGER NOT NULL, json TEXT NOT NULL);
",
    r"
-- Version 2: entries are found by object id through `objects` (its UNIQUE (id, version_key)
-- index) and `collection_members`. A second index keyed by random object ids made every ingested
-- object dirty one more random page, which dominated the WAL written per POST.
DROP INDEX collection_ids;
",
    r"
-- Version 3: the directory version. Every change to what authentication and the sharing decision
-- read bumps it, whichever process makes the change (the admin CLI works on the same file as the
-- server): triggers for organisations, users, tokens, collections and grants; for marking
-- definitions entering or leaving a collection, `ingest` and `remove` (a row trigger on
-- collection_objects cost ingest about 5 % of its time). The server caches those tables and
-- checks this one row per request instead of reading them all again.
CREATE TABLE directory_version (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL);
INSERT INTO directory_version (id, version) VALUES (1, 0);
CREATE TRIGGER orgs_added AFTER INSERT ON orgs BEGIN UPDATE directory_version SET version = version + 1; END;
CREATE TRIGGER orgs_changed AFTER UPDATE ON orgs BEGIN UPDATE directory_version SET version = version + 1; END;
CREATE TRIGGER orgs_removed AFTER DELETE ON orgs BEGIN UPDATE directory_version SET version = version + 1; END;
CREATE TRIGGER users_added AFTER INSERT ON users BEGIN UPDATE directory_version SET version = version + 1; END;
CREATE TRIGGER users_changed AFTER UPDATE ON users BEGIN UPDATE directory_version SET version = version + 1; END;
CREATE TRIGGER users_removed AFTER DELETE ON users BEGIN UPDATE directory_version SET version = version + 1; END;
CREATE TRIGGER tokens_added AFTER INSERT ON tokens BEGIN UPDATE directory_version SET version = version + 1; END;
CREATE TRIGGER tokens_changed AFTER UPDATE ON tokens BEGIN UPDATE directory_version SET version = version + 1; END;
CREATE TRIGGER tokens_removed AFTER DELETE ON tokens BEGIN UPDATE directory_version SET version = version + 1; END;
CREATE TRIGGER collections_added AFTER INSERT ON collections BEGIN UPDATE directory_version SET version = version + 1; END;
CREATE TRIGGER collections_changed AFTER UPDATE ON collections BEGIN UPDATE directory_version SET version = version + 1; END;
CREATE TRIGGER collections_removed AFTER DELETE ON collections BEGIN UPDATE directory_version SET version = version + 1; END;
CREATE TRIGGER grants_added AFTER INSERT ON grants BEGIN UPDATE directory_version SET version = version + 1; END;
CREATE TRIGGER grants_changed AFTER UPDATE ON grants BEGIN UPDATE directory_version SET version = version + 1; END;
CREATE TRIGGER grants_removed AFTER DELETE ON grants BEGIN UPDATE directory_version SET version = version + 1; END;
",
    r"
-- Version 4: the content version. `ingest` (when it added a version), `remove` and `purge` bump
-- it in their transaction, whichever process runs them; a feed whose directory and content
-- versions have not moved still has the bytes it had (see service::feed_tags).
CREATE TABLE content_version (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL);
INSERT INTO content_version (id, version) VALUES (1, 0);
",
];

/// Page cache of the writer connection, in KiB: large enough that ingest seldom reads pages of
/// the indexes back from the file.
const WRITER_CACHE_KIB: i64 = 128 * 1024;
/// Page cache of each reader connection, in KiB.
const READER_CACHE_KIB: i64 = 32 * 1024;
/// The SQLite store. Checkpoints run outside commits (see `wal.rs`).
pub struct SqliteStore {
    writer: Mutex<Writer>,
    checkpointer: Checkpointer,
    /// Ingests waiting for the writer (an ingest that sees others coming leaves its
    /// transaction open for them).
    ingest_waiters: AtomicUsize,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
}

struct Writer {
    conn: Connection,
    /// The last `seq` handed out per collection, so `date_added` strictly increases.
    last_seq: HashMap<String, i64>,
    /// The ingest transaction left open for concurrent ingests to join (group commit).
    group: Option<Group>,
}

/// Concurrent ingests sharing one transaction (see `ingest_with_status`).
#[derive(Default)]
struct Group {
    /// Ingests that did their work in the transaction and wait for its commit.
    waiting: Vec<Arc<Member>>,
    /// Ingests in the transaction so far.
    batches: usize,
    /// Objects in the transaction so far.
    objects: usize,
    /// The `seq` high-water marks to keep once the transaction commits.
    last_seq: HashMap<String, i64>,
}

/// An ingest waiting for its group's commit.
#[derive(Default)]
struct Member {
    outcome: Mutex<Option<Result<(), String>>>,
    done: Condvar,
}

impl Member {
    fn finish(&self, outcome: Result<(), String>) {
        *self.outcome.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(outcome);
        self.done.notify_all();
    }

    fn wait(&self) -> Result<(), String> {
        let mut outcome = self.outcome.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        loop {
            if let Some(outcome) = outcome.take() {
                return outcome;
            }
            outcome = self.done.wait(outcome).unwrap_or_else(std::sync::PoisonError::into_inner);
        }
    }
}

/// A group commit closes when no other ingest waits to join, or at this many ingests…
const GROUP_MAX_BATCHES: usize = 16;
/// …or this many objects.
const GROUP_MAX_OBJECTS: usize = 16_000;

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").field("readers", &self.readers.len()).finish()
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the store in `options.data_dir`, applying migrations.
    ///
    /// # Errors
    /// When the directory or database cannot be created or opened, or a migration fails.
    pub fn open(options: &Options) -> Result<Self, Error> {
        std::fs::create_dir_all(&options.data_dir).map_err(|e| Error::Internal(Box::new(e)))?;
        let path = options.data_dir.join("meridian.db");
        let conn = Connection::open(&path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.pragma_update(None, "cache_size", -WRITER_CACHE_KIB)?;
        conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        migrate(&conn)?;
        let checkpointer = Checkpointer::open(&path, "FULL", 1)?;
        let mut readers = Vec::new();
        for _ in 0..options.readers.max(1) {
            let reader = Connection::open_with_flags(
                &path,
                OpenFlags::SQLITE_OPEN_READ_ONLY
                    | OpenFlags::SQLITE_OPEN_NO_MUTEX
                    | OpenFlags::SQLITE_OPEN_URI,
            )?;
            reader.busy_timeout(BUSY_TIMEOUT)?;
            reader.pragma_update(None, "cache_size", -READER_CACHE_KIB)?;
            readers.push(Mutex::new(reader));
        }
        Ok(Self {
            writer: Mutex::new(Writer { conn, last_seq: HashMap::new(), group: None }),
            checkpointer,
            ingest_waiters: AtomicUsize::new(0),
            readers,
            next_reader: AtomicUsize::new(0),
        })
    }

    fn write<R>(&self, f: impl FnOnce(&mut Writer) -> Result<R, Error>) -> Result<R, Error> {
        let result = {
            let mut guard = self.lock_writer();
            // Ingests waiting in an open group commit first; their outcome is theirs.
            if let Err(e) = close_group(&mut guard, true) {
                tracing::warn!(error = %e, "A group of ingests failed to commit.");
            }
            self.checkpointer.before_write();
            f(&mut guard)
        };
        self.checkpointer.after_write();
        result
    }

    /// The writer. A poisoned lock means a panic mid-write: a transaction it left open is
    /// rolled back (and the ingests waiting in it are told), so the connection is consistent.
    fn lock_writer(&self) -> MutexGuard<'_, Writer> {
        match self.writer.lock() {
            Ok(guard) => guard,
            Err(poisoned) => {
                let mut guard = poisoned.into_inner();
                self.writer.clear_poison();
                if let Err(e) = close_group(&mut guard, false) {
                    tracing::warn!(error = %e, "Rolling back after a panic failed.");
                }
                guard
            }
        }
    }

    fn read<R>(&self, f: impl FnOnce(&Connection) -> Result<R, Error>) -> Result<R, Error> {
        let n = self.readers.len();
        let start = self.next_reader.fetch_add(1, Ordering::Relaxed) % n;
        for i in 0..n {
            if let Ok(conn) = self.readers[(start + i) % n].try_lock() {
                return f(&conn);
            }
        }
        let conn = self.readers[start].lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&conn)
    }
}

fn migrate(conn: &Connection) -> Result<(), Error> {
    let done: usize = conn
        .pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))?
        .try_into()
        .unwrap_or(0);
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(done) {
        let tx = conn.unchecked_transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i64::try_from(i + 1).unwrap_or(i64::MAX))?;
        tx.commit()?;
        tracing::info!(version = i + 1, "Applied store migration.");
    }
    Ok(())
}

/// Ends the open group transaction, if any: commits it (the durability point: with
/// synchronous=FULL, COMMIT returns after fsync) or rolls it back, and tells the ingests
/// waiting in it. A failed commit is rolled back and fails every ingest in the group.
fn close_group(w: &mut Writer, commit: bool) -> Result<(), Error> {
    let Some(group) = w.group.take() else { return Ok(()) };
    let result = if commit {
        w.conn.execute_batch("COMMIT").inspect_err(|_| {
            // Whatever SQLite left of the transaction goes.
            let _ = w.conn.execute_batch("ROLLBACK");
        })
    } else {
        w.conn.execute_batch("ROLLBACK")
    };
    let shared = match (&result, commit) {
        (Ok(()), true) => {
            for (collection, last) in group.last_seq {
                w.last_seq.insert(collection, last);
            }
            Ok(())
        }
        (Ok(()), false) => Err("another ingest in the same transaction failed".to_owned()),
        (Err(e), _) => Err(format!("the shared transaction failed: {e}")),
    };
    for member in &group.waiting {
        member.finish(shared.clone());
    }
    Ok(result?)
}

/// One ingest's statements inside the open transaction: every object, the directory version
/// when marking definitions entered the collection, and the status. Returns the outcomes and
/// the collection's last `seq`.
fn ingest_batch(
    conn: &Connection,
    committed_seq: &HashMap<String, i64>,
    collection: &str,
    prepared: &[Prepared<'_>],
    provenance: &Provenance,
    status: Option<&StatusRecord<'_>>,
) -> Result<(Vec<IngestOutcome>, i64), Error> {
    let received = now_micros();
    let stored: i64 = conn
        .prepare_cached(
            "SELECT COALESCE(MAX(seq), 0) FROM collection_objects WHERE collection_id = ?1",
        )?
        .query_row([collection], |r| r.get(0))?;
    // The highest `seq` this process handed out may be above the stored one after a removal;
    // never go back below it.
    let mut last = stored.max(committed_seq.get(collection).copied().unwrap_or(0));
    // Every new collection entry takes the next `seq`, also for a version stored before.
    let first_free = last;
    let mut outcomes = Vec::with_capacity(prepared.len());
    let mut markings_added = false;
    {
        let mut statements = IngestStatements::new(conn)?;
        for item in prepared {
            let outcome = ingest_one(
                conn,
                &mut statements,
                collection,
                item,
                provenance,
                received,
                &mut last,
            )?;
            markings_added |= item.object_type == MARKING_DEFINITION
                && !matches!(outcome, IngestOutcome::Refused(_));
            outcomes.push(outcome);
        }
    }
    if markings_added {
        bump_directory_version(conn)?;
    }
    if last > first_free {
        bump_content_version(conn)?;
    }
    if let Some(status) = status {
        let json = (status.json)(&outcomes)?;
        conn.prepare_cached(
            "INSERT OR REPLACE INTO statuses (id, user_id, json) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![status.id, status.user, json])?;
    }
    Ok((outcomes, last))
}

fn now_micros() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

/// One row of a query through the connection's statement cache (readers answer the same few
/// queries on every request; parsing them each time cost more than running them).
fn cached_row<T, P: rusqlite::Params>(
    c: &Connection,
    sql: &str,
    params: P,
    f: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    c.prepare_cached(sql)?.query_row(params, f)
}

fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(err, _) if err.code == rusqlite::ErrorCode::ConstraintViolation)
}

fn org_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Org> {
    let sectors: String = r.get(3)?;
    Ok(Org {
        id: r.get(0)?,
        name: r.get(1)?,
        jurisdiction: r.get(2)?,
        sectors: sectors.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect(),
    })
}

fn user_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<User> {
    Ok(User { id: r.get(0)?, name: r.get(1)?, org: r.get(2)?, is_admin: r.get(3)? })
}

/// A collection from `SELECT id, alias, title, description`, without its grants.
fn collection_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<CollectionInfo> {
    Ok(CollectionInfo {
        id: r.get(0)?,
        alias: r.get(1)?,
        title: r.get(2)?,
        description: r.get(3)?,
        grants: Vec::new(),
    })
}

fn token_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Token> {
    let scope: String = r.get(3)?;
    Ok(Token {
        id: r.get(0)?,
        user: r.get(1)?,
        label: r.get(2)?,
        scope: TokenScope::parse(&scope).unwrap_or(TokenScope::Read),
        revoked: r.get(4)?,
    })
}

/// The type whose entries in collections the sharing rules read (statement markings).
const MARKING_DEFINITION: &str = "marking-definition";

/// Tells caches of the directory (see migration 3) that it changed.
fn bump_directory_version(tx: &Connection) -> Result<(), Error> {
    tx.prepare_cached("UPDATE directory_version SET version = version + 1")?.execute([])?;
    Ok(())
}

/// Tells caches of what collections hold (see migration 4) that it changed.
fn bump_content_version(tx: &Connection) -> Result<(), Error> {
    tx.prepare_cached("UPDATE content_version SET version = version + 1")?.execute([])?;
    Ok(())
}

/// The canonical content hash of an object: SHA-256 of its JSON with sorted keys, so the same
/// object sent with other whitespace or key order is recognised as the same. `buffer` is
/// scratch space, reused across a batch (the serializer writes in many small pieces, which
/// cost more fed to the hash one by one than buffered).
fn content_hash(object: &stix::Object, buffer: &mut Vec<u8>) -> Result<[u8; 32], Error> {
    buffer.clear();
    serde_json::to_writer(&mut *buffer, object.as_map())?;
    Ok(Sha256::digest(buffer.as_slice()).into())
}

impl Store for SqliteStore {
    fn add_org(&self, name: &str, jurisdiction: &str, sectors: &[String]) -> Result<OrgId, Error> {
        if name.trim().is_empty() {
            return Err(Error::Invalid("an organisation needs a name".into()));
        }
        self.write(|w| {
            match w.conn.execute(
                "INSERT INTO orgs (name, jurisdiction, sectors) VALUES (?1, ?2, ?3)",
                params![name, jurisdiction, sectors.join(",")],
            ) {
                Ok(_) => Ok(w.conn.last_insert_rowid()),
                Err(e) if is_unique_violation(&e) => {
                    Err(Error::AlreadyExists(format!("organisation `{name}`")))
                }
                Err(e) => Err(e.into()),
            }
        })
    }

    fn org_by_name(&self, name: &str) -> Result<Option<Org>, Error> {
        self.read(|c| {
            Ok(cached_row(
                c,
                "SELECT id, name, jurisdiction, sectors FROM orgs WHERE name = ?1",
                [name],
                org_row,
            )
            .optional()?)
        })
    }

    fn org(&self, id: OrgId) -> Result<Option<Org>, Error> {
        self.read(|c| {
            Ok(cached_row(
                c,
                "SELECT id, name, jurisdiction, sectors FROM orgs WHERE id = ?1",
                [id],
                org_row,
            )
            .optional()?)
        })
    }

    fn orgs(&self) -> Result<Vec<Org>, Error> {
        self.read(|c| {
            let mut stmt =
                c.prepare_cached("SELECT id, name, jurisdiction, sectors FROM orgs ORDER BY name")?;
            let rows = stmt.query_map([], org_row)?.collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    fn add_user(&self, name: &str, org: OrgId, is_admin: bool) -> Result<UserId, Error> {
        if name.trim().is_empty() || name.contains(':') {
            return Err(Error::Invalid("a user name must be non-empty and contain no `:`".into()));
        }
        self.write(|w| {
            match w.conn.execute(
                "INSERT INTO users (name, org_id, is_admin) VALUES (?1, ?2, ?3)",
                params![name, org, is_admin],
            ) {
                Ok(_) => Ok(w.conn.last_insert_rowid()),
                Err(e) if is_unique_violation(&e) => {
                    Err(Error::AlreadyExists(format!("user `{name}`")))
                }
                Err(e) => Err(e.into()),
            }
        })
    }

    fn user_by_name(&self, name: &str) -> Result<Option<User>, Error> {
        self.read(|c| {
            Ok(cached_row(
                c,
                "SELECT id, name, org_id, is_admin FROM users WHERE name = ?1",
                [name],
                user_row,
            )
            .optional()?)
        })
    }

    fn user(&self, id: UserId) -> Result<Option<User>, Error> {
        self.read(|c| {
            Ok(cached_row(
                c,
                "SELECT id, name, org_id, is_admin FROM users WHERE id = ?1",
                [id],
                user_row,
            )
            .optional()?)
        })
    }

    fn users(&self) -> Result<Vec<User>, Error> {
        self.read(|c| {
            let mut stmt =
                c.prepare_cached("SELECT id, name, org_id, is_admin FROM users ORDER BY name")?;
            let rows = stmt.query_map([], user_row)?.collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    fn add_token(
        &self,
        user: UserId,
        hash: &[u8; 32],
        label: &str,
        scope: TokenScope,
    ) -> Result<i64, Error> {
        self.write(|w| {
            w.conn.execute(
                "INSERT INTO tokens (user_id, hash, label, scope, created) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![user, &hash[..], label, scope.as_str(), micros_to_timestamp(now_micros())],
            )?;
            Ok(w.conn.last_insert_rowid())
        })
    }

    fn token_by_hash(&self, hash: &[u8; 32]) -> Result<Option<Token>, Error> {
        // Read through the writer's view would serialise with writes; a reader sees every
        // committed revocation, which is what "revocable at once" needs.
        self.read(|c| {
            Ok(cached_row(
                c,
                "SELECT id, user_id, label, scope, revoked FROM tokens WHERE hash = ?1 AND revoked = 0",
                [&hash[..]],
                token_row,
            )
            .optional()?)
        })
    }

    fn tokens(&self, user: UserId) -> Result<Vec<Token>, Error> {
        self.read(|c| {
            let mut stmt = c.prepare_cached("SELECT id, user_id, label, scope, revoked FROM tokens WHERE user_id = ?1 ORDER BY id")?;
            let rows = stmt.query_map([user], token_row)?.collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    fn revoke_token(&self, id: i64) -> Result<(), Error> {
        self.write(|w| {
            match w.conn.execute("UPDATE tokens SET revoked = 1 WHERE id = ?1", [id])? {
                0 => Err(Error::NotFound(format!("token {id}"))),
                _ => Ok(()),
            }
        })
    }

    fn add_collection(
        &self,
        id: &str,
        alias: Option<&str>,
        title: &str,
        description: Option<&str>,
    ) -> Result<(), Error> {
        self.write(|w| {
            match w.conn.execute(
                "INSERT INTO collections (id, alias, title, description) VALUES (?1, ?2, ?3, ?4)",
                params![id, alias, title, description],
            ) {
                Ok(_) => Ok(()),
                Err(e) if is_unique_violation(&e) => {
                    Err(Error::AlreadyExists(format!("collection `{}`", alias.unwrap_or(id))))
                }
                Err(e) => Err(e.into()),
            }
        })
    }

    fn grant(&self, collection: &str, grant: Grant) -> Result<(), Error> {
        let (kind, id) = grantee_key(grant.grantee);
        self.write(|w| {
            let exists: bool = w.conn.query_row("SELECT COUNT(*) FROM collections WHERE id = ?1", [collection], |r| r.get::<_, i64>(0))? > 0;
            if !exists {
                return Err(Error::NotFound(format!("collection `{collection}`")));
            }
            w.conn.execute(
                "INSERT INTO grants (collection_id, grantee_kind, grantee_id, can_read, can_write) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (collection_id, grantee_kind, grantee_id) DO UPDATE SET can_read = excluded.can_read, can_write = excluded.can_write",
                params![collection, kind, id, grant.can_read, grant.can_write],
            )?;
            Ok(())
        })
    }

    fn revoke_grant(&self, collection: &str, grantee: Grantee) -> Result<(), Error> {
        let (kind, id) = grantee_key(grantee);
        self.write(|w| {
            match w.conn.execute(
                "DELETE FROM grants WHERE collection_id = ?1 AND grantee_kind = ?2 AND grantee_id = ?3",
                params![collection, kind, id],
            )? {
                0 => Err(Error::NotFound(format!("a grant on collection `{collection}`"))),
                _ => Ok(()),
            }
        })
    }

    fn collections(&self) -> Result<Vec<CollectionInfo>, Error> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT id, alias, title, description FROM collections ORDER BY title, id",
            )?;
            let mut rows = stmt.query_map([], collection_row)?.collect::<Result<Vec<_>, _>>()?;
            for row in &mut rows {
                row.grants = grants_of(c, &row.id)?;
            }
            Ok(rows)
        })
    }

    fn collection(&self, id_or_alias: &str) -> Result<Option<CollectionInfo>, Error> {
        self.read(|c| {
            let row = cached_row(
                c,
                "SELECT id, alias, title, description FROM collections WHERE id = ?1 OR alias = ?1",
                [id_or_alias],
                collection_row,
            )
            .optional()?;
            match row {
                Some(mut info) => {
                    info.grants = grants_of(c, &info.id)?;
                    Ok(Some(info))
                }
                None => Ok(None),
            }
        })
    }

    /// Group commit: an ingest runs its statements inside the writer's open transaction (or
    /// begins one). When other ingests are waiting for the writer, it leaves the transaction
    /// open for them and waits; the last ingest of the group commits and tells the others.
    /// Every ingest returns only after the commit that holds its objects and status is durable,
    /// and each batch is still all-or-nothing: when any statement or the commit fails, the
    /// whole transaction rolls back and every ingest in it fails (nothing is acknowledged).
    /// Concurrent POSTs share one fsync instead of paying one each.
    fn ingest_with_status(
        &self,
        collection: &str,
        objects: &[Ingest<'_>],
        provenance: &Provenance,
        status: Option<&StatusRecord<'_>>,
    ) -> Result<Vec<IngestOutcome>, Error> {
        let mut buffer = Vec::with_capacity(4096);
        let prepared = objects
            .iter()
            .map(|item| Prepared::new(item, &mut buffer))
            .collect::<Result<Vec<_>, _>>()?;
        self.ingest_waiters.fetch_add(1, Ordering::SeqCst);
        let mut w = self.lock_writer();
        self.ingest_waiters.fetch_sub(1, Ordering::SeqCst);
        if w.group.is_none() {
            self.checkpointer.before_write();
            // IMMEDIATE: the write lock is held from the start, so the last `seq` read in
            // `ingest_batch` is the last one any process committed, and `date_added` keeps
            // increasing even when another process (a CLI import) writes to the same collection.
            w.conn.execute_batch("BEGIN IMMEDIATE")?;
            w.group = Some(Group::default());
        }
        let work = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            ingest_batch(&w.conn, &w.last_seq, collection, &prepared, provenance, status)
        }));
        let (outcomes, last) = match work {
            Ok(Ok(done)) => done,
            Ok(Err(e)) => {
                // Statements may have half run: the whole shared transaction is void.
                if let Err(rollback) = close_group(&mut w, false) {
                    tracing::warn!(error = %rollback, "Rollback failed.");
                }
                return Err(e);
            }
            Err(panic) => {
                if let Err(rollback) = close_group(&mut w, false) {
                    tracing::warn!(error = %rollback, "Rollback failed.");
                }
                drop(w);
                std::panic::resume_unwind(panic);
            }
        };
        let group = w.group.get_or_insert_with(Group::default);
        group.batches += 1;
        group.objects += prepared.len();
        group.last_seq.insert(collection.to_owned(), last);
        if self.ingest_waiters.load(Ordering::SeqCst) > 0
            && group.batches < GROUP_MAX_BATCHES
            && group.objects < GROUP_MAX_OBJECTS
        {
            let me = Arc::new(Member::default());
            group.waiting.push(Arc::clone(&me));
            drop(w);
            return match me.wait() {
                Ok(()) => Ok(outcomes),
                Err(e) => Err(Error::Internal(e.into())),
            };
        }
        let committed = close_group(&mut w, true);
        drop(w);
        self.checkpointer.after_write();
        committed.map(|()| outcomes)
    }

    fn query(&self, collection: &str, query: &Query) -> Result<Page, Error> {
        self.read(|c| {
            let (filter, mut args) = where_clause(collection, query);
            let source = source(query);
            let sql = format!(
                "SELECT c.seq, o.id, o.version, o.json, o.type, o.spec_version, o.source_org, o.markings, o.source_peer, o.source_user FROM {source}
                 JOIN objects o ON o.rowid = c.object_rowid WHERE {filter} ORDER BY c.seq LIMIT ?"
            );
            args.push(Arg::Int(i64::try_from(query.limit.saturating_add(1)).unwrap_or(i64::MAX)));
            let mut stmt = c.prepare_cached(&sql)?;
            let mut items = stmt
                .query_map(params_from_iter(args.iter()), |r| {
                    let seq: i64 = r.get(0)?;
                    let version: String = r.get(2)?;
                    Ok(StoredVersion {
                        id: r.get(1)?,
                        version: if version.is_empty() { micros_to_timestamp(seq) } else { version },
                        date_added_micros: seq,
                        json: r.get(3)?,
                        object_type: r.get(4)?,
                        spec_version: r.get(5)?,
                        source_org: r.get(6)?,
                        markings: r.get(7)?,
                        source_peer: r.get(8)?,
                        source_user: r.get(9)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            let more = items.len() > query.limit;
            items.truncate(query.limit);
            Ok(Page { items, more })
        })
    }

    fn remove(&self, collection: &str, query: &Query) -> Result<usize, Error> {
        self.write(|w| {
            let tx = w.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let (filter, args) = where_clause(collection, query);
            let source = source(query);
            let sql = format!(
                "DELETE FROM collection_objects WHERE (collection_id, seq) IN (SELECT c.collection_id, c.seq FROM {source} WHERE {filter})
                 RETURNING type"
            );
            let types = tx
                .prepare(&sql)?
                .query_map(params_from_iter(args.iter()), |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()?;
            if types.iter().any(|t| t == MARKING_DEFINITION) {
                bump_directory_version(&tx)?;
            }
            if !types.is_empty() {
                bump_content_version(&tx)?;
            }
            for id in &query.ids {
                refresh_flags(&tx, collection, id)?;
            }
            tx.commit()?;
            Ok(types.len())
        })
    }

    fn purge(&self, object_id: &str) -> Result<usize, Error> {
        self.write(|w| {
            w.conn.pragma_update(None, "secure_delete", "ON")?;
            let result = (|| -> Result<usize, Error> {
                let tx = w.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let types = tx
                    .prepare(
                        "DELETE FROM collection_objects WHERE object_rowid IN (SELECT rowid FROM objects WHERE id = ?1)
                         RETURNING type",
                    )?
                    .query_map([object_id], |r| r.get::<_, String>(0))?
                    .collect::<Result<Vec<_>, _>>()?;
                if types.iter().any(|t| t == MARKING_DEFINITION) {
                    bump_directory_version(&tx)?;
                }
                let removed = tx.execute("DELETE FROM objects WHERE id = ?1", [object_id])?;
                tx.execute("DELETE FROM conflicts WHERE object_id = ?1", [object_id])?;
                if removed > 0 || !types.is_empty() {
                    bump_content_version(&tx)?;
                }
                tx.commit()?;
                Ok(removed)
            })();
            w.conn.pragma_update(None, "secure_delete", "OFF")?;
            let removed = result?;
            // The old page images stay in the write-ahead log until a checkpoint copies the
            // zeroed pages over them and the log is truncated.
            self.checkpointer.truncate()?;
            Ok(removed)
        })
    }

    fn directory_version(&self) -> Result<i64, Error> {
        self.read(|c| {
            Ok(cached_row(c, "SELECT version FROM directory_version WHERE id = 1", [], |r| {
                r.get(0)
            })?)
        })
    }

    fn content_version(&self) -> Result<i64, Error> {
        self.read(|c| {
            Ok(cached_row(c, "SELECT version FROM content_version WHERE id = 1", [], |r| r.get(0))?)
        })
    }

    fn marking_definitions(&self) -> Result<Vec<String>, Error> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT o.json FROM objects o INDEXED BY objects_type
                 WHERE o.type = 'marking-definition'
                   AND EXISTS (SELECT 1 FROM collections k
                               JOIN collection_objects c INDEXED BY collection_members
                                 ON c.collection_id = k.id AND c.object_rowid = o.rowid)
                 ORDER BY o.rowid",
            )?;
            let rows = stmt.query_map([], |r| r.get(0))?.collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    fn status(&self, id: &str, user: UserId) -> Result<Option<String>, Error> {
        self.read(|c| {
            Ok(cached_row(
                c,
                "SELECT json FROM statuses WHERE id = ?1 AND user_id = ?2",
                params![id, user],
                |r| r.get(0),
            )
            .optional()?)
        })
    }

    fn secret(&self, name: &str) -> Result<Vec<u8>, Error> {
        self.write(|w| {
            let key = format!("secret:{name}");
            if let Some(value) = w
                .conn
                .query_row("SELECT value FROM meta WHERE key = ?1", [&key], |r| {
                    r.get::<_, Vec<u8>>(0)
                })
                .optional()?
            {
                return Ok(value);
            }
            let mut value = Vec::with_capacity(32);
            value.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
            value.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
            w.conn.execute("INSERT INTO meta (key, value) VALUES (?1, ?2)", params![key, value])?;
            Ok(value)
        })
    }

    fn update_state(
        &self,
        key: &str,
        update: &mut dyn FnMut(Option<&[u8]>) -> Vec<u8>,
    ) -> Result<Vec<u8>, Error> {
        // One writer connection: the read and the write cannot interleave with another update.
        self.write(|w| {
            let key = format!("state:{key}");
            // IMMEDIATE: another process may update the same key.
            let tx = w.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let current: Option<Vec<u8>> = tx
                .query_row("SELECT value FROM meta WHERE key = ?1", [&key], |r| r.get(0))
                .optional()?;
            let next = update(current.as_deref());
            if current.as_deref() != Some(next.as_slice()) {
                tx.execute(
                    "INSERT INTO meta (key, value) VALUES (?1, ?2)
                     ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    params![key, next],
                )?;
            }
            tx.commit()?;
            Ok(next)
        })
    }

    fn integrity_check(&self) -> Result<String, Error> {
        self.write(|w| {
            Ok(w.conn.query_row("PRAGMA integrity_check", [], |r| r.get::<_, String>(0))?)
        })
    }
}

/// How a grantee is written in the `grants` table.
fn grantee_key(grantee: Grantee) -> (&'static str, i64) {
    match grantee {
        Grantee::Org(id) => ("org", id),
        Grantee::User(id) => ("user", id),
    }
}

fn grants_of(c: &Connection, collection: &str) -> Result<Vec<Grant>, Error> {
    let mut stmt = c.prepare_cached(
        "SELECT grantee_kind, grantee_id, can_read, can_write FROM grants WHERE collection_id = ?1",
    )?;
    let rows = stmt
        .query_map([collection], |r| {
            let kind: String = r.get(0)?;
            let id: i64 = r.get(1)?;
            Ok(Grant {
                grantee: if kind == "org" { Grantee::Org(id) } else { Grantee::User(id) },
                can_read: r.get(2)?,
                can_write: r.get(3)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// A SQL argument.
enum Arg {
    Int(i64),
    Text(String),
}

impl rusqlite::ToSql for Arg {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        match self {
            Arg::Int(i) => i.to_sql(),
            Arg::Text(s) => s.to_sql(),
        }
    }
}

/// The `FROM` item for [`where_clause`]: with an id list, entries are looked up through
/// `collection_members` (SQLite would otherwise walk the collection's whole `seq` range and
/// filter, which costs O(collection size) for a `match[id]` query).
fn source(query: &Query) -> &'static str {
    if query.ids.is_empty() {
        "collection_objects c"
    } else {
        "collection_objects c INDEXED BY collection_members"
    }
}

fn where_clause(collection: &str, query: &Query) -> (String, Vec<Arg>) {
    let mut sql = String::from("c.collection_id = ? AND c.seq > ?");
    let mut args = vec![Arg::Text(collection.to_owned()), Arg::Int(query.after_micros)];
    let list = |sql: &mut String, column: &str, values: &[String], args: &mut Vec<Arg>| {
        if values.is_empty() {
            return;
        }
        sql.push_str(&format!(" AND {column} IN ({})", vec!["?"; values.len()].join(",")));
        args.extend(values.iter().cloned().map(Arg::Text));
    };
    if !query.ids.is_empty() {
        sql.push_str(&format!(
            " AND c.object_rowid IN (SELECT rowid FROM objects WHERE id IN ({}))",
            vec!["?"; query.ids.len()].join(",")
        ));
        args.extend(query.ids.iter().cloned().map(Arg::Text));
    }
    list(&mut sql, "c.type", &query.types, &mut args);
    list(&mut sql, "c.spec_version", &query.spec_versions, &mut args);
    if !query.versions.is_empty() && !query.versions.contains(&VersionSelect::All) {
        let mut alternatives = Vec::new();
        for v in &query.versions {
            match v {
                VersionSelect::First => alternatives.push("c.is_first = 1".to_owned()),
                VersionSelect::Last => alternatives.push("c.is_last = 1".to_owned()),
                VersionSelect::All => {}
                VersionSelect::At(keys) => {
                    alternatives.push(format!(
                        "c.version_key IN ({})",
                        vec!["?"; keys.len().max(1)].join(",")
                    ));
                    if keys.is_empty() {
                        args.push(Arg::Text(String::new()));
                    }
                    args.extend(keys.iter().cloned().map(Arg::Text));
                }
            }
        }
        sql.push_str(&format!(" AND ({})", alternatives.join(" OR ")));
    }
    (sql, args)
}

/// The smallest and largest `version_key` of an object's entries in a collection.
fn version_bounds(
    tx: &Connection,
    collection: &str,
    object_id: &str,
) -> Result<(Option<String>, Option<String>), Error> {
    Ok(tx
        .prepare_cached(
            "SELECT MIN(c.version_key), MAX(c.version_key)
             FROM objects o JOIN collection_objects c INDEXED BY collection_members
               ON c.collection_id = ?1 AND c.object_rowid = o.rowid
             WHERE o.id = ?2",
        )?
        .query_row(params![collection, object_id], |r| Ok((r.get(0)?, r.get(1)?)))?)
}

/// Recomputes which entry of an object is the first and the last version in a collection.
///
/// `INDEXED BY` pins the plan: without statistics SQLite 3.50 answers such an UPDATE by scanning
/// the collection's primary key range (every entry of the collection), which made each ingested
/// object cost O(collection size).
fn refresh_flags(tx: &Connection, collection: &str, object_id: &str) -> Result<(), Error> {
    let (first, last) = version_bounds(tx, collection, object_id)?;
    tx.prepare_cached(
        "UPDATE collection_objects INDEXED BY collection_members
         SET is_first = (version_key = ?3), is_last = (version_key = ?4)
         WHERE collection_id = ?1 AND object_rowid IN (SELECT rowid FROM objects WHERE id = ?2)",
    )?
    .execute(params![collection, object_id, first, last])?;
    Ok(())
}

/// What ingest needs of one object, derived before the writer lock is taken (hashing and
/// formatting need no lock, and the writer is the one serial section of ingest).
struct Prepared<'a> {
    raw: &'a str,
    id: &'a str,
    object_type: &'a str,
    /// `modified`, else `created`, as written ("" when neither).
    version: &'a str,
    key: String,
    created: Option<&'a str>,
    creator: Option<String>,
    spec_version: &'a str,
    revoked: bool,
    markings: Option<String>,
    hash: [u8; 32],
}

impl<'a> Prepared<'a> {
    fn new(item: &Ingest<'a>, buffer: &mut Vec<u8>) -> Result<Self, Error> {
        let object = item.object;
        let text = |k: &str| object.get(k).and_then(Value::as_str);
        Ok(Self {
            raw: item.raw,
            id: object.id().as_str(),
            object_type: object.object_type(),
            version: text("modified").or_else(|| text("created")).unwrap_or(""),
            key: object
                .modified()
                .or_else(|| object.created())
                .as_ref()
                .map(version_key)
                .unwrap_or_default(),
            created: text("created"),
            creator: object.created_by_ref().map(|r| r.to_string()),
            spec_version: text("spec_version").unwrap_or("2.1"),
            revoked: object.is_revoked(),
            markings: object.get("object_marking_refs").map(Value::to_string),
            hash: content_hash(object, buffer)?,
        })
    }
}

/// The statements every object of a batch runs, prepared once per batch.
struct IngestStatements<'t> {
    existing: rusqlite::CachedStatement<'t>,
    insert_object: rusqlite::CachedStatement<'t>,
    insert_entry: rusqlite::CachedStatement<'t>,
}

impl<'t> IngestStatements<'t> {
    fn new(tx: &'t Connection) -> Result<Self, Error> {
        Ok(Self {
            existing: tx.prepare_cached(
                "SELECT rowid, version_key, hash, creator, revoked, source_org, created FROM objects WHERE id = ?1 ORDER BY version_key",
            )?,
            insert_object: tx.prepare_cached(
                "INSERT INTO objects (id, version, version_key, type, spec_version, created, creator, revoked, markings, hash, json,
                                      received_at, source_user, source_org, source_peer, channel)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
            )?,
            insert_entry: tx.prepare_cached(
                "INSERT INTO collection_objects (collection_id, seq, object_rowid, object_id, type, version_key, spec_version, is_first, is_last)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?,
        })
    }
}

/// Ingests one object inside the batch's transaction.
fn ingest_one(
    tx: &Connection,
    statements: &mut IngestStatements<'_>,
    collection: &str,
    item: &Prepared<'_>,
    provenance: &Provenance,
    received: i64,
    last: &mut i64,
) -> Result<IngestOutcome, Error> {
    let (id, key) = (item.id, item.key.as_str());

    // Existing versions of this id, anywhere in the node.
    struct Existing {
        rowid: i64,
        key: String,
        hash: Vec<u8>,
        creator: Option<String>,
        revoked: bool,
        org: Option<i64>,
        created: Option<String>,
    }
    let existing = statements
        .existing
        .query_map([id], |r| {
            Ok(Existing {
                rowid: r.get(0)?,
                key: r.get(1)?,
                hash: r.get(2)?,
                creator: r.get(3)?,
                revoked: r.get(4)?,
                org: r.get(5)?,
                created: r.get(6)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;

    let rowid = if let Some(same) = existing.iter().find(|e| e.key == key) {
        if same.hash[..] != item.hash[..] {
            tx.prepare_cached(
                "INSERT INTO conflicts (object_id, version, reason, json, received_at, source_user, source_org) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![id, item.version, "same id and version, different content", item.raw, received, provenance.user, provenance.org])?;
            tracing::warn!(
                object = id,
                version = item.version,
                "Refused a conflicting object version."
            );
            return Ok(IngestOutcome::Refused(
                "a different object with the same id and version is already stored; versions are immutable".into(),
            ));
        }
        same.rowid
    } else {
        if let Some(first) = existing.first() {
            if first.creator != item.creator {
                // The refusal goes to the submitter, who may not be allowed to see the existing
                // object: it must not name its creator (SECURITY.md rule 3).
                return Ok(IngestOutcome::Refused(
                    "only the object's creator (its created_by_ref) may add versions of it".into(),
                ));
            }
            if let (Some(owner), Some(sender)) = (first.org, provenance.org)
                && owner != sender
            {
                return Ok(IngestOutcome::Refused(
                    "only the organisation that first shared this object may add versions of it"
                        .into(),
                ));
            }
            if existing.iter().any(|e| e.revoked) {
                return Ok(IngestOutcome::Refused(
                    "the object is revoked; no new version may follow".into(),
                ));
            }
            if first.created.is_some() && first.created.as_deref() != item.created {
                return Ok(IngestOutcome::Refused(
                    "`created` cannot change between versions".into(),
                ));
            }
        }
        statements.insert_object.execute(params![
            id,
            item.version,
            key,
            item.object_type,
            item.spec_version,
            item.created,
            item.creator,
            item.revoked,
            item.markings,
            &item.hash[..],
            item.raw,
            received,
            provenance.user,
            provenance.org,
            provenance.peer,
            provenance.channel,
        ])?;
        tx.last_insert_rowid()
    };

    // A row inserted just now cannot be in the collection yet; an existing one may be.
    let stored_before = existing.iter().any(|e| e.rowid == rowid);
    if stored_before {
        let member: bool = tx
            .prepare_cached(
                "SELECT COUNT(*) FROM collection_objects WHERE collection_id = ?1 AND object_rowid = ?2",
            )?
            .query_row(params![collection, rowid], |r| r.get::<_, i64>(0))?
            > 0;
        if member {
            return Ok(IngestOutcome::Unchanged);
        }
    }
    // First and last version flags: an object new to the node is both; otherwise compare with
    // the versions already in this collection (version keys are unique per id, so the new key
    // differs from every one of them) and clear the flag of the entry it displaces.
    let (is_first, is_last) = if existing.is_empty() {
        (true, true)
    } else {
        let (min, max) = version_bounds(tx, collection, id)?;
        let is_first = min.as_deref().is_none_or(|m| key < m);
        let is_last = max.as_deref().is_none_or(|m| key > m);
        if is_first && min.is_some() {
            tx.prepare_cached(
                "UPDATE collection_objects INDEXED BY collection_members SET is_first = 0
                 WHERE collection_id = ?1 AND object_rowid IN (SELECT rowid FROM objects WHERE id = ?2)
                   AND is_first = 1",
            )?
            .execute(params![collection, id])?;
        }
        if is_last && max.is_some() {
            tx.prepare_cached(
                "UPDATE collection_objects INDEXED BY collection_members SET is_last = 0
                 WHERE collection_id = ?1 AND object_rowid IN (SELECT rowid FROM objects WHERE id = ?2)
                   AND is_last = 1",
            )?
            .execute(params![collection, id])?;
        }
        (is_first, is_last)
    };
    // date_added strictly increases within the collection, even when the clock does not.
    let seq = received.max(*last + 1);
    *last = seq;
    statements.insert_entry.execute(params![
        collection,
        seq,
        rowid,
        id,
        item.object_type,
        key,
        item.spec_version,
        is_first,
        is_last
    ])?;
    Ok(if stored_before { IngestOutcome::Unchanged } else { IngestOutcome::Added })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(json: Value) -> (String, stix::Object) {
        (json.to_string(), stix::Object::from_value(json).unwrap_or_else(|e| panic!("{e}")))
    }

    fn indicator(modified: &str, creator: &str) -> (String, stix::Object) {
        object(serde_json::json!({
            "type": "indicator", "spec_version": "2.1", "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "created": "2024-01-01T00:00:00.000Z", "modified": modified, "created_by_ref": creator,
            "pattern": "[domain-name:value = 'evil.example']", "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z"
        }))
    }

    const ACME: &str = "identity--11111111-1111-4111-8111-111111111111";
    const OTHER: &str = "identity--22222222-2222-4222-8222-222222222222";

    fn open() -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let store = SqliteStore::open(&Options::new(dir.path())).unwrap_or_else(|e| panic!("{e}"));
        store.add_collection("c1", Some("one"), "One", None).unwrap_or_else(|e| panic!("{e}"));
        (dir, store)
    }

    fn prov(org: i64) -> Provenance {
        Provenance { user: None, org: Some(org), peer: None, channel: "test".into() }
    }

    fn ingest(
        store: &SqliteStore,
        items: &[(String, stix::Object)],
        org: i64,
    ) -> Vec<IngestOutcome> {
        let batch: Vec<Ingest<'_>> =
            items.iter().map(|(raw, object)| Ingest { raw, object }).collect();
        store.ingest("c1", &batch, &prov(org)).unwrap_or_else(|e| panic!("{e}"))
    }

    fn all() -> Query {
        Query {
            after_micros: 0,
            limit: 100,
            ids: vec![],
            types: vec![],
            versions: vec![VersionSelect::All],
            spec_versions: vec![],
        }
    }

    #[test]
    fn versions_conflicts_and_creator_rules() {
        let (_dir, store) = open();
        let v1 = indicator("2024-01-01T00:00:00.000Z", ACME);
        let v2 = indicator("2024-02-01T00:00:00.000Z", ACME);
        assert_eq!(
            ingest(&store, &[v1.clone(), v2.clone()], 1),
            [IngestOutcome::Added, IngestOutcome::Added]
        );
        // The same version again, with other whitespace: unchanged.
        let again = (serde_json::to_string_pretty(v1.1.as_map()).unwrap_or_default(), v1.1.clone());
        assert_eq!(ingest(&store, &[again], 1), [IngestOutcome::Unchanged]);
        // Same (id, modified), different content: a recorded conflict.
        let mut changed = v2.1.as_map().clone();
        changed.insert("name".into(), "changed".into());
        let changed = object(Value::Object(changed));
        assert!(
            matches!(&ingest(&store, &[changed], 1)[0], IngestOutcome::Refused(m) if m.contains("immutable"))
        );
        // Another creator, or another organisation, may not add versions.
        let foreign = indicator("2024-03-01T00:00:00.000Z", OTHER);
        assert!(
            matches!(&ingest(&store, &[foreign], 1)[0], IngestOutcome::Refused(m) if m.contains("creator") && !m.contains(ACME))
        );
        let v3 = indicator("2024-03-01T00:00:00.000Z", ACME);
        assert!(
            matches!(&ingest(&store, &[v3], 2)[0], IngestOutcome::Refused(m) if m.contains("organisation"))
        );
        let page = store.query("c1", &all()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(page.items.len(), 2);
    }

    #[test]
    fn purge_leaves_no_trace_of_the_content_on_disk() {
        let (dir, store) = open();
        store.add_collection("c2", None, "Two", None).unwrap_or_else(|e| panic!("{e}"));
        let mut secret = indicator("2024-01-01T00:00:00.000Z", ACME).1.as_map().clone();
        secret.insert("description".into(), "Contact Erika Mustermann-Unique".into());
        let secret = object(Value::Object(secret));
        let keep = object(serde_json::json!({
            "type": "indicator", "spec_version": "2.1", "id": "indicator--9e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
            "pattern": "[domain-name:value = 'kept.example']", "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z"
        }));
        ingest(&store, &[secret.clone(), keep], 1);
        let batch = [Ingest { raw: &secret.0, object: &secret.1 }];
        store.ingest("c2", &batch, &prov(1)).unwrap_or_else(|e| panic!("{e}"));
        let mut conflicting = secret.1.as_map().clone();
        conflicting.insert("name".into(), "Erika Mustermann-Unique again".into());
        ingest(&store, &[object(Value::Object(conflicting))], 1);
        let id = secret.1.id().as_str().to_owned();
        assert_eq!(store.purge(&id).unwrap_or_else(|e| panic!("{e}")), 1);
        for c in ["c1", "c2"] {
            let left = store.query(c, &all()).unwrap_or_else(|e| panic!("{e}")).items;
            assert!(left.iter().all(|v| v.id != id), "{c} still lists it");
        }
        assert_eq!(store.query("c1", &all()).unwrap_or_else(|e| panic!("{e}")).items.len(), 1);
        assert_eq!(store.integrity_check().unwrap_or_default(), "ok");
        drop(store);
        for file in std::fs::read_dir(dir.path()).unwrap_or_else(|e| panic!("{e}")).flatten() {
            let bytes = std::fs::read(file.path()).unwrap_or_default();
            assert!(
                !bytes.windows(16).any(|w| w == b"Mustermann-Uniqu"),
                "{} still holds the erased content",
                file.path().display()
            );
        }
    }

    #[test]
    fn no_version_after_revocation() {
        let (_dir, store) = open();
        let (_, v1) = indicator("2024-01-01T00:00:00.000Z", ACME);
        let mut revoked = v1.as_map().clone();
        revoked.insert("revoked".into(), true.into());
        revoked.insert("modified".into(), "2024-02-01T00:00:00.000Z".into());
        let revoked = object(Value::Object(revoked));
        assert_eq!(ingest(&store, &[revoked], 1), [IngestOutcome::Added]);
        let later = indicator("2024-03-01T00:00:00.000Z", ACME);
        assert!(
            matches!(&ingest(&store, &[later], 1)[0], IngestOutcome::Refused(m) if m.contains("revoked"))
        );
    }

    #[test]
    fn first_last_and_pagination() {
        let (_dir, store) = open();
        let versions: Vec<_> =
            ["2024-01-03T00:00:00.000Z", "2024-01-01T00:00:00.000Z", "2024-01-02T00:00:00.000Z"]
                .iter()
                .map(|m| indicator(m, ACME))
                .collect();
        ingest(&store, &versions, 1);
        let select = |v: VersionSelect| {
            let q = Query { versions: vec![v], ..all() };
            store
                .query("c1", &q)
                .unwrap_or_else(|e| panic!("{e}"))
                .items
                .iter()
                .map(|i| i.version.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(select(VersionSelect::Last), ["2024-01-03T00:00:00.000Z"]);
        assert_eq!(select(VersionSelect::First), ["2024-01-01T00:00:00.000Z"]);
        let page =
            store.query("c1", &Query { limit: 2, ..all() }).unwrap_or_else(|e| panic!("{e}"));
        assert!(page.more);
        let after = page.items[1].date_added_micros;
        let rest = store
            .query("c1", &Query { after_micros: after, ..all() })
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((rest.items.len(), rest.more), (1, false));
        // date_added strictly increases.
        let all_items = store.query("c1", &all()).unwrap_or_else(|e| panic!("{e}")).items;
        assert!(all_items.windows(2).all(|w| w[0].date_added_micros < w[1].date_added_micros));
        // Removing the last version makes the previous one the last.
        let removed = store
            .remove(
                "c1",
                &Query {
                    ids: vec![versions[0].1.id().to_string()],
                    versions: vec![VersionSelect::Last],
                    ..all()
                },
            )
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(removed, 1);
        assert_eq!(select(VersionSelect::Last), ["2024-01-02T00:00:00.000Z"]);
    }

    #[test]
    fn flags_and_id_lookups_across_batches_and_collections() {
        let (_dir, store) = open();
        store.add_collection("c2", Some("two"), "Two", None).unwrap_or_else(|e| panic!("{e}"));
        let [v1, v2, v3] =
            ["2024-01-01T00:00:00.000Z", "2024-01-02T00:00:00.000Z", "2024-01-03T00:00:00.000Z"]
                .map(|m| indicator(m, ACME));
        let id = v1.1.id().to_string();
        ingest(&store, std::slice::from_ref(&v2), 1);
        ingest(&store, &[v3, v1], 1);
        // v2 is already in the node but new to c2, where it is both first and last.
        let batch = [Ingest { raw: &v2.0, object: &v2.1 }];
        assert_eq!(
            store.ingest("c2", &batch, &prov(1)).unwrap_or_else(|e| panic!("{e}")),
            [IngestOutcome::Unchanged]
        );
        let versions = |collection: &str, v: VersionSelect| {
            let q = Query { ids: vec![id.clone()], versions: vec![v], ..all() };
            store
                .query(collection, &q)
                .unwrap_or_else(|e| panic!("{e}"))
                .items
                .iter()
                .map(|i| i.version.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(versions("c1", VersionSelect::First), ["2024-01-01T00:00:00.000Z"]);
        assert_eq!(versions("c1", VersionSelect::Last), ["2024-01-03T00:00:00.000Z"]);
        // All versions by id, in date_added order.
        assert_eq!(
            versions("c1", VersionSelect::All),
            ["2024-01-02T00:00:00.000Z", "2024-01-03T00:00:00.000Z", "2024-01-01T00:00:00.000Z"]
        );
        assert_eq!(versions("c2", VersionSelect::First), ["2024-01-02T00:00:00.000Z"]);
        assert_eq!(versions("c2", VersionSelect::Last), ["2024-01-02T00:00:00.000Z"]);
        let unknown =
            Query { ids: vec!["indicator--00000000-0000-4000-8000-000000000000".into()], ..all() };
        assert!(store.query("c1", &unknown).unwrap_or_else(|e| panic!("{e}")).items.is_empty());
        // Removing the first version from c1 makes the next one first; c2 is untouched.
        let first = Query { ids: vec![id.clone()], versions: vec![VersionSelect::First], ..all() };
        assert_eq!(store.remove("c1", &first).unwrap_or_else(|e| panic!("{e}")), 1);
        assert_eq!(versions("c1", VersionSelect::First), ["2024-01-02T00:00:00.000Z"]);
        assert_eq!(versions("c2", VersionSelect::All), ["2024-01-02T00:00:00.000Z"]);
        assert_eq!(store.integrity_check().unwrap_or_else(|e| panic!("{e}")), "ok");
    }

    #[test]
    fn reopening_keeps_everything_and_integrity_holds() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        {
            let store =
                SqliteStore::open(&Options::new(dir.path())).unwrap_or_else(|e| panic!("{e}"));
            store.add_collection("c1", None, "One", None).unwrap_or_else(|e| panic!("{e}"));
            let batch = [indicator("2024-01-01T00:00:00.000Z", ACME)];
            let items: Vec<Ingest<'_>> =
                batch.iter().map(|(raw, object)| Ingest { raw, object }).collect();
            store.ingest("c1", &items, &prov(1)).unwrap_or_else(|e| panic!("{e}"));
        }
        let store = SqliteStore::open(&Options::new(dir.path())).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(store.query("c1", &all()).unwrap_or_else(|e| panic!("{e}")).items.len(), 1);
        assert_eq!(store.integrity_check().unwrap_or_else(|e| panic!("{e}")), "ok");
        // The secret is stable across opens.
        let a = store.secret("next").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(a, store.secret("next").unwrap_or_else(|e| panic!("{e}")));
    }

    #[test]
    fn state_updates_see_the_previous_state_and_survive_reopening() {
        let (dir, store) = open();
        let mut seen = Vec::new();
        for value in [b"one".to_vec(), b"two".to_vec(), b"two".to_vec()] {
            let stored = store
                .update_state("feed-a", &mut |current| {
                    seen.push(current.map(<[u8]>::to_vec));
                    value.clone()
                })
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(stored, value);
        }
        assert_eq!(seen, [None, Some(b"one".to_vec()), Some(b"two".to_vec())]);
        let other = store.update_state("feed-b", &mut |current| {
            assert_eq!(current, None, "keys are separate");
            b"b".to_vec()
        });
        assert_eq!(other.unwrap_or_else(|e| panic!("{e}")), b"b");
        drop(store);
        let store = SqliteStore::open(&Options::new(dir.path())).unwrap_or_else(|e| panic!("{e}"));
        let kept =
            store.update_state("feed-a", &mut |current| current.unwrap_or_default().to_vec());
        assert_eq!(kept.unwrap_or_else(|e| panic!("{e}")), b"two");
    }

    fn marking(statement: &str) -> (String, stix::Object) {
        object(serde_json::json!({
            "type": "marking-definition", "spec_version": "2.1",
            "id": "marking-definition--33333333-3333-4333-8333-333333333333",
            "created": "2024-01-01T00:00:00.000Z", "definition_type": "statement",
            "definition": {"statement": statement}
        }))
    }

    #[test]
    fn the_directory_version_follows_every_change_from_any_connection() {
        let (dir, store) = open();
        // A second store on the same file stands for another process (the admin CLI).
        let other = SqliteStore::open(&Options::new(dir.path())).unwrap_or_else(|e| panic!("{e}"));
        let version = || store.directory_version().unwrap_or_else(|e| panic!("{e}"));
        let seen = std::cell::Cell::new(version());
        let changed = |what: &str| {
            let now = version();
            assert!(now > seen.get(), "{what} did not change the directory version");
            seen.set(now);
        };
        let org = other.add_org("CERT-EU", "EU", &[]).unwrap_or_else(|e| panic!("{e}"));
        changed("an organisation");
        let user = other.add_user("analyst", org, false).unwrap_or_else(|e| panic!("{e}"));
        changed("a user");
        let token = other
            .add_token(user, &[7; 32], "t", TokenScope::Read)
            .unwrap_or_else(|e| panic!("{e}"));
        changed("a token");
        other.revoke_token(token).unwrap_or_else(|e| panic!("{e}"));
        changed("a token revocation");
        other.add_collection("c2", None, "Two", None).unwrap_or_else(|e| panic!("{e}"));
        changed("a collection");
        let grant = Grant { grantee: Grantee::Org(org), can_read: true, can_write: false };
        other.grant("c1", grant).unwrap_or_else(|e| panic!("{e}"));
        changed("a grant");
        other.grant("c1", Grant { can_read: false, ..grant }).unwrap_or_else(|e| panic!("{e}"));
        changed("a grant reduced");
        other.revoke_grant("c1", Grantee::Org(org)).unwrap_or_else(|e| panic!("{e}"));
        changed("a grant withdrawn");
        assert!(
            store
                .collection("c1")
                .unwrap_or_else(|e| panic!("{e}"))
                .is_some_and(|c| c.grants.is_empty())
        );
        assert!(matches!(other.revoke_grant("c1", Grantee::Org(org)), Err(Error::NotFound(_))));
        // Ordinary objects leave it alone; a marking definition held in a collection does not.
        ingest(&other, &[indicator("2024-01-01T00:00:00.000Z", ACME)], 1);
        assert_eq!(version(), seen.get(), "an indicator is not part of the directory");
        let statement = marking("Copyright ACME");
        ingest(&other, std::slice::from_ref(&statement), 1);
        changed("a marking definition");
        let definitions = store.marking_definitions().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(definitions, std::slice::from_ref(&statement.0));
        let query = Query { ids: vec![statement.1.id().to_string()], ..all() };
        assert_eq!(other.remove("c1", &query).unwrap_or_else(|e| panic!("{e}")), 1);
        changed("a marking definition removed");
        assert!(store.marking_definitions().unwrap_or_else(|e| panic!("{e}")).is_empty());
        ingest(&other, std::slice::from_ref(&statement), 1);
        changed("a marking definition back");
        assert_eq!(other.purge(statement.1.id().as_str()).unwrap_or_else(|e| panic!("{e}")), 1);
        changed("a marking definition erased");
        assert!(store.marking_definitions().unwrap_or_else(|e| panic!("{e}")).is_empty());
    }

    #[test]
    fn the_content_version_follows_what_collections_hold_from_any_connection() {
        let (dir, store) = open();
        let other = SqliteStore::open(&Options::new(dir.path())).unwrap_or_else(|e| panic!("{e}"));
        let version = || store.content_version().unwrap_or_else(|e| panic!("{e}"));
        let seen = std::cell::Cell::new(version());
        let changed = |what: &str, expected: bool| {
            let now = version();
            assert_eq!(now > seen.get(), expected, "{what}: {} -> {now}", seen.get());
            assert!(now >= seen.get(), "{what}: the version went back");
            seen.set(now);
        };
        let item = indicator("2024-01-01T00:00:00.000Z", ACME);
        ingest(&other, std::slice::from_ref(&item), 1);
        changed("a new version", true);
        ingest(&other, std::slice::from_ref(&item), 1);
        changed("the same version again (unchanged)", false);
        other
            .grant("c1", Grant { grantee: Grantee::Org(9), can_read: true, can_write: false })
            .unwrap_or_else(|e| panic!("{e}"));
        changed("a grant (the directory's, not the content's)", false);
        let query = Query { ids: vec![item.1.id().to_string()], ..all() };
        assert_eq!(other.remove("c1", &query).unwrap_or_else(|e| panic!("{e}")), 1);
        changed("a removal", true);
        assert_eq!(other.remove("c1", &query).unwrap_or_else(|e| panic!("{e}")), 0);
        changed("a removal of nothing", false);
        ingest(&other, std::slice::from_ref(&item), 1);
        changed("the version back", true);
        assert_eq!(other.purge(item.1.id().as_str()).unwrap_or_else(|e| panic!("{e}")), 1);
        changed("an erasure", true);
    }

    #[test]
    fn a_status_is_stored_with_its_objects_or_not_at_all() {
        let (_dir, store) = open();
        let items = [indicator("2024-01-01T00:00:00.000Z", ACME)];
        let batch: Vec<Ingest<'_>> =
            items.iter().map(|(raw, object)| Ingest { raw, object }).collect();
        let describe = |outcomes: &[IngestOutcome]| Ok(format!("{outcomes:?}"));
        let status = StatusRecord { id: "s1", user: 5, json: &describe };
        let outcomes = store
            .ingest_with_status("c1", &batch, &prov(1), Some(&status))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(outcomes, [IngestOutcome::Added]);
        assert_eq!(store.status("s1", 5).unwrap_or_else(|e| panic!("{e}")), Some("[Added]".into()));
        assert_eq!(store.status("s1", 6).unwrap_or_else(|e| panic!("{e}")), None);
        // When the status cannot be written, the objects are not stored either.
        let fail = |_: &[IngestOutcome]| Err(Error::Invalid("no status".into()));
        let failing = StatusRecord { id: "s2", user: 5, json: &fail };
        let items = [indicator("2024-02-01T00:00:00.000Z", ACME)];
        let batch: Vec<Ingest<'_>> =
            items.iter().map(|(raw, object)| Ingest { raw, object }).collect();
        assert!(store.ingest_with_status("c1", &batch, &prov(1), Some(&failing)).is_err());
        assert_eq!(store.status("s2", 5).unwrap_or_else(|e| panic!("{e}")), None);
        assert_eq!(store.query("c1", &all()).unwrap_or_else(|e| panic!("{e}")).items.len(), 1);
    }

    #[test]
    fn date_added_stays_above_what_another_process_committed() {
        let (dir, store) = open();
        ingest(&store, &[indicator("2024-01-01T00:00:00.000Z", ACME)], 1);
        // Another process, whose clock runs an hour ahead, added an entry to the collection.
        let ahead = now_micros() + 3_600_000_000;
        let raw =
            Connection::open(dir.path().join("meridian.db")).unwrap_or_else(|e| panic!("{e}"));
        raw.execute_batch(&format!(
            "INSERT INTO objects (id, version, version_key, type, spec_version, created, creator, revoked, markings, hash, json, received_at, channel)
             SELECT 'indicator--44444444-4444-4444-8444-444444444444', version, version_key, type, spec_version, created, creator, revoked, markings, hash, json, received_at, channel FROM objects;
             INSERT INTO collection_objects (collection_id, seq, object_rowid, object_id, type, version_key, spec_version, is_first, is_last)
             SELECT 'c1', {ahead}, rowid, id, type, version_key, spec_version, 1, 1 FROM objects WHERE rowid = last_insert_rowid();"
        ))
        .unwrap_or_else(|e| panic!("{e}"));
        drop(raw);
        ingest(&store, &[indicator("2024-02-01T00:00:00.000Z", ACME)], 1);
        let items = store.query("c1", &all()).unwrap_or_else(|e| panic!("{e}")).items;
        let added: Vec<i64> = items.iter().map(|i| i.date_added_micros).collect();
        assert_eq!(added.len(), 3);
        assert_eq!(added[1], ahead);
        assert!(added[2] > ahead, "{added:?}");
    }

    fn batch(n: u32) -> Vec<(String, stix::Object)> {
        (0..100)
            .map(|i| {
                object(serde_json::json!({
                    "type": "indicator", "spec_version": "2.1",
                    "id": format!("indicator--{n:08x}-1111-4111-8111-{i:012x}"),
                    "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
                    "pattern": "[domain-name:value = 'evil.example']", "pattern_type": "stix",
                    "valid_from": "2024-01-01T00:00:00Z"
                }))
            })
            .collect()
    }

    #[test]
    fn checkpoints_run_outside_commits_and_a_long_log_starts_over() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let mut store =
            SqliteStore::open(&Options::new(dir.path())).unwrap_or_else(|e| panic!("{e}"));
        store.checkpointer.set_restart_every(64);
        store.add_collection("c1", None, "One", None).unwrap_or_else(|e| panic!("{e}"));
        let size = |name: &str| {
            std::fs::metadata(dir.path().join(name))
                .map(|m| m.len())
                .unwrap_or_else(|e| panic!("{e}"))
        };
        let before = size("meridian.db");
        for n in 0..10 {
            ingest(&store, &batch(n), 1);
        }
        // The writes reached the database file although commits do not checkpoint and the
        // store is still open.
        assert!(size("meridian.db") > before + 200 * 1024, "{before} -> {}", size("meridian.db"));
        // A reader keeps an old snapshot: checkpoints cannot finish, the log grows.
        let reader =
            Connection::open(dir.path().join("meridian.db")).unwrap_or_else(|e| panic!("{e}"));
        reader
            .execute_batch("BEGIN; SELECT COUNT(*) FROM objects;")
            .unwrap_or_else(|e| panic!("{e}"));
        for n in 10..14 {
            ingest(&store, &batch(n), 1);
        }
        let grown = store.checkpointer.frames();
        assert!(grown > 64, "{grown} frames");
        // Writes that tried to restart the log gave up instead of waiting for the reader, and
        // postponed the next attempt.
        let postponed = store.checkpointer.restart_at();
        assert!(postponed > 64, "{postponed}");
        reader.execute_batch("COMMIT").unwrap_or_else(|e| panic!("{e}"));
        // When the attempt is due, the next write restarts the log first (the last checkpoint
        // could not copy everything, so the log would not start over by itself): afterwards it
        // holds only that write's frames.
        store.checkpointer.set_restart_every(64);
        ingest(&store, &batch(14), 1);
        let after = store.checkpointer.frames();
        assert!(after < 64, "{grown} frames, then {after}");
        let n = 14;
        let all = Query { limit: 10_000, ..all() };
        let expected = usize::try_from(n + 1).unwrap_or(0) * 100;
        assert_eq!(store.query("c1", &all).unwrap_or_else(|e| panic!("{e}")).items.len(), expected);
        assert_eq!(store.integrity_check().unwrap_or_else(|e| panic!("{e}")), "ok");
    }

    /// Runs two ingests so that the second joins the first one's transaction: the first one's
    /// status is written only once the second waits for the writer. Returns both results.
    fn grouped(
        store: &SqliteStore,
        second_status: &(dyn Fn(&[IngestOutcome]) -> Result<String, Error> + Sync),
    ) -> (Result<Vec<IngestOutcome>, Error>, Result<Vec<IngestOutcome>, Error>) {
        let (first, second) = (batch(1), batch(2));
        let (entered, inside) = std::sync::mpsc::channel();
        let wait_for_second = |_: &[IngestOutcome]| {
            let _ = entered.send(());
            while store.ingest_waiters.load(Ordering::SeqCst) == 0 {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            Ok("first".to_owned())
        };
        std::thread::scope(|scope| {
            let one = scope.spawn(|| {
                let items: Vec<Ingest<'_>> =
                    first.iter().map(|(raw, object)| Ingest { raw, object }).collect();
                let status = StatusRecord { id: "s1", user: 1, json: &wait_for_second };
                store.ingest_with_status("c1", &items, &prov(1), Some(&status))
            });
            inside.recv().unwrap_or_else(|e| panic!("{e}"));
            let two = scope.spawn(|| {
                let items: Vec<Ingest<'_>> =
                    second.iter().map(|(raw, object)| Ingest { raw, object }).collect();
                let status = StatusRecord { id: "s2", user: 1, json: second_status };
                store.ingest_with_status("c1", &items, &prov(1), Some(&status))
            });
            let two = two.join().unwrap_or_else(|_| panic!("the second ingest panicked"));
            let one = one.join().unwrap_or_else(|_| panic!("the first ingest panicked"));
            (one, two)
        })
    }

    #[test]
    fn concurrent_ingests_share_a_commit_and_its_fate() {
        let (_dir, store) = open();
        // Both succeed: both batches and both statuses are stored, entries in order.
        let (one, two) = grouped(&store, &|_: &[IngestOutcome]| Ok("second".to_owned()));
        assert_eq!(one.unwrap_or_else(|e| panic!("{e}")).len(), 100);
        assert_eq!(two.unwrap_or_else(|e| panic!("{e}")).len(), 100);
        assert_eq!(store.status("s1", 1).unwrap_or_else(|e| panic!("{e}")), Some("first".into()));
        assert_eq!(store.status("s2", 1).unwrap_or_else(|e| panic!("{e}")), Some("second".into()));
        let all = Query { limit: 1000, ..all() };
        let items = store.query("c1", &all).unwrap_or_else(|e| panic!("{e}")).items;
        assert_eq!(items.len(), 200);
        assert!(items.windows(2).all(|w| w[0].date_added_micros < w[1].date_added_micros));
        assert!(items[..100].iter().all(|i| i.id.starts_with("indicator--00000001")));

        // The second one fails inside the shared transaction: neither is stored, both fail.
        let (_dir, store) = open();
        let (one, two) = grouped(&store, &|_: &[IngestOutcome]| Err(Error::Invalid("no".into())));
        assert!(two.is_err());
        assert!(one.is_err(), "the first ingest must not be acknowledged");
        assert!(store.query("c1", &all).unwrap_or_else(|e| panic!("{e}")).items.is_empty());
        assert_eq!(store.status("s1", 1).unwrap_or_else(|e| panic!("{e}")), None);
        // The writer is usable again.
        ingest(&store, &batch(3), 1);
        assert_eq!(store.query("c1", &all).unwrap_or_else(|e| panic!("{e}")).items.len(), 100);
    }

    #[test]
    fn many_concurrent_ingests_keep_every_object_once_in_order() {
        let (_dir, store) = open();
        std::thread::scope(|scope| {
            for t in 0..8u32 {
                let store = &store;
                scope.spawn(move || {
                    for k in 0..5 {
                        let items = batch(t * 100 + k);
                        let outcomes = ingest(store, &items, 1);
                        assert!(outcomes.iter().all(|o| *o == IngestOutcome::Added));
                    }
                });
            }
        });
        let all = Query { limit: 10_000, ..all() };
        let items = store.query("c1", &all).unwrap_or_else(|e| panic!("{e}")).items;
        assert_eq!(items.len(), 4000);
        assert!(items.windows(2).all(|w| w[0].date_added_micros < w[1].date_added_micros));
        let ids: std::collections::BTreeSet<&str> = items.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids.len(), 4000);
        assert_eq!(store.integrity_check().unwrap_or_else(|e| panic!("{e}")), "ok");
    }
}
