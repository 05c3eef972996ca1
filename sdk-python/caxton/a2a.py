"""Calling A2A agents (A2A 1.0 JSON-RPC ``SendMessage``, ``SendStreamingMessage``, ``GetTask``,
``CancelTask``, or 0.3's ``message/send``, ``message/stream``, ``tasks/get``, ``tasks/cancel``;
decisions 1951, 2040) over the deployment's allow-listed outbound HTTP (``caxton.http``, decision
1601): the Python twin of ``@caxton/sdk-js/a2a``::

    from caxton import a2a
    a2a.send(a2a.Call("https://agent.example/a2a/jsonrpc", "hello", token=t, context=whom))
    # raises A2aError (kind REFUSED) when the call cannot leave
    ... later, in on_message:
    r = a2a.A2aResponse.from_message(msg)          # None for other messages
    if r is not None:
        if r.ok: r.result.state, r.result.text
        else: r.error.kind, r.error.reason

Like any HTTP call it never blocks: the request leaves when this handling completes and the
answer comes back later as a message; ``context`` travels with it. The host must be on the
deployment's allow-list (``caxton deploy --allow-http``). An agent's HTTP call answers once, with
the whole body, so ``stream``'s answer is the stream read whole when it ends.
"""
from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Dict, List, Optional

from . import http
from .host import new_id
from .types import AclMessage

#: How deep an answer may nest (objects and arrays); A2A answers nest about ten deep. Checked
#: before json.loads sees the text: its recursion could exhaust the agent's stack (a trap).
MAX_DEPTH = 64
#: Events one stream may carry before it is refused as malformed.
MAX_EVENTS = 1000
#: Artifacts one task may carry (an answer's, or folded from a stream) before it is refused as
#: malformed: the same limit and reason in every SDK, bounding the fold's work.
MAX_ARTIFACTS = 1000
#: The marks of an A2A call's HTTP context (the same as the other SDKs').
MARK = "caxton-a2a:"
STREAM_MARK = "caxton-a2a-sse:"
VERSIONS = ("1.0", "0.3")


class A2aErrorKind(str, Enum):
    REFUSED = "refused"  # the call never left: not allow-listed, invalid, quota
    NO_RESPONSE = "no-response"  # timeout, connect-failed, too-large… (failure)
    HTTP_STATUS = "http-status"  # not 2xx (status)
    RPC_ERROR = "rpc-error"  # a JSON-RPC error (code)
    MALFORMED = "malformed"  # not a JSON-RPC answer with a Task or a Message


class A2aError(Exception):
    """Why an A2A call has no usable result: ``kind``, ``reason``; ``status`` (HTTP_STATUS),
    ``code`` (RPC_ERROR), ``failure`` (NO_RESPONSE)."""

    def __init__(self, kind: A2aErrorKind, reason: str, status: Optional[int] = None,
                 code: Optional[int] = None, failure: Optional[str] = None) -> None:
        super().__init__(f"a2a: {kind.value}: {reason}")
        self.kind = kind
        self.reason = reason
        self.status = status
        self.code = code
        self.failure = failure


@dataclass
class Call:
    """One message to send (``send``, ``stream``)."""
    url: str  # the agent's JSON-RPC endpoint (its card's JSONRPC interface); allow-listed
    text: str  # the message's one text part
    token: Optional[str] = None  # sent as Authorization: Bearer <token>
    version: str = "1.0"  # or "0.3"
    context_id: Optional[str] = None
    message_id: Optional[str] = None  # made with new_id() when None
    timeout_ms: Optional[int] = None
    context: Optional[str] = None  # echoed back with the answer (e.g. whom to answer)


@dataclass
class TaskCall:
    """One call about a task (``get``, ``cancel``)."""
    url: str
    task_id: str
    token: Optional[str] = None
    version: str = "1.0"
    history_length: Optional[int] = None  # get only
    timeout_ms: Optional[int] = None
    context: Optional[str] = None


_sequence = itertools.count(1)


def _refused(reason: str) -> A2aError:
    return A2aError(A2aErrorKind.REFUSED, reason)


