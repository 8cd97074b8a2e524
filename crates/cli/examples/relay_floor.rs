//! The cheapest possible stdio proxy, for the e2e bench only: starts `COMMAND ARGS...` and
//! copies bytes stdin -> child stdin and child stdout -> stdout on two plain threads, with no
//! framing, parsing, checks or audit. What it adds to a round trip is the floor for any proxy
//! that runs as a separate process (two more pipe hops and two more process wake-ups per
//! call); `bench/e2e/bench.py` measures it beside direct and `mcpwall wrap`.
//!
//! With `--busy-poll-us N` it does what `mcpwall wrap --busy-poll-us N` does: after bytes went
//! to the server, the thread that reads the server's answers polls for them for up to N us
//! before it blocks (see crates/gateway/src/busy_poll.rs).
//!
//! Usage: relay_floor [--busy-poll-us N] COMMAND [ARGS...]
#![forbid(unsafe_code)]

use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::process::{Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};

/// Copies `from` to `to` until either ends. With `sent`, sets it after each write (bytes went
/// to the server). With `due`, before each blocking read while its flag is set (an answer
/// is due), polls `from` for up to its budget first.
fn pump(
    mut from: impl Read + AsFd,
    mut to: impl Write,
    sent: Option<&AtomicBool>,
    due: Option<(&AtomicBool, Duration)>,
) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        if let Some((flag, budget)) = due {
            if flag.swap(false, Ordering::Relaxed) {
                let start = Instant::now();
                while start.elapsed() < budget {
                    let mut fds = [PollFd::new(from.as_fd(), PollFlags::POLLIN)];
                    if poll(&mut fds, PollTimeout::ZERO).map_or(true, |n| n > 0) {
                        break;
                    }
                    std::thread::yield_now();
                }
            }
        }
        match from.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if to.write_all(&buf[..n]).and_then(|()| to.flush()).is_err() {
                    return;
                }
                if let Some(flag) = sent {
                    flag.store(true, Ordering::Relaxed);
                }
            }
        }
    }
}

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1).peekable();
    let mut budget = Duration::ZERO;
    if args.peek().is_some_and(|a| a == "--busy-poll-us") {
        args.next();
        match args.next().and_then(|v| v.to_str()?.parse::<u64>().ok()) {
            Some(us) => budget = Duration::from_micros(us),
            None => {
                eprintln!("relay_floor: --busy-poll-us needs a number of microseconds");
                return ExitCode::from(2);
            }
        }
    }
    let Some(program) = args.next() else {
        eprintln!("usage: relay_floor [--busy-poll-us N] COMMAND [ARGS...]");
        return ExitCode::from(2);
    };
    let mut child = match Command::new(&program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!(
                "relay_floor: cannot start {}: {e}",
                program.to_string_lossy()
            );
            return ExitCode::from(1);
        }
    };
    let (Some(child_in), Some(child_out)) = (child.stdin.take(), child.stdout.take()) else {
        return ExitCode::from(1);
    };
    // Bytes went to the server and nothing came back yet (only tracked with a budget, so
    // the plain pump stays bare).
    let due = Arc::new(AtomicBool::new(false));
    let polling = !budget.is_zero();
    let flag = Arc::clone(&due);
    let up = std::thread::spawn(move || {
        pump(std::io::stdin(), child_in, polling.then_some(&*flag), None)
    });
    pump(
        child_out,
        std::io::stdout(),
        None,
        polling.then_some((&*due, budget)),
    );
    let _ = up.join();
    let _ = child.wait();
    ExitCode::SUCCESS
}
