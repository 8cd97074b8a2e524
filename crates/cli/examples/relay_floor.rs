//! The cheapest possible stdio proxy, for the e2e bench only: starts `COMMAND ARGS...` and
//! copies bytes stdin -> child stdin and child stdout -> stdout on two plain threads, with no
//! framing, parsing, checks or audit. What it adds to a round trip is the floor for any proxy
//! that runs as a separate process (two more pipe hops and two more process wake-ups per
//! call); `bench/e2e/bench.py` measures it beside direct and `mcpwall wrap`.
//!
//! Usage: relay_floor COMMAND [ARGS...]
#![forbid(unsafe_code)]

use std::io::{Read, Write};
use std::process::{Command, ExitCode, Stdio};

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

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let Some(program) = args.next() else {
        eprintln!("usage: relay_floor COMMAND [ARGS...]");
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
    let up = std::thread::spawn(move || pump(std::io::stdin(), child_in));
    pump(child_out, std::io::stdout());
    let _ = up.join();
    let _ = child.wait();
    ExitCode::SUCCESS
}
