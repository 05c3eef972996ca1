// Stateless worker (decision 2163): an agent meant to be scaled across a cluster's nodes. It keeps
// nothing durable; every answer says which worker (replica) of the agent gave it and how many
// messages that worker has handled, as the replica echo does:
//   "replica=<n> count=<k> <answer>"
// The replica number comes from the init config `caxton.replica` (worker 1, the agent itself, has none).
//
//   "timer <ms> <tag>"   sets a timer; answers "set <tag>" now and, when it fires, sends the asker
//                         "timer <tag>" (the worker that fired it says so). Everything the firing needs
//                         is in the token: "<asker>\n<conversation>\n<tag>".
//   "subscribe <topic>"  subscribes (the deployment's subscription); answers "subscribed <topic>" or
//                         "refused <topic>: <why>".
//   "http <url>"         GETs url; when the answer comes back, sends the asker "http from=<n>
//                         <status or failure>", n the worker that made the call (carried in the
//                         call's context with the asker and conversation).
//   anything else        echoed: answered with the content (publications included).
// Config `spin-ms`: busy-wait this long (host clock) in every handling — a CPU-bound worker.
// Config `label`: every answer says "<label>:" before what it answers, so the deployment (an upgrade's
// new config, or version) that answered shows: "replica=<n> count=<k> <label>:<answer>".
import {
  Agent, AclMessage, AgentId, InitContext, Performative, register, reply, send, setTimer, now,
  Topics, Http, HttpRequest, httpResponse,
} from "@caxton/sdk-assemblyscript";

let replica = "1";
let count: i64 = 0;
let spinMs: u64 = 0;
let label = "";
let sink: u64 = 0;

function tagged(answer: string): string {
  return "replica=" + replica + " count=" + count.toString() + " " + label + answer;
}

/** Sends `answer` to `to` in `conversation` ("" for none). */
function tell(to: string, conversation: string, answer: string): void {
  const m = new AclMessage(Performative.Inform);
  m.receivers.push(new AgentId(to));
  if (conversation.length > 0) m.conversationId = conversation;
  m.content = tagged(answer);
  send(m);
}

function askerOf(msg: AclMessage): string {
  const s = msg.sender;
  return s !== null ? s.name : "";
}

class Worker extends Agent {
  onInit(ctx: InitContext): void {
    const n = ctx.get("caxton.replica");
    if (n !== null) replica = n;
    const spin = ctx.get("spin-ms");
    if (spin !== null) spinMs = U64.parseInt(spin);
    const tag = ctx.get("label");
    if (tag !== null) label = tag + ":";
  }

  onMessage(msg: AclMessage): void {
    count++;
    if (spinMs > 0) {
      const until = now() + spinMs;
      while (now() < until) sink++;
    }
    const response = httpResponse(msg);
    if (response !== null) {
      const context = response.context;
      if (context === null) return;
      const parts = context.split("\n");
      if (parts.length < 3) return;
      const outcome = response.answered ? response.status.toString() : "failed " + (response.failure !== null ? response.failure! : "?");
      tell(parts[0], parts[1], "http from=" + parts[2] + " " + outcome);
      return;
    }
    const content = msg.content !== null ? msg.content! : "";
    const conversation = msg.conversationId !== null ? msg.conversationId! : "";
    if (content.startsWith("timer ")) {
      const rest = content.substring(6);
      const space = rest.indexOf(" ");
      const ms = U32.parseInt(space < 0 ? rest : rest.substring(0, space));
      const tag = space < 0 ? "" : rest.substring(space + 1);
      setTimer(ms, askerOf(msg) + "\n" + conversation + "\n" + tag);
      reply(msg, Performative.Inform, tagged("set " + tag));
    } else if (content.startsWith("subscribe ")) {
      const topic = content.substring(10);
      const err = Topics.subscribe(topic);
      reply(msg, Performative.Inform, tagged(err === null ? "subscribed " + topic : "refused " + topic + ": " + err.message));
    } else if (content.startsWith("http ")) {
      const request = new HttpRequest("GET", content.substring(5)).withContext(askerOf(msg) + "\n" + conversation + "\n" + replica);
      const started = Http.fetch(request);
      if (!started.ok) reply(msg, Performative.Inform, tagged("http refused: " + started.error!.message));
    } else {
      reply(msg, Performative.Inform, tagged(content));
    }
  }

  onTimer(token: string): void {
    count++;
    const parts = token.split("\n");
    if (parts.length < 3) return;
    tell(parts[0], parts[1], "timer " + parts[2]);
  }
}

register(new Worker());

export * from "@caxton/sdk-assemblyscript/exports";
