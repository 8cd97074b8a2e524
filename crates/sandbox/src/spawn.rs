//! The launcher's side: turning an [`ExecSpec`] into the command that starts the helper. The spec
//! (which carries resolved secrets) travels in a memfd inherited by the helper only, never in
//! argv or the environment.

use std::io::Write;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::Path;

use crate::spec::ExecSpec;
use crate::SandboxError;

/// Name of the helper subcommand.
pub const HELPER_SUBCOMMAND: &str = "sandbox-exec";

fn spec_memfd(spec: &ExecSpec) -> Result<OwnedFd, SandboxError> {
    let json = serde_json::to_vec(spec).map_err(|e| SandboxError::Spec(e.to_string()))?;
    let fd = nix::sys::memfd::memfd_create(
        c"mcpwall-sandbox-spec",
        nix::sys::memfd::MemFdCreateFlag::MFD_CLOEXEC,
    )
    .map_err(|e| SandboxError::Setup(format!("memfd: {e}")))?;
    let mut file = std::fs::File::from(fd);
    file.write_all(&json)
        .map_err(|e| SandboxError::Setup(format!("writing spec: {e}")))?;
    Ok(OwnedFd::from(file))
}

/// The command `exe sandbox-exec --spec-fd N -- PROGRAM ARGS...`, with the spec's memfd
/// inherited as fd N by that child alone (it is close-on-exec everywhere else). The environment
/// of the helper is cleared: it needs nothing from the gateway.
pub fn helper_command(exe: &Path, spec: &ExecSpec) -> Result<std::process::Command, SandboxError> {
    let fd = spec_memfd(spec)?;
    let raw = fd.as_raw_fd();
    let mut cmd = std::process::Command::new(exe);
    cmd.arg(HELPER_SUBCOMMAND)
        .arg("--spec-fd")
        .arg(raw.to_string())
        .arg("--")
        .arg(&spec.program)
        .args(spec.argv.iter().skip(1))
        .env_clear();
    // SAFETY: the closure runs in the forked child before exec and only calls fcntl, which is
    // async-signal-safe; it clears close-on-exec on this child's copy of the memfd (fd flags are
    // per process, so concurrent spawns in the gateway do not inherit it). The closure owns the
    // memfd, keeping it open until the command is dropped.
    unsafe {
        cmd.pre_exec(move || {
            let raw = fd.as_raw_fd();
            if libc::fcntl(raw, libc::F_SETFD, 0) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    Ok(cmd)
}
