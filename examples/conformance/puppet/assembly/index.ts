// TEST AGENT: a puppet for the bus conformance tests. It is a real sandboxed agent whose outgoing
// messages are scripted by the test, so the tests can make it do what a buggy or hostile agent
// would (answer out of sequence, claim to be someone else, flood a mailbox, write to nobody).
//
// A message carrying the user parameter X-puppet = "do" is a command; its content is key=value
// lines describing the message(s) to send:
//   performative=agree  to=b,c  reply-to=d  protocol=…  conversation-id=…  reply-with=…
//   in-reply-to=…  reply-by-in=<ms from now>  sender=<name written into :sender>  content=…
//   ontology=…  language=…
//   count=<n>  (send n copies; copy i gets content "<content>#<i>" when n > 1)
//   split=true (send each copy to each receiver separately: one message per receiver, the way a
//              publisher notifies its subscribers, instead of one message addressed to all)
// Every other message is logged as one line, "got <performative> from <sender> cid=<…> irt=<…>
// content=<…>", and not answered: this is also the silent responder of the timeout test.
//
//   config spin-ms  busy-wait this long (host clock) in every handle: a slow agent for backpressure
//   config hello-to send an inform "hello from init" to these agents (comma-separated) from init
//   config fail-init-after  init fails (returns an error) once the host clock reaches this time
//                   (ms since the epoch): an agent that starts now and can never start again
//   config spin-init-after  init spins forever (calling the host clock) once the clock reaches
//                   this time: an agent that starts now and hangs every restart (with a large
//                   fuelPerInit, only the wall-clock deadline stops it)
import {
  Agent, AclMessage, AgentId, InitContext, Performative, register, send, now, info, fail,
  parsePerformative, performativeName,
} from "@caxton/sdk-assemblyscript";

let spinMs: u64 = 0;
let sink: u64 = 0;

function ids(list: string): AgentId[] {
  const out: AgentId[] = [];
  const parts = list.split(",");
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i].trim();
    if (p.length > 0) out.push(new AgentId(p));
  }
  return out;
}

function orNull(s: string | null): string {
  return s !== null ? s! : "-";
}

function obey(script: string): void {
  const m = new AclMessage(Performative.Inform);
  let count: i32 = 1;
  let split = false;
  let content: string | null = null;
  const lines = script.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const eq = line.indexOf("=");
    if (eq <= 0) continue;
    const key = line.substring(0, eq).trim();
    const value = line.substring(eq + 1);
    if (key == "performative") {
      const p = parsePerformative(value.trim());
      if (p < 0) {
        fail("unknown performative " + value);
        return;
      }
      m.performative = <Performative>p;
    } else if (key == "to") m.receivers = ids(value);
    else if (key == "reply-to") m.replyTo = ids(value);
    else if (key == "protocol") m.protocol = value;
    else if (key == "conversation-id") m.conversationId = value;
    else if (key == "reply-with") m.replyWith = value;
    else if (key == "in-reply-to") m.inReplyTo = value;
    else if (key == "reply-by-in") m.setReplyBy(now() + <u64>I64.parseInt(value));
    else if (key == "sender") m.sender = new AgentId(value);
    else if (key == "content") content = value;
    else if (key == "ontology") m.ontology = value;
    else if (key == "language") m.language = value;
    else if (key == "count") count = I32.parseInt(value);
    else if (key == "split") split = value == "true";
  }
  const all = m.receivers;
  for (let i: i32 = 0; i < count; i++) {
    m.content = count > 1 && content !== null ? content! + "#" + i.toString() : content;
    if (!split) {
      if (!sendOrFail(m)) return;
      continue;
    }
    for (let r = 0; r < all.length; r++) {
      m.receivers = [all[r]];
      if (!sendOrFail(m)) return;
    }
  }
}

function sendOrFail(m: AclMessage): bool {
  const err = send(m);
  if (err !== null) fail("send refused: " + err);
  return err === null;
}

class Puppet extends Agent {
  onInit(ctx: InitContext): void {
    const spinAfter = ctx.get("spin-init-after");
    if (spinAfter !== null && now() >= <u64>I64.parseInt(spinAfter!)) {
      while (true) sink += now();
    }
    const failAfter = ctx.get("fail-init-after");
    if (failAfter !== null && now() >= <u64>I64.parseInt(failAfter!)) {
      fail("init refuses to start after " + failAfter!);
      return;
    }
    const s = ctx.get("spin-ms");
    if (s !== null) spinMs = <u64>I64.parseInt(s);
    // config hello-to: announce every start to that agent (an init that sends)
    const helloTo = ctx.get("hello-to");
    if (helloTo !== null) {
      const hello = new AclMessage(Performative.Inform);
      hello.receivers = ids(helloTo!);
      hello.content = "hello from init";
      sendOrFail(hello);
    }
  }

  onMessage(msg: AclMessage): void {
    if (spinMs > 0) {
      const until = now() + spinMs;
      while (now() < until) sink++;
    }
    const mode = msg.param("X-puppet");
    if (mode !== null && mode == "do") {
      obey(msg.content !== null ? msg.content! : "");
      return;
    }
    const sender = msg.sender;
    info(
      "got " + performativeName(msg.performative) + " from " + (sender !== null ? sender.name : "-") +
      " cid=" + orNull(msg.conversationId) + " irt=" + orNull(msg.inReplyTo) + " content=" + orNull(msg.content),
    );
  }
}

register(new Puppet());

export * from "@caxton/sdk-assemblyscript/exports";
