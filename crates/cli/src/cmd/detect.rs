//! `mcpwall detect` and `mcpwall redact`.

use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::process::ExitCode;

use anyhow::Context;

/// Arguments of `mcpwall detect`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Read JSON lines (`id`, `text`, `family`) and write one verdict per line.
    #[arg(long)]
    pub jsonl: bool,
    /// Input file, or `-` for stdin.
    pub file: Option<std::path::PathBuf>,
    /// The optional ML classifier.
    #[command(flatten)]
    pub ml: super::ml::MlArgs,
}

/// Arguments of `mcpwall redact`.
#[derive(Debug, clap::Args)]
pub struct RedactArgs {}

/// Runs `detect`: one verdict line per input line (see docs/detect.md).
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if !args.jsonl {
        anyhow::bail!("only `--jsonl` input is supported; see `mcpwall detect --help`");
    }
    let input: Box<dyn Read> = match args.file.as_deref() {
        None => Box::new(std::io::stdin().lock()),
        Some(p) if p.as_os_str() == "-" => Box::new(std::io::stdin().lock()),
        Some(p) => Box::new(
            std::fs::File::open(p).with_context(|| format!("cannot open `{}`", p.display()))?,
        ),
    };
    let engine = super::ml::attach(mcpwall_detect::engine::Engine::new(), &args.ml)?;
    let mut reader = BufReader::with_capacity(1 << 16, input);
    let mut out = BufWriter::new(std::io::stdout().lock());
    let mut buf = Vec::new();
    loop {
        buf.clear();
        // Read at most one line past the limit so one huge line cannot exhaust memory.
        let n = (&mut reader)
            .take(mcpwall_detect::engine::MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut buf)
            .context("cannot read input")?;
        if n == 0 {
            break;
        }
        let complete = buf.last() == Some(&b'\n');
        if !complete && n > mcpwall_detect::engine::MAX_LINE {
            // Skip the rest of the oversized line, then report it.
            skip_line(&mut reader)?;
        }
        let line = String::from_utf8_lossy(&buf);
        let line = line.trim_end_matches(['\n', '\r']);
        if line.trim().is_empty() {
            continue;
        }
        let verdict = engine.detect_line(line);
        out.write_all(verdict.as_bytes())?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn skip_line(reader: &mut impl BufRead) -> anyhow::Result<()> {
    loop {
        let (done, used) = {
            let avail = reader.fill_buf().context("cannot read input")?;
            if avail.is_empty() {
                return Ok(());
            }
            match avail.iter().position(|&b| b == b'\n') {
                Some(i) => (true, i + 1),
                None => (false, avail.len()),
            }
        };
        reader.consume(used);
        if done {
            return Ok(());
        }
    }
}

/// Runs `redact`: plain text on stdin, the same text with secrets and PII redacted on stdout.
pub fn run_redact(_args: RedactArgs) -> anyhow::Result<ExitCode> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .context("cannot read stdin as utf-8 text")?;
    let redacted = redact_text(&text)?;
    let mut out = std::io::stdout().lock();
    out.write_all(redacted.as_bytes())?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// The redaction the gateway applies.
fn redact_text(text: &str) -> anyhow::Result<String> {
    Ok(mcpwall_detect::redact::redact(text))
}
