/**
 * AuditedControl (decision 1701) over a real file trail and the API tests' MemoryNode (a real
 * in-memory NodeControl): the intent is durable before the change runs, the outcome follows (OK or
 * the error's kind and code), a trail that cannot take the intent refuses the change before it
 * happens, and the chain of both kinds verifies.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  AuditChangeReader,
  CaxtonError,
  decodeRecord,
  verifyAuditChain,
  type AgentStatus,
  type AuditEntry,
  type AuditRecord,
  type DeploySpec,
  type VerifiedArtifact,
} from '@caxton/core';
import { sha256Hex, type AuditTrail } from '../../src/audit/audit-trail.js';
import { AuditedControl, auditArgs, IN_PROCESS_CALLER, type AuditCaller } from '../../src/audit/audited-control.js';
import { FileAuditTrail } from '../../src/audit/file-audit-trail.js';
import { MemoryNode } from '../api/support/memory-node.js';
import { tempDir } from '../api/support/harness.js';

const CALLER: AuditCaller = { role: 'admin', token: '0123456789abcdef', peer: 'console 127.0.0.1:5555' };

function artifact(text: string): VerifiedArtifact {
  const bytes = Buffer.from(text);
  return { bytes, sha256: sha256Hex(bytes) };
}

/** A MemoryNode that, as each deploy starts, reads what the trail already holds. */
class WatchedNode extends MemoryNode {
  readonly seenAtDeploy: AuditRecord[][] = [];
  constructor(private readonly trail: () => AuditTrail) {
    super();
  }

  override async deploy(spec: DeploySpec, a: VerifiedArtifact): Promise<AgentStatus> {
    this.seenAtDeploy.push((await this.trail().read(0, 1000)).map((s) => decodeRecord(s.bytes)));
    return super.deploy(spec, a);
  }
}

async function records(trail: AuditTrail): Promise<AuditRecord[]> {
  return (await trail.read(0, 10_000)).map((s) => decodeRecord(s.bytes));
}

