// TEST AGENT: calls caxton:agent/topics as the test says and logs what comes back (decision 1961).
//
// A `request` is a script, one command per line; each is called and its result logged as
// "<command> <topic>: ok" or "<command> <topic>: <kind>: <message>":
//   sub <topic>                  subscribe, every message
//   sub <topic> <filter JSON>    subscribe with that filter (the rest of the line, as it is)
//   unsub <topic>                unsubscribe
//   sub-long <n>                 subscribe to a name of n "a"s (over 200: refused from its length)
//   sub-many <prefix> <n>        subscribe to <prefix>0 … <prefix>(n-1) in this one call
//   crash                        trap after the lines before it: nothing they did may be applied
// Every other message is logged as "got <performative> via <first receiver> content=<content>".
//   config subscribe  topics (comma-separated) to subscribe to at init
import {
  Agent, AclMessage, InitContext, Performative, register, info, fail, performativeName, Topics, TopicError,
  topicErrorKindName,
} from "@caxton/sdk-assemblyscript";

function report(command: string, topic: string, err: TopicError | null): void {
  info(command + " " + topic + ": " + (err === null ? "ok" : topicErrorKindName(err.kind) + ": " + err.message));
}

function run(line: string): void {
  const sp = line.indexOf(" ");
  const command = sp < 0 ? line : line.substring(0, sp);
  const rest = sp < 0 ? "" : line.substring(sp + 1);
  if (command == "crash") unreachable();
  if (command == "sub") {
    const sp2 = rest.indexOf(" ");
    if (sp2 < 0) report("sub", rest, Topics.subscribe(rest));
    else report("sub", rest.substring(0, sp2), Topics.subscribe(rest.substring(0, sp2), rest.substring(sp2 + 1)));
  } else if (command == "unsub") {
    report("unsub", rest, Topics.unsubscribe(rest));
  } else if (command == "sub-long") {
    const n = I32.parseInt(rest);
    report("sub-long", n.toString(), Topics.subscribe("a".repeat(n)));
  } else if (command == "sub-many") {
    const sp2 = rest.indexOf(" ");
    const prefix = rest.substring(0, sp2);
    const n = I32.parseInt(rest.substring(sp2 + 1));
    let refused = 0;
    let last: TopicError | null = null;
    for (let i = 0; i < n; i++) {
      const err = Topics.subscribe(prefix + i.toString());
      if (err !== null) {
        refused++;
        last = err;
      }
    }
    info("sub-many " + prefix + ": " + (n - refused).toString() + " ok, " + refused.toString() + " refused" +
      (last !== null ? " (" + topicErrorKindName(last.kind) + ")" : ""));
  } else {
    fail("unknown command " + command);
  }
}

class Probe extends Agent {
  onInit(ctx: InitContext): void {
    const list = ctx.get("subscribe");
    if (list === null) return;
    const parts = list!.split(",");
    for (let i = 0; i < parts.length; i++) {
      const err = Topics.subscribe(parts[i].trim());
      if (err !== null) {
        fail("cannot subscribe: " + err.toString());
        return;
      }
    }
  }

  onMessage(msg: AclMessage): void {
    if (msg.performative == Performative.Request) {
      const lines = (msg.content !== null ? msg.content! : "").split("\n");
      for (let i = 0; i < lines.length; i++) if (lines[i].length > 0) run(lines[i]);
      return;
    }
    const via = msg.receivers.length > 0 ? msg.receivers[0].name : "-";
    info("got " + performativeName(msg.performative) + " via " + via + " content=" + (msg.content !== null ? msg.content! : "-"));
  }
}

register(new Probe());

export * from "@caxton/sdk-assemblyscript/exports";
