// Initiating fipa-request (SC00026) and fipa-query (SC00027). The participant side is the answer
// helpers in reply.ts: agree/refuse, then informDone/informResult/failure.
import { AclMessage, AgentId } from "../types";
import { Performative } from "../performative";
import { send } from "../host";
import { initiate } from "../reply";

export const REQUEST = "fipa-request";
export const QUERY = "fipa-query";

function open(p: Performative, receiver: AgentId, content: string, protocol: string): AclMessage {
  const m = initiate(p, [receiver], content, protocol);
  send(m);
  return m;
}

/** Asks `receiver` to perform an action; the returned message's conversationId tracks it. */
export function request(receiver: AgentId, content: string): AclMessage {
  return open(Performative.Request, receiver, content, REQUEST);
}

/** Asks for the object(s) matching a referential expression (answered by inform). */
export function queryRef(receiver: AgentId, content: string): AclMessage {
  return open(Performative.QueryRef, receiver, content, QUERY);
}

/** Asks whether a proposition is true (answered by inform). */
export function queryIf(receiver: AgentId, content: string): AclMessage {
  return open(Performative.QueryIf, receiver, content, QUERY);
}
