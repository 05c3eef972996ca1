import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { EmbeddedRegistry } from '../../src/registry/embedded/embedded-registry.js';
import { encodeFrame } from '../../src/registry/embedded/framing.js';
import { isRegistryError } from '../../src/registry/errors.js';
import type { RegistryEvent } from '../../src/storage/records.js';
import { agentRecord, description, service } from './fixtures.js';
import { eventually, sleep, tempDir } from './helpers/tmp.js';

let root: { path: string; remove: () => Promise<void> };
let n = 0;
const freshDir = () => join(root.path, `r${n++}`);

before(async () => {
  root = await tempDir('embedded-registry');
});
after(async () => {
  await root.remove();
});

async function opened(dir: string, opts: { compactAfterBytes?: number } = {}): Promise<EmbeddedRegistry> {
  const r = new EmbeddedRegistry({ dir, ...opts });
  await r.open();
  return r;
}

test('agents and DF entries survive close and reopen', async () => {
  const dir = freshDir();
  const r = await opened(dir);
  await r.putAgent(agentRecord('a@p'));
  await r.putAgent(agentRecord('b@p'));
  await r.putAgent(agentRecord('a@p', 2));
  await r.deleteAgent('b@p');
  await r.registerDf(description('a@p', [service('echo', 'echo', { protocols: ['fipa-request'] })]));
  await r.close();

  const again = await opened(dir);
  assert.deepEqual(await again.listAgents(), [agentRecord('a@p', 2)]);
  assert.equal(await again.getAgent('b@p'), undefined);
  const hits = await again.searchDf({ serviceType: 'echo', protocols: ['fipa-request'] });
  assert.deepEqual(
    hits.map((d) => d.name.name),
    ['a@p'],
  );
  assert.equal(again.recovery?.replayedMutations, 5);
  assert.equal(again.recovery?.droppedBytes, 0);
  await again.close();
});

test('a torn final journal write is dropped on open and the journal stays usable', async () => {
  const dir = freshDir();
  const r = await opened(dir);
  await r.putAgent(agentRecord('kept@p'));
  await r.close();
  const journal = join(dir, 'journal-0.log');
  const goodSize = (await stat(journal)).size;
  // What a crash mid-write leaves: the first part of a frame that was never acknowledged.
  const frame = encodeFrame(Buffer.from(JSON.stringify([{ op: 'agent-put', agent: agentRecord('lost@p') }])));
  await appendFile(journal, frame.subarray(0, frame.length - 7));

  const again = await opened(dir);
  assert.equal(again.recovery?.droppedBytes, frame.length - 7);
  assert.deepEqual(
    (await again.listAgents()).map((a) => a.name),
    ['kept@p'],
  );
  assert.equal((await stat(journal)).size, goodSize, 'tail truncated on disk');
  await again.putAgent(agentRecord('after@p'));
  await again.close();

  const third = await opened(dir);
  assert.equal(third.recovery?.droppedBytes, 0);
  assert.deepEqual(
    (await third.listAgents()).map((a) => a.name),
    ['after@p', 'kept@p'],
  );
  await third.close();
});

test('damage in the middle of the journal refuses to open with registry.corrupt', async () => {
  const dir = freshDir();
  const r = await opened(dir);
  await r.putAgent(agentRecord('one@p'));
  await r.putAgent(agentRecord('two@p'));
  await r.close();
  const journal = join(dir, 'journal-0.log');
  const bytes = await readFile(journal);
  bytes[12] = bytes[12]! ^ 0x20; // inside the first frame's payload
  await writeFile(journal, bytes);
  const broken = new EmbeddedRegistry({ dir });
  await assert.rejects(broken.open(), (e) => isRegistryError(e, 'registry.corrupt') && /byte 0/.test(e.message) && e.hint !== undefined);
});

