/**
 * Go agents outside the repository: examples/go-echo copied into a fresh temporary directory, and
 * a project scaffolded there with `caxton new go`, each built with `caxton build` (the machine's
 * Go + the Go SDK that caxton carries, added through a go.work in the build's scratch directory;
 * nothing is written into the project but build/), deployed to a real `caxton serve`, and
 * answering a request with the echo. A compile error keeps the Go compiler's own message.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { caxton, show } from './support/cli.js';
import { copyExample } from './support/project.js';
import type { Serve } from './support/serve.js';
import type { Tail } from './support/tail.js';
import { expectEcho } from './support/echo.js';
import { openAuthorWorkspace, type AuthorWorkspace } from './support/author-workspace.js';

describe('Go agent projects outside the repository', () => {
  let serve: Serve;
  let work: string;
  let tail: Tail;
  let ws: AuthorWorkspace | undefined;

  before(async () => {
    ws = await openAuthorWorkspace('caxton-go-author-', 'go');
    ({ serve, work, tail } = ws);
  });

  after(async () => {
    await ws?.close();
  });

  it('examples/go-echo builds from its own directory, deploys and echoes', async () => {
    const dir = await copyExample('go-echo', work, 'outside-go');
    const before = readdirSync(dir).sort();
    const built = await caxton(['build', dir, '--json']);
    assert.equal(built.code, 0, show(built));
    const result = JSON.parse(built.stdout) as { language: string; artifactPath: string; sha256: string; bytes: number };
    assert.equal(result.language, 'go');
    assert.equal(result.artifactPath, path.join(dir, 'build', 'outside-go.wasm'));
    assert.equal(readFileSync(`${result.artifactPath}.sha256`, 'utf8').split(/\s+/)[0], result.sha256);
    assert.deepEqual(
      readdirSync(dir)
        .filter((f) => f !== 'build')
        .sort(),
      before,
      'nothing but build/ is written into the project',
    );

    const again = await caxton(['build', dir, '--json']);
    assert.equal(again.code, 0, show(again));
    assert.equal((JSON.parse(again.stdout) as { reused: boolean }).reused, true, 'unchanged sources are not recompiled');

    const deployed = await caxton(['deploy', dir, '--name', 'outside-go', ...serve.conn]);
    assert.equal(deployed.code, 0, show(deployed));
    await expectEcho(tail, serve, 'outside-go', 'hello from Go');
  });

  it('caxton new go scaffolds a project that builds, deploys and answers as it is', async () => {
    const dir = path.join(work, 'new-go-agent');
    const created = await caxton(['new', 'go', dir, '--json']);
    assert.equal(created.code, 0, show(created));
    assert.equal((JSON.parse(created.stdout) as { name: string }).name, 'new-go-agent');
    assert.ok(existsSync(path.join(dir, 'go.mod')) && existsSync(path.join(dir, 'main.go')) && existsSync(path.join(dir, '.gitignore')));
    const built = await caxton(['build', dir, '--json']);
    assert.equal(built.code, 0, show(built));
    assert.equal((JSON.parse(built.stdout) as { language: string }).language, 'go');
    const deployed = await caxton(['deploy', dir, '--name', 'new-go-agent', ...serve.conn]);
    assert.equal(deployed.code, 0, show(deployed));
    await expectEcho(tail, serve, 'new-go-agent', 'hello from Go');
  });

  it("a compile error fails the build with the Go compiler's own message (file, line, diagnostic)", async () => {
    const dir = path.join(work, 'broken-go');
    const created = await caxton(['new', 'go', dir, '--json']);
    assert.equal(created.code, 0, show(created));
    await writeFile(
      path.join(dir, 'main.go'),
      'package main\n\nimport "caxton.dev/caxton"\n\ntype a struct{ caxton.BaseAgent }\n\nfunc init() { caxton.Register(a{}); undeclaredThing() }\n\nfunc main() {}\n',
    );
    const built = await caxton(['build', dir]);
    assert.notEqual(built.code, 0, show(built));
    const out = built.stdout + built.stderr;
    assert.match(out, /main\.go:7:\d+: undefined: undeclaredThing/, show(built));
    assert.equal(existsSync(path.join(dir, 'build', 'broken-go.wasm')), false);
  });
});
