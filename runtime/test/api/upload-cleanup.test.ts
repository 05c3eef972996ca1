import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { eventually, startHarness, type Harness } from './support/harness.js';

const CHILD = fileURLToPath(new URL('./support/partial-upload-child.js', import.meta.url));

describe('a client killed mid-upload', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ uploadIdleTimeoutMs: 60_000 });
  });
  after(async () => h.close());

  it('releases the upload and leaves the server serving', async () => {
    const child = spawn(process.execPath, [CHILD, h.address, h.token], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      let out = '';
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (d: string) => (out += d));
      await eventually(() => out.includes('sent'), 'the child to send part of the artifact', 10_000);
      await eventually(() => h.server.uploadsInProgress() === 1, 'the server to hold the partial upload');
    } finally {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
    // The idle timeout is a minute away: only the connection loss can have freed the slot.
    await eventually(() => h.server.uploadsInProgress() === 0, 'the partial upload to be dropped');
    assert.deepEqual(h.node.calls, [], 'the node never saw the partial artifact');
    const agent = await h.client.deploy({ name: 'orphan' }, Buffer.from('complete artifact'));
    assert.equal(agent.artifactSize, 17);
    assert.deepEqual(h.internalErrors, []);
  });

  it('abandons an upload that goes idle', async () => {
    const idle = await startHarness({ uploadIdleTimeoutMs: 200 });
    try {
      const { rawClient, startUpload } = await import('./support/raw-client.js');
      const raw = rawClient(idle.address);
      const { call, result } = startUpload(raw, 'DeployAgent', idle.token);
      call.write({
        header: {
          name: 'slow',
          sha256: 'f'.repeat(64),
          totalSize: 10,
          fuelPerMessage: 0,
          memoryPages: 0,
          config: {},
          replaceConfig: false,
        },
      });
      const { error } = await result;
      assert.equal(error?.statusName, 'DEADLINE_EXCEEDED');
      assert.equal(error?.code, 'api.upload-timeout');
      assert.equal(idle.server.uploadsInProgress(), 0);
      call.end();
      raw.close();
    } finally {
      await idle.close();
    }
  });

  it('abandons an upload that trickles a byte at a time to keep its idle timer alive', async () => {
    // Idle allowance 2 s; 100 bytes declared may take 2 s + 100 bytes at the slowest rate (~3 ms).
    const slow = await startHarness({ uploadIdleTimeoutMs: 2_000 });
    const { bodyDeadlineMs } = await import('@caxton/core');
    try {
      const { rawClient, startUpload } = await import('./support/raw-client.js');
      const raw = rawClient(slow.address);
      const { call, result } = startUpload(raw, 'DeployAgent', slow.token);
      const header = {
        name: 'trickle',
        sha256: 'f'.repeat(64),
        totalSize: 100,
        fuelPerMessage: 0,
        memoryPages: 0,
        config: {},
        replaceConfig: false,
      };
      call.write({ header });
      // A byte every 100 ms: never idle, and 100 bytes would take 10 s.
      let sent = 0;
      const trickle = setInterval(() => {
        if (sent < 99) call.write({ chunk: Buffer.from([sent++]) });
      }, 100);
      const { error } = await result;
      clearInterval(trickle);
      assert.equal(error?.statusName, 'DEADLINE_EXCEEDED');
      assert.equal(error?.code, 'api.upload-too-slow', error?.message);
      assert.match(error?.message ?? '', new RegExp(`after ${bodyDeadlineMs(100, 2_000)} ms`));
      assert.ok(sent < 99, `it was cut off before the upload could finish (${sent} bytes sent)`);
      assert.equal(slow.server.uploadsInProgress(), 0);
      assert.deepEqual(slow.node.calls, [], 'the node never saw the partial artifact');
      call.end();
      raw.close();
    } finally {
      await slow.close();
    }
  });
});
