/**
 * `caxton replay` of a cluster's agents (issue 57), reading the cluster's Kafka topics and etcd as
 * they are, beside two `caxton serve --kafka … --etcd …` nodes: a small run of the recorded-run
 * traffic (test/support/recorded-run.ts: a durable counter, a timer counter, the contract net and an
 * HTTP-calling agent, placed where the cluster puts them); the replay runs each agent's recorded
 * version on every recorded handling with nothing differing (sends, state writes, timers, the clock
 * each read), and with another version shows exactly what it does otherwise. It writes nothing: the topics' end offsets and the group's
 * committed offsets are the same after it. `caxton upgrade --replay` judges a new version on the
 * same history, read by the owner node from Kafka.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import kafkajs from 'kafkajs';
import type { CaxtonClient } from '@caxton/runtime';
import { servers, uniqueCluster, type Servers } from './support/servers.js';
import { NodeProcess, startAll, withNodeLogs } from './support/node-process.js';
import { waitFor } from './support/cluster.js';
import { caxtonRun, replayCluster } from './support/replay-cli.js';
import { CAXTON_BIN, ROOT, example } from './support/paths.js';
import { deployRun, runDone, sendRun, shoutService, type RunShape } from '../support/recorded-run.js';
import { wasmFeatureNodeFlags } from '@caxton/sandbox';

/** The run the replays read (test/support/recorded-run.ts): small, each kind of traffic there. */
const RUN: RunShape = { counted: 120, ticks: 20, parcels: 5, calls: 10 };
const { counted: COUNTED, ticks: TICKS, parcels: PARCELS } = RUN;

interface Summary {
  type: 'summary';
  recorded: number;
  replayed: number;
  diverged: number;
  crashed: number;
  differedReadingClock: number;
  history?: { compactedGaps: number; fencedRecords: number; pendingDeliveries: number };
}
interface Handling {
  type: 'handling';
  clockReads: number;
  clockRecorded?: boolean;
  work: { kind: string };
  differences: { what: string; recorded: unknown; replayed: unknown }[];
}

let infra: Servers;
let cluster: string;
const nodes: NodeProcess[] = [];
let client: CaxtonClient;
let service: Awaited<ReturnType<typeof shoutService>>;

async function replay(args: string[]): Promise<{ code: number; handlings: Handling[]; summary: Summary; text: string }> {
  const { code, stdout, stderr } = await replayCluster(infra, cluster, args);
  const lines = stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Handling | Summary);
  // What a failure needs: the handlings that differ (the first few), the summary, stderr.
  const differing = lines.filter((l) => l.type === 'handling' && l.differences.length > 0).slice(0, 6);
  const text = `exit ${code}\n--- differing\n${differing.map((l) => JSON.stringify(l)).join('\n')}\n--- last\n${stdout.slice(-1500)}\n--- stderr\n${stderr.slice(-4000)}`;
  const summary = lines.find((l): l is Summary => l.type === 'summary');
  assert.ok(summary, text);
  return { code, handlings: lines.filter((l): l is Handling => l.type === 'handling'), summary, text };
}

/** The end offsets of the cluster's topics and the bus group's committed offsets: what a writer would move. */
async function offsets(): Promise<string> {
  const kafka = new kafkajs.Kafka({ clientId: 'replay-test', brokers: [infra.kafka], logLevel: kafkajs.logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const out: string[] = [];
    for (const topic of ['deliveries', 'dead-letters', 'state'].map((t) => `caxton.${cluster}.${t}`)) {
      const ends = await admin.fetchTopicOffsets(topic).catch(() => []);
      out.push(`${topic} ${ends.map((p) => `${p.partition}:${p.high}`).join(',')}`);
    }
    const group = await admin.fetchOffsets({ groupId: `caxton.${cluster}.bus`, topics: [`caxton.${cluster}.deliveries`] });
    out.push(`group ${group.flatMap((t) => t.partitions.map((p) => `${p.partition}:${p.offset}`)).join(',')}`);
    // The replay reads through groups of its own (deleted at its end): none may be left behind.
    const left = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(`caxton.${cluster}.bus.replay`));
    out.push(`replay groups ${left.join(',')}`);
    return out.join('\n');
  } finally {
    await admin.disconnect();
  }
}

