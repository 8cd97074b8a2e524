//! `mcpwall install`: puts every stdio server of a host's config behind `mcpwall wrap`.
//!
//! The text transformation lives in `mcpwall_policy::install` (pure, tested there); this
//! module finds the file, keeps a backup, writes atomically and undoes.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use mcpwall_policy::install::{Change, Host, Rewrite};

/// Arguments of `mcpwall install`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The host whose config to rewrite: `claude-desktop`, `claude-code`, `cursor` or `vscode`.
    #[arg(long, value_parser = parse_host)]
    pub host: Host,
    /// The host's config file. Default: the host's usual file for this user and OS
    /// (for claude-code and vscode, the project's `.mcp.json` / `.vscode/mcp.json` when the
    /// current directory has one).
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Undo a previous install: restore the backup (or, if the file changed since, unwrap
    /// each server in place).
    #[arg(long)]
    pub undo: bool,
    /// Print what would change and the new file, and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// The mcpwall binary servers should run (default: this binary's absolute path).
    #[arg(long, value_name = "PATH", hide = true)]
    pub mcpwall: Option<PathBuf>,
}

fn parse_host(s: &str) -> Result<Host, String> {
    s.parse()
        .map_err(|e: mcpwall_policy::install::HostError| e.to_string())
}

/// Runs the subcommand.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let path = match &args.config {
        Some(p) => p.clone(),
        None => {
            let home = dirs::home_dir().context("cannot find the home directory, pass --config")?;
            let config_dir = dirs::config_dir().unwrap_or_else(|| home.join(".config"));
            let cwd = std::env::current_dir().context("cannot read the current directory")?;
            default_config_path(args.host, &home, &config_dir, &cwd)
        }
    };
    let outcome = if args.undo {
        undo(&path, args.host, args.dry_run)?
    } else {
        let mcpwall = match &args.mcpwall {
            Some(p) => p.clone(),
            None => {
                std::env::current_exe().context("cannot find the path of the mcpwall binary")?
            }
        };
        let mcpwall = std::path::absolute(&mcpwall).unwrap_or(mcpwall);
        let mcpwall = mcpwall
            .to_str()
            .context("the path of the mcpwall binary is not valid UTF-8")?
            .to_owned();
        install(&path, args.host, &mcpwall, args.dry_run)?
    };
    print!("{outcome}");
    Ok(ExitCode::SUCCESS)
}

/// The config file a host uses by default.
pub fn default_config_path(host: Host, home: &Path, config_dir: &Path, cwd: &Path) -> PathBuf {
    match host {
        // config_dir is ~/.config on Linux, ~/Library/Application Support on macOS and
        // %APPDATA% on Windows: the three places Claude Desktop keeps its file.
        Host::ClaudeDesktop => config_dir.join("Claude").join("claude_desktop_config.json"),
        Host::ClaudeCode => {
            let project = cwd.join(".mcp.json");
            if project.is_file() {
                project
            } else {
                home.join(".claude.json")
            }
        }
        Host::Cursor => home.join(".cursor").join("mcp.json"),
        Host::VsCode => {
            let project = cwd.join(".vscode").join("mcp.json");
            if project.is_file() {
                project
            } else {
                config_dir.join("Code").join("User").join("mcp.json")
            }
        }
    }
}

/// Where the backup of `path` is kept.
pub fn backup_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".mcpwall-backup");
    path.with_file_name(name)
}

/// Rewrites `path` so each stdio server runs behind `mcpwall wrap`; returns what to print.
pub fn install(path: &Path, host: Host, mcpwall: &str, dry_run: bool) -> anyhow::Result<String> {
    let path = resolve(path);
    let text = read(&path, host)?;
    let rewrite = mcpwall_policy::install::wrap(&text, host, mcpwall)
        .with_context(|| format!("cannot read `{}` as {host} config", path.display()))?;
    let mut out = describe(&path, &rewrite, "wrapped");
    if nothing_to_write(&mut out, &rewrite, dry_run, "nothing to change") {
        return Ok(out);
    }
    let backup = backup_path(&path);
    if backup.exists() {
        // The first backup holds the file as it was before mcpwall touched it; keep it.
        let _ = writeln!(out, "kept the existing backup `{}`", backup.display());
    } else {
        write_atomically(&backup, &text, &path)?;
        let _ = writeln!(out, "backup: `{}`", backup.display());
    }
    write_atomically(&path, &rewrite.text, &path)?;
    let _ = writeln!(
        out,
        "updated `{}`; restart {host} to apply, undo with `mcpwall install --host {host} --undo`",
        path.display()
    );
    Ok(out)
}

