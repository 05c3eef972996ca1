/**
 * Which rollouts a trail shows started and never closed (decision 1871): what a restarting node
 * writes a closing record for.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  AuditChangeReader,
  encodeRecord,
  GENESIS_HASH,
  sealRecord,
  UnendedRollouts,
  type AuditEntry,
  type AuditRecord,
  type AuditLine,
} from '../../src/index.js';

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');
const who = (node = 'node-a') => ({ time: '2026-01-02T03:04:05.678Z', node, role: 'admin', token: '', peer: 'in-process' }) as const;

type Step = (sealed: AuditRecord[]) => AuditEntry;
const intent =
  (method: string, fields: Record<string, string>, node?: string): Step =>
  () => ({ ...who(node), kind: 'intent', method, args: { sha256: '0'.repeat(64), bytes: 0, fields } });
const outcome =
  (code = 'OK'): Step =>
  (sealed) => {
    const of = sealed.length - 1;
    return {
      ...who(),
      kind: 'outcome',
      method: sealed[of]!.method,
      intent: { index: of, hash: sealed[of]!.hash },
      result: { code, error: '' },
    };
  };

/** The outcome of the record at `of` (a later one: past the reader's pairing window if far enough). */
const outcomeOf =
  (of: number, code: string): Step =>
  (sealed) => ({
    ...who(),
    kind: 'outcome',
    method: sealed[of]!.method,
    intent: { index: of, hash: sealed[of]!.hash },
    result: { code, error: '' },
  });
/** `n` outside sends (intent and outcome each): what fills a busy node's trail. */
const sends = (n: number): Step[] =>
  Array.from({ length: n }, () => [intent('SendMessage', { receivers: 'x', performative: 'inform' }), outcome()]).flat();

function unended(steps: Step[], options: { window?: number; node?: string } = {}): string[] {
  const sealed: AuditRecord[] = [];
  for (const make of steps) sealed.push(sealRecord(make(sealed), sealed.length, sealed.at(-1)?.hash ?? GENESIS_HASH, sha256));
  const reader = new AuditChangeReader(options.window);
  const open = new UnendedRollouts(options.node !== undefined ? { node: options.node } : {});
  const lines: AuditLine[] = [];
  sealed.forEach((r, position) => lines.push(...reader.push({ position, bytes: encodeRecord(r) })));
  lines.push(...reader.end());
  for (const l of lines) open.take(l);
  return open.unended().map((u) => `${u.agent} ${u.strategy} ${u.node}`);
}

const rollout = (agent: string, node?: string): Step =>
  intent('UpgradeAgent', { agent, artifact: 'ab', strategy: 'canary:10', bakeMs: '60000' }, node);

describe('rollouts without an end in the trail', () => {
  it('a started rollout with no end is open; each end closes it', () => {
    assert.deepEqual(unended([rollout('a'), outcome()]), ['a canary:10 node-a']);
    assert.deepEqual(unended([rollout('a')]), ['a canary:10 node-a'], 'no outcome: stopped in its starting window');
    for (const end of ['PromoteRollout', 'RollBackRollout', 'AbortRollout']) {
      assert.deepEqual(unended([rollout('a'), outcome(), intent(end, { agent: 'a' }), outcome('INTERNAL')]), [], end);
    }
    assert.deepEqual(unended([rollout('a'), outcome(), intent('DeployAgent', { agent: 'a' }), outcome()]), [], 'a deploy ends it');
  });

  it("a refused rollout, another agent's end and a refused deploy leave what they should", () => {
    assert.deepEqual(unended([rollout('a'), outcome('FAILED_PRECONDITION')]), []);
    assert.deepEqual(unended([rollout('a'), outcome(), intent('AbortRollout', { agent: 'b' }), outcome()]), ['a canary:10 node-a']);
    assert.deepEqual(unended([rollout('a'), outcome(), intent('DeployAgent', { agent: 'a' }), outcome('FAILED_PRECONDITION')]), [
      'a canary:10 node-a',
    ]);
    assert.deepEqual(unended([rollout('a', 'node-b'), outcome()]), ['a canary:10 node-b'], 'the node that started it is named');
  });

  it("an operator's rollback or stop of the agent ends it (a trail from before AbortRollout records)", () => {
    for (const end of ['RollbackAgent', 'StopAgent']) {
      assert.deepEqual(unended([rollout('a'), outcome(), intent(end, { agent: 'a' }), outcome()]), [], end);
      assert.deepEqual(
        unended([rollout('a'), outcome(), intent(end, { agent: 'a' }), outcome('FAILED_PRECONDITION')]),
        ['a canary:10 node-a'],
        `a refused ${end}`,
      );
      assert.deepEqual(
        unended([rollout('a'), outcome(), intent(end, { agent: 'b' }), outcome()]),
        ['a canary:10 node-a'],
        `another agent's ${end}`,
      );
    }
  });

  it('an outcome that comes apart from its intent (past the pairing window) still counts', () => {
    // Record 0 is the upgrade's intent; 20 sends (40 records) pass before its outcome, the window is 8.
    assert.deepEqual(
      unended([rollout('a'), ...sends(20), outcomeOf(0, 'FAILED_PRECONDITION')], { window: 8 }),
      [],
      'a refused upgrade started nothing',
    );
    assert.deepEqual(
      unended([rollout('a'), ...sends(20), outcomeOf(0, 'OK')], { window: 8 }),
      ['a canary:10 node-a'],
      'an accepted one did',
    );
    // The default window, as a busy node fills it (4096 records).
    assert.deepEqual(unended([rollout('a'), ...sends(2100), outcomeOf(0, 'FAILED_PRECONDITION')]), []);
    // A stop (record 2) whose refusal comes late: the rollout is still open; accepted late: ended.
    assert.deepEqual(
      unended([rollout('a'), outcome(), intent('StopAgent', { agent: 'a' }), ...sends(20), outcomeOf(2, 'FAILED_PRECONDITION')], {
        window: 8,
      }),
      ['a canary:10 node-a'],
    );
    assert.deepEqual(
      unended([rollout('a'), outcome(), intent('StopAgent', { agent: 'a' }), ...sends(20), outcomeOf(2, 'OK')], { window: 8 }),
      [],
    );
  });

  it("with a node named, only its own starts are open, and another node's start does not hide one", () => {
    const steps = [rollout('a', 'node-a'), outcome(), rollout('a', 'node-b')];
    assert.deepEqual(unended(steps, { node: 'node-a' }), ['a canary:10 node-a']);
    assert.deepEqual(unended([rollout('a', 'node-b'), outcome()], { node: 'node-a' }), []);
    assert.deepEqual(
      unended([rollout('a', 'node-a'), outcome(), intent('AbortRollout', { agent: 'a' }, 'node-b'), outcome()], { node: 'node-a' }),
      [],
      'an end from any node closes',
    );
  });

  it('a start whose time does not parse (a tampered record) is skipped', () => {
    const tampered: Step = () => ({
      ...who(),
      time: 'not a time',
      kind: 'intent',
      method: 'UpgradeAgent',
      args: { sha256: '0'.repeat(64), bytes: 0, fields: { agent: 'a', artifact: 'ab', strategy: 'canary:10' } },
    });
    assert.deepEqual(unended([tampered, outcome()]), []);
  });
});
