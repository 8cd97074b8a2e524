//! What this kernel offers, probed for real (a forked child tries each namespace) rather than
//! guessed from version numbers. Used by `mcpwall sandbox doctor`, by the launcher's preflight and
//! by the helper before it applies the layers.

use std::io::Read;
use std::sync::OnceLock;

use nix::sched::CloneFlags;
use nix::sys::wait::waitpid;
use nix::unistd::{fork, pipe, ForkResult};

/// Which cgroup hierarchy is mounted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cgroups {
    /// Unified hierarchy.
    V2,
    /// Legacy per-controller hierarchies (limits fall back to rlimits).
    V1,
    /// No cgroup filesystem.
    None,
}

/// The sandbox features of this kernel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Features {
    /// This process may create a user namespace.
    pub user_ns: bool,
    /// Unprivileged users may create user namespaces (sysctls allow it).
    pub unprivileged_user_ns: bool,
    /// Mount namespace inside a new user namespace.
    pub mount_ns: bool,
    /// PID namespace inside a new user namespace.
    pub pid_ns: bool,
    /// Network namespace inside a new user namespace.
    pub net_ns: bool,
    /// IPC namespace inside a new user namespace.
    pub ipc_ns: bool,
    /// UTS namespace inside a new user namespace.
    pub uts_ns: bool,
    /// Landlock ABI version, if landlock is enabled.
    pub landlock_abi: Option<u32>,
    /// Seccomp filters are available.
    pub seccomp: bool,
    /// `PR_SET_NO_NEW_PRIVS` is available.
    pub no_new_privs: bool,
    /// Cgroup hierarchy.
    pub cgroups: Cgroups,
    /// `setrlimit` works (always true on Linux; listed so the doctor shows the baseline).
    pub rlimits: bool,
}

/// One line of the doctor's report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureLine {
    /// Feature name.
    pub name: &'static str,
    /// Whether it is present.
    pub ok: bool,
    /// Extra detail (e.g. the landlock ABI).
    pub detail: String,
    /// Whether enforce mode refuses to start servers without it.
    pub required: bool,
}

impl Features {
    /// The features enforce mode cannot do without, with their names, in doctor order.
    pub fn lines(&self) -> Vec<FeatureLine> {
        let line = |name, ok, detail: &str, required| FeatureLine {
            name,
            ok,
            detail: detail.to_owned(),
            required,
        };
        let landlock = match self.landlock_abi {
            Some(abi) => format!("ABI {abi}"),
            None => "not enabled (filesystem view still applies)".to_owned(),
        };
        let cgroups = match self.cgroups {
            // Whether limits can be applied depends on delegation, checked as it is now.
            Cgroups::V2 => crate::cgroup::delegation().describe(),
            Cgroups::V1 => "v1 only (rlimits are the baseline)".to_owned(),
            Cgroups::None => "none (rlimits are the baseline)".to_owned(),
        };
        vec![
            line("user namespace", self.user_ns, "", true),
            line(
                "unprivileged user namespace",
                self.unprivileged_user_ns,
                if nix::unistd::geteuid().is_root() {
                    "not needed when running as root"
                } else {
                    ""
                },
                false,
            ),
            line("mount namespace", self.mount_ns, "", true),
            line("pid namespace", self.pid_ns, "", true),
            line("network namespace", self.net_ns, "", true),
            line("ipc namespace", self.ipc_ns, "", true),
            line("uts namespace", self.uts_ns, "", true),
            line("landlock", self.landlock_abi.is_some(), &landlock, false),
            line("seccomp filter", self.seccomp, "", true),
            line("no_new_privs", self.no_new_privs, "", true),
            line("cgroups", self.cgroups != Cgroups::None, &cgroups, false),
            line(
                "rlimits",
                self.rlimits,
                "processes, memory, open files, cpu",
                true,
            ),
        ]
    }

    /// Names of required features that are missing; empty when enforce mode can work.
    pub fn missing_required(&self) -> Vec<&'static str> {
        self.lines()
            .into_iter()
            .filter(|l| l.required && !l.ok)
            .map(|l| l.name)
            .collect()
    }

    /// Names of optional layers that are missing (reported, never fatal).
    pub fn missing_optional(&self) -> Vec<&'static str> {
        self.lines()
            .into_iter()
            .filter(|l| !l.required && !l.ok && l.name != "unprivileged user namespace")
            .map(|l| l.name)
            .collect()
    }
}

/// The features of this kernel, probed once per process.
pub fn probe() -> &'static Features {
    static FEATURES: OnceLock<Features> = OnceLock::new();
    FEATURES.get_or_init(probe_uncached)
}

const BIT_USER: u8 = 1;
const BIT_MOUNT: u8 = 2;
const BIT_PID: u8 = 4;
const BIT_NET: u8 = 8;
const BIT_IPC: u8 = 16;
const BIT_UTS: u8 = 32;

