/**
 * Encrypted, authenticated cluster traffic (issue 14, decision 1404), against real servers: a Kafka
 * whose only client listener is SASL_SSL (TLS with client certificates required, a SCRAM-SHA-256
 * user) and an etcd serving TLS only, requiring client certificates, with authentication enabled.
 * The certificates are made here with openssl (scripts/infra/certs.mjs). Three `caxton serve`
 * processes, run as an operator runs them, form a cluster over those links and carry a contract
 * net across nodes; the same cluster refuses to start with a wrong password or a wrong CA, saying
 * which link and what to check; and plaintext beyond loopback is refused unless --insecure-cluster.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CaxtonClient, StreamHandle } from '@caxton/runtime';
import type { MessageEvent } from '@caxton/core';
import type * as Infra from '../../scripts/infra/index.d.mts';
import { uniqueCluster, TEST_KAFKA_HEAP } from './support/servers.js';
import { NodeProcess, startAll } from './support/node-process.js';
import { deployAll, groupSettled, placement, waitFor } from './support/cluster.js';
import { CAXTON_BIN, INFRA, ROOT, example } from './support/paths.js';

const CONTRACTOR = (): Uint8Array => readFileSync(example('contract-net/as-contractor', 'cnet-contractor.wasm'));
const INITIATOR = (): Uint8Array => readFileSync(example('contract-net/js-initiator', 'cnet-initiator.wasm'));
const COURIERS = Array.from({ length: 6 }, (_, i) => `courier-${i}`);
const local = (name: string | undefined): string => (name ?? '').replace(/@caxton$/, '');

let dir = '';
let pki: Infra.TestPki;
let otherPki: Infra.TestPki;
let kafka: Infra.KafkaHandle;
let etcd: Infra.EtcdHandle;
const files = { kafkaPassword: '', etcdPassword: '', wrongPassword: '' };
const nodes: NodeProcess[] = [];
const tails: StreamHandle[] = [];

/** Every flag a node needs to reach the secured servers, with the given CA and password files. */
function securityFlags(o: { ca?: string; kafkaPassword?: string; etcdPassword?: string } = {}): string[] {
  return [
    '--kafka-ca',
    o.ca ?? pki.caFile,
    '--kafka-cert',
    pki.client.certFile,
    '--kafka-key',
    pki.client.keyFile,
    '--kafka-sasl-mechanism',
    'scram-sha-256',
    '--kafka-sasl-username',
    'caxton',
    '--kafka-sasl-password-file',
    o.kafkaPassword ?? files.kafkaPassword,
    '--etcd-ca',
    o.ca ?? pki.caFile,
    '--etcd-cert',
    pki.client.certFile,
    '--etcd-key',
    pki.client.keyFile,
    '--etcd-username',
    'caxton',
    '--etcd-password-file',
    o.etcdPassword ?? files.etcdPassword,
  ];
}

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'caxton-secure-cluster-'));
  const api = (await import(pathToFileURL(INFRA).href)) as typeof Infra;
  pki = await api.makeTestPki(path.join(dir, 'pki'));
  otherPki = await api.makeTestPki(path.join(dir, 'other-pki'));
  files.kafkaPassword = path.join(dir, 'kafka-password');
  files.etcdPassword = path.join(dir, 'etcd-password');
  files.wrongPassword = path.join(dir, 'wrong-password');
  await writeFile(files.kafkaPassword, 'kafka-secret-1\n', { mode: 0o600 });
  await writeFile(files.etcdPassword, 'etcd-secret-1\n', { mode: 0o600 });
  await writeFile(files.wrongPassword, 'not-the-password\n', { mode: 0o600 });
  [kafka, etcd] = await Promise.all([
    api.startKafka({
      heap: TEST_KAFKA_HEAP,
      security: {
        pki,
        requireClientCert: true,
        scram: { mechanism: 'SCRAM-SHA-256', users: [{ name: 'caxton', password: 'kafka-secret-1' }] },
      },
    }),
    api.startEtcd({ security: { pki, requireClientCert: true, users: [{ name: 'caxton', password: 'etcd-secret-1' }] } }),
  ]);
});

