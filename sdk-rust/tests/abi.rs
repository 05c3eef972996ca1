//! The canonical-ABI layouts, natively: every field of an acl-message at the offset the
//! component model puts it (checked byte by byte against hand-computed offsets), and a lowered
//! message lifts back equal.
use caxton_sdk::abi::{self, Lowerer, Mem, SliceMem};
use caxton_sdk::*;

fn full_message() -> AclMessage {
    let mut m = AclMessage::new(Performative::QueryRef);
    m.sender = Some(AgentId { name: "alice@p".into(), addresses: vec!["tcp://a".into()] });
    m.receivers = vec![AgentId::new("bob@p"), AgentId { name: "carol@p".into(), addresses: vec!["x".into(), "y".into()] }];
    m.reply_to = vec![AgentId::new("dave@p")];
    m.content = Some("héllo ✓".into());
    m.language = Some("fipa-sl".into());
    m.encoding = Some("utf8".into());
    m.ontology = Some("logistics".into());
    m.protocol = Some("fipa-query".into());
    m.conversation_id = Some("c-1".into());
    m.reply_with = Some("rw".into());
    m.in_reply_to = Some("irt".into());
    m.reply_by = Some(0x0102_0304_0506_0708);
    m.user_params = vec![("X-a".into(), "1".into()), ("X-b".into(), "".into())];
    m
}

#[test]
fn a_message_round_trips_through_its_canonical_layout() {
    for m in [full_message(), AclMessage::new(Performative::Inform)] {
        let mut low = Lowerer::with_capacity(abi::message_bound(&m), Some(0x1000));
        let at = low.message(&m);
        assert_eq!(at % 8, 0, "acl-message is 8-aligned");
        let mem = SliceMem { base: low.base, data: &low.buf };
        assert_eq!(abi::lift_message(&mem, at), m);
    }
}

#[test]
fn fields_sit_at_the_component_model_offsets() {
    let m = full_message();
    let mut low = Lowerer::with_capacity(abi::message_bound(&m), Some(0x1000));
    let at = low.message(&m);
    let mem = SliceMem { base: low.base, data: &low.buf };
    let string = |a: u32| String::from_utf8(mem.bytes(mem.u32(a), mem.u32(a + 4)).to_vec()).unwrap();
    assert_eq!(mem.u8(at), 15, "query-ref is case 15");
    assert_eq!(mem.u8(at + 4), 1, "sender is some");
    assert_eq!(string(at + 8), "alice@p", "agent-id payload at 8");
    assert_eq!(mem.u32(at + 28), 2, "two receivers (list len at 28)");
    assert_eq!(mem.u32(at + 36), 1, "one reply-to");
    assert_eq!((mem.u8(at + 40), string(at + 44)), (1, "héllo ✓".to_string()), "content at 40, payload at 44");
    assert_eq!(mem.u32(at + 48), "héllo ✓".len() as u32, "lengths are UTF-8 bytes");
    assert_eq!(string(at + 56), "fipa-sl");
    assert_eq!(string(at + 68), "utf8");
    assert_eq!(string(at + 80), "logistics");
    assert_eq!(string(at + 92), "fipa-query");
    assert_eq!(string(at + 104), "c-1");
    assert_eq!(string(at + 116), "rw");
    assert_eq!(string(at + 128), "irt");
    assert_eq!(mem.u8(at + 136), 1);
    assert_eq!(mem.u64(at + 144), 0x0102_0304_0506_0708, "option<u64> payload at 8 inside the option");
    assert_eq!(mem.u32(at + 156), 2, "user-params at 152");
    let pairs = mem.u32(at + 152);
    assert_eq!(string(pairs + 16 + 0), "X-b");
    assert_eq!(mem.u32(pairs + 16 + 12), 0, "an empty string value");
    let receivers = mem.u32(at + 24);
    assert_eq!(string(receivers + 16), "carol@p", "agent-id is 16 bytes");
    assert_eq!(mem.u32(receivers + 16 + 12), 2, "carol's addresses");
}

#[test]
fn init_context_lifts_from_its_six_flat_values() {
    let mut low = Lowerer::with_capacity(256, Some(0x2000));
    let slots = low.alloc(24, 4);
    low.string_at(slots, "me@p");
    low.string_list_at(slots + 8, &["a".to_string()]);
    low.pair_list_at(slots + 16, &[("price".into(), "42".into()), ("price".into(), "43".into())]);
    let mem = SliceMem { base: low.base, data: &low.buf };
    let flat = [0, 1, 2, 3, 4, 5].map(|i| mem.u32(slots + i * 4));
    let ctx = abi::lift_init_context(&mem, flat);
    assert_eq!(ctx.self_id.name, "me@p");
    assert_eq!(ctx.self_id.addresses, vec!["a".to_string()]);
    assert_eq!(ctx.get("price"), Some("43"), "the last value of a repeated key wins");
    assert_eq!(ctx.get("nope"), None);
}

#[test]
fn the_22_performatives_have_their_wit_order_and_names() {
    assert_eq!(PERFORMATIVES.len(), 22);
    for (i, p) in PERFORMATIVES.iter().enumerate() {
        assert_eq!(*p as usize, i);
        assert_eq!(Performative::from_u8(i as u8), Some(*p));
        assert_eq!(Performative::from_name(p.name()), Some(*p));
    }
    assert_eq!(Performative::from_u8(22), None);
    assert_eq!(Performative::RequestWhenever.name(), "request-whenever");
}

#[test]
#[should_panic(expected = "invalid performative")]
fn an_out_of_range_enum_is_refused() {
    let mut low = Lowerer::with_capacity(abi::message_bound(&AclMessage::new(Performative::Inform)), Some(0x1000));
    let at = low.message(&AclMessage::new(Performative::Inform));
    low.put_u8(at, 22);
    let mem = SliceMem { base: low.base, data: &low.buf };
    abi::lift_message(&mem, at);
}
