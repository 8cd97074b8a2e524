//! `mcpwall wrap` mechanics: transparency, limits, timeouts, kill switch, crash, reaping, audit.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::{Gateway, Opts};

#[test]
fn transparent_for_unknown_methods_fields_batches_and_server_requests() {
    let mut g = Gateway::start(Opts::default());
    let init = g.initialize();
    assert_eq!(init["result"]["serverInfo"]["name"], "mock");

    // Unknown method with unknown fields, at top level and in params: arrives untouched.
    let odd = json!({"jsonrpc": "2.0", "id": 5, "method": "vendor/thing", "params": {"deep": {"x": [1, 2, {"y": null}]}, "_meta": {"k": "v"}}, "x-top": true});
    g.send(&odd);
    let (r, _) = g.recv_id(&json!(5));
    assert_eq!(r["result"]["echo"], odd);

    // Unknown result fields come back untouched.
    let r = g.call(6, "echo", json!({"m": "hi"}));
    assert_eq!(r["result"]["x-unknown"]["kept"], true);

    // A batch is forwarded as a batch and answered as one.
    g.send(&json!([
        {"jsonrpc": "2.0", "id": 7, "method": "tools/list"},
        {"jsonrpc": "2.0", "method": "notifications/whatever"},
        {"jsonrpc": "2.0", "id": 8, "method": "tools/call", "params": {"name": "echo", "arguments": {"b": 2}}}
    ]));
    let batch = g.recv();
    let arr = batch.as_array().expect("batch answer");
    assert_eq!(arr.len(), 2);
    assert_eq!(arr[0]["result"]["tools"][0]["x-vendor"], true);
    assert_eq!(arr[1]["id"], 8);

    // Server notifications reach the client.
    g.send(&json!({"jsonrpc": "2.0", "method": "test/notify-me"}));
    let n = g.recv();
    assert_eq!(n["method"], "notifications/message");
    assert_eq!(n["params"]["x-extra"], 1);

    // Server-to-client request (sampling) and its answer travel both ways.
    g.send(&json!({"jsonrpc": "2.0", "id": 9, "method": "tools/call", "params": {"name": "ask"}}));
    let req = g.recv();
    assert_eq!(req["method"], "sampling/createMessage");
    assert_eq!(req["id"], "srv-9");
    g.send(&json!({"jsonrpc": "2.0", "id": "srv-9", "result": {"role": "assistant", "content": {"type": "text", "text": "ok"}, "x-client": 1}}));
    let (r, _) = g.recv_id(&json!(9));
    let seen: Value =
        serde_json::from_str(r["result"]["content"][0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(seen["result"]["x-client"], 1);

    // The 2026-07-28 handshake passes as well.
    let d = g.request(10, "server/discover", json!({}));
    assert_eq!(d["result"]["supportedVersions"][0], "2026-07-28");
}

#[test]
fn malformed_and_oversized_input_gets_errors_and_the_gateway_keeps_working() {
    let mut g = Gateway::start(Opts {
        extra_args: &["--max-message-bytes", "2048", "--max-depth", "8"],
        ..Opts::default()
    });
    g.initialize();
    g.send_raw("{not json");
    let e = g.recv();
    assert_eq!(e["error"]["code"], -32700);
    assert_eq!(e["id"], Value::Null);

    g.send_raw(r#"{"jsonrpc":"1.0","id":3,"method":"x"}"#);
    let e = g.recv();
    assert_eq!(e["error"]["code"], -32600);
    assert_eq!(e["id"], 3);

    // One line far beyond the cap: a clean error, not a crash, not a buffer of it.
    let huge = format!(
        r#"{{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{{"name":"echo","arguments":{{"s":"{}"}}}}}}"#,
        "a".repeat(1 << 20)
    );
    g.send_raw(&huge);
    let e = g.recv();
    assert_eq!(e["error"]["code"], -32600);
    assert!(e["error"]["message"]
        .as_str()
        .unwrap()
        .contains("exceeds the limit"));

    // Too deep: refused by the limits stage, with the id.
    let deep = format!(
        r#"{{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{{"name":"echo","arguments":{{"a":{}1{}}}}}}}"#,
        "[".repeat(20),
        "]".repeat(20)
    );
    g.send_raw(&deep);
    let (e, _) = g.recv_id(&json!(5));
    assert_eq!(e["error"]["code"], -32043);
    assert_eq!(e["error"]["data"]["mcpwall"]["rule"], "limits.max_depth");

    // An oversized answer from the server is dropped (the request then times out or fails):
    // and the session goes on.
    let r = g.call(6, "echo", json!({"still": "alive"}));
    assert_eq!(r["result"]["isError"], false);
}

#[test]
fn timeout_answers_the_client_and_cancels_upstream() {
    let mut g = Gateway::start(Opts {
        extra_args: &["--call-timeout-ms", "1500"],
        ..Opts::default()
    });
    g.initialize();
    let e = g.call(11, "slow", json!({}));
    assert_eq!(e["error"]["code"], -32001);
    assert!(e["error"]["message"]
        .as_str()
        .unwrap()
        .contains("timed out"));
    let r = g.call(12, "cancelled?", json!({}));
    assert!(r["result"].is_object(), "{r}");
    let ids: Value =
        serde_json::from_str(r["result"]["content"][0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(ids, json!([11]));
}

#[test]
fn client_cancellation_is_forwarded() {
    let mut g = Gateway::start(Opts::default());
    g.initialize();
    g.send(
        &json!({"jsonrpc": "2.0", "id": 21, "method": "tools/call", "params": {"name": "slow"}}),
    );
    g.send(&json!({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 21, "reason": "user"}}));
    let r = g.call(22, "cancelled?", json!({}));
    let ids: Value =
        serde_json::from_str(r["result"]["content"][0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(ids, json!([21]));
}

/// Calls `echo` until `pred` holds for the answer (bounded); returns the elapsed time.
fn until(g: &mut Gateway, first_id: i64, pred: impl Fn(&Value) -> bool) -> Duration {
    let start = Instant::now();
    for i in 0..200 {
        let r = g.call(first_id + i, "echo", json!({}));
        if pred(&r) {
            return start.elapsed();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("condition never held");
}

#[test]
fn kill_switch_refuses_tool_calls_within_a_second_and_resume_restores() {
    let mut g = Gateway::start(Opts::default());
    g.initialize();
    assert!(g.call(1, "echo", json!({}))["result"].is_object());

    let out = g.mcpwall(&["kill", "--server", "mock", "--reason", "incident 42"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let took = until(&mut g, 100, |r| r["error"]["code"] == -32040);
    assert!(took < Duration::from_secs(1), "kill switch took {took:?}");
    let r = g.call(400, "echo", json!({}));
    assert!(r["error"]["message"]
        .as_str()
        .unwrap()
        .contains("incident 42"));
    // Other methods keep working.
    let l = g.request(401, "tools/list", json!({}));
    assert!(l["result"]["tools"].is_array());

    // A switch for another server does not apply; resume releases.
    let out = g.mcpwall(&["resume"]);
    assert!(out.status.success());
    let took = until(&mut g, 500, |r| r["result"].is_object());
    assert!(took < Duration::from_secs(1), "resume took {took:?}");
    let out = g.mcpwall(&["kill", "--server", "other"]);
    assert!(out.status.success());
    std::thread::sleep(Duration::from_millis(600));
    assert!(g.call(800, "echo", json!({}))["result"].is_object());

    // The global switch applies to every server.
    let out = g.mcpwall(&["kill"]);
    assert!(out.status.success());
    until(&mut g, 900, |r| r["error"]["code"] == -32040);
}

#[test]
fn upstream_crash_fails_inflight_and_ends_the_session() {
    let mut g = Gateway::start(Opts::default());
    g.initialize();
    g.send(
        &json!({"jsonrpc": "2.0", "id": 30, "method": "tools/call", "params": {"name": "slow"}}),
    );
    g.send(
        &json!({"jsonrpc": "2.0", "id": 31, "method": "tools/call", "params": {"name": "crash"}}),
    );
    let mut ids = Vec::new();
    for _ in 0..2 {
        let e = g.recv();
        assert_eq!(e["error"]["code"], -32000, "{e}");
        assert!(e["error"]["message"].as_str().unwrap().contains("exited"));
        ids.push(e["id"].as_i64().unwrap());
    }
    ids.sort_unstable();
    assert_eq!(ids, vec![30, 31]);
    let status = g.wait_exit();
    assert_eq!(status.code(), Some(3), "exit code follows the server's");
}

#[test]
fn restart_on_failure_replays_the_handshake() {
    let dir = tempfile::tempdir().unwrap();
    let starts = dir.path().join("starts");
    let env = format!("env = {{ MOCK_STARTS = \"{}\" }}", starts.display());
    let mut g = Gateway::start(Opts {
        extra_args: &["--restart", "on-failure"],
        config_extra: &env,
        ..Opts::default()
    });
    g.initialize();
    let e = g.call(40, "crash", json!({}));
    assert_eq!(e["error"]["code"], -32000);
    // While restarting, calls get a clear error; afterwards they work again.
    let took = until(&mut g, 41, |r| r["result"].is_object());
    assert!(took < Duration::from_secs(10));
    let lines = std::fs::read_to_string(&starts).unwrap();
    assert_eq!(lines.lines().count(), 2);
}

#[test]
fn client_eof_terminates_and_reaps_the_child() {
    let mut g = Gateway::start(Opts::default());
    g.initialize();
    let r = g.call(50, "pid", json!({}));
    let pid: u32 = r["result"]["content"][0]["text"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(std::path::Path::new(&format!("/proc/{pid}")).exists());
    // Answers in flight at EOF are still delivered (as with a direct server).
    g.send(&json!({"jsonrpc": "2.0", "id": 51, "method": "tools/call", "params": {"name": "echo", "arguments": {"last": true}}}));
    g.close_stdin();
    let (last, _) = g.recv_id(&json!(51));
    assert_eq!(last["result"]["isError"], false);
    let status = g.wait_exit();
    assert!(status.success());
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    assert!(stat.is_empty(), "child {pid} still exists: {stat}");
}

#[test]
fn audit_trail_records_the_session() {
    let mut g = Gateway::start(Opts::default());
    g.initialize();
    g.call(
        60,
        "echo",
        // A well-formed GitHub PAT (ghp_ + 36): the vendor rule claims it.
        json!({"secret": "ghp_Xq9Lm2Np8Zt6Wy1Kc3Hb5JdR4nd0mT0k3nVa"}),
    );
    let out = g.mcpwall(&["kill", "--server", "mock", "--reason", "audit test"]);
    assert!(out.status.success());
    until(&mut g, 61, |r| r["error"]["code"] == -32040);
    g.close_stdin();
    assert!(g.wait_exit().success());
    let store = mcpwall_audit::Store::open_existing(g.audit_db()).unwrap();
    let records = store.tail(1000).unwrap();
    let kinds: Vec<String> = records
        .iter()
        .map(|r| r.event.kind.as_str().to_owned())
        .collect();
    for k in [
        "session_start",
        "handshake",
        "call",
        "result",
        "denial",
        "kill_switch",
        "session_end",
    ] {
        assert!(kinds.iter().any(|x| x == k), "no `{k}` record in {kinds:?}");
    }
    let call = records
        .iter()
        .find(|r| r.event.kind.as_str() == "call" && r.event.request_id.as_deref() == Some("60"))
        .unwrap();
    assert_eq!(call.event.tool.as_deref(), Some("echo"));
    assert!(call.event.args_sha256.is_some());
    let text =
        serde_json::to_string(&records.iter().map(|r| &r.event).collect::<Vec<_>>()).unwrap();
    assert!(
        !text.contains("ghp_Xq9Lm2Np8Zt6Wy1Kc3Hb5JdR4nd0mT0k3nVa"),
        "a secret reached the trail in clear"
    );
    let denial = records
        .iter()
        .find(|r| r.event.kind.as_str() == "denial")
        .unwrap();
    assert_eq!(denial.event.rule.as_deref(), Some("kill_switch"));
}

#[test]
fn over_long_server_line_answers_the_request_and_is_audited() {
    let mut g = Gateway::start(Opts {
        extra_args: &["--max-message-bytes", "2000"],
        ..Opts::default()
    });
    g.initialize();
    // The answer is one line of about 5000 bytes: over the cap, so it never reaches the client.
    let r = g.call(70, "big", json!({"size": 5000}));
    assert_eq!(r["id"], 70);
    assert_eq!(r["error"]["code"], -32043, "{r}");
    let msg = r["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("exceeds the line limit of 2000 bytes"),
        "{msg}"
    );
    // The session goes on.
    let ok = g.call(71, "big", json!({"size": 10}));
    assert!(ok.get("result").is_some(), "{ok}");
    g.close_stdin();
    assert!(g.wait_exit().success());
    let store = mcpwall_audit::Store::open_existing(g.audit_db()).unwrap();
    let denial = store
        .tail(100)
        .unwrap()
        .into_iter()
        .find(|r| r.event.kind.as_str() == "denial")
        .expect("no denial record for the over-long line");
    assert_eq!(
        denial.event.rule.as_deref(),
        Some("limits.max_message_bytes")
    );
    assert_eq!(denial.event.request_id.as_deref(), Some("70"));
    assert_eq!(denial.event.tool.as_deref(), Some("big"));
}

#[test]
fn log_levels_name_denials_and_calls_but_never_payloads() {
    let mut g = Gateway::start(Opts {
        extra_args: &["--max-depth", "8"],
        env: vec![("MCPWALL_LOG", "debug".to_owned())],
        stderr_to_file: true,
        ..Opts::default()
    });
    g.initialize();
    let marker = "payload-marker-7f3a9c";
    assert!(g.call(2, "echo", json!({ "text": marker }))["result"].is_object());
    let deep = format!(
        r#"{{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{{"name":"echo","arguments":{{"a":{}"{marker}"{}}}}}}}"#,
        "[".repeat(20),
        "]".repeat(20)
    );
    g.send_raw(&deep);
    let (e, _) = g.recv_id(&json!(3));
    assert_eq!(e["error"]["code"], -32043);
    g.close_stdin();
    let _ = g.child.wait();
    let log = std::fs::read_to_string(g.dir.path().join("stderr.log")).unwrap();
    let has = |words: &[&str]| log.lines().any(|l| words.iter().all(|w| l.contains(w)));
    assert!(has(&["request forwarded", "tools/call", "echo"]), "{log}");
    assert!(has(&["response", "tools/call", "latency_us"]), "{log}");
    assert!(has(&["denied", "limits.max_depth"]), "{log}");
    assert!(!log.contains(marker), "a payload reached the log: {log}");
    // Plain text for log files: no terminal colors when stderr is not a terminal.
    assert!(!log.contains('\u{1b}'), "{log}");
}
