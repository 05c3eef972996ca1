//! caxton_sdk::message_info natively: the result lifting against a hand-laid return area (the
//! layout the host writes, decision 2001), and the stand-in's paging as agents' unit tests see it.
//! The host's side runs for real in test/bus/message-info.test.ts.
use caxton_sdk::abi::{SliceMem, AGENT_ID_SIZE, ERROR_RESULT_KIND, ERROR_RESULT_MESSAGE, RESULT_PAYLOAD};
use caxton_sdk::message_info::{self, lift_receivers_result, test_message_info, MessageInfoErrorKind};
use caxton_sdk::types::{AclMessage, AgentId};
use caxton_sdk::Performative;

fn put_u32(buf: &mut [u8], at: usize, v: u32) {
    buf[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

#[test]
fn lifts_an_ok_page_and_a_typed_refusal() {
    // Return area at 0 (16 bytes), the list at 16 (two agent ids), their names at 48.
    let base = 0u32;
    let mut mem = vec![0u8; 64];
    mem[0] = 0;
    put_u32(&mut mem, RESULT_PAYLOAD as usize, 16);
    put_u32(&mut mem, RESULT_PAYLOAD as usize + 4, 2);
    for (i, (at, len)) in [(48u32, 2u32), (50, 3)].iter().enumerate() {
        let rec = 16 + i * AGENT_ID_SIZE as usize;
        put_u32(&mut mem, rec, *at);
        put_u32(&mut mem, rec + 4, *len);
    }
    mem[48..53].copy_from_slice(b"a1bcd");
    let page = lift_receivers_result(&SliceMem { base, data: &mem }, 0).unwrap();
    assert_eq!(page.iter().map(|a| a.name.as_str()).collect::<Vec<_>>(), vec!["a1", "bcd"]);

    let mut err = vec![0u8; 64];
    err[0] = 1;
    err[ERROR_RESULT_KIND as usize] = 1;
    put_u32(&mut err, ERROR_RESULT_MESSAGE as usize, 32);
    put_u32(&mut err, ERROR_RESULT_MESSAGE as usize + 4, 3);
    err[32..35].copy_from_slice(b"bad");
    let e = lift_receivers_result(&SliceMem { base, data: &err }, 0).unwrap_err();
    assert_eq!(e.kind, MessageInfoErrorKind::InvalidRange);
    assert_eq!(e.message, "bad");
}

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
