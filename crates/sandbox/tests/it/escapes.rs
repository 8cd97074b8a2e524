//! Each escape the issue names, tried for real.

use std::os::unix::fs::PermissionsExt;

use serde_json::json;

use super::*;

fn writable_tempdir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    // The server runs as 65534 when the tests run as root.
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    dir
}

#[test]
fn kernel_escapes_fail() {
    if !prerequisites() {
        return;
    }
    let mut s = Server::start(&spec(vec![], vec![], Limits::default()));
    let id = s.call("identity", json!({}));
    eprintln!("identity: {id}");
    assert_eq!(id["uid"], run_as_uid());
    assert_eq!(id["pid"].as_u64().map(|p| p > 1), Some(true));
    for pid in [1, 2] {
        let r = s.call("ptrace", json!({"pid": pid}));
        eprintln!("ptrace {pid}: {r}");
        assert_eq!(r["ok"], false, "{r}");
    }
    let r = s.call("mount", json!({"target": "/tmp"}));
    eprintln!("mount: {r}");
    assert_eq!(r["ok"], false);
    assert_eq!(r["errno"], "EPERM");
    let r = s.call("unshare", json!({}));
    eprintln!("unshare(user ns): {r}");
    assert_eq!(r["ok"], false);
    for path in [
        "/usr/mcpwall-escape",
        "/etc/mcpwall-escape",
        "/mcpwall-escape",
        "/proc/sys/kernel/hostname",
    ] {
        let r = s.call("write_file", json!({"path": path}));
        eprintln!("write {path}: {r}");
        assert_eq!(r["ok"], false, "{r}");
    }
    assert!(!Path::new("/usr/mcpwall-escape").exists());
    // Writable places are private: /tmp and the home are tmpfs inside the sandbox.
    let r = s.call("write_file", json!({"path": "/tmp/inside-only"}));
    assert_eq!(r["ok"], true);
    assert!(!Path::new("/tmp/inside-only").exists());
    let status = s.finish();
    assert!(status.success(), "{status:?}");
}

#[test]
fn host_proc_and_environment_are_invisible() {
    if !prerequisites() {
        return;
    }
    // Planted in this process's environment (the helper's parent): must not reach the server.
    std::env::set_var("AWS_SECRET_ACCESS_KEY", "AKIAFAKEFAKEFAKE/planted");
    std::env::set_var("GITHUB_TOKEN", "ghp_plantedplantedplantedplanted0000");
    std::env::set_var("SSH_AUTH_SOCK", "/tmp/planted-agent.sock");
    let mut s = Server::start(&spec(vec![], vec![], Limits::default()));
    let env = s.call("env", json!({}));
    eprintln!("server env: {}", env["env"]);
    let keys: Vec<String> = env["env"].as_object().unwrap().keys().cloned().collect();
    for planted in ["AWS_SECRET_ACCESS_KEY", "GITHUB_TOKEN", "SSH_AUTH_SOCK"] {
        assert!(!keys.contains(&planted.to_owned()), "{planted} leaked");
    }
    assert_eq!(env["env"]["DECLARED_VAR"], "declared-value");
    for k in &keys {
        assert!(
            ["PATH", "HOME", "TMPDIR", "DECLARED_VAR", "LC_CTYPE", "PWD"].contains(&k.as_str()),
            "unexpected variable `{k}`"
        );
    }
    // PID 1 is the sandbox's init, not the host's; its environ is unreadable or empty.
    let r = s.call("read_file", json!({"path": "/proc/1/environ"}));
    eprintln!("/proc/1/environ: {r}");
    let content = r["content"].as_str().unwrap_or_default();
    assert!(!content.contains("planted"), "{r}");
    assert!(!content.contains("PATH="), "{r}");
    // Only the sandbox's own processes are visible.
    let r = s.call("read_file", json!({"path": "/proc/1/cmdline"}));
    eprintln!("/proc/1/cmdline: {r}");
    assert!(
        !r["content"].as_str().unwrap_or_default().contains("init"),
        "{r}"
    );
    s.finish();
}

