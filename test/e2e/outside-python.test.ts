/**
 * Python agents, as an author outside the repository writes them: examples/py-echo copied into a
 * fresh temporary directory and a project scaffolded there with `caxton new python` both build with
 * `caxton build` (componentize-py from caxton's cache, the SDK from caxton's own files, nothing
 * installed into the project), deploy to a real `caxton serve` and answer a request with the echo.
 * A Python error in the project fails the build with Python's own message.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { caxton, show } from './support/cli.js';
import { copyExample } from './support/project.js';
import type { Serve } from './support/serve.js';
import type { Tail } from './support/tail.js';
import { expectEcho } from './support/echo.js';
import { openAuthorWorkspace, type AuthorWorkspace } from './support/author-workspace.js';

/** A cold componentize-py build is ~10 s alone, much more while other builds share the CPUs. */
const BUILD_TIMEOUT = 10 * 60_000;

describe('Python agent projects outside the repository', { timeout: 3 * BUILD_TIMEOUT }, () => {
  let serve: Serve;
  let work: string;
  let tail: Tail;
  let ws: AuthorWorkspace | undefined;

  before(async () => {
    ws = await openAuthorWorkspace('caxton-python-author-');
    ({ serve, work, tail } = ws);
  });

  after(async () => {
    await ws?.close();
  });

  it('examples/py-echo builds in its own directory, deploys and answers', { timeout: BUILD_TIMEOUT }, async () => {
    const dir = await copyExample('py-echo', work, 'outside-py');
    const built = await caxton(['build', dir, '--json']);
    assert.equal(built.code, 0, show(built));
    const result = JSON.parse(built.stdout) as { language: string; artifactPath: string; bytes: number };
    assert.equal(result.language, 'python');
    assert.equal(result.artifactPath, path.join(dir, 'build', 'py-echo.wasm'), 'named by its caxton.json');
    assert.ok(existsSync(`${result.artifactPath}.sha256`), 'the digest is written beside the component');
    assert.equal(existsSync(path.join(dir, 'caxton')), false, 'the SDK came from caxton, not the project');

    const again = await caxton(['build', dir, '--json']);
    assert.equal(again.code, 0, show(again));

    const deployed = await caxton(['deploy', dir, '--name', 'outside-py', ...serve.conn]);
    assert.equal(deployed.code, 0, show(deployed));
    await expectEcho(tail, serve, 'outside-py');
  });

  it('caxton new python scaffolds a project that builds, deploys and answers as it is', { timeout: BUILD_TIMEOUT }, async () => {
    const dir = path.join(work, 'scaffolds', 'new-python');
    const created = await caxton(['new', 'python', dir, '--json']);
    assert.equal(created.code, 0, show(created));
    const scaffold = JSON.parse(created.stdout) as { name: string; files: string[] };
    assert.equal(scaffold.name, 'new-python');
    assert.ok(scaffold.files.includes('app.py'), `app.py among ${scaffold.files.join(', ')}`);
    const deployed = await caxton(['deploy', dir, '--name', 'new-python', ...serve.conn]);
    assert.equal(deployed.code, 0, show(deployed));
    await expectEcho(tail, serve, 'new-python');
  });

  it("a Python error in the project fails the build with Python's own message", { timeout: BUILD_TIMEOUT }, async () => {
    const dir = await copyExample('py-echo', work, 'broken-py');
    await writeFile(
      path.join(dir, 'app.py'),
      'from caxton import Agent, register\n\nclass Broken(Agent):\n    def on_message(self, msg)\n        pass\n',
    );
    const built = await caxton(['build', dir]);
    assert.notEqual(built.code, 0, show(built));
    const text = `${built.stdout}\n${built.stderr}`;
    assert.match(text, /SyntaxError/, show(built));
    assert.match(text, /app\.py/, 'the message names the file');
    assert.doesNotMatch(text, /Stack backtrace/, "without componentize-py's Rust backtrace");
    assert.doesNotMatch(text, /File "<string>"/, "without the frame of componentize-py's own CLI");

    await writeFile(path.join(dir, 'app.py'), 'from caxton import Agent, register\n\nregister(Agent())\nundefined_name_here()\n');
    const failed = await caxton(['build', dir]);
    assert.notEqual(failed.code, 0, show(failed));
    assert.match(`${failed.stdout}\n${failed.stderr}`, /NameError: name 'undefined_name_here' is not defined/, show(failed));
  });
});
