// Replica echo (decision 2010): answers every message with an `inform` saying which replica of the
// agent handled it and how many messages that replica has handled, then the content:
//   "replica=<n> count=<k> <content>"
// The replica number comes from the init config `caxton.replica` the node gives replicas 2..N; the
// agent's own instance has none and is replica 1. The count lives in memory, per instance.
// A message whose content is "crash-on-<n>" makes replica n trap (every time), so a test can crash
// one replica and watch the retry answered by another.
// "add" increments the durable state key "n" and answers "add=<new n>"; "get" answers "get=<n>" as
// this replica's state view has it (replicas 2..N see none of replica 1's writes: the stale read a
// test must never see committed). A deployment config `init-trap-on` = n makes replica n trap in
// its init (a replica that cannot start). A config `init-spin` = k makes every replica's init
// (not the agent's own instance's) spend k loop rounds first: a replica whose start takes a while.
import { Agent, AclMessage, InitContext, Performative, register, reply, State } from "@caxton/sdk-assemblyscript";

let replica = "1";
let count: i64 = 0;
/** Where the init spin's result goes (kept, so the loop is not optimised away). */
let spun: i64 = 0;

class ReplicaEcho extends Agent {
  onInit(ctx: InitContext): void {
    const n = ctx.get("caxton.replica");
    if (n !== null) replica = n;
    const trap = ctx.get("init-trap-on");
    if (trap !== null && trap == replica) unreachable();
    const spin = ctx.get("init-spin");
    if (spin !== null && n !== null) {
      const rounds = I64.parseInt(spin);
      let x: i64 = 0;
      for (let i: i64 = 0; i < rounds; i++) x = x * 31 + i;
      spun = x;
    }
  }

  onMessage(msg: AclMessage): void {
    const content = msg.content !== null ? msg.content! : "";
    if (content == "crash-on-" + replica) unreachable();
    count++;
    let answer = content;
    if (content == "add") {
      const next = State.getI64("n") + 1;
      State.set("n", next.toString());
      answer = "add=" + next.toString();
    } else if (content == "spun") {
      answer = "spun=" + spun.toString();
    } else if (content == "get") {
      answer = "get=" + State.getI64("n").toString();
    }
    reply(msg, Performative.Inform, "replica=" + replica + " count=" + count.toString() + " " + answer);
  }
}

register(new ReplicaEcho());

export * from "@caxton/sdk-assemblyscript/exports";