fn probe_uncached() -> Features {
    let ns = probe_namespaces().unwrap_or(0);
    Features {
        user_ns: ns & BIT_USER != 0,
        unprivileged_user_ns: unprivileged_userns_allowed(),
        mount_ns: ns & BIT_MOUNT != 0,
        pid_ns: ns & BIT_PID != 0,
        net_ns: ns & BIT_NET != 0,
        ipc_ns: ns & BIT_IPC != 0,
        uts_ns: ns & BIT_UTS != 0,
        landlock_abi: landlock_abi(),
        seccomp: seccomp_available(),
        no_new_privs: nnp_available(),
        cgroups: cgroups(),
        rlimits: nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NPROC).is_ok(),
    }
}

/// Forks a child that creates a user namespace and then each other namespace inside it, and
/// reports the result as a bit set through a pipe.
fn probe_namespaces() -> Option<u8> {
    let (read_end, write_end) = pipe().ok()?;
    // SAFETY: the child only calls async-signal-safe functions (unshare, write, _exit) before
    // exiting; it never returns into Rust code that could touch locks held by other threads.
    match unsafe { fork() }.ok()? {
        ForkResult::Child => {
            let mut bits = 0u8;
            if nix::sched::unshare(CloneFlags::CLONE_NEWUSER).is_ok() {
                bits |= BIT_USER;
                for (flag, bit) in [
                    (CloneFlags::CLONE_NEWNS, BIT_MOUNT),
                    (CloneFlags::CLONE_NEWPID, BIT_PID),
                    (CloneFlags::CLONE_NEWNET, BIT_NET),
                    (CloneFlags::CLONE_NEWIPC, BIT_IPC),
                    (CloneFlags::CLONE_NEWUTS, BIT_UTS),
                ] {
                    if nix::sched::unshare(flag).is_ok() {
                        bits |= bit;
                    }
                }
            }
            let _ = nix::unistd::write(&write_end, &[bits]);
            // SAFETY: `_exit` is async-signal-safe and never returns.
            unsafe { libc::_exit(0) }
        }
        ForkResult::Parent { child } => {
            drop(write_end);
            let mut file = std::fs::File::from(read_end);
            let mut buf = [0u8; 1];
            let got = file.read(&mut buf).ok();
            let _ = waitpid(child, None);
            match (got, buf) {
                (Some(1), [bits]) => Some(bits),
                _ => None,
            }
        }
    }
}

fn read_sysctl(path: &str) -> Option<i64> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

fn unprivileged_userns_allowed() -> bool {
    let debian = read_sysctl("/proc/sys/kernel/unprivileged_userns_clone").unwrap_or(1) != 0;
    let max = read_sysctl("/proc/sys/user/max_user_namespaces").unwrap_or(1) > 0;
    let apparmor =
        read_sysctl("/proc/sys/kernel/apparmor_restrict_unprivileged_userns").unwrap_or(0) == 0;
    debian && max && apparmor
}

fn landlock_abi() -> Option<u32> {
    const LANDLOCK_CREATE_RULESET_VERSION: libc::c_uint = 1;
    // SAFETY: landlock_create_ruleset with a null attribute, size 0 and the VERSION flag only
    // returns the ABI version (or an error); it creates no file descriptor and reads no memory.
    let abi = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<libc::c_void>(),
            0usize,
            LANDLOCK_CREATE_RULESET_VERSION,
        )
    };
    u32::try_from(abi).ok().filter(|abi| *abi > 0)
}

fn seccomp_available() -> bool {
    // SAFETY: PR_GET_SECCOMP takes no pointer arguments and only reports the calling thread's
    // seccomp mode; it fails with EINVAL when the kernel lacks seccomp.
    let mode = unsafe { libc::prctl(libc::PR_GET_SECCOMP, 0, 0, 0, 0) };
    mode >= 0 && std::path::Path::new("/proc/sys/kernel/seccomp/actions_avail").exists()
}

fn nnp_available() -> bool {
    // SAFETY: PR_GET_NO_NEW_PRIVS takes no pointer arguments and only reads the flag.
    let flag = unsafe { libc::prctl(libc::PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) };
    flag >= 0
}

fn cgroups() -> Cgroups {
    if std::path::Path::new("/sys/fs/cgroup/cgroup.controllers").exists() {
        Cgroups::V2
    } else if std::path::Path::new("/sys/fs/cgroup/memory").exists()
        || std::path::Path::new("/sys/fs/cgroup/pids").exists()
    {
        Cgroups::V1
    } else {
        Cgroups::None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_reports_rlimits_and_is_cached() {
        let a = probe();
        let b = probe();
        assert!(std::ptr::eq(a, b));
        assert!(a.rlimits);
        assert_eq!(a.lines().len(), 12);
    }

    #[test]
    fn missing_required_lists_names() {
        let mut f = probe().clone();
        f.net_ns = false;
        f.seccomp = false;
        let missing = f.missing_required();
        assert!(missing.contains(&"network namespace"));
        assert!(missing.contains(&"seccomp filter"));
    }
}
