/**
 * The prepare cache is bounded and its root's ancestry checked (decision 2141): past its size bound
 * the least recently used entries (artifact directories and module-cache files) are evicted after a
 * write, a hit counts as a use, an entry evicted while another engine reads it is a miss (never an
 * error or a wrong module), and a root under a directory others could rename it from is refused.
 */
import assert from 'node:assert/strict';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ArtifactCache } from '../src/artifact/cache.js';
import { ancestorProblem } from '../src/artifact/cache-dir.js';
import { evictPastBound, type EvictionReport } from '../src/artifact/cache-evict.js';
import { MODULE_CACHE_DIR } from '../src/artifact/module-cache.js';
import { Engine } from '../src/engine.js';
import { SandboxError } from '../src/errors.js';
import { asProbe, jsProbe } from './fixtures/build.js';
import { testEngine } from './helpers.js';

const roots: string[] = [];
after(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

function freshRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'caxton-cache-bound-'));
  roots.push(root);
  return root;
}

const turns = async (n: number): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};
const hex = (c: string, n: number): string => c.repeat(n);
const at = (path: string, seconds: number): void => utimesSync(path, seconds, seconds);

/** A hand-made entry directory of `bytes` bytes last used at `seconds` (epoch). */
function entry(root: string, c: string, bytes: number, seconds: number): string {
  const dir = join(root, `${hex(c, 64)}-${hex(c, 16)}`);
  mkdirSync(dir, { mode: 0o700 });
  writeFileSync(join(dir, 'guest.wasm'), new Uint8Array(bytes));
  at(dir, seconds);
  return dir;
}

function moduleFile(root: string, c: string, bytes: number, seconds: number): string {
  mkdirSync(join(root, MODULE_CACHE_DIR), { recursive: true, mode: 0o700 });
  const file = join(root, MODULE_CACHE_DIR, `${hex(c, 64)}.entry`);
  writeFileSync(file, new Uint8Array(bytes));
  at(file, seconds);
  return file;
}

/** A private cache holding copies of the shared test cache's entries (and module cache) for `components`. */
async function copiedCache(...components: Uint8Array[]): Promise<{ root: string; dirs: string[] }> {
  const shared = testEngine();
  const root = freshRoot();
  const dirs: string[] = [];
  for (const bytes of components) {
    await shared.loadArtifact(bytes);
    const name = `${Engine.digest(bytes)}-${shared.cacheKey}`;
    cpSync(join(shared.cacheDir, name), join(root, name), { recursive: true });
    dirs.push(join(root, name));
  }
  return { root, dirs };
}

