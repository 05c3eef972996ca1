/**
 * Accepted means durable: a broker that restarts (cleanly, then by crashing) while appends and
 * completions are running must lose no accepted delivery and forget no completion.
 * Always runs its own broker (it restarts it).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KafkaAppendError, KafkaMessageLog, type KafkaLogEvent } from '../../../src/log/kafka/index.js';
import type { Delivery } from '@caxton/core';
import { collectingLogger, startTestKafka, uniqueNames, waitFor, type TestKafka } from './support/broker.js';
import { deliveries, delivery } from './support/deliveries.js';

const quiet = collectingLogger();
const isNotOwner = (e: unknown): boolean => (e as { code?: string }).code === 'bus.kafka.not-owner';

describe('KafkaMessageLog across broker restarts', () => {
  let kafka: TestKafka;
  const logs: KafkaMessageLog[] = [];

  before(async () => {
    kafka = await startTestKafka({ own: true });
  });
  after(async () => {
    await Promise.allSettled(logs.map((l) => l.close()));
    await kafka?.stop();
  });

  it('loses no accepted delivery and no completion when the broker restarts and crashes during load', async () => {
    const server = kafka.server!;
    const names = uniqueNames('chaos');
    const events: KafkaLogEvent[] = [];
    const options = {
      brokers: [kafka.bootstrap],
      ...names,
      partitions: 4,
      logger: quiet.sink,
      appendTimeoutMs: 60_000,
      commitTimeoutMs: 60_000,
    };
    const log = new KafkaMessageLog(options);
    log.events.on((e) => void events.push(e));
    logs.push(log);
    await log.open();
    const got: Delivery[] = [];
    log.consume((batch) => got.push(...batch));

    const receivers = Array.from({ length: 8 }, (_, i) => `agent${i}`);
    const accepted = new Set<string>();
    const rejected: unknown[] = [];
    const completeErrors: unknown[] = [];
    let running = true; // senders
    let completing = true; // the completer: runs until every accepted delivery was consumed

    // Four senders appending batches of 5, and a completer completing whatever arrives.
    const senders = Array.from({ length: 4 }, async (_, w) => {
      for (let seq = 0; running; seq++) {
        const batch = deliveries(`w${w}-${seq}`, 5, receivers);
        try {
          await log.append(batch);
          for (const d of batch) accepted.add(d.id);
        } catch (e) {
          rejected.push(e);
          await new Promise((r) => setTimeout(r, 100)); // a rejected append is not a reason to spin
        }
      }
    });
    let completedUpTo = 0;
    const completer = (async () => {
      while (completing || completedUpTo < got.length) {
        const slice = got.slice(completedUpTo);
        completedUpTo += slice.length;
        if (slice.length > 0) {
          await log.complete(slice.map((d) => ({ id: d.id, receiver: d.receiver }))).catch((e: unknown) => completeErrors.push(e));
        } else await new Promise((r) => setTimeout(r, 20));
      }
    })();

    const grow = async (what: string, n: number) => {
      const target = accepted.size + n;
      await waitFor(what, () => accepted.size >= target, 90_000);
    };
    let afterRestart = 0;
    let afterCrash = 0;
    const seen = new Set<string>();
    try {
      await grow('appends before the restart', 300);
      await server.restart();
      afterRestart = accepted.size;
      await grow('appends after a clean restart', 300);
      await server.kill();
      await new Promise((r) => setTimeout(r, 500));
      await server.start();
      afterCrash = accepted.size;
      await grow('appends after a crash', 300);
    } finally {
      running = false; // also when a wait above failed: the senders must not outlive the test
      await Promise.all(senders);
    }

    let indexed = 0;
    const allConsumed = () => {
      for (; indexed < got.length; indexed++) seen.add(got[indexed]!.id);
      return [...accepted].every((id) => seen.has(id));
    };
    // A broker crash can crash the consumer; its rejoin is a full revocation (decision 2060: the
    // node cannot know no other member held a partition meanwhile), so completions of deliveries
    // handed out before it are refused `bus.kafka.not-owner` and the deliveries handed out again.
    // The completer then completes the new copies: it runs on until no delivery has come for 3 s.
    const settled = async (): Promise<void> => {
      if (!completeErrors.some(isNotOwner)) return;
      let last = -1;
      let since = Date.now();
      await waitFor(
        'redeliveries after the rejoin completed',
        () => {
          if (got.length !== last) [last, since] = [got.length, Date.now()];
          return completedUpTo >= got.length && Date.now() - since >= 3_000;
        },
        60_000,
      );
    };
    await waitFor('every accepted delivery consumed', allConsumed, 90_000)
      .then(settled)
      .finally(() => {
        completing = false;
      })
      .catch((e: unknown) => {
        const recent = events.slice(-15).map((x) => JSON.stringify(x, (_k, v) => (v instanceof Error ? v.message : v)));
        throw new Error(
          `${(e as Error).message}: ${[...accepted].filter((id) => !seen.has(id)).length} of ${accepted.size} missing; ` +
            `owned ${JSON.stringify(log.ownedPartitions())}\nlast events:\n${recent.join('\n')}\nlast kafkajs lines:\n${quiet.lines.slice(-25).join('\n')}`,
        );
      });
    await completer;

    const consumed = new Set(got.map((d) => d.id));
    const lost = [...accepted].filter((id) => !consumed.has(id));
    assert.deepEqual(lost, [], 'accepted deliveries that were never consumed');
    assert.ok(afterRestart > 0 && afterCrash > afterRestart && accepted.size > afterCrash, 'appends went on after each restart');
    for (const e of rejected) assert.ok(e instanceof KafkaAppendError, `append failed with ${String(e)}`);
    assert.deepEqual(
      completeErrors.filter((e) => !isNotOwner(e)).map(String),
      [],
      'completions failed (other than refused after the rejoin)',
    );

    // Everything consumed was completed: a fresh node of the cluster must get nothing old.
    await log.close();
    const again = new KafkaMessageLog(options);
    again.events.on((e) => void events.push(e));
    logs.push(again);
    await again.open();
    const regot: Delivery[] = [];
    again.consume((batch) => regot.push(...batch));
    const sentinels = receivers.map((r) => delivery('end-sentinel', r));
    await again.append(sentinels);
    await waitFor('sentinels', () => sentinels.every((s) => regot.some((d) => d.id === s.id)), 60_000);
    assert.deepEqual(
      regot.filter((d) => d.messageId !== 'end-sentinel').map((d) => d.id),
      [],
    );
    process.stderr.write(
      `# chaos: accepted ${accepted.size}, rejected ${rejected.length} appends, consumed ${got.length} ` +
        `(${got.length - consumed.size} duplicates), events ${[...new Set(events.map((e) => e.type))].join(',')}\n`,
    );
  });
});
