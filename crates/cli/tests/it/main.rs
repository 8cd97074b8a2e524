//! Integration tests of the gateway core through the real `mcpwall` binary: `mcpwall wrap`
//! between this test (the client) and `mock_server.py` (the server).
//!
//! Cargo builds the binary for these tests (`CARGO_BIN_EXE_mcpwall`); `MCPWALL_BIN`
//! overrides it, e.g. to run them against a release build.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod audit_cli;
mod pass_env;
mod scan;
mod signals;
mod wrap;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{json, Value};

/// Upper bound for any single wait; a test fails (never hangs) when it is exceeded.
const WAIT: Duration = Duration::from_secs(20);

pub fn mcpwall_bin() -> PathBuf {
    // Cargo builds this package's binary before its integration tests and names it here.
    std::env::var_os("MCPWALL_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_mcpwall")))
}

pub fn mock_server() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/mock_server.py")
}

/// A running `mcpwall wrap` with its own state dir, audit db and config.
pub struct Gateway {
    pub child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
    pub dir: tempfile::TempDir,
}

#[derive(Default)]
pub struct Opts<'a> {
    pub extra_args: &'a [&'a str],
    pub config_extra: &'a str,
    pub env: Vec<(&'a str, String)>,
    /// Send mcpwall's stderr to `stderr.log` in the gateway's dir instead of the test's.
    pub stderr_to_file: bool,
}

impl Gateway {
    pub fn start(opts: Opts<'_>) -> Gateway {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("mcpwall.toml");
        std::fs::write(
            &config,
            format!(
                "[servers.mock]\ncommand = \"python3\"\nargs = [\"{}\"]\nsandbox = \"off\"\n{}\n",
                mock_server().display(),
                opts.config_extra
            ),
        )
        .unwrap();
        let mut cmd = Command::new(mcpwall_bin());
        cmd.arg("wrap")
            .arg("--config")
            .arg(&config)
            .arg("--server")
            .arg("mock")
            .arg("--audit")
            .arg(dir.path().join("audit.db"))
            .args(opts.extra_args)
            .env("MCPWALL_STATE_DIR", dir.path().join("state"))
            .env_remove("MCPWALL_AUDIT")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(if opts.stderr_to_file {
                Stdio::from(std::fs::File::create(dir.path().join("stderr.log")).unwrap())
            } else {
                Stdio::inherit()
            });
        for (k, v) in &opts.env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Gateway {
            stdin: child.stdin.take(),
            child,
            lines: rx,
            dir,
        }
    }

    pub fn state_dir(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    pub fn audit_db(&self) -> PathBuf {
        self.dir.path().join("audit.db")
    }

    pub fn send_raw(&mut self, text: &str) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(text.as_bytes()).unwrap();
        stdin.write_all(b"\n").unwrap();
        stdin.flush().unwrap();
    }

    pub fn send(&mut self, v: &Value) {
        self.send_raw(&v.to_string());
    }

    pub fn recv_raw(&self) -> String {
        self.lines
            .recv_timeout(WAIT)
            .expect("no message from mcpwall in time")
    }

    pub fn recv(&self) -> Value {
        let line = self.recv_raw();
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("not json: {e}: {line}"))
    }

    /// Receives until a message with `id` arrives (others are returned too, in order).
    pub fn recv_id(&self, id: &Value) -> (Value, Vec<Value>) {
        let mut others = Vec::new();
        for _ in 0..100 {
            let v = self.recv();
            if &v["id"] == id {
                return (v, others);
            }
            others.push(v);
        }
        panic!("no answer for id {id}");
    }

    pub fn request(&mut self, id: i64, method: &str, params: Value) -> Value {
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        self.recv_id(&json!(id)).0
    }

    pub fn call(&mut self, id: i64, tool: &str, args: Value) -> Value {
        self.request(id, "tools/call", json!({"name": tool, "arguments": args}))
    }

    pub fn initialize(&mut self) -> Value {
        let r = self.request(
            0,
            "initialize",
            json!({"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "it", "version": "1"}}),
        );
        self.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
        r
    }

    pub fn close_stdin(&mut self) {
        self.stdin.take();
    }

    /// Waits (bounded) for the gateway to exit.
    pub fn wait_exit(&mut self) -> std::process::ExitStatus {
        for _ in 0..400 {
            if let Some(s) = self.child.try_wait().unwrap() {
                return s;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        panic!("mcpwall did not exit");
    }

    pub fn mcpwall(&self, args: &[&str]) -> std::process::Output {
        Command::new(mcpwall_bin())
            .args(args)
            .env("MCPWALL_STATE_DIR", self.state_dir())
            .env("MCPWALL_AUDIT", self.audit_db())
            .output()
            .unwrap()
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