def _rpc_request(url: str, token: Optional[str], version: str, timeout_ms: Optional[int], context: str,
                 accept: str, methods: tuple, params: Dict[str, Any]) -> http.Request:
    if version not in VERSIONS:
        raise _refused(f"invalid-request: the A2A version must be 1.0 or 0.3, got {version!r}")
    v1 = version == "1.0"
    headers = [("content-type", "application/json"), ("accept", accept)]
    if v1:
        headers.append(("a2a-version", "1.0"))
    if token is not None:
        headers.append(("authorization", f"Bearer {token}"))
    body = json.dumps({"jsonrpc": "2.0", "id": next(_sequence), "method": methods[0] if v1 else methods[1], "params": params},
                      ensure_ascii=False, separators=(",", ":"))
    return http.Request("POST", url, headers, body, timeout_ms, context)


def _message_request(c: Call, methods: tuple, accept: str, mark: str) -> http.Request:
    if c.version not in VERSIONS:
        raise _refused(f"invalid-request: the A2A version must be 1.0 or 0.3, got {c.version!r}")
    mid = c.message_id if c.message_id is not None else new_id()
    if c.version == "1.0":
        message: Dict[str, Any] = {"messageId": mid, "role": "ROLE_USER", "parts": [{"text": c.text}]}
        configuration: Dict[str, Any] = {"returnImmediately": False}
    else:
        message = {"kind": "message", "messageId": mid, "role": "user", "parts": [{"kind": "text", "text": c.text}]}
        configuration = {"blocking": True}
    if c.context_id is not None:
        message["contextId"] = c.context_id
    return _rpc_request(c.url, c.token, c.version, c.timeout_ms, mark + (c.context or ""), accept, methods,
                        {"message": message, "configuration": configuration})


def send_request(c: Call) -> http.Request:
    """The HTTP request of one SendMessage / message/send (blocking: the answer is the task as it ended)."""
    return _message_request(c, ("SendMessage", "message/send"), "application/json", MARK)


def stream_request(c: Call) -> http.Request:
    """The HTTP request of one SendStreamingMessage / message/stream (server-sent events, read whole)."""
    return _message_request(c, ("SendStreamingMessage", "message/stream"), "text/event-stream", STREAM_MARK)


def get_task_request(c: TaskCall) -> http.Request:
    """The HTTP request of one GetTask / tasks/get."""
    params: Dict[str, Any] = {"id": c.task_id}
    if c.history_length is not None:
        if not isinstance(c.history_length, int) or c.history_length < 0:
            raise _refused("invalid-request: historyLength must be a whole number")
        params["historyLength"] = c.history_length
    return _rpc_request(c.url, c.token, c.version, c.timeout_ms, MARK + (c.context or ""), "application/json",
                        ("GetTask", "tasks/get"), params)


def cancel_task_request(c: TaskCall) -> http.Request:
    """The HTTP request of one CancelTask / tasks/cancel."""
    return _rpc_request(c.url, c.token, c.version, c.timeout_ms, MARK + (c.context or ""), "application/json",
                        ("CancelTask", "tasks/cancel"), {"id": c.task_id})


def _fetch(request: http.Request) -> str:
    try:
        return http.fetch(request)
    except http.HttpError as e:
        raise _refused(f"{e.kind.value}: {e.message}") from None


def send(c: Call) -> str:
    """Sends the message; returns the HTTP request id (the answer's in-reply-to). Raises A2aError
    (REFUSED) when the call cannot leave: nothing is sent."""
    return _fetch(send_request(c))


def stream(c: Call) -> str:
    """``send`` streamed: the answer comes back once the stream ends, as one result whose
    ``states`` lists every state the task passed through."""
    return _fetch(stream_request(c))


def get(c: TaskCall) -> str:
    """The task's state now."""
    return _fetch(get_task_request(c))


def cancel(c: TaskCall) -> str:
    """Cancels the task; the answer is the task as the cancel left it."""
    return _fetch(cancel_task_request(c))


