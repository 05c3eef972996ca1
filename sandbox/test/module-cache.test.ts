/**
 * The module cache (decision 2126): a core module instrumented for one artifact is reused for any
 * other artifact holding the same bytes, and what it hands out is byte for byte what instrumenting
 * them cold gives; an entry that is truncated, corrupt or filed under another module's name is
 * ignored and rebuilt.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { instrumentHere, type InstrumentedOrReused } from '../src/artifact/instrument-worker.js';
import { MODULE_CACHE_DIR, ModuleCache } from '../src/artifact/module-cache.js';
import { sha256 } from '../src/artifact/digest.js';
import { Engine } from '../src/engine.js';
import { asProbe } from './fixtures/build.js';

const ENGINE_KEY = 'test-engine-key';
const dirs: string[] = [];
function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'caxton-module-cache-test-'));
  dirs.push(dir);
  return dir;
}
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

let loop: Uint8Array;
let shared: Uint8Array;
let other: Uint8Array;
let catcher: Uint8Array;
before(async () => {
  const { parse } = await import('@bytecodealliance/jco');
  loop = await parse(`(module (memory 1)
    (func (export "spin") (param $n i32) (local $i i32)
      (loop $l (local.set $i (i32.add (local.get $i) (i32.const 1))) (br_if $l (i32.lt_u (local.get $i) (local.get $n)))))
    (data (i32.const 16) "loop"))`);
  shared = await parse(`(module (import "env" "f" (func $f))
    (func (export "calls") (param $n i32) (local $i i32)
      (loop $l (call $f) (local.set $i (i32.add (local.get $i) (i32.const 1))) (br_if $l (i32.lt_u (local.get $i) (local.get $n))))))`);
  other = await parse(`(module (memory 1) (func (export "one") (result i32) (i32.const 1)) (data (i32.const 8) "other"))`);
  const binaryen = (await import('binaryen')).default;
  const mod = binaryen.parseText(`(module (import "env" "f" (func $f)) (func (export "c") (try (do (call $f)) (catch_all))))`);
  mod.setFeatures(binaryen.Features.All);
  catcher = mod.emitBinary();
  mod.dispose();
});

const withCache = (dir: string) => ({ tableCap: 1000, moduleCache: { dir, engineKey: ENGINE_KEY } });
const cold = (modules: Uint8Array[]) => instrumentHere(modules, { tableCap: 1000 });
const strip = (ms: InstrumentedOrReused[]) => ms.map(({ reused: _reused, ...m }) => ({ ...m, bytes: Buffer.from(m.bytes) }));
const reusedOf = (ms: InstrumentedOrReused[]) => ms.map((m) => m.reused);

describe('the module cache', () => {
  it('reuses a module instrumented for another artifact, byte for byte what a cold run gives', async () => {
    const dir = freshDir();
    const reference = await cold([other, shared]);
    assert.deepEqual(reusedOf(await instrumentHere([loop, shared], withCache(dir))), [false, false]);
    const second = await instrumentHere([other, shared], withCache(dir));
    assert.deepEqual(reusedOf(second), [false, true], 'the shared module comes from the cache, the other one is instrumented');
    assert.deepEqual(strip(second), strip(reference));
    assert.deepEqual(reusedOf(await instrumentHere([other, shared], withCache(dir))), [true, true]);
  });

  it('keys by whether the artifact can catch: the same module with a catcher beside it is instrumented again', async () => {
    const dir = freshDir();
    await instrumentHere([loop, shared], withCache(dir));
    const withCatcher = await instrumentHere([catcher, shared], withCache(dir));
    assert.deepEqual(reusedOf(withCatcher), [false, false]);
    assert.deepEqual(strip(withCatcher), strip(await cold([catcher, shared])));
    assert.equal(withCatcher[1]!.fuel.debtModeFunctions, 0, 'the catcher takes debt mode away, as without the cache');
  });

  it('ignores and rebuilds an entry that is truncated, altered or filed under another module', async () => {
    const dir = freshDir();
    const reference = strip(await cold([shared]));
    await instrumentHere([shared], withCache(dir));
    const cache = new ModuleCache(dir, ENGINE_KEY);
    const entry = cache.entryPath({ kind: 'instrumented', module: sha256(shared), catches: false });
    const sound = readFileSync(entry);

    const spoilings: [string, Buffer][] = [
      ['truncated', sound.subarray(0, sound.length - 7)],
      ['empty', Buffer.alloc(0)],
      ['a flipped body byte', Buffer.from(sound.map((b, i) => (i === sound.length - 3 ? b ^ 0xff : b)))],
    ];
    await instrumentHere([other], withCache(dir));
    const otherEntry = readFileSync(cache.entryPath({ kind: 'instrumented', module: sha256(other), catches: false }));
    spoilings.push(["another module's sound entry", otherEntry]);
    for (const [how, bytes] of spoilings) {
      writeFileSync(entry, bytes);
      const again = await instrumentHere([shared], withCache(dir));
      assert.deepEqual(reusedOf(again), [false], `${how}: not used`);
      assert.deepEqual(strip(again), reference, `${how}: the module is instrumented again`);
      assert.deepEqual(readFileSync(entry), sound, `${how}: the entry is rewritten`);
    }
    assert.deepEqual(reusedOf(await instrumentHere([shared], withCache(dir))), [true]);
    assert.equal(
      new ModuleCache(dir, 'another-engine-key').readInstrumented(sha256(shared), false),
      null,
      'an entry of other engine settings is not found',
    );
  });

  it('is used by the engine: an artifact sharing a module with one prepared before reuses it, and the results match a cold engine', async () => {
    const a = await asProbe();
    // The same component with a custom section added: another digest, the same core module.
    const name = new TextEncoder().encode('caxton-test');
    const b = new Uint8Array([...a, 0, name.length + 1 + 2, name.length, ...name, 1, 2]);
    const warm = new Engine({ cacheDir: freshDir() });
    const first = await warm.loadArtifact(a);
    const second = await warm.loadArtifact(b);
    assert.notEqual(first.digest, second.digest);
    assert.ok(
      first.manifest.modules.every((m) => !m.reused),
      'the first artifact instruments its module',
    );
    assert.ok(
      second.manifest.modules.every((m) => m.reused === true),
      'the second takes it from the module cache',
    );
    assert.ok(readdirSync(join(warm.cacheDir, MODULE_CACHE_DIR)).length > 0);

    const fresh = new Engine({ cacheDir: freshDir() });
    const coldB = await fresh.loadArtifact(b);
    const files = (e: Engine, digest: string, m: { file: string }) => readFileSync(join(e.cacheDir, `${digest}-${e.cacheKey}`, m.file));
    assert.deepEqual(
      second.manifest.modules.map((m) => files(warm, second.digest, m)),
      coldB.manifest.modules.map((m) => files(fresh, coldB.digest, m)),
    );
  });
});
