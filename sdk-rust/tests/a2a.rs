//! The outbound A2A helper, natively: the JSON-RPC requests it builds in both A2A versions, and
//! what it reads from answers — Tasks and Messages in 1.0's and 0.3's JSON, streams, JSON-RPC
//! errors, HTTP statuses, and what a hostile server might send (deep nesting, truncation, not
//! JSON) — each a result or a typed error, never a panic. The e2e test (runtime/test/a2a/
//! a2a-outbound.test.ts) runs the same helper in examples/rust-a2a-caller on a real node.
use caxton_sdk::a2a::{self, A2aErrorKind, A2aResponse, A2aResultKind, A2aSend, A2aTaskCall, A2aVersion};
use caxton_sdk::http::{self, HttpErrorKind};
use caxton_sdk::json::{self, Json, JsonError};
use caxton_sdk::*;

fn body_of(r: &http::Request) -> Json {
    json::parse(r.body.as_deref().expect("a body")).expect("the body is JSON")
}

fn header<'a>(r: &'a http::Request, name: &str) -> Option<&'a str> {
    r.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

#[test]
fn send_builds_a2a_1_0_send_message_with_the_version_header_and_the_marked_context() {
    let r = a2a::send_request(&A2aSend::new("https://agent.example/a2a/jsonrpc", "héllo \"q\"\n").token("tok").context("whom").context_id("ctx-1").message_id("m-1"));
    assert_eq!(r.method, "POST");
    assert_eq!(r.url, "https://agent.example/a2a/jsonrpc");
    assert_eq!(header(&r, "a2a-version"), Some("1.0"));
    assert_eq!(header(&r, "authorization"), Some("Bearer tok"));
    assert_eq!(header(&r, "accept"), Some("application/json"));
    assert_eq!(r.context.as_deref(), Some("caxton-a2a:whom"));
    let b = body_of(&r);
    assert_eq!(b.str("jsonrpc"), Some("2.0"));
    assert_eq!(b.str("method"), Some("SendMessage"));
    let params = b.object("params").unwrap();
    let m = params.object("message").unwrap();
    assert_eq!(m.str("role"), Some("ROLE_USER"));
    assert_eq!(m.str("messageId"), Some("m-1"));
    assert_eq!(m.str("contextId"), Some("ctx-1"));
    assert_eq!(m.get("parts").unwrap().as_array().unwrap()[0].str("text"), Some("héllo \"q\"\n"));
    assert_eq!(params.object("configuration").unwrap().get("returnImmediately"), Some(&Json::Bool(false)));
}

#[test]
fn version_0_3_speaks_message_send_and_the_other_methods_are_named_per_version() {
    let r = a2a::send_request(&A2aSend::new("http://a/rpc", "x").version(A2aVersion::V0_3));
    assert_eq!(header(&r, "a2a-version"), None);
    assert_eq!(header(&r, "authorization"), None);
    let b = body_of(&r);
    assert_eq!(b.str("method"), Some("message/send"));
    let m = b.object("params").unwrap().object("message").unwrap();
    assert_eq!(m.str("kind"), Some("message"));
    assert_eq!(m.str("role"), Some("user"));
    assert_eq!(m.get("parts").unwrap().as_array().unwrap()[0].str("kind"), Some("text"));
    assert!(m.str("messageId").is_some(), "the host makes a message id");
    assert_eq!(b.object("params").unwrap().object("configuration").unwrap().get("blocking"), Some(&Json::Bool(true)));

    let s = a2a::stream_request(&A2aSend::new("http://a/rpc", "x"));
    assert_eq!(body_of(&s).str("method"), Some("SendStreamingMessage"));
    assert_eq!(header(&s, "accept"), Some("text/event-stream"));
    assert_eq!(s.context.as_deref(), Some("caxton-a2a-sse:"));
    let g = a2a::get_task_request(&A2aTaskCall::new("http://a/rpc", "t-1").history_length(3).timeout_ms(900));
    let gb = body_of(&g);
    assert_eq!(gb.str("method"), Some("GetTask"));
    assert_eq!(gb.object("params").unwrap().str("id"), Some("t-1"));
    assert_eq!(gb.object("params").unwrap().get("historyLength"), Some(&Json::Number(3.0)));
    assert_eq!(g.timeout_ms, Some(900));
    let c = a2a::cancel_task_request(&A2aTaskCall::new("http://a/rpc", "t-1").version(A2aVersion::V0_3));
    assert_eq!(body_of(&c).str("method"), Some("tasks/cancel"));
    assert_eq!(a2a::get_task_request(&A2aTaskCall::new("http://a/rpc", "t").version(A2aVersion::V0_3)).body.map(|b| b.contains("\"tasks/get\"")), Some(true));
    assert_eq!(body_of(&a2a::stream_request(&A2aSend::new("http://a", "x").version(A2aVersion::V0_3))).str("method"), Some("message/stream"));
    assert_eq!(A2aVersion::parse("0.3"), Some(A2aVersion::V0_3));
    assert_eq!(A2aVersion::parse("2"), None);
}

