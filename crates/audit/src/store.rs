//! The SQLite store: one hash chain in one database file, shared safely by several processes.
//!
//! Concurrency: every write takes SQLite's write lock first (`BEGIN IMMEDIATE`), then reads the
//! chain head, inserts, and commits. Several `mcpwall` processes writing one file therefore
//! serialize on the lock and extend one chain; none can read a stale head.
//!
//! Durability: the database runs in WAL mode. With `synchronous=FULL` (the default) a commit
//! returns only after the WAL is fsynced, so an acknowledged record survives SIGKILL *and*
//! power loss. With `synchronous=NORMAL` a commit returns after the WAL `write()`: the record
//! is in the kernel's page cache and survives the death of the process (SIGKILL), but not a
//! power loss or kernel crash. See `docs/audit.md`.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::types::Value as SqlValue;
use rusqlite::{params, Connection, OpenFlags, OptionalExtension, TransactionBehavior};
use time::OffsetDateTime;

use crate::chain::{canonical_event, record_hash, Record, GENESIS_HASH};
use crate::error::AuditError;
use crate::event::{Caps, Decision, Event, EventKind};
use crate::time_fmt;

/// Schema version kept in `PRAGMA user_version`.
pub const SCHEMA_VERSION: i64 = 2;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS records (
    seq       INTEGER PRIMARY KEY,
    time      TEXT NOT NULL,
    kind      TEXT NOT NULL,
    session   TEXT,
    server    TEXT,
    tool      TEXT,
    decision  TEXT,
    event     TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS records_time ON records(time);
CREATE INDEX IF NOT EXISTS records_session ON records(session);
CREATE INDEX IF NOT EXISTS records_server_tool ON records(server, tool);
CREATE INDEX IF NOT EXISTS records_kind ON records(kind);
CREATE TABLE IF NOT EXISTS head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS checkpoints (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    through_seq  INTEGER NOT NULL,
    through_hash TEXT NOT NULL,
    record_seq   INTEGER NOT NULL,
    pruned       INTEGER NOT NULL,
    created      TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS spool_progress (
    spool TEXT PRIMARY KEY,
    n     INTEGER NOT NULL
);
";

/// Version 1 -> 2: appenders record how far their write-ahead spool is committed.
const MIGRATE_1_2: &str = "
CREATE TABLE IF NOT EXISTS spool_progress (
    spool TEXT PRIMARY KEY,
    n     INTEGER NOT NULL
);
";

/// How hard a commit waits for the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Synchronous {
    /// fsync the WAL at every commit: acknowledged records survive SIGKILL and power loss.
    #[default]
    Full,
    /// No fsync at commit: acknowledged records survive SIGKILL (the kernel holds them) but
    /// the last commits may be lost on power loss or a kernel crash.
    Normal,
}

/// Options for [`Store::open_with`].
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Commit durability (default [`Synchronous::Full`]).
    pub synchronous: Synchronous,
    /// How long to wait for another process's write lock (default 10 s).
    pub busy_timeout: Duration,
    /// Caps applied to argument text and result excerpts on append.
    pub caps: Caps,
    /// Create the database (and its directory) when missing (default true).
    pub create: bool,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            synchronous: Synchronous::Full,
            busy_timeout: Duration::from_secs(10),
            caps: Caps::default(),
            create: true,
        }
    }
}

/// The last record of the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// Its sequence number.
    pub seq: u64,
    /// Its hash (hex).
    pub hash: String,
}

/// What `prune` left behind: the chain now starts right after `through_seq`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// Last removed sequence number.
    pub through_seq: u64,
    /// Hash of that record: the `prev_hash` of the first remaining one.
    pub through_hash: String,
    /// Sequence number of the `checkpoint` record written into the chain by this prune.
    pub record_seq: u64,
    /// How many records this prune removed.
    pub pruned: u64,
    /// When the prune ran (trail time format).
    pub created: String,
}

/// Selects records. Every set field must match; `None` matches anything.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Records at or after this time.
    pub since: Option<OffsetDateTime>,
    /// Records strictly before this time.
    pub until: Option<OffsetDateTime>,
    /// Session id.
    pub session: Option<String>,
    /// Server name.
    pub server: Option<String>,
    /// Tool name.
    pub tool: Option<String>,
    /// Event kind.
    pub kind: Option<EventKind>,
    /// Decision.
    pub decision: Option<Decision>,
    /// Records with a sequence number strictly greater than this (for follow mode).
    pub after_seq: Option<u64>,
    /// At most this many records (the oldest matching ones).
    pub limit: Option<usize>,
}

