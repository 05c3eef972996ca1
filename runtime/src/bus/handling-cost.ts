/**
 * The byte figures of what a handling cost (issue 61, decision 2184), measured once where the bus
 * reports the handling: loops over what the handling already returned, no allocation.
 */
import { utf8ByteLength, type AclMessage, type StateWrite } from '@caxton/core';

/** UTF-8 bytes of the content of the messages a handling sent (its payload; the envelope is the bus's). */
export function contentBytesOf(outbox: readonly AclMessage[]): number {
  let n = 0;
  for (let i = 0; i < outbox.length; i++) {
    const c = outbox[i]!.content;
    if (c !== undefined) n += utf8ByteLength(c);
  }
  return n;
}

/** UTF-8 bytes of the keys and values a handling wrote to its state (a delete: its key). */
export function stateBytesOf(writes: readonly StateWrite[]): number {
  let n = 0;
  for (let i = 0; i < writes.length; i++) {
    const w = writes[i]!;
    n += utf8ByteLength(w.key);
    if (w.value !== null) n += utf8ByteLength(w.value);
  }
  return n;
}
