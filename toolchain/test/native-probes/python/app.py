"""State and HTTP probe (see ../README.md)."""
from caxton import Agent, Performative, http, register, reply, state


def run(cmd: str) -> str:
    w = cmd.split(" ", 3)
    try:
        if len(w) == 2 and w[0] == "get":
            v = state.get(w[1])
            return "none" if v is None else "some:" + v
        if len(w) == 3 and w[0] == "set":
            state.set(w[1], w[2])
            return "ok"
        if len(w) == 2 and w[0] == "del":
            state.delete(w[1])
            return "ok"
        if len(w) == 4 and w[0] == "keys":
            return ",".join(state.keys(w[1], None if w[2] == "-" else w[2], int(w[3])))
        if cmd == "fetch":
            return "id:" + http.fetch(http.Request("POST", "https://api.example.com/x?y=1", [("a", "1"), ("b", "2")],
                                                   body='{"q":"é"}', timeout_ms=2500, context="ctx ✓"))
        if cmd == "fetch-min":
            return "id:" + http.fetch(http.Request("GET", "http://h.example/"))
    except (state.StateError, http.HttpError) as e:
        return f"err:{e.kind.value}:{e.message}"
    return "unknown command " + cmd


class Probe(Agent):
    def on_message(self, msg) -> None:
        reply(msg, Performative.INFORM, run(msg.content or ""))


register(Probe())

from caxton.exports import Guest  # noqa: E402,F401  (the world's exports, driving Probe)
