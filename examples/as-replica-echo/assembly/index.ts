// Replica echo (decision 2010): answers every message with an `inform` saying which replica of the
// agent handled it and how many messages that replica has handled, then the content:
//   "replica=<n> count=<k> <content>"
// The replica number comes from the init config `caxton.replica` the node gives replicas 2..N; the
// agent's own instance has none and is replica 1. The count lives in memory, per instance.
// A message whose content is "crash-on-<n>" makes replica n trap (every time), so a test can crash
// one replica and watch the retry answered by another.
import { Agent, AclMessage, InitContext, Performative, register, reply } from "@caxton/sdk-assemblyscript";

let replica = "1";
let count: i64 = 0;

class ReplicaEcho extends Agent {
  onInit(ctx: InitContext): void {
    const n = ctx.get("caxton.replica");
    if (n !== null) replica = n;
  }

  onMessage(msg: AclMessage): void {
    const content = msg.content !== null ? msg.content! : "";
    if (content == "crash-on-" + replica) unreachable();
    count++;
    reply(msg, Performative.Inform, "replica=" + replica + " count=" + count.toString() + " " + content);
  }
}

register(new ReplicaEcho());

export * from "@caxton/sdk-assemblyscript/exports";
