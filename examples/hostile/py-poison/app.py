"""HOSTILE TEST AGENT: echoes like py-echo, but crashes (an uncaught exception, so the call traps)
on any message whose content contains config `poison` (default "POISON")."""
from caxton import Agent, Performative, register, reply


class Poison(Agent):
    def __init__(self) -> None:
        self.poison = "POISON"
        self.handled = 0

    def on_init(self, ctx) -> None:
        self.poison = ctx.get("poison", "POISON") or "POISON"

    def on_message(self, msg) -> None:
        self.handled += 1
        if self.poison in (msg.content or ""):
            raise RuntimeError(f"py-poison: swallowed {self.poison}")
        reply(msg, Performative.INFORM, f"{msg.content} #{self.handled}")


register(Poison())

from caxton.exports import Guest  # noqa: E402,F401
