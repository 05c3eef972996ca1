/**
 * Authenticated records on the Kafka log (issue 61, decision 2185): nodes started by
 * `caxton serve --cluster-record-key-file` sign every record they produce and check every record
 * they read. A record injected into the cluster's topics with kafkajs, outside any node — what a
 * client with broker access or a compromised broker could write — is refused: a delivery is not
 * handled, shows in the dead letters with the reason and in the audit trail; a forged state record
 * never becomes the agent's state. Rotation, step by step: [old] beside [old, new], then [new, old]
 * beside [old, new], traffic both ways, nothing refused.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import kafkajs from 'kafkajs';
import { Etcd3 } from 'etcd3';
import { partitionFor, type CaxtonClient, type StreamHandle } from '@caxton/runtime';
import { decodeSignedCheckpoint, encodeAclJson, type AuditRecord, type MessageEvent } from '@caxton/core';
import { servers, uniqueCluster, type Servers } from './support/servers.js';
import { NodeProcess, startAll } from './support/node-process.js';
import { PROBE, placement, waitFor } from './support/cluster.js';
import { auditThrough } from './support/audit-cli.js';

let infra: Servers | undefined;
let keyDir = '';
const nodes: NodeProcess[] = [];
const secret = (): string => randomBytes(32).toString('base64');
const OLD = `old ${secret()}`;
const NEW = `new ${secret()}`;

before(async () => {
  infra = await servers();
  keyDir = await mkdtemp(path.join(tmpdir(), 'caxton-record-keys-'));
});

after(async () => {
  for (const t of streams) t.cancel();
  await Promise.allSettled(nodes.map((n) => n.stop(15_000)));
  await Promise.allSettled(nodes.map((n) => rm(n.spec.dataDir, { recursive: true, force: true })));
  await rm(keyDir, { recursive: true, force: true });
  await infra?.stop();
});

async function keyFile(name: string, lines: string[]): Promise<string> {
  const file = path.join(keyDir, name);
  await writeFile(file, `# record keys: the first signs, all verify\n${lines.join('\n')}\n`, { mode: 0o600 });
  return file;
}

function serve(id: string, cluster: string, file: string, dataDir?: string): NodeProcess {
  const spec = { id, kafka: infra!.kafka, etcd: infra!.etcd, cluster: { name: cluster } };
  const node = NodeProcess.cli(dataDir === undefined ? spec : { ...spec, dataDir }, ['--cluster-record-key-file', file]);
  nodes.push(node);
  return node;
}

const streams: StreamHandle[] = [];

/** Every message each node's tail streams (the probes' informs to `operator` among them). */
async function tails(clients: CaxtonClient[]): Promise<MessageEvent[]> {
  const seen: MessageEvent[] = [];
  for (const c of clients) {
    const tail = c.tail({}, (e) => seen.push(e));
    streams.push(tail);
    await tail.ready;
  }
  return seen;
}

const request = (agent: string, content: string) => ({
  structured: { performative: 'request' as const, receivers: [{ name: agent }], content },
});
/** The probe's reports of requests whose content starts with `prefix`: `<content>|<node>|<instance>|<n>|<now>[|<count>]`. */
const reports = (seen: MessageEvent[], prefix: string): string[] =>
  seen
    .filter((e) => e.message.performative === 'inform' && (e.message.content ?? '').startsWith(`${prefix}|`))
    .map((e) => e.message.content!);

async function auditRecords(node: NodeProcess): Promise<AuditRecord[]> {
  const listed = await auditThrough(node, ['--json']);
  assert.equal(listed.code, 0, listed.stderr);
  return listed.stdout
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as AuditRecord);
}

function producerOf(): { kafka: kafkajs.Kafka; close: () => Promise<void>; producer: kafkajs.Producer } {
  const kafka = new kafkajs.Kafka({ clientId: 'outsider', brokers: [infra!.kafka], logLevel: kafkajs.logLevel.NOTHING });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  return { kafka, producer, close: () => producer.disconnect() };
}

