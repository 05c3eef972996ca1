/**
 * The scripts that give `npm test` its real servers: the failure modes that once hung or broke a
 * CI run. A cluster id must never read as an option to kafka-storage; a pair of servers whose
 * second half fails to start must not leave the first one running (its handle would keep the test
 * process alive forever).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { readdir, readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import type * as Infra from '../../scripts/infra/index.d.mts';
import { INFRA } from '../cluster/support/paths.js';

const infra = (): Promise<typeof Infra> => import(pathToFileURL(INFRA).href) as Promise<typeof Infra>;

test('cluster ids are 22 URL-safe base64 characters and never start with "-"', async () => {
  const { clusterId } = await infra();
  const seen = new Set<string>();
  // 1 in 64 raw ids starts with '-': 20,000 draws would contain ~300 of them without the check.
  for (let i = 0; i < 20_000; i++) {
    const id = clusterId();
    assert.match(id, /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
    seen.add(id);
  }
  assert.equal(seen.size, 20_000, 'ids are random');
});

function listenOnFreePort(): Promise<net.Server> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => resolve(server));
  });
}

/** Command lines of this process's live children (Linux /proc). */
async function childCommands(): Promise<string[]> {
  const tasks = await readdir(`/proc/${process.pid}/task`);
  const pids = (await Promise.all(tasks.map((t) => readFile(`/proc/${process.pid}/task/${t}/children`, 'utf8').catch(() => '')))).flatMap(
    (s) => s.split(' ').filter(Boolean),
  );
  return Promise.all(
    pids.map((pid) =>
      readFile(`/proc/${pid}/cmdline`, 'utf8').then(
        (c) => c.split('\0').join(' '),
        () => '',
      ),
    ),
  );
}

test('when Kafka cannot start, the etcd started beside it is stopped and the error names the cause', async () => {
  const { startEtcdAndKafka } = await infra();
  const busy = await listenOnFreePort();
  const kafkaPort = (busy.address() as net.AddressInfo).port;
  try {
    await assert.rejects(startEtcdAndKafka({ kafka: { port: kafkaPort } }), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'infra.kafka.port-in-use');
      assert.match(e.message, new RegExp(String(kafkaPort)));
      return true;
    });
    // Checked at once and again after etcd would have had time to come up: a pair that rejected
    // early while its etcd was still starting would leave one behind a moment later.
    for (const wait of [0, 2000]) {
      await new Promise((r) => setTimeout(r, wait));
      const left = (await childCommands()).filter((c) => c.includes('etcd'));
      assert.deepEqual(left, [], `no etcd left running ${wait} ms after the error`);
    }
  } finally {
    busy.close();
  }
});

test("ports handed to test servers come from below the kernel's ephemeral range, where no client's source port can take them", async () => {
  const { freePort, ephemeralLow } = await infra();
  const low = ephemeralLow();
  for (let i = 0; i < 50; i++) {
    const port = await freePort();
    assert.ok(port >= 10_000 && port < low, `port ${port} below ${low}`);
  }
});

test('a restarted server waits for its own port to come free instead of failing at once', { timeout: 120_000 }, async () => {
  const { startEtcd } = await infra();
  const etcd = await startEtcd();
  try {
    await etcd.stop({ keepData: true });
    // Something holds the client port for a moment after the stop (in CI: a client's socket).
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(etcd.clientPort, '127.0.0.1', resolve));
    const freed = new Promise<void>((resolve) => setTimeout(() => holder.close(() => resolve()), 1_500));
    await etcd.start();
    await freed;
    const res = await fetch(`${etcd.endpoint}/health`);
    assert.equal(res.status, 200, 'etcd serves on its own port again');
  } finally {
    await etcd.stop();
  }
});

test('product processes run on the current Node LTS unless CAXTON_NODE=machine asks for this Node', { timeout: 300_000 }, async () => {
  const { productNode, NODE_LTS_VERSION } = await infra();
  const notes: string[] = [];
  const saved = process.env['CAXTON_NODE'];
  try {
    process.env['CAXTON_NODE'] = 'machine';
    assert.deepEqual(await productNode((l) => notes.push(l)), { node: process.execPath, version: process.versions.node, lts: false });
    delete process.env['CAXTON_NODE'];
    const chosen = await productNode((l) => notes.push(l));
    if (notes.length > 0) {
      // The LTS could not be had here (another platform): the machine's Node, and a note saying why.
      assert.equal(chosen.node, process.execPath);
      assert.match(notes[0]!, /not Node/);
      return;
    }
    assert.equal(chosen.lts, true);
    const major = (v: string): number => Number(v.split('.')[0]);
    assert.equal(chosen.version, major(process.versions.node) >= major(NODE_LTS_VERSION) ? process.versions.node : NODE_LTS_VERSION);
    const { execFileSync } = await import('node:child_process');
    assert.equal(execFileSync(chosen.node, ['--version'], { encoding: 'utf8' }).trim(), `v${chosen.version}`);
  } finally {
    if (saved === undefined) delete process.env['CAXTON_NODE'];
    else process.env['CAXTON_NODE'] = saved;
  }
});

test('a process stopped by a signal while its server runs leaves no data dir behind', { timeout: 120_000 }, async () => {
  // What a test file stopped at the run's deadline does (decision 2128: it left caxton-etcd-* dirs).
  const script = `const { startEtcd } = await import(${JSON.stringify(pathToFileURL(INFRA).href)});
    const etcd = await startEtcd();
    console.log(JSON.stringify({ dataDir: etcd.dataDir }));
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let out = '';
  const started = await new Promise<{ dataDir: string }>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line !== undefined && out.includes('\n')) resolve(JSON.parse(line) as { dataDir: string });
    });
    child.on('exit', () => reject(new Error(`the child exited before its server started: ${out}`)));
  });
  assert.equal(existsSync(started.dataDir), true, 'the server runs on its temp data dir');
  child.kill('SIGTERM');
  assert.equal(await exited, 143);
  assert.equal(existsSync(started.dataDir), false, 'the data dir was removed at exit');
});
