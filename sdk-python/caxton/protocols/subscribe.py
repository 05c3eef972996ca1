"""fipa-subscribe (SC00035). Participant: keep a SubscriptionTable, ``add`` the subscribe messages
you accept (sends agree), ``notify`` informs every subscriber in its own conversation, ``cancel``
handles the cancel meta-protocol. Initiator: ``subscribe`` / ``unsubscribe``."""
from __future__ import annotations

from typing import Dict, Optional

from ..host import send
from ..reply import create_reply, initiate, reply
from ..types import AclMessage, AgentId, Performative

SUBSCRIBE = "fipa-subscribe"


class SubscriptionTable:
    def __init__(self) -> None:
        self.subscriptions: Dict[str, AclMessage] = {}

    def __len__(self) -> int:
        return len(self.subscriptions)

    def add(self, subscribe_msg: AclMessage, agree_content: Optional[str] = None) -> None:
        """Accepts a subscribe message: sends agree and remembers it."""
        self.subscriptions[subscribe_msg.conversation_id or ""] = subscribe_msg
        reply(subscribe_msg, Performative.AGREE, agree_content)

    def cancel(self, cancel_msg: AclMessage) -> bool:
        """Handles a cancel: forgets the subscription and confirms with inform; failure if unknown."""
        key = cancel_msg.conversation_id or ""
        known = self.subscriptions.get(key)
        if known is None or not _same_sender(known, cancel_msg):
            reply(cancel_msg, Performative.FAILURE, "no such subscription")
            return False
        del self.subscriptions[key]
        reply(cancel_msg, Performative.INFORM, "subscription cancelled")
        return True

    def notify(self, content: str) -> int:
        """Sends ``content`` as an inform to every subscriber; returns how many were notified."""
        for sub in list(self.subscriptions.values()):
            send(create_reply(sub, Performative.INFORM, content))
        return len(self.subscriptions)


def _same_sender(a: AclMessage, b: AclMessage) -> bool:
    return a.sender is not None and b.sender is not None and a.sender.name == b.sender.name


def subscribe(publisher: AgentId, content: str) -> AclMessage:
    """Subscribes to ``publisher``; keep the returned message to unsubscribe later."""
    m = initiate(Performative.SUBSCRIBE, [publisher], content, SUBSCRIBE)
    send(m)
    return m


def unsubscribe(subscription: AclMessage) -> AclMessage:
    """Cancels a subscription made with ``subscribe``."""
    m = initiate(Performative.CANCEL, list(subscription.receivers), subscription.content, SUBSCRIBE)
    m.conversation_id = subscription.conversation_id
    send(m)
    return m
