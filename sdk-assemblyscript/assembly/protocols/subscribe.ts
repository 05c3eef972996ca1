// fipa-subscribe (SC00035). Participant: keep a SubscriptionTable, `add` the subscribe messages you
// accept (sends agree), `notify` informs every subscriber in its own conversation, `cancel` handles
// the cancel meta-protocol. Initiator: `subscribe` / `unsubscribe`.
import { AclMessage, AgentId } from "../types";
import { Performative } from "../performative";
import { send } from "../host";
import { createReply, initiate, reply } from "../reply";

export const SUBSCRIBE = "fipa-subscribe";

export class SubscriptionTable {
  subscriptions: Map<string, AclMessage> = new Map();

  get size(): i32 {
    return this.subscriptions.size;
  }

  /** Accepts a subscribe message: sends agree and remembers it. */
  add(subscribe: AclMessage, agreeContent: string | null = null): void {
    const key = subscribe.conversationId !== null ? subscribe.conversationId! : "";
    this.subscriptions.set(key, subscribe);
    reply(subscribe, Performative.Agree, agreeContent);
  }

  /** Handles a cancel: forgets the subscription and confirms with inform; failure if unknown. */
  cancel(cancel: AclMessage): bool {
    const key = cancel.conversationId !== null ? cancel.conversationId! : "";
    if (!this.subscriptions.has(key) || !sameSender(this.subscriptions.get(key), cancel)) {
      reply(cancel, Performative.Failure, "no such subscription");
      return false;
    }
    this.subscriptions.delete(key);
    reply(cancel, Performative.Inform, "subscription cancelled");
    return true;
  }

  /** Sends `content` as an inform to every subscriber; returns how many were notified. */
  notify(content: string): i32 {
    const subs = this.subscriptions.values();
    for (let i = 0; i < subs.length; i++) send(createReply(subs[i], Performative.Inform, content));
    return subs.length;
  }
}

function sameSender(a: AclMessage, b: AclMessage): bool {
  const sa = a.sender;
  const sb = b.sender;
  return sa !== null && sb !== null && sa.name == sb.name;
}

/** Subscribes to `publisher`; keep the returned message to unsubscribe later. */
export function subscribe(publisher: AgentId, content: string): AclMessage {
  const m = initiate(Performative.Subscribe, [publisher], content, SUBSCRIBE);
  send(m);
  return m;
}

/** Cancels a subscription made with `subscribe`. */
export function unsubscribe(subscription: AclMessage): void {
  const m = initiate(Performative.Cancel, subscription.receivers, subscription.content, SUBSCRIBE);
  m.conversationId = subscription.conversationId;
  send(m);
}
