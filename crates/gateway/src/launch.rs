//! Building the command that starts a stdio server. Every stdio server that mcpwall starts goes
//! through [`command`], so the sandbox is applied in exactly one place.
//!
//! Unless config says `sandbox = "off"`, the command is `mcpwall sandbox-exec --spec-fd N --
//! PROGRAM ARGS`: a freshly executed, single-threaded helper sets up namespaces, the filesystem
//! view, rlimits, no_new_privs, landlock and seccomp, then execs the server (see
//! `mcpwall_sandbox::helper` and `docs/sandbox.md`). The spec travels in an inherited memfd
//! because it carries resolved secrets.
//!
//! The server's environment never inherits the gateway's: it is `PATH`, `LANG`/`LC_*`, `HOME`,
//! `TMPDIR`, the declared variables, the resolved secrets and, with network access, the proxy
//! variables. Nothing else (no `AWS_*`, `GITHUB_TOKEN`, `SSH_AUTH_SOCK`, ...).

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use mcpwall_policy::{SandboxConfig, SandboxMode, SecretRef, ServerConfig, Transport};
use mcpwall_sandbox::egress_policy::EgressRules;
use mcpwall_sandbox::spec::{SANDBOX_HOME, SANDBOX_PROXY_PORT};
use mcpwall_sandbox::{ExecSpec, Limits, Mode, ProxySpec, SandboxPolicy};

use crate::audit_sink::{AuditEvent, Decision, EventKind};

/// Environment variable naming the mcpwall binary that runs the sandbox helper (tests set it;
/// otherwise the running executable is used).
pub const ENV_MCPWALL_EXE: &str = "MCPWALL_EXE";

/// Test switch: a comma-separated list of sandbox feature names (as `mcpwall sandbox doctor`
/// prints them, e.g. `landlock`) that the launcher treats as missing. It changes only the
/// launcher's decision (enforce refuses, best-effort warns and audits, through the same code
/// as a real gap); the helper still applies every layer the kernel has, so it can never weaken
/// a sandbox. Used by the tests of the best-effort path on a machine that has every feature.
pub const ENV_SIMULATE_MISSING: &str = "MCPWALL_TEST_SANDBOX_MISSING";

/// What to start: the server's own command line, declared environment, secrets and sandbox.
#[derive(Debug, Clone, Default)]
pub struct LaunchSpec {
    /// Program to run (looked up in `PATH` when it has no slash).
    pub program: OsString,
    /// Its arguments.
    pub args: Vec<OsString>,
    /// Environment variables the config declares for this server.
    pub env: Vec<(OsString, OsString)>,
    /// Working directory, if any.
    pub cwd: Option<PathBuf>,
    /// Secret variables by reference, resolved when the server starts; never logged.
    pub secrets: Vec<(String, SecretRef)>,
    /// The sandbox. Default: enforce, no declared paths, no network, default limits.
    pub sandbox: SandboxPolicy,
    /// Server name, for the audit trail and the egress proxy.
    pub server: String,
    /// Names of variables copied from mcpwall's own environment into the server's
    /// (`wrap --pass-env NAME`); unset ones are skipped. Values are never logged or audited.
    pub pass_env: Vec<String>,
}

impl LaunchSpec {
    /// A spec for `program args...` with no declared environment and the default sandbox.
    pub fn new(
        program: impl Into<OsString>,
        args: impl IntoIterator<Item = impl Into<OsString>>,
    ) -> Self {
        Self {
            program: program.into(),
            args: args.into_iter().map(Into::into).collect(),
            ..Self::default()
        }
    }

    /// The spec of a configured stdio server (`None` for HTTP upstreams).
    pub fn from_server(server: &ServerConfig) -> Option<Self> {
        let Transport::Stdio(stdio) = &server.transport else {
            return None;
        };
        let mut spec = Self::new(stdio.command.clone(), stdio.args.clone());
        spec.cwd = stdio.cwd.clone();
        spec.env = server
            .declared_env()
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        spec.server = server.id.to_string();
        spec.apply_sandbox_config(&server.sandbox);
        Some(spec)
    }

