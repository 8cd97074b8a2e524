//! Integration tests: the chain against tampering, prune, several processes, SIGKILL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use mcpwall_audit::{Decision, Event, EventKind, ProblemKind, Store};
use time::{Duration, OffsetDateTime};

mod appender;

const WRITER_ENV: &str = "MCPWALL_AUDIT_WRITER";

fn event(i: u64, at: OffsetDateTime) -> Event {
    Event::at(EventKind::Call, at)
        .session(format!("s{}", i % 3))
        .server("files")
        .tool("read_file")
        .args(
            format!("{{\"n\":{i}}}").as_bytes(),
            Some(&format!("{{\"n\":{i}}}")),
        )
        .decision(Decision::Allow, Some("default"), None)
        .latency_us(i)
}

fn filled(n: u64) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.db");
    let mut s = Store::open(&path).unwrap();
    let now = OffsetDateTime::now_utc();
    for i in 1..=n {
        s.append(&event(i, now)).unwrap();
    }
    (dir, path)
}

fn sql(path: &Path, stmt: &str) {
    let c = rusqlite::Connection::open(path).unwrap();
    c.execute_batch(stmt).unwrap();
}

fn problem(path: &Path) -> (u64, ProblemKind) {
    let v = Store::open_existing(path).unwrap().verify().unwrap();
    let p = v.problem.expect("verify must find the tampering");
    (p.seq, p.kind)
}

#[test]
fn chain_verifies() {
    let (_d, path) = filled(50);
    let s = Store::open_existing(&path).unwrap();
    let v = s.verify().unwrap();
    assert!(v.is_ok(), "{:?}", v.problem);
    assert_eq!(v.checked, 50);
    assert_eq!(v.first_seq, Some(1));
    let head = v.head.unwrap();
    assert_eq!(head.seq, 50);
    assert_eq!(head.hash, s.get(50).unwrap().unwrap().hash);
}

#[test]
fn field_change_is_named() {
    let (_d, path) = filled(10);
    sql(
        &path,
        "UPDATE records SET event = replace(event, 'read_file', 'rm_file') WHERE seq = 4",
    );
    assert_eq!(problem(&path), (4, ProblemKind::Changed));
}

#[test]
fn indexed_column_change_is_named() {
    let (_d, path) = filled(10);
    sql(&path, "UPDATE records SET decision = 'deny' WHERE seq = 6");
    assert_eq!(problem(&path), (6, ProblemKind::Changed));
}

#[test]
fn deletion_is_named() {
    let (_d, path) = filled(10);
    sql(&path, "DELETE FROM records WHERE seq = 5");
    let (seq, kind) = problem(&path);
    assert_eq!(kind, ProblemKind::Removed);
    // The missing record itself is named.
    assert_eq!(seq, 5);
}

#[test]
fn cut_tail_is_named() {
    let (_d, path) = filled(10);
    sql(&path, "DELETE FROM records WHERE seq >= 9");
    let (_, kind) = problem(&path);
    assert_eq!(kind, ProblemKind::Truncated);
}

#[test]
fn swap_is_named() {
    let (_d, path) = filled(10);
    sql(
        &path,
        "UPDATE records SET seq = -1 WHERE seq = 3;
         UPDATE records SET seq = 3 WHERE seq = 4;
         UPDATE records SET seq = 4 WHERE seq = -1;",
    );
    let (seq, kind) = problem(&path);
    assert_eq!(seq, 3);
    assert!(
        matches!(kind, ProblemKind::Reordered | ProblemKind::Changed),
        "{kind:?}"
    );
}

#[test]
fn prune_keeps_verify_green_and_checkpoint_tamper_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.db");
    let mut s = Store::open(&path).unwrap();
    let old = OffsetDateTime::now_utc() - Duration::days(10);
    for i in 1..=20 {
        s.append(&event(i, old)).unwrap();
    }
    let now = OffsetDateTime::now_utc();
    for i in 21..=30 {
        s.append(&event(i, now)).unwrap();
    }
    let cp = s
        .prune(now - Duration::days(1))
        .unwrap()
        .expect("a checkpoint");
    assert_eq!(cp.through_seq, 20);
    assert_eq!(cp.pruned, 20);
    let v = s.verify().unwrap();
    assert!(v.is_ok(), "{:?}", v.problem);
    assert_eq!(v.first_seq, Some(21));
    assert_eq!(v.checkpoint.as_ref().map(|c| c.through_seq), Some(20));
    // Appends after a prune continue the chain.
    s.append(&event(99, now)).unwrap();
    assert!(s.verify().unwrap().is_ok());
    drop(s);

    // change the first hex digit (a replace of it by 'f' was a no-op for the one hash in 16
    // that starts with 'f', and the test failed then)
    sql(
        &path,
        "UPDATE checkpoints SET through_hash = CASE WHEN substr(through_hash, 1, 1) = 'f' THEN '0' ELSE 'f' END || substr(through_hash, 2)",
    );
    let v = Store::open_existing(&path).unwrap().verify().unwrap();
    let p = v.problem.expect("altered checkpoint must be found");
    assert_eq!(p.kind, ProblemKind::Checkpoint, "{p:?}");
}

