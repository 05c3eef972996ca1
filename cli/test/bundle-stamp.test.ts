/**
 * When the bin runs the bundled CLI (decision 2051): the stamp check (cli/bin/bundle-stamp.js) on a
 * temporary tree, the bin's fallback when a bundle file is missing, and the pure decisions of
 * scripts/bundle-cli-policy.mjs (which packages the stamp covers, which old chunks a build removes).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

interface StampModule {
  STAMP_PATH: string;
  stampOf(stats: { size: number; mtimeMs: number }): string;
  bundleIsCurrent(root: string | URL): boolean;
}
interface PolicyModule {
  CHUNK_GRACE_MS: number;
  FAST_NET_MODULE: string;
  fastStringWidthSource(realPath: string): string;
  bundledWorkspaces(inputs: Record<string, unknown>): string[];
  bundledPackageDirs(inputs: Record<string, unknown>): string[];
  chunksToPrune(args: { names: string[]; current: Set<string>; staleSince: Record<string, unknown>; now: number; graceMs?: number }): {
    remove: string[];
    staleSince: Record<string, number>;
  };
}

// Compiled to cli/dist/test/: the bin is ../../bin, the scripts ../../../scripts.
const BIN_DIR = fileURLToPath(new URL('../../bin/', import.meta.url));
const stampModule = (): Promise<StampModule> => import(new URL('../../bin/bundle-stamp.js', import.meta.url).href) as Promise<StampModule>;
const policyModule = (): Promise<PolicyModule> =>
  import(new URL('../../../scripts/bundle-cli-policy.mjs', import.meta.url).href) as Promise<PolicyModule>;

let work: string;
let trees = 0;

/** A repository-shaped tree: the bin, a compiled entry and a bundle entry that each say who ran, build info and a stamp. */
async function tree(bundleMain: string): Promise<string> {
  const root = path.join(work, `tree-${trees++}`);
  await mkdir(path.join(root, 'cli', 'bin'), { recursive: true });
  await mkdir(path.join(root, 'cli', 'dist', 'src'), { recursive: true });
  await mkdir(path.join(root, 'cli', 'dist', 'bundle'), { recursive: true });
  await mkdir(path.join(root, 'core', 'dist'), { recursive: true });
  for (const f of ['caxton.js', 'bundle-stamp.js']) await copyFile(path.join(BIN_DIR, f), path.join(root, 'cli', 'bin', f));
  await writeFile(path.join(root, 'cli', 'package.json'), '{"type":"module"}');
  await writeFile(path.join(root, 'cli', 'dist', 'src', 'main.js'), "console.log('compiled ran');\n");
  await writeFile(path.join(root, 'cli', 'dist', 'bundle', 'main.js'), bundleMain);
  for (const ws of ['cli', 'core']) await writeFile(path.join(root, ws, 'dist', 'tsconfig.tsbuildinfo'), `{"ws":"${ws}"}`);
  await writeStamp(root);
  return root;
}

async function writeStamp(root: string): Promise<void> {
  const { stampOf, STAMP_PATH } = await stampModule();
  const stamp: Record<string, string> = {};
  for (const rel of ['cli/dist/tsconfig.tsbuildinfo', 'core/dist/tsconfig.tsbuildinfo'])
    stamp[rel] = stampOf(await stat(path.join(root, rel)));
  await writeFile(path.join(root, STAMP_PATH), JSON.stringify(stamp));
}

