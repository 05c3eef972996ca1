"""Stand-ins for the modules componentize-py generates (wit_world, componentize_py_types), so the
SDK's pure-Python parts run under plain CPython. The host records what the agent did."""
import sys
import types as _pytypes
from dataclasses import dataclass
from enum import Enum
from typing import List, Optional, Tuple


@dataclass(frozen=True)
class Err(Exception):
    value: object


Performative = Enum("Performative", [(n, i) for i, n in enumerate([
    "ACCEPT_PROPOSAL", "AGREE", "CANCEL", "CFP", "CONFIRM", "DISCONFIRM", "FAILURE", "INFORM", "INFORM_IF",
    "INFORM_REF", "NOT_UNDERSTOOD", "PROPAGATE", "PROPOSE", "PROXY", "QUERY_IF", "QUERY_REF", "REFUSE",
    "REJECT_PROPOSAL", "REQUEST", "REQUEST_WHEN", "REQUEST_WHENEVER", "SUBSCRIBE"])])
LogLevel = Enum("LogLevel", [(n, i) for i, n in enumerate(["TRACE", "DEBUG", "INFO", "WARN", "ERROR"])])


@dataclass
class AgentId:
    name: str
    addresses: List[str]


@dataclass
class AclMessage:
    performative: Performative
    sender: Optional[AgentId]
    receivers: List[AgentId]
    reply_to: List[AgentId]
    content: Optional[str]
    language: Optional[str]
    encoding: Optional[str]
    ontology: Optional[str]
    protocol: Optional[str]
    conversation_id: Optional[str]
    reply_with: Optional[str]
    in_reply_to: Optional[str]
    reply_by: Optional[int]
    user_params: List[Tuple[str, str]]


@dataclass
class ServiceDescription:
    name: str
    type: str
    protocols: List[str]
    ontologies: List[str]
    languages: List[str]
    properties: List[Tuple[str, str]]


@dataclass
class InitContext:
    self: AgentId
    config: List[Tuple[str, str]]


class Host:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.sent: List[AclMessage] = []
        self.logs: List[Tuple[str, str]] = []
        self.timers: List[Tuple[int, str]] = []
        self.services: List[ServiceDescription] = []
        self.clock = 1_000_000
        self.ids = 0
        self.reject_sends: Optional[str] = None

    def send(self, m: AclMessage) -> None:
        assert isinstance(m.performative, Performative)
        if self.reject_sends is not None:
            raise Err(self.reject_sends)
        self.sent.append(m)

    def log(self, level, message: str) -> None:
        self.logs.append((level.name, message))

    def now(self) -> int:
        return self.clock

    def new_id(self) -> str:
        self.ids += 1
        return f"id-{self.ids}"

    def set_timer(self, delay_ms: int, token: str) -> None:
        self.timers.append((delay_ms, token))

    def register_service(self, s: ServiceDescription) -> None:
        self.services.append(s)

    def deregister_service(self, name: str) -> None:
        self.services = [s for s in self.services if s.name != name]

    def search_services(self, service_type: str) -> List[AgentId]:
        return [AgentId(s.name.split("/")[0], []) for s in self.services if s.type == service_type]


StateErrorKind = Enum("StateErrorKind", [(n, i) for i, n in enumerate(
    ["INVALID_KEY", "VALUE_TOO_LARGE", "QUOTA_EXCEEDED", "READ_ONLY"])])
HttpErrorKind = Enum("HttpErrorKind", [(n, i) for i, n in enumerate(["DENIED", "INVALID_REQUEST", "QUOTA_EXCEEDED"])])
TopicErrorKind = Enum("TopicErrorKind", [(n, i) for i, n in enumerate(["INVALID_NAME", "INVALID_FILTER", "QUOTA_EXCEEDED"])])


@dataclass
class StateError:
    kind: StateErrorKind
    message: str


@dataclass
class HttpError:
    kind: HttpErrorKind
    message: str


@dataclass
class TopicError:
    kind: TopicErrorKind
    message: str


MessageInfoErrorKind = Enum("MessageInfoErrorKind", [(n, i) for i, n in enumerate(["NO_MESSAGE", "INVALID_RANGE"])])


@dataclass
class MessageInfoError:
    kind: MessageInfoErrorKind
    message: str


@dataclass
class Request:
    method: str
    url: str
    headers: List[Tuple[str, str]]
    body: Optional[str]
    timeout_ms: Optional[int]
    context: Optional[str]


class State:
    """caxton:agent/state as componentize-py binds it: refusals raise Err(StateError(...))."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.entries = {}
        self.refuse: Optional[StateError] = None

    def get(self, key: str) -> Optional[str]:
        return self.entries.get(key)

    def set(self, key: str, value: str) -> None:
        if self.refuse is not None:
            raise Err(self.refuse)
        self.entries[key] = value

    def delete(self, key: str) -> None:
        if self.refuse is not None:
            raise Err(self.refuse)
        self.entries.pop(key, None)

    def keys(self, prefix: str, start_after: Optional[str], limit: int) -> List[str]:
        found = sorted(k for k in self.entries if k.startswith(prefix) and (start_after is None or k > start_after))
        return found[:limit]


class Http:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.calls: List[Request] = []
        self.refuse: Optional[HttpError] = None

    def fetch(self, request: Request) -> str:
        assert isinstance(request, Request)
        if self.refuse is not None:
            raise Err(self.refuse)
        self.calls.append(request)
        return f"call-{len(self.calls)}"


A2aOperation = Enum("Operation", [(n, i) for i, n in enumerate(["SEND", "STREAM", "GET_TASK", "CANCEL_TASK"])])
A2aProtocolVersion = Enum("ProtocolVersion", [(n, i) for i, n in enumerate(["V1", "V03"])])


@dataclass
class A2aCall:
    operation: A2aOperation
    url: str
    version: A2aProtocolVersion
    subject: str
    context_id: Optional[str]
    headers: List[Tuple[str, str]]
    timeout_ms: Optional[int]
    context: Optional[str]


class A2a:
    """caxton:agent/a2a as componentize-py binds it: a refusal raises Err(HttpError(...))."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.calls: List[A2aCall] = []
        self.refuse: Optional[HttpError] = None

    def start(self, call: A2aCall) -> str:
        assert isinstance(call, A2aCall)
        assert isinstance(call.operation, A2aOperation) and isinstance(call.version, A2aProtocolVersion)
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in call.headers)
        if self.refuse is not None:
            raise Err(self.refuse)
        self.calls.append(call)
        return f"a2a-{len(self.calls)}"


