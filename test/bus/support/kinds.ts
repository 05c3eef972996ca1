/**
 * What the agent-kind tests (decision 1980) ask of a node: a request to one keyed instance, answered,
 * and a kind's counts as its status shows them.
 */
import assert from 'node:assert/strict';
import type { KindCounts } from '@caxton/core';
import type { TestNode } from './test-node.js';

let ids = 0;
/** A `reply-with` id no other request of the test file has (`ask` takes its ids from here too). */
export const nextRequestId = (): string => `r${++ids}`;

/** One `request` to `receiver` (`counter/a`); resolves with the answer's content. */
export async function ask(t: TestNode, receiver: string, content = 'count'): Promise<string | undefined> {
  const id = nextRequestId();
  await t.send({ performative: 'request', receivers: [{ name: receiver }], content, replyWith: id });
  return (await t.waitFor(`the answer to ${id} from ${receiver}`, () => t.external.find((e) => e.message.inReplyTo === id))).message
    .content;
}

/** The kind's counts (evicted, active, passivated, …) from its status. */
export async function counts(t: TestNode, kind = 'counter'): Promise<KindCounts> {
  const status = await t.control.getAgent(kind);
  assert.ok(status?.kind, `${kind} is a kind`);
  return status.kind;
}
