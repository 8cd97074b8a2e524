//! A standalone sandbox helper, argument-compatible with `mcpwall sandbox-exec` and
//! `mcpwall sandbox doctor`. The launcher normally re-executes the `mcpwall` binary itself;
//! this small binary lets the sandbox crate's tests (and `MCPWALL_EXE`) run the helper without
//! building the whole CLI.

use std::process::ExitCode;

use mcpwall_sandbox::helper::{self, EXIT_SETUP_FAILED};

fn code(c: i32) -> ExitCode {
    ExitCode::from(u8::try_from(c).unwrap_or(255))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("sandbox-exec") => {
            let fd = match (args.get(1).map(String::as_str), args.get(2)) {
                (Some("--spec-fd"), Some(n)) => n.parse::<i32>().ok(),
                _ => None,
            };
            let Some(fd) = fd else {
                eprintln!("mcpwall sandbox: usage: sandbox-exec --spec-fd N -- PROGRAM ARGS");
                return code(EXIT_SETUP_FAILED);
            };
            let result = helper::read_spec_fd(fd).and_then(|spec| helper::run(&spec));
            match result {
                Ok(c) => code(c),
                Err(e) => {
                    eprintln!("mcpwall sandbox: {e}");
                    code(EXIT_SETUP_FAILED)
                }
            }
        }
        Some("doctor") => {
            let f = mcpwall_sandbox::probe();
            for l in f.lines() {
                println!("{:<28} {}", l.name, if l.ok { "ok" } else { "missing" });
            }
            if f.missing_required().is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        _ => {
            eprintln!("usage: mcpwall-sandbox sandbox-exec --spec-fd N -- PROGRAM ARGS | doctor");
            ExitCode::from(2)
        }
    }
}
