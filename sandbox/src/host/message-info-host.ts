/** `caxton:agent/message-info` (decision 2001): the receivers of the message being handled, a page at a time. */
import { MESSAGE_INFO_LIMITS } from '@caxton/core';
import { agentIdToWit } from './convert.js';
import type { HostCalls } from './host-calls.js';
import type { WitAgentId, WitReceiversResult } from './wit-values.js';

export class MessageInfoHost {
  constructor(private readonly c: HostCalls) {}

  /** How many receivers the message being handled has (0 outside `handle`). */
  receiverCount(): number {
    this.c.charge(0, 'message-info.receiver-count');
    return this.c.message?.receivers.length ?? 0;
  }

  /**
   * Receivers `offset .. offset + limit` of the message being handled (decision 2001). Both
   * arguments are u32 as the guest passed them; a limit of 0 or over the page size, or an offset
   * past the end, is refused typed (`invalid-range`), and so is a call with no message (`no-message`).
   * Fuel is paid for the ids handed over, like `search-services`.
   */
  receiversPage(offset: number, limit: number): WitReceiversResult {
    const m = this.c.message;
    if (m === null) {
      this.c.counters.badArgument++;
      this.c.charge(0);
      return {
        tag: 'err',
        val: { kind: 'no-message', message: 'no message is being handled (receivers is for handle, not init or on-timer)' },
      };
    }
    const count = m.receivers.length;
    const max = MESSAGE_INFO_LIMITS.maxReceiversPage;
    if (!Number.isInteger(limit) || limit < 1 || limit > max || !Number.isInteger(offset) || offset < 0 || offset > count) {
      this.c.counters.badArgument++;
      this.c.charge(0);
      const why =
        !Number.isInteger(limit) || limit < 1 || limit > max
          ? `limit ${limit} is not within 1..${max}`
          : `offset ${offset} is past the ${count} receivers`;
      return { tag: 'err', val: { kind: 'invalid-range', message: `${why} (page with offset 0, ${max}, ${2 * max}… up to the count)` } };
    }
    const end = Math.min(count, offset + limit);
    const page: WitAgentId[] = new Array(end - offset);
    let size = 0;
    for (let i = offset; i < end; i++) {
      const id = agentIdToWit(m.receivers[i]!);
      size += id.name.length;
      for (const a of id.addresses) size += a.length;
      page[i - offset] = id;
    }
    this.c.charge(size, 'message-info.receivers');
    return { tag: 'ok', val: page };
  }

  /** The message-info functions as jco's glue imports them (`imports['caxton:agent/message-info']`). */
  jcoImports(): Record<string, unknown> {
    return {
      receiverCount: () => this.receiverCount(),
      receivers: (offset: number, limit: number) => this.receiversPage(offset, limit),
    };
  }
}
