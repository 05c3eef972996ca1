"""The host functions of the agent world: send, log, clock, ids, timers and the directory."""
from __future__ import annotations

from typing import List, Optional

from . import _abi
from .types import AclMessage, AgentId, LogLevel, ServiceDescription


def send(message: AclMessage) -> Optional[str]:
    """Queues a message. Returns None when queued, else why the message is invalid.

    Messages sent while handling a message are delivered only if that handling completes; routing
    failures (unknown receiver, full mailbox) come back later as FIPA ``failure`` messages.
    """
    return _abi.send(message)


def log(level: LogLevel, message: str) -> None:
    _abi.log(level, message)


def trace(message: str) -> None:
    _abi.log(LogLevel.TRACE, message)


def debug(message: str) -> None:
    _abi.log(LogLevel.DEBUG, message)


def info(message: str) -> None:
    _abi.log(LogLevel.INFO, message)


def warn(message: str) -> None:
    _abi.log(LogLevel.WARN, message)


def error(message: str) -> None:
    _abi.log(LogLevel.ERROR, message)


def now() -> int:
    """Wall-clock time, milliseconds since the Unix epoch (the host's clock)."""
    return _abi.now()


def new_id() -> str:
    """A fresh identifier, unique within the platform (for reply-with and conversation-id)."""
    return _abi.new_id()


def set_timer(delay_ms: int, token: str) -> None:
    """Asks for ``on_timer(token)`` after ``delay_ms`` milliseconds."""
    _abi.set_timer(delay_ms, token)


def register_service(service: ServiceDescription) -> Optional[str]:
    """Advertises (or replaces) a service in the directory; None on success, else why not."""
    return _abi.register_service(service)


def deregister_service(name: str) -> None:
    _abi.deregister_service(name)


def search_services(service_type: str) -> List[AgentId]:
    """Agents advertising services of ``service_type``."""
    return _abi.search_services(service_type)
