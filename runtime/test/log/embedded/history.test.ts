/** Reading accepted messages back, newest first, across segments (the web console's history). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Delivery } from '@caxton/core';
import type { HistoryPage, HistoryQuery } from '../../../src/log/message-log.js';
import { delivery, openLog, segmentFiles, tempDir } from './helpers.js';

const all: HistoryQuery['match'] = () => true;

/** Messages of several receivers, appended the way the bus appends them (one delivery each). */
function fanOut(n: number, receivers: string[]): Delivery[] {
  const base = delivery(n);
  return receivers.map((r) => ({ ...base, id: `${base.messageId}:${r}`, receiver: r }));
}

test('pages go backwards across segment files, newest last in each page, each message once', async (t) => {
  const dir = await tempDir(t);
  const { log } = await openLog(dir, { segmentBytes: 4096 });
  t.after(() => log.close());
  for (let n = 0; n < 120; n++) await log.append(n % 10 === 0 ? fanOut(n, ['a', 'b', 'c']) : [delivery(n)]);
  assert.ok((await segmentFiles(dir)).length > 3, 'the test needs several segments');

  const seen: string[] = [];
  let page: HistoryPage = await log.history({ limit: 25, match: all, maxScanBytes: 1 << 30 });
  assert.deepEqual(
    page.messages.map((m) => m.messageId),
    Array.from({ length: 25 }, (_, i) => `m-${95 + i}`),
  );
  seen.unshift(...page.messages.map((m) => m.messageId));
  while (page.nextBefore !== undefined) {
    page = await log.history({ before: page.nextBefore, limit: 25, match: all, maxScanBytes: 1 << 30 });
    seen.unshift(...page.messages.map((m) => m.messageId));
  }
  assert.deepEqual(
    seen,
    Array.from({ length: 120 }, (_, i) => `m-${i}`),
  );
  const first = (await log.history({ limit: 1, match: (m) => m.messageId === 'm-0', maxScanBytes: 1 << 30 })).messages[0]!;
  assert.equal(first.acceptedAt, 1_700_000_000_000);
  assert.equal(first.message.conversationId, 'c-0');
});

test('a filter that matches little still ends: maxScanBytes returns a short page and where to go on', async (t) => {
  const dir = await tempDir(t);
  const { log } = await openLog(dir, { segmentBytes: 4096 });
  t.after(() => log.close());
  for (let n = 0; n < 120; n++) await log.append([delivery(n)]);
  const wanted = (m: { messageId: string }): boolean => m.messageId === 'm-3';
  let page = await log.history({ limit: 10, match: wanted, maxScanBytes: 8192 });
  let pages = 1;
  const found = [...page.messages];
  while (page.nextBefore !== undefined) {
    page = await log.history({ before: page.nextBefore, limit: 10, match: wanted, maxScanBytes: 8192 });
    found.push(...page.messages);
    pages++;
  }
  assert.deepEqual(
    found.map((m) => m.messageId),
    ['m-3'],
  );
  assert.ok(pages > 1, 'the scan was cut into several pages');
});

test('a cursor that is not one is refused with a typed error', async (t) => {
  const dir = await tempDir(t);
  const { log } = await openLog(dir);
  t.after(() => log.close());
  await assert.rejects(
    log.history({ before: '../x', limit: 1, match: all, maxScanBytes: 1 << 20 }),
    (err: Error & { code?: string }) => err.code === 'api.invalid',
  );
});
