"""HOSTILE TEST AGENT: spins forever in on_message (or in on_init with config spin-in=init).
A sandbox must stop it with its fuel budget."""
from caxton import Agent, register


class Spinner(Agent):
    def on_init(self, ctx) -> None:
        if ctx.get("spin-in") == "init":
            while True:
                pass

    def on_message(self, msg) -> None:
        n = 0
        while True:
            n += 1


register(Spinner())

from caxton.exports import Guest  # noqa: E402,F401
