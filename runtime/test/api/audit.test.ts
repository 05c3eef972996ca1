/**
 * The audit trail over real gRPC (a MemoryNode behind a real server, a real file trail): changes
 * written ahead through AuditedControl (intent, then outcome: decision 1701), refused credentials
 * and asked-for reads recorded by the interceptor, ListAudit, and that the answer waits for the record.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { decodeRecord, verifyAuditChain, type AuditEntry, type AuditRecord, type StoredAuditRecord } from '@caxton/core';
import { readTokenFile } from '../../src/api/auth.js';
import { tokenFingerprint } from '../../src/api/caller.js';
import { sha256Hex } from '../../src/audit/audit-trail.js';
import { FileAuditTrail } from '../../src/audit/file-audit-trail.js';
import { safeFields } from '../../src/api/audit-interceptor.js';
import type { CaxtonClient } from '@caxton/client';
import { startHarness, tempDir, type Harness } from './support/harness.js';
import { eventually } from '../registry/helpers/tmp.js';

async function list(client: CaxtonClient, query: { from?: number; limit?: number } = {}): Promise<StoredAuditRecord[]> {
  const out: StoredAuditRecord[] = [];
  await client.listAudit(query, (r) => out.push(r)).done;
  return out;
}

/** `kind method role code error agent`: an intent has no result, an outcome no arguments. */
function summary(r: AuditRecord): string {
  const result = r.kind === 'intent' ? ['', ''] : [r.result.code, r.result.error];
  const agent = r.kind === 'outcome' ? '' : (r.args.fields.agent ?? '');
  return [r.kind ?? 'call', r.method, r.role, ...result, agent].join(' ');
}

describe('audit trail through the API', () => {
  let h: Harness;
  let trail: FileAuditTrail;
  let readToken: string;
  before(async () => {
    const dataDir = await tempDir();
    trail = await FileAuditTrail.open({ dir: path.join(dataDir, 'audit') });
    h = await startHarness({ dataDir, audit: { trail, nodeId: 'node-test' } });
    readToken = await readTokenFile(path.join(h.dataDir, 'auth-token.read'));
  });
  after(async () => {
    await h.close();
    await trail.close();
  });

  it('records a scripted session exactly: changes as intent + outcome, refused credentials; not reads', async () => {
    const artifact = Buffer.from('component bytes');
    await h.client.deploy({ name: 'echo' }, artifact);
    await h.client.listAgents(); // a read: not recorded
    await h.client.send({ structured: { performative: 'inform', receivers: [{ name: 'echo' }], content: 'hi' } });
    const anonymous = await h.connect({ token: 'x'.repeat(40) });
    await assert.rejects(anonymous.listAgents(), (e: { grpcCode?: number }) => e.grpcCode === status.UNAUTHENTICATED);
    const viewer = await h.connect({ token: readToken });
    await assert.rejects(viewer.stop('echo'), (e: { grpcCode?: number }) => e.grpcCode === status.PERMISSION_DENIED);
    await h.client.stop('echo');

    const stored = await list(h.client);
    assert.equal(verifyAuditChain(stored, sha256Hex).fault, undefined);
    const records = stored.map((s) => decodeRecord(s.bytes));
    assert.deepEqual(records.map(summary), [
      'intent DeployAgent admin   echo',
      'outcome DeployAgent admin OK  ',
      'intent SendMessage admin   ',
      'outcome SendMessage admin OK  ',
      'call ListAgents none UNAUTHENTICATED api.unauthenticated ',
      'call StopAgent read PERMISSION_DENIED api.permission-denied echo',
      'intent StopAgent admin   echo',
      'outcome StopAgent admin OK  ',
    ]);
    const [deploy, deployed, send, , failed, denied] = records;
    assert.ok(deploy?.kind === 'intent' && deployed?.kind === 'outcome' && send?.kind === 'intent');
    assert.deepEqual(deployed.intent, { index: deploy.index, hash: deploy.hash }, 'the outcome points at its intent');
    assert.equal(deploy.token, tokenFingerprint(h.token));
    assert.equal(deploy.args.fields.artifact, createHash('sha256').update(artifact).digest('hex'));
    assert.equal(deploy.args.bytes, artifact.length, "a deploy counts the artifact's bytes");
    assert.deepEqual([send.args.fields.performative, send.args.fields.receivers], ['inform', 'echo']);
    assert.equal(failed!.token, tokenFingerprint('x'.repeat(40)));
    assert.equal(denied!.token, tokenFingerprint(readToken));
    assert.match(deploy!.peer, /^ipv4:127\.0\.0\.1:\d+$|^127\.0\.0\.1:\d+$/);
    assert.equal(deploy!.node, 'node-test');
    for (const r of records) assert.ok(!JSON.stringify(r).includes(h.token), 'the token itself is never stored');
  });

  it('a change refused before it reaches the node (bad input) is still recorded, as one call record', async () => {
    const start = (await list(h.client)).length;
    await assert.rejects(h.client.stop('not/a name!'), (e: { grpcCode?: number }) => e.grpcCode === status.INVALID_ARGUMENT);
    const added = (await list(h.client, { from: start })).map((s) => decodeRecord(s.bytes));
    assert.equal(added.length, 1);
    assert.match(summary(added[0]!), /^call StopAgent admin INVALID_ARGUMENT \S+ not\/a name!$/);
  });

  it('lists a range and refuses the read-only token', async () => {
    const all = await list(h.client);
    const part = await list(h.client, { from: 1, limit: 2 });
    assert.deepEqual(
      part.map((r) => r.position),
      [1, 2],
    );
    assert.deepEqual(
      part.map((r) => Buffer.from(r.bytes).toString()),
      all.slice(1, 3).map((r) => Buffer.from(r.bytes).toString()),
    );
    const viewer = await h.connect({ token: readToken });
    await assert.rejects(list(viewer), (e: { grpcCode?: number }) => e.grpcCode === status.PERMISSION_DENIED);
    // …and that refusal is itself in the trail.
    const last = decodeRecord((await list(h.client)).at(-1)!.bytes);
    assert.equal(summary(last), 'call ListAudit read PERMISSION_DENIED api.permission-denied ');
  });

  it('follows: new records arrive on an open stream', async () => {
    const start = (await list(h.client)).length;
    const seen: AuditRecord[] = [];
    let got!: () => void;
    const arrived = new Promise<void>((r) => {
      got = r;
    });
    const stream = h.client.listAudit({ from: start, follow: true }, (r) => {
      seen.push(decodeRecord(r.bytes));
      if (seen.length === 2) got();
    });
    await stream.ready;
    await assert.rejects(h.client.stop('ghost'), (e: { grpcCode?: number }) => e.grpcCode === status.NOT_FOUND);
    await arrived;
    stream.cancel();
    await stream.done;
    assert.deepEqual(seen.map(summary), ['intent StopAgent admin   ghost', 'outcome StopAgent admin NOT_FOUND agent.not-found ']);
  });
});

