/**
 * A client as decision 1810 expects one: a send refused `bus.overloaded` (the node's edge limit on
 * outside messages in flight: a closed loop wider than the serving floor of 128 against a slow
 * agent meets it, decision 2197) is sent again after the retry-after the refusal names. Any other
 * refusal is the caller's.
 */
import type { AclMessage, NodeControl, SendResult } from '@caxton/core';

export async function sendHonouringRetryAfter(control: Pick<NodeControl, 'send'>, message: AclMessage): Promise<SendResult> {
  for (;;) {
    try {
      return await control.send(message);
    } catch (err) {
      const e = err as { code?: string; context?: { retryAfterMs?: number } };
      if (e.code !== 'bus.overloaded') throw err;
      await new Promise((resolve) => setTimeout(resolve, e.context?.retryAfterMs ?? 100));
    }
  }
}
