//! The canonical-ABI layouts of `caxton:agent/state` and `caxton:agent/http`, natively: return
//! areas written byte by byte at the offsets the component model gives (hand-computed, see
//! abi.rs) lift to the right values, and an http request flattens to its 14 core values. Also the
//! stand-in store and the recognition of HTTP answers.
use caxton_sdk::abi::{self, Lowerer, Mem, SliceMem};
use caxton_sdk::http::{self, HttpResponse, Request};
use caxton_sdk::state::{self, StateError, StateErrorKind};
use caxton_sdk::*;

/// A return area of `size` bytes at 0x100 followed by room for strings; `fill` writes into it.
fn ret_area(size: u32, fill: impl FnOnce(&mut Lowerer, u32)) -> (u32, Vec<u8>) {
    let mut low = Lowerer::with_capacity(256, Some(0x100));
    let at = low.alloc(size, 4);
    fill(&mut low, at);
    (at, low.buf)
}

#[test]
fn option_string_return_is_a_u8_discriminant_then_the_string_at_4() {
    let (at, buf) = ret_area(abi::OPT_STRING_SIZE, |low, at| {
        low.put_u8(at, 1);
        low.string_at(at + 4, "42 ✓");
    });
    let mem = SliceMem { base: 0x100, data: &buf };
    assert_eq!(abi::lift_opt_string(&mem, at), Some("42 ✓".to_string()));
    let (at, buf) = ret_area(abi::OPT_STRING_SIZE, |_, _| {});
    assert_eq!(abi::lift_opt_string(&SliceMem { base: 0x100, data: &buf }, at), None);
}

#[test]
fn state_result_error_is_the_kind_at_4_and_the_message_at_8() {
    let (at, buf) = ret_area(abi::ERROR_RESULT_SIZE, |low, at| {
        low.put_u8(at, 1);
        low.put_u8(at + 4, 2);
        low.string_at(at + 8, "over 1 MiB");
    });
    let mem = SliceMem { base: 0x100, data: &buf };
    assert_eq!(mem.u32(at + 12), 10, "the message length sits at 12");
    assert_eq!(
        state::lift_state_result(&mem, at),
        Err(StateError { kind: StateErrorKind::QuotaExceeded, message: "over 1 MiB".into() })
    );
    let (at, buf) = ret_area(abi::ERROR_RESULT_SIZE, |_, _| {});
    assert_eq!(state::lift_state_result(&SliceMem { base: 0x100, data: &buf }, at), Ok(()));
}

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
#[should_panic(expected = "invalid state-error-kind")]
fn an_unknown_state_error_kind_is_refused() {
    let (at, buf) = ret_area(abi::ERROR_RESULT_SIZE, |low, at| {
        low.put_u8(at, 1);
        low.put_u8(at + 4, 9);
        low.string_at(at + 8, "");
    });
    let _ = state::lift_state_result(&SliceMem { base: 0x100, data: &buf }, at);
}

#[test]
fn fetch_result_ok_is_the_id_string_at_4_and_err_the_http_error() {
    let (at, buf) = ret_area(abi::ERROR_RESULT_SIZE, |low, at| low.string_at(at + 4, "call-7"));
    assert_eq!(http::lift_fetch_result(&SliceMem { base: 0x100, data: &buf }, at), Ok("call-7".to_string()));
    let (at, buf) = ret_area(abi::ERROR_RESULT_SIZE, |low, at| {
        low.put_u8(at, 1);
        low.put_u8(at + 4, 0);
        low.string_at(at + 8, "evil.example is not allowed");
    });
    let err = http::lift_fetch_result(&SliceMem { base: 0x100, data: &buf }, at).unwrap_err();
    assert_eq!((err.kind, err.message.as_str()), (HttpErrorKind::Denied, "evil.example is not allowed"));
    assert_eq!(HttpErrorKind::from_u8(2), Some(HttpErrorKind::QuotaExceeded));
    assert_eq!(HttpErrorKind::from_u8(3), None);
}

#[test]
fn a_request_flattens_to_14_values_in_field_order() {
    let r = Request::post("https://api.example.com/v1", "{\"q\":1}")
        .header("content-type", "application/json")
        .header("x-trace", "t1")
        .timeout_ms(2500)
        .context("asker@p");
    let mut low = Lowerer::with_capacity(abi::request_bound(&r), Some(0x4000));
    let f = abi::request_flat(&mut low, &r);
    let mem = SliceMem { base: low.base, data: &low.buf };
    let s = |ptr: u32, len: u32| abi::lift_string(&mem, ptr, len);
    assert_eq!(f.len(), 14);
    assert_eq!(s(f[0], f[1]), "POST");
    assert_eq!(s(f[2], f[3]), "https://api.example.com/v1");
    assert_eq!(abi::lift_pair_list(&mem, f[4], f[5]), r.headers, "headers: list<tuple<string,string>> as (ptr, len)");
    assert_eq!((f[6], s(f[7], f[8])), (1, "{\"q\":1}".to_string()), "body: option<string> = (disc, ptr, len)");
    assert_eq!((f[9], f[10]), (1, 2500), "timeout-ms: option<u32> = (disc, value)");
    assert_eq!((f[11], s(f[12], f[13])), (1, "asker@p".to_string()), "context: option<string>");

    let bare = Request::get("http://h/");
    let mut low = Lowerer::with_capacity(abi::request_bound(&bare), Some(0x4000));
    let f = abi::request_flat(&mut low, &bare);
    assert_eq!(&f[5..], &[0, 0, 0, 0, 0, 0, 0, 0, 0], "no headers (length 0), none for every option");
}

#[test]
fn keys_start_after_flattens_to_a_discriminant_and_a_string() {
    let mut low = Lowerer::with_capacity(64, Some(0x200));
    let f = abi::opt_string_flat(&mut low, &Some("k/9".to_string()));
    let mem = SliceMem { base: low.base, data: &low.buf };
    assert_eq!((f[0], abi::lift_string(&mem, f[1], f[2])), (1, "k/9".to_string()));
    assert_eq!(abi::opt_string_flat(&mut low, &None), [0, 0, 0]);
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

fn from_gateway(p: Performative, params: &[(&str, &str)]) -> AclMessage {
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