/// The audit trail in one SQLite file.
#[derive(Debug)]
pub struct Store {
    pub(crate) conn: Connection,
    path: PathBuf,
    caps: Caps,
    synchronous: Synchronous,
}

/// What a WAL checkpoint found and did, in WAL frames (pages).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WalCheckpoint {
    /// Frames in the WAL when the checkpoint ran.
    pub log: u64,
    /// Frames copied into the database file by now (all of `log` when complete).
    pub checkpointed: u64,
}

impl WalCheckpoint {
    /// Every frame is in the database file: the next write transaction starts the WAL over
    /// instead of growing it.
    pub fn complete(&self) -> bool {
        self.checkpointed >= self.log
    }
}

/// Creates the parent directory (0700) and the file (0600) so the trail is private from birth.
fn prepare_path(path: &Path) -> Result<(), AuditError> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    let io = |source| AuditError::Io {
        path: path.to_owned(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if !dir.exists() {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(io)?;
        }
    }
    fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
        .map_err(io)?;
    Ok(())
}

impl Store {
    /// Opens (creating if needed) the trail at `path` with default options.
    pub fn open(path: impl AsRef<Path>) -> Result<Store, AuditError> {
        Self::open_with(path, &StoreOptions::default())
    }

    /// Opens an existing trail; fails if there is no file at `path` (for readers such as
    /// `verify`, which must not create an empty trail and call it valid).
    pub fn open_existing(path: impl AsRef<Path>) -> Result<Store, AuditError> {
        Self::open_with(
            path,
            &StoreOptions {
                create: false,
                ..StoreOptions::default()
            },
        )
    }

