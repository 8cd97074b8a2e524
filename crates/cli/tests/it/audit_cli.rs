//! `mcpwall audit` reading a trail another process is writing: `tail --follow` shows new
//! records as they are committed, and every reader stops quietly when its own reader goes
//! away (`| head -1`).

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;

use mcpwall_audit::{Event, EventKind, Store};

use super::{mcpwall_bin, WAIT};

fn call(i: u64) -> Event {
    Event::new(EventKind::Call)
        .server("files")
        .tool(format!("tool_{i}"))
        .request_id(i.to_string())
}

fn trail(n: u64) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.db");
    let mut s = Store::open(&path).unwrap();
    for i in 1..=n {
        s.append(&call(i)).unwrap();
    }
    (dir, path)
}

fn audit(path: &Path, args: &[&str]) -> Child {
    Command::new(mcpwall_bin())
        .arg("audit")
        .args(args)
        .arg("--audit")
        .arg(path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// The child's stdout lines, as they come.
fn lines(child: &mut Child) -> mpsc::Receiver<String> {
    let out = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}

/// Waits (bounded) for the child to exit; kills it and fails if it does not.
fn exit_of(child: &mut Child) -> std::process::ExitStatus {
    let deadline = std::time::Instant::now() + WAIT;
    while std::time::Instant::now() < deadline {
        if let Some(s) = child.try_wait().unwrap() {
            return s;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let _ = child.kill();
    panic!("mcpwall audit did not exit");
}

fn stderr_of(child: &mut Child) -> String {
    let mut s = String::new();
    child.stderr.take().unwrap().read_to_string(&mut s).unwrap();
    s
}

#[test]
fn tail_follow_shows_records_committed_later() {
    let (_dir, path) = trail(3);
    let mut tail = audit(&path, &["tail", "-n", "2", "--follow"]);
    let rx = lines(&mut tail);
    let first = rx.recv_timeout(WAIT).unwrap();
    let second = rx.recv_timeout(WAIT).unwrap();
    assert!(
        first.starts_with("2 ") && first.contains("tool_2"),
        "{first}"
    );
    assert!(
        second.starts_with("3 ") && second.contains("tool_3"),
        "{second}"
    );
    // Another writer commits two more: both appear, in order, and nothing else.
    let mut s = Store::open(&path).unwrap();
    s.append(&call(4)).unwrap();
    s.append(&call(5)).unwrap();
    let third = rx.recv_timeout(WAIT).unwrap();
    let fourth = rx.recv_timeout(WAIT).unwrap();
    assert!(
        third.starts_with("4 ") && third.contains("tool_4"),
        "{third}"
    );
    assert!(
        fourth.starts_with("5 ") && fourth.contains("tool_5"),
        "{fourth}"
    );
    tail.kill().unwrap();
    tail.wait().unwrap();
}

#[test]
fn tail_follow_json_and_it_ends_when_its_reader_goes_away() {
    let (_dir, path) = trail(1);
    let mut tail = audit(&path, &["tail", "--follow", "--json"]);
    let rx = lines(&mut tail);
    let v: serde_json::Value = serde_json::from_str(&rx.recv_timeout(WAIT).unwrap()).unwrap();
    assert_eq!(v["seq"], 1);
    assert_eq!(v["event"]["tool"], "tool_1");
    // The reader goes away (`| head -1`); the next record it would print ends it quietly.
    drop(rx);
    let mut s = Store::open(&path).unwrap();
    for i in 2..200 {
        s.append(&call(i)).unwrap();
    }
    let status = exit_of(&mut tail);
    assert!(status.success(), "{status:?}");
    assert_eq!(stderr_of(&mut tail), "");
}

#[test]
fn export_into_a_closed_pipe_exits_quietly() {
    // Far more than a pipe buffer, so the export is still writing when the reader leaves.
    let (_dir, path) = trail(3000);
    let mut export = audit(&path, &["export", "--jsonl"]);
    let mut out = BufReader::new(export.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    let v: serde_json::Value = serde_json::from_str(&first).unwrap();
    assert_eq!(v["seq"], 1);
    drop(out); // like `head -1`
    let status = exit_of(&mut export);
    assert!(status.success(), "{status:?}");
    assert_eq!(stderr_of(&mut export), "");
}

#[test]
fn tail_follow_ends_when_its_reader_goes_away_while_idle() {
    // No record is appended after the reader leaves: tail has nothing to write, so only
    // poll(2) on its stdout can tell it the reader is gone.
    let (_dir, path) = trail(2);
    let mut tail = audit(&path, &["tail", "--follow"]);
    let mut out = BufReader::new(tail.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    assert!(first.starts_with("1 "), "{first}");
    drop(out);
    let status = exit_of(&mut tail);
    assert!(status.success(), "{status:?}");
    assert_eq!(stderr_of(&mut tail), "");
}
