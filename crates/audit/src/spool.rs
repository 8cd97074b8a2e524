//! The write-ahead spool: where an [`crate::Appender`] makes a record durable before the
//! SQLite commit.
//!
//! Committing to SQLite on the path of every answer costs a B-tree insert into five indexes,
//! a dozen `pwrite`s and the WAL locks (tens to hundreds of microseconds). Durability against
//! the death of the process only needs the record in the kernel: one `write(2)` of one JSON
//! line to an append-only file does that. So an appender writes the events a caller waits
//! for to its own spool file (one `write` per group) and acknowledges them; its background
//! thread then commits them to SQLite in batches (within `AppenderOptions::lazy`) and records
//! in the same transaction how far its spool is committed (`spool_progress`).
//!
//! Layout: `<database>-spool/<pid>-<random>.spool`, directory 0700, files 0600. Each line is
//! `{"n":TICKET,"e":EVENT}`. The owner holds an exclusive `flock` on its file for its whole
//! life, so a file whose lock can be taken belongs to a process that is gone: [`recover`]
//! (run when an appender starts and by the `audit` commands) appends its lines beyond the
//! recorded progress, in order, in one transaction with the progress update, then removes
//! the file. Records therefore enter the chain in the order they were acknowledged per
//! process; the chain itself is computed at the SQLite commit, as for any other record.
//!
//! With `synchronous=FULL` every spool write is followed by `fdatasync`, so the acknowledged
//! record also survives power loss. A line that cannot be read back (a torn last line after a
//! power loss, or a damaged file) is not silently skipped: recovery appends an `error` record
//! naming the file and line in its place.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::error::AuditError;
use crate::event::{Event, EventKind};
use crate::store::{to_i64, Store};

/// File name suffix of spool files.
const SUFFIX: &str = ".spool";

/// The spool directory of the trail at `db`: `<db>-spool` beside it.
pub fn spool_dir(db: &Path) -> PathBuf {
    let mut name = db.file_name().unwrap_or_default().to_os_string();
    name.push("-spool");
    db.with_file_name(name)
}

#[derive(Serialize)]
struct LineOut<'a> {
    n: u64,
    e: &'a Event,
}

#[derive(Deserialize)]
struct LineIn {
    n: u64,
    e: Event,
}

/// One appender's spool file, locked for the life of the appender.
#[derive(Debug)]
pub(crate) struct Spool {
    file: Flock<File>,
    path: PathBuf,
    name: String,
    sync: bool,
    buf: Vec<u8>,
    /// Highest ticket written to the file since it was last emptied (0: empty).
    written_through: u64,
}

impl Spool {
    /// Creates and locks a new spool file for the trail at `db`.
    pub(crate) fn create(db: &Path, sync: bool) -> Result<Spool, AuditError> {
        let dir = spool_dir(db);
        let io = |path: &Path| {
            let path = path.to_owned();
            move |source| AuditError::Io { path, source }
        };
        if !dir.is_dir() {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&dir)
                .map_err(io(&dir))?;
        }
        let name = format!("{}-{:016x}{SUFFIX}", std::process::id(), nonce());
        let path = dir.join(&name);
        let file = OpenOptions::new()
            .create_new(true)
            .append(true)
            .mode(0o600)
            .open(&path)
            .map_err(io(&path))?;
        // Ours alone from birth: recovery skips a file whose lock it cannot take.
        let file = match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(f) => f,
            Err((_, errno)) => {
                let _ = fs::remove_file(&path);
                return Err(AuditError::Io {
                    path,
                    source: errno.into(),
                });
            }
        };
        Ok(Spool {
            file,
            path,
            name,
            sync,
            buf: Vec::with_capacity(4096),
            written_through: 0,
        })
    }

    /// Its name (the key of its row in `spool_progress`).
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// Appends `events` (ticket, event; tickets ascending) with one `write`, and `fdatasync`s
    /// when the trail is synchronous. Returns once they would survive the death of this
    /// process (and a power loss, when synchronous).
    pub(crate) fn write<'a>(
        &mut self,
        events: impl IntoIterator<Item = (u64, &'a Event)>,
    ) -> Result<(), AuditError> {
        self.buf.clear();
        let mut last = None;
        for (n, e) in events {
            serde_json::to_writer(&mut self.buf, &LineOut { n, e })?;
            self.buf.push(b'\n');
            last = Some(n);
        }
        let io = |source| AuditError::Io {
            path: self.path.clone(),
            source,
        };
        self.file.write_all(&self.buf).map_err(io)?;
        if self.sync {
            self.file.sync_data().map_err(io)?;
        }
        if let Some(n) = last {
            self.written_through = self.written_through.max(n);
        }
        Ok(())
    }

    /// Empties the file when everything written to it is committed through `committed`
    /// (keeps it small; the tickets and the progress row carry on).
    pub(crate) fn truncate_if_committed(&mut self, committed: u64) {
        if self.written_through != 0 && self.written_through <= committed {
            // Not fatal when it fails: recovery skips committed lines by their ticket.
            if self.file.set_len(0).is_ok() {
                self.written_through = 0;
            }
        }
    }

    /// Removes the file (everything in it is committed) and its progress row.
    pub(crate) fn remove(self, store: &Store) {
        let _ = fs::remove_file(&self.path);
        let _ = store
            .conn
            .execute("DELETE FROM spool_progress WHERE spool = ?1", [&self.name]);
    }
}

