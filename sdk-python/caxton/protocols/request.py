"""Initiating fipa-request (SC00026) and fipa-query (SC00027). The participant side is the answer
helpers in caxton.reply: agree/refuse, then inform_done/inform_result/failure."""
from __future__ import annotations

from ..host import send
from ..reply import initiate
from ..types import AclMessage, AgentId, Performative

REQUEST = "fipa-request"
QUERY = "fipa-query"


def _open(p: Performative, receiver: AgentId, content: str, protocol: str) -> AclMessage:
    m = initiate(p, [receiver], content, protocol)
    send(m)
    return m


def request(receiver: AgentId, content: str) -> AclMessage:
    """Asks ``receiver`` to perform an action; the returned message's conversation_id tracks it."""
    return _open(Performative.REQUEST, receiver, content, REQUEST)


def query_ref(receiver: AgentId, content: str) -> AclMessage:
    """Asks for the object(s) matching a referential expression (answered by inform)."""
    return _open(Performative.QUERY_REF, receiver, content, QUERY)


def query_if(receiver: AgentId, content: str) -> AclMessage:
    """Asks whether a proposition is true (answered by inform)."""
    return _open(Performative.QUERY_IF, receiver, content, QUERY)
