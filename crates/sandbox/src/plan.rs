//! Path logic, free of side effects except reading the host filesystem: finding the program,
//! deriving the runtime directories it needs, and turning an [`ExecSpec`] into the ordered list
//! of mounts that builds the sandbox's filesystem view.

use std::ffi::OsStr;
use std::path::{Component, Path, PathBuf};

use crate::spec::{ExecSpec, SANDBOX_HOME, SANDBOX_PROXY_SOCKET};
use crate::SandboxError;

/// System directories bound read-only when present (symlinks such as `/bin -> usr/bin` are
/// recreated as symlinks).
pub const SYSTEM_DIRS: &[&str] = &[
    "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32",
];

/// Files and directories under `/etc` the runtime needs (name service, TLS roots, dynamic
/// linker, time zone). Everything else in `/etc` stays invisible.
pub const ETC_ENTRIES: &[&str] = &[
    "resolv.conf",
    "hosts",
    "host.conf",
    "gai.conf",
    "nsswitch.conf",
    "passwd",
    "group",
    "localtime",
    "timezone",
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "ssl",
    "ca-certificates",
    "ca-certificates.conf",
    "pki",
    "crypto-policies",
    "alternatives",
    "mime.types",
    "protocols",
    "services",
    "os-release",
];

/// Directories of language version managers, bound whole when a program lives beneath one.
pub const VERSION_MANAGERS: &[&str] = &[
    ".pyenv", ".nvm", ".volta", ".asdf", ".rbenv", ".nodenv", ".bun", ".deno", ".rustup",
];

/// Device nodes bound from the host's `/dev`.
pub const DEV_NODES: &[&str] = &["null", "zero", "full", "random", "urandom"];

/// One step of building the view. Targets are paths inside the sandbox; sources are host paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MountStep {
    /// Bind a host path (file or directory).
    Bind {
        /// Canonical host path.
        src: PathBuf,
        /// Path inside the sandbox.
        dst: PathBuf,
        /// Writable.
        rw: bool,
        /// Device nodes (keeps `nodev` off).
        dev: bool,
    },
    /// A fresh tmpfs.
    Tmpfs {
        /// Path inside the sandbox.
        dst: PathBuf,
        /// Mount options (mode, size, owner).
        options: String,
    },
    /// A symlink.
    Symlink {
        /// Path inside the sandbox.
        dst: PathBuf,
        /// Link target.
        target: PathBuf,
    },
    /// A procfs for the sandbox's PID namespace.
    Proc {
        /// Path inside the sandbox.
        dst: PathBuf,
    },
}

