"""{{name}}: answers every message with an `inform` carrying the same content.

Build: caxton build .   Deploy: caxton deploy . --name {{name}}   Try: caxton send {{name}} request hello
The `caxton` package is provided by `caxton build` (see docs/writing-agents.md, Python).
"""
from caxton import AclMessage, Agent, Performative, info, register, reply


class EchoAgent(Agent):
    def on_init(self, ctx) -> None:
        info(f"{ctx.self.name} is up")

    def on_message(self, msg: AclMessage) -> None:
        reply(msg, Performative.INFORM, msg.content)


register(EchoAgent())

from caxton.exports import Guest  # noqa: E402,F401  (the world's exports, driving the agent above)
