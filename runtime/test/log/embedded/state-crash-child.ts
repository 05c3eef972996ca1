/**
 * Child process of state-crash.test.ts: appends deliveries and completes them WITH state (each
 * transaction spans several frames: maxRecordBytes is small), printing what it knows to be durable,
 * until it is killed with SIGKILL. Usage: node state-crash-child.js <dir> <fsync> <round>
 * What each completion writes: state-crash-protocol.ts.
 */
import * as fs from 'node:fs';
import { EmbeddedMessageLog, type FsyncPolicy } from '../../../src/log/embedded/index.js';
import { crashBatch } from './crash-protocol.js';
import { STATE_CRASH_OPTIONS, stateOf } from './state-crash-protocol.js';

function say(line: string): void {
  const bytes = Buffer.from(`${line}\n`);
  let written = 0;
  while (written < bytes.length) {
    try {
      written += fs.writeSync(1, bytes, written);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
    }
  }
}

async function main(): Promise<void> {
  const [dir, fsync, roundText] = process.argv.slice(2);
  if (dir === undefined || fsync === undefined || roundText === undefined) {
    console.error('usage: state-crash-child.js <dir> <fsync> <round>');
    process.exit(2);
  }
  const round = Number(roundText);
  const log = new EmbeddedMessageLog({ dir, fsync: fsync as FsyncPolicy, ...STATE_CRASH_OPTIONS });
  log.events.onType('warning', ({ warning: w }) => say(`W ${w.code}`));
  log.consume(() => {});
  await log.open();
  say('READY');
  setInterval(() => {
    const s = log.stats();
    say(`S segments=${s.segments} deleted=${s.segmentsDeleted} snapshots=${s.state.snapshots} entries=${s.state.entries}`);
  }, 20).unref();
  let next = 0;
  const worker = async (): Promise<never> => {
    for (;;) {
      const from = next;
      const to = from + 1 + Math.floor(Math.random() * 10);
      next = to;
      const batch = crashBatch(round, from, to);
      await log.append(batch);
      say(`A ${from} ${to}`);
      say(`I ${from} ${to}`);
      await log.complete(batch.map((d, i) => ({ id: d.id, receiver: d.receiver, state: stateOf(d.id, from + i) })));
      say(`C ${from} ${to}`);
    }
  };
  await Promise.all(Array.from({ length: 6 }, worker));
}

main().catch((error: unknown) => {
  say(`E ${(error as Error)?.stack ?? String(error)}`.replace(/\n/g, ' | '));
  process.exit(1);
});