after(async () => {
  for (const t of tails) t.cancel();
  await Promise.allSettled(nodes.map((n) => n.stop(15_000)));
  await Promise.allSettled([kafka?.stop({ graceMs: 5000 }), etcd?.stop()]);
  await rm(dir, { recursive: true, force: true });
});

/** `caxton serve` that is expected to refuse to start: its exit code and what it said. */
async function serveRefused(
  extra: string[],
  kafkaAddr = kafka.bootstrap,
  etcdAddr = etcd.endpoint,
): Promise<{ code: number | null; stderr: string }> {
  const t0 = Date.now();
  const child = spawn(
    process.execPath,
    [
      CAXTON_BIN,
      'serve',
      '--no-auth',
      '--api-port',
      '0',
      '--data-dir',
      path.join(dir, `refused-${t0}`),
      '--node-id',
      'r1',
      '--kafka',
      kafkaAddr,
      '--etcd',
      etcdAddr,
      '--cluster',
      uniqueCluster('refused'),
      ...extra,
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  clearTimeout(timer);
  return { code, stderr };
}

test('three nodes over SASL_SSL Kafka and TLS etcd with auth form a cluster and carry a contract net across nodes', {
  timeout: 240_000,
}, async (t) => {
  assert.match(etcd.endpoint, /^https:\/\//);
  const cluster = { name: uniqueCluster('secure') };
  for (const id of ['n1', 'n2', 'n3'])
    nodes.push(NodeProcess.cli({ id, kafka: kafka.bootstrap, etcd: etcd.endpoint, cluster }, securityFlags()));
  await startAll(nodes);
  // Serving is not joined: a late join or re-join of the consumer group moves partitions (their
  // mail waits, and a handling may run twice), so nothing is sent before each node consumes its own.
  await groupSettled(nodes, 90_000);
  const clients: CaxtonClient[] = [];
  const seen: MessageEvent[] = [];
  for (const n of nodes) {
    const c = await n.client();
    clients.push(c);
    const tail = c.tail({}, (e) => seen.push(e));
    tails.push(tail);
  }
  await deployAll(clients, COURIERS, CONTRACTOR());
  // The broker decides once every courier answered, or at the deadline: a long deadline costs nothing
  // when all answer, and over SASL_SSL a loaded machine took past 4 s to bring a courier on a fresh
  // node its first message (3 and 5 of 6 proposals in two of three runs beside 39 other files).
  await clients[1]!.deploy({ name: 'broker', config: { 'service-type': 'delivery', 'deadline-ms': '20000' } }, INITIATOR());
  await waitFor('every agent to be placed', async () => (await placement(clients[0]!)).size === COURIERS.length + 1, 60_000);
  const placed = await placement(clients[2]!);
  t.diagnostic(`placement: ${[...placed].map(([a, n]) => `${a}@${n}`).join(' ')}`);
  assert.ok(new Set(placed.values()).size >= 2, 'the agents spread over more than one node');
  // The broker calls for proposals from the couriers its node's directory lists when the request
  // comes: every courier's registration must have reached that node first (a run's broker, answered
  // by the 4 it called, decided without the other two; contract-net.test.ts waits the same way).
  const brokerClient = clients[nodes.findIndex((n) => n.id === placed.get('broker'))]!;
  await waitFor(
    "every courier in the broker's node's directory",
    async () => (await brokerClient.searchDirectory({ serviceType: 'delivery' })).length === COURIERS.length,
    30_000,
  );

  await clients[2]!.send({
    structured: {
      performative: 'request',
      receivers: [{ name: 'broker' }],
      content: 'parcel 9',
      protocol: 'fipa-request',
      conversationId: 'parcel-9',
      replyWith: 'parcel-9-req',
    },
  });
  const result = await waitFor(
    'the contract net to finish',
    () =>
      seen.find(
        (e) =>
          local(e.message.sender?.name) === 'broker' &&
          e.message.performative === 'inform' &&
          e.message.receivers.some((r) => local(r.name) === 'operator'),
      ),
    90_000,
  );
  assert.match(result.message.content ?? '', /done: parcel 9 by courier-\d@caxton/);
  // Each proposal is streamed by the tail of the node that accepted it: a tail may be a moment behind the broker's.
  const proposersNow = (): Set<string | undefined> =>
    new Set(seen.filter((e) => e.message.performative === 'propose').map((e) => local(e.message.sender?.name)));
  await waitFor("every node's tail to stream its proposals", () => proposersNow().size >= COURIERS.length, 10_000).catch(() => undefined);
  assert.equal(proposersNow().size, COURIERS.length, 'every courier, whichever node runs it, answered the cfp');

  const status = await clients[0]!.status();
  const storage = status.storage.map((s) => `${s.role}:${s.location}`).join('\n');
  assert.match(storage, /bus:.*\(TLS, SASL scram-sha-256 as caxton;/);
  assert.match(storage, /registry:https:\/\/127\.0\.0\.1:\d+ \(TLS, user caxton;/);
});

test('a wrong Kafka SCRAM password: the node refuses to start and says it was the Kafka credentials', { timeout: 60_000 }, async () => {
  const r = await serveRefused(securityFlags({ kafkaPassword: files.wrongPassword }));
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /Kafka at 127\.0\.0\.1:\d+ refused the SASL credentials of user caxton/);
  assert.match(r.stderr, /--kafka-sasl-username/);
});

test('a wrong etcd password: the node refuses to start and says it was the etcd credentials', { timeout: 60_000 }, async () => {
  const r = await serveRefused(securityFlags({ etcdPassword: files.wrongPassword }));
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /etcd at https:\/\/127\.0\.0\.1:\d+ refused the credentials of user caxton/);
  assert.match(r.stderr, /--etcd-username/);
});

test('no etcd credentials where etcd requires them: refused, naming the missing user', { timeout: 60_000 }, async () => {
  const flags = securityFlags();
  const i = flags.indexOf('--etcd-username');
  flags.splice(i, 4); // --etcd-username caxton --etcd-password-file <file>
  const r = await serveRefused(flags);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /etcd at https:\/\/127\.0\.0\.1:\d+ denied an unauthenticated client/);
  assert.match(r.stderr, /pass --etcd-username/);
});

test("a CA that did not sign the servers' certificates: refused as a TLS failure, naming the CA flag", { timeout: 60_000 }, async () => {
  const r = await serveRefused(securityFlags({ ca: otherPki.caFile }));
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /TLS with (Kafka|etcd) at .* failed/);
  assert.match(r.stderr, /--(kafka|etcd)-ca/);
});

test('plaintext cluster links beyond loopback are refused before anything is contacted, unless --insecure-cluster', {
  timeout: 60_000,
}, async () => {
  // 192.0.2.0/24 is TEST-NET-1: never routed, so nothing is contacted even if the check failed open.
  const r = await serveRefused([], '192.0.2.10:9092', 'http://192.0.2.11:2379');
  assert.equal(r.code, 1, r.stderr);
  assert.match(
    r.stderr,
    /refusing to join a cluster in plaintext beyond this machine: kafka at 192\.0\.2\.10:9092 without tls or authentication; etcd at http:\/\/192\.0\.2\.11:2379 without tls or authentication/,
  );
  assert.match(r.stderr, /--insecure-cluster/);
  // Refused by the check, not by a failed connection: an attempt on TEST-NET would end in an
  // unreachable/timeout error instead (no wall-clock bound here: a loaded machine starts slowly).
  assert.doesNotMatch(r.stderr, /unreachable|timed out|ETIMEDOUT|ECONNREFUSED/i);
});
