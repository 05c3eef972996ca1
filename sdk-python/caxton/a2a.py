"""Calling A2A agents (``caxton:agent/a2a``, decision 2193): the host speaks A2A's JSON-RPC binding
(1.0 or 0.3) over the deployment's allow-listed outbound HTTP and reads the answer, so this module
builds and parses no JSON. The Python twin of ``@caxton/sdk-js/a2a``::

    from caxton import a2a
    a2a.send(a2a.Call("https://agent.example/a2a/jsonrpc", "hello", token=t, context=whom))
    a2a.stream(a2a.Call(...))              # read whole: result.states lists each state passed
    a2a.get(a2a.TaskCall(url, task_id))    # the task's state now
    a2a.cancel(a2a.TaskCall(url, task_id)) # the task as the cancel left it
    # each returns the call's id, or raises A2aError (kind REFUSED) when the call cannot leave
    ... later, in on_message:
    r = a2a.A2aResponse.from_message(msg)  # None for other messages
    if r is not None:
        if r.ok: r.result.state, r.result.text
        else: r.error.kind, r.error.reason

Like any HTTP call it never blocks: the call leaves when this handling completes and the answer
comes back later as a message from ``http@<platform>``; ``context`` travels with it. The host must
be on the deployment's allow-list (``caxton deploy --allow-http``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Dict, List, Optional, Sequence, Tuple, Union

from . import _abi
from .http import CONTEXT_PARAM, FAILURE_PARAM, STATUS_PARAM, HttpResponse
from .types import AclMessage, Performative

VERSIONS = ("1.0", "0.3")
RESULT_PARAM = "X-caxton-a2a-result"
STATE_PARAM = "X-caxton-a2a-state"
FINAL_PARAM = "X-caxton-a2a-final"
TASK_ID_PARAM = "X-caxton-a2a-task-id"
CONTEXT_ID_PARAM = "X-caxton-a2a-context-id"
MESSAGE_ID_PARAM = "X-caxton-a2a-message-id"
STATES_PARAM = "X-caxton-a2a-states"
ERROR_PARAM = "X-caxton-a2a-error"
CODE_PARAM = "X-caxton-a2a-code"


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


Headers = Union[Sequence[Tuple[str, str]], Dict[str, str]]


@dataclass
class Call:
    """One message to send (``send``, ``stream``)."""
    url: str  # the agent's JSON-RPC endpoint (its card's JSONRPC interface); allow-listed
    text: str  # the message's one text part
    token: Optional[str] = None  # sent as authorization: Bearer <token>
    version: str = "1.0"  # or "0.3"
    context_id: Optional[str] = None  # the A2A context to continue
    headers: Headers = field(default_factory=list)  # added as they are (checked as an HTTP call's)
    timeout_ms: Optional[int] = None
    context: Optional[str] = None  # echoed back with the answer (e.g. whom to answer)


@dataclass
class TaskCall:
    """One call about a task (``get``, ``cancel``)."""
    url: str
    task_id: str
    token: Optional[str] = None
    version: str = "1.0"
    headers: Headers = field(default_factory=list)
    timeout_ms: Optional[int] = None
    context: Optional[str] = None


def _start(operation: str, subject: str, c: Union[Call, TaskCall], context_id: Optional[str]) -> str:
    if c.version not in VERSIONS:
        raise A2aError(A2aErrorKind.REFUSED, f"invalid-request: the A2A version must be 1.0 or 0.3, got {c.version!r}")
    t = c.timeout_ms
    if t is not None and (not isinstance(t, int) or isinstance(t, bool) or not 0 <= t <= 0xFFFFFFFF):
        raise A2aError(A2aErrorKind.REFUSED, f"invalid-request: timeout_ms must be a whole number of milliseconds, got {t!r}")
    headers = [(str(k), str(v)) for k, v in (c.headers.items() if isinstance(c.headers, dict) else c.headers)]
    if c.token is not None:
        headers.append(("authorization", f"Bearer {c.token}"))
    call_id, refusal = _abi.a2a_start(operation, c.url, c.version, subject, context_id, headers, t, c.context)
    if refusal is not None:
        raise A2aError(A2aErrorKind.REFUSED, f"{refusal[0]}: {refusal[1]}")
    return call_id


def send(c: Call) -> str:
    """Sends the message and has the answer wait for the task to end; returns the call's id (the
    answer's in-reply-to). Raises A2aError (REFUSED) when the call cannot leave: nothing is sent."""
    return _start("send", c.text, c, c.context_id)


def stream(c: Call) -> str:
    """``send`` streamed, read whole: the answer's ``states`` lists every state the task passed through."""
    return _start("stream", c.text, c, c.context_id)


def get(c: TaskCall) -> str:
    """The task's state now."""
    return _start("get-task", c.task_id, c, None)


def cancel(c: TaskCall) -> str:
    """Cancels the task; the answer is the task as the cancel left it."""
    return _start("cancel-task", c.task_id, c, None)


@dataclass
class A2aResult:
    """A Task (``is_task``) or a Message, as the host read it."""
    is_task: bool
    task_id: Optional[str] = None
    message_id: Optional[str] = None
    context_id: Optional[str] = None
    state: Optional[str] = None  # lower case with dashes (completed, input-required…); None for a Message
    final: bool = True  # completed, failed, canceled, rejected; True for a Message
    text: str = ""  # the artifacts' text, else the status message's (or the Message's)
    states: List[str] = field(default_factory=list)  # a stream only: every state passed through

    @property
    def kind(self) -> str:
        return "task" if self.is_task else "message"


def _param(msg: AclMessage, key: str) -> Optional[str]:
    key = key.lower()
    return next((v for k, v in msg.user_params if k.lower() == key), None)


def _int(text: Optional[str]) -> Optional[int]:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


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
        answer to a plain http.fetch). The host read the A2A answer; this reads its parameters."""
        if not (HttpResponse.is_http_message(msg) and isinstance(msg.in_reply_to, str)
                and msg.performative in (Performative.INFORM, Performative.FAILURE)):
            return None
        kind, failed = _param(msg, RESULT_PARAM), _param(msg, ERROR_PARAM)
        if kind is None and failed is None:
            return None
        request_id, context = msg.in_reply_to or "", _param(msg, CONTEXT_PARAM) or ""
        if failed is not None:
            try:
                error_kind = A2aErrorKind(failed)
            except ValueError:
                error_kind = A2aErrorKind.MALFORMED
            error = A2aError(error_kind, msg.content or "",
                             status=_int(_param(msg, STATUS_PARAM)) if error_kind is A2aErrorKind.HTTP_STATUS else None,
                             code=_int(_param(msg, CODE_PARAM)), failure=_param(msg, FAILURE_PARAM))
            return A2aResponse(request_id, context, None, error)
        states = _param(msg, STATES_PARAM)
        result = A2aResult(is_task=kind == "task", context_id=_param(msg, CONTEXT_ID_PARAM), text=msg.content or "",
                           states=states.split(",") if states else [])
        if result.is_task:
            result.task_id = _param(msg, TASK_ID_PARAM) or ""
            result.state = _param(msg, STATE_PARAM) or "unknown"
            result.final = _param(msg, FINAL_PARAM) == "true"
        else:
            result.message_id = _param(msg, MESSAGE_ID_PARAM)
        return A2aResponse(request_id, context, result, None)