/// Looks `program` up like `execvp` does: a path with a slash is taken relative to `cwd`;
/// otherwise each directory of `path_env` is tried.
pub fn resolve_program(
    program: &OsStr,
    path_env: Option<&OsStr>,
    cwd: &Path,
) -> Result<PathBuf, SandboxError> {
    let as_path = Path::new(program);
    if program.is_empty() {
        return Err(SandboxError::ProgramNotFound(String::new()));
    }
    if as_path.components().count() > 1 || as_path.is_absolute() {
        let full = cwd.join(as_path);
        return if is_executable(&full) {
            Ok(absolutize(&full))
        } else {
            Err(SandboxError::ProgramNotFound(as_path.display().to_string()))
        };
    }
    let search = path_env.unwrap_or(OsStr::new("/usr/local/bin:/usr/bin:/bin"));
    for dir in std::env::split_paths(search) {
        let dir = if dir.is_absolute() {
            dir
        } else {
            cwd.join(dir)
        };
        let candidate = dir.join(as_path);
        if is_executable(&candidate) {
            return Ok(absolutize(&candidate));
        }
    }
    Err(SandboxError::ProgramNotFound(as_path.display().to_string()))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// Removes `.` and `..` lexically (without following symlinks).
fn absolutize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// Every path a chain of symlinks passes through, ending with the canonical path.
fn symlink_hops(path: &Path) -> Vec<PathBuf> {
    let mut hops = vec![path.to_path_buf()];
    let mut current = path.to_path_buf();
    for _ in 0..16 {
        match std::fs::read_link(&current) {
            Ok(target) => {
                let next = match current.parent() {
                    Some(parent) => absolutize(&parent.join(target)),
                    None => target,
                };
                hops.push(next.clone());
                current = next;
            }
            Err(_) => break,
        }
    }
    if let Ok(canonical) = std::fs::canonicalize(path) {
        hops.push(canonical);
    }
    hops
}

/// Whether `path` is already visible through a system bind.
fn under_system_dir(path: &Path) -> bool {
    SYSTEM_DIRS.iter().any(|d| path.starts_with(d)) || path.starts_with("/etc")
}

/// The directory that holds what a file's runtime needs: the project above the outermost
/// `node_modules`, a Python venv, the prefix above a `bin` directory, or else the file's own
/// directory.
fn runtime_root(file: &Path) -> Option<PathBuf> {
    let comps: Vec<_> = file.components().collect();
    // Version managers (pyenv shims, nvm, ...) need their whole tree: shims exec the manager,
    // which reads its version files.
    if let Some(idx) = comps
        .iter()
        .position(|c| VERSION_MANAGERS.iter().any(|m| c.as_os_str() == *m))
    {
        return Some(comps[..=idx].iter().collect());
    }
    if let Some(idx) = comps.iter().position(|c| c.as_os_str() == "node_modules") {
        let root: PathBuf = comps[..idx].iter().collect();
        return Some(root);
    }
    let dir = file.parent()?;
    if dir.file_name() == Some(OsStr::new("bin")) {
        let prefix = dir.parent()?;
        if prefix != Path::new("/") {
            return Some(prefix.to_path_buf());
        }
    }
    Some(dir.to_path_buf())
}

/// The interpreter named by a `#!` line, resolved (`/usr/bin/env node` becomes node's path).
fn shebang_interpreter(file: &Path, path_env: Option<&OsStr>, cwd: &Path) -> Option<PathBuf> {
    use std::io::Read;
    let mut head = [0u8; 256];
    let n = std::fs::File::open(file).ok()?.read(&mut head).ok()?;
    let head = head.get(..n)?;
    let rest = head.strip_prefix(b"#!")?;
    let line = rest.split(|b| *b == b'\n').next()?;
    let line = std::str::from_utf8(line).ok()?;
    let mut words = line.split_whitespace();
    let interp = words.next()?;
    if Path::new(interp).file_name() == Some(OsStr::new("env")) {
        let name = words.find(|w| !w.starts_with('-') && !w.contains('='))?;
        return resolve_program(OsStr::new(name), path_env, cwd).ok();
    }
    Some(PathBuf::from(interp))
}

/// Host directories (and single files) the program needs, read-only: its own install, the
/// interpreter of a script, a venv and the Python it was made from, script files named in
/// `args`. System directories are left out (they are always bound).
pub fn runtime_paths(
    program: &Path,
    args: &[String],
    cwd: &Path,
    path_env: Option<&OsStr>,
) -> Vec<PathBuf> {
    let mut files = symlink_hops(program);
    for hop in files.clone() {
        if let Some(interp) = shebang_interpreter(&hop, path_env, cwd) {
            files.extend(symlink_hops(&interp));
        }
    }
    let mut out: Vec<PathBuf> = Vec::new();
    let mut push = |p: PathBuf| {
        if !under_system_dir(&p) && p != Path::new("/") && !out.contains(&p) {
            out.push(p);
        }
    };
    for file in &files {
        if let Some(dir) = file.parent() {
            // A venv: `<venv>/bin/python` with `<venv>/pyvenv.cfg` naming the base install.
            if let Some(venv) = dir.parent().filter(|v| v.join("pyvenv.cfg").is_file()) {
                push(venv.to_path_buf());
                if let Ok(cfg) = std::fs::read_to_string(venv.join("pyvenv.cfg")) {
                    for line in cfg.lines() {
                        if let Some(("home", value)) =
                            line.split_once('=').map(|(k, v)| (k.trim(), v.trim()))
                        {
                            if let Some(root) = runtime_root(&Path::new(value).join("python")) {
                                push(root);
                            }
                        }
                    }
                }
                continue;
            }
        }
        if let Some(root) = runtime_root(file) {
            push(root);
        }
    }
    // Scripts named as arguments (`python3 server.py`, `node dist/index.js`).
    for arg in args {
        if arg.starts_with('-') {
            continue;
        }
        let candidate = cwd.join(arg);
        if candidate.is_file() {
            if let Ok(canonical) = std::fs::canonicalize(&candidate) {
                let in_node_modules = canonical
                    .components()
                    .any(|c| c.as_os_str() == "node_modules");
                let root = if in_node_modules {
                    runtime_root(&canonical)
                } else {
                    Some(canonical)
                };
                if let Some(root) = root {
                    push(root);
                }
            }
        }
    }
    out
}

/// Canonical form of a declared path, refusing the whole filesystem.
fn canonical_declared(path: &Path) -> Result<Option<PathBuf>, SandboxError> {
    match std::fs::canonicalize(path) {
        Ok(p) if p == Path::new("/") => {
            Err(SandboxError::WholeFilesystem(path.display().to_string()))
        }
        Ok(p) => Ok(Some(p)),
        Err(_) => Ok(None),
    }
}

/// The ordered mount steps for `spec`. Host paths are canonicalized here, before any namespace
/// exists, so symlinks resolve against the host's root. Declared paths that do not exist are
/// skipped and reported in the second return value.
pub fn mount_plan(
    spec: &ExecSpec,
    run_uid: u32,
    run_gid: u32,
) -> Result<(Vec<MountStep>, Vec<String>), SandboxError> {
    let mut steps = Vec::new();
    let mut warnings = Vec::new();
    for dir in SYSTEM_DIRS {
        let path = Path::new(dir);
        match std::fs::symlink_metadata(path) {
            Ok(m) if m.file_type().is_symlink() => {
                if let Ok(target) = std::fs::read_link(path) {
                    steps.push(MountStep::Symlink {
                        dst: path.to_path_buf(),
                        target,
                    });
                }
            }
            Ok(m) if m.is_dir() => steps.push(MountStep::Bind {
                src: path.to_path_buf(),
                dst: path.to_path_buf(),
                rw: false,
                dev: false,
            }),
            _ => {}
        }
    }
    for entry in ETC_ENTRIES {
        let path = Path::new("/etc").join(entry);
        if let Ok(canonical) = std::fs::canonicalize(&path) {
            steps.push(MountStep::Bind {
                src: canonical,
                dst: path,
                rw: false,
                dev: false,
            });
        }
    }
    let size = spec.limits.memory_mb.clamp(16, 4096);
    steps.push(MountStep::Tmpfs {
        dst: PathBuf::from("/tmp"),
        options: format!("mode=1777,size={size}m"),
    });
    steps.push(MountStep::Tmpfs {
        dst: PathBuf::from(SANDBOX_HOME),
        options: format!("mode=0700,size={size}m,uid={run_uid},gid={run_gid}"),
    });
    steps.push(MountStep::Tmpfs {
        dst: PathBuf::from("/dev"),
        options: "mode=0755,size=64k".to_owned(),
    });
    for node in DEV_NODES {
        let path = Path::new("/dev").join(node);
        if path.exists() {
            steps.push(MountStep::Bind {
                src: path.clone(),
                dst: path,
                rw: true,
                dev: true,
            });
        }
    }
    for (name, target) in [
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
    ] {
        steps.push(MountStep::Symlink {
            dst: Path::new("/dev").join(name),
            target: PathBuf::from(target),
        });
    }
    steps.push(MountStep::Tmpfs {
        dst: PathBuf::from("/dev/shm"),
        options: "mode=1777,size=64m".to_owned(),
    });
    steps.push(MountStep::Proc {
        dst: PathBuf::from("/proc"),
    });

    // Runtime, declared read-only and declared read-write paths, shallowest first so nested
    // declarations land on top of their parents.
    let mut binds: Vec<(PathBuf, PathBuf, bool)> = Vec::new();
    for path in &spec.runtime {
        if let Ok(canonical) = std::fs::canonicalize(path) {
            if canonical != Path::new("/") {
                binds.push((canonical.clone(), canonical, false));
            }
        }
    }
    for (paths, rw) in [(&spec.read_only, false), (&spec.read_write, true)] {
        for path in paths {
            match canonical_declared(path)? {
                Some(canonical) => {
                    if canonical != *path && path.is_absolute() {
                        steps.push(MountStep::Symlink {
                            dst: path.clone(),
                            target: canonical.clone(),
                        });
                    }
                    binds.push((canonical.clone(), canonical, rw));
                }
                None => warnings.push(format!(
                    "declared path `{}` does not exist; skipped",
                    path.display()
                )),
            }
        }
    }
    binds.sort_by_key(|(_, dst, _)| dst.components().count());
    // Symlinks for declared paths must come after the binds they point into; move them last.
    let (links, mut rest): (Vec<_>, Vec<_>) = steps.into_iter().partition(|s| {
        matches!(s, MountStep::Symlink { dst, .. } if !dst.starts_with("/dev") && !SYSTEM_DIRS.iter().any(|d| dst == Path::new(d)))
    });
    for (src, dst, rw) in binds {
        rest.push(MountStep::Bind {
            src,
            dst,
            rw,
            dev: false,
        });
    }
    if let Some(proxy) = &spec.proxy {
        rest.push(MountStep::Bind {
            src: proxy.socket.clone(),
            dst: PathBuf::from(SANDBOX_PROXY_SOCKET),
            rw: true,
            dev: false,
        });
    }
    rest.extend(links);
    Ok((rest, warnings))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{Limits, Mode};

    fn spec() -> ExecSpec {
        ExecSpec {
            mode: Mode::Enforce,
            program: PathBuf::from("/usr/bin/true"),
            argv: vec!["true".into()],
            env: vec![],
            cwd: None,
            runtime: vec![],
            read_only: vec![],
            read_write: vec![],
            proxy: None,
            limits: Limits::default(),
        }
    }

    #[test]
    fn resolves_in_path_and_relative() {
        let p = resolve_program(
            OsStr::new("sh"),
            Some(OsStr::new("/nonexistent:/usr/bin:/bin")),
            Path::new("/"),
        )
        .unwrap();
        assert!(p.ends_with("sh"));
        assert!(resolve_program(OsStr::new("no-such-program-xyz"), None, Path::new("/")).is_err());
        let rel = resolve_program(OsStr::new("./bin/sh"), None, Path::new("/usr")).unwrap();
        assert_eq!(rel, PathBuf::from("/usr/bin/sh"));
    }

    #[test]
    fn runtime_paths_for_script_and_node_modules() {
        let dir = tempfile::tempdir().unwrap();
        let pkg = dir.path().join("proj/node_modules/pkg/dist");
        std::fs::create_dir_all(&pkg).unwrap();
        std::fs::write(pkg.join("index.js"), "#!/usr/bin/env node\n").unwrap();
        let script = dir.path().join("server.py");
        std::fs::write(&script, "print(1)").unwrap();
        let paths = runtime_paths(
            Path::new("/usr/bin/python3"),
            &[
                script.display().to_string(),
                pkg.join("index.js").display().to_string(),
            ],
            Path::new("/"),
            None,
        );
        let canonical_dir = std::fs::canonicalize(dir.path()).unwrap();
        assert!(
            paths.contains(&canonical_dir.join("server.py")),
            "{paths:?}"
        );
        assert!(paths.contains(&canonical_dir.join("proj")), "{paths:?}");
        assert!(!paths.iter().any(|p| p.starts_with("/usr")));
    }

    #[test]
    fn declared_root_is_refused() {
        let mut s = spec();
        s.read_only.push(PathBuf::from("/"));
        assert!(matches!(
            mount_plan(&s, 1, 1),
            Err(SandboxError::WholeFilesystem(_))
        ));
    }

    #[test]
    fn plan_orders_tmpfs_before_declared_binds_and_skips_missing() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = spec();
        s.read_write.push(dir.path().to_path_buf());
        s.read_only.push(PathBuf::from("/definitely/not/here"));
        let (steps, warnings) = mount_plan(&s, 1000, 1000).unwrap();
        assert_eq!(warnings.len(), 1);
        let tmp = steps
            .iter()
            .position(|s| matches!(s, MountStep::Tmpfs { dst, .. } if dst == Path::new("/tmp")))
            .unwrap();
        let canonical = std::fs::canonicalize(dir.path()).unwrap();
        let bind = steps
            .iter()
            .position(|s| matches!(s, MountStep::Bind { dst, rw: true, .. } if *dst == canonical))
            .unwrap();
        assert!(tmp < bind);
        assert!(!steps
            .iter()
            .any(|s| matches!(s, MountStep::Bind { src, .. } if src.starts_with("/etc/shadow"))));
    }
}
