/**
 * Measurement for decision 1600 (not a test: numbers are printed, never asserted): the cost of
 * committing a 100-byte state write with a completion, against the same completion without state,
 * on the embedded log alone.
 *
 *   node runtime/dist/test/log/embedded/bench-state.js [--completions 4000] [--producers 1,256] [--fsync always,never] [--rounds 2]
 *
 * Per case: append N deliveries (not timed), then complete them from P concurrent producers, each
 * awaiting its own `complete([{ id, receiver, state? }])`, and time that. The with/without runs
 * alternate (A B A B …) on fresh directories, so drift in machine load hits both alike. Prints one
 * JSON line per run and a summary line per case (median µs per completion, bytes on disk).
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { EmbeddedMessageLog, type FsyncPolicy } from '../../../src/log/embedded/index.js';
import type { Delivery } from '@caxton/core';

const { values } = parseArgs({
  options: {
    completions: { type: 'string', default: '4000' },
    producers: { type: 'string', default: '1,256' },
    fsync: { type: 'string', default: 'always,never' },
    rounds: { type: 'string', default: '2' },
  },
});
const N = Number(values.completions);
const ROUNDS = Number(values.rounds);
const VALUE = 'v'.repeat(100 - 'count'.length); // key + value = 100 bytes

function delivery(n: number): Delivery {
  const receiver = `agent-${n % 64}`;
  return {
    id: `m-${n}:${receiver}`,
    messageId: `m-${n}`,
    receiver,
    acceptedAt: 1_700_000_000_000 + n,
    message: {
      performative: 'inform',
      sender: { name: 's@bench' },
      receivers: [{ name: `${receiver}@bench` }],
      content: `payload ${n}`,
      conversationId: `c-${n}`,
    },
  };
}

async function run(
  fsync: FsyncPolicy,
  producers: number,
  withState: boolean,
): Promise<{ usPerCompletion: number; segmentBytes: number; fsyncs: number }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'caxton-bench-state-'));
  try {
    const log = new EmbeddedMessageLog({ dir, fsync });
    log.consume(() => {});
    await log.open();
    const batch = Array.from({ length: N }, (_, i) => delivery(i));
    for (let i = 0; i < N; i += 512) await log.append(batch.slice(i, i + 512));
    const fsyncsBefore = log.stats().fsyncs;
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: producers }, async () => {
        while (next < N) {
          const d = batch[next++]!;
          await log.complete([
            withState
              ? { id: d.id, receiver: d.receiver, state: [{ key: 'count', value: `${VALUE}` }] }
              : { id: d.id, receiver: d.receiver },
          ]);
        }
      }),
    );
    const elapsed = performance.now() - started;
    const fsyncs = log.stats().fsyncs - fsyncsBefore;
    await log.close();
    let segmentBytes = 0;
    for (const name of await fs.readdir(dir)) if (name.endsWith('.seg')) segmentBytes += (await fs.stat(path.join(dir, name))).size;
    return { usPerCompletion: (elapsed * 1000) / N, segmentBytes, fsyncs };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

for (const fsync of values.fsync.split(',') as FsyncPolicy[]) {
  for (const producers of values.producers.split(',').map(Number)) {
    const results: Record<'without' | 'with', number[]> = { without: [], with: [] };
    const bytes: Record<'without' | 'with', number> = { without: 0, with: 0 };
    for (let round = 0; round < ROUNDS; round++) {
      for (const variant of ['without', 'with'] as const) {
        const r = await run(fsync, producers, variant === 'with');
        results[variant].push(r.usPerCompletion);
        bytes[variant] = r.segmentBytes;
        console.log(
          JSON.stringify({
            bench: 'state-commit',
            fsync,
            producers,
            state: variant === 'with' ? '100 B' : 'none',
            round,
            completions: N,
            usPerCompletion: +r.usPerCompletion.toFixed(2),
            fsyncs: r.fsyncs,
            segmentBytes: r.segmentBytes,
          }),
        );
      }
    }
    const without = median(results.without);
    const withState = median(results.with);
    console.log(
      JSON.stringify({
        bench: 'state-commit-summary',
        fsync,
        producers,
        completions: N,
        rounds: ROUNDS,
        usWithout: +without.toFixed(2),
        usWith: +withState.toFixed(2),
        ratio: +(withState / without).toFixed(2),
        bytesPerCompletionWithout: +(bytes.without / N).toFixed(1),
        bytesPerCompletionWith: +(bytes.with / N).toFixed(1),
        loadavg: os.loadavg().map((l) => +l.toFixed(2)),
      }),
    );
  }
}