describe("audit streams count against the node's bound on streams", () => {
  it('refuses a follow past the bound (RESOURCE_EXHAUSTED), as a tail is (review finding 3)', async () => {
    const dataDir = await tempDir();
    const trail = await FileAuditTrail.open({ dir: path.join(dataDir, 'audit') });
    const h = await startHarness({ dataDir, audit: { trail, nodeId: 'n' }, maxStreams: 1 });
    try {
      const tail = h.client.tail({}, () => {});
      await tail.ready;
      const follow = h.client.listAudit({ follow: true }, () => {});
      const err = await follow.done.catch((e: unknown) => e);
      assert.equal((err as { grpcCode?: number }).grpcCode, status.RESOURCE_EXHAUSTED);
      assert.match((err as Error).message, /already serves 1 streams/);
      tail.cancel();
      await tail.done.catch(() => {});
    } finally {
      await h.close();
      await trail.close();
    }
  });
});

describe('audit trail failures reach the caller', () => {
  it('refuses a change whose intent cannot be written (UNAVAILABLE audit.unavailable): it never happens', async () => {
    const failing = {
      location: 'nowhere',
      append: async (_e: AuditEntry): Promise<AuditRecord> => {
        throw new Error('disk on fire');
      },
      read: async () => [],
      currentHead: async () => undefined,
      follow: () => () => {},
      close: async () => {},
    };
    const h = await startHarness({ audit: { trail: failing, nodeId: 'n' } });
    try {
      await assert.rejects(
        h.client.deploy({ name: 'echo' }, Buffer.from('x')),
        (err: { grpcCode?: number; code?: string; message: string }) =>
          err.grpcCode === status.UNAVAILABLE &&
          err.code === 'audit.unavailable' &&
          /DeployAgent refused: the audit trail cannot record it \(disk on fire\)/.test(err.message),
      );
      assert.deepEqual(
        h.node.calls.filter((c) => c.startsWith('deploy')),
        [],
        'the deploy never reached the node',
      );
      assert.equal((await h.client.listAgents()).length, 0, 'nothing was deployed; reads are not recorded, so they still work');
    } finally {
      await h.close();
    }
  });

  it("answers with the change's own result when only its outcome cannot be written: the intent records it", async () => {
    const dataDir = await tempDir();
    const real = await FileAuditTrail.open({ dir: path.join(dataDir, 'audit') });
    let appends = 0;
    // The real trail, failing every second append (each outcome): a disk that fails mid-change.
    const flaky = {
      location: real.location,
      append: (e: AuditEntry): Promise<AuditRecord> => (++appends % 2 === 0 ? Promise.reject(new Error('disk on fire')) : real.append(e)),
      read: (from: number, limit: number) => real.read(from, limit),
      currentHead: () => real.currentHead(),
      follow: real.follow.bind(real),
      close: async () => {},
    };
    const h = await startHarness({ dataDir, audit: { trail: flaky, nodeId: 'n' } });
    try {
      const agent = await h.client.deploy({ name: 'echo' }, Buffer.from('x'));
      assert.equal(agent.name, 'echo');
      const records = (await list(h.client)).map((s) => decodeRecord(s.bytes));
      assert.deepEqual(records.map(summary), ['intent DeployAgent admin   echo'], 'the change is in the trail, its outcome unknown');
      assert.ok(
        h.internalErrors.some((e) => /disk on fire/.test((e as Error).message)),
        'the lost outcome is reported',
      );
    } finally {
      await h.close();
      await real.close();
    }
  });
});