@dataclass
class A2aResult:
    """A Task (``is_task``) or a Message, in either version's JSON, read into one shape."""
    is_task: bool
    task_id: Optional[str] = None
    message_id: Optional[str] = None
    context_id: Optional[str] = None
    state: Optional[str] = None  # lower case with dashes (completed, input-required…); None for a Message
    final: bool = True  # completed, failed, canceled, rejected; True for a Message
    text: str = ""  # the artifacts' text, else the status message's; parts joined by newlines
    states: List[str] = field(default_factory=list)  # a stream only: every state passed through


def _nesting_exceeds(text: str, limit: int) -> bool:
    """Whether ``text`` opens more than ``limit`` objects/arrays at once, brackets in strings aside."""
    depth = 0
    in_string = False
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if in_string:
            if c == "\\":
                i += 1
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
        elif c in "[{":
            depth += 1
            if depth > limit:
                return True
        elif c in "]}":
            depth -= 1
        i += 1
    return False


def _not_json(constant: str) -> Any:
    # json.loads takes NaN, Infinity and -Infinity, which JSON (and the other SDKs) do not.
    raise ValueError(f"{constant} is not JSON")


_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _whole(v: Any) -> Any:
    """``v`` with every lone surrogate (a ``\\ud800`` json.loads keeps) as U+FFFD, as the other
    SDKs read them: a str holding one cannot be encoded as UTF-8, so an agent passing it on
    would fail at the WIT boundary. A valid pair is one character by then and stays."""
    if isinstance(v, str):
        return _SURROGATE.sub("\ufffd", v)
    if isinstance(v, list):
        return [_whole(x) for x in v]
    if isinstance(v, dict):
        return {_whole(k): _whole(x) for k, x in v.items()}
    return v


def _decode(text: str, what: str) -> Any:
    if _nesting_exceeds(text, MAX_DEPTH):
        raise A2aError(A2aErrorKind.MALFORMED, f"{what} nests deeper than {MAX_DEPTH} levels")
    try:
        doc = json.loads(text, parse_constant=_not_json)
    except ValueError:
        raise A2aError(A2aErrorKind.MALFORMED, f"{what} is not JSON: {text[:120]}") from None
    # Only a surrogate escape makes one (the text itself is a str from the host: no surrogates);
    # the walk is bounded by MAX_DEPTH.
    return _whole(doc) if _SURROGATE_ESCAPE.search(text) else doc


def _too_many_artifacts() -> A2aError:
    return A2aError(A2aErrorKind.MALFORMED, f"the task has more than {MAX_ARTIFACTS} artifacts")


def _artifacts_of(task: Dict[str, Any]) -> List[Any]:
    """The task's artifacts (none when not a list), refused past MAX_ARTIFACTS."""
    artifacts = task.get("artifacts") if isinstance(task.get("artifacts"), list) else []
    if len(artifacts) > MAX_ARTIFACTS:
        raise _too_many_artifacts()
    return artifacts


def _obj(v: Any) -> Optional[Dict[str, Any]]:
    return v if isinstance(v, dict) else None


def _str(o: Optional[Dict[str, Any]], key: str) -> Optional[str]:
    v = o.get(key) if o is not None else None
    return v if isinstance(v, str) else None


def _parts_text(parts: Any) -> str:
    """The text parts joined by newlines (1.0: ``{text}``; 0.3: ``{kind: 'text', text}``)."""
    if not isinstance(parts, list):
        return ""
    return "\n".join(p["text"] for p in parts if isinstance(p, dict) and isinstance(p.get("text"), str))


def _state_name(s: Any) -> str:
    """TASK_STATE_INPUT_REQUIRED (1.0) and input-required (0.3) alike: input-required."""
    if not isinstance(s, str):
        return "unknown"
    return re.sub(r"^TASK_STATE_", "", s).lower().replace("_", "-")


_FINAL = {"completed", "failed", "canceled", "rejected"}


def _status_text(status: Optional[Dict[str, Any]]) -> str:
    return _parts_text((_obj(status.get("message")) or {}).get("parts") if status is not None else None)


