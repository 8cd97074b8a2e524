//! The group-committing appender: acknowledgement means committed, concurrent waiters share
//! commits, events nobody waits for are still committed, several processes keep one chain.

use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use mcpwall_audit::{Appender, AppenderOptions, Store, StoreOptions, Synchronous};
use time::OffsetDateTime;

use super::event;

struct Unpark(std::thread::Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// A minimal executor: polls `f` on this thread, parking between wake-ups.
fn block_on<F: Future>(f: F) -> F::Output {
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut f = std::pin::pin!(f);
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park_timeout(std::time::Duration::from_millis(50));
    }
}

fn open(path: &std::path::Path) -> Appender {
    open_opts(path, AppenderOptions::default())
}

fn open_opts(path: &std::path::Path, opts: AppenderOptions) -> Appender {
    Appender::open_with(
        path,
        &StoreOptions {
            synchronous: Synchronous::Normal,
            ..StoreOptions::default()
        },
        opts,
    )
    .unwrap()
}

/// Nothing commits on its own for an hour: what is acknowledged is only in the spool.
fn open_unhurried(path: &std::path::Path) -> Appender {
    open_opts(
        path,
        AppenderOptions {
            lazy: std::time::Duration::from_secs(3600),
            spooled_for: std::time::Duration::from_secs(3600),
            ..AppenderOptions::default()
        },
    )
}

/// No spool: an acknowledgement waits for the SQLite commit.
fn open_direct(path: &std::path::Path) -> Appender {
    open_opts(
        path,
        AppenderOptions {
            spool: false,
            ..AppenderOptions::default()
        },
    )
}

/// Spool files of the trail at `path`, with their sizes.
fn spool_files(path: &std::path::Path) -> Vec<(std::path::PathBuf, u64)> {
    match std::fs::read_dir(mcpwall_audit::spool_dir(path)) {
        Ok(d) => d
            .map(|e| {
                let e = e.unwrap();
                (e.path(), e.metadata().unwrap().len())
            })
            .collect(),
        Err(_) => Vec::new(),
    }
}

#[test]
fn without_a_spool_an_acknowledged_event_is_committed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.db");
    let a = open_direct(&path);
    for i in 0..50 {
        let t = a.append(event(i, OffsetDateTime::now_utc())).unwrap();
        block_on(a.acked(t)).unwrap();
        // A separate connection sees it: committed, not merely queued.
        assert_eq!(Store::open_existing(&path).unwrap().count().unwrap(), i + 1);
    }
    assert!(spool_files(&path).is_empty());
}

#[test]
fn prespool_makes_the_queue_durable_before_anyone_waits() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.db");
    let a = open_unhurried(&path);
    let t = a.append(event(0, OffsetDateTime::now_utc())).unwrap();
    assert!(a.poll_ticket(t).is_none(), "queued, not durable yet");
    a.prespool();
    // durable in the spool without anyone waiting on it, not committed yet
    assert!(matches!(a.poll_ticket(t), Some(Ok(()))));
    assert_eq!(Store::open_existing(&path).unwrap().count().unwrap(), 0);
    let files = spool_files(&path);
    assert_eq!(
        std::fs::read_to_string(&files[0].0)
            .unwrap()
            .lines()
            .count(),
        1
    );
    // the next record is spooled on its own by the one who waits for it
    let t2 = a.append(event(1, OffsetDateTime::now_utc())).unwrap();
    block_on(a.acked(t2)).unwrap();
    assert_eq!(
        std::fs::read_to_string(&files[0].0)
            .unwrap()
            .lines()
            .count(),
        2
    );
    a.close().unwrap();
    let s = Store::open_existing(&path).unwrap();
    assert_eq!(s.count().unwrap(), 2);
    assert!(s.verify().unwrap().is_ok());
    // without a spool it only builds: nothing becomes durable before a commit (and nothing
    // commits on its own within the hour)
    let d = open_opts(
        &dir.path().join("direct.db"),
        AppenderOptions {
            spool: false,
            lazy: std::time::Duration::from_secs(3600),
            ..AppenderOptions::default()
        },
    );
    let t = d.append(event(2, OffsetDateTime::now_utc())).unwrap();
    d.prespool();
    assert!(d.poll_ticket(t).is_none());
    d.wait(t).unwrap();
    d.close().unwrap();
}

#[test]
fn with_the_spool_an_acknowledged_event_is_spooled_then_committed_and_the_file_goes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.db");
    let a = open_unhurried(&path);
    for i in 0..10 {
        let t = a.append(event(i, OffsetDateTime::now_utc())).unwrap();
        block_on(a.acked(t)).unwrap();
    }
    assert_eq!(Store::open_existing(&path).unwrap().count().unwrap(), 0);
    let files = spool_files(&path);
    assert_eq!(files.len(), 1, "{files:?}");
    let text = std::fs::read_to_string(&files[0].0).unwrap();
    assert_eq!(text.lines().count(), 10);
    // flush commits to SQLite and empties the spool file (it stays while the appender lives).
    a.flush().unwrap();
    assert_eq!(Store::open_existing(&path).unwrap().count().unwrap(), 10);
    assert_eq!(spool_files(&path)[0].1, 0);
    a.close().unwrap();
    assert!(spool_files(&path).is_empty());
    let s = Store::open_existing(&path).unwrap();
    assert!(s.verify().unwrap().is_ok());
}

#[test]
fn merged_tickets_resolve_once_both_are_committed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.db");
    let a = open_direct(&path);
    let now = OffsetDateTime::now_utc();
    let t1 = a.append_with(move || event(1, now)).unwrap();
    let t2 = a.append_with(move || event(2, now)).unwrap();
    block_on(a.acked(t2).merge(a.acked(t1))).unwrap();
    let s = Store::open_existing(&path).unwrap();
    assert_eq!(s.count().unwrap(), 2);
    assert!(s.verify().unwrap().is_ok());
}

#[test]
fn concurrent_waiters_share_commits_and_keep_one_chain() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.db");
    let a = open(&path);
    let threads: Vec<_> = (0..4u64)
        .map(|k| {
            let a = a.clone();
            std::thread::spawn(move || {
                for i in 0..100 {
                    let t = a
                        .append(event(k * 1000 + i, OffsetDateTime::now_utc()))
                        .unwrap();
                    if i % 2 == 0 {
                        a.wait(t).unwrap();
                    } else {
                        block_on(a.acked(t)).unwrap();
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    a.flush().unwrap();
    let s = Store::open_existing(&path).unwrap();
    assert_eq!(s.count().unwrap(), 400);
    let v = s.verify().unwrap();
    assert!(v.is_ok(), "{:?}", v.problem);
}

#[test]
fn events_nobody_waits_for_are_committed_too() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.db");
    let a = open(&path);
    for i in 0..3 {
        a.append(event(i, OffsetDateTime::now_utc())).unwrap();
    }
    // The background committer picks them up (bounded wait: 10 s at most).
    let mut seen = 0;
    for _ in 0..200 {
        seen = Store::open_existing(&path).unwrap().count().unwrap();
        if seen == 3 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(seen, 3);
    assert_eq!(a.last_seq(), 3);
}

#[test]
fn close_commits_the_queue_and_refuses_more() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.db");
    let a = open(&path);
    let other = a.clone();
    for i in 0..20 {
        a.append(event(i, OffsetDateTime::now_utc())).unwrap();
    }
    a.close().unwrap();
    assert_eq!(Store::open_existing(&path).unwrap().count().unwrap(), 20);
    assert!(matches!(
        other.append(event(99, OffsetDateTime::now_utc())),
        Err(mcpwall_audit::AuditError::Closed)
    ));
}
