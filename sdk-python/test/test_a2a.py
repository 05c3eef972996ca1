"""caxton.a2a under plain CPython, against the fake bindings: the ``caxton:agent/a2a`` call each
helper starts (operation, version, subject, headers, token), refusals as a typed REFUSED, and the
answers the host delivers read from their message parameters — Tasks, Messages, streams and every
failure kind — or None for any other message."""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import fake_bindings as B  # noqa: E402

B.install()

from caxton import AclMessage, AgentId, Performative, a2a, agent, http  # noqa: E402
from caxton.a2a import A2aErrorKind  # noqa: E402


def answer(performative: Performative, content: str, params, sender: str = "http@caxton") -> AclMessage:
    m = AclMessage(performative)
    m.sender = AgentId(sender)
    m.in_reply_to = "a2a-9"
    m.content = content
    m.user_params = list(params)
    return m


class CallsTest(unittest.TestCase):
    def setUp(self) -> None:
        B.A2A.reset()
        B.HTTP.reset()

    def test_send_starts_one_a2a_call_with_the_token_as_a_bearer_header(self) -> None:
        rid = a2a.send(a2a.Call("https://agent.example/a2a/jsonrpc", 'héllo "q"\n', token="tok", context="whom",
                                context_id="ctx-1", headers=[("x-api-key", "k")], timeout_ms=900))
        self.assertEqual(rid, "a2a-1")
        self.assertEqual(B.A2A.calls, [B.A2aCall(B.A2aOperation.SEND, "https://agent.example/a2a/jsonrpc", B.A2aProtocolVersion.V1,
                                                 'héllo "q"\n', "ctx-1", [("x-api-key", "k"), ("authorization", "Bearer tok")], 900, "whom")])
        self.assertEqual(B.HTTP.calls, [], "no JSON-RPC over http.fetch")

    def test_stream_get_and_cancel_name_their_operation_and_0_3_is_v03(self) -> None:
        a2a.stream(a2a.Call("http://a/rpc", "x", version="0.3", headers={"x-k": "v"}))
        a2a.get(a2a.TaskCall("http://a/rpc", "t-1", token="tok"))
        a2a.cancel(a2a.TaskCall("http://a/rpc", "t-2", version="0.3", context="me"))
        s, g, c = B.A2A.calls
        self.assertEqual((s.operation, s.version, s.subject, s.headers, s.context_id, s.timeout_ms, s.context),
                         (B.A2aOperation.STREAM, B.A2aProtocolVersion.V03, "x", [("x-k", "v")], None, None, None))
        self.assertEqual((g.operation, g.version, g.subject, g.headers, g.context_id),
                         (B.A2aOperation.GET_TASK, B.A2aProtocolVersion.V1, "t-1", [("authorization", "Bearer tok")], None))
        self.assertEqual((c.operation, c.version, c.subject, c.context), (B.A2aOperation.CANCEL_TASK, B.A2aProtocolVersion.V03, "t-2", "me"))

    def test_a_refusal_is_a_typed_refused_and_nothing_leaves(self) -> None:
        B.A2A.refuse = B.HttpError(B.HttpErrorKind.DENIED, "evil.example is not allowed")
        with self.assertRaises(a2a.A2aError) as cm:
            a2a.get(a2a.TaskCall("https://evil.example/rpc", "t"))
        self.assertIs(cm.exception.kind, A2aErrorKind.REFUSED)
        self.assertEqual(str(cm.exception), "a2a: refused: denied: evil.example is not allowed")
        B.A2A.refuse = None
        for bad in (a2a.Call("http://a", "x", version="2.0"), a2a.Call("http://a", "x", timeout_ms=-1),
                    a2a.Call("http://a", "x", timeout_ms=2 ** 32), a2a.Call("http://a", "x", timeout_ms=1.5)):
            with self.assertRaises(a2a.A2aError) as cm:
                a2a.send(bad)
            self.assertIs(cm.exception.kind, A2aErrorKind.REFUSED)
            self.assertTrue(cm.exception.reason.startswith("invalid-request: "), cm.exception.reason)
        self.assertEqual(B.A2A.calls, [])


