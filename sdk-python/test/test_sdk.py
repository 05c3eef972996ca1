"""The Python SDK under plain CPython, against fake bindings (test/fake_bindings.py).

    cd sdk-python && python3 -m unittest discover -s test
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import fake_bindings  # noqa: E402

HOST = fake_bindings.install()
B = fake_bindings

import caxton  # noqa: E402
from caxton import (AclMessage, Agent, AgentId, CnetEvent, ContractNetInitiator, Performative,  # noqa: E402
                    RoundState, SubscriptionTable)
from caxton.exports import Guest  # noqa: E402


def wire(performative, content=None, sender="tester@test", **kw):
    """A message as the bindings deliver it."""
    fields = dict(sender=B.AgentId(sender, []), receivers=[B.AgentId("me@test", [])], reply_to=[], content=content,
                  language=None, encoding=None, ontology=None, protocol=None, conversation_id="conv-1",
                  reply_with="rw-1", in_reply_to=None, reply_by=None, user_params=[])
    fields.update(kw)
    return B.AclMessage(B.Performative[performative], **fields)


class Base(unittest.TestCase):
    def setUp(self) -> None:
        HOST.reset()


class PerformativeTest(Base):
    def test_the_22_performatives_match_the_world(self) -> None:
        self.assertEqual(len(Performative), 22)
        for p in Performative:
            self.assertEqual(B.Performative[p.name].value, int(p))
        self.assertEqual(Performative.QUERY_REF.fipa_name, "query-ref")
        self.assertEqual(caxton.parse_performative("Accept-Proposal"), Performative.ACCEPT_PROPOSAL)
        self.assertIsNone(caxton.parse_performative("shout"))


class GuestTest(Base):
    def test_echo_round_trip_through_the_bindings(self) -> None:
        class Echo(Agent):
            def on_message(self, msg):
                caxton.reply(msg, Performative.INFORM, msg.content)

        caxton.register(Echo())
        Guest().init(B.InitContext(B.AgentId("me@test", []), [("k", "v")]))
        self.assertEqual(caxton.self_id().name, "me@test")
        Guest().handle(wire("REQUEST", "hi", ontology="o", user_params=[("X-a", "1")]))
        [sent] = HOST.sent
        self.assertEqual(sent.performative, B.Performative.INFORM)
        self.assertEqual((sent.content, sent.conversation_id, sent.in_reply_to, sent.ontology),
                         ("hi", "conv-1", "rw-1", "o"))
        self.assertEqual([r.name for r in sent.receivers], ["tester@test"])

    def test_fail_is_an_error_result_and_other_exceptions_crash(self) -> None:
        class Picky(Agent):
            def on_message(self, msg):
                if msg.content == "bad":
                    caxton.fail("no thanks")
                raise ValueError("boom")

        caxton.register(Picky())
        with self.assertRaises(B.Err) as e:
            Guest().handle(wire("REQUEST", "bad"))
        self.assertEqual(e.exception.value, "no thanks")
        with self.assertRaises(ValueError):
            Guest().handle(wire("REQUEST", "worse"))
        self.assertTrue(any(level == "ERROR" and "ValueError: boom" in text for level, text in HOST.logs))

    def test_default_handler_answers_not_understood_but_never_to_failures(self) -> None:
        caxton.register(Agent())
        Guest().handle(wire("INFORM", "x"))
        Guest().handle(wire("FAILURE", "x"))
        self.assertEqual([m.performative for m in HOST.sent], [B.Performative.NOT_UNDERSTOOD])

    def test_send_errors_come_back_as_text(self) -> None:
        HOST.reject_sends = "too large"
        self.assertEqual(caxton.send(AclMessage(Performative.INFORM, [AgentId("a@b")], "x")), "too large")


class ReplyTest(Base):
    def test_reply_goes_to_reply_to_first(self) -> None:
        msg = AclMessage(Performative.REQUEST, content="x", reply_to=[AgentId("other@p")], sender=AgentId("s@p"))
        r = caxton.create_reply(msg, Performative.AGREE)
        self.assertEqual([a.name for a in r.receivers], ["other@p"])

    def test_request_query_and_subscribe_open_conversations(self) -> None:
        m = caxton.request(caxton.aid("worker"), "do it")
        self.assertEqual((m.protocol, m.conversation_id, m.reply_with), ("fipa-request", "id-1", "id-2"))
        self.assertEqual(m.receivers[0].name, "worker@caxton")
        q = caxton.query_ref(AgentId("w@p"), "(price ?x)")
        self.assertEqual((q.performative, q.protocol), (Performative.QUERY_REF, "fipa-query"))
        s = caxton.subscribe(AgentId("pub@p"), "news")
        c = caxton.unsubscribe(s)
        self.assertEqual((c.performative, c.conversation_id), (Performative.CANCEL, s.conversation_id))
        self.assertEqual(len(HOST.sent), 4)

    def test_subscription_table(self) -> None:
        table = SubscriptionTable()
        sub = AclMessage(Performative.SUBSCRIBE, content="news", sender=AgentId("s@p"), conversation_id="c1")
        table.add(sub)
        self.assertEqual(table.notify("extra!"), 1)
        other = AclMessage(Performative.CANCEL, sender=AgentId("intruder@p"), conversation_id="c1")
        self.assertFalse(table.cancel(other))
        self.assertTrue(table.cancel(AclMessage(Performative.CANCEL, sender=AgentId("s@p"), conversation_id="c1")))
        self.assertEqual([m.performative.name for m in HOST.sent], ["AGREE", "INFORM", "FAILURE", "INFORM"])
        self.assertEqual(len(table), 0)


class ContractNetTest(Base):
    def answer(self, cfp, sender, performative, content):
        return AclMessage(performative, content=content, sender=AgentId(sender), conversation_id=cfp.conversation_id)

    def test_a_round_from_cfp_to_result(self) -> None:
        cnet = ContractNetInitiator()
        rnd = cnet.start("haul", [AgentId("a@p"), AgentId("b@p"), AgentId("c@p")], 500)
        self.assertEqual(HOST.timers, [(500, f"contract-net-deadline:{rnd.conversation_id}")])
        [cfp] = HOST.sent
        self.assertEqual(cfp.reply_by, HOST.clock + 500)
        cnet.handle(self.answer(rnd, "a@p", Performative.PROPOSE, "30"))
        self.assertEqual(rnd.last_event, CnetEvent.PROPOSE)
        cnet.handle(self.answer(rnd, "b@p", Performative.REFUSE, "busy"))
        self.assertIsNone(cnet.handle(self.answer(rnd, "stranger@p", Performative.PROPOSE, "1")))
        cnet.handle(self.answer(rnd, "c@p", Performative.PROPOSE, "20"))
        self.assertEqual((rnd.state, rnd.last_event), (RoundState.READY, CnetEvent.READY))
        best = caxton.best_proposal(rnd, lambda p: -float(p.content))
        self.assertEqual(best.sender.name, "c@p")
        cnet.award(rnd, best, "go")
        self.assertEqual([(m.performative.name, m.receivers[0].name) for m in HOST.sent[1:]],
                         [("REJECT_PROPOSAL", "a@p"), ("ACCEPT_PROPOSAL", "c@p")])
        cnet.handle(self.answer(rnd, "c@p", Performative.INFORM, "done"))
        self.assertEqual((rnd.state, rnd.last_event), (RoundState.DONE, CnetEvent.RESULT))

    def test_deadline_closes_the_round_and_late_proposals_are_rejected(self) -> None:
        cnet = ContractNetInitiator()
        rnd = cnet.start("haul", [AgentId("a@p"), AgentId("b@p")], 100)
        self.assertIsNone(cnet.on_timer("something else"))
        self.assertIs(cnet.on_timer(HOST.timers[0][1]), rnd)
        self.assertEqual(rnd.state, RoundState.NO_BIDS)
        cnet.handle(self.answer(rnd, "a@p", Performative.PROPOSE, "5"))
        self.assertEqual(rnd.last_event, CnetEvent.LATE)
        self.assertEqual(HOST.sent[-1].performative.name, "REJECT_PROPOSAL")

    def test_participant_does_not_propose_after_reply_by(self) -> None:
        cfp = AclMessage(Performative.CFP, content="t", sender=AgentId("i@p"), reply_by=HOST.clock - 1)
        self.assertFalse(caxton.propose(cfp, "10"))
        cfp.reply_by = HOST.clock + 1
        self.assertTrue(caxton.propose(cfp, "10"))
        self.assertEqual(len(HOST.sent), 1)


class DirectoryTest(Base):
    def test_register_and_search(self) -> None:
        self.assertIsNone(caxton.register_service(caxton.ServiceDescription("me@p/delivery", "delivery", [caxton.CONTRACT_NET])))
        self.assertEqual([a.name for a in caxton.search_services("delivery")], ["me@p"])
        caxton.deregister_service("me@p/delivery")
        self.assertEqual(caxton.search_services("delivery"), [])
        caxton.set_timer(10, "tick")
        self.assertEqual(HOST.timers, [(10, "tick")])
        self.assertEqual((caxton.now(), caxton.new_id()), (HOST.clock, "id-1"))


if __name__ == "__main__":
    unittest.main()
