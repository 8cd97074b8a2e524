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
use serde::Deserialize;
#[cfg(test)]
use serde::Serialize;

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

/// A line in its serde form (tests write lines this way to show `LineIn` reads both).
#[cfg(test)]
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

/// A spool file beyond this size is closed for writing and a new one started (the old one
/// goes once everything in it is committed): under sustained traffic the committer never
/// catches up with the writer completely, so emptying the file in place would never happen.
const ROTATE_BYTES: u64 = 1 << 20;

/// One file of a spool, locked for as long as it exists.
#[derive(Debug)]
struct SpoolFile {
    file: Flock<File>,
    path: PathBuf,
    /// Bytes written since it was last emptied.
    len: u64,
    /// Highest ticket written to it since it was last emptied (0: empty).
    written_through: u64,
}

impl SpoolFile {
    /// Creates `path` (which must not exist) and locks it.
    fn create(path: PathBuf) -> Result<SpoolFile, AuditError> {
        let file = OpenOptions::new()
            .create_new(true)
            .append(true)
            .mode(0o600)
            .open(&path)
            .map_err(|source| AuditError::Io {
                path: path.clone(),
                source,
            })?;
        // Ours alone from birth: recovery skips a file whose lock it cannot take.
        match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(file) => Ok(SpoolFile {
                file,
                path,
                len: 0,
                written_through: 0,
            }),
            Err((_, errno)) => {
                let _ = fs::remove_file(&path);
                Err(AuditError::Io {
                    path,
                    source: errno.into(),
                })
            }
        }
    }
}

/// One appender's spool: the file it writes, plus full files not yet wholly committed. Every
/// file is locked for as long as it exists.
#[derive(Debug)]
pub(crate) struct Spool {
    dir: PathBuf,
    /// `<pid>-<random>`: the owner's name, key of its row in `spool_progress`; files are
    /// `<name>.<k>.spool`.
    name: String,
    /// `k` of the current file.
    k: u64,
    current: SpoolFile,
    /// Full files, oldest first.
    full: Vec<SpoolFile>,
    sync: bool,
    buf: Vec<u8>,
}

impl Spool {
    /// Creates and locks a new spool for the trail at `db`.
    pub(crate) fn create(db: &Path, sync: bool) -> Result<Spool, AuditError> {
        let dir = spool_dir(db);
        if !dir.is_dir() {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&dir)
                .map_err(|source| AuditError::Io {
                    path: dir.clone(),
                    source,
                })?;
        }
        let name = format!("{}-{:016x}", std::process::id(), nonce());
        let current = SpoolFile::create(dir.join(file_name(&name, 1)))?;
        Ok(Spool {
            dir,
            name,
            k: 1,
            current,
            full: Vec::new(),
            sync,
            buf: Vec::with_capacity(4096),
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
        if self.current.len >= ROTATE_BYTES {
            let next = SpoolFile::create(self.dir.join(file_name(&self.name, self.k + 1)))?;
            self.k += 1;
            self.full.push(std::mem::replace(&mut self.current, next));
        }
        self.buf.clear();
        let mut last = None;
        for (n, e) in events {
            // `{"n":N,"e":EVENT}` with the event in its canonical form (the same object as
            // its serde form, keys sorted; `LineIn` reads either), written directly.
            self.buf.extend_from_slice(b"{\"n\":");
            self.buf.extend_from_slice(n.to_string().as_bytes());
            self.buf.extend_from_slice(b",\"e\":");
            crate::canonical::write_event(e, &mut self.buf);
            self.buf.extend_from_slice(b"}\n");
            last = Some(n);
        }
        let cur = &mut self.current;
        let io = |source| AuditError::Io {
            path: cur.path.clone(),
            source,
        };
        cur.file.write_all(&self.buf).map_err(io)?;
        if self.sync {
            cur.file.sync_data().map_err(io)?;
        }
        cur.len += self.buf.len() as u64;
        if let Some(n) = last {
            cur.written_through = cur.written_through.max(n);
        }
        Ok(())
    }

    /// Drops what is committed through ticket `committed`: full files wholly committed are
    /// removed, and the current file is emptied when all of it is (the tickets and the
    /// progress row carry on).
    pub(crate) fn truncate_if_committed(&mut self, committed: u64) {
        self.full.retain(|f| {
            if f.written_through <= committed {
                // Not fatal when it fails: recovery skips committed lines by their ticket.
                let _ = fs::remove_file(&f.path);
                false
            } else {
                true
            }
        });
        let cur = &mut self.current;
        if cur.written_through != 0
            && cur.written_through <= committed
            && cur.file.set_len(0).is_ok()
        {
            cur.written_through = 0;
            cur.len = 0;
        }
    }

    /// How many files it has now (for tests).
    #[cfg(test)]
    fn files(&self) -> usize {
        1 + self.full.len()
    }

    /// A spool whose writes fail (its file is open read-only), for tests of the fallback.
    #[cfg(test)]
    pub(crate) fn failing(db: &Path) -> Spool {
        #![allow(clippy::unwrap_used)]
        let s = Spool::create(db, false).unwrap();
        let (dir, name, path) = (s.dir.clone(), s.name.clone(), s.current.path.clone());
        drop(s); // releases the lock; the file stays
        let ro = File::open(&path).unwrap();
        let file = Flock::lock(ro, FlockArg::LockExclusiveNonblock)
            .map_err(|(_, e)| e)
            .unwrap();
        Spool {
            dir,
            name,
            k: 1,
            current: SpoolFile {
                file,
                path,
                len: 0,
                written_through: 0,
            },
            full: Vec::new(),
            sync: false,
            buf: Vec::new(),
        }
    }

    /// Removes its files (everything in them is committed) and its progress row.
    pub(crate) fn remove(self, store: &Store) {
        for f in self.full.iter().chain(std::iter::once(&self.current)) {
            let _ = fs::remove_file(&f.path);
        }
        let _ = store
            .conn
            .execute("DELETE FROM spool_progress WHERE spool = ?1", [&self.name]);
    }
}

/// The file name of file `k` of spool `name`.
fn file_name(name: &str, k: u64) -> String {
    format!("{name}.{k}{SUFFIX}")
}

/// The owner's name and `k` of a spool file name, if it is one.
fn parse_file_name(file: &str) -> Option<(&str, u64)> {
    let stem = file.strip_suffix(SUFFIX)?;
    let (name, k) = stem.rsplit_once('.')?;
    Some((name, k.parse().ok()?))
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
    // Files by owner, each owner's in the order it wrote them.
    let mut owners: std::collections::BTreeMap<String, Vec<(u64, String)>> =
        std::collections::BTreeMap::new();
    for entry in entries.filter_map(Result::ok) {
        let Ok(file) = entry.file_name().into_string() else {
            continue;
        };
        if let Some((name, k)) = parse_file_name(&file) {
            owners
                .entry(name.to_owned())
                .or_default()
                .push((k, file.clone()));
        }
    }
    'owner: for (name, mut files) in owners {
        files.sort();
        // Take every lock first: an owner that is alive holds all of its files.
        let mut locked = Vec::with_capacity(files.len());
        for (_, file) in &files {
            let path = dir.join(file);
            let io = |source| AuditError::Io {
                path: path.clone(),
                source,
            };
            let f = match OpenOptions::new().read(true).write(true).open(&path) {
                Ok(f) => f,
                // Removed meanwhile by its owner or another recovering process.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(io(e)),
            };
            match Flock::lock(f, FlockArg::LockExclusiveNonblock) {
                Ok(f) => locked.push((path, f)),
                // A live appender owns it.
                Err((_, Errno::EWOULDBLOCK)) => continue 'owner,
                Err((_, errno)) => return Err(io(errno.into())),
            }
        }
        for (path, mut file) in locked {
            // Another recoverer may have removed it between our open and our lock.
            if !path.exists() {
                continue;
            }
            let io = |source| AuditError::Io {
                path: path.clone(),
                source,
            };
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
            let file_name = path
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            let (events, unreadable, last) = parse(&file_name, &bytes, progress);
            if !events.is_empty() {
                // The records and the progress in one transaction: never appended twice.
                store.append_slice(&events, None, Some((&name, last.max(progress))))?;
            }
            out.records += events.len() as u64;
            out.unreadable += unreadable;
            out.files += 1;
            fs::remove_file(&path).map_err(io)?;
        }
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
                events.push(note(format!(
                    "audit spool `{name}` line {line_no} could not be read: {reason}"
                )));
            }
        }
    }
    (events, unreadable, last)
}