def _rpc_error(e: Dict[str, Any]) -> A2aError:
    m = e.get("message")
    message = m if isinstance(m, str) else str(m) if isinstance(m, (int, float)) and not isinstance(m, bool) else "error"
    hint = _str(_obj(e.get("data")), "hint")
    code = e.get("code")
    return A2aError(A2aErrorKind.RPC_ERROR, message + (f" ({hint})" if hint is not None else ""),
                    code=code if isinstance(code, int) and not isinstance(code, bool) else None)


def _message_result(m: Dict[str, Any]) -> A2aResult:
    return A2aResult(is_task=False, message_id=_str(m, "messageId"), context_id=_str(m, "contextId"), text=_parts_text(m.get("parts")))


def _task_result(task: Dict[str, Any]) -> A2aResult:
    tid = _str(task, "id")
    if tid is None:
        raise A2aError(A2aErrorKind.MALFORMED, "the task has no id")
    status = _obj(task.get("status"))
    state = _state_name(status.get("state") if status is not None else None)
    texts = [t for t in (_parts_text((_obj(a) or {}).get("parts")) for a in _artifacts_of(task)) if t != ""]
    return A2aResult(is_task=True, task_id=tid, context_id=_str(task, "contextId"), state=state, final=state in _FINAL,
                     text="\n".join(texts) if texts else _status_text(status))


def _is_rpc(doc: Any) -> bool:
    return isinstance(doc, dict) and doc.get("jsonrpc") == "2.0"


def _pick(r: Dict[str, Any], wrapper: str, kind: str) -> Optional[Dict[str, Any]]:
    o = _obj(r.get(wrapper))
    if o is not None:
        return o
    return r if r.get("kind") == kind else None


def result_from_body(body: str) -> A2aResult:
    """A JSON-RPC answer's body read: a Task (1.0's ``{task}``, GetTask's and CancelTask's Task
    itself, 0.3's ``kind: task``) or a Message. Raises A2aError RPC_ERROR or MALFORMED."""
    doc = _decode(body, "the answer")
    if not _is_rpc(doc):
        raise A2aError(A2aErrorKind.MALFORMED, "the answer is not a JSON-RPC 2.0 response")
    if _obj(doc.get("error")) is not None:
        raise _rpc_error(doc["error"])
    r = _obj(doc.get("result"))
    if r is None:
        raise A2aError(A2aErrorKind.MALFORMED, "the JSON-RPC response has no result")
    task = _pick(r, "task", "task")
    if task is None and "kind" not in r and _str(r, "id") is not None and _obj(r.get("status")) is not None:
        task = r
    if task is not None:
        return _task_result(task)
    msg = _pick(r, "message", "message")
    if msg is not None:
        return _message_result(msg)
    raise A2aError(A2aErrorKind.MALFORMED, "the result is neither a Task nor a Message")


def _sse_events(body: str) -> List[str]:
    events = []
    for block in re.split(r"\r?\n\r?\n", body):
        data = "\n".join(re.sub(r"^ ", "", line[5:]) for line in re.split(r"\r?\n", block) if line.startswith("data:"))
        if data != "":
            events.append(data)
    return events


