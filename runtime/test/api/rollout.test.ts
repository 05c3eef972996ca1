/**
 * Blue-green and canary rollouts (decision 1871) on a real node: embedded log, real AssemblyScript
 * agents, real gRPC with token auth. A canary at 50% gives new conversations to both versions
 * (the echo answers with what it got, the counter with a number) and keeps each conversation on
 * the version it started on; `caxton rollback` during the rollout aborts it. A new version that
 * crashes on every message is rolled back by the controller while the old one answers every
 * message (none lost, none dead-lettered). A healthy blue-green version is promoted after its
 * bake, as an ordinary new version. Each automatic step is in the audit trail. A stateful agent is
 * refused, typed.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { decodeRecord, type AuditRecord, type MessageEvent } from '@caxton/core';
import { ApiCallError, CaxtonClient } from '@caxton/client';
import { startNode, type RunningNode } from '../../src/start/start-node.js';
import { readTokenFile, tokenFilePath } from '../../src/api/auth.js';
import { eventually } from './support/harness.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const artifact = async (dir: string, name: string): Promise<Uint8Array> => new Uint8Array(await readFile(path.join(repoRoot, 'examples', dir, 'build', `${name}.wasm`)));
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('blue-green and canary rollouts on a real node', () => {
  let dir: string;
  let node: RunningNode;
  let client: CaxtonClient;
  const replies: MessageEvent[] = [];
  let tail: { cancel(): void };
  let echo: Uint8Array;
  let counter: Uint8Array;
  let aborter: Uint8Array;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'caxton-rollout-'));
    node = await startNode({ dataDir: dir, apiHost: '127.0.0.1', apiPort: 0, auth: { mode: 'token' }, shards: 1 });
    client = await CaxtonClient.connect({ address: `127.0.0.1:${node.apiPort}`, token: await readTokenFile(tokenFilePath(dir)) });
    const t = client.tail({}, (e) => { if (e.message.receivers.some((r) => r.name.startsWith('operator@'))) replies.push(e); });
    await t.ready;
    tail = t;
    echo = await artifact('as-echo', 'as-echo');
    counter = await artifact('as-counter', 'as-counter');
    aborter = await artifact('hostile/as-abort', 'hostile-as-abort');
  });
  after(async () => {
    tail?.cancel();
    client?.close();
    await node?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** Sends `content` to `agent` in `conversation` and returns the content of the answer in it. */
  async function ask(agent: string, conversation: string, content: string, inReplyTo?: string): Promise<string> {
    const seen = (): MessageEvent | undefined => replies.find((e) => e.message.conversationId === conversation && e.message.sender?.name.startsWith(`${agent}@`) && !used.has(e));
    await client.send({ structured: { performative: 'request', receivers: [{ name: agent }], content, conversationId: conversation, ...(inReplyTo ? { inReplyTo } : {}) } });
    await eventually(() => seen() !== undefined, `an answer from ${agent} in ${conversation}`, 15_000);
    const e = seen()!;
    used.add(e);
    return e.message.content ?? '';
  }
  const used = new Set<MessageEvent>();

  it('canary 50%: new conversations go to both versions, each stays on one; a rollback aborts the rollout', async () => {
    await client.deploy({ name: 'split' }, echo);
    const started = await client.upgrade({ name: 'split', rollout: { strategy: { kind: 'canary', percent: 50 }, thresholds: { bakeMs: 120_000 } } }, counter);
    assert.equal(started.agent.version, 1, 'the running version is unchanged while the rollout bakes');
    assert.equal(started.agent.artifactDigest, sha(echo));
    assert.deepEqual(
      { strategy: started.agent.rollout?.strategy, phase: started.agent.rollout?.phase, version: started.agent.rollout?.candidateVersion, digest: started.agent.rollout?.candidateDigest },
      { strategy: { kind: 'canary', percent: 50 }, phase: 'baking', version: 2, digest: sha(counter) },
      'the status shows both versions');

    const versionOf = (content: string, sent: string): 'old' | 'new' => (content === sent ? 'old' : 'new');
    const first = new Map<string, 'old' | 'new'>();
    const ids = Array.from({ length: 16 }, (_, i) => i);
    // Conversations side by side (each answer is found by its conversation), each one's messages in turn.
    await Promise.all(ids.map(async (i) => first.set(`conv-${i}`, versionOf(await ask('split', `conv-${i}`, 'increment'), 'increment'))));
    const toNew = [...first.values()].filter((v) => v === 'new').length;
    assert.ok(toNew > 2 && toNew < 14, `both versions get new conversations at 50% (new: ${toNew} of 16)`);
    await Promise.all(ids.map(async (i) => {
      const again = versionOf(await ask('split', `conv-${i}`, 'increment', `reply-${i}`), 'increment');
      assert.equal(again, first.get(`conv-${i}`), `conv-${i} stays on the version it started on`);
    }));
    const during = await client.getAgent('split');
    assert.equal(during.rollout?.counts.handled, toNew * 2, 'the new version handled exactly its conversations');
    assert.equal(during.rollout?.counts.crashes, 0);
    assert.ok((during.rollout?.counts.p99Ms ?? 0) > 0, 'the p99 handle time of the new version is measured');

    const aborted = await client.rollback('split');
    assert.equal(aborted.agent.version, 1, 'a rollback during a rollout changes no version');
    assert.equal(aborted.agent.artifactDigest, sha(echo));
    assert.equal(aborted.agent.rollout?.phase, 'aborted');
    assert.match(aborted.agent.rollout?.reason ?? '', /rolled back by the operator/);
    for (let i = 0; i < 4; i++) assert.equal(await ask('split', `after-${i}`, 'increment'), 'increment', 'only the old version answers');
  });

  it('a new version that crashes on every message is rolled back by itself; the old one answers every message', async () => {
    await client.deploy({ name: 'crashy' }, echo);
    await client.upgrade({ name: 'crashy', rollout: { strategy: { kind: 'canary', percent: 50 }, thresholds: { bakeMs: 120_000 } } }, aborter);
    let i = 0;
    // Every message is answered by the echo, also those the new version crashed on first.
    while ((await client.getAgent('crashy')).rollout?.phase !== 'rolled-back') {
      assert.ok(i < 200, 'rolled back within 200 messages');
      assert.equal(await ask('crashy', `crash-${i}`, `m${i}`), `m${i}`);
      i += 1;
    }
    const agent = await client.getAgent('crashy');
    assert.equal(agent.version, 1);
    assert.equal(agent.artifactDigest, sha(echo));
    assert.ok((agent.rollout?.counts.crashes ?? 0) >= 1, 'crashes counted');
    assert.match(agent.rollout?.reason ?? '', /crash rate|failed/);
    assert.equal(await ask('crashy', 'after', 'still here'), 'still here');
    assert.deepEqual(await client.listDeadLetters({ agent: 'crashy' }), [], 'no message was dead-lettered');
  });

  it('blue-green: a healthy new version is promoted after its bake, as a new version', async () => {
    await client.deploy({ name: 'bg' }, echo);
    await client.upgrade({ name: 'bg', rollout: { strategy: { kind: 'blue-green' }, thresholds: { bakeMs: 1_500 } } }, counter);
    const answer = await ask('bg', 'bg-1', 'increment');
    assert.notEqual(answer, 'increment', 'blue-green: a new conversation goes to the new version at once');
    await eventually(async () => (await client.getAgent('bg')).rollout?.phase === 'promoted', 'promotion after the bake', 10_000);
    const agent = await client.getAgent('bg');
    assert.equal(agent.version, 2);
    assert.equal(agent.artifactDigest, sha(counter));
    assert.deepEqual(agent.previous, { version: 1, artifactDigest: sha(echo) }, 'caxton rollback would put the old one back');
    assert.notEqual(await ask('bg', 'bg-2', 'increment'), 'increment', 'the promoted version answers');
  });

  it('refuses a rollout of an agent that keeps durable state, and an upgrade while one runs', async () => {
    await client.deploy({ name: 'stateful' }, await artifact('as-state-counter', 'as-state-counter'));
    await ask('stateful', 's-1', 'increment');
    const err = await client.upgrade({ name: 'stateful', rollout: { strategy: { kind: 'blue-green' } } }, echo).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof ApiCallError && err.code === 'rollout.stateful-agent' && err.statusName === 'FAILED_PRECONDITION', String(err));
    assert.match(err.hint ?? '', /without --strategy/);

    await client.deploy({ name: 'busy' }, echo);
    await client.upgrade({ name: 'busy', rollout: { strategy: { kind: 'canary', percent: 10 }, thresholds: { bakeMs: 120_000 } } }, counter);
    const twice = await client.upgrade({ name: 'busy' }, counter).then(() => undefined, (e: unknown) => e);
    assert.ok(twice instanceof ApiCallError && twice.code === 'rollout.in-progress', String(twice));
    await client.rollback('busy');
  });

  it('audits every automatic step with what the new version did', async () => {
    const records: AuditRecord[] = [];
    const listed = client.listAudit({}, (r) => records.push(decodeRecord(r.bytes)));
    await listed.done;
    const outcome = (method: string): AuditRecord[] => records.filter((r) => r.kind === 'outcome' && r.method === method);
    const intent = (method: string, agent: string): { args?: { fields: Record<string, string> } } | undefined =>
      records.find((r) => r.kind === 'intent' && r.method === method && (r as { args?: { fields: Record<string, string> } }).args?.fields.agent === agent) as never;
    assert.equal(intent('RollBackRollout', 'crashy')?.args?.fields.version, '2');
    assert.match(intent('RollBackRollout', 'crashy')?.args?.fields.reason ?? '', /crash rate|failed/);
    assert.equal(intent('PromoteRollout', 'bg')?.args?.fields.strategy, 'blue-green');
    assert.ok(outcome('PromoteRollout').length >= 1 && outcome('RollBackRollout').length >= 1, 'their outcomes follow');
    assert.equal(intent('UpgradeAgent', 'split')?.args?.fields.strategy, 'canary:50', 'the operator started it, with its strategy');
  });
});
