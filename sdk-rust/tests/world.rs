//! The SDK's enums against the generated bindings' (wit-bindgen, from wit/agent.wit): the same cases
//! in the same order, none missing or extra. The SDK converts by discriminant (src/wit_types.rs,
//! the modules' wasm32 code), so this is what makes those conversions right. Debug builds only: a
//! release build's generated `_lift` trusts its discriminant instead of checking it.
#![cfg(debug_assertions)]
use caxton_sdk::a2a::{A2aOperation, A2aVersion};
use caxton_sdk::bindings::caxton::agent::{a2a, http as wit_http, message_info as wit_info, state as wit_state, topics as wit_topics, types};
use caxton_sdk::*;
use std::fmt::Debug;

/// Each SDK case `i` lifts to the generated case of the same name, and `sdk.len()` is no case.
fn same_cases<S: Debug, W: Debug>(wit_name: &str, sdk: &[S], lift: impl Fn(u8) -> W + std::panic::RefUnwindSafe) {
    for (i, s) in sdk.iter().enumerate() {
        let sdk_name = format!("{:?}", s);
        let sdk_name = sdk_name.rsplit("::").next().unwrap();
        assert_eq!(format!("{:?}", lift(i as u8)), format!("{}::{}", wit_name, sdk_name), "case {} of {}", i, wit_name);
    }
    let past = sdk.len() as u8;
    assert!(std::panic::catch_unwind(|| lift(past)).is_err(), "{} has more cases than the SDK's {}", wit_name, sdk.len());
}

#[test]
fn every_enum_of_the_world_has_the_sdks_cases_in_order() {
    let quiet = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    unsafe {
        same_cases("Performative", &PERFORMATIVES, |d| types::Performative::_lift(d));
        let levels = [LogLevel::Trace, LogLevel::Debug, LogLevel::Info, LogLevel::Warn, LogLevel::Error];
        same_cases("LogLevel", &levels, |d| types::LogLevel::_lift(d));
        let state = (0..).map_while(StateErrorKind::from_u8).collect::<Vec<_>>();
        same_cases("StateErrorKind", &state, |d| wit_state::StateErrorKind::_lift(d));
        let http = (0..).map_while(HttpErrorKind::from_u8).collect::<Vec<_>>();
        same_cases("HttpErrorKind", &http, |d| wit_http::HttpErrorKind::_lift(d));
        let topics = (0..).map_while(TopicErrorKind::from_u8).collect::<Vec<_>>();
        same_cases("TopicErrorKind", &topics, |d| wit_topics::TopicErrorKind::_lift(d));
        let info = (0..).map_while(MessageInfoErrorKind::from_u8).collect::<Vec<_>>();
        same_cases("MessageInfoErrorKind", &info, |d| wit_info::MessageInfoErrorKind::_lift(d));
        let ops = [A2aOperation::Send, A2aOperation::Stream, A2aOperation::GetTask, A2aOperation::CancelTask];
        same_cases("Operation", &ops, |d| a2a::Operation::_lift(d));
    }
    std::panic::set_hook(quiet);
    // The A2A versions are named differently (V1_0 / V1): their order is the WIT's `v1, v03`.
    assert_eq!(unsafe { format!("{:?}", a2a::ProtocolVersion::_lift(A2aVersion::V1_0 as u8)) }, "ProtocolVersion::V1");
    assert_eq!(unsafe { format!("{:?}", a2a::ProtocolVersion::_lift(A2aVersion::V0_3 as u8)) }, "ProtocolVersion::V03");
}