    /// Opens the trail at `path` with `opts`.
    pub fn open_with(path: impl AsRef<Path>, opts: &StoreOptions) -> Result<Store, AuditError> {
        let path = path.as_ref();
        let open_err = |source| AuditError::Open {
            path: path.to_owned(),
            source,
        };
        let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        if opts.create {
            prepare_path(path)?;
            flags |= OpenFlags::SQLITE_OPEN_CREATE;
        }
        let conn = Connection::open_with_flags(path, flags).map_err(open_err)?;
        conn.busy_timeout(opts.busy_timeout).map_err(open_err)?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
            .map_err(open_err)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(AuditError::Open {
                path: path.to_owned(),
                source: rusqlite::Error::InvalidParameterName(format!(
                    "journal mode `{mode}` instead of `wal`"
                )),
            });
        }
        let sync = match opts.synchronous {
            Synchronous::Full => "FULL",
            Synchronous::Normal => "NORMAL",
        };
        conn.pragma_update(None, "synchronous", sync)
            .map_err(open_err)?;
        let mut store = Store {
            conn,
            path: path.to_owned(),
            caps: opts.caps,
            synchronous: opts.synchronous,
        };
        store.init_schema()?;
        Ok(store)
    }

    fn init_schema(&mut self) -> Result<(), AuditError> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        match version {
            0 => {
                tx.execute_batch(SCHEMA)?;
                tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
            }
            SCHEMA_VERSION => {}
            1 => {
                tx.execute_batch(MIGRATE_1_2)?;
                tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
            }
            found => {
                return Err(AuditError::Schema {
                    path,
                    found,
                    expected: SCHEMA_VERSION,
                })
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Sets how many WAL pages trigger an automatic checkpoint inside a commit (SQLite's
    /// default is 1000); 0 turns automatic checkpoints off, for a writer whose checkpoints are
    /// run by [`Store::checkpoint_wal`] elsewhere.
    pub fn set_wal_autocheckpoint(&self, pages: u32) -> Result<(), AuditError> {
        self.conn
            .pragma_update(None, "wal_autocheckpoint", pages)
            .map_err(AuditError::from)
    }

    /// Copies committed WAL pages into the database file (a passive checkpoint: it never
    /// waits for other connections). With `synchronous=normal` this is where the fsyncs are.
    pub fn checkpoint_wal(&self) -> Result<WalCheckpoint, AuditError> {
        let (log, done): (i64, i64) = self
            .conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
                Ok((r.get(1)?, r.get(2)?))
            })
            .map_err(AuditError::from)?;
        Ok(WalCheckpoint {
            log: log.max(0) as u64,
            checkpointed: done.max(0) as u64,
        })
    }

    /// A second connection to the same trail, with the same durability and no automatic
    /// checkpoints, for running WAL checkpoints beside this connection's commits: in WAL mode
    /// a checkpoint on another connection does not take the write lock, so commits go on
    /// while it copies pages and waits for its fsyncs.
    pub fn checkpointer(&self) -> Result<Store, AuditError> {
        let other = Store::open_with(
            &self.path,
            &StoreOptions {
                synchronous: self.synchronous,
                caps: self.caps,
                create: false,
                ..StoreOptions::default()
            },
        )?;
        other.set_wal_autocheckpoint(0)?;
        Ok(other)
    }

    /// How hard its commits wait for the disk.
    pub fn synchronous(&self) -> Synchronous {
        self.synchronous
    }

    /// The database path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one event and returns its record, after the commit (see the module docs for
    /// what survives what).
    pub fn append(&mut self, event: &Event) -> Result<Record, AuditError> {
        let mut out = Vec::with_capacity(1);
        self.append_slice(std::slice::from_ref(event), Some(&mut out), None)?;
        out.pop()
            .ok_or_else(|| AuditError::Append("no record written".to_owned()))
    }

    /// Appends `events` in one transaction (one commit, one fsync) and returns their records.
    /// Either all are appended or none.
    pub fn append_batch(&mut self, events: &[Event]) -> Result<Vec<Record>, AuditError> {
        let mut out = Vec::with_capacity(events.len());
        self.append_slice(events, Some(&mut out), None)?;
        Ok(out)
    }

    /// Appends in one transaction; returns the last sequence number written (0 if none).
    /// `progress` (spool name, ticket) is recorded in the same transaction: the spool's lines
    /// through that ticket are in the trail (see `spool.rs`).
    pub(crate) fn append_slice(
        &mut self,
        events: &[Event],
        out: Option<&mut Vec<Record>>,
        progress: Option<(&str, u64)>,
    ) -> Result<u64, AuditError> {
        let caps = self.caps;
        // BEGIN and COMMIT as cached statements: this runs once per group commit, and parsing
        // them each time shows in profiles.
        self.conn.prepare_cached("BEGIN IMMEDIATE")?.execute([])?;
        let res = append_in(&self.conn, events, caps, out).and_then(|last| {
            if let Some((spool, n)) = progress {
                crate::spool::set_progress(&self.conn, spool, n)?;
            }
            self.conn.prepare_cached("COMMIT")?.execute([])?;
            Ok(last)
        });
        if res.is_err() && !self.conn.is_autocommit() {
            // Leave nothing half-written: the next attempt starts from a clean state.
            let _ = self.conn.execute_batch("ROLLBACK");
        }
        res
    }

    /// The last record's sequence number and hash, or `None` for an empty trail.
    pub fn head(&self) -> Result<Option<Head>, AuditError> {
        read_last(&self.conn)
    }

    /// Number of records kept.
    pub fn count(&self) -> Result<u64, AuditError> {
        let n: i64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM records", [], |r| r.get(0))?;
        Ok(n.max(0) as u64)
    }

    /// The record with sequence number `seq`, if kept.
    pub fn get(&self, seq: u64) -> Result<Option<Record>, AuditError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT seq, prev_hash, hash, event FROM records WHERE seq = ?1")?;
        let row = stmt.query_row([to_i64(seq)], raw_row).optional()?;
        row.map(RawRow::into_record).transpose()
    }

    /// The newest `n` records, oldest first.
    pub fn tail(&self, n: usize) -> Result<Vec<Record>, AuditError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, prev_hash, hash, event FROM
               (SELECT * FROM records ORDER BY seq DESC LIMIT ?1) ORDER BY seq ASC",
        )?;
        let rows = stmt.query_map([i64::try_from(n).unwrap_or(i64::MAX)], raw_row)?;
        let mut out = Vec::new();
        for row in rows {
            out.push(row?.into_record()?);
        }
        Ok(out)
    }

    /// Records matching `filter`, oldest first.
    pub fn query(&self, filter: &Filter) -> Result<Vec<Record>, AuditError> {
        let mut out = Vec::new();
        self.for_each(filter, |r| {
            out.push(r);
            Ok(())
        })?;
        Ok(out)
    }

    /// Calls `f` for each record matching `filter`, oldest first, without holding them all in
    /// memory (for export). Stops at the first error `f` returns.
    pub fn for_each<F>(&self, filter: &Filter, mut f: F) -> Result<(), AuditError>
    where
        F: FnMut(Record) -> Result<(), AuditError>,
    {
        let mut sql = String::from("SELECT seq, prev_hash, hash, event FROM records WHERE 1=1");
        let mut args: Vec<SqlValue> = Vec::new();
        let mut push = |clause: &str, v: SqlValue| {
            args.push(v);
            sql.push_str(&format!(" AND {clause} ?{}", args.len()));
        };
        if let Some(t) = filter.since {
            push("time >=", SqlValue::Text(time_fmt::format(t)));
        }
        if let Some(t) = filter.until {
            push("time <", SqlValue::Text(time_fmt::format(t)));
        }
        if let Some(s) = &filter.session {
            push("session =", SqlValue::Text(s.clone()));
        }
        if let Some(s) = &filter.server {
            push("server =", SqlValue::Text(s.clone()));
        }
        if let Some(s) = &filter.tool {
            push("tool =", SqlValue::Text(s.clone()));
        }
        if let Some(k) = &filter.kind {
            push("kind =", SqlValue::Text(k.as_str().to_owned()));
        }
        if let Some(d) = filter.decision {
            push("decision =", SqlValue::Text(d.as_str().to_owned()));
        }
        if let Some(s) = filter.after_seq {
            push("seq >", SqlValue::Integer(to_i64(s)));
        }
        sql.push_str(" ORDER BY seq ASC");
        if let Some(n) = filter.limit {
            sql.push_str(&format!(" LIMIT {}", i64::try_from(n).unwrap_or(i64::MAX)));
        }
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(args), raw_row)?;
        for row in rows {
            f(row?.into_record()?)?;
        }
        Ok(())
    }

    /// The latest checkpoint left by [`Store::prune`], if any.
    pub fn checkpoint(&self) -> Result<Option<Checkpoint>, AuditError> {
        read_checkpoint(&self.conn)
    }

    /// Removes the longest prefix of the chain whose records are all older than `before`, and
    /// leaves a checkpoint: a `checkpoint` record appended to the chain (so it is itself
    /// hash-protected) plus a row in the `checkpoints` table naming the last removed record's
    /// seq and hash, from which `verify` resumes. One transaction. Returns `None` when nothing
    /// was old enough.
    pub fn prune(&mut self, before: OffsetDateTime) -> Result<Option<Checkpoint>, AuditError> {
        let caps = self.caps;
        let before_s = time_fmt::format(before);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let Some(head) = read_last(&tx)? else {
            return Ok(None);
        };
        let first: Option<i64> = tx.query_row("SELECT MIN(seq) FROM records", [], |r| r.get(0))?;
        let first_kept: Option<i64> = tx.query_row(
            "SELECT MIN(seq) FROM records WHERE time >= ?1",
            [&before_s],
            |r| r.get(0),
        )?;
        let through = match first_kept {
            Some(s) => s - 1,
            None => to_i64(head.seq),
        };
        if first.is_none_or(|f| through < f) {
            return Ok(None);
        }
        let through_hash: String =
            tx.query_row("SELECT hash FROM records WHERE seq = ?1", [through], |r| {
                r.get(0)
            })?;
        let pruned: i64 = tx.query_row(
            "SELECT COUNT(*) FROM records WHERE seq <= ?1",
            [through],
            |r| r.get(0),
        )?;
        let event = Event::new(EventKind::Checkpoint)
            .detail("through_seq", through)
            .detail("through_hash", through_hash.clone())
            .detail("pruned", pruned)
            .detail("before", before_s);
        let created = time_fmt::format(event.time);
        let record_seq = append_in(&tx, std::slice::from_ref(&event), caps, None)?;
        tx.execute(
            "INSERT INTO checkpoints (through_seq, through_hash, record_seq, pruned, created)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![through, through_hash, to_i64(record_seq), pruned, created],
        )?;
        tx.execute("DELETE FROM records WHERE seq <= ?1", [through])?;
        tx.commit()?;
        Ok(Some(Checkpoint {
            through_seq: through.max(0) as u64,
            through_hash,
            record_seq,
            pruned: pruned.max(0) as u64,
            created,
        }))
    }
}

