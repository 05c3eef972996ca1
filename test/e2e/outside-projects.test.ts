/**
 * An agent author's project lives in their own directory, never inside Caxton's checkout. For each
 * language `caxton build` knows, a project copied into a fresh temporary directory (no
 * node_modules, nothing installed into it) builds, deploys to a real `caxton serve` and answers.
 * The SDKs are not published: `caxton build` provides them from its own install.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { caxton, show } from './support/cli.js';
import { copyExample } from './support/project.js';
import type { Serve } from './support/serve.js';
import type { Tail } from './support/tail.js';
import { expectEcho } from './support/echo.js';
import { openAuthorWorkspace, type AuthorWorkspace } from './support/author-workspace.js';

const LANGUAGES = [
  { language: 'assemblyscript', example: 'as-echo', name: 'outside-as' },
  { language: 'javascript', example: 'js-echo', name: 'outside-js' },
] as const;

/**
 * Languages whose own e2e file scaffolds, builds, deploys and checks a `caxton new` project with
 * more than this file asks (its files, its build's language, its greeting): doing it here as well
 * only spent CI time (a Python scaffold is ~45 s of preparation). The test below still checks that
 * every template is covered, here or there.
 */
const SCAFFOLDED_ELSEWHERE: Readonly<Record<string, string>> = {
  c: 'outside-c.test.ts',
  go: 'outside-go.test.ts',
  python: 'outside-python.test.ts',
  rust: 'outside-rust.test.ts',
};

describe('agent projects outside the repository', () => {
  let serve: Serve;
  let work: string;
  let tail: Tail;
  let ws: AuthorWorkspace | undefined;

  before(async () => {
    ws = await openAuthorWorkspace('caxton-author-');
    ({ serve, work, tail } = ws);
  });

  after(async () => {
    await ws?.close();
  });
  it('caxton new scaffolds a project in every language with a template (four of them in their own files), which deploys and answers as it is', async () => {
    const list = await caxton(['new', '--help']);
    assert.equal(list.code, 0, show(list));
    const { scaffoldLanguages } = await import('@caxton/toolchain');
    const languages = scaffoldLanguages();
    for (const expected of LANGUAGES.map((l) => l.language)) assert.ok(languages.includes(expected), `a template for ${expected}`);
    for (const language of Object.keys(SCAFFOLDED_ELSEWHERE))
      assert.ok((languages as readonly string[]).includes(language), `a template for ${language}`);
    const here = languages.filter((l) => !Object.hasOwn(SCAFFOLDED_ELSEWHERE, l));
    assert.ok(here.length >= LANGUAGES.length, `templates left to check here: ${here.join(', ')}`);
    for (const language of here) {
      const name = `new-${language}`;
      const dir = path.join(work, 'scaffolds', name);
      const created = await caxton(['new', language, dir, '--json']);
      assert.equal(created.code, 0, show(created));
      assert.equal((JSON.parse(created.stdout) as { name: string }).name, name);
      const deployed = await caxton(['deploy', dir, '--name', name, ...serve.conn]);
      assert.equal(deployed.code, 0, show(deployed));
      await expectEcho(tail, serve, name);
    }
  });

  for (const { language, example, name } of LANGUAGES) {
    it(`the ${language} project builds, deploys and answers from its own directory`, async () => {
      const dir = await copyExample(example, work, name);
      assert.equal(existsSync(path.join(dir, 'node_modules')), false, 'the author installed nothing');

      const built = await caxton(['build', dir, '--json']);
      assert.equal(built.code, 0, show(built));
      const result = JSON.parse(built.stdout) as { language: string; artifactPath: string };
      assert.equal(result.language, language);
      assert.equal(result.artifactPath, path.join(dir, 'build', `${example}.wasm`), 'named by its package');

      const deployed = await caxton(['deploy', dir, '--name', name, ...serve.conn]);
      assert.equal(deployed.code, 0, show(deployed));

      await expectEcho(tail, serve, name);
    });

    it(`caxton sdk install puts the ${language} SDK into the project, which still builds`, async () => {
      const dir = path.join(work, name);
      const r = await caxton(['sdk', 'install', dir, '--json']);
      assert.equal(r.code, 0, show(r));
      const installed = JSON.parse(r.stdout) as { language: string; package: string; installedAt: string; replaced: boolean };
      assert.equal(installed.language, language);
      assert.equal(installed.replaced, false);
      assert.equal(installed.installedAt, path.join(dir, 'node_modules', ...installed.package.split('/')));
      assert.ok(existsSync(path.join(installed.installedAt, 'package.json')), "the SDK's files are in the project");
      assert.equal(existsSync(path.join(installed.installedAt, 'test')), false, "without the SDK's own tests");
      const again = await caxton(['sdk', 'install', dir, '--json']);
      assert.equal((JSON.parse(again.stdout) as { replaced: boolean }).replaced, true);
      const built = await caxton(['build', dir, '--json']);
      assert.equal(built.code, 0, show(built));
    });
  }
});