describe('evicting past the bound', () => {
  it('removes the least recently used entries and module files until the cache fits, never the one just written', async () => {
    const root = freshRoot();
    const oldest = entry(root, 'a', 1000, 1_000);
    const oldModule = moduleFile(root, 'b', 1000, 2_000);
    const recent = entry(root, 'c', 1000, 3_000);
    const written = entry(root, 'd', 1000, 500); // the oldest mtime, but just written: kept
    writeFileSync(join(root, 'notes.tmp-keep'), new Uint8Array(5000)); // not a cache name: not counted, not touched

    const report = await evictPastBound(root, MODULE_CACHE_DIR, 2000, new Set([written]));
    assert.deepEqual(report, { entries: 1, modules: 1, bytes: 2000, totalBytes: 4000, maxBytes: 2000 });
    assert.equal(existsSync(oldest), false);
    assert.equal(existsSync(oldModule), false);
    assert.equal(existsSync(recent), true);
    assert.equal(existsSync(written), true);
    assert.equal(existsSync(join(root, 'notes.tmp-keep')), true);
    assert.equal(await evictPastBound(root, MODULE_CACHE_DIR, 2000, new Set([written])), null, 'within the bound: nothing to do');
  });

  it('keeps every entry written since the passes began, not only the latest (concurrent writes)', async () => {
    const root = freshRoot();
    const first = entry(root, 'a', 1000, 500); // written while a pass ran: the oldest mtime, yet kept
    const second = entry(root, 'b', 1000, 600);
    const old = entry(root, 'c', 1000, 1_000);
    const report = await evictPastBound(root, MODULE_CACHE_DIR, 1, new Set([first, second]));
    assert.equal(report?.entries, 1);
    assert.deepEqual([existsSync(first), existsSync(second), existsSync(old)], [true, true, false]);
  });

  it('leaves an item read or replaced after the scan, and removes the next least recently used instead', async () => {
    const root = freshRoot();
    mkdirSync(join(root, 'aside'));
    const read = entry(root, 'a', 1000, 1_000);
    const readModule = moduleFile(root, 'b', 1000, 2_000);
    const replaced = entry(root, 'c', 1000, 3_000);
    const next = entry(root, 'd', 1000, 4_000);
    const fresh = entry(root, 'e', 1000, 5_000);
    const asked: string[] = [];
    // Between the scan and each removal: a hit touches the first two (as cache.ts and
    // module-cache.ts do), another writer renames a new entry in under the third's name (its old mtime kept).
    const report = await evictPastBound(root, MODULE_CACHE_DIR, 4000, new Set(), {
      beforeRecheck: (path) => {
        asked.push(path);
        if (path === read || path === readModule) at(path, Date.now() / 1000);
        if (path === replaced) {
          // As a rewrite does: the new entry written aside first (its own inode), then renamed in
          // once the old one is moved away; an inode freed first could be handed to it again.
          const aside = entry(join(root, 'aside'), 'c', 1000, 3_000);
          renameSync(replaced, `${replaced}.tmp-refused-1-00000000`);
          renameSync(aside, replaced);
          at(replaced, 3_000);
        }
      },
    });
    assert.deepEqual(asked, [read, readModule, replaced, next], "tried in order of the scan's recency");
    assert.deepEqual(report, { entries: 1, modules: 0, bytes: 1000, totalBytes: 5000, maxBytes: 4000 });
    assert.deepEqual(
      [read, readModule, replaced, next, fresh].map((p) => existsSync(p)),
      [true, true, true, false, true],
    );
  });

  it('counts an item another node removed after the scan as freed, and removes no more than the bound needs', async () => {
    const root = freshRoot();
    const taken = entry(root, 'a', 1000, 1_000);
    const takenModule = moduleFile(root, 'b', 1000, 2_000);
    const next = entry(root, 'c', 1000, 3_000);
    const fresh = entry(root, 'd', 1000, 4_000);
    // Another node sharing the directory evicts the two oldest between this pass's scan and their turn.
    const report = await evictPastBound(root, MODULE_CACHE_DIR, 2000, new Set(), {
      beforeRecheck: (path) => {
        if (path === taken || path === takenModule) rmSync(path, { recursive: true });
      },
    });
    assert.equal(report, null, 'this pass removed nothing: the other node did');
    assert.deepEqual(
      [taken, takenModule, next, fresh].map((p) => existsSync(p)),
      [false, false, true, true],
      'within the bound once they were gone',
    );
  });

  it('reports an item another node removed between the re-check and the removal as freed, not as removed by this pass', async () => {
    const root = freshRoot();
    const taken = entry(root, 'a', 1000, 1_000);
    const takenModule = moduleFile(root, 'b', 1000, 2_000);
    const next = entry(root, 'c', 1000, 3_000);
    const fresh = entry(root, 'd', 1000, 4_000);
    const vanished: string[] = [];
    // The re-check finds the two oldest unused; another node evicts them before this pass removes them.
    const report = await evictPastBound(root, MODULE_CACHE_DIR, 1500, new Set(), {
      beforeRemoval: (path) => {
        if (path !== taken && path !== takenModule) return;
        rmSync(path, { recursive: true });
        vanished.push(path);
      },
    });
    assert.deepEqual(vanished, [taken, takenModule], 'both vanished in that window');
    // Their 2,000 bytes count towards the bound (so only one more goes), but the report is this pass's own removal.
    assert.deepEqual(report, { entries: 1, modules: 0, bytes: 1000, totalBytes: 4000, maxBytes: 1500 });
    assert.deepEqual(
      [taken, takenModule, next, fresh].map((p) => existsSync(p)),
      [false, false, false, true],
    );
  });

  it('runs the pass a write asked for even when the reporter of the one before throws', async () => {
    const root = freshRoot();
    entry(root, 'a', 1000, 1_000);
    const written = [entry(root, 'b', 10, 3_000), entry(root, 'c', 10, 3_000)];
    let late = '';
    const cache = new ArtifactCache(root, () => undefined, {
      maxBytes: 100,
      onEvicted: () => {
        if (late !== '') return;
        late = entry(root, 'd', 1000, 2_000); // past the bound again, for the pass asked for below
        throw new Error('reporter failed');
      },
    });
    // The writes' hook (private): the first starts a pass, the second, during it, asks for one more.
    const afterWrite = (cache as unknown as { evictAfterWrite(dir: string): true }).evictAfterWrite.bind(cache);
    afterWrite(written[0]!);
    afterWrite(written[1]!);
    await cache.evictionsSettled();
    assert.notEqual(late, '', 'the first pass reported');
    assert.equal(existsSync(late), false, 'the second pass ran and evicted it');
  });

  it('runs after a write, says what it removed, and keeps what a hit used', async () => {
    const [as, js] = [await asProbe(), await jsProbe()];
    const { root, dirs } = await copiedCache(js, as);
    const [jsDir, asDir] = dirs as [string, string];
    at(jsDir, 1_000);
    at(asDir, 2_000);
    const reports: EvictionReport[] = [];
    const bound = statSync(asDir).size + 1; // far below the two entries: everything not in use goes
    const engine = new Engine({ cacheDir: root, cacheMaxBytes: bound, onCacheEvicted: (r) => void reports.push(r) });
    await engine.loadArtifact(as); // a hit: touched, no write, no eviction
    await engine.cacheEvictionsSettled();
    assert.deepEqual(reports, []);
    assert.ok(statSync(asDir).mtimeMs > 2_000_000, 'a hit counts as a use');

    rmSync(jsDir, { recursive: true });
    at(asDir, 1_000); // now the least recently used
    await engine.loadArtifact(js); // prepared and written: the write starts a pass
    await engine.cacheEvictionsSettled();
    const passes = reports as EvictionReport[]; // (narrowed to never[] by the deepEqual above)
    assert.equal(passes.length, 1);
    assert.equal(passes[0]!.entries, 1);
    assert.equal(passes[0]!.maxBytes, bound);
    assert.equal(existsSync(asDir), false, 'the least recently used entry is evicted');
    assert.equal(existsSync(jsDir), true, 'the one just written stays, though alone it is past the bound');
  });

  it('is a miss, never an error or a wrong artifact, for an engine reading an entry another evicts', async () => {
    const bytes = await asProbe();
    const digest = Engine.digest(bytes);
    const outcomes = { hit: 0, miss: 0 };
    const tries = 40;
    for (let i = 0; i < tries; i++) {
      const { root } = await copiedCache(bytes);
      const refusals: SandboxError[] = [];
      const reader = new Engine({ cacheDir: root, onCacheEntryRefused: (e) => void refusals.push(e) });
      await reader.openCache();
      // The eviction starts i turns of the event loop after the read: some land before it, some
      // between its manifest and its modules (the entry renamed away under it), some after.
      const read = reader.loadCached(digest).then(
        (a) => a,
        (e: unknown) => e,
      );
      const evicted = turns(i).then(() => evictPastBound(root, MODULE_CACHE_DIR, 1, new Set()));
      const [got] = await Promise.all([read, evicted]);
      if (got instanceof SandboxError) {
        assert.equal(got.code, 'sandbox.artifact.not-cached', `a miss, not ${got.code}: ${got.message}`);
        outcomes.miss++;
      } else {
        assert.ok(!(got instanceof Error), String(got));
        assert.equal((got as { digest: string }).digest, digest, 'the artifact asked for');
        outcomes.hit++;
      }
      assert.deepEqual(
        refusals.map((r) => r.message),
        [],
        'an eviction is not a refused entry',
      );
      // A miss found it gone; a hit touched it, and if that landed after the scan the pass left it (a use since).
      if (got instanceof SandboxError)
        assert.deepEqual(
          readdirSync(root).filter((n) => n.includes(digest) && !n.includes('.tmp-')),
          [],
          'evicted',
        );
    }
    assert.equal(outcomes.hit + outcomes.miss, tries);
    // Which of the staggered tries hit depends on timing (both outcomes under no load, not always
    // under load), so each outcome is also forced once: evicted before the read, then after it.
    const before = await copiedCache(bytes);
    await evictPastBound(before.root, MODULE_CACHE_DIR, 1, new Set());
    const missed = await new Engine({ cacheDir: before.root }).loadCached(digest).then(
      () => null,
      (e: SandboxError) => e,
    );
    assert.equal(missed?.code, 'sandbox.artifact.not-cached', 'evicted first: a miss');
    const afterRead = await copiedCache(bytes);
    const hit = await new Engine({ cacheDir: afterRead.root }).loadCached(digest);
    await evictPastBound(afterRead.root, MODULE_CACHE_DIR, 1, new Set());
    assert.equal(hit.digest, digest, 'read first: a hit, whole after the eviction');
    assert.equal(existsSync(afterRead.dirs[0]!), false, 'a hit before the scan is no use since it: still evicted');
  });
});

