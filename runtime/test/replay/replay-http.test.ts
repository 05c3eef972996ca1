/**
 * An HTTP-calling agent replays with nothing differing (issue 57, decision 2174): the js-http-agent
 * example on a real node calls a real loopback service per request and answers when the service's
 * answer comes back from http@caxton. Its call ids derive from the handling, so running the
 * recorded component again on the log makes the same calls (method, URL, context, id) as the
 * pending-call records the log holds, and handles each answer as recorded. Nothing leaves.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Engine } from '@caxton/sandbox';
import { httpPendingStateKey } from '@caxton/core';
import { nodeDefaultHttpPolicy } from '../../src/http/policy.js';
import { openOfflineAgent } from '../../src/replay/offline-agent.js';
import { readEmbeddedHistory } from '../../src/replay/embedded-history.js';
import { Replayer, type HandlingReport } from '../../src/replay/replayer.js';
import { TEST_ENGINE_CACHE } from '../support/engine-cache.js';
import { example } from '../support/examples.js';
import { startGatewayNode, upperCaseServer, type GatewayNode } from '../http/gateway-node.js';
import type { TestServer } from '../http/support.js';

const REQUESTS = 30;
let gateway: GatewayNode;
let server: TestServer;
const bodies: string[] = [];

before(async () => {
  server = await upperCaseServer(bodies);
  gateway = await startGatewayNode('caxton-replay-http-');
});

after(async () => {
  await gateway?.stop();
  await server?.close();
});

test('an agent that calls HTTP replays with nothing differing: the same calls under the same ids, the same answers handled', async () => {
  const policy = { ...nodeDefaultHttpPolicy(), allow: [{ host: 'localhost', ports: [server.port], allowPrivate: true }] };
  await gateway.node.control.deploy(
    { name: 'lookup', limits: {}, config: { 'service-url': `http://localhost:${server.port}/shout` }, http: policy },
    await example('js-http-agent'),
  );
  for (let i = 0; i < REQUESTS; i++)
    await gateway.node.control.send({
      performative: 'request',
      receivers: [{ name: 'lookup' }],
      content: `call ${i}`,
      replyWith: `r${i}`,
      conversationId: `c${i}`,
    });
  const deadline = Date.now() + 60_000;
  while (gateway.toOperator.filter((m) => m.performative === 'inform').length < REQUESTS) {
    assert.ok(Date.now() < deadline, `${gateway.toOperator.length} of ${REQUESTS} answers`);
    await new Promise((r) => setTimeout(r, 25));
  }

  const agent = await openOfflineAgent(gateway.dataDir, 'lookup');
  // An answer leaves before its handling's completion is durable: wait until the log holds every handling.
  const logged = async (): Promise<number> => {
    let n = 0;
    for await (const e of readEmbeddedHistory(agent.logDir, 'lookup')) if (e.kind === 'handled') n++;
    return n;
  };
  while ((await logged()) < 2 * REQUESTS) {
    assert.ok(Date.now() < deadline, 'every handling durable in the log');
    await new Promise((r) => setTimeout(r, 50));
  }
  const replayer = new Replayer({
    engine: new Engine({ cacheDir: TEST_ENGINE_CACHE }),
    deployment: agent.deployment,
    identity: agent.identity,
    component: await agent.component(),
    servicesByType: agent.servicesByType,
    localAgents: agent.localAgents,
  });
  const reports: HandlingReport[] = [];
  const calls = new Set<string>();
  const events = readEmbeddedHistory(agent.logDir, 'lookup');
  for await (const r of replayer.run(
    (async function* () {
      for await (const e of events) {
        // The pending-call records the recorded handlings committed: what the comparison checks the replay's calls against.
        if (e.kind === 'handled')
          for (const w of e.state) if (w.key.startsWith(httpPendingStateKey('')) && w.value !== null) calls.add(w.key);
        yield e;
      }
    })(),
  ))
    reports.push(r);
  replayer.close();
  const summary = replayer.summaryOf();
  assert.equal(calls.size, REQUESTS, 'every request made one recorded call');
  assert.equal(summary.replayed, 2 * REQUESTS, 'each request and each answer from http@caxton');
  assert.deepEqual(
    reports.filter((r) => r.differences.length > 0),
    [],
  );
  assert.equal(bodies.length, REQUESTS, 'the replay called nothing');
});
