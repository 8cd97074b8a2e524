//! cgroup v2 limits on top of the rlimit baseline, where the cgroup tree is delegated to us.
//!
//! rlimits bind per process (`RLIMIT_DATA`) or per uid (`RLIMIT_NPROC`); a cgroup bounds the
//! whole server tree (`memory.max` counts page cache and tmpfs pages too, `pids.max` every task).
//! On a cgroup v2 host the helper (H, in the host namespaces) creates one child cgroup per server
//! under its own cgroup, writes `memory.max` and `pids.max`, moves the sandbox's first process
//! into it before that process builds anything, and removes the cgroup when the server is gone.
//!
//! That needs delegation: the helper's own cgroup must be writable and have `memory` and `pids`
//! enabled for its children (`cgroup.subtree_control`). Because of cgroup v2's "no internal
//! processes" rule this in practice means the root of a cgroup namespace (a container or CI job
//! with its own cgroup namespace) or a delegated subtree the service manager handed over. Where
//! that is not so, nothing is applied and `mcpwall sandbox doctor` says why; rlimits still
//! bind. cgroup v1 (this project's test machines) is never written to.

use std::path::{Path, PathBuf};

/// Where the unified hierarchy is normally mounted.
pub const DEFAULT_ROOT: &str = "/sys/fs/cgroup";

/// Whether per-server cgroup limits can be applied here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delegation {
    /// No cgroup v2 hierarchy at the root.
    NotV2,
    /// cgroup v2, but limits cannot be applied (the reason is for the doctor).
    NotDelegated(String),
    /// Child cgroups with memory and pids limits can be created in this directory.
    Delegated(PathBuf),
}

impl Delegation {
    /// One line for `mcpwall sandbox doctor`.
    pub fn describe(&self) -> String {
        match self {
            Delegation::NotV2 => "no cgroup v2 hierarchy (rlimits are the baseline)".to_owned(),
            Delegation::NotDelegated(why) => {
                format!("v2, not delegated: {why} (rlimits are the baseline)")
            }
            Delegation::Delegated(dir) => format!(
                "v2, delegated at `{}`: memory.max and pids.max per server, on top of rlimits",
                dir.display()
            ),
        }
    }
}

/// The cgroup path of this process from the text of `/proc/self/cgroup` (the `0::PATH` line).
pub fn own_path(proc_self_cgroup: &str) -> Option<String> {
    proc_self_cgroup
        .lines()
        .find_map(|l| l.strip_prefix("0::"))
        .map(|p| p.trim().to_owned())
        .filter(|p| p.starts_with('/'))
}

/// Checks delegation under the hierarchy mounted at `root`, for a process whose
/// `/proc/self/cgroup` reads `proc_self_cgroup`.
pub fn delegation_at(root: &Path, proc_self_cgroup: &str) -> Delegation {
    if !root.join("cgroup.controllers").is_file() {
        return Delegation::NotV2;
    }
    let Some(path) = own_path(proc_self_cgroup) else {
        return Delegation::NotDelegated("no cgroup v2 entry in `/proc/self/cgroup`".to_owned());
    };
    let dir = root.join(path.trim_start_matches('/'));
    let enabled = std::fs::read_to_string(dir.join("cgroup.subtree_control")).unwrap_or_default();
    let missing: Vec<&str> = ["memory", "pids"]
        .into_iter()
        .filter(|c| !enabled.split_whitespace().any(|e| e == *c))
        .collect();
    if !missing.is_empty() {
        return Delegation::NotDelegated(format!(
            "`{}` is not enabled for child cgroups of `{path}`",
            missing.join("` and `")
        ));
    }
    if nix::unistd::access(&dir, nix::unistd::AccessFlags::W_OK).is_err() {
        return Delegation::NotDelegated(format!("`{path}` is not writable"));
    }
    Delegation::Delegated(dir)
}

/// [`delegation_at`] for this process and the default mount point.
pub fn delegation() -> Delegation {
    let own = std::fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
    delegation_at(Path::new(DEFAULT_ROOT), &own)
}

