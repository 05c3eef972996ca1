/**
 * Preparing a component cannot freeze the node. Preparation runs in a worker with a deadline and a
 * heap cap, one at a time, and type checks are linear: a type bomb (a chain of `tuple<t, t>` types
 * whose written-out form doubles every 5 bytes) is refused in milliseconds while the main thread
 * keeps ticking; a preparation past its deadline or its memory is stopped with a typed error naming
 * the limit and the flag that raises it; an oversized component is refused before it is read.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Engine } from '../src/engine.js';
import { PrepareQueue } from '../src/artifact/prepare-worker.js';
import { asProbe, jsProbe } from './fixtures/build.js';
import { tempDirRemovedAtExit } from './fixtures/temp-dir.js';

const freshCache = (): string => tempDirRemovedAtExit('caxton-prepare-test-');

async function typeBomb(levels: number): Promise<Uint8Array> {
  const jco = await import('@bytecodealliance/jco');
  let types = '(type $t0 (tuple u8 u8))';
  for (let i = 1; i <= levels; i++) types += ` (type $t${i} (tuple $t${i - 1} $t${i - 1}))`;
  return jco.parse(
    `(component (import "caxton:agent/host@0.1.0" (instance ${types} (export "send" (func (param "message" $t${levels}))))))`,
  );
}

/** Counts 5 ms ticks of the main thread's event loop while `fn` runs. */
async function countTicks<T>(fn: () => Promise<T>): Promise<{ value: T | Error; ticks: number; ms: number }> {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 5);
  const t0 = performance.now();
  const value = await fn().catch((e: Error) => e);
  clearInterval(timer);
  return { value, ticks, ms: performance.now() - t0 };
}

/**
 * Runs `fn` while counting the main thread's ticks, then counts them again over a quiet stretch of
 * the same length (at most half a second): `kept` says whether the loop ticked during `fn` at least
 * a quarter as often as when it has nothing else to do. A preparation on the main thread would
 * stop the ticks outright; a machine shared with other work slows both counts alike (at a load of
 * 30 on two cores a 5 ms timer fires a few times in 200 ms, whatever runs beside it).
 */
async function whileTicking<T>(
  fn: () => Promise<T>,
): Promise<{ value: T | Error; ticks: number; ms: number; kept: boolean; quiet: string }> {
  const { value, ticks, ms } = await countTicks(fn);
  const quietMs = Math.min(Math.max(ms, 50), 500);
  const quiet = await countTicks(() => new Promise((r) => setTimeout(r, quietMs)));
  // Whole ticks: a call shorter than the ticks it is owed in quarters owes none.
  const kept = ticks >= Math.floor(((quiet.ticks / quiet.ms) * ms) / 4);
  return { value, ticks, ms, kept, quiet: `${quiet.ticks} in ${Math.round(quiet.ms)} ms when idle` };
}

