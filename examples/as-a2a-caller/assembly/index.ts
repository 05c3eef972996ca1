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
// The call does not block: whom to answer travels in the call's context (JSON) and comes back with
// the answer, so nothing is kept in memory in between.
import {
  Agent, AclMessage, AgentId, InitContext, Performative, register, send, failure, notUnderstood, warn, fail,
  A2a, A2aCall, A2aResponse, JsonValue, a2aResponse, parseJson, jsonQuote,
} from "@caxton/sdk-assemblyscript";

function field(name: string, value: string | null): string {
  return jsonQuote(name) + ":" + (value !== null ? jsonQuote(value) : "null");
}

/** Whom to answer, as the call's context. */
function answerContext(req: AclMessage): string {
  const sender = req.sender;
  return "{" + field("to", sender !== null ? sender.name : null) + "," + field("replyWith", req.replyWith) + "," +
    field("conversationId", req.conversationId) + "," + field("protocol", req.protocol) + "}";
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
    const ctx = parseJson(r.context);
    if (ctx === null || !ctx.isObject || ctx.getString("to") === null) {
      warn("a2a answer " + r.requestId + " carries no answer context; dropped");
      return;
    }
    const err = r.error;
    if (err !== null) {
      this.answer(ctx.getString("to")!, ctx, Performative.Failure, "a2a call failed: " + err.message);
      return;
    }
    const result = r.result!;
    if (!result.isTask || result.state == "completed") this.answer(ctx.getString("to")!, ctx, Performative.Inform, result.text);
    else this.answer(ctx.getString("to")!, ctx, Performative.Failure, "a2a task " + result.state + ": " + result.text);
  }

  answer(to: string, ctx: JsonValue, performative: Performative, content: string): void {
    const m = new AclMessage(performative).to(new AgentId(to));
    m.content = content;
    m.inReplyTo = ctx.getString("replyWith");
    m.conversationId = ctx.getString("conversationId");
    m.protocol = ctx.getString("protocol");
    send(m);
  }
}

register(new Caller());

export * from "@caxton/sdk-assemblyscript/exports";