describe('AuditedControl over a file trail', () => {
  let trail: FileAuditTrail;
  let node: WatchedNode;
  let audited: AuditedControl;
  const reported: unknown[] = [];
  before(async () => {
    const dir = await tempDir('caxton-audited-');
    trail = await FileAuditTrail.open({ dir: path.join(dir, 'audit') });
    node = new WatchedNode(() => trail);
    audited = new AuditedControl({
      control: node,
      trail,
      nodeId: 'node-a',
      report: (err) => reported.push(err),
      now: () => Date.UTC(2026, 0, 2),
    });
  });
  after(async () => {
    await trail.close();
  });

  it('writes the intent before the change runs, and its outcome after', async () => {
    const status = await audited.as(CALLER).deploy({ name: 'echo', limits: {}, config: { secret: 'hunter2' } }, artifact('component'));
    assert.equal(status.name, 'echo');
    // What the node saw on the trail when the deploy began: the intent, already stored.
    const [seen] = node.seenAtDeploy;
    assert.deepEqual(
      seen!.map((r) => `${r.kind} ${r.method}`),
      ['intent DeployAgent'],
    );
    const [intent, outcome] = await records(trail);
    assert.ok(intent?.kind === 'intent' && outcome?.kind === 'outcome');
    assert.deepEqual(intent.args.fields, { agent: 'echo', artifact: sha256Hex(Buffer.from('component')) });
    assert.equal(intent.args.bytes, 'component'.length);
    assert.deepEqual(
      [intent.role, intent.token, intent.peer, intent.node, intent.time],
      ['admin', CALLER.token, CALLER.peer, 'node-a', '2026-01-02T00:00:00.000Z'],
    );
    assert.deepEqual(outcome.intent, { index: intent.index, hash: intent.hash });
    assert.deepEqual(outcome.result, { code: 'OK', error: '' });
    const stored = Buffer.concat((await trail.read(0, 10)).map((s) => Buffer.from(s.bytes))).toString();
    assert.ok(!stored.includes('hunter2'), 'config values are digested, never stored');
  });

  it("records a failed change with the error's kind and code, and rethrows it unchanged", async () => {
    const before = (await records(trail)).length;
    await assert.rejects(audited.as(CALLER).stop('ghost', { force: true }), (err: { code?: string }) => err.code === 'agent.not-found');
    await assert.rejects(
      audited.as(CALLER).deploy({ name: 'echo', limits: {}, config: {} }, artifact('again')),
      (err: { code?: string }) => err.code === 'agent.already-exists',
    );
    const added = (await records(trail)).slice(before);
    assert.deepEqual(
      added.map((r) =>
        r.kind === 'outcome'
          ? `outcome ${r.result.code} ${r.result.error}`
          : `${r.kind} ${r.method} ${r.kind === 'intent' ? r.args.fields.agent : ''}`,
      ),
      [
        'intent StopAgent ghost',
        'outcome NOT_FOUND agent.not-found',
        'intent DeployAgent echo',
        'outcome ALREADY_EXISTS agent.already-exists',
      ],
    );
  });

  it('records every kind of change, reads pass through unrecorded, and the chain verifies', async () => {
    const before = (await records(trail)).length;
    const control = audited.as(IN_PROCESS_CALLER);
    await control.listAgents();
    await control.getAgent('echo');
    const sent = await control.send({ performative: 'inform', receivers: [{ name: 'echo' }], content: 'hi' });
    await control.suspend('echo');
    await control.resume('echo');
    await control.importState({ agent: 'echo', writes: [{ key: 'k', value: 'v' }], replace: false });
    await control.upgrade({ name: 'echo', limits: {} }, artifact('v2'));
    await control.stop('echo', { force: false });
    const added = (await records(trail)).slice(before);
    assert.deepEqual(
      added.filter((r) => r.kind === 'intent').map((r) => r.method),
      ['SendMessage', 'SuspendAgent', 'ResumeAgent', 'ImportState', 'UpgradeAgent', 'StopAgent'],
    );
    assert.ok(added.every((r) => r.peer === 'in-process' && r.role === 'admin'));
    assert.equal(added.filter((r) => r.kind === 'outcome' && r.result.code === 'OK').length, 6);
    // A send's outcome names the message it sent; other outcomes name nothing.
    const produced = added.filter((r) => r.kind === 'outcome').map((r) => r.result.fields);
    assert.deepEqual(produced, [
      { messageId: sent.messageId, accepted: String(sent.accepted.length) },
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    // A send's digest, taken from its JSON without the replacer, is what the generic path gives.
    const sendIntent = added.find((r) => r.kind === 'intent' && r.method === 'SendMessage');
    const generic = auditArgs({ performative: 'inform', receivers: [{ name: 'echo' }], content: 'hi' }, {});
    assert.equal(sendIntent?.kind === 'intent' && sendIntent.args.sha256, generic.sha256);
    assert.equal(sendIntent?.kind === 'intent' && sendIntent.args.bytes, generic.bytes);
    const { fault, verified } = verifyAuditChain(await trail.read(0, 10_000), sha256Hex);
    assert.equal(fault, undefined);
    assert.equal(verified, before + 12);
    // Read as changes: one line per change, each with its outcome.
    const reader = new AuditChangeReader();
    const lines = [...(await trail.read(0, 10_000)).flatMap((s) => reader.push(s)), ...reader.end()];
    assert.ok(lines.every((l) => l.type === 'change' && l.outcome !== undefined));
    assert.equal(lines.length, (before + 12) / 2);
    assert.deepEqual(reported, []);
  });
});

/**
 * The real file trail behind a disk that fails: appends reject as a failed write or fdatasync
 * would (ENOSPC, EIO). Only the failure is simulated; reads are the real trail's.
 */
function failingDisk(real: FileAuditTrail, failFrom: number): AuditTrail & { appends: number } {
  const disk = {
    appends: 0,
    location: real.location,
    append(entry: AuditEntry): Promise<AuditRecord> {
      disk.appends += 1;
      if (disk.appends >= failFrom)
        return Promise.reject(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }));
      return real.append(entry);
    },
    read: (from: number, limit: number) => real.read(from, limit),
    currentHead: () => real.currentHead(),
    follow: real.follow.bind(real),
    close: () => real.close(),
  };
  return disk;
}

