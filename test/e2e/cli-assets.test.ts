/**
 * An agent's read-only assets at /assets (decision 2192) against a real `caxton serve`: a Python
 * agent (examples/py-files, open() and os.listdir) deployed with `--assets <dir>` reads the files
 * its component ships, cannot write them (EROFS), copies one into its own /data; an upgrade with
 * other assets brings them; `caxton assets embed|list` writes and shows them. Refused, each before
 * anything is uploaded or run: a component that cannot read files (no WASI), a signed component
 * (its signature would not match), a directory past the limits or holding a link.
 */
import assert from 'node:assert/strict';
import { chmod, copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { askAgent, caxton, show } from './support/cli.js';
import { builtExample } from './support/paths.js';
import { stopStragglers } from './support/processes.js';
import { startServe, type Serve } from './support/serve.js';

describe('assets at /assets against a real caxton serve', () => {
  let serve: Serve;
  let work: string;
  const tell = (agent: string, content: string): Promise<string> => askAgent(serve.conn, agent, content);

  before(async () => {
    serve = await startServe();
    work = await mkdtemp(path.join(tmpdir(), 'caxton-assets-'));
    await mkdir(path.join(work, 'v1', 'templates'), { recursive: true });
    await writeFile(path.join(work, 'v1', 'greeting.txt'), 'hello from the component');
    await writeFile(path.join(work, 'v1', 'templates', 'order.json'), '{"v":1}');
    await mkdir(path.join(work, 'v2'));
    await writeFile(path.join(work, 'v2', 'greeting.txt'), 'hello from version 2');
  });
  after(async () => {
    await stopStragglers();
    if (serve?.proc.running) await serve.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('an agent reads what its component ships, cannot write it, and keeps a copy in /data', async () => {
    const deployed = await caxton([
      'deploy',
      builtExample('py-files', 'py-files.wasm'),
      '--name',
      'shelf',
      '--assets',
      path.join(work, 'v1'),
      ...serve.conn,
    ]);
    assert.equal(deployed.code, 0, show(deployed));
    assert.match(deployed.stderr, /assets: 2 file\(s\)/);
    assert.equal(await tell('shelf', 'asset greeting.txt'), 'hello from the component');
    assert.equal(await tell('shelf', 'asset templates/order.json'), '{"v":1}');
    assert.equal(await tell('shelf', 'assets'), 'greeting.txt,templates/');
    assert.equal(await tell('shelf', 'asset-write greeting.txt'), 'error:EROFS');
    assert.equal(await tell('shelf', 'asset nope.txt'), 'error:ENOENT');
    assert.equal(await tell('shelf', 'keep-asset greeting.txt'), 'ok');
    assert.equal(await tell('shelf', 'read greeting.txt'), 'hello from the component', 'its own copy, in /data');
  });

  it('an upgrade brings its own assets; the copy in /data stays', async () => {
    const upgraded = await caxton([
      'upgrade',
      'shelf',
      builtExample('py-files', 'py-files.wasm'),
      '--assets',
      path.join(work, 'v2'),
      ...serve.conn,
    ]);
    assert.equal(upgraded.code, 0, show(upgraded));
    assert.equal(await tell('shelf', 'asset greeting.txt'), 'hello from version 2');
    assert.equal(await tell('shelf', 'asset templates/order.json'), 'error:ENOENT');
    assert.equal(await tell('shelf', 'read greeting.txt'), 'hello from the component');
  });

  it('assets embed writes a component that ships them, list shows them, and it deploys as it is', async () => {
    const out = path.join(work, 'shelf-v1.wasm');
    const embedded = await caxton(['assets', 'embed', builtExample('py-files', 'py-files.wasm'), path.join(work, 'v1'), '-o', out]);
    assert.equal(embedded.code, 0, show(embedded));
    const listed = await caxton(['assets', 'list', out, '--json']);
    assert.equal(listed.code, 0, show(listed));
    assert.deepEqual(
      listed.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { path: string; size: number }),
      [
        { path: '/assets/greeting.txt', size: 24 },
        { path: '/assets/templates/order.json', size: 7 },
      ],
    );
    const again = await caxton(['assets', 'embed', builtExample('py-files', 'py-files.wasm'), path.join(work, 'v1'), '-o', out]);
    assert.equal(again.code, 6, show(again));
    const deployed = await caxton(['deploy', out, '--name', 'shelf2', ...serve.conn]);
    assert.equal(deployed.code, 0, show(deployed));
    assert.equal(await tell('shelf2', 'asset greeting.txt'), 'hello from the component');
  });

  it('refuses a component that cannot read files, a signed one, and a directory past the limits or with a link', async () => {
    const noWasi = await caxton([
      'deploy',
      builtExample('as-echo', 'as-echo.wasm'),
      '--name',
      'no-files',
      '--assets',
      path.join(work, 'v1'),
      ...serve.conn,
    ]);
    assert.notEqual(noWasi.code, 0, show(noWasi));
    assert.match(noWasi.stderr, /imports no wasi:filesystem/);
    const signedDir = path.join(work, 'signed');
    await mkdir(signedDir);
    await copyFile(builtExample('py-files', 'py-files.wasm'), path.join(signedDir, 'agent.wasm'));
    await writeFile(path.join(signedDir, 'agent.wasm.dsse.json'), '{}');
    const signed = await caxton(['deploy', path.join(signedDir, 'agent.wasm'), '--assets', path.join(work, 'v1'), ...serve.conn]);
    assert.equal(signed.code, 2, show(signed));
    assert.match(signed.stderr, /signature would no longer match/);
    assert.match(signed.stderr, /caxton assets embed/);
    const big = path.join(work, 'big');
    await mkdir(big);
    await writeFile(path.join(big, 'blob'), Buffer.alloc(4 * 1024 * 1024 + 1));
    const tooBig = await caxton(['deploy', builtExample('py-files', 'py-files.wasm'), '--name', 'big', '--assets', big, ...serve.conn]);
    assert.equal(tooBig.code, 7, show(tooBig));
    const linked = path.join(work, 'linked');
    await mkdir(linked);
    await symlink('/etc/passwd', path.join(linked, 'passwd'));
    const link = await caxton(['deploy', builtExample('py-files', 'py-files.wasm'), '--name', 'linked', '--assets', linked, ...serve.conn]);
    assert.equal(link.code, 1, show(link));
    assert.match(link.stderr, /is a symbolic link/);
    const shared = path.join(work, 'shared');
    await mkdir(shared);
    await chmod(shared, 0o777);
    const open = await caxton(['deploy', builtExample('py-files', 'py-files.wasm'), '--name', 'shared', '--assets', shared, ...serve.conn]);
    assert.equal(open.code, 1, show(open));
    assert.match(open.stderr, /can be written by other users/);
    const agents = await caxton(['agents', '--json', ...serve.conn]);
    for (const name of ['no-files', 'big', 'linked', 'shared']) assert.ok(!agents.stdout.includes(`"${name}"`), `${name} was not deployed`);
  });
});
