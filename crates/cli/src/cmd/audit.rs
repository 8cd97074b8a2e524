//! `mcpwall audit ...`: read, export, verify and prune the audit trail.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context};
use mcpwall_audit::{time_fmt, Decision, EventKind, Filter, Record, Store};

/// RFC 3339 date-time, or a plain `YYYY-MM-DD` date (midnight UTC). A macro rather than a
/// function so the CLI need not depend on `time` to name the type.
macro_rules! parse_time {
    ($s:expr) => {{
        let s: &str = $s;
        let attempt = if s.len() == 10 {
            format!("{s}T00:00:00Z")
        } else {
            s.to_owned()
        };
        time_fmt::parse(&attempt)
            .map_err(|_| anyhow::anyhow!("invalid time `{s}`: expected RFC 3339 or YYYY-MM-DD"))
    }};
}

/// Where the audit database is (shared by every subcommand).
#[derive(Debug, clap::Args)]
pub struct DbArg {
    /// Audit database (default: `$XDG_DATA_HOME/mcpwall/audit.db`).
    #[arg(long = "audit", value_name = "PATH", env = "MCPWALL_AUDIT")]
    audit: Option<PathBuf>,
}

/// `mcpwall audit` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Show the last records, optionally following new ones.
    Tail {
        #[command(flatten)]
        db: DbArg,
        /// How many records to show.
        #[arg(short = 'n', default_value_t = 20)]
        n: usize,
        /// Keep polling (every 250 ms) for new records until interrupted.
        #[arg(long)]
        follow: bool,
        /// One JSON record per line.
        #[arg(long)]
        json: bool,
    },
    /// Select records by time, session, server, tool, kind or decision.
    Query {
        #[command(flatten)]
        db: DbArg,
        /// From this time (RFC 3339 or YYYY-MM-DD, UTC).
        #[arg(long)]
        since: Option<String>,
        /// Up to this time (RFC 3339 or YYYY-MM-DD, UTC).
        #[arg(long)]
        until: Option<String>,
        /// Session id.
        #[arg(long)]
        session: Option<String>,
        /// Server name.
        #[arg(long)]
        server: Option<String>,
        /// Tool name.
        #[arg(long)]
        tool: Option<String>,
        /// Event kind (e.g. `tool_call`).
        #[arg(long)]
        kind: Option<String>,
        /// Decision (e.g. `deny`).
        #[arg(long)]
        decision: Option<String>,
        /// At most this many records.
        #[arg(long)]
        limit: Option<usize>,
        /// One JSON record per line.
        #[arg(long)]
        json: bool,
    },
    /// Export every record as JSON lines (seq, prev_hash, hash, event).
    Export {
        #[command(flatten)]
        db: DbArg,
        /// JSON lines format (the only format).
        #[arg(long, required = true)]
        jsonl: bool,
        /// Write to this file instead of stdout.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Verify the hash chain; prints the head hash to record elsewhere.
    Verify {
        #[command(flatten)]
        db: DbArg,
    },
    /// Remove records older than a date, leaving a checkpoint in the chain.
    Prune {
        #[command(flatten)]
        db: DbArg,
        /// Remove records before this time (RFC 3339 or YYYY-MM-DD, UTC).
        #[arg(long)]
        before: String,
    },
}

