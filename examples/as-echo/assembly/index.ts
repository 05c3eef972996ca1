// Echo: answers every message with an `inform` carrying the same content.
import { Agent, AclMessage, Performative, register, reply } from "@caxton/sdk-assemblyscript";

class Echo extends Agent {
  onMessage(msg: AclMessage): void {
    reply(msg, Performative.Inform, msg.content);
  }
}

register(new Echo());

export * from "@caxton/sdk-assemblyscript/exports";
