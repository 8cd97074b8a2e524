//! `mcpwall config ...`: inspecting config files without starting anything.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use mcpwall_policy::{Config, ConfigErrors, Format, SandboxMode, Transport};

/// `mcpwall config` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Validate a config file and report every error with file, line, column and field.
    ///
    /// Reads mcpwall TOML or a host's JSON (Claude Desktop, Claude Code, Cursor, VS Code).
    /// Prints each error as `FILE:LINE:COL: FIELD: MESSAGE` and exits 1 if there is any;
    /// otherwise prints a summary of the servers found and exits 0. Every stdio server whose
    /// sandbox is `off` or `best-effort` is reported as a warning at the line that says so.
    /// Never starts a server.
    Check {
        /// The config file (mcpwall TOML or a host's JSON).
        file: PathBuf,
    },
}

/// Runs the subcommand.
pub fn run(cmd: Command) -> anyhow::Result<ExitCode> {
    match cmd {
        Command::Check { file } => {
            let report = render_check(&mcpwall_policy::load(&file));
            print!("{}", report.stdout);
            eprint!("{}", report.stderr);
            Ok(ExitCode::from(report.code))
        }
    }
}

/// What `config check` prints, and its exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckReport {
    /// The summary (valid files only).
    pub stdout: String,
    /// Errors and warnings, one per line.
    pub stderr: String,
    /// 0 valid, 1 invalid.
    pub code: u8,
}

