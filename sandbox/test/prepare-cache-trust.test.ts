/**
 * The prepare cache is not trusted on its word (decision 2135): a root others may write is refused,
 * a manifest may only name plain files of its entry, every module and the jco glue are checked
 * against the sha256 the manifest records before they are compiled or imported (an entry that fails
 * is reported, discarded and prepared again), an entry is served only to nodes whose component caps
 * it was prepared under, and temporaries left by dead writers are swept when the cache opens.
 */
import assert from 'node:assert/strict';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  symlinkSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { MANIFEST_FORMAT, type ArtifactManifest } from '../src/artifact/artifact.js';
import { isPlainFileName } from '../src/artifact/cache-dir.js';
import { sha256 } from '../src/artifact/digest.js';
import { Engine } from '../src/engine.js';
import type { SandboxError } from '../src/errors.js';
import { asProbe, jsProbe } from './fixtures/build.js';
import { testEngine } from './helpers.js';

const roots: string[] = [];
after(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

function freshRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'caxton-cache-trust-'));
  roots.push(root);
  return root;
}

/** A private cache holding a copy of the shared test cache's entry for `bytes` (prepared there if need be). */
async function copiedEntry(
  bytes: Uint8Array,
): Promise<{ root: string; dir: string; manifest: ArtifactManifest; refusals: SandboxError[]; engine: Engine }> {
  const shared = testEngine();
  await shared.loadArtifact(bytes);
  const root = freshRoot();
  const name = `${Engine.digest(bytes)}-${shared.cacheKey}`;
  cpSync(join(shared.cacheDir, name), join(root, name), { recursive: true });
  const dir = join(root, name);
  const refusals: SandboxError[] = [];
  const engine = new Engine({ cacheDir: root, onCacheEntryRefused: (err) => void refusals.push(err) });
  assert.equal(engine.cacheKey, shared.cacheKey, 'same settings, same key');
  return { root, dir, manifest: JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as ArtifactManifest, refusals, engine };
}

const rewriteManifest = (dir: string, change: (m: ArtifactManifest) => void): void => {
  const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as ArtifactManifest;
  change(m);
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(m));
};