#[test]
fn send_goes_through_the_http_call_and_a_refusal_is_a_typed_refused() {
    http::test_http::take();
    let id = a2a::send(&A2aSend::new("http://agent/rpc", "hi")).unwrap();
    let calls = http::test_http::take();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].0, id);
    let e = a2a::get(&A2aTaskCall::new("ftp://agent/rpc", "t")).unwrap_err();
    assert_eq!(e.kind, A2aErrorKind::Refused);
    assert!(e.to_string().starts_with("a2a: refused: invalid-request: "), "{}", e);
    assert_eq!(HttpErrorKind::InvalidRequest.name(), "invalid-request");
}

#[test]
fn tasks_and_messages_of_both_versions_read_into_one_shape() {
    let t = a2a::result_from_body(r#"{"jsonrpc":"2.0","id":1,"result":{"task":{"id":"t","contextId":"c","status":{"state":"TASK_STATE_COMPLETED","message":{"parts":[{"text":"status"}]}},"artifacts":[{"parts":[{"text":"a"},{"data":{}},{"text":"b"}]},{"parts":[]}]}}}"#).unwrap();
    assert_eq!(t.kind, A2aResultKind::Task);
    assert_eq!((t.task_id.as_deref(), t.context_id.as_deref(), t.state.as_deref(), t.is_final), (Some("t"), Some("c"), Some("completed"), true));
    assert_eq!(t.text, "a\nb", "the artifacts' text before the status message's");
    let w = a2a::result_from_body(r#"{"jsonrpc":"2.0","id":1,"result":{"kind":"task","id":"t","status":{"state":"input-required","message":{"parts":[{"kind":"text","text":"more?"}]}}}}"#).unwrap();
    assert_eq!((w.state.as_deref(), w.is_final, w.text.as_str()), (Some("input-required"), false, "more?"));
    // GetTask and CancelTask answer the Task itself, without a kind.
    let g = a2a::result_from_body(r#"{"jsonrpc":"2.0","id":2,"result":{"id":"t","status":{"state":"TASK_STATE_CANCELED"}}}"#).unwrap();
    assert_eq!(g.state.as_deref(), Some("canceled"));
    let m = a2a::result_from_body(r#"{"jsonrpc":"2.0","id":1,"result":{"kind":"message","messageId":"m1","role":"agent","parts":[{"kind":"text","text":"old"},{"kind":"data","data":{}},{"kind":"text","text":"style"}]}}"#).unwrap();
    assert_eq!((m.kind, m.message_id.as_deref(), m.state.clone(), m.is_final, m.text.as_str()), (A2aResultKind::Message, Some("m1"), None, true, "old\nstyle"));
    let e = a2a::result_from_body(r#"{"jsonrpc":"2.0","id":1,"result":{"task":{"id":"t","status":{"state":"TASK_STATE_COMPLETED","message":{"parts":[{"text":"te\u0073t \"q\" \u00e9\n \ud83d\ude00"}]}}}}}"#).unwrap();
    assert_eq!(e.text, "test \"q\" é\n 😀");
}

#[test]
fn json_rpc_errors_http_statuses_and_no_response_are_typed() {
    let e = a2a::result_from_body(r#"{"jsonrpc":"2.0","id":1,"error":{"code":-32001,"message":"Task not found","data":{"hint":"check the id"}}}"#).unwrap_err();
    assert_eq!((e.kind, e.code, e.reason.as_str()), (A2aErrorKind::RpcError, Some(-32001), "Task not found (check the id)"));
    let mut msg = AclMessage::new(Performative::Inform);
    msg.sender = Some(AgentId::new("http@caxton"));
    msg.in_reply_to = Some("http-9".into());
    msg.content = Some(r#"{"jsonrpc":"2.0","id":1,"error":{"code":-32600,"message":"missing token"}}"#.into());
    msg.user_params = vec![(http::STATUS_PARAM.into(), "401".into()), (http::CONTEXT_PARAM.into(), "caxton-a2a:bob".into())];
    let r = A2aResponse::from_message(&msg).expect("an A2A answer");
    assert_eq!((r.request_id.as_str(), r.context.as_str()), ("http-9", "bob"));
    let e = r.result.unwrap_err();
    assert_eq!((e.kind, e.status), (A2aErrorKind::HttpStatus, Some(401)));
    assert_eq!(e.to_string(), "a2a: http-status: HTTP 401: missing token");

    msg.content = Some("<html>bad gateway</html>".into());
    msg.user_params[0].1 = "502".into();
    assert_eq!(A2aResponse::from_message(&msg).unwrap().result.unwrap_err().reason, "HTTP 502: <html>bad gateway</html>");

    let mut failed = AclMessage::new(Performative::Failure);
    failed.sender = Some(AgentId::new("http@caxton"));
    failed.user_params = vec![(http::FAILURE_PARAM.into(), "too-large".into()), (http::CONTEXT_PARAM.into(), "caxton-a2a-sse:x".into())];
    let e = A2aResponse::from_message(&failed).unwrap().result.unwrap_err();
    assert_eq!((e.kind, e.failure.as_deref()), (A2aErrorKind::NoResponse, Some("too-large")));
    assert_eq!(e.to_string(), "a2a: no-response: no response: too-large");

    // A plain HTTP answer, or a message from an agent, is not an A2A answer.
    msg.user_params[1].1 = "mine".into();
    assert!(A2aResponse::from_message(&msg).is_none());
    msg.sender = Some(AgentId::new("mallory"));
    msg.user_params[1].1 = "caxton-a2a:".into();
    assert!(A2aResponse::from_message(&msg).is_none());
}

#[test]
fn a_hostile_servers_answers_are_malformed_never_a_crash() {
    let malformed = |body: &str| {
        let e = a2a::result_from_body(body).unwrap_err();
        assert_eq!(e.kind, A2aErrorKind::Malformed, "{}: {}", &body[..body.len().min(40)], e);
        e.reason
    };
    assert!(malformed("not json at all").starts_with("the answer is not JSON: not json"));
    assert_eq!(malformed(r#"{"result":{"task":{"id":"t"}}}"#), "the answer is not a JSON-RPC 2.0 response");
    assert_eq!(malformed(r#"{"jsonrpc":"2.0","id":1,"result":{"artifact":{}}}"#), "the result is neither a Task nor a Message");
    assert_eq!(malformed(r#"{"jsonrpc":"2.0","id":1}"#), "the JSON-RPC response has no result");
    assert_eq!(malformed(r#"{"jsonrpc":"2.0","id":1,"result":{"task":{"status":{}}}}"#), "the task has no id");
    assert!(malformed(r#"{"jsonrpc":"2.0","id":1,"result":{"task":{"id":"t","status":{"state":"TASK_STATE_COMP"#).starts_with("the answer is not JSON"));
    // 20,000 levels: refused at the 65th, the stack untouched beyond it.
    let deep = format!(r#"{{"jsonrpc":"2.0","id":1,"result":{}{}}}"#, "[".repeat(20_000), "]".repeat(20_000));
    assert_eq!(malformed(&deep), "the answer nests deeper than 64 levels");
    let deep_stream = format!("data: {}\n\n", "{\"a\":".repeat(100_000));
    assert_eq!(a2a::result_from_sse(&deep_stream).unwrap_err().reason, "an event nests deeper than 64 levels");
}

#[test]
fn a_stream_read_whole_folds_into_the_task_with_every_state_it_passed() {
    let v1 = concat!(
        "data: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"task\":{\"id\":\"t\",\"contextId\":\"c\",\"status\":{\"state\":\"TASK_STATE_SUBMITTED\"}}}}\n\n",
        "data: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"statusUpdate\":{\"taskId\":\"t\",\"status\":{\"state\":\"TASK_STATE_WORKING\"}}}}\r\n\r\n",
        ": a comment\n\n",
        "data: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"statusUpdate\":{\"taskId\":\"t\",\"status\":{\"state\":\"TASK_STATE_WORKING\"}}}}\n\n",
        "data: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"artifactUpdate\":{\"artifact\":{\"artifactId\":\"a\",\"parts\":[{\"text\":\"HEL\"}]}}}}\n\n",
        "data: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"artifactUpdate\":{\"append\":true,\"artifact\":{\"artifactId\":\"a\",\"parts\":[{\"text\":\"LO\"}]}}}}\n\n",
        "data: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"statusUpdate\":{\"taskId\":\"t\",\"final\":true,\"status\":{\"state\":\"TASK_STATE_COMPLETED\"}}}}\n\n",
    );
    let r = a2a::result_from_sse(v1).unwrap();
    assert_eq!((r.task_id.as_deref(), r.context_id.as_deref(), r.state.as_deref(), r.is_final, r.text.as_str()), (Some("t"), Some("c"), Some("completed"), true, "HELLO"));
    assert_eq!(r.states, ["submitted", "working", "completed"]);
    let v03 = concat!(
        "data: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"kind\":\"task\",\"id\":\"t\",\"status\":{\"state\":\"working\"}}}\n\n",
        "data: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"kind\":\"status-update\",\"taskId\":\"t\",\"status\":{\"state\":\"canceled\",\"message\":{\"parts\":[{\"kind\":\"text\",\"text\":\"stopped\"}]}}}}\n\n",
    );
    let r = a2a::result_from_sse(v03).unwrap();
    assert_eq!((r.state.as_deref(), r.text.as_str(), r.states.clone()), (Some("canceled"), "stopped", vec!["working".to_string(), "canceled".to_string()]));
    let m = a2a::result_from_sse("data: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"message\":{\"messageId\":\"m\",\"parts\":[{\"text\":\"hi\"}]}}}\n\n").unwrap();
    assert_eq!((m.kind, m.text.as_str()), (A2aResultKind::Message, "hi"));
    let e = a2a::result_from_sse("data: {\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32001,\"message\":\"Task not found\"}}\n\n").unwrap_err();
    assert_eq!(e.kind, A2aErrorKind::RpcError);
    assert_eq!(a2a::result_from_sse("").unwrap_err().reason, "the stream carried neither a Task nor a Message");
    assert_eq!(a2a::result_from_sse("data: [1]\n\n").unwrap_err().reason, "an event is not a JSON-RPC 2.0 response");
    let many = "data: {\"jsonrpc\":\"2.0\",\"result\":{}}\n\n".repeat(1001);
    assert_eq!(a2a::result_from_sse(&many).unwrap_err().reason, "the stream has 1001 events, more than 1000");
}

/// `{"jsonrpc":"2.0","result":{"task":{"id":"t","artifacts":[{},{},…]}}}` with `n` empty artifacts
/// (each gets its index as id): 60,000 of them are 180 KB, under the deployment's response limit.
fn task_with_artifacts(n: usize) -> String {
    format!("{{\"jsonrpc\":\"2.0\",\"result\":{{\"task\":{{\"id\":\"t\",\"status\":{{\"state\":\"TASK_STATE_COMPLETED\"}},\"artifacts\":[{}]}}}}}}", vec!["{}"; n].join(","))
}

#[test]
fn more_than_1000_artifacts_are_refused_before_they_are_folded() {
    let many = task_with_artifacts(60_000);
    assert!(many.len() > 180_000 && many.len() < 192 * 1024);
    let started = std::time::Instant::now();
    let e = a2a::result_from_sse(&format!("data: {}\n\n", many)).unwrap_err();
    assert_eq!((e.kind, e.reason.as_str()), (A2aErrorKind::Malformed, "the task has more than 1000 artifacts"));
    assert_eq!(a2a::result_from_body(&many).unwrap_err().reason, "the task has more than 1000 artifacts");
    assert!(started.elapsed().as_secs() < 5, "the refusal took {:?}", started.elapsed());
    // 1,000 still fold, in the order first seen, and an id seen again is updated in place.
    let at_bound = a2a::result_from_sse(&format!("data: {}\n\n", task_with_artifacts(1000))).unwrap();
    assert_eq!(at_bound.state.as_deref(), Some("completed"));
    assert!(a2a::result_from_body(&task_with_artifacts(1000)).is_ok());
    let update = |id: &str, text: &str, append: bool| format!("data: {{\"jsonrpc\":\"2.0\",\"result\":{{\"artifactUpdate\":{{\"append\":{},\"artifact\":{{\"artifactId\":\"{}\",\"parts\":[{{\"text\":\"{}\"}}]}}}}}}}}\n\n", append, id, text);
    let folded = format!("data: {}\n\n{}{}{}", task_with_artifacts(0), update("a", "x", false), update("b", "y", false), update("a", "z", true));
    assert_eq!(a2a::result_from_sse(&folded).unwrap().text, "xz\ny");
    // A stream that adds the 1,001st artifact by updates is refused too.
    let mut growing = format!("data: {}\n\n", task_with_artifacts(1000));
    growing.push_str(&update("new", "n", false));
    assert_eq!(a2a::result_from_sse(&growing).unwrap_err().reason, "the task has more than 1000 artifacts");
}

#[test]
fn the_json_reader_is_strict_and_bounded() {
    assert_eq!(json::parse(" [1, -2.5e1, true, null, \"a\\/b\"] ").unwrap(), Json::Array(vec![Json::Number(1.0), Json::Number(-25.0), Json::Bool(true), Json::Null, Json::String("a/b".into())]));
    for bad in ["", "[1,]", "{\"a\" 1}", "01", "1.", "\"\u{1}\"", "[1] x", "tru", "\"\\x\"", "{\"a\":1,}", "-", "\"\\u12\""] {
        assert!(matches!(json::parse(bad), Err(JsonError::Invalid { .. })), "{:?} accepted", bad);
    }
    let at_bound = format!("{}{}", "[".repeat(64), "]".repeat(64));
    assert!(json::parse(&at_bound).is_ok());
    assert_eq!(json::parse(&format!("{}{}", "[".repeat(65), "]".repeat(65))), Err(JsonError::TooDeep));
    assert_eq!(json::parse("\"\\ud800x\"").unwrap(), Json::String("\u{FFFD}x".into()), "a lone surrogate");
    let s = "q\"\\\n\t\u{1}é";
    assert_eq!(json::parse(&json::quote(s)).unwrap(), Json::String(s.into()));
}