pub(crate) fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// The last record (the chain's true head), or `None`.
fn read_last(conn: &Connection) -> Result<Option<Head>, AuditError> {
    let row = conn
        .prepare_cached("SELECT seq, hash FROM records ORDER BY seq DESC LIMIT 1")?
        .query_row([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
        .optional()?;
    Ok(row.map(|(seq, hash)| Head {
        seq: seq.max(0) as u64,
        hash,
    }))
}

pub(crate) fn read_head_row(conn: &Connection) -> Result<Option<Head>, AuditError> {
    let row = conn
        .query_row("SELECT seq, hash FROM head WHERE id = 1", [], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
        })
        .optional()?;
    Ok(row.map(|(seq, hash)| Head {
        seq: seq.max(0) as u64,
        hash,
    }))
}

pub(crate) fn read_checkpoint(conn: &Connection) -> Result<Option<Checkpoint>, AuditError> {
    let row = conn
        .query_row(
            "SELECT through_seq, through_hash, record_seq, pruned, created
             FROM checkpoints ORDER BY id DESC LIMIT 1",
            [],
            |r| {
                Ok(Checkpoint {
                    through_seq: r.get::<_, i64>(0)?.max(0) as u64,
                    through_hash: r.get(1)?,
                    record_seq: r.get::<_, i64>(2)?.max(0) as u64,
                    pruned: r.get::<_, i64>(3)?.max(0) as u64,
                    created: r.get(4)?,
                })
            },
        )
        .optional()?;
    Ok(row)
}

/// Extends the chain inside an open write transaction. Returns the last seq written.
fn append_in(
    tx: &Connection,
    events: &[Event],
    caps: Caps,
    mut out: Option<&mut Vec<Record>>,
) -> Result<u64, AuditError> {
    let (mut seq, mut prev) = match read_last(tx)? {
        Some(h) => (h.seq, h.hash),
        // An empty table after a prune cannot happen (prune leaves its checkpoint record), but
        // if it did, continue from the checkpoint rather than restart at 1.
        None => match read_checkpoint(tx)? {
            Some(c) => (c.through_seq, c.through_hash),
            None => (0, GENESIS_HASH.to_owned()),
        },
    };
    {
        let mut stmt = tx.prepare_cached(
            "INSERT INTO records (seq, time, kind, session, server, tool, decision, event, prev_hash, hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?;
        for event in events {
            // Copy only the events a cap actually shortens.
            let capped;
            let event = if exceeds_caps(event, caps) {
                let mut c = event.clone();
                c.apply_caps(caps);
                capped = c;
                &capped
            } else {
                event
            };
            let json = canonical_event(event)?;
            seq += 1;
            let hash = record_hash(&prev, seq, &json);
            stmt.execute(params![
                to_i64(seq),
                time_fmt::format(event.time),
                event.kind.as_str(),
                event.session.as_deref(),
                event.server.as_deref(),
                event.tool.as_deref(),
                event.decision.map(Decision::as_str),
                json,
                prev,
                hash,
            ])?;
            let prev_hash = std::mem::replace(&mut prev, hash);
            if let Some(out) = out.as_deref_mut() {
                out.push(Record {
                    seq,
                    prev_hash,
                    hash: prev.clone(),
                    event: event.clone(),
                });
            }
        }
    }
    tx.prepare_cached(
        "INSERT INTO head (id, seq, hash) VALUES (1, ?1, ?2)
         ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
    )?
    .execute(params![to_i64(seq), prev])?;
    Ok(seq)
}

fn exceeds_caps(event: &Event, caps: Caps) -> bool {
    event.args.as_ref().is_some_and(|t| t.len() > caps.args)
        || event
            .result
            .as_ref()
            .and_then(|r| r.excerpt.as_ref())
            .is_some_and(|t| t.len() > caps.excerpt)
}

/// A row as stored, before the event text is parsed.
pub(crate) struct RawRow {
    pub seq: u64,
    pub prev_hash: String,
    pub hash: String,
    pub event: String,
}

pub(crate) fn raw_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawRow> {
    Ok(RawRow {
        seq: r.get::<_, i64>(0)?.max(0) as u64,
        prev_hash: r.get(1)?,
        hash: r.get(2)?,
        event: r.get(3)?,
    })
}

impl RawRow {
    pub(crate) fn into_record(self) -> Result<Record, AuditError> {
        let event: Event =
            serde_json::from_str(&self.event).map_err(|e| AuditError::Malformed {
                seq: self.seq,
                reason: e.to_string(),
            })?;
        Ok(Record {
            seq: self.seq,
            prev_hash: self.prev_hash,
            hash: self.hash,
            event,
        })
    }
}
