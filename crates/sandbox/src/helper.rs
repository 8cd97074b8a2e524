//! The re-executed helper (`mcpwall sandbox-exec`). It runs in a fresh, single-threaded process,
//! which is what `unshare(CLONE_NEWUSER)` requires and what makes forking safe.
//!
//! Process tree (H = helper as started by the gateway, outside every namespace):
//!
//! ```text
//! H  (host ns)        writes C's uid/gid maps, forwards signals, exits with the server's status
//! └─ C  (new user ns) unshares mount, pid, ipc, uts, net; forwards signals
//!    └─ P1 (pid 1)    builds the filesystem view, brings up lo, runs the proxy forwarder, reaps
//!       └─ S          drops ids, rlimits, no_new_privs, landlock, seccomp, then execs the server
//! ```
//!
//! Every level dies with its parent (`PR_SET_PDEATHSIG`), and when P1 dies the kernel kills the
//! whole PID namespace, so a gateway that kills H leaves nothing behind.

use std::ffi::CString;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use nix::mount::{mount, umount2, MntFlags, MsFlags};
use nix::sched::{unshare, CloneFlags};
use nix::sys::resource::{setrlimit, Resource};
use nix::sys::signal::{kill, SigSet, SigmaskHow, Signal};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::{fork, getppid, pipe2, ForkResult, Gid, Pid, Uid};

use crate::features::probe;
use crate::fsrules::{self, FsRules};
use crate::plan::{mount_plan, MountStep};
use crate::spec::{
    ExecSpec, Mode, SANDBOX_HOME, SANDBOX_PROXY_PORT, SANDBOX_PROXY_SOCKET, UNPRIVILEGED_ID,
};
use crate::{seccomp, SandboxError};

/// Exit status of the helper when the sandbox could not be set up.
pub const EXIT_SETUP_FAILED: i32 = 125;
/// Exit status when the server program could not be executed.
pub const EXIT_EXEC_FAILED: i32 = 127;

/// Reads the spec the launcher put into an inherited memfd, then closes it.
pub fn read_spec_fd(fd: RawFd) -> Result<ExecSpec, SandboxError> {
    if fd < 3 {
        return Err(SandboxError::Spec(format!("bad spec fd `{fd}`")));
    }
    // SAFETY: the launcher passes an fd it opened for this process and nothing else in this
    // fresh process owns it; taking ownership here closes it after reading.
    let owned = unsafe { <OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(fd) };
    let file = std::fs::File::from(owned);
    let mut buf = Vec::new();
    // The memfd's offset is at its end after the launcher wrote it; read from the start.
    use std::os::unix::fs::FileExt;
    let len = file
        .metadata()
        .map_err(|e| SandboxError::Spec(e.to_string()))?
        .len();
    if len > 16 * 1024 * 1024 {
        return Err(SandboxError::Spec("spec too large".to_owned()));
    }
    buf.resize(len as usize, 0);
    file.read_exact_at(&mut buf, 0)
        .map_err(|e| SandboxError::Spec(e.to_string()))?;
    serde_json::from_slice(&buf).map_err(|e| SandboxError::Spec(e.to_string()))
}

fn stderr_line(msg: &str) {
    let _ = writeln!(std::io::stderr(), "mcpwall sandbox: {msg}");
}

fn die(msg: &str) -> ! {
    stderr_line(msg);
    // SAFETY: `_exit` never returns and skips atexit handlers, which is what a forked child must
    // do (the parent owns buffered state).
    unsafe { libc::_exit(EXIT_SETUP_FAILED) }
}

/// Signals the supervisors forward to their child.
const FORWARDED: &[Signal] = &[
    Signal::SIGTERM,
    Signal::SIGINT,
    Signal::SIGHUP,
    Signal::SIGQUIT,
    Signal::SIGUSR1,
    Signal::SIGUSR2,
];

fn supervised_set() -> SigSet {
    let mut set = SigSet::empty();
    for s in FORWARDED {
        set.add(*s);
    }
    set.add(Signal::SIGCHLD);
    set
}

