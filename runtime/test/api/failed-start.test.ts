/**
 * A start of the API server that fails (here: its port taken) leaves nothing running behind it: an
 * embedder that retries on another port must not gain a refusal budget's timer or a health poll
 * for each failed attempt. Seen through the intervals the start arms and clears.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FileAuditTrail } from '../../src/audit/file-audit-trail.js';
import { startHarness, tempDir, type Harness } from './support/harness.js';

describe('a failed API server start', () => {
  let h: Harness;
  let trail: FileAuditTrail;
  before(async () => {
    const dataDir = await tempDir();
    trail = await FileAuditTrail.open({ dir: path.join(dataDir, 'audit') });
    h = await startHarness({ dataDir, audit: { trail, nodeId: 'n' } });
  });
  after(async () => {
    await h.close();
    await trail.close();
  });

  it('on a port in use: refused typed, and every interval it armed is cleared', async () => {
    const armed = new Set<unknown>();
    let everArmed = 0;
    const realSet = globalThis.setInterval;
    const realClear = globalThis.clearInterval;
    globalThis.setInterval = ((...args: Parameters<typeof setInterval>) => {
      const t = realSet(...args);
      armed.add(t);
      everArmed += 1;
      return t;
    }) as typeof setInterval;
    globalThis.clearInterval = ((t?: Parameters<typeof clearInterval>[0]) => {
      armed.delete(t);
      realClear(t);
    }) as typeof clearInterval;
    try {
      await assert.rejects(
        startHarness({ dataDir: await tempDir(), port: Number(h.address.split(':')[1]), audit: { trail, nodeId: 'n' } }),
        (err: Error & { code?: string; hint?: string }) => err.code === 'api.unavailable' && /--api-port/.test(err.hint ?? ''),
      );
    } finally {
      globalThis.setInterval = realSet;
      globalThis.clearInterval = realClear;
    }
    assert.ok(everArmed >= 1, 'the start armed its refusal budget (what this test watches)');
    assert.equal(armed.size, 0, `intervals left running by the failed start: ${armed.size}`);
  });
});
