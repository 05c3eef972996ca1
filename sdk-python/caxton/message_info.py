"""The message being handled (``caxton:agent/message-info``, decision 2001).

A message with more than 16 receivers is delivered with only this agent's own id in ``receivers``
and the count in the user parameter ``X-caxton-receivers`` (a message to N receivers then costs the
node O(N), not N copies of an N-name list). The whole list, as sent, is paged here::

    from caxton import message_info
    everyone = message_info.all_receivers()          # pages of at most 256
    page = message_info.receivers(0, 16)             # raises MessageInfoError when refused

Below the threshold the message carries its list and these calls answer the same.
"""
from __future__ import annotations

from enum import Enum
from typing import List

from . import _abi
from .types import AclMessage, AgentId

#: The user parameter a narrowed delivery carries with the message's receiver count.
RECEIVER_COUNT_PARAM = "X-caxton-receivers"
#: Most receivers one ``receivers`` call returns.
MAX_RECEIVERS_PAGE = 256


class MessageInfoErrorKind(str, Enum):
    """Why a page was refused (the WIT message-info-error-kind)."""
    NO_MESSAGE = "no-message"
    INVALID_RANGE = "invalid-range"


class MessageInfoError(Exception):
    """A refused page: ``kind`` (MessageInfoErrorKind) and the host's ``message``."""

    def __init__(self, kind: MessageInfoErrorKind, message: str) -> None:
        super().__init__(f"message-info {kind.value}: {message}")
        self.kind = kind
        self.message = message


def receiver_count() -> int:
    """How many receivers the message being handled has (0 outside a handler)."""
    return _abi.message_info_receiver_count()


def receivers(offset: int, limit: int) -> List[AgentId]:
    """Receivers ``offset .. offset + limit`` (limit 1..256) in the order sent; fewer at the end."""
    # Outside u32 componentize-py raises OverflowError, not a MessageInfoError: refuse typed first.
    for name, x in (("offset", offset), ("limit", limit)):
        if isinstance(x, bool) or not isinstance(x, int) or not 0 <= x < 2**32:
            raise MessageInfoError(MessageInfoErrorKind.INVALID_RANGE, f"{name} {x!r} is not a u32")
    page, refusal = _abi.message_info_receivers(offset, limit)
    if refusal is not None:
        kind, message = refusal
        raise MessageInfoError(MessageInfoErrorKind(kind), message)
    return page


def all_receivers() -> List[AgentId]:
    """Every receiver of the message being handled, paged (empty outside a handler)."""
    count = receiver_count()
    out: List[AgentId] = []
    while len(out) < count:
        page = receivers(len(out), MAX_RECEIVERS_PAGE)
        if not page:
            break
        out.extend(page)
    return out


def count_of(m: AclMessage) -> int:
    """The receiver count of ``m`` without a host call: ``X-caxton-receivers`` on a narrowed
    delivery, else the length of its list."""
    for k, v in m.user_params:
        if k.lower() == RECEIVER_COUNT_PARAM.lower():
            return int(v)
    return len(m.receivers)