/// Waits for `main`, forwarding signals to it; with `reap_all` (PID 1) also reaps orphans.
/// Returns the exit code to propagate (128 + signal for a killed child).
fn supervise(main: Pid, reap_all: bool) -> i32 {
    let set = supervised_set();
    loop {
        // Reap first: SIGCHLD may have arrived before this loop started waiting.
        loop {
            let target = if reap_all { Pid::from_raw(-1) } else { main };
            match waitpid(target, Some(WaitPidFlag::WNOHANG)) {
                Ok(WaitStatus::Exited(pid, code)) if pid == main => return code,
                Ok(WaitStatus::Signaled(pid, sig, _)) if pid == main => return 128 + sig as i32,
                Ok(WaitStatus::StillAlive) => break,
                Ok(_) => continue,
                Err(nix::errno::Errno::EINTR) => continue,
                Err(_) => return EXIT_SETUP_FAILED,
            }
        }
        match set.wait() {
            Ok(Signal::SIGCHLD) => {}
            Ok(sig) => {
                let _ = kill(main, sig);
            }
            Err(_) => {}
        }
    }
}

fn block_signals() -> Result<(), SandboxError> {
    nix::sys::signal::sigprocmask(SigmaskHow::SIG_BLOCK, Some(&supervised_set()), None)
        .map_err(|e| SandboxError::Setup(format!("blocking signals: {e}")))
}

fn unblock_signals() {
    let _ = nix::sys::signal::sigprocmask(SigmaskHow::SIG_SETMASK, Some(&SigSet::empty()), None);
}

/// Dies with the parent; exits if the parent is already gone. (PID 1 of a new PID namespace
/// sees its parent, which lives outside the namespace, as pid 0.)
fn tie_to_parent(parent: Pid) {
    let _ = nix::sys::prctl::set_pdeathsig(Signal::SIGKILL);
    let ppid = getppid();
    if ppid != parent && ppid.as_raw() != 0 {
        // SAFETY: see `die`.
        unsafe { libc::_exit(EXIT_SETUP_FAILED) }
    }
}

/// Runs the helper: sets up the sandbox and runs the server in it. Returns the exit code the
/// helper process should exit with.
pub fn run(spec: &ExecSpec) -> Result<i32, SandboxError> {
    let features = probe();
    let missing = features.missing_required();
    match spec.mode {
        Mode::Enforce if !missing.is_empty() => {
            return Err(SandboxError::Missing(missing.join(", ")));
        }
        Mode::Off => {
            return Err(SandboxError::Setup(
                "sandbox mode `off` needs no helper".into(),
            ))
        }
        _ => {}
    }
    if spec.mode == Mode::BestEffort {
        let mut all: Vec<&str> = missing.clone();
        all.extend(features.missing_optional());
        if !all.is_empty() {
            stderr_line(&format!(
                "warning: best-effort sandbox, missing: {}",
                all.join(", ")
            ));
        }
    }
    if !missing.is_empty() {
        return run_without_namespaces(spec);
    }
    let host_uid = nix::unistd::getuid();
    let host_gid = nix::unistd::getgid();
    let as_root = host_uid.is_root();
    let (run_uid, run_gid) = if as_root {
        (UNPRIVILEGED_ID, UNPRIVILEGED_ID)
    } else {
        (host_uid.as_raw(), host_gid.as_raw())
    };
    let (plan, warnings) = mount_plan(spec, run_uid, run_gid)?;
    for w in warnings {
        stderr_line(&format!("warning: {w}"));
    }
    let filters = seccomp::programs()?;
    if as_root {
        // Supplementary groups of root must not follow the server; the setgroups file is set
        // to `deny` below, so drop them now.
        nix::unistd::setgroups(&[]).map_err(|e| SandboxError::Setup(format!("setgroups: {e}")))?;
    }
    // Checked before forking: H stays in its own cgroup, the server tree goes into a child.
    let cgroups = crate::cgroup::delegation();
    block_signals()?;
    let flags = nix::fcntl::OFlag::O_CLOEXEC;
    let (ready_r, ready_w) = pipe2(flags).map_err(|e| SandboxError::Setup(format!("pipe: {e}")))?;
    let (go_r, go_w) = pipe2(flags).map_err(|e| SandboxError::Setup(format!("pipe: {e}")))?;
    let me = nix::unistd::getpid();
    // SAFETY: this process is single-threaded (a freshly executed helper that has started no
    // threads), so the child may run arbitrary code after fork.
    match unsafe { fork() }.map_err(|e| SandboxError::Setup(format!("fork: {e}")))? {
        ForkResult::Child => {
            drop(ready_r);
            drop(go_w);
            tie_to_parent(me);
            child_in_user_ns(
                spec, &plan, &filters, ready_w, go_r, as_root, run_uid, run_gid,
            )
        }
        ForkResult::Parent { child } => {
            drop(ready_w);
            drop(go_r);
            let mut ready = [0u8; 1];
            let got = std::fs::File::from(ready_r).read(&mut ready).unwrap_or(0);
            let mut cgroup = None;
            if got == 1 {
                if let Err(e) = write_id_maps(child, as_root, host_uid, host_gid) {
                    let _ = kill(child, Signal::SIGKILL);
                    let _ = waitpid(child, None);
                    return Err(e);
                }
                // C has not forked yet (it waits for `go`), so the whole server tree starts
                // inside the limited cgroup.
                if let crate::cgroup::Delegation::Delegated(parent) = &cgroups {
                    match crate::cgroup::ServerCgroup::create(
                        parent,
                        &format!("mcpwall-{child}"),
                        spec.limits.memory_mb,
                        spec.limits.processes,
                        child.as_raw(),
                    ) {
                        Ok(cg) => cgroup = Some(cg),
                        Err(e) => stderr_line(&format!(
                            "warning: cgroup limits not applied (rlimits still are): {e}"
                        )),
                    }
                }
                let _ = std::fs::File::from(go_w).write_all(b"1");
            } else {
                drop(go_w);
            }
            let status = supervise(child, false);
            drop(cgroup);
            Ok(status)
        }
    }
}