class AnswersTest(unittest.TestCase):
    def setUp(self) -> None:
        self.was = agent.self_id()
        agent._set_self(AgentId("caller@caxton"))

    def tearDown(self) -> None:
        agent._set_self(self.was)

    def test_a_task_answer_reads_into_the_result(self) -> None:
        r = a2a.A2aResponse.from_message(answer(Performative.INFORM, "a\nb", [
            ("X-caxton-a2a-result", "task"), ("X-caxton-a2a-state", "completed"), ("X-caxton-a2a-final", "true"),
            ("X-caxton-a2a-task-id", "t"), ("X-caxton-a2a-context-id", "c"), ("X-caxton-http-context", "bob")]))
        self.assertEqual((r.request_id, r.context, r.ok, r.error), ("a2a-9", "bob", True, None))
        x = r.result
        self.assertEqual((x.is_task, x.kind, x.task_id, x.context_id, x.message_id, x.state, x.final, x.text, x.states),
                         (True, "task", "t", "c", None, "completed", True, "a\nb", []))
        r = a2a.A2aResponse.from_message(answer(Performative.INFORM, "more?", [
            ("x-caxton-a2a-result", "task"), ("X-caxton-a2a-state", "input-required"), ("X-caxton-a2a-final", "false"),
            ("X-caxton-a2a-task-id", "t")]))
        self.assertEqual((r.context, r.result.state, r.result.final, r.result.text), ("", "input-required", False, "more?"))

    def test_a_message_answer_and_a_streams_states(self) -> None:
        r = a2a.A2aResponse.from_message(answer(Performative.INFORM, "hi", [
            ("X-caxton-a2a-result", "message"), ("X-caxton-a2a-message-id", "m1"), ("X-caxton-a2a-context-id", "c")]))
        x = r.result
        self.assertEqual((x.is_task, x.kind, x.message_id, x.context_id, x.task_id, x.state, x.final, x.text),
                         (False, "message", "m1", "c", None, None, True, "hi"))
        r = a2a.A2aResponse.from_message(answer(Performative.INFORM, "HELLO", [
            ("X-caxton-a2a-result", "task"), ("X-caxton-a2a-state", "completed"), ("X-caxton-a2a-final", "true"),
            ("X-caxton-a2a-task-id", "t"), ("X-caxton-a2a-states", "submitted,working,completed")]))
        self.assertEqual(r.result.states, ["submitted", "working", "completed"])

    def test_each_failure_kind_is_a_typed_error(self) -> None:
        cases = [
            ([("X-caxton-a2a-error", "http-status"), ("X-caxton-http-status", "401")], "HTTP 401: missing token",
             (A2aErrorKind.HTTP_STATUS, 401, None, None)),
            ([("X-caxton-a2a-error", "rpc-error"), ("X-caxton-a2a-code", "-32001")], "Task not found (check the id)",
             (A2aErrorKind.RPC_ERROR, None, -32001, None)),
            ([("X-caxton-a2a-error", "no-response"), ("X-caxton-failure", "too-large")], "no response: too-large",
             (A2aErrorKind.NO_RESPONSE, None, None, "too-large")),
            ([("X-caxton-a2a-error", "malformed")], "the answer is not JSON: <html>", (A2aErrorKind.MALFORMED, None, None, None)),
            ([("X-caxton-a2a-error", "something-new")], "?", (A2aErrorKind.MALFORMED, None, None, None)),
        ]
        for params, reason, (kind, status, code, failure) in cases:
            r = a2a.A2aResponse.from_message(answer(Performative.FAILURE, reason, params + [("X-caxton-http-context", "x")]))
            self.assertEqual((r.ok, r.result, r.context, r.request_id), (False, None, "x", "a2a-9"))
            e = r.error
            self.assertEqual((e.kind, e.reason, e.status, e.code, e.failure), (kind, reason, status, code, failure))
            self.assertEqual(str(e), f"a2a: {kind.value}: {reason}")

    def test_other_messages_are_none(self) -> None:
        task = [("X-caxton-a2a-result", "task"), ("X-caxton-a2a-task-id", "t")]
        plain = answer(Performative.INFORM, "{}", [("X-caxton-http-status", "200"), ("X-caxton-http-context", "mine")])
        self.assertIsNone(a2a.A2aResponse.from_message(plain), "a plain HTTP answer")
        self.assertIsNotNone(http.HttpResponse.from_message(plain))
        self.assertIsNone(a2a.A2aResponse.from_message(answer(Performative.INFORM, "", task, sender="mallory@caxton")), "an agent's message")
        self.assertIsNone(a2a.A2aResponse.from_message(answer(Performative.INFORM, "", task, sender="http@elsewhere")), "another platform's")
        self.assertIsNone(a2a.A2aResponse.from_message(answer(Performative.REQUEST, "", task)), "not inform or failure")
        m = answer(Performative.INFORM, "", task)
        m.in_reply_to = None
        self.assertIsNone(a2a.A2aResponse.from_message(m), "no in-reply-to")
        m.sender = None
        self.assertIsNone(a2a.A2aResponse.from_message(m), "no sender")
        self.assertIsNotNone(a2a.A2aResponse.from_message(answer(Performative.INFORM, "", task)))


if __name__ == "__main__":
    unittest.main()