/// A per-server cgroup; removed on drop (once its processes are gone).
#[derive(Debug)]
pub struct ServerCgroup {
    dir: PathBuf,
}

impl ServerCgroup {
    /// Creates `parent/name` with `memory.max` = `memory_mb` MiB and `pids.max` = `processes`,
    /// and moves `pid` into it. On any failure the half-made cgroup is removed again.
    pub fn create(
        parent: &Path,
        name: &str,
        memory_mb: u64,
        processes: u64,
        pid: i32,
    ) -> Result<ServerCgroup, String> {
        let dir = parent.join(name);
        std::fs::create_dir(&dir).map_err(|e| format!("create `{}`: {e}", dir.display()))?;
        let cg = ServerCgroup { dir };
        cg.write(
            "memory.max",
            &memory_mb.saturating_mul(1024 * 1024).to_string(),
        )?;
        cg.write("pids.max", &processes.to_string())?;
        cg.write("cgroup.procs", &pid.to_string())?;
        Ok(cg)
    }

    fn write(&self, file: &str, value: &str) -> Result<(), String> {
        std::fs::write(self.dir.join(file), value).map_err(|e| {
            format!(
                "write `{value}` to `{}`: {e}",
                self.dir.join(file).display()
            )
        })
    }

    /// The cgroup's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for ServerCgroup {
    fn drop(&mut self) {
        // A cgroup directory goes with rmdir (its interface files are not real files); on a
        // plain directory (tests) remove the files first. Bounded retries: the last tasks of the
        // PID namespace may take a moment to be reaped.
        for _ in 0..50 {
            if std::fs::remove_dir(&self.dir).is_ok() || !self.dir.exists() {
                return;
            }
            if !Path::new(DEFAULT_ROOT).join("cgroup.controllers").is_file()
                || !self.dir.starts_with(DEFAULT_ROOT)
            {
                let _ = std::fs::remove_dir_all(&self.dir);
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_path_reads_the_unified_line() {
        assert_eq!(
            own_path("12:pids:/x\n0::/user.slice/job\n").as_deref(),
            Some("/user.slice/job")
        );
        assert_eq!(own_path("4:memory:/a\n"), None);
    }

    /// A fake hierarchy in a temp dir: only the file logic is exercised (the kernel's cgroup
    /// semantics are not; this machine has cgroup v1 only).
    #[test]
    fn delegation_and_limits_on_a_fake_hierarchy() {
        let root = tempfile::tempdir().unwrap();
        assert_eq!(delegation_at(root.path(), "0::/"), Delegation::NotV2);
        std::fs::write(root.path().join("cgroup.controllers"), "cpu memory pids\n").unwrap();
        std::fs::create_dir(root.path().join("job")).unwrap();
        std::fs::write(root.path().join("job/cgroup.subtree_control"), "pids\n").unwrap();
        let d = delegation_at(root.path(), "0::/job\n");
        assert!(
            matches!(&d, Delegation::NotDelegated(w) if w.contains("`memory`")),
            "{d:?}"
        );
        std::fs::write(
            root.path().join("job/cgroup.subtree_control"),
            "memory pids\n",
        )
        .unwrap();
        let d = delegation_at(root.path(), "0::/job\n");
        assert_eq!(d, Delegation::Delegated(root.path().join("job")));
        assert!(d.describe().contains("delegated at"));
        let Delegation::Delegated(parent) = d else {
            unreachable!()
        };
        let dir = {
            let cg = ServerCgroup::create(&parent, "mcpwall-1", 256, 32, 4242).unwrap();
            let read = |f: &str| std::fs::read_to_string(cg.dir().join(f)).unwrap();
            assert_eq!(read("memory.max"), "268435456");
            assert_eq!(read("pids.max"), "32");
            assert_eq!(read("cgroup.procs"), "4242");
            cg.dir().to_path_buf()
        };
        assert!(!dir.exists(), "cgroup left behind");
    }
}