/// Renders the result of loading a config for `config check`.
pub fn render_check(result: &Result<Config, ConfigErrors>) -> CheckReport {
    let mut stdout = String::new();
    let mut stderr = String::new();
    match result {
        Err(errors) => {
            for e in &errors.errors {
                let _ = writeln!(stderr, "{e}");
            }
            for w in &errors.warnings {
                let _ = writeln!(stderr, "warning: {w}");
            }
            let n = errors.errors.len();
            let _ = writeln!(stderr, "{n} error{}", if n == 1 { "" } else { "s" });
            CheckReport {
                stdout,
                stderr,
                code: 1,
            }
        }
        Ok(config) => {
            for w in &config.warnings {
                let _ = writeln!(stderr, "warning: {w}");
            }
            // Deliberate weakenings (sandbox off or best-effort) are valid but always reported,
            // with their place; `mcpwall scan` is to reuse `Config::findings` as they are.
            for f in &config.findings {
                let _ = writeln!(stderr, "warning: {f}");
            }
            let format = match config.source.format {
                Format::Toml => "mcpwall TOML",
                Format::McpServersJson => "host JSON (mcpServers)",
                Format::VsCodeJson => "VS Code JSON (servers)",
            };
            let n = config.servers.len();
            let _ = writeln!(
                stdout,
                "{}: valid {format}, {n} server{}",
                config.source.path.display(),
                if n == 1 { "" } else { "s" }
            );
            let width = config
                .servers
                .keys()
                .map(|k| k.as_str().len())
                .max()
                .unwrap_or(0);
            for (id, server) in &config.servers {
                // Arguments and values are not printed: they may hold secrets.
                let what = match &server.transport {
                    Transport::Stdio(s) => {
                        let sandbox = match server.sandbox.mode {
                            SandboxMode::Enforce => "sandbox enforced",
                            SandboxMode::BestEffort => "sandbox best-effort",
                            SandboxMode::Off => "sandbox OFF",
                        };
                        let network = if server.sandbox.network.is_none() {
                            "no network".to_owned()
                        } else {
                            format!(
                                "network: {} domain{}, {} range{}",
                                server.sandbox.network.allow_domains.len(),
                                plural(server.sandbox.network.allow_domains.len()),
                                server.sandbox.network.allow_cidrs.len(),
                                plural(server.sandbox.network.allow_cidrs.len()),
                            )
                        };
                        format!(
                            "stdio  `{}` ({} arg{}), {sandbox}, {network}",
                            s.command,
                            s.args.len(),
                            plural(s.args.len())
                        )
                    }
                    Transport::Http(h) => {
                        let kind = match h.protocol {
                            mcpwall_policy::HttpProtocol::Streamable => "http ",
                            mcpwall_policy::HttpProtocol::LegacySse => "sse  ",
                        };
                        format!("{kind}  {}", redact_url(&h.url))
                    }
                };
                let _ = writeln!(stdout, "  {:width$}  {what}", id.as_str());
            }
            let w = config.warnings.len() + config.findings.len();
            if w > 0 {
                let _ = writeln!(stdout, "{w} warning{}", plural(w));
            }
            CheckReport {
                stdout,
                stderr,
                code: 0,
            }
        }
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// A url without its query (which may carry a key).
fn redact_url(url: &str) -> &str {
    url.split(['?', '#']).next().unwrap_or(url)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn check(name: &str, text: &str) -> CheckReport {
        render_check(&mcpwall_policy::parse(
            text,
            None,
            &Path::new("/cfg").join(name),
        ))
    }

    #[test]
    fn valid_file_summary() {
        let text = r#"
[servers.fetch]
command = "uvx"
args = ["mcp-server-fetch"]
[servers.fetch.sandbox.network]
allow_domains = ["example.com"]

[servers.remote]
url = "https://mcp.example.com/mcp?key=abc"

[servers.plain]
command = "/opt/srv"
sandbox = "off"
"#;
        let r = check("mcpwall.toml", text);
        assert_eq!(r.code, 0);
        assert!(!r.stdout.contains("key=abc"));
        insta::assert_snapshot!(format!("{}---\n{}", r.stdout, r.stderr));
    }

    #[test]
    fn sandbox_off_and_best_effort_are_warned_with_place() {
        let text = "[servers.a]\ncommand = \"/opt/a\"\nsandbox = \"off\"\n\n[servers.b]\ncommand = \"/opt/b\"\n[servers.b.sandbox]\nmode = \"best-effort\"\n\n[servers.c]\ncommand = \"/opt/c\"\n";
        let r = check("mcpwall.toml", text);
        assert_eq!(r.code, 0);
        let lines: Vec<&str> = r.stderr.lines().collect();
        assert_eq!(lines.len(), 2, "{}", r.stderr);
        assert!(
            lines[0]
                .starts_with("warning: /cfg/mcpwall.toml:3:11: servers.a.sandbox: sandbox is off"),
            "{}",
            r.stderr
        );
        assert!(
            lines[1].starts_with(
                "warning: /cfg/mcpwall.toml:8:8: servers.b.sandbox.mode: sandbox is best-effort"
            ),
            "{}",
            r.stderr
        );
        assert!(r.stdout.ends_with("2 warnings\n"), "{}", r.stdout);
    }

    #[test]
    fn invalid_file_lists_every_error() {
        let text = r#"
[servers.fetch]
command = "uvx"
timeout = "forever"
[servers.fetch.sandbox]
mode = "on"
secrets = { TOKEN = "ghp_0123456789abcdefghijABCDEFGHIJ012345" }
[servers.fetch.sandbox.network]
allow_cidrs = ["0.0.0.0/0"]
"#;
        let r = check("mcpwall.toml", text);
        assert_eq!(r.code, 1);
        assert!(r.stdout.is_empty());
        assert!(!r.stderr.contains("ghp_"));
        insta::assert_snapshot!(r.stderr);
    }

    #[test]
    fn host_file_with_warning() {
        let text = r#"{"mcpServers": {"gh": {"command": "npx", "args": ["-y", "server-github"], "env": {"GITHUB_TOKEN": "ghp_0123456789abcdefghijABCDEFGHIJ012345"}}}}"#;
        let r = check("claude_desktop_config.json", text);
        assert_eq!(r.code, 0);
        assert!(!r.stderr.contains("ghp_") && !r.stdout.contains("ghp_"));
        insta::assert_snapshot!(format!("{}---\n{}", r.stdout, r.stderr));
    }
}