describe('the prepare cache checks what it reads', () => {
  it('refuses a module that does not match its manifest, reports it and prepares the artifact again', async () => {
    const bytes = await asProbe();
    const { dir, manifest, refusals, engine } = await copiedEntry(bytes);
    const file = join(dir, manifest.modules[0]!.file);
    const instrumented = readFileSync(file);
    // Valid WebAssembly, but not what was instrumented: an empty module, say.
    writeFileSync(file, new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));

    const a = await engine.loadArtifact(bytes);
    assert.equal(refusals.length, 1);
    assert.equal(refusals[0]!.code, 'sandbox.artifact.cache-entry-refused');
    assert.match(refusals[0]!.message, /guest\.wasm does not match the sha256/);
    assert.match(refusals[0]!.hint!, /prepares the artifact again/);
    assert.notEqual(a.manifest.createdAt, manifest.createdAt, 'prepared again, not served from the tampered entry');
    assert.deepEqual(readFileSync(file), instrumented, 'the entry holds the instrumented module again');
  });

  it('refuses assets that are not a well-formed payload (decision 2192), and prepares the artifact again', async () => {
    const bytes = await asProbe();
    for (const bad of ['bm90IGFzc2V0cw==', 42, { length: 2e9 }]) {
      const { dir, manifest, refusals, engine } = await copiedEntry(bytes);
      rewriteManifest(dir, (m) => {
        (m as unknown as { assets: unknown }).assets = bad;
      });
      const a = await engine.loadArtifact(bytes);
      assert.equal(refusals.length, 1, JSON.stringify(bad));
      assert.match(refusals[0]!.message, /assets that are not a well-formed payload/);
      assert.notEqual(a.manifest.createdAt, manifest.createdAt, 'prepared again');
      assert.equal(a.manifest.assets, null);
      assert.equal(a.assets.files.size, 0);
    }
  });

  it('never imports jco glue that does not match its manifest', async () => {
    const bytes = await jsProbe();
    const { dir, manifest, refusals, engine } = await copiedEntry(bytes);
    const marker = `caxtonTamperedGlue${process.pid}`;
    writeFileSync(join(dir, manifest.glueFile!), `globalThis.${marker} = true;\nexport function instantiate() { return {}; }\n`);

    await assert.rejects(engine.loadCached(manifest.digest), (err: SandboxError) => err.code === 'sandbox.artifact.not-cached');
    assert.equal(refusals.length, 1);
    assert.match(refusals[0]!.message, /glue\.mjs does not match the sha256/);
    assert.equal(existsSync(dir), false, 'the refused entry is discarded');
    assert.equal((globalThis as Record<string, unknown>)[marker], undefined, 'the glue never ran');
  });

  it('imports on adopt only glue text that matches the manifest (a shard never reads the entry)', async () => {
    const bytes = await jsProbe();
    const { root, engine } = await copiedEntry(bytes);
    const artifact = await engine.loadArtifact(bytes);
    assert.equal(artifact.glueSource !== null && artifact.glueSource.length > 0, true, 'the artifact carries its checked glue text');
    // Unique text: a data: URL no earlier import in this process could have cached.
    const marker = `caxtonAdoptedGlue${process.pid}${Date.now()}`;
    const shard = new Engine({ cacheDir: root });
    await assert.rejects(
      shard.adopt(artifact.manifest, artifact.modules, `globalThis.${marker} = true;\nexport function instantiate() { return {}; }\n`),
      (err: SandboxError) =>
        err.code === 'sandbox.artifact.cache-entry-refused' && /glue of [0-9a-f]{64} was not imported/.test(err.message),
    );
    assert.equal((globalThis as Record<string, unknown>)[marker], undefined, 'the glue never ran');
    // The same shard adopts the real text, even with the entry gone from disk: it reads nothing there.
    rmSync(root, { recursive: true, force: true });
    const adopted = await new Engine({ cacheDir: freshRoot() }).adopt(artifact.manifest, artifact.modules, artifact.glueSource);
    assert.equal(typeof adopted.glue, 'function');
  });

  it('refuses a manifest naming a file outside its entry, even one whose bytes match', async () => {
    const bytes = await asProbe();
    const { root, dir, manifest, refusals, engine } = await copiedEntry(bytes);
    cpSync(join(dir, manifest.modules[0]!.file), join(root, 'outside.wasm'));
    rewriteManifest(dir, (m) => (m.modules[0]!.file = '../outside.wasm'));

    await assert.rejects(engine.loadCached(manifest.digest), (err: SandboxError) => err.code === 'sandbox.artifact.not-cached');
    assert.equal(refusals.length, 1);
    assert.match(refusals[0]!.message, /names the file "\.\.\/outside\.wasm", which is not a plain file/);
  });

  it('knows a plain file name', () => {
    for (const ok of ['guest.wasm', 'agent.core2.wasm', 'glue.mjs', 'a_b-c.wasm']) assert.equal(isPlainFileName(ok), true, ok);
    for (const bad of ['', '.', '..', '../x', 'a/b', 'a\\b', '/etc/passwd', 'x\0y', '.hidden', 'a..b', 'x'.repeat(129), 7, null]) {
      assert.equal(isPlainFileName(bad), false, String(bad));
    }
  });
});

describe("the prepare cache root must be this user's alone", () => {
  it('creates a missing root readable by this user only', async () => {
    const root = join(freshRoot(), 'made');
    await assert.rejects(
      new Engine({ cacheDir: root }).loadCached('0'.repeat(64)),
      (err: SandboxError) => err.code === 'sandbox.artifact.not-cached',
    );
    assert.equal(statSync(root).mode & 0o777, 0o700);
  });

  for (const [what, mode] of [
    ['every user', 0o757],
    ['its group', 0o775],
  ] as const) {
    it(`refuses a root writable by ${what}, with a hint saying to remove it (not chmod: what is in it is not to be trusted)`, async () => {
      const root = freshRoot();
      chmodSync(root, mode);
      const err = await new Engine({ cacheDir: root }).loadArtifact(await asProbe()).then(
        () => assert.fail('accepted'),
        (e: SandboxError) => e,
      );
      assert.equal(err.code, 'sandbox.artifact.cache-unsafe');
      assert.match(err.message, new RegExp(`is writable by ${what}`));
      assert.match(err.hint!, /Remove the directory and let the node recreate it/);
      assert.doesNotMatch(err.hint!, /chmod/);
      assert.deepEqual(readdirSync(root), [], 'nothing read or written there');
    });
  }

  it('refuses a root another user owns', { skip: process.getuid?.() !== 0 && 'only root can give a directory away' }, async () => {
    const root = freshRoot();
    chownSync(root, 4242, 4242);
    const err = await new Engine({ cacheDir: root }).loadCached('0'.repeat(64)).then(
      () => assert.fail('accepted'),
      (e: SandboxError) => e,
    );
    assert.equal(err.code, 'sandbox.artifact.cache-unsafe');
    assert.match(err.message, /owned by uid 4242/);
    assert.match(err.hint!, /Remove the directory/);
  });

  it('refuses a symbolic link as the root (it could be re-pointed, and the sweep would follow it)', async () => {
    const target = freshRoot();
    chmodSync(target, 0o700);
    const link = join(freshRoot(), 'link');
    symlinkSync(target, link);
    const err = await new Engine({ cacheDir: link }).loadCached('0'.repeat(64)).then(
      () => assert.fail('accepted'),
      (e: SandboxError) => e,
    );
    assert.equal(err.code, 'sandbox.artifact.cache-unsafe');
    assert.match(err.message, /is a symbolic link/);
  });

  it('says cache-unsafe, with the hint, when the root cannot be made (a file is in the way)', async () => {
    const file = join(freshRoot(), 'file');
    writeFileSync(file, 'x');
    const err = await new Engine({ cacheDir: file }).loadCached('0'.repeat(64)).then(
      () => assert.fail('accepted'),
      (e: SandboxError) => e,
    );
    assert.equal(err.code, 'sandbox.artifact.cache-unsafe');
    assert.match(err.message, /cannot be created or examined \(EEXIST\)/);
    assert.match(err.hint!, /Remove the directory/);
  });
});

