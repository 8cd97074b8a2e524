//! The HTTP front, legacy SSE, shared mode and remote upstreams, over real HTTP on 127.0.0.1.

use std::collections::HashMap;
use std::sync::Arc;

use crate::http_support::*;
use mcpwall_gateway::egress::{RemoteGuard, Resolver};
use mcpwall_gateway::front::http::relayed::{relayed, Upstream};
use mcpwall_gateway::front::http::Connector;
use mcpwall_gateway::mux::Shared;
use mcpwall_gateway::relay::RelayOptions;
use mcpwall_gateway::stack::Stack;
use mcpwall_gateway::upstream::http::{RemoteSpec, RemoteTransport};
use mcpwall_gateway::upstream::stdio::StdioUpstream;
use mcpwall_protocol::jsonrpc::Limits;
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streamable_session_round_trip() {
    let srv = Front::start(FrontOpts::default()).await;
    let c = srv.client();
    let (resp, sid) = c.initialize("echo").await;
    assert_eq!(resp["result"]["serverInfo"]["name"], "echo");
    let sid = sid.expect("session id issued on initialize");

    assert_eq!(
        c.status(
            "echo",
            Some(&sid),
            json!({"jsonrpc":"2.0","method":"notifications/initialized"})
        )
        .await,
        202
    );

    let list = c
        .call_json(
            "echo",
            &sid,
            json!({"jsonrpc":"2.0","id":2,"method":"tools/list"}),
        )
        .await;
    assert!(list["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["name"] == "echo"));

    // Unknown methods and fields are forwarded as they are.
    let unknown = c
        .call_json(
            "echo",
            &sid,
            json!({"jsonrpc":"2.0","id":"x","method":"no/such","params":{"zz":1}}),
        )
        .await;
    assert_eq!(unknown["error"]["code"], -32601);
    assert_eq!(unknown["id"], "x");

    // A client that accepts only SSE gets the answer as an event.
    let r = c
        .post("echo", Some(&sid), &json!({"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hello"}}}), &[("accept", "text/event-stream")])
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/event-stream");
    let events = read_events(r, 1).await;
    let msg: Value = serde_json::from_str(&events[0].data).unwrap();
    assert_eq!(msg["result"]["content"][0]["text"], "hello");

    // DELETE ends the session; its id is then unknown.
    let r = c.delete("echo", &sid).await;
    assert_eq!(r.status(), 204);
    assert_eq!(
        c.status(
            "echo",
            Some(&sid),
            json!({"jsonrpc":"2.0","id":4,"method":"ping"})
        )
        .await,
        404
    );
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_id_is_required_and_checked() {
    let srv = Front::start(FrontOpts::default()).await;
    let c = srv.client();
    assert_eq!(
        c.status(
            "echo",
            None,
            json!({"jsonrpc":"2.0","id":1,"method":"tools/list"})
        )
        .await,
        400
    );
    assert_eq!(
        c.status(
            "echo",
            Some("nope"),
            json!({"jsonrpc":"2.0","id":1,"method":"tools/list"})
        )
        .await,
        404
    );
    assert_eq!(
        c.status(
            "nosuch",
            None,
            json!({"jsonrpc":"2.0","id":1,"method":"initialize","params":{}})
        )
        .await,
        404
    );
    let r = c.post_raw("echo", None, b"{not json", &[]).await;
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], -32700);
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_travels_on_the_request_stream() {
    let srv = Front::start(FrontOpts::default()).await;
    let c = srv.client();
    let (_, sid) = c.initialize("echo").await;
    let sid = sid.unwrap();
    let call = json!({"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"slow","arguments":{"ms":50,"text":"done"},"_meta":{"progressToken":"tok"}}});
    let r = c.post("echo", Some(&sid), &call, &[]).await;
    assert_eq!(r.headers()["content-type"], "text/event-stream");
    let events = read_events(r, 2).await;
    let first: Value = serde_json::from_str(&events[0].data).unwrap();
    assert_eq!(first["method"], "notifications/progress");
    assert_eq!(first["params"]["progressToken"], "tok");
    let last: Value = serde_json::from_str(&events[1].data).unwrap();
    assert_eq!(last["result"]["content"][0]["text"], "done");
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_request_reaches_client_and_answer_returns() {
    let srv = Front::start(FrontOpts::default()).await;
    let c = srv.client();
    let (_, sid) = c.initialize("echo").await;
    let sid = sid.unwrap();
    let call = json!({"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"sample","arguments":{}}});
    let r = c.post("echo", Some(&sid), &call, &[]).await;
    let mut stream = EventReader::new(r);
    let req: Value = serde_json::from_str(&stream.next().await.unwrap().data).unwrap();
    assert_eq!(req["method"], "sampling/createMessage");
    let answer = json!({"jsonrpc":"2.0","id":req["id"],"result":{"role":"assistant","content":{"type":"text","text":"pong"},"model":"m"}});
    assert_eq!(c.post("echo", Some(&sid), &answer, &[]).await.status(), 202);
    let done: Value = serde_json::from_str(&stream.next().await.unwrap().data).unwrap();
    assert_eq!(done["result"]["content"][0]["text"], "sampled:pong");
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn standalone_get_stream_carries_unrelated_notifications() {
    let srv = Front::start(FrontOpts::default()).await;
    let c = srv.client();
    let (_, sid) = c.initialize("echo").await;
    let sid = sid.unwrap();
    let get = c.get("echo", &sid).await;
    assert_eq!(get.status(), 200);
    let mut stream = EventReader::new(get);
    let res = c.call_json("echo", &sid, json!({"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"notify","arguments":{}}})).await;
    assert_eq!(res["result"]["content"][0]["text"], "notified");
    let note: Value = serde_json::from_str(&stream.next().await.unwrap().data).unwrap();
    assert_eq!(note["method"], "notifications/tools/list_changed");
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_origin_and_rebinding_host_are_refused() {
    let srv = Front::start(FrontOpts::default()).await;
    let c = srv.client();
    let init = initialize_msg(1);
    let r = c
        .post("echo", None, &init, &[("origin", "http://evil.example")])
        .await;
    assert_eq!(r.status(), 403);
    let r = c
        .post("echo", None, &init, &[("host", "evil.example")])
        .await;
    assert_eq!(r.status(), 403);
    let r = c
        .post("echo", None, &init, &[("origin", "http://localhost:1234")])
        .await;
    assert_eq!(r.status(), 200);
    srv.stop().await;

    let srv = Front::start(FrontOpts {
        origins: vec!["https://app.example".into()],
        ..FrontOpts::default()
    })
    .await;
    let r = srv
        .client()
        .post("echo", None, &init, &[("origin", "https://app.example")])
        .await;
    assert_eq!(r.status(), 200);
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bearer_token_is_required_when_configured() {
    let srv = Front::start(FrontOpts {
        tokens: vec![("t0ken".into(), "alice".into())],
        ..FrontOpts::default()
    })
    .await;
    let c = srv.client();
    let init = initialize_msg(1);
    let r = c.post("echo", None, &init, &[]).await;
    assert_eq!(r.status(), 401);
    assert!(r.headers().contains_key("www-authenticate"));
    let r = c
        .post("echo", None, &init, &[("authorization", "Bearer wrong")])
        .await;
    assert_eq!(r.status(), 401);
    let r = c
        .post("echo", None, &init, &[("authorization", "Bearer t0ken")])
        .await;
    assert_eq!(r.status(), 200);
    let sid = r.headers()["mcp-session-id"].to_str().unwrap().to_owned();
    // The session belongs to the identity that opened it.
    assert_eq!(
        c.status(
            "echo",
            Some(&sid),
            json!({"jsonrpc":"2.0","id":2,"method":"ping"})
        )
        .await,
        401
    );
    srv.stop().await;
}

#[tokio::test]
async fn refuses_to_listen_beyond_loopback_without_token() {
    use mcpwall_gateway::front::http::{HttpFront, ServeError};
    let cfg = front_config(&FrontOpts::default());
    let err = HttpFront::bind("0.0.0.0:0".parse().unwrap(), cfg)
        .await
        .err()
        .expect("must refuse");
    assert!(matches!(err, ServeError::TokenRequired(_)), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stateless_headers_must_match_body() {
    let srv = Front::start(FrontOpts::default()).await;
    let c = srv.client();
    let meta = json!({"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientInfo":{"name":"t","version":"1"}});
    let discover =
        json!({"jsonrpc":"2.0","id":1,"method":"server/discover","params":{"_meta":meta}});
    let r = c
        .post(
            "echo",
            None,
            &discover,
            &[
                ("mcp-protocol-version", "2026-07-28"),
                ("mcp-method", "server/discover"),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    assert!(
        !r.headers().contains_key("mcp-session-id"),
        "stateless revision has no session id"
    );
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["result"]["supportedVersions"][0], "2026-07-28");

    let call = json!({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"text":"s"},"_meta":meta}});
    let v = ("mcp-protocol-version", "2026-07-28");
    let r = c
        .post(
            "echo",
            None,
            &call,
            &[v, ("mcp-method", "tools/call"), ("mcp-name", "echo")],
        )
        .await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["result"]["content"][0]["text"], "s");

    for (hdrs, needle) in [
        (
            vec![v, ("mcp-method", "tools/call"), ("mcp-name", "delete_all")],
            "`delete_all`",
        ),
        (
            vec![v, ("mcp-method", "tools/list"), ("mcp-name", "echo")],
            "mcp-method",
        ),
        (
            vec![v, ("mcp-name", "echo")],
            "mcp-method header is required",
        ),
        (
            vec![v, ("mcp-method", "tools/call")],
            "mcp-name header is required",
        ),
    ] {
        let r = c.post("echo", None, &call, &hdrs).await;
        assert_eq!(r.status(), 400, "{hdrs:?}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], -32020);
        assert_eq!(body["id"], 2);
        let m = body["error"]["message"].as_str().unwrap();
        assert!(m.contains(needle), "{m}");
    }
    // GET has no meaning in the stateless revision.
    let r = c.raw_get("echo", &[v]).await;
    assert_eq!(r.status(), 405);
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_session_gets_its_own_child() {
    let srv = Front::start(FrontOpts::default()).await;
    let c = srv.client();
    let (_, a) = c.initialize("echo").await;
    let (_, b) = c.initialize("echo").await;
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_ne!(a, b);
    let who = |sid: String| {
        let c = c.clone();
        async move {
            let r = c.call_json("echo", &sid, json!({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"whoami","arguments":{}}})).await;
            r["result"]["structuredContent"]["pid"].as_i64().unwrap()
        }
    };
    let (pa, pb) = (who(a.clone()).await, who(b.clone()).await);
    assert_ne!(pa, pb, "two sessions must not share a server process");
    assert_eq!(pa, who(a).await, "a session keeps its child");
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn legacy_sse_round_trip() {
    let srv = Front::start(FrontOpts::default()).await;
    let c = srv.client();
    for path in ["/sse/echo", "/mcp/echo/sse"] {
        let r = c
            .raw(reqwest::Method::GET, path)
            .header("accept", "text/event-stream")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let mut stream = EventReader::new(r);
        let ep = stream.next().await.unwrap();
        assert_eq!(ep.kind(), "endpoint");
        assert!(
            ep.data.starts_with("/messages/echo?session_id="),
            "{}",
            ep.data
        );
        let post = |body: Value| c.raw(reqwest::Method::POST, &ep.data).json(&body).send();
        assert_eq!(post(initialize_msg(1)).await.unwrap().status(), 202);
        let init: Value = serde_json::from_str(&stream.next().await.unwrap().data).unwrap();
        assert_eq!(init["id"], 1);
        assert_eq!(
            post(json!({"jsonrpc":"2.0","method":"notifications/initialized"}))
                .await
                .unwrap()
                .status(),
            202
        );
        let call = json!({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"text":"old"}}});
        assert_eq!(post(call).await.unwrap().status(), 202);
        let res: Value = serde_json::from_str(&stream.next().await.unwrap().data).unwrap();
        assert_eq!(res["result"]["content"][0]["text"], "old");
    }
    let r = c
        .raw(reqwest::Method::POST, "/messages/echo?session_id=bogus")
        .json(&initialize_msg(1))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    srv.stop().await;
}

fn relayed_servers(upstream: Upstream) -> HashMap<String, Arc<dyn Connector>> {
    let stack = Arc::new(Stack::minimal(None, Limits::default()));
    let mut m: HashMap<String, Arc<dyn Connector>> = HashMap::new();
    m.insert(
        "echo".into(),
        relayed(upstream, stack, RelayOptions::default(), None),
    );
    m
}

fn stdio_upstream() -> Upstream {
    Upstream::Stdio {
        spec: echo_spec(),
        max_line: 1 << 20,
    }
}

async fn call_text(c: &Client, sid: &str, id: Value, tool: &str, args: Value) -> Value {
    c.call_json("echo", sid, json!({"jsonrpc":"2.0","id":id,"method":"tools/call","params":{"name":tool,"arguments":args}})).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relayed_sessions_through_the_check_stack() {
    let srv = Front::start(FrontOpts {
        servers: Some(relayed_servers(stdio_upstream())),
        ..FrontOpts::default()
    })
    .await;
    let c = srv.client();
    let (init, a) = c.initialize("echo").await;
    assert_eq!(init["result"]["serverInfo"]["name"], "echo");
    let (_, b) = c.initialize("echo").await;
    let (a, b) = (a.unwrap(), b.unwrap());
    let pa = call_text(&c, &a, json!(1), "whoami", json!({})).await;
    let pb = call_text(&c, &b, json!(1), "whoami", json!({})).await;
    assert_ne!(
        pa["result"]["structuredContent"]["pid"],
        pb["result"]["structuredContent"]["pid"]
    );
    let r = call_text(&c, &a, json!(2), "echo", json!({"text":"through relay"})).await;
    assert_eq!(r["result"]["content"][0]["text"], "through relay");
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shared_mode_same_ids_concurrently_each_get_their_own_answer() {
    let child = StdioUpstream::new(echo_spec(), 1 << 20);
    let shared = Shared::new(child.connect().await.unwrap());
    let srv = Front::start(FrontOpts {
        servers: Some(relayed_servers(Upstream::Shared(shared))),
        ..FrontOpts::default()
    })
    .await;
    let c = srv.client();
    let (ia, a) = c.initialize("echo").await;
    let (ib, b) = c.initialize("echo").await;
    assert_eq!(
        ia["result"], ib["result"],
        "later sessions get the cached handshake"
    );
    assert_eq!(ib["id"], 1);
    let (a, b) = (a.unwrap(), b.unwrap());
    let pa = call_text(&c, &a, json!(1), "whoami", json!({})).await;
    let pb = call_text(&c, &b, json!(1), "whoami", json!({})).await;
    assert_eq!(
        pa["result"]["structuredContent"]["pid"], pb["result"]["structuredContent"]["pid"],
        "one shared child"
    );
    // Same id, same moment, different sessions: the slower call is sent first.
    for round in 0..3 {
        let id = json!(100 + round);
        let (ra, rb) = tokio::join!(
            call_text(&c, &a, id.clone(), "slow", json!({"ms":150,"text":"for-a"})),
            call_text(&c, &b, id.clone(), "slow", json!({"ms":10,"text":"for-b"})),
        );
        assert_eq!(ra["id"], id);
        assert_eq!(rb["id"], id);
        assert_eq!(ra["result"]["content"][0]["text"], "for-a");
        assert_eq!(rb["result"]["content"][0]["text"], "for-b");
    }
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_upstream_streamable_and_legacy() {
    // Inner mcpwall serves the echo server; outer mcpwall reaches it by URL.
    let inner = Front::start(FrontOpts {
        servers: Some(relayed_servers(stdio_upstream())),
        ..FrontOpts::default()
    })
    .await;
    for path in ["/mcp/echo", "/sse/echo"] {
        let mut spec = RemoteSpec::new(inner.url(path).parse().unwrap());
        spec.headers = vec![("x-test".into(), "1".into())];
        spec.transport = RemoteTransport::Auto;
        // The inner gateway is on loopback, which the URL guard refuses unless allowlisted.
        spec.guard = RemoteGuard::from_config(&[], &["127.0.0.0/8".into()]).unwrap();
        let outer = Front::start(FrontOpts {
            servers: Some(relayed_servers(Upstream::Remote(spec))),
            ..FrontOpts::default()
        })
        .await;
        let c = outer.client();
        let (init, sid) = c.initialize("echo").await;
        assert_eq!(init["result"]["serverInfo"]["name"], "echo", "{path}");
        let sid = sid.unwrap();
        let ok = c
            .post(
                "echo",
                Some(&sid),
                &json!({"jsonrpc":"2.0","method":"notifications/initialized"}),
                &[],
            )
            .await;
        assert_eq!(ok.status(), 202);
        let r = call_text(&c, &sid, json!("r1"), "echo", json!({"text":"far away"})).await;
        assert_eq!(r["result"]["content"][0]["text"], "far away", "{path}");
        // Progress from the remote server reaches the outer client on its request stream.
        let call = json!({"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"slow","arguments":{"ms":20,"text":"p"},"_meta":{"progressToken":"t"}}});
        let events = read_events(c.post("echo", Some(&sid), &call, &[]).await, 2).await;
        let first: Value = serde_json::from_str(&events[0].data).unwrap();
        assert_eq!(first["method"], "notifications/progress", "{path}");
        outer.stop().await;
    }
    inner.stop().await;
}

/// Remote targets the URL guard refuses (metadata, private, loopback by address or by name) are
/// refused before any connection: the client gets a readable error, the audit trail a denial,
/// and a real listener behind the loopback name and address never sees a connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_upstream_refused_by_the_url_guard_before_connecting() {
    use mcpwall_gateway::audit_sink::{AuditSink, Decision, MemorySink};
    let memory = MemorySink::default();
    let sink: Arc<dyn AuditSink> = Arc::new(memory.clone());
    mcpwall_gateway::egress::set_audit_sink(&sink);
    let trap = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    trap.set_nonblocking(true).unwrap();
    let port = trap.local_addr().unwrap().port();
    let mut table = HashMap::new();
    table.insert(
        "loopback.acme-mcp.io".to_owned(),
        vec!["127.0.0.1".parse().unwrap()],
    );
    for (url, why) in [
        ("http://169.254.169.254/mcp".to_owned(), "metadata"),
        ("http://10.0.0.1:8080/mcp".to_owned(), "private"),
        (format!("http://127.0.0.1:{port}/mcp"), "loopback"),
        (
            format!("http://loopback.acme-mcp.io:{port}/mcp"),
            "loopback",
        ),
    ] {
        let mut spec = RemoteSpec::new(url.parse().unwrap());
        spec.server = "refused".into();
        spec.guard.resolver = Resolver::Static(table.clone());
        let outer = Front::start(FrontOpts {
            servers: Some(relayed_servers(Upstream::Remote(spec))),
            ..FrontOpts::default()
        })
        .await;
        let r = outer
            .client()
            .post("echo", None, &initialize_msg(1), &[])
            .await;
        let status = r.status().as_u16();
        let body = r.text().await.unwrap();
        assert_eq!(status, 502, "{url}: {body}");
        assert!(
            body.contains("cannot open session to server"),
            "{url}: {body}"
        );
        assert!(
            body.contains("is not allowed") && body.contains(why),
            "{url}: {status} {body}"
        );
        outer.stop().await;
    }
    assert!(trap.accept().is_err(), "a refused target was contacted");
    let denials: Vec<_> = memory
        .events()
        .into_iter()
        .filter(|e| e.server == "refused")
        .collect();
    assert_eq!(denials.len(), 4, "{denials:?}");
    for e in &denials {
        assert_eq!(e.decision, Some(Decision::Deny));
        assert_eq!(e.rule.as_deref(), Some("upstream.url_guard"));
    }
    assert!(denials[3]
        .tool
        .as_deref()
        .unwrap()
        .contains("loopback.acme-mcp.io"));
}

/// The HTTP client is pinned to the addresses the guard checked: a name that no DNS server
/// knows (only the guard's resolver table has it) still reaches the inner gateway, so reqwest
/// never resolved it again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_upstream_connects_to_the_checked_address_only() {
    let inner = Front::start(FrontOpts {
        servers: Some(relayed_servers(stdio_upstream())),
        ..FrontOpts::default()
    })
    .await;
    let port = inner
        .url("/mcp/echo")
        .parse::<url::Url>()
        .unwrap()
        .port()
        .unwrap();
    let mut spec = RemoteSpec::new(
        format!("http://pinned.acme-mcp.invalid-tld-for-tests:{port}/mcp/echo")
            .parse()
            .unwrap(),
    );
    spec.guard = RemoteGuard::from_config(
        &["pinned.acme-mcp.invalid-tld-for-tests".into()],
        &["127.0.0.0/8".into()],
    )
    .unwrap();
    // The inner front only accepts loopback `Host` values (DNS-rebinding protection).
    spec.headers = vec![("host".into(), format!("127.0.0.1:{port}"))];
    spec.guard.resolver = Resolver::Static(HashMap::from([(
        "pinned.acme-mcp.invalid-tld-for-tests".to_owned(),
        vec!["127.0.0.1".parse().unwrap()],
    )]));
    let outer = Front::start(FrontOpts {
        servers: Some(relayed_servers(Upstream::Remote(spec))),
        ..FrontOpts::default()
    })
    .await;
    let c = outer.client();
    let (init, sid) = c.initialize("echo").await;
    assert_eq!(init["result"]["serverInfo"]["name"], "echo", "{init}");
    let r = call_text(
        &c,
        &sid.unwrap(),
        json!(2),
        "echo",
        json!({"text": "pinned"}),
    )
    .await;
    assert_eq!(r["result"]["content"][0]["text"], "pinned");
    outer.stop().await;
    inner.stop().await;
}
