"""HOSTILE TEST AGENT: allocates 1 MiB blocks and keeps them until memory runs out (or, with config
leak-kb-per-message=N, leaks N KiB per message and answers with the total). A sandbox must stop
it at its memory cap, never let it take the host down."""
from caxton import Agent, Performative, register, reply

_held = []


class Bomb(Agent):
    def __init__(self) -> None:
        self.leak_kb = 0

    def on_init(self, ctx) -> None:
        self.leak_kb = int(ctx.get("leak-kb-per-message", "0") or "0")

    def on_message(self, msg) -> None:
        if self.leak_kb > 0:
            _held.append(bytearray(self.leak_kb * 1024))
            reply(msg, Performative.INFORM, str(len(_held) * self.leak_kb))
            return
        while True:
            _held.append(bytearray(1 << 20))


register(Bomb())

from caxton.exports import Guest  # noqa: E402,F401
