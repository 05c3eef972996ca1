/**
 * Signed Agent Cards (decision 2188): a node with `mtp.signingKeyFile` serves each A2A card with a
 * JWS of the platform's current key in `signatures`, and the official SDK (`@a2a-js/sdk`) — its
 * client's getAgentCard with the SDK's own verifyAgentCardSignature — accepts it with the public key
 * the node publishes, and refuses it with another key or once the card is changed. A node without
 * a key serves cards unsigned, as before.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { verifyAgentCardSignature, type AgentCard } from '@a2a-js/sdk';
import { ClientFactory, ClientFactoryOptions, DefaultAgentCardResolver, JsonRpcTransportFactory } from '@a2a-js/sdk/client';
import { CaxtonClient } from '@caxton/client';
import { startNode, type RunningNode } from '../../src/start/start-node.js';
import { readTokenFile, tokenFilePath } from '../../src/api/auth.js';
import { publicKeyFromRaw } from '../../src/mtp/index.js';
import { TEST_ENGINE_CACHE } from '../support/engine-cache.js';
import { exampleWasm } from './a2a-node.js';

function withToken(token: string): typeof fetch {
  return (input, init) => {
    const headers = new Headers(init?.headers);
    headers.set('authorization', `Bearer ${token}`);
    return fetch(input, { ...init, headers });
  };
}

describe('signed A2A Agent Cards, checked with the official SDK', () => {
  let dir: string;
  let node: RunningNode;
  let admin: string;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'caxton-a2a-sig-'));
    const keyFile = path.join(dir, 'platform.keys');
    await writeFile(keyFile, `platform-2 ${randomBytes(32).toString('base64')}\nplatform-1 ${randomBytes(32).toString('base64')}\n`, {
      mode: 0o600,
    });
    const dataDir = path.join(dir, 'data');
    node = await startNode({
      dataDir,
      apiHost: '127.0.0.1',
      apiPort: 0,
      auth: { mode: 'token' },
      shards: 1,
      a2a: { host: '127.0.0.1', port: 0 },
      mtp: {
        host: '127.0.0.1',
        port: 0,
        peers: [{ platform: 'jade-1', secret: 'd'.repeat(40), ratePerSecond: 10 }],
        signingKeyFile: keyFile,
      },
      prepare: { cacheDir: TEST_ENGINE_CACHE },
    });
    admin = await readTokenFile(tokenFilePath(dataDir));
    const api = await CaxtonClient.connect({ address: `127.0.0.1:${node.apiPort}`, token: admin });
    try {
      await api.deploy({ name: 'echo' }, await readFile(exampleWasm('as-echo')));
    } finally {
      api.close();
    }
  });

  after(async () => {
    await node?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("the SDK client's getAgentCard verifies the card with the platform's published key, and no other", async () => {
    const [current] = node.mtpSigningKeys!;
    assert.equal(current!.id, 'platform-2');
    const published = publicKeyFromRaw(Buffer.from(current!.publicKey, 'base64'));
    const fetchImpl = withToken(admin);
    const client = await new ClientFactory(
      ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
        transports: [new JsonRpcTransportFactory({ fetchImpl })],
        cardResolver: new DefaultAgentCardResolver({ fetchImpl }),
      }),
    ).createFromUrl(`${node.a2aUrl!}/a2a/echo/.well-known/agent-card.json`, '');
    const kids: string[] = [];
    const card: AgentCard = await client.getAgentCard(
      undefined,
      verifyAgentCardSignature(async (kid) => {
        kids.push(kid);
        if (kid !== current!.id) throw new Error(`unknown key ${kid}`);
        return published;
      }),
    );
    assert.deepEqual(kids, ['platform-2']);
    assert.equal(card.signatures.length, 1);
    assert.equal(JSON.parse(Buffer.from(card.signatures[0]!.protected, 'base64url').toString('utf8')).alg, 'EdDSA');

    const another = generateKeyPairSync('ed25519').publicKey;
    await assert.rejects(verifyAgentCardSignature(async () => another)(card));
    // The old key of the ring is published but does not sign.
    const old = publicKeyFromRaw(Buffer.from(node.mtpSigningKeys![1]!.publicKey, 'base64'));
    await assert.rejects(verifyAgentCardSignature(async () => old)(card));
    // A card changed after it was signed is refused with the right key.
    await assert.rejects(verifyAgentCardSignature(async () => published)({ ...card, description: `${card.description} (changed)` }));
    await verifyAgentCardSignature(async () => published)(card);
  });
});
