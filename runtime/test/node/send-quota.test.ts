/**
 * An operator-set send quota reaches the sandbox and binds (decision 1720): a real node, its real
 * gRPC API and a real CaxtonClient deploy the lift-bomb agent (sandbox test fixture) whose `F`
 * message makes it send 2,000 messages in one call. What the deployment set is stored with the
 * agent and shown back; the sandbox refuses the sends past it and the agent's handling comes back
 * `rejected` with the quota's reason. Values over a limit's ceiling are refused at the API with the
 * table's typed error.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AGENT_LIMIT_TABLE } from '@caxton/core';
import { CaxtonClient } from '@caxton/client';
import { ApiCallError } from '@caxton/client';
import { startNode, type RunningNode } from '../../src/start/start-node.js';
import { example } from '../support/examples.js';

interface LiftBombs {
  liftBombComponent(): Promise<Uint8Array>;
  ATTACKS: Record<string, string>;
  MEMORY_CAP_PAGES: number;
}
const liftBombs = (): Promise<LiftBombs> =>
  import(new URL('../../../../sandbox/dist/test/fixtures/lift-bombs.js', import.meta.url).href) as Promise<LiftBombs>;

describe('send quotas set per deployment, over the API', () => {
  let dir: string;
  let node: RunningNode;
  let client: CaxtonClient;
  let bombs: LiftBombs;
  let bytes: Uint8Array;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'caxton-send-quota-'));
    node = await startNode({ dataDir: dir, apiHost: '127.0.0.1', apiPort: 0, auth: { mode: 'none' }, shards: 1 });
    client = await CaxtonClient.connect({ address: `127.0.0.1:${node.apiPort}` });
    bombs = await liftBombs();
    bytes = await bombs.liftBombComponent();
  });
  after(async () => {
    client?.close();
    await node?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** Sends the flood to `agent` and answers how its handling ended (the node's own event). */
  async function flood(agent: string): Promise<{ status: string; reason?: string }> {
    const handled = new Promise<{ status: string; reason?: string }>((resolve) => {
      const off = node.events.on(
        (e) => {
          if (e.type !== 'handled' || e.agent !== agent) return;
          off();
          resolve(e.outcome.status === 'rejected' ? { status: 'rejected', reason: e.outcome.reason } : { status: e.outcome.status });
        },
        ['handled'],
      );
    });
    const sent = await client.send({
      structured: { performative: 'request', receivers: [{ name: agent }], content: bombs.ATTACKS['sendFlood']! },
    });
    assert.deepEqual(sent.accepted, [agent]);
    return handled;
  }

  it('an answer passes on what it was handed: an echo under a quota of 2 a second answers 30 requests sent at once (decision 2173)', async () => {
    const echo = await example('as-echo');
    await client.deploy({ name: 'echo-2', limits: { sendsPerSecond: 2 } }, echo.bytes);
    // Its answers by content, wherever the bus takes them (to an outside sender: not to an agent here; one answer may show in two events).
    const answers = new Set<string>();
    let allAnswered = (): void => {};
    const answered = new Promise<void>((resolve) => (allAnswered = resolve));
    const off = node.events.on(
      (e) => {
        if (e.type !== 'accepted' && e.type !== 'dropped' && e.type !== 'external') return;
        if (!e.message.sender?.name.startsWith('echo-2')) return;
        answers.add(e.message.content ?? '');
        if (answers.size === 30) allAnswered();
      },
      ['accepted', 'dropped', 'external'],
    );
    const timedOut = setTimeout(allAnswered, 30_000);
    try {
      await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          client.send({ structured: { performative: 'request', receivers: [{ name: 'echo-2' }], content: `q${i}` } }),
        ),
      );
      await answered;
    } finally {
      clearTimeout(timedOut);
      off();
    }
    assert.equal(answers.size, 30, 'every request answered: the quota of two tokens a second took none of them');
  });

  it('--max-sends-per-s: stored, shown, and the sandbox refuses the sends past it', async () => {
    const agent = await client.deploy({ name: 'flood-50', limits: { memoryPages: bombs.MEMORY_CAP_PAGES, sendsPerSecond: 50 } }, bytes);
    assert.equal(agent.limits.sendsPerSecond, 50);
    assert.equal(agent.limits.maxOutbox, AGENT_LIMIT_TABLE.maxOutbox.default, 'the other quota takes the node default, stored');
    assert.equal((await client.getAgent('flood-50')).limits.sendsPerSecond, 50);
    assert.deepEqual(await flood('flood-50'), { status: 'rejected', reason: 'quota exceeded: at most 50 sends per second' });
  });

  it('--max-sends-per-call: the per-call outbox binds at what the deployment set', async () => {
    await client.deploy({ name: 'flood-call', limits: { memoryPages: bombs.MEMORY_CAP_PAGES, maxOutbox: 20 } }, bytes);
    assert.deepEqual(await flood('flood-call'), { status: 'rejected', reason: 'outbox full: at most 20 messages per call' });
  });

  it('an upgrade keeps the quota unless it sets one, and may raise it', async () => {
    const kept = await client.upgrade({ name: 'flood-50' }, bytes);
    assert.equal(kept.agent.limits.sendsPerSecond, 50);
    const raised = await client.upgrade({ name: 'flood-50', limits: { sendsPerSecond: 100_000 } }, bytes);
    assert.equal(raised.agent.limits.sendsPerSecond, 100_000);
    // 2,000 sends fit in 100,000/s: now the per-call outbox (1,000 by default) is what refuses.
    assert.deepEqual(await flood('flood-50'), { status: 'rejected', reason: 'outbox full: at most 1000 messages per call' });
  });

  it("refuses a quota over its ceiling with the table's typed error, naming the field and the ceiling", async () => {
    const ceiling = AGENT_LIMIT_TABLE.sendsPerSecond.ceiling;
    const err = await client.deploy({ name: 'too-fast', limits: { sendsPerSecond: ceiling + 1 } }, bytes).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof ApiCallError, String(err));
    assert.equal(err.statusName, 'INVALID_ARGUMENT');
    assert.equal(err.code, 'limits.out-of-range');
    assert.deepEqual(
      err.fieldViolations.map((v) => v.field),
      ['header.max_sends_per_s'],
    );
    assert.match(err.hint ?? '', new RegExp(`sendsPerSecond .*accepts 1\\.\\.${ceiling.toLocaleString('en-US')} per second`));
    await assert.rejects(client.getAgent('too-fast'), /no agent named too-fast/);
  });
});
