/**
 * The signer's key id is part of the agent record (decision 1400): deployed under `require` on a real
 * node (a real WASM agent), it survives a restart of the node (the embedded registry journal), and an
 * upgrade to an unsigned version under `warn` drops it and says so in the agent's log.
 */
import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { LogEntry, VerifiedArtifact } from '@caxton/core';
import { startNode } from '../../src/start/start-node.js';
import { generateSigningKey } from '../../src/signing/keys.js';
import { signStatement } from '../../src/signing/sign.js';
import { example } from '../support/examples.js';

function logs(
  control: { logs: (q: { agent: string; follow: boolean }, sink: { next(e: LogEntry): void; end(err?: Error): void }) => () => void },
  agent: string,
): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const lines: string[] = [];
    control.logs({ agent, follow: false }, { next: (e) => lines.push(e.message), end: (err) => (err ? reject(err) : resolve(lines)) });
  });
}

test('the signer survives a restart; an unsigned upgrade under warn drops it with a warning', async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'caxton-signed-node-'));
  try {
    const key = generateSigningKey();
    const pub = path.join(dataDir, 'trusted.pub');
    await writeFile(pub, key.publicPem);
    const echo = await example('as-echo');
    const signed: VerifiedArtifact = {
      ...echo,
      signature: JSON.stringify(signStatement({ sha256: echo.sha256, name: 'as-echo' }, createPrivateKey(key.privatePem))),
    };
    const base = {
      dataDir: path.join(dataDir, 'node'),
      apiHost: '127.0.0.1',
      apiPort: 0,
      auth: { mode: 'none' as const },
      api: false,
      shards: 1,
    };

    const first = await startNode({ ...base, trust: { keyPaths: [pub], mode: 'require' } });
    try {
      assert.deepEqual(first.trust, { mode: 'require', keyIds: [key.keyId] });
      assert.equal((await first.control.deploy({ name: 'echo', limits: {}, config: {} }, signed)).signerKeyId, key.keyId);
      const lines = await logs(first.control, 'echo');
      assert.ok(
        lines.some((l) => l.includes(`artifact signed by trusted key ${key.keyId} (as-echo)`)),
        lines.join('\n'),
      );
      await assert.rejects(first.control.upgrade({ name: 'echo', limits: {} }, await example('as-counter')), /the artifact is not signed/);
    } finally {
      await first.stop();
    }

    const second = await startNode({ ...base, trust: { keyPaths: [pub] } }); // default with keys: warn
    try {
      assert.equal(second.trust.mode, 'warn');
      assert.equal((await second.control.getAgent('echo'))?.signerKeyId, key.keyId, 'kept in the registry across the restart');
      const up = await second.control.upgrade({ name: 'echo', limits: {} }, await example('as-counter'));
      assert.equal(up.agent.version, 2);
      assert.equal(up.agent.signerKeyId, undefined, 'the new version carries no signature');
      const lines = await logs(second.control, 'echo');
      assert.ok(
        lines.some((l) => /untrusted artifact: the artifact is not signed/.test(l)),
        lines.join('\n'),
      );
    } finally {
      await second.stop();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