describe('what the cache key holds', () => {
  it('does not serve an entry prepared under larger component caps to a node with smaller ones', async () => {
    const bytes = await asProbe();
    await testEngine().loadArtifact(bytes);
    const strict = new Engine({ cacheDir: testEngine().cacheDir, componentLimits: { functions: 2 } });
    await assert.rejects(strict.loadArtifact(bytes), (err: SandboxError) => err.code === 'sandbox.artifact.over-limit');
  });

  it("gives shard engines the pool engine's key, whatever its caps", () => {
    const pool = new Engine({ cacheDir: freshRoot(), componentLimits: { functions: 3 }, maxComponentBytes: 1024 });
    assert.equal(new Engine(pool.shardSettings()).cacheKey, pool.cacheKey);
    assert.notEqual(pool.cacheKey, new Engine({ cacheDir: pool.cacheDir }).cacheKey);
  });
});

describe('temporaries left by writers that died', () => {
  it("are removed when the cache opens, once older than ten minutes; younger ones are a live writer's", async () => {
    const root = freshRoot();
    const hourAgo = new Date(Date.now() - 3_600_000);
    const stale = join(root, `${'a'.repeat(64)}-0123456789abcdef.tmp-1-aaaaaaaa`);
    const live = join(root, `${'b'.repeat(64)}-0123456789abcdef.tmp-2-bbbbbbbb`);
    const staleModule = join(root, 'modules', `${'c'.repeat(64)}.entry.tmp-3-cccccccc`);
    for (const d of [stale, live]) mkdirSync(d);
    writeFileSync(join(stale, 'guest.wasm'), 'x');
    mkdirSync(join(root, 'modules'));
    writeFileSync(staleModule, 'x');
    utimesSync(stale, hourAgo, hourAgo);
    utimesSync(staleModule, hourAgo, hourAgo);

    await assert.rejects(new Engine({ cacheDir: root }).loadCached('0'.repeat(64)));
    assert.equal(existsSync(stale), false);
    assert.equal(existsSync(staleModule), false);
    assert.equal(existsSync(live), true);
  });
});

// sha256 is what the manifest records; a sanity check that the copy helper's entries carry it.
it('a prepared manifest records the sha256 of each file it names', async () => {
  const { dir, manifest } = await copiedEntry(await jsProbe());
  for (const m of manifest.modules) assert.equal(sha256(readFileSync(join(dir, m.file))), m.sha256);
  assert.equal(sha256(readFileSync(join(dir, manifest.glueFile!))), manifest.glueSha256);
});

