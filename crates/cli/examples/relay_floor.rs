//! The cheapest possible stdio proxy, for the e2e bench only: starts `COMMAND ARGS...` and
//! copies bytes stdin -> child stdin and child stdout -> stdout on two plain threads, with no
//! framing, parsing, checks or audit. What it adds to a round trip is the floor for any proxy
//! that runs as a separate process (two more pipe hops and two more process wake-ups per
//! call); `bench/e2e/bench.py` measures it beside direct and `mcpwall wrap`.
//!
//! With `--busy-poll-us N` it does what `mcpwall wrap --busy-poll-us N` does: one thread
//! serves both directions, and after bytes went either way it polls both inputs for up to
//! N us before it blocks (see crates/gateway/src/busy_poll.rs).
//!
//! Usage: relay_floor [--busy-poll-us N] COMMAND [ARGS...]
#![forbid(unsafe_code)]

use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};

/// Copies `from` to `to` until either ends (the bare pump: one blocking thread per direction).
fn pump(mut from: impl Read, mut to: impl Write) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match from.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if to.write_all(&buf[..n]).and_then(|()| to.flush()).is_err() {
                    return;
                }
            }
        }
    }
}

/// One read from `from` (readable) copied to `to`; false at the end of either.
fn copy_once(from: &mut impl Read, to: &mut impl Write, buf: &mut [u8]) -> bool {
    match from.read(buf) {
        Ok(0) | Err(_) => false,
        Ok(n) => to.write_all(&buf[..n]).and_then(|()| to.flush()).is_ok(),
    }
}

/// The busy-polling pump: one thread serves both directions, like `wrap`'s single-threaded
/// runtime, and after bytes went either way (an answer is due, or it is the client's turn)
/// polls both inputs without sleeping for up to `budget` before it blocks in `poll`, once per
/// message, as crates/gateway/src/busy_poll.rs does.
fn pump_polling(
    mut client_in: std::fs::File,
    mut server_in: impl Write,
    mut server_out: impl Read + AsFd,
    mut client_out: impl Write,
    budget: Duration,
) {
    let mut buf = vec![0u8; 64 * 1024];
    let mut armed = false;
    loop {
        let ready = {
            let mut fds = [
                PollFd::new(client_in.as_fd(), PollFlags::POLLIN),
                PollFd::new(server_out.as_fd(), PollFlags::POLLIN),
            ];
            let start = Instant::now();
            let mut n = 0;
            while armed && start.elapsed() < budget {
                n = poll(&mut fds, PollTimeout::ZERO).unwrap_or(-1);
                if n != 0 {
                    break;
                }
                std::thread::yield_now();
            }
            if n == 0 && poll(&mut fds, PollTimeout::NONE).is_err() {
                return;
            }
            fds.map(|p| p.revents().is_some_and(|r| !r.is_empty()))
        };
        if (ready[0] && !copy_once(&mut client_in, &mut server_in, &mut buf))
            || (ready[1] && !copy_once(&mut server_out, &mut client_out, &mut buf))
        {
            return;
        }
        armed = true;
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
    if budget.is_zero() {
        let up = std::thread::spawn(move || pump(std::io::stdin(), child_in));
        pump(child_out, std::io::stdout());
        let _ = up.join();
    } else {
        let Ok(stdin) = std::io::stdin().as_fd().try_clone_to_owned() else {
            return ExitCode::from(1);
        };
        pump_polling(
            std::fs::File::from(stdin),
            child_in,
            child_out,
            std::io::stdout(),
            budget,
        );
        // the client closed or the server ended: let the server see end of input
    }
    let _ = child.wait();
    ExitCode::SUCCESS
}