/// Acts as a writer process when `MCPWALL_AUDIT_WRITER=path,count[,ack]` is set; a no-op
/// otherwise. With `ack`, prints each committed seq on its own line.
#[test]
fn writer_process() {
    let Ok(spec) = std::env::var(WRITER_ENV) else {
        return;
    };
    let mut parts = spec.split(',');
    let path = PathBuf::from(parts.next().unwrap());
    let count: u64 = parts.next().unwrap().parse().unwrap();
    let mode = parts.next();
    let pid = u64::from(std::process::id());
    if mode == Some("spool-ack") {
        // Acknowledged through the spool only: nothing commits to SQLite on its own.
        let a = mcpwall_audit::Appender::open_with(
            &path,
            &mcpwall_audit::StoreOptions {
                synchronous: mcpwall_audit::Synchronous::Normal,
                ..mcpwall_audit::StoreOptions::default()
            },
            mcpwall_audit::AppenderOptions {
                lazy: std::time::Duration::from_secs(3600),
                spooled_for: std::time::Duration::from_secs(3600),
                ..mcpwall_audit::AppenderOptions::default()
            },
        )
        .unwrap();
        for i in 0..count {
            let t = a.append(event(i, OffsetDateTime::now_utc())).unwrap();
            a.wait(t).unwrap();
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            writeln!(out, "ack {i}").unwrap();
            out.flush().unwrap();
        }
        return;
    }
    if mode == Some("appender") {
        // The gateway's way: a group-committing appender, each event waited for.
        let a = mcpwall_audit::Appender::open(&path).unwrap();
        for i in 0..count {
            let t = a
                .append(event(pid * 1000 + i, OffsetDateTime::now_utc()))
                .unwrap();
            a.wait(t).unwrap();
        }
        a.close().unwrap();
        return;
    }
    let ack = mode == Some("ack");
    let mut s = Store::open(&path).unwrap();
    for i in 0..count {
        let r = s
            .append(&event(pid * 1000 + i, OffsetDateTime::now_utc()))
            .unwrap();
        if ack {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            writeln!(out, "ack {}", r.seq).unwrap();
            out.flush().unwrap();
        }
    }
}

fn spawn_writer(path: &Path, count: u64, ack: bool) -> std::process::Child {
    spawn_writer_mode(path, count, if ack { Some("ack") } else { None })
}

fn spawn_writer_mode(path: &Path, count: u64, mode: Option<&str>) -> std::process::Child {
    let ack = matches!(mode, Some("ack" | "spool-ack"));
    let spec = format!(
        "{},{count}{}",
        path.display(),
        mode.map(|m| format!(",{m}")).unwrap_or_default()
    );
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "writer_process",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(WRITER_ENV, spec)
        .stdout(if ack { Stdio::piped() } else { Stdio::null() })
        .spawn()
        .unwrap()
}

#[test]
fn three_processes_keep_one_chain() {
    if std::env::var(WRITER_ENV).is_ok() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.db");
    drop(Store::open(&path).unwrap());
    let kids: Vec<_> = (0..3).map(|_| spawn_writer(&path, 200, false)).collect();
    for mut k in kids {
        assert!(k.wait().unwrap().success());
    }
    let s = Store::open_existing(&path).unwrap();
    assert_eq!(s.count().unwrap(), 600);
    let v = s.verify().unwrap();
    assert!(v.is_ok(), "{:?}", v.problem);
    assert_eq!(v.checked, 600);
    assert_eq!(v.head.unwrap().seq, 600);
}

#[test]
fn three_appender_processes_keep_one_chain() {
    if std::env::var(WRITER_ENV).is_ok() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.db");
    drop(Store::open(&path).unwrap());
    let kids: Vec<_> = (0..3)
        .map(|_| spawn_writer_mode(&path, 150, Some("appender")))
        .collect();
    for mut k in kids {
        assert!(k.wait().unwrap().success());
    }
    let s = Store::open_existing(&path).unwrap();
    assert_eq!(s.count().unwrap(), 450);
    let v = s.verify().unwrap();
    assert!(v.is_ok(), "{:?}", v.problem);
}