/// Runs the subcommand.
pub fn run(cmd: Command) -> anyhow::Result<ExitCode> {
    match cmd {
        Command::Tail {
            db,
            n,
            follow,
            json,
        } => tail(&open(&db)?, n, follow, json),
        Command::Query {
            db,
            since,
            until,
            session,
            server,
            tool,
            kind,
            decision,
            limit,
            json,
        } => {
            let filter = Filter {
                since: since.as_deref().map(|s| parse_time!(s)).transpose()?,
                until: until.as_deref().map(|s| parse_time!(s)).transpose()?,
                session,
                server,
                tool,
                kind: kind
                    .as_deref()
                    .map(|k| {
                        k.parse::<EventKind>()
                            .map_err(|_| anyhow::anyhow!("unknown event kind `{k}`"))
                    })
                    .transpose()?,
                decision: decision
                    .as_deref()
                    .map(|d| {
                        d.parse::<Decision>()
                            .map_err(|_| anyhow::anyhow!("unknown decision `{d}`"))
                    })
                    .transpose()?,
                limit,
                ..Filter::default()
            };
            let store = open(&db)?;
            let mut out = std::io::stdout().lock();
            let mut failed = None;
            let walked = store.for_each(&filter, |r| {
                write_until_error(&mut failed, || print_record(&mut out, &r, json))
            });
            if let Some(e) = failed {
                return finish_output(Err(e));
            }
            walked?;
            finish_output(out.flush())
        }
        Command::Export { db, jsonl: _, out } => {
            let store = open(&db)?;
            let mut w: Box<dyn Write> = match &out {
                Some(p) => Box::new(std::io::BufWriter::new(
                    std::fs::File::create(p)
                        .with_context(|| format!("cannot create `{}`", p.display()))?,
                )),
                None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
            };
            let mut failed = None;
            let walked = store.for_each(&Filter::default(), |r| {
                write_until_error(&mut failed, || write_json(&mut w, &r))
            });
            if let Some(e) = failed {
                return finish_output(Err(e));
            }
            walked?;
            finish_output(w.flush())
        }
        Command::Verify { db } => {
            // A missing or unreadable trail is an error (exit 2 from main), never created.
            let store = open(&db)?;
            let v = store.verify()?;
            match &v.problem {
                None => {
                    let (first, head_seq, head_hash) = match &v.head {
                        Some(h) => (v.first_seq.unwrap_or(h.seq), h.seq, h.hash.as_str()),
                        None => (0, 0, mcpwall_audit::GENESIS_HASH),
                    };
                    println!(
                        "ok: {} records verified (seq {first}..{head_seq}), head {head_hash}",
                        v.checked
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Some(p) => {
                    println!("record {}: {}: {}", p.seq, p.kind.as_str(), p.message);
                    Ok(ExitCode::from(1))
                }
            }
        }
        Command::Prune { db, before } => {
            let before = parse_time!(&before)?;
            let mut store = open(&db)?;
            match store.prune(before)? {
                Some(c) => println!(
                    "pruned {} records through seq {} (hash {}), checkpoint record {} at {}",
                    c.pruned, c.through_seq, c.through_hash, c.record_seq, c.created
                ),
                None => println!("nothing to prune"),
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn db_path(db: &DbArg) -> anyhow::Result<PathBuf> {
    match &db.audit {
        Some(p) if !p.as_os_str().is_empty() => Ok(p.clone()),
        _ => Ok(mcpwall_audit::default_path()?),
    }
}

/// Opens an existing trail; never creates one.
fn open(db: &DbArg) -> anyhow::Result<Store> {
    let path = db_path(db)?;
    if !Path::new(&path).exists() {
        bail!("audit trail `{}` does not exist", path.display());
    }
    let mut store = Store::open_existing(&path)?;
    // Records acknowledged by an mcpwall that died before committing them wait in its spool
    // file: append them first, so every reader sees every acknowledged record. Not fatal for
    // a reader (a read-only trail, say): say so and read what is committed.
    match mcpwall_audit::recover_spools(&mut store) {
        Ok(r) if r.files > 0 => eprintln!(
            "mcpwall: recovered {} record(s) from {} spool file(s) of stopped mcpwall processes{}",
            r.records,
            r.files,
            if r.unreadable > 0 {
                format!(" ({} unreadable line(s), recorded as errors)", r.unreadable)
            } else {
                String::new()
            }
        ),
        Ok(_) => {}
        Err(e) => eprintln!("mcpwall: warning: cannot recover audit spool files: {e}"),
    }
    Ok(store)
}

/// Runs one write; on failure keeps the error and stops the iteration that called it.
fn write_until_error(
    failed: &mut Option<std::io::Error>,
    write: impl FnOnce() -> std::io::Result<()>,
) -> Result<(), mcpwall_audit::AuditError> {
    match write() {
        Ok(()) => Ok(()),
        Err(e) => {
            *failed = Some(e);
            // Any error stops `for_each`; the kept one is reported by `finish_output`.
            Err(mcpwall_audit::AuditError::Closed)
        }
    }
}

/// The exit for a command whose output ended with `res`: a reader that went away (`| head`)
/// is a normal end, not an error; any other write failure is.
fn finish_output(res: std::io::Result<()>) -> anyhow::Result<ExitCode> {
    match res {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        Err(e) => Err(anyhow::Error::new(e).context("cannot write output")),
    }
}

fn tail(store: &Store, n: usize, follow: bool, json: bool) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    let mut last = 0;
    for r in store.tail(n)? {
        last = r.seq;
        if let Err(e) = print_record(&mut out, &r, json) {
            return finish_output(Err(e));
        }
    }
    if !follow {
        return finish_output(out.flush());
    }
    // Follow until interrupted (Ctrl-C ends the process) or the reader goes away.
    loop {
        if let Err(e) = out.flush() {
            return finish_output(Err(e));
        }
        std::thread::sleep(Duration::from_millis(250));
        if reader_gone() {
            return Ok(ExitCode::SUCCESS);
        }
        let filter = Filter {
            after_seq: Some(last),
            ..Filter::default()
        };
        let mut failed = None;
        let walked = store.for_each(&filter, |r| {
            last = last.max(r.seq);
            write_until_error(&mut failed, || print_record(&mut out, &r, json))
        });
        if let Some(e) = failed {
            return finish_output(Err(e));
        }
        walked?;
    }
}

/// Whether stdout is a pipe whose reader has closed it. `tail --follow` may sit idle for
/// hours with nothing to write, so it cannot wait for a write to fail with EPIPE (the last
/// lines may also still sit in the pipe buffer): poll(2) reports POLLERR on such a pipe.
fn reader_gone() -> bool {
    use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
    use std::os::fd::AsFd;
    let stdout = std::io::stdout();
    let mut fds = [PollFd::new(stdout.as_fd(), PollFlags::empty())];
    matches!(poll(&mut fds, PollTimeout::ZERO), Ok(n) if n > 0)
        && fds[0]
            .revents()
            .is_some_and(|r| r.intersects(PollFlags::POLLERR | PollFlags::POLLHUP))
}

fn write_json(w: &mut dyn Write, r: &Record) -> std::io::Result<()> {
    serde_json::to_writer(&mut *w, r)?;
    w.write_all(b"\n")
}

fn print_record(out: &mut dyn Write, r: &Record, json: bool) -> std::io::Result<()> {
    if json {
        return write_json(out, r);
    }
    let e = &r.event;
    let d = |o: Option<&str>| o.unwrap_or("-").to_owned();
    writeln!(
        out,
        "{} {} {} {} {} {} {} {}",
        r.seq,
        time_fmt::format(e.time),
        e.kind.as_str(),
        d(e.server.as_deref()),
        d(e.tool.as_deref()),
        d(e.decision.map(|x| x.as_str())),
        d(e.rule.as_deref()),
        e.latency_us.map_or("-".to_owned(), |l| format!("{l}us")),
    )
}
