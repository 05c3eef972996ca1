/** Shared test helpers for the embedded log: temp directories, deliveries, an instrumented log. */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TestContext } from 'node:test';
import type { Delivery } from '@caxton/core';
import { EmbeddedMessageLog, type EmbeddedLogWarning, type EmbeddedMessageLogOptions } from '../../../src/log/embedded/index.js';

/** A fresh directory under the OS temp dir, removed when the test ends. */
export async function tempDir(t: TestContext, prefix = 'caxton-log-'): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  t.after(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

export function delivery(n: number, receiver = `agent-${n % 3}`, content = `payload ${n}`): Delivery {
  const messageId = `m-${n}`;
  return {
    id: `${messageId}:${receiver}`,
    messageId,
    receiver,
    acceptedAt: 1_700_000_000_000 + n,
    message: {
      performative: 'inform',
      sender: { name: 'sender@test' },
      receivers: [{ name: `${receiver}@test` }],
      content,
      language: 'fipa-sl',
      conversationId: `c-${n}`,
    },
  };
}

export function deliveries(from: number, count: number): Delivery[] {
  return Array.from({ length: count }, (_, i) => delivery(from + i));
}

export interface OpenedLog {
  log: EmbeddedMessageLog;
  warnings: EmbeddedLogWarning[];
  /** Everything the consumer was handed, in order. */
  consumed: Delivery[];
  /** The batch sizes the consumer saw. */
  batches: number[];
}

/** Open a log with a consumer that records what it is handed and a warning sink. */
export async function openLog(dir: string, options: Partial<EmbeddedMessageLogOptions> = {}): Promise<OpenedLog> {
  const warnings: EmbeddedLogWarning[] = [];
  const consumed: Delivery[] = [];
  const batches: number[] = [];
  const log = new EmbeddedMessageLog({ fsync: 'never', ...options, dir });
  log.events.onType('warning', ({ warning: w }) => warnings.push(w));
  log.consume((batch) => {
    batches.push(batch.length);
    consumed.push(...batch);
  });
  await log.open();
  return { log, warnings, consumed, batches };
}

/** Ids of the deliveries a freshly opened log replays (opens, reads, closes). */
export async function pendingAfterReopen(
  dir: string,
  options: Partial<EmbeddedMessageLogOptions> = {},
): Promise<{ ids: string[]; warnings: EmbeddedLogWarning[] }> {
  const { log, consumed, warnings } = await openLog(dir, options);
  await log.close();
  return { ids: consumed.map((d) => d.id), warnings };
}

export async function segmentFiles(dir: string): Promise<string[]> {
  return (await fs.readdir(dir)).filter((name) => name.endsWith('.seg')).sort();
}

/** Poll `check` until it holds (background work such as retention), failing after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export function completions(batch: readonly Delivery[]): { id: string; receiver: string }[] {
  return batch.map((d) => ({ id: d.id, receiver: d.receiver }));
}
