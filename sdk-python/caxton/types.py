"""Typed agent messages: the 22 FIPA performatives, agent identifiers, ACL messages, services.

These are the SDK's own plain classes; ``caxton._abi`` converts them to and from the bindings
componentize-py generates for the ``caxton:agent`` world, so agent code never touches those.
"""
from __future__ import annotations

from enum import IntEnum
from typing import List, Optional, Tuple


class Performative(IntEnum):
    """The 22 FIPA communicative acts (SC00037), in the world's order."""
    ACCEPT_PROPOSAL = 0
    AGREE = 1
    CANCEL = 2
    CFP = 3
    CONFIRM = 4
    DISCONFIRM = 5
    FAILURE = 6
    INFORM = 7
    INFORM_IF = 8
    INFORM_REF = 9
    NOT_UNDERSTOOD = 10
    PROPAGATE = 11
    PROPOSE = 12
    PROXY = 13
    QUERY_IF = 14
    QUERY_REF = 15
    REFUSE = 16
    REJECT_PROPOSAL = 17
    REQUEST = 18
    REQUEST_WHEN = 19
    REQUEST_WHENEVER = 20
    SUBSCRIBE = 21

    @property
    def fipa_name(self) -> str:
        """The FIPA spelling: ``accept-proposal``, ``query-ref``..."""
        return self.name.lower().replace("_", "-")


def performative_name(p: Performative) -> str:
    return Performative(p).fipa_name


def parse_performative(name: str) -> Optional[Performative]:
    """``"query-ref"`` (any case) -> Performative.QUERY_REF; None when it is not one of the 22."""
    try:
        return Performative[name.strip().upper().replace("-", "_")]
    except KeyError:
        return None


class LogLevel(IntEnum):
    TRACE = 0
    DEBUG = 1
    INFO = 2
    WARN = 3
    ERROR = 4


class AgentId:
    """A FIPA agent identifier: ``name`` is globally unique (``local@platform``)."""
    __slots__ = ("name", "addresses")

    def __init__(self, name: str = "", addresses: Optional[List[str]] = None) -> None:
        self.name = name
        self.addresses = list(addresses) if addresses else []

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AgentId) and other.name == self.name and other.addresses == self.addresses

    def __repr__(self) -> str:
        return f"AgentId({self.name!r})"


def aid(name: str) -> AgentId:
    """An AgentId; a bare local name gets the platform suffix ``@caxton``."""
    return AgentId(name if "@" in name else f"{name}@caxton")


class AclMessage:
    """A FIPA ACL message (SC00061): the 13 parameters plus ``X-`` user parameters.

    Times (``reply_by``) are milliseconds since the Unix epoch, UTC. ``sender`` is stamped by the
    runtime from the sending agent's identity; it is ignored on send.
    """
    __slots__ = ("performative", "sender", "receivers", "reply_to", "content", "language", "encoding",
                 "ontology", "protocol", "conversation_id", "reply_with", "in_reply_to", "reply_by",
                 "user_params")

    def __init__(self, performative: Performative = Performative.INFORM, receivers: Optional[List[AgentId]] = None,
                 content: Optional[str] = None, **params: object) -> None:
        self.performative = Performative(performative)
        self.sender: Optional[AgentId] = None
        self.receivers: List[AgentId] = list(receivers) if receivers else []
        self.reply_to: List[AgentId] = []
        self.content: Optional[str] = content
        self.language: Optional[str] = None
        self.encoding: Optional[str] = None
        self.ontology: Optional[str] = None
        self.protocol: Optional[str] = None
        self.conversation_id: Optional[str] = None
        self.reply_with: Optional[str] = None
        self.in_reply_to: Optional[str] = None
        self.reply_by: Optional[int] = None
        self.user_params: List[Tuple[str, str]] = []
        for key, value in params.items():
            if key not in AclMessage.__slots__:
                raise TypeError(f"AclMessage has no parameter {key!r}")
            setattr(self, key, value)

    def get_param(self, key: str) -> Optional[str]:
        """A user-defined parameter (keys keep their ``X-`` prefix)."""
        for k, v in self.user_params:
            if k == key:
                return v
        return None

    def set_param(self, key: str, value: str) -> None:
        if not key.startswith("X-"):
            raise ValueError("user-defined parameters start with X-")
        self.user_params = [(k, v) for k, v in self.user_params if k != key] + [(key, value)]

    def __repr__(self) -> str:
        sender = self.sender.name if self.sender else None
        return f"AclMessage({self.performative.fipa_name}, sender={sender!r}, content={self.content!r}, conversation_id={self.conversation_id!r})"


class ServiceDescription:
    """A service an agent advertises in the directory (FIPA DF service-description, SC00023)."""
    __slots__ = ("name", "type", "protocols", "ontologies", "languages", "properties")

    def __init__(self, name: str, type: str, protocols: Optional[List[str]] = None, ontologies: Optional[List[str]] = None,
                 languages: Optional[List[str]] = None, properties: Optional[List[Tuple[str, str]]] = None) -> None:
        self.name = name
        self.type = type
        self.protocols = list(protocols or [])
        self.ontologies = list(ontologies or [])
        self.languages = list(languages or [])
        self.properties = list(properties or [])


class InitContext:
    """What the agent learns about itself when it starts: its identity and its deploy config."""
    __slots__ = ("self", "config")

    def __init__(self, self_id: AgentId, config: Optional[List[Tuple[str, str]]] = None) -> None:
        self.self = self_id
        self.config = list(config or [])

    def get(self, key: str, default: Optional[str] = None) -> Optional[str]:
        for k, v in self.config:
            if k == key:
                return v
        return default
