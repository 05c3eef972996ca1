//! The outbound A2A helper, natively: the `caxton:agent/a2a` calls it makes, a refusal as a typed `refused`, and what it reads from the answer
//! messages the host writes — results and each typed error — from `http@<own platform>` only. The
//! host reads A2A's JSON (core/src/control/a2a-answer.ts); the e2e test (runtime/test/a2a/
//! a2a-outbound.test.ts) runs the same helper in examples/rust-a2a-caller on a real node.
use caxton_sdk::a2a::{self, A2aCall, A2aErrorKind, A2aOperation, A2aResponse, A2aResultKind, A2aSend, A2aTaskCall, A2aVersion};
use caxton_sdk::http::{self, HttpErrorKind};
use caxton_sdk::*;
use std::sync::Once;

/// This test binary's agent is `caller@caxton`, so its answers come from `http@caxton`.
fn as_caller() {
    static SET: Once = Once::new();
    SET.call_once(|| caxton_sdk::guest::set_self_id(AgentId::new("caller@caxton")));
}

fn answer(performative: Performative, content: &str, params: &[(&str, &str)]) -> AclMessage {
    let mut m = AclMessage::new(performative);
    m.sender = Some(AgentId::new("http@caxton"));
    m.in_reply_to = Some("a2a-9".into());
    m.content = Some(content.into());
    m.user_params = params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    m
}

fn read(m: &AclMessage) -> A2aResponse {
    as_caller();
    A2aResponse::from_message(m).expect("an A2A answer")
}

#[test]
fn send_and_stream_make_one_call_with_the_text_and_the_token_as_a_header() {
    a2a::test_a2a::take();
    let send = A2aSend::new("https://agent.example/a2a/jsonrpc", "héllo \"q\"\n").header("x-trace", "1").token("tok").context("whom").context_id("ctx-1").timeout_ms(900);
    let id = a2a::send(&send).unwrap();
    a2a::stream(&A2aSend::new("http://a/rpc", "x").version(A2aVersion::V0_3)).unwrap();
    let calls = a2a::test_a2a::take();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].0, id);
    assert_eq!(
        calls[0].1,
        A2aCall {
            operation: A2aOperation::Send,
            url: "https://agent.example/a2a/jsonrpc".into(),
            version: A2aVersion::V1_0,
            subject: "héllo \"q\"\n".into(),
            context_id: Some("ctx-1".into()),
            headers: vec![("x-trace".into(), "1".into()), ("authorization".into(), "Bearer tok".into())],
            timeout_ms: Some(900),
            context: Some("whom".into()),
        }
    );
    let s = &calls[1].1;
    assert_eq!((s.operation, s.version, s.subject.as_str(), s.headers.len(), s.context.clone()), (A2aOperation::Stream, A2aVersion::V0_3, "x", 0, None));
    assert_eq!(A2aVersion::parse("0.3"), Some(A2aVersion::V0_3));
    assert_eq!(A2aVersion::parse("2"), None);
}

#[test]
fn each_error_kind_has_its_own_name_and_reads_back_from_it() {
    use A2aErrorKind::*;
    let kinds = [Refused, NoResponse, HttpStatus, RpcError, Malformed];
    let names: Vec<&str> = kinds.iter().map(|k| k.name()).collect();
    assert_eq!(names, ["refused", "no-response", "http-status", "rpc-error", "malformed"]);
    for k in &kinds[1..] {
        assert_eq!(A2aErrorKind::parse(k.name()), Some(*k));
    }
    assert_eq!(A2aErrorKind::parse("refused"), None, "a refusal never comes as a message");
}

#[test]
fn get_and_cancel_carry_the_task_id_as_the_subject_and_no_context_id() {
    a2a::test_a2a::take();
    a2a::get(&A2aTaskCall::new("http://a/rpc", "t-1").token("k").context_id("a task has none")).unwrap();
    a2a::cancel(&A2aTaskCall::new("http://a/rpc", "t-2").version(A2aVersion::V0_3).context("c")).unwrap();
    let calls = a2a::test_a2a::take();
    assert_eq!((calls[0].1.operation, calls[0].1.subject.as_str(), calls[0].1.context_id.clone()), (A2aOperation::GetTask, "t-1", None));
    assert_eq!(calls[0].1.headers, vec![("authorization".to_string(), "Bearer k".to_string())]);
    assert_eq!((calls[1].1.operation, calls[1].1.subject.as_str(), calls[1].1.version, calls[1].1.context.as_deref()), (A2aOperation::CancelTask, "t-2", A2aVersion::V0_3, Some("c")));
}

#[test]
fn a_refusal_is_a_typed_refused_and_nothing_is_started() {
    a2a::test_a2a::take();
    let e = a2a::get(&A2aTaskCall::new("ftp://agent/rpc", "t")).unwrap_err();
    assert_eq!(e.kind, A2aErrorKind::Refused);
    assert!(e.to_string().starts_with("a2a: refused: invalid-request: not an http(s) URL"), "{}", e);
    assert!(a2a::test_a2a::take().is_empty());
    let denied = a2a::A2aError::from(http::HttpError { kind: HttpErrorKind::Denied, message: "host not allowed".into() });
    assert_eq!(String::from(denied), "a2a: refused: denied: host not allowed");
}