function runBin(root: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('CAXTON_') && v !== undefined) env[k] = v;
  const child = spawn(process.execPath, [path.join(root, 'cli', 'bin', 'caxton.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

const BUNDLE_OK = "globalThis[Symbol.for('caxton.cli.bundle-evaluated')] = true; console.log('bundle ran');\n";

describe('the bundled CLI runs only when it is whole and current', () => {
  before(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'caxton-bundle-stamp-'));
  });
  after(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('bundleIsCurrent: all matching, then one build info changed, a corrupt stamp, no stamp, a path out of the root', async () => {
    const { bundleIsCurrent, STAMP_PATH } = await stampModule();
    const root = await tree(BUNDLE_OK);
    assert.equal(bundleIsCurrent(root), true);
    const info = path.join(root, 'core', 'dist', 'tsconfig.tsbuildinfo');
    await utimes(info, new Date(), new Date(Date.now() + 5_000));
    assert.equal(bundleIsCurrent(root), false, 'a build info touched since the bundle');
    await writeStamp(root);
    assert.equal(bundleIsCurrent(root), true);
    await writeFile(path.join(root, STAMP_PATH), '{"core/dist/tsconfig.tsbu');
    assert.equal(bundleIsCurrent(root), false, 'a corrupt stamp');
    await writeFile(path.join(root, STAMP_PATH), '{}');
    assert.equal(bundleIsCurrent(root), false, 'an empty stamp');
    await writeFile(path.join(root, STAMP_PATH), '["core/dist/tsconfig.tsbuildinfo"]');
    assert.equal(bundleIsCurrent(root), false, 'a stamp that is not an object');
    const outside = await stat(path.join(root, 'core', 'dist', 'tsconfig.tsbuildinfo'));
    await writeFile(
      path.join(root, STAMP_PATH),
      JSON.stringify({ '../tree-0/core/dist/tsconfig.tsbuildinfo': `${outside.size}:${outside.mtimeMs}` }),
    );
    assert.equal(bundleIsCurrent(root), false, 'a path that leaves the root');
    await rm(path.join(root, STAMP_PATH));
    assert.equal(bundleIsCurrent(root), false, 'no stamp');
  });

  it('the bin runs the bundle when it is current, the compiled modules when not', { timeout: 30_000 }, async () => {
    const root = await tree(BUNDLE_OK);
    assert.equal((await runBin(root)).stdout, 'bundle ran\n');
    await writeFile(path.join(root, 'core', 'dist', 'tsconfig.tsbuildinfo'), '{"ws":"core","changed":true}');
    assert.equal((await runBin(root)).stdout, 'compiled ran\n');
  });

  it('a chunk missing before any bundle code ran: the compiled modules run, with a warning', { timeout: 30_000 }, async () => {
    const root = await tree(`import './chunk-GONE.js';\n${BUNDLE_OK}`);
    const r = await runBin(root);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'compiled ran\n');
    assert.match(r.stderr, /the bundled CLI is incomplete .*chunk-GONE\.js.*running the compiled modules/);
  });

  it("a chunk missing after bundle code ran (a command's lazy import) fails: the command is not run twice", {
    timeout: 30_000,
  }, async () => {
    const root = await tree(`${BUNDLE_OK}await import('./chunk-GONE.js');\n`);
    const r = await runBin(root);
    assert.notEqual(r.code, 0);
    assert.equal(r.stdout, 'bundle ran\n');
    assert.match(r.stderr, /ERR_MODULE_NOT_FOUND/);
  });

  it('a missing module outside the bundle is not taken for a missing chunk', { timeout: 30_000 }, async () => {
    const root = await tree("import 'caxton-no-such-package';\n");
    const r = await runBin(root);
    assert.notEqual(r.code, 0);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /caxton-no-such-package/);
  });
});

