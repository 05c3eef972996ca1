/**
 * Child process of crash.test.ts: appends, completes and dead-letters deliveries as fast as it can
 * from several concurrent workers, printing what it knows to be durable, until it is killed with
 * SIGKILL. Usage: node crash-child.js <dir> <fsync> <round> <segmentBytes>
 */
import * as fs from 'node:fs';
import { EmbeddedMessageLog, type FsyncPolicy } from '../../../src/log/embedded/index.js';
import { crashBatch, isCompletable, isDeadLettered } from './crash-protocol.js';

/** Blocking write to fd 1: once it returns the line is in the pipe, whatever happens to us next. */
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
  const [dir, fsync, roundText, segmentBytesText] = process.argv.slice(2);
  if (dir === undefined || fsync === undefined || roundText === undefined || segmentBytesText === undefined) {
    console.error('usage: crash-child.js <dir> <fsync> <round> <segmentBytes>');
    process.exit(2);
  }
  const round = Number(roundText);
  const log = new EmbeddedMessageLog({
    dir,
    fsync: fsync as FsyncPolicy,
    fsyncIntervalMs: 5,
    segmentBytes: Number(segmentBytesText),
  });
  log.events.onType('warning', ({ warning: w }) => say(`W ${w.code}`));
  log.consume(() => {}); // replayed deliveries from earlier rounds are left alone
  await log.open();
  say('READY');
  // Periodic stats so the test can report whether rotation, retention and compaction ran.
  setInterval(() => {
    const s = log.stats();
    say(
      `S segments=${s.segments} deleted=${s.segmentsDeleted} compactions=${s.compactions} moved=${s.movedDeliveries} groups=${s.commitGroups} fsyncs=${s.fsyncs}`,
    );
  }, 20).unref();

  let next = 0;
  const worker = async (): Promise<never> => {
    for (;;) {
      const from = next;
      const to = from + 1 + Math.floor(Math.random() * 20);
      next = to;
      const batch = crashBatch(round, from, to);
      await log.append(batch);
      say(`A ${from} ${to}`);
      const completable = batch.filter((_, i) => isCompletable(from + i));
      say(`I ${from} ${to}`);
      await log.complete(completable.map((d) => ({ id: d.id, receiver: d.receiver })));
      say(`C ${from} ${to}`);
      for (let n = from; n < to; n++) {
        if (!isDeadLettered(n)) continue;
        say(`DI ${n}`);
        await log.deadLetter({ delivery: batch[n - from]!, reason: `crash test ${n}`, attempts: 3, at: Date.now() });
        say(`D ${n}`);
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

main().catch((error: unknown) => {
  say(`E ${(error as Error)?.stack ?? String(error)}`.replace(/\n/g, ' | '));
  process.exit(1);
});