#[test]
fn a_completed_task_and_a_message_read_from_the_params() {
    let t = read(&answer(
        Performative::Inform,
        "a\nb",
        &[
            ("X-caxton-a2a-result", "task"),
            ("X-caxton-a2a-state", "completed"),
            ("X-caxton-a2a-final", "true"),
            ("X-caxton-a2a-task-id", "t"),
            ("X-caxton-a2a-context-id", "c"),
            ("X-caxton-http-status", "200"),
            ("X-caxton-http-context", "bob"),
        ],
    ));
    assert_eq!((t.request_id.as_str(), t.context.as_str()), ("a2a-9", "bob"));
    let r = t.result.unwrap();
    assert_eq!(r.kind, A2aResultKind::Task);
    assert_eq!((r.task_id.as_deref(), r.context_id.as_deref(), r.state.as_deref(), r.is_final, r.text.as_str()), (Some("t"), Some("c"), Some("completed"), true, "a\nb"));
    assert!(r.states.is_empty());

    let w = read(&answer(Performative::Inform, "more?", &[("X-caxton-a2a-result", "task"), ("X-caxton-a2a-state", "input-required"), ("X-caxton-a2a-final", "false"), ("X-caxton-a2a-task-id", "t")])).result.unwrap();
    assert_eq!((w.state.as_deref(), w.is_final, w.text.as_str(), w.context_id.clone()), (Some("input-required"), false, "more?", None));

    let m = read(&answer(Performative::Inform, "old\nstyle", &[("X-caxton-a2a-result", "message"), ("X-caxton-a2a-message-id", "m1")]));
    assert_eq!(m.context, "", "no context: empty");
    let m = m.result.unwrap();
    assert_eq!((m.kind, m.message_id.as_deref(), m.task_id.clone(), m.state.clone(), m.is_final, m.text.as_str()), (A2aResultKind::Message, Some("m1"), None, None, true, "old\nstyle"));

    // A stream read whole lists each state the task passed through.
    let s = read(&answer(Performative::Inform, "HELLO", &[("X-caxton-a2a-result", "task"), ("X-caxton-a2a-state", "completed"), ("X-caxton-a2a-final", "true"), ("X-caxton-a2a-task-id", "t"), ("X-caxton-a2a-states", "submitted,working,completed")])).result.unwrap();
    assert_eq!(s.states, ["submitted", "working", "completed"]);
    let empty = read(&answer(Performative::Inform, "", &[("X-caxton-a2a-result", "task"), ("X-caxton-a2a-states", "")])).result.unwrap();
    assert_eq!((empty.states.len(), empty.state.as_deref(), empty.task_id.as_deref(), empty.is_final), (0, Some("unknown"), Some(""), false));
}

#[test]
fn each_failure_is_a_typed_error_with_the_hosts_reason() {
    let e = read(&answer(Performative::Failure, "Task not found (check the id)", &[("X-caxton-a2a-error", "rpc-error"), ("X-caxton-a2a-code", "-32001"), ("X-caxton-http-status", "200"), ("X-caxton-http-context", "x")]));
    assert_eq!(e.context, "x");
    let e = e.result.unwrap_err();
    assert_eq!((e.kind, e.code, e.status, e.reason.as_str()), (A2aErrorKind::RpcError, Some(-32001), None, "Task not found (check the id)"));
    assert_eq!(e.to_string(), "a2a: rpc-error: Task not found (check the id)");

    let e = read(&answer(Performative::Failure, "HTTP 401: missing token", &[("X-caxton-a2a-error", "http-status"), ("X-caxton-http-status", "401")])).result.unwrap_err();
    assert_eq!((e.kind, e.status, e.code), (A2aErrorKind::HttpStatus, Some(401), None));
    assert_eq!(e.to_string(), "a2a: http-status: HTTP 401: missing token");

    let e = read(&answer(Performative::Failure, "no response: too-large", &[("X-caxton-a2a-error", "no-response"), ("X-caxton-failure", "too-large")])).result.unwrap_err();
    assert_eq!((e.kind, e.failure.as_deref(), e.status), (A2aErrorKind::NoResponse, Some("too-large"), None));
    assert_eq!(e.to_string(), "a2a: no-response: no response: too-large");

    let e = read(&answer(Performative::Failure, "the answer is not JSON: x", &[("X-caxton-a2a-error", "malformed"), ("X-caxton-http-status", "200")])).result.unwrap_err();
    assert_eq!((e.kind, e.status, e.to_string()), (A2aErrorKind::Malformed, None, "a2a: malformed: the answer is not JSON: x".to_string()));

    // A kind this SDK does not know (a newer host) is still a typed error, never a panic.
    let e = read(&answer(Performative::Failure, "why", &[("X-caxton-a2a-error", "novel"), ("X-caxton-a2a-code", "x")])).result.unwrap_err();
    assert_eq!((e.kind, e.code), (A2aErrorKind::Malformed, None));
}

#[test]
fn only_answers_from_this_platforms_http_agent_are_a2a_answers() {
    as_caller();
    let ok = answer(Performative::Inform, "hi", &[("X-caxton-a2a-result", "message")]);
    assert!(A2aResponse::from_message(&ok).is_some());
    // A plain HTTP answer (no a2a parameters).
    assert!(A2aResponse::from_message(&answer(Performative::Inform, "{}", &[("X-caxton-http-status", "200"), ("X-caxton-http-context", "x-old-mark:")])).is_none());
    // Another sender, another platform's gateway, no in-reply-to, another performative.
    let mut m = ok.clone();
    m.sender = Some(AgentId::new("mallory@caxton"));
    assert!(A2aResponse::from_message(&m).is_none());
    m.sender = Some(AgentId::new("http@elsewhere"));
    assert!(A2aResponse::from_message(&m).is_none());
    m.sender = None;
    assert!(A2aResponse::from_message(&m).is_none());
    let mut m = ok.clone();
    m.in_reply_to = None;
    assert!(A2aResponse::from_message(&m).is_none());
    let mut m = ok.clone();
    m.performative = Performative::Request;
    assert!(A2aResponse::from_message(&m).is_none());
}
