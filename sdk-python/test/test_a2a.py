"""caxton.a2a under plain CPython, against the fake bindings: the JSON-RPC requests the outbound
A2A helper builds in both A2A versions, and what it reads from answers — Tasks and Messages in
1.0's and 0.3's JSON, streams, JSON-RPC errors, HTTP statuses, and what a hostile server might
send (deep nesting, truncation, not JSON) — each a result or a typed A2aError, never a crash."""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import fake_bindings as B  # noqa: E402

B.install()

from caxton import AclMessage, AgentId, Performative, a2a, http  # noqa: E402
from caxton.a2a import A2aErrorKind  # noqa: E402


def header(r: http.Request, name: str):
    return next((v for k, v in r.headers if k == name), None)


def gateway(performative: Performative, content: str, params) -> AclMessage:
    m = AclMessage(performative)
    m.sender = AgentId("http@caxton")
    m.in_reply_to = "http-9"
    m.content = content
    m.user_params = list(params)
    return m


class RequestsTest(unittest.TestCase):
    def setUp(self) -> None:
        B.HTTP.reset()
        B.HOST.reset()

    def test_send_builds_a2a_1_0_send_message_with_the_version_header_and_the_marked_context(self) -> None:
        r = a2a.send_request(a2a.Call("https://agent.example/a2a/jsonrpc", 'héllo "q"\n', token="tok", context="whom",
                                      context_id="ctx-1", message_id="m-1"))
        self.assertEqual((r.method, r.url, r.context), ("POST", "https://agent.example/a2a/jsonrpc", "caxton-a2a:whom"))
        self.assertEqual(header(r, "a2a-version"), "1.0")
        self.assertEqual(header(r, "authorization"), "Bearer tok")
        b = json.loads(r.body)
        self.assertEqual((b["jsonrpc"], b["method"]), ("2.0", "SendMessage"))
        self.assertEqual(b["params"]["message"], {"messageId": "m-1", "role": "ROLE_USER", "parts": [{"text": 'héllo "q"\n'}], "contextId": "ctx-1"})
        self.assertEqual(b["params"]["configuration"], {"returnImmediately": False})

    def test_version_0_3_speaks_message_send_and_the_other_methods_are_named_per_version(self) -> None:
        r = a2a.send_request(a2a.Call("http://a/rpc", "x", version="0.3"))
        self.assertIsNone(header(r, "a2a-version"))
        self.assertIsNone(header(r, "authorization"))
        b = json.loads(r.body)
        self.assertEqual(b["method"], "message/send")
        self.assertEqual(b["params"]["message"]["kind"], "message")
        self.assertEqual(b["params"]["message"]["parts"], [{"kind": "text", "text": "x"}])
        self.assertTrue(b["params"]["message"]["messageId"], "the host makes a message id")
        self.assertEqual(b["params"]["configuration"], {"blocking": True})
        s = a2a.stream_request(a2a.Call("http://a/rpc", "x", message_id="m"))
        self.assertEqual((json.loads(s.body)["method"], header(s, "accept"), s.context), ("SendStreamingMessage", "text/event-stream", "caxton-a2a-sse:"))
        g = a2a.get_task_request(a2a.TaskCall("http://a/rpc", "t-1", history_length=3, timeout_ms=900))
        self.assertEqual((json.loads(g.body)["method"], json.loads(g.body)["params"], g.timeout_ms), ("GetTask", {"id": "t-1", "historyLength": 3}, 900))
        c = a2a.cancel_task_request(a2a.TaskCall("http://a/rpc", "t-1", version="0.3"))
        self.assertEqual((json.loads(c.body)["method"], json.loads(c.body)["params"]), ("tasks/cancel", {"id": "t-1"}))
        with self.assertRaises(a2a.A2aError) as cm:
            a2a.send_request(a2a.Call("http://a", "x", version="2.0"))
        self.assertIs(cm.exception.kind, A2aErrorKind.REFUSED)

    def test_send_goes_through_the_http_call_and_a_refusal_is_a_typed_refused(self) -> None:
        rid = a2a.send(a2a.Call("http://agent/rpc", "hi", message_id="m"))
        self.assertEqual(len(B.HTTP.calls), 1)
        self.assertTrue(rid)
        B.HTTP.refuse = B.HttpError(B.HttpErrorKind.DENIED, "evil.example is not allowed")
        with self.assertRaises(a2a.A2aError) as cm:
            a2a.get(a2a.TaskCall("https://evil.example/rpc", "t"))
        self.assertIs(cm.exception.kind, A2aErrorKind.REFUSED)
        self.assertEqual(str(cm.exception), "a2a: refused: denied: evil.example is not allowed")