describe('AuditedControl when the trail cannot record', () => {
  it('refuses a change whose intent cannot be written: UNAVAILABLE audit.unavailable with a hint, and the change never happens', async () => {
    const dir = await tempDir('caxton-audited-');
    const real = await FileAuditTrail.open({ dir: path.join(dir, 'audit') });
    const disk = failingDisk(real, 1);
    const node = new MemoryNode();
    const audited = new AuditedControl({ control: node, trail: disk, nodeId: 'n', report: () => {} });
    try {
      await assert.rejects(
        audited.as(CALLER).deploy({ name: 'echo', limits: {}, config: {} }, artifact('x')),
        (err: { code?: string; kind?: string; hint?: string; message: string }) =>
          err.code === 'audit.unavailable' &&
          err.kind === 'unavailable' &&
          /nothing was changed/.test(err.hint ?? '') &&
          /DeployAgent refused: .*ENOSPC/.test(err.message),
      );
      await assert.rejects(audited.as(CALLER).freeze('node'), (err: { code?: string }) => err.code === 'audit.unavailable');
      assert.deepEqual(node.calls, [], 'no change reached the node');
      assert.deepEqual(await node.listAgents(), []);
      assert.equal((await node.status()).killSwitch?.frozen ?? false, false);
      assert.deepEqual(await real.read(0, 10), [], 'nothing was recorded, because nothing happened');
    } finally {
      await real.close();
    }
  });

  it('refuses at once, without trying, once the trail has failed for good', async () => {
    const dir = await tempDir('caxton-audited-');
    const real = await FileAuditTrail.open({ dir: path.join(dir, 'audit') });
    let appended = 0;
    // A file trail after a failed write: `failed` set (file-audit-trail.ts), appends would reject.
    const failed: AuditTrail = {
      failed: new Error('EIO: i/o error, write'),
      location: real.location,
      append: (e: AuditEntry) => {
        appended += 1;
        return real.append(e);
      },
      read: (from: number, limit: number) => real.read(from, limit),
      currentHead: () => real.currentHead(),
      follow: real.follow.bind(real),
      close: () => real.close(),
    };
    const node = new MemoryNode();
    const audited = new AuditedControl({ control: node, trail: failed, nodeId: 'n', report: () => {} });
    try {
      await assert.rejects(audited.as(CALLER).stop('echo', { force: false }), /StopAgent refused: the audit trail cannot record it \(EIO/);
      assert.deepEqual([appended, node.calls], [0, []]);
    } finally {
      await real.close();
    }
  });

  it('answers with the change\'s own result when only the outcome is lost, and reports it; the listing says "outcome unknown"', async () => {
    const dir = await tempDir('caxton-audited-');
    const real = await FileAuditTrail.open({ dir: path.join(dir, 'audit') });
    const disk = failingDisk(real, 2);
    const reported: unknown[] = [];
    const node = new MemoryNode();
    const audited = new AuditedControl({ control: node, trail: disk, nodeId: 'n', report: (err) => reported.push(err) });
    try {
      assert.equal((await audited.as(CALLER).deploy({ name: 'echo', limits: {}, config: {} }, artifact('x'))).name, 'echo');
      assert.equal(reported.length, 1);
      const reader = new AuditChangeReader();
      const lines = [...(await real.read(0, 10)).flatMap((s) => reader.push(s)), ...reader.end()];
      assert.deepEqual(
        lines.map((l) => (l.type === 'change' && l.outcome === undefined ? `${l.intent.method} outcome unknown` : l.type)),
        ['DeployAgent outcome unknown'],
      );
    } finally {
      await real.close();
    }
  });
});

describe('refusals through the audited surface (the console, its WebSocket, A2A, MCP, the HTTP MTP)', () => {
  it('are recorded up to a source budget, then counted, carried on its next record and summed at close', async () => {
    const dir = await tempDir('caxton-audited-');
    const trail = await FileAuditTrail.open({ dir: path.join(dir, 'audit') });
    let now = Date.UTC(2026, 0, 2);
    const audited = new AuditedControl({
      control: new MemoryNode(),
      trail,
      nodeId: 'n',
      report: () => {},
      now: () => now,
      refusalBudget: { perWindow: 3, maxPerWindow: 100, windowMs: 60_000, maxSources: 16 },
    });
    const refusal = new Error('no token');
    const from = (peer: string): AuditCaller => ({ role: 'none', token: '', peer });
    try {
      // Ten refusals from one address (a new port each), two from another; then a new window.
      for (let i = 0; i < 10; i++)
        await audited.refused(from(`console 10.0.0.1:${4000 + i}`), { method: 'ListAgents', args: auditArgs({}, {}) }, refusal);
      for (let i = 0; i < 2; i++)
        await audited.refused(from(`mtp 10.0.0.2:${5000 + i}`), { method: 'MtpPost', args: auditArgs({}, {}) }, refusal);
      assert.equal((await records(trail)).length, 5, 'three from the first source, two from the second');
      now += 60_000;
      await audited.refused(from('console 10.0.0.1:4999'), { method: 'ListAgents', args: auditArgs({}, {}) }, refusal);
      const carried = (await records(trail)).at(-1) as AuditEntry & { args: { fields: Record<string, string> } };
      assert.equal(carried.args.fields.suppressed, '7', 'the seven counted last window are said on the next record');
      assert.equal(carried.args.fields.suppressedKinds, 'INTERNAL 7', 'and what refused them (an error of no code of ours: INTERNAL)');
      // Four more in this window: one past the budget, said at close in a summary.
      for (let i = 0; i < 3; i++)
        await audited.refused(from(`console 10.0.0.1:${6000 + i}`), { method: 'ListAgents', args: auditArgs({}, {}) }, refusal);
      // A token that authenticated and was denied is its own source: the address's spent budget does not hide it.
      const denied = new CaxtonError('api.permission-denied', 'observers may not deploy', { kind: 'permission-denied' });
      const before = (await records(trail)).length;
      await audited.refused(
        { role: 'observer', token: 'feedfacefeedface', peer: 'console 10.0.0.1:7000' },
        { method: 'DeployAgent', args: auditArgs({}, {}) },
        denied,
      );
      const tokenRecord = (await records(trail)).at(-1) as AuditEntry & { token: string; method: string };
      assert.equal((await records(trail)).length, before + 1);
      assert.deepEqual([tokenRecord.method, tokenRecord.token], ['DeployAgent', 'feedfacefeedface']);
      // A role with another refusal (not a denial of what its token may do) stays on its address: spent.
      const other = new CaxtonError('api.invalid-argument', 'bad', { kind: 'invalid-argument' });
      await audited.refused(
        { role: 'observer', token: 'feedfacefeedface', peer: 'console 10.0.0.1:7001' },
        { method: 'ListAgents', args: auditArgs({}, {}) },
        other,
      );
      assert.equal((await records(trail)).length, before + 1, 'counted under the address, not recorded');
      // A peer the ingress authenticated (the MTP's peer platform by its URL secret) is its own source too.
      await audited.refused(from('mtp jade-1 10.0.0.1:7200'), { method: 'MtpPost', args: auditArgs({}, {}) }, refusal, {
        knownPeer: 'mtp jade-1',
      });
      assert.equal((await records(trail)).length, before + 2, 'recorded although its address has spent its budget');
      // Three more denials of the token past its own budget of three: counted under it, summed with its role.
      for (let i = 0; i < 3; i++)
        await audited.refused(
          { role: 'observer', token: 'feedfacefeedface', peer: `console 10.0.0.9:${7100 + i}` },
          { method: 'DeployAgent', args: auditArgs({}, {}) },
          denied,
        );
      await audited.close();
      type Summary = AuditEntry & { method: string; peer: string; role: string; token: string; args: { fields: Record<string, string> } };
      const summaries = (await records(trail)).filter((r) => (r as Summary).method === 'RefusedCalls') as Summary[];
      assert.deepEqual(summaries.map((r) => [r.role, r.token, r.peer, r.args.fields.suppressed, r.args.fields.suppressedKinds]).sort(), [
        ['none', '', '10.0.0.1', '2', 'INTERNAL 1, api.invalid-argument 1'],
        ['observer', 'feedfacefeedface', '', '1', 'api.permission-denied 1'],
      ]);
    } finally {
      await trail.close();
    }
  });
});
