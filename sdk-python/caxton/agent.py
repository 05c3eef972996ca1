"""The programming model: subclass ``Agent``, override the handlers you need, ``register`` it.

Errors: ``fail(reason)`` (or raising ``Failure``) ends the current handler with an
application-level error: the runtime answers the sender with ``failure`` (or, in ``on_init``,
refuses the deployment). Any other uncaught exception is a crash: it is logged, the call traps,
the instance is replaced, its outbox discarded and the message retried (dead-lettered after
repeated crashes).
"""
from __future__ import annotations

from typing import NoReturn, Optional

from .types import AclMessage, AgentId, InitContext, Performative


class Failure(Exception):
    """An application-level error; its message goes back to the runtime."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def fail(reason: str) -> NoReturn:
    """Ends the current handler with an application-level error (see the module doc)."""
    raise Failure(reason)


class Agent:
    def on_init(self, ctx: InitContext) -> None:
        """Called once per instance, before any message. ``fail(reason)`` refuses the deployment."""

    def on_message(self, msg: AclMessage) -> None:
        """Handles one message. The default answers ``not-understood``, as FIPA expects."""
        # Never answer not-understood or failure with not-understood: two default agents would
        # bounce messages forever.
        if msg.performative not in (Performative.NOT_UNDERSTOOD, Performative.FAILURE):
            from .reply import not_understood
            not_understood(msg, "no handler")

    def on_timer(self, token: str) -> None:
        """A timer set with ``set_timer(delay_ms, token)`` fired."""


_registered: Optional[Agent] = None
_self: AgentId = AgentId()


def register(agent: Agent) -> Agent:
    """Makes ``agent`` the one the runtime drives. Call once, at the top level of the app module."""
    global _registered
    if not isinstance(agent, Agent):
        raise TypeError("register() takes an instance of a caxton.Agent subclass")
    _registered = agent
    return agent


def registered_agent() -> Agent:
    if _registered is None:
        raise RuntimeError("no agent registered: call register(MyAgent()) at the top level of your app module")
    return _registered


def self_id() -> AgentId:
    """This agent's own identifier (valid from ``on_init`` on)."""
    return _self


def _set_self(agent_id: AgentId) -> None:
    global _self
    _self = agent_id
