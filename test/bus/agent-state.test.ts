/**
 * Agents' durable state on a real node (decision 1600): the embedded log keeps it across a node
 * restart, an operator import reaches a running agent (which keeps answering), a fresh deploy
 * clears what an undeployed agent left unless it keeps it.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { StateEntry } from '@caxton/core';
import { agentArtifact } from './support/artifacts.js';
import { TestNode } from './support/test-node.js';

const nodes: TestNode[] = [];
after(async () => {
  for (const n of nodes) await n.dispose();
});

async function exported(t: TestNode, agent: string): Promise<StateEntry[]> {
  const entries: StateEntry[] = [];
  await new Promise<void>((resolve, reject) => {
    t.control.exportState(agent, { next: (e) => entries.push(e), end: (error) => (error ? reject(error) : resolve()) });
  });
  return entries;
}

test('state imported into a running agent: the agent keeps answering, and the state survives a node restart', async () => {
  const first = await TestNode.start();
  nodes.push(first);
  await first.deploy('echo', 'as-echo');
  const result = await first.control.importState({
    agent: 'echo',
    writes: [
      { key: 'greeting', value: 'hello' },
      { key: 'n', value: '1' },
    ],
    replace: false,
  });
  assert.deepEqual(result, { written: 2, deleted: 0 });
  assert.equal((await first.control.getAgent('echo'))?.state, 'running');
  await first.send({ performative: 'request', receivers: [{ name: 'echo' }], content: 'after-import' });
  await first.waitFor('the echo', () => first.external.find((e) => e.message.content === 'after-import'));
  const lines: string[] = [];
  await new Promise<void>((resolve, reject) => {
    first.control.logs(
      { agent: 'echo', follow: false },
      { next: (l) => lines.push(l.message), end: (error) => (error ? reject(error) : resolve()) },
    );
  });
  assert.ok(lines.includes('[caxton] state imported (2 entries)'), lines.join('\n'));
  await first.stop();

  const second = await TestNode.start({ dataDir: first.dataDir });
  nodes.push(second);
  assert.equal(await second.control.getState('echo', 'greeting'), 'hello', 'recovered from the log');
  assert.deepEqual(await exported(second, 'echo'), [
    { key: 'greeting', value: 'hello' },
    { key: 'n', value: '1' },
  ]);
  assert.deepEqual(await second.control.listState('echo', { prefix: 'n', limit: 10 }), { entries: [{ key: 'n', value: '1' }] });
});

test('undeploy keeps state; a fresh deploy clears it; deploy with keepState keeps it', async () => {
  const t = await TestNode.start();
  nodes.push(t);
  await t.deploy('keeper', 'as-echo');
  await t.control.importState({ agent: 'keeper', writes: [{ key: 'k', value: 'v' }], replace: false });
  await t.control.stop('keeper', { force: false });
  assert.equal(await t.control.getState('keeper', 'k'), 'v', 'undeploy keeps it');
  await t.control.deploy({ name: 'keeper', limits: {}, config: {}, keepState: true }, await agentArtifact('as-echo'));
  assert.equal(await t.control.getState('keeper', 'k'), 'v', 'keepState keeps it');
  await t.control.stop('keeper', { force: false });
  await t.deploy('keeper', 'as-echo');
  assert.equal(await t.control.getState('keeper', 'k'), undefined, 'a fresh deploy starts empty');
});

test('an upgrade keeps state, and both versions see it: an AssemblyScript counter upgraded to the JavaScript one counts on', async () => {
  const t = await TestNode.start();
  nodes.push(t);
  await t.deploy('counter', 'as-state-counter');
  const ask = async (id: string): Promise<string | undefined> => {
    await t.send({ performative: 'request', receivers: [{ name: 'counter' }], content: 'count', replyWith: id });
    return (await t.waitFor(`the answer to ${id}`, () => t.external.find((e) => e.message.inReplyTo === id))).message.content;
  };
  assert.deepEqual([await ask('a1'), await ask('a2'), await ask('a3')], ['1', '2', '3']);
  const upgraded = await t.control.upgrade({ name: 'counter', limits: {} }, await agentArtifact('js-state-counter'));
  assert.equal(upgraded.previousVersion, 1);
  assert.equal(await ask('j1'), '4', 'the new version reads the count the old one committed');
  assert.equal(await t.control.getState('counter', 'count'), '4');
});
