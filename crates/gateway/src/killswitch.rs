//! The kill switch shared by every running mcpwall of one user (or one state directory).
//!
//! Mechanism: a small JSON state file, `killswitch.json`, in the state directory
//! (`MCPWALL_STATE_DIR`, else `$XDG_STATE_HOME/mcpwall`, else `~/.local/state/mcpwall`).
//! `mcpwall kill`/`resume` rewrite it atomically (write a temporary file, then rename) under a
//! lock file. Every running gateway polls it every [`POLL_INTERVAL`] (a `stat`, and a read only
//! when it changed), so a change reaches all of them well within one second, without any
//! daemon or socket. An unreadable or corrupt state file counts as engaged (fail closed).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::audit_sink::{AuditEvent, AuditSink, EventKind};
use crate::session::{ServerId, SessionCtx};
use crate::stack::{Check, CheckError, Denial, DenyCode, Message, Verdict};

/// How often running gateways look at the state file.
pub const POLL_INTERVAL: Duration = Duration::from_millis(200);

/// File name of the state file inside the state directory.
pub const STATE_FILE: &str = "killswitch.json";

/// Errors reading or changing the kill switch state.
#[derive(Debug, thiserror::Error)]
pub enum KillError {
    /// No state directory could be determined.
    #[error("cannot determine a state directory; set `MCPWALL_STATE_DIR`")]
    NoStateDir,
    /// I/O on the state file failed.
    #[error("kill switch state `{path}`: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The state file is not valid.
    #[error("kill switch state `{path}` is corrupt: {detail}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// Another process holds the lock for too long.
    #[error("kill switch state `{0}` is locked by another process")]
    Locked(PathBuf),
}

/// One engaged switch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Engagement {
    /// Why (shown to clients).
    #[serde(default)]
    pub reason: Option<String>,
    /// When, in seconds since the Unix epoch.
    #[serde(default)]
    pub at: u64,
    /// Who engaged it (`user:NAME`).
    #[serde(default)]
    pub by: String,
}

/// The whole state: a global switch and per-server switches.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KillState {
    /// Engaged for every server.
    #[serde(default)]
    pub global: Option<Engagement>,
    /// Engaged for these servers.
    #[serde(default)]
    pub servers: BTreeMap<String, Engagement>,
}

impl KillState {
    /// The engagement that applies to `server`, if any (global first).
    pub fn for_server(&self, server: &ServerId) -> Option<&Engagement> {
        self.global
            .as_ref()
            .or_else(|| self.servers.get(server.as_str()))
    }
}

/// The state directory: `MCPWALL_STATE_DIR`, else `$XDG_STATE_HOME/mcpwall`, else
/// `$HOME/.local/state/mcpwall`.
pub fn state_dir() -> Result<PathBuf, KillError> {
    if let Some(d) = std::env::var_os("MCPWALL_STATE_DIR").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(d));
    }
    if let Some(d) = std::env::var_os("XDG_STATE_HOME").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(d).join("mcpwall"));
    }
    std::env::var_os("HOME")
        .filter(|d| !d.is_empty())
        .map(|h| PathBuf::from(h).join(".local/state/mcpwall"))
        .ok_or(KillError::NoStateDir)
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> KillError + '_ {
    move |source| KillError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Reads the state in `dir`; a missing file is the released state.
pub fn read_state(dir: &Path) -> Result<KillState, KillError> {
    let path = dir.join(STATE_FILE);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| KillError::Corrupt {
            path,
            detail: e.to_string(),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(KillState::default()),
        Err(e) => Err(KillError::Io { path, source: e }),
    }
}

/// A lock file held while the state is rewritten, so concurrent `kill`s do not lose updates.
struct LockFile(PathBuf);

impl LockFile {
    fn acquire(dir: &Path) -> Result<Self, KillError> {
        let path = dir.join("killswitch.lock");
        for _ in 0..200 {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(_) => return Ok(Self(path)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    // A lock older than 5 s belongs to a crashed process.
                    let stale = std::fs::metadata(&path)
                        .and_then(|m| m.modified())
                        .ok()
                        .and_then(|t| t.elapsed().ok())
                        .is_some_and(|age| age > Duration::from_secs(5));
                    if stale {
                        let _ = std::fs::remove_file(&path);
                    } else {
                        std::thread::sleep(Duration::from_millis(10));
                    }
                }
                Err(e) => return Err(io_err(&path)(e)),
            }
        }
        Err(KillError::Locked(path))
    }
}