    /// Takes mode, paths, network, secrets and limits from a server's `sandbox` section
    /// (`sandbox.env` is part of [`ServerConfig::declared_env`]).
    pub fn apply_sandbox_config(&mut self, cfg: &SandboxConfig) {
        self.sandbox = sandbox_policy(cfg);
        self.secrets = cfg
            .secrets
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
    }
}

/// The sandbox policy a config section asks for.
pub fn sandbox_policy(cfg: &SandboxConfig) -> SandboxPolicy {
    SandboxPolicy {
        mode: match cfg.mode {
            SandboxMode::Enforce => Mode::Enforce,
            SandboxMode::BestEffort => Mode::BestEffort,
            SandboxMode::Off => Mode::Off,
        },
        read_only: cfg.paths.read_only.iter().map(|p| expand_home(p)).collect(),
        read_write: cfg
            .paths
            .read_write
            .iter()
            .map(|p| expand_home(p))
            .collect(),
        allow_domains: cfg
            .network
            .allow_domains
            .iter()
            .map(|d| d.to_string())
            .collect(),
        allow_cidrs: cfg
            .network
            .allow_cidrs
            .iter()
            .map(|c| c.to_string())
            .collect(),
        limits: Limits {
            processes: cfg.limits.processes,
            memory_mb: cfg.limits.memory_mb,
            open_files: cfg.limits.open_files,
            cpu_seconds: cfg.limits.cpu_seconds,
        },
    }
}

