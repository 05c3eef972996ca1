"""Outbound HTTP through the deployment's allow-list (``caxton:agent/http``, decision 1601).

``fetch`` never blocks: it checks the request and returns its id; the request leaves only if the
handling completes, and the answer arrives later as a message from ``http@<platform>``::

    from caxton import http
    http.fetch(http.Request("GET", "https://api.example.com/v1/rates", context=asker))
    ...
    r = http.HttpResponse.from_message(msg)   # None for other messages
    if r is not None and r.ok: ...
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import List, Optional, Tuple

from . import _abi
from .agent import self_id
from .types import AclMessage, Performative

STATUS_PARAM = "X-caxton-http-status"
CONTEXT_PARAM = "X-caxton-http-context"
FAILURE_PARAM = "X-caxton-failure"
HEADER_PARAM_PREFIX = "X-caxton-http-header-"


@dataclass
class Request:
    method: str
    url: str
    headers: List[Tuple[str, str]] = field(default_factory=list)
    body: Optional[str] = None
    timeout_ms: Optional[int] = None
    context: Optional[str] = None


class HttpErrorKind(str, Enum):
    DENIED = "denied"
    INVALID_REQUEST = "invalid-request"
    QUOTA_EXCEEDED = "quota-exceeded"


class HttpError(Exception):
    """An immediate refusal (nothing is sent): ``kind`` (HttpErrorKind) and ``message``."""

    def __init__(self, kind: HttpErrorKind, message: str) -> None:
        super().__init__(f"http {kind.value}: {message}")
        self.kind = kind
        self.message = message


def fetch(request: Request) -> str:
    """Starts ``request``; returns its id (the answer's in-reply-to). Raises HttpError when refused."""
    request_id, refusal = _abi.http_fetch(request.method, request.url, request.headers, request.body,
                                          request.timeout_ms, request.context)
    if refusal is not None:
        raise HttpError(HttpErrorKind(refusal[0]), refusal[1])
    return request_id


@dataclass
class HttpResponse:
    """The answer to a fetch, read from the gateway's message."""
    request_id: str
    context: Optional[str]
    conversation_id: Optional[str]
    status: Optional[int]  # None when there was no response
    failure: Optional[str]  # why not (timeout, too-large, address-denied, interrupted, …)
    body: str
    body_base64: bool
    headers: List[Tuple[str, str]]  # names in lower case

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    def header(self, name: str) -> Optional[str]:
        name = name.lower()
        return next((v for k, v in self.headers if k == name), None)

    @staticmethod
    def is_http_message(msg: AclMessage) -> bool:
        """Whether ``msg`` comes from this agent's platform's gateway, ``http@<platform>`` (exactly
        ``http@`` while the agent's own name has no platform): never another platform's, whose
        messages can arrive through a transport. A2A answers are read with it too."""
        own = self_id().name
        platform = own[own.rfind("@") + 1:] if "@" in own else ""
        return msg.sender is not None and msg.sender.name == f"http@{platform}"

    @staticmethod
    def from_message(msg: AclMessage) -> Optional["HttpResponse"]:
        """The answer ``msg`` carries, or None (another sender, or neither inform nor failure)."""
        if not HttpResponse.is_http_message(msg) or not isinstance(msg.in_reply_to, str):
            return None  # an answer replies to its call
        params = dict(msg.user_params)
        if msg.performative == Performative.INFORM:
            raw = params.get(STATUS_PARAM, "")
            status, failure = (int(raw) if raw.isdigit() else None), None
        elif msg.performative == Performative.FAILURE:
            status, failure = None, params.get(FAILURE_PARAM, "unknown")
        else:
            return None
        return HttpResponse(
            request_id=msg.in_reply_to or "", context=params.get(CONTEXT_PARAM), conversation_id=msg.conversation_id,
            status=status, failure=failure, body=msg.content or "", body_base64=msg.encoding == "base64",
            headers=[(k[len(HEADER_PARAM_PREFIX):], v) for k, v in msg.user_params if k.startswith(HEADER_PARAM_PREFIX)])
