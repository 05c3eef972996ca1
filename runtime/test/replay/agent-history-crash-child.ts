/**
 * Child process of agent-history-crash.test.ts: an embedded log keeping alice's own history
 * (decision 2182) on small segments, taking rounds of traffic until a fault point
 * (`CAXTON_FAULT_POINT`) kills it inside a copy. Prints `A <i>` once round i's delivery to alice is
 * durable and `C <i>` once its completion is. Usage: node agent-history-crash-child.js <dir>
 */
import * as fs from 'node:fs';
import { EmbeddedMessageLog } from '../../src/log/embedded/index.js';
import { SMALL, round } from './agent-history-traffic.js';

function say(line: string): void {
  fs.writeSync(1, `${line}\n`);
}

async function main(): Promise<void> {
  const [dir] = process.argv.slice(2);
  if (dir === undefined) {
    console.error('usage: agent-history-crash-child.js <dir>');
    process.exit(2);
  }
  const log = new EmbeddedMessageLog({ dir, fsync: 'always', segmentBytes: SMALL, agentHistory: CRASH_HISTORY });
  log.events.onType('warning', ({ warning: w }) => say(`W ${w.code} ${w.message}`));
  log.consume(() => {});
  await log.open();
  say('READY');
  for (let i = 0; ; i++) await round(log, 'alice', i, (step) => say(`${step === 'appended' ? 'A' : 'C'} ${i}`));
}

const CRASH_HISTORY = new Map([['alice', { ms: 3_600_000, bytes: 1 << 20 }]]);

main().catch((error: unknown) => {
  say(`E ${(error as Error)?.stack ?? String(error)}`.replace(/\n/g, ' | '));
  process.exit(1);
});
