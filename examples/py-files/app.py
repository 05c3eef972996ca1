"""Files: keeps notes under /data with Python's standard library (open, os.listdir, os.rename…),
the agent's own file system kept in its durable state (decision 2191). Each request's content is a
command; the answer is an inform:
    write NAME TEXT        -> "ok"            (directories in NAME are made)
    append NAME TEXT       -> "ok"
    read NAME              -> the file's text, or "error:<errno name>"
    ls DIR                 -> "a,b/,c" (directories end in /), or "error:..."
    mv FROM TO | rm NAME   -> "ok" or "error:..."
    fill NAME BYTES        -> "ok" or "error:<errno name>" (a file of BYTES bytes)
    truncate NAME          -> "ok" (opened for writing, nothing written: the file is emptied)
    append-crash NAME TEXT -> logs what NAME holds, appends TEXT, then aborts (a crash mid-handling)
    escape                 -> what each escape attempt got, e.g. "up=error:EPERM abs=error:ENOENT ..."
    asset NAME             -> the text of /assets/NAME, a read-only file its component ships (decision 2192)
    assets DIR             -> what /assets/DIR holds, as ls
    asset-write NAME       -> "ok", or the errno writing /assets/NAME got (read-only: EROFS)
    keep-asset NAME        -> copies /assets/NAME to /data/NAME: "ok"
"""
import errno
import os

from caxton import Agent, Performative, info, register, reply

ROOT = "/data"


def _err(e: BaseException) -> str:
    if isinstance(e, OSError) and e.errno is not None:
        return f"error:{errno.errorcode.get(e.errno, str(e.errno))}"
    return f"error:{type(e).__name__}"


def _path(name: str) -> str:
    return f"{ROOT}/{name}"


def _read(name: str) -> str:
    with open(_path(name), "r", encoding="utf-8") as f:
        return f.read()


class Files(Agent):
    def on_message(self, msg) -> None:
        words = (msg.content or "").split(" ", 2)
        cmd = words[0]
        try:
            answer = self.run(cmd, words[1:])
        except BaseException as e:  # every refusal reaches the guest as an errno
            answer = _err(e)
        reply(msg, Performative.INFORM, answer)

    def run(self, cmd: str, args: list) -> str:
        if cmd == "write":
            parent = os.path.dirname(_path(args[0]))
            if parent != ROOT:  # "/" is not a directory the agent can see: makedirs stops at /data
                os.makedirs(parent, exist_ok=True)
            with open(_path(args[0]), "w", encoding="utf-8") as f:
                f.write(args[1] if len(args) > 1 else "")
            return "ok"
        if cmd == "append":
            with open(_path(args[0]), "a", encoding="utf-8") as f:
                f.write(args[1] if len(args) > 1 else "")
            return "ok"
        if cmd == "read":
            return _read(args[0])
        if cmd == "ls":
            where = _path(args[0]) if args and args[0] else ROOT
            names = sorted(n + ("/" if os.path.isdir(os.path.join(where, n)) else "") for n in os.listdir(where))
            return ",".join(names)
        if cmd == "mv":
            os.rename(_path(args[0]), _path(args[1]))
            return "ok"
        if cmd == "rm":
            os.remove(_path(args[0]))
            return "ok"
        if cmd == "fill":
            with open(_path(args[0]), "wb") as f:
                f.write(b"x" * int(args[1]))
            return "ok"
        if cmd == "truncate":
            open(_path(args[0]), "w").close()
            return "ok"
        if cmd == "append-crash":
            try:
                before = _read(args[0])
            except OSError as e:
                before = _err(e)
            info(f"before the crash {args[0]} holds: {before}")
            with open(_path(args[0]), "a", encoding="utf-8") as f:
                f.write(args[1] if len(args) > 1 else "")
            os.abort()
        if cmd == "asset":
            with open(f"/assets/{args[0]}", "r", encoding="utf-8") as f:
                return f.read()
        if cmd == "assets":
            where = f"/assets/{args[0]}" if args and args[0] else "/assets"
            return ",".join(sorted(n + ("/" if os.path.isdir(os.path.join(where, n)) else "") for n in os.listdir(where)))
        if cmd == "asset-write":
            with open(f"/assets/{args[0]}", "w", encoding="utf-8") as f:
                f.write("changed")
            return "ok"
        if cmd == "keep-asset":
            with open(f"/assets/{args[0]}", "rb") as src, open(_path(args[0]), "wb") as dst:
                dst.write(src.read())
            return "ok"
        if cmd == "escape":
            return " ".join(f"{name}={self.attempt(fn)}" for name, fn in ESCAPES)
        return f"unknown command {cmd}"

    @staticmethod
    def attempt(fn) -> str:
        try:
            return f"ok:{fn()}"
        except BaseException as e:
            return _err(e)


def _open_read(path: str):
    def go():
        with open(path, "rb") as f:
            return len(f.read(64))
    return go


ESCAPES = [
    ("up", _open_read(f"{ROOT}/../etc/passwd")),
    ("upup", _open_read(f"{ROOT}/a/../../../etc/passwd")),
    ("abs", _open_read("/etc/passwd")),
    ("symlink", lambda: os.symlink("/etc/passwd", f"{ROOT}/link")),
    ("hardlink", lambda: os.link(f"{ROOT}/notes.txt", f"{ROOT}/hard")),
    ("fifo", lambda: os.mkfifo(f"{ROOT}/fifo")),
    ("long", lambda: open(f"{ROOT}/{'n' * 300}", "w").close()),
    ("huge", lambda: open(f"{ROOT}/{'n/' * 50000}", "w").close()),
    ("nul", lambda: open(f"{ROOT}/a\x00b", "w").close()),
]

register(Files())

from caxton.exports import Guest  # noqa: E402,F401  (the world's exports, driving Files)
