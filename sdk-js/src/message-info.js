// The message being handled (interface `message-info` in wit/agent.wit, decision 2001):
//
//   import { messageInfo } from '@caxton/sdk-js/message-info';
//   onMessage(msg) { const everyone = messageInfo.allReceivers(); … }
//
// A message with more than 16 receivers is delivered with only this agent's own id in `receivers`
// and the count in the user parameter `X-caxton-receivers` (`receiverCount(msg)` in the main entry
// reads it without a host call); the whole list, as sent, is paged here. Below the threshold the
// message carries its list and these calls answer the same.
//
// A separate entry point on purpose: importing it is what makes the component import
// caxton:agent/message-info (the build gives each JS agent only the interfaces its modules import).
import mi from 'caxton:agent/message-info@0.1.0';

/** Most receivers one `receivers` call returns. */
export const MAX_RECEIVERS_PAGE = 256;

/** A refused page; `kind` is no-message (not in a handler) or invalid-range. */
export class MessageInfoError extends Error {
  constructor(kind, reason) {
    super(`message-info receivers: ${kind}: ${reason}`);
    this.name = 'MessageInfoError';
    this.kind = kind;
    this.reason = reason;
  }
}

/** componentize-qjs throws a result's error value (the message-info-error record) from the import. */
function refused(e) {
  const err = e?.payload ?? e;
  if (err && typeof err === 'object' && typeof err.kind === 'string') return new MessageInfoError(err.kind, String(err.message ?? ''));
  return e;
}

export const messageInfo = {
  /** How many receivers the message being handled has (0 outside a handler). */
  receiverCount() {
    return mi.receiverCount();
  },

  /** Receivers `offset .. offset + limit` (limit 1..256), in the order sent. Throws MessageInfoError. */
  receivers(offset, limit) {
    // Outside u32 the import's own coercion would decide (wrap, truncate or throw untyped): refuse typed.
    for (const [name, x] of [['offset', offset], ['limit', limit]]) {
      if (!Number.isInteger(x) || x < 0 || x >= 2 ** 32) throw new MessageInfoError('invalid-range', `${name} ${x} is not a u32`);
    }
    try {
      return mi.receivers(offset, limit);
    } catch (e) {
      throw refused(e);
    }
  },

  /** Every receiver of the message being handled, paged (empty outside a handler). Works detached. */
  allReceivers() {
    const count = mi.receiverCount();
    const out = [];
    while (out.length < count) {
      const page = messageInfo.receivers(out.length, MAX_RECEIVERS_PAGE);
      if (page.length === 0) break;
      for (const id of page) out.push(id);
    }
    return out;
  },
};