/// Not a secret: only keeps two spool files of one pid apart.
fn nonce() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    h.finish()
}

/// What [`recover`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recovered {
    /// Spool files of gone processes that were read and removed.
    pub files: usize,
    /// Records appended from them (including `error` records for unreadable lines).
    pub records: u64,
    /// Lines that could not be read back (each became an `error` record).
    pub unreadable: u64,
}

/// Appends the records of spool files left by processes that are gone (their lock is free)
/// to the trail, then removes those files. Files of live appenders are left alone.
pub fn recover(store: &mut Store) -> Result<Recovered, AuditError> {
    let dir = spool_dir(store.path());
    let mut out = Recovered::default();
    let entries = match fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(source) => return Err(AuditError::Io { path: dir, source }),
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.ends_with(SUFFIX))
        .collect();
    names.sort();
    for name in names {
        let path = dir.join(&name);
        let io = |source| AuditError::Io {
            path: path.clone(),
            source,
        };
        let file = match OpenOptions::new().read(true).write(true).open(&path) {
            Ok(f) => f,
            // Removed meanwhile by another recovering process.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(io(e)),
        };
        let mut file = match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(f) => f,
            // A live appender owns it.
            Err((_, Errno::EWOULDBLOCK)) => continue,
            Err((_, errno)) => return Err(io(errno.into())),
        };
        // Another recoverer may have removed it between our open and our lock.
        if !path.exists() {
            continue;
        }
        let mut bytes = Vec::new();
        file.rewind().map_err(io)?;
        file.read_to_end(&mut bytes).map_err(io)?;
        let progress: u64 = store
            .conn
            .query_row(
                "SELECT n FROM spool_progress WHERE spool = ?1",
                [&name],
                |r| r.get::<_, i64>(0),
            )
            .optional()?
            .map(|n| n.max(0) as u64)
            .unwrap_or(0);
        let (events, unreadable, last) = parse(&name, &bytes, progress);
        if !events.is_empty() {
            store.append_recovered(&events, &name, last.max(progress))?;
        }
        out.files += 1;
        out.records += events.len() as u64;
        out.unreadable += unreadable;
        fs::remove_file(&path).map_err(io)?;
        store
            .conn
            .execute("DELETE FROM spool_progress WHERE spool = ?1", [&name])?;
    }
    Ok(out)
}

/// The events of a spool file beyond `progress`, with an `error` event in place of each
/// line that cannot be read; also how many were unreadable and the highest ticket seen.
fn parse(name: &str, bytes: &[u8], progress: u64) -> (Vec<Event>, u64, u64) {
    let mut events = Vec::new();
    let mut unreadable = 0;
    let mut last = 0;
    let mut rest = bytes;
    let mut line_no = 0u64;
    while !rest.is_empty() {
        line_no += 1;
        let (line, complete) = match rest.iter().position(|b| *b == b'\n') {
            Some(i) => {
                let l = &rest[..i];
                rest = &rest[i + 1..];
                (l, true)
            }
            None => {
                let l = rest;
                rest = &[];
                (l, false)
            }
        };
        if line.is_empty() {
            continue;
        }
        let parsed = if complete {
            serde_json::from_slice::<LineIn>(line).map_err(|e| e.to_string())
        } else {
            Err("torn last line (the write did not complete)".to_owned())
        };
        match parsed {
            Ok(l) => {
                last = last.max(l.n);
                if l.n > progress {
                    events.push(l.e);
                }
            }
            Err(reason) => {
                unreadable += 1;
                let mut e = Event::new(EventKind::Error);
                e.rule = Some("audit.spool".to_owned());
                e.reason = Some(format!(
                    "audit spool `{name}` line {line_no} could not be read: {reason}"
                ));
                events.push(e);
            }
        }
    }
    (events, unreadable, last)
}

