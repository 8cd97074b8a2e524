//! `mcpwall scan FILE...`: a static audit of config files for CI.
//!
//! Today it reports what the config layer knows to be a deliberate weakening
//! ([`mcpwall_policy::Config::findings`]: a stdio server with `sandbox = "off"` or
//! `best-effort`) and every config error. It never starts a server. The scanner issue extends
//! it (secrets in configs, unpinned packages, live tool definitions, lockfile, SARIF); the
//! exit codes below are stable so CI can rely on them now.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use mcpwall_policy::{ConfigErrors, Diagnostic};
use serde::Serialize;

/// Arguments of `mcpwall scan`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Config files to scan (mcpwall TOML or a host's JSON: Claude Desktop, Claude Code,
    /// Cursor, VS Code).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
}

/// How `scan` prints its report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// One line per problem: `LEVEL: FILE:LINE:COL: FIELD: MESSAGE`, then a summary.
    Text,
    /// One JSON document: per file, its errors and findings with their places.
    Json,
}

/// Exit code when every file is valid and nothing was found.
pub const EXIT_CLEAN: u8 = 0;
/// Exit code when at least one finding (a deliberate weakening) was reported.
pub const EXIT_FINDINGS: u8 = 1;
/// Exit code when at least one file could not be read or is not a valid config.
pub const EXIT_INVALID: u8 = 2;

/// The result of scanning one file.
#[derive(Debug, Serialize)]
pub struct FileReport {
    /// The file as given.
    pub file: PathBuf,
    /// Whether it is a valid config.
    pub valid: bool,
    /// Config errors (only when invalid).
    pub errors: Vec<Diagnostic>,
    /// Deliberate weakenings (sandbox off / best-effort), with their places.
    pub findings: Vec<Diagnostic>,
}

/// The whole report and its exit code.
#[derive(Debug, Serialize)]
pub struct Report {
    /// One entry per file, in the order given.
    pub files: Vec<FileReport>,
    /// Total findings.
    pub findings: usize,
    /// Total errors.
    pub errors: usize,
    /// The exit code (`0` clean, `1` findings, `2` an invalid file).
    pub exit_code: u8,
}

/// Scans each file. Never starts anything.
pub fn scan(files: &[PathBuf]) -> Report {
    let mut out = Vec::with_capacity(files.len());
    for file in files {
        out.push(match mcpwall_policy::load(file) {
            Ok(config) => FileReport {
                file: file.clone(),
                valid: true,
                errors: Vec::new(),
                findings: config.findings.clone(),
            },
            Err(ConfigErrors { errors, .. }) => FileReport {
                file: file.clone(),
                valid: false,
                errors,
                findings: Vec::new(),
            },
        });
    }
    let findings = out.iter().map(|f| f.findings.len()).sum();
    let errors = out.iter().map(|f| f.errors.len()).sum();
    let exit_code = if out.iter().any(|f| !f.valid) {
        EXIT_INVALID
    } else if findings > 0 {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    };
    Report {
        files: out,
        findings,
        errors,
        exit_code,
    }
}

/// Renders the text form.
pub fn render_text(report: &Report) -> String {
    let mut s = String::new();
    for f in &report.files {
        for e in &f.errors {
            let _ = writeln!(s, "error: {e}");
        }
        for d in &f.findings {
            let _ = writeln!(s, "warning: {d}");
        }
    }
    let _ = writeln!(
        s,
        "scanned {} file{}: {} finding{}, {} error{}",
        report.files.len(),
        plural(report.files.len()),
        report.findings,
        plural(report.findings),
        report.errors,
        plural(report.errors)
    );
    s
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Runs `mcpwall scan`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let report = scan(&args.files);
    match args.format {
        OutputFormat::Text => print!("{}", render_text(&report)),
        OutputFormat::Json => println!("{}", serde_json::to_string_pretty(&report)?),
    }
    Ok(ExitCode::from(report.exit_code))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn clean_findings_and_invalid_files_get_their_exit_codes() {
        let dir = tempfile::tempdir().unwrap();
        let clean = write(&dir, "clean.toml", "[servers.a]\ncommand = \"/opt/a\"\n");
        let off = write(
            &dir,
            "off.toml",
            "[servers.a]\ncommand = \"/opt/a\"\nsandbox = \"off\"\n",
        );
        let bad = write(&dir, "bad.toml", "[servers.a]\ncommand = 3\n");

        let r = scan(std::slice::from_ref(&clean));
        assert_eq!((r.exit_code, r.findings, r.errors), (EXIT_CLEAN, 0, 0));

        let r = scan(&[clean.clone(), off.clone()]);
        assert_eq!((r.exit_code, r.findings), (EXIT_FINDINGS, 1));
        let text = render_text(&r);
        assert!(
            text.contains(&format!(
                "warning: {}:3:11: servers.a.sandbox: sandbox is off",
                off.display()
            )),
            "{text}"
        );

        let r = scan(&[off, bad.clone()]);
        assert_eq!(r.exit_code, EXIT_INVALID);
        assert!(!r.files[1].valid && !r.files[1].errors.is_empty());
        let text = render_text(&r);
        assert!(
            text.contains(&format!("error: {}:2:", bad.display())),
            "{text}"
        );
    }

    #[test]
    fn host_json_with_sandbox_default_is_clean_and_missing_file_is_invalid() {
        let dir = tempfile::tempdir().unwrap();
        let host = write(
            &dir,
            "claude_desktop_config.json",
            r#"{"mcpServers": {"fs": {"command": "npx", "args": ["-y", "x@1.0.0"]}}}"#,
        );
        assert_eq!(scan(&[host]).exit_code, EXIT_CLEAN);
        let r = scan(&[dir.path().join("nope.toml")]);
        assert_eq!(r.exit_code, EXIT_INVALID);
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["files"][0]["valid"], false);
        assert!(json["files"][0]["errors"][0]["message"].is_string());
    }
}
