//! Federation state: peers (partner nodes, each bound to an organisation and an agreement) and
//! sync cursors, in their own SQLite file (`federation.db`), plus read-only look-ups into the
//! object store that sync needs (which versions are already here).
//!
//! Pull cursors are the peer's own `date_added` values (the only order a TAXII server offers);
//! push cursors are this node's `date_added` sequence. Neither is ever the local wall clock.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

use crate::Error;

/// A partner node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    /// Unique name.
    pub name: String,
    /// The peer's TAXII API root URL.
    pub url: String,
    /// The partner organisation (its name in this node).
    pub org: String,
    /// The token this node presents to the peer. A secret: never logged or printed.
    pub token: String,
    /// The sharing agreement (TOML text).
    pub agreement: String,
    /// Whether plain http is allowed for this peer.
    pub allow_http: bool,
    /// Whether loopback/private addresses are allowed for this peer.
    pub allow_private: bool,
    /// The peer's collection to push to (no push when absent).
    pub push_to: Option<String>,
}

fn peer_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Peer> {
    Ok(Peer {
        name: r.get(0)?,
        url: r.get(1)?,
        org: r.get(2)?,
        token: r.get(3)?,
        agreement: r.get(4)?,
        allow_http: r.get(5)?,
        allow_private: r.get(6)?,
        push_to: r.get(7)?,
    })
}

/// Peers and cursors.
pub struct Federation {
    conn: Mutex<Connection>,
    objects: Mutex<Connection>,
}

impl std::fmt::Debug for Federation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Federation")
    }
}

impl Federation {
    /// Opens (creating if needed) `federation.db` in `data_dir`; the object store
    /// (`meridian.db`) must exist there already.
    ///
    /// # Errors
    /// When a file cannot be opened or created.
    pub fn open(data_dir: &Path) -> Result<Self, Error> {
        let conn = Connection::open(data_dir.join("federation.db"))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS peers (
                name TEXT PRIMARY KEY,
                url TEXT NOT NULL,
                org TEXT NOT NULL,
                token TEXT NOT NULL,
                agreement TEXT NOT NULL,
                allow_http INTEGER NOT NULL,
                allow_private INTEGER NOT NULL,
                push_to TEXT
            );
            -- Every TAXII read asks for the peer run by the caller's organisation.
            CREATE INDEX IF NOT EXISTS peers_org ON peers(org, name);
            CREATE TABLE IF NOT EXISTS cursors (
                peer TEXT NOT NULL,
                direction TEXT NOT NULL,
                collection TEXT NOT NULL,
                position TEXT NOT NULL,
                PRIMARY KEY (peer, direction, collection)
            );",
        )?;
        let objects = Connection::open_with_flags(
            data_dir.join("meridian.db"),
            OpenFlags::SQLITE_OPEN_READ_ONLY,
        )?;
        objects.busy_timeout(std::time::Duration::from_secs(30))?;
        Ok(Self { conn: Mutex::new(conn), objects: Mutex::new(objects) })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Adds or replaces a peer.
    ///
    /// # Errors
    /// Database failures.
    pub fn put_peer(&self, peer: &Peer) -> Result<(), Error> {
        self.conn().execute(
            "INSERT OR REPLACE INTO peers (name, url, org, token, agreement, allow_http, allow_private, push_to)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![peer.name, peer.url, peer.org, peer.token, peer.agreement, peer.allow_http, peer.allow_private, peer.push_to],
        )?;
        Ok(())
    }

    /// Every peer, by name.
    ///
    /// # Errors
    /// Database failures.
    pub fn peers(&self) -> Result<Vec<Peer>, Error> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached("SELECT name, url, org, token, agreement, allow_http, allow_private, push_to FROM peers ORDER BY name")?;
        let rows = stmt.query_map([], peer_row)?.collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// The first peer (by name) run by organisation `org`, if any. Every TAXII read asks, so
    /// the statement stays prepared.
    ///
    /// # Errors
    /// Database failures.
    pub fn peer_of_org(&self, org: &str) -> Result<Option<Peer>, Error> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached("SELECT name, url, org, token, agreement, allow_http, allow_private, push_to FROM peers WHERE org = ?1 ORDER BY name LIMIT 1")?;
        Ok(stmt.query_row([org], peer_row).optional()?)
    }

    /// A cursor (`pull` or `push`) for a peer's collection.
    ///
    /// # Errors
    /// Database failures.
    pub fn cursor(
        &self,
        peer: &str,
        direction: &str,
        collection: &str,
    ) -> Result<Option<String>, Error> {
        Ok(self
            .conn()
            .query_row(
                "SELECT position FROM cursors WHERE peer = ?1 AND direction = ?2 AND collection = ?3",
                params![peer, direction, collection],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Moves a cursor; call only after what it covers is durably stored.
    ///
    /// # Errors
    /// Database failures.
    pub fn set_cursor(
        &self,
        peer: &str,
        direction: &str,
        collection: &str,
        position: &str,
    ) -> Result<(), Error> {
        self.conn().execute(
            "INSERT OR REPLACE INTO cursors (peer, direction, collection, position) VALUES (?1, ?2, ?3, ?4)",
            params![peer, direction, collection, position],
        )?;
        Ok(())
    }

    /// Which of `(id, version)` pairs (version as the object writes it) are already stored.
    ///
    /// # Errors
    /// Database failures.
    pub fn known(&self, pairs: &[(String, String)]) -> Result<Vec<bool>, Error> {
        let mut conn = self.objects.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // One read transaction for the whole page: each look-up on its own would take the
        // file's read lock again, and find the page cache stale after every import.
        let tx = conn.transaction()?;
        let mut out = Vec::with_capacity(pairs.len());
        {
            let mut stmt = tx.prepare_cached("SELECT version FROM objects WHERE id = ?1")?;
            for (id, version) in pairs {
                let versions = stmt
                    .query_map([id], |r| r.get::<_, String>(0))?
                    .collect::<Result<Vec<_>, _>>()?;
                // The same text, or (unversioned objects) any version, or the same instant
                // written differently (`.000Z` or not).
                let exact = versions.iter().any(|v| v == version);
                let unversioned = version.is_empty() && !versions.is_empty();
                let same_instant = || {
                    let wanted = version.parse::<stix::Timestamp>().ok();
                    wanted.is_some()
                        && versions.iter().any(|v| v.parse::<stix::Timestamp>().ok() == wanted)
                };
                out.push(exact || unversioned || same_instant());
            }
        }
        tx.finish()?;
        Ok(out)
    }

    /// Which of `ids` have no stored version at all.
    ///
    /// # Errors
    /// Database failures.
    pub fn missing(&self, ids: &[String]) -> Result<Vec<String>, Error> {
        let mut conn = self.objects.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let tx = conn.transaction()?;
        let mut out = Vec::new();
        {
            let mut stmt = tx.prepare_cached("SELECT 1 FROM objects WHERE id = ?1 LIMIT 1")?;
            for id in ids {
                if !stmt.exists([id])? {
                    out.push(id.clone());
                }
            }
        }
        tx.finish()?;
        Ok(out)
    }
}