class Topics:
    """caxton:agent/topics as componentize-py binds it: refusals raise Err(TopicError(...))."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.calls: List[Tuple[str, str, Optional[str]]] = []
        self.refuse: Optional[TopicError] = None

    def subscribe(self, topic: str, filter_text: Optional[str]) -> None:
        if self.refuse is not None:
            raise Err(self.refuse)
        self.calls.append(("subscribe", topic, filter_text))

    def unsubscribe(self, topic: str) -> None:
        if self.refuse is not None:
            raise Err(self.refuse)
        self.calls.append(("unsubscribe", topic, None))


class MessageInfo:
    """caxton:agent/message-info as componentize-py binds it: refusals raise Err(MessageInfoError(...)).
    ``receivers`` is the list of the message being handled (None: no message)."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.message_receivers: Optional[List[AgentId]] = None
        self.calls: List[Tuple[int, int]] = []

    def receiver_count(self) -> int:
        return 0 if self.message_receivers is None else len(self.message_receivers)

    def receivers(self, offset: int, limit: int) -> List[AgentId]:
        self.calls.append((offset, limit))
        if self.message_receivers is None:
            raise Err(MessageInfoError(MessageInfoErrorKind.NO_MESSAGE, "no message is being handled"))
        if limit < 1 or limit > 256 or offset > len(self.message_receivers):
            raise Err(MessageInfoError(MessageInfoErrorKind.INVALID_RANGE, f"offset {offset} limit {limit}"))
        return self.message_receivers[offset:offset + limit]


HOST = Host()
STATE = State()
HTTP = Http()
A2A = A2a()
TOPICS = Topics()
MESSAGE_INFO = MessageInfo()


def install() -> Host:
    cpt = _pytypes.ModuleType("componentize_py_types")
    cpt.Err = Err
    ww = _pytypes.ModuleType("wit_world")
    imports = _pytypes.ModuleType("wit_world.imports")
    t = _pytypes.ModuleType("wit_world.imports.types")
    for name, value in [("Performative", Performative), ("LogLevel", LogLevel), ("AgentId", AgentId),
                        ("AclMessage", AclMessage), ("ServiceDescription", ServiceDescription),
                        ("InitContext", InitContext)]:
        setattr(t, name, value)
    h = _pytypes.ModuleType("wit_world.imports.host")
    for name in ["send", "log", "now", "new_id", "set_timer", "register_service", "deregister_service", "search_services"]:
        setattr(h, name, getattr(HOST, name))
    st = _pytypes.ModuleType("wit_world.imports.state")
    for name in ["get", "set", "delete", "keys"]:
        setattr(st, name, getattr(STATE, name))
    st.StateError, st.StateErrorKind = StateError, StateErrorKind
    ht = _pytypes.ModuleType("wit_world.imports.http")
    ht.fetch, ht.Request, ht.HttpError, ht.HttpErrorKind = HTTP.fetch, Request, HttpError, HttpErrorKind
    tp = _pytypes.ModuleType("wit_world.imports.topics")
    tp.subscribe, tp.unsubscribe, tp.TopicError, tp.TopicErrorKind = TOPICS.subscribe, TOPICS.unsubscribe, TopicError, TopicErrorKind
    mi = _pytypes.ModuleType("wit_world.imports.message_info")
    mi.receiver_count, mi.receivers = MESSAGE_INFO.receiver_count, MESSAGE_INFO.receivers
    mi.MessageInfoError, mi.MessageInfoErrorKind = MessageInfoError, MessageInfoErrorKind
    a2 = _pytypes.ModuleType("wit_world.imports.a2a")
    a2.start, a2.Call, a2.Operation, a2.ProtocolVersion = A2A.start, A2aCall, A2aOperation, A2aProtocolVersion
    exports = _pytypes.ModuleType("wit_world.exports")

    class Guest:
        pass

    exports.Guest = Guest
    imports.types, imports.host, imports.state, imports.http, ww.imports, ww.exports = t, h, st, ht, imports, exports
    imports.topics = tp
    imports.message_info = mi
    imports.a2a = a2
    sys.modules.update({"componentize_py_types": cpt, "wit_world": ww, "wit_world.imports": imports,
                        "wit_world.imports.types": t, "wit_world.imports.host": h,
                        "wit_world.imports.state": st, "wit_world.imports.http": ht, "wit_world.imports.topics": tp,
                        "wit_world.imports.message_info": mi, "wit_world.imports.a2a": a2,
                        "wit_world.exports": exports})
    return HOST
