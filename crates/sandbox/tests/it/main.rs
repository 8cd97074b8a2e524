//! Real escapes against the real helper: `tests/sandbox/escape_server.py` (an MCP stdio server)
//! runs under `mcpwall-sandbox sandbox-exec` and tries to break out. Every attempt must fail.
//! Prerequisites missing (no user namespaces): the tests skip loudly, and fail when `CI=true`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may panic
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use mcpwall_sandbox::spec::{SANDBOX_HOME, UNPRIVILEGED_ID};
use mcpwall_sandbox::{helper_command, plan, ExecSpec, Limits, Mode};
use serde_json::{json, Value};

mod escapes;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn script() -> PathBuf {
    repo_root().join("tests/sandbox/escape_server.py")
}

/// `true` when the sandbox can run here; otherwise prints why and, in CI, panics.
fn prerequisites() -> bool {
    let missing = mcpwall_sandbox::probe().missing_required();
    let python = Path::new("/usr/bin/python3").exists();
    if missing.is_empty() && python {
        return true;
    }
    let msg = format!(
        "SKIPPING sandbox escape tests: missing {} {}",
        missing.join(", "),
        if python { "" } else { "/usr/bin/python3" }
    );
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{msg} (CI=true: failing)"
    );
    eprintln!("\n!!!!! {msg} !!!!!\n");
    false
}

/// The spec the launcher would build for the escape server.
fn spec(read_only: Vec<PathBuf>, read_write: Vec<PathBuf>, limits: Limits) -> ExecSpec {
    let program = PathBuf::from("/usr/bin/python3");
    let args = vec![script().display().to_string()];
    let runtime = plan::runtime_paths(&program, &args, Path::new("/"), None);
    let mut argv = vec!["python3".to_owned()];
    argv.extend(args);
    ExecSpec {
        mode: Mode::Enforce,
        program,
        argv,
        env: vec![
            ("PATH".into(), "/usr/local/bin:/usr/bin:/bin".into()),
            ("HOME".into(), SANDBOX_HOME.into()),
            ("TMPDIR".into(), "/tmp".into()),
            ("DECLARED_VAR".into(), "declared-value".into()),
        ],
        cwd: None,
        runtime,
        read_only,
        read_write,
        proxy: None,
        limits,
    }
}

struct Server {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
    next_id: u64,
}

/// Guard against hangs (not a timing assertion): a reply that never comes fails the test.
const REPLY_GUARD: Duration = Duration::from_secs(120);

impl Server {
    fn start(spec: &ExecSpec) -> Server {
        let exe = PathBuf::from(env!("CARGO_BIN_EXE_mcpwall-sandbox"));
        let mut cmd = helper_command(&exe, spec).unwrap();
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
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
        let stdin = child.stdin.take();
        let mut server = Server {
            child,
            stdin,
            lines: rx,
            next_id: 1,
        };
        let init = server.request("initialize", json!({"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}));
        assert_eq!(
            init["result"]["serverInfo"]["name"], "escape-server",
            "{init}"
        );
        server
    }

    /// Sends a request; `None` when the server closed stdout (it exited).
    fn try_request(&mut self, method: &str, params: Value) -> Option<Value> {
        let id = self.next_id;
        self.next_id += 1;
        let msg = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        let stdin = self.stdin.as_mut().unwrap();
        if writeln!(stdin, "{msg}")
            .and_then(|_| stdin.flush())
            .is_err()
        {
            return None;
        }
        match self.lines.recv_timeout(REPLY_GUARD) {
            Ok(line) => Some(serde_json::from_str(&line).unwrap()),
            Err(mpsc::RecvTimeoutError::Disconnected) => None,
            Err(mpsc::RecvTimeoutError::Timeout) => panic!("server hung on `{method}`"),
        }
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        self.try_request(method, params)
            .expect("server closed its stdout")
    }

    /// Calls a tool and returns its JSON report.
    fn call(&mut self, tool: &str, args: Value) -> Value {
        let reply = self.request("tools/call", json!({"name": tool, "arguments": args}));
        let text = reply["result"]["content"][0]["text"]
            .as_str()
            .unwrap_or_else(|| panic!("{reply}"));
        serde_json::from_str(text).unwrap()
    }

    fn finish(mut self) -> std::process::ExitStatus {
        drop(self.stdin.take());
        self.child.wait().unwrap()
    }
}

fn run_as_uid() -> u32 {
    if nix::unistd::getuid().is_root() {
        UNPRIVILEGED_ID
    } else {
        nix::unistd::getuid().as_raw()
    }
}
