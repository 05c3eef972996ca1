/**
 * The traffic of the agent-history tests (decision 2182), shared by agent-history.test.ts and its
 * crash child: rounds of an agent's handlings as the bus logs them, and what to read back.
 */
import assert from 'node:assert/strict';
import { derivedMessageId } from '../../src/bus/ids.js';
import type { EmbeddedMessageLog } from '../../src/log/embedded/index.js';
import { readEmbeddedHistory } from '../../src/replay/embedded-history.js';
import type { RecordedEvent, RecordedHandling } from '../../src/replay/recorded.js';
import { deliveriesOf, deliveryTo, msg } from './recorded-traffic.js';

export const SMALL = 2048; // a few handlings per segment

export async function readAll(dir: string, agent: string): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  for await (const event of readEmbeddedHistory(dir, agent)) events.push(event);
  return events;
}

export const handlings = (events: readonly RecordedEvent[]): RecordedHandling[] =>
  events.filter((e): e is RecordedHandling => e.kind === 'handled');
export const countOf = (h: RecordedHandling): string | null | undefined => h.state.find((w) => w.key === 'count')?.value;
/** Which round of `traffic` a handling was: its delivery's `ping <i>`. */
export const indexOf = (h: RecordedHandling): number =>
  Number(h.work.kind === 'message' ? h.work.delivery.message.content?.slice(5) : Number.NaN);
/** What each handling's count would be: the ones that write nothing count as the one before. */
export const counts = (from: number, n: number): (string | undefined)[] =>
  Array.from({ length: n }, (_, i) => ((from + i) % 3 === 2 ? undefined : String(from + i + 1)));

/** The state a round's handling of the agent commits: none every third round (a plain Completed frame). */
export const roundState = (i: number): { state?: { key: string; value: string }[] } =>
  i % 3 === 2 ? {} : { state: [{ key: 'count', value: String(i + 1) }] };

/**
 * Every reset state event (a copy's head, a retention snapshot) holds the count the handlings before
 * it left: a head built from the wrong moment (after its segment, say) would be ahead of them.
 */
export function assertHeadsInStep(events: readonly RecordedEvent[]): void {
  let count: string | undefined;
  for (const e of events) {
    if (e.kind === 'handled') count = countOf(e) ?? count;
    else if (e.kind === 'state' && e.reset && count !== undefined)
      assert.equal(e.writes.find((w) => w.key === 'count')?.value, count, `a reset at ${e.position} holds the count so far`);
  }
}

/**
 * Round `i`: a handling of `agent` (answering bob under an id derived from its delivery, counting in
 * its state) and one of bob's (no state). `done` is told each step that is durable.
 */
export async function round(
  log: EmbeddedMessageLog,
  agent: string,
  i: number,
  done?: (step: 'appended' | 'completed') => void,
): Promise<void> {
  const d = deliveryTo(agent, `n-${agent}-${i}`, `ping ${i}`);
  await log.append([d]);
  done?.('appended');
  const pong = deliveriesOf(derivedMessageId(d.id, 0), msg(agent, ['bob'], `pong ${i}`));
  await log.append(pong);
  await log.complete([{ id: d.id, receiver: agent, ...roundState(i) }]);
  done?.('completed');
  const b = deliveryTo('bob', `n-bob-${i}`, `hi ${i}`, 'carol');
  await log.append([b]);
  await log.complete([...pong, b].map(({ id, receiver }) => ({ id, receiver })));
}

/** `rounds` rounds from `from` on. */
export async function traffic(log: EmbeddedMessageLog, agent: string, from: number, rounds: number): Promise<void> {
  for (let i = from; i < from + rounds; i++) await round(log, agent, i);
}
