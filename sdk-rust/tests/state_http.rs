//! caxton_sdk::state and caxton_sdk::http natively: the error kinds, the stand-in store and the
//! recognition of HTTP answers. The host's side runs for real in the toolchain's native-state-http test.
use caxton_sdk::http::{self, HttpResponse, Request};
use caxton_sdk::state::{self, StateErrorKind};
use caxton_sdk::*;

#[test]
fn the_four_state_error_kinds_follow_the_wit_order() {
    let kinds = [StateErrorKind::InvalidKey, StateErrorKind::ValueTooLarge, StateErrorKind::QuotaExceeded, StateErrorKind::ReadOnly];
    for (i, k) in kinds.iter().enumerate() {
        assert_eq!(StateErrorKind::from_u8(i as u8), Some(*k));
    }
    assert_eq!(StateErrorKind::from_u8(4), None);
    assert_eq!(StateErrorKind::ReadOnly.name(), "read-only");
}

#[test]
fn the_stand_in_store_buffers_reads_back_pages_and_refuses_like_the_runtime() {
    state::test_state::reset();
    assert_eq!(state::get("count"), None);
    state::set("count", "1").unwrap();
    state::set("k/a", "x").unwrap();
    state::set("k/b", "y").unwrap();
    state::set("k/c", "z").unwrap();
    assert_eq!(state::get("count").as_deref(), Some("1"));
    assert_eq!(state::keys("k/", None, 2), vec!["k/a", "k/b"]);
    assert_eq!(state::keys("k/", Some("k/b"), 10), vec!["k/c"]);
    state::delete("k/b").unwrap();
    state::delete("absent").unwrap();
    assert_eq!(state::keys("", None, 10), vec!["count", "k/a", "k/c"]);
    assert_eq!(state::set("", "v").unwrap_err().kind, StateErrorKind::InvalidKey);
    assert_eq!(state::set("a\u{0}b", "v").unwrap_err().kind, StateErrorKind::InvalidKey);
    state::test_state::set_read_only(true);
    let e = state::set("count", "2").unwrap_err();
    assert_eq!(e.kind, StateErrorKind::ReadOnly);
    assert!(String::from(e).starts_with("state read-only: "), "converts to a handler error");
    state::test_state::reset();
}

/// This test binary's agent is `asker@platform`, so its answers come from `http@platform`.
fn from_gateway(p: Performative, params: &[(&str, &str)]) -> AclMessage {
    static AS_ASKER: std::sync::Once = std::sync::Once::new();
    AS_ASKER.call_once(|| caxton_sdk::guest::set_self_id(AgentId::new("asker@platform")));
    let mut m = AclMessage::new(p);
    m.sender = Some(AgentId::new("http@platform"));
    m.in_reply_to = Some("call-3".into());
    m.content = Some("{\"rate\":1.1}".into());
    m.user_params = params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    m
}

#[test]
fn an_inform_from_the_gateway_is_a_response_with_status_context_and_headers() {
    let m = from_gateway(Performative::Inform, &[
        ("X-caxton-http-status", "200"),
        ("X-caxton-http-context", "asker@p"),
        ("X-caxton-http-header-content-type", "application/json"),
    ]);
    let r = HttpResponse::from_message(&m).expect("an http answer");
    assert_eq!(r.request_id, "call-3");
    assert_eq!(r.status, Some(200));
    assert!(r.is_success());
    assert_eq!(r.context.as_deref(), Some("asker@p"));
    assert_eq!(r.header("Content-Type"), Some("application/json"));
    assert_eq!(r.body, "{\"rate\":1.1}");
    assert!(!r.body_is_base64);
}

#[test]
fn a_failure_from_the_gateway_has_no_status_and_says_why() {
    let r = HttpResponse::from_message(&from_gateway(Performative::Failure, &[("X-caxton-failure", "timeout")])).unwrap();
    assert_eq!((r.status, r.failure.as_deref(), r.context.as_deref()), (None, Some("timeout"), None));
    assert!(!r.is_success());
}

#[test]
fn other_messages_are_not_http_answers() {
    let mut m = from_gateway(Performative::Inform, &[("X-caxton-http-status", "200")]);
    m.sender = Some(AgentId::new("httpd@platform"));
    assert_eq!(HttpResponse::from_message(&m), None, "another sender");
    m.sender = Some(AgentId::new("http@elsewhere"));
    assert_eq!(HttpResponse::from_message(&m), None, "another platform's gateway");
    let mut m = from_gateway(Performative::Inform, &[("X-caxton-http-status", "200")]);
    m.in_reply_to = None;
    assert_eq!(HttpResponse::from_message(&m), None, "an answer replies to its call");
    assert_eq!(HttpResponse::from_message(&from_gateway(Performative::Request, &[])), None, "neither inform nor failure");
}

#[test]
fn the_stand_in_fetch_records_and_refuses_a_non_http_url() {
    let _ = http::test_http::take();
    assert_eq!(http::fetch(&Request::get("https://a.example/x")).unwrap(), "http-1");
    assert_eq!(http::fetch(&Request::get("ftp://a.example/x")).unwrap_err().kind, HttpErrorKind::InvalidRequest);
    let calls = http::test_http::take();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].1.url, "https://a.example/x");
}
