//! caxton_sdk::message_info natively: the stand-in's paging as agents' unit tests see it. The
//! host's side runs for real in test/bus/message-info.test.ts.
use caxton_sdk::message_info::{self, test_message_info, MessageInfoErrorKind};
use caxton_sdk::types::{AclMessage, AgentId};
use caxton_sdk::Performative;

#[test]
fn the_stand_in_pages_and_refuses_like_the_host() {
    test_message_info::set_receivers(None);
    assert_eq!(message_info::receiver_count(), 0);
    assert_eq!(message_info::receivers(0, 1).unwrap_err().kind, MessageInfoErrorKind::NoMessage);
    let list: Vec<AgentId> = (0..600).map(|i| AgentId::new(format!("r{}", i))).collect();
    test_message_info::set_receivers(Some(list));
    assert_eq!(message_info::all_receivers().len(), 600);
    assert_eq!(message_info::receivers(0, 257).unwrap_err().kind, MessageInfoErrorKind::InvalidRange);
    assert!(message_info::receivers(600, 1).unwrap().is_empty());
}

#[test]
fn count_of_reads_the_parameter_or_the_list() {
    let mut m = AclMessage::new(Performative::Inform);
    m.receivers.push(AgentId::new("me"));
    assert_eq!(message_info::count_of(&m), 1);
    m.user_params.push(("X-caxton-receivers".to_string(), "1000".to_string()));
    assert_eq!(message_info::count_of(&m), 1000);
}
