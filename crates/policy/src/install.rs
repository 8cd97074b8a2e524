//! Rewriting a host's JSON config so each stdio server runs behind `mcpwall wrap`, and back.
//!
//! Pure text-to-text transformations (the `mcpwall install` command does the file handling:
//! backup, atomic write, undo). Edits go through a concrete syntax tree, so comments,
//! key order, unknown fields, `env` and the host's formatting are kept; only `command` and
//! `args` of each stdio server change.

use std::fmt;
use std::str::FromStr;

use jsonc_parser::cst::{CstInputValue, CstObject, CstRootNode};

/// A host whose config `mcpwall install` can rewrite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Host {
    /// Claude Desktop (`claude_desktop_config.json`, `mcpServers`).
    ClaudeDesktop,
    /// Claude Code (`.mcp.json` or `~/.claude.json`, `mcpServers`).
    ClaudeCode,
    /// Cursor (`~/.cursor/mcp.json`, `mcpServers`).
    Cursor,
    /// VS Code (`mcp.json`, `servers`; or a settings file's `mcp.servers`).
    VsCode,
}

impl Host {
    /// Every host, in the order of the CLI's help.
    pub const ALL: [Host; 4] = [
        Host::ClaudeDesktop,
        Host::ClaudeCode,
        Host::Cursor,
        Host::VsCode,
    ];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Host::ClaudeDesktop => "claude-desktop",
            Host::ClaudeCode => "claude-code",
            Host::Cursor => "cursor",
            Host::VsCode => "vscode",
        }
    }

    /// The top-level key holding the servers.
    pub fn servers_key(self) -> &'static str {
        match self {
            Host::VsCode => "servers",
            _ => "mcpServers",
        }
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An unknown host name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown host `{0}`, expected `claude-desktop`, `claude-code`, `cursor` or `vscode`")]
pub struct HostError(pub String);

impl FromStr for Host {
    type Err = HostError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Host::ALL
            .into_iter()
            .find(|h| h.name() == s)
            .ok_or_else(|| HostError(s.to_owned()))
    }
}

/// Why a host file could not be rewritten.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InstallError {
    /// The file is not valid JSON (comments and trailing commas are accepted).
    #[error("{line}:{column}: {message}")]
    Syntax {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What the parser said.
        message: String,
    },
    /// The file is JSON but not an object.
    #[error("the file does not hold a JSON object")]
    NotAnObject,
    /// The servers key holds something other than an object.
    #[error("`{0}` is not an object")]
    ServersNotAnObject(String),
}

/// What happened to one server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Now runs behind `mcpwall wrap` (install) or no longer does (uninstall).
    Rewritten,
    /// Was already in the wanted state; untouched.
    Unchanged,
    /// A remote (`url`) server; left as it is (front it with `mcpwall serve`).
    Remote,
    /// Not a server mcpwall understands (no string `command`); left as it is.
    Skipped(String),
}

/// The result of a rewrite: the new text and what happened to each server, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rewrite {
    /// The whole new file.
    pub text: String,
    /// `(server name, what happened)`.
    pub servers: Vec<(String, Change)>,
    /// Where the servers were found (`mcpServers`, `servers` or `mcp.servers`), or `None`
    /// when the file has none.
    pub servers_key: Option<String>,
}

impl Rewrite {
    /// Whether anything changed.
    pub fn changed(&self) -> bool {
        self.servers.iter().any(|(_, c)| *c == Change::Rewritten)
    }
}

