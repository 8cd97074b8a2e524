//! Landlock rules that mirror the filesystem view: read and execute everywhere the view shows,
//! write only to the private tmpfs directories, `/dev` nodes and declared read-write paths. This
//! backs the mount view up: if a bind were ever left writable, landlock still refuses the write.
//! Signal and abstract-socket scoping (ABI 6+) keep the server from signalling or connecting to
//! anything outside its domain.

use std::path::PathBuf;

use landlock::{
    path_beneath_rules, Access, AccessFs, RulesetAttr, RulesetCreatedAttr, RulesetStatus, Scope,
    ABI,
};

use crate::SandboxError;

/// What the rules grant.
#[derive(Debug, Clone, Default)]
pub struct FsRules {
    /// Read and execute beneath these.
    pub read: Vec<PathBuf>,
    /// Full access beneath these.
    pub write: Vec<PathBuf>,
    /// Device nodes: read, write and device ioctls.
    pub dev: Vec<PathBuf>,
}

/// How well landlock applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enforcement {
    /// Every requested right is enforced.
    Full,
    /// The kernel's ABI lacks some rights; the rest are enforced.
    Partial,
    /// Landlock is not available.
    None,
}

fn err<E: std::fmt::Display>(e: E) -> SandboxError {
    SandboxError::Landlock(e.to_string())
}

/// Restricts the calling thread (and what it executes) to `rules`.
pub fn restrict(rules: &FsRules) -> Result<Enforcement, SandboxError> {
    let abi = ABI::V6;
    let all = AccessFs::from_all(abi);
    let read = AccessFs::from_read(abi);
    let dev = read | AccessFs::WriteFile | AccessFs::IoctlDev;
    let status = landlock::Ruleset::default()
        .handle_access(all)
        .map_err(err)?
        .scope(Scope::AbstractUnixSocket | Scope::Signal)
        .map_err(err)?
        .create()
        .map_err(err)?
        .add_rules(path_beneath_rules(&rules.read, read))
        .map_err(err)?
        .add_rules(path_beneath_rules(&rules.dev, dev))
        .map_err(err)?
        .add_rules(path_beneath_rules(&rules.write, all))
        .map_err(err)?
        .restrict_self()
        .map_err(err)?;
    Ok(match status.ruleset {
        RulesetStatus::FullyEnforced => Enforcement::Full,
        RulesetStatus::PartiallyEnforced => Enforcement::Partial,
        RulesetStatus::NotEnforced => Enforcement::None,
    })
}