/// Undoes [`install`]: restores the backup when the file is exactly what install made of it,
/// otherwise unwraps each server in place so later edits are kept.
pub fn undo(path: &Path, host: Host, dry_run: bool) -> anyhow::Result<String> {
    let path = resolve(path);
    let text = read(&path, host)?;
    let backup = backup_path(&path);
    let mut out = String::new();
    if let Ok(original) = std::fs::read_to_string(&backup) {
        // The file is untouched since install if unwrapping it gives the backup back.
        let untouched =
            mcpwall_policy::install::unwrap(&text, host).is_ok_and(|r| r.text == original);
        if untouched || original == text {
            if dry_run {
                let _ = writeln!(
                    out,
                    "dry run: would restore `{}` from `{}`",
                    path.display(),
                    backup.display()
                );
                return Ok(out);
            }
            write_atomically(&path, &original, &path)?;
            std::fs::remove_file(&backup)
                .with_context(|| format!("cannot remove `{}`", backup.display()))?;
            let _ = writeln!(out, "restored `{}` from its backup", path.display());
            return Ok(out);
        }
        let _ = writeln!(
            out,
            "`{}` changed since install, so each server is unwrapped in place instead of restoring `{}` (kept)",
            path.display(),
            backup.display()
        );
    }
    let rewrite = mcpwall_policy::install::unwrap(&text, host)
        .with_context(|| format!("cannot read `{}` as {host} config", path.display()))?;
    out.push_str(&describe(&path, &rewrite, "unwrapped"));
    if nothing_to_write(&mut out, &rewrite, dry_run, "nothing to undo") {
        return Ok(out);
    }
    write_atomically(&path, &rewrite.text, &path)?;
    let _ = writeln!(out, "updated `{}`", path.display());
    Ok(out)
}

/// True when the command ends without writing: the rewrite changes nothing (says `nothing`),
/// or this is a dry run (shows the file it would write).
fn nothing_to_write(out: &mut String, rewrite: &Rewrite, dry_run: bool, nothing: &str) -> bool {
    if !rewrite.changed() {
        let _ = writeln!(out, "{nothing}");
        return true;
    }
    if dry_run {
        let _ = writeln!(
            out,
            "dry run, nothing written; the new file would be:\n{}",
            rewrite.text
        );
        return true;
    }
    false
}

/// Follows a symlink so the link (e.g. from a dotfiles repository) stays a link.
fn resolve(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned())
}

fn read(path: &Path, host: Host) -> anyhow::Result<String> {
    match std::fs::read_to_string(path) {
        Ok(t) => Ok(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            anyhow::bail!(
                "no {host} config at `{}`; pass --config PATH",
                path.display()
            )
        }
        Err(e) => Err(e).with_context(|| format!("cannot read `{}`", path.display())),
    }
}

fn describe(path: &Path, rewrite: &Rewrite, verb: &str) -> String {
    let mut out = String::new();
    match &rewrite.servers_key {
        None => {
            let _ = writeln!(out, "`{}` has no servers", path.display());
        }
        Some(key) => {
            let _ = writeln!(out, "`{}` ({key}):", path.display());
        }
    }
    for (name, change) in &rewrite.servers {
        let line = match change {
            Change::Rewritten => format!("{verb} `{name}`"),
            Change::Unchanged if verb == "wrapped" => {
                format!("`{name}` already runs behind mcpwall")
            }
            Change::Unchanged => format!("`{name}` does not run behind mcpwall"),
            Change::Remote => {
                format!("left remote server `{name}` as it is (front it with `mcpwall serve` to filter it)")
            }
            Change::Skipped(why) => format!("skipped `{name}`: {why}"),
        };
        let _ = writeln!(out, "  {line}");
    }
    out
}

