"""caxton.state and caxton.http under plain CPython, against fake bindings shaped like
componentize-py's (refusals raise componentize_py_types.Err carrying the WIT error record)."""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import fake_bindings as B  # noqa: E402

B.install()

from caxton import AclMessage, AgentId, Performative, agent, http, state  # noqa: E402


class StateTest(unittest.TestCase):
    def setUp(self) -> None:
        B.STATE.reset()

    def test_get_set_delete_and_pages_of_keys(self) -> None:
        self.assertIsNone(state.get("count"))
        for k in ["count", "k/a", "k/b", "k/c"]:
            state.set(k, "v-" + k)
        self.assertEqual(state.get("k/b"), "v-k/b")
        self.assertEqual(state.keys("k/", limit=2), ["k/a", "k/b"])
        self.assertEqual(state.keys("k/", start_after="k/b"), ["k/c"])
        state.delete("k/b")
        state.delete("absent")
        self.assertEqual(state.keys(), ["count", "k/a", "k/c"])

    def test_a_refusal_raises_a_typed_state_error(self) -> None:
        B.STATE.refuse = B.StateError(B.StateErrorKind.READ_ONLY, "init may not write")
        with self.assertRaises(state.StateError) as cm:
            state.set("count", "1")
        self.assertIs(cm.exception.kind, state.StateErrorKind.READ_ONLY)
        self.assertEqual(cm.exception.message, "init may not write")
        self.assertEqual(str(cm.exception), "state read-only: init may not write")
        B.STATE.refuse = B.StateError(B.StateErrorKind.VALUE_TOO_LARGE, "2 MiB")
        with self.assertRaises(state.StateError) as cm:
            state.delete("count")
        self.assertIs(cm.exception.kind, state.StateErrorKind.VALUE_TOO_LARGE)

    def test_every_wit_kind_has_a_python_kind(self) -> None:
        for k in B.StateErrorKind:
            self.assertEqual(state.StateErrorKind(k.name.lower().replace("_", "-")).name, k.name)
        for k in B.HttpErrorKind:
            self.assertEqual(http.HttpErrorKind(k.name.lower().replace("_", "-")).name, k.name)


class HttpTest(unittest.TestCase):
    def setUp(self) -> None:
        B.HTTP.reset()
        self.was = agent.self_id()
        agent._set_self(AgentId("asker@platform"))  # its answers come from http@platform

    def tearDown(self) -> None:
        agent._set_self(self.was)

    def test_fetch_passes_the_request_record_and_returns_the_id(self) -> None:
        rid = http.fetch(http.Request("POST", "https://api.example.com/v1", [("content-type", "application/json")],
                                      body="{}", timeout_ms=2500, context="asker@p"))
        self.assertEqual(rid, "call-1")
        self.assertEqual(B.HTTP.calls[0], B.Request("POST", "https://api.example.com/v1",
                                                    [("content-type", "application/json")], "{}", 2500, "asker@p"))

    def test_a_refusal_raises_a_typed_http_error(self) -> None:
        B.HTTP.refuse = B.HttpError(B.HttpErrorKind.DENIED, "evil.example is not allowed")
        with self.assertRaises(http.HttpError) as cm:
            http.fetch(http.Request("GET", "https://evil.example/"))
        self.assertIs(cm.exception.kind, http.HttpErrorKind.DENIED)
        self.assertEqual(B.HTTP.calls, [])

    def gateway(self, performative, params):
        m = AclMessage(performative)
        m.sender = AgentId("http@platform")
        m.in_reply_to = "call-3"
        m.conversation_id = "conv-9"
        m.content = "made"
        m.user_params = params
        return m

    def test_an_inform_from_the_gateway_is_a_response(self) -> None:
        r = http.HttpResponse.from_message(self.gateway(Performative.INFORM, [
            ("X-caxton-http-status", "201"), ("X-caxton-http-context", "asker@p"),
            ("X-caxton-http-header-content-type", "text/plain")]))
        self.assertEqual((r.request_id, r.status, r.ok, r.context, r.conversation_id, r.body),
                         ("call-3", 201, True, "asker@p", "conv-9", "made"))
        self.assertEqual(r.header("Content-Type"), "text/plain")

    def test_a_failure_has_no_status_and_says_why(self) -> None:
        r = http.HttpResponse.from_message(self.gateway(Performative.FAILURE, [("X-caxton-failure", "timeout")]))
        self.assertEqual((r.status, r.failure, r.ok, r.context), (None, "timeout", False, None))

    def test_other_messages_are_not_responses(self) -> None:
        m = self.gateway(Performative.INFORM, [("X-caxton-http-status", "200")])
        m.sender = AgentId("httpd@platform")
        self.assertIsNone(http.HttpResponse.from_message(m))
        m.sender = AgentId("http@elsewhere")
        self.assertIsNone(http.HttpResponse.from_message(m), "another platform's gateway")
        m = self.gateway(Performative.INFORM, [("X-caxton-http-status", "200")])
        m.in_reply_to = None
        self.assertIsNone(http.HttpResponse.from_message(m), "an answer replies to its call")
        self.assertIsNone(http.HttpResponse.from_message(self.gateway(Performative.REQUEST, [])))


if __name__ == "__main__":
    unittest.main()