/// Starts a writer in `mode` (which prints `ack N` per acknowledged event), SIGKILLs it after
/// `n` acknowledgements and returns every number it acknowledged, including lines it printed
/// before the kill that were still in the pipe.
fn kill_after_acks(path: &Path, mode: &str, n: usize) -> Vec<u64> {
    let mut child = spawn_writer_mode(path, 100_000, Some(mode));
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut acked = Vec::new();
    while acked.len() < n {
        let line = lines.next().expect("writer ended early").unwrap();
        if let Some(v) = line.strip_prefix("ack ") {
            acked.push(v.parse::<u64>().unwrap());
        }
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    for line in lines.map_while(Result::ok) {
        if let Some(v) = line.strip_prefix("ack ") {
            acked.push(v.parse::<u64>().unwrap());
        }
    }
    acked
}

#[test]
fn sigkill_keeps_acknowledged_records() {
    if std::env::var(WRITER_ENV).is_ok() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.db");
    drop(Store::open(&path).unwrap());
    let acked = kill_after_acks(&path, "ack", 25);
    let s = Store::open_existing(&path).unwrap();
    for seq in &acked {
        assert!(
            s.get(*seq).unwrap().is_some(),
            "acknowledged seq {seq} lost"
        );
    }
    let v = s.verify().unwrap();
    assert!(v.is_ok(), "{:?}", v.problem);
    assert!(v.checked >= acked.len() as u64);
}

#[test]
fn sigkill_keeps_records_acknowledged_through_the_spool() {
    if std::env::var(WRITER_ENV).is_ok() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.db");
    drop(Store::open(&path).unwrap());
    let acked = kill_after_acks(&path, "spool-ack", 25);
    let mut s = Store::open_existing(&path).unwrap();
    // Nothing was committed to SQLite (lazy is an hour): every record is in the spool.
    assert_eq!(s.count().unwrap(), 0);
    let r = mcpwall_audit::recover_spools(&mut s).unwrap();
    assert_eq!(r.files, 1);
    assert_eq!(r.unreadable, 0);
    assert!(r.records >= acked.len() as u64, "{r:?} < {}", acked.len());
    let mut seen = std::collections::HashSet::new();
    s.for_each(&mcpwall_audit::Filter::default(), |rec| {
        seen.insert(rec.event.latency_us.unwrap());
        Ok(())
    })
    .unwrap();
    for i in &acked {
        assert!(seen.contains(i), "acknowledged event {i} lost");
    }
    let v = s.verify().unwrap();
    assert!(v.is_ok(), "{:?}", v.problem);
    assert!(mcpwall_audit::spool_dir(&path)
        .read_dir()
        .unwrap()
        .next()
        .is_none());
    // A second recovery finds nothing more: no duplicates.
    assert_eq!(
        mcpwall_audit::recover_spools(&mut s).unwrap(),
        mcpwall_audit::Recovered::default()
    );
}

#[test]
fn an_appender_recovers_the_spool_of_a_killed_one_when_it_starts() {
    if std::env::var(WRITER_ENV).is_ok() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.db");
    drop(Store::open(&path).unwrap());
    let mut child = spawn_writer_mode(&path, 100_000, Some("spool-ack"));
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut n = 0;
    while n < 10 {
        let line = lines.next().expect("writer ended early").unwrap();
        n += u64::from(line.starts_with("ack "));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let a = mcpwall_audit::Appender::open(&path).unwrap();
    a.close().unwrap();
    let s = Store::open_existing(&path).unwrap();
    assert!(s.count().unwrap() >= 10);
    assert!(s.verify().unwrap().is_ok());
    assert!(mcpwall_audit::spool_dir(&path)
        .read_dir()
        .unwrap()
        .next()
        .is_none());
}

#[test]
fn checkpointer_copies_the_wal_beside_the_writer_and_the_wal_starts_over() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.db");
    let mut s = Store::open(&path).unwrap();
    s.set_wal_autocheckpoint(0).unwrap();
    let ckpt = s.checkpointer().unwrap();
    let now = OffsetDateTime::now_utc();
    for i in 1..=50 {
        s.append(&event(i, now)).unwrap();
    }
    let wal = dir.path().join("audit.db-wal");
    let size_before = std::fs::metadata(&wal).unwrap().len();
    let c = ckpt.checkpoint_wal().unwrap();
    assert!(c.log > 0, "{c:?}");
    assert!(c.complete(), "{c:?}");
    // The writer's next commits reuse the WAL from its start instead of appending to it.
    for i in 51..=60 {
        s.append(&event(i, now)).unwrap();
    }
    assert_eq!(std::fs::metadata(&wal).unwrap().len(), size_before);
    assert_eq!(
        ckpt.checkpoint_wal().unwrap().log,
        s.checkpoint_wal().unwrap().log
    );
    assert!(s.checkpoint_wal().unwrap().log < c.log);
    drop(ckpt);
    drop(s);
    assert!(Store::open_existing(&path)
        .unwrap()
        .verify()
        .unwrap()
        .problem
        .is_none());
}

#[test]
fn a_version_1_trail_is_migrated_and_keeps_verifying() {
    if std::env::var(WRITER_ENV).is_ok() {
        return;
    }
    let (_dir, path) = filled(5);
    // Back to what version 1 wrote: no spool progress table.
    sql(&path, "DROP TABLE spool_progress; PRAGMA user_version = 1;");
    let mut s = Store::open(&path).unwrap();
    s.append(&event(6, OffsetDateTime::now_utc())).unwrap();
    assert_eq!(s.count().unwrap(), 6);
    assert!(s.verify().unwrap().is_ok());
    let c = rusqlite::Connection::open(&path).unwrap();
    let v: i64 = c
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, mcpwall_audit::SCHEMA_VERSION);
    let n: i64 = c
        .query_row("SELECT COUNT(*) FROM spool_progress", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 0);
}