/// Writes `text` to `path` through a temporary file in the same directory and a rename, so the
/// host never sees a half-written file. The new file gets the permissions of `like` (a host
/// config may hold tokens and be private).
fn write_atomically(path: &Path, text: &str, like: &Path) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut name = std::ffi::OsString::from(".");
    name.push(path.file_name().unwrap_or_default());
    name.push(format!(".mcpwall-{}.tmp", std::process::id()));
    let tmp = dir.join(name);
    let result = (|| -> anyhow::Result<()> {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .with_context(|| format!("cannot create `{}`", tmp.display()))?;
        if let Ok(meta) = std::fs::metadata(like) {
            file.set_permissions(meta.permissions())
                .with_context(|| format!("cannot set permissions of `{}`", tmp.display()))?;
        }
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_all())
            .with_context(|| format!("cannot write `{}`", tmp.display()))?;
        std::fs::rename(&tmp, path).with_context(|| format!("cannot replace `{}`", path.display()))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    const MCPWALL: &str = "/usr/local/bin/mcpwall";

    fn host_files() -> Vec<(Host, &'static str, &'static str)> {
        vec![
            (
                Host::ClaudeDesktop,
                "claude_desktop_config.json",
                r#"{
  "mcpServers": {
    "filesystem": {
      "command": "npx",
      "args": ["-y", "@modelcontextprotocol/server-filesystem", "/home/me/Desktop"]
    },
    "github": {
      "command": "npx",
      "args": ["-y", "@modelcontextprotocol/server-github"],
      "env": { "GITHUB_PERSONAL_ACCESS_TOKEN": "<token>" }
    }
  }
}
"#,
            ),
            (
                Host::ClaudeCode,
                ".mcp.json",
                r#"{
  "mcpServers": {
    "time": { "type": "stdio", "command": "uvx", "args": ["mcp-server-time"], "env": {} },
    "api": { "type": "http", "url": "https://mcp.example.com/mcp" }
  }
}
"#,
            ),
            (
                Host::Cursor,
                "mcp.json",
                "{\n  \"mcpServers\": {\n    \"fetch\": { \"command\": \"uvx\", \"args\": [\"mcp-server-fetch\"] },\n    \"remote\": { \"url\": \"https://x.example.com/sse\" }\n  }\n}\n",
            ),
            (
                Host::VsCode,
                "mcp.json",
                "{\n  // comments are kept\n  \"servers\": {\n    \"everything\": {\n      \"type\": \"stdio\",\n      \"command\": \"npx\",\n      \"args\": [\"-y\", \"@modelcontextprotocol/server-everything\"],\n    },\n  },\n  \"inputs\": [],\n}\n",
            ),
        ]
    }

    #[test]
    fn install_then_undo_restores_each_host_file() {
        for (host, name, original) in host_files() {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join(name);
            std::fs::write(&path, original).unwrap();

            let out = install(&path, host, MCPWALL, false).unwrap();
            assert!(out.contains("wrapped `"), "{host}: {out}");
            let wrapped = std::fs::read_to_string(&path).unwrap();
            assert_ne!(wrapped, original);
            assert_eq!(
                std::fs::read_to_string(backup_path(&path)).unwrap(),
                original
            );
            // The result is still a config mcpwall reads as the same servers (through the
            // wrapper), and the snapshot shows each stdio command behind `mcpwall wrap --`.
            let before = mcpwall_policy::parse(original, None, &path).unwrap();
            let after = mcpwall_policy::parse(&wrapped, None, &path).unwrap();
            assert_eq!(before.servers, after.servers, "{host}");
            assert!(wrapped.contains("\"wrap\", \"--\""), "{host}");
            insta::assert_snapshot!(format!("install_{host}"), wrapped);

            // Idempotent.
            let again = install(&path, host, MCPWALL, false).unwrap();
            assert!(again.contains("nothing to change"), "{again}");
            assert_eq!(std::fs::read_to_string(&path).unwrap(), wrapped);

            let out = undo(&path, host, false).unwrap();
            assert!(out.contains("restored"), "{out}");
            assert_eq!(std::fs::read_to_string(&path).unwrap(), original);
            assert!(!backup_path(&path).exists());
            // No temporary files left behind.
            assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        }
    }

    /// Servers with an `env` block keep their variables: the host sets them on mcpwall, and
    /// install writes one `--pass-env NAME` per key (names only, values stay in `env`); undo
    /// gives back the file byte for byte.
    #[test]
    fn env_block_becomes_pass_env_and_undo_is_exact() {
        let (host, name, original) = host_files().remove(0);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, original).unwrap();
        install(&path, host, MCPWALL, false).unwrap();
        let wrapped = std::fs::read_to_string(&path).unwrap();
        let v: serde_json::Value = serde_json::from_str(&wrapped).unwrap();
        assert_eq!(
            v["mcpServers"]["github"]["args"],
            serde_json::json!([
                "wrap",
                "--pass-env",
                "GITHUB_PERSONAL_ACCESS_TOKEN",
                "--",
                "npx",
                "-y",
                "@modelcontextprotocol/server-github"
            ])
        );
        assert_eq!(
            v["mcpServers"]["github"]["env"]["GITHUB_PERSONAL_ACCESS_TOKEN"],
            "<token>"
        );
        assert_eq!(
            v["mcpServers"]["filesystem"]["args"][1], "--",
            "no env, no --pass-env"
        );
        // What install wrote is a command line `mcpwall wrap` accepts.
        use clap::Parser as _;
        let args: Vec<String> = v["mcpServers"]["github"]["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap().to_owned())
            .collect();
        let cli =
            crate::Cli::try_parse_from(std::iter::once("mcpwall".to_owned()).chain(args)).unwrap();
        let crate::Command::Wrap(w) = cli.command else {
            panic!("not wrap")
        };
        assert_eq!(w.pass_env, ["GITHUB_PERSONAL_ACCESS_TOKEN"]);
        assert_eq!(w.rest[0], "npx");
        undo(&path, host, false).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), original);
        // Without the backup, unwrapping in place also restores this file exactly.
        install(&path, host, MCPWALL, false).unwrap();
        std::fs::remove_file(backup_path(&path)).unwrap();
        undo(&path, host, false).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), original);
    }

    #[test]
    fn undo_after_later_edits_unwraps_in_place() {
        let (host, name, original) = host_files().remove(2);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, original).unwrap();
        install(&path, host, MCPWALL, false).unwrap();
        // The user adds a server after installing.
        let edited = std::fs::read_to_string(&path).unwrap().replacen(
            "\"mcpServers\": {",
            "\"mcpServers\": {\n    \"new\": { \"command\": \"added-later\" },",
            1,
        );
        std::fs::write(&path, &edited).unwrap();
        let out = undo(&path, host, false).unwrap();
        assert!(out.contains("changed since install"), "{out}");
        let now: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(now["mcpServers"]["new"]["command"], "added-later");
        assert_eq!(now["mcpServers"]["fetch"]["command"], "uvx");
        assert_eq!(
            now["mcpServers"]["fetch"]["args"],
            serde_json::json!(["mcp-server-fetch"])
        );
        assert!(backup_path(&path).exists());
    }

    #[test]
    fn dry_run_writes_nothing() {
        let (host, name, original) = host_files().remove(0);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, original).unwrap();
        let out = install(&path, host, MCPWALL, true).unwrap();
        assert!(out.contains("dry run") && out.contains(MCPWALL), "{out}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), original);
        assert!(!backup_path(&path).exists());
        assert!(undo(&path, host, true).unwrap().contains("nothing to undo"));
    }

    #[test]
    fn missing_file_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = install(&dir.path().join("nope.json"), Host::Cursor, MCPWALL, false).unwrap_err();
        assert!(err.to_string().contains("no cursor config at"), "{err}");
        let bad = dir.path().join("bad.json");
        std::fs::write(&bad, "{ nope").unwrap();
        let err = format!(
            "{:#}",
            install(&bad, Host::Cursor, MCPWALL, false).unwrap_err()
        );
        assert!(
            err.contains("cannot read") && err.contains("as cursor config"),
            "{err}"
        );
        assert_eq!(std::fs::read_to_string(&bad).unwrap(), "{ nope");
    }

    #[cfg(unix)]
    #[test]
    fn keeps_permissions_and_symlinks() {
        use std::os::unix::fs::PermissionsExt;
        let (host, _, original) = host_files().remove(2);
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.json");
        std::fs::write(&real, original).unwrap();
        std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o600)).unwrap();
        let link = dir.path().join("mcp.json");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        install(&link, host, MCPWALL, false).unwrap();
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert!(std::fs::read_to_string(&real).unwrap().contains(MCPWALL));
        assert_eq!(
            std::fs::metadata(&real).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    #[test]
    fn default_paths() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        let cfg = home.join(".config");
        let cwd = dir.path().join("project");
        std::fs::create_dir_all(cwd.join(".vscode")).unwrap();
        assert_eq!(
            default_config_path(Host::ClaudeDesktop, &home, &cfg, &cwd),
            cfg.join("Claude/claude_desktop_config.json")
        );
        assert_eq!(
            default_config_path(Host::Cursor, &home, &cfg, &cwd),
            home.join(".cursor/mcp.json")
        );
        assert_eq!(
            default_config_path(Host::ClaudeCode, &home, &cfg, &cwd),
            home.join(".claude.json")
        );
        assert_eq!(
            default_config_path(Host::VsCode, &home, &cfg, &cwd),
            cfg.join("Code/User/mcp.json")
        );
        std::fs::write(cwd.join(".mcp.json"), "{}").unwrap();
        std::fs::write(cwd.join(".vscode/mcp.json"), "{}").unwrap();
        assert_eq!(
            default_config_path(Host::ClaudeCode, &home, &cfg, &cwd),
            cwd.join(".mcp.json")
        );
        assert_eq!(
            default_config_path(Host::VsCode, &home, &cfg, &cwd),
            cwd.join(".vscode/mcp.json")
        );
    }
}