/// Rewrites each stdio server of `text` to run `MCPWALL wrap [--pass-env NAME]... -- COMMAND
/// ARGS...`, where `mcpwall` is the absolute path of the mcpwall binary. Servers already wrapped
/// are left alone, so running it twice changes nothing the second time.
///
/// `wrap` starts servers with an empty environment; the host still sets the variables of the
/// server's `env` block on the process it starts (now mcpwall), so each of their names is
/// passed on with `--pass-env`. When the `env` block changed since (a name added or removed),
/// the `--pass-env` list of an already wrapped server is brought up to date.
pub fn wrap(text: &str, host: Host, mcpwall: &str) -> Result<Rewrite, InstallError> {
    rewrite(text, host, |server| {
        let Some((command, args)) = command_and_args(server) else {
            return Ok(None);
        };
        let pass = env_names(server);
        if let Some(inner) = wrapped_command(&command, &args) {
            let wanted = wrap_args(&pass, inner);
            return if wanted == args {
                Err(Change::Unchanged)
            } else {
                Ok(Some((command, wanted)))
            };
        }
        let mut inner = vec![command];
        inner.extend(args);
        Ok(Some((mcpwall.to_owned(), wrap_args(&pass, inner))))
    })
}

/// `wrap --pass-env A --pass-env B -- INNER...`
fn wrap_args(pass: &[String], inner: Vec<String>) -> Vec<String> {
    let mut out = vec!["wrap".to_owned()];
    for name in pass {
        out.push("--pass-env".to_owned());
        out.push(name.clone());
    }
    out.push("--".to_owned());
    out.extend(inner);
    out
}

/// The names in a server's `env` object that are valid variable names, in file order.
fn env_names(server: &CstObject) -> Vec<String> {
    let Some(env) = server.object_value("env") else {
        return Vec::new();
    };
    env.properties()
        .into_iter()
        .filter_map(|p| p.decoded_name())
        .filter(|n| crate::secret::is_env_name(n))
        .collect()
}

/// Undoes [`wrap`] in place: each server running `mcpwall wrap -- COMMAND ARGS...` gets its
/// own command back. Used by `--undo` when no backup is left.
pub fn unwrap(text: &str, host: Host) -> Result<Rewrite, InstallError> {
    rewrite(text, host, |server| {
        let Some((command, args)) = command_and_args(server) else {
            return Ok(None);
        };
        match wrapped_command(&command, &args) {
            Some(inner) => {
                let mut it = inner.into_iter();
                match it.next() {
                    Some(cmd) => Ok(Some((cmd, it.collect()))),
                    None => Err(Change::Skipped(
                        "`mcpwall wrap` with no command after `--`".to_owned(),
                    )),
                }
            }
            None => Err(Change::Unchanged),
        }
    })
}

/// If `command args` is `mcpwall wrap [OPTIONS] -- INNER...`, returns `INNER`.
pub fn wrapped_command(command: &str, args: &[String]) -> Option<Vec<String>> {
    let file = command.rsplit(['/', '\\']).next().unwrap_or(command);
    let is_mcpwall = matches!(file, "mcpwall" | "mcpwall.exe");
    if !is_mcpwall || args.first().map(String::as_str) != Some("wrap") {
        return None;
    }
    let dashes = args.iter().position(|a| a == "--")?;
    Some(args[dashes + 1..].to_vec())
}

/// Reads `command` (string) and `args` (strings) of a server object.
fn command_and_args(server: &CstObject) -> Option<(String, Vec<String>)> {
    let command = server.get("command")?.value()?.to_serde_value()?;
    let command = command.as_str()?.to_owned();
    let args = match server
        .get("args")
        .and_then(|p| p.value())
        .and_then(|v| v.to_serde_value())
    {
        None => Vec::new(),
        Some(serde_json::Value::Array(items)) => {
            let mut out = Vec::new();
            for item in items {
                out.push(item.as_str()?.to_owned());
            }
            out
        }
        Some(_) => return None,
    };
    Some((command, args))
}

