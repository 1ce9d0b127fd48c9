//! Checkpoints outside commits, for the store's SQLite files in WAL mode.
//!
//! SQLite's automatic checkpoint (copying the WAL into the database file) runs inside the
//! committing transaction while it holds the write lock: in ingest it took about a sixth of the
//! time under the lock. With automatic checkpoints off, the owner of a file calls
//! [`Checkpointer::after_write`] once its write lock is released: every so many writes (each
//! one for the object store's large ingests; fewer for the ledger's small appends, which touch
//! the same few pages each time) it runs a `PASSIVE` checkpoint on a connection of its own,
//! unless another thread is already checkpointing. These keep up
//! with the writes, but the log starts over only when a write begins while nothing is left to
//! copy and no reader is in the log, which continuous writes and reads seldom leave room for;
//! so once the log holds `RESTART_FRAMES`, [`Checkpointer::before_write`] (called with the write
//! lock held) runs a `RESTART` checkpoint: little is left to copy by then, and it waits for
//! current readers only briefly — a long reader makes it give up and try again later.
//! Durability is the WAL's and does not depend on checkpoints.

use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU32, Ordering};
use std::time::Duration;

use rusqlite::Connection;

/// How long a connection waits for another process's lock before failing.
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(30);
/// WAL frames beyond which the next write first restarts the log; after a restart that readers
/// prevented, the next attempt waits for as many frames more.
const RESTART_FRAMES: i64 = 16 * 1024;
/// How long a `RESTART` checkpoint (which runs under the write lock) waits for readers.
const RESTART_WAIT: Duration = Duration::from_millis(50);

/// Checkpoints for one database file.
pub(crate) struct Checkpointer {
    conn: Mutex<Connection>,
    /// Frames in the WAL at the last checkpoint.
    frames: AtomicI64,
    /// Frames at which the next write restarts the log.
    restart_at: AtomicI64,
    /// `RESTART_FRAMES`, smaller in tests.
    restart_every: i64,
    /// Writes since the last checkpoint.
    writes: AtomicU32,
    /// Writes per checkpoint.
    writes_per_checkpoint: u32,
}

impl Checkpointer {
    /// A checkpointer for the WAL database at `path`, syncing as `synchronous` says (the
    /// writer's setting), checkpointing after every `writes_per_checkpoint` writes. The
    /// writer's own connection must have `wal_autocheckpoint=0`.
    pub(crate) fn open(
        path: &Path,
        synchronous: &str,
        writes_per_checkpoint: u32,
    ) -> rusqlite::Result<Self> {
        let conn = Connection::open(path)?;
        conn.pragma_update(None, "synchronous", synchronous)?;
        conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        Ok(Self {
            conn: Mutex::new(conn),
            frames: AtomicI64::new(0),
            restart_at: AtomicI64::new(RESTART_FRAMES),
            restart_every: RESTART_FRAMES,
            writes: AtomicU32::new(0),
            writes_per_checkpoint: writes_per_checkpoint.max(1),
        })
    }

    /// Before a write transaction, with the write lock held: restarts a long log.
    pub(crate) fn before_write(&self) {
        let frames = self.frames.load(Ordering::Relaxed);
        if frames < self.restart_at.load(Ordering::Relaxed) {
            return;
        }
        // Lock order: the owner's write lock, then this one (`after_write` takes only this).
        let conn = self.conn.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let restarted = conn
            .busy_timeout(RESTART_WAIT)
            .and_then(|()| checkpoint(&conn, "RESTART"))
            .and_then(|(busy, _)| conn.busy_timeout(BUSY_TIMEOUT).map(|()| !busy));
        match restarted {
            // The log starts over with this write.
            Ok(true) => {
                self.frames.store(0, Ordering::Relaxed);
                self.restart_at.store(self.restart_every, Ordering::Relaxed);
            }
            // A reader (or another process's writer) held on: try again later.
            Ok(false) => {
                tracing::debug!(wal_frames = frames, "The WAL could not restart yet.");
                self.restart_at.store(frames + self.restart_every, Ordering::Relaxed);
            }
            Err(e) => {
                tracing::warn!(error = %e, "WAL checkpoint (restart) failed.");
                self.restart_at.store(frames + self.restart_every, Ordering::Relaxed);
            }
        }
    }

    /// After a write, with the write lock released: copies committed frames into the database
    /// file. Failures are logged: the writes are durable in the WAL either way, and the next
    /// checkpoint (or the next open) copies what this one did not.
    pub(crate) fn after_write(&self) {
        if self.writes.fetch_add(1, Ordering::Relaxed) + 1 < self.writes_per_checkpoint {
            return;
        }
        let conn = match self.conn.try_lock() {
            Ok(conn) => conn,
            // A panic mid-checkpoint leaves the connection usable: SQLite checkpoints are atomic.
            Err(std::sync::TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
            // Another thread is checkpointing; it or the next one copies these frames too.
            Err(std::sync::TryLockError::WouldBlock) => return,
        };
        self.writes.store(0, Ordering::Relaxed);
        match checkpoint(&conn, "PASSIVE") {
            Ok((_, frames)) => self.frames.store(frames, Ordering::Relaxed),
            Err(e) => tracing::warn!(error = %e, "WAL checkpoint failed."),
        }
    }

    /// Copies the whole log into the database file and truncates it, waiting for readers and
    /// writers as long as the busy timeout allows (erasure: old page images must not stay in the
    /// log). Called with the owner's write lock held and no transaction open.
    ///
    /// # Errors
    /// When the log could not be checkpointed and truncated completely.
    pub(crate) fn truncate(&self) -> Result<(), crate::Error> {
        let conn = self.conn.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match checkpoint(&conn, "TRUNCATE")? {
            (false, _) => {
                self.frames.store(0, Ordering::Relaxed);
                self.restart_at.store(self.restart_every, Ordering::Relaxed);
                Ok(())
            }
            (true, frames) => Err(crate::Error::Internal(
                format!("the write-ahead log could not be truncated ({frames} frames left)").into(),
            )),
        }
    }

    /// Frames in the WAL at the last checkpoint.
    #[cfg(test)]
    pub(crate) fn frames(&self) -> i64 {
        self.frames.load(Ordering::Relaxed)
    }

    /// The frames at which the next write restarts the log.
    #[cfg(test)]
    pub(crate) fn restart_at(&self) -> i64 {
        self.restart_at.load(Ordering::Relaxed)
    }

    /// Restarts the log every `frames` frames, and at `frames` next.
    #[cfg(test)]
    pub(crate) fn set_restart_every(&mut self, frames: i64) {
        self.restart_every = frames;
        self.restart_at.store(frames, Ordering::Relaxed);
    }
}

/// Runs a checkpoint (`PASSIVE` or `RESTART`); returns whether it was blocked and the frames
/// in the WAL.
fn checkpoint(conn: &Connection, mode: &str) -> rusqlite::Result<(bool, i64)> {
    conn.prepare_cached(&format!("PRAGMA wal_checkpoint({mode})"))?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
}
