//! Verification: recompute the chain and name the first record that is wrong.

use std::fmt;

use crate::chain::{canonical_event, record_hash, GENESIS_HASH};
use crate::error::AuditError;
use crate::event::{Event, EventKind};
use crate::store::{raw_row, read_checkpoint, read_head_row, to_i64, Checkpoint, Head, Store};
use crate::time_fmt;

/// What is wrong with a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProblemKind {
    /// Its content no longer matches its hash (a field was edited), or its indexed columns
    /// disagree with the hashed event.
    Changed,
    /// A record before it is missing (a gap in sequence numbers, or its `prev_hash` names no
    /// record).
    Removed,
    /// It follows a different record than the one before it.
    Reordered,
    /// The newest records are missing (the trail was cut short).
    Truncated,
    /// The checkpoint left by a prune does not match the chain.
    Checkpoint,
    /// It cannot be read at all.
    Malformed,
}

impl ProblemKind {
    /// A short lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemKind::Changed => "changed",
            ProblemKind::Removed => "removed",
            ProblemKind::Reordered => "reordered",
            ProblemKind::Truncated => "truncated",
            ProblemKind::Checkpoint => "checkpoint",
            ProblemKind::Malformed => "malformed",
        }
    }
}

/// The first thing found wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Sequence number of the first bad (or first missing) record.
    pub seq: u64,
    /// What kind of damage.
    pub kind: ProblemKind,
    /// A readable one-line explanation.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "record {} {}: {}",
            self.seq,
            self.kind.as_str(),
            self.message
        )
    }
}

/// The outcome of [`Store::verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// Records checked (up to the problem, if any).
    pub checked: u64,
    /// First sequence number kept (after any prune).
    pub first_seq: Option<u64>,
    /// The last good record checked.
    pub head: Option<Head>,
    /// The checkpoint verification started from, if the trail was pruned.
    pub checkpoint: Option<Checkpoint>,
    /// The first problem, or `None` when the whole chain is intact.
    pub problem: Option<Problem>,
}

impl Verification {
    /// True when no problem was found.
    pub fn is_ok(&self) -> bool {
        self.problem.is_none()
    }
}

impl Store {
    /// Recomputes the whole chain, from the start or from the latest checkpoint, and reports
    /// the first record that was changed, removed or reordered. Database errors are `Err`;
    /// damage is `Ok` with [`Verification::problem`] set.
    pub fn verify(&self) -> Result<Verification, AuditError> {
        let checkpoint = read_checkpoint(&self.conn)?;
        let mut v = Verification {
            checked: 0,
            first_seq: None,
            head: None,
            checkpoint: checkpoint.clone(),
            problem: None,
        };
        let (mut expect_seq, mut expect_prev) = match &checkpoint {
            Some(c) => (c.through_seq + 1, c.through_hash.clone()),
            None => (1, GENESIS_HASH.to_owned()),
        };
        // The newest checkpoint record seen in the chain: the chain's own account of the
        // last prune, against which the checkpoints table is checked.
        let mut chain_checkpoint: Option<(u64, Event)> = None;

        let mut stmt = self.conn.prepare(
            "SELECT seq, prev_hash, hash, event, time, kind, session, server, tool, decision
             FROM records ORDER BY seq ASC",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let raw = raw_row(row)?;
            let columns: [Option<String>; 6] = [
                row.get(4)?,
                row.get(5)?,
                row.get(6)?,
                row.get(7)?,
                row.get(8)?,
                row.get(9)?,
            ];
            let seq = raw.seq;
            if v.first_seq.is_none() {
                v.first_seq = Some(seq);
            }
            if seq != expect_seq {
                let problem = if seq > expect_seq {
                    Problem {
                        seq: expect_seq,
                        kind: ProblemKind::Removed,
                        message: format!("missing: the next record kept is {seq}"),
                    }
                } else {
                    Problem {
                        seq,
                        kind: ProblemKind::Checkpoint,
                        message: format!(
                            "the checkpoint says records up to {} were pruned",
                            expect_seq - 1
                        ),
                    }
                };
                v.problem = Some(problem);
                return Ok(v);
            }
            let recomputed = record_hash(&raw.prev_hash, seq, &raw.event);
            if recomputed != raw.hash {
                v.problem = Some(Problem {
                    seq,
                    kind: ProblemKind::Changed,
                    message: "content does not match its hash".to_owned(),
                });
                return Ok(v);
            }
            if raw.prev_hash != expect_prev && v.checked == 0 && checkpoint.is_some() {
                // The first record kept must follow the hash the checkpoint names: either
                // the checkpoint or that record was altered; name the checkpoint.
                v.problem = Some(Problem {
                    seq,
                    kind: ProblemKind::Checkpoint,
                    message: format!(
                        "it does not follow the checkpoint's hash of record {}",
                        seq.saturating_sub(1)
                    ),
                });
                return Ok(v);
            }
            if raw.prev_hash != expect_prev {
                v.problem = Some(self.linkage_problem(seq, &raw.prev_hash)?);
                return Ok(v);
            }
            let event: Event = match serde_json::from_str(&raw.event) {
                Ok(e) => e,
                Err(e) => {
                    v.problem = Some(Problem {
                        seq,
                        kind: ProblemKind::Malformed,
                        message: format!("event does not parse: {e}"),
                    });
                    return Ok(v);
                }
            };
            if let Some(message) = column_mismatch(&event, &raw.event, &columns) {
                v.problem = Some(Problem {
                    seq,
                    kind: ProblemKind::Changed,
                    message,
                });
                return Ok(v);
            }
            if event.kind == EventKind::Checkpoint {
                chain_checkpoint = Some((seq, event));
            }
            v.checked += 1;
            expect_prev = raw.hash.clone();
            v.head = Some(Head {
                seq,
                hash: raw.hash,
            });
            expect_seq = seq + 1;
        }

        if let Some(problem) =
            checkpoint_problem(checkpoint.as_ref(), chain_checkpoint.as_ref(), v.first_seq)
        {
            v.problem = Some(problem);
            return Ok(v);
        }

        // The head row is updated in every write transaction; a last record that disagrees
        // with it means records were cut from the end (or inserted behind mcpwall's back).
        if let Some(head) = read_head_row(&self.conn)? {
            let last = v.head.as_ref().map_or(0, |h| h.seq);
            if head.seq > last {
                v.problem = Some(Problem {
                    seq: last + 1,
                    kind: ProblemKind::Truncated,
                    message: format!("missing: the trail's head is record {}", head.seq),
                });
            } else if head.seq < last || v.head.as_ref().is_some_and(|h| h.hash != head.hash) {
                v.problem = Some(Problem {
                    seq: last,
                    kind: ProblemKind::Changed,
                    message: format!(
                        "the last record does not match the trail's head (record {})",
                        head.seq
                    ),
                });
            }
        }
        Ok(v)
    }

