/**
 * `caxton sdk install` for the native SDKs: a project scaffolded outside the repository gets a
 * pinned copy of the SDK where its builder looks first (C: caxton/sdk-c, Rust: caxton-sdk, Python:
 * caxton/), without the SDK's own tests or build outputs; the build then uses that copy (a change
 * made in it shows in the build), and a second install replaces the first.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { appendFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { caxton, show } from './support/cli.js';
import { tempDir } from './support/serve.js';

const NATIVE = [
  {
    language: 'c',
    pinnedAt: ['caxton', 'sdk-c'],
    marker: ['include', 'caxton.h'],
    edit: ['include', 'caxton.h'],
    comment: '\n/* pinned */\n',
  },
  { language: 'rust', pinnedAt: ['caxton-sdk'], marker: ['Cargo.toml'], edit: ['src', 'lib.rs'], comment: '\n// pinned\n' },
  { language: 'python', pinnedAt: ['caxton'], marker: ['__init__.py'], edit: ['__init__.py'], comment: '\n# pinned\n' },
] as const;

describe('caxton sdk install for C, Rust and Python projects outside the repository', () => {
  let work: string;
  before(async () => {
    work = await tempDir('caxton-sdk-native-');
  });
  after(async () => {
    await rm(work, { recursive: true, force: true });
  });

  for (const { language, pinnedAt, marker, edit, comment } of NATIVE) {
    it(`pins the ${language} SDK in the project, and the build uses the pinned copy`, { timeout: 300_000 }, async () => {
      const dir = path.join(work, `pinned-${language}`);
      const made = await caxton(['new', language, dir]);
      assert.equal(made.code, 0, show(made));
      const first = await caxton(['build', dir, '--json']);
      assert.equal(first.code, 0, show(first));

      const r = await caxton(['sdk', 'install', dir, '--json']);
      assert.equal(r.code, 0, show(r));
      const installed = JSON.parse(r.stdout) as { language: string; installedAt: string; replaced: boolean };
      assert.equal(installed.language, language);
      assert.equal(installed.installedAt, path.join(dir, ...pinnedAt));
      assert.equal(installed.replaced, false);
      assert.ok(existsSync(path.join(installed.installedAt, ...marker)), "the SDK's files are in the project");
      assert.equal(existsSync(path.join(installed.installedAt, 'test')), false, "without the SDK's own tests");

      // The pinned copy is what the build reads: changing it makes the next build a new one.
      await appendFile(path.join(installed.installedAt, ...edit), comment);
      const second = await caxton(['build', dir, '--json']);
      assert.equal(second.code, 0, show(second));
      assert.notEqual(
        (JSON.parse(second.stdout) as { reused?: boolean }).reused,
        true,
        `a change in the pinned SDK is seen by the build: ${second.stdout}`,
      );

      const again = await caxton(['sdk', 'install', dir, '--json']);
      assert.equal((JSON.parse(again.stdout) as { replaced: boolean }).replaced, true);
    });
  }
});