test('a delivery and a state record injected with kafkajs outside the nodes are refused: not handled, dead-lettered with the reason, audited; signed traffic works', {
  timeout: 240_000,
}, async () => {
  const cluster = uniqueCluster('signed');
  const file = await keyFile('k1', [OLD]);
  const [n1, n2] = [serve('n1', cluster, file), serve('n2', cluster, file)];
  await startAll([n1, n2]);
  assert.doesNotMatch(n1.stderr, /NOT authenticated/, 'no unsigned-records warning with a key');
  const [c1, c2] = [await n1.client(), await n2.client()];
  const seen = await tails([c1, c2]);
  const agent = 'counted';
  await c1.deploy({ name: agent, config: { state: '1' } }, PROBE());
  await waitFor('the probe to be placed', async () => (await placement(c1)).has(agent), 60_000);
  await c2.send(request(agent, 'good-1'));
  const first = await waitFor('the first signed request handled', () => reports(seen, 'good-1')[0], 60_000);
  assert.equal(first.split('|')[5], '1', 'its durable count');

  const out = producerOf();
  await out.producer.connect();
  try {
    const topic = `caxton.${cluster}.deliveries`;
    const admin = out.kafka.admin();
    await admin.connect();
    const partitions = (await admin.fetchTopicMetadata({ topics: [topic] }).finally(() => admin.disconnect())).topics[0]!.partitions.length;
    // A version-1 delivery (JSON value, envelope in headers), as kcat could write it: well formed, unsigned.
    const forged = { performative: 'request' as const, sender: { name: 'mallory' }, receivers: [{ name: agent }], content: 'forged-1' };
    const [sent] = await out.producer.send({
      topic,
      messages: [
        {
          key: agent,
          partition: partitionFor(agent, partitions),
          value: encodeAclJson(forged),
          headers: {
            'caxton-v': '1',
            'caxton-delivery-id': 'forged-d1',
            'caxton-message-id': 'forged-m1',
            'caxton-accepted-at': String(Date.now()),
          },
        },
      ],
    });
    // A state record of the probe's durable count, 999, in the state layout (v1 entry: 0x01 · UTF-8).
    const [stateSent] = await out.producer.send({
      topic: `caxton.${cluster}.state`,
      messages: [
        {
          key: `${agent}\u0000count`,
          partition: partitionFor(agent, partitions),
          value: Buffer.concat([Buffer.from([1]), Buffer.from('999')]),
        },
      ],
    });
    const where = `${topic}/${sent!.partition}@${sent!.baseOffset}`;
    const stateWhere = `caxton.${cluster}.state/${stateSent!.partition}@${stateSent!.baseOffset}`;
    // The two refusals, each audited under its place: waited for by name, so the count below is
    // read after the owner's state reader passed (and refused) the forged record.
    const refusalsOf = async (): Promise<Map<string, AuditRecord>> =>
      new Map((await auditRecords(n2)).filter((r) => r.method === 'ConsumeRecord').map((r) => [r.peer, r]));
    const stateRefusal = await waitFor('the state record refused', async () => (await refusalsOf()).get(`kafka ${stateWhere}`), 60_000);
    // Anchored (decision 1750) as every change is: with no operator call since the forgery, only the
    // refusal's own append can have moved the anchor of the node that wrote it past it.
    const etcd = new Etcd3({ hosts: infra!.etcd });
    try {
      const anchorKey = `/caxton/${cluster}/store/audit/anchors/${stateRefusal.node}`;
      await waitFor(
        `the anchor of ${stateRefusal.node} covering the refusal (record ${stateRefusal.index})`,
        async () => {
          const text = await etcd.get(anchorKey).string();
          return text !== null && decodeSignedCheckpoint(text).checkpoint.index >= stateRefusal.index ? true : undefined;
        },
        30_000,
      );
    } finally {
      etcd.close();
    }

    const letter = await waitFor(
      'the injected delivery in the dead letters',
      async () => (await c1.listDeadLetters({ agent })).find((l) => l.delivery.id === `kafka:${where}`),
      60_000,
    );
    assert.match(letter.reason, /^log\.record-unauthenticated: no caxton-mac header$/);
    assert.equal(letter.delivery.message.content, 'forged-1', 'the letter holds what was injected, for the operator to read');
    assert.notEqual(letter.delivery.id, 'forged-d1', 'not under the id it claims');

    // Signed traffic goes on: the next request, appended after the forgery to the same partition,
    // is handled; the forged one, before it in that partition, never was. The count is the
    // authenticated one (2), not the forged 999 + 1.
    await c1.send(request(agent, 'good-2'));
    const second = await waitFor('the second signed request handled', () => reports(seen, 'good-2')[0], 60_000);
    assert.equal(second.split('|')[5], '2', 'the forged state record did not become the durable count');
    assert.deepEqual(reports(seen, 'forged-1'), [], 'the injected request was never handled');

    const refusals = await waitFor(
      'the delivery refusal in the audit trail',
      async () => {
        const found = await refusalsOf();
        return found.has(`kafka ${where}`) ? found : undefined;
      },
      60_000,
    );
    const delivery = refusals.get(`kafka ${where}`)!;
    assert.equal(delivery.kind === undefined && delivery.result.error, 'log.record-unauthenticated');
    assert.equal(delivery.kind === undefined && delivery.result.code, 'UNAUTHENTICATED');
    assert.equal(delivery.kind === undefined && delivery.args.fields.deadLettered, 'true');
    const state = refusals.get(`kafka ${stateWhere}`)!;
    assert.equal(state.kind === undefined && state.result.error, 'log.record-unauthenticated');
    assert.equal(state.kind === undefined && state.args.fields.deadLettered, 'false');
  } finally {
    await out.close();
  }
});