before(async () => {
  infra = await servers();
  cluster = uniqueCluster('replay');
  for (const id of ['n1', 'n2']) nodes.push(NodeProcess.cli({ id, kafka: infra.kafka, etcd: infra.etcd, cluster: { name: cluster } }));
  await startAll(nodes);
  client = await nodes[0]!.client();
  service = await shoutService();
  await withNodeLogs(nodes, async () => {
    await deployRun(client, service.port);
    await sendRun(client, RUN);
  });
  let seen = '';
  const clients = await Promise.all(nodes.map((n) => n.client()));
  await waitFor(
    'the whole run handled',
    async () => {
      const r = await runDone(clients, RUN);
      seen = r.seen;
      return r.done;
    },
    150_000,
  ).catch((e: unknown) => {
    throw new Error(`${(e as Error).message} (last seen: ${seen}; n1 stderr: ${nodes[0]!.stderr.slice(-3000)})`);
  });
});

after(async () => {
  await Promise.allSettled(nodes.map((n) => n.stop(15_000)));
  await Promise.allSettled(nodes.map((n) => rm(n.spec.dataDir, { recursive: true, force: true })));
  await infra?.stop();
  await service?.close();
});

describe('caxton replay of a cluster, from its Kafka topics', { timeout: 300_000 }, () => {
  it('replays the recorded versions with nothing differing', async () => {
    const counter = await replay(['counter']);
    assert.equal(counter.code, 0, counter.text);
    assert.equal(counter.summary.replayed, COUNTED, counter.text);
    assert.equal(counter.summary.diverged, 0, counter.text);

    const ticker = await replay(['ticker']);
    assert.equal(ticker.code, 0, ticker.text);
    assert.equal(ticker.summary.replayed, 2 * TICKS, `each request and each firing\n${ticker.text}`);
    assert.equal(ticker.handlings.filter((h) => h.work.kind === 'timer').length, TICKS, ticker.text);
    assert.equal(ticker.summary.diverged, 0, ticker.text);

    // The broker writes no state and reads the clock for each call's reply-by: its commit carries
    // the time (a marker with the caxton-tx header), so the replay's first read returns it.
    const broker = await replay(['broker', '--all']);
    assert.ok(broker.summary.replayed >= PARCELS * 4, broker.text);
    assert.ok(
      broker.handlings.some((h) => h.clockReads > 0 && h.clockRecorded === true),
      `the broker read the clock and its time was recorded\n${broker.text}`,
    );
    assert.equal(broker.summary.diverged, 0, broker.text);
    const contractor = await replay(['c1']);
    assert.ok(contractor.summary.replayed >= PARCELS, contractor.text);
    assert.equal(contractor.summary.diverged, 0, contractor.text);
  });

  it('with another version shows what it does otherwise: the same replies, none of the state writes', async () => {
    const r = await replay(['counter', '--with', example('as-counter', 'as-counter.wasm')]);
    assert.equal(r.code, 1, r.text);
    assert.equal(r.summary.replayed, COUNTED, r.text);
    assert.equal(r.summary.diverged, COUNTED, r.text);
    for (const h of r.handlings)
      assert.deepEqual(
        h.differences.map((d) => d.what),
        ['state'],
        JSON.stringify(h),
      );
    assert.deepEqual(r.handlings[2]!.differences[0]!.recorded, { count: '3' });
  });

  it('exports a history from the cluster and replays it from the file alone', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'caxton-cluster-export-'));
    try {
      const file = path.join(dir, 'counter.caxton-replay');
      const written = await caxtonRun([
        'replay',
        'counter',
        '--kafka',
        infra.kafka,
        '--etcd',
        infra.etcd,
        '--cluster',
        cluster,
        '--export',
        file,
      ]);
      assert.equal(written.code, 0, written.stderr);
      assert.match(written.stdout, /exported \d+ recorded events of counter/);
      const { stdout } = await caxtonRun(['replay', 'counter', '--input', file, '--json']);
      const summary = JSON.parse(stdout.trim().split('\n').at(-1)!) as Summary;
      assert.equal(summary.replayed, COUNTED);
      assert.equal(summary.diverged, 0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('upgrade --replay in a cluster: a version that traps is refused and the recorded one keeps running; one that does what was recorded replaces it', async () => {
    const upgrade = (component: string, via: NodeProcess) =>
      caxtonRun(['upgrade', 'counter', component, '--replay', '1000', '--addr', via.address]);
    // Through the node that does not own it: the upgrade reaches the owner, whose gate reads Kafka.
    const refused = await upgrade(example('hostile/as-unreachable', 'hostile-as-unreachable.wasm'), nodes[1]!);
    assert.equal(refused.code, 6, `${refused.stdout}\n${refused.stderr}`);
    assert.match(refused.stderr, new RegExp(`refused by its replay: of ${COUNTED} recorded handlings, ${COUNTED} crashed`));
    assert.match(refused.stderr, /version 1 keeps running/);
    assert.equal((await client.listAgents()).find((a) => a.name === 'counter')?.version, 1);

    const accepted = await upgrade(example('as-state-counter', 'as-state-counter.wasm'), nodes[0]!);
    assert.equal(accepted.code, 0, `${accepted.stdout}\n${accepted.stderr}`);
    await waitFor(
      'version 2 of the counter to run',
      async () => (await client.listAgents()).find((a) => a.name === 'counter')?.version === 2,
      30_000,
    );
    await client.send({ structured: { performative: 'request', receivers: [{ name: 'counter' }], content: '+1' } });
    await waitFor('version 2 to count on', async () => (await client.getState('counter', 'count'))?.value === String(COUNTED + 1), 30_000);
  });

  it('with every node stopped, a replay still reads the history, and writes nothing to Kafka', async () => {
    // Stopped first: a running cluster writes on its own (deadline timers, sweeps), which would hide a write of the replay's.
    await Promise.all(nodes.map((n) => n.stop(15_000)));
    const before = await offsets();
    // Version 2 (the same component, upgraded above) handled the last one: the deployment now names it.
    const counter = await replay(['counter']);
    assert.equal(counter.code, 0, counter.text);
    assert.equal(counter.summary.replayed, COUNTED + 1, counter.text);
    assert.equal(counter.summary.diverged, 0, counter.text);
    assert.equal(await offsets(), before, 'no record produced, no offset committed and no group left by the replay');
  });

  it('a replay killed with SIGKILL mid-run leaves the topics and the bus group as they were', async () => {
    // The nodes are stopped (the test above): nothing else writes. Killed at its fifth handling (a
    // fault point), its reader mid-topic, its sandbox running; its own group is left to the broker.
    const before = await offsets();
    // Its own temporary files (the prepare cache it makes) go where this test removes them: a killed process removes nothing.
    const tmp = await mkdtemp(path.join(tmpdir(), 'caxton-replay-killed-'));
    const killed = await new Promise<{ signal: NodeJS.Signals | null; stdout: string }>((resolve) => {
      const child = spawn(
        process.execPath,
        [
          ...wasmFeatureNodeFlags(),
          CAXTON_BIN,
          'replay',
          'counter',
          '--all',
          '--json',
          '--kafka',
          infra.kafka,
          '--etcd',
          infra.etcd,
          '--cluster',
          cluster,
        ],
        { cwd: ROOT, env: { ...process.env, TMPDIR: tmp, CAXTON_FAULT_POINT: 'replay-handled:5' }, stdio: ['ignore', 'pipe', 'ignore'] },
      );
      let stdout = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.on('exit', (_code, signal) => resolve({ signal, stdout }));
    });
    await rm(tmp, { recursive: true, force: true });
    assert.equal(killed.signal, 'SIGKILL', killed.stdout.slice(-2000));
    assert.ok(!killed.stdout.includes('"type":"summary"'), 'it never finished');
    // Its group (which committed nothing) is the one thing it may leave: the topics' ends and the bus group's offsets are unchanged.
    const bare = (text: string): string => text.replace(/^replay groups.*$/m, '');
    assert.equal(bare(await offsets()), bare(before));
  });

  it('an agent the cluster does not run: refused, saying which', async () => {
    const none = await caxtonRun(['replay', 'nobody', '--kafka', infra.kafka, '--etcd', infra.etcd, '--cluster', cluster]);
    assert.notEqual(none.code, 0);
    assert.match(none.stderr, /no agent nobody is deployed in cluster/);
  });
});