describe('bundle build policy', () => {
  it('bundledWorkspaces: every workspace folder among the inputs, not node_modules nor plugin namespaces', async () => {
    const { bundledWorkspaces } = await policyModule();
    const inputs = {
      'cli/dist/src/main.js': {},
      'core/dist/src/errors.js': {},
      'console/dist/src/version.js': {},
      'node_modules/yargs/index.mjs': {},
      'caxton-fast-string-width:/repo/node_modules/string-width/index.js': {},
      'cli/dist/src/app.js': {},
    };
    assert.deepEqual(bundledWorkspaces(inputs), ['cli', 'console', 'core']);
  });

  it('bundledPackageDirs: each node_modules package held, scoped and nested ones too, once', async () => {
    const { bundledPackageDirs } = await policyModule();
    const inputs = {
      'cli/dist/src/main.js': {},
      'node_modules/yargs/index.mjs': {},
      'node_modules/yargs/lib/platform-shims/esm.mjs': {},
      'node_modules/@grpc/grpc-js/build/src/index.js': {},
      'node_modules/cliui/node_modules/string-width/index.js': {},
      'caxton-fast-string-width:/repo/node_modules/string-width/index.js': {},
    };
    assert.deepEqual(bundledPackageDirs(inputs), [
      'node_modules/@grpc/grpc-js',
      'node_modules/cliui/node_modules/string-width',
      'node_modules/yargs',
    ]);
  });

  it('chunksToPrune: a superseded chunk is kept a day from when a build first found it stale, whatever its mtime', async () => {
    const { chunksToPrune, CHUNK_GRACE_MS } = await policyModule();
    const names = ['main.js', 'chunk-NEW.js', 'chunk-OLD.js', 'chunk-OLDER.js', 'meta.json', 'stamp.json'];
    const current = new Set(['main.js', 'chunk-NEW.js']);
    const t0 = 1_000_000_000_000;
    const first = chunksToPrune({ names, current, staleSince: {}, now: t0 });
    assert.deepEqual(first, { remove: [], staleSince: { 'chunk-OLD.js': t0, 'chunk-OLDER.js': t0 } });
    const later = chunksToPrune({
      names,
      current,
      staleSince: { ...first.staleSince, 'chunk-OLDER.js': t0 - CHUNK_GRACE_MS, 'chunk-VANISHED.js': t0 },
      now: t0 + 1,
    });
    assert.deepEqual(later, { remove: ['chunk-OLDER.js'], staleSince: { 'chunk-OLD.js': t0 } });
    const dayOn = chunksToPrune({ names: ['main.js', 'chunk-OLD.js'], current, staleSince: later.staleSince, now: t0 + CHUNK_GRACE_MS });
    assert.deepEqual(dayOn, { remove: ['chunk-OLD.js'], staleSince: {} });
  });

  it('chunksToPrune: a record that is not a past time (corrupt, in the future) restarts the day instead of removing', async () => {
    const { chunksToPrune } = await policyModule();
    const now = 2_000_000_000_000;
    const r = chunksToPrune({
      names: ['a.js', 'b.js', 'c.js'],
      current: new Set(),
      staleSince: { 'a.js': 'yesterday', 'b.js': now + 10 ** 9, 'c.js': Number.NaN },
      now,
    });
    assert.deepEqual(r, { remove: [], staleSince: { 'a.js': now, 'b.js': now, 'c.js': now } });
  });

  it('chunksToPrune: a current chunk is never removed, however old its record', async () => {
    const { chunksToPrune } = await policyModule();
    const r = chunksToPrune({ names: ['main.js'], current: new Set(['main.js']), staleSince: { 'main.js': 0 }, now: 10 ** 13 });
    assert.deepEqual(r, { remove: [], staleSince: {} });
  });

  it("FAST_NET_MODULE: isIPv6 and isIP answer as Node's for addresses, names and non-strings; the rest is Node's net", async () => {
    const { FAST_NET_MODULE } = await policyModule();
    const mod: { exports: typeof net } = { exports: {} as typeof net };
    new Function('require', 'module', FAST_NET_MODULE)(createRequire(import.meta.url), mod);
    const fast = mod.exports;
    const inputs: unknown[] = [
      '127.0.0.1',
      '::1',
      '::',
      '[::1]',
      'fe80::1%eth0',
      '::ffff:10.0.0.1',
      '2001:db8::8a2e:370:7334',
      '1:2:3:4:5:6:7:8',
      '1:2',
      ':',
      'localhost',
      'caxton.example',
      '',
      ' ::1',
      '256.0.0.1',
      123,
      undefined,
      null,
    ];
    for (const input of inputs) {
      assert.equal(fast.isIPv6(input as string), net.isIPv6(input as string), `isIPv6(${String(input)})`);
      assert.equal(fast.isIP(input as string), net.isIP(input as string), `isIP(${String(input)})`);
    }
    assert.equal(fast.Socket, net.Socket);
    assert.equal(fast.connect, net.connect);
    assert.equal(fast.isIPv4, net.isIPv4);
  });

  it("fastStringWidthSource: as each real string-width the bundle wraps (yargs', cliui's, wrap-ansi's copy) on every kind of text and option", {
    timeout: 30_000,
  }, async () => {
    const { fastStringWidthSource } = await policyModule();
    const { build } = await import('esbuild');
    const require = createRequire(import.meta.url);
    const texts: unknown[] = [
      '',
      'caxton',
      '--no-such-flag [string] [required]',
      '~!@#$%^&*()_+{}|:"<>?`-=[]\\;\',./ ',
      '位置:',
      '[文字列] [必須]',
      'ｶﾀｶﾅ',
      '한국어',
      'é',
      'e\u0301',
      '±§¡',
      '👨‍👩‍👧‍👦',
      '🏳️‍🌈',
      '👍🏽',
      '☺️',
      '\u001b[31mred\u001b[39m',
      '\u001b]8;;https://caxton.dev\u0007link\u001b]8;;\u0007',
      '\u009b31m',
      'a\tb',
      '\n',
      'a\u0000b',
      '\u007f',
      '\u200b',
      '\ud800',
      'x'.repeat(500),
      undefined,
      null,
      42,
      ['ab'],
      new String('ab'),
    ];
    const optionSets = [
      undefined,
      {},
      { ambiguousIsNarrow: false },
      { ambiguousIsNarrow: true },
      { countAnsiEscapeCodes: true },
      { ambiguousIsNarrow: false, countAnsiEscapeCodes: true },
    ];
    const copies = [
      require.resolve('string-width', { paths: [path.dirname(require.resolve('yargs'))] }),
      require.resolve('string-width', { paths: [path.dirname(require.resolve('cliui'))] }),
      require.resolve('string-width', { paths: [path.dirname(require.resolve('wrap-ansi'))] }),
    ];
    assert.equal(new Set(copies).size, 3, `expected three copies of string-width, found ${copies.join(', ')}`);
    const dir = await mkdtemp(path.join(tmpdir(), 'caxton-fast-width-'));
    try {
      for (const [i, real] of copies.entries()) {
        // Bundled as scripts/bundle-cli.mjs bundles it: the require becomes the real module, evaluated lazily.
        const out = await build({
          stdin: { contents: fastStringWidthSource(real), resolveDir: path.dirname(real), loader: 'js' },
          bundle: true,
          format: 'esm',
          platform: 'node',
          write: false,
          logLevel: 'silent',
        });
        const file = path.join(dir, `width-${i}.mjs`);
        await writeFile(file, out.outputFiles[0]!.text);
        const fast = ((await import(pathToFileURL(file).href)) as { default: (text: unknown, options?: object) => number }).default;
        const realWidth = ((await import(pathToFileURL(real).href)) as { default: (text: unknown, options?: object) => number }).default;
        for (const text of texts) {
          for (const options of optionSets) {
            assert.equal(fast(text, options), realWidth(text, options), `${real}: ${JSON.stringify(text)} ${JSON.stringify(options)}`);
          }
        }
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