test('compaction snapshots the state, starts a new journal generation and deletes the old one', async () => {
  const dir = freshDir();
  const r = await opened(dir, { compactAfterBytes: 2048 });
  for (let i = 0; i < 60; i++) await r.putAgent(agentRecord(`agent-${String(i).padStart(2, '0')}@p`, i + 1));
  for (let i = 0; i < 60; i += 2) await r.deleteAgent(`agent-${String(i).padStart(2, '0')}@p`);
  await r.registerDf(description('agent-01@p', [service('s', 't')]));
  await r.close();
  const files = await readdir(dir);
  const journals = files.filter((f) => f.startsWith('journal-'));
  assert.equal(journals.length, 1, `one journal left: ${files.join(',')}`);
  assert.notEqual(journals[0], 'journal-0.log');
  assert.ok(files.includes('snapshot'));

  const again = await opened(dir);
  assert.ok(again.recovery!.generation > 0);
  const names = (await again.listAgents()).map((a) => a.name);
  assert.equal(names.length, 30);
  assert.ok(names.every((name) => Number(name.slice(6, 8)) % 2 === 1));
  assert.equal((await again.getAgent('agent-59@p'))?.version, 60);
  assert.equal((await again.searchDf({ serviceType: 't' })).length, 1);
  await again.close();
});

test('concurrent writers share fsyncs and every acknowledged write is durable', async () => {
  const dir = freshDir();
  const r = await opened(dir);
  await Promise.all(Array.from({ length: 200 }, (_, i) => r.putAgent(agentRecord(`c${i}@p`))));
  await r.close();
  const again = await opened(dir);
  assert.equal((await again.listAgents()).length, 200);
  assert.ok(again.recovery!.replayedMutations === 200);
  await again.close();
});

test('acknowledged writes survive the process being killed mid-stream', async () => {
  const dir = freshDir();
  const moduleUrl = new URL('../../src/registry/embedded/embedded-registry.js', import.meta.url).href;
  const fixturesUrl = new URL('./fixtures.js', import.meta.url).href;
  const script = `
    const { EmbeddedRegistry } = await import(${JSON.stringify(moduleUrl)});
    const { agentRecord } = await import(${JSON.stringify(fixturesUrl)});
    const r = new EmbeddedRegistry({ dir: ${JSON.stringify(dir)}, compactAfterBytes: 8192 });
    await r.open();
    for (let i = 0; ; i++) {
      await r.putAgent(agentRecord('k' + i + '@p'));
      process.stdout.write('acked k' + i + '@p\\n');
    }`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  await eventually(() => out.split('\n').length > 150, 20_000, 'child to ack 150 writes');
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  const acked = out
    .split('\n')
    .filter((l) => l.startsWith('acked '))
    .map((l) => l.slice(6));

  const again = await opened(dir);
  const names = new Set((await again.listAgents()).map((a) => a.name));
  for (const name of acked) assert.ok(names.has(name), `acknowledged ${name} must survive`);
  assert.ok(again.recovery!.generation > 0, 'the child compacted at least once');
  await again.close();
});

test('DF: register twice is already-registered, modify replaces, deregister of unknown is not-registered', async () => {
  const r = await opened(freshDir());
  const events: RegistryEvent[] = [];
  r.watch((e) => events.push(e));
  await r.registerDf(description('seller@p', [service('sell', 'books')]));
  await assert.rejects(r.registerDf(description('seller@p', [service('sell', 'music')])), (e) =>
    isRegistryError(e, 'df.already-registered'),
  );
  await assert.rejects(r.modifyDf(description('ghost@p', [])), (e) => isRegistryError(e, 'df.not-registered'));
  await r.modifyDf(description('seller@p', [service('sell', 'music')]));
  assert.deepEqual((await r.searchDf({ serviceType: 'books' })).length, 0);
  assert.deepEqual(
    (await r.searchDf({ serviceType: 'music' })).map((d) => d.name.name),
    ['seller@p'],
  );
  await r.deregisterDf('seller@p');
  await assert.rejects(r.deregisterDf('seller@p'), (e) => isRegistryError(e, 'df.not-registered'));
  assert.deepEqual(
    events.map((e) => (e.kind === 'service-changed' ? `${e.agentName}:${e.description?.services[0]?.type ?? '-'}` : e.kind)),
    ['seller@p:books', 'seller@p:music', 'seller@p:-'],
  );
  await r.close();
});

