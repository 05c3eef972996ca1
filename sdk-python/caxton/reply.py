"""Replies the FIPA way, and the fipa-request/fipa-query participant answers."""
from __future__ import annotations

from typing import List, Optional

from .host import new_id, send
from .types import AclMessage, AgentId, Performative


def create_reply(to: AclMessage, performative: Performative, content: Optional[str] = None) -> AclMessage:
    """A reply to ``to``: receivers are its reply-to (or its sender); conversation-id, protocol,
    language, ontology and encoding are kept; in-reply-to is its reply-with."""
    r = AclMessage(performative)
    if to.reply_to:
        r.receivers = list(to.reply_to)
    elif to.sender is not None:
        r.receivers = [to.sender]
    r.content = content
    r.conversation_id = to.conversation_id
    r.in_reply_to = to.reply_with
    r.protocol = to.protocol
    r.language = to.language
    r.ontology = to.ontology
    r.encoding = to.encoding
    return r


def reply(to: AclMessage, performative: Performative, content: Optional[str] = None) -> Optional[str]:
    """Sends ``create_reply(...)``. Returns None when queued, else why it is invalid."""
    return send(create_reply(to, performative, content))


def initiate(performative: Performative, receivers: List[AgentId], content: Optional[str], protocol: Optional[str]) -> AclMessage:
    """A message opening a conversation: fresh conversation-id and reply-with (not sent)."""
    m = AclMessage(performative, receivers, content)
    m.protocol = protocol
    m.conversation_id = new_id()
    m.reply_with = new_id()
    return m


def agree(request: AclMessage, content: Optional[str] = None) -> Optional[str]:
    """The request will be carried out; a final inform/failure follows."""
    return reply(request, Performative.AGREE, content)


def refuse(request: AclMessage, reason: str) -> Optional[str]:
    """The request/query/cfp is declined, with a reason."""
    return reply(request, Performative.REFUSE, reason)


def inform_done(request: AclMessage, content: Optional[str] = None) -> Optional[str]:
    """The requested action is done."""
    return reply(request, Performative.INFORM, content if content is not None else "done")


def inform_result(request: AclMessage, result: str) -> Optional[str]:
    """The requested action produced ``result`` (also the answer to a query-ref)."""
    return reply(request, Performative.INFORM, result)


def failure(request: AclMessage, reason: str) -> Optional[str]:
    """The agreed action failed."""
    return reply(request, Performative.FAILURE, reason)


def not_understood(msg: AclMessage, reason: str) -> Optional[str]:
    """The message was not understood."""
    return reply(msg, Performative.NOT_UNDERSTOOD, reason)


def is_expired(msg: AclMessage, now_ms: int) -> bool:
    """True when ``msg`` has a reply-by deadline that has passed at ``now_ms``."""
    return msg.reply_by is not None and now_ms > msg.reply_by