class ResultsTest(unittest.TestCase):
    def test_tasks_and_messages_of_both_versions_read_into_one_shape(self) -> None:
        r = a2a.result_from_body('{"jsonrpc":"2.0","id":1,"result":{"task":{"id":"t","contextId":"c","status":{"state":"TASK_STATE_COMPLETED",'
                                 '"message":{"parts":[{"text":"status"}]}},"artifacts":[{"parts":[{"text":"a"},{"data":{}},{"text":"b"}]},{"parts":[]}]}}}')
        self.assertEqual((r.is_task, r.task_id, r.context_id, r.state, r.final, r.text), (True, "t", "c", "completed", True, "a\nb"))
        r = a2a.result_from_body('{"jsonrpc":"2.0","id":1,"result":{"kind":"task","id":"t","status":{"state":"input-required","message":{"parts":[{"kind":"text","text":"more?"}]}}}}')
        self.assertEqual((r.state, r.final, r.text), ("input-required", False, "more?"))
        r = a2a.result_from_body('{"jsonrpc":"2.0","id":2,"result":{"id":"t","status":{"state":"TASK_STATE_CANCELED"}}}')
        self.assertEqual(r.state, "canceled")
        r = a2a.result_from_body('{"jsonrpc":"2.0","id":1,"result":{"kind":"message","messageId":"m1","role":"agent","parts":[{"kind":"text","text":"old"},'
                                 '{"kind":"data","data":{}},{"kind":"text","text":"style"}]}}')
        self.assertEqual((r.is_task, r.message_id, r.state, r.final, r.text), (False, "m1", None, True, "old\nstyle"))
        r = a2a.result_from_body('{"jsonrpc":"2.0","id":1,"result":{"task":{"id":"t","status":{"state":"TASK_STATE_COMPLETED","message":{"parts":[{"text":"te\\u0073t \\"q\\" \\u00e9\\n"}]}}}}}')
        self.assertEqual(r.text, 'test "q" é\n')

    def test_json_rpc_errors_http_statuses_and_no_response_are_typed(self) -> None:
        with self.assertRaises(a2a.A2aError) as cm:
            a2a.result_from_body('{"jsonrpc":"2.0","id":1,"error":{"code":-32001,"message":"Task not found","data":{"hint":"check the id"}}}')
        self.assertEqual((cm.exception.kind, cm.exception.code, cm.exception.reason), (A2aErrorKind.RPC_ERROR, -32001, "Task not found (check the id)"))
        m = gateway(Performative.INFORM, '{"jsonrpc":"2.0","id":1,"error":{"code":-32600,"message":"missing token"}}',
                    [("X-caxton-http-status", "401"), ("X-caxton-http-context", "caxton-a2a:bob")])
        r = a2a.A2aResponse.from_message(m)
        self.assertEqual((r.request_id, r.context, r.ok), ("http-9", "bob", False))
        self.assertEqual((r.error.kind, r.error.status, str(r.error)), (A2aErrorKind.HTTP_STATUS, 401, "a2a: http-status: HTTP 401: missing token"))
        m.content = "<html>bad gateway</html>"
        m.user_params[0] = ("X-caxton-http-status", "502")
        self.assertEqual(a2a.A2aResponse.from_message(m).error.reason, "HTTP 502: <html>bad gateway</html>")
        f = gateway(Performative.FAILURE, "", [("X-caxton-failure", "too-large"), ("X-caxton-http-context", "caxton-a2a-sse:x")])
        r = a2a.A2aResponse.from_message(f)
        self.assertEqual((r.error.kind, r.error.failure, str(r.error), r.context), (A2aErrorKind.NO_RESPONSE, "too-large", "a2a: no-response: no response: too-large", "x"))
        m.user_params[1] = ("X-caxton-http-context", "mine")
        self.assertIsNone(a2a.A2aResponse.from_message(m), "a plain HTTP answer")
        m.user_params[1] = ("X-caxton-http-context", "caxton-a2a:")
        m.sender = AgentId("mallory")
        self.assertIsNone(a2a.A2aResponse.from_message(m), "an agent's message")

    def test_a_hostile_servers_answers_are_malformed_never_a_crash(self) -> None:
        cases = {
            "not json at all": "the answer is not JSON: not json at all",
            '{"result":{"task":{"id":"t"}}}': "the answer is not a JSON-RPC 2.0 response",
            '{"jsonrpc":"2.0","id":1,"result":{"artifact":{}}}': "the result is neither a Task nor a Message",
            '{"jsonrpc":"2.0","id":1}': "the JSON-RPC response has no result",
            '{"jsonrpc":"2.0","id":1,"result":{"task":{"status":{}}}}': "the task has no id",
            '{"jsonrpc":"2.0","id":1,"result":{"task":{"id":"t","status":{"state":"TASK_STATE_COMP': "the answer is not JSON: ",
            '{"jsonrpc":"2.0","id":1,"result":' + "[" * 20000 + "]" * 20000 + "}": "the answer nests deeper than 64 levels",
        }
        for body, want in cases.items():
            with self.assertRaises(a2a.A2aError, msg=body[:40]) as cm:
                a2a.result_from_body(body)
            self.assertIs(cm.exception.kind, A2aErrorKind.MALFORMED)
            self.assertTrue(cm.exception.reason.startswith(want), cm.exception.reason[:80])
        with self.assertRaises(a2a.A2aError) as cm:
            a2a.result_from_sse("data: " + '{"a":' * 100000 + "\n\n")
        self.assertEqual(cm.exception.reason, "an event nests deeper than 64 levels")

    def test_a_stream_read_whole_folds_into_the_task_with_every_state_it_passed(self) -> None:
        v1 = ('data: {"jsonrpc":"2.0","id":1,"result":{"task":{"id":"t","contextId":"c","status":{"state":"TASK_STATE_SUBMITTED"}}}}\n\n'
              'data: {"jsonrpc":"2.0","id":1,"result":{"statusUpdate":{"taskId":"t","status":{"state":"TASK_STATE_WORKING"}}}}\r\n\r\n'
              ': a comment\n\n'
              'data: {"jsonrpc":"2.0","id":1,"result":{"statusUpdate":{"taskId":"t","status":{"state":"TASK_STATE_WORKING"}}}}\n\n'
              'data: {"jsonrpc":"2.0","id":1,"result":{"artifactUpdate":{"artifact":{"artifactId":"a","parts":[{"text":"HEL"}]}}}}\n\n'
              'data: {"jsonrpc":"2.0","id":1,"result":{"artifactUpdate":{"append":true,"artifact":{"artifactId":"a","parts":[{"text":"LO"}]}}}}\n\n'
              'data: {"jsonrpc":"2.0","id":1,"result":{"statusUpdate":{"taskId":"t","final":true,"status":{"state":"TASK_STATE_COMPLETED"}}}}\n\n')
        r = a2a.result_from_sse(v1)
        self.assertEqual((r.task_id, r.context_id, r.state, r.final, r.text, r.states), ("t", "c", "completed", True, "HELLO", ["submitted", "working", "completed"]))
        v03 = ('data: {"jsonrpc":"2.0","id":1,"result":{"kind":"task","id":"t","status":{"state":"working"}}}\n\n'
               'data: {"jsonrpc":"2.0","id":1,"result":{"kind":"status-update","taskId":"t","status":{"state":"canceled","message":{"parts":[{"kind":"text","text":"stopped"}]}}}}\n\n')
        r = a2a.result_from_sse(v03)
        self.assertEqual((r.state, r.text, r.states), ("canceled", "stopped", ["working", "canceled"]))
        r = a2a.result_from_sse('data: {"jsonrpc":"2.0","id":1,"result":{"message":{"messageId":"m","parts":[{"text":"hi"}]}}}\n\n')
        self.assertEqual((r.is_task, r.text), (False, "hi"))
        for body, want in [('data: {"jsonrpc":"2.0","id":1,"error":{"code":-32001,"message":"Task not found"}}\n\n', "Task not found"),
                           ("", "the stream carried neither a Task nor a Message"),
                           ("data: [1]\n\n", "an event is not a JSON-RPC 2.0 response"),
                           ('data: {"jsonrpc":"2.0","result":{}}\n\n' * 1001, "the stream has 1001 events, more than 1000")]:
            with self.assertRaises(a2a.A2aError) as cm:
                a2a.result_from_sse(body)
            self.assertEqual(cm.exception.reason, want)

    def test_more_than_1000_artifacts_are_refused_before_they_are_folded(self) -> None:
        def task(n: int) -> str:
            return '{"jsonrpc":"2.0","result":{"task":{"id":"t","status":{"state":"TASK_STATE_COMPLETED"},"artifacts":[' + ",".join(["{}"] * n) + "]}}}"

        def update(aid: str, text: str, append: bool = False) -> str:
            return 'data: {"jsonrpc":"2.0","result":{"artifactUpdate":{"append":%s,"artifact":{"artifactId":"%s","parts":[{"text":"%s"}]}}}}\n\n' % (
                "true" if append else "false", aid, text)

        many = task(60_000)
        self.assertTrue(180_000 < len(many) < 192 * 1024)
        for read in (lambda: a2a.result_from_sse("data: " + many + "\n\n"), lambda: a2a.result_from_body(many),
                     lambda: a2a.result_from_sse("data: " + task(1000) + "\n\n" + update("new", "n"))):
            with self.assertRaises(a2a.A2aError) as cm:
                read()
            self.assertEqual((cm.exception.kind, cm.exception.reason), (A2aErrorKind.MALFORMED, "the task has more than 1000 artifacts"))
        self.assertEqual(a2a.result_from_sse("data: " + task(1000) + "\n\n").state, "completed")
        folded = "data: " + task(0) + "\n\n" + update("a", "x") + update("b", "y") + update("a", "z", append=True)
        self.assertEqual(a2a.result_from_sse(folded).text, "xz\ny")

    def test_nan_and_infinity_are_not_json(self) -> None:
        for constant in ("NaN", "Infinity", "-Infinity"):
            body = '{"jsonrpc":"2.0","id":1,"result":{"message":{"parts":[{"text":"hi"}]},"x":%s}}' % constant
            with self.assertRaises(a2a.A2aError) as cm:
                a2a.result_from_body(body)
            self.assertEqual((cm.exception.kind, cm.exception.reason), (A2aErrorKind.MALFORMED, "the answer is not JSON: " + body))
            with self.assertRaises(a2a.A2aError) as cm:
                a2a.result_from_sse("data: " + body + "\n\n")
            self.assertEqual(cm.exception.reason, "an event is not JSON: " + body)

    def test_lone_surrogates_become_u_fffd_and_pairs_stay(self) -> None:
        r = a2a.result_from_body('{"jsonrpc":"2.0","id":1,"result":{"task":{"id":"\\udc00t","status":{"state":"TASK_STATE_COMPLETED",'
                                 '"message":{"parts":[{"text":"\\ud800x \\ud83d\\ude00"}]}}}}}')
        self.assertEqual((r.text, r.task_id), ("\ufffdx \U0001F600", "\ufffdt"))
        r.text.encode("utf-8")  # what crossing the WIT boundary does
        with self.assertRaises(a2a.A2aError) as cm:
            a2a.result_from_body('{"jsonrpc":"2.0","id":1,"error":{"code":1,"message":"bad \\udfff"}}')
        self.assertEqual(cm.exception.reason, "bad \ufffd")
        s = a2a.result_from_sse('data: {"jsonrpc":"2.0","result":{"message":{"parts":[{"text":"\\ud800x"}]}}}\n\n')
        self.assertEqual(s.text, "\ufffdx")


if __name__ == "__main__":
    unittest.main()