describe('recording reads too', () => {
  it('records calls that only look when asked, and a call the client cancels', async () => {
    const dataDir = await tempDir();
    const trail = await FileAuditTrail.open({ dir: path.join(dataDir, 'audit') });
    const h = await startHarness({ dataDir, audit: { trail, nodeId: 'n', recordReads: true } });
    try {
      await h.client.listAgents();
      await h.client.status();
      const tail = h.client.tail({}, () => {});
      await tail.ready;
      tail.cancel();
      await tail.done;
      // Cancelling is recorded as it happens, not before the client's next call: wait for it.
      const records = await eventually(
        async () => {
          const all = (await list(h.client)).map((s) => decodeRecord(s.bytes));
          return all.some((r) => r.method === 'TailMessages') && all;
        },
        10_000,
        'the cancelled tail to be recorded',
      );
      assert.ok(
        records.some((r) => r.method === 'ListAudit'),
        'listing the trail is a read, recorded too',
      );
      assert.deepEqual(records.filter((r) => r.method !== 'ListAudit').map(summary), [
        'call ListAgents admin OK  ',
        'call NodeStatus admin OK  ',
        'call TailMessages admin CANCELLED  ',
      ]);
    } finally {
      await h.close();
      await trail.close();
    }
  });
});

describe('a trail that failed for good', () => {
  it('refuses changes before they run, and still serves reads', async () => {
    const broken = {
      location: 'nowhere',
      failed: new Error('EIO: i/o error, write'),
      append: async (_e: AuditEntry): Promise<AuditRecord> => {
        throw new Error('EIO: i/o error, write');
      },
      read: async () => [],
      currentHead: async () => undefined,
      follow: () => () => {},
      close: async () => {},
    };
    const h = await startHarness({ audit: { trail: broken, nodeId: 'n' } });
    try {
      const before = h.node.calls.length;
      for (const call of [() => h.client.deploy({ name: 'echo' }, Buffer.from('x')), () => h.client.stop('echo')]) {
        await assert.rejects(
          call(),
          (err: { grpcCode?: number; code?: string; message: string }) =>
            err.grpcCode === status.UNAVAILABLE &&
            err.code === 'audit.unavailable' &&
            /refused: the audit trail cannot record it \(EIO/.test(err.message),
        );
      }
      assert.deepEqual(h.node.calls.slice(before), [], 'no change reached the node');
      assert.deepEqual(await h.client.listAgents(), []);
    } finally {
      await h.close();
    }
  });
});

describe('safe fields', () => {
  it("names the agent, the artifact digest and a message's receivers, never config or content", () => {
    assert.deepEqual(safeFields('StopAgent', { name: 'echo', force: true }), { agent: 'echo', force: 'true' });
    assert.deepEqual(safeFields('DeployAgent', { header: { name: 'e', sha256: 'ab', config: { secret: 's' } } }), {
      agent: 'e',
      artifact: 'ab',
    });
    assert.deepEqual(
      safeFields('SendMessage', {
        message: 'json',
        json: '{"performative":"request","receiver":[{"name":"a"},{"name":"b"}],"content":"secret"}',
      }),
      { performative: 'request', receivers: 'a,b' },
    );
    assert.deepEqual(safeFields('ImportState', { agent: 'a', entries: [{ key: 'k', value: 'v' }] }), { agent: 'a' });
  });
});
