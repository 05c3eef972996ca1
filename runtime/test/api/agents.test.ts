import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { ApiCallError } from '@caxton/client';
import { DEFAULT_FUEL, DEFAULT_PAGES } from './support/memory-node.js';
import { eventually, startHarness, type Harness } from './support/harness.js';
import { rawClient, rawUnary, rawUpload, startUpload, type RawClient } from './support/raw-client.js';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

function header(name: string, bytes: Uint8Array, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { header: { name, sha256: sha(bytes), totalSize: bytes.length, ...extra } };
}

async function expectStatus(promise: Promise<unknown>, code: status): Promise<ApiCallError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof ApiCallError, `expected ${status[code]}, got ${String(err)}`);
  assert.equal(err.statusName, status[code], err.describe());
  return err;
}

describe('agent lifecycle over the API', () => {
  let h: Harness;
  let raw: RawClient;
  before(async () => {
    h = await startHarness();
    raw = rawClient(h.address);
  });
  after(async () => {
    raw.close();
    await h.close();
  });

  it('deploys an artifact in chunks and reports it back', async () => {
    const artifact = randomBytes(300 * 1024); // several 128 KiB chunks
    const progress: number[] = [];
    const agent = await h.client.deploy({ name: 'echo', limits: { fuelPerMessage: 5000 }, config: { greeting: 'hi' } }, artifact, (sent) =>
      progress.push(sent),
    );
    assert.equal(agent.name, 'echo');
    assert.equal(agent.state, 'running');
    assert.equal(agent.artifactDigest, sha(artifact));
    assert.equal(agent.artifactSize, artifact.length);
    assert.deepEqual(agent.limits, { fuelPerMessage: 5000, memoryPages: DEFAULT_PAGES });
    assert.deepEqual(agent.config, { greeting: 'hi' });
    assert.deepEqual(progress, [131072, 262144, 307200]);
    assert.deepEqual(Buffer.from(h.node.agents.get('echo')!.artifact), artifact, 'the node got the exact bytes');
  });

  it('gets and lists agents', async () => {
    const got = await h.client.getAgent('echo');
    assert.equal(got.version, 1);
    assert.equal(got.nodeId, 'node-test');
    const list = await h.client.listAgents();
    assert.deepEqual(
      list.map((a) => a.name),
      ['echo'],
    );
  });

  it('answers ALREADY_EXISTS for a second deploy of the same name', async () => {
    const err = await expectStatus(h.client.deploy({ name: 'echo' }, Buffer.from('x')), status.ALREADY_EXISTS);
    assert.equal(err.code, 'agent.already-exists');
    assert.match(err.hint ?? '', /caxton upgrade/);
  });

  it('upgrades, keeping limits and config unless given', async () => {
    const v2 = Buffer.from('version two');
    const { agent, previousVersion } = await h.client.upgrade({ name: 'echo', limits: { memoryPages: 32 } }, v2);
    assert.equal(previousVersion, 1);
    assert.equal(agent.version, 2);
    assert.equal(agent.artifactDigest, sha(v2));
    assert.deepEqual(agent.limits, { fuelPerMessage: 5000, memoryPages: 32 });
    assert.deepEqual(agent.config, { greeting: 'hi' });
    const v3 = await h.client.upgrade({ name: 'echo', replaceConfig: true }, Buffer.from('three'));
    assert.deepEqual(v3.agent.config, {});
  });

  it('carries the stated source language through deploy, get and upgrade', async () => {
    const deployed = await h.client.deploy({ name: 'polyglot', language: 'assemblyscript' }, Buffer.from('as build'));
    assert.equal(deployed.language, 'assemblyscript');
    assert.equal((await h.client.getAgent('polyglot')).language, 'assemblyscript');
    const rust = await h.client.upgrade({ name: 'polyglot', language: 'rust' }, Buffer.from('rust build'));
    assert.equal(rust.agent.language, 'rust');
    const unstated = await h.client.upgrade({ name: 'polyglot' }, Buffer.from("someone else's build"));
    assert.equal(unstated.agent.language, undefined, 'the new artifact states no language: none is shown');
    await h.client.stop('polyglot', true);
  });

  it('answers NOT_FOUND for unknown agents, naming the agent', async () => {
    const err = await expectStatus(h.client.getAgent('ghost'), status.NOT_FOUND);
    assert.equal(err.code, 'agent.not-found');
    assert.equal(err.context.agent, 'ghost');
    await expectStatus(h.client.stop('ghost'), status.NOT_FOUND);
    await expectStatus(h.client.upgrade({ name: 'ghost' }, Buffer.from('x')), status.NOT_FOUND);
  });

  it('stops an agent', async () => {
    const stopped = await h.client.stop('echo', true);
    assert.equal(stopped.state, 'stopped');
    assert.ok(h.node.calls.includes('stop echo force'));
    assert.deepEqual(await h.client.listAgents(), []);
  });

  it('uses node defaults for limits left at 0', async () => {
    const agent = await h.client.deploy({ name: 'defaults' }, Buffer.from('d'));
    assert.deepEqual(agent.limits, { fuelPerMessage: DEFAULT_FUEL, memoryPages: DEFAULT_PAGES });
  });

  describe('invalid arguments', () => {
    const bytes = Buffer.from('component bytes');
    const cases: [string, unknown[], string][] = [
      ['a bad name', [header('bad name!', bytes), { chunk: bytes }], 'header.name'],
      ['an empty name', [header('', bytes), { chunk: bytes }], 'header.name'],
      ['a malformed sha256', [header('a', bytes, { sha256: 'abc' }), { chunk: bytes }], 'header.sha256'],
      ['a zero total_size', [header('a', bytes, { totalSize: 0 })], 'header.total_size'],
      ['too many memory pages', [header('a', bytes, { memoryPages: 70000 }), { chunk: bytes }], 'header.memory_pages'],
      ['a language with capitals', [header('a', bytes, { language: 'Rust' }), { chunk: bytes }], 'header.language'],
      ['a language with spaces', [header('a', bytes, { language: 'assembly script' }), { chunk: bytes }], 'header.language'],
      ['replace_config on deploy', [header('a', bytes, { replaceConfig: true }), { chunk: bytes }], 'header.replace_config'],
      ['a chunk before the header', [{ chunk: bytes }], 'header'],
      ['two headers', [header('a', bytes), header('a', bytes)], 'header'],
      ['no header at all', [], 'header'],
      ['fewer bytes than announced', [header('a', bytes, { totalSize: bytes.length + 1 }), { chunk: bytes }], 'header.total_size'],
      ['more bytes than announced', [header('a', bytes), { chunk: bytes }, { chunk: bytes }], 'chunk'],
      ['a digest that does not match', [header('a', bytes, { sha256: sha(Buffer.from('other')) }), { chunk: bytes }], 'header.sha256'],
    ];
    for (const [what, messages, field] of cases) {
      it(`rejects ${what} with INVALID_ARGUMENT naming ${field}`, async () => {
        const { error } = await rawUpload(raw, h.token, messages);
        assert.ok(error, 'the upload must fail');
        assert.equal(error.statusName, 'INVALID_ARGUMENT', error.describe());
        assert.deepEqual(
          error.fieldViolations.map((v) => v.field),
          [field],
        );
        assert.equal(h.node.agents.has('a'), false);
      });
    }

    it('rejects unary requests with bad names', async () => {
      for (const method of ['GetAgent', 'StopAgent']) {
        const { error } = await rawUnary(raw, method, h.token, { name: '../etc/passwd' });
        assert.equal(error?.statusName, 'INVALID_ARGUMENT');
        assert.equal(error?.fieldViolations[0]?.field, 'name');
      }
    });
  });

  describe('oversized uploads', () => {
    it('rejects an artifact announced larger than the node limit before reading it', async () => {
      const { call, result } = startUpload(raw, 'DeployAgent', h.token);
      call.write({
        header: {
          name: 'big',
          sha256: 'a'.repeat(64),
          totalSize: 2 * 1024 * 1024,
          fuelPerMessage: 0,
          memoryPages: 0,
          config: {},
          replaceConfig: false,
        },
      });
      // No chunk is sent: the answer must come from the header alone.
      const { error } = await result;
      call.end();
      assert.equal(error?.statusName, 'RESOURCE_EXHAUSTED');
      assert.equal(error?.context.field, 'header.total_size');
    });

    it('rejects a huge upload that lies about its size', async () => {
      const chunk = randomBytes(200 * 1024);
      const messages: unknown[] = [header('liar', chunk, { totalSize: 1000 })];
      for (let i = 0; i < 8; i++) messages.push({ chunk });
      const { error } = await rawUpload(raw, h.token, messages);
      assert.equal(error?.statusName, 'INVALID_ARGUMENT');
      assert.equal(h.server.uploadsInProgress(), 0);
    });

    it('rejects a single message over the message limit with RESOURCE_EXHAUSTED', async () => {
      const chunk = randomBytes(300 * 1024); // server maxMessageBytes is 256 KiB
      const { error } = await rawUpload(raw, h.token, [header('fat', chunk), { chunk }]);
      assert.equal(error?.statusName, 'RESOURCE_EXHAUSTED');
      assert.equal(h.node.agents.has('fat'), false);
    });

    it('limits concurrent uploads', async () => {
      const open = [1, 2, 3, 4].map(() => startUpload(raw, 'DeployAgent', h.token));
      for (const [i, u] of open.entries()) u.call.write(header(`slot${i}`, Buffer.from('x')) as never);
      await eventually(() => h.server.uploadsInProgress() === 4, 'four uploads in progress');
      const fifth = await rawUpload(raw, h.token, [header('slot5', Buffer.from('x')), { chunk: Buffer.from('x') }]);
      assert.equal(fifth.error?.statusName, 'RESOURCE_EXHAUSTED');
      for (const u of open) {
        u.call.write({ chunk: Buffer.from('x') });
        u.call.end();
        assert.ok((await u.result).response);
      }
      assert.equal(h.server.uploadsInProgress(), 0);
    });
  });

  it('never reported an internal error', () => {
    assert.deepEqual(h.internalErrors, []);
  });
});