describe("the root's ancestors", () => {
  // A group-writable ancestor is refused when the group is not the node's own (chgrp to another: root only).
  const asRoot = process.getuid?.() === 0;
  for (const [what, mode, otherGroup] of [
    ['its group and every user', 0o777, asRoot],
    ['every user', 0o707, false],
    ['every user', 0o777, false],
    ['its group', 0o770, true],
  ] as const) {
    it(`refuses a root under a directory writable by ${what} without the sticky bit, naming it (mode ${mode.toString(8)}${otherGroup ? ', another group' : ''})`, {
      skip: otherGroup && !asRoot && 'only root can give a directory to another group',
    }, async () => {
      const open = join(freshRoot(), 'open');
      mkdirSync(open);
      chmodSync(open, mode);
      if (otherGroup) chownSync(open, process.getuid!(), 4242);
      const root = join(open, 'cache');
      const err = await new Engine({ cacheDir: root }).openCache().then(
        () => assert.fail('accepted'),
        (e: SandboxError) => e,
      );
      assert.equal(err.code, 'sandbox.artifact.cache-unsafe');
      assert.match(err.message, new RegExp(`lies under ${open}, which is writable by ${what} without the sticky bit`));
      assert.match(err.hint!, new RegExp(`chmod go-w '${open}'`));
      assert.match(err.hint!, /chmod \+t/);
      assert.equal(existsSync(root), false, 'nothing created there');
    });
  }

  it('creates nothing under a refused directory (the ancestry is checked before mkdir)', async () => {
    const open = join(freshRoot(), 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    const err = await new Engine({ cacheDir: join(open, 'a', 'b', 'cache') }).openCache().then(
      () => assert.fail('accepted'),
      (e: SandboxError) => e,
    );
    assert.equal(err.code, 'sandbox.artifact.cache-unsafe');
    assert.deepEqual(readdirSync(open), [], 'not even the first missing directory');
  });

  it('refuses a root under a directory another user owns, with the hint for an owner (not chmod)', {
    skip: process.getuid?.() !== 0 && 'only root can give a directory away',
  }, async () => {
    const theirs = join(freshRoot(), 'theirs');
    mkdirSync(theirs, { mode: 0o755 });
    chownSync(theirs, 4242, 4242);
    const err = await new Engine({ cacheDir: join(theirs, 'cache') }).openCache().then(
      () => assert.fail('accepted'),
      (e: SandboxError) => e,
    );
    assert.equal(err.code, 'sandbox.artifact.cache-unsafe');
    assert.match(err.message, new RegExp(`lies under ${theirs}, which is owned by uid 4242`));
    assert.match(err.hint!, /owned by uid 4242: have root chown it .*--prepare-cache-dir elsewhere/);
    assert.doesNotMatch(err.hint!, /chmod/);
    const { ancestor, failure, uid, gid, mode } = err.context as Record<string, unknown>;
    assert.deepEqual({ ancestor, failure, uid, gid, mode }, { ancestor: theirs, failure: 'owner', uid: 4242, gid: 4242, mode: '755' });
  });

  it("accepts a root under a directory writable by the node's own group (Kubernetes' fsGroup volumes: 2775)", async () => {
    const shared = join(freshRoot(), 'volume');
    mkdirSync(shared);
    chmodSync(shared, 0o2775);
    await new Engine({ cacheDir: join(shared, 'cache') }).openCache();
    assert.equal(statSync(join(shared, 'cache')).mode & 0o777, 0o700);
  });

  it('accepts a root under a sticky world-writable directory (like /tmp)', async () => {
    const sticky = join(freshRoot(), 'sticky');
    mkdirSync(sticky);
    chmodSync(sticky, 0o1777);
    await new Engine({ cacheDir: join(sticky, 'cache') }).openCache();
    assert.equal(statSync(join(sticky, 'cache')).mode & 0o777, 0o700);
  });

  it('checks the ancestors of the real path, not of a link on the way', async () => {
    const base = freshRoot();
    const open = join(base, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    symlinkSync(open, join(base, 'link'));
    const err = await new Engine({ cacheDir: join(base, 'link', 'cache') }).openCache().then(
      () => assert.fail('accepted'),
      (e: SandboxError) => e,
    );
    assert.equal(err.code, 'sandbox.artifact.cache-unsafe');
    assert.match(err.message, new RegExp(`lies under ${open},`));
  });

  it('refuses a root reached through a link held by a directory others may write, though the link points somewhere safe', async () => {
    const base = freshRoot();
    const open = join(base, 'open');
    const safe = join(base, 'safe');
    mkdirSync(open);
    chmodSync(open, 0o777);
    mkdirSync(safe, { mode: 0o700 });
    symlinkSync(safe, join(open, 'link')); // Anyone could re-point it: open is theirs to write.
    const err = await new Engine({ cacheDir: join(open, 'link', 'cache') }).openCache().then(
      () => assert.fail('accepted'),
      (e: SandboxError) => e,
    );
    assert.equal(err.code, 'sandbox.artifact.cache-unsafe');
    assert.match(err.message, new RegExp(`lies under ${open}, which is writable by`));
    assert.equal(existsSync(join(safe, 'cache')), false, 'nothing created');
  });

  it('follows a relative link on the way and checks where it leads', async () => {
    const base = freshRoot();
    mkdirSync(join(base, 'safe', 'open'), { recursive: true, mode: 0o700 });
    chmodSync(join(base, 'safe', 'open'), 0o777);
    symlinkSync('safe/open', join(base, 'rel'));
    const err = await new Engine({ cacheDir: join(base, 'rel', 'cache') }).openCache().then(
      () => assert.fail('accepted'),
      (e: SandboxError) => e,
    );
    assert.match(err.message, new RegExp(`lies under ${join(base, 'safe', 'open')}, which is writable by`));
    symlinkSync('safe', join(base, 'fine'));
    await new Engine({ cacheDir: join(base, 'fine', 'cache') }).openCache();
    assert.equal(statSync(join(base, 'safe', 'cache')).mode & 0o777, 0o700);
  });

  it('after mkdir, a name on the way that went missing or stopped being a directory is a refusal, not a pass (someone raced the check)', async () => {
    const base = freshRoot();
    const gone = join(base, 'gone', 'cache');
    assert.equal(await ancestorProblem(gone), null, 'before mkdir: what is missing the node creates');
    assert.deepEqual(await ancestorProblem(gone, { mustExist: true }).then((p) => p && [p.kind, p.ancestor]), [
      'changed',
      join(base, 'gone'),
    ]);
    writeFileSync(join(base, 'file'), '');
    assert.equal(await ancestorProblem(join(base, 'file', 'cache')), null, 'before mkdir: mkdir fails and says so');
    assert.deepEqual(await ancestorProblem(join(base, 'file', 'cache'), { mustExist: true }).then((p) => p && [p.kind, p.ancestor]), [
      'changed',
      join(base, 'file'),
    ]);
    mkdirSync(join(base, 'here'));
    assert.equal(await ancestorProblem(join(base, 'here', 'cache'), { mustExist: true }), null, 'all there and sound');
  });

  it("checks and uses one normalised path: a trailing slash on a link or a '..' after one cannot slip past the walk", async () => {
    const base = freshRoot();
    const open = join(base, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    mkdirSync(join(open, 'real'));
    symlinkSync(join(open, 'real'), join(base, 'cache'));
    // '<base>/cache/' names the link; the kernel would follow it into the open directory.
    const slash = await new Engine({ cacheDir: `${join(base, 'cache')}/` }).openCache().then(
      () => assert.fail('accepted'),
      (e: SandboxError) => e,
    );
    assert.equal(slash.code, 'sandbox.artifact.cache-unsafe');
    assert.match(slash.message, /symbolic link/);
    assert.equal(new ArtifactCache(`${base}/x/../c/`, () => undefined).root, join(base, 'c'));
  });

  it('refuses a path through more than 40 links (a loop)', async () => {
    const base = freshRoot();
    symlinkSync(join(base, 'b'), join(base, 'a'));
    symlinkSync(join(base, 'a'), join(base, 'b'));
    const err = await new Engine({ cacheDir: join(base, 'a', 'cache') }).openCache().then(
      () => assert.fail('accepted'),
      (e: SandboxError) => e,
    );
    assert.equal(err.code, 'sandbox.artifact.cache-unsafe');
    assert.match(err.message, /more than 40 symbolic links/);
  });
});