/// An `error` record (`rule` `audit.spool`) saying what the spool could not do.
pub(crate) fn note(reason: String) -> Event {
    let mut e = Event::new(EventKind::Error);
    e.rule = Some("audit.spool".to_owned());
    e.reason = Some(reason);
    e
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
        let path = live.current.path.clone();
        assert_eq!(recover(&mut store).unwrap(), Recovered::default());
        assert_eq!(store.count().unwrap(), 0);
        // Ticket 1 was committed before the "crash" (its progress row says so).
        store
            .append_slice(&[ev(1)], None, Some((live.name(), 1)))
            .unwrap();
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
        assert!(fs::metadata(&s.current.path).unwrap().len() > 0);
        s.truncate_if_committed(4);
        assert_eq!(fs::metadata(&s.current.path).unwrap().len(), 0);
        s.write([(5, &ev(5))]).unwrap();
        let mut bytes = Vec::new();
        File::open(&s.current.path)
            .unwrap()
            .read_to_end(&mut bytes)
            .unwrap();
        assert!(
            bytes.starts_with(br#"{"n":5,"#),
            "{}",
            String::from_utf8_lossy(&bytes)
        );
    }

    #[test]
    fn a_spool_under_sustained_writes_rotates_and_drops_committed_files() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("audit.db");
        let mut store = Store::open(&db).unwrap();
        let mut s = Spool::create(&db, false).unwrap();
        let big = Event::new(EventKind::Result).tool("x".repeat(64 * 1024));
        // The committer always lags one write behind: the current file is never wholly
        // committed, so only rotation keeps the spool bounded.
        for t in 1..=64u64 {
            s.write([(t, &big)]).unwrap();
            s.truncate_if_committed(t - 1);
            assert!(s.files() <= 2, "{} files after ticket {t}", s.files());
        }
        assert!(s.k > 2, "never rotated");
        let on_disk = fs::read_dir(spool_dir(&db)).unwrap().count();
        assert_eq!(on_disk, s.files());
        // A crash now: recovery reads every file of this owner, in order, beyond progress.
        store
            .append_slice(&[ev(1)], None, Some((s.name(), 60)))
            .unwrap();
        drop(s);
        let r = recover(&mut store).unwrap();
        assert_eq!(r.records, 4, "{r:?}");
        assert_eq!(store.count().unwrap(), 5);
        assert!(store.verify().unwrap().is_ok());
        assert_eq!(fs::read_dir(spool_dir(&db)).unwrap().count(), 0);
    }

    #[test]
    fn spool_file_names_round_trip() {
        assert_eq!(
            parse_file_name(&file_name("12-00ab", 7)),
            Some(("12-00ab", 7))
        );
        assert_eq!(parse_file_name("12-00ab.spool"), None);
        assert_eq!(parse_file_name("notes.txt"), None);
    }
}
