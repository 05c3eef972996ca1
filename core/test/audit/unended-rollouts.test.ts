/**
 * Which rollouts a trail shows started and never closed (decision 1871): what a restarting node
 * writes a closing record for.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { AuditChangeReader, encodeRecord, GENESIS_HASH, sealRecord, UnendedRollouts, type AuditEntry, type AuditRecord, type AuditLine } from '../../src/index.js';

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');
const who = (node = 'node-a') => ({ time: '2026-01-02T03:04:05.678Z', node, role: 'admin', token: '', peer: 'in-process' }) as const;

type Step = (sealed: AuditRecord[]) => AuditEntry;
const intent = (method: string, fields: Record<string, string>, node?: string): Step => () => ({ ...who(node), kind: 'intent', method, args: { sha256: '0'.repeat(64), bytes: 0, fields } });
const outcome = (code = 'OK'): Step => (sealed) => {
  const of = sealed.length - 1;
  return { ...who(), kind: 'outcome', method: sealed[of]!.method, intent: { index: of, hash: sealed[of]!.hash }, result: { code, error: '' } };
};

function unended(steps: Step[]): string[] {
  const sealed: AuditRecord[] = [];
  for (const make of steps) sealed.push(sealRecord(make(sealed), sealed.length, sealed.at(-1)?.hash ?? GENESIS_HASH, sha256));
  const reader = new AuditChangeReader();
  const open = new UnendedRollouts();
  const lines: AuditLine[] = [];
  sealed.forEach((r, position) => lines.push(...reader.push({ position, bytes: encodeRecord(r) })));
  lines.push(...reader.end());
  for (const l of lines) open.take(l);
  return open.unended().map((u) => `${u.agent} ${u.strategy} ${u.node}`);
}

const rollout = (agent: string, node?: string): Step => intent('UpgradeAgent', { agent, artifact: 'ab', strategy: 'canary:10', bakeMs: '60000' }, node);

describe('rollouts without an end in the trail', () => {
  it('a started rollout with no end is open; each end closes it', () => {
    assert.deepEqual(unended([rollout('a'), outcome()]), ['a canary:10 node-a']);
    assert.deepEqual(unended([rollout('a')]), ['a canary:10 node-a'], 'no outcome: stopped in its starting window');
    for (const end of ['PromoteRollout', 'RollBackRollout', 'AbortRollout']) {
      assert.deepEqual(unended([rollout('a'), outcome(), intent(end, { agent: 'a' }), outcome('INTERNAL')]), [], end);
    }
    assert.deepEqual(unended([rollout('a'), outcome(), intent('DeployAgent', { agent: 'a' }), outcome()]), [], 'a deploy ends it');
  });

  it('a refused rollout, another agent\'s end and a refused deploy leave what they should', () => {
    assert.deepEqual(unended([rollout('a'), outcome('FAILED_PRECONDITION')]), []);
    assert.deepEqual(unended([rollout('a'), outcome(), intent('AbortRollout', { agent: 'b' }), outcome()]), ['a canary:10 node-a']);
    assert.deepEqual(unended([rollout('a'), outcome(), intent('DeployAgent', { agent: 'a' }), outcome('FAILED_PRECONDITION')]), ['a canary:10 node-a']);
    assert.deepEqual(unended([rollout('a', 'node-b'), outcome()]), ['a canary:10 node-b'], 'the node that started it is named');
  });
});
