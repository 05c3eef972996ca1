"""Echo: answers every message with an `inform` carrying the same content."""
from caxton import AclMessage, Agent, Performative, register, reply


class Echo(Agent):
    def on_message(self, msg: AclMessage) -> None:
        reply(msg, Performative.INFORM, msg.content)


register(Echo())

from caxton.exports import Guest  # noqa: E402,F401  (the world's exports, driving Echo)
