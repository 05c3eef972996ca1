// fipa-subscribe (SC00035). Participant: keep a SubscriptionTable; `add` the subscribe messages
// you accept (it sends agree), `notify` sends an inform to every subscriber in its own
// conversation, `cancel` handles the cancel meta-protocol. Initiator: `subscribe` / `unsubscribe`.
import { send } from '../host.js';
import { initiate, reply, createReply } from '../reply.js';

export const SUBSCRIBE = 'fipa-subscribe';

export class SubscriptionTable {
  constructor() {
    /** conversation-id -> the subscribe message */
    this.subscriptions = new Map();
  }

  get size() {
    return this.subscriptions.size;
  }

  /** Accepts a subscribe message: sends agree and remembers it. */
  add(subscribe, agreeContent = null) {
    this.subscriptions.set(subscribe.conversationId ?? '', subscribe);
    reply(subscribe, 'agree', agreeContent);
  }

  /** Handles a cancel: forgets the subscription and confirms with inform. Returns true if known. */
  cancel(cancel) {
    const key = cancel.conversationId ?? '';
    const sub = this.subscriptions.get(key);
    if (!sub || sub.sender?.name !== cancel.sender?.name) {
      reply(cancel, 'failure', 'no such subscription');
      return false;
    }
    this.subscriptions.delete(key);
    reply(cancel, 'inform', 'subscription cancelled');
    return true;
  }

  /** Sends `content` as an inform to every subscriber. Returns how many were notified. */
  notify(content) {
    for (const sub of this.subscriptions.values()) send(createReply(sub, 'inform', content));
    return this.subscriptions.size;
  }
}

/** Subscribes to `publisher`; returns the subscribe message (keep its conversationId). */
export function subscribe(publisher, content, options = {}) {
  const m = initiate('subscribe', [publisher], content, { protocol: SUBSCRIBE, ...options });
  send(m);
  return m;
}

/** Cancels a subscription made with `subscribe`. */
export function unsubscribe(subscription) {
  send({ ...initiate('cancel', subscription.receivers, subscription.content, { protocol: SUBSCRIBE }), conversationId: subscription.conversationId });
}
