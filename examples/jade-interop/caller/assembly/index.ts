// Caller: asks an agent of another platform — a JADE agent, over the FIPA HTTP MTP — on behalf of
// whoever asked it, and passes the answer back (examples/jade-interop, docs/interop.md).
//
//   config peer                the agent to ask, by its FIPA name (e.g. "pong@jade-demo"); the node
//                              posts to the ACC its peers file gives that platform, through this
//                              deployment's --allow-http rules
//   config answer-timeout-ms   how long a request waits for the peer's answer (default 30000,
//                              1000..600000); then the asker gets `failure "<peer> did not answer within <n> ms"`
//   config max-waiting         how many requests may wait for the peer at once (default 64, 1..64);
//                              one more is refused "too many requests waiting for <peer>"
//
//   request "<text>"   from anyone → request "<text>" to the peer (fipa-request, a conversation of
//                      its own)
//   the peer's answer  agree → keeps waiting for the result; inform → inform "<peer> answered
//                      inform: <content>" to whoever asked, as a reply to their request (so `caxton
//                      send caller request … --wait` shows it); refuse, not-understood, failure →
//                      failure "<peer> answered <performative>: <content>"
//   a failure from the node (ams@<this platform>: the peer could not be reached) → failure to whoever
//                      asked, with why
//   anything else      → not-understood (but never to a not-understood or failure: no loops)
import {
  Agent, AclMessage, AgentId, InitContext, Performative, performativeName, register, send, setTimer, self,
  initiate, failure, refuse, reply, notUnderstood, fail, REQUEST,
} from "@caxton/sdk-assemblyscript";

const DEFAULT_ANSWER_TIMEOUT_MS: u32 = 30_000;
const MAX_ANSWER_TIMEOUT_MS: u32 = 600_000;
// Each waiting request is kept (without its content) until the peer answers or the timeout: the
// cap bounds the instance's memory whatever anyone sends.
const MAX_WAITING: i32 = 64;

let peer: AgentId | null = null;
let answerTimeoutMs: u32 = DEFAULT_ANSWER_TIMEOUT_MS;
let maxWaiting: i32 = MAX_WAITING;

// The requests waiting for the peer's answer, by the conversation opened with the peer. Kept in
// the instance's memory, which is enough for a demo: a node restarted, the agent upgraded or an
// instance re-created after a trap forgets them (the peer's answer then finds no asker and is only
// seen in the node's tail).
const waiting = new Map<string, AclMessage>();

/** An integer config value in [min, max], `otherwise` when unset; null (and fail) when invalid. */
function intConfig(ctx: InitContext, key: string, otherwise: i64, min: i64, max: i64): i64 {
  const v = ctx.get(key);
  if (v === null) return otherwise;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 48 || c > 57 || v.length > 9) {
      fail("config " + key + " must be an integer from " + min.toString() + " to " + max.toString() + ", not \"" + v + "\"");
      return otherwise;
    }
  }
  const n = I64.parseInt(v);
  if (v.length == 0 || n < min || n > max) {
    fail("config " + key + " must be an integer from " + min.toString() + " to " + max.toString() + ", not \"" + v + "\"");
    return otherwise;
  }
  return n;
}

/** The platform part of this agent's name ("caxton" in "caller@caxton"). */
function ownPlatform(): string {
  const name = self().name;
  const at = name.lastIndexOf("@");
  return at >= 0 ? name.substring(at + 1) : name;
}

class Caller extends Agent {
  onInit(ctx: InitContext): void {
    const p = ctx.get("peer");
    if (p === null || p.length == 0) {
      fail("config peer is required: the FIPA name of the agent to ask, e.g. --config peer=pong@jade-demo");
      return;
    }
    peer = new AgentId(p);
    answerTimeoutMs = <u32>intConfig(ctx, "answer-timeout-ms", DEFAULT_ANSWER_TIMEOUT_MS, 1000, MAX_ANSWER_TIMEOUT_MS);
    maxWaiting = <i32>intConfig(ctx, "max-waiting", MAX_WAITING, 1, MAX_WAITING);
  }

  onMessage(msg: AclMessage): void {
    const conversation = msg.conversationId;
    if (conversation !== null && waiting.has(conversation) && this.fromPeerOrNode(msg)) {
      if (msg.performative == Performative.Agree) return; // fipa-request: the result follows
      const asked = waiting.get(conversation);
      waiting.delete(conversation);
      const content = msg.content !== null ? msg.content! : "";
      const answer = msg.performative == Performative.Inform ? Performative.Inform : Performative.Failure;
      reply(asked, answer, msg.sender!.name + " answered " + performativeName(msg.performative) + ": " + content);
      return;
    }
    if (msg.performative != Performative.Request) {
      if (msg.performative != Performative.NotUnderstood && msg.performative != Performative.Failure) {
        notUnderstood(msg, "send a request; its content is passed on to " + peer!.name);
      }
      return;
    }
    if (waiting.size >= maxWaiting) {
      refuse(msg, "too many requests waiting for " + peer!.name + " (" + maxWaiting.toString() + "); ask again later");
      return;
    }
    const ask = initiate(Performative.Request, [peer!], msg.content, REQUEST);
    const err = send(ask);
    if (err !== null) {
      failure(msg, "could not ask " + peer!.name + ": " + err);
      return;
    }
    msg.content = null; // the answer needs only whom to answer and how: not the request's content
    waiting.set(ask.conversationId!, msg);
    setTimer(answerTimeoutMs, ask.conversationId!);
  }

  onTimer(token: string): void {
    if (!waiting.has(token)) return; // answered in time
    const asked = waiting.get(token);
    waiting.delete(token);
    failure(asked, peer!.name + " did not answer within " + answerTimeoutMs.toString() + " ms");
  }

  /** An answer counts only from the peer, or from this node's ams (the post to the peer failed). */
  fromPeerOrNode(msg: AclMessage): bool {
    const sender = msg.sender;
    if (sender === null) return false;
    return sender.name == peer!.name || sender.name == "ams@" + ownPlatform();
  }
}

register(new Caller());

export * from "@caxton/sdk-assemblyscript/exports";
