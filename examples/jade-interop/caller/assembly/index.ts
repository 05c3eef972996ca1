// Caller: asks an agent of another platform — a JADE agent, over the FIPA HTTP MTP — on behalf of
// whoever asked it, and passes the answer back (examples/jade-interop, docs/interop.md).
//
//   config peer        the agent to ask, by its FIPA name (e.g. "pong@jade-demo"); the node posts to
//                      the ACC its peers file gives that platform, through this deployment's
//                      --allow-http rules
//   request "<text>"   from anyone → request "<text>" to the peer, in a conversation of its own
//   the peer's answer  → inform "<peer> answered <performative>: <content>" to whoever asked, as
//                        a reply to their request (so `caxton send caller request … --wait` shows it)
//   a failure from the node (the peer could not be reached) → failure to whoever asked, with why
import {
  Agent, AclMessage, AgentId, InitContext, Performative, performativeName, register, reply, send, newId, fail,
} from "@caxton/sdk-assemblyscript";

let peer: AgentId | null = null;

// The requests waiting for the peer's answer, by the conversation opened with the peer. Kept in
// the instance's memory, which is enough for a demo: a node restarted in between forgets them
// (the peer's answer then finds no asker and is only logged by the node's tail).
const waiting = new Map<string, AclMessage>();

class Caller extends Agent {
  onInit(ctx: InitContext): void {
    const p = ctx.get("peer");
    if (p === null || p.length == 0) {
      fail("config peer is required: the FIPA name of the agent to ask, e.g. --config peer=pong@jade-demo");
      return;
    }
    peer = new AgentId(p);
  }

  onMessage(msg: AclMessage): void {
    const conversation = msg.conversationId;
    if (conversation !== null && waiting.has(conversation)) {
      const asked = waiting.get(conversation);
      waiting.delete(conversation);
      const from = msg.sender !== null ? msg.sender!.name : "?";
      const content = msg.content !== null ? msg.content! : "";
      const answer = msg.performative == Performative.Failure ? Performative.Failure : Performative.Inform;
      reply(asked, answer, from + " answered " + performativeName(msg.performative) + ": " + content);
      return;
    }
    if (msg.performative != Performative.Request) return; // not a request and not an awaited answer: nothing to do
    const ask = new AclMessage(Performative.Request);
    ask.receivers.push(peer!);
    ask.content = msg.content;
    ask.conversationId = newId();
    ask.replyWith = ask.conversationId;
    const err = send(ask);
    if (err !== null) {
      reply(msg, Performative.Failure, "could not ask " + peer!.name + ": " + err);
      return;
    }
    waiting.set(ask.conversationId!, msg);
  }
}

register(new Caller());

export * from "@caxton/sdk-assemblyscript/exports";
