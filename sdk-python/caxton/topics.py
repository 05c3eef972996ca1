"""Topic subscriptions (``caxton:agent/topics``, decisions 1960 and 1961).

A message sent to the receiver ``topic:<name>`` is delivered to every agent subscribed to
``<name>`` (its receiver stays ``topic:<name>``). Like a send, a change made in ``on_init``, a
handler or a timer is applied only if that call completes, and it lasts (restarts, upgrades) until
unsubscribed or the agent is undeployed::

    from caxton import topics
    topics.subscribe("jobs.delivery", {"all": [{"field": "performative", "match": {"equals": "cfp"}}]})
    topics.unsubscribe("jobs.delivery")     # both raise topics.TopicError when refused

The name and the filter are checked at the call; the per-agent bound (100 topics) when the change
is applied (a refusal is written to the agent's log).
"""
from __future__ import annotations

import json
from enum import Enum
from typing import Any, Optional, Union

from . import _abi


class TopicErrorKind(str, Enum):
    """Why a change was refused (the WIT topic-error-kind)."""
    INVALID_NAME = "invalid-name"
    INVALID_FILTER = "invalid-filter"
    QUOTA_EXCEEDED = "quota-exceeded"


class TopicError(Exception):
    """A refused change: ``kind`` (TopicErrorKind) and the host's ``message``."""

    def __init__(self, kind: TopicErrorKind, message: str) -> None:
        super().__init__(f"topics {kind.value}: {message}")
        self.kind = kind
        self.message = message


def _raise(refusal) -> None:
    if refusal is not None:
        kind, message = refusal
        raise TopicError(TopicErrorKind(kind), message)


def subscribe(topic: str, filter: Optional[Union[str, Any]] = None) -> None:  # noqa: A002 - the WIT name
    """Subscribes to ``topic``; ``filter`` is a filter (``{"all": [...]}``) or its JSON text, or
    None for every message. Subscribing again replaces the filter."""
    text = None if filter is None else filter if isinstance(filter, str) else json.dumps(filter, separators=(",", ":"))
    _raise(_abi.topics_subscribe(topic, text))


def unsubscribe(topic: str) -> None:
    """Unsubscribes from ``topic`` (not being subscribed is fine)."""
    _raise(_abi.topics_unsubscribe(topic))