/**
 * Settles a rotation step: an unsigned delivery and an unsigned state record injected, after the
 * traffic, into each of `partitions`; once every one of them is refused (audited under its place),
 * each partition's records before it have been checked — so the nodes' refusals are then exactly
 * these (`injected`: this step's and the earlier steps'), or the step refused something it should
 * have accepted.
 */
async function settleRefusingOnly(cluster: string, node: NodeProcess, partitions: number[], injected: Set<string>): Promise<void> {
  const out = producerOf();
  await out.producer.connect();
  const now = new Set<string>();
  try {
    for (const partition of new Set(partitions)) {
      for (const [topic, value] of [
        [`caxton.${cluster}.deliveries`, Buffer.from('settle')],
        [`caxton.${cluster}.state`, Buffer.concat([Buffer.from([1]), Buffer.from('settle')])],
      ] as const) {
        const [sent] = await out.producer.send({ topic, messages: [{ key: `settle\u0000${partition}`, value, partition }] });
        now.add(`kafka ${topic}/${sent!.partition}@${sent!.baseOffset}`);
      }
    }
  } finally {
    await out.close();
  }
  const refused = await waitFor(
    'the injected records refused',
    async () => {
      const found = (await auditRecords(node)).filter((r) => r.method === 'ConsumeRecord');
      const peers = found.map((r) => r.peer);
      return [...now].every((w) => peers.includes(w)) ? found : undefined;
    },
    60_000,
  );
  for (const w of now) injected.add(w);
  assert.deepEqual(
    refused.filter((r) => !injected.has(r.peer)).map((r) => `${r.peer} by ${r.node}: ${r.kind === undefined ? r.args.fields.reason : ''}`),
    [],
    'nothing the nodes signed was refused',
  );
}

async function partitionCount(cluster: string): Promise<number> {
  const admin = producerOf().kafka.admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicMetadata({ topics: [`caxton.${cluster}.deliveries`] })).topics[0]!.partitions.length;
  } finally {
    await admin.disconnect();
  }
}

test('rotation, step by step: [old] with [old, new], then [new, old] with [old, new]; traffic both ways, nothing refused', {
  timeout: 360_000,
}, async () => {
  const cluster = uniqueCluster('rotate');
  // Step 1: the new key added second on one node (it still signs with old).
  let a = serve('a', cluster, await keyFile('old-only', [OLD]));
  const b = serve('b', cluster, await keyFile('old-then-new', [OLD, NEW]));
  await startAll([a, b]);
  let [ca, cb] = [await a.client(), await b.client()];
  let seen = await tails([ca, cb]);
  const names = Array.from({ length: 6 }, (_, i) => `rot-${i}`);
  for (const name of names) await ca.deploy({ name, config: { state: '1' } }, PROBE());
  const placedOn = async (): Promise<{ onA: string; onB: string }> =>
    waitFor(
      'a probe on each node',
      async () => {
        const p = await placement(ca);
        const onA = names.find((n) => p.get(n) === 'a');
        const onB = names.find((n) => p.get(n) === 'b');
        return names.every((n) => p.has(n)) && onA !== undefined && onB !== undefined ? { onA, onB } : undefined;
      },
      60_000,
    );
  const partitions = await partitionCount(cluster);
  /** Each node sends to the probe on the other (and on itself): appended by one, consumed and its state written by the other. */
  const traffic = async (step: string, onA: string, onB: string): Promise<void> => {
    const sends: [CaxtonClient, string, string][] = [
      [ca, onB, `${step}-a-to-b`],
      [cb, onA, `${step}-b-to-a`],
      [ca, onA, `${step}-a-to-a`],
      [cb, onB, `${step}-b-to-b`],
    ];
    for (const [client, agent, content] of sends) await client.send(request(agent, content));
    for (const [, , content] of sends) await waitFor(`${content} handled`, () => reports(seen, content)[0], 60_000);
  };
  let { onA, onB } = await placedOn();
  await traffic('step1', onA, onB);
  const injected = new Set<string>();
  await settleRefusingOnly(
    cluster,
    b,
    [onA, onB].map((n) => partitionFor(n, partitions)),
    injected,
  );

  // Step 2 (every node verifies new now): a moves new first — it signs with new, b still with old.
  await a.stop(15_000);
  a = serve('a', cluster, await keyFile('new-then-old', [NEW, OLD]), a.spec.dataDir);
  await startAll([a]);
  ca = await a.client();
  cb = await b.client();
  seen = await tails([ca, cb]);
  ({ onA, onB } = await placedOn());
  await traffic('step2', onA, onB);
  await settleRefusingOnly(
    cluster,
    a,
    [onA, onB].map((n) => partitionFor(n, partitions)),
    injected,
  );
});
