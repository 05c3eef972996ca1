//! Replies and the protocol helpers against the SDK's recording stand-in host.
use caxton_sdk::host::test_host;
use caxton_sdk::*;

fn incoming(p: Performative, from: &str, conv: &str) -> AclMessage {
    let mut m = AclMessage::new(p);
    m.sender = Some(AgentId::new(from));
    m.conversation_id = Some(conv.into());
    m.reply_with = Some(format!("rw-{}", from));
    m.protocol = Some(CONTRACT_NET.into());
    m.content = Some("task".into());
    m
}

#[test]
fn a_reply_keeps_the_conversation() {
    test_host::take();
    let mut req = incoming(Performative::Request, "alice@p", "c1");
    req.language = Some("json".into());
    agree(&req, None).unwrap();
    inform_done(&req, None).unwrap();
    let sent = test_host::take().sent;
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].performative, Performative::Agree);
    assert_eq!(sent[0].receivers, vec![AgentId::new("alice@p")]);
    assert_eq!(sent[0].in_reply_to.as_deref(), Some("rw-alice@p"));
    assert_eq!(sent[0].conversation_id.as_deref(), Some("c1"));
    assert_eq!(sent[0].language.as_deref(), Some("json"));
    assert_eq!(sent[1].content.as_deref(), Some("done"));
    req.reply_to = vec![AgentId::new("other@p")];
    refuse(&req, "busy").unwrap();
    assert_eq!(test_host::take().sent[0].receivers, vec![AgentId::new("other@p")], "reply-to wins over sender");
}

#[test]
fn a_participant_does_not_propose_after_reply_by() {
    test_host::take();
    test_host::set_now(1_000);
    let mut cfp = incoming(Performative::Cfp, "boss@p", "c2");
    cfp.reply_by = Some(999);
    assert!(!propose(&cfp, "10"));
    cfp.reply_by = Some(1_000);
    assert!(propose(&cfp, "10"));
    let sent = test_host::take().sent;
    assert_eq!(sent.len(), 1);
    assert_eq!((sent[0].performative, sent[0].content.as_deref()), (Performative::Propose, Some("10")));
}

#[test]
fn an_initiator_round_collects_awards_and_finishes() {
    test_host::take();
    test_host::set_now(5_000);
    let mut cn = ContractNetInitiator::new();
    let conv = cn.start("haul", vec![AgentId::new("a@p"), AgentId::new("b@p"), AgentId::new("c@p")], 2_000).unwrap();
    let rec = test_host::take();
    assert_eq!(rec.sent.len(), 1);
    assert_eq!(rec.sent[0].performative, Performative::Cfp);
    assert_eq!(rec.sent[0].reply_by, Some(7_000));
    assert_eq!(rec.timers, vec![(2_000, format!("cnet:{}", conv))]);

    let mut pa = incoming(Performative::Propose, "a@p", &conv);
    pa.content = Some("30".into());
    let mut pb = incoming(Performative::Propose, "b@p", &conv);
    pb.content = Some("20".into());
    assert_eq!(cn.handle(&pa), Some((conv.clone(), CfpOutcome::Propose)));
    assert_eq!(cn.handle(&incoming(Performative::Propose, "stranger@p", &conv)), None, "not invited");
    assert_eq!(cn.handle(&pb), Some((conv.clone(), CfpOutcome::Propose)));
    assert_eq!(cn.handle(&incoming(Performative::Refuse, "c@p", &conv)), Some((conv.clone(), CfpOutcome::Ready)));
    assert_eq!(cn.on_timer(&format!("cnet:{}", conv)), None, "already closed");

    let round = cn.round(&conv).unwrap();
    let best = round.cheapest().unwrap();
    assert_eq!(best.price, Some(20.0));
    let index = round.proposals.iter().position(|p| p == best.message).unwrap();
    cn.award(&conv, index, "go").unwrap();
    let sent = test_host::take().sent;
    let acts: Vec<_> = sent.iter().map(|m| (m.performative, m.receivers[0].name.clone())).collect();
    assert_eq!(acts, vec![(Performative::RejectProposal, "a@p".to_string()), (Performative::AcceptProposal, "b@p".to_string())]);

    assert_eq!(cn.handle(&incoming(Performative::Inform, "a@p", &conv)), None, "only the winner reports");
    assert_eq!(cn.handle(&incoming(Performative::Inform, "b@p", &conv)), Some((conv.clone(), CfpOutcome::Result)));
    assert_eq!(cn.round(&conv).unwrap().state, caxton_sdk::RoundState::Done);
}