/// Maps ids for the child's user namespace. As an unprivileged user the only possible map is
/// the user's own id. As real root, inside 0 maps to real root (so the setup can read root-owned
/// sources) and the unprivileged id maps to itself; the server then switches to it so that
/// `RLIMIT_NPROC` binds.
fn write_id_maps(child: Pid, as_root: bool, uid: Uid, gid: Gid) -> Result<(), SandboxError> {
    let proc = PathBuf::from(format!("/proc/{child}"));
    let write = |name: &str, text: &str| {
        std::fs::write(proc.join(name), text)
            .map_err(|e| SandboxError::Setup(format!("writing {name}: {e}")))
    };
    write("setgroups", "deny")?;
    if as_root {
        let u = UNPRIVILEGED_ID;
        write("uid_map", &format!("0 0 1\n{u} {u} 1\n"))?;
        write("gid_map", &format!("0 0 1\n{u} {u} 1\n"))?;
    } else {
        write("uid_map", &format!("{uid} {uid} 1\n"))?;
        write("gid_map", &format!("{gid} {gid} 1\n"))?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn child_in_user_ns(
    spec: &ExecSpec,
    plan: &[MountStep],
    filters: &[seccompiler::BpfProgram],
    ready_w: OwnedFd,
    go_r: OwnedFd,
    as_root: bool,
    run_uid: u32,
    run_gid: u32,
) -> ! {
    if let Err(e) = unshare(CloneFlags::CLONE_NEWUSER) {
        die(&format!("cannot create user namespace: {e}"));
    }
    if std::fs::File::from(ready_w).write_all(b"1").is_err() {
        die("parent went away");
    }
    let mut go = [0u8; 1];
    if std::fs::File::from(go_r).read(&mut go).unwrap_or(0) != 1 {
        die("user namespace ids were not mapped");
    }
    let ns = CloneFlags::CLONE_NEWNS
        | CloneFlags::CLONE_NEWPID
        | CloneFlags::CLONE_NEWIPC
        | CloneFlags::CLONE_NEWUTS
        | CloneFlags::CLONE_NEWNET;
    if let Err(e) = unshare(ns) {
        die(&format!("cannot create namespaces: {e}"));
    }
    let _ = nix::unistd::sethostname("mcpwall-sandbox");
    let me = nix::unistd::getpid();
    // SAFETY: still single-threaded (the helper starts no threads before P1 forks S).
    match unsafe { fork() } {
        Err(e) => die(&format!("fork: {e}")),
        Ok(ForkResult::Child) => {
            tie_to_parent(me);
            pid1(spec, plan, filters, as_root, run_uid, run_gid)
        }
        Ok(ForkResult::Parent { child }) => {
            let code = supervise(child, false);
            // SAFETY: see `die`; the exit code is the server's.
            unsafe { libc::_exit(code) }
        }
    }
}

fn mount_err(what: &str, path: &Path, e: nix::Error) -> SandboxError {
    SandboxError::Setup(format!("{what} `{}`: {e}", path.display()))
}

fn mkdirs(path: &Path) -> Result<(), SandboxError> {
    std::fs::create_dir_all(path)
        .map_err(|e| SandboxError::Setup(format!("mkdir `{}`: {e}", path.display())))
}

/// Flags a remount must keep: in a user namespace the kernel refuses to clear `nosuid`,
/// `nodev`, `noexec` and atime flags that the source mount had.
fn locked_flags(path: &Path) -> MsFlags {
    use nix::sys::statvfs::{statvfs, FsFlags};
    let mut out = MsFlags::empty();
    if let Ok(st) = statvfs(path) {
        let f = st.flags();
        for (fs, ms) in [
            (FsFlags::ST_NOSUID, MsFlags::MS_NOSUID),
            (FsFlags::ST_NODEV, MsFlags::MS_NODEV),
            (FsFlags::ST_NOEXEC, MsFlags::MS_NOEXEC),
            (FsFlags::ST_NOATIME, MsFlags::MS_NOATIME),
            (FsFlags::ST_NODIRATIME, MsFlags::MS_NODIRATIME),
            (FsFlags::ST_RELATIME, MsFlags::MS_RELATIME),
        ] {
            if f.contains(fs) {
                out |= ms;
            }
        }
    }
    out
}

fn bind(src: &Path, dst: &Path, rw: bool, dev: bool) -> Result<(), SandboxError> {
    let is_dir = std::fs::metadata(src)
        .map(|m| m.is_dir())
        .map_err(|e| SandboxError::Setup(format!("bind source `{}`: {e}", src.display())))?;
    if !dst.exists() {
        if is_dir {
            mkdirs(dst)?;
        } else {
            if let Some(parent) = dst.parent() {
                mkdirs(parent)?;
            }
            std::fs::File::create(dst)
                .map_err(|e| SandboxError::Setup(format!("mountpoint `{}`: {e}", dst.display())))?;
        }
    }
    mount(Some(src), dst, None::<&str>, MsFlags::MS_BIND, None::<&str>)
        .map_err(|e| mount_err("bind", dst, e))?;
    let mut flags = MsFlags::MS_REMOUNT | MsFlags::MS_BIND | MsFlags::MS_NOSUID | locked_flags(dst);
    if !dev {
        flags |= MsFlags::MS_NODEV;
    }
    if !rw {
        flags |= MsFlags::MS_RDONLY;
    }
    mount(None::<&str>, dst, None::<&str>, flags, None::<&str>)
        .map_err(|e| mount_err("remount", dst, e))
}

/// Builds the view under `/newroot` (host visible at `/oldroot`), then makes it the root.
fn build_root(plan: &[MountStep]) -> Result<(), SandboxError> {
    let root = Path::new("/");
    mount(
        None::<&str>,
        root,
        None::<&str>,
        MsFlags::MS_REC | MsFlags::MS_PRIVATE,
        None::<&str>,
    )
    .map_err(|e| mount_err("make private", root, e))?;
    // A scratch tmpfs to pivot into; after the pivot the host root sits at /oldroot and the new
    // view is assembled at /newroot. (bubblewrap does the same.)
    let base = Path::new("/tmp");
    mount(
        Some("tmpfs"),
        base,
        Some("tmpfs"),
        MsFlags::MS_NOSUID | MsFlags::MS_NODEV,
        Some("mode=0755,size=1m"),
    )
    .map_err(|e| mount_err("scratch tmpfs", base, e))?;
    std::env::set_current_dir(base).map_err(|e| SandboxError::Setup(format!("chdir: {e}")))?;
    mkdirs(Path::new("newroot"))?;
    mkdirs(Path::new("oldroot"))?;
    mount(
        Some("tmpfs"),
        "newroot",
        Some("tmpfs"),
        MsFlags::MS_NOSUID | MsFlags::MS_NODEV,
        Some("mode=0755,size=4m"),
    )
    .map_err(|e| mount_err("root tmpfs", Path::new("newroot"), e))?;
    nix::unistd::pivot_root(".", "oldroot").map_err(|e| mount_err("pivot_root", base, e))?;
    std::env::set_current_dir("/").map_err(|e| SandboxError::Setup(format!("chdir: {e}")))?;
    let old = Path::new("/oldroot");
    let new = Path::new("/newroot");
    let inside = |p: &Path| new.join(p.strip_prefix("/").unwrap_or(p));
    let host = |p: &Path| old.join(p.strip_prefix("/").unwrap_or(p));
    for step in plan {
        match step {
            MountStep::Bind { src, dst, rw, dev } => bind(&host(src), &inside(dst), *rw, *dev)?,
            MountStep::Tmpfs { dst, options } => {
                let dst = inside(dst);
                mkdirs(&dst)?;
                mount(
                    Some("tmpfs"),
                    &dst,
                    Some("tmpfs"),
                    MsFlags::MS_NOSUID | MsFlags::MS_NODEV,
                    Some(options.as_str()),
                )
                .map_err(|e| mount_err("tmpfs", &dst, e))?;
            }
            MountStep::Symlink { dst, target } => {
                let dst = inside(dst);
                if let Some(parent) = dst.parent() {
                    mkdirs(parent)?;
                }
                if std::fs::symlink_metadata(&dst).is_err() {
                    std::os::unix::fs::symlink(target, &dst).map_err(|e| {
                        SandboxError::Setup(format!("symlink `{}`: {e}", dst.display()))
                    })?;
                }
            }
            MountStep::Proc { dst } => {
                let dst = inside(dst);
                mkdirs(&dst)?;
                mount(
                    Some("proc"),
                    &dst,
                    Some("proc"),
                    MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
                    None::<&str>,
                )
                .map_err(|e| mount_err("proc", &dst, e))?;
            }
        }
    }
    mkdirs(&new.join("run/mcpwall"))?;
    // Enter the view and drop the host root: pivot onto itself, then detach what lies beneath.
    std::env::set_current_dir(new).map_err(|e| SandboxError::Setup(format!("chdir: {e}")))?;
    nix::unistd::pivot_root(".", ".").map_err(|e| mount_err("pivot_root", new, e))?;
    umount2(".", MntFlags::MNT_DETACH).map_err(|e| mount_err("detach old root", root, e))?;
    std::env::set_current_dir("/").map_err(|e| SandboxError::Setup(format!("chdir: {e}")))?;
    // The root tmpfs itself becomes read-only; /tmp, the home and /dev/shm stay writable.
    mount(
        None::<&str>,
        root,
        None::<&str>,
        MsFlags::MS_REMOUNT
            | MsFlags::MS_BIND
            | MsFlags::MS_RDONLY
            | MsFlags::MS_NOSUID
            | MsFlags::MS_NODEV,
        None::<&str>,
    )
    .map_err(|e| mount_err("remount root read-only", root, e))?;
    Ok(())
}

/// Brings the loopback interface of the new network namespace up.
fn loopback_up() -> Result<(), SandboxError> {
    let sock = nix::sys::socket::socket(
        nix::sys::socket::AddressFamily::Inet,
        nix::sys::socket::SockType::Datagram,
        nix::sys::socket::SockFlag::SOCK_CLOEXEC,
        None,
    )
    .map_err(|e| SandboxError::Setup(format!("socket: {e}")))?;
    // SAFETY: `ifreq` is a plain C struct for which all-zero bytes are a valid value.
    let mut req: libc::ifreq = unsafe { std::mem::zeroed() };
    for (dst, src) in req.ifr_name.iter_mut().zip(b"lo\0") {
        *dst = *src as libc::c_char;
    }
    // SAFETY: SIOCGIFFLAGS reads the interface name from `req` and writes its flags into the
    // union; `req` is a valid, exclusively borrowed ifreq for the duration of the call.
    let rc = unsafe { libc::ioctl(sock.as_raw_fd(), libc::SIOCGIFFLAGS, &mut req) };
    if rc < 0 {
        return Err(SandboxError::Setup(format!(
            "reading lo flags: {}",
            std::io::Error::last_os_error()
        )));
    }
    // SAFETY: after SIOCGIFFLAGS the union holds the flags member, which is plain data.
    unsafe {
        req.ifr_ifru.ifru_flags |= (libc::IFF_UP | libc::IFF_RUNNING) as libc::c_short;
    }
    // SAFETY: SIOCSIFFLAGS reads name and flags from the valid `req`.
    let rc = unsafe { libc::ioctl(sock.as_raw_fd(), libc::SIOCSIFFLAGS, &req) };
    if rc < 0 {
        return Err(SandboxError::Setup(format!(
            "bringing lo up: {}",
            std::io::Error::last_os_error()
        )));
    }
    Ok(())
}

/// Copies bytes between a TCP connection accepted in the namespace and the proxy's unix socket.
fn forward_connections(listener: std::net::TcpListener) {
    for stream in listener.incoming().flatten() {
        let _ = std::thread::Builder::new().spawn(move || {
            let Ok(upstream) = std::os::unix::net::UnixStream::connect(SANDBOX_PROXY_SOCKET) else {
                return;
            };
            let (Ok(mut up_w), Ok(mut tcp_r)) = (upstream.try_clone(), stream.try_clone()) else {
                return;
            };
            let mut up_r = upstream;
            let mut tcp_w = stream;
            let pump = std::thread::Builder::new().spawn(move || {
                let _ = std::io::copy(&mut tcp_r, &mut up_w);
                let _ = up_w.shutdown(std::net::Shutdown::Write);
            });
            let _ = std::io::copy(&mut up_r, &mut tcp_w);
            let _ = tcp_w.shutdown(std::net::Shutdown::Both);
            if let Ok(handle) = pump {
                let _ = handle.join();
            }
        });
    }
}

fn pid1(
    spec: &ExecSpec,
    plan: &[MountStep],
    filters: &[seccompiler::BpfProgram],
    as_root: bool,
    run_uid: u32,
    run_gid: u32,
) -> ! {
    if let Err(e) = build_root(plan) {
        die(&e.to_string());
    }
    if let Err(e) = loopback_up() {
        die(&e.to_string());
    }
    let listener = match &spec.proxy {
        Some(_) => match std::net::TcpListener::bind(("127.0.0.1", SANDBOX_PROXY_PORT)) {
            Ok(l) => Some(l),
            Err(e) => die(&format!("proxy listener: {e}")),
        },
        None => None,
    };
    let me = nix::unistd::getpid();
    // SAFETY: single-threaded until the forwarder thread starts, which happens after this fork.
    match unsafe { fork() } {
        Err(e) => die(&format!("fork: {e}")),
        Ok(ForkResult::Child) => {
            tie_to_parent(me);
            let err = exec_server(spec, filters, as_root, run_uid, run_gid);
            stderr_line(&err.to_string());
            let code = if matches!(err, SandboxError::Exec(_)) {
                EXIT_EXEC_FAILED
            } else {
                EXIT_SETUP_FAILED
            };
            // SAFETY: see `die`.
            unsafe { libc::_exit(code) }
        }
        Ok(ForkResult::Parent { child }) => {
            // Not dumpable: the server (same uid when mcpwall is not root) cannot read PID 1's
            // memory or /proc/1/environ.
            let _ = nix::sys::prctl::set_dumpable(false);
            // PID 1 keeps the same seccomp filter as the server: it never needs those calls.
            let _ = nix::sys::prctl::set_no_new_privs();
            let _ = seccomp::apply(filters);
            if let Some(listener) = listener {
                let _ = std::thread::Builder::new().spawn(move || forward_connections(listener));
            }
            let code = supervise(child, true);
            // SAFETY: see `die`.
            unsafe { libc::_exit(code) }
        }
    }
}

fn set_limit(resource: Resource, value: u64) -> Result<(), SandboxError> {
    setrlimit(resource, value, value)
        .map_err(|e| SandboxError::Setup(format!("setrlimit {resource:?}: {e}")))
}

fn apply_limits(spec: &ExecSpec) -> Result<(), SandboxError> {
    let l = &spec.limits;
    set_limit(Resource::RLIMIT_NPROC, l.processes)?;
    set_limit(
        Resource::RLIMIT_DATA,
        l.memory_mb.saturating_mul(1024 * 1024),
    )?;
    set_limit(Resource::RLIMIT_NOFILE, l.open_files)?;
    set_limit(Resource::RLIMIT_CORE, 0)?;
    if let Some(cpu) = l.cpu_seconds {
        set_limit(Resource::RLIMIT_CPU, cpu)?;
    }
    Ok(())
}

fn cstring(bytes: &[u8]) -> Result<CString, SandboxError> {
    CString::new(bytes).map_err(|_| SandboxError::Exec("argument contains a NUL byte".to_owned()))
}

fn close_inherited_fds() {
    // SAFETY: close_range only closes descriptors of this process; 0-2 (the server's stdio) stay.
    unsafe {
        libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, 0u32);
    }
}

/// Drops every capability bound and ambient set, so nothing survives exec even for a uid that
/// maps to 0 in the namespace.
fn drop_capabilities() {
    // SAFETY: these prctl calls take integer arguments only and affect the calling thread.
    unsafe {
        libc::prctl(
            libc::PR_CAP_AMBIENT,
            libc::PR_CAP_AMBIENT_CLEAR_ALL,
            0,
            0,
            0,
        );
        for cap in 0..=63 {
            libc::prctl(libc::PR_CAPBSET_DROP, cap, 0, 0, 0);
        }
    }
}

/// The server child: applies the per-process layers and execs. Returns only on failure.
fn exec_server(
    spec: &ExecSpec,
    filters: &[seccompiler::BpfProgram],
    as_root: bool,
    run_uid: u32,
    run_gid: u32,
) -> SandboxError {
    let _ = nix::unistd::setsid();
    let cwd = spec
        .cwd
        .as_deref()
        .filter(|c| c.is_dir())
        .unwrap_or(Path::new(SANDBOX_HOME));
    if let Err(e) = std::env::set_current_dir(cwd) {
        return SandboxError::Setup(format!("chdir `{}`: {e}", cwd.display()));
    }
    if let Err(e) = apply_limits(spec) {
        return e;
    }
    drop_capabilities();
    if as_root {
        let gid = Gid::from_raw(run_gid);
        let uid = Uid::from_raw(run_uid);
        if let Err(e) = nix::unistd::setresgid(gid, gid, gid) {
            return SandboxError::Setup(format!("setresgid: {e}"));
        }
        if let Err(e) = nix::unistd::setresuid(uid, uid, uid) {
            return SandboxError::Setup(format!("setresuid: {e}"));
        }
    }
    if let Err(e) = nix::sys::prctl::set_no_new_privs() {
        return SandboxError::Setup(format!("no_new_privs: {e}"));
    }
    close_inherited_fds();
    let mut write = vec![
        PathBuf::from("/tmp"),
        PathBuf::from(SANDBOX_HOME),
        PathBuf::from("/dev/shm"),
    ];
    write.extend(
        spec.read_write
            .iter()
            .filter_map(|p| std::fs::canonicalize(p).ok()),
    );
    let rules = FsRules {
        read: vec![PathBuf::from("/")],
        write,
        dev: vec![PathBuf::from("/dev")],
    };
    if probe().landlock_abi.is_some() {
        if let Err(e) = fsrules::restrict(&rules) {
            return e;
        }
    }
    let argv: Vec<CString> = match spec.argv.iter().map(|a| cstring(a.as_bytes())).collect() {
        Ok(v) => v,
        Err(e) => return e,
    };
    let env: Vec<CString> = match spec
        .env
        .iter()
        .map(|(k, v)| cstring(format!("{k}={v}").as_bytes()))
        .collect()
    {
        Ok(v) => v,
        Err(e) => return e,
    };
    let program = match cstring(spec.program.as_os_str().as_bytes()) {
        Ok(p) => p,
        Err(e) => return e,
    };
    unblock_signals();
    if let Err(e) = seccomp::apply(filters) {
        return e;
    }
    match nix::unistd::execve(&program, &argv, &env) {
        Err(e) => SandboxError::Exec(format!("`{}`: {e}", spec.program.display())),
        Ok(never) => match never {},
    }
}

/// Best-effort fallback when namespaces are unavailable: the server runs on the host's
/// filesystem, restricted by landlock (read-only system and runtime paths, writes only to a
/// private temp directory and declared read-write paths), rlimits, no_new_privs and seccomp.
fn run_without_namespaces(spec: &ExecSpec) -> Result<i32, SandboxError> {
    let scratch = std::env::temp_dir().join(format!("mcpwall-sandbox-{}", std::process::id()));
    mkdirs(&scratch)?;
    let filters = seccomp::programs()?;
    block_signals()?;
    let me = nix::unistd::getpid();
    // SAFETY: the helper is single-threaded, so the child may run arbitrary code.
    match unsafe { fork() }.map_err(|e| SandboxError::Setup(format!("fork: {e}")))? {
        ForkResult::Child => {
            tie_to_parent(me);
            let mut read: Vec<PathBuf> =
                crate::plan::SYSTEM_DIRS.iter().map(PathBuf::from).collect();
            read.push(PathBuf::from("/etc"));
            read.push(PathBuf::from("/proc"));
            read.extend(spec.runtime.iter().cloned());
            read.extend(spec.read_only.iter().cloned());
            let mut write = vec![scratch.clone()];
            write.extend(spec.read_write.iter().cloned());
            let rules = FsRules {
                read,
                write,
                dev: crate::plan::DEV_NODES
                    .iter()
                    .map(|n| Path::new("/dev").join(n))
                    .collect(),
            };
            let mut spec = spec.clone();
            for (k, v) in spec.env.iter_mut() {
                if k == "HOME" || k == "TMPDIR" {
                    *v = scratch.display().to_string();
                }
            }
            spec.cwd = Some(spec.cwd.clone().unwrap_or(scratch.clone()));
            let _ = nix::unistd::setsid();
            let result = (|| -> Result<SandboxError, SandboxError> {
                if let Some(cwd) = &spec.cwd {
                    std::env::set_current_dir(cwd)
                        .map_err(|e| SandboxError::Setup(format!("chdir: {e}")))?;
                }
                apply_limits(&spec)?;
                nix::sys::prctl::set_no_new_privs()
                    .map_err(|e| SandboxError::Setup(format!("no_new_privs: {e}")))?;
                close_inherited_fds();
                if probe().landlock_abi.is_some() {
                    fsrules::restrict(&rules)?;
                }
                let argv: Vec<CString> = spec
                    .argv
                    .iter()
                    .map(|a| cstring(a.as_bytes()))
                    .collect::<Result<_, _>>()?;
                let env: Vec<CString> = spec
                    .env
                    .iter()
                    .map(|(k, v)| cstring(format!("{k}={v}").as_bytes()))
                    .collect::<Result<_, _>>()?;
                let program = cstring(spec.program.as_os_str().as_bytes())?;
                unblock_signals();
                if probe().seccomp {
                    seccomp::apply(&filters)?;
                }
                Ok(match nix::unistd::execve(&program, &argv, &env) {
                    Err(e) => SandboxError::Exec(format!("`{}`: {e}", spec.program.display())),
                    Ok(never) => match never {},
                })
            })();
            let err = match result {
                Ok(e) | Err(e) => e,
            };
            die(&err.to_string())
        }
        ForkResult::Parent { child } => {
            let code = supervise(child, false);
            let _ = std::fs::remove_dir_all(&scratch);
            Ok(code)
        }
    }
}