test('DF leases: an expired registration is not found, may be registered again, and is removed with an event', async () => {
  const dir = freshDir();
  const r = await opened(dir);
  const gone: string[] = [];
  r.watch((e) => {
    if (e.kind === 'service-changed' && e.description === undefined) gone.push(e.agentName);
  });
  await r.registerDf(description('short@p', [service('s', 't')], { leaseUntil: Date.now() + 300 }));
  await r.registerDf(description('long@p', [service('s', 't')], { leaseUntil: Date.now() + 60_000 }));
  assert.equal((await r.searchDf({ serviceType: 't' })).length, 2);
  await eventually(() => gone.includes('short@p'), 5_000, 'lease expiry event');
  assert.deepEqual(
    (await r.searchDf({ serviceType: 't' })).map((d) => d.name.name),
    ['long@p'],
  );
  await assert.rejects(r.deregisterDf('short@p'), (e) => isRegistryError(e, 'df.not-registered'));
  await r.registerDf(description('short@p', [service('s', 't')], { leaseUntil: Date.now() + 200 }));
  await r.close();
  await sleep(300);
  // The lease ran out while closed: gone on reopen too.
  const again = await opened(dir);
  assert.deepEqual(
    (await again.searchDf({})).map((d) => d.name.name),
    ['long@p'],
  );
  await again.close();
});

test('invalid records are refused with registry.invalid; use after close is registry.not-open', async () => {
  const r = await opened(freshDir());
  await assert.rejects(r.putAgent({ ...agentRecord('x@p'), artifactDigest: 'nothex' }), (e) => isRegistryError(e, 'registry.invalid'));
  await assert.rejects(r.registerDf(description('x@p', [], { leaseUntil: Date.now() - 1 })), (e) => isRegistryError(e, 'registry.invalid'));
  await r.close();
  await assert.rejects(r.listAgents(), (e) => isRegistryError(e, 'registry.not-open'));
});

test('embedded membership: one node, node-up/down events, lost when the registry closes', async () => {
  const r = await opened(freshDir());
  const events: string[] = [];
  r.watch((e) => events.push(e.kind === 'node-up' ? `up:${e.node.id}` : e.kind === 'node-down' ? `down:${e.id}` : e.kind));
  const m = await r.joinCluster({ id: 'n1', address: '127.0.0.1:7000' }, 5);
  await assert.rejects(r.joinCluster({ id: 'n1', address: 'x' }, 5), (e) => isRegistryError(e, 'cluster.node-id-taken'));
  assert.deepEqual(
    (await r.listNodes()).map((x) => x.id),
    ['n1'],
  );
  assert.ok(m.alive && m.validUntil > Date.now() + 1e9);
  const lost: string[] = [];
  m.onLost((e) => lost.push(e.code));
  await r.close();
  assert.deepEqual(lost, ['cluster.membership-lost']);
  assert.equal(m.alive, false);
  assert.deepEqual(events, ['up:n1', 'down:n1']);
});

test('timers: persisted across reopen and compaction, kept per agent, removed one by one or all at once', async () => {
  const dir = freshDir();
  const r = await opened(dir, { compactAfterBytes: 2048 });
  await r.putTimer({ agent: 'a', id: 't2', token: 'second', dueAt: 2000 });
  await r.putTimer({ agent: 'a', id: 't1', token: 'first', dueAt: 1000 });
  await r.putTimer({ agent: 'ab', id: 't1', token: 'other agent', dueAt: 1500 });
  await r.putTimer({ agent: 'gone', id: 'x', token: 'undeployed', dueAt: 1 });
  await r.deleteTimers('gone');
  await r.deleteTimer('a', 'unknown'); // idempotent
  // Enough agent writes to compact the journal into a snapshot: timers must be in it.
  for (let i = 0; i < 40; i++) await r.putAgent(agentRecord(`filler-${i}@p`));
  await r.close();

  const again = await opened(dir);
  assert.ok((again.recovery?.generation ?? 0) > 0, 'the journal was compacted');
  assert.deepEqual(
    (await again.listTimers('a')).map((t) => [t.id, t.token, t.dueAt]),
    [
      ['t1', 'first', 1000],
      ['t2', 'second', 2000],
    ],
  );
  assert.deepEqual(
    (await again.listTimers('ab')).map((t) => t.token),
    ['other agent'],
  );
  assert.deepEqual(await again.listTimers('gone'), []);
  await again.deleteTimer('a', 't1');
  await again.close();
  const third = await opened(dir);
  assert.deepEqual(
    (await third.listTimers('a')).map((t) => t.id),
    ['t2'],
  );
  await assert.rejects(
    third.putTimer({ agent: 'a', id: 'bad/id', token: '', dueAt: 1 }),
    (e: unknown) => isRegistryError(e) && e.code === 'registry.invalid',
  );
  await assert.rejects(
    third.putTimer({ agent: 'a', id: 'ok', token: '', dueAt: -5 }),
    (e: unknown) => isRegistryError(e) && e.code === 'registry.invalid',
  );
  await third.close();
});