describe('what is inside a private root is checked too (made while the root was not private)', () => {
  it('refuses an entry directory others may write, discards it and prepares again', async () => {
    const bytes = await asProbe();
    const { dir, refusals, engine } = await copiedEntry(bytes);
    chmodSync(dir, 0o775);
    await engine.loadArtifact(bytes);
    assert.equal(refusals.length, 1);
    assert.match(refusals[0]!.message, /its directory is writable by its group/);
    assert.equal(statSync(dir).mode & 0o777, 0o700, 'prepared again into a fresh, private entry');
  });

  it('refuses an entry directory another user owns', {
    skip: process.getuid?.() !== 0 && 'only root can give a directory away',
  }, async () => {
    const bytes = await asProbe();
    const { dir, refusals, engine } = await copiedEntry(bytes);
    chownSync(dir, 4242, 4242);
    await engine.loadArtifact(bytes);
    assert.match(refusals[0]!.message, /its directory is owned by uid 4242/);
    assert.equal(statSync(dir).uid, process.getuid!());
  });

  it('refuses a module file that is a symbolic link, or writable by others', async () => {
    for (const spoil of ['link', 'mode'] as const) {
      const bytes = await asProbe();
      const { root, dir, manifest, refusals, engine } = await copiedEntry(bytes);
      const file = join(dir, manifest.modules[0]!.file);
      if (spoil === 'link') {
        cpSync(file, join(root, 'elsewhere.wasm'));
        rmSync(file);
        symlinkSync(join(root, 'elsewhere.wasm'), file);
      } else chmodSync(file, 0o666);
      await assert.rejects(engine.loadCached(manifest.digest), (err: SandboxError) => err.code === 'sandbox.artifact.not-cached');
      assert.match(
        refusals[0]!.message,
        spoil === 'link' ? /guest\.wasm is a symbolic link/ : /guest\.wasm is writable by its group and every user/,
        spoil,
      );
      assert.equal(existsSync(dir), false, `${spoil}: discarded`);
    }
  });

  it('moves away a module cache directory others may write, when the cache opens', async () => {
    const root = freshRoot();
    mkdirSync(join(root, 'modules'));
    writeFileSync(join(root, 'modules', 'planted.entry'), 'x');
    chmodSync(join(root, 'modules'), 0o777);
    await assert.rejects(
      new Engine({ cacheDir: root }).loadCached('0'.repeat(64)),
      (err: SandboxError) => err.code === 'sandbox.artifact.not-cached',
    );
    assert.equal(existsSync(join(root, 'modules')), false);
  });

  it('treats a file that cannot be read now as a miss and leaves the entry alone', {
    skip: process.getuid?.() === 0 && 'root reads a 0000 file anyway',
  }, async () => {
    const bytes = await asProbe();
    const { dir, manifest, refusals, engine } = await copiedEntry(bytes);
    chmodSync(join(dir, manifest.modules[0]!.file), 0o000); // EACCES: says nothing of the file's worth (a missing one does: decision 2141)
    await assert.rejects(engine.loadCached(manifest.digest), (err: SandboxError) => err.code === 'sandbox.artifact.not-cached');
    assert.deepEqual(refusals, []);
    assert.equal(existsSync(join(dir, 'manifest.json')), true, 'not discarded');
  });

  it('refuses an entry whose manifest names a file that is not there, discards it and prepares again (decision 2141)', async () => {
    const bytes = await asProbe();
    const { dir, manifest, refusals, engine } = await copiedEntry(bytes);
    rmSync(join(dir, manifest.modules[0]!.file));
    const a = await engine.loadArtifact(bytes);
    assert.equal(refusals.length, 1);
    assert.equal(refusals[0]!.code, 'sandbox.artifact.cache-entry-refused');
    assert.match(refusals[0]!.message, /guest\.wasm its manifest names is missing/);
    assert.notEqual(a.manifest.createdAt, manifest.createdAt, 'prepared again');
    assert.equal(
      existsSync(join(dir, manifest.modules[0]!.file)),
      true,
      'and written again: the next load is a hit, not another preparation',
    );
  });

  it('leaves an entry of another manifest format alone (a rolling upgrade sharing the directory)', async () => {
    const bytes = await asProbe();
    const { dir, manifest, refusals, engine } = await copiedEntry(bytes);
    rewriteManifest(dir, (m) => ((m as { format: number }).format = MANIFEST_FORMAT + 1)); // a newer node's
    await assert.rejects(engine.loadCached(manifest.digest), (err: SandboxError) => err.code === 'sandbox.artifact.not-cached');
    assert.deepEqual(refusals, []);
    assert.equal(existsSync(dir), true);
  });

  it('sweeps only the temporaries the caches write, not any name with .tmp- in it', async () => {
    const root = freshRoot();
    const hourAgo = new Date(Date.now() - 3_600_000);
    const other = join(root, 'notes.tmp-keep');
    const refused = join(root, `${'a'.repeat(64)}-0123456789abcdef.tmp-refused-12-abcdef01`);
    for (const d of [other, refused]) {
      mkdirSync(d);
      utimesSync(d, hourAgo, hourAgo);
    }
    await assert.rejects(new Engine({ cacheDir: root }).loadCached('0'.repeat(64)));
    assert.equal(existsSync(other), true);
    assert.equal(existsSync(refused), false);
  });
});
