"""The world's exports for componentize-py: end the app module with

    from caxton.exports import Guest

componentize-py looks for a class named ``Guest`` in the app module and calls its ``init``,
``handle`` and ``on_timer``; this one drives the agent registered with ``caxton.register``.
"""
from __future__ import annotations

import traceback

from componentize_py_types import Err
from wit_world import exports as _exports

from . import _abi
from .agent import Failure, _set_self, registered_agent
from .types import LogLevel


def _crash(where: str, e: BaseException) -> None:
    # Logged, then re-raised: an uncaught exception traps (the instance is replaced and the
    # message retried), like an abort in the other languages.
    try:
        _abi.log(LogLevel.ERROR, f"{where} crashed: {''.join(traceback.format_exception(e)).strip()}")
    except BaseException:
        pass


class Guest(_exports.Guest):
    def init(self, ctx):  # type: ignore[no-untyped-def]
        try:
            c = _abi.init_in(ctx)
            _set_self(c.self)
            registered_agent().on_init(c)
        except Failure as f:
            raise Err(f.reason)
        except Exception as e:
            _crash("on_init", e)
            raise

    def handle(self, message):  # type: ignore[no-untyped-def]
        try:
            registered_agent().on_message(_abi.message_in(message))
        except Failure as f:
            raise Err(f.reason)
        except Exception as e:
            _crash("on_message", e)
            raise

    def on_timer(self, token):  # type: ignore[no-untyped-def]
        try:
            registered_agent().on_timer(token)
        except Failure as f:
            raise Err(f.reason)
        except Exception as e:
            _crash("on_timer", e)
            raise
