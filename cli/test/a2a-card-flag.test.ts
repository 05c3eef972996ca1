/** `--a2a-card` (decision 1951) is read bounded: a device or FIFO is refused before a byte is read, as is a file over the card bound. */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { A2A_CARD_LIMITS } from '@caxton/core';
import { a2aCardFromFlag } from '../src/a2a-card-flag.js';
import { UsageError } from '../src/cli-error.js';

test('--a2a-card refuses a device, a file over the bound and a missing file with a usage error', async () => {
  assert.equal(await a2aCardFromFlag(undefined, '/'), undefined);
  await assert.rejects(
    a2aCardFromFlag('/dev/zero', '/'),
    (e: unknown) => e instanceof UsageError && /--a2a-card \/dev\/zero is not a regular file/.test(e.message),
  );
  const dir = await mkdtemp(path.join(os.tmpdir(), 'caxton-a2a-card-'));
  try {
    await writeFile(path.join(dir, 'big.json'), ' '.repeat(A2A_CARD_LIMITS.maxCardBytes + 1));
    await assert.rejects(
      a2aCardFromFlag('big.json', dir),
      (e: unknown) => e instanceof UsageError && /more than the \d+ a card may have/.test(e.message),
    );
    await assert.rejects(
      a2aCardFromFlag('missing.json', dir),
      (e: unknown) => e instanceof UsageError && /--a2a-card missing\.json/.test(e.message),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
