// TEST AGENT: drives request → inform round trips against a peer (an echo), for the bus crash test
// and the bus benchmark.
//
//   config peer      the echo to talk to (default "ponger")
//          rounds    round trips per chain (default 1000)
//          protocol  "fipa-request" to run every round trip as a policed conversation with a fresh
//                    conversation-id; empty (default) for free messages
//          report    where to send "done <chain>" when a chain finishes (optional)
//   request "<n>"  from anyone but the peer starts n chains (at most 1000 per message)
//   inform "<chain>:<step>" from the peer → request "<chain>:<step+1>" until `rounds` is reached
//
// The chain's position lives in the messages, not in the instance: after a crash or a restart the
// replayed deliveries carry the chains on, so a run always reaches its total.
import {
  Agent, AclMessage, AgentId, InitContext, Performative, register, send, newId, fail,
} from "@caxton/sdk-assemblyscript";

let peer = new AgentId("ponger");
let rounds: i32 = 1000;
let protocol: string | null = null;
let report: AgentId | null = null;

function ask(chain: i32, step: i32): void {
  const m = new AclMessage(Performative.Request);
  m.receivers.push(peer);
  m.content = chain.toString() + ":" + step.toString();
  if (protocol !== null) {
    m.protocol = protocol;
    m.conversationId = newId();
    m.replyWith = m.conversationId;
  }
  const err = send(m);
  if (err !== null) fail("send refused: " + err);
}

class Pinger extends Agent {
  onInit(ctx: InitContext): void {
    const p = ctx.get("peer");
    if (p !== null) peer = new AgentId(p);
    const r = ctx.get("rounds");
    if (r !== null) rounds = I32.parseInt(r);
    const proto = ctx.get("protocol");
    if (proto !== null && proto.length > 0) protocol = proto;
    const rep = ctx.get("report");
    if (rep !== null && rep.length > 0) report = new AgentId(rep);
    if (rounds <= 0) fail("config rounds must be a positive integer");
  }

  onMessage(msg: AclMessage): void {
    const content = msg.content !== null ? msg.content! : "";
    const sender = msg.sender;
    const fromPeer = sender !== null && (sender.name == peer.name || sender.name.startsWith(peer.name + "@"));
    if (msg.performative == Performative.Request && !fromPeer) {
      const chains = I32.parseInt(content);
      if (chains <= 0 || chains > 1000) {
        fail("start with request \"<chains>\", 1..1000");
        return;
      }
      for (let c: i32 = 0; c < chains; c++) ask(c, 0);
      return;
    }
    if (msg.performative != Performative.Inform || !fromPeer) return;
    const colon = content.indexOf(":");
    if (colon < 0) return;
    const chain = I32.parseInt(content.substring(0, colon));
    const step = I32.parseInt(content.substring(colon + 1));
    if (step + 1 < rounds) {
      ask(chain, step + 1);
    } else if (report !== null) {
      const done = new AclMessage(Performative.Inform);
      done.receivers.push(report!);
      done.content = "done " + chain.toString();
      send(done);
    }
  }
}

register(new Pinger());

export * from "@caxton/sdk-assemblyscript/exports";
