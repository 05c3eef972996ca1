// Answers a `request` by asking an A2A agent, then replying to the requester with its answer: the
// AssemblyScript twin of examples/js-a2a-caller (the same config and answers).
//
//   config a2a-url=https://agent.example/a2a/jsonrpc   (required: the agent's JSON-RPC endpoint;
//                                                       its host must be allowed: --allow-http)
//   config a2a-token=<bearer token>                    (optional: sent as Authorization: Bearer)
//   config a2a-version=1.0|0.3                         (default 1.0)
//   request "<text>" -> inform "<the A2A task's text>"          (task completed, or a Message)
//                    -> failure "a2a task <state>: <text>"     (failed, rejected, canceled…)
//                    -> failure "a2a call failed: <error>"     (no response, HTTP or JSON-RPC error)
//                    -> failure "a2a call refused: <error>"    (not allow-listed, quota)
//
// The call does not block: whom to answer travels in the call's context and comes back with the
// answer, so nothing is kept in memory in between. The context is four fields, each `-` (none) or
// `<length>:<text>` (length in UTF-16 code units), so any text survives without a JSON codec.
import {
  Agent, AclMessage, AgentId, InitContext, Performative, register, send, failure, notUnderstood, warn, fail,
  A2a, A2aCall, A2aResponse, a2aResponse,
} from "@caxton/sdk-assemblyscript";

function field(value: string | null): string {
  return value !== null ? value.length.toString() + ":" + value : "-";
}

/** Whom to answer, as the call's context: to, reply-with, conversation-id, protocol. */
function answerContext(req: AclMessage): string {
  const sender = req.sender;
  return field(sender !== null ? sender.name : null) + field(req.replyWith) + field(req.conversationId) + field(req.protocol);
}

/** `answerContext` read back: its four fields, or null when it is not one. */
function readContext(ctx: string): Array<string | null> | null {
  const out = new Array<string | null>();
  let at = 0;
  while (out.length < 4) {
    if (at >= ctx.length) return null;
    if (ctx.charAt(at) == "-") {
      out.push(null);
      at++;
      continue;
    }
    let len = 0;
    let colon = at;
    for (; colon < ctx.length && colon - at < 9; colon++) {
      const c = ctx.charCodeAt(colon);
      if (c < 48 || c > 57) break;
      len = len * 10 + (c - 48);
    }
    if (colon == at || colon >= ctx.length || ctx.charAt(colon) != ":" || colon + 1 + len > ctx.length) return null;
    out.push(ctx.substring(colon + 1, colon + 1 + len));
    at = colon + 1 + len;
  }
  return at == ctx.length ? out : null;
}

class Caller extends Agent {
  url: string = "";
  token: string | null = null;
  version: string = "1.0";

  onInit(ctx: InitContext): void {
    const url = ctx.get("a2a-url");
    if (url === null || !(url.startsWith("http://") || url.startsWith("https://"))) fail("config a2a-url must be an http:// or https:// URL");
    this.url = url!;
    this.token = ctx.get("a2a-token");
    const version = ctx.get("a2a-version");
    if (version !== null) this.version = version;
  }

  onMessage(msg: AclMessage): void {
    const response = a2aResponse(msg);
    if (response !== null) {
      this.onA2aResponse(response);
      return;
    }
    if (msg.performative != Performative.Request) {
      if (msg.performative != Performative.NotUnderstood && msg.performative != Performative.Failure) notUnderstood(msg, "send a request");
      return;
    }
    const content = msg.content;
    const call = new A2aCall(this.url, content !== null ? content : "").withVersion(this.version).withContext(answerContext(msg));
    const token = this.token;
    if (token !== null) call.withToken(token);
    const sent = A2a.send(call);
    if (!sent.ok) failure(msg, "a2a call refused: " + sent.error!.message);
  }

  onA2aResponse(r: A2aResponse): void {
    const ctx = readContext(r.context);
    if (ctx === null || ctx[0] === null) {
      warn("a2a answer " + r.requestId + " carries no answer context; dropped");
      return;
    }
    const err = r.error;
    if (err !== null) {
      this.answer(ctx, Performative.Failure, "a2a call failed: " + err.message);
      return;
    }
    const result = r.result!;
    if (!result.isTask || result.state == "completed") this.answer(ctx, Performative.Inform, result.text);
    else this.answer(ctx, Performative.Failure, "a2a task " + result.state + ": " + result.text);
  }

  answer(ctx: Array<string | null>, performative: Performative, content: string): void {
    const m = new AclMessage(performative).to(new AgentId(ctx[0]!));
    m.content = content;
    m.inReplyTo = ctx[1];
    m.conversationId = ctx[2];
    m.protocol = ctx[3];
    send(m);
  }
}

register(new Caller());

export * from "@caxton/sdk-assemblyscript/exports";
