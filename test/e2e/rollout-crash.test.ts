/**
 * SIGKILL of one embedded `caxton serve` at a stateful rollout's switch points (decision 2170; the
 * Kafka crash tests run the same points on three nodes): the node is started with
 * `CAXTON_FAULT_POINT` armed, dies exactly there, and is started again on its data directory.
 * - `rollout-taken-over`: the new version holds the state, nothing handled on it; the restart comes
 *   back on the running version with the rollout ended (`aborted`, the restart's reason) and the
 *   count exact.
 * - `rollout-handed-back`: an operator's rollback, the new version (counting by 10) stopped after it
 *   counted, the running one's view not reset; the restart reads what the new version wrote.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { CaxtonClient } from '@caxton/runtime';
import { startServe, tempDir, type Serve } from './support/serve.js';
import { until } from './support/wait.js';
import { builtExample } from './support/paths.js';

const counter = readFileSync(builtExample('as-state-counter', 'as-state-counter.wasm'));

describe('a stateful rollout killed at its switch points on one node', { timeout: 180_000 }, () => {
  let serve: Serve | undefined;
  let dataDir: string;
  after(async () => {
    await serve?.stop();
  });

  const start = async (fault?: string): Promise<CaxtonClient> => {
    serve = await startServe({ dataDir, ...(fault ? { env: { CAXTON_FAULT_POINT: fault } } : {}) });
    return serve.client();
  };
  /** Sends one request and waits until the count reads `want`. */
  const countTo = async (client: CaxtonClient, want: number): Promise<void> => {
    await client.send({ structured: { performative: 'request', receivers: [{ name: 'ledger' }], content: 'inc' } });
    await until(
      async () => (await client.getState('ledger', 'count').catch(() => undefined))?.value === String(want) || undefined,
      `count ${want}`,
      30_000,
    );
  };
  const rollOut = (client: CaxtonClient) =>
    client.upgrade(
      { name: 'ledger', config: { step: '10' }, rollout: { strategy: { kind: 'blue-green' }, thresholds: { bakeMs: 600_000 } } },
      counter,
    );
  const killed = async (): Promise<void> => {
    const finished = await serve!.proc.done;
    assert.equal(finished.signal, 'SIGKILL', `the node died at its fault point:\n${finished.stderr.slice(-2000)}`);
    serve = undefined;
  };

  it('rollout-taken-over: the restart comes back on the running version, the rollout ended, the count exact', async () => {
    dataDir = path.join(await tempDir('caxton-rollout-crash-'), 'data');
    let client = await start('rollout-taken-over:1');
    await client.deploy({ name: 'ledger', config: {} }, counter);
    for (let n = 1; n <= 3; n++) await countTo(client, n);
    await rollOut(client).catch(() => undefined); // the node dies answering it
    await killed();
    client = await start();
    const agent = await client.getAgent('ledger');
    assert.equal(agent.version, 1);
    assert.equal(agent.rollout?.phase, 'aborted');
    assert.match(agent.rollout?.reason ?? '', /started with this rollout open/);
    await countTo(client, 4);
    await serve!.stop({ keepData: true });
    serve = undefined;
  });

  it('rollout-handed-back: the restart reads what the new version wrote, the count exact', async () => {
    let client = await start('rollout-handed-back:1');
    await rollOut(client);
    await countTo(client, 14); // on the new version (counting by 10), holding the state
    await client.rollback('ledger').catch(() => undefined); // the node dies handing the state back
    await killed();
    client = await start();
    const agent = await client.getAgent('ledger');
    assert.equal(agent.version, 1);
    assert.notEqual(agent.rollout?.phase, 'baking', 'no rollout runs after the restart');
    assert.equal((await client.getState('ledger', 'count')).value, '14', 'what the new version committed stands');
    await countTo(client, 15); // the running version, counting by 1
  });
});
