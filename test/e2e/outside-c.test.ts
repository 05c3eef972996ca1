/**
 * C agents outside the repository: examples/c-echo copied into a fresh temporary directory, and a
 * project scaffolded there with `caxton new c`, each built with `caxton build` (clang + the C SDK
 * that caxton carries; nothing is installed into the project), deployed to a real `caxton serve`,
 * and answering a request with the echo. A compile error keeps clang's own message.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { caxton, show } from './support/cli.js';
import { copyExample } from './support/project.js';
import type { Serve } from './support/serve.js';
import type { Tail } from './support/tail.js';
import { expectEcho } from './support/echo.js';
import { openAuthorWorkspace, type AuthorWorkspace } from './support/author-workspace.js';

describe('C agent projects outside the repository', () => {
  let serve: Serve;
  let work: string;
  let tail: Tail;
  let ws: AuthorWorkspace | undefined;

  before(async () => {
    ws = await openAuthorWorkspace('caxton-c-author-', 'c');
    ({ serve, work, tail } = ws);
  });

  after(async () => {
    await ws?.close();
  });

  it('examples/c-echo builds from its own directory, deploys and echoes', async () => {
    const dir = await copyExample('c-echo', work, 'outside-c');
    const built = await caxton(['build', dir, '--json']);
    assert.equal(built.code, 0, show(built));
    const result = JSON.parse(built.stdout) as { language: string; artifactPath: string; sha256: string };
    assert.equal(result.language, 'c');
    assert.equal(result.artifactPath, path.join(dir, 'build', 'c-echo.wasm'));
    assert.equal(readFileSync(`${result.artifactPath}.sha256`, 'utf8').split(/\s+/)[0], result.sha256);

    const again = await caxton(['build', dir, '--json']);
    assert.equal(again.code, 0, show(again));
    assert.equal((JSON.parse(again.stdout) as { reused: boolean }).reused, true, 'unchanged sources are not recompiled');

    const deployed = await caxton(['deploy', dir, '--name', 'outside-c', ...serve.conn]);
    assert.equal(deployed.code, 0, show(deployed));
    await expectEcho(tail, serve, 'outside-c', 'hello from C');
  });

  it('caxton new c scaffolds a project that builds, deploys and answers as it is', async () => {
    const dir = path.join(work, 'new-c-agent');
    const created = await caxton(['new', 'c', dir, '--json']);
    assert.equal(created.code, 0, show(created));
    assert.equal((JSON.parse(created.stdout) as { name: string }).name, 'new-c-agent');
    assert.ok(existsSync(path.join(dir, 'caxton.json')) && existsSync(path.join(dir, 'src', 'agent.c')));
    const built = await caxton(['build', dir, '--json']);
    assert.equal(built.code, 0, show(built));
    assert.equal((JSON.parse(built.stdout) as { language: string }).language, 'c');
    const deployed = await caxton(['deploy', dir, '--name', 'new-c-agent', ...serve.conn]);
    assert.equal(deployed.code, 0, show(deployed));
    await expectEcho(tail, serve, 'new-c-agent', 'hello from C');
    // Its own scenario passes as scaffolded (decision 2030), on the build just made.
    const tested = await caxton(['test', dir, '--timeout', '60'], { timeoutMs: 120_000 });
    assert.equal(tested.code, 0, show(tested));
    assert.match(tested.stdout, /^# pass 2\n# fail 0$/m);
  });

  it("a compile error fails the build with clang's own message (file, line, diagnostic)", async () => {
    const dir = path.join(work, 'broken-c');
    const created = await caxton(['new', 'c', dir, '--json']);
    assert.equal(created.code, 0, show(created));
    await writeFile(
      path.join(dir, 'src', 'agent.c'),
      '#include <caxton.h>\nvoid caxton_on_message(const caxton_message *msg) {\n  caxton_reply(msg, CAXTON_INFORM, undeclared_thing);\n}\n',
    );
    const built = await caxton(['build', dir]);
    assert.notEqual(built.code, 0, show(built));
    const out = built.stdout + built.stderr;
    assert.match(out, /src\/agent\.c:3:\d+: error: use of undeclared identifier 'undeclared_thing'/, show(built));
    assert.equal(existsSync(path.join(dir, 'build', 'broken-c.wasm')), false);
  });
});
