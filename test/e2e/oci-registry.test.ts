/**
 * Components in an OCI registry (issue 59, decision 2172), with real processes: a CNCF Distribution
 * registry built by the repo's infra scripts (scripts/infra/oci-registry.mjs), `caxton push`, two
 * `caxton serve` nodes, and oras — an independent client — reading what push wrote. A component is
 * pushed once and deployed by tag on one node and by digest on another (and by an application
 * file's source through `caxton apply`), and answers — the second pull reads the component from the
 * local cache by digest, a cached copy changed on disk is fetched anew; oras sees the CNCF Wasm layout
 * and the very bytes. Then each way it can fail, typed, nothing deployed: a blob
 * tampered with in the registry's storage, a digest that names nothing, an unsigned component under
 * `--trust-policy require` (a signed one goes through), the registry down, and a registry that asks
 * for credentials — none, wrong ones, then the right ones from a Docker config file.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import type * as Infra from '../../scripts/infra/index.d.mts';
import { caxton, show } from './support/cli.js';
import { builtExample } from './support/paths.js';
import { stopStragglers } from './support/processes.js';
import { startServe, tempDir, type Serve } from './support/serve.js';

const infra = (): Promise<typeof Infra> =>
  import(new URL('../../../scripts/infra/index.mjs', import.meta.url).href) as Promise<typeof Infra>;
const run = promisify(execFile);

interface Pushed {
  reference: string;
  digest: string;
  exact: string;
  component: { digest: string; size: number };
  signed: boolean;
}

describe('components in a real OCI registry: caxton push, deploy oci://, oras reads it', () => {
  let lib: typeof Infra;
  let registry: Infra.OciRegistryHandle;
  let work: string;
  let a: Serve;
  let b: Serve;
  /** Every CLI run here reads this Docker config directory, never the user's. */
  let dockerConfig: string;
  const echo = builtExample('as-echo', 'as-echo.wasm');
  /** Pulled components are kept here (CAXTON_OCI_CACHE), never in the user's cache. */
  const blobCache = (): string => path.join(work, 'blob-cache');
  const cli = (args: string[], env: Record<string, string> = {}) =>
    caxton(args, { cwd: work, env: { DOCKER_CONFIG: dockerConfig, CAXTON_OCI_CACHE: blobCache(), ...env } });

  before(async () => {
    lib = await infra();
    work = await tempDir('caxton-e2e-oci-');
    dockerConfig = path.join(work, 'docker');
    await mkdir(dockerConfig);
    registry = await lib.startOciRegistry();
    a = await startServe();
    b = await startServe();
  });
  after(async () => {
    await stopStragglers();
    for (const s of [a, b]) if (s?.proc.running) await s.stop();
    await registry?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const push = async (source: string, reference: string): Promise<Pushed> => {
    const r = await cli(['push', source, reference, '--json']);
    assert.equal(r.code, 0, show(r));
    return JSON.parse(r.stdout) as Pushed;
  };
  const answers = async (serve: Serve, agent: string): Promise<void> => {
    const r = await caxton(['send', agent, 'request', 'ping', '--wait', '--timeout', '20', ...serve.conn], { cwd: work });
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /ping/);
  };

  it('pushed once, deployed by tag on one node and by digest on another; oras reads the standard layout and the same bytes', async () => {
    const pushed = await push(echo, `${registry.address}/agents/echo:1.0`);
    assert.match(pushed.digest, /^sha256:[a-f0-9]{64}$/);
    const component = await readFile(echo);
    assert.equal(pushed.component.size, component.length);
    assert.equal(pushed.exact, `oci://${registry.address}/agents/echo@${pushed.digest}`);

    const byTag = await cli(['deploy', `oci://${registry.address}/agents/echo:1.0`, '--json', ...a.conn]);
    assert.equal(byTag.code, 0, show(byTag));
    const deployed = JSON.parse(byTag.stdout) as { name: string; artifactDigest: string };
    assert.equal(deployed.name, 'echo', 'named after the repository');
    assert.match(deployed.artifactDigest, /[a-f0-9]{64}$/);
    assert.equal(deployed.artifactDigest.slice(-64), pushed.component.digest.slice(-64), 'the node runs the pushed component');
    assert.match(byTag.stderr, new RegExp(`pulled ${registry.address}/agents/echo:1.0 \\(${pushed.digest}`));
    await answers(a, 'echo');

    const byDigest = await cli(['deploy', pushed.exact, '--name', 'echo-b', ...b.conn]);
    assert.equal(byDigest.code, 0, show(byDigest));
    assert.match(byDigest.stderr, /read from the local cache/, 'the second pull of the component reads no blob from the registry');
    assert.match(byDigest.stdout, new RegExp(`deployed echo-b from ${pushed.exact.replace(/[.]/g, '\\.')}`));
    await answers(b, 'echo-b');
    // A kept copy changed on disk is dropped and fetched anew, never used.
    const kept = path.join(blobCache(), 'sha256', pushed.component.digest.slice('sha256:'.length));
    await writeFile(kept, Buffer.concat([await readFile(kept), Buffer.from('tail')]));
    const refetched = await cli(['deploy', pushed.exact, '--name', 'echo-c', ...b.conn]);
    assert.equal(refetched.code, 0, show(refetched));
    assert.doesNotMatch(refetched.stderr, /read from the local cache/);
    assert.deepEqual(await readFile(kept), component, 'the cache holds the component again');

    // An application file may name the reference as its source (apply pulls it the same way); a
    // reference that is not one refuses the whole file before anything is pulled or sent.
    await writeFile(path.join(work, 'app.yaml'), `apiVersion: caxton/v1\nagents:\n  - name: applied\n    source: ${pushed.exact}\n`);
    const applied = await cli(['apply', '-f', 'app.yaml', ...b.conn]);
    assert.equal(applied.code, 0, show(applied));
    assert.match(applied.stdout, /^done\s+\+ deploy applied$/m);
    await answers(b, 'applied');
    await writeFile(
      path.join(work, 'bad.yaml'),
      `apiVersion: caxton/v1\nagents:\n  - name: bad\n    source: oci://${registry.address}/Bad\n`,
    );
    const bad = await cli(['apply', '-f', 'bad.yaml', ...b.conn]);
    assert.equal(bad.code, 2, show(bad));
    assert.match(bad.stderr, /agents\[0\]\.source: .* is not an OCI reference/);

    // oras, an independent client, reads what push wrote: the CNCF Wasm layout, and the very bytes.
    const oras = await lib.installOras();
    const { stdout: manifestText } = await run(oras, ['manifest', 'fetch', '--plain-http', `${registry.address}/agents/echo:1.0`]);
    const manifest = JSON.parse(manifestText) as {
      mediaType: string;
      config: { mediaType: string };
      layers: { mediaType: string; digest: string; size: number }[];
    };
    assert.equal(manifest.mediaType, 'application/vnd.oci.image.manifest.v1+json');
    assert.equal(manifest.config.mediaType, 'application/vnd.wasm.config.v0+json');
    assert.deepEqual(
      manifest.layers.map((l) => [l.mediaType, l.digest, l.size]),
      [['application/wasm', pushed.component.digest, component.length]],
    );
    const out = path.join(work, 'oras-pulled.wasm');
    await run(oras, ['blob', 'fetch', '--plain-http', '--output', out, `${registry.address}/agents/echo@${pushed.component.digest}`]);
    assert.deepEqual(await readFile(out), component, 'oras fetched the bytes caxton pushed');
    const { stdout: config } = await run(oras, ['manifest', 'fetch-config', '--plain-http', `${registry.address}/agents/echo:1.0`]);
    assert.equal((JSON.parse(config) as { architecture: string }).architecture, 'wasm');
  });

  it('a blob changed in the registry, and a digest that names nothing: refused typed, nothing deployed', async () => {
    const pushed = await push(echo, `${registry.address}/agents/tampered:1.0`);
    // Flip a byte of the component's blob where the registry keeps it.
    const hex = pushed.component.digest.slice('sha256:'.length);
    const blob = path.join(registry.root, 'docker', 'registry', 'v2', 'blobs', 'sha256', hex.slice(0, 2), hex, 'data');
    const bytes = await readFile(blob);
    const flip = (): number => bytes.writeUInt8(bytes.readUInt8(bytes.length - 1) ^ 0xff, bytes.length - 1);
    flip();
    await writeFile(blob, bytes);
    // No local cache here: it holds this very component, pulled whole before.
    const tampered = await cli(['deploy', `oci://${registry.address}/agents/tampered:1.0`, '--name', 'tampered', ...a.conn], {
      CAXTON_OCI_CACHE: 'off',
    });
    assert.equal(tampered.code, 1, show(tampered));
    assert.match(tampered.stderr, /is not what its digest says/);
    assert.match(tampered.stderr, /nothing was deployed/);
    flip();
    await writeFile(blob, bytes); // as it was: the same blob backs echo:1.0 too

    const nothing = `oci://${registry.address}/agents/echo@sha256:${'0'.repeat(64)}`;
    const missing = await cli(['deploy', nothing, '--name', 'missing', ...a.conn]);
    assert.equal(missing.code, 3, show(missing));
    assert.match(missing.stderr, /not found \(MANIFEST_UNKNOWN\)/);
    const bad = await cli(['deploy', `oci://${registry.address}/Agents/Echo`, ...a.conn]);
    assert.equal(bad.code, 2, show(bad));
    assert.match(bad.stderr, /is not an OCI reference/);

    const agents = await caxton(['agents', '--json', ...a.conn], { cwd: work });
    const names = (JSON.parse(agents.stdout) as { name: string }[]).map((x) => x.name);
    assert.deepEqual(names, ['echo'], 'nothing else was deployed');
  });

  it('under --trust-policy require: the signature rides in the artifact; unsigned is refused, signed runs', async () => {
    const keys = path.join(work, 'keys');
    const gen = await cli(['keygen', '--out', keys, '--json']);
    assert.equal(gen.code, 0, show(gen));
    await copyFile(echo, path.join(work, 'signed.wasm'));
    await copyFile(echo, path.join(work, 'unsigned.wasm'));
    const sign = await cli(['sign', 'signed.wasm', '--key', path.join(keys, 'agent-signing.key')]);
    assert.equal(sign.code, 0, show(sign));
    const signed = await push(path.join(work, 'signed.wasm'), `${registry.address}/agents/signed:1.0`);
    assert.equal(signed.signed, true);
    const unsigned = await push(path.join(work, 'unsigned.wasm'), `${registry.address}/agents/unsigned:1.0`);
    assert.equal(unsigned.signed, false);

    const strict = await startServe({ args: ['--trust', path.join(keys, 'agent-signing.pub'), '--trust-policy', 'require'] });
    try {
      const refused = await cli(['deploy', `oci://${registry.address}/agents/unsigned:1.0`, ...strict.conn]);
      assert.notEqual(refused.code, 0, show(refused));
      assert.match(refused.stderr, /unsigned|no signature|not signed/i);
      const ok = await cli(['deploy', signed.exact, ...strict.conn]);
      assert.equal(ok.code, 0, show(ok));
      assert.match(ok.stderr, /signature: from oci:\/\//);
      await answers(strict, 'signed');
      const agents = await caxton(['agents', '--json', ...strict.conn], { cwd: work });
      assert.deepEqual(
        (JSON.parse(agents.stdout) as { name: string; signerKeyId?: string }[]).map((x) => [x.name, typeof x.signerKeyId]),
        [['signed', 'string']],
      );
    } finally {
      await strict.stop();
    }
  });

  it('a registry asking for credentials: none and wrong ones refused (exit 5), the Docker config file’s login accepted; a registry down is unreachable (exit 4)', async () => {
    const guarded = await lib.startOciRegistry({ users: { ci: 'right-password' } });
    try {
      const target = `${guarded.address}/agents/echo:1.0`;
      const none = await cli(['push', echo, target]);
      assert.equal(none.code, 5, show(none));
      assert.match(none.stderr, /asks for a user name and password/);
      const login = async (password: string): Promise<void> =>
        writeFile(
          path.join(dockerConfig, 'config.json'),
          JSON.stringify({ auths: { [guarded.address]: { auth: Buffer.from(`ci:${password}`).toString('base64') } } }),
        );
      await login('wrong-password');
      const wrong = await cli(['push', echo, target]);
      assert.equal(wrong.code, 5, show(wrong));
      assert.match(wrong.stderr, /refused the credentials/);
      await login('right-password');
      const pushed = await push(echo, target);
      const deployed = await cli(['deploy', pushed.exact, '--name', 'guarded', ...a.conn]);
      assert.equal(deployed.code, 0, show(deployed));
      await answers(a, 'guarded');
    } finally {
      await guarded.stop();
      await rm(path.join(dockerConfig, 'config.json'), { force: true });
    }
    await registry.stop({ keepData: true });
    try {
      const down = await cli(['deploy', `oci://${registry.address}/agents/echo:1.0`, '--name', 'down', ...a.conn]);
      assert.equal(down.code, 4, show(down));
      assert.match(down.stderr, /cannot reach the registry/);
    } finally {
      await registry.start(); // the same port and storage, for a later run of this file's tests
    }
  });
});