#[test]
fn a_round_without_proposals_ends_at_its_deadline() {
    test_host::take();
    let mut cn = ContractNetInitiator::new();
    let conv = cn.start("x", vec![AgentId::new("a@p")], 100).unwrap();
    assert_eq!(cn.on_timer("something-else"), None);
    assert_eq!(cn.on_timer(&format!("cnet:{}", conv)), Some((conv.clone(), CfpOutcome::NoBids)));
    let late = incoming(Performative::Propose, "a@p", &conv);
    test_host::take();
    assert_eq!(cn.handle(&late), Some((conv, CfpOutcome::Late)));
    assert_eq!(test_host::take().sent[0].performative, Performative::RejectProposal, "a late proposal is rejected");
}

#[test]
fn request_query_and_subscribe_open_conversations() {
    test_host::take();
    let r = request(AgentId::new("s@p"), "do it").unwrap();
    let q = query_ref(AgentId::new("s@p"), "price?").unwrap();
    let i = query_if(AgentId::new("s@p"), "open?").unwrap();
    assert_eq!((r.performative, r.protocol.as_deref()), (Performative::Request, Some(FIPA_REQUEST)));
    assert_eq!((q.performative, q.protocol.as_deref()), (Performative::QueryRef, Some(FIPA_QUERY)));
    assert_eq!(i.performative, Performative::QueryIf);
    assert_ne!(r.conversation_id, q.conversation_id);
    let sub = subscribe(AgentId::new("pub@p"), "prices").unwrap();
    unsubscribe(&sub).unwrap();
    let sent = test_host::take().sent;
    assert_eq!(sent.len(), 5);
    assert_eq!(sent[4].performative, Performative::Cancel);
    assert_eq!(sent[4].conversation_id, sub.conversation_id);
}

#[test]
fn a_publisher_notifies_and_cancels_subscribers() {
    test_host::take();
    let mut subs = Subscribers::default();
    let mut s1 = incoming(Performative::Subscribe, "x@p", "s1");
    s1.protocol = Some(FIPA_SUBSCRIBE.into());
    subs.add(&s1, None).unwrap();
    subs.add(&incoming(Performative::Subscribe, "y@p", "s2"), None).unwrap();
    assert_eq!(subs.notify("tick"), 2);
    assert!(!subs.cancel(&incoming(Performative::Cancel, "y@p", "s1")), "only the subscriber cancels");
    assert!(subs.cancel(&incoming(Performative::Cancel, "x@p", "s1")));
    assert_eq!(subs.len(), 1);
    let acts: Vec<_> = test_host::take().sent.iter().map(|m| m.performative).collect();
    use Performative::*;
    assert_eq!(acts, vec![Agree, Agree, Inform, Inform, Failure, Inform]);
}

#[test]
fn host_calls_reach_the_stand_in() {
    test_host::take();
    info("hi");
    set_timer(5, "t");
    register_service(&ServiceDescription { name: "s".into(), service_type: "t".into(), ..Default::default() }).unwrap();
    deregister_service("s");
    assert!(send(&AclMessage::new(Performative::Inform)).is_err(), "no receivers");
    let rec = test_host::take();
    assert_eq!(rec.logs, vec![(LogLevel::Info as i32, "hi".to_string())]);
    assert_eq!(rec.timers, vec![(5, "t".to_string())]);
    assert!(rec.services.is_empty());
}
