/**
 * A send to a peer platform whose outbox record cannot be committed fails typed
 * (`mtp.outbox-not-durable`, decision 1910 "Outbox") and nothing is posted; the error carries how to
 * answer the sender, which an agent's `init` (never re-run) uses: the agent gets a FIPA `failure`
 * instead of a post silently lost (review of mtpoutbox, must fix 1).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { CaxtonError, type AclMessage } from '@caxton/core';
import { MtpPeerTable, MtpSender, parseMtpPeers } from '../../src/mtp/index.js';
import type { AgentStateStore } from '../../src/storage/ports.js';

test('an outbox commit that fails refuses the send typed, posts nothing, and can answer the sender with a failure', async () => {
  const peers = new MtpPeerTable(
    parseMtpPeers(
      JSON.stringify({ peers: [{ platform: 'far', secret: randomBytes(24).toString('hex'), acc: 'http://127.0.0.1:9/acc' }] }),
      'caxton',
    ),
  );
  const failures: string[] = [];
  let commits = 0;
  const state = {
    commitState: async () => {
      commits += 1;
      throw new Error('state store unavailable');
    },
    readState: async () => [],
  } as unknown as AgentStateStore;
  const sender = new MtpSender({
    platform: 'caxton',
    peers,
    accUrl: () => 'http://127.0.0.1:1/acc',
    policyOf: () => undefined,
    state,
    fail: async (_original, reason) => {
      failures.push(reason);
    },
    log: () => {},
  });
  const message: AclMessage = {
    performative: 'request',
    sender: { name: 'asker@caxton' },
    receivers: [{ name: 'pong@far' }],
    content: 'hello',
  };
  let thrown: unknown;
  try {
    await sender.forward({ messageId: 'm-1', message, receivers: [{ name: 'pong@far' }], agent: 'asker' });
  } catch (err) {
    thrown = err;
  }
  assert.equal(commits, 1);
  assert.ok(thrown instanceof CaxtonError && thrown.code === 'mtp.outbox-not-durable', `typed refusal (got ${String(thrown)})`);
  assert.match(thrown.hint ?? '', /send it again/);
  assert.deepEqual(failures, [], 'no failure unless asked: a handling runs again instead');
  const answer = (thrown as { answerSender?: () => Promise<void> }).answerSender;
  assert.equal(typeof answer, 'function');
  await answer!();
  assert.equal(failures.length, 1);
  assert.match(failures[0]!, /^mtp\.outbox-not-durable: pong@far not reached/);
  // The post was never admitted: a later send with the same id is admitted again (not "already posting").
  await assert.rejects(
    sender.forward({ messageId: 'm-1', message, receivers: [{ name: 'pong@far' }], agent: 'asker' }),
    (e: unknown) => (e as CaxtonError).code === 'mtp.outbox-not-durable',
  );
  assert.equal(commits, 2);
  await sender.close?.();
});

test("a replayed outbox record that is not the state owner's (another agent, or another sender) is removed, never posted", async () => {
  const { encodeMtpOutboxRecord } = await import('../../src/mtp/outbox-records.js');
  const peers = new MtpPeerTable(
    parseMtpPeers(
      JSON.stringify({ peers: [{ platform: 'far', secret: randomBytes(24).toString('hex'), acc: 'http://127.0.0.1:9/acc' }] }),
      'caxton',
    ),
  );
  const url = 'http://127.0.0.1:9/acc';
  const base = { url, platform: 'far', receivers: [{ name: 'pong@far' }], at: 0 };
  const records = [
    encodeMtpOutboxRecord({
      ...base,
      messageId: 'other-agent',
      agent: 'victim',
      message: { performative: 'inform', sender: { name: 'victim@caxton' }, receivers: [{ name: 'pong@far' }], content: 'x' },
    }),
    encodeMtpOutboxRecord({
      ...base,
      messageId: 'forged-sender',
      agent: 'asker',
      message: { performative: 'inform', sender: { name: 'victim@caxton' }, receivers: [{ name: 'pong@far' }], content: 'x' },
    }),
  ];
  const removed: string[] = [];
  const state = {
    readState: async () => new Map(records.map((r) => [r.key, r.value!])),
    commitState: async (_agent: string, writes: { key: string; value: string | null }[]) => {
      for (const w of writes) if (w.value === null) removed.push(w.key);
    },
  } as unknown as AgentStateStore;
  const failures: string[] = [];
  const logs: string[] = [];
  const sender = new MtpSender({
    platform: 'caxton',
    peers,
    accUrl: () => 'http://127.0.0.1:1/acc',
    policyOf: () => undefined,
    state,
    fail: async (_original, reason) => {
      failures.push(reason);
    },
    log: (_agent, _level, message) => {
      logs.push(message);
    },
  });
  assert.equal(await sender.recover('asker'), 0, 'nothing replayed');
  assert.deepEqual(removed.sort(), records.map((r) => r.key).sort(), 'both records removed');
  assert.deepEqual(failures, [], "no failure sent in another agent's name");
  assert.equal(logs.filter((l) => /is not asker's and is removed/.test(l)).length, 2);
  await sender.close();
});