impl Drop for LockFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Applies `change` to the state in `dir` atomically and returns the new state.
pub fn update_state(
    dir: &Path,
    change: impl FnOnce(&mut KillState),
) -> Result<KillState, KillError> {
    std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    let _lock = LockFile::acquire(dir)?;
    // A corrupt file is replaced by the change (the operator is acting on it now).
    let mut state = read_state(dir).unwrap_or_default();
    change(&mut state);
    let path = dir.join(STATE_FILE);
    let tmp = dir.join(format!(".{STATE_FILE}.{}", std::process::id()));
    let body = serde_json::to_vec_pretty(&state).map_err(|e| KillError::Corrupt {
        path: path.clone(),
        detail: e.to_string(),
    })?;
    {
        let mut f = std::fs::File::create(&tmp).map_err(io_err(&tmp))?;
        f.write_all(&body).map_err(io_err(&tmp))?;
        f.sync_all().map_err(io_err(&tmp))?;
    }
    std::fs::rename(&tmp, &path).map_err(io_err(&path))?;
    Ok(state)
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Engages the switch for `server` (or every server), recording `reason` and `by`.
pub fn engage(
    dir: &Path,
    server: Option<&ServerId>,
    reason: Option<String>,
    by: String,
) -> Result<KillState, KillError> {
    let e = Engagement {
        reason,
        at: now_secs(),
        by,
    };
    update_state(dir, |s| match server {
        Some(name) => {
            s.servers.insert(name.to_string(), e);
        }
        None => s.global = Some(e),
    })
}

/// Releases the switch for `server`, or everything when `server` is `None`.
pub fn release(dir: &Path, server: Option<&ServerId>) -> Result<KillState, KillError> {
    update_state(dir, |s| match server {
        Some(name) => {
            s.servers.remove(name.as_str());
        }
        None => *s = KillState::default(),
    })
}

/// What the gateway currently believes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    State(Arc<KillState>),
    /// The file could not be read or parsed: engaged for everything (fail closed).
    Unreadable(String),
}

#[derive(Debug)]
struct Inner {
    dir: PathBuf,
    seen: RwLock<Seen>,
    /// (mtime, len, inode) of the file at the last read, to skip unchanged files.
    stamp: std::sync::Mutex<Option<(SystemTime, u64, u64)>>,
}

/// A running gateway's view of the kill switch, refreshed by [`KillSwitch::spawn_watcher`].
#[derive(Debug, Clone)]
pub struct KillSwitch {
    inner: Arc<Inner>,
}

impl KillSwitch {
    /// Watches the state in `dir` (reads it once now).
    pub fn new(dir: PathBuf) -> Self {
        let ks = Self {
            inner: Arc::new(Inner {
                dir,
                seen: RwLock::new(Seen::State(Arc::default())),
                stamp: std::sync::Mutex::new(None),
            }),
        };
        ks.poll();
        ks
    }

    /// The directory watched.
    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    /// Why tool calls to `server` are refused right now, if they are.
    pub fn engaged_for(&self, server: &ServerId) -> Option<String> {
        let seen = match self.inner.seen.read() {
            Ok(s) => s,
            Err(_) => return Some("kill switch state is unavailable".to_owned()),
        };
        match &*seen {
            Seen::State(s) => s.for_server(server).map(|e| {
                e.reason
                    .clone()
                    .unwrap_or_else(|| "no reason given".to_owned())
            }),
            Seen::Unreadable(why) => Some(format!("kill switch state is unreadable ({why})")),
        }
    }