def result_from_sse(body: str) -> A2aResult:
    """A streamed answer (server-sent events, read whole) folded into one result: the task as its
    events left it — the last status's state, the artifacts' text, else the last status message's —
    with ``states``, every state passed through; or the Message the agent answered with."""
    events = _sse_events(body)
    if len(events) > MAX_EVENTS:
        raise A2aError(A2aErrorKind.MALFORMED, f"the stream has {len(events)} events, more than {MAX_EVENTS}")
    task: Optional[Dict[str, Any]] = None
    message: Optional[Dict[str, Any]] = None
    states: List[str] = []
    artifacts: Dict[str, str] = {}  # by id, in the order first seen
    status_text = ""

    def set_artifact(aid: str, text: str) -> None:
        if aid not in artifacts and len(artifacts) >= MAX_ARTIFACTS:
            raise _too_many_artifacts()
        artifacts[aid] = text

    for data in events:
        doc = _decode(data, "an event")
        if not _is_rpc(doc):
            raise A2aError(A2aErrorKind.MALFORMED, "an event is not a JSON-RPC 2.0 response")
        if _obj(doc.get("error")) is not None:
            raise _rpc_error(doc["error"])
        r = _obj(doc.get("result"))
        if r is None:
            raise A2aError(A2aErrorKind.MALFORMED, "an event has no result")
        t, m = _pick(r, "task", "task"), _pick(r, "message", "message")
        su, au = _pick(r, "statusUpdate", "status-update"), _pick(r, "artifactUpdate", "artifact-update")
        if t is not None:
            task = t
            for a in _artifacts_of(t):
                if isinstance(a, dict):
                    set_artifact(str(a.get("artifactId", len(artifacts))), _parts_text(a.get("parts")))
            status = _obj(t.get("status"))
            if status is not None:
                states.append(_state_name(status.get("state")))
                status_text = _status_text(status)
        elif m is not None:
            message = m
        elif su is not None and _obj(su.get("status")) is not None:
            states.append(_state_name(su["status"].get("state")))
            text = _status_text(su["status"])
            if text != "":
                status_text = text
        elif au is not None and _obj(au.get("artifact")) is not None:
            a = au["artifact"]
            aid = str(a.get("artifactId", len(artifacts)))
            text = _parts_text(a.get("parts"))
            set_artifact(aid, artifacts.get(aid, "") + text if au.get("append") is True else text)
    if task is not None:
        state = states[-1] if states else "unknown"
        texts = [t for t in artifacts.values() if t != ""]
        passed = [s for i, s in enumerate(states) if i == 0 or s != states[i - 1]]
        return A2aResult(is_task=True, task_id=str(task.get("id", "")), context_id=_str(task, "contextId"), state=state,
                         final=state in _FINAL, text="\n".join(texts) if texts else status_text, states=passed)
    if message is not None:
        return _message_result(message)
    raise A2aError(A2aErrorKind.MALFORMED, "the stream carried neither a Task nor a Message")


def result_from_http(r: http.HttpResponse, stream: bool = False) -> A2aResult:
    """An HTTP answer to an A2A call read: the result, or A2aError for no response, a non-2xx
    status (a JSON-RPC error in its body is read for the reason), or a body that is no A2A answer."""
    if r.status is None:
        failure = r.failure or "unknown"
        raise A2aError(A2aErrorKind.NO_RESPONSE, f"no response: {failure}", failure=failure)
    if r.body_base64:
        raise A2aError(A2aErrorKind.MALFORMED, "the answer is not text")
    if not 200 <= r.status <= 299:
        reason = r.body[:200]
        try:
            result_from_body(r.body)
        except A2aError as e:
            if e.kind is A2aErrorKind.RPC_ERROR:
                reason = e.reason
        raise A2aError(A2aErrorKind.HTTP_STATUS, f"HTTP {r.status}: {reason}", status=r.status)
    return result_from_sse(r.body) if stream else result_from_body(r.body)


@dataclass
class A2aResponse:
    """The answer to an A2A call: ``result`` when ``ok``, else ``error``."""
    request_id: str
    context: str  # the caller's own context, handed back
    result: Optional[A2aResult]
    error: Optional[A2aError]

    @property
    def ok(self) -> bool:
        return self.error is None

    @staticmethod
    def from_message(msg: AclMessage) -> Optional["A2aResponse"]:
        """``msg`` read as the answer to an A2A call, or None (any other message, including the
        answer to a plain http.fetch)."""
        r = http.HttpResponse.from_message(msg)
        if r is None or r.context is None:
            return None
        is_stream = r.context.startswith(STREAM_MARK)
        if not is_stream and not r.context.startswith(MARK):
            return None
        context = r.context[len(STREAM_MARK if is_stream else MARK):]
        try:
            return A2aResponse(r.request_id, context, result_from_http(r, is_stream), None)
        except A2aError as e:
            return A2aResponse(r.request_id, context, None, e)