describe('preparing hostile components', () => {
  it('refuses a type bomb quickly with a short message, the main thread ticking meanwhile', async () => {
    for (const levels of [40, 400]) {
      const bytes = await typeBomb(levels);
      assert.ok(bytes.length < 3_000, `a ${bytes.length}-byte component`);
      const { value, ms } = await countTicks(() => new Engine({ cacheDir: freshCache() }).loadArtifact(bytes));
      assert.ok(value instanceof Error, 'refused');
      assert.equal((value as Error & { code: string }).code, 'sandbox.artifact.wrong-world');
      assert.ok((value as Error).message.length < 2_000, `a short message (${(value as Error).message.length} characters)`);
      assert.ok(ms < 30_000, `within the test's patience (${Math.round(ms)} ms); 2^${levels} written-out types would never end`);
    }
  });

  it('stops a preparation past its deadline, naming the flag; the main thread never stalls', async () => {
    const bytes = await jsProbe();
    const { value, ticks, ms, kept, quiet } = await whileTicking(() =>
      new Engine({ cacheDir: freshCache(), prepareDeadlineMs: 150 }).loadArtifact(bytes),
    );
    const err = value as Error & { code?: string; hint?: string };
    assert.equal(err.code, 'sandbox.artifact.prepare-timeout');
    assert.match(err.hint ?? '', /--prepare-timeout-s/);
    assert.ok(kept, `the event loop kept running: ${ticks} ticks in ${Math.round(ms)} ms (${quiet})`);
  });

  it('stops a preparation past its heap cap, naming the flag', async () => {
    const err = await new Engine({ cacheDir: freshCache(), prepareMaxHeapMb: 16 }).loadArtifact(await jsProbe()).then(
      () => undefined,
      (e: Error & { code?: string; hint?: string }) => e,
    );
    assert.equal(err?.code, 'sandbox.artifact.too-complex');
    assert.match(err?.hint ?? '', /--prepare-heap-mib/);
  });

  it('refuses a component over the size cap before reading it', async () => {
    const small = new Engine({ cacheDir: freshCache(), maxComponentBytes: 1_000 });
    const err = await small.loadArtifact(await asProbe()).then(
      () => undefined,
      (e: Error & { code?: string; hint?: string }) => e,
    );
    assert.equal(err?.code, 'sandbox.artifact.too-large');
    assert.match(err?.hint ?? '', /--max-artifact-mib/);
    const huge = new Uint8Array(64 * 1024 * 1024 + 1);
    const big = await new Engine({ cacheDir: freshCache() }).loadArtifact(huge).then(
      () => undefined,
      (e: Error & { code?: string }) => e,
    );
    assert.equal(big?.code, 'sandbox.artifact.too-large', 'the default cap is 64 MiB');
  });

  it('refuses instance, module, type and function bombs as each count is read, naming the limit and its flag', async () => {
    const jco = await import('@bytecodealliance/jco');
    const bombs: [string, string, Partial<Record<string, number>>][] = [
      ['instances', `(component ${'(instance) '.repeat(5_000)})`, {}],
      ['coreModules', `(component ${'(core module) '.repeat(65)})`, {}],
      ['components', `(component ${'(component) '.repeat(65)})`, {}],
      ['coreInstances', `(component (core module $m) ${'(core instance (instantiate $m)) '.repeat(5_000)})`, {}],
      ['types', `(component ${'(type (tuple u8 u8)) '.repeat(70_000)})`, {}],
      ['functions', `(component (core module ${'(func) '.repeat(200)}))`, { functions: 100 }],
    ];
    for (const [limit, wat, limits] of bombs) {
      const bytes = await jco.parse(wat);
      const { value, ticks, ms, kept, quiet } = await whileTicking(() =>
        new Engine({ cacheDir: freshCache(), componentLimits: limits }).loadArtifact(bytes),
      );
      const err = value as Error & { code?: string; hint?: string; context?: Record<string, unknown> };
      assert.equal(err.code, 'sandbox.artifact.over-limit', `${limit}: ${err.message}`);
      assert.equal(err.context?.['limit'], limit);
      assert.match(err.hint ?? '', new RegExp(`--component-limit ${limit}=`));
      assert.ok(kept, `${limit}: the event loop kept running (${ticks} ticks in ${Math.round(ms)} ms; ${quiet})`);
    }
  });

  it('32 MiB of empty sections is walked in a small heap, not held as 16 million section objects', async () => {
    const bytes = new Uint8Array(32 * 1024 * 1024);
    bytes.set([0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00]);
    const err = await new Engine({ cacheDir: freshCache(), prepareMaxHeapMb: 64 }).loadArtifact(bytes).then(
      () => undefined,
      (e: Error & { code?: string }) => e,
    );
    assert.equal(err?.code, 'sandbox.artifact.wrong-world', `refused for what it is, not for the heap it took: ${err?.message}`);
  });

  it('raising a count cap lets the same component through to the next check', async () => {
    const jco = await import('@bytecodealliance/jco');
    const bytes = await jco.parse(`(component ${'(instance) '.repeat(5_000)})`);
    const err = await new Engine({ cacheDir: freshCache(), componentLimits: { instances: 10_000 } }).loadArtifact(bytes).then(
      () => undefined,
      (e: Error & { code?: string }) => e,
    );
    assert.equal(err?.code, 'sandbox.artifact.wrong-world', 'past the cap, it is refused for not being an agent');
  });

  it('still prepares genuine components on both paths', async () => {
    const engine = new Engine({ cacheDir: freshCache() });
    assert.equal((await engine.loadArtifact(await asProbe())).manifest.path, 'direct');
    assert.equal((await engine.loadArtifact(await jsProbe())).manifest.path, 'jco');
  });
});

describe('PrepareQueue', () => {
  it('runs one preparation at a time, in arrival order', async () => {
    const q = new PrepareQueue(1);
    const order: string[] = [];
    let running = 0;
    let most = 0;
    const job = (name: string, ms: number) =>
      q.run(async () => {
        running++;
        most = Math.max(most, running);
        order.push(`start ${name}`);
        await new Promise((r) => setTimeout(r, ms));
        order.push(`end ${name}`);
        running--;
        return name;
      });
    const results = await Promise.all([job('a', 30), job('b', 5), job('c', 1)]);
    assert.deepEqual(results, ['a', 'b', 'c']);
    assert.equal(most, 1);
    assert.deepEqual(order, ['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  });
});