    /// Explains a record whose `prev_hash` is not the hash of the record before it.
    fn linkage_problem(&self, seq: u64, prev_hash: &str) -> Result<Problem, AuditError> {
        let follows: Option<i64> = self
            .conn
            .query_row(
                "SELECT seq FROM records WHERE hash = ?1 LIMIT 1",
                [prev_hash],
                |r| r.get(0),
            )
            .map(Some)
            .or_else(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => Ok(None),
                e => Err(e),
            })?;
        Ok(match follows {
            Some(other) if other != to_i64(seq) - 1 => Problem {
                seq,
                kind: ProblemKind::Reordered,
                message: format!(
                    "it follows record {other}, not record {}",
                    seq.saturating_sub(1)
                ),
            },
            _ => Problem {
                seq,
                kind: ProblemKind::Removed,
                message: format!(
                    "it does not follow record {}: a record was removed, replaced or reordered",
                    seq.saturating_sub(1)
                ),
            },
        })
    }
}

/// Checks the indexed columns (used by queries) against the hashed event, and that the
/// stored text is in canonical form.
fn column_mismatch(event: &Event, stored: &str, columns: &[Option<String>; 6]) -> Option<String> {
    match canonical_event(event) {
        Ok(c) if c == stored => {}
        _ => return Some("event text is not in canonical form".to_owned()),
    }
    let expected = [
        Some(time_fmt::format(event.time)),
        Some(event.kind.as_str().to_owned()),
        event.session.clone(),
        event.server.clone(),
        event.tool.clone(),
        event.decision.map(|d| d.as_str().to_owned()),
    ];
    const NAMES: [&str; 6] = ["time", "kind", "session", "server", "tool", "decision"];
    for ((name, want), got) in NAMES.iter().zip(expected.iter()).zip(columns.iter()) {
        if want != got {
            return Some(format!("column `{name}` disagrees with the hashed event"));
        }
    }
    None
}

/// Cross-checks the checkpoints table against the chain's newest `checkpoint` record.
fn checkpoint_problem(
    table: Option<&Checkpoint>,
    chain: Option<&(u64, Event)>,
    first_seq: Option<u64>,
) -> Option<Problem> {
    match (table, chain) {
        (None, None) => None,
        // Checkpoint records but no table row: the chain must then start at 1, which the
        // walk has already checked (a pruned trail without its row fails there).
        (None, Some(_)) => None,
        (Some(c), None) => Some(Problem {
            seq: c.record_seq,
            kind: ProblemKind::Checkpoint,
            message: format!(
                "the checkpoint names record {} but the chain holds no checkpoint record",
                c.record_seq
            ),
        }),
        (Some(c), Some((seq, ev))) => {
            let through_seq = ev.detail.get("through_seq").and_then(|v| v.as_u64());
            let through_hash = ev.detail.get("through_hash").and_then(|v| v.as_str());
            let agrees = *seq == c.record_seq
                && through_seq == Some(c.through_seq)
                && through_hash == Some(c.through_hash.as_str())
                && first_seq.is_none_or(|f| f == c.through_seq + 1);
            (!agrees).then(|| Problem {
                seq: *seq,
                kind: ProblemKind::Checkpoint,
                message: format!(
                    "the checkpoint (through record {}) does not match the checkpoint record in the chain",
                    c.through_seq
                ),
            })
        }
    }
}