impl Store {
    /// Appends recovered spool events and sets the spool's progress, in one transaction.
    fn append_recovered(
        &mut self,
        events: &[Event],
        spool: &str,
        through: u64,
    ) -> Result<(), AuditError> {
        self.append_slice(events, None, Some((spool, through)))?;
        Ok(())
    }
}

/// Records in an open write transaction that `spool` is committed through ticket `n`.
pub(crate) fn set_progress(
    tx: &rusqlite::Connection,
    spool: &str,
    n: u64,
) -> Result<(), AuditError> {
    tx.prepare_cached(
        "INSERT INTO spool_progress (spool, n) VALUES (?1, ?2)
         ON CONFLICT(spool) DO UPDATE SET n = excluded.n",
    )?
    .execute(params![spool, to_i64(n)])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn ev(i: u64) -> Event {
        Event::new(EventKind::Call)
            .session(format!("s{i}"))
            .tool("echo")
    }

    #[test]
    fn spool_dir_sits_beside_the_database() {
        assert_eq!(
            spool_dir(Path::new("/x/y/audit.db")),
            PathBuf::from("/x/y/audit.db-spool")
        );
    }

    #[test]
    fn parse_skips_progress_and_marks_unreadable_lines() {
        let mut bytes = Vec::new();
        for i in 1..=3u64 {
            serde_json::to_writer(&mut bytes, &LineOut { n: i, e: &ev(i) }).unwrap();
            bytes.push(b'\n');
        }
        bytes.extend_from_slice(b"{not json}\n");
        serde_json::to_writer(&mut bytes, &LineOut { n: 5, e: &ev(5) }).unwrap();
        bytes.push(b'\n');
        bytes.extend_from_slice(br#"{"n":6,"e":{"ki"#);
        let (events, unreadable, last) = parse("f.spool", &bytes, 1);
        assert_eq!(unreadable, 2);
        assert_eq!(last, 5);
        let kinds: Vec<_> = events.iter().map(|e| e.kind.clone()).collect();
        assert_eq!(
            kinds,
            vec![
                EventKind::Call,
                EventKind::Call,
                EventKind::Error,
                EventKind::Call,
                EventKind::Error
            ]
        );
        assert_eq!(events[0].session.as_deref(), Some("s2"));
        assert!(events[2]
            .reason
            .as_deref()
            .unwrap()
            .contains("`f.spool` line 4"));
        assert!(events[4].reason.as_deref().unwrap().contains("torn"));
    }

    #[test]
    fn a_live_spool_is_left_alone_and_a_dead_one_is_recovered_once() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("audit.db");
        let mut store = Store::open(&db).unwrap();
        let mut live = Spool::create(&db, false).unwrap();
        live.write([(1, &ev(1)), (2, &ev(2))]).unwrap();
        assert_eq!(recover(&mut store).unwrap(), Recovered::default());
        assert_eq!(store.count().unwrap(), 0);
        // Ticket 1 was committed before the "crash" (its progress row says so).
        store
            .append_slice(&[ev(1)], None, Some((live.name(), 1)))
            .unwrap();
        let path = live.path.clone();
        drop(live); // the lock goes with the file handle, as when the process dies
        let r = recover(&mut store).unwrap();
        assert_eq!(
            r,
            Recovered {
                files: 1,
                records: 1,
                unreadable: 0
            }
        );
        assert!(!path.exists());
        assert_eq!(store.count().unwrap(), 2);
        assert_eq!(
            store.get(2).unwrap().unwrap().event.session.as_deref(),
            Some("s2")
        );
        assert!(store.verify().unwrap().is_ok());
        assert_eq!(recover(&mut store).unwrap(), Recovered::default());
        let rows: i64 = store
            .conn
            .query_row("SELECT COUNT(*) FROM spool_progress", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 0);
    }

    #[test]
    fn truncation_waits_for_the_commit() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("audit.db");
        let mut s = Spool::create(&db, true).unwrap();
        s.write([(3, &ev(3)), (4, &ev(4))]).unwrap();
        s.truncate_if_committed(3);
        assert!(fs::metadata(&s.path).unwrap().len() > 0);
        s.truncate_if_committed(4);
        assert_eq!(fs::metadata(&s.path).unwrap().len(), 0);
        s.write([(5, &ev(5))]).unwrap();
        let mut bytes = Vec::new();
        File::open(&s.path)
            .unwrap()
            .read_to_end(&mut bytes)
            .unwrap();
        assert!(
            bytes.starts_with(br#"{"n":5,"#),
            "{}",
            String::from_utf8_lossy(&bytes)
        );
    }
}
