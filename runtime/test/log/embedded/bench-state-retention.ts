/**
 * Measurement for decision 1991 (not a test: numbers are printed, never asserted): retention of
 * the embedded log when the agents' state is larger than a segment.
 *
 *   node runtime/dist/test/log/embedded/bench-state-retention.js [--agents 20000] [--rounds 1] [--segment-bytes 262144] [--in-flight 1] [--limit-s 120]
 *
 * Round 1 commits one `commitState` per agent name (the reproduction in decision 1980); every
 * further round rewrites every agent's state once more (garbage for retention to reclaim). Commits
 * run `--in-flight` at a time, fsync `never`. Prints one JSON line per round: seconds, commits/s,
 * bytes and segments on disk, snapshots written, segments deleted; a round that does not finish
 * within `--limit-s` is reported as stalled with how far it got.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { EmbeddedMessageLog } from '../../../src/log/embedded/index.js';

const { values } = parseArgs({
  options: {
    agents: { type: 'string', default: '20000' },
    rounds: { type: 'string', default: '1' },
    'segment-bytes': { type: 'string', default: String(256 * 1024) },
    'in-flight': { type: 'string', default: '1' },
    'limit-s': { type: 'string', default: '120' },
  },
});
const AGENTS = Number(values.agents);
const ROUNDS = Number(values.rounds);
const IN_FLIGHT = Number(values['in-flight']);
const LIMIT_MS = Number(values['limit-s']) * 1000;

const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'caxton-bench-state-retention-'));
const log = new EmbeddedMessageLog({ dir, fsync: 'never', segmentBytes: Number(values['segment-bytes']) });
await log.open();
try {
  for (let round = 1; round <= ROUNDS; round++) {
    const started = performance.now();
    let next = 0;
    let stalled = false;
    const worker = async (): Promise<void> => {
      while (next < AGENTS && !stalled) {
        const i = next++;
        await log.commitState(`agent-${i}`, [{ key: 'count', value: String(round) }]);
      }
    };
    const workers = Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    const limit = new Promise<void>((resolve) =>
      setTimeout(() => {
        stalled = true;
        resolve();
      }, LIMIT_MS).unref(),
    );
    await Promise.race([workers, limit]);
    const seconds = (performance.now() - started) / 1000;
    const stats = log.stats();
    console.log(
      JSON.stringify({
        round,
        agents: AGENTS,
        committed: stalled ? next : AGENTS,
        stalled,
        seconds: +seconds.toFixed(2),
        commitsPerSecond: Math.round((stalled ? next : AGENTS) / seconds),
        diskBytes: stats.bytes,
        segments: stats.segments,
        snapshots: stats.state.snapshots,
        segmentsDeleted: stats.segmentsDeleted,
        compactions: stats.compactions,
        rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20),
      }),
    );
    if (stalled) break;
  }
} finally {
  // A stalled log never settles: leave without waiting for it.
  await Promise.race([log.close(), new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
  await fs.rm(dir, { recursive: true, force: true });
  process.exit(0);
}
