"""HOSTILE TEST AGENT: on every message it tries, with Python's own standard library (which runs
on WASI inside the component), to read the environment, list and open host files (config `path`,
default /etc/passwd), open a socket and read the wall clock, and answers inform with one line:
    "env=0 listdir=error:... open=error:... sock=error:... clock=ok"
Variable NAMES only are reported, never values. Anything but errors and an empty environment is an
escape from the agent world."""
import os
import time

try:  # imported at build time: an agent cannot import modules at run time (no filesystem)
    import socket
except ImportError:  # CPython built for WASI may lack _socket
    socket = None

from caxton import Agent, Performative, register, reply


def _err(e: BaseException) -> str:
    return f"error:{type(e).__name__}"


class Probe(Agent):
    def __init__(self) -> None:
        self.path = "/etc/passwd"

    def on_init(self, ctx) -> None:
        self.path = ctx.get("path", self.path) or self.path

    def on_message(self, msg) -> None:
        parts = []
        try:
            names = sorted(os.environ.keys())
            parts.append(f"env={len(names)}" + (f":{'|'.join(names[:8])}" if names else ""))
        except BaseException as e:
            parts.append(f"env={_err(e)}")
        try:
            parts.append(f"listdir=ok:{len(os.listdir('/'))}")
        except BaseException as e:
            parts.append(f"listdir={_err(e)}")
        try:
            with open(self.path, "rb") as f:
                parts.append(f"open=ok:{len(f.read(256))}")
        except BaseException as e:
            parts.append(f"open={_err(e)}")
        try:
            if socket is None:
                raise ImportError("no socket module")
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            parts.append("sock=ok:bound")
        except BaseException as e:
            parts.append(f"sock={_err(e)}")
        try:
            parts.append("clock=ok" if time.time() > 0 else "clock=zero")
        except BaseException as e:
            parts.append(f"clock={_err(e)}")
        reply(msg, Performative.INFORM, " ".join(parts))


register(Probe())

from caxton.exports import Guest  # noqa: E402,F401
