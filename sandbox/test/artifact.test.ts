/**
 * Engine.loadArtifact: refusals with clear typed errors, the two binding paths, and the on-disk
 * cache (the expensive steps run once per artifact).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Engine } from '../src/engine.js';
import { ArtifactError } from '../src/errors.js';
import { asProbe, buildAsCore, jsProbe, otherWorldComponents } from './fixtures/build.js';
import { testEngine } from './helpers.js';

async function refusal(engine: Engine, bytes: Uint8Array): Promise<ArtifactError> {
  try {
    await engine.loadArtifact(bytes);
  } catch (err) {
    assert.ok(err instanceof ArtifactError, `expected an ArtifactError, got ${String(err)}`);
    assert.ok(err.hint && err.hint.length > 20, 'every refusal carries a hint');
    assert.equal(typeof err.context['digest'], 'string');
    return err;
  }
  assert.fail('the artifact was accepted');
}

describe('Engine.loadArtifact refuses what is not an agent', () => {
  const engine = testEngine();

  it('refuses garbage bytes as not WebAssembly', async () => {
    const err = await refusal(engine, new TextEncoder().encode('#!/bin/sh\nrm -rf /\n'));
    assert.equal(err.code, 'sandbox.artifact.not-wasm');
    assert.match(err.message, /not WebAssembly/);
  });

  it('refuses a truncated component as malformed', async () => {
    const bytes = await asProbe();
    const err = await refusal(engine, bytes.subarray(0, 300));
    assert.equal(err.code, 'sandbox.artifact.invalid');
    assert.match(err.message, /malformed/);
  });

  it('refuses a core module and says how to make a component', async () => {
    const err = await refusal(engine, await buildAsCore('probe'));
    assert.equal(err.code, 'sandbox.artifact.core-module');
    assert.match(err.message, /core WebAssembly module/);
    assert.match(err.hint!, /jco new/);
  });

  it('refuses a component of another world, naming the missing export and the foreign one', async () => {
    const { otherWorld } = await otherWorldComponents();
    const err = await refusal(engine, otherWorld);
    assert.equal(err.code, 'sandbox.artifact.wrong-world');
    assert.match(err.message, /caxton:agent\/guest@0\.1\.0 is not exported/);
    const issues = err.context['issues'] as { subject: string }[];
    assert.ok(issues.some((i) => i.subject === 'caxton:agent/guest@0.1.0'));
  });

  it('refuses a component whose handle has the wrong type, quoting both types', async () => {
    const { wrongTypes } = await otherWorldComponents();
    const err = await refusal(engine, wrongTypes);
    assert.equal(err.code, 'sandbox.artifact.wrong-world');
    assert.match(err.message, /caxton:agent\/guest@0\.1\.0#handle has type func\(message: string\)/);
    assert.match(err.message, /the contract says func\(message: record\{performative/);
  });

  it('refuses a component built for another version of the contract', async () => {
    const { oldVersion } = await otherWorldComponents();
    const err = await refusal(engine, oldVersion);
    assert.equal(err.code, 'sandbox.artifact.wrong-world');
    assert.match(err.message, /caxton:agent\/host@0\.2\.0 is version 0\.2\.0; this runtime implements caxton:agent@0\.1\.0/);
  });
});

describe('Engine.loadArtifact prepares agents once', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'caxton-artifact-test-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('binds a single-module AssemblyScript component directly and caches it on disk', async () => {
    const bytes = await asProbe();
    const cold = new Engine({ cacheDir: dir });
    const a = await cold.loadArtifact(bytes);
    assert.equal(a.manifest.path, 'direct');
    assert.equal(a.manifest.stringEncoding, 'utf16');
    assert.equal(a.modules.length, 1);
    assert.ok(a.manifest.modules[0]!.fuel.chargePoints > 0);
    assert.deepEqual(
      a.manifest.modules[0]!.memories.map((m) => m.field),
      ['memory0'],
    );
    assert.equal(await cold.loadArtifact(bytes), a, 'the same process reuses the compiled artifact');

    // A second engine (another process, say) finds the prepared entry: no decode/instrument again.
    const warm = new Engine({ cacheDir: dir });
    const b = await warm.loadArtifact(bytes);
    assert.equal(b.manifest.createdAt, a.manifest.createdAt);
    assert.equal(b.digest, Engine.digest(bytes));
    const loadedByDigest = await new Engine({ cacheDir: dir }).loadCached(a.digest);
    assert.equal(loadedByDigest.manifest.path, 'direct');
    assert.equal(readdirSync(dir).filter((d) => d.startsWith(a.digest)).length, 1);
  });

  it('runs a JavaScript (QuickJS) component through jco glue with every core module instrumented', async () => {
    const a = await testEngine().loadArtifact(await jsProbe());
    assert.equal(a.manifest.path, 'jco');
    assert.match(a.manifest.pathReason, /imports WASI/);
    assert.ok(a.glue);
    assert.ok(a.modules.length > 3);
    for (const m of a.manifest.modules) assert.ok(m.fuel.functions === 0 || m.fuel.chargePoints > 0, `${m.file} is metered`);
    assert.ok(a.manifest.wasiImports.some((w) => w.startsWith('wasi:sockets/tcp-create-socket@0.2')));
    assert.ok(a.manifest.extraExports.includes('init'), 'componentize-qjs exports its own init, which is ignored');
  });

  it('reports an artifact that was never prepared', async () => {
    await assert.rejects(
      new Engine({ cacheDir: dir }).loadCached('0'.repeat(64)),
      (err: ArtifactError) => err.code === 'sandbox.artifact.not-cached',
    );
  });
});