/// Applies `decide` to every server: `Ok(Some((command, args)))` rewrites it, `Ok(None)` means
/// it has no usable `command` (skipped, or remote when it has `url`), `Err(change)` leaves it
/// as it is and records `change`.
fn rewrite(
    text: &str,
    host: Host,
    mut decide: impl FnMut(&CstObject) -> Result<Option<(String, Vec<String>)>, Change>,
) -> Result<Rewrite, InstallError> {
    let options = jsonc_parser::ParseOptions {
        allow_comments: true,
        allow_loose_object_property_names: false,
        allow_trailing_commas: true,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    };
    if let Err(e) = crate::tree::parse_json(text) {
        // Same limits as the loader (nesting in particular), checked before the CST parser.
        if e.message.starts_with("nesting") {
            let (line, column) = crate::tree::line_col(text, e.span.start);
            return Err(InstallError::Syntax {
                line,
                column,
                message: e.message,
            });
        }
    }
    let root = CstRootNode::parse(text, &options).map_err(|e| {
        let (line, column) = crate::tree::line_col(text, e.range().start);
        InstallError::Syntax {
            line,
            column,
            message: e.kind().to_string().to_lowercase(),
        }
    })?;
    let top = match root.value() {
        None => {
            return Ok(Rewrite {
                text: text.to_owned(),
                servers: Vec::new(),
                servers_key: None,
            })
        }
        Some(v) => v.as_object().ok_or(InstallError::NotAnObject)?,
    };
    let (servers, key) = match find_servers(&top, host) {
        Some(found) => found,
        None => {
            return Ok(Rewrite {
                text: text.to_owned(),
                servers: Vec::new(),
                servers_key: None,
            })
        }
    };
    let servers = servers.ok_or_else(|| InstallError::ServersNotAnObject(key.clone()))?;
    let mut report = Vec::new();
    for prop in servers.properties() {
        let name = prop.decoded_name().unwrap_or_default();
        let Some(server) = prop.object_value() else {
            report.push((name, Change::Skipped("not an object".to_owned())));
            continue;
        };
        match decide(&server) {
            Ok(Some((command, args))) => {
                set_command(&server, command, args);
                report.push((name, Change::Rewritten));
            }
            Ok(None) => {
                let remote = server.get("url").is_some() || server.get("serverUrl").is_some();
                let change = if remote {
                    Change::Remote
                } else {
                    Change::Skipped("no `command` string with string `args`".to_owned())
                };
                report.push((name, change));
            }
            Err(change) => report.push((name, change)),
        }
    }
    Ok(Rewrite {
        text: root.to_string(),
        servers: report,
        servers_key: Some(key),
    })
}

/// The servers object (or `None` inside when the key holds something else) and its key.
fn find_servers(top: &CstObject, host: Host) -> Option<(Option<CstObject>, String)> {
    let key = host.servers_key();
    if let Some(p) = top.get(key) {
        return Some((p.object_value(), key.to_owned()));
    }
    if host == Host::VsCode {
        if let Some(servers) = top.object_value("mcp").and_then(|m| m.get("servers")) {
            return Some((servers.object_value(), "mcp.servers".to_owned()));
        }
    }
    None
}