fn expand_home(path: &Path) -> PathBuf {
    match (path.strip_prefix("~"), std::env::var_os("HOME")) {
        (Ok(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => path.to_path_buf(),
    }
}

/// Why a server could not be launched.
#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    /// The spec has no program.
    #[error("server has no command")]
    NoCommand,
    /// Enforce mode, and the kernel lacks a required sandbox feature.
    #[error("refusing to start `{server}`: sandbox cannot be enforced here, missing {missing} (run `mcpwall sandbox doctor`; set the server's sandbox mode to `best-effort` to run it with what is available)")]
    SandboxUnavailable {
        /// The server.
        server: String,
        /// What is missing.
        missing: String,
    },
    /// The mcpwall binary for the helper was not found.
    #[error("cannot find the mcpwall binary for the sandbox helper; set `MCPWALL_EXE`")]
    HelperNotFound,
    /// A secret reference could not be resolved (the message never contains the secret).
    #[error("{0}")]
    Secret(String),
    /// The sandbox spec could not be built.
    #[error("{0}")]
    Sandbox(#[from] mcpwall_sandbox::SandboxError),
    /// The egress proxy could not be started.
    #[error("{0}")]
    Egress(#[from] crate::egress::EgressError),
    /// A value is not valid UTF-8.
    #[error("server command, argument or variable `{0}` is not valid utf-8")]
    NotUtf8(String),
    /// A `--pass-env` name is not a variable name, or its value is not UTF-8 (the message
    /// names the variable, never its value).
    #[error("cannot pass variable `{0}` to the server: {1}")]
    PassEnv(String, &'static str),
}

/// Whether `name` can be an environment variable name (`[A-Za-z_][A-Za-z0-9_]*`).
pub fn is_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn utf8(s: &OsStr) -> Result<String, LaunchError> {
    s.to_str()
        .map(str::to_owned)
        .ok_or_else(|| LaunchError::NotUtf8(s.to_string_lossy().into_owned()))
}

/// The mcpwall binary that runs `sandbox-exec`.
pub fn helper_exe() -> Result<PathBuf, LaunchError> {
    if let Some(exe) = std::env::var_os(ENV_MCPWALL_EXE).filter(|e| !e.is_empty()) {
        return Ok(PathBuf::from(exe));
    }
    let current = std::env::current_exe().map_err(|_| LaunchError::HelperNotFound)?;
    if current.file_name() == Some(OsStr::new("mcpwall")) {
        return Ok(current);
    }
    // Test binaries live in target/<profile>/deps; the binary sits one level up.
    for dir in current.ancestors().skip(1).take(2) {
        let candidate = dir.join("mcpwall");
        if candidate.is_file() {
            return Ok(candidate);
        }
    }
    Err(LaunchError::HelperNotFound)
}

/// The server's environment: runtime basics, declared variables, resolved secrets.
fn server_env(spec: &LaunchSpec, sandboxed: bool) -> Result<Vec<(String, String)>, LaunchError> {
    let mut env: Vec<(String, String)> = Vec::new();
    let mut set = |k: &str, v: String| {
        env.retain(|(name, _)| name != k);
        env.push((k.to_owned(), v));
    };
    set(
        "PATH",
        std::env::var("PATH").unwrap_or_else(|_| "/usr/local/bin:/usr/bin:/bin".to_owned()),
    );
    for (k, v) in std::env::vars() {
        if k == "LANG" || k == "LANGUAGE" || k.starts_with("LC_") || k == "TZ" {
            set(&k, v);
        }
    }
    if sandboxed {
        set("HOME", SANDBOX_HOME.to_owned());
        set("TMPDIR", "/tmp".to_owned());
    } else if let Ok(home) = std::env::var("HOME") {
        set("HOME", home);
    }
    for (k, v) in &spec.env {
        set(&utf8(k)?, utf8(v)?);
    }
    for name in &spec.pass_env {
        if !is_env_name(name) {
            return Err(LaunchError::PassEnv(
                name.clone(),
                "not a valid variable name",
            ));
        }
        match std::env::var_os(name) {
            None => tracing::debug!(name, "variable to pass is not set"),
            Some(v) => match v.into_string() {
                Ok(v) => set(name, v),
                Err(_) => return Err(LaunchError::PassEnv(name.clone(), "value is not utf-8")),
            },
        }
    }
    for (name, reference) in &spec.secrets {
        let value = reference
            .resolve()
            .map_err(|e| LaunchError::Secret(e.to_string()))?;
        set(name, value);
    }
    Ok(env)
}

fn server_name(spec: &LaunchSpec) -> String {
    if spec.server.is_empty() {
        spec.program.to_string_lossy().into_owned()
    } else {
        spec.server.clone()
    }
}

fn record_degraded(server: &str, missing: &[&str]) {
    let detail = format!("best-effort sandbox, missing: {}", missing.join(", "));
    tracing::warn!(server, "{detail}");
    let mut event = AuditEvent::process(EventKind::Error, "sandbox".to_owned(), server.to_owned());
    event.method = Some("sandbox/start".to_owned());
    event.decision = Some(Decision::Allow);
    event.rule = Some("sandbox.best_effort".to_owned());
    event.detail = Some(detail);
    crate::egress::audit_sink().record(event);
}

/// What [`command`] would do about the sandbox for `spec` on this machine: the missing
/// required features (enforce refuses, best-effort warns) and optional layers.
pub fn preflight(spec: &LaunchSpec) -> (Vec<&'static str>, Vec<&'static str>) {
    if spec.sandbox.mode == Mode::Off {
        return (Vec::new(), Vec::new());
    }
    let f = mcpwall_sandbox::probe();
    let (mut missing, mut optional) = (f.missing_required(), f.missing_optional());
    if let Some(list) = std::env::var_os(ENV_SIMULATE_MISSING) {
        let list = list.to_string_lossy().into_owned();
        for line in f.lines() {
            if !list.split(',').any(|n| n.trim() == line.name) {
                continue;
            }
            let into = if line.required {
                &mut missing
            } else {
                &mut optional
            };
            if !into.contains(&line.name) {
                into.push(line.name);
            }
        }
    }
    (missing, optional)
}

/// The command that starts `spec`. Stdio is left for the caller to set.
pub fn command(spec: &LaunchSpec) -> Result<tokio::process::Command, LaunchError> {
    if spec.program.is_empty() {
        return Err(LaunchError::NoCommand);
    }
    let server = server_name(spec);
    if spec.sandbox.mode == Mode::Off {
        // Written explicitly in config; the environment is still not inherited.
        tracing::warn!(server, "sandbox is off for this server");
        let mut cmd = tokio::process::Command::new(&spec.program);
        cmd.args(&spec.args)
            .env_clear()
            .envs(server_env(spec, false)?);
        if let Some(dir) = &spec.cwd {
            cmd.current_dir(dir);
        }
        cmd.kill_on_drop(true);
        return Ok(cmd);
    }
    let (missing, optional) = preflight(spec);
    if spec.sandbox.mode == Mode::Enforce && !missing.is_empty() {
        return Err(LaunchError::SandboxUnavailable {
            server,
            missing: missing.join(", "),
        });
    }
    if spec.sandbox.mode == Mode::BestEffort && (!missing.is_empty() || !optional.is_empty()) {
        let all: Vec<&str> = missing.iter().chain(optional.iter()).copied().collect();
        record_degraded(&server, &all);
    }
    let cwd = match &spec.cwd {
        Some(dir) => dir.clone(),
        None => std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/")),
    };
    let path_env = std::env::var_os("PATH");
    let program = mcpwall_sandbox::plan::resolve_program(&spec.program, path_env.as_deref(), &cwd)?;
    let args: Vec<String> = spec
        .args
        .iter()
        .map(|a| utf8(a))
        .collect::<Result<_, _>>()?;
    let runtime = mcpwall_sandbox::plan::runtime_paths(&program, &args, &cwd, path_env.as_deref());
    let mut env = server_env(spec, true)?;
    let proxy = if spec.sandbox.wants_network() {
        let rules = EgressRules::parse(&spec.sandbox.allow_domains, &spec.sandbox.allow_cidrs)
            .map_err(crate::egress::EgressError::from)?;
        let running = crate::egress::ensure_proxy(&server, rules)?;
        let url = format!("http://127.0.0.1:{SANDBOX_PROXY_PORT}");
        for k in [
            "HTTP_PROXY",
            "HTTPS_PROXY",
            "http_proxy",
            "https_proxy",
            "ALL_PROXY",
            "all_proxy",
        ] {
            env.retain(|(name, _)| name != k);
            env.push((k.to_owned(), url.clone()));
        }
        for k in ["NO_PROXY", "no_proxy"] {
            env.retain(|(name, _)| name != k);
            env.push((k.to_owned(), String::new()));
        }
        Some(ProxySpec {
            socket: running.socket,
            port: SANDBOX_PROXY_PORT,
        })
    } else {
        None
    };
    let mut argv = vec![utf8(&spec.program)?];
    argv.extend(args);
    let exec = ExecSpec {
        mode: spec.sandbox.mode,
        program,
        argv,
        env,
        cwd: Some(cwd),
        runtime,
        read_only: spec.sandbox.read_only.clone(),
        read_write: spec.sandbox.read_write.clone(),
        proxy,
        limits: spec.sandbox.limits,
    };
    let std_cmd = mcpwall_sandbox::helper_command(&helper_exe()?, &exec)?;
    let mut cmd = tokio::process::Command::from(std_cmd);
    cmd.kill_on_drop(true);
    Ok(cmd)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn environment_is_not_inherited() {
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "planted-aws");
        std::env::set_var("MCPWALL_TEST_SECRET_SRC", "s3cr3t");
        let mut spec = LaunchSpec::new("true", Vec::<String>::new());
        spec.env.push(("DECLARED".into(), "yes".into()));
        spec.secrets.push((
            "API_KEY".into(),
            SecretRef::Env("MCPWALL_TEST_SECRET_SRC".into()),
        ));
        let env = server_env(&spec, true).unwrap();
        let names: Vec<&str> = env.iter().map(|(k, _)| k.as_str()).collect();
        assert!(!names.contains(&"AWS_SECRET_ACCESS_KEY"));
        assert!(env.contains(&("DECLARED".into(), "yes".into())));
        assert!(env.contains(&("API_KEY".into(), "s3cr3t".into())));
        assert!(env.contains(&("HOME".into(), SANDBOX_HOME.into())));
    }

    #[test]
    fn missing_secret_is_an_error_without_value() {
        let mut spec = LaunchSpec::new("true", Vec::<String>::new());
        spec.secrets.push((
            "K".into(),
            SecretRef::Env("MCPWALL_DEFINITELY_UNSET_VAR".into()),
        ));
        let err = server_env(&spec, true).unwrap_err().to_string();
        assert!(err.contains("MCPWALL_DEFINITELY_UNSET_VAR"), "{err}");
    }

    #[test]
    fn pass_env_copies_only_listed_variables() {
        std::env::set_var("MCPWALL_TEST_PASSED", "from-host");
        std::env::set_var("MCPWALL_TEST_NOT_PASSED", "hidden");
        let mut spec = LaunchSpec::new("true", Vec::<String>::new());
        spec.pass_env = vec![
            "MCPWALL_TEST_PASSED".into(),
            "MCPWALL_TEST_UNSET_EVERYWHERE".into(),
        ];
        for sandboxed in [true, false] {
            let env = server_env(&spec, sandboxed).unwrap();
            assert!(env.contains(&("MCPWALL_TEST_PASSED".into(), "from-host".into())));
            let names: Vec<&str> = env.iter().map(|(k, _)| k.as_str()).collect();
            assert!(!names.contains(&"MCPWALL_TEST_NOT_PASSED"));
            assert!(!names.contains(&"MCPWALL_TEST_UNSET_EVERYWHERE"));
        }
        spec.pass_env = vec!["A=B".into()];
        let err = server_env(&spec, true).unwrap_err().to_string();
        assert_eq!(
            err,
            "cannot pass variable `A=B` to the server: not a valid variable name"
        );
    }

    /// Best-effort with a missing feature starts, and leaves a `sandbox.best_effort` record;
    /// enforce refuses naming the feature. The gap is simulated with [`ENV_SIMULATE_MISSING`]
    /// (the decision code is the same as for a real gap).
    #[test]
    fn best_effort_gap_is_audited_and_enforce_refuses() {
        use crate::audit_sink::{AuditSink, MemorySink};
        static SINK: std::sync::OnceLock<Arc<dyn AuditSink>> = std::sync::OnceLock::new();
        let memory = MemorySink::default();
        let sink = SINK.get_or_init(|| Arc::new(memory.clone()));
        crate::egress::set_audit_sink(sink);
        if mcpwall_sandbox::probe()
            .missing_required()
            .contains(&"seccomp filter")
        {
            return;
        }
        std::env::set_var(ENV_SIMULATE_MISSING, "seccomp filter,landlock");
        let mut spec = LaunchSpec::new("/bin/true", Vec::<String>::new());
        spec.server = "degraded".into();
        let err = command(&spec).unwrap_err().to_string();
        assert!(
            err.contains("refusing to start `degraded`") && err.contains("seccomp filter"),
            "{err}"
        );
        spec.sandbox.mode = Mode::BestEffort;
        let started = command(&spec);
        std::env::remove_var(ENV_SIMULATE_MISSING);
        assert!(started.is_ok(), "{:?}", started.err());
        let events: Vec<_> = memory
            .events()
            .into_iter()
            .filter(|e| e.server == "degraded")
            .collect();
        assert_eq!(events.len(), 1, "{events:?}");
        assert_eq!(events[0].rule.as_deref(), Some("sandbox.best_effort"));
        let detail = events[0].detail.as_deref().unwrap();
        assert!(
            detail.contains("seccomp filter") && detail.contains("landlock"),
            "{detail}"
        );
    }

    #[test]
    fn off_mode_runs_program_directly() {
        let mut spec = LaunchSpec::new("/bin/echo", ["hi"]);
        spec.sandbox = SandboxPolicy::off();
        let cmd = command(&spec).unwrap();
        assert_eq!(cmd.as_std().get_program(), "/bin/echo");
    }
}
