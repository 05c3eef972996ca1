/**
 * Crash test: a real child process appends, completes and dead-letters deliveries under load and is
 * killed with SIGKILL mid-run; the parent reopens the log and checks it against what the child had
 * reported as durable. Several rounds per directory, so each child also recovers its predecessor's
 * crash, and small segments, so rotation, retention and compaction run while the kills land.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { EmbeddedMessageLog, type FsyncPolicy } from '../../../src/log/embedded/index.js';
import type { Delivery } from '@caxton/core';
import { deliveryId, isCompletable, isDeadLettered, isStraggler, parseDeliveryId } from './crash-protocol.js';
import { tempDir } from './helpers.js';

const CHILD = fileURLToPath(new URL('./crash-child.js', import.meta.url));
const SEGMENT_BYTES = 64 * 1024;
const ROUNDS = 3;

/** What the children said, accumulated over the rounds on one directory. */
class Reported {
  readonly appended = new Set<string>();
  readonly completionIssued = new Set<string>();
  readonly completed = new Set<string>();
  readonly deadLetterIssued = new Set<string>();
  readonly deadLettered = new Set<string>();
  lastStats = '';

  take(round: number, line: string): void {
    const [kind, a, b] = line.split(' ');
    const range = (set: Set<string>, keep: (n: number) => boolean): void => {
      for (let n = Number(a); n < Number(b); n++) if (keep(n)) set.add(deliveryId(round, n));
    };
    switch (kind) {
      case 'A':
        return range(this.appended, () => true);
      case 'I':
        return range(this.completionIssued, isCompletable);
      case 'C':
        return range(this.completed, isCompletable);
      case 'DI':
        return void this.deadLetterIssued.add(deliveryId(round, Number(a)));
      case 'D':
        return void this.deadLettered.add(deliveryId(round, Number(a)));
      case 'S':
        this.lastStats = line.slice(2);
        return;
      case 'E':
        throw new Error(`crash child failed: ${line}`);
      default:
        return; // READY, W <warning>
    }
  }
}

/** Run one child until it has done real work, then SIGKILL it at a random moment. */
async function runAndKill(dir: string, fsync: FsyncPolicy, round: number, reported: Reported): Promise<number> {
  const env = { ...process.env };
  delete env['NODE_TEST_CONTEXT']; // the child is a plain script, not a test file
  const child = spawn(process.execPath, [CHILD, dir, fsync, String(round), String(SEGMENT_BYTES)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  let stdout = '';
  let stderr = '';
  let appends = 0;
  let killTimer: NodeJS.Timeout | undefined;
  const lines: string[] = [];
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    stdout += text;
    const complete = stdout.split('\n');
    stdout = complete.pop()!; // a partial last line is not a report
    for (const line of complete) {
      lines.push(line);
      if (line.startsWith('A ') && ++appends === 200) {
        killTimer = setTimeout(() => child.kill('SIGKILL'), 20 + Math.random() * 300);
      }
    }
  });
  // Backstop: a child that never gets going must not hang the suite.
  const backstop = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  clearTimeout(backstop);
  clearTimeout(killTimer);
  for (const line of lines) reported.take(round, line);
  assert.equal(signal, 'SIGKILL', `child ended on its own (code ${code}): ${stderr} ${lines.slice(-3).join(' / ')}`);
  assert.ok(appends >= 200, `child was killed by the backstop after ${appends} appends: ${stderr}`);
  return appends;
}

/** Reopen the crashed log and hold it to everything the children reported as durable. */
async function verify(dir: string, reported: Reported): Promise<{ pending: number; warnings: string[] }> {
  const warnings: string[] = [];
  const replayed: Delivery[] = [];
  const log = new EmbeddedMessageLog({ dir, fsync: 'always', segmentBytes: SEGMENT_BYTES });
  log.events.onType('warning', ({ warning: w }) => warnings.push(w.code));
  log.consume((batch) => replayed.push(...batch));
  await log.open();
  const letters = new Set((await log.deadLetters(1_000_000)).map((l) => l.delivery.id));
  await log.close();

  const pending = new Set(replayed.map((d) => d.id));
  assert.equal(pending.size, replayed.length, 'no delivery is replayed twice');
  for (const id of reported.appended) {
    const { n } = parseDeliveryId(id);
    if (isStraggler(n)) {
      assert.ok(pending.has(id), `straggler ${id} was acknowledged, never completed, and is lost`);
    } else if (isDeadLettered(n)) {
      if (reported.deadLettered.has(id)) {
        assert.ok(!pending.has(id), `dead-lettered ${id} is pending again`);
        assert.ok(letters.has(id), `dead letter of ${id} is lost`);
      } else if (!reported.deadLetterIssued.has(id)) {
        assert.ok(pending.has(id), `${id} was acknowledged, never dead-lettered, and is lost`);
      }
    } else if (reported.completed.has(id)) {
      assert.ok(!pending.has(id), `${id} was completed (acknowledged) but is pending again`);
    } else if (!reported.completionIssued.has(id)) {
      assert.ok(pending.has(id), `${id} was acknowledged, never completed, and is lost`);
    }
  }
  // Replay follows append order: rounds in order, and within a round the order n was appended in.
  const keys = replayed.map((d) => parseDeliveryId(d.id));
  for (let i = 1; i < keys.length; i++) {
    const [prev, cur] = [keys[i - 1]!, keys[i]!];
    assert.ok(
      prev.round < cur.round || (prev.round === cur.round && prev.n < cur.n),
      `replay out of order at ${i}: ${replayed[i - 1]!.id} before ${replayed[i]!.id}`,
    );
  }
  for (const d of replayed) {
    assert.equal(d.messageId, d.id.slice(0, d.id.indexOf(':')), 'replayed bodies are intact');
  }
  return { pending: pending.size, warnings };
}

describe('crash: kill -9 of a writing process', () => {
  for (const fsync of ['always', 'interval', 'never'] as const) {
    test(`fsync ${fsync}: nothing acknowledged is lost, nothing completed comes back`, async (t) => {
      const dir = await tempDir(t, 'caxton-crash-');
      const reported = new Reported();
      for (let round = 1; round <= ROUNDS; round++) {
        const appends = await runAndKill(dir, fsync, round, reported);
        const { pending, warnings } = await verify(dir, reported);
        t.diagnostic(
          `round ${round}: ${appends} acknowledged appends, ${reported.appended.size} deliveries so far, ${pending} pending after recovery; ` +
            `warnings [${[...new Set(warnings)].join(', ')}]; child stats ${reported.lastStats}`,
        );
      }
    });
  }
});
