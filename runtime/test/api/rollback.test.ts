/**
 * RollbackAgent on a real node (embedded log, real WASM agents, real gRPC with token auth): an
 * upgrade from the echo agent to the state counter is rolled back — the echo's artifact, limits and
 * config come back as a new version and answer as the echo did — and a second rollback returns to
 * the counter, whose durable count was kept across both swaps. A never-upgraded agent has nothing
 * to roll back to (FAILED_PRECONDITION, typed); a role that may not deploy may not; every rollback is in the
 * audit trail as intent and outcome, the outcome naming the versions.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { decodeRecord, type AuditRecord, type MessageEvent } from '@caxton/core';
import { ApiCallError, CaxtonClient } from '@caxton/client';
import { eventually } from './support/harness.js';
import { artifact, sha } from './support/rollout-node.js';
import { startServedNode, type ServedNode } from './support/served-node.js';

const example = (name: string): Promise<Uint8Array> => artifact(name, name);

describe('RollbackAgent on a real node', () => {
  let served: ServedNode;
  let client: CaxtonClient;
  let address: string;
  let replies: MessageEvent[];

  before(async () => {
    // What svc says (it answers the operator): the tail is svc's, its own messages kept.
    served = await startServedNode('caxton-rollback-', {
      shards: 1,
      tail: { filter: { agent: 'svc' }, keep: (e) => e.message.sender?.name.startsWith('svc') === true },
    });
    ({ client, address, replies } = served);
  });
  after(async () => {
    await served?.stop();
  });

  /** Sends `content` to svc and returns the content of its answer. */
  async function ask(performative: 'request', content: string): Promise<string> {
    const before = replies.length;
    await client.send({ structured: { performative, receivers: [{ name: 'svc' }], content } });
    await eventually(() => replies.length > before, `an answer to ${content}`, 15_000);
    return replies[before]!.message.content ?? '';
  }

  it('puts back the replaced version as a new one, and a second rollback undoes the first', async () => {
    const echo = await example('as-echo');
    const counter = await example('as-state-counter');
    await client.deploy({ name: 'svc', limits: { fuelPerMessage: 2_000_000 }, config: { mode: 'echo' } }, echo);
    assert.equal(await ask('request', 'hello'), 'hello', 'the echo answers with what it got');

    const up = await client.upgrade({ name: 'svc', limits: { fuelPerMessage: 3_000_000 }, config: { mode: 'count' } }, counter);
    assert.equal(up.agent.version, 2);
    assert.deepEqual(up.agent.previous, { version: 1, artifactDigest: sha(echo) }, 'status names what a rollback would put back');
    assert.deepEqual((await client.getAgent('svc')).previous, { version: 1, artifactDigest: sha(echo) });
    assert.equal(await ask('request', 'increment'), '1', 'the counter runs');

    const back = await client.rollback('svc');
    assert.equal(back.previousVersion, 2);
    assert.equal(back.agent.version, 3, 'a rollback is a new version');
    assert.equal(back.agent.artifactDigest, sha(echo), "the echo's artifact is back");
    assert.deepEqual(back.agent.config, { mode: 'echo' }, 'and its config');
    assert.equal(back.agent.limits.fuelPerMessage, 2_000_000, 'and its limits');
    assert.equal(back.agent.state, 'running');
    assert.deepEqual(
      back.agent.previous,
      { version: 2, artifactDigest: sha(counter) },
      'the rolled-back version is now the one to go back to',
    );
    assert.equal(await ask('request', 'hello again'), 'hello again', 'and it answers as the echo did');

    const forth = await client.rollback('svc');
    assert.equal(forth.agent.version, 4);
    assert.equal(forth.agent.artifactDigest, sha(counter), 'rolling back the rollback returns to the counter');
    assert.deepEqual(forth.agent.config, { mode: 'count' });
    assert.equal(await ask('request', 'increment'), '2', 'its durable count was kept across both swaps');
  });

  it('refuses an agent that was never upgraded, typed, with a hint', async () => {
    const fresh = await client.deploy({ name: 'fresh' }, await example('as-echo'));
    assert.equal(fresh.previous, undefined, 'a first deployment has nothing to roll back to');
    const err = await client.rollback('fresh').then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof ApiCallError, String(err));
    assert.equal(err.statusName, status[status.FAILED_PRECONDITION]);
    assert.equal(err.code, 'agent.no-previous-version');
    assert.match(err.hint ?? '', /deploy or upgrade fresh/);
    const ghost = await client.rollback('ghost').then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(ghost instanceof ApiCallError && ghost.code === 'agent.not-found', String(ghost));
  });

  it('is refused to a role that may not deploy, and every rollback is in the audit trail with its versions', async () => {
    // The operator role (on call: stop, suspend, freeze) puts no code on the node, old code included.
    const issued = await client.issueToken({ role: 'operator', ttlMs: 600_000 });
    const onCall = await CaxtonClient.connect({ address, token: issued.token });
    try {
      const err = await onCall.rollback('svc').then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(err instanceof ApiCallError && err.statusName === 'PERMISSION_DENIED', String(err));
    } finally {
      onCall.close();
    }
    const records: AuditRecord[] = [];
    const listed = client.listAudit({}, (r) => records.push(decodeRecord(r.bytes)));
    await listed.done;
    const intents = records.filter((r) => r.kind === 'intent' && r.method === 'RollbackAgent');
    assert.equal(intents.length, 4, 'two rollbacks of svc, one of fresh, one of ghost');
    const outcomes = records.filter((r): r is AuditRecord & { kind: 'outcome' } => r.kind === 'outcome' && r.method === 'RollbackAgent');
    assert.deepEqual(
      outcomes.map((o) => o.result.fields ?? o.result.code),
      [{ version: '3', previousVersion: '2' }, { version: '4', previousVersion: '3' }, 'FAILED_PRECONDITION', 'NOT_FOUND'],
    );
  });
});