#[test]
fn files_outside_declared_paths_are_unreachable() {
    if !prerequisites() {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let ssh = home.path().join(".ssh");
    std::fs::create_dir_all(&ssh).unwrap();
    std::fs::write(ssh.join("id_ed25519"), "PLANTED PRIVATE KEY").unwrap();
    let data = tempfile::tempdir().unwrap();
    std::fs::set_permissions(data.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(data.path().join("readme.txt"), "declared read-only").unwrap();
    let rw = writable_tempdir();
    let mut s = Server::start(&spec(
        vec![data.path().to_path_buf()],
        vec![rw.path().to_path_buf()],
        Limits::default(),
    ));
    let planted = ssh.join("id_ed25519");
    let r = s.call("read_file", json!({"path": planted}));
    eprintln!("read planted key: {r}");
    assert_eq!(r["ok"], false);
    let r = s.call("read_file", json!({"path": "/etc/shadow"}));
    assert_eq!(r["ok"], false);
    let r = s.call("read_file", json!({"path": data.path().join("readme.txt")}));
    assert_eq!(r["ok"], true, "{r}");
    assert_eq!(r["content"], "declared read-only");
    let r = s.call("write_file", json!({"path": data.path().join("x")}));
    eprintln!("write to read-only path: {r}");
    assert_eq!(r["ok"], false);
    let inside = rw.path().join("written-by-server");
    let r = s.call("write_file", json!({"path": inside}));
    assert_eq!(r["ok"], true, "{r}");
    let outside = home.path().join("outside");
    let r = s.call("write_file", json!({"path": outside}));
    eprintln!("write outside rw path: {r}");
    assert_eq!(r["ok"], false);
    s.finish();
    assert_eq!(std::fs::read_to_string(&inside).unwrap(), "escaped\n");
    assert!(!outside.exists());
}

#[test]
fn process_and_memory_limits_bind() {
    if !prerequisites() {
        return;
    }
    let limits = Limits {
        processes: 32,
        memory_mb: 256,
        open_files: 256,
        cpu_seconds: Some(60),
    };
    let mut s = Server::start(&spec(vec![], vec![], limits));
    let r = s.call("fork_bomb", json!({"count": 500}));
    eprintln!("fork bomb (limit 32, asked 500): {r}");
    assert_eq!(r["ok"], false);
    assert!(r["started"].as_u64().unwrap() < 32, "{r}");
    let r = s.call("memory", json!({"total_mb": 2048}));
    eprintln!("memory (limit 256 MiB, asked 2048): {r}");
    assert_eq!(r["ok"], false);
    assert!(r["allocated_mb"].as_u64().unwrap() <= 256, "{r}");
    s.finish();
}

#[test]
fn no_route_out_by_default() {
    if !prerequisites() {
        return;
    }
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut s = Server::start(&spec(vec![], vec![], Limits::default()));
    let r = s.call("connect", json!({"host": "127.0.0.1", "port": port}));
    eprintln!("connect to host loopback :{port}: {r}");
    assert_eq!(r["ok"], false);
    let r = s.call(
        "http_get",
        json!({"url": format!("http://127.0.0.1:{port}/")}),
    );
    assert_eq!(r["ok"], false);
    s.finish();
    listener.set_nonblocking(true).unwrap();
    assert!(
        listener.accept().is_err(),
        "the host listener saw a connection"
    );
}

#[test]
fn crash_reaches_the_client_as_exit_not_hang() {
    if !prerequisites() {
        return;
    }
    let mut s = Server::start(&spec(vec![], vec![], Limits::default()));
    let reply = s.try_request(
        "tools/call",
        json!({"name": "crash", "arguments": {"code": 7}}),
    );
    assert!(reply.is_none(), "{reply:?}");
    let status = s.finish();
    assert_eq!(status.code(), Some(7));
}