    /// Re-reads the state file if it changed; returns whether the state changed.
    pub fn poll(&self) -> bool {
        let path = self.inner.dir.join(STATE_FILE);
        let stamp = match std::fs::metadata(&path) {
            Ok(m) => {
                use std::os::unix::fs::MetadataExt;
                Some((m.modified().unwrap_or(UNIX_EPOCH), m.len(), m.ino()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(_) => Some((UNIX_EPOCH, u64::MAX, 0)),
        };
        {
            let Ok(mut last) = self.inner.stamp.lock() else {
                return false;
            };
            if *last == stamp && stamp.is_some() {
                return false;
            }
            *last = stamp;
        }
        let new = match read_state(&self.inner.dir) {
            Ok(s) => Seen::State(Arc::new(s)),
            Err(e) => Seen::Unreadable(e.to_string()),
        };
        let Ok(mut seen) = self.inner.seen.write() else {
            return false;
        };
        if *seen == new {
            return false;
        }
        *seen = new;
        true
    }

    /// Polls every [`POLL_INTERVAL`] until the runtime shuts down; records each change that
    /// affects `server` in `audit`.
    pub fn spawn_watcher(
        &self,
        server: ServerId,
        audit: Arc<dyn AuditSink>,
    ) -> tokio::task::JoinHandle<()> {
        let ks = self.clone();
        tokio::spawn(async move {
            let mut last = ks.engaged_for(&server);
            let mut tick = tokio::time::interval(POLL_INTERVAL);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if !ks.poll() {
                    continue;
                }
                let now = ks.engaged_for(&server);
                if now != last {
                    let mut ev = AuditEvent::process(
                        EventKind::KillSwitch,
                        crate::session::Identity::os_user().label(),
                        server.to_string(),
                    );
                    ev.detail = Some(match &now {
                        Some(r) => format!("engaged: {r}"),
                        None => "released".to_owned(),
                    });
                    ev.rule = Some("kill_switch".to_owned());
                    audit.record(ev);
                    tracing::info!(server = %server, engaged = now.is_some(), "kill switch changed");
                    last = now;
                }
            }
        })
    }
}

/// The kill switch as a stage: refuses every `tools/call` while engaged for this server;
/// every other method keeps working (so clients can still list, ping and shut down cleanly).
#[derive(Debug, Clone)]
pub struct KillSwitchCheck {
    switch: KillSwitch,
}

impl KillSwitchCheck {
    /// The stage for `switch`.
    pub fn new(switch: KillSwitch) -> Self {
        Self { switch }
    }
}

impl Check for KillSwitchCheck {
    fn name(&self) -> &'static str {
        "kill_switch"
    }

    fn check(&self, msg: &Message<'_>, ctx: &SessionCtx) -> Result<Verdict, CheckError> {
        if !msg.is_tool_call() {
            return Ok(Verdict::Pass);
        }
        Ok(match self.switch.engaged_for(&ctx.server) {
            Some(reason) => Verdict::Deny(
                Denial::new(
                    DenyCode::KillSwitch,
                    format!("tool calls are disabled by the mcpwall kill switch: {reason}"),
                )
                .with_rule("kill_switch"),
            ),
            None => Verdict::Pass,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engage_release_roundtrip() {
        let dir = tempfile::tempdir().unwrap();
        let ks = KillSwitch::new(dir.path().to_owned());
        let a: ServerId = "a".parse().unwrap();
        let b: ServerId = "b".parse().unwrap();
        assert_eq!(ks.engaged_for(&a), None);
        engage(
            dir.path(),
            Some(&a),
            Some("incident 7".into()),
            "user:t".into(),
        )
        .unwrap();
        assert!(ks.poll());
        assert_eq!(ks.engaged_for(&a).as_deref(), Some("incident 7"));
        assert_eq!(ks.engaged_for(&b), None);
        engage(dir.path(), None, None, "user:t".into()).unwrap();
        ks.poll();
        assert!(ks.engaged_for(&b).is_some());
        release(dir.path(), None).unwrap();
        ks.poll();
        assert_eq!(ks.engaged_for(&a), None);
        assert!(!ks.poll());
    }

    #[test]
    fn corrupt_state_fails_closed() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(STATE_FILE), b"{not json").unwrap();
        let ks = KillSwitch::new(dir.path().to_owned());
        let a: ServerId = "a".parse().unwrap();
        assert!(ks.engaged_for(&a).unwrap().contains("unreadable"));
        release(dir.path(), None).unwrap();
        ks.poll();
        assert_eq!(ks.engaged_for(&a), None);
    }
}
