import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mtpNodeOptions } from '../src/commands/serve-mtp-node-options.js';

test('--mtp-http is off by default, needs --mtp-peers, and reads the peers file relative to the working directory', () => {
  assert.equal(mtpNodeOptions({}, '/'), undefined);
  assert.throws(() => mtpNodeOptions({ mtpPeers: 'p.json' }, '/'), /--mtp-peers needs --mtp-http/);
  assert.throws(() => mtpNodeOptions({ mtpHttp: '127.0.0.1:7780' }, '/'), /--mtp-http needs --mtp-peers/);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'caxton-mtp-flags-'));
  try {
    const secret = 'a'.repeat(40);
    writeFileSync(path.join(dir, 'peers.json'), JSON.stringify({ peers: [{ platform: 'jade-1', secret }] }));
    assert.deepEqual(mtpNodeOptions({ mtpHttp: '127.0.0.1:7780', mtpPeers: 'peers.json' }, dir), {
      host: '127.0.0.1', port: 7780, peers: [{ platform: 'jade-1', secret, ratePerSecond: 200 }],
    });
    assert.throws(() => mtpNodeOptions({ mtpHttp: '7780', mtpPeers: 'peers.json' }, dir), /--mtp-http 7780 is not host:port/);
    assert.throws(() => mtpNodeOptions({ mtpHttp: '127.0.0.1:7780', mtpPeers: 'missing.json' }, dir), /--mtp-peers missing\.json/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