fn set_command(server: &CstObject, command: String, args: Vec<String>) {
    let args = CstInputValue::Array(args.into_iter().map(CstInputValue::String).collect());
    if let Some(p) = server.get("command") {
        p.set_value(CstInputValue::String(command));
        match server.get("args") {
            Some(a) => a.set_value(args),
            None => {
                server.insert(p.property_index() + 1, "args", args);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MCPWALL: &str = "/opt/mcpwall/bin/mcpwall";

    #[test]
    fn wraps_and_keeps_everything_else() {
        let text = r#"{
  // my servers
  "mcpServers": {
    "fs": {
      "command": "npx",
      "args": ["-y", "@modelcontextprotocol/server-filesystem", "/tmp"],
      "env": { "A": "1" },
      "autoApprove": []
    },
    "remote": { "url": "https://example.com/mcp" },
    "time": { "command": "uvx", "args": ["mcp-server-time"] },
    "bare": { "command": "my-server" }
  },
  "other": true
}"#;
        let r = wrap(text, Host::ClaudeDesktop, MCPWALL).unwrap();
        assert!(r.changed());
        assert_eq!(
            r.servers,
            vec![
                ("fs".to_owned(), Change::Rewritten),
                ("remote".to_owned(), Change::Remote),
                ("time".to_owned(), Change::Rewritten),
                ("bare".to_owned(), Change::Rewritten),
            ]
        );
        assert!(r.text.contains("// my servers"));
        assert!(r.text.contains("\"autoApprove\": []"));
        assert!(r.text.contains("\"env\": { \"A\": \"1\" }"));
        assert!(r.text.contains("\"other\": true"));
        let v: serde_json::Value = serde_json::from_str(&strip_comment(&r.text)).unwrap();
        assert_eq!(v["mcpServers"]["fs"]["command"], MCPWALL);
        assert_eq!(
            v["mcpServers"]["fs"]["args"],
            serde_json::json!([
                "wrap",
                "--pass-env",
                "A",
                "--",
                "npx",
                "-y",
                "@modelcontextprotocol/server-filesystem",
                "/tmp"
            ])
        );
        assert_eq!(
            v["mcpServers"]["bare"]["args"],
            serde_json::json!(["wrap", "--", "my-server"])
        );
        assert_eq!(
            v["mcpServers"]["remote"],
            serde_json::json!({"url": "https://example.com/mcp"})
        );

        // Idempotent.
        let again = wrap(&r.text, Host::ClaudeDesktop, MCPWALL).unwrap();
        assert!(!again.changed());
        assert_eq!(again.text, r.text);

        // Unwrapping gives back the original commands.
        let back = unwrap(&r.text, Host::ClaudeDesktop).unwrap();
        let v: serde_json::Value = serde_json::from_str(&strip_comment(&back.text)).unwrap();
        let orig: serde_json::Value = serde_json::from_str(&strip_comment(text)).unwrap();
        assert_eq!(v["mcpServers"]["fs"], orig["mcpServers"]["fs"]);
        assert_eq!(v["mcpServers"]["time"], orig["mcpServers"]["time"]);
        assert_eq!(v["mcpServers"]["bare"]["command"], "my-server");
    }

    fn strip_comment(s: &str) -> String {
        s.lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn vscode_servers_and_settings() {
        let text = "{\n\t\"servers\": {\n\t\t\"x\": {\"type\": \"stdio\", \"command\": \"node\", \"args\": [\"s.js\"],},\n\t},\n\t\"inputs\": [],\n}";
        let r = wrap(text, Host::VsCode, MCPWALL).unwrap();
        assert_eq!(r.servers, vec![("x".to_owned(), Change::Rewritten)]);
        assert!(r.text.contains("\"type\": \"stdio\""));
        assert!(r.text.contains("\"inputs\": []"));
        let settings = r#"{"editor.fontSize": 12, "mcp": {"servers": {"y": {"command": "z"}}}}"#;
        let r = wrap(settings, Host::VsCode, MCPWALL).unwrap();
        assert_eq!(r.servers_key.as_deref(), Some("mcp.servers"));
        assert!(r.changed());
    }

    #[test]
    fn odd_inputs() {
        assert_eq!(
            wrap("[]", Host::Cursor, MCPWALL),
            Err(InstallError::NotAnObject)
        );
        assert!(matches!(
            wrap("{", Host::Cursor, MCPWALL),
            Err(InstallError::Syntax { .. })
        ));
        assert_eq!(
            wrap(r#"{"mcpServers": []}"#, Host::Cursor, MCPWALL),
            Err(InstallError::ServersNotAnObject("mcpServers".to_owned()))
        );
        let none = wrap(r#"{"theme": "dark"}"#, Host::ClaudeCode, MCPWALL).unwrap();
        assert!(none.servers.is_empty() && none.servers_key.is_none());
        let weird = wrap(
            r#"{"mcpServers": {"a": 1, "b": {"command": 2}, "c": {"command": "x", "args": [1]}}}"#,
            Host::Cursor,
            MCPWALL,
        )
        .unwrap();
        assert!(weird
            .servers
            .iter()
            .all(|(_, c)| matches!(c, Change::Skipped(_))));
        assert!(!weird.changed());
    }

    #[test]
    fn escapes_survive() {
        let text = r#"{"mcpServers": {"q": {"command": "C:\\Tools\\srv.exe", "args": ["say \"hi\"", "ünï"]}}}"#;
        let r = wrap(text, Host::ClaudeDesktop, "C:\\mcpwall\\mcpwall.exe").unwrap();
        let v: serde_json::Value = serde_json::from_str(&r.text).unwrap();
        assert_eq!(v["mcpServers"]["q"]["command"], "C:\\mcpwall\\mcpwall.exe");
        assert_eq!(
            v["mcpServers"]["q"]["args"],
            serde_json::json!(["wrap", "--", "C:\\Tools\\srv.exe", "say \"hi\"", "ünï"])
        );
        assert!(
            !wrap(&r.text, Host::ClaudeDesktop, "C:\\mcpwall\\mcpwall.exe")
                .unwrap()
                .changed()
        );
    }

    #[test]
    fn env_names_are_passed_and_kept_in_step() {
        let text = r#"{"mcpServers": {
  "gh": {"command": "npx", "args": ["-y", "server-github"], "env": {"GITHUB_TOKEN": "t", "LOG_LEVEL": 3, "bad name": "x"}},
  "none": {"command": "srv", "args": [], "env": {}}
}}"#;
        let r = wrap(text, Host::ClaudeDesktop, MCPWALL).unwrap();
        let v: serde_json::Value = serde_json::from_str(&r.text).unwrap();
        assert_eq!(
            v["mcpServers"]["gh"]["args"],
            serde_json::json!([
                "wrap",
                "--pass-env",
                "GITHUB_TOKEN",
                "--pass-env",
                "LOG_LEVEL",
                "--",
                "npx",
                "-y",
                "server-github"
            ])
        );
        // The values stay where they were: only names go on the command line.
        assert_eq!(v["mcpServers"]["gh"]["env"]["GITHUB_TOKEN"], "t");
        assert_eq!(
            v["mcpServers"]["none"]["args"],
            serde_json::json!(["wrap", "--", "srv"])
        );
        // The loader still reads the same server (the inner command).
        let p = std::path::Path::new("/cfg/claude_desktop_config.json");
        assert_eq!(
            crate::parse(text, None, p).unwrap().servers,
            crate::parse(&r.text, None, p).unwrap().servers
        );
        // Idempotent.
        assert!(!wrap(&r.text, Host::ClaudeDesktop, MCPWALL)
            .unwrap()
            .changed());
        // Unwrapping gives back exactly the original text.
        assert_eq!(unwrap(&r.text, Host::ClaudeDesktop).unwrap().text, text);
        // A variable added after install is passed on the next install; one removed is dropped.
        let edited = r
            .text
            .replace(r#""env": {}"#, r#""env": {"NEW": "1"}"#)
            .replace(r#""LOG_LEVEL": 3, "#, "");
        let again = wrap(&edited, Host::ClaudeDesktop, MCPWALL).unwrap();
        assert_eq!(
            again.servers,
            vec![
                ("gh".to_owned(), Change::Rewritten),
                ("none".to_owned(), Change::Rewritten)
            ]
        );
        let v: serde_json::Value = serde_json::from_str(&again.text).unwrap();
        assert_eq!(
            v["mcpServers"]["gh"]["args"],
            serde_json::json!([
                "wrap",
                "--pass-env",
                "GITHUB_TOKEN",
                "--",
                "npx",
                "-y",
                "server-github"
            ])
        );
        assert_eq!(
            v["mcpServers"]["none"]["args"],
            serde_json::json!(["wrap", "--pass-env", "NEW", "--", "srv"])
        );
    }

    #[test]
    fn host_names() {
        for h in Host::ALL {
            assert_eq!(h.name().parse::<Host>().unwrap(), h);
        }
        assert!("zed".parse::<Host>().is_err());
    }
}
