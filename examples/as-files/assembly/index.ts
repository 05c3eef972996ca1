// Files: keeps notes under /data with the SDK's `Files` (AssemblyScript has no libc: the SDK calls
// WASI itself, so the agent is built with "wasi": true), the agent's file system kept in its
// durable state (decision 2191). The same commands as examples/py-files, each request's content
// one command, each answer an inform: write, append, read, ls, mv, rm, fill, truncate,
// append-crash (logs the file, appends, aborts: a crash mid-handling) and escape.
import {
  Agent, AclMessage, Performative, register, reply, info, Files, FileError,
} from "@caxton/sdk-assemblyscript";

function answer(err: FileError | null): string {
  return err === null ? "ok" : "error:" + err.name();
}

function parent(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? "" : path.substring(0, slash);
}

/** Makes each directory of `path` above the file (mkdir -p). */
function makeParents(path: string): FileError | null {
  const dir = parent(path);
  if (dir == "") return null;
  const made = makeParents(dir);
  if (made !== null) return made;
  const err = Files.makeDir(dir);
  return err !== null && err.name() != "EEXIST" ? err : null;
}

function escape(): string {
  const huge = "n/".repeat(50000);
  const attempts: string[] = [
    "up=" + answer(Files.read("../etc/passwd").error),
    "upup=" + answer(Files.read("a/../../../etc/passwd").error),
    "abs=" + answer(Files.read("/etc/passwd").error),
    "long=" + answer(Files.write("n".repeat(300), "")),
    "huge=" + answer(Files.write(huge, "")),
  ];
  return attempts.join(" ");
}

function run(cmd: string, name: string, text: string): string {
  if (cmd == "write") {
    const made = makeParents(name);
    return made !== null ? answer(made) : answer(Files.write(name, text));
  }
  if (cmd == "append") return answer(Files.append(name, text));
  if (cmd == "read") {
    const r = Files.read(name);
    return r.error === null ? r.text : answer(r.error);
  }
  if (cmd == "ls") {
    const list = Files.list(name);
    if (list.error !== null) return answer(list.error);
    const names: string[] = [];
    for (let i = 0; i < list.entries.length; i++) {
      const e = list.entries[i];
      names.push(e.isDirectory ? e.name + "/" : e.name);
    }
    names.sort();
    return names.join(",");
  }
  if (cmd == "mv") return answer(Files.rename(name, text));
  if (cmd == "rm") return answer(Files.remove(name));
  if (cmd == "fill") {
    const bytes = new Uint8Array(I32.parseInt(text));
    bytes.fill(0x78); // "x"
    return answer(Files.writeBytes(name, bytes));
  }
  if (cmd == "truncate") return answer(Files.write(name, ""));
  if (cmd == "append-crash") {
    const before = Files.read(name);
    info("before the crash " + name + " holds: " + (before.error === null ? before.text : answer(before.error)));
    Files.append(name, text);
    abort("a crash mid-handling, after the append");
  }
  if (cmd == "escape") return escape();
  return "unknown command " + cmd;
}

class FilesAgent extends Agent {
  onMessage(msg: AclMessage): void {
    const content = msg.content !== null ? msg.content! : "";
    const first = content.indexOf(" ");
    const cmd = first < 0 ? content : content.substring(0, first);
    const rest = first < 0 ? "" : content.substring(first + 1);
    const second = rest.indexOf(" ");
    const name = second < 0 ? rest : rest.substring(0, second);
    const text = second < 0 ? "" : rest.substring(second + 1);
    reply(msg, Performative.Inform, run(cmd, name, text));
  }
}

register(new FilesAgent());

export * from "@caxton/sdk-assemblyscript/exports";
