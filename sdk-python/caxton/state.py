"""The agent's durable key-value state (``caxton:agent/state``, decision 1600).

Writes made while handling a message or a timer are read back by the same handler and committed
with the handling, all or nothing; ``on_init`` may read but not write::

    from caxton import state
    n = int(state.get("count") or 0)
    state.set("count", str(n + 1))      # raises state.StateError when refused
"""
from __future__ import annotations

from enum import Enum
from typing import List, Optional

from . import _abi


class StateErrorKind(str, Enum):
    """Why a write was refused (the WIT state-error-kind)."""
    INVALID_KEY = "invalid-key"
    VALUE_TOO_LARGE = "value-too-large"
    QUOTA_EXCEEDED = "quota-exceeded"
    READ_ONLY = "read-only"


class StateError(Exception):
    """A refused write: ``kind`` (StateErrorKind) and the host's ``message``."""

    def __init__(self, kind: StateErrorKind, message: str) -> None:
        super().__init__(f"state {kind.value}: {message}")
        self.kind = kind
        self.message = message


def _raise(refusal) -> None:
    if refusal is not None:
        kind, message = refusal
        raise StateError(StateErrorKind(kind), message)


def get(key: str) -> Optional[str]:
    """The value of ``key`` (this handler's own writes included), or None."""
    return _abi.state_get(key)


def set(key: str, value: str) -> None:  # noqa: A001 - the WIT name
    """Sets ``key`` to ``value``, committed with this handling; raises StateError when refused."""
    _raise(_abi.state_set(key, value))


def delete(key: str) -> None:
    """Removes ``key`` (absent is fine), committed with this handling; raises StateError when refused."""
    _raise(_abi.state_delete(key))


def keys(prefix: str = "", start_after: Optional[str] = None, limit: int = 100) -> List[str]:
    """Keys starting with ``prefix`` in byte order, after ``start_after``, at most ``limit`` (the
    host caps it). Page by passing the last key returned as ``start_after``."""
    return _abi.state_keys(prefix, start_after, limit)
